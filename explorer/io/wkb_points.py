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
    if pa.types.is_large_binary(arr.type):
        arr = arr.cast(pa.binary())
    done = np.zeros(n, dtype=bool)
    if n and arr.null_count == 0 and pa.types.is_binary(arr.type):
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
        if np.all(np.diff(offsets) == _POINT_SIZE):
            raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
            rec = raw.reshape(n, _POINT_SIZE)
            kind = rec[:, 1:5].copy().view("<u4").reshape(n)
            plain = (rec[:, 0] == 1) & (kind == 1)
            xy = rec[:, 5:21].copy().view("<f8").reshape(n, 2)
            finite = np.isfinite(xy).all(axis=1)
            done = plain & finite
            lon[done] = xy[done, 0]
            lat[done] = xy[done, 1]
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
        xs, ys = shapely.get_x(geoms), shapely.get_y(geoms)
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
