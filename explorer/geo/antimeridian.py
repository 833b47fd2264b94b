"""Polygons that cross the antimeridian (180 degrees of longitude).

Region polygons are planar in longitude/latitude, as RFC 7946 says, and RFC 7946 (3.1.9)
asks that a shape crossing the antimeridian be *cut in two* so that neither part
crosses it. Files in the wild write such a shape in one of three ways; this module
decides what each one means:

* **Split** (the RFC form): a MultiPolygon whose parts meet the meridians -180 and 180.
  Read as it is.
* **Continuous, with longitudes beyond +-180** (what a web map reports when a shape is
  drawn across the antimeridian, e.g. 170 to 190): unambiguous, since 190 can only
  mean 170 W reached by going east. Read as that shape and split at 180 here, so the
  stored region is in the RFC form. Longitudes must lie within -360..360 and the shape
  may span at most 360 degrees.
* **An edge jumping across** (e.g. a ring from 170 to -170 and back): ambiguous. As
  planar RFC 7946 GeoJSON it is a 340-degree-wide shape over Greenwich; its author
  almost certainly meant the 20-degree one across the antimeridian. Neither reading
  is safe to guess, so an edge whose ends are more than 180 degrees of longitude apart
  is refused, with a message saying how to write either shape. (A full-width edge
  from exactly -180 to 180, as in a whole-world box, is not ambiguous and is kept.)

No Qt here.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from explorer.geo.polygon_mask import polygon_edges

#: An edge longer than this in longitude could be meant either way round the world.
MAX_EDGE_LON_SPAN = 180.0

#: Longitudes beyond +-180 are read as continuing across the antimeridian, up to this.
MAX_UNWRAPPED_LON = 360.0

# Intersection points computed on the cut may land a few ulps off +-180; they are put
# back on it. Far above that rounding, far below any real feature (1e-9 deg ~ 0.1 mm).
_SNAP = 1e-9


def ambiguous_edge(geom: Polygon | MultiPolygon) -> tuple[float, float] | None:
    """The longitudes of the first edge that could go either way round the world.

    An edge is ambiguous when its ends are more than 180 and less than 360 degrees of
    longitude apart.

    Returns
    -------
    (lon_from, lon_to) or None
    """
    p, q = polygon_edges(geom)
    span = np.abs(q[:, 0] - p[:, 0])
    bad = np.flatnonzero((span > MAX_EDGE_LON_SPAN) & (span < 360.0))
    if not bad.size:
        return None
    i = int(bad[0])
    return float(p[i, 0]), float(q[i, 0])


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def ambiguity_message(name: str, lon_from: float, lon_to: float) -> str:
    """One line saying why an edge is refused and how to write each reading of it."""
    across = lon_to + 360.0 if lon_to < lon_from else lon_to - 360.0
    return (
        f"region '{name}' has an edge from longitude {_fmt(lon_from)} to {_fmt(lon_to)}, "
        f"more than 180 degrees apart, so it could run either way round the world: to "
        f"cross the antimeridian write {_fmt(lon_to)} as {_fmt(across)} or split the shape "
        f"at 180 (RFC 7946); to go the long way add a vertex between them"
    )


def _snap_to_antimeridian(coords: np.ndarray) -> np.ndarray:
    x = coords[:, 0]
    near = np.abs(np.abs(x) - 180.0) <= _SNAP
    out = coords.copy()
    out[near, 0] = np.copysign(180.0, x[near])
    return out


def _polygons_of(geom: shapely.Geometry) -> list[Polygon]:
    """The polygons with an area in an overlay result (lines and points dropped)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    return [p for p in parts if isinstance(p, Polygon) and not p.is_empty and p.area > 0]


def split_at_antimeridian(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """Cut a shape whose longitudes go beyond +-180 at the antimeridian.

    Parameters
    ----------
    geom : shapely.Polygon or shapely.MultiPolygon
        Valid, with longitudes within -360..360 spanning at most 360 degrees.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        The same area on the globe with every longitude in -180..180: the part beyond
        180 moved by -360 (beyond -180, by +360). Parts cut apart meet the meridians
        -180 and 180 exactly. May be invalid only if the input was (the caller checks).
    """
    minx, _, maxx, _ = geom.bounds
    pieces: list[Polygon] = []
    for turn in (-1, 0, 1):
        west, east = -180.0 + 360.0 * turn, 180.0 + 360.0 * turn
        if maxx <= west or minx >= east:
            continue
        part = shapely.intersection(geom, shapely.box(west, -90.0, east, 90.0))
        if turn:
            part = shapely.transform(part, lambda c, t=turn: c - np.array([360.0 * t, 0.0]))
        part = shapely.transform(part, _snap_to_antimeridian)
        pieces += _polygons_of(part)
    if len(pieces) == 1:
        return pieces[0]
    out = MultiPolygon(pieces)
    if not out.is_valid:
        # A shape exactly 360 degrees wide: its two pieces meet along a meridian.
        merged = shapely.union_all(pieces)
        polys = _polygons_of(merged)
        out = MultiPolygon(polys) if len(polys) > 1 else polys[0]
    return out


def to_lon_range(name: str, geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """The region's shape with every longitude in -180..180, or a one-line refusal.

    Parameters
    ----------
    name : str
        Region name, for messages.
    geom : shapely.Polygon or shapely.MultiPolygon
        Finite, 2D, non-empty.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        ``geom`` itself when it is already within -180..180, else the shape split at
        the antimeridian (see :func:`split_at_antimeridian`).

    Raises
    ------
    ValueError
        A longitude beyond -360..360, an ambiguous edge (see the module docstring), a
        shape more than 360 degrees wide, or (for a shape to split) an invalid one.
    """
    minx, _, maxx, _ = geom.bounds
    if minx < -MAX_UNWRAPPED_LON or maxx > MAX_UNWRAPPED_LON:
        bad = minx if minx < -MAX_UNWRAPPED_LON else maxx
        raise ValueError(
            f"region '{name}' longitude must be between -360 and 360 (beyond 180 only to "
            f"cross the antimeridian), got '{_fmt(bad)}'"
        )
    edge = ambiguous_edge(geom)
    if edge is not None:
        raise ValueError(ambiguity_message(name, *edge))
    if minx >= -180.0 and maxx <= 180.0:
        return geom
    if maxx - minx > 360.0:
        raise ValueError(
            f"region '{name}' spans more than 360 degrees of longitude, got "
            f"'{_fmt(minx)}' to '{_fmt(maxx)}'"
        )
    if not geom.is_valid:
        raise ValueError(f"region '{name}' geometry is invalid: {shapely.is_valid_reason(geom)}")
    return split_at_antimeridian(geom)


__all__ = [
    "MAX_EDGE_LON_SPAN",
    "MAX_UNWRAPPED_LON",
    "ambiguity_message",
    "ambiguous_edge",
    "split_at_antimeridian",
    "to_lon_range",
]
