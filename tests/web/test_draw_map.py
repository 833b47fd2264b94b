"""Drawing and editing regions on the real map page, with real mouse events.

One view is shared by the module (start-up is the slow part). Each test starts in draw
mode "none" with no regions, no region selection and the view at (42, 88) zoom 5;
the fixture puts that back afterwards. The controller hands what the user did on the page
to the session (``add_region``, ``edit_region``, ``pick_area``, the region selection);
here those session calls are recorded as Qt signals (:class:`Requests`) and not applied,
so each test decides what reaches the store (``AddRegions`` / ``EditRegion`` /
``DeleteRegions`` commands, as the session would push them). Every wait is on a signal
or a page callback, never a fixed sleep.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtTest import QTest
from shapely.geometry import Point, Polygon

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import AddRegions, DeleteRegions, EditRegion
from explorer.core.schema import HardwareLine, Site
from explorer.geo.admin import AdminAreas
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import GEOD, CircleRegion, PolygonRegion, mercator_polygon
from explorer.geo.totals import totals
from explorer.session.session import Session
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


def hook(qtbot: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``call_js`` for MapView hooks that take keyword arguments."""
    return call_js(qtbot, lambda done: fn(*args, done, **kwargs))


def degrees_per_pixel(zoom: int) -> float:
    """Longitude degrees per screen pixel (Web Mercator, 256 px tiles)."""
    return 360.0 / (256 * 2**zoom)


class Requests(QObject):
    """What the region controller asked of the session, recorded as signals."""

    created = Signal(object)
    edited = Signal(object, object)
    picked = Signal(float, float)
    clicked = Signal(str)
    rejected = Signal(str)

    def __init__(self, session: Session) -> None:
        super().__init__()
        # Recorded, not applied: the test decides what reaches the store.
        session.add_region = lambda entry, text=None: self.created.emit(entry)  # type: ignore[method-assign]
        session.edit_region = lambda old, new, text=None: self.edited.emit(old, new)  # type: ignore[method-assign]
        session.pick_area = lambda lon, lat: self.picked.emit(lon, lat)  # type: ignore[method-assign]
        session.region_selection.changed.connect(
            lambda rid: self.clicked.emit(rid) if rid is not None else None
        )
        session.notice.connect(self.rejected.emit)


class Env:
    """The shared map plus its session's regions and the region controller."""

    def __init__(self, env: MapEnv, rc: RegionMapController, req: Requests) -> None:
        self.map = env
        self.view = env.view
        self.sites = env.controller  # the site MapController (rendered acks)
        self.session = env.session
        self.store = env.store
        self.regions = env.session.regions
        self.rc = rc
        self.req = req

    def js(self, qtbot: Any, expression: str) -> Any:
        return call_js(qtbot, self.view.evaluate, expression)

    def rendered(self, qtbot: Any) -> None:
        wait_rendered(qtbot, self.sites)

    def set_view(self, qtbot: Any, lat: float, lon: float, zoom: int) -> None:
        self.js(qtbot, f"CSE.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}) && true")

    def draw(self, qtbot: Any) -> dict[str, Any]:
        return call_js(qtbot, MapDriver(self.view).draw_state)

    def region(self, qtbot: Any, rid: str) -> dict[str, Any] | None:
        return call_js(qtbot, MapDriver(self.view).region_state, rid)

    def add(self, qtbot: Any, entry: RegionEntry) -> None:
        """What the session does with a drawn region."""
        AddRegions(self.regions, [entry]).do()
        self.rendered(qtbot)

    def tool(self, qtbot: Any, mode: str) -> None:
        self.rc.set_draw_mode(mode)
        self.rendered(qtbot)
        assert self.draw(qtbot)["mode"] == mode


@pytest.fixture(scope="module")
def shared(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> Iterator[Env]:
    session = make_session(catalogue, admin_areas=AdminAreas.load())
    req = Requests(session)
    env = open_map(None, session, basemap_dir)
    rc = RegionMapController(env.view, session)
    wait_rendered_loop(env)
    yield Env(env, rc, req)
    from PySide6.QtCore import QCoreApplication, QEvent

    rc.detach()
    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def wait_rendered_loop(env: MapEnv) -> None:
    """Module fixtures have no qtbot: wait for the page's ack with a local event loop."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(10_000, loop.quit)
    target = env.controller.last_sent_seq

    def check(seq: int) -> None:
        if seq >= target:
            loop.quit()

    env.controller.rendered.connect(check)
    if env.controller.last_rendered_seq < target:
        loop.exec()
    env.controller.rendered.disconnect(check)


@pytest.fixture
def m(shared: Env, qtbot: Any) -> Iterator[Env]:
    shared.set_view(qtbot, *VIEW, ZOOM)
    shared.rendered(qtbot)
    yield shared
    shared.rc.set_draw_mode("none")
    shared.rc.select_region(None)
    shared.rc.highlight_sites([])
    shared.regions.reset([])
    shared.set_view(qtbot, *VIEW, ZOOM)
    shared.rendered(qtbot)
    assert shared.view.js_errors == []
    assert shared.view.external_requests == []


# ---------------------------------------------------------------------- tools and modes
def test_toolbar_buttons_choose_the_tool_through_python(qtbot: Any, m: Env) -> None:
    st = m.draw(qtbot)
    assert (st["mode"], st["active_tool"], st["dragging"], st["double_click_zoom"]) == (
        "none",
        None,
        True,
        True,
    )
    labels = m.js(
        qtbot,
        "Array.from(document.querySelectorAll('.cse-draw-tool'))"
        ".map(function (b) { return b.textContent; })",
    )
    assert labels == ["Polygon", "Rectangle", "Circle", "Pick area"]
    with qtbot.waitSignal(m.rc.drawModeChanged, timeout=5000) as blocker:
        assert call_js(qtbot, MapDriver(m.view).click_draw_tool, "rectangle") is True
    assert blocker.args == ["rectangle"] and m.rc.draw_mode == "rectangle"
    m.rendered(qtbot)
    st = m.draw(qtbot)
    assert (st["mode"], st["active_tool"]) == ("rectangle", "rectangle")
    # Map panning and double-click zoom would fight the tool for the mouse.
    assert st["dragging"] is False and st["double_click_zoom"] is False
    assert "drag" in st["hint"]
    cursor = m.js(qtbot, "getComputedStyle(CSE.map.getContainer()).cursor")
    assert cursor == "crosshair"
    # Clicking the active tool again turns it off.
    with qtbot.waitSignal(m.rc.drawModeChanged, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).click_draw_tool, "rectangle")
    assert blocker.args == ["none"]
    m.rendered(qtbot)
    st = m.draw(qtbot)
    assert (st["mode"], st["dragging"], st["double_click_zoom"]) == ("none", True, True)


def test_python_sets_the_mode_and_pick_mode_keeps_panning(qtbot: Any, m: Env) -> None:
    modes: list[str] = []
    m.rc.drawModeChanged.connect(modes.append)
    try:
        m.tool(qtbot, "polygon")
        m.tool(qtbot, "pick")
        st = m.draw(qtbot)
        assert st["dragging"] is True and st["active_tool"] == "pick"
        m.tool(qtbot, "none")
    finally:
        m.rc.drawModeChanged.disconnect(modes.append)
    assert modes == ["polygon", "pick", "none"]
    with pytest.raises(ValueError, match="draw mode"):
        m.rc.set_draw_mode("lasso")


def test_a_cancel_sent_before_a_new_mode_arrived_does_not_end_it(qtbot: Any, m: Env) -> None:
    """The page cancelled (Esc) just as Python chose another tool: the cancel belongs to
    the old tool. Page and Python must end up agreeing on the new one."""
    m.tool(qtbot, "circle")
    m.rc.set_draw_mode("pick")
    m.view.bridge.drawCancelled()  # as if sent by the page before it saw "pick"
    assert m.rc.draw_mode == "pick"
    m.rendered(qtbot)
    assert m.draw(qtbot)["mode"] == "pick"
    # Now in step: a cancel ends the tool.
    with qtbot.waitSignal(m.rc.drawModeChanged, timeout=5000) as blocker:
        MapDriver(m.view).press_escape()
    assert blocker.args == ["none"]
    m.rendered(qtbot)
    assert m.draw(qtbot)["mode"] == "none"


def test_escape_racing_a_new_tool_leaves_page_and_python_agreeing(qtbot: Any, m: Env) -> None:
    m.tool(qtbot, "circle")
    MapDriver(m.view).press_escape()  # both are in flight to the page; either may arrive first
    m.rc.set_draw_mode("pick")
    m.rendered(qtbot)
    qtbot.waitUntil(lambda: m.draw(qtbot)["mode"] == m.rc.draw_mode, timeout=5000)
    m.rendered(qtbot)
    assert m.draw(qtbot)["mode"] == m.rc.draw_mode


# ---------------------------------------------------------------------- polygon
def _assert_vertices_near(
    got: tuple[tuple[float, float], ...], want: list[tuple[float, float]]
) -> None:
    tol = degrees_per_pixel(ZOOM)  # one screen pixel
    assert len(got) == len(want)
    for (glon, glat), (wlon, wlat) in zip(got, want, strict=True):
        assert glon == pytest.approx(wlon, abs=tol)
        assert glat == pytest.approx(wlat, abs=tol)  # a pixel is fewer lat degrees here


def test_polygon_finished_by_clicking_its_first_vertex(qtbot: Any, m: Env) -> None:
    vertices = [(80.0, 38.0), (90.0, 44.0), (94.0, 38.5), (88.0, 36.0)]
    m.tool(qtbot, "polygon")
    modes: list[str] = []
    m.rc.drawModeChanged.connect(modes.append)
    try:
        with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
            assert call_js(qtbot, MapDriver(m.view).draw_polygon, vertices) is True
    finally:
        m.rc.drawModeChanged.disconnect(modes.append)
    (entry,) = blocker.args
    assert isinstance(entry, RegionEntry) and isinstance(entry.region, PolygonRegion)
    assert (entry.id, entry.name, entry.kind) == ("r1", "Polygon 1", "polygon")
    _assert_vertices_near(entry.drawn, vertices)
    # The region is the drawn ring densified along its on-screen edges.
    assert len(entry.region.geometry.exterior.coords) > 50
    assert modes == ["none"] and m.rc.draw_mode == "none"
    assert len(m.regions) == 0  # the controller never changes the store
    m.rendered(qtbot)
    st = m.draw(qtbot)
    assert (st["mode"], st["vertices"], st["preview_layers"], st["dragging"]) == (
        "none",
        0,
        0,
        True,
    )


def test_polygon_finished_by_double_click(qtbot: Any, m: Env) -> None:
    vertices = [(82.0, 40.0), (86.0, 45.0), (92.0, 41.0)]
    m.tool(qtbot, "polygon")
    with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
        hook(qtbot, MapDriver(m.view).draw_polygon, vertices, finish="double")
    (entry,) = blocker.args
    # The double-click placed the last vertex once, and did not zoom the map.
    _assert_vertices_near(entry.drawn, vertices)
    assert m.js(qtbot, "CSE.map.getZoom()") == ZOOM


def test_polygon_rubber_band_follows_the_mouse(qtbot: Any, m: Env) -> None:
    m.tool(qtbot, "polygon")
    hook(qtbot, MapDriver(m.view).draw_polygon, [(82.0, 40.0), (86.0, 44.0)], finish="none")
    start = call_js(qtbot, m.view.evaluate, "CSE.viewportPoint(41.0, 90.0)")
    QTest.mouseMove(m.view.focusProxy(), QPoint(round(start["x"]), round(start["y"])))
    qtbot.waitUntil(
        lambda: (
            m.js(
                qtbot,
                "(function () { var g = null; CSE.map.eachLayer(function (l) {"
                " if (l.options && l.options.dashArray === '5 5' && l.getLatLngs) { g = l; } });"
                " return g ? g.getLatLngs()[1].lng : null; })()",
            )
            == pytest.approx(90.0, abs=degrees_per_pixel(ZOOM))
        ),
        timeout=5000,
    )
    st = m.draw(qtbot)
    assert st["vertices"] == 2 and st["mode"] == "polygon"


def test_escape_cancels_a_polygon(qtbot: Any, m: Env) -> None:
    created: list[Any] = []
    m.req.created.connect(created.append)
    m.tool(qtbot, "polygon")
    try:
        with qtbot.waitSignal(m.view.bridge.drawCancelledOnMap, timeout=5000):
            hook(
                qtbot,
                MapDriver(m.view).draw_polygon,
                [(82.0, 40.0), (86.0, 45.0), (92.0, 41.0)],
                finish="escape",
            )
        m.rendered(qtbot)
        st = m.draw(qtbot)
        assert (st["mode"], st["vertices"], st["preview_layers"]) == ("none", 0, 0)
        assert m.rc.draw_mode == "none"
        # A further click on the map is a plain click again.
        call_js(qtbot, MapDriver(m.view).click_map_at, 88.0, 40.0)
        m.rendered(qtbot)
        assert m.draw(qtbot)["vertices"] == 0
    finally:
        m.req.created.disconnect(created.append)
    assert created == []


def test_an_invalid_polygon_is_rejected_with_the_reason(qtbot: Any, m: Env) -> None:
    created: list[Any] = []
    m.req.created.connect(created.append)
    m.tool(qtbot, "polygon")
    try:
        # A bow tie: its edges cross.
        with qtbot.waitSignal(m.req.rejected, timeout=5000) as blocker:
            call_js(
                qtbot,
                MapDriver(m.view).draw_polygon,
                [(80.0, 38.0), (90.0, 44.0), (90.0, 38.0), (80.0, 44.0)],
            )
    finally:
        m.req.created.disconnect(created.append)
    assert created == [] and "not a valid region" in blocker.args[0]
    assert m.rc.draw_mode == "none"


# ---------------------------------------------------------------------- rectangle, circle
def test_rectangle_by_press_drag_release(qtbot: Any, m: Env) -> None:
    m.tool(qtbot, "rectangle")
    with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
        assert call_js(qtbot, MapDriver(m.view).draw_rectangle, (91.0, 44.0), (83.0, 39.0)) is True
    (entry,) = blocker.args
    assert (entry.kind, entry.name) == ("rectangle", "Rectangle 1")
    tol = degrees_per_pixel(ZOOM)
    assert entry.region.bounds == pytest.approx((83.0, 39.0, 91.0, 44.0), abs=tol)
    assert len(entry.drawn) == 4
    assert m.rc.draw_mode == "none"


def test_a_click_without_a_drag_draws_no_rectangle(qtbot: Any, m: Env) -> None:
    created: list[Any] = []
    m.req.created.connect(created.append)
    m.tool(qtbot, "rectangle")
    try:
        call_js(qtbot, MapDriver(m.view).click_map_at, 88.0, 40.0)
        assert m.draw(qtbot)["mode"] == "rectangle"  # still waiting for a drag
        # Escape's notice comes through the same channel after anything the click
        # sent: once it is here, a rectangle from the click would be here too.
        with qtbot.waitSignal(m.view.bridge.drawCancelledOnMap, timeout=10_000):
            MapDriver(m.view).press_escape()
    finally:
        m.req.created.disconnect(created.append)
    assert created == []


def test_circle_radius_is_the_geodesic_distance_to_the_release_point(qtbot: Any, m: Env) -> None:
    center, edge = (85.0, 41.0), (92.0, 42.5)
    m.tool(qtbot, "circle")
    with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).draw_circle, center, edge)
    (entry,) = blocker.args
    region = entry.region
    assert isinstance(region, CircleRegion) and entry.kind == "circle"
    assert entry.name == "Circle 1" and entry.drawn == ()
    expected = GEOD.inv(*center, *edge)[2]
    assert region.radius_m == pytest.approx(expected, rel=0.01)
    tol = degrees_per_pixel(ZOOM)
    assert (region.lon, region.lat) == pytest.approx(center, abs=tol)


def test_circle_preview_is_geodesic_and_shows_the_radius_live(qtbot: Any, m: Env) -> None:
    m.tool(qtbot, "circle")
    points = call_js(
        qtbot, m.view.evaluate, "[CSE.viewportPoint(40.0, 84.0), CSE.viewportPoint(40.0, 90.0)]"
    )
    target = m.view.focusProxy()
    start = QPoint(round(points[0]["x"]), round(points[0]["y"]))
    end = QPoint(round(points[1]["x"]), round(points[1]["y"]))
    QTest.mouseMove(target, start)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 7):
        QTest.mouseMove(target, QPoint(start.x() + (end.x() - start.x()) * i // 6, start.y()))
    tol = degrees_per_pixel(ZOOM)

    def at_end() -> bool:
        press = m.draw(qtbot)["press"]
        return press is not None and abs(press["current"][0] - 90.0) < tol

    try:
        qtbot.waitUntil(at_end, timeout=5000)
        preview = m.js(
            qtbot,
            "(function () { var out = null; CSE.map.eachLayer(function (l) {"
            " if (l instanceof L.Polygon && l.options.pane === 'cse-draw') {"
            " out = {ring: l.getLatLngs()[0].map(function (p) { return [p.lng, p.lat]; })}; } });"
            " return out; })()",
        )
        st = m.draw(qtbot)
    finally:
        with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
            QTest.mouseRelease(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end
            )
    (clon, clat), (elon, elat) = st["press"]["start"], st["press"]["current"]
    radius = GEOD.inv(clon, clat, elon, elat)[2]
    assert st["tip"] == f"Radius {radius / 1000:.1f} km"
    ring = preview["ring"]
    assert len(ring) == 128
    # Every preview vertex is at the radius from the centre on the WGS84 ellipsoid
    # (an L.Circle would be round in Mercator pixels instead: its north and south
    # would be some 8 % short of its east and west at this latitude and size).
    dists = [GEOD.inv(clon, clat, lon, lat)[2] for lon, lat in ring]
    assert min(dists) == pytest.approx(radius, rel=1e-6)
    assert max(dists) == pytest.approx(radius, rel=1e-6)
    # The released circle is the one previewed.
    assert blocker.args[0].region.radius_m == pytest.approx(radius, rel=1e-6)


def test_page_geodesy_matches_pyproj(qtbot: Any, m: Env) -> None:
    cases = [(87.6, 43.8, 94.9, 36.4), (75.99, 39.47, 75.99, 39.48), (80.0, 30.0, 100.0, 50.0)]
    for lon1, lat1, lon2, lat2 in cases:
        got = m.js(qtbot, f"CSE.geodesy.inverse({lon1}, {lat1}, {lon2}, {lat2})")
        assert got == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], abs=0.01)
    lon, lat = m.js(qtbot, "CSE.geodesy.direct(88, 43, 37, 800000)")
    want = GEOD.fwd(88, 43, 37, 800_000)
    assert (lon, lat) == pytest.approx((want[0], want[1]), abs=1e-7)


# ---------------------------------------------------------------------- the store on the map
def _draw_and_add(qtbot: Any, m: Env, kind: str, *points: Any) -> RegionEntry:
    m.tool(qtbot, kind)
    hooks = {
        "polygon": MapDriver(m.view).draw_polygon,
        "rectangle": MapDriver(m.view).draw_rectangle,
        "circle": MapDriver(m.view).draw_circle,
    }
    with qtbot.waitSignal(m.req.created, timeout=5000) as blocker:
        if kind == "polygon":
            sent = call_js(qtbot, hooks[kind], list(points))
        else:
            sent = call_js(qtbot, hooks[kind], *points)
        assert sent is True, "a point is off screen or under a map control"
    (entry,) = blocker.args
    m.add(qtbot, entry)
    return entry


def test_added_regions_are_drawn_with_their_names(qtbot: Any, m: Env) -> None:
    load_id = m.js(qtbot, "window.CSE_LOAD_ID")
    poly = _draw_and_add(qtbot, m, "polygon", (80.0, 38.0), (86.0, 44.0), (88.0, 38.0))
    rect = _draw_and_add(qtbot, m, "rectangle", (89.0, 40.0), (93.0, 43.0))
    circ = _draw_and_add(qtbot, m, "circle", (95.0, 37.0), (97.0, 37.0))
    assert [e.id for e in m.regions] == ["r1", "r2", "r3"]
    assert [e.name for e in m.regions] == ["Polygon 1", "Rectangle 1", "Circle 1"]
    for entry in (poly, rect, circ):
        st = m.region(qtbot, entry.id)
        assert st is not None and st["drawn"] and st["on_map"], entry.id
        assert st["label_text"] == entry.name and st["label_shown"] is True
        assert st["kind"] == entry.kind and st["selected"] is False
        # What is drawn is the region's own geometry (densified polygon, geodesic outline).
        assert st["latlngs"] == len(entry.region.geometry.exterior.coords) - 1
    assert m.region(qtbot, circ.id)["latlngs"] == CircleRegion.OUTLINE_VERTICES
    assert m.js(qtbot, "window.CSE_LOAD_ID") == load_id  # updated in place, no reload


def test_rename_and_delete_follow_the_store(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "rectangle", (84.0, 40.0), (90.0, 43.0))
    hostile = "<img src=x onerror=alert(1)> Hami & co"
    cmd = EditRegion(m.regions, entry, entry.renamed(hostile))
    cmd.do()
    m.rendered(qtbot)
    st = m.region(qtbot, entry.id)
    assert st["label_text"] == hostile and st["label_shown"] is True
    assert st["label_dom_text"] == hostile  # shown as text, not parsed as markup
    assert m.js(qtbot, "document.querySelectorAll('.leaflet-tooltip-pane img').length") == 0
    assert m.view.js_dialogs == []
    cmd.undo()
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id)["label_text"] == "Rectangle 1"
    delete = DeleteRegions(m.regions, [entry.id])
    delete.do()
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id) is None
    delete.undo()
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id)["drawn"] is True


def test_selection_emphasises_the_region_and_highlights_its_sites(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(
        qtbot, m, "polygon", (84.0, 40.0), (95.0, 40.0), (95.0, 45.0), (84.0, 45.0)
    )
    inside = totals(list(m.store), entry.region).site_ids
    assert set(inside) == {"a-urumqi", "b-hami"}
    before = m.region(qtbot, entry.id)
    m.rc.select_region(entry.id)
    m.rc.highlight_sites(inside)
    m.rendered(qtbot)
    st = m.region(qtbot, entry.id)
    assert st["selected"] is True and st["weight"] > before["weight"]
    assert st["handles"] == 4  # the drawn vertices
    for sid in m.store.ids():
        marker = call_js(qtbot, MapDriver(m.view).marker_state, sid)
        assert marker["highlighted"] is (sid in inside), sid
    assert call_js(qtbot, MapDriver(m.view).marker_state, "a-urumqi")["outline"] == "#ff8f00"
    assert "in the selected region" in call_js(qtbot, MapDriver(m.view).page_state)["legend"]
    m.rc.select_region(None)
    m.rc.highlight_sites([])
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id)["selected"] is False
    assert m.region(qtbot, entry.id)["handles"] == 0
    assert call_js(qtbot, MapDriver(m.view).marker_state, "a-urumqi")["highlighted"] is False
    assert "in the selected region" not in call_js(qtbot, MapDriver(m.view).page_state)["legend"]
    with pytest.raises(KeyError):
        m.rc.select_region("r99")


def test_clicking_a_region_selects_it(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "rectangle", (79.0, 36.0), (83.0, 38.0))
    with qtbot.waitSignal(m.req.clicked, timeout=5000) as blocker:
        assert call_js(qtbot, MapDriver(m.view).click_region, entry.id) is True
    assert blocker.args == [entry.id]
    assert m.rc.selected_region == entry.id
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id)["selected"] is True


def test_fit_regions_shows_every_region(qtbot: Any, m: Env) -> None:
    assert m.rc.fit_regions() is None  # nothing to fit
    far = RegionEntry("far", CircleRegion("Far", 110.0, 30.0, 200_000.0))
    near = RegionEntry("near", mercator_polygon("Near", [(75, 36), (78, 36), (76, 39)]))
    AddRegions(m.regions, [far, near]).do()
    assert isinstance(m.rc.fit_regions(), int)
    m.rendered(qtbot)
    bounds = m.js(
        qtbot,
        "(function () { var b = CSE.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()",
    )
    west, south, east, north = bounds
    for entry in (far, near):
        w, s, e, n = entry.region.bounds
        assert west <= w and south <= s and east >= e and north >= n


# ---------------------------------------------------------------------- editing
def test_dragging_a_polygon_vertex_requests_an_edit(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "polygon", (82.0, 38.0), (88.0, 44.0), (92.0, 38.0))
    m.rc.select_region(entry.id)
    m.rendered(qtbot)
    assert m.region(qtbot, entry.id)["handles"] == 3
    with qtbot.waitSignal(m.req.edited, timeout=5000) as blocker:
        assert call_js(qtbot, MapDriver(m.view).drag_region_handle, entry.id, 1, 89.0, 46.0) is True
    old, new = blocker.args
    assert old == entry and new.id == entry.id and new.name == entry.name
    tol = degrees_per_pixel(ZOOM)
    assert new.drawn[0] == entry.drawn[0] and new.drawn[2] == entry.drawn[2]
    assert new.drawn[1] == pytest.approx((89.0, 46.0), abs=tol)
    assert new.region.contains_point(88.8, 45.5) and not entry.region.contains_point(88.8, 45.5)
    # Nobody applied it: the page shows the store's shape again.
    m.rendered(qtbot)
    assert m.regions.get(entry.id) == entry
    drawn_top = m.js(
        qtbot,
        f"CSE.regionHandlePoint({entry.id!r}, 1) && CSE.map.containerPointToLatLng("
        "L.point(CSE.regionHandlePoint('r1', 1).x - CSE.map.getContainer()"
        ".getBoundingClientRect().left, CSE.regionHandlePoint('r1', 1).y -"
        " CSE.map.getContainer().getBoundingClientRect().top)).lat",
    )
    assert drawn_top == pytest.approx(44.0, abs=tol)


def test_an_applied_edit_redraws_the_region(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "rectangle", (84.0, 38.0), (90.0, 42.0))
    m.rc.select_region(entry.id)
    m.rendered(qtbot)

    def apply(old: RegionEntry, new: RegionEntry) -> None:  # what the window's command does
        EditRegion(m.regions, old, new).do()

    m.req.edited.connect(apply)
    try:
        # Corner 2 is the north-east one: it drags the north and east edges.
        with qtbot.waitSignal(m.req.edited, timeout=5000):
            call_js(qtbot, MapDriver(m.view).drag_region_handle, entry.id, 2, 93.0, 44.0)
    finally:
        m.req.edited.disconnect(apply)
    m.rendered(qtbot)
    edited = m.regions.get(entry.id)
    tol = degrees_per_pixel(ZOOM)
    assert edited.region.bounds == pytest.approx((84.0, 38.0, 93.0, 44.0), abs=tol)
    assert edited.region.bounds[:2] == entry.region.bounds[:2]  # the SW corner stayed
    st = m.region(qtbot, entry.id)
    assert st["selected"] is True and st["handles"] == 4


def test_dragging_the_radius_handle_resizes_the_circle(qtbot: Any, m: Env) -> None:
    circle = RegionEntry("c1", CircleRegion("Ring", 88.0, 40.0, 200_000.0))
    m.add(qtbot, circle)
    m.rc.select_region("c1")
    m.rendered(qtbot)
    assert m.region(qtbot, "c1")["handles"] == 2
    with qtbot.waitSignal(m.req.edited, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).drag_region_handle, "c1", 1, 93.0, 41.0)
    _, new = blocker.args
    assert isinstance(new.region, CircleRegion)
    assert (new.region.lon, new.region.lat) == (88.0, 40.0)
    assert new.region.radius_m == pytest.approx(GEOD.inv(88.0, 40.0, 93.0, 41.0)[2], rel=0.01)
    # The centre handle moves the whole circle and keeps the radius.
    with qtbot.waitSignal(m.req.edited, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).drag_region_handle, "c1", 0, 86.0, 41.0)
    _, moved = blocker.args
    tol = degrees_per_pixel(ZOOM)
    assert (moved.region.lon, moved.region.lat) == pytest.approx((86.0, 41.0), abs=tol)
    assert moved.region.radius_m == pytest.approx(200_000.0)


def test_escape_during_a_handle_drag_puts_the_region_back(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "polygon", (82.0, 38.0), (88.0, 44.0), (92.0, 38.0))
    m.rc.select_region(entry.id)
    m.rendered(qtbot)
    edits: list[Any] = []
    m.req.edited.connect(lambda *a: edits.append(a))
    handle = m.js(qtbot, f"CSE.regionHandlePoint({entry.id!r}, 1)")
    start = QPoint(round(handle["x"]), round(handle["y"]))
    target = m.view.focusProxy()
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mouseMove(target, start)
    QTest.mousePress(target, left, none, start)
    for i in range(1, 6):
        QTest.mouseMove(target, QPoint(start.x() + 10 * i, start.y() - 8 * i))
    qtbot.waitUntil(lambda: m.js(qtbot, "CSE.regionsState().dragging_handle") is True, timeout=5000)
    MapDriver(m.view).press_escape()
    qtbot.waitUntil(
        lambda: m.js(qtbot, "CSE.regionsState().dragging_handle") is False, timeout=5000
    )
    QTest.mouseRelease(target, left, none, QPoint(start.x() + 50, start.y() - 40))
    m.rendered(qtbot)
    assert edits == []
    back = m.js(qtbot, f"CSE.regionHandlePoint({entry.id!r}, 1)")
    assert (back["x"], back["y"]) == pytest.approx((handle["x"], handle["y"]), abs=0.5)
    assert m.region(qtbot, entry.id)["latlngs"] == len(entry.region.geometry.exterior.coords) - 1
    assert m.draw(qtbot)["dragging"] is True  # map panning is back


def test_deleting_the_selected_region_clears_the_selection(qtbot: Any, m: Env) -> None:
    entry = _draw_and_add(qtbot, m, "rectangle", (84.0, 38.0), (90.0, 42.0))
    m.rc.select_region(entry.id)
    DeleteRegions(m.regions, [entry.id]).do()
    m.rendered(qtbot)
    assert m.rc.selected_region is None
    assert m.js(qtbot, "CSE.regionsState()")["selected"] is None
    assert m.js(qtbot, "document.querySelectorAll('.leaflet-cse-handles-pane path').length") == 0


# ---------------------------------------------------------------------- pick area
def test_pick_area_reports_the_click_and_python_finds_the_province(qtbot: Any, m: Env) -> None:
    m.tool(qtbot, "pick")
    urumqi = (87.6, 43.8)
    hover = call_js(qtbot, m.view.evaluate, f"CSE.viewportPoint({urumqi[1]}, {urumqi[0]})")
    QTest.mouseMove(m.view.focusProxy(), QPoint(round(hover["x"]), round(hover["y"])))
    qtbot.waitUntil(lambda: m.draw(qtbot)["tip"] == "Xinjiang", timeout=5000)
    assert m.draw(qtbot)["hint"].startswith("Xinjiang")
    with qtbot.waitSignal(m.req.picked, timeout=5000) as blocker:
        call_js(qtbot, MapDriver(m.view).click_map_at, *urumqi)
    lon, lat = blocker.args
    tol = degrees_per_pixel(ZOOM)
    assert (lon, lat) == pytest.approx(urumqi, abs=tol)
    assert m.rc.draw_mode == "none"
    # The window's side: Python decides which area that is.
    assert AdminAreas.load().province_at(lon, lat) == "Xinjiang"
    assert m.draw(qtbot)["sent"][-1]["province"] == "Xinjiang"


# ---------------------------------------------------------------------- Mercator densify
def test_what_is_inside_on_screen_is_inside_the_totals(qtbot: Any, m: Env) -> None:
    """A long diagonal edge at high latitude: straight on the Mercator screen, it bulges
    north of the straight lon/lat line between its ends. A site between the two lines is
    inside the drawn shape on screen, and must be counted inside the region."""
    site = Site(
        id="z-between",
        name="Between the lines",
        lon=90.0,
        lat=44.15,
        hardware=(HardwareLine("H100", 800),),
    )
    m.store.insert([site])
    try:
        m.set_view(qtbot, 41.0, 90.0, 5)  # the whole triangle clear of the legend
        m.rendered(qtbot)
        drawn = [(75.0, 38.0), (105.0, 50.0), (105.0, 38.0)]
        entry = _draw_and_add(qtbot, m, "polygon", *drawn)
        # On the page: Leaflet's own pixel test and the SVG fill test both say inside.
        inside = m.js(qtbot, f"CSE.regionContainsPoint({entry.id!r}, 90.0, 44.15)")
        assert inside == {"leaflet": True, "svg_fill": True}
        marker_px = m.js(qtbot, "CSE.markerPoint('z-between')")
        edge_px = m.js(qtbot, "CSE.viewportPoint(44.30, 90.0)")
        assert marker_px["y"] - edge_px["y"] > 3  # visibly below the drawn edge
        # In Python: the entry's region covers it; the naive lon/lat triangle would not.
        assert not Polygon(entry.drawn).covers(Point(90.0, 44.15))
        result = totals(list(m.store), entry.region)
        assert "z-between" in result.site_ids and result.chips >= 800
    finally:
        m.store.remove(["z-between"])
        m.rendered(qtbot)


# ---------------------------------------------------------------------- robustness
def test_malformed_messages_from_the_page_are_dropped(qtbot: Any, m: Env) -> None:
    """A second channel client in the page's world sends what a broken or hostile page
    could; nothing reaches the controller's request signals."""
    from PySide6.QtWebEngineCore import QWebEngineScript

    entry = _draw_and_add(qtbot, m, "rectangle", (84.0, 38.0), (90.0, 42.0))
    requests: list[Any] = []
    for signal in (
        m.req.created,
        m.req.edited,
        m.req.picked,
        m.req.clicked,
    ):
        signal.connect(lambda *a: requests.append(a))
    m.rc.set_draw_mode("polygon")
    dropped = m.view.bridge.dropped_messages
    script = """
        (function () {
          new QWebChannel(qt.webChannelTransport, function (ch) {
            var b = ch.objects.bridge;
            b.regionDrawn('polygon', {vertices: [[80, 40], [NaN, 41], [82, 40]]});
            var many = [];
            for (var i = 0; i < 10000; i++) { many.push([80 + i / 10000, 40 + (i % 2)]); }
            b.regionDrawn('polygon', {vertices: many});
            b.regionDrawn('circle', {center: [88, 43], radius_m: Infinity});
            b.regionEdited('no-such-region', {vertices: [[84, 38], [90, 42]]});
            b.regionEdited('r1', {center: [88, 43], radius_m: 1000});
            b.regionClicked('no-such-region');
            b.areaPicked(NaN, 40);
          });
          return true;
        })()
    """
    ok: list[Any] = []
    try:
        m.view.page().runJavaScript(
            script, QWebEngineScript.ScriptWorldId.MainWorld.value, ok.append
        )
        qtbot.waitUntil(lambda: m.view.bridge.dropped_messages >= dropped + 7, timeout=5000)
        assert ok == [True]
        assert requests == []
        assert m.regions.get(entry.id) == entry
        assert m.rc.draw_mode == "polygon"
    finally:
        # The second client took over the page's transport: reload. A reloaded page is
        # sent the regions and the drawing mode again.
        with qtbot.waitSignal(m.sites.ready, timeout=15000):
            m.view.reload()
        m.rendered(qtbot)
        # The page's own client saw the second client's replies before the reload.
        m.view.js_errors[:] = [e for e in m.view.js_errors if "execCallbacks" not in e]
    st = m.region(qtbot, entry.id)
    assert st is not None and st["drawn"] is True
    assert m.draw(qtbot)["mode"] == "polygon"


def test_no_remote_requests_and_no_errors(qtbot: Any, m: Env) -> None:
    _draw_and_add(qtbot, m, "circle", (88.0, 40.0), (90.0, 40.0))
    assert m.view.external_requests == []
    assert m.view.blocked_requests == []
    assert m.view.js_errors == []
    assert m.view.js_dialogs == []


def test_a_controller_made_before_the_page_is_ready_shows_the_store(
    qtbot: Any, qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    """How the app builds it: store filled, controllers made, then the page loads."""
    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    session = make_session(catalogue)
    session.regions.reset(
        [
            RegionEntry("a", CircleRegion("Hami ring", 93.5, 42.8, 80_000.0)),
            RegionEntry("b", mercator_polygon("Golmud", [(94, 36), (96, 36), (95, 37.5)])),
        ]
    )
    view = MapView(center=VIEW, zoom=ZOOM, basemap_dir=basemap_dir)
    qtbot.addWidget(view)
    view.resize(700, 500)
    sites = MapController(view, session)
    rc = RegionMapController(view, session)
    rc.set_draw_mode("circle")
    rc.select_region("b")
    with qtbot.waitSignal(sites.ready, timeout=15000):
        view.show()
    wait_rendered(qtbot, sites)
    for rid in ("a", "b"):
        st = call_js(qtbot, MapDriver(view).region_state, rid)
        assert st is not None and st["drawn"] is True
    assert call_js(qtbot, MapDriver(view).region_state, "b")["selected"] is True
    assert call_js(qtbot, MapDriver(view).draw_state)["mode"] == "circle"
    # A store reset (e.g. a project opened) replaces what the page shows, in place.
    session.regions.reset([RegionEntry("c", CircleRegion("Other", 88.0, 40.0, 50_000.0))])
    wait_rendered(qtbot, sites)
    assert call_js(qtbot, MapDriver(view).region_state, "a") is None
    assert call_js(qtbot, MapDriver(view).region_state, "c")["drawn"] is True
    assert rc.selected_region is None
    assert view.js_errors == [] and view.external_requests == []
    rc.detach()
    sites.detach()


# ---------------------------------------------------------------------- screenshot
def test_screenshot_with_regions(qtbot: Any, m: Env, tmp_path: Path) -> None:
    m.set_view(qtbot, 40.5, 89.0, 5)
    poly = _draw_and_add(
        qtbot, m, "polygon", (74.5, 40.0), (84.0, 44.5), (86.0, 40.0), (80.0, 36.5)
    )
    _draw_and_add(qtbot, m, "rectangle", (91.0, 41.0), (96.0, 44.0))
    _draw_and_add(qtbot, m, "circle", (95.0, 36.5), (98.0, 36.5))
    m.rc.select_region(poly.id)
    m.rc.highlight_sites(totals(list(m.store), poly.region).site_ids)
    shot = grab_shown(qtbot, m.sites, m.view)
    out = Path(os.environ.get("CSE_SCREENSHOT_DIR", tmp_path)) / "map_regions.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert shot.save(str(out))
    # The selected polygon's outline is drawn where the user drew it: halfway between
    # two handles (a straight edge on screen) is the dark selection stroke.
    a, b = (m.js(qtbot, f"CSE.regionHandlePoint({poly.id!r}, {i})") for i in (0, 1))
    colour = shot.pixelColor(round((a["x"] + b["x"]) / 2), round((a["y"] + b["y"]) / 2))
    assert colour.lightness() < 120 and colour.blue() > colour.green(), colour.name()
    # Kashgar is inside the selected polygon: its marker has the highlight ring.
    assert call_js(qtbot, MapDriver(m.view).marker_state, "d-kashgar")["highlighted"] is True
