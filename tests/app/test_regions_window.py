"""Regions in the main window: drawn with the mouse on the real page, totalled live.

The panel's numbers must equal what ``explorer totals`` prints for the same sites and
the regions the panel exports, so an analyst can reproduce any figure from a script.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from explorer import DEMO_SITES
from explorer.core.commands import EditSite
from explorer.geo.regions import GEOD
from explorer.geo.totals import totals
from explorer.ui.region_format import chips_text  # the cell: central (low–high)
from explorer.ui.region_panel import COLUMNS
from explorer.ui.undo import push
from tests.web.driver import MapDriver

from .conftest import cli_totals, js, wait_rendered

# Around Hami and the Yiwu complex; Kashgar-Aksu polygon; about 220 km around the
# Qaidam basin's north-east (Delingha). All clear of the map's controls and legend.
HAMI_BOX = ((92.6, 42.3), (95.6, 44.2))
WEST_POLYGON = [(74.5, 40.5), (81.0, 42.5), (81.5, 38.5), (76.0, 37.5)]
QAIDAM = (96.5, 37.2)
QAIDAM_EDGE = (99.0, 37.2)


def _panel_cell(window, rid: str, key: str) -> str:  # noqa: ANN001
    model = window.region_panel.model
    row = model.row_of(rid)
    col = [k for k, _ in COLUMNS].index(key)
    return str(model.index(row, col).data())


def _draw_all(qtbot, window) -> list[str]:  # noqa: ANN001
    """Draw a rectangle, a polygon and a circle the way a user does; return their ids."""
    view = window.map_view
    results: list[bool] = []

    window.draw_actions["rectangle"].trigger()
    wait_rendered(qtbot, window)  # the page has taken the tool before the mouse goes down
    MapDriver(view).draw_rectangle(HAMI_BOX[0], HAMI_BOX[1], results.append)
    qtbot.waitUntil(lambda: len(window.region_store) == 1, timeout=10_000)

    window.draw_actions["polygon"].trigger()
    wait_rendered(qtbot, window)  # the page has taken the tool before the mouse goes down
    MapDriver(view).draw_polygon(WEST_POLYGON, results.append, finish="first")
    qtbot.waitUntil(lambda: len(window.region_store) == 2, timeout=10_000)

    window.draw_actions["circle"].trigger()
    wait_rendered(qtbot, window)  # the page has taken the tool before the mouse goes down
    MapDriver(view).draw_circle(QAIDAM, QAIDAM_EDGE, results.append)
    qtbot.waitUntil(lambda: len(window.region_store) == 3, timeout=10_000)
    assert results == [True, True, True]
    return window.region_store.ids()


def test_drawn_regions_total_like_the_cli(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    rids = _draw_all(qtbot, window)
    kinds = [window.region_store.get(r).kind for r in rids]
    assert kinds == ["rectangle", "polygon", "circle"]
    circle = window.region_store.get(rids[2]).region
    _, _, expected_radius = GEOD.inv(*QAIDAM, *QAIDAM_EDGE)
    assert circle.radius_m == pytest.approx(expected_radius, rel=0.02)

    # What the panel shows is what totals() gives for the stored shapes...
    sites = window.store.sites()
    for rid in rids:
        expected = totals(sites, window.region_store.get(rid).region, catalogue=window.catalogue)
        assert expected.site_count > 0
        assert _panel_cell(window, rid, "sites") == str(expected.site_count)
        assert _panel_cell(window, rid, "chips") == chips_text(expected)
        assert window.live_totals.totals(rid) == expected

    # ...and what the CLI prints for the exported regions.
    regions_file = tmp_path / "regions.geojson"
    assert window.region_panel.export_regions_to(regions_file) == 3
    cli = cli_totals(DEMO_SITES, regions_file)
    assert [r["name"] for r in cli] == [window.region_store.get(r).name for r in rids]
    for rid, row in zip(rids, cli, strict=True):
        mine = window.live_totals.totals(rid)
        assert row["site_ids"] == list(mine.site_ids)
        assert row["chips"] == mine.chips
        assert row["restricted_chips"] == mine.restricted_chips
        assert row["by_model"] == mine.by_model_dict()
        assert row["h100e"] == pytest.approx(mine.h100e, abs=1e-3)

    # The selected region's sites are highlighted on the map.
    window.region_selection.set(rids[0])
    wait_rendered(qtbot, window)
    inside = window.live_totals.site_ids(rids[0])
    state = js(qtbot, lambda cb: MapDriver(window.map_view).region_state(rids[0], cb))
    assert state["selected"] is True
    assert state["label_text"] == window.region_store.get(rids[0]).name
    assert len(inside) > 0


def test_moving_a_site_across_the_boundary_changes_totals_and_undo_restores(
    qtbot, make_window
) -> None:  # noqa: ANN001
    window = make_window()
    rids = _draw_all(qtbot, window)
    box = rids[0]
    before = window.live_totals.totals(box)
    sid = "xj-hami-2"  # one hardware line, no campus or supersession to share its chips
    assert sid in before.site_ids and len(window.store.get(sid).hardware) == 1
    site = window.store.get(sid)

    window.selection.set(sid)
    wait_rendered(qtbot, window)
    MapDriver(window.map_view).drag_marker(sid, 90.0, 43.0)  # west, out of the box
    qtbot.waitUntil(lambda: window.store.get(sid).lon < 91, timeout=10_000)
    after = window.live_totals.totals(box)
    assert sid not in after.site_ids
    assert after.chips == before.chips - site.chips
    assert _panel_cell(window, box, "chips") == chips_text(after)

    window.undo_stack.undo()
    assert window.live_totals.totals(box) == before
    assert _panel_cell(window, box, "chips") == chips_text(before)

    # An edit inside the region (not a move) changes its totals too.
    grown = replace(site.hardware[0], chips=2400, chips_high=None)  # above its old range
    push(window.undo_stack, EditSite(window.store, site, site.with_changes(hardware=(grown,))))
    assert window.live_totals.totals(box).chips == before.chips + 2400 - site.chips


def test_regions_survive_save_and_reopen(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    rids = _draw_all(qtbot, window)
    saved = {window.region_store.get(r).name: window.live_totals.totals(r) for r in rids}
    target = tmp_path / "with-regions.gpkg"
    assert window.save_to(target, interactive=False)

    reopened = make_window(target)
    assert [e.name for e in reopened.region_store] == list(saved)
    for entry in reopened.region_store:
        assert reopened.live_totals.totals(entry.id) == saved[entry.name]
        assert _panel_cell(reopened, entry.id, "chips") == chips_text(saved[entry.name])
    wait_rendered(qtbot, reopened)
    for entry in reopened.region_store:
        state = js(
            qtbot, lambda cb, rid=entry.id: MapDriver(reopened.map_view).region_state(rid, cb)
        )
        assert state["on_map"] is True


def test_pick_a_province_totals_it(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.draw_actions["pick"].trigger()
    wait_rendered(qtbot, window)  # the page has taken the tool before the mouse goes down
    MapDriver(window.map_view).click_map_at(87.6, 43.8)  # Urumqi
    qtbot.waitUntil(lambda: len(window.region_store) == 1, timeout=10_000)
    entry = window.region_store.entries()[0]
    assert entry.name == "Xinjiang"
    in_xinjiang = [s for s in window.store if s.province == "Xinjiang"]
    result = window.live_totals.totals(entry.id)
    # The sites chosen by their attribute, not by the picked shape; the superseded Nyocor
    # announcement is there but not counted, and the Yiwu campus and its projects count
    # once (all of them are in Xinjiang, so the subset's own total applies the rules).
    superseded = {s.supersedes for s in window.store if s.supersedes}
    assert result.site_count == len([s for s in in_xinjiang if s.id not in superseded])
    assert result.chips == totals(in_xinjiang, catalogue=window.catalogue).chips
    window.undo_stack.undo()
    assert len(window.region_store) == 0


def test_dragging_a_region_handle_edits_it_undoably(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.draw_actions["rectangle"].trigger()
    wait_rendered(qtbot, window)
    MapDriver(window.map_view).draw_rectangle(HAMI_BOX[0], HAMI_BOX[1])
    qtbot.waitUntil(lambda: len(window.region_store) == 1, timeout=10_000)
    rid = window.region_store.ids()[0]
    before = window.live_totals.totals(rid)
    assert any(s.startswith("xj-yiwu-") for s in before.site_ids)

    # Pull the north-east corner (handle 2) west of the Yiwu complex (about 94.7 E).
    window.region_selection.set(rid)
    wait_rendered(qtbot, window)
    moved: list[bool] = []
    MapDriver(window.map_view).drag_region_handle(rid, 2, 94.0, 44.2, moved.append)
    qtbot.waitUntil(lambda: window.undo_stack.count() == 2, timeout=10_000)
    assert moved == [True]
    west, _, east, _ = window.region_store.get(rid).region.bounds
    assert east == pytest.approx(94.0, abs=0.1) and west == pytest.approx(HAMI_BOX[0][0], abs=0.1)
    after = window.live_totals.totals(rid)
    assert not any(s.startswith("xj-yiwu-") for s in after.site_ids)
    assert _panel_cell(window, rid, "chips") == chips_text(after)

    window.undo_stack.undo()
    assert window.live_totals.totals(rid) == before
    wait_rendered(qtbot, window)
    state = js(qtbot, lambda cb: MapDriver(window.map_view).region_state(rid, cb))
    assert state["on_map"] is True
