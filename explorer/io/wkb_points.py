"""Point coordinates out of a column of WKB geometries (GeoPackage through Arrow,
GeoParquet), with the same per-record problems as ever for anything not a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from explorer.core.errors import Problem
from explorer.io.arrow_buffers import from_ints

#: Bytes of a little-endian 2D WKB Point: byte order, type, x, y.
_POINT_SIZE = 21


def point_xy(wkb: Any, problems: list[Problem], where: str) -> tuple[Any, Any]:
    """(lon, lat) of a WKB Point; otherwise record a problem and return (0, 0)."""
    import shapely

    if wkb is None:
        problems.append(
            Problem("geometry", None, "geometry is missing (a site needs a Point)", where=where)
        )
        return 0, 0
    try:
        geom = shapely.from_wkb(wkb)
    except Exception:  # a corrupt blob in an otherwise readable file
        problems.append(Problem("geometry", None, "geometry is not readable", where=where))
        return 0, 0
    if geom is None or geom.is_empty:
        problems.append(
            Problem("geometry", None, "geometry is empty (a site needs a Point)", where=where)
        )
        return 0, 0
    if geom.geom_type != "Point":
        problems.append(
            Problem(
                "geometry.type",
                geom.geom_type,
                f"geometry must be a Point, got '{geom.geom_type}'",
                where=where,
            )
        )
        return 0, 0
    return geom.x, geom.y


def points(
    column: pa.Array | pa.ChunkedArray | None, n: int, label: Callable[[int], str]
) -> tuple[np.ndarray, np.ndarray, dict[int, list[Problem]]]:
    """(lon, lat, problems by record) of a WKB column; (0, 0) where a record has none.

    Plain little-endian 2D points (what GDAL, geopandas and GeoParquet writers produce)
    are decoded in one numpy pass; any other encoding goes through shapely, and what is
    not a usable point is worded by :func:`point_xy`.
    """
    lon = np.zeros(n, dtype=np.float64)
    lat = np.zeros(n, dtype=np.float64)
    pre: dict[int, list[Problem]] = {}
    if column is None:
        for i in range(n):
            pre[i] = [
                Problem(
                    "geometry", None, "geometry is missing (a site needs a Point)", where=label(i)
                )
            ]
        return lon, lat, pre
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    done = np.zeros(n, dtype=bool)
    large = pa.types.is_large_binary(arr.type)
    if n and arr.null_count == 0 and (large or pa.types.is_binary(arr.type)):
        width = np.int64 if large else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + n + 1]
        if np.all(np.diff(offsets) == _POINT_SIZE):
            buf = arr.buffers()[2]
            start = int(offsets[0])

            def field(dtype: str, at: int) -> np.ndarray:
                # One field of every 21-byte record, read in place through strides (no
                # copy of the records, no boolean gathers).
                return np.ndarray(
                    (n,), dtype=dtype, buffer=buf, offset=start + at, strides=(_POINT_SIZE,)
                )

            done = (field("u1", 0) == 1) & (field("<u4", 1) == 1)
            lon[:] = field("<f8", 5)
            lat[:] = field("<f8", 13)
            done &= np.isfinite(lon) & np.isfinite(lat)
            if not done.all():
                lon[~done] = 0.0
                lat[~done] = 0.0
    rest = np.flatnonzero(~done)
    if rest.size:
        import shapely

        values = arr.take(from_ints(rest)).to_pylist()
        geoms = shapely.from_wkb(np.array(values, dtype=object), on_invalid="ignore")
        ok = (
            (shapely.get_type_id(geoms) == 0)
            & ~shapely.is_empty(geoms)
            & np.array([v is not None for v in values], dtype=bool)
        )
        # Only the usable points are asked for x and y: GEOS raises on an empty point
        # (which WKB writes as NaN coordinates, 21 bytes like any point).
        xs, ys = np.full(rest.size, np.nan), np.full(rest.size, np.nan)
        xs[ok], ys[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
        for k, i in enumerate(rest.tolist()):
            if ok[k] and np.isfinite(xs[k]) and np.isfinite(ys[k]):
                lon[i], lat[i] = xs[k], ys[k]
                continue
            found: list[Problem] = []
            lon[i], lat[i] = point_xy(values[k], found, label(i))
            if found:
                pre[i] = found
    return lon, lat, pre


__all__ = ["point_xy", "points"]
