"""The question a GeoPackage with several point layers asks: which one?

Kept apart from the readers so the window can name the error without loading Arrow or
GDAL at start-up.
"""

from __future__ import annotations

import os

from explorer.core.errors import DataFileError


class LayerChoiceNeeded(DataFileError):
    """A GeoPackage has several point layers and none was named.

    Attributes
    ----------
    layers : tuple of str
        The point layers to choose from, in file order.
    """

    def __init__(self, path: str | os.PathLike[str], layers: tuple[str, ...]) -> None:
        self.layers = layers
        names = ", ".join(f"'{n}'" for n in layers)
        super().__init__(
            f"{path} has {len(layers)} point layers ({names}); name the one to open "
            "(--layer on the command line)"
        )


__all__ = ["LayerChoiceNeeded"]
