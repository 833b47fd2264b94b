"""Boundary layers: any polygon layer GDAL reads, as named regions for totals.

:func:`load_boundary_layer` reads a GeoJSON, GeoPackage, Shapefile (or anything else
GDAL opens) through pyogrio, and returns one
:class:`~explorer.geo.regions.PolygonRegion` per feature, in lon/lat (EPSG:4326), ready
for :func:`explorer.geo.totals.totals_many`. The checks run in this order:

1. the file opens and the layer exists;
2. the layer's CRS: another CRS is reprojected to EPSG:4326; a layer without one is
   taken to be lon/lat already (and the result says so);
3. geometry types: only Polygon and MultiPolygon (a layer of points or lines is an
   error, not silently skipped);
4. per feature: empty or missing geometries are skipped, invalid ones are repaired
   with ``shapely.make_valid`` keeping their polygonal parts; both are reported in
   :attr:`BoundaryLayer.warnings`;
5. names: from the given field, else the first of the usual name fields, else
   ``area N`` (N = 1-based feature number).

Every failure is a :class:`~explorer.core.errors.DataFileError` with one line naming
the file. No Qt here.
"""

from __future__ import annotations

import math
import os
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from explorer.core.errors import DataFileError
from explorer.geo.regions import MAX_NAME, PolygonRegion
from explorer.io.gdal_messages import gdal_warnings_logged

#: Name fields tried in this order when none is given (exact match first, then the
#: same names ignoring case).
NAME_FIELDS: tuple[str, ...] = (
    "name",
    "NAME",
    "Name",
    "name_en",
    "NAME_EN",
    "name_1",
    "NAME_1",
    "NAME_2",
    "NAME_3",
    "NAME_0",
    "shapeName",
    "ADMIN",
    "NAMELSAD",
    "label",
)

#: The CRS every region uses.
TARGET_CRS = "EPSG:4326"

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class BoundaryLayer:
    """What :func:`load_boundary_layer` read.

    Attributes
    ----------
    name : str
        The layer's name (the file name without extension for single-layer files).
    areas : list of PolygonRegion
        One per usable feature, in file order, in EPSG:4326.
    warnings : list of str
        One line per thing the user should know: repaired or skipped features, an
        assumed CRS, a reprojection, truncated names, other layers not read.
    name_field : str or None
        The field the names came from; None when every area is ``area N``.
    source_crs : str or None
        The layer's CRS as read (``"EPSG:3857"``...), None when it had none.
    """

    name: str
    areas: list[PolygonRegion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    name_field: str | None = None
    source_crs: str | None = None

    def __len__(self) -> int:
        return len(self.areas)

    def area_at(self, lon: float, lat: float) -> PolygonRegion | None:
        """The first area (in file order) covering the point ``(lon, lat)``, or None.

        A point on an area's boundary is inside it (``covers``, as in totals), so on a
        border shared by two areas the earlier one wins.
        """
        for area in self.areas:
            w, s, e, n = area.bounds
            if w <= lon <= e and s <= lat <= n and area.contains_point(lon, lat):
                return area
        return None


# --------------------------------------------------------------------------- checks


def _gdal_message(exc: Exception, path: Path) -> str:
    """GDAL's reason on one line, the full path replaced by the file name."""
    msg = " ".join(str(exc).split())
    msg = msg.split("; It might help", 1)[0]
    for form in (f"'{path}'", f'"{path}"', str(path)):
        msg = msg.replace(form, "")
    msg = msg.strip(" :.")
    return msg or type(exc).__name__


def _read(path: Path, layer: str | int | None) -> tuple[Any, str, list[str]]:
    """Read the layer with pyogrio: (GeoDataFrame, layer name, warnings)."""
    import pyogrio  # GDAL is only loaded when a boundary layer is actually read
    from pyogrio.errors import DataLayerError, DataSourceError

    if not path.exists():
        raise DataFileError(f"{path.name}: cannot read boundary layer: no such file")
    notes: list[str] = []
    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError, RuntimeError) as exc:
        raise DataFileError(
            f"{path.name}: cannot read boundary layer: {_gdal_message(exc, path)}"
        ) from None
    names = [str(row[0]) for row in layers]
    if not names:
        raise DataFileError(f"{path.name}: contains no layers")
    if layer is None:
        chosen = names[0]
        if len(names) > 1:
            others = ", ".join(f"'{n}'" for n in names[1:])
            notes.append(f"read layer '{chosen}'; the file also has {others}")
    elif isinstance(layer, int) and not isinstance(layer, bool):
        if not 0 <= layer < len(names):
            raise DataFileError(f"{path.name}: no layer number {layer} (the file has {len(names)})")
        chosen = names[layer]
    else:
        if layer not in names:
            raise DataFileError(f"{path.name}: no layer '{layer}' (layers: {', '.join(names)})")
        chosen = str(layer)
    try:
        with _warnings.catch_warnings():
            # GDAL's notes on e.g. measured geometries are not the user's concern here.
            _warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, layer=chosen)
    except Exception as exc:  # pyogrio/GDAL raise several types for a corrupt file
        raise DataFileError(
            f"{path.name}: cannot read layer '{chosen}': {_gdal_message(exc, path)}"
        ) from None
    return gdf, chosen, notes


def _crs_label(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _to_lonlat(gdf: Any, path: Path, notes: list[str]) -> tuple[Any, str | None]:
    """Reproject to EPSG:4326 when the layer has another CRS."""
    from pyproj import CRS

    if gdf.crs is None:
        notes.append("the layer has no CRS: coordinates are taken as lon/lat (EPSG:4326)")
        return gdf, None
    label = _crs_label(gdf.crs)
    if gdf.crs.equals(CRS.from_user_input(TARGET_CRS), ignore_axis_order=True):
        return gdf, label
    try:
        out = gdf.to_crs(TARGET_CRS)
    except Exception as exc:  # pyproj raises CRSError / ProjError
        raise DataFileError(
            f"{path.name}: cannot reproject from {label} to {TARGET_CRS}: {exc}"
        ) from None
    notes.append(f"reprojected from {label} to {TARGET_CRS}")
    return out, label


def _check_polygonal(gdf: Any, path: Path, layer: str) -> None:
    types = [t for t in gdf.geometry.geom_type.dropna().unique().tolist() if t]
    other = sorted(t for t in types if t not in _POLYGONAL)
    if other:
        raise DataFileError(
            f"{path.name}: layer '{layer}' holds {', '.join(other)} geometries; "
            "a boundary layer needs Polygon or MultiPolygon features"
        )


def _pick_name_field(columns: Sequence[str], name_field: str | None, path: Path) -> str | None:
    cols = [c for c in columns if c != "geometry"]
    if name_field is not None:
        if name_field not in cols:
            shown = ", ".join(cols) if cols else "none"
            raise DataFileError(f"{path.name}: no field '{name_field}' (fields: {shown})")
        return name_field
    for cand in NAME_FIELDS:
        if cand in cols:
            return cand
    folded = {c.casefold(): c for c in reversed(cols)}
    for cand in NAME_FIELDS:
        if cand.casefold() in folded:
            return folded[cand.casefold()]
    for c in cols:
        if "name" in c.casefold():
            return c
    return None


def _name_of(value: Any, number: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"area {number}"
    text = " ".join(str(value).split())  # one line: tabs and newlines become spaces
    return text or f"area {number}"


def _polygonal_part(geom: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygons of ``geom`` (e.g. what ``make_valid`` returned), or None."""
    if isinstance(geom, Polygon | MultiPolygon):
        return None if geom.is_empty else geom
    polys: list[Polygon] = []
    for part in shapely.get_parts(geom).tolist():
        if isinstance(part, Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(p for p in part.geoms if not p.is_empty)
    if not polys:
        return None
    out = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    if not out.is_valid:  # parts that touch along an edge: merge them
        merged = shapely.union_all(polys)
        out = merged if isinstance(merged, Polygon | MultiPolygon) else out
    return out


def _features_of(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    return f"{'feature' if len(numbers) == 1 else 'features'} {shown}{more}"


# --------------------------------------------------------------------------- public API


@gdal_warnings_logged  # listing the layers warns too, not only reading them
def load_boundary_layer(
    path: str | os.PathLike[str],
    name_field: str | None = None,
    *,
    layer: str | int | None = None,
) -> BoundaryLayer:
    """Read a polygon layer as named lon/lat regions.

    Parameters
    ----------
    path : path-like
        A file GDAL can open: GeoJSON, GeoPackage, Shapefile (``.shp`` with its
        ``.shx``/``.dbf``/``.prj``)...
    name_field : str, optional
        Field holding the area names. Default: the first of :data:`NAME_FIELDS`
        present (exact, then ignoring case), else the first field whose name contains
        "name", else none (areas are named ``area N``).
    layer : str or int, optional
        Layer name or 0-based number; default the first layer.

    Returns
    -------
    BoundaryLayer

    Raises
    ------
    DataFileError
        One line naming the file: missing or unreadable, no such layer or field, a
        layer of points or lines, a CRS that cannot be reprojected, coordinates that are
        not lon/lat after reprojection, or no usable polygon at all.
    """
    p = Path(path)
    gdf, layer_name, notes = _read(p, layer)
    if len(gdf) == 0:
        raise DataFileError(f"{p.name}: layer '{layer_name}' contains no features")
    _check_polygonal(gdf, p, layer_name)
    gdf, source_crs = _to_lonlat(gdf, p, notes)
    field_name = _pick_name_field(list(gdf.columns), name_field, p)
    values = gdf[field_name].tolist() if field_name is not None else [None] * len(gdf)

    areas: list[PolygonRegion] = []
    empty: list[int] = []
    truncated: list[int] = []
    for i, (geom, value) in enumerate(zip(gdf.geometry.tolist(), values, strict=True)):
        number = i + 1
        name = _name_of(value, number)
        if len(name) > MAX_NAME:
            name = name[:MAX_NAME]
            truncated.append(number)
        if geom is None or geom.is_empty:
            empty.append(number)
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = _polygonal_part(shapely.make_valid(geom))
            if fixed is None:
                notes.append(
                    f"feature {number} ('{name}'): invalid geometry ({reason}) "
                    "has no area once repaired; skipped"
                )
                continue
            notes.append(f"feature {number} ('{name}'): invalid geometry ({reason}) repaired")
            geom = fixed
        try:
            areas.append(PolygonRegion(name, geom, kind="polygon"))
        except ValueError as exc:
            hint = (
                " (the layer has no CRS; are these lon/lat degrees?)" if source_crs is None else ""
            )
            raise DataFileError(f"{p.name}: feature {number}: {exc}{hint}") from None
    if empty:
        notes.append(f"skipped {_features_of(empty)}: empty or missing geometry")
    if truncated:
        notes.append(f"names of {_features_of(truncated)} cut to {MAX_NAME} characters")
    if not areas:
        raise DataFileError(f"{p.name}: layer '{layer_name}' has no polygon with an area")
    shown_name = p.stem if layer_name in ("", p.stem) else layer_name
    return BoundaryLayer(
        name=shown_name,
        areas=areas,
        warnings=notes,
        name_field=field_name,
        source_crs=source_crs,
    )


__all__ = ["NAME_FIELDS", "TARGET_CRS", "BoundaryLayer", "load_boundary_layer"]
