"""MapBridge, region side: queueing of region messages and validation of what the page
sends about drawings. The slots are called directly with the values QWebChannel hands
over (``NaN``/``Infinity`` arrive as ``None``; JS objects as dicts)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, mercator_polygon, rectangle
from explorer.web.bridge import MAX_ID_LENGTH, MAX_QUEUE, MapBridge
from explorer.web.protocol import MAX_DRAWN_VERTICES as MAX_VERTICES
from explorer.web.region_payload import region_payload

EVENTS = (
    "regionsReset",
    "regionUpserted",
    "regionRemoved",
    "regionSelected",
    "drawModeChanged",
    "sitesHighlighted",
    "fitBounds",
    "sitesReset",
    "ready",
    "regionDrawnOnMap",
    "regionEditedOnMap",
    "regionClickedOnMap",
    "areaPickedOnMap",
    "drawCancelledOnMap",
    "drawModeRequestedOnMap",
)

TRIANGLE = [[80.0, 40.0], [81.0, 40.0], [80.0, 41.0]]


class Recorder:
    def __init__(self, bridge: MapBridge) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in EVENTS:
            getattr(bridge, name).connect(lambda *args, _n=name: self.events.append((_n, args)))

    def names(self) -> list[str]:
        return [n for n, _ in self.events]


def _payloads() -> list[dict[str, Any]]:
    return [
        region_payload(
            RegionEntry("p1", mercator_polygon("P", TRIANGLE), tuple(map(tuple, TRIANGLE)))
        ),
        region_payload(RegionEntry("b1", rectangle("B", 80, 36, 90, 42))),
        region_payload(RegionEntry("c1", CircleRegion("C", 88, 43, 50_000))),
    ]


@pytest.fixture
def bridge(qapp: Any) -> MapBridge:
    b = MapBridge()
    b.post_regions_reset(_payloads())
    b.pageReady()
    return b


def test_region_messages_are_queued_compacted_and_numbered(qapp: Any) -> None:
    b = MapBridge()
    rec = Recorder(b)
    payloads = _payloads()
    b.post_region_upserts(payloads[:1])
    b.post_draw_mode("polygon")
    b.post_region_removals(["p1"])
    b.post_regions_reset(payloads)  # supersedes the region messages before it
    b.post_draw_mode("none")  # only the newest mode matters
    b.post_region_selection("c1")
    b.post_sites_highlighted(["a", "b"])
    assert rec.events == []
    b.pageReady()
    assert rec.names() == [
        "regionsReset",
        "drawModeChanged",
        "regionSelected",
        "sitesHighlighted",
        "ready",
    ]
    messages = [json.loads(args[0]) for _, args in rec.events[:4]]
    assert [m["data"] for m in messages[1:]] == ["none", "c1", ["a", "b"]]
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)
    assert b.known_region_ids == frozenset({"p1", "b1", "c1"})


def test_a_long_unready_queue_asks_for_a_region_resync_too(qapp: Any) -> None:
    b = MapBridge()
    rec = Recorder(b)
    for i in range(MAX_QUEUE + 1):
        b.post_region_upserts([dict(_payloads()[0], id=f"r{i}")])
    assert b.region_resync_needed is True and b.resync_needed is True
    b.pageReady()
    assert rec.names() == ["ready"]


def test_valid_drawings_and_events_are_reemitted(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    bridge.regionDrawn("polygon", {"vertices": TRIANGLE})
    bridge.regionDrawn("rectangle", {"vertices": [[80, 36], [90, 42]]})
    bridge.regionDrawn("circle", {"center": [88, 43.5], "radius_m": 12_345})
    bridge.regionEdited("c1", {"center": [88, 43], "radius_m": 60_000.5})
    bridge.regionEdited("b1", {"vertices": [[80, 36], [91, 36], [91, 42], [80, 42]]})
    bridge.regionClicked("p1")
    bridge.areaPicked(87.6, 43.8)
    bridge.drawCancelled()
    bridge.drawModeRequested("pick")
    assert rec.events == [
        ("regionDrawnOnMap", ("polygon", {"vertices": [tuple(v) for v in TRIANGLE]})),
        ("regionDrawnOnMap", ("rectangle", {"vertices": [(80.0, 36.0), (90.0, 42.0)]})),
        ("regionDrawnOnMap", ("circle", {"center": (88.0, 43.5), "radius_m": 12345.0})),
        ("regionEditedOnMap", ("c1", {"center": (88.0, 43.0), "radius_m": 60000.5})),
        (
            "regionEditedOnMap",
            ("b1", {"vertices": [(80.0, 36.0), (91.0, 36.0), (91.0, 42.0), (80.0, 42.0)]}),
        ),
        ("regionClickedOnMap", ("p1",)),
        ("areaPickedOnMap", (87.6, 43.8)),
        ("drawCancelledOnMap", ()),
        ("drawModeRequestedOnMap", ("pick",)),
    ]
    assert bridge.dropped_messages == 0


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("polygon", {"vertices": [[80, 40], [None, 40], [80, 41]]}),  # NaN from JS
        ("polygon", {"vertices": [[80.0 + i * 1e-4, 40.0] for i in range(10_000)]}),
        ("polygon", {"vertices": [[80.0, 40.0]] * (MAX_VERTICES + 1)}),
        ("polygon", {"vertices": [[80, 40], [81, 89.0], [80, 41]]}),
        ("circle", {"center": [88, 43], "radius_m": 0}),
        ("circle", {"center": [88, 43], "radius_m": 6_000_000}),
        ("circle", {"center": [None, 43], "radius_m": 1000}),
        ("ellipse", {"center": [88, 43], "radius_m": 1000}),
        ("polygon", "not an object"),
    ],
)
def test_malformed_drawings_are_dropped(
    bridge: MapBridge, kind: Any, payload: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder(bridge)
    with caplog.at_level(logging.WARNING, logger="explorer.web.bridge"):
        bridge.regionDrawn(kind, payload)
    assert rec.events == []
    assert bridge.dropped_messages == 1
    assert "dropped regionDrawn" in caplog.text


@pytest.mark.parametrize(
    ("rid", "payload"),
    [
        ("nope", {"vertices": TRIANGLE}),  # unknown id
        ("", {"vertices": TRIANGLE}),
        (None, {"vertices": TRIANGLE}),
        (7, {"vertices": TRIANGLE}),
        ("p" * (MAX_ID_LENGTH + 1), {"vertices": TRIANGLE}),
        ("p1", {"center": [88, 43], "radius_m": 1000}),  # a circle shape for a polygon
        ("c1", {"vertices": TRIANGLE}),  # a polygon shape for a circle
        ("b1", {"vertices": TRIANGLE}),  # three corners for a rectangle
        ("p1", {"vertices": [[80, 40], [81, float("nan")], [80, 41]]}),
        ("p1", {"vertices": [[80.0 + i * 1e-4, 40.0] for i in range(10_000)]}),
    ],
)
def test_malformed_edits_are_dropped(bridge: MapBridge, rid: Any, payload: Any) -> None:
    rec = Recorder(bridge)
    bridge.regionEdited(rid, payload)
    bridge.regionClicked(None if rid in {"p1", "b1", "c1"} else rid)
    assert rec.events == []
    assert bridge.dropped_messages == 2


def test_removed_regions_become_unknown(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    bridge.post_region_removals(["p1"])
    bridge.regionClicked("p1")
    bridge.regionEdited("p1", {"vertices": TRIANGLE})
    assert [n for n in rec.names() if n.endswith("OnMap")] == []
    assert bridge.known_region_ids == frozenset({"b1", "c1"})


@pytest.mark.parametrize(
    ("lon", "lat"), [(None, 40.0), (float("nan"), 40.0), ("87", 43.0), (200.0, 40.0), (True, 1)]
)
def test_bad_picks_are_dropped(bridge: MapBridge, lon: Any, lat: Any) -> None:
    rec = Recorder(bridge)
    bridge.areaPicked(lon, lat)
    assert rec.events == [] and bridge.dropped_messages == 1


@pytest.mark.parametrize("mode", ["edit", "", None, 3, ["polygon"]])
def test_unknown_tool_requests_are_dropped(bridge: MapBridge, mode: Any) -> None:
    rec = Recorder(bridge)
    bridge.drawModeRequested(mode)
    assert rec.events == [] and bridge.dropped_messages == 1


def test_invalid_region_posts_raise(bridge: MapBridge) -> None:
    with pytest.raises(ValueError, match="draw mode must be one of"):
        bridge.post_draw_mode("lasso")
    with pytest.raises(ValueError, match="fit_bounds"):
        bridge.post_fit_bounds(90.0, 40.0, 80.0, 45.0)
    with pytest.raises(ValueError, match="fit_bounds"):
        bridge.post_fit_bounds(float("nan"), 40.0, 80.0, 45.0)
    with pytest.raises(ValueError, match="site ids"):
        bridge.post_sites_highlighted([1, 2])  # type: ignore[list-item]
