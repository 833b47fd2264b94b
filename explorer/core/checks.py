"""Argument checks shared by the public functions that take collections of sites or regions.

The messages quote what was wrong: ``sites[2] must be a Site, got dict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def list_of(values: Any, kind: type[Any], name: str) -> list[Any]:
    """``values`` as a list, after checking that it is a collection of ``kind``.

    Parameters
    ----------
    values : iterable
        The argument as given (text and bytes are refused, not split into characters).
    kind : type
        What every item must be an instance of (an abstract class such as
        :class:`~explorer.geo.regions.Region` is fine, hence ``type[Any]``).
    name : str
        The argument's name, for the messages (``"sites"``).

    Raises
    ------
    TypeError
        ``values`` is not a collection, or an item is not a ``kind``.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be a sequence of {kind.__name__}, got {type(values).__name__}"
        )
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, kind):
            raise TypeError(f"{name}[{i}] must be a {kind.__name__}, got {type(v).__name__}")
    return out


__all__ = ["list_of"]
