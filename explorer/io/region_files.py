"""Region files: GeoJSON read into :class:`~explorer.geo.regions.Region` values and
written back, atomically.

The shapes and their rules live in :mod:`explorer.geo.regions`; this module only does
the file work (reading, decoding, one-line errors that name the file, atomic writes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from explorer.core.errors import DataFileError
from explorer.geo.regions import Region, regions_from_document, regions_to_feature_collection
from explorer.io.atomic import atomic_target


def load_regions(path: str | os.PathLike[str]) -> list[Region]:
    """Read regions from a GeoJSON file.

    Parameters
    ----------
    path : path-like
        A FeatureCollection (or a single Feature, or a bare geometry).

    Returns
    -------
    list of Region
        In file order.

    Raises
    ------
    DataFileError
        One line naming the file: unreadable, not JSON, not GeoJSON, no features, or a
        feature that is not a valid region.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")  # GIS tools on Windows add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DataFileError(f"{p.name}: cannot read regions file: {reason}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{p.name}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return regions_from_document(doc)
    except ValueError as exc:
        raise DataFileError(f"{p.name}: {exc}") from None


def save_regions(path: str | os.PathLike[str], regions: Iterable[Region]) -> None:
    """Write ``regions`` as GeoJSON, atomically (a crash never leaves half a file).

    Parameters
    ----------
    path : path-like
        Destination; replaced if it exists.
    regions : iterable of Region
    """
    text = json.dumps(
        regions_to_feature_collection(regions), ensure_ascii=False, allow_nan=False, indent=1
    )
    with atomic_target(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


__all__ = ["load_regions", "save_regions"]
