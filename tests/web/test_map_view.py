"""The map as the user sees it: a real QtWebEngine page, driven with real mouse events.

One view is shared by the module (start-up is the slow part); tests that change the
store put it back. Every wait is on a signal or a page callback, never a fixed sleep.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.web.page import ATTRIBUTION, PROVINCE_NOTE
from tests.web.conftest import (
    NO_CHIPS,
    RESTRICTED,
    UNRESTRICTED,
    MapEnv,
    call_js,
    expected_basemap_keys,
    grab_shown,
    make_session,
    open_map,
    wait_rendered,
)
from tests.web.driver import MapDriver, rgb_hex

pytestmark = pytest.mark.gui

XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def env(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> Iterator[MapEnv]:
    env = open_map(None, make_session(catalogue), basemap_dir)
    yield env
    from PySide6.QtCore import QCoreApplication, QEvent

    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    # Delete now (page before its profile), not at interpreter exit in any order.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def m(env: MapEnv, qtbot: Any) -> Iterator[MapEnv]:
    """The shared map, with selection cleared and browse mode on after each test."""
    yield env
    env.session.set_mode("browse")
    env.selection.clear()
    call_js(qtbot, env.view.evaluate, "CSE.map.setView([40.0, 86.0], 5, {animate: false}) && true")
    wait_rendered(qtbot, env.controller)


def state(qtbot: Any, env: MapEnv) -> dict[str, Any]:
    return call_js(qtbot, MapDriver(env.view).page_state)


def marker(qtbot: Any, env: MapEnv, sid: str) -> dict[str, Any] | None:
    return call_js(qtbot, MapDriver(env.view).marker_state, sid)


def js(qtbot: Any, env: MapEnv, expression: str) -> Any:
    return call_js(qtbot, env.view.evaluate, expression)


# ---------------------------------------------------------------------- loading
DECODE_JS = """(function () {
  var d = CSE.decodeColumn;
  function run() {
    return [
      Array.from(d(['u1', 'AQID'])), Array.from(d(['i2', '//8BAA=='])),
      Array.from(d(['f8', 'AAAAAAAA+D8='])), d(['f8', 'AQID']), d(['u1', '%%%']),
      d(['x9', 'AQID']), d('AQID'), Array.from(d(['u1', '']))
    ];
  }
  var fast = run();
  var from = Uint8Array.fromBase64;
  delete Uint8Array.fromBase64;  // an engine before Chromium 140
  try {
    return {engine: typeof from, fast: fast, slow: run()};
  } finally {
    Uint8Array.fromBase64 = from;
  }
})()"""


def test_columns_decode_alike_in_the_engine_and_without_it(qtbot: Any, m: MapEnv) -> None:
    # Base64 columns: by the engine's Uint8Array.fromBase64 where there is one, by atob
    # on an older engine; the same values, the same refusals (not base64, a length
    # that does not fit the type, an unknown type, not a column).
    got = js(qtbot, m, DECODE_JS)
    assert got["engine"] == "function"  # this engine has it: the fast path is tested
    expected = [[1, 2, 3], [-1, 1], [1.5], None, None, None, None, []]
    assert got["fast"] == expected
    assert got["slow"] == expected


def test_page_loads_connects_and_shows_every_site(qtbot: Any, m: MapEnv) -> None:
    st = state(qtbot, m)
    assert st["connected"] is True
    assert st["sites"] == len(m.store)
    assert st["mode"] == "browse" and st["color_mode"] == "export"
    assert m.view.js_errors == []


def test_basemap_layers_and_controls_are_present(qtbot: Any, m: MapEnv) -> None:
    st = state(qtbot, m)
    keys = expected_basemap_keys(m.basemap_dir)
    assert set(st["basemap"]) == keys
    for key in keys:
        assert st["basemap"][key]["features"] > 0
        assert st["basemap"][key]["on_map"] is True
    assert st["layer_control"][-1] == "Sites"
    assert "Countries" in st["layer_control"] and "Provinces" in st["layer_control"]
    attribution = js(qtbot, m, "document.querySelector('.leaflet-control-attribution').textContent")
    assert ATTRIBUTION in attribution
    note = js(qtbot, m, "document.querySelector('.cse-note').textContent")
    assert note == PROVINCE_NOTE
    scale = js(qtbot, m, "document.querySelector('.leaflet-control-scale-line').textContent")
    assert scale.endswith("km") or scale.endswith(" m")
    assert (
        js(qtbot, m, "document.querySelectorAll('.leaflet-control-scale-line').length") == 1
    )  # metric only
    # The focus provinces are drawn heavier than the others, on the basemap's canvas.
    drawn = js(qtbot, m, "CSE.basemap.polygonCanvas.lastDrawn")
    weights = [d["weight"] for d in drawn if d["layer"] == "provinces"]
    assert weights and max(weights) >= 2.0 and min(weights) < 1.0
    assert {d["layer"] for d in drawn} == {"countries", "provinces", "lakes"} & keys
    assert js(qtbot, m, "document.querySelectorAll('.leaflet-overlay-pane path').length") == 0


def test_on_a_narrow_map_the_attribution_leaves_the_scale_bar_clear(qtbot: Any, m: MapEnv) -> None:
    # The map's width in the window on a 1366x768 screen: the attribution's one long
    # line reached over the scale bar at the bottom left.
    rects = (
        "[...['.leaflet-control-attribution', '.leaflet-control-scale']].map(function (q) {"
        " var r = document.querySelector(q).getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })"
    )
    size = m.view.size()
    m.view.resize(600, 430)
    try:
        qtbot.waitUntil(lambda: js(qtbot, m, "window.innerWidth") == 600, timeout=10_000)
        (a_left, a_top, a_right, a_bottom), (s_left, s_top, s_right, s_bottom) = js(qtbot, m, rects)
        assert s_right > s_left and a_right > a_left  # both shown
        overlap = a_left < s_right and s_left < a_right and a_top < s_bottom and s_top < a_bottom
        assert not overlap, ((a_left, a_top, a_right, a_bottom), (s_left, s_top, s_right, s_bottom))
        assert a_right <= 600 and a_bottom <= 430  # all of it on the map
    finally:
        m.view.resize(size)
        qtbot.waitUntil(lambda: js(qtbot, m, "window.innerWidth") == size.width(), timeout=10_000)


def test_basemap_places_are_projected_as_leaflet_projects_them(qtbot: Any, m: MapEnv) -> None:
    # The basemap projects its vertices and towns itself (no LatLng and Points per
    # vertex); it must give Leaflet's numbers exactly, or drawn features and towns
    # would drift from the markers and the pick tool.
    mismatches = js(
        qtbot,
        m,
        """(function () {
  var crs = L.CRS.EPSG3857, bad = [], n = 0;
  function check(what, lon, lat, x, y) {
    var q = crs.latLngToPoint(L.latLng(lat, lon), 0);
    n += 1;
    if (q.x !== x || q.y !== y) { bad.push([what, lon, lat, x, y, q.x, q.y]); }
  }
  var t = CSE.basemap.towns;
  for (var i = 0; i < t._n; i++) { check('town', t._lon[i], t._lat[i], t._wx[i], t._wy[i]); }
  CSE.basemapLayers.forEach(function (ref) {
    (ref.layer.features || []).forEach(function (f) {
      var xs = [], ys = [];
      f.polygons.forEach(function (rings) { rings.forEach(function (ring) {
        ring.forEach(function (c) {
          var q = crs.latLngToPoint(L.latLng(c[1], c[0]), 0); xs.push(q.x); ys.push(q.y);
        });
      }); });
      n += 1;
      var box = [Math.min.apply(null, xs), Math.min.apply(null, ys),
                 Math.max.apply(null, xs), Math.max.apply(null, ys)];
      var s = f.shape;
      if (box[0] !== s.x0 || box[1] !== s.y0 || box[2] !== s.x1 || box[3] !== s.y1) {
        bad.push([ref.key, f.name, box, [s.x0, s.y0, s.x1, s.y1]]);
      }
    });
  });
  return {checked: n, bad: bad.slice(0, 5)};
})()""",
    )
    assert mismatches["bad"] == []
    assert mismatches["checked"] > 1000  # every town and every polygon feature


#: Towns in the page whose dot and label are shown inside a box [[s, w], [n, e]] (null:
#: the map's view now).
TOWNS_IN_JS = """(function (box) {
  var b = box ? L.latLngBounds(box) : CSE.map.getBounds();
  var out = {dots: 0, labels: 0, all_dots: 0};
  CSE.pageTowns().forEach(function (t) {
    var v = t.visibleParts();
    out.all_dots += v.dot ? 1 : 0;
    if (b.contains(t._latlng)) { out.dots += v.dot ? 1 : 0; out.labels += v.label ? 1 : 0; }
  });
  return out;
})(%s)"""


def towns_in(qtbot: Any, env: MapEnv, box: Any = None) -> dict[str, int]:
    return js(qtbot, env, TOWNS_IN_JS % json.dumps(box))


def test_town_labels_appear_as_you_zoom_in(qtbot: Any, m: MapEnv) -> None:
    js(qtbot, m, "CSE.map.setZoom(7, {animate: false}) || true")
    qtbot.waitUntil(lambda: state(qtbot, m)["zoom"] == 7, timeout=5000)
    box = js(
        qtbot,
        m,
        "(function (b) { return [[b.getSouth(), b.getWest()],"
        " [b.getNorth(), b.getEast()]]; })(CSE.map.getBounds())",
    )
    # Labels are decluttered once the view settles; wait for that pass.
    qtbot.waitUntil(lambda: towns_in(qtbot, m)["labels"] > 0, timeout=5000)
    zoomed = towns_in(qtbot, m, box)
    js(qtbot, m, "CSE.map.setView([40.0, 86.0], 5, {animate: false}) || true")
    qtbot.waitUntil(lambda: towns_in(qtbot, m, box)["dots"] < zoomed["dots"], timeout=5000)
    wide = towns_in(qtbot, m, box)
    # The same stretch of land shows more towns, and more names, closer in.
    assert zoomed["dots"] > wide["dots"] and zoomed["labels"] > wide["labels"]


def test_only_towns_near_the_view_are_in_the_page(qtbot: Any, m: MapEnv) -> None:
    wide = towns_in(qtbot, m)["all_dots"]
    js(qtbot, m, "CSE.map.setView([43.8, 87.6], 10, {animate: false}) || true")
    qtbot.waitUntil(lambda: towns_in(qtbot, m)["all_dots"] < wide, timeout=5000)
    near = towns_in(qtbot, m)
    assert near["dots"] > 0  # Urumqi and its neighbours
    total = js(qtbot, m, "CSE.pageTowns().length")
    assert near["all_dots"] < total / 10  # not every town's dot everywhere


def test_markers_are_drawn_where_the_sites_are(qtbot: Any, m: MapEnv) -> None:
    radii = {}
    for site in m.store:
        ms = marker(qtbot, m, site.id)
        assert ms is not None, site.id
        assert ms["on_map"] and ms["drawn"]
        assert ms["lat"] == pytest.approx(site.lat) and ms["lon"] == pytest.approx(site.lon)
        assert ms["tooltip_text"].split("\n")[0] == site.name
        radii[site.id] = ms["radius"]
    # Radius follows sqrt(chips): 5000 > 2000 > 1000 > 0 chips.
    assert radii["b-hami"] > radii["a-urumqi"] > radii["d-kashgar"] > radii["c-golmud"]
    colours = {sid: marker(qtbot, m, sid)["color"] for sid in m.store.ids()}
    assert colours == {
        "a-urumqi": RESTRICTED,
        "b-hami": UNRESTRICTED,
        "c-golmud": NO_CHIPS,
        "d-kashgar": RESTRICTED,  # 100 of its 1000 chips need a licence
    }
    assert marker(qtbot, m, "d-kashgar")["dashed"] is True  # illustrative
    assert marker(qtbot, m, "a-urumqi")["dashed"] is False


def test_screenshot_shows_the_markers(qtbot: Any, m: MapEnv, tmp_path: Path) -> None:
    shot = grab_shown(qtbot, m.controller, m.view)
    out = Path(os.environ.get("CSE_SCREENSHOT_DIR", tmp_path)) / "map_view.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert shot.save(str(out))
    # What the user sees: the pixel at the Hami marker's centre is its blue fill.
    point = call_js(qtbot, m.view.evaluate, "CSE.markerPoint('b-hami')")
    x, y = round(point["x"]), round(point["y"])

    colour = shot.pixelColor(x, y)
    assert colour.blue() > 120 and colour.red() < 100, colour.name()


def test_snapshots_wait_for_the_frame_to_reach_the_widget(qtbot: Any, m: MapEnv) -> None:
    """A heavy page-side change (a zoom redraws every town) still shows in the snapshot."""
    wait_rendered(qtbot, m.controller)
    before = m.view.grab().toImage()
    js(qtbot, m, "CSE.map.setZoom(7, {animate: false}) && true")
    shot = grab_shown(qtbot, m.controller, m.view)
    assert shot != before
    assert m.view.shows_seq(m.controller.last_rendered_seq)
    scale = js(qtbot, m, "document.querySelector('.leaflet-control-scale-line').textContent")
    assert scale in ("100 km", "200 km")  # zoom 7 at this latitude


#: Animation frames stop (the page's requestAnimationFrame holds its callbacks), as when a
#: busy machine or a blocked UI thread gives the page no frame for a second.
HOLD_FRAMES_JS = """(function () {
  var held = (window.__cseHeldFrames = []);
  window.__cseRealRaf = window.requestAnimationFrame;
  window.__cseRealCaf = window.cancelAnimationFrame;
  window.requestAnimationFrame = function (cb) { held.push(cb); return -held.length; };
  window.cancelAnimationFrame = function (id) {
    if (id < 0) { held[-id - 1] = null; } else { window.__cseRealCaf(id); }
  };
  return true;
})()"""
#: Frames again; the callbacks held meanwhile run now. Returns how many were held.
RELEASE_FRAMES_JS = """(function () {
  window.requestAnimationFrame = window.__cseRealRaf;
  window.cancelAnimationFrame = window.__cseRealCaf;
  var held = window.__cseHeldFrames;
  var now = performance.now();
  held.forEach(function (cb) { if (cb) { cb(now); } });
  return held.length;
})()"""


def test_rendered_comes_after_the_markers_are_painted_even_without_a_frame(
    qtbot: Any, m: MapEnv
) -> None:
    """With no animation frame for a second the page acks from its fallback timer: the
    canvas must be painted by then, or pixels read at "rendered" are the old ones (seen
    under load, when a blocked UI thread held Chromium's frames)."""
    js(qtbot, m, HOLD_FRAMES_JS)
    try:
        m.session.set_color_mode("model")
        wait_rendered(qtbot, m.controller)
        ms = marker(qtbot, m, "b-hami")
    finally:
        held = js(qtbot, m, RELEASE_FRAMES_JS)
        m.session.set_color_mode("export")
        wait_rendered(qtbot, m.controller)
    assert held > 0  # the ack really came without a frame
    assert ms is not None and ms["color"] != UNRESTRICTED  # coloured by model now
    painted = rgb_hex(ms["painted_fill"])
    assert all(
        abs(int(painted[k : k + 2], 16) - int(ms["color"][k : k + 2], 16)) <= 3 for k in (1, 3, 5)
    ), (painted, ms["color"])


# ---------------------------------------------------------------------- interaction
def test_clicking_a_marker_selects_the_site(qtbot: Any, m: MapEnv) -> None:
    with qtbot.waitSignal(m.view.bridge.siteClickedOnMap, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).click_marker, "b-hami")
    assert blocker.args == ["b-hami"]
    assert m.selection.current == "b-hami"
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, "b-hami")
    assert ms["selected"] is True and ms["outline"] == "#000000"
    assert marker(qtbot, m, "a-urumqi")["selected"] is False


def test_selection_from_python_highlights_the_marker(qtbot: Any, m: MapEnv) -> None:
    m.selection.set("a-urumqi")
    wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "a-urumqi")["selected"] is True
    m.selection.clear()
    wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "a-urumqi")["selected"] is False


def test_store_edit_updates_the_marker_without_reloading(qtbot: Any, m: MapEnv) -> None:
    load_id = state(qtbot, m)["load_id"]
    reloads: list[bool] = []
    m.view.loadStarted.connect(lambda: reloads.append(True))
    old = m.store.get("a-urumqi")
    before = marker(qtbot, m, "a-urumqi")
    new = dataclasses.replace(old, hardware=(HardwareLine("H100", 20000),))
    try:
        m.store.replace(new)
        wait_rendered(qtbot, m.controller)
        after = marker(qtbot, m, "a-urumqi")
        assert after["radius"] > before["radius"]
        assert after["tooltip_text"].split("\n")[1].startswith("20,000 chips")
        assert state(qtbot, m)["load_id"] == load_id
        assert reloads == []
    finally:
        m.store.replace(old)
        wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "a-urumqi")["radius"] == before["radius"]


def test_insert_and_remove_follow_the_store(qtbot: Any, m: MapEnv) -> None:
    site = Site(
        id="e-new", name="New one", lon=90.0, lat=41.0, hardware=(HardwareLine("H200", 10),)
    )
    m.store.insert([site])
    wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "e-new")["on_map"] is True
    m.store.remove(["e-new"])
    wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "e-new") is None
    assert state(qtbot, m)["sites"] == len(m.store)


def test_a_long_reset_reaches_the_page_in_parts_before_what_follows_it(
    qtbot: Any, m: MapEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A million sites' reset goes in parts (Qt writes each into the channel's JSON
    # quicker than 100 MB in one piece); parts this small make the demo's reset
    # several. The page joins them and applies what follows (an edit) after it.
    from explorer.web import bridge as bridge_module

    monkeypatch.setattr(bridge_module, "RESET_PART_CHARS", 150)
    bridge = m.view.bridge
    parts: list[str] = []
    bridge.sitesResetPart.connect(parts.append)
    original = list(m.store)
    first = original[0]
    try:
        m.store.reset(original)
        moved = dataclasses.replace(first, lon=first.lon + 0.75, name="Moved after the reset")
        assert m.store.replace(moved)
        wait_rendered(qtbot, m.controller)
        count = int(parts[0].split(":")[1])
        assert count >= 5 and len(parts) == count
        assert [p.split(":", 2)[:2] for p in parts] == [[str(k), str(count)] for k in range(count)]
        text = "".join(p.split(":", 2)[2] for p in parts)
        assert json.loads(text)["data"]["sites"]["n"] == len(original)
        ms = marker(qtbot, m, first.id)
        assert ms["lon"] == pytest.approx(first.lon + 0.75) and "Moved after" in ms["tooltip_text"]
        assert state(qtbot, m)["sites"] == len(original)
    finally:
        bridge.sitesResetPart.disconnect(parts.append)
        m.store.reset(original)
        wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, first.id)["lon"] == pytest.approx(first.lon)


def test_a_hostile_name_is_shown_as_text(qtbot: Any, m: MapEnv) -> None:
    site = Site(
        id="x-xss", name=XSS_NAME, lon=84.0, lat=42.0, hardware=(HardwareLine("H100", 500),)
    )
    m.store.insert([site])
    try:
        wait_rendered(qtbot, m.controller)
        assert marker(qtbot, m, "x-xss")["tooltip_text"].split("\n")[0] == XSS_NAME
        # Hover the marker like a user so its tooltip is in the document.
        point = call_js(qtbot, m.view.evaluate, "CSE.markerPoint('x-xss')")
        QTest.mouseMove(m.view.focusProxy(), QPoint(round(point["x"]), round(point["y"])))
        # Wait for this marker's tooltip (one left open by an earlier hover may still be
        # showing another site until the move is handled), then read it as text.
        tip_name = (
            "(function () { var e = document.querySelector('.cse-site-tooltip .cse-tip-name');"
            " return e ? e.textContent : null; })()"
        )
        qtbot.waitUntil(lambda: js(qtbot, m, tip_name) == XSS_NAME, timeout=5000)
        assert js(qtbot, m, "document.querySelectorAll('img').length") == 0
        assert m.view.js_dialogs == []
    finally:
        m.store.remove(["x-xss"])
        wait_rendered(qtbot, m.controller)


def test_dragging_the_selected_marker_moves_the_site_undoably(qtbot: Any, m: MapEnv) -> None:
    m.selection.set("b-hami")
    wait_rendered(qtbot, m.controller)
    original = m.store.get("b-hami")
    target_lon, target_lat = 95.0, 41.0
    call_js(qtbot, MapDriver(m.view).drag_marker, "b-hami", target_lon, target_lat)
    qtbot.waitUntil(lambda: m.store.get("b-hami") != original, timeout=5000)
    moved = m.store.get("b-hami")
    # One screen pixel at zoom 5 is about 0.04 degrees.
    assert (moved.lon, moved.lat) == pytest.approx((target_lon, target_lat), abs=0.1)
    assert m.session.history.undo_text == "Move Hami test centre"  # type: ignore[attr-defined]
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, "b-hami")
    assert (ms["lon"], ms["lat"]) == pytest.approx((moved.lon, moved.lat))
    m.session.history.undo()  # type: ignore[attr-defined]
    assert m.store.get("b-hami") == original
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, "b-hami")
    assert (ms["lon"], ms["lat"]) == pytest.approx((original.lon, original.lat))


def test_a_refused_move_puts_the_marker_back(
    qtbot: Any, m: MapEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, float, float]] = []
    monkeypatch.setattr(m.session, "move_site", lambda *a: asked.append(a) or False)
    m.selection.set("a-urumqi")
    wait_rendered(qtbot, m.controller)
    original = m.store.get("a-urumqi")
    call_js(qtbot, MapDriver(m.view).drag_marker, "a-urumqi", 86.0, 44.5)
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked[0][0] == "a-urumqi"
    assert m.store.get("a-urumqi") == original
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, "a-urumqi")
    assert (ms["lon"], ms["lat"]) == pytest.approx((original.lon, original.lat))


def test_dragging_an_unselected_marker_pans_instead(
    qtbot: Any, m: MapEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    moves: list[tuple[Any, ...]] = []
    real_move = m.session.move_site
    monkeypatch.setattr(m.session, "move_site", lambda *a: moves.append(a) or real_move(*a))
    call_js(qtbot, MapDriver(m.view).drag_marker, "c-golmud", 96.0, 37.0)
    # Wait for what the drag did (the map panned, and the drag ended with the release),
    # not for a render: nothing was sent to the page, so that wait returned at once and
    # a move the page sent on the release could still have been on its way.
    panned = "!CSE.map.dragging.moving() && Math.abs(CSE.map.getCenter().lng - 86.0) > 0.1"
    qtbot.waitUntil(lambda: js(qtbot, m, panned) is True, timeout=10_000)
    assert moves == []
    assert m.store.get("c-golmud").lon == 94.90
    js(qtbot, m, "CSE.map.setView([40.0, 86.0], 5, {animate: false}) || true")


def test_place_mode_turns_the_next_click_into_a_new_site(qtbot: Any, m: MapEnv) -> None:
    m.session.set_mode("place")
    wait_rendered(qtbot, m.controller)
    st = state(qtbot, m)
    assert st["mode"] == "place"
    cursor = js(qtbot, m, "getComputedStyle(CSE.map.getContainer()).cursor")
    assert cursor == "crosshair"
    before = len(m.store)
    call_js(qtbot, MapDriver(m.view).click_map_at, 89.0, 38.0)
    qtbot.waitUntil(lambda: len(m.store) == before + 1, timeout=5000)
    added = m.store.get(m.store.ids()[-1])
    assert added.lon == pytest.approx(89.0, abs=0.1) and added.lat == pytest.approx(38.0, abs=0.1)
    assert m.session.mode == "browse" and m.controller.mode == "browse"
    assert m.selection.current == added.id
    wait_rendered(qtbot, m.controller)
    assert state(qtbot, m)["mode"] == "browse"
    m.session.history.undo()  # type: ignore[attr-defined]
    assert len(m.store) == before


def test_colour_by_chip_model(qtbot: Any, m: MapEnv) -> None:
    m.session.set_color_mode("model")
    try:
        wait_rendered(qtbot, m.controller)
        colours = {sid: marker(qtbot, m, sid)["color"] for sid in m.store.ids()}
        assert colours["c-golmud"] == NO_CHIPS
        assert len({colours["a-urumqi"], colours["b-hami"], colours["d-kashgar"]}) == 3
        legend = state(qtbot, m)["legend"]
        assert "H100" in legend and "Ascend 910B" in legend and "Ascend 910C" in legend
    finally:
        m.session.set_color_mode("export")
        wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "a-urumqi")["color"] == RESTRICTED


def test_fly_to_moves_the_map(qtbot: Any, m: MapEnv) -> None:
    m.controller.fly_to(95.0, 37.0, zoom=6)
    wait_rendered(qtbot, m.controller)
    qtbot.waitUntil(lambda: state(qtbot, m)["zoom"] == 6, timeout=5000)
    qtbot.waitUntil(
        lambda: abs(js(qtbot, m, "CSE.map.getCenter().lng") - 95.0) < 0.01, timeout=5000
    )


def test_cursor_readout_follows_the_mouse(qtbot: Any, m: MapEnv) -> None:
    point = call_js(qtbot, m.view.evaluate, "CSE.viewportPoint(41.0, 88.0)")
    with qtbot.waitSignal(m.view.bridge.cursorMovedOnMap, timeout=5000) as blocker:
        QTest.mouseMove(m.view.focusProxy(), QPoint(round(point["x"]), round(point["y"])))
    lon, lat = blocker.args
    assert lon == pytest.approx(88.0, abs=0.1) and lat == pytest.approx(41.0, abs=0.1)
    readout = state(qtbot, m)["readout"]
    assert "N" in readout and "E" in readout


# ---------------------------------------------------------------------- lock-down
def test_no_remote_requests_navigation_or_errors(qtbot: Any, m: MapEnv) -> None:
    assert m.view.external_requests == []
    assert m.view.blocked_requests == []
    assert m.view.blocked_navigations == []
    assert m.view.js_errors == []
    assert m.view.js_dialogs == []


def test_the_interceptor_blocks_and_records_remote_requests(qtbot: Any, m: MapEnv) -> None:
    before = len(m.view.external_requests)
    js(qtbot, m, "fetch('http://example.com/cse-probe').catch(function () {}) && true")
    qtbot.waitUntil(lambda: len(m.view.external_requests) > before, timeout=5000)
    assert m.view.external_requests[-1] == "http://example.com/cse-probe"
    assert m.view.blocked_requests[-1] == "http://example.com/cse-probe"
    m.view.external_requests.clear()
    m.view.blocked_requests.clear()


def test_the_page_cannot_read_local_files_outside_its_directory(qtbot: Any, m: MapEnv) -> None:
    js(
        qtbot,
        m,
        "(function () { var i = new Image(); i.src = 'file:///etc/hostname'; return true; })()",
    )
    qtbot.waitUntil(lambda: len(m.view.blocked_requests) > 0, timeout=5000)
    assert m.view.blocked_requests[-1] == "file:///etc/hostname"
    assert m.view.external_requests == []  # local, but refused
    m.view.blocked_requests.clear()


def test_injected_inline_handlers_do_not_run(qtbot: Any, m: MapEnv) -> None:
    """Even markup that reached the DOM could not run script: the CSP forbids inline
    handlers (the page itself only ever uses textContent)."""
    js(
        qtbot,
        m,
        "(function () { var d = document.createElement('div');"
        ' d.innerHTML = \'<img src="data:,x" onerror="window.CSE_PWNED = 1">\';'
        " document.body.appendChild(d); return true; })()",
    )
    qtbot.waitUntil(lambda: any("Refused to execute" in e for e in m.view.js_errors), timeout=5000)
    assert js(qtbot, m, "window.CSE_PWNED === undefined") is True
    js(
        qtbot,
        m,
        "(function () { document.querySelectorAll('body > div:not(.folium-map)').forEach("
        "function (d) { if (d.querySelector('img')) { d.remove(); } }); return true; })()",
    )
    m.view.js_errors.clear()


def test_navigation_away_and_new_windows_are_refused(qtbot: Any, m: MapEnv) -> None:
    load_id = state(qtbot, m)["load_id"]
    windows = m.view.page().blocked_windows
    js(qtbot, m, "(window.open('https://example.org/popup'), true)")
    qtbot.waitUntil(lambda: m.view.page().blocked_windows > windows, timeout=5000)
    js(qtbot, m, "(window.location.href = 'https://example.org/landing') && true")
    qtbot.waitUntil(lambda: len(m.view.blocked_navigations) > 0, timeout=5000)
    assert m.view.blocked_navigations[-1].startswith("https://example.org/landing")
    assert state(qtbot, m)["load_id"] == load_id
    assert m.view.external_requests == []  # neither the pop-up nor the page loaded
    m.view.blocked_navigations.clear()
    m.view.js_errors.clear()  # Chromium logs the refused navigation


def test_malformed_messages_from_the_page_are_dropped(qtbot: Any, m: MapEnv) -> None:
    """Calls through a second channel client in an isolated world, so the page's own
    client (main world) keeps working."""
    from PySide6.QtWebEngineCore import QWebEngineScript

    clicks: list[Any] = []
    m.view.bridge.siteClickedOnMap.connect(lambda *a: clicks.append(a))
    m.view.bridge.siteMovedOnMap.connect(lambda *a: clicks.append(a))
    m.view.bridge.mapClickedAt.connect(lambda *a: clicks.append(a))
    dropped = m.view.bridge.dropped_messages
    script = """
        (function () {
          if (typeof QWebChannel === 'undefined' || !window.qt) { return false; }
          new QWebChannel(qt.webChannelTransport, function (ch) {
            var b = ch.objects.bridge;
            b.siteClicked('no-such-site');
            b.siteClicked('x'.repeat(200));
            b.siteMoved('a-urumqi', NaN, 40);
            b.siteMoved('a-urumqi', 'east', 40);
            b.mapClicked(Infinity, 1);
            b.mapClicked(500, 1);
          });
          return true;
        })()
    """
    ok: list[Any] = []
    try:
        m.view.page().runJavaScript(
            script, QWebEngineScript.ScriptWorldId.MainWorld.value, ok.append
        )
        qtbot.waitUntil(lambda: m.view.bridge.dropped_messages >= dropped + 6, timeout=5000)
        assert ok == [True]
        assert clicks == []
        assert m.store.get("a-urumqi").lon == 87.60
    finally:
        # The second client took over the page's transport: reload, which also shows
        # that a reloaded page is sent the full state again.
        with qtbot.waitSignal(m.controller.ready, timeout=15000):
            m.view.reload()
        wait_rendered(qtbot, m.controller)
    st = state(qtbot, m)
    assert st["connected"] is True and st["sites"] == len(m.store)
    assert st["color_mode"] == m.controller.color_mode


def test_online_tiles_are_offered_but_off(
    qtbot: Any, qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    view = MapView(online_tiles=True, basemap_dir=basemap_dir)
    qtbot.addWidget(view)
    controller = MapController(view, make_session(catalogue))
    view.resize(600, 400)
    with qtbot.waitSignal(controller.ready, timeout=15000):
        view.show()
    wait_rendered(qtbot, controller)
    st = call_js(qtbot, MapDriver(view).page_state)
    assert "OpenStreetMap (online)" in st["layer_control"]
    assert call_js(qtbot, view.evaluate, "document.querySelectorAll('.leaflet-tile').length") == 0
    assert view.external_requests == []  # offered, not active: nothing was fetched


def test_the_sites_layer_switches_off_and_on_and_still_takes_clicks(qtbot: Any, m: MapEnv) -> None:
    toggle = (
        "(function () { var labels = document.querySelectorAll("
        "'.leaflet-control-layers-overlays label');"
        " for (var i = 0; i < labels.length; i++) {"
        "  if (labels[i].textContent.trim() === 'Sites') {"
        "   labels[i].querySelector('input').click(); return true; } } return false; })()"
    )
    assert js(qtbot, m, toggle) is True
    m.controller.call_when_rendered(lambda: None)
    qtbot.waitUntil(lambda: marker(qtbot, m, "b-hami")["on_map"] is False, timeout=5000)
    off = marker(qtbot, m, "b-hami")
    assert off["drawn"] is False and off["painted_fill"] is None
    assert call_js(qtbot, m.view.evaluate, "CSE.markerPoint('b-hami')") is None
    assert js(qtbot, m, toggle) is True
    qtbot.waitUntil(lambda: marker(qtbot, m, "b-hami")["drawn"] is True, timeout=5000)
    # The new canvas takes clicks like the first one.
    with qtbot.waitSignal(m.view.bridge.siteClickedOnMap, timeout=5000) as blocker:
        assert call_js(qtbot, MapDriver(m.view).click_marker, "b-hami") is True
    assert blocker.args == ["b-hami"]


def test_a_reset_with_a_bad_row_keeps_the_good_ones(
    qtbot: Any, m: MapEnv, catalogue: ChipCatalogue
) -> None:
    """The page checks every row it is sent: a longitude out of range drops that row only
    (the fast path that takes a reset's columns as they are is refused, row by row is used)."""
    from explorer.web.site_columns import decode, encode, reset_payload

    data = reset_payload(list(m.store), catalogue)
    lon = decode(data["sites"]["lon"]).copy()
    lon[1] = 500.0
    data["sites"]["lon"] = encode(lon, "f8")
    m.view.bridge.post_reset(data)
    wait_rendered(qtbot, m.controller)
    try:
        st = state(qtbot, m)
        assert st["sites"] == len(m.store) - 1 and st["dropped_rows"] == 1
        assert marker(qtbot, m, data["sites"]["id"][1]) is None
        assert marker(qtbot, m, data["sites"]["id"][0])["drawn"] is True
    finally:
        m.controller.resync()
        wait_rendered(qtbot, m.controller)
    assert state(qtbot, m)["sites"] == len(m.store)


def test_a_click_selects_the_marker_without_a_move_before_it(qtbot: Any, m: MapEnv) -> None:
    """A press and release where the mouse already is (no move event first) still reaches
    the marker: clicks are hit-tested as they come, not from the last mouse move."""
    point = call_js(qtbot, m.view.evaluate, "CSE.markerPoint('a-urumqi')")
    pos = QPoint(round(point["x"]), round(point["y"]))
    target = m.view.focusProxy()
    with qtbot.waitSignal(m.view.bridge.siteClickedOnMap, timeout=5000) as blocker:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert blocker.args == ["a-urumqi"]
    # Over the marker the map shows a pointer.
    QTest.mouseMove(target, pos)
    qtbot.waitUntil(
        lambda: js(qtbot, m, "getComputedStyle(CSE.map.getContainer()).cursor") == "pointer",
        timeout=5000,
    )
