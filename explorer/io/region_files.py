"""Region files: GeoJSON read into :class:`~explorer.geo.regions.Region` values and
written back, atomically.

The shapes and their rules live in :mod:`explorer.geo.regions`; this module only does
the file work (reading, decoding, one-line errors that name the file, atomic writes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.core.errors import DataFileError
from explorer.geo.regions import (
    Region,
    features_of,
    regions_from_document,
    regions_to_feature_collection,
)
from explorer.io.atomic import atomic_target
from explorer.io.json_text import JsonTextError, decode_json

#: Longest message about a region (the bad value the region rules quote can be huge).
MAX_MESSAGE = 300


@dataclass(frozen=True)
class RegionFile:
    """The regions of a GeoJSON file and, for each, whether the file named it.

    A feature without a ``name`` gets a placeholder name (``region 3``); a caller adding
    the regions to a project may give it a kind-aware one instead (``Polygon 3``).
    """

    regions: list[Region]
    named: list[bool]


def _has_name(feature: Any) -> bool:
    props = feature.get("properties") if isinstance(feature, Mapping) else None
    name = props.get("name") if isinstance(props, Mapping) else None
    return isinstance(name, str) and bool(name.strip())


def load_regions(path: str | os.PathLike[str]) -> list[Region]:
    """Read regions from a GeoJSON file (see :func:`read_region_file`)."""
    return read_region_file(path).regions


def read_region_file(path: str | os.PathLike[str]) -> RegionFile:
    """Read regions from a GeoJSON file, once.

    Parameters
    ----------
    path : path-like
        A FeatureCollection (or a single Feature, or a bare geometry).

    Returns
    -------
    RegionFile
        The regions in file order, and which of them the file named.

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
        doc = decode_json(text)
    except JsonTextError as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line is not None else ""
        raise DataFileError(f"{p.name}: not valid JSON: {exc.reason}{where}") from None
    try:
        regions = regions_from_document(doc)
        named = [_has_name(f) for f in features_of(doc)]
        return RegionFile(regions, named)
    except ValueError as exc:
        raise DataFileError(_bounded(f"{p.name}: {exc}")) from None


def _bounded(message: str) -> str:
    """A message quoting a value (a name that is a huge list...) cut to one screen line."""
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


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


__all__ = ["RegionFile", "load_regions", "read_region_file", "save_regions"]
