"""SiteTableModel / SiteFilterProxy / SiteTable, both ways: store → table, table → selection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QFont, QUndoStack
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import AddSites, DeleteSites, EditSite
from explorer.core.schema import HardwareLine, Site
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.ui.site_table import (
    ILLUSTRATIVE_TEXT,
    SiteIdRole,
    SiteRole,
    SiteTable,
    SiteTableModel,
    SortRole,
    column_of,
)
from explorer.ui.undo import push

MakeTable = Callable[[], SiteTable]


@pytest.fixture
def make_table(
    qtbot: QtBot, store: SiteStore, selection: Selection, catalogue: ChipCatalogue
) -> MakeTable:
    def make() -> SiteTable:
        table = SiteTable(store, selection, catalogue=catalogue)
        qtbot.addWidget(table)
        table.resize(900, 400)
        return table

    return make


@pytest.fixture
def table(make_table: MakeTable) -> SiteTable:
    return make_table()


def shown_ids(table: SiteTable) -> list[str]:
    return [table.proxy.site_id_at(r) for r in range(table.proxy.rowCount())]


def cell(
    model: SiteTableModel, row: int, key: str, role: int = Qt.ItemDataRole.DisplayRole
) -> object:
    return model.data(model.index(row, column_of(key)), role)


# ---------------------------------------------------------------------------- the model
def test_model_mirrors_store_in_order(table: SiteTable, store: SiteStore) -> None:
    m = table.model
    assert m.rowCount() == 4
    assert [m.site_id_at(r) for r in range(4)] == store.ids()
    assert m.headerData(0, Qt.Orientation.Horizontal) == "Name"
    assert cell(m, 0, "name") == "Nyocor Hami phase 1"
    assert cell(m, 0, "tenant") == "Infinigence AI"
    assert cell(m, 0, "chips") == "2,000"
    assert cell(m, 1, "models") == "H100, H200"
    assert cell(m, 1, "power_mw") == ""
    assert cell(m, 2, "power_mw") == "150"
    assert cell(m, 0, "power_mw") == "12.5"
    assert cell(m, 0, "chips", SortRole) == 2000
    assert cell(m, 1, "power_mw", SortRole) == -1.0
    assert cell(m, 3, "status", SiteIdRole) == "karamay-1"
    assert cell(m, 3, "name", SiteRole) == store.get("karamay-1")
    assert m.rowCount(m.index(0, 0)) == 0  # flat


def test_illustrative_rows_are_italic_and_tagged(table: SiteTable) -> None:
    m = table.model
    assert cell(m, 1, "confidence") == "illustrative"
    font = cell(m, 1, "name", Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.italic()
    assert cell(m, 1, "chips", Qt.ItemDataRole.ToolTipRole) == ILLUSTRATIVE_TEXT
    assert cell(m, 0, "name", Qt.ItemDataRole.FontRole) is None


def test_cells_are_not_editable(table: SiteTable) -> None:
    flags = table.model.flags(table.model.index(0, 0))
    assert not flags & Qt.ItemFlag.ItemIsEditable


# ---------------------------------------------------------------------------- store → table
def test_change_updates_row(
    qtbot: QtBot, table: SiteTable, store: SiteStore, undo_stack: QUndoStack
) -> None:
    old = store.get("golmud-1")
    new = old.with_changes(hardware=(HardwareLine("H20", 1500),), status="planned")
    with qtbot.waitSignal(table.model.dataChanged) as blocker:
        push(undo_stack, EditSite(store, old, new))
    top, bottom = blocker.args[0], blocker.args[1]
    assert (top.row(), top.column(), bottom.row(), bottom.column()) == (2, 0, 2, 9)
    assert cell(table.model, 2, "chips") == "1,500"
    assert cell(table.model, 2, "status") == "planned"
    assert table.footer.text() == "4 of 4 sites · 13,500 chips listed"
    undo_stack.undo()
    assert cell(table.model, 2, "chips") == "900"


def test_insert_and_remove_via_commands(
    qtbot: QtBot, table: SiteTable, store: SiteStore, undo_stack: QUndoStack
) -> None:
    site = Site(
        id="new-1",
        name="Turpan new",
        lon=89.2,
        lat=42.9,
        province="Xinjiang",
        hardware=(HardwareLine("H100", 100),),
    )
    with qtbot.waitSignal(table.model.rowsInserted) as ins:
        push(undo_stack, AddSites(store, [site]))
    assert ins.args[1:] == [4, 4]
    assert table.model.site_id_at(4) == "new-1"
    assert table.footer.text() == "5 of 5 sites · 13,000 chips listed"

    with qtbot.waitSignal(table.model.rowsRemoved) as rem:
        push(undo_stack, DeleteSites(store, ["yiwu-1", "golmud-1"]))
    assert rem.args[1:] == [1, 2]  # one contiguous run
    assert [table.model.site_id_at(r) for r in range(3)] == ["nyocor-1", "karamay-1", "new-1"]

    undo_stack.undo()  # back in their old places
    assert [table.model.site_id_at(r) for r in range(5)] == store.ids()
    assert store.ids()[1:3] == ["yiwu-1", "golmud-1"]
    undo_stack.undo()
    assert table.model.rowCount() == 4
    assert table.footer.text() == "4 of 4 sites · 12,900 chips listed"


def test_remove_non_contiguous_rows(
    table: SiteTable, store: SiteStore, undo_stack: QUndoStack
) -> None:
    push(undo_stack, DeleteSites(store, ["nyocor-1", "golmud-1"]))
    assert [table.model.site_id_at(r) for r in range(2)] == ["yiwu-1", "karamay-1"]
    undo_stack.undo()
    assert [table.model.site_id_at(r) for r in range(4)] == store.ids()


def test_reset(qtbot: QtBot, table: SiteTable, store: SiteStore, sites: list[Site]) -> None:
    with qtbot.waitSignal(table.model.modelReset):
        store.reset(sites[2:])
    assert table.model.rowCount() == 2
    assert table.footer.text() == "2 of 2 sites · 900 chips listed"
    store.reset([])
    assert table.model.rowCount() == 0
    assert table.footer.text() == "0 of 0 sites · 0 chips listed"


# ---------------------------------------------------------------------------- sorting
def test_sort_by_chips_is_numeric(table: SiteTable) -> None:
    # As text, "10,000" < "2,000" < "900"; numerically 0 < 900 < 2,000 < 10,000.
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.AscendingOrder)
    assert shown_ids(table) == ["karamay-1", "golmud-1", "nyocor-1", "yiwu-1"]
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.DescendingOrder)
    assert shown_ids(table) == ["yiwu-1", "nyocor-1", "golmud-1", "karamay-1"]


def test_sort_by_power_puts_blank_first(table: SiteTable) -> None:
    table.view.sortByColumn(column_of("power_mw"), Qt.SortOrder.AscendingOrder)
    ids = shown_ids(table)
    assert set(ids[:2]) == {"yiwu-1", "karamay-1"}  # blank power
    assert ids[2:] == ["nyocor-1", "golmud-1"]  # 12.5 MW < 150 MW


def test_header_click_sorts(qtbot: QtBot, table: SiteTable) -> None:
    table.show()
    qtbot.waitExposed(table)
    header = table.view.horizontalHeader()
    col = column_of("chips")
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert header.sortIndicatorSection() == col
    chips = [table.proxy.visible_sites()[r].chips for r in range(4)]
    assert chips in ([0, 900, 2000, 10000], [10000, 2000, 900, 0])


def test_sorted_view_follows_edits(
    table: SiteTable, store: SiteStore, undo_stack: QUndoStack
) -> None:
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.AscendingOrder)
    old = store.get("karamay-1")
    push(
        undo_stack, EditSite(store, old, old.with_changes(hardware=(HardwareLine("H100", 50000),)))
    )
    assert shown_ids(table)[-1] == "karamay-1"


# ---------------------------------------------------------------------------- filters
def test_text_filter_is_case_insensitive_over_several_fields(table: SiteTable) -> None:
    table.set_filters(text="infinigence")  # tenant
    assert shown_ids(table) == ["nyocor-1"]
    table.set_filters(text="GOBI")  # notes
    assert shown_ids(table) == ["yiwu-1"]
    table.set_filters(text="hami")  # prefecture
    assert shown_ids(table) == ["nyocor-1", "yiwu-1"]
    table.set_filters(text="qinghai energy")  # operator
    assert shown_ids(table) == ["golmud-1"]
    table.set_filters(text="xinjiang")  # province is not a text field
    assert shown_ids(table) == []
    assert table.footer.text() == "0 of 4 sites · 0 chips listed"
    table.set_filters(text="")
    assert len(shown_ids(table)) == 4


def test_typing_in_filter_box_filters(qtbot: QtBot, table: SiteTable) -> None:
    qtbot.keyClicks(table.filter_edit, "golmud")
    assert shown_ids(table) == ["golmud-1"]
    assert table.filter_edit.placeholderText() == "Filter sites…"


def test_status_model_province_filters(table: SiteTable) -> None:
    table.set_filters(status="operational")
    assert shown_ids(table) == ["golmud-1"]
    table.set_filters(status="", chip_model="H100")
    assert shown_ids(table) == ["nyocor-1", "yiwu-1"]
    table.set_filters(chip_model="H200")
    assert shown_ids(table) == ["yiwu-1"]
    assert table.footer.text() == "1 of 4 sites · 10,000 chips listed"
    table.set_filters(chip_model="", province="Qinghai")
    assert shown_ids(table) == ["golmud-1"]
    table.set_filters(province="Xinjiang", status="cancelled")
    assert shown_ids(table) == ["karamay-1"]
    table.set_filters(province="", status="")
    assert len(shown_ids(table)) == 4


def test_filter_choices(table: SiteTable) -> None:
    combo = table.model_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "",
        "H100",
        "H200",
        "H20",
        "Ascend 910C",
    ]
    assert table.status_combo.itemText(0) == "Any status"
    assert table.province_combo.findData("Qinghai") > 0


def test_new_province_becomes_a_choice(
    table: SiteTable, store: SiteStore, undo_stack: QUndoStack
) -> None:
    site = Site(id="gansu-1", name="Jiuquan", lon=98.5, lat=39.7, province="Gansu")
    push(undo_stack, AddSites(store, [site]))
    table.set_filters(province="Gansu")
    assert shown_ids(table) == ["gansu-1"]


def test_filter_reacts_to_edits(table: SiteTable, store: SiteStore, undo_stack: QUndoStack) -> None:
    table.set_filters(status="planned")
    assert shown_ids(table) == ["nyocor-1"]
    old = store.get("golmud-1")
    push(undo_stack, EditSite(store, old, old.with_changes(status="planned")))
    assert shown_ids(table) == ["nyocor-1", "golmud-1"]


# ---------------------------------------------------------------------------- selection
def test_selection_from_elsewhere_selects_row(table: SiteTable, selection: Selection) -> None:
    selection.set("golmud-1")
    assert table.selected_id() == "golmud-1"
    assert table.view.currentIndex().row() == 2
    selection.set(None)
    assert table.selected_id() is None


def test_selection_follows_sorting(table: SiteTable, selection: Selection) -> None:
    selection.set("yiwu-1")
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.DescendingOrder)
    assert table.selected_id() == "yiwu-1"
    assert table.view.currentIndex().row() == 0


def test_click_row_sets_selection_once(
    qtbot: QtBot, table: SiteTable, selection: Selection
) -> None:
    table.show()
    qtbot.waitExposed(table)
    seen: list[str | None] = []
    selection.changed.connect(seen.append)
    rect = table.view.visualRect(table.proxy.index(3, 0))
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert selection.current == "karamay-1"
    assert seen == ["karamay-1"]  # no echo from the table's own update


def test_keyboard_down_walks_rows(qtbot: QtBot, table: SiteTable, selection: Selection) -> None:
    table.show()
    qtbot.waitExposed(table)
    selection.set("nyocor-1")
    table.view.setFocus()
    qtbot.keyClick(table.view, Qt.Key.Key_Down)
    assert selection.current == "yiwu-1"
    qtbot.keyClick(table.view, Qt.Key.Key_Down)
    assert selection.current == "golmud-1"
    qtbot.keyClick(table.view, Qt.Key.Key_Up)
    assert selection.current == "yiwu-1"


def test_keyboard_walks_displayed_order(
    qtbot: QtBot, table: SiteTable, selection: Selection
) -> None:
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.AscendingOrder)
    selection.set("golmud-1")  # 900 chips, then nyocor (2,000)
    qtbot.keyClick(table.view, Qt.Key.Key_Down)
    assert selection.current == "nyocor-1"


def test_filtering_out_the_selected_row_keeps_selection(
    table: SiteTable, selection: Selection
) -> None:
    selection.set("golmud-1")
    table.set_filters(status="planned")
    assert selection.current == "golmud-1"
    assert table.selected_id() is None
    table.set_filters(status="")
    assert table.selected_id() == "golmud-1"


def test_selecting_a_filtered_out_site_clears_the_view(
    table: SiteTable, selection: Selection
) -> None:
    selection.set("nyocor-1")
    table.set_filters(province="Qinghai")
    selection.set("yiwu-1")
    assert table.selected_id() is None
    table.set_filters(province="")
    assert table.selected_id() == "yiwu-1"


def test_initial_selection_is_shown(
    store: SiteStore, selection: Selection, make_table: MakeTable
) -> None:
    selection.set("karamay-1")
    table = make_table()
    assert table.selected_id() == "karamay-1"


def test_undo_delete_reselects(
    table: SiteTable, store: SiteStore, selection: Selection, undo_stack: QUndoStack
) -> None:
    selection.set("golmud-1")
    push(undo_stack, DeleteSites(store, ["golmud-1"]))
    assert table.selected_id() is None
    undo_stack.undo()
    assert table.selected_id() == "golmud-1"


def test_focus_filter(qtbot: QtBot, table: SiteTable) -> None:
    table.show()
    qtbot.waitExposed(table)
    table.activateWindow()
    table.filter_edit.setText("abc")
    table.view.setFocus()
    table.focus_filter()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table.filter_edit, timeout=10_000)
    assert table.filter_edit.selectedText() == "abc"


def test_deleted_table_unsubscribes(
    qtbot: QtBot, store: SiteStore, selection: Selection, catalogue: ChipCatalogue
) -> None:
    before = (len(store.inserted), len(store.changed), len(selection.changed))
    table = SiteTable(store, selection, catalogue=catalogue)
    assert len(store.inserted) > before[0]
    table.deleteLater()
    qtbot.waitUntil(lambda: len(store.inserted) == before[0], timeout=10_000)
    assert (len(store.inserted), len(store.changed), len(selection.changed)) == before
    selection.set("nyocor-1")  # no call into a deleted widget
    store.insert([Site(id="x-1", name="X", lon=90, lat=40)])


def test_index_outside_table_has_no_data(table: SiteTable) -> None:
    assert table.model.data(QModelIndex()) is None
    assert table.model.data(table.model.index(99, 0)) is None


def test_many_rows_filter_and_sort_like_the_rules_say(
    qtbot: QtBot, selection: Selection, catalogue: ChipCatalogue
) -> None:
    """20,000 rows with many ties: the array-based proxy shows what the rules say."""
    n = 20_000
    big = [
        Site(
            id=f"s{i}",
            name=f"{('Hami', 'Golmud', 'Yiwu')[i % 3]} {i}",
            lon=90.0,
            lat=40.0,
            status=("planned", "operational")[i % 2],
            hardware=(HardwareLine("H100", (i * 7) % 50),),
            power_mw=None if i % 5 == 0 else float(i % 13),
        )
        for i in range(n)
    ]
    store = SiteStore(big, catalogue=catalogue)
    table = SiteTable(store, selection, catalogue=catalogue)
    qtbot.addWidget(table)
    table.view.sortByColumn(column_of("chips"), Qt.SortOrder.DescendingOrder)
    want = [s.id for s in sorted(big, key=lambda s: s.chips, reverse=True)]  # stable
    assert shown_ids(table) == want
    table.view.sortByColumn(column_of("power_mw"), Qt.SortOrder.AscendingOrder)
    power = [-1.0 if s.power_mw is None else s.power_mw for s in big]
    assert shown_ids(table) == [big[i].id for i in sorted(range(n), key=power.__getitem__)]
    table.set_filters(text="golmud 1", status="operational")
    expected = [s.id for s in big if "golmud 1" in s.name.casefold() and s.status == "operational"]
    assert sorted(shown_ids(table)) == sorted(expected) and expected
    assert table.footer.text() == (
        f"{len(expected):,} of {n:,} sites · "
        f"{sum(store.get(i).chips for i in expected):,} chips listed"
    )


# ---------------------------------------------------------------------------- counted once
def test_footer_counts_each_chip_once(qtbot: QtBot, catalogue: ChipCatalogue) -> None:
    """A campus listing 1,000 H100 whose two parts list 600 + 300, a superseded record
    of 700 and a cancelled line: the records list 3,050 chips but count 1,000 + 50;
    filtering to the parts counts their own 900; on a date only what is online counts."""
    from datetime import date

    from explorer.geo.live_totals import LiveTotals
    from explorer.geo.region_store import RegionStore

    def line(chips: int, online: str = "", **kw: object) -> HardwareLine:
        return HardwareLine("H100", chips, online=online, **kw)  # type: ignore[arg-type]

    sites = [
        Site("campus", "Campus", 93.5, 42.8, hardware=(line(1000, "2026"),)),
        Site("part-a", "Part A", 93.6, 42.8, hardware=(line(600, "2025-06"),), part_of="campus"),
        Site("part-b", "Part B", 93.7, 42.8, hardware=(line(300, "2026"),), part_of="campus"),
        Site("old", "Old report", 87.3, 44.0, hardware=(line(700, "2025"),)),
        Site("new", "New report", 87.3, 44.0, hardware=(line(50, "2025"),), supersedes="old"),
        Site("gone", "Dropped", 80.0, 41.0, hardware=(line(400, status="cancelled"),)),
    ]
    store = SiteStore(sites, catalogue=catalogue)
    live = LiveTotals(store, RegionStore(), catalogue)
    table = SiteTable(store, Selection(), catalogue=catalogue, live_totals=live)
    qtbot.addWidget(table)
    listed = sum(s.chips for s in sites)  # what a naive sum of the table's column gives
    assert listed == 3050  # Site.chips leaves the cancelled line out already
    assert table.footer.text() == (
        f"6 of 6 sites · 1,050 chips counted · {listed:,} listed on the records"
    )
    table.set_filters(text="Part")
    assert table.footer.text() == "2 of 6 sites · 900 chips counted · 900 listed on the records"
    table.set_filters(text="")
    live.set_as_of(date(2025, 12, 31))
    table.refresh_footer()
    # By the end of 2025: part A's 600 (the campus remainder and part B come in 2026)
    # and the new report's 50; the superseded record never counts.
    assert table.footer.text() == (
        f"6 of 6 sites · 650 chips counted by 2025-12-31 · {listed:,} listed on the records"
    )
