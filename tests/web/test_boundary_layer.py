"""A loaded boundary layer on the real map page: drawn, listed, picked from, bounded.

One view is shared by the module (start-up is the slow part). Each test starts with no
boundary layer, draw mode "none" and the view at (42, 88) zoom 5, and the fixture puts
that back afterwards. Every wait is on a signal or a page callback, never a sleep.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Polygon, box

from explorer.core.chips import ChipCatalogue
from explorer.geo.regions import PolygonRegion
from explorer.io.boundaries import BoundaryLayer
from explorer.web.protocol import MAX_BOUNDARY_FEATURES as MAX_FEATURES
from explorer.web.protocol import MAX_BOUNDARY_VERTICES as MAX_VERTICES
from explorer.web.region_controller import RegionMapController
from tests.web.conftest import (
    MapEnv,
    call_js,
    grab_shown,
    make_session,
    open_map,
    wait_rendered,
)
from tests.web.driver import MapDriver

pytestmark = pytest.mark.gui

VIEW = (42.0, 88.0)
ZOOM = 5
HAMI_POINT = (95.0, 42.2)  # inside "Hami", clear of the site markers
URUMQI_POINT = (88.3, 43.3)  # inside "Urumqi"
OUTSIDE_POINT = (82.0, 39.0)  # in Xinjiang, in no area of the layer
HOSTILE_NAME = "<img src=x onerror=alert(1)><b>Prefectures</b> & co"


def prefectures(name: str = "Prefectures") -> BoundaryLayer:
    """Three prefecture-like areas: a pentagon around Hami, a box around Urumqi, and a
    box with a hole (the hole must not be drawn as area)."""
    hami = Polygon([(91.8, 41.2), (96.4, 41.5), (96.2, 44.6), (93.5, 45.0), (91.6, 43.6)])
    urumqi = box(86.8, 43.0, 88.9, 44.5)
    ring = box(78.0, 36.0, 81.0, 38.0).difference(box(79.0, 36.5, 80.0, 37.5))
    return BoundaryLayer(
        name=name,
        areas=[
            PolygonRegion("Hami", hami),
            PolygonRegion("Urumqi", urumqi),
            PolygonRegion("Hotan ring", ring),
        ],
    )


class Env:
    def __init__(self, env: MapEnv, rc: RegionMapController) -> None:
        self.view = env.view
        self.sites = env.controller
        self.rc = rc

    def js(self, qtbot: Any, expression: str) -> Any:
        return call_js(qtbot, self.view.evaluate, expression)

    def rendered(self, qtbot: Any) -> None:
        wait_rendered(qtbot, self.sites)

    def boundary(self, qtbot: Any) -> dict[str, Any]:
        return call_js(qtbot, MapDriver(self.view).boundary_state)

    def draw(self, qtbot: Any) -> dict[str, Any]:
        return call_js(qtbot, MapDriver(self.view).draw_state)

    def layer_labels(self, qtbot: Any) -> list[str]:
        return call_js(qtbot, MapDriver(self.view).page_state)["layer_control"]

    def load(self, qtbot: Any, layer: BoundaryLayer | None) -> None:
        self.rc.set_boundary_layer(layer)
        self.rendered(qtbot)

    def hover(self, qtbot: Any, lon: float, lat: float) -> None:
        assert call_js(qtbot, MapDriver(self.view).hover_map_at, lon, lat) is True


@pytest.fixture(scope="module")
def shared(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> Iterator[Env]:
    from PySide6.QtCore import QCoreApplication, QEvent

    session = make_session(catalogue)
    picks: list[tuple[float, float]] = []
    session.pick_area = lambda lon, lat: picks.append((lon, lat))  # type: ignore[method-assign]
    env = open_map(None, session, basemap_dir)
    rc = RegionMapController(env.view, session)
    rc.picks = picks  # type: ignore[attr-defined]
    yield Env(env, rc)
    rc.detach()
    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def m(shared: Env, qtbot: Any) -> Iterator[Env]:
    shared.js(qtbot, f"CSE.map.setView([{VIEW[0]}, {VIEW[1]}], {ZOOM}, {{animate: false}}) && 1")
    shared.rendered(qtbot)
    yield shared
    shared.rc.set_draw_mode("none")
    shared.rc.set_boundary_layer(None)
    shared.rendered(qtbot)
    assert shared.view.js_errors == []
    assert shared.view.js_dialogs == []
    assert shared.view.external_requests == []


# ---------------------------------------------------------------------- drawing
def test_the_loaded_layer_is_drawn_as_a_dashed_overlay_under_regions_and_sites(
    qtbot: Any, m: Env
) -> None:
    layer = prefectures()
    m.load(qtbot, layer)
    st = m.boundary(qtbot)
    assert st["name"] == "Prefectures"
    assert st["features"] == len(layer.areas) == 3
    assert st["drawn"] == 3  # all three are in view and projected onto the canvas
    assert st["on_map"] is True
    assert st["dash"] and st["pane"] == "cse-boundary"
    # What was sent: every ring open, the hole kept as a hole.
    assert st["vertices"] == 5 + 4 + 4 + 4
    assert m.rc.boundary_layer is layer
    assert m.rc.boundary_display is not None and m.rc.boundary_display.tolerance is None
    # Stacking: above the basemap polygons (overlayPane 400), below the regions and
    # the sites; and never in the way of the mouse.
    z = m.js(
        qtbot,
        "['overlayPane', 'cse-boundary', 'cse-regions', 'cse-sites']"
        ".map(function (p) { return Number(getComputedStyle(CSE.map.getPane(p)).zIndex); })",
    )
    assert z[0] < z[1] < z[2] < z[3]
    assert m.js(qtbot, "getComputedStyle(CSE.map.getPane('cse-boundary')).pointerEvents") == "none"


def test_the_layer_switcher_lists_the_layer_by_its_literal_name(qtbot: Any, m: Env) -> None:
    m.load(qtbot, prefectures(HOSTILE_NAME))
    st = m.boundary(qtbot)
    assert st["control_label"] == HOSTILE_NAME
    assert st["control_label_elements"] == 3  # Leaflet's span, checkbox, span: no <img>, <b>
    injected = "'.leaflet-control-layers img, .leaflet-control-layers b'"
    assert m.js(qtbot, f"document.querySelectorAll({injected}).length") == 0
    labels = m.layer_labels(qtbot)
    assert labels.count(HOSTILE_NAME) == 1
    # The basemap layers are still listed as before, ours after them.
    assert labels[-1] == HOSTILE_NAME and "Provinces" in labels
    # Switching it off and on through the switcher keeps the literal name.
    m.js(qtbot, "CSE.boundarySwitcherItem().querySelector('input').click() || 1")
    m.rendered(qtbot)
    st = m.boundary(qtbot)
    assert st["on_map"] is False and st["control_label"] == HOSTILE_NAME
    m.js(qtbot, "CSE.boundarySwitcherItem().querySelector('input').click() || 1")
    assert m.boundary(qtbot)["on_map"] is True


def test_replacing_and_clearing_the_layer(qtbot: Any, m: Env) -> None:
    m.load(qtbot, prefectures("First"))
    second = BoundaryLayer(
        name="Second", areas=[PolygonRegion("Only", box(90.0, 40.0, 91.0, 41.0))]
    )
    m.load(qtbot, second)
    st = m.boundary(qtbot)
    assert (st["name"], st["features"]) == ("Second", 1)
    labels = m.layer_labels(qtbot)
    assert "First" not in labels and labels.count("Second") == 1
    m.load(qtbot, None)
    st = m.boundary(qtbot)
    assert (st["name"], st["features"], st["on_map"], st["control_label"]) == (None, 0, False, None)
    assert "Second" not in m.layer_labels(qtbot)
    assert m.rc.boundary_layer is None


def test_a_reloaded_page_gets_the_layer_again(qtbot: Any, m: Env) -> None:
    m.load(qtbot, prefectures())
    with qtbot.waitSignal(m.sites.ready, timeout=15_000):
        m.view.reload()
    m.rendered(qtbot)
    st = m.boundary(qtbot)
    assert (st["name"], st["features"]) == ("Prefectures", 3)


# ---------------------------------------------------------------------- pick
def test_pick_mode_hovers_the_loaded_layer_and_names_its_areas(qtbot: Any, m: Env) -> None:
    m.load(qtbot, prefectures())
    m.rc.set_draw_mode("pick")
    m.rendered(qtbot)
    st = m.draw(qtbot)
    assert st["pick_layer"] == "boundary"
    assert st["hint"] == "Click an area of Prefectures \u00b7 Esc cancels"
    tool_title = m.js(qtbot, "document.querySelector('.cse-draw-tool[data-mode=pick]').title")
    assert "boundary layer" in tool_title

    m.hover(qtbot, *HAMI_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Hami", timeout=5000)
    st = m.draw(qtbot)
    assert st["tip"] == "Hami" and st["hint"].startswith("Hami \u2014 click")
    assert st["preview_layers"] == 1  # the hovered area is highlighted

    m.hover(qtbot, *URUMQI_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Urumqi", timeout=5000)

    # In Xinjiang but in no area of the layer: nothing is offered (not the province).
    m.hover(qtbot, *OUTSIDE_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] is None, timeout=5000)
    st = m.draw(qtbot)
    assert st["tip"] is None and st["hint"] == "Click an area of Prefectures \u00b7 Esc cancels"

    # Inside the hole of the ring area: not in it.
    m.hover(qtbot, 79.5, 37.0)
    m.hover(qtbot, 78.5, 37.0)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Hotan ring", timeout=5000)
    m.hover(qtbot, 79.5, 37.0)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] is None, timeout=5000)

    # A click still only reports where: Python decides.
    picks = m.rc.picks  # type: ignore[attr-defined]
    picks.clear()
    assert call_js(qtbot, MapDriver(m.view).click_map_at, *HAMI_POINT) is True
    qtbot.waitUntil(lambda: bool(picks), timeout=5000)
    ((lon, lat),) = picks
    assert (lon, lat) == pytest.approx(HAMI_POINT, abs=360 / (256 * 2**ZOOM))
    assert m.rc.boundary_layer is not None
    assert m.rc.boundary_layer.area_at(lon, lat).name == "Hami"
    sent = m.draw(qtbot)["sent"][-1]
    assert (sent["type"], sent["area"], sent["layer"]) == ("areaPicked", "Hami", "boundary")
    assert m.rc.draw_mode == "none"


def test_without_a_layer_pick_mode_hovers_provinces_again(qtbot: Any, m: Env) -> None:
    m.load(qtbot, prefectures())
    m.rc.set_draw_mode("pick")
    m.rendered(qtbot)
    m.hover(qtbot, *HAMI_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Hami", timeout=5000)
    # Cleared while picking: the stale highlight goes, provinces are offered.
    m.load(qtbot, None)
    st = m.draw(qtbot)
    assert (st["mode"], st["pick_layer"], st["hovered"], st["preview_layers"]) == (
        "pick",
        "provinces",
        None,
        0,
    )
    assert st["hint"] == "Click a province \u00b7 Esc cancels"
    m.hover(qtbot, *OUTSIDE_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Xinjiang", timeout=5000)


# ---------------------------------------------------------------------- bounds
def test_python_refuses_a_layer_over_the_bounds(m: Env) -> None:
    many = [
        {"name": f"a{i}", "polygons": [[[[0, 0], [1, 0], [1, 1]]]]} for i in range(MAX_FEATURES + 1)
    ]
    seq = m.view.bridge.last_sent_seq
    with pytest.raises(ValueError, match="features"):
        m.view.bridge.post_boundary_layer({"name": "Too many", "features": many})
    with pytest.raises(ValueError, match="vertices"):
        m.view.bridge.post_boundary_layer(
            {
                "name": "Too big",
                "features": [{"name": "x", "polygons": [[[[0, 0]] * (MAX_VERTICES + 1)]]}],
            }
        )
    assert m.view.bridge.last_sent_seq == seq  # nothing was sent
    areas = [
        PolygonRegion(f"a{i}", box(i * 0.001, 0, i * 0.001 + 0.0005, 0.0005))
        for i in range(MAX_FEATURES + 1)
    ]
    with pytest.raises(ValueError, match="at most 20,000"):
        m.rc.set_boundary_layer(BoundaryLayer(name="Counties", areas=areas))
    assert m.rc.boundary_layer is None


def _raw(m: Env, data_json: str) -> None:
    """Send boundaryLayerSet as a broken or hostile Python side could (no checks)."""
    bridge = m.view.bridge
    bridge._seq += 1  # keep the page's acks in step with what we "sent"
    bridge.boundaryLayerSet.emit(f'{{"seq": {bridge._seq}, "data": {data_json}}}')


@pytest.mark.parametrize(
    "what, data_json",
    [
        (
            "too many features",
            json.dumps(
                {
                    "name": "Too many",
                    "features": [{"name": "a", "polygons": [[[[80, 40], [81, 40], [81, 41]]]]}]
                    * (MAX_FEATURES + 1),
                }
            ),
        ),
        (
            "too many vertices",
            '{"name": "Too big", "features": [{"name": "x", "polygons": [[['
            + ",".join(["[80,40]"] * (MAX_VERTICES + 1))
            + "]]]}]}",
        ),
        (
            "a bad coordinate",
            json.dumps(
                {
                    "name": "Bad",
                    "features": [{"name": "x", "polygons": [[[[80, 40], [81, 95], [81, 41]]]]}],
                }
            ),
        ),
        ("no features", json.dumps({"name": "Odd"})),
    ],
)
def test_the_page_drops_a_bad_payload_with_a_log_line(
    qtbot: Any, m: Env, caplog: pytest.LogCaptureFixture, what: str, data_json: str
) -> None:
    m.load(qtbot, prefectures())
    before = m.boundary(qtbot)
    with caplog.at_level(logging.WARNING, logger="explorer.web.view"):
        _raw(m, data_json)
        m.rendered(qtbot)
        qtbot.waitUntil(lambda: "dropped boundaryLayerSet" in caplog.text, timeout=5000)
    st = m.boundary(qtbot)
    assert st["dropped"] == before["dropped"] + 1
    # The layer that was there stays.
    assert (st["name"], st["features"], st["control_label"]) == ("Prefectures", 3, "Prefectures")


# ---------------------------------------------------------------------- screenshot
def test_screenshot_with_a_boundary_layer(qtbot: Any, m: Env, tmp_path: Path) -> None:
    m.js(qtbot, "CSE.map.setView([41.5, 88.0], 5, {animate: false}) && 1")
    m.load(qtbot, prefectures())
    m.rc.set_draw_mode("pick")
    m.rendered(qtbot)
    m.hover(qtbot, *HAMI_POINT)
    qtbot.waitUntil(lambda: m.draw(qtbot)["hovered"] == "Hami", timeout=5000)
    image = grab_shown(qtbot, m.sites, m.view)
    out = Path(os.environ.get("CSE_SCREENSHOT_DIR", tmp_path)) / "map_boundary_layer.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(out))
    # The Urumqi box's west edge (86.8 E) is drawn dashed in the layer's teal: along a
    # 40 px run of it, some pixels are teal and some are not.
    top = m.js(qtbot, "CSE.viewportPoint(44.3, 86.8)")
    z = m.view.zoomFactor()
    x0 = round(top["x"] * z)
    teal = 0
    for dy in range(40):
        y = round(top["y"] * z) + dy
        colours = [image.pixelColor(x0 + dx, y) for dx in (-1, 0, 1)]
        if any(c.green() - c.red() > 40 and c.blue() - c.red() > 30 for c in colours):
            teal += 1
    assert 10 <= teal <= 36, teal
