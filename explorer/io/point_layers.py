"""Any point layer of a GeoPackage as a sites file.

A GeoPackage saved by QGIS, geopandas or ogr2ogr with a point layer of sites (no
Compute Site Explorer project table) opens as sites: the layer's attribute columns are
read as a sites file's properties, in the flat schema when it has ``chip_model`` and
``chips`` columns (or with ``hardware``/``sources`` as JSON text), its points as the
sites' locations, reprojected to WGS84 when the layer is in another CRS. A file with
several point layers needs the layer named (``--layer`` on the command line, a picker in
the window).

The layer is read through Arrow (pyogrio), in one columnar pass.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from explorer.core.errors import DataFileError, Problem
from explorer.io.arrow_buffers import from_ints, ints, valid
from explorer.io.arrow_values import combine
from explorer.io.column_check import LINE_KEYS, SOURCE_KEYS, ChildRows, RawSites, value_at
from explorer.io.layer_choice import LayerChoiceNeeded
from explorer.io.progress import Progress, report
from explorer.io.record_columns import explode
from explorer.io.records import decode_json_list, record_label
from explorer.io.wkb_points import points

log = logging.getLogger(__name__)

#: Features per Arrow batch read from a layer of a file under :data:`_SMALL_FILE` bytes.
_BATCH = 1 << 20
#: SQLite keeps text as it is, so no column of a smaller file holds 2 GiB of text: one
#: batch of it cannot overflow Arrow's 32-bit string offsets.
_SMALL_FILE = 1 << 31

#: Geometry types that hold sites.
POINT_TYPES = ("Point", "Point Z", "Point M", "Point ZM", "3D Point")


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a GeoPackage: its name and geometry type (None: attribute table)."""

    name: str
    geometry_type: str | None

    @property
    def is_points(self) -> bool:
        return self.geometry_type in POINT_TYPES


def choose_point_layer(
    path: str | os.PathLike[str], infos: list[LayerInfo], layer: str | None
) -> str:
    """The layer to read as sites: ``layer`` if given (it must be a point layer), else
    the file's only point layer.

    Raises
    ------
    LayerChoiceNeeded
        Several point layers and no ``layer``.
    DataFileError
        No such layer, not a point layer, or no point layer at all.
    """
    point_layers = tuple(i.name for i in infos if i.is_points)
    if layer is not None:
        found = [i for i in infos if i.name == layer]
        if not found:
            known = ", ".join(f"'{i.name}'" for i in infos) or "none"
            raise DataFileError(f"{path} has no layer '{layer}' (layers: {known})")
        if not found[0].is_points:
            kind = found[0].geometry_type or "no geometry"
            raise DataFileError(
                f"{path}: layer '{layer}' is not a point layer ({kind}); sites need points"
            )
        return layer
    if len(point_layers) == 1:
        return point_layers[0]
    if not point_layers:
        listed = ", ".join(f"'{i.name}' ({i.geometry_type or 'no geometry'})" for i in infos)
        raise DataFileError(
            f"{path} is not a Compute Site Explorer project and has no point layer to read "
            f"as sites (layers: {listed or 'none'})"
        )
    raise LayerChoiceNeeded(path, point_layers)


def read_arrow_layer(path: str | os.PathLike[str], layer: str) -> tuple[dict[str, Any], pa.Table]:
    """(layer info, table in feature order) of one layer, through Arrow."""
    import pyogrio

    try:
        # GDAL's remarks on the file's bookkeeping go to the log, as everywhere
        # (explorer.io.gdal_messages); through Arrow, pyogrio raises them from a context
        # manager, so they are recognised by the call that made them, not by file name.
        with warnings.catch_warnings(record=True) as remarks:
            warnings.simplefilter("always", RuntimeWarning)
            meta, table = pyogrio.read_arrow(
                str(path), layer=layer, return_fids=True, batch_size=_batch_size(path)
            )
    except Exception as exc:  # corrupt pages, bad geometry blobs...
        raise DataFileError(f"{path}: cannot read layer '{layer}' ({_one_line(exc)})") from None
    for remark in remarks:
        if issubclass(remark.category, RuntimeWarning):
            log.info("GDAL: %s", remark.message)
        else:
            warnings.warn_explicit(remark.message, remark.category, remark.filename, remark.lineno)
    fid_name = "fid" if "fid" in table.column_names else None
    if fid_name is not None:
        fids = ints(combine(table.column(fid_name)))
        if fids.size and np.any(np.diff(fids) < 0):
            table = table.take(from_ints(np.argsort(fids, kind="stable")))
        table = table.drop_columns([fid_name])
    return dict(meta), table


def _batch_size(path: str | os.PathLike[str]) -> int:
    """Features per batch: a layer of a file under 2 GiB in chunks of a million, not 16
    chunks of pyogrio's 65,536 that the checks would copy into one again (a quarter of a
    second of CPU at a million sites); pyogrio's own size for larger files."""
    try:
        small = os.path.getsize(path) < _SMALL_FILE
    except OSError:
        small = False
    return _BATCH if small else 65_536


def to_wgs84(
    path: str | os.PathLike[str], crs: str | None, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in WGS84 longitude/latitude (unchanged when already so or unknown)."""
    if not crs or crs.upper() in ("EPSG:4326", "OGC:CRS84", "CRS84"):
        return lon, lat
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise DataFileError(f"{path}: unknown coordinate reference system ({exc})") from None
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return lon, lat
    transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def raw_from_table(
    path: str | os.PathLike[str],
    table: pa.Table,
    geometry: str | None,
    crs: str | None,
    *,
    label_kind: str = "feature",
    lon_lat: tuple[Any, Any] | None = None,
) -> RawSites:
    """Raw site columns of an Arrow table of features (one per site) with WKB points,
    or with the coordinates given as ``lon_lat`` columns (``geometry`` and ``crs`` are
    then not used).

    ``hardware``/``sources`` columns, when present, are JSON text (or lists of
    objects); without ``hardware``, ``chip_model`` and ``chips`` are the flat schema.
    """
    n = table.num_rows
    # One contiguous chunk per column, once: every check below reads whole columns.
    table = table.combine_chunks()
    names = [c for c in table.column_names if c != geometry]
    columns: dict[str, Any] = {c: table.column(c) for c in names}

    def label(i: int) -> str:
        return f"{label_kind} {i + 1}"

    lon: Any
    lat: Any
    pre: dict[int, list[Problem]] = {}
    if lon_lat is not None:
        lon, lat = lon_lat
    else:
        col = table.column(geometry) if geometry is not None else None
        lon, lat, pre = points(
            col, n, lambda i: record_label(label(i), value_at(columns.get("id", pa.nulls(n)), i))
        )
        ok = np.ones(n, dtype=bool)
        ok[list(pre)] = False
        if ok.any():
            x, y = to_wgs84(path, crs, lon[ok], lat[ok])
            lon[ok], lat[ok] = x, y
    flat_file = "hardware" not in columns and "chip_model" in columns
    flat = np.full(n, flat_file, dtype=bool)
    odd = np.zeros(n, dtype=bool)
    children: dict[str, ChildRows] = {}
    values_of: dict[str, Callable[[int], Any]] = {}
    for key, keys in (("hardware", LINE_KEYS), ("sources", SOURCE_KEYS)):
        if key not in columns:
            children[key] = ChildRows(np.zeros(0, dtype=np.int64), {})
            values_of[key] = _none
            continue
        col = combine(columns.pop(key))
        if _is_list_of_structs(col.type):
            # A list of structs per record (GeoParquet as this application writes it):
            # the rows are the list items, read as columns; no Python value per item.
            children[key] = _struct_rows(col, keys, odd)
            values_of[key] = _value_of(col)
            continue
        values = _pylist(col)
        for i, v in enumerate(values):
            if isinstance(v, str):
                found: list[Problem] = []
                values[i] = decode_json_list(
                    v,
                    key,
                    found,
                    record_label(label(i), value_at(columns.get("id", pa.nulls(n)), i)),
                )
                if found:
                    pre.setdefault(i, []).extend(found)
        children[key] = explode(values, keys, odd)
        values_of[key] = values.__getitem__
    return RawSites(
        n=n,
        label=label,
        columns=columns,
        lon=lon,
        lat=lat,
        flat=flat,
        lines=children["hardware"],
        sources=children["sources"],
        pre=pre,
        odd=odd,
        hardware_value=values_of["hardware"],
        sources_value=values_of["sources"],
    )


def _none(i: int) -> None:
    return None


def _value_of(col: pa.Array) -> Callable[[int], Any]:
    """``f(i)``: record ``i``'s list as Python values (for the per-record path)."""
    return lambda i: col[i].as_py()


def _is_list_of_structs(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_struct(t.value_type)


def _struct_rows(col: pa.Array, keys: Sequence[str], odd: np.ndarray) -> ChildRows:
    """Child rows of a list-of-structs column: one per item, its record from the list's
    offsets. A record whose list holds a null item is marked ``odd`` (as a list holding
    something other than an object is), so the per-record path words it."""
    items = col.flatten()
    site = ints(pc.list_parent_indices(col)) if len(items) else np.zeros(0, dtype=np.int64)
    if items.null_count:
        odd[site[~valid(items)]] = True
    names = {items.type.field(j).name for j in range(items.type.num_fields)}
    return ChildRows(site, {k: items.field(k) for k in keys if k in names})


def _pylist(col: pa.Array | pa.ChunkedArray) -> list[Any]:
    return list(col.to_pylist())


def read_point_layer_raw(
    path: str | os.PathLike[str], layer: str, progress: Progress | None = None
) -> RawSites:
    """Raw site columns of a GeoPackage point layer (see the module notes)."""
    report(progress, 0.0, f"reading layer '{layer}'")
    meta, table = read_arrow_layer(path, layer)
    report(progress, 0.8, f"reading layer '{layer}'")
    geometry = meta.get("geometry_name") or None
    if geometry is not None and geometry not in table.column_names:
        geometry = "wkb_geometry" if "wkb_geometry" in table.column_names else None
    raw = raw_from_table(path, table, geometry, meta.get("crs"))
    report(progress, 1.0, f"reading layer '{layer}'")
    return raw


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")


__all__ = [
    "LayerChoiceNeeded",
    "LayerInfo",
    "POINT_TYPES",
    "choose_point_layer",
    "raw_from_table",
    "read_arrow_layer",
    "read_point_layer_raw",
    "to_wgs84",
]
