"""Regions: boundary rules, geodesic circles, Mercator-drawn edges, GeoJSON I/O.

Every expected answer here is known independently of the code under test: points are
placed exactly on vertices and edges of tiny shapes, or at known geodesic distances
with pyproj's forward problem.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

import explorer.geo.polygon_mask as polygon_mask
from explorer.core.errors import DataFileError
from explorer.geo.regions import (
    CircleRegion,
    PolygonRegion,
    Region,
    densify_mercator_ring,
    mercator_polygon,
    rectangle,
    region_from_feature,
    regions_to_feature_collection,
)
from explorer.io.region_files import load_regions, save_regions

GEOD = Geod(ellps="WGS84")
UNIT = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])


def inside(region: Region, *points: tuple[float, float]) -> list[bool]:
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    return region.mask(lon, lat).tolist()


# --------------------------------------------------------------------------- polygons


def test_polygon_vertices_and_edges_count_as_inside() -> None:
    r = PolygonRegion("unit", UNIT)
    assert inside(r, (0, 0), (1, 1), (1, 0), (0, 1)) == [True] * 4  # vertices
    assert inside(r, (0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)) == [True] * 4  # edge midpoints
    assert inside(r, (0.5, 0.5)) == [True]


def test_polygon_just_outside_is_outside() -> None:
    r = PolygonRegion("unit", UNIT)
    eps = 1e-9
    assert (
        inside(r, (-eps, 0.5), (1 + eps, 0.5), (0.5, -eps), (0.5, 1 + eps), (1 + eps, 1 + eps))
        == [False] * 5
    )
    # The smallest representable step outside still counts as outside.
    assert inside(r, (float(np.nextafter(1.0, 2.0)), 0.5)) == [False]


def test_point_on_diagonal_edge_is_inside() -> None:
    # (1, 1) lies exactly on the hypotenuse x + y = 2, and is exactly representable.
    tri = PolygonRegion("tri", Polygon([(0, 0), (2, 0), (0, 2)]))
    assert inside(tri, (1, 1), (0.5, 1.5), (1.0, 1.0 + 1e-9)) == [True, True, False]


def test_multipolygon() -> None:
    mp = MultiPolygon([UNIT, Polygon([(2, 0), (3, 0), (3, 1), (2, 1)])])
    r = PolygonRegion("two", mp)
    assert inside(r, (0.5, 0.5), (2.5, 0.5), (1.5, 0.5), (2, 1)) == [True, True, False, True]


def test_polygon_with_hole() -> None:
    shell = [(0, 0), (4, 0), (4, 4), (0, 4)]
    hole = [(1, 1), (3, 1), (3, 3), (1, 3)]
    r = PolygonRegion("donut", Polygon(shell, [hole]))
    # In the ring, in the hole, and on the hole's edge (part of the boundary: inside).
    assert inside(r, (0.5, 0.5), (2, 2), (1, 2), (3, 3)) == [True, False, True, True]


def test_rectangle() -> None:
    r = rectangle("box", 80, 35, 90, 45)
    assert r.kind == "rectangle"
    assert r.bounds == (80, 35, 90, 45)
    assert inside(r, (80, 35), (85, 45), (85, 40), (79.999, 40), (85, 45.001)) == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_rectangle_across_antimeridian() -> None:
    r = rectangle("dateline", 170, -10, -170, 10)
    assert isinstance(r.geometry, MultiPolygon)
    assert inside(r, (175, 0), (-175, 0), (180, 0), (0, 0)) == [True, True, True, False]


def test_rectangle_from_or_to_the_antimeridian() -> None:
    # 180 and -180 are one meridian: no empty sliver of a part on the far side.
    east = rectangle("east of 180", 180, 0, -170, 10)
    west = rectangle("west of 180", 170, 0, -180, 10)
    assert isinstance(east.geometry, Polygon) and east.bounds == (-180, 0, -170, 10)
    assert isinstance(west.geometry, Polygon) and west.bounds == (170, 0, 180, 10)
    assert inside(east, (-175, 5), (-180, 5), (175, 5)) == [True, True, False]
    assert inside(west, (175, 5), (180, 5), (-175, 5)) == [True, True, False]


def test_a_site_on_the_antimeridian_is_in_a_region_reaching_it_from_either_side() -> None:
    # Longitudes 180 and -180 are the same meridian, whichever way a site's is written.
    west_side = PolygonRegion("west side", shapely.box(170, 0, 180, 10))
    east_side = PolygonRegion("east side", shapely.box(-180, 0, -170, 10))
    for r in (west_side, east_side):
        assert inside(r, (180, 5), (-180, 5), (180, 0), (-180, 10)) == [True] * 4
        assert inside(r, (180, 11), (-180, -1)) == [False, False]
    assert inside(rectangle("east", 180, 0, -170, 10), (180, 5)) == [True]


def test_rectangle_validation() -> None:
    with pytest.raises(ValueError, match="south edge must be below"):
        rectangle("r", 0, 10, 5, 10)
    with pytest.raises(ValueError, match="got '200'"):
        rectangle("r", 0, 0, 200, 5)


def test_mask_keeps_shape_and_rejects_nan() -> None:
    r = PolygonRegion("unit", UNIT)
    lon = np.array([[0.5, np.nan], [2.0, 0.25]])
    lat = np.array([[0.5, 0.5], [0.5, np.nan]])
    assert r.mask(lon, lat).tolist() == [[True, False], [False, False]]
    with pytest.raises(ValueError, match="same shape"):
        r.mask(np.zeros(2), np.zeros(3))


def test_scalar_contains_point() -> None:
    r = PolygonRegion("unit", UNIT)
    assert r.contains_point(1, 1) and not r.contains_point(2, 2)


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), "invalid: Self-intersection"),
        (Polygon(), "empty geometry"),
        (
            Polygon([(300, 0), (361, 0), (361, 1)]),
            re.escape(
                "longitude must be between -360 and 360 (beyond 180 only to cross the "
                "antimeridian), got '361'"
            ),
        ),
        (Polygon([(0, 80), (1, 91), (0, 91)]), "latitude must be between -90 and 90, got '91"),
        (Polygon([(0, 0), (1, np.inf), (1, 0)]), "non-finite"),
        (shapely.LineString([(0, 0), (1, 1)]), "got 'LineString'"),
    ],
)
def test_polygon_validation(geom: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PolygonRegion("bad", geom)  # type: ignore[arg-type]


def test_polygon_name_and_kind_validation() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        PolygonRegion("  ", UNIT)
    with pytest.raises(ValueError, match="got 'circle'"):
        PolygonRegion("x", UNIT, kind="circle")


def test_z_coordinates_are_dropped() -> None:
    r = PolygonRegion("z", Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]))
    assert not shapely.has_z(r.geometry)
    assert inside(r, (1, 1)) == [True]


def _brute(region: PolygonRegion, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return shapely.intersects_xy(region.geometry, lon, lat)


@pytest.mark.parametrize(
    "geom",
    [
        # A wobbly 30-vertex polygon.
        Polygon(
            [
                (88 + 6 * math.cos(t) * (1 + 0.3 * math.sin(3 * t)), 41 + 4 * math.sin(t))
                for t in np.linspace(0, 2 * math.pi, 31)[:-1]
            ]
        ),
        # A comb whose edges sit on round numbers, the likeliest place for a coarse
        # cell grid to line up with an edge.
        Polygon(
            [
                (0, 0),
                (8, 0),
                (8, 8),
                (7, 8),
                (7, 1),
                (5, 1),
                (5, 8),
                (3, 8),
                (3, 1),
                (1, 1),
                (1, 8),
                (0, 8),
            ]
        ),
        MultiPolygon(
            [
                UNIT,
                Polygon(
                    [(2, 0), (3, 0), (3, 1), (2, 1)], [[(2.25, 0.25), (2.75, 0.25), (2.5, 0.75)]]
                ),
            ]
        ),
    ],
)
def test_fast_path_matches_per_point_test(
    geom: Polygon | MultiPolygon, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Force the cell-grid path (normally taken only for large inputs) and compare it
    # with GEOS testing every point, on random points and on points placed on purpose
    # on vertices, along edges and on the grid's round numbers.
    monkeypatch.setattr(polygon_mask, "GRID_MIN_CANDIDATES", 1000)
    r = PolygonRegion("g", geom)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = geom.bounds
    n = 50_000
    lon = rng.uniform(minx - 0.5, maxx + 0.5, n)
    lat = rng.uniform(miny - 0.5, maxy + 0.5, n)
    verts = shapely.get_coordinates(geom)
    # Points along every edge (exactly representable ones at the vertices, and
    # interpolated ones that may fall a hair either side) and on the grid's round numbers.
    t = rng.uniform(0, 1, (len(verts) - 1, 20))
    ex = verts[:-1, :1] + t * (verts[1:, :1] - verts[:-1, :1])
    ey = verts[:-1, 1:] + t * (verts[1:, 1:] - verts[:-1, 1:])
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 41), np.linspace(miny, maxy, 41))
    lon = np.concatenate([lon, verts[:, 0], ex.ravel(), gx.ravel()])
    lat = np.concatenate([lat, verts[:, 1], ey.ravel(), gy.ravel()])
    got = r.mask(lon, lat)
    assert r._engine.has_grid  # the grid path really ran
    np.testing.assert_array_equal(got, _brute(r, lon, lat))
    assert got[n : n + len(verts)].all()  # every vertex is inside


# --------------------------------------------------------------------------- the antimeridian
# Issue 11, finding 2: a polygon from 170 E to 170 W was read as a 340-degree-wide
# planar shape over Greenwich, counting a site at 0 E and missing one at 179.9 E,
# without a word. Each form a crossing shape comes in is read for what it means.

# Sites east and west of the antimeridian, and far from it.
NEAR_180 = [(179.9, 5), (-179.9, 5), (180, 5), (-180, 5), (175, 5), (-175, 5)]
FAR = [(0, 5), (100, 5), (-100, 5), (169, 5), (-169, 5)]


def _ring_feature(ring: list[list[float]], **props: object) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": props,
    }


def test_an_edge_jumping_across_the_antimeridian_is_refused_not_read_the_long_way() -> None:
    # The exact shape of the finding: 170 E to 170 W, written without a split.
    feature = _ring_feature([[170, 0], [-170, 0], [-170, 10], [170, 10], [170, 0]], name="Bering")
    with pytest.raises(ValueError) as info:
        region_from_feature(feature)
    message = str(info.value)
    assert message.startswith(
        "feature 1: region 'Bering' has an edge from longitude 170 to -170, more than "
        "180 degrees apart, so it could run either way round the world"
    )
    # It says how to write either shape, on one line.
    assert "write -170 as 190" in message and "RFC 7946" in message
    assert "add a vertex" in message and "\n" not in message


def test_a_crossing_polygon_with_longitudes_beyond_180_is_split_and_totalled() -> None:
    r = region_from_feature(_ring_feature([[170, 0], [190, 0], [190, 10], [170, 10], [170, 0]]))
    assert isinstance(r, PolygonRegion)
    # Stored in the RFC 7946 form: two parts meeting the antimeridian, lon in -180..180.
    assert isinstance(r.geometry, MultiPolygon) and len(r.geometry.geoms) == 2
    assert r.bounds == (-180.0, 0.0, 180.0, 10.0)
    assert inside(r, *NEAR_180) == [True] * 6
    assert inside(r, *FAR) == [False] * 5
    # Written back split, and read back the same.
    feature = r.to_feature()
    assert feature["geometry"]["type"] == "MultiPolygon"
    again = region_from_feature(feature)
    assert isinstance(again, PolygonRegion) and again.geometry.equals(r.geometry)


def test_the_same_shape_beyond_minus_180_and_in_the_split_form() -> None:
    west = region_from_feature(
        _ring_feature([[-190, 0], [-170, 0], [-170, 10], [-190, 10], [-190, 0]])
    )
    split = region_from_feature(
        {
            "type": "Feature",
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[170, 0], [180, 0], [180, 10], [170, 10], [170, 0]]],
                    [[[-180, 0], [-170, 0], [-170, 10], [-180, 10], [-180, 0]]],
                ],
            },
        }
    )
    for r in (west, split):
        assert inside(r, *NEAR_180) == [True] * 6
        assert inside(r, *FAR) == [False] * 5
    assert isinstance(west, PolygonRegion) and isinstance(split, PolygonRegion)
    assert west.geometry.equals(split.geometry)


def test_a_holed_polygon_across_the_antimeridian() -> None:
    # A ring from 160 E to 160 W around a hole from 175 E to 175 W.
    shell = [(160, -10), (200, -10), (200, 10), (160, 10)]
    hole = [(175, -5), (185, -5), (185, 5), (175, 5)]
    r = PolygonRegion("ring", Polygon(shell, [hole]))
    assert inside(r, (180, 0), (179, 0), (-179, 0)) == [False, False, False]  # the hole
    assert inside(r, (175, 0), (-175, 0)) == [True, True]  # the hole's edges
    assert inside(r, (165, 0), (-165, 0), (180, 8), (-180, -8)) == [True] * 4
    assert inside(r, (0, 0), (150, 0), (-150, 0)) == [False] * 3


def test_totals_count_the_right_side_of_the_world() -> None:
    from explorer.geo.totals import SiteArrays, totals

    lon = np.array([179.9, 0.0, -179.5, 170.5])
    lat = np.array([5.0, 5.0, 5.0, 5.0])
    arrays = SiteArrays.from_arrays(
        np.array(["east", "greenwich", "west", "edge"], dtype=object),
        lon,
        lat,
        np.array([[100], [1], [10], [1000]]),
        ("H100",),
    )
    r = region_from_feature(_ring_feature([[170, 0], [190, 0], [190, 10], [170, 10], [170, 0]]))
    t = totals(arrays, r)
    assert t.site_ids == ("east", "west", "edge") and t.chips == 1110


def test_a_crossing_polygon_from_a_regions_file(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "bering.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    _ring_feature([[170, 50], [195, 50], [195, 66], [170, 66], [170, 50]]),
                    _ring_feature([[170, 0], [-170, 0], [-170, 10], [170, 10], [170, 0]]),
                ],
            }
        )
    )
    with pytest.raises(DataFileError, match="feature 2: region 'region 2' has an edge from"):
        load_regions(p)


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        # More than once round the world.
        (
            [(-170, 0), (200, 0), (200, 5), (-170, 5)],
            "spans more than 360 degrees of longitude, got '-170' to '200'",
        ),
        ([(300, 0), (365, 0), (365, 5)], "between -360 and 360 .*got '365'"),
    ],
)
def test_shapes_that_wrap_more_than_once_are_refused(ring: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PolygonRegion("wrap", Polygon(ring))


def test_wide_planar_shapes_are_kept_the_long_way() -> None:
    # A 200-degree-wide rectangle over Greenwich: its parallel edges get a middle vertex,
    # so it is the shape asked for and no edge is ambiguous.
    wide = rectangle("wide", -100, 0, 100, 10)
    assert inside(wide, (0, 5), (99, 5), (-99, 5)) == [True] * 3
    assert inside(wide, (179.9, 5), (-179.9, 5)) == [False, False]
    assert region_from_feature(wide.to_feature()).to_feature() == wide.to_feature()
    # Across the antimeridian, 355 degrees wide: only 175 W to 170 W is left out.
    most = rectangle("most", -170, 0, -175, 10)
    assert inside(most, (0, 5), (180, 5), (-179, 5), (-170, 5)) == [True] * 4
    assert inside(most, (-172, 5)) == [False]
    # A whole-world box has full-width edges from -180 to 180, which mean just that.
    world = PolygonRegion("world", shapely.box(-180, -90, 180, 90))
    assert inside(world, (0, 0), (180, 90), (-180, -90), (-179.9, 5)) == [True] * 4


def test_a_long_parallel_drawn_on_the_map_is_kept() -> None:
    # Drawn on the Mercator map, straight across 220 degrees of longitude.
    r = mercator_polygon("belt", [(-110, 40), (110, 40), (110, 50), (-110, 50)])
    assert inside(r, (0, 45), (-109, 45)) == [True, True]
    assert inside(r, (180, 45), (-150, 45)) == [False, False]


@pytest.mark.parametrize("clon", [180.0, -180.0, 179.8, -179.8])
def test_circles_across_the_antimeridian(clon: float) -> None:
    c = CircleRegion("dateline", clon, 30.0, 100_000)
    lon = np.array([180.0, -180.0, 179.5, -179.5, 178.0, -178.0, 0.0, 1.0])
    lat = np.full(lon.size, 30.0)
    _, _, d = GEOD.inv(np.full(lon.size, clon), lat, lon, lat)
    expected = np.asarray(d) <= 100_000
    np.testing.assert_array_equal(c.mask(lon, lat), expected)
    assert expected[:4].sum() >= 3 and not expected[6:].any()  # both sides, not Greenwich


# --------------------------------------------------------------------------- circles


@pytest.mark.parametrize(
    ("clon", "clat"), [(88.0, 41.0), (94.7, 43.3), (20.0, 75.0), (-70.0, -60.0), (0.0, 0.0)]
)
def test_circle_just_inside_and_just_outside(clon: float, clat: float) -> None:
    c = CircleRegion("c", clon, clat, 200_000)
    az = np.arange(0, 360, 30.0)
    n = az.size
    lon_in, lat_in, _ = GEOD.fwd(np.full(n, clon), np.full(n, clat), az, np.full(n, 199_900.0))
    lon_out, lat_out, _ = GEOD.fwd(np.full(n, clon), np.full(n, clat), az, np.full(n, 200_100.0))
    assert c.mask(np.asarray(lon_in), np.asarray(lat_in)).all()
    assert not c.mask(np.asarray(lon_out), np.asarray(lat_out)).any()
    assert c.contains_point(clon, clat)


def test_circle_is_not_a_circle_in_degrees() -> None:
    # At 60 N a degree of longitude is about 55.8 km, so a point 3 degrees east is
    # about 167 km away: inside 200 km, though 3 degrees north (about 334 km) is not.
    c = CircleRegion("c", 10.0, 60.0, 200_000)
    assert inside(c, (13.0, 60.0), (10.0, 63.0)) == [True, False]


def test_circle_across_antimeridian_and_pole() -> None:
    c = CircleRegion("dateline", 179.9, 0.0, 50_000)
    assert inside(c, (-179.9, 0.0), (179.0, 0.0)) == [True, False]
    polar = CircleRegion("pole", 0.0, 89.5, 200_000)
    # About 56 km beyond the pole on the opposite meridian, and 167 km away at 90 E.
    assert inside(polar, (180.0, 89.5), (90.0, 88.5), (0.0, 87.0)) == [True, True, False]
    assert polar.bounds[0] == -180 and polar.bounds[2] == 180


def test_circle_agrees_with_exact_geodesic_everywhere() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    for clon, clat, r in [
        (88, 41, 200_000),
        (179.5, 10, 3e5),
        (10, -88.5, 4e5),
        (50, 0, 9e6),
        (100, 45, 1.5e7),
    ]:
        c = CircleRegion("c", clon, clat, r)
        _, _, d = GEOD.inv(np.full(n, clon), np.full(n, clat), lon, lat)
        np.testing.assert_array_equal(c.mask(lon, lat), np.asarray(d) <= r)


@pytest.mark.parametrize("radius", [0, -5, float("nan"), float("inf"), True, "100"])
def test_circle_radius_validation(radius: object) -> None:
    with pytest.raises(ValueError, match="radius_m must be a positive number"):
        CircleRegion("c", 0, 0, radius)  # type: ignore[arg-type]


def test_circle_centre_validation() -> None:
    with pytest.raises(ValueError, match="latitude must be between -90 and 90, got '95'"):
        CircleRegion("c", 0, 95, 1000)


def test_circle_outline_and_feature() -> None:
    c = CircleRegion("Yiwu 200 km", 94.7, 43.3, 200_000)
    assert isinstance(c.geometry, Polygon)
    assert len(c.geometry.exterior.coords) == 129  # 128 vertices + closing vertex
    _, north, _ = GEOD.fwd(94.7, 43.3, 0.0, 200_000)
    assert c.bounds[3] == pytest.approx(north)
    assert c.to_feature() == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [94.7, 43.3]},
        "properties": {"name": "Yiwu 200 km", "kind": "circle", "radius_m": 200000.0},
    }


# --------------------------------------------------------------------------- Mercator


def test_mercator_densified_edge_matches_the_drawn_line() -> None:
    # Drawn on a Mercator map: a triangle under the straight edge (60, 40)-(110, 55).
    ring = [(60.0, 40.0), (110.0, 55.0), (110.0, 40.0)]
    naive = PolygonRegion("naive", Polygon(ring))
    drawn = mercator_polygon("drawn", ring)
    # Independent check of where the on-screen line crosses lon 85 (halfway in x):
    # y = (y(40) + y(55)) / 2, lat = 2 atan(e^y) - 90 degrees, about 48.04 N, while the
    # planar lon/lat chord crosses at 47.5 N.
    y = (
        math.log(math.tan(math.radians(45 + 20))) + math.log(math.tan(math.radians(45 + 27.5)))
    ) / 2
    lat_screen = math.degrees(2 * math.atan(math.exp(y))) - 90
    assert lat_screen == pytest.approx(48.04, abs=0.01)
    p = (85.0, 47.9)  # below the drawn line, above the naive chord
    assert inside(naive, p) == [False]
    assert inside(drawn, p) == [True]
    assert inside(drawn, (85.0, lat_screen + 0.01)) == [False]


def test_densify_keeps_vertices_and_closure() -> None:
    ring = [(60.0, 40.0), (110.0, 55.0), (110.0, 40.0), (60.0, 40.0)]
    out = densify_mercator_ring(ring, max_step_deg=1.0)
    assert out[0] == out[-1] == (60.0, 40.0)
    for v in ring:
        assert v in out
    # 50 degrees of longitude at 1 degree steps adds 49 vertices on the diagonal;
    # the meridian and the parallel edges add none.
    assert len(out) == len(ring) + 49
    open_out = densify_mercator_ring(ring[:-1], max_step_deg=1.0)
    assert open_out == out[:-1]


def test_densify_rejects_polar_latitudes() -> None:
    with pytest.raises(ValueError, match="Web Mercator"):
        densify_mercator_ring([(0, 0), (10, 86), (20, 0)])


def test_mercator_polygon_with_hole() -> None:
    r = mercator_polygon(
        "ring", [[(0, 0), (10, 0), (10, 10), (0, 10)], [(4, 4), (6, 4), (6, 6), (4, 6)]]
    )
    assert inside(r, (1, 1), (5, 5)) == [True, False]


# --------------------------------------------------------------------------- GeoJSON


def _poly_feature(**props: object) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        "properties": props,
    }


def test_region_from_feature_polygon_and_circle() -> None:
    r = region_from_feature(_poly_feature(name="tri", kind="rectangle"))
    assert isinstance(r, PolygonRegion) and r.name == "tri" and r.kind == "rectangle"
    c = region_from_feature(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [88, 41]},
            "properties": {"radius_m": 5000},
        },
        index=2,
    )
    assert isinstance(c, CircleRegion) and c.name == "region 3" and c.radius_m == 5000


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [1, 2]},
                "properties": {"radius_m": -5},
            },
            "feature 3: Point region needs a positive radius_m, got '-5'",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [1, 2]},
                "properties": {"radius_m": "5"},
            },
            "feature 3: Point region needs a positive radius_m, got '5'",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [1, 2]},
                "properties": {},
            },
            "feature 3: Point region needs a positive radius_m, got none",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            },
            "feature 3: unsupported geometry type 'LineString'",
        ),
        (
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                },
            },
            "feature 3: region 'region 3' geometry is invalid: Self-intersection",
        ),
        (
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[0, 0]]}},
            "feature 3: Polygon coord",
        ),
        ({"type": "Feature", "geometry": None}, "feature 3: geometry must be an object, got none"),
        ({"type": "Topology"}, "feature 3: expected type 'Feature', got 'Topology'"),
        (_poly_feature(name=5), "feature 3: region name must be text, got 5"),
    ],
)
def test_region_from_feature_errors(feature: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        region_from_feature(feature, index=2)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_save_load_round_trip(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    hole = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 3), (3, 3), (3, 1)]])
    regions: list[Region] = [
        PolygonRegion("Hami 哈密", hole),
        rectangle("box", 80, 35, 90, 45),
        PolygonRegion("multi", MultiPolygon([UNIT, Polygon([(2, 0), (3, 0), (3, 1)])])),
        CircleRegion("Yiwu 200 km", 94.7, 43.3, 200_000),
    ]
    path = tmp_path / "regions.geojson"
    save_regions(path, regions)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == regions_to_feature_collection(regions) | {"features": doc["features"]}
    assert [f["properties"]["kind"] for f in doc["features"]] == [
        "polygon",
        "rectangle",
        "polygon",
        "circle",
    ]
    # RFC 7946: exterior counter-clockwise, holes clockwise.
    ext = Polygon(doc["features"][0]["geometry"]["coordinates"][0])
    assert ext.exterior.is_ccw
    assert not Polygon(doc["features"][0]["geometry"]["coordinates"][1]).exterior.is_ccw
    back = load_regions(path)
    assert [r.name for r in back] == [r.name for r in regions]
    for a, b in zip(regions, back, strict=True):
        assert type(a) is type(b)
        if isinstance(a, PolygonRegion):
            assert (
                isinstance(b, PolygonRegion) and a.kind == b.kind and a.geometry.equals(b.geometry)
            )
        else:
            assert a == b


def test_load_single_feature_and_bare_geometry(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "one.geojson"
    p.write_text(json.dumps(_poly_feature(name="one")))
    assert [r.name for r in load_regions(p)] == ["one"]
    p.write_text(json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}))
    assert [r.name for r in load_regions(p)] == ["region 1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad.geojson: not valid JSON"),
        ('{"type": "FeatureCollection", "features": []}', "bad.geojson: contains no features"),
        ("[1, 2]", "bad.geojson: expected a GeoJSON object, got list"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        _poly_feature(),
                        {
                            "type": "Feature",
                            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                        },
                    ],
                }
            ),
            "bad.geojson: feature 2: unsupported geometry type 'LineString'",
        ),
    ],
)
def test_load_errors(tmp_path, content: str, message: str) -> None:  # noqa: ANN001
    p = tmp_path / "bad.geojson"
    p.write_text(content)
    with pytest.raises(DataFileError) as info:
        load_regions(p)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_load_missing_file(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(DataFileError, match="nope.geojson: cannot read regions file"):
        load_regions(tmp_path / "nope.geojson")


def test_regions_are_hashable_values() -> None:
    a = PolygonRegion("unit", UNIT)
    assert a == PolygonRegion("unit", Polygon(UNIT.exterior.coords))
    assert len({a, PolygonRegion("unit", UNIT), CircleRegion("c", 1, 2, 3)}) == 2


def test_load_regions_accepts_a_byte_order_mark(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    # Sites files with a BOM already read (io.formats); regions files must too.
    path = tmp_path / "bom.geojson"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(regions_to_feature_collection([PolygonRegion("unit", UNIT)])).encode()
    )
    assert [r.name for r in load_regions(path)] == ["unit"]
