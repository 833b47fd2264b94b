"""Region payloads for the page, and regions built from page drawings: no Qt needed."""

from __future__ import annotations

import math
from typing import Any

import pytest
from shapely.geometry import Point, Polygon

from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import GEOD, CircleRegion, mercator_polygon, rectangle
from explorer.web.protocol import MAX_DRAWN_VERTICES as MAX_VERTICES
from explorer.web.protocol import MAX_RADIUS_M
from explorer.web.region_payload import check_drawing, region_from_drawing, region_payload


def test_polygon_payload_draws_the_densified_region_and_offers_the_drawn_vertices() -> None:
    drawn = ((75.0, 38.0), (105.0, 50.0), (105.0, 38.0))
    entry = RegionEntry("r1", mercator_polygon("North-west", drawn), drawn)
    p = region_payload(entry)
    assert (p["id"], p["name"], p["kind"]) == ("r1", "North-west", "polygon")
    assert p["handles"] == [list(v) for v in drawn]
    (rings,) = p["polygons"]
    (exterior,) = rings
    # The long diagonal edge was densified: many more vertices than the three drawn,
    # all of the region's exterior except shapely's closing repeat.
    assert len(exterior) == len(entry.region.geometry.exterior.coords) - 1 > 100
    assert p["center"] is None and p["radius_m"] is None


def test_rectangle_payload_has_four_corner_handles() -> None:
    entry = RegionEntry("r2", rectangle("Box", 80.0, 36.0, 90.0, 42.0))
    assert region_payload(entry)["handles"] == [[80, 36], [90, 36], [90, 42], [80, 42]]
    # Across the antimeridian a rectangle has two parts and no single box to edit.
    split = RegionEntry("r3", rectangle("Split", 170.0, 0.0, -170.0, 10.0))
    p = region_payload(split)
    assert p["handles"] == [] and len(p["polygons"]) == 2


def test_circle_payload_has_its_geodesic_outline_and_a_radius_handle_due_east() -> None:
    circle = CircleRegion("Ring", 88.0, 43.0, 150_000.0)
    p = region_payload(RegionEntry("r4", circle))
    assert p["kind"] == "circle" and p["center"] == [88.0, 43.0] and p["radius_m"] == 150_000.0
    (rings,) = p["polygons"]
    assert len(rings[0]) == CircleRegion.OUTLINE_VERTICES
    for lon, lat in rings[0][:: CircleRegion.OUTLINE_VERTICES // 8]:
        assert GEOD.inv(88.0, 43.0, lon, lat)[2] == pytest.approx(150_000.0, abs=0.01)
    centre, edge = p["handles"]
    assert centre == [88.0, 43.0]
    az, _, dist = GEOD.inv(88.0, 43.0, edge[0], edge[1])
    assert az == pytest.approx(90.0) and dist == pytest.approx(150_000.0)


def test_imported_polygons_are_drawn_but_not_editable() -> None:
    entry = RegionEntry("r5", mercator_polygon("Imported", [(80, 30), (81, 30), (80, 31)]))
    assert region_payload(entry)["handles"] == []


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("polygon", {"vertices": [[80, 40], [81, 40], [80, 41]]}),
        ("polygon", {"vertices": [[-180, -85.0511], [180, 85.0511], [0, 0]]}),
        ("rectangle", {"vertices": [[80, 40], [81, 41]]}),
        ("rectangle", {"vertices": [[80, 40], [81, 40], [81, 41], [80, 41]]}),
        ("circle", {"center": [88, 43], "radius_m": 1}),
        ("circle", {"center": [88, 43], "radius_m": MAX_RADIUS_M}),
        ("polygon", {"vertices": [[80.0 + i / 1000, 40.0] for i in range(MAX_VERTICES)]}),
    ],
)
def test_well_formed_drawings_are_accepted(kind: str, payload: dict[str, Any]) -> None:
    shape = check_drawing(kind, payload)
    assert shape is not None
    if kind == "circle":
        assert shape["center"] == tuple(float(v) for v in payload["center"])
        assert isinstance(shape["radius_m"], float)
    else:
        assert shape["vertices"] == [tuple(float(c) for c in v) for v in payload["vertices"]]


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("hexagon", {"vertices": [[80, 40], [81, 40], [80, 41]]}),
        (None, {"vertices": [[80, 40], [81, 40], [80, 41]]}),
        ("polygon", None),
        ("polygon", [[80, 40], [81, 40], [80, 41]]),
        ("polygon", {"vertices": [[80, 40], [81, 40]]}),  # too few
        ("polygon", {"vertices": [[80.0, 40.0]] * (MAX_VERTICES + 1)}),  # too many
        ("polygon", {"vertices": [[80, 40], [81, None], [80, 41]]}),  # NaN arrives as null
        ("polygon", {"vertices": [[80, 40], [81, math.nan], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], [math.inf, 40], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], ["81", 40], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], [True, 40], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], [81, 40, 0], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], [181, 40], [80, 41]]}),
        ("polygon", {"vertices": [[80, 40], [81, 85.06], [80, 41]]}),  # beyond Mercator
        ("polygon", {"vertices": [[80, 40], [81, 40], [80, 41]], "extra": 1}),
        ("polygon", {"vertices": "80,40 81,40 80,41"}),
        ("rectangle", {"vertices": [[80, 40], [81, 40], [81, 41]]}),
        ("rectangle", {"center": [88, 43], "radius_m": 10}),
        ("circle", {"center": [88, 43], "radius_m": 0.5}),
        ("circle", {"center": [88, 43], "radius_m": MAX_RADIUS_M + 1}),
        ("circle", {"center": [88, 43], "radius_m": None}),
        ("circle", {"center": [88, 43], "radius_m": math.nan}),
        ("circle", {"center": [88, 43], "radius_m": True}),
        ("circle", {"center": [88], "radius_m": 10}),
        ("circle", {"center": [88, 43]}),
        ("circle", {"vertices": [[80, 40], [81, 40], [80, 41]]}),
    ],
)
def test_malformed_drawings_are_refused(kind: Any, payload: Any) -> None:
    assert check_drawing(kind, payload) is None


def test_a_drawn_polygon_follows_its_on_screen_edges() -> None:
    """The edge (75, 38) -> (105, 50) is straight on the Mercator map; at lon 90 it passes
    lat 44.30, while a straight lon/lat edge would pass lat 44.0. A site at (90, 44.15)
    is inside what the user drew, so it must be inside the region."""
    drawn = [(75.0, 38.0), (105.0, 50.0), (105.0, 38.0)]
    entry = region_from_drawing("r1", "Polygon 1", "polygon", {"vertices": drawn})
    assert entry.kind == "polygon" and entry.drawn == tuple(drawn)
    assert entry.region.contains_point(90.0, 44.15)
    assert not Polygon(drawn).covers(Point(90.0, 44.15))  # the naive reading misses it


def test_a_rectangle_is_the_box_of_its_corners_whatever_their_order() -> None:
    entry = region_from_drawing(
        "r2", "Rectangle 1", "rectangle", {"vertices": [(90.0, 42.0), (80.0, 36.0)]}
    )
    assert entry.kind == "rectangle"
    assert entry.region.bounds == (80.0, 36.0, 90.0, 42.0)
    assert entry.drawn == ((80.0, 36.0), (90.0, 36.0), (90.0, 42.0), (80.0, 42.0))


def test_a_circle_is_geodesic_and_keeps_no_drawn_vertices() -> None:
    entry = region_from_drawing(
        "r3", "Circle 1", "circle", {"center": (88.0, 43.0), "radius_m": 120_000.0}
    )
    assert entry.region == CircleRegion("Circle 1", 88.0, 43.0, 120_000.0)
    assert entry.drawn == ()


@pytest.mark.parametrize(
    ("kind", "shape", "message"),
    [
        ("polygon", {"vertices": [(80, 40), (80, 40), (81, 41)]}, "3 distinct vertices"),
        ("polygon", {"vertices": [(80, 40), (82, 42), (82, 40), (80, 42)]}, "invalid"),
        ("rectangle", {"vertices": [(80, 40), (80, 42)]}, "west and east"),
    ],
)
def test_shapes_that_are_not_regions_raise_with_the_reason(
    kind: str, shape: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        region_from_drawing("r1", "Bad", kind, shape)
