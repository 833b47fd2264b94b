"""GeoParquet sites files: read (any GeoParquet of points) and write (every field).

Written files follow GeoParquet 1.1: a WKB ``geometry`` column of points in WGS84
longitude/latitude (no ``crs`` member, which the specification reads as OGC:CRS84) and
the site attributes as columns, in the order of the GeoJSON properties:

``id, name, operator, tenant, province, prefecture, status, chips, power_mw,
confidence, notes, updated_at, part_of, supersedes``
    ``chips`` is the flat total of the hardware lines, for GIS users.
``hardware``
    A list of structs per site: ``chip_model, chips, servers, gpus_per_server, phase,
    status, online, chips_low, chips_high`` (absent numbers are null).
``sources``
    A list of structs per site: ``title, url, date, quote``.

The file's metadata (title, scenario, as_of...) is JSON under the Parquet key
``compute_site_explorer``. Reading accepts any GeoParquet point layer (geopandas'
``to_parquet``, GDAL, DuckDB): the flat schema (``chip_model`` + ``chips``), JSON-text
``hardware``/``sources``, another CRS (reprojected), or a plain Parquet table with
``lon``/``lat`` columns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from explorer.core.errors import DataFileError, Problem
from explorer.core.schema import Site
from explorer.io.atomic import atomic_target
from explorer.io.column_check import RawSites
from explorer.io.parquet_table import read_table, take_ahead
from explorer.io.point_layers import raw_from_table
from explorer.io.progress import Progress, report
from explorer.io.records import refuse_unwritable

#: Parquet key-value metadata holding the file's own metadata (JSON).
METADATA_KEY = b"compute_site_explorer"
GEOMETRY = "geometry"

_LINE_TYPE = pa.struct(
    [
        ("chip_model", pa.string()),
        ("chips", pa.int64()),
        ("servers", pa.int64()),
        ("gpus_per_server", pa.int64()),
        ("phase", pa.string()),
        ("status", pa.string()),
        ("online", pa.string()),
        ("chips_low", pa.int64()),
        ("chips_high", pa.int64()),
    ]
)
_SOURCE_TYPE = pa.struct(
    [("title", pa.string()), ("url", pa.string()), ("date", pa.string()), ("quote", pa.string())]
)
_TEXT = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
)
_TEXT_AFTER = ("confidence", "notes", "updated_at", "part_of", "supersedes")


def _point_wkb(lon: np.ndarray, lat: np.ndarray) -> pa.Array:
    """Little-endian 2D WKB points, built in one numpy pass."""
    n = lon.shape[0]
    rec = np.zeros((n, 21), dtype=np.uint8)
    rec[:, 0] = 1
    rec[:, 1:5] = np.frombuffer(np.array([1], dtype="<u4").tobytes(), dtype=np.uint8)
    rec[:, 5:13] = lon.astype("<f8").reshape(n, 1).view(np.uint8)
    rec[:, 13:21] = lat.astype("<f8").reshape(n, 1).view(np.uint8)
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(rec.tobytes())]
    )


def sites_table(sites: Sequence[Site], metadata: Mapping[str, Any] | None = None) -> pa.Table:
    """The GeoParquet table of ``sites`` (see the module notes)."""
    lon = np.array([s.lon for s in sites], dtype=np.float64)
    lat = np.array([s.lat for s in sites], dtype=np.float64)
    cols: dict[str, pa.Array] = {}
    for k in _TEXT:
        cols[k] = pa.array([getattr(s, k) for s in sites], type=pa.string())
    cols["chips"] = pa.array([s.chips for s in sites], type=pa.int64())
    cols["power_mw"] = pa.array([s.power_mw for s in sites], type=pa.float64())
    for k in _TEXT_AFTER:
        cols[k] = pa.array([getattr(s, k) for s in sites], type=pa.string())
    cols["hardware"] = pa.array(
        [
            [
                {
                    "chip_model": h.chip_model,
                    "chips": h.chips,
                    "servers": h.servers,
                    "gpus_per_server": h.gpus_per_server,
                    "phase": h.phase,
                    "status": h.status,
                    "online": h.online,
                    "chips_low": h.chips_low,
                    "chips_high": h.chips_high,
                }
                for h in s.hardware
            ]
            for s in sites
        ],
        type=pa.list_(_LINE_TYPE),
    )
    cols["sources"] = pa.array(
        [
            [{"title": c.title, "url": c.url, "date": c.date, "quote": c.quote} for c in s.sources]
            for s in sites
        ],
        type=pa.list_(_SOURCE_TYPE),
    )
    cols[GEOMETRY] = _point_wkb(lon, lat)
    table = pa.table(cols)
    bbox = (
        [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
        if len(sites)
        else []
    )
    geo = {
        "version": "1.1.0",
        "primary_column": GEOMETRY,
        "columns": {
            GEOMETRY: {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                **({"bbox": bbox} if bbox else {}),
            }
        },
    }
    meta = {
        b"geo": json.dumps(geo).encode(),
        METADATA_KEY: json.dumps(
            dict(metadata or {}), ensure_ascii=False, allow_nan=False
        ).encode(),
    }
    return table.replace_schema_metadata(meta)


def write_geoparquet(
    path: str | os.PathLike[str],
    sites: Sequence[Site],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``sites`` as GeoParquet, atomically (see the module notes).

    Raises
    ------
    ValidationError
        Two sites share an id.
    ValueError
        A coordinate or power is NaN or infinite, or the metadata is not JSON.
    """
    import pyarrow.parquet as pq

    sites = list(sites)
    refuse_unwritable(sites)
    table = sites_table(sites, metadata)
    with atomic_target(path) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")


def read_geoparquet_raw(
    path: str | os.PathLike[str], progress: Progress | None = None
) -> tuple[RawSites, dict[str, Any], list[Problem]]:
    """(records as raw columns, metadata, file-level problems) of a GeoParquet file.

    Raises
    ------
    DataFileError
        Missing or unreadable file, not Parquet, or no point geometry to read.
    """
    report(progress, 0.0, "reading")
    table = take_ahead(path)
    if table is None:
        table = read_table(path)
    report(progress, 0.6, "reading")
    file_meta = table.schema.metadata or {}
    problems: list[Problem] = []
    metadata: dict[str, Any] = {}
    if METADATA_KEY in file_meta:
        try:
            loaded = json.loads(file_meta[METADATA_KEY])
        except (json.JSONDecodeError, UnicodeDecodeError):
            loaded = None
        if isinstance(loaded, dict):
            metadata = loaded
        else:
            problems.append(
                Problem("metadata", None, "metadata must be a JSON object", where="file")
            )
    geometry, crs = _geometry_column(path, table, file_meta)
    if geometry is None:
        lon_lat = _lon_lat_table(path, table)
        raw = raw_from_table(
            path, lon_lat, None, None, lon_lat=(lon_lat.column("lon"), lon_lat.column("lat"))
        )
    else:
        raw = raw_from_table(path, table, geometry, crs)
    report(progress, 1.0, "reading")
    return raw, metadata, problems


def _geometry_column(
    path: str | os.PathLike[str], table: pa.Table, file_meta: Mapping[bytes, bytes]
) -> tuple[str | None, str | None]:
    """(WKB geometry column, CRS as text) from the GeoParquet metadata, or (None, None)
    for a plain table."""
    geo_text = file_meta.get(b"geo")
    if geo_text is None:
        if GEOMETRY in table.column_names and pa.types.is_binary(table.schema.field(GEOMETRY).type):
            return GEOMETRY, None
        return None, None
    try:
        geo = json.loads(geo_text)
        name = geo["primary_column"]
        info = geo["columns"][name]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DataFileError(f"{path}: unusable GeoParquet 'geo' metadata") from None
    encoding = str(info.get("encoding", "WKB"))
    if encoding.upper() != "WKB":
        raise DataFileError(
            f"{path}: geometry encoding '{encoding}' is not supported (write it as WKB)"
        )
    crs = info.get("crs")
    if crs is None:
        return name, None
    if isinstance(crs, dict):
        ident = crs.get("id")
        if isinstance(ident, dict) and (ident.get("authority"), ident.get("code")) in (
            ("EPSG", 4326),
            ("OGC", "CRS84"),
        ):
            return name, None  # WGS84 longitude/latitude: nothing to reproject
        from pyproj import CRS

        return name, CRS.from_json_dict(crs).to_string()
    return name, str(crs)


def _lon_lat_table(path: str | os.PathLike[str], table: pa.Table) -> pa.Table:
    for a, b in (("lon", "lat"), ("longitude", "latitude"), ("x", "y")):
        if a in table.column_names and b in table.column_names:
            if (a, b) != ("lon", "lat"):
                table = table.rename_columns(
                    ["lon" if c == a else "lat" if c == b else c for c in table.column_names]
                )
            return table
    raise DataFileError(
        f"{path} has no point geometry: neither GeoParquet metadata nor lon/lat columns"
    )


__all__ = ["METADATA_KEY", "read_geoparquet_raw", "sites_table", "write_geoparquet"]
