"""Province lookup: which administrative area is a site in?

Reads the bundled ``explorer/geodata/basemap/provinces.geojson`` (a FeatureCollection of
Polygon/MultiPolygon features with properties ``name``, ``name_zh``, ``country``,
``focus`` and ``approximate``; see ``explorer/geodata/PROVENANCE.md``). The boundaries are
simplified and *approximate*: good for filling in a province field or totalling by
province, not for deciding a legal boundary case.

Each area is a :class:`~explorer.geo.regions.PolygonRegion`, so lookups use the same
boundary rule as region totals: a point on a boundary is in the area. A point on the
border between two areas is given to the one that comes first in the file, so the
answer is deterministic.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import shape

from explorer import GEODATA
from explorer.core.errors import DataFileError
from explorer.geo.regions import PolygonRegion

PROVINCES_FILE = GEODATA / "basemap" / "provinces.geojson"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminArea:
    """One administrative area (a province or autonomous region).

    Attributes
    ----------
    name : str
        English name, unique within the file (e.g. ``"Xinjiang"``).
    name_zh : str
        Chinese name.
    country : str
    focus : bool
        True for the areas the explorer is about (Xinjiang, Qinghai).
    approximate : bool
        True when the boundary is simplified or reconstructed.
    region : PolygonRegion
        The boundary, usable directly with :func:`explorer.geo.totals.totals`.
    """

    name: str
    name_zh: str
    country: str
    focus: bool
    approximate: bool
    region: PolygonRegion


def _text_prop(props: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = props.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}: property '{key}' is required")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where}: property '{key}' must be text, got {value!r}")
    if required and not value.strip():
        raise ValueError(f"{where}: property '{key}' must not be empty")
    return value.strip()


def _bool_prop(props: Mapping[str, Any], key: str, where: str) -> bool:
    value = props.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: property '{key}' must be true or false, got {value!r}")
    return value


class AdminAreas:
    """A set of administrative areas with fast point lookup.

    Parameters
    ----------
    areas : list of AdminArea
        In priority order for points on a shared border. Names must be unique.
    """

    def __init__(self, areas: list[AdminArea]):
        seen: set[str] = set()
        for a in areas:
            if a.name in seen:
                raise ValueError(f"duplicate admin area name '{a.name}'")
            seen.add(a.name)
        self._areas = list(areas)
        self._by_name = {a.name: a for a in self._areas}

    @classmethod
    def load(cls, path: str | os.PathLike[str] = PROVINCES_FILE) -> AdminAreas:
        """Read areas from a GeoJSON FeatureCollection.

        Raises
        ------
        DataFileError
            One line naming the file and the problem (unreadable, not JSON, a feature
            without a name, an invalid polygon, a duplicate name...).
        """
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise DataFileError(
                f"{p.name}: cannot read admin areas: {exc.strerror or exc}"
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{p.name}: not valid JSON: {exc}") from None
        try:
            return cls(_parse_areas(doc))
        except ValueError as exc:
            raise DataFileError(f"{p.name}: {exc}") from None

    def __len__(self) -> int:
        return len(self._areas)

    def __iter__(self) -> Iterator[AdminArea]:
        return iter(self._areas)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> AdminArea:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"unknown admin area '{name}' (known: {', '.join(self.names)})"
            ) from None

    @property
    def names(self) -> tuple[str, ...]:
        """Area names in file order."""
        return tuple(a.name for a in self._areas)

    @property
    def focus_names(self) -> tuple[str, ...]:
        """Names of the areas flagged ``focus`` (the explorer's subject)."""
        return tuple(a.name for a in self._areas if a.focus)

    def region(self, name: str) -> PolygonRegion:
        """The boundary of area ``name`` as a region (``KeyError`` if unknown)."""
        return self[name].region

    def provinces_at(self, lon: Any, lat: Any) -> np.ndarray:
        """The area containing each point, vectorised.

        Parameters
        ----------
        lon, lat : array_like of float
            WGS84 degrees, same shape.

        Returns
        -------
        numpy.ndarray of object
            Area name per point, ``None`` where no area contains it.
        """
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"lon and lat must have the same shape, got {x.shape} and {y.shape}")
        fx, fy = x.ravel(), y.ravel()
        out = np.full(fx.shape, None, dtype=object)
        todo = np.arange(fx.size)
        for a in self._areas:
            if not todo.size:
                break
            # Only points not yet assigned are tested: earlier areas win shared borders,
            # and each point drops out of later tests once located.
            hit = a.region.mask(fx[todo], fy[todo])
            out[todo[hit]] = a.name
            todo = todo[~hit]
        return out.reshape(x.shape)

    def province_at(self, lon: float, lat: float) -> str | None:
        """The name of the area containing one point, or ``None``."""
        result = self.provinces_at(
            np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64)
        )[0]
        return None if result is None else str(result)


def load_bundled_provinces() -> AdminAreas | None:
    """The bundled province boundaries, or None (with a log line) if they are missing or
    unreadable: province lookup is a convenience, never a reason to fail."""
    try:
        return AdminAreas.load()
    except (OSError, DataFileError, ValueError) as exc:
        log.warning("province lookup unavailable: %s", exc)
        return None


def _parse_areas(doc: Any) -> list[AdminArea]:
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise ValueError("contains no features")
    areas = []
    for i, f in enumerate(feats):
        where = f"feature {i}"
        if not isinstance(f, Mapping):
            raise ValueError(f"{where}: expected a Feature object, got {type(f).__name__}")
        props = f.get("properties") or {}
        if not isinstance(props, Mapping):
            raise ValueError(f"{where}: properties must be an object")
        name = _text_prop(props, "name", where, required=True)
        geom = f.get("geometry")
        gtype = geom.get("type") if isinstance(geom, Mapping) else None
        if gtype not in ("Polygon", "MultiPolygon"):
            raise ValueError(
                f"{where} ('{name}'): expected a Polygon or MultiPolygon, got '{gtype}'"
            )
        try:
            region = PolygonRegion(name, shape(geom))
        except ValueError as exc:
            raise ValueError(f"{where} ('{name}'): {exc}") from None
        except Exception as exc:  # malformed coordinate arrays raise various shapely errors
            raise ValueError(f"{where} ('{name}'): malformed coordinates ({exc})") from None
        areas.append(
            AdminArea(
                name=name,
                name_zh=_text_prop(props, "name_zh", where),
                country=_text_prop(props, "country", where),
                focus=_bool_prop(props, "focus", where),
                approximate=_bool_prop(props, "approximate", where),
                region=region,
            )
        )
    return areas


__all__ = ["PROVINCES_FILE", "AdminArea", "AdminAreas", "load_bundled_provinces"]
