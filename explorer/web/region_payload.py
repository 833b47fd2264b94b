"""What the map page is told about a region, and how page geometry becomes a region.

Qt-free, so both directions can be tested without a QApplication.

* :func:`region_payload` is the JSON-ready dict the page draws: the region's own
  geometry (the densified polygon or the geodesic circle's outline, i.e. exactly what
  totals use), its name for the label, and the handles offered for editing.
* :func:`region_from_drawing` turns a checked page payload (``{"vertices": ...}`` or
  ``{"center": ..., "radius_m": ...}``) into a :class:`RegionEntry`. Polygons go
  through :func:`~explorer.geo.regions.mercator_polygon` so an edge that was straight
  on the Web Mercator screen is the edge that totals use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from explorer.geo import regions as geo_regions
from explorer.geo.region_store import RegionEntry, Vertex
from explorer.geo.regions import (
    MERCATOR_MAX_LAT,
    CircleRegion,
    PolygonRegion,
    mercator_polygon,
    rectangle,
)

# The kinds, modes and bounds are the page protocol's (DRAW_MODES is re-exported for
# the region controller).
from explorer.web.protocol import (
    DRAW_KINDS,
    DRAW_MODES,
    MAX_DRAWN_VERTICES,
    MAX_RADIUS_M,
    MIN_RADIUS_M,
)

#: Azimuth of a circle's radius handle (due east of the centre).
RADIUS_HANDLE_AZIMUTH = 90.0


def _lon_lat_pairs(ring: Sequence[Sequence[float]]) -> list[list[float]]:
    return [[float(x), float(y)] for x, y, *_ in ring]


def _polygon_rings(geom: Polygon | MultiPolygon) -> list[list[list[list[float]]]]:
    """``[[exterior, hole...], ...]`` with ``[lon, lat]`` vertices (rings left open)."""
    parts = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    out = []
    for part in parts:
        rings = [part.exterior, *part.interiors]
        # Shapely closes rings; the page (Leaflet) closes them itself.
        out.append([_lon_lat_pairs(list(r.coords)[:-1]) for r in rings])
    return out


def rectangle_corners(w: float, s: float, e: float, n: float) -> tuple[Vertex, ...]:
    """The four corners counter-clockwise from the south-west: SW, SE, NE, NW."""
    return ((w, s), (e, s), (e, n), (w, n))


def region_handles(entry: RegionEntry) -> list[list[float]]:
    """Editing handles for ``entry`` as ``[lon, lat]`` pairs (empty: not editable).

    * polygon: the vertices the user drew (imported polygons have none);
    * rectangle: its four corners, SW, SE, NE, NW (single-part rectangles only);
    * circle: the centre, then a radius handle due east at the radius.
    """
    region = entry.region
    if isinstance(region, CircleRegion):
        # GEOD through the module: pyproj is loaded on a circle's first handle, not
        # when the map starts.
        lon, lat, _ = geo_regions.GEOD.fwd(
            region.lon, region.lat, RADIUS_HANDLE_AZIMUTH, region.radius_m
        )
        return [[region.lon, region.lat], [float(lon), float(lat)]]
    if isinstance(region, PolygonRegion):
        if region.kind == "rectangle":
            if not isinstance(region.geometry, Polygon):
                return []  # crosses the antimeridian: two parts, no single box to edit
            return [list(c) for c in rectangle_corners(*region.bounds)]
        return [list(v) for v in entry.drawn]
    return []


def region_payload(entry: RegionEntry) -> dict[str, Any]:
    """The fields of ``entry`` the map page draws.

    Returns
    -------
    dict
        ``{id, name, kind, polygons, handles, center, radius_m}``: ``polygons`` is
        ``[[exterior, hole...], ...]`` of ``[lon, lat]`` (for a circle, its geodesic
        outline); ``center``/``radius_m`` are set for circles only, else ``None``.
    """
    region = entry.region
    circle = region if isinstance(region, CircleRegion) else None
    return {
        "id": entry.id,
        "name": region.name,
        "kind": entry.kind,
        "polygons": _polygon_rings(region.geometry),
        "handles": region_handles(entry),
        "center": [circle.lon, circle.lat] if circle else None,
        "radius_m": circle.radius_m if circle else None,
    }


# ---------------------------------------------------------------------- page → region
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_vertex(value: Any) -> Vertex | None:
    """``(lon, lat)`` if ``value`` is ``[lon, lat]`` of finite numbers that Web Mercator
    can show (lon -180..180, |lat| <= 85.0511), else ``None``."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    lon, lat = value
    if not (_is_number(lon) and _is_number(lat)):
        return None
    x, y = float(lon), float(lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    if not (-180.0 <= x <= 180.0 and -MERCATOR_MAX_LAT <= y <= MERCATOR_MAX_LAT):
        return None
    return x, y


def check_drawing(kind: Any, payload: Any) -> dict[str, Any] | None:
    """A page payload for a ``kind`` shape, checked; ``None`` if malformed.

    Accepted shapes (no other keys):

    * polygon: ``{"vertices": [[lon, lat], ...]}`` with 3 to ``MAX_DRAWN_VERTICES`` vertices;
    * rectangle: ``{"vertices": [...]}`` with 2 (opposite corners) or 4 corners;
    * circle: ``{"center": [lon, lat], "radius_m": r}`` with
      ``MIN_RADIUS_M <= r <= MAX_RADIUS_M``.

    Returns
    -------
    dict or None
        ``{"vertices": [(lon, lat), ...]}`` or ``{"center": (lon, lat), "radius_m": r}``
        with plain floats.
    """
    if kind not in DRAW_KINDS or not isinstance(payload, Mapping):
        return None
    if kind == "circle":
        if set(payload) != {"center", "radius_m"}:
            return None
        center = check_vertex(payload["center"])
        r = payload["radius_m"]
        if center is None or not _is_number(r) or not math.isfinite(r):
            return None
        if not MIN_RADIUS_M <= float(r) <= MAX_RADIUS_M:
            return None
        return {"center": center, "radius_m": float(r)}
    if set(payload) != {"vertices"}:
        return None
    raw = payload["vertices"]
    if not isinstance(raw, list | tuple) or len(raw) > MAX_DRAWN_VERTICES:
        return None
    if kind == "polygon" and len(raw) < 3:
        return None
    if kind == "rectangle" and len(raw) not in (2, 4):
        return None
    vertices = [check_vertex(v) for v in raw]
    if any(v is None for v in vertices):
        return None
    return {"vertices": vertices}


def region_from_drawing(rid: str, name: str, kind: str, shape: Mapping[str, Any]) -> RegionEntry:
    """Build the entry for a shape drawn (or edited) on the map.

    Parameters
    ----------
    rid, name : str
        Id and display name of the entry.
    kind : {"polygon", "rectangle", "circle"}
    shape : mapping
        A payload checked by :func:`check_drawing`.

    Returns
    -------
    RegionEntry
        polygon: ``mercator_polygon(name, vertices)`` (densified), ``drawn`` = the
        vertices; rectangle: ``rectangle(name, w, s, e, n)`` from the corners' extent,
        ``drawn`` = its corners SW, SE, NE, NW; circle: ``CircleRegion``, no ``drawn``.

    Raises
    ------
    ValueError
        If the shape is not a valid region (fewer than 3 distinct vertices, crossing
        edges, a flat rectangle...); the message says why.
    """
    if kind == "circle":
        lon, lat = shape["center"]
        return RegionEntry(rid, CircleRegion(name, lon, lat, shape["radius_m"]))
    vertices: list[Vertex] = [(float(x), float(y)) for x, y in shape["vertices"]]
    if kind == "rectangle":
        lons = [v[0] for v in vertices]
        lats = [v[1] for v in vertices]
        w, s, e, n = min(lons), min(lats), max(lons), max(lats)
        return RegionEntry(rid, rectangle(name, w, s, e, n), rectangle_corners(w, s, e, n))
    if kind == "polygon":
        # A ring the page closed by repeating the first vertex is the same polygon.
        if len(vertices) > 3 and vertices[0] == vertices[-1]:
            vertices = vertices[:-1]
        return RegionEntry(rid, mercator_polygon(name, vertices), tuple(vertices))
    raise ValueError(f"kind must be one of {', '.join(DRAW_KINDS)}, got '{kind}'")


__all__ = [
    "DRAW_MODES",
    "check_drawing",
    "check_vertex",
    "rectangle_corners",
    "region_from_drawing",
    "region_handles",
    "region_payload",
]
