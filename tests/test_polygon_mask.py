"""The polygon mask against shapely's ``covers``, on generated shapes and points.

The oracle is GEOS (``shapely.covers`` on point geometries), computed independently of
the mask for every point. Shapes are drawn so that the hard cases come up often:
vertices and edges on a dyadic lattice (so points exactly on edges and vertices are
representable), holes, multipolygon parts that touch, polygons at the edges of the
world (lon +-180, lat +-90), tiny and huge ones; points on vertices, on edges, a hair
off them, on the grid's cell boundaries, at extreme coordinates and NaN. Every grid
size from one cell (every point tested against edges) to a fine grid is used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from explorer.geo.polygon_mask import PolygonMask, polygon_edges
from explorer.geo.regions import PolygonRegion

CELLS = st.sampled_from([None, 1, 2, 7, 64, 4096, 65536])


def covers(geom: Polygon | MultiPolygon, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """GEOS's answer, point by point (NaN is never covered)."""
    finite = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(x.shape, dtype=bool)
    out[finite] = shapely.covers(geom, shapely.points(x[finite], y[finite]))
    return out


# ----------------------------------------------------------------------- shapes
@st.composite
def star(
    draw: st.DrawFn,
    cx: float,
    cy: float,
    radius: float,
    lattice: float | None,
    vertices: tuple[int, int] = (3, 40),
) -> Polygon:
    """A star-shaped ring around (cx, cy): simple by construction (before snapping)."""
    k = draw(st.integers(*vertices))
    gaps = draw(st.lists(st.floats(0.2, 1.0), min_size=k, max_size=k))
    angles = np.cumsum(gaps) / sum(gaps) * 2 * math.pi
    radii = np.array(draw(st.lists(st.floats(0.2, 1.0), min_size=k, max_size=k))) * radius
    x = cx + radii * np.cos(angles)
    y = cy + radii * np.sin(angles)
    if lattice:
        x, y = np.round(x / lattice) * lattice, np.round(y / lattice) * lattice
    return Polygon(np.column_stack([x, y]))


@st.composite
def rectilinear(draw: st.DrawFn, x0: float, y0: float, step: float) -> Polygon:
    """A comb of axis-aligned edges on a lattice: many collinear and horizontal edges."""
    teeth = draw(st.integers(1, 6))
    height = draw(st.integers(2, 8))
    ring = [(x0, y0)]
    for t in range(teeth):
        left = x0 + 2 * t * step
        ring += [(left + step, y0), (left + step, y0 + height * step)]
        ring += [(left + 2 * step, y0 + height * step), (left + 2 * step, y0)]
    ring += [(x0 + 2 * teeth * step + step, y0), (x0 + 2 * teeth * step + step, y0 - step)]
    ring += [(x0, y0 - step)]
    return Polygon(ring)


@st.composite
def polygons(draw: st.DrawFn) -> Polygon | MultiPolygon:
    """A valid polygon or multipolygon, often with holes, somewhere on the globe."""
    kind = draw(st.sampled_from(["star", "holed", "multi", "comb", "edge-of-world", "tiny"]))
    lattice = draw(st.sampled_from([None, 2.0**-3, 2.0**-10, 1.0]))
    if kind == "tiny":
        # A few metres to a few millimetres across, anywhere.
        cx = draw(st.floats(-179.0, 179.0))
        cy = draw(st.floats(-89.0, 89.0))
        geom: Polygon | MultiPolygon = draw(
            star(cx, cy, draw(st.sampled_from([1e-4, 1e-6, 1e-8])), None)
        )
    elif kind == "comb":
        step = draw(st.sampled_from([1.0, 0.25, 2.0**-12]))
        geom = draw(rectilinear(draw(st.integers(-170, 150)), draw(st.integers(-80, 70)), step))
    elif kind == "edge-of-world":
        # Touching the antimeridian and a pole, with vertices exactly on them.
        lon = draw(st.sampled_from([-180.0, 180.0]))
        lat = draw(st.sampled_from([-90.0, 90.0]))
        inner_lon = lon - math.copysign(draw(st.floats(1.0, 40.0)), lon)
        inner_lat = lat - math.copysign(draw(st.floats(1.0, 40.0)), lat)
        mid = (inner_lat + lat) / 2
        ring = [(lon, lat), (inner_lon, lat), (inner_lon, inner_lat), (lon, mid)]
        geom = Polygon(ring)
    else:
        cx = draw(st.floats(-150.0, 150.0))
        cy = draw(st.floats(-60.0, 60.0))
        radius = draw(st.floats(0.5, 25.0))
        shell = draw(star(cx, cy, radius, lattice))
        if kind == "star":
            geom = shell
        elif kind == "holed":
            hole = draw(star(cx, cy, radius * 0.15, lattice, (3, 12)))
            geom = Polygon(shell.exterior.coords, [hole.exterior.coords])
        else:
            # A second part beside the first, sometimes sharing a vertex with it.
            other = draw(star(cx + 2.2 * radius, cy, radius, lattice))
            geom = MultiPolygon([shell, other])
    assume(not geom.is_empty and geom.is_valid and geom.area > 0)
    minx, miny, maxx, maxy = geom.bounds
    assume(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)
    return geom


# ----------------------------------------------------------------------- points
def hard_points(
    geom: Polygon | MultiPolygon, rng: np.random.Generator, grid: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Random points in and around the box, and points on or next to the boundary."""
    minx, miny, maxx, maxy = geom.bounds
    w, h = maxx - minx, maxy - miny
    n = 600
    xs = [rng.uniform(minx - 0.1 * w, maxx + 0.1 * w, n)]
    ys = [rng.uniform(miny - 0.1 * h, maxy + 0.1 * h, n)]
    p, q = polygon_edges(geom)
    # Vertices; midpoints and quarter points (exact on a dyadic lattice); points
    # interpolated anywhere along each edge (a hair either side after rounding); and
    # vertices nudged by one ulp in each direction.
    xs.append(p[:, 0])
    ys.append(p[:, 1])
    for t in (0.5, 0.25, 0.75):
        xs.append(p[:, 0] + t * (q[:, 0] - p[:, 0]))
        ys.append(p[:, 1] + t * (q[:, 1] - p[:, 1]))
    t = rng.uniform(0, 1, p.shape[0])
    xs.append(p[:, 0] + t * (q[:, 0] - p[:, 0]))
    ys.append(p[:, 1] + t * (q[:, 1] - p[:, 1]))
    for direction in (-np.inf, np.inf):
        xs += [np.nextafter(p[:, 0], direction), p[:, 0]]
        ys += [p[:, 1], np.nextafter(p[:, 1], direction)]
    # The cell boundaries of the grid in use, where index rounding could go astray.
    if grid is not None:
        nx, ny = grid
        gx = minx + np.arange(nx + 1) * (w / nx)
        gy = miny + np.arange(ny + 1) * (h / ny)
        pick_x = rng.choice(gx, 200)
        pick_y = rng.choice(gy, 200)
        xs += [pick_x, rng.uniform(minx, maxx, 200)]
        ys += [rng.uniform(miny, maxy, 200), pick_y]
    # The ends of the world and NaN.
    xs.append(np.array([-180.0, 180.0, -180.0, 180.0, 0.0, 0.0, np.nan, 1.0, np.nan]))
    ys.append(np.array([-90.0, 90.0, 90.0, -90.0, 90.0, -90.0, 1.0, np.nan, np.nan]))
    return np.concatenate(xs), np.concatenate(ys)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geom=polygons(), cells=CELLS, seed=st.integers(0, 2**32 - 1))
def test_mask_equals_shapely_covers(
    geom: Polygon | MultiPolygon, cells: int | None, seed: int
) -> None:
    shapely.prepare(geom)
    engine = PolygonMask(geom, cells=cells, min_grid_candidates=0)
    g = engine.grid()
    x, y = hard_points(geom, np.random.default_rng(seed), (g.nx, g.ny))
    np.testing.assert_array_equal(engine(x, y), covers(geom, x, y))


@settings(max_examples=60, deadline=None)
@given(geom=polygons(), seed=st.integers(0, 2**32 - 1))
def test_small_queries_use_geos_and_agree(geom: Polygon | MultiPolygon, seed: int) -> None:
    # Below the threshold no grid is built; the answers are the same.
    shapely.prepare(geom)
    engine = PolygonMask(geom, min_grid_candidates=10**9)
    x, y = hard_points(geom, np.random.default_rng(seed), None)
    np.testing.assert_array_equal(engine(x, y), covers(geom, x, y))
    assert not engine.has_grid


@pytest.mark.parametrize("cells", [1, 64, 4096])
def test_region_mask_on_the_xinjiang_outline(cells: int) -> None:
    # The real 1,500-vertex outline: a million-point query in miniature, every point
    # near the boundary included.
    from explorer.geo.admin import AdminAreas

    area = AdminAreas.load()["Xinjiang"]
    geom = area.region.geometry
    engine = PolygonMask(geom, cells=cells, min_grid_candidates=0)
    x, y = hard_points(geom, np.random.default_rng(1), (engine.grid().nx, engine.grid().ny))
    np.testing.assert_array_equal(engine(x, y), covers(geom, x, y))


def test_points_on_every_vertex_and_edge_are_inside() -> None:
    # Independent of any oracle: the boundary of a lattice polygon with a hole.
    shell = [(0, 0), (8, 0), (8, 2), (4, 6), (0, 6)]
    hole = [(2, 2), (4, 2), (3, 4)]
    geom = Polygon(shell, [hole])
    region = PolygonRegion("lattice", geom)
    engine = PolygonMask(region.geometry, cells=16, min_grid_candidates=0)
    p, q = polygon_edges(geom)
    t = np.linspace(0, 1, 9)[:, None]  # eighths: exact on this lattice
    x = (p[:, 0] + t * (q[:, 0] - p[:, 0])).ravel()
    y = (p[:, 1] + t * (q[:, 1] - p[:, 1])).ravel()
    assert engine(x, y).all()
    # The hole's centroid and a point beyond the slanted edge are outside.
    assert not engine(np.array([3.0, 7.0]), np.array([8 / 3, 5.0])).any()


@pytest.mark.parametrize("cells", [1, 4, 64])
def test_crowded_runs_go_to_geos_and_agree(cells: int) -> None:
    # A saw with 150 teeth: in a coarse grid one run of cells holds hundreds of edges.
    teeth = 150
    top = [(i / teeth + (k / (2 * teeth)), 1.0 + 0.05 * k) for i in range(teeth) for k in (0, 1)]
    geom = Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), *reversed(top)])
    assert geom.is_valid
    engine = PolygonMask(geom, cells=cells, min_grid_candidates=0)
    assert engine.grid().slots > 48
    x, y = hard_points(geom, np.random.default_rng(5), (engine.grid().nx, engine.grid().ny))
    np.testing.assert_array_equal(engine(x, y), covers(geom, x, y))


def test_cells_must_be_positive() -> None:
    with pytest.raises(ValueError, match="got '0'"):
        PolygonMask(Polygon([(0, 0), (1, 0), (0, 1)]), cells=0)
