"""The main window end to end: real window, real QtWebEngine page, bundled demo data.

Each test acts the way an analyst would (a click on a marker, typing in the panel,
a drag on the map, Ctrl+Z) and checks what they would see: the panel, the table,
the marker's size and tooltip, the window title, the saved file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMessageBox

from explorer.core.commands import EditSite
from explorer.ui.site_table import SiteIdRole, column_of
from explorer.ui.undo import push
from tests.web.driver import MapDriver

from .conftest import js, wait_rendered

NYOCOR = "xj-changji-nyocor"  # 250 H100 servers in phase 1 (2,000 chips) of 625


def _type_into(qtbot, widget: QLineEdit, text: str) -> None:  # noqa: ANN001
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def _table_text(window, sid: str, column: str) -> str:  # noqa: ANN001
    proxy = window.table.proxy
    for row in range(proxy.rowCount()):
        if proxy.index(row, 0).data(SiteIdRole) == sid:
            return str(proxy.index(row, column_of(column)).data())
    raise AssertionError(f"{sid} not in the table")


def test_demo_opens_with_every_site_on_the_map(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    state = js(qtbot, MapDriver(window.map_view).page_state)
    # 39 projects, the Yiwu campus and the superseded Nyocor announcement.
    assert state["sites"] == len(window.store) == 41
    assert window.windowTitle().startswith("demo_sites.geojson")
    assert not window.isWindowModified()
    # The application says the demo is illustrative, not only the file.
    assert "Illustrative scenario" in window.provenance_label.text()


def test_click_marker_selects_site_in_panel_and_table(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    clicked: list[bool] = []
    MapDriver(window.map_view).click_marker(NYOCOR, clicked.append)
    qtbot.waitUntil(lambda: window.selection.current == NYOCOR, timeout=10_000)
    assert clicked == [True]
    assert window.panel.field_widget("name").text() == window.store.get(NYOCOR).name
    assert window.panel.field_widget("tenant").text() == "Infinigence AI"
    assert window.table.selected_id() == NYOCOR
    marker = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(NYOCOR, cb))
    assert marker["selected"] is True


def test_edit_chips_in_panel_updates_table_tooltip_marker_and_undo(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.selection.set(NYOCOR)
    wait_rendered(qtbot, window)
    before = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(NYOCOR, cb))
    assert "5,000" in before["tooltip_text"]  # phase 1 (2,000) and phase 2 (3,000)

    _type_into(qtbot, window.panel.field_widget("hardware[0].chips"), "8000")
    qtbot.waitUntil(lambda: window.store.get(NYOCOR).chips == 11_000, timeout=5_000)
    assert window.undo_stack.count() == 1
    assert window.isWindowModified()
    assert _table_text(window, NYOCOR, "chips") == "11,000"
    wait_rendered(qtbot, window)
    after = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(NYOCOR, cb))
    assert after["radius"] > before["radius"]
    assert "11,000" in after["tooltip_text"]

    QTest.keySequence(window, "Ctrl+Z")
    qtbot.waitUntil(lambda: window.store.get(NYOCOR).chips == 5000, timeout=5_000)
    assert window.panel.field_widget("hardware[0].chips").text() == "2000"
    assert _table_text(window, NYOCOR, "chips") == "5,000"
    wait_rendered(qtbot, window)
    undone = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(NYOCOR, cb))
    assert undone["radius"] == pytest.approx(before["radius"])
    assert not window.isWindowModified()


def test_invalid_panel_input_is_refused_with_reason(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.selection.set(NYOCOR)
    before = window.store.get(NYOCOR)
    _type_into(qtbot, window.panel.field_widget("hardware[0].chips"), "12.5")
    assert "12.5" in window.panel.error_text("hardware[0].chips")
    assert window.store.get(NYOCOR) == before
    assert window.undo_stack.count() == 0


def test_place_move_and_delete_a_site(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    n = len(window.store)
    window.act_place.trigger()
    # Golmud, Qinghai: the province comes from the location.
    MapDriver(window.map_view).click_map_at(94.9, 36.4)
    qtbot.waitUntil(lambda: len(window.store) == n + 1, timeout=10_000)
    new_id = window.selection.current
    assert new_id is not None and new_id in window.store
    placed = window.store.get(new_id)
    assert placed.province == "Qinghai"
    assert placed.lon == pytest.approx(94.9, abs=0.15) and placed.lat == pytest.approx(
        36.4, abs=0.15
    )
    assert window.panel.field_widget("name").text() == "New site"
    # The status bar's provenance line counts the new site too.
    assert f"of {n + 1} sites" in window.provenance_label.text()
    wait_rendered(qtbot, window)
    assert js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(new_id, cb)) is not None

    # Drag the new marker north-west into Xinjiang.
    MapDriver(window.map_view).drag_marker(new_id, 88.0, 42.0)
    qtbot.waitUntil(lambda: window.store.get(new_id).lon < 90, timeout=10_000)
    moved = window.store.get(new_id)
    assert moved.lon == pytest.approx(88.0, abs=0.1) and moved.lat == pytest.approx(42.0, abs=0.1)
    assert moved.province == "Xinjiang"
    wait_rendered(qtbot, window)
    marker = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(new_id, cb))
    assert marker["lon"] == pytest.approx(moved.lon) and marker["lat"] == pytest.approx(moved.lat)

    # Undo the move: the marker goes back.
    window.undo_stack.undo()
    assert window.store.get(new_id).lon == pytest.approx(placed.lon)
    wait_rendered(qtbot, window)
    marker = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(new_id, cb))
    assert marker["lon"] == pytest.approx(placed.lon)

    # Delete, after the confirmation, then undo brings it back.
    asked: list[str] = []
    window._confirm_delete = lambda site: asked.append(site.id) or True  # type: ignore[method-assign]
    window.selection.set(new_id)
    QTest.keySequence(window, "Del")
    qtbot.waitUntil(lambda: new_id not in window.store, timeout=5_000)
    assert asked == [new_id]
    wait_rendered(qtbot, window)
    assert js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(new_id, cb)) is None
    window.undo_stack.undo()
    assert new_id in window.store
    wait_rendered(qtbot, window)
    assert js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(new_id, cb)) is not None


def test_declined_delete_changes_nothing(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window._confirm_delete = lambda site: False  # type: ignore[method-assign]
    window.selection.set(NYOCOR)
    window.delete_selected()
    assert NYOCOR in window.store and window.undo_stack.count() == 0


def test_save_and_reopen_keeps_every_field(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    window.selection.set(NYOCOR)
    _type_into(qtbot, window.panel.field_widget("operator"), "Nyocor (edited)")
    qtbot.waitUntil(lambda: window.undo_stack.count() == 1, timeout=5_000)
    target = tmp_path / "analysis.gpkg"
    assert window.save_to(target, interactive=False)
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("analysis.gpkg")
    assert str(target.resolve()) in window.recent_files()

    reopened = make_window(target)
    assert reopened.store.sites() == window.store.sites()
    assert reopened.store.metadata["scenario"] == "illustrative"
    assert reopened.path == target


def test_xss_site_name_is_shown_as_text(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    evil = "<img src=x onerror=alert(1)>"
    old = window.store.get(NYOCOR)
    push(window.undo_stack, EditSite(window.store, old, old.with_changes(name=evil)))
    window.selection.set(NYOCOR)
    wait_rendered(qtbot, window)
    marker = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(NYOCOR, cb))
    assert marker["tooltip_text"].startswith(evil)
    images = js(
        qtbot,
        lambda cb: window.map_view.evaluate(
            "document.querySelectorAll('img[src=\"x\"]').length", cb
        ),
    )
    assert images == 0
    assert window.map_view.js_dialogs == []
    assert _table_text(window, NYOCOR, "name") == evil
    assert window.panel.field_widget("name").text() == evil


def test_keyboard_walk_in_table_moves_selection_and_map(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    view = window.table.view
    view.setFocus()
    view.selectRow(0)
    first = window.selection.current
    QTest.keyClick(view, Qt.Key.Key_Down)
    second = window.selection.current
    assert first is not None and second is not None and second != first
    wait_rendered(qtbot, window)
    marker = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state(second, cb))
    assert marker["selected"] is True


def test_opening_a_bad_file_leaves_the_project_untouched(
    qtbot, make_window, tmp_path: Path
) -> None:  # noqa: ANN001
    window = make_window()
    before = window.store.sites()
    bad = tmp_path / "broken.gpkg"
    bad.write_text("this is not a GeoPackage")
    assert not window.open_path(bad, interactive=False)
    assert "broken.gpkg" in window.last_error
    foreign = tmp_path / "sites.geojson"
    foreign.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [500, 40]}, '
        '"properties": {"id": "a", "name": "x"}}]}'
    )
    assert not window.open_path(foreign, interactive=False)
    assert "500" in window.last_error
    assert window.store.sites() == before
    assert window.windowTitle().startswith("demo_sites.geojson")


def test_close_with_unsaved_changes_asks_first(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    old = window.store.get(NYOCOR)
    push(window.undo_stack, EditSite(window.store, old, old.with_changes(operator="Changed")))
    assert window.isWindowModified()
    answers = [QMessageBox.StandardButton.Cancel]
    window._ask_unsaved = lambda: answers.pop(0)  # type: ignore[method-assign]
    assert not window.close()
    assert window.isVisible()
    answers.append(QMessageBox.StandardButton.Discard)
    assert window.close()


def test_layout_and_recent_files_persist(qtbot, make_window, settings, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    window.table_dock.hide()
    target = tmp_path / "kept.gpkg"
    assert window.save_to(target, interactive=False)
    assert window.close()
    settings.sync()

    again = make_window(None)
    assert again.table_dock.isHidden()
    assert again.recent_files()[0] == str(target.resolve())


def test_the_first_layout_fits_the_screen(qtbot, settings) -> None:  # noqa: ANN001
    # No saved layout: 1400 x 900, or what the screen has room for (the offscreen
    # platform's screen is 800 x 800; a 1366 x 768 laptop has about 1366 x 730).
    from explorer.ui.main_window import FIRST_SIZE, MainWindow

    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    room = window.screen().availableGeometry().size()
    assert room.height() < FIRST_SIZE[1]  # the case this is about
    assert window.height() <= room.height()
    # Never narrower than the docks and the map need (then the screen is too small).
    assert window.width() <= max(room.width(), window.minimumSizeHint().width())
    assert window.width() < FIRST_SIZE[0]
    # A short window shares the side column evenly: the capacity chart has room for
    # its bars (with 520:330 it drew its legend only).
    from explorer import DEMO_SITES

    window._ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    assert window.open_path(DEMO_SITES, interactive=False)
    window.show()
    qtbot.waitUntil(lambda: len(window.chart_panel.chart.bar_rects()) > 0, timeout=15_000)


def test_a_narrow_window_shortens_the_status_texts_with_an_ellipsis(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.resize(900, 800)
    bar = window.statusBar()
    labels = (window.provenance_label, window.totals_label)
    qtbot.waitUntil(lambda: all(label.isVisible() for label in labels))
    # As narrow as the window goes (the docks' least: under 1,000 px), where the texts
    # were cut mid-word at the bar's right edge.
    qtbot.waitUntil(lambda: window.width() < 1000)
    bar.layout().activate()
    for label in labels:
        assert label.geometry().right() <= bar.width()  # inside the bar, not cut at its edge
    shown = [label.shown_text() for label in labels]
    assert any(s.endswith("…") for s in shown), shown
    # The illustrative warning is cut last: the totals give up their width first.
    assert window.provenance_label.shown_text() == window.provenance_label.text()
    assert window.provenance_label.text().startswith("Illustrative scenario")  # whole
    assert window.provenance_label.toolTip() == window.provenance_label.text()
    assert window.totals_label.toolTip().startswith("All sites")  # the window's own tooltip


def test_find_shortcut_focuses_the_filter(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    QTest.keySequence(window, "Ctrl+F")
    qtbot.waitUntil(window.table.filter_edit.hasFocus, timeout=5_000)
    qtbot.keyClicks(window.table.filter_edit, "Nyocor")
    # Nyocor's data centre and the 2024 announcement it supersedes.
    qtbot.waitUntil(lambda: window.table.proxy.rowCount() == 2, timeout=5_000)
