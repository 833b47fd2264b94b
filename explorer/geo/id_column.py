"""A column of site ids that stays in the reader's form until someone reads it whole.

A million ids read from GeoParquet are one Arrow array; turning them into a million
Python strings costs 50-70 ms and 60 MB, and ``explorer totals`` only ever prints the
ids of the sites inside its regions. :class:`IdColumn` is the dataclass field that
:class:`~explorer.geo.totals.SiteArrays` and
:class:`~explorer.io.site_columns.SiteColumns` hold their ids in: given a numpy object
array it is that array; given a :class:`DeferredIds` (the io layer's Arrow ids) it
becomes one on first read of the attribute, and :func:`ids_at` reads some rows without
that.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class DeferredIds(Protocol):
    """Ids held elsewhere (an Arrow array), read whole or some rows at a time."""

    def __len__(self) -> int: ...

    def objects(self) -> np.ndarray:
        """Every id, in order, as a numpy object array of ``str``."""
        ...

    def pick(self, rows: np.ndarray) -> list[str]:
        """The ids of ``rows`` (row numbers), in that order."""
        ...


class IdColumn:
    """Dataclass field (a descriptor) for ids given as a numpy array or as
    :class:`DeferredIds`; reading the attribute always gives the numpy array (made,
    read-only, on first read, and kept)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> np.ndarray:
        if obj is None:
            # No class-level default: for the dataclass, a field that must be given.
            raise AttributeError(self._slot[1:])
        value = obj.__dict__[self._slot]
        if not isinstance(value, np.ndarray):
            value = value.objects()
            value.flags.writeable = False
            obj.__dict__[self._slot] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: np.ndarray | DeferredIds) -> None:
        obj.__dict__[self._slot] = value


def install_ids(cls: type) -> type:
    """Make ``cls.ids`` (a dataclass field declared ``ids: np.ndarray``) an
    :class:`IdColumn`; use as a decorator above ``@dataclass``."""
    column = IdColumn()
    column.__set_name__(cls, "ids")
    setattr(cls, "ids", column)  # noqa: B010 - a descriptor, not a value
    return cls


def given(ids: np.ndarray | DeferredIds) -> np.ndarray:
    """``ids`` typed as what the field reads as (for constructors given deferred ids)."""
    return ids  # type: ignore[return-value]


def held_ids(obj: Any) -> np.ndarray | DeferredIds:
    """``obj.ids`` as held: the numpy array, or the deferred ids not read yet."""
    return obj.__dict__["_ids"]  # type: ignore[no-any-return]


def id_count(ids: np.ndarray | DeferredIds) -> int:
    """How many ids, without reading them."""
    return int(ids.shape[0]) if isinstance(ids, np.ndarray) else len(ids)


def ids_at(ids: np.ndarray | DeferredIds, rows: np.ndarray) -> list[str]:
    """The ids of ``rows``, reading only those when they are deferred."""
    if isinstance(ids, np.ndarray):
        return ids[rows].tolist()  # type: ignore[no-any-return]
    return ids.pick(rows)


__all__ = ["DeferredIds", "IdColumn", "given", "held_ids", "id_count", "ids_at", "install_ids"]
