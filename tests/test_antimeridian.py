"""Shapes across the antimeridian, against an oracle that never splits anything.

A shape given with longitudes beyond 180 covers a site at longitude ``x`` exactly when
the unsplit shape covers ``x``, ``x + 360`` or ``x - 360``: shapely answers that on the
shape as given, independently of the split the region stores.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from explorer.geo.antimeridian import ambiguous_edge, split_at_antimeridian, to_lon_range
from explorer.geo.polygon_mask import PolygonMask
from explorer.geo.regions import PolygonRegion


def wrapped_covers(geom: Polygon | MultiPolygon, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape, dtype=bool)
    for shift in (-360.0, 0.0, 360.0):
        out |= shapely.covers(geom, shapely.points(x + shift, y))
    return out


@st.composite
def crossing_shapes(draw: st.DrawFn) -> Polygon:
    """A star-shaped polygon (sometimes holed) around a centre near the antimeridian,
    given with longitudes beyond 180 or beyond -180."""
    side = draw(st.sampled_from([1.0, -1.0]))
    cy = draw(st.floats(-60.0, 60.0))
    radius = draw(st.floats(1.0, 25.0))
    k = draw(st.integers(3, 30))
    gaps = np.array(draw(st.lists(st.floats(0.2, 1.0), min_size=k, max_size=k)))
    angles = np.cumsum(gaps) / gaps.sum() * 2 * math.pi
    radii = np.array(draw(st.lists(st.floats(0.3, 1.0), min_size=k, max_size=k))) * radius
    shell = np.column_stack([radii * np.cos(angles), cy + radii * np.sin(angles)])
    holes = []
    if draw(st.booleans()):
        t = np.linspace(0, 2 * math.pi, 7)[:-1]
        holes.append(np.column_stack([0.1 * radius * np.cos(t), cy + 0.1 * radius * np.sin(t)]))
    # Straddle the antimeridian, the centre a random way either side of it.
    shift = side * 180.0 + draw(st.floats(-0.4, 0.4)) * radius
    geom = shapely.transform(Polygon(shell, holes), lambda c: c + np.array([shift, 0.0]))
    _, miny, _, maxy = geom.bounds
    assume(geom.is_valid and miny >= -90 and maxy <= 90)
    return geom


@settings(max_examples=150, deadline=None)
@given(geom=crossing_shapes(), seed=st.integers(0, 2**32 - 1))
def test_split_regions_cover_what_the_unsplit_shape_covers(geom: Polygon, seed: int) -> None:
    region = PolygonRegion("crossing", geom)
    minx, _, maxx, _ = region.bounds
    assert -180 <= minx and maxx <= 180
    rng = np.random.default_rng(seed)
    gminx, gminy, gmaxx, gmaxy = geom.bounds
    n = 3000
    x = rng.uniform(gminx - 1, gmaxx + 1, n)
    x = np.remainder(x + 180.0, 360.0) - 180.0  # as sites are stored
    y = rng.uniform(gminy - 1, gmaxy + 1, n)
    # Sites on the antimeridian itself, from both sides.
    lat = rng.uniform(gminy, gmaxy, 50)
    x = np.concatenate([x, np.full(50, 180.0), np.full(50, -180.0)])
    y = np.concatenate([y, lat, lat])
    np.testing.assert_array_equal(region.mask(x, y), wrapped_covers(geom, x, y))
    # The grid path agrees too.
    engine = PolygonMask(region.geometry, min_grid_candidates=0)
    np.testing.assert_array_equal(engine(x, y), wrapped_covers(geom, x, y))


def test_ambiguous_edge_finds_the_jump_and_nothing_else() -> None:
    jump = Polygon([(170, 0), (-170, 0), (-170, 10), (170, 10)])
    assert ambiguous_edge(jump) == (170.0, -170.0)
    assert ambiguous_edge(shapely.box(-180, -90, 180, 90)) is None  # full width: 360
    assert ambiguous_edge(shapely.box(-90, 0, 90, 10)) is None  # exactly 180: planar
    assert ambiguous_edge(Polygon([(170, 0), (190, 0), (190, 10), (170, 10)])) is None


def test_split_parts_meet_the_antimeridian_exactly() -> None:
    # An edge crossing 180 at a latitude that is not a round number.
    geom = Polygon([(175, 0), (187, 3), (184, 11), (173, 7)])
    split = split_at_antimeridian(geom)
    assert isinstance(split, MultiPolygon)
    xs = shapely.get_coordinates(split)[:, 0]
    assert set(xs[np.abs(np.abs(xs) - 180) < 1e-6].tolist()) <= {180.0, -180.0}
    assert split.area == pytest.approx(geom.area, rel=1e-12)


def test_a_shape_exactly_360_degrees_wide_is_one_band() -> None:
    band = to_lon_range("band", shapely.box(0, 10, 360, 20))
    assert band.is_valid and band.bounds == (-180.0, 10.0, 180.0, 20.0)
    assert band.area == pytest.approx(3600.0)


def test_a_shape_within_range_is_returned_untouched() -> None:
    geom = shapely.box(170, 0, 180, 10)
    assert to_lon_range("edge", geom) is geom
