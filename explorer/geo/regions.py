"""Regions an analyst draws or loads: polygons, rectangles and geodesic circles.

Every region answers one question fast: which of these sites (given as longitude and
latitude arrays) lie inside me? The answers follow two documented rules.

* Polygons and rectangles live in planar longitude/latitude, as RFC 7946 GeoJSON says,
  and a site on the boundary counts as inside (the ``covers`` predicate). A shape that
  crosses the antimeridian is stored split at 180, as RFC 7946 asks; see
  :mod:`explorer.geo.antimeridian` for the forms that are read and the one refused. A polygon
  drawn on a Web Mercator map has edges that were straight *on screen*; pass its
  vertices through :func:`mercator_polygon` so the stored lon/lat polygon matches what
  the user saw.
* Circles are geodesic on the WGS84 ellipsoid: a site is inside iff its geodesic
  distance from the centre is at most the radius. The circle's polygon outline exists
  for drawing and export only; it is never used to decide membership.

No Qt here: the module is used by the headless CLI and by the tests.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from explorer.geo.antimeridian import MAX_EDGE_LON_SPAN, to_lon_range
from explorer.geo.limits import MAX_NAME, MERCATOR_MAX_LAT
from explorer.geo.polygon_mask import PolygonMask

if TYPE_CHECKING:
    from pyproj import Geod


@cache
def _geod() -> Geod:
    """The one ellipsoid used for all geodesic work (pyproj loaded on first use: a tenth
    of a second that ``explorer totals`` with polygon regions never needs)."""
    from pyproj import Geod

    return Geod(ellps="WGS84")


def __getattr__(name: str) -> Any:
    # ``GEOD``, the module's public ellipsoid, built when first asked for.
    if name == "GEOD":
        return _geod()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


POLYGON_KINDS: tuple[str, ...] = ("polygon", "rectangle")

# --- Bounds used by the circle's spherical shortcut -----------------------------------
# With geodetic latitude used as spherical latitude, the WGS84 line element is
# ds^2 = M^2 dphi^2 + N^2 cos^2(phi) dlambda^2 against R^2 (dphi^2 + cos^2(phi) dlambda^2)
# on a sphere of radius R. M (meridional) and N (prime vertical) radii of curvature lie in
# [a(1 - e^2), a / sqrt(1 - e^2)], so every curve's length, and hence every shortest
# distance, satisfies  K_LO * d_sphere <= d_ellipsoid <= K_HI * d_sphere.  That lets us
# accept or reject most candidates with cheap haversine maths and send only a thin annulus
# to the exact (slower) pyproj geodesic.
_A = 6_378_137.0
_E2 = 0.00669437999014  # WGS84 first eccentricity squared
_R = 6_371_008.8  # mean Earth radius used for the haversine
_K_LO = _A * (1 - _E2) / _R  # about 0.99441
_K_HI = _A / math.sqrt(1 - _E2) / _R  # about 1.00448
# Slack for floating-point error in the haversine itself (far larger than needed).
_REL_SLACK = 1e-9


# =========================================================================== base class


class Region(ABC):
    """A named area that can test many points at once.

    Concrete regions are frozen dataclasses: :class:`PolygonRegion` (polygons and
    rectangles) and :class:`CircleRegion`.

    Attributes
    ----------
    name : str
        Label shown to the user and written to files.
    geometry : shapely geometry
        The shape for drawing and export (a field on polygons, a computed outline on
        circles). Declared here as an annotation only: an abstract property would shadow
        the dataclass field of the same name in :class:`PolygonRegion`.
    """

    name: str
    geometry: BaseGeometry

    @abstractmethod
    def mask(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which points lie in the region.

        Parameters
        ----------
        lon, lat : array_like of float
            WGS84 degrees, same shape. Non-finite coordinates are never inside.

        Returns
        -------
        numpy.ndarray of bool
            Same shape as the inputs.
        """

    @property
    @abstractmethod
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` in degrees."""

    @abstractmethod
    def to_feature(self) -> dict[str, Any]:
        """The region as a GeoJSON Feature that :func:`region_from_feature` reads back."""

    def contains_point(self, lon: float, lat: float) -> bool:
        """Scalar convenience wrapper over :meth:`mask`."""
        return bool(self.mask(np.array([lon], dtype=float), np.array([lat], dtype=float))[0])


def _as_xy(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float64 arrays of one shape; a shape mismatch is a caller bug, so raise."""
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat must have the same shape, got {x.shape} and {y.shape}")
    return x, y


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValueError(f"region name must be text, got {name!r}")
    if not name.strip():
        raise ValueError("region name must not be empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"region name is longer than {MAX_NAME} characters, got '{name[:40]}...'")
    return name


def _magnitude(value: float | np.number[Any, Any]) -> float | np.number[Any, Any]:
    """``abs(value)``, taken per branch: mypy joins ``abs`` of the union to ``object``."""
    return abs(value) if isinstance(value, np.number) else abs(value)


def _check_lon_lat(lon: Any, lat: Any, what: str) -> tuple[float, float]:
    for label, value, limit in (("longitude", lon, 180.0), ("latitude", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ValueError(f"{what} {label} must be a number, got '{value}'")
        if not math.isfinite(value) or _magnitude(value) > limit:
            raise ValueError(
                f"{what} {label} must be between {-limit:g} and {limit:g}, got '{value}'"
            )
    return float(lon), float(lat)


# =========================================================================== polygons


@dataclass(frozen=True)
class PolygonRegion(Region):
    """A polygon or multipolygon in planar WGS84 longitude/latitude.

    A point on the boundary (an edge or a vertex) is inside: membership uses
    ``covers`` semantics, which for a point is the same as ``intersects``.

    Parameters
    ----------
    name : str
        Label for the region.
    geometry : shapely.Polygon or shapely.MultiPolygon
        Valid, non-empty, finite, within lat -90..90. Z values are dropped. Edges are
        straight in lon/lat; see :func:`mercator_polygon` for shapes drawn on a Web
        Mercator map. Longitudes lie within -180..180, except that a shape crossing
        the antimeridian may be given with longitudes beyond +-180 (up to +-360, e.g.
        170 to 190): it is stored split at 180, as RFC 7946 asks. An edge whose ends
        are more than 180 degrees of longitude apart is refused as ambiguous (see
        :mod:`explorer.geo.antimeridian`).
    kind : {"polygon", "rectangle"}
        How the region was made; kept for the UI and written to files.

    Raises
    ------
    ValueError
        If any of the above does not hold; the message quotes the reason.
    """

    name: str
    geometry: Polygon | MultiPolygon
    kind: str = "polygon"

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.kind not in POLYGON_KINDS:
            raise ValueError(
                f"polygon kind must be one of {', '.join(POLYGON_KINDS)}, got '{self.kind}'"
            )
        geom = self.geometry
        if not isinstance(geom, Polygon | MultiPolygon):
            raise ValueError(
                f"region geometry must be a Polygon or MultiPolygon, got '{geom.geom_type}'"
                if isinstance(geom, BaseGeometry)
                else f"region geometry must be a Polygon or MultiPolygon, got {geom!r}"
            )
        if geom.is_empty:
            raise ValueError(f"region '{self.name}' has an empty geometry")
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            raise ValueError(f"region '{self.name}' has a non-finite coordinate")
        _, miny, _, maxy = geom.bounds
        if miny < -90 or maxy > 90:
            bad = miny if miny < -90 else maxy
            raise ValueError(
                f"region '{self.name}' latitude must be between -90 and 90, got '{bad}'"
            )
        # Across the antimeridian: the RFC 7946 split form as it is, longitudes beyond
        # +-180 split here, an edge that could go either way round the world refused.
        geom = to_lon_range(self.name, geom)
        if not geom.is_valid:
            raise ValueError(
                f"region '{self.name}' geometry is invalid: {shapely.is_valid_reason(geom)}"
            )
        # Preparing builds GEOS's indexed point-in-area locator once, so every later
        # mask() call is logarithmic in the vertex count. It does not change the shape.
        shapely.prepare(geom)
        object.__setattr__(self, "geometry", geom)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = self.geometry.bounds
        return (b[0], b[1], b[2], b[3])

    def mask(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = _as_xy(lon, lat)
        flat_x, flat_y = x.ravel(), y.ravel()
        out = self._engine(flat_x, flat_y)
        # Longitudes 180 and -180 are one meridian. A region that reaches it from one
        # side holds a site there however its longitude is written.
        minx, _, maxx, _ = self.bounds
        for reached, other in ((maxx == 180.0, -180.0), (minx == -180.0, 180.0)):
            if reached:
                at = np.flatnonzero(flat_x == other)
                if at.size:
                    out[at] |= self._engine(np.full(at.size, -other), flat_y[at])
        return out.reshape(x.shape)

    @cached_property
    def _engine(self) -> PolygonMask:
        """The exact vectorised covers test (see :mod:`explorer.geo.polygon_mask`)."""
        return PolygonMask(self.geometry)

    def to_feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": mapping(_rfc7946_orient(self.geometry)),
            "properties": {"name": self.name, "kind": self.kind},
        }


def _rfc7946_orient(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """Exterior rings counter-clockwise, holes clockwise, as RFC 7946 recommends."""
    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    return MultiPolygon([orient(p, 1.0) for p in geom.geoms])


def rectangle(name: str, west: float, south: float, east: float, north: float) -> PolygonRegion:
    """A lon/lat-aligned rectangle (kind ``"rectangle"``).

    Parameters
    ----------
    name : str
        Label for the region.
    west, south, east, north : float
        Edges in degrees. ``south < north``. If ``west > east`` the rectangle crosses
        the antimeridian and is stored as two parts.

    Returns
    -------
    PolygonRegion
    """
    west, south = _check_lon_lat(west, south, "rectangle south-west corner")
    east, north = _check_lon_lat(east, north, "rectangle north-east corner")
    if not south < north:
        raise ValueError(
            f"rectangle south edge must be below its north edge, "
            f"got south={south:g}, north={north:g}"
        )
    if west == east:
        raise ValueError(f"rectangle west and east edges must differ, got '{west:g}'")
    # 180 and -180 are one meridian: a box starting at 180 or ending at -180 has no
    # part on that side of it.
    if west == 180.0:
        west = -180.0
    if east == -180.0:
        east = 180.0
    geom: Polygon | MultiPolygon
    if west < east:
        geom = _box(west, south, east, north)
    else:
        geom = MultiPolygon([_box(west, south, 180.0, north), _box(-180.0, south, east, north)])
    return PolygonRegion(name, geom, kind="rectangle")


def _box(west: float, south: float, east: float, north: float) -> Polygon:
    """A box whose parallel edges are each at most 180 degrees of longitude long.

    A wider box gets a vertex in the middle of its south and north edges: the same
    shape, but no edge that could be read as going the other way round the world (see
    :mod:`explorer.geo.antimeridian`).
    """
    if east - west <= MAX_EDGE_LON_SPAN:
        return shapely.box(west, south, east, north)
    mid = (west + east) / 2
    return Polygon(
        [(east, south), (east, north), (mid, north), (west, north), (west, south), (mid, south)]
    )


# =========================================================================== circles


@dataclass(frozen=True)
class CircleRegion(Region):
    """All points within a geodesic distance of a centre, on the WGS84 ellipsoid.

    Parameters
    ----------
    name : str
        Label for the region.
    lon, lat : float
        Centre in degrees.
    radius_m : float
        Radius in metres, finite and > 0. A site at exactly this distance is inside.
    """

    name: str
    lon: float
    lat: float
    radius_m: float

    #: Vertices of the drawing outline.
    OUTLINE_VERTICES = 128

    _box: tuple[float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        lon, lat = _check_lon_lat(self.lon, self.lat, "circle centre")
        r = self.radius_m
        if (
            isinstance(r, bool)
            or not isinstance(r, int | float | np.number)
            or not math.isfinite(r)
            or r <= 0
        ):
            raise ValueError(f"circle radius_m must be a positive number of metres, got '{r}'")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "radius_m", float(r))
        object.__setattr__(self, "_box", self._prefilter_box())

    def _prefilter_box(self) -> tuple[float, float, float]:
        """``(lat_min, lat_max, max |dlon|)`` that surely contains the whole circle.

        A point inside has ellipsoidal distance <= r, hence spherical distance
        <= r / K_LO (see module constants). The box of that spherical cap is exact on
        the sphere: latitude +- the cap's angle, and longitude +- asin(sin(angle) /
        cos(lat)) unless the cap reaches a pole, in which case every longitude.
        """
        ang = self.radius_m / (_K_LO * _R) * (1 + _REL_SLACK)
        ang_deg = math.degrees(ang)
        lat_min, lat_max = self.lat - ang_deg, self.lat + ang_deg
        if lat_max >= 90 or lat_min <= -90:
            return (max(lat_min, -90.0), min(lat_max, 90.0), 360.0)
        dlon = math.degrees(math.asin(min(1.0, math.sin(ang) / math.cos(math.radians(self.lat)))))
        return (lat_min, lat_max, dlon * (1 + _REL_SLACK) + 1e-12)

    def mask(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = _as_xy(lon, lat)
        flat_x, flat_y = x.ravel(), y.ravel()
        out = np.zeros(flat_x.shape, dtype=bool)
        lat_min, lat_max, dlon_max = self._box
        west, east = self.lon - dlon_max, self.lon + dlon_max
        # NaN coordinates drop out below because every comparison with NaN is False.
        if west >= -180 and east <= 180:
            # Common case: plain comparisons, no modulo over the whole array.
            cand = np.flatnonzero(
                (flat_y >= lat_min) & (flat_y <= lat_max) & (flat_x >= west) & (flat_x <= east)
            )
            dlon_c = flat_x[cand] - self.lon
        else:
            # The box crosses the antimeridian (or spans every longitude): wrap the
            # longitude difference to [-180, 180), only for points in the latitude band.
            band = np.flatnonzero(
                (flat_y >= lat_min) & (flat_y <= lat_max) & (np.abs(flat_x) <= 180)
            )
            dlon_band = np.remainder(flat_x[band] - self.lon + 180.0, 360.0) - 180.0
            keep = np.abs(dlon_band) <= dlon_max
            cand, dlon_c = band[keep], dlon_band[keep]
        if not cand.size:
            return out.reshape(x.shape)
        # Haversine on the candidates; the bounds K_LO/K_HI decide most of them.
        phi1 = math.radians(self.lat)
        phi2 = np.radians(flat_y[cand])
        dl = np.radians(dlon_c)
        h = np.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dl / 2) ** 2
        d_sphere = 2 * _R * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        r = self.radius_m
        surely_in = d_sphere * _K_HI * (1 + _REL_SLACK) <= r
        surely_out = d_sphere * _K_LO * (1 - _REL_SLACK) > r
        out[cand[surely_in]] = True
        unsure = np.flatnonzero(~surely_in & ~surely_out)
        if unsure.size:
            idx = cand[unsure]
            n = idx.size
            _, _, dist = _geod().inv(
                np.full(n, self.lon), np.full(n, self.lat), flat_x[idx], flat_y[idx]
            )
            out[idx] = np.asarray(dist) <= r
        return out.reshape(x.shape)

    @cached_property
    def _outline(self) -> Polygon:
        n = self.OUTLINE_VERTICES
        az = np.linspace(0.0, 360.0, n, endpoint=False)
        lons, lats, _ = _geod().fwd(
            np.full(n, self.lon), np.full(n, self.lat), az, np.full(n, self.radius_m)
        )
        lons = np.asarray(lons)
        # Keep the outline continuous across the antimeridian (relative to the centre);
        # it is for drawing only, so longitudes beyond +-180 are acceptable here.
        lons = self.lon + np.remainder(lons - self.lon + 180.0, 360.0) - 180.0
        return Polygon(np.column_stack([lons, np.asarray(lats)]))

    @property
    def geometry(self) -> Polygon:
        """A 128-vertex geodesic polygon approximating the circle (drawing/export only)."""
        return self._outline

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        minx, _, maxx, _ = self._outline.bounds
        # Due north and due south are the true latitude extremes of a geodesic circle.
        north = _geod().fwd(self.lon, self.lat, 0.0, self.radius_m)[1]
        south = _geod().fwd(self.lon, self.lat, 180.0, self.radius_m)[1]
        if self._box[2] >= 360.0:  # reaches a pole: every longitude
            minx, maxx = -180.0, 180.0
        return (minx, min(south, north), maxx, max(south, north))

    def to_feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": {"name": self.name, "kind": "circle", "radius_m": self.radius_m},
        }


# =========================================================================== Mercator-drawn shapes


def _merc_y(lat_deg: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat_deg) / 2))


def _merc_lat(y: np.ndarray) -> np.ndarray:
    return np.degrees(2 * np.arctan(np.exp(y)) - math.pi / 2)


def densify_mercator_ring(
    coords: Sequence[Sequence[float]], max_step_deg: float = 0.05
) -> list[tuple[float, float]]:
    """Add vertices so lon/lat edges follow the straight lines drawn on a Mercator map.

    On a Web Mercator screen an edge between two vertices is straight in (x, y) with
    ``x ~ lon`` and ``y = ln(tan(pi/4 + lat/2))``. The same two vertices joined
    straight in lon/lat (how GeoJSON and our point-in-polygon test read them) make a
    different line whenever both lon and lat change: for an edge from (60 E, 40 N) to
    (110 E, 55 N) the two are about 0.54 degrees of latitude (60 km) apart at 85 E. Inserting
    vertices along the Mercator line makes the planar polygon match the drawing.

    Parameters
    ----------
    coords : sequence of (lon, lat)
        One ring, open or closed (first vertex repeated at the end); the closing edge
        is densified either way, and the output keeps the input's closure.
    max_step_deg : float
        Largest lon or lat step between consecutive output vertices.

    Returns
    -------
    list of (lon, lat)
        The original vertices, in order, with intermediate ones between them.

    Raises
    ------
    ValueError
        For fewer than 3 distinct vertices, non-finite values, or latitudes beyond
        Web Mercator's +-85.0511 degrees.
    """
    if not (
        isinstance(max_step_deg, int | float) and math.isfinite(max_step_deg) and max_step_deg > 0
    ):
        raise ValueError(f"max_step_deg must be a positive number, got '{max_step_deg}'")
    pts: list[tuple[float, float]] = []
    for i, c in enumerate(coords):
        if len(c) < 2:
            raise ValueError(f"vertex {i} must be (lon, lat), got {tuple(c)!r}")
        lon, lat = float(c[0]), float(c[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError(f"vertex {i} must be finite, got ({c[0]}, {c[1]})")
        if abs(lat) > MERCATOR_MAX_LAT:
            raise ValueError(
                f"vertex {i} latitude is outside Web Mercator's +-85.0511 degrees, got '{lat}'"
            )
        pts.append((lon, lat))
    closed = len(pts) > 1 and pts[0] == pts[-1]
    ring = pts[:-1] if closed else pts
    if len(set(ring)) < 3:
        raise ValueError(f"a ring needs at least 3 distinct vertices, got {len(set(ring))}")
    out: list[tuple[float, float]] = []
    for i, (lon0, lat0) in enumerate(ring):
        lon1, lat1 = ring[(i + 1) % len(ring)]
        out.append((lon0, lat0))
        # Meridians and parallels are straight in both projections: nothing to add,
        # except that a parallel longer than 180 degrees gets a vertex in the middle,
        # so that no edge could be read as going the other way round the world.
        if lon0 == lon1 or lat0 == lat1:
            if lat0 == lat1 and abs(lon1 - lon0) > MAX_EDGE_LON_SPAN:
                out.append(((lon0 + lon1) / 2, lat0))
            continue
        steps = math.ceil(max(abs(lon1 - lon0), abs(lat1 - lat0)) / max_step_deg)
        if steps < 2:
            continue
        t = np.arange(1, steps) / steps
        y0, y1 = _merc_y(lat0), _merc_y(lat1)
        lons = lon0 + t * (lon1 - lon0)
        lats = _merc_lat(y0 + t * (y1 - y0))
        out.extend(zip(lons.tolist(), lats.tolist(), strict=True))
    if closed:
        out.append(out[0])
    return out


def _is_vertex(c: Any) -> TypeGuard[Sequence[Any]]:
    return (
        isinstance(c, Sequence)
        and not isinstance(c, str)
        and len(c) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in c[:2])
    )


def mercator_polygon(
    name: str,
    rings_or_coords: Sequence[Any],
    kind: str = "polygon",
    *,
    max_step_deg: float = 0.05,
) -> PolygonRegion:
    """Build a :class:`PolygonRegion` from vertices drawn on a Web Mercator map.

    Parameters
    ----------
    name : str
        Label for the region.
    rings_or_coords : sequence
        Either one ring of ``(lon, lat)`` vertices, or a sequence of rings (exterior
        first, then holes).
    kind : {"polygon", "rectangle"}
        Recorded on the region.
    max_step_deg : float
        Passed to :func:`densify_mercator_ring`.

    Returns
    -------
    PolygonRegion
    """
    if not rings_or_coords:
        raise ValueError("a drawn polygon needs vertices, got none")
    rings = [rings_or_coords] if _is_vertex(rings_or_coords[0]) else list(rings_or_coords)
    dense = [densify_mercator_ring(r, max_step_deg) for r in rings]
    return PolygonRegion(name, Polygon(dense[0], dense[1:]), kind=kind)


# =========================================================================== GeoJSON


def _quote(value: Any) -> str:
    return "none" if value is None else f"'{value}'"


def region_from_feature(feature: Mapping[str, Any], index: int = 0) -> Region:
    """Read one region from a GeoJSON Feature.

    Parameters
    ----------
    feature : mapping
        A Feature whose geometry is a Polygon or MultiPolygon, or a Point with a
        positive numeric ``radius_m`` property (a geodesic circle). The ``name``
        property names the region (default ``region N`` with ``N = index + 1``); a
        ``kind`` of ``"rectangle"`` is kept on polygons.
    index : int
        Position in the file, used in messages and the default name.

    Returns
    -------
    Region

    Raises
    ------
    ValueError
        One line naming the feature and quoting the bad value, e.g.
        ``feature 2: Point region needs a positive radius_m, got '-5'``.
    """
    where = f"feature {index + 1}"
    if not isinstance(feature, Mapping):
        raise ValueError(
            f"{where}: expected a GeoJSON Feature object, got {type(feature).__name__}"
        )
    if feature.get("type") != "Feature":
        raise ValueError(f"{where}: expected type 'Feature', got {_quote(feature.get('type'))}")
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        raise ValueError(f"{where}: properties must be an object, got {type(props).__name__}")
    name = props.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        name = f"region {index + 1}"
    try:
        _check_name(name)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    geom = feature.get("geometry")
    if not isinstance(geom, Mapping):
        raise ValueError(f"{where}: geometry must be an object, got {_quote(geom)}")
    gtype = geom.get("type")
    if gtype == "Point":
        radius = props.get("radius_m")
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not math.isfinite(radius)
            or radius <= 0
        ):
            raise ValueError(
                f"{where}: Point region needs a positive radius_m, got {_quote(radius)}"
            )
        c = geom.get("coordinates")
        if not _is_vertex(c):
            raise ValueError(f"{where}: Point coordinates must be [lon, lat], got {_quote(c)}")
        try:
            return CircleRegion(name, c[0], c[1], radius)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if gtype in ("Polygon", "MultiPolygon"):
        kind = props.get("kind")
        kind = kind if kind in POLYGON_KINDS else "polygon"
        try:
            shp = shape(geom)
        except Exception as exc:  # shapely raises several types for malformed arrays
            raise ValueError(f"{where}: {gtype} coordinates are malformed ({exc})") from None
        try:
            return PolygonRegion(name, shp, kind=kind)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    raise ValueError(f"{where}: unsupported geometry type {_quote(gtype)}")


_GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


def features_of(doc: Any) -> list[Any]:
    """The features of a FeatureCollection, single Feature or bare geometry."""
    if not isinstance(doc, Mapping):
        raise ValueError(f"expected a GeoJSON object, got {type(doc).__name__}")
    t = doc.get("type")
    if t == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise ValueError(f"FeatureCollection 'features' must be a list, got {_quote(feats)}")
        return feats
    if t == "Feature":
        return [doc]
    if t in _GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": dict(doc), "properties": {}}]
    raise ValueError(f"not GeoJSON: unknown type {_quote(t)}")


def regions_from_document(doc: Any) -> list[Region]:
    """The regions of a parsed GeoJSON document (FeatureCollection, Feature or geometry).

    Raises
    ------
    ValueError
        Not GeoJSON, no features, or a feature that is not a valid region (the message
        names the feature).
    """
    feats = features_of(doc)
    if not feats:
        raise ValueError("contains no features")
    return [region_from_feature(f, i) for i, f in enumerate(feats)]


def regions_to_feature_collection(regions: Iterable[Region]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``regions`` (circles as Points with ``radius_m``)."""
    return {"type": "FeatureCollection", "features": [r.to_feature() for r in regions]}


__all__ = [
    "GEOD",  # noqa: F822 - built on first use by the module __getattr__
    "MERCATOR_MAX_LAT",
    "CircleRegion",
    "PolygonRegion",
    "Region",
    "densify_mercator_ring",
    "features_of",
    "mercator_polygon",
    "rectangle",
    "region_from_feature",
    "regions_from_document",
    "regions_to_feature_collection",
]
