"""The page's copy of a boundary layer: simplified for display only, bounded. No Qt."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import Polygon, box

from explorer.geo.regions import PolygonRegion
from explorer.io.boundaries import BoundaryLayer
from explorer.web.boundary_payload import (
    DISPLAY_TOLERANCE_DEG,
    SIMPLIFY_ABOVE_VERTICES,
    boundary_display,
    check_boundary_data,
    layer_display,
)
from explorer.web.protocol import MAX_BOUNDARY_FEATURES as MAX_FEATURES


def wiggly(name: str, lon: float, lat: float, n: int, r: float = 1.0) -> PolygonRegion:
    """A ring of ``n`` vertices around (lon, lat) whose radius wobbles by 0.0005 deg:
    detail far below a screen pixel at zoom 5-8."""
    pts = [
        (
            lon + (r + 0.0005 * math.sin(i * 0.7)) * math.cos(2 * math.pi * i / n),
            lat + (r + 0.0005 * math.sin(i * 0.7)) * math.sin(2 * math.pi * i / n),
        )
        for i in range(n)
    ]
    return PolygonRegion(name, Polygon(pts))


def test_a_small_layer_is_sent_as_it_is_with_open_rings() -> None:
    holed = box(0, 0, 4, 4).difference(box(1, 1, 2, 2))
    layer = BoundaryLayer(
        name="Small", areas=[PolygonRegion("A", holed), PolygonRegion("B", box(5, 5, 6, 6))]
    )
    d = layer_display(layer)
    assert d.tolerance is None and d.features == 2
    assert d.data["name"] == "Small"
    a, b = d.data["features"]
    assert (
        a["name"] == "A" and len(a["polygons"]) == 1 and len(a["polygons"][0]) == 2
    )  # shell + hole
    (ring,) = b["polygons"][0]
    assert len(ring) == 4 and ring[0] != ring[-1]  # open: Leaflet closes it
    assert d.vertices == 4 + 4 + 4
    assert check_boundary_data(d.data) == (2, d.vertices)


def test_a_large_layer_is_simplified_for_display_and_its_areas_are_untouched() -> None:
    areas = [wiggly(f"area {i}", 80 + 2.5 * i, 40, 60_000) for i in range(4)]
    originals = [a.geometry.wkb for a in areas]
    layer = BoundaryLayer(name="Detailed", areas=areas)
    d = layer_display(layer)
    assert sum(len(a.geometry.exterior.coords) - 1 for a in areas) > SIMPLIFY_ABOVE_VERTICES
    assert d.tolerance == DISPLAY_TOLERANCE_DEG
    assert d.vertices < 10_000  # the wobble is gone, the circle stays
    # Within the tolerance of the real outline.
    for feat, area in zip(d.data["features"], areas, strict=True):
        shown = Polygon(feat["polygons"][0][0])
        assert shapely.hausdorff_distance(shown, area.geometry) <= DISPLAY_TOLERANCE_DEG * 1.01
    # The layer (what totals and picking use) is the full geometry.
    assert [a.geometry.wkb for a in layer.areas] == originals


def test_coarser_tolerances_until_the_layer_fits_else_refused() -> None:
    areas = [wiggly(f"a{i}", 80 + 2.5 * i, 40, 5_000) for i in range(3)]
    d = boundary_display("Tight", areas, simplify_above=100, max_vertices=100)
    assert d.tolerance is not None and d.tolerance > DISPLAY_TOLERANCE_DEG and d.vertices <= 100
    with pytest.raises(ValueError, match="even simplified"):
        boundary_display("Tighter", areas, simplify_above=100, max_vertices=10)


def test_too_many_areas_are_refused_before_any_work() -> None:
    areas = [PolygonRegion("x", box(0, 0, 1, 1))] * (MAX_FEATURES + 1)
    with pytest.raises(ValueError, match="20,001 areas; the map shows at most 20,000"):
        boundary_display("Counties", areas)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": "x"},
        {"name": 3, "features": []},
        {"name": "x", "features": [], "extra": 1},
        {"name": "x", "features": [{"name": "a"}]},
        {"name": "x", "features": [{"name": None, "polygons": []}]},
    ],
)
def test_malformed_payloads_are_refused(data: object) -> None:
    with pytest.raises(ValueError):
        check_boundary_data(data)
