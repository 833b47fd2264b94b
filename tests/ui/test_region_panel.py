"""RegionPanel both ways: store/totals changes → tree, and tree actions → store + undo stack.

The four hand-built sites of ``conftest.make_sites`` and the hand-built catalogue give
answers worked out on paper:

* Hami (rectangle 93..95 E, 42..44 N) holds nyocor-1 (H100 2,000) and yiwu-1
  (H100 6,000 + H200 4,000): 12,000 chips, all restricted, 12,000 H100e (the H200 has the
  H100's BF16 figure), IT = 12,000 x 700 W x 1.8 = 15.12 MW, facility x 1.25 = 18.9 MW.
* Golmud (geodesic circle, 50 km around 94.9 E 36.5 N) holds golmud-1 (11 km away,
  H20 900).
* Yiwu box (94..96 E, 43..44 N) overlaps Hami and holds yiwu-1 only (10,000 chips).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot
from shapely import Polygon

from explorer import DEMO_SITES
from explorer.core.chips import ChipCatalogue
from explorer.core.commands import EditSite
from explorer.core.schema import HardwareLine
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.regions import CircleRegion, PolygonRegion, rectangle
from explorer.geo.totals import totals
from explorer.session.session import Session, new_region_entries
from explorer.ui.region_format import column_of, ranged_text, totals_tsv
from explorer.ui.region_panel import RegionPanel, RegionTreeModel

HAMI = rectangle("Hami", 93, 42, 95, 44)
GOLMUD = CircleRegion("Golmud", 94.9, 36.5, 50_000)
YIWU_BOX = rectangle("Yiwu box", 94, 43, 96, 44)

MakePanel = Callable[..., RegionPanel]


@pytest.fixture
def regions(session: Session) -> RegionStore:
    rs = session.regions
    rs.insert([RegionEntry("r1", HAMI), RegionEntry("r2", GOLMUD), RegionEntry("r3", YIWU_BOX)])
    return rs


@pytest.fixture
def region_selection(session: Session) -> Selection:
    return session.region_selection


@pytest.fixture
def live(session: Session, regions: RegionStore) -> LiveTotals:
    return session.live_totals


@pytest.fixture
def make_panel(qtbot: QtBot) -> MakePanel:
    def make(session: Session) -> RegionPanel:
        panel = RegionPanel(session)
        qtbot.addWidget(panel)
        panel.resize(1000, 500)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return make


@pytest.fixture
def panel(make_panel: MakePanel, session: Session, regions: RegionStore) -> RegionPanel:
    return make_panel(session)


def cell(model: RegionTreeModel, rid: str, key: str) -> object:
    row = model.row_of(rid)
    assert row is not None
    return model.data(model.index(row, column_of(key)))


def child_cells(model: RegionTreeModel, rid: str, key: str) -> list[object]:
    parent = model.region_index(rid)
    return [
        model.data(model.index(r, column_of(key), parent)) for r in range(model.rowCount(parent))
    ]


def select_rows(panel: RegionPanel, *rids: str) -> None:
    panel.select_regions(list(rids))


# ---------------------------------------------------------------------------- store → tree
def test_rows_show_totals_worked_by_hand(panel: RegionPanel) -> None:
    m = panel.model
    assert m.rowCount() == 3
    assert [m.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Name",
        "Kind",
        "Sites",
    ]
    assert cell(m, "r1", "name") == "Hami"
    assert cell(m, "r1", "kind") == "rectangle"
    assert cell(m, "r1", "sites") == "2"
    assert cell(m, "r1", "chips") == "12,000"
    assert cell(m, "r1", "by_model") == "H100 8,000 · H200 4,000"
    assert cell(m, "r1", "restricted") == "12,000"
    assert cell(m, "r1", "h100e") == "12,000.0"
    assert cell(m, "r1", "it_mw") == "15.1"  # 15.12
    # 12,000 x 700 W = 8.4 MW of boards: x 1.8 x 1.25 = 18.9 MW; the range takes the
    # low and high factors, 8.4 x 1.5 x 1.15 = 14.49 and 8.4 x 2.15 x 1.5 = 27.09.
    assert cell(m, "r1", "facility_mw") == "18.9 (14.5–27.1)"
    assert cell(m, "r2", "kind") == "circle · 50 km"
    assert cell(m, "r2", "by_model") == "H20 900"
    assert cell(m, "r3", "chips") == "10,000"


def test_rows_equal_totals_for_the_same_sites_and_regions(
    panel: RegionPanel, store: SiteStore, regions: RegionStore, catalogue: ChipCatalogue
) -> None:
    for e in regions:
        t = totals(store.sites(), e.region, catalogue=catalogue)
        assert panel.live.totals(e.id) == t
        assert panel.model.totals_of(e.id) == t
        assert cell(panel.model, e.id, "chips") == f"{t.chips:,}"
        assert cell(panel.model, e.id, "h100e") == f"{t.h100e:,.1f}"
        assert child_cells(panel.model, e.id, "name") == [store.get(s).name for s in t.site_ids]


def test_children_list_sites_with_chips_and_status(panel: RegionPanel) -> None:
    m = panel.model
    assert child_cells(m, "r1", "name") == ["Nyocor Hami phase 1", "Yiwu desert complex"]
    assert child_cells(m, "r1", "chips") == ["2,000", "10,000"]
    assert child_cells(m, "r1", "kind") == ["planned", "under construction"]
    child = m.index(0, 0, m.region_index("r1"))
    assert m.parent(child) == m.region_index("r1")
    assert not m.flags(child) & Qt.ItemFlag.ItemIsEditable
    assert m.flags(m.region_index("r1")) & Qt.ItemFlag.ItemIsEditable


def test_site_edit_updates_row_and_child_and_undo_restores(
    panel: RegionPanel, store: SiteStore, undo_stack: QUndoStack, qtbot: QtBot
) -> None:
    from explorer.ui.undo import push

    old = store.get("nyocor-1")
    new = replace(old, hardware=(HardwareLine("H100", 2500),))
    with qtbot.waitSignal(panel.model.dataChanged):
        push(undo_stack, EditSite(store, old, new))
    assert cell(panel.model, "r1", "chips") == "12,500"
    assert child_cells(panel.model, "r1", "chips") == ["2,500", "10,000"]
    assert cell(panel.model, "r3", "chips") == "10,000"  # nyocor is not in the Yiwu box
    undo_stack.undo()
    assert cell(panel.model, "r1", "chips") == "12,000"
    assert child_cells(panel.model, "r1", "chips") == ["2,000", "10,000"]


def test_move_across_boundary_moves_the_child_row(
    panel: RegionPanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    from explorer.ui.undo import push

    panel.view.expandAll()
    yiwu = store.get("yiwu-1")
    push(undo_stack, EditSite(store, yiwu, replace(yiwu, lon=97.0)))  # out of both boxes
    assert child_cells(panel.model, "r1", "name") == ["Nyocor Hami phase 1"]
    assert panel.model.rowCount(panel.model.region_index("r3")) == 0
    assert cell(panel.model, "r1", "chips") == "2,000"
    assert cell(panel.model, "r3", "sites") == "0"
    undo_stack.undo()
    assert child_cells(panel.model, "r1", "name") == ["Nyocor Hami phase 1", "Yiwu desert complex"]
    assert cell(panel.model, "r3", "chips") == "10,000"
    assert panel.view.isExpanded(panel.model.region_index("r1"))


# ---------------------------------------------------------------------------- selection
def test_region_and_site_selection_both_ways(
    panel: RegionPanel, qtbot: QtBot, selection: Selection, region_selection: Selection
) -> None:
    view = panel.view
    r2 = panel.model.region_index("r2")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(r2).center())
    assert region_selection.current == "r2"
    assert panel.selected_ids() == ["r2"]

    view.expand(panel.model.region_index("r1"))
    child = panel.model.index(1, 0, panel.model.region_index("r1"))
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(child).center()
    )
    assert selection.current == "yiwu-1"

    region_selection.set("r3")  # e.g. clicked on the map
    assert panel.selected_ids() == ["r3"]
    region_selection.set(None)
    assert panel.selected_ids() == []


def test_union_line_counts_each_site_once(panel: RegionPanel) -> None:
    assert "Select regions" in panel.union_label.text()
    select_rows(panel, "r1", "r3")
    u = panel.union_totals()
    assert (u.site_count, u.chips) == (2, 12_000)  # yiwu-1 is in both, counted once
    assert panel.live.totals("r1").chips + panel.live.totals("r3").chips == 22_000
    text = panel.union_label.text()
    assert text.startswith(
        "Union of 2 regions, all planned (each site counted once): 2 sites · 12,000 chips"
    )
    select_rows(panel, "r1", "r2", "r3")
    assert "3 sites" in panel.union_label.text()


def test_union_line_follows_site_edits(
    panel: RegionPanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    from explorer.ui.undo import push

    select_rows(panel, "r1", "r3")
    old = store.get("yiwu-1")
    push(undo_stack, EditSite(store, old, replace(old, hardware=(HardwareLine("H100", 1),))))
    assert "· 2,001 chips" in panel.union_label.text()


# ---------------------------------------------------------------------------- rename
def _open_editor(panel: RegionPanel, qtbot: QtBot, rid: str) -> QLineEdit:
    index = panel.model.region_index(rid)
    panel.view.setCurrentIndex(index)
    panel.view.edit(index)
    editor = panel.view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    assert editor.text() == panel.regions.get(rid).name
    return editor


def test_rename_in_the_tree_editor_is_undoable(
    panel: RegionPanel, qtbot: QtBot, regions: RegionStore, undo_stack: QUndoStack
) -> None:
    editor = _open_editor(panel, qtbot, "r1")
    editor.selectAll()
    qtbot.keyClicks(editor, "Hami cluster")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits through a queued call.
    qtbot.waitUntil(lambda: undo_stack.count() == 1)
    assert regions.get("r1").name == "Hami cluster"
    assert cell(panel.model, "r1", "name") == "Hami cluster"
    assert undo_stack.count() == 1
    assert undo_stack.undoText() == "Rename region"
    assert panel.live.totals("r1").region == "Hami cluster"
    undo_stack.undo()
    assert regions.get("r1").name == "Hami"
    assert cell(panel.model, "r1", "name") == "Hami"
    assert cell(panel.model, "r1", "chips") == "12,000"


def test_empty_name_is_refused_with_a_message(
    panel: RegionPanel, qtbot: QtBot, regions: RegionStore, undo_stack: QUndoStack
) -> None:
    editor = _open_editor(panel, qtbot, "r2")
    editor.selectAll()
    qtbot.keyClicks(editor, "   ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.last_message != "")
    assert regions.get("r2").name == "Golmud"
    assert undo_stack.count() == 0
    assert panel.last_message == "A region needs a name; 'Golmud' was kept."
    box = panel.findChild(QMessageBox, "region_panel_message")
    assert box is not None and box.isVisible()
    assert box.text() == panel.last_message
    box.close()


# ---------------------------------------------------------------------------- delete
def test_delete_selected_and_undo(
    panel: RegionPanel,
    qtbot: QtBot,
    regions: RegionStore,
    undo_stack: QUndoStack,
    region_selection: Selection,
) -> None:
    assert not panel.delete_button.isEnabled()
    region_selection.set("r1")
    assert panel.delete_button.isEnabled()
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert regions.ids() == ["r2", "r3"]
    assert panel.model.region_ids() == ["r2", "r3"]
    assert region_selection.current is None  # not left pointing at a deleted region
    assert undo_stack.undoText() == "Delete region"
    undo_stack.undo()
    assert panel.model.region_ids() == ["r1", "r2", "r3"]
    assert cell(panel.model, "r1", "chips") == "12,000"
    assert child_cells(panel.model, "r1", "chips") == ["2,000", "10,000"]
    select_rows(panel, "r2", "r3")
    assert panel.delete_selected() == 2
    assert undo_stack.undoText() == "Delete 2 regions"
    assert panel.model.region_ids() == ["r1"]


# ---------------------------------------------------------------------------- copy
def test_copy_totals_puts_exact_tsv_on_the_clipboard(panel: RegionPanel, qtbot: QtBot) -> None:
    select_rows(panel, "r1", "r2")
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    text = QApplication.clipboard().text()
    # r2: 900 H20 = 900 x 148 / 989 H100e; IT 900 x 400 W x 1.8 = 0.648 MW.
    h100e_r2 = f"{round(900 * 148 / 989, 3):.3f}"
    # The columns of earlier versions first, then the ranges (facility power with the
    # low and high factors: 8.4 MW of boards x 1.5 x 1.15 and x 2.15 x 1.5 for Hami;
    # 0.36 MW x the same for Golmud), restricted H100e, unknown-model chips, the date.
    assert text.splitlines() == [
        "\t".join(
            (
                "region\tsites\tchips\trestricted\th100e\tit_mw\tfacility_mw",
                "chips_low\tchips_high\trestricted_low\trestricted_high",
                "h100e_low\th100e_high\tfacility_mw_low\tfacility_mw_high",
                "restricted_h100e\tunknown_model_chips\tas_of\tH100\tH200\tH20",
            )
        ),
        "\t".join(
            (
                "Hami\t2\t12000\t12000\t12000.000\t15.120\t18.900",
                "12000\t12000\t12000\t12000\t12000.000\t12000.000\t14.490\t27.090",
                "12000.000\t0\tall planned\t8000\t4000\t0",
            )
        ),
        "\t".join(
            (
                f"Golmud\t1\t900\t900\t{h100e_r2}\t0.648\t0.810",
                f"900\t900\t900\t900\t{h100e_r2}\t{h100e_r2}\t0.621\t1.161",
                f"{h100e_r2}\t0\tall planned\t0\t0\t900",
            )
        ),
    ]
    select_rows(panel)  # nothing selected: every region
    assert len(panel.copy_totals().splitlines()) == 4


def test_tsv_keeps_names_on_one_cell(live: LiveTotals) -> None:
    t = replace(live.totals("r1"), region="Hami\twest\nside")
    assert totals_tsv([t]).splitlines()[1].split("\t")[0] == "Hami west side"


# ---------------------------------------------------------------------------- import / export
def test_import_names_unnamed_regions_by_kind_in_one_undo_step(
    panel: RegionPanel, tmp_path: Path, regions: RegionStore, undo_stack: QUndoStack
) -> None:
    square = [[[90, 40], [91, 40], [91, 41], [90, 41], [90, 40]]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"name": " "},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"radius_m": 1000},
                "geometry": {"type": "Point", "coordinates": [94.9, 36.4]},
            },
            {
                "type": "Feature",
                "properties": {"name": "Kept", "kind": "rectangle"},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
        ],
    }
    path = tmp_path / "in.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert panel.import_regions(path) == 4
    added = regions.entries()[3:]
    assert [e.id for e in added] == ["r4", "r5", "r6", "r7"]
    assert [e.name for e in added] == ["Polygon 1", "Polygon 2", "Circle 1", "Kept"]
    assert added[3].kind == "rectangle"
    assert panel.selected_ids() == ["r4", "r5", "r6", "r7"]
    assert undo_stack.count() == 1 and undo_stack.undoText() == "Import 4 regions"
    assert cell(panel.model, "r6", "chips") == "900"
    undo_stack.undo()
    assert regions.ids() == ["r1", "r2", "r3"]


def test_new_region_entries_avoid_store_and_batch_names(regions: RegionStore) -> None:
    regions.insert([RegionEntry("r4", rectangle("Rectangle 1", 0, 0, 1, 1))])
    square = rectangle("x", 0, 0, 1, 1)
    got = new_region_entries(regions, [square, square, GOLMUD], named=[False, False, True])
    assert [(e.id, e.name) for e in got] == [
        ("r5", "Rectangle 2"),
        ("r6", "Rectangle 3"),
        ("r7", "Golmud"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "bad.geojson: not valid JSON: Expecting property name enclosed in double quotes "
            "(line 1, column 2)",
        ),
        ('{"type": "FeatureCollection", "features": []}', "bad.geojson: contains no features"),
        (
            '{"type": "Feature", "properties": {"radius_m": -5}, '
            '"geometry": {"type": "Point", "coordinates": [1, 2]}}',
            "bad.geojson: feature 1: Point region needs a positive radius_m, got '-5'",
        ),
    ],
)
def test_import_errors_are_shown_and_change_nothing(
    panel: RegionPanel,
    tmp_path: Path,
    regions: RegionStore,
    undo_stack: QUndoStack,
    content: str,
    message: str,
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    assert panel.import_regions(path) == 0
    assert regions.ids() == ["r1", "r2", "r3"]
    assert undo_stack.count() == 0
    assert panel.last_message == message
    assert "\n" not in panel.last_message
    assert panel.message_box is not None and panel.message_box.isVisible()
    panel.message_box.close()


def test_export_error_is_shown(panel: RegionPanel, tmp_path: Path) -> None:
    assert panel.export_regions_to(tmp_path / "regions.txt") == 0
    assert "regions are exported as GeoJSON, got '.txt'" in panel.last_message


def test_export_import_round_trip_matches_the_cli(make_panel: MakePanel, tmp_path: Path) -> None:
    """Demo sites: the panel's numbers equal `explorer totals --json` on the same files."""
    real = ChipCatalogue.load()  # what the CLI subprocess uses
    session_a = Session.from_file(DEMO_SITES, catalogue=real, admin_areas=None)
    session_b = Session.from_file(DEMO_SITES, catalogue=real, admin_areas=None)
    drawn = session_a.regions
    drawn.insert(
        [
            RegionEntry("r1", rectangle("Hami", 92, 41.5, 96, 44)),
            RegionEntry("r2", CircleRegion("Urumqi 150 km", 87.6, 43.8, 150_000)),
            RegionEntry(
                "r3",
                PolygonRegion(
                    "Qinghai east",
                    Polygon([(94, 35), (103, 35), (103, 39), (97, 39.5), (94, 37)]),
                ),
            ),
            RegionEntry("r4", rectangle("North Xinjiang", 80, 43, 92, 47)),
        ]
    )
    live_a = session_a.live_totals
    panel_a = make_panel(session_a)
    out = tmp_path / "regions.geojson"
    assert panel_a.export_regions_to(out) == 4

    imported = session_b.regions
    live_b = session_b.live_totals
    panel_b = make_panel(session_b)
    assert panel_b.import_regions(out) == 4
    assert [e.name for e in imported] == [e.name for e in drawn]

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "totals",
            str(DEMO_SITES),
            "--regions",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cli = json.loads(run.stdout)["regions"]
    assert len(cli) == 4
    for rid_a, rid_b, expected in zip(drawn.ids(), imported.ids(), cli, strict=True):
        assert live_a.totals(rid_a).to_json() == expected
        assert live_b.totals(rid_b).to_json() == expected
        assert expected["site_count"] > 0
        # The cell shows the CLI's central figure with its range (when it has one).
        chips_range = expected["range"]["chips"]
        assert cell(panel_b.model, rid_b, "chips") == ranged_text(expected["chips"], *chips_range)
    # The clipboard table carries the same figures.
    rows = [line.split("\t") for line in panel_b.totals_text().splitlines()]
    header, body = rows[0], rows[1:]
    for row, expected in zip(body, cli, strict=True):
        got = dict(zip(header, row, strict=True))
        assert got["region"] == expected["name"]
        assert int(got["chips"]) == expected["chips"]
        assert int(got["sites"]) == expected["site_count"]
        assert float(got["h100e"]) == expected["h100e"]
        assert float(got["facility_mw"]) == expected["facility_power_mw"]
        for model, n in expected["by_model"].items():
            assert int(got[model]) == n


# ---------------------------------------------------------------------------- resets
def test_region_reset_and_site_reset_rebuild(
    panel: RegionPanel, store: SiteStore, regions: RegionStore
) -> None:
    regions.reset([RegionEntry("z1", rectangle("All", 80, 30, 100, 50))])
    assert panel.model.region_ids() == ["z1"]
    assert cell(panel.model, "z1", "sites") == "4"
    store.reset([])
    assert cell(panel.model, "z1", "sites") == "0"
    assert panel.model.rowCount(panel.model.region_index("z1")) == 0
    assert panel.model.index(0, 0, QModelIndex()).isValid()


def test_no_regions_message_and_buttons(make_panel: MakePanel, session: Session) -> None:
    p = make_panel(session)
    assert "No regions yet" in p.union_label.text()
    assert not p.copy_button.isEnabled() and not p.export_button.isEnabled()
    assert p.import_button.isEnabled()
