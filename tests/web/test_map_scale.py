"""The map with 100,000 sites (issue 10): one message, groups at low zoom, still usable.

One synthetic data set (``tests/web/synthetic.py``: sites gathered around towns, with
phased lines, campuses and superseded records) on one real page for the module. What
the page groups is checked against sums worked out here from the session's own
counts; the mouse clicks groups and markers as a user would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.session.session import Session
from explorer.web import palette
from explorer.web.protocol import AGGREGATE_CELL_PX, AGGREGATE_MAX_ZOOM, AGGREGATE_MIN_SITES
from tests.web.conftest import MapEnv, call_js, wait_first_render, wait_rendered
from tests.web.driver import MapDriver
from tests.web.synthetic import synthetic_sites

pytestmark = pytest.mark.gui

N_SITES = 100_000
#: Where the view starts: all of Xinjiang and Qinghai.
HOME = "CSE.map.setView([40.0, 88.0], 5, {animate: false}) && true"


class Messages:
    """Site messages the bridge sends (name, parsed data, length), while attached; a
    reset sent in parts is recorded once, whole, when its last part goes (with how many
    parts it took as ``parts``)."""

    NAMES = ("sitesReset", "siteUpserted", "siteRemoved", "sitesCounted")

    def __init__(self, bridge: Any) -> None:
        self.bridge = bridge
        self.sent: list[tuple[str, Any, int]] = []
        self.parts: list[int] = []
        self._pieces: list[str] = []
        self._hooks = {
            name: (
                lambda text, _n=name: self.sent.append((_n, json.loads(text)["data"], len(text)))
            )
            for name in self.NAMES
        }
        self._hooks["sitesResetPart"] = self._part
        for name, hook in self._hooks.items():
            getattr(bridge, name).connect(hook)

    def _part(self, text: str) -> None:
        k, count, piece = text.split(":", 2)
        self._pieces.append(piece)
        if int(k) == int(count) - 1:
            whole, self._pieces = "".join(self._pieces), []
            self.parts.append(int(count))
            self.sent.append(("sitesReset", json.loads(whole)["data"], len(whole)))

    def detach(self) -> None:
        for name, hook in self._hooks.items():
            getattr(self.bridge, name).disconnect(hook)

    def take(self) -> list[tuple[str, Any, int]]:
        out, self.sent = self.sent, []
        return out


@pytest.fixture(scope="module")
def big(qapp: Any, basemap_dir: Path) -> Iterator[tuple[MapEnv, Messages]]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    session = Session(ChipCatalogue.bundled(), admin_areas=None)
    session.sites.reset(synthetic_sites(N_SITES))
    view = MapView(center=(40.0, 88.0), zoom=5, basemap_dir=basemap_dir)
    view.resize(1000, 700)
    messages = Messages(view.bridge)
    controller = MapController(view, session)
    view.show()
    drawn = wait_first_render(controller, 120_000)
    assert drawn, f"the page did not draw 100,000 sites: {view.js_errors}"
    env = MapEnv(view, controller, session, basemap_dir)
    yield env, messages
    messages.detach()
    controller.detach()
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def m(big: tuple[MapEnv, Messages], qtbot: Any) -> Iterator[MapEnv]:
    env, messages = big
    messages.take()
    yield env
    env.session.set_mode("browse")
    env.session.set_as_of(None)
    env.selection.clear()
    env.view.bridge.post_sites_highlighted([])
    call_js(qtbot, env.view.evaluate, HOME)
    settle(qtbot, env)


@pytest.fixture
def messages(big: tuple[MapEnv, Messages]) -> Messages:
    """The site messages sent to the shared page (emptied before each test)."""
    return big[1]


def js(qtbot: Any, env: MapEnv, expression: str, timeout: int = 10_000) -> Any:
    return call_js(qtbot, env.view.evaluate, expression, timeout=timeout)


def settle(qtbot: Any, env: MapEnv) -> None:
    """Wait until the map stopped moving and a frame after that was painted."""
    moving = "!!(CSE.map._animatingZoom || (CSE.map._panAnim && CSE.map._panAnim._inProgress))"
    qtbot.waitUntil(lambda: js(qtbot, env, moving) is False, timeout=10_000)
    done: list[bool] = []
    env.controller.call_when_rendered(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)


def state(qtbot: Any, env: MapEnv) -> dict[str, Any]:
    return call_js(qtbot, MapDriver(env.view).page_state)


def marker(qtbot: Any, env: MapEnv, sid: str) -> dict[str, Any]:
    out = call_js(qtbot, MapDriver(env.view).marker_state, sid)
    assert out is not None, sid
    return out


def groups(qtbot: Any, env: MapEnv, *, with_ids: bool = False) -> list[dict[str, Any]]:
    return call_js(
        qtbot, lambda cb: MapDriver(env.view).groups_state(cb, with_ids=with_ids), timeout=20_000
    )


def counted(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """Each site's counted chips and restricted chips on the session's date, from the
    session's own totals (not from what the page was sent)."""
    snap = session.live_totals.snapshot()
    day = session.as_of or date.today()
    cat = session.catalogue
    restricted = np.array([cat.restricted_on(m, day) for m in snap.models], dtype=bool)
    chips = snap.chips.sum(axis=1)
    limited = snap.chips[:, restricted].sum(axis=1)
    ids = snap.ids.tolist()
    return dict(zip(ids, chips.tolist(), strict=True)), dict(
        zip(ids, limited.tolist(), strict=True)
    )


def compact(n: int) -> str:
    """A group's label: 960, 1.2k, 12k, 1.2M (rounded down)."""
    for size, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= size:
            v = n / size
            return f"{math.floor(v * 10) / 10:.1f}{unit}" if v < 10 else f"{math.floor(v)}{unit}"
    return str(n)


def check_groups_against(session: Session, found: list[dict[str, Any]]) -> int:
    """Every site in at most one group; each group's sums and label are those of its
    sites. Returns how many sites are grouped."""
    chips, restricted = counted(session)
    seen: set[str] = set()
    for g in found:
        ids = g["ids"]
        assert len(ids) == g["count"] >= 2
        assert seen.isdisjoint(ids)
        seen.update(ids)
        assert g["chips"] == sum(chips[i] for i in ids), g["index"]
        assert g["restricted"] == sum(restricted[i] for i in ids), g["index"]
        assert g["label"] == compact(g["chips"])
    return len(seen)


# ---------------------------------------------------------------------- loading
def test_100k_sites_reach_the_page_in_one_reset(qtbot: Any, big: tuple[MapEnv, Messages]) -> None:
    env, messages = big
    resets = [s for s in messages.sent if s[0] == "sitesReset"]
    assert len(resets) == 1  # one reset, no message per site (in parts when long)
    _, data, size = resets[0]
    assert data["sites"]["n"] == N_SITES == len(data["sites"]["id"])
    # Typed binary columns: well under 200 bytes a site, lines and names included.
    assert size < 200 * N_SITES, size
    st = state(qtbot, env)
    assert st["sites"] == N_SITES and st["dropped_rows"] == 0
    assert st["aggregating"] is True and st["drawn_groups"] > 0
    assert env.view.js_errors == []
    assert env.view.external_requests == []


def test_groups_hold_every_site_once_and_sum_their_chips(qtbot: Any, m: MapEnv) -> None:
    found = groups(qtbot, m, with_ids=True)
    grouped = check_groups_against(m.session, found)
    singles = N_SITES - grouped
    # At zoom 5 nearly everything is grouped: a few hundred circles, not 100,000.
    assert len(found) < 2000 and singles < N_SITES // 20
    # A group's sites lie near it: within two cells and the merge distance.
    lon = {s.id: s.lon for s in m.store}
    for g in found[:50]:
        west, east = min(lon[i] for i in g["ids"]), max(lon[i] for i in g["ids"])
        px_per_degree = 256 * 2**5 / 360
        assert (east - west) * px_per_degree <= 3 * AGGREGATE_CELL_PX


def test_a_new_date_recounts_every_group_in_one_message(
    qtbot: Any, m: MapEnv, messages: Messages
) -> None:
    before = {g["index"]: g["chips"] for g in groups(qtbot, m)}
    m.session.set_as_of(date(2025, 6, 30))
    wait_rendered(qtbot, m.controller)
    sent = [name for name, _, _ in messages.take()]
    assert sent == ["sitesCounted"]
    found = groups(qtbot, m, with_ids=True)
    check_groups_against(m.session, found)
    # Lines online by mid-2025 are fewer than all planned ones.
    assert sum(g["chips"] for g in found) < sum(before.values())
    assert state(qtbot, m)["as_of"] == "2025-06-30"


def count_groupings(qtbot: Any, env: MapEnv) -> None:
    """From now on, the page counts the groupings it makes (window.__groupings) and
    notes each one's zoom level (window.__groupedZooms)."""
    count = "(window.__groupings = 0, window.__groupedZooms = [],"
    count += " window.__aggregate = window.__aggregate || CSE.aggregate,"
    count += " CSE.aggregate = function (data, scale) { window.__groupings += 1;"
    count += " window.__groupedZooms.push(Math.round(Math.log2(scale)));"
    count += " return window.__aggregate.apply(this, arguments); }, true)"
    js(qtbot, env, count)


def stop_counting_groupings(qtbot: Any, env: MapEnv) -> None:
    js(qtbot, env, "(CSE.aggregate = window.__aggregate || CSE.aggregate, true)")


def zoom_and_wait_for_neighbours(qtbot: Any, env: MapEnv, zoom: int) -> None:
    js(qtbot, env, f"CSE.map.setZoom({zoom}, {{animate: false}}) && true")
    settle(qtbot, env)
    near = {zoom - 1, zoom, zoom + 1}
    qtbot.waitUntil(lambda: near <= set(js(qtbot, env, "CSE.groupingsKept()")), timeout=10_000)


def test_zooming_back_reuses_the_grouping_until_the_data_change(qtbot: Any, m: MapEnv) -> None:
    """Levels seen a moment ago are not regrouped (a zoom step's last frame is the slow
    one); after an edit they are, and the sums are the new ones."""
    zoom_and_wait_for_neighbours(qtbot, m, 6)
    zoom_and_wait_for_neighbours(qtbot, m, 5)
    count_groupings(qtbot, m)
    try:
        for zoom in (6, 5, 6, 5):
            zoom_and_wait_for_neighbours(qtbot, m, zoom)
        assert js(qtbot, m, "window.__groupings") == 0
        sid = "syn-000010"
        old = m.store.get(sid)
        m.session.edit_site(old, old.with_changes(hardware=(HardwareLine("H100", 7777),)))
        try:
            wait_rendered(qtbot, m.controller)
            assert js(qtbot, m, "window.__groupings") >= 1  # the data changed: regrouped
            assert 5 in js(qtbot, m, "CSE.groupingsKept()")
            found = groups(qtbot, m, with_ids=True)
            check_groups_against(m.session, found)
            assert any(sid in g["ids"] for g in found)
        finally:
            m.session.history.undo()  # type: ignore[attr-defined]
            wait_rendered(qtbot, m.controller)
    finally:
        stop_counting_groupings(qtbot, m)


def test_the_next_levels_are_grouped_while_the_map_is_idle(qtbot: Any, m: MapEnv) -> None:
    """Once the view settles, the levels one step in and out are grouped in idle time,
    so the last frame of a one-step zoom (from anywhere in the view) only paints."""
    js(qtbot, m, "CSE.map.setView([41.0, 86.0], 6, {animate: false}) && true")
    settle(qtbot, m)
    qtbot.waitUntil(lambda: {5, 6, 7} <= set(js(qtbot, m, "CSE.groupingsKept()")), timeout=10_000)
    count_groupings(qtbot, m)
    try:
        # Zoom in around a point off the centre, as the mouse wheel does.
        js(
            qtbot,
            m,
            "CSE.map.setZoomAround(CSE.map.containerPointToLatLng([200, 150]), 7,"
            " {animate: false}) && true",
        )
        settle(qtbot, m)
        assert js(qtbot, m, "CSE.map.getZoom()") == 7
        # Nothing was grouped for zoom 7 on arrival (its neighbours may be, in idle time).
        assert 7 not in js(qtbot, m, "window.__groupedZooms")
        found = groups(qtbot, m, with_ids=True)
        check_groups_against(m.session, found)
    finally:
        stop_counting_groupings(qtbot, m)


def animated_pan_paints(qtbot: Any, env: MapEnv, dx: int) -> int:
    """How often the sites canvas painted during an animated pan of ``dx`` pixels."""
    js(qtbot, env, HOME)
    settle(qtbot, env)
    before = state(qtbot, env)["paints"]
    js(
        qtbot,
        env,
        "(window.__panned = false, CSE.map.once('moveend', function () {"
        " window.__panned = true; }),"
        f" CSE.map.panBy([{dx}, 0], {{animate: true, duration: 0.5}}), true)",
    )
    qtbot.waitUntil(lambda: js(qtbot, env, "window.__panned") is True, timeout=10_000)
    settle(qtbot, env)
    return int(state(qtbot, env)["paints"]) - before


def test_a_pan_repaints_only_when_the_view_leaves_the_painted_area(qtbot: Any, m: MapEnv) -> None:
    """The canvas is painted a tenth of the view beyond it on every side: a short pan
    shows what is there without painting until it ends; a long one paints on the way
    (what it uncovers is drawn), not in every frame."""
    assert animated_pan_paints(qtbot, m, 60) <= 2
    long_pan = animated_pan_paints(qtbot, m, 900)
    assert 2 <= long_pan <= 12
    # The sites the long pan uncovered are drawn: the groups on screen hold their sums.
    check_groups_against(m.session, groups(qtbot, m, with_ids=True))


# ---------------------------------------------------------------------- the mouse
def test_clicking_groups_zooms_in_until_a_site_can_be_clicked(qtbot: Any, m: MapEnv) -> None:
    target = "syn-054321"
    driver = MapDriver(m.view)
    zooms = [state(qtbot, m)["zoom"]]
    for _ in range(AGGREGATE_MAX_ZOOM + 2):
        ms = marker(qtbot, m, target)
        if ms["drawn"]:
            break
        assert ms["group"] >= 0, "neither drawn nor grouped"
        g = [g for g in groups(qtbot, m) if g["index"] == ms["group"]][0]
        assert g["drawn"] and g["splits"], (zooms, g)
        if not call_js(qtbot, driver.click_group, ms["group"]):
            # Under the legend or a button: bring it to the middle first, as a user would.
            js(qtbot, m, f"CSE.map.panTo([{g['lat']}, {g['lon']}], {{animate: false}}) && true")
            settle(qtbot, m)
            ms = marker(qtbot, m, target)
            assert call_js(qtbot, driver.click_group, ms["group"]) is True
        qtbot.waitUntil(lambda: state(qtbot, m)["zoom"] > zooms[-1], timeout=10_000)
        settle(qtbot, m)
        zooms.append(state(qtbot, m)["zoom"])
    assert marker(qtbot, m, target)["drawn"], zooms
    assert zooms == sorted(zooms) and len(zooms) >= 2
    with qtbot.waitSignal(m.view.bridge.siteClickedOnMap, timeout=10_000) as clicked:
        assert call_js(qtbot, driver.click_marker, target) is True
    assert clicked.args == [target]
    assert m.selection.current == target
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, target)
    assert ms["selected"] is True and ms["outline"] == palette.SELECTED_OUTLINE


def test_hovering_a_group_says_what_it_holds(qtbot: Any, m: MapEnv) -> None:
    g = max(groups(qtbot, m), key=lambda g: g["count"])
    point = js(qtbot, m, f"CSE.groupPoint({g['index']})")
    assert point is not None
    target = m.view.focusProxy()
    QTest.mouseMove(target, QPoint(round(point["x"]) - 1, round(point["y"])))
    QTest.mouseMove(target, QPoint(round(point["x"]), round(point["y"])))
    driver = MapDriver(m.view)

    def shown() -> list[str]:
        state = call_js(qtbot, driver.tooltip_state)
        return [line["text"] for line in state] if state else []

    # This group's tooltip, not one an earlier test left open over a site.
    qtbot.waitUntil(lambda: shown()[:1] == [f"{g['count']:,} sites"], timeout=5000)
    lines = shown()
    assert lines[1] == f"{g['chips']:,} chips"
    share = round(100 * g["restricted"] / g["chips"])
    assert lines[2] == f"{g['restricted']:,} need a US export licence ({share}%)"
    assert lines[-1] == "Click to zoom in"


def test_a_group_that_cannot_split_lists_its_sites(qtbot: Any, m: MapEnv) -> None:
    # Six records at one point, far from the rest: no zoom separates them.
    here = [
        Site(
            id=f"stack-{k}",
            name=f"Stacked record {k}",
            lon=62.5,
            lat=46.5,
            hardware=(HardwareLine("H100", 100 * (k + 1)),),
        )
        for k in range(6)
    ]
    m.store.insert(here)
    try:
        wait_rendered(qtbot, m.controller)
        js(qtbot, m, "CSE.map.setView([46.5, 62.5], 8, {animate: false}) && true")
        settle(qtbot, m)
        group = marker(qtbot, m, "stack-0")["group"]
        assert group >= 0
        found = [g for g in groups(qtbot, m, with_ids=True) if g["index"] == group][0]
        assert sorted(found["ids"]) == sorted(s.id for s in here) and found["splits"] is False
        driver = MapDriver(m.view)
        zoom = state(qtbot, m)["zoom"]
        assert call_js(qtbot, driver.click_group, group) is True
        qtbot.waitUntil(lambda: call_js(qtbot, driver.group_list_state) is not None, timeout=5000)
        listing = call_js(qtbot, driver.group_list_state)
        assert listing["title"] == "6 sites"
        # Most chips first, each with its name and count.
        assert [i["id"] for i in listing["items"]] == [f"stack-{k}" for k in range(5, -1, -1)]
        assert listing["items"][0]["text"] == "Stacked record 5 \u00b7 600"
        assert state(qtbot, m)["zoom"] == zoom  # listed, not zoomed
        with qtbot.waitSignal(m.view.bridge.siteClickedOnMap, timeout=5000):
            assert call_js(qtbot, driver.click_group_list_item, "stack-2") is True
        assert m.selection.current == "stack-2"
    finally:
        m.selection.clear()
        m.store.remove([s.id for s in here])
        wait_rendered(qtbot, m.controller)


def test_the_selected_site_is_never_grouped(qtbot: Any, m: MapEnv) -> None:
    target = "syn-000004"  # near Urumqi, in the densest group
    assert marker(qtbot, m, target)["group"] >= 0
    m.selection.set(target)
    wait_rendered(qtbot, m.controller)
    ms = marker(qtbot, m, target)
    assert ms["drawn"] is True and ms["group"] == -1
    assert ms["outline"] == palette.SELECTED_OUTLINE
    assert ms["painted_outline"] is not None


def test_highlighted_sites_ring_their_groups(qtbot: Any, m: MapEnv) -> None:
    box = [s.id for s in m.store if 86.0 <= s.lon <= 89.0 and 43.0 <= s.lat <= 45.0]
    assert len(box) > 1000
    m.view.bridge.post_sites_highlighted(box)
    wait_rendered(qtbot, m.controller)
    inside = set(box)
    for g in groups(qtbot, m, with_ids=True):
        assert g["highlighted"] is bool(inside.intersection(g["ids"])), g["index"]
    legend = state(qtbot, m)["legend"]
    assert palette.LABEL_HIGHLIGHTED in legend and palette.LABEL_AGGREGATE in legend


def test_one_edit_is_one_small_message(qtbot: Any, m: MapEnv, messages: Messages) -> None:
    sid = "syn-000010"
    old = m.store.get(sid)
    assert not old.part_of and not old.supersedes
    group = marker(qtbot, m, sid)["group"]
    chips_before = [g for g in groups(qtbot, m) if g["index"] == group][0]["chips"]
    mine = marker(qtbot, m, sid)["chips"]
    messages.take()
    m.session.edit_site(old, old.with_changes(hardware=(HardwareLine("H100", 9000),)))
    try:
        wait_rendered(qtbot, m.controller)
        sent = messages.take()
        assert [(name, data["n"]) for name, data, _ in sent] == [("siteUpserted", 1)]
        assert sent[0][2] < 2000  # bytes
        assert marker(qtbot, m, sid)["chips"] == 9000
        after = [g for g in groups(qtbot, m, with_ids=True) if sid in g["ids"]][0]
        assert after["chips"] == chips_before - mine + 9000
    finally:
        m.session.history.undo()  # type: ignore[attr-defined]
        wait_rendered(qtbot, m.controller)


def test_drag_and_place_work_among_100k(qtbot: Any, m: MapEnv) -> None:
    sid = "syn-000004"
    site = m.store.get(sid)
    m.selection.set(sid)
    js(qtbot, m, f"CSE.map.setView([{site.lat}, {site.lon}], 11, {{animate: false}}) && true")
    settle(qtbot, m)
    target = (site.lon + 0.02, site.lat + 0.01)
    call_js(qtbot, MapDriver(m.view).drag_marker, sid, *target)
    qtbot.waitUntil(lambda: m.store.get(sid).lon != site.lon, timeout=10_000)
    moved = m.store.get(sid)
    assert (moved.lon, moved.lat) == pytest.approx(target, abs=0.002)
    assert m.session.history.undo_text == f"Move {site.name}"  # type: ignore[attr-defined]
    m.session.history.undo()  # type: ignore[attr-defined]
    assert m.store.get(sid) == site
    # Place mode: a click on a group adds a site there instead of zooming.
    m.selection.clear()
    js(qtbot, m, HOME)
    settle(qtbot, m)
    g = max(groups(qtbot, m), key=lambda g: g["count"])
    m.session.set_mode("place")
    wait_rendered(qtbot, m.controller)
    zoom = state(qtbot, m)["zoom"]
    call_js(qtbot, MapDriver(m.view).click_map_at, g["lon"], g["lat"])
    qtbot.waitUntil(lambda: len(m.store) == N_SITES + 1, timeout=10_000)
    added = m.store.get(m.store.ids()[-1])
    assert added.lon == pytest.approx(g["lon"], abs=0.1)
    assert state(qtbot, m)["zoom"] == zoom
    m.session.history.undo()  # type: ignore[attr-defined]
    assert len(m.store) == N_SITES


def test_the_legend_says_sites_are_grouped(qtbot: Any, m: MapEnv) -> None:
    assert N_SITES >= AGGREGATE_MIN_SITES
    assert palette.LABEL_AGGREGATE in state(qtbot, m)["legend"]
