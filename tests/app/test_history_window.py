"""On a file, the History view lists the window's own changes (who is the OS user) and
restores a version; Compare With File lists what changed since a saved copy; the
team-mode parts of the window stay out of the way."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer import DEMO_SITES
from explorer.geo.totals import totals
from explorer.io.changelog import os_user
from explorer.io.opening import open_file

from .conftest import wait_rendered

DELINGHA = "qh-delingha-1"  # "Delingha ..." in the demo, one H200 line of 1,040 chips


def _type_into(qtbot, window, field: str, text: str) -> None:  # noqa: ANN001
    edit = window.panel.field_widget(field)
    window.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=5_000)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_history_of_a_file_projects_own_changes(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    # No database: no connection status, no banner; the reason field is there.
    assert not window.connection_label.isVisible() and not window.team_banner.isVisible()
    assert window.reason_field.isVisible()
    window.selection.set(DELINGHA)
    wait_rendered(qtbot, window)
    old_name = window.store.get(DELINGHA).name
    qtbot.keyClicks(window.reason_field, "checked the 2025 notice")
    _type_into(qtbot, window, "tenant", "Tenant X")
    window.act_history.trigger()
    panel = window.history_panel
    assert window.history_dock.isVisible()
    assert panel.heading.text() == f"History of “{old_name}”"
    assert panel.note.text().startswith("1 change: this window's own changes to the file")
    [row] = panel.rows()
    assert row[1:] == (os_user(), "edited", "Tenant", "checked the 2025 notice")
    assert ("Tenant", "(empty)", "Tenant X") in panel.field_rows()
    assert not panel.restore_button.isEnabled()  # it is the current version
    # Undo is a new row too; the version before can be restored as a new change.
    window.act_undo.trigger()
    qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=5_000)
    assert panel.rows()[0][2:4] == ("edited", "Tenant")
    panel.select_row(0)
    assert ("Tenant", "Tenant X", "(empty)") in panel.field_rows()
    panel.select_row(1)
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert window.store.get(DELINGHA).tenant == "Tenant X"
    assert window.undo_stack.undoText().startswith("Edit tenant")
    qtbot.waitUntil(lambda: len(panel.rows()) == 3, timeout=5_000)
    # Another site: its own (empty) history.
    window.selection.set("qh-golmud-1")
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=5_000)
    assert panel.note.text().startswith("0 changes")


def test_compare_with_a_saved_copy(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    copy = tmp_path / "copy.gpkg"
    assert window.save_to(copy, interactive=False)
    window.selection.set(DELINGHA)
    wait_rendered(qtbot, window)
    before = window.store.get(DELINGHA)
    _type_into(qtbot, window, "name", "Delingha renamed")
    window.session.delete_sites(["qh-golmud-1"])
    dialog = window.compare_with_file(copy)
    assert dialog is not None and dialog.isVisible()
    assert "1 removed and 1 changed" in dialog.summary.text()
    rows = dialog.site_rows()
    assert (2, "Name", before.name, "Delingha renamed") in rows
    removed = [r for r in rows if r[0] == 1 and r[1].endswith("(qh-golmud-1)")]
    assert len(removed) == 1 and removed[0][3] == "—"
    # The whole catalogue's totals on each side are the engine's, as the status line.
    file_sites = open_file(copy, catalogue=window.catalogue).project.sites
    all_row = dialog.region_rows()[0]
    assert all_row[0] == "all"
    assert all_row[2] == f"{totals(file_sites, catalogue=window.catalogue).chips:,}"
    assert all_row[3] == f"{window.status_totals().chips:,}"
    assert all_row[2] != all_row[3]
    # An unreadable file is said so, and nothing is compared.
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    assert window.compare_with_file(bad) is None
    assert "bad.geojson" in window.last_error


def test_history_of_a_reopened_project_shows_the_changes_saved_in_it(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    from explorer.core.chips import ChipCatalogue
    from explorer.session.session import Session

    # Edited and saved earlier (another day, another window): the file keeps the change.
    earlier = Session(ChipCatalogue.bundled(), admin_areas=None)
    earlier.open(DEMO_SITES)
    site = earlier.sites.get(DELINGHA)
    earlier.reason = "saved with the project"
    earlier.edit_site(site, site.with_changes(tenant="Saved tenant"))
    path = tmp_path / "edited.gpkg"
    earlier.save(path)
    window = make_window(path)
    window.selection.set(DELINGHA)
    wait_rendered(qtbot, window)
    window.act_history.trigger()
    panel = window.history_panel
    assert panel.note.text().startswith("1 change: 1 recorded in the file before it was opened")
    [row] = panel.rows()
    assert row[1:] == (os_user(), "edited", "Tenant", "saved with the project")
    # A change made now comes after it (newest first).
    qtbot.keyClicks(window.reason_field, "now")
    _type_into(qtbot, window, "tenant", "Tenant now")
    qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=5_000)
    assert [r[4] for r in panel.rows()] == ["now", "saved with the project"]
