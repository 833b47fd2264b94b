"""Team mode in the real window against a real server: opening a shared catalogue,
other clients' changes arriving within a second, conflicts resolved both ways, undo as a
new change, the History view, the read-only role, comparing with a file."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer.app import open_target
from explorer.core.schema import HardwareLine
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.database.url import display_url
from explorer.ui.region_panel import COLUMNS
from tests.pg_server import PgServer
from tests.web.driver import MapDriver

from .conftest import HAMI_BOX, fresh, js, wait_rendered


def _select(qtbot, window, sid: str) -> None:  # noqa: ANN001
    """Click the site's marker, as a user does."""
    clicked: list[bool] = []
    MapDriver(window.map_view).click_marker(sid, clicked.append)
    qtbot.waitUntil(lambda: window.selection.current == sid, timeout=10_000)


def _type_into(qtbot, window, field: str, text: str, *, commit: bool = True) -> None:  # noqa: ANN001
    edit = window.panel.field_widget(field)
    window.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=5_000)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    if commit:
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def _region_cell(window, rid: str, key: str) -> str:  # noqa: ANN001
    model = window.region_panel.model
    col = [k for k, _ in COLUMNS].index(key)
    return str(model.index(model.row_of(rid), col).data())


def test_explorer_url_opens_the_window_on_the_catalogue(
    qtbot, make_window, team_url: str, pg_server: PgServer
) -> None:  # noqa: ANN001
    window = make_window(None)
    # A password in the URL (trust authentication ignores it) is never kept.
    parts = urlsplit(team_url)
    with_password = team_url.replace(f"{parts.netloc}", f"{pg_server.superuser}:s3cret@", 1)
    assert open_target(window, with_password, interactive=False), window.last_error
    wait_rendered(qtbot, window)
    shown = display_url(team_url)
    assert "s3cret" not in window.windowTitle()
    assert window.windowTitle().startswith(f"{shown} ({pg_server.superuser})")
    assert window.connection_label.text() == f"Connected as {pg_server.superuser}"
    assert not window.team_banner.isVisible()
    assert window.store.ids() == ["alpha", "beta", "gamma"]
    assert window.recent_databases() == [shown]
    window._fill_recent_menu()
    assert shown in [a.text() for a in window.recent_menu.actions()]
    window.settings.sync()
    assert "s3cret" not in Path(window.settings.fileName()).read_text()
    # The map shows the catalogue's sites.
    state = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state("alpha", cb))
    assert state is not None and "Alpha compute centre" in state["tooltip_text"]


def test_open_database_says_why_in_one_line(
    qtbot, make_window, team_url: str, pg_server: PgServer, pg_url: str
) -> None:  # noqa: ANN001
    window = make_window()  # the demo
    demo_ids = window.store.ids()
    dialog = window.show_open_database()
    assert dialog is not None

    def attempt(url: str) -> str:
        dialog.url_edit.setText(url)
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and window.store.ids() == demo_ids  # nothing changed
        assert "\n" not in dialog.error
        return dialog.error

    assert attempt("/tmp/sites.gpkg").startswith("Not a database URL: '/tmp/sites.gpkg'")
    assert "cannot connect" in attempt("postgresql://nobody@/nowhere?host=/nonexistent-dir")
    # A database with tables of something else.
    pg_server.psql("create database not_ours")
    pg_server.psql("create table sites (id text)", database="not_ours")
    try:
        assert "not a Compute Site Explorer catalogue" in attempt(pg_server.url("not_ours"))
    finally:
        pg_server.psql("drop database not_ours")
    # A catalogue written by a newer version of the program.
    name = urlsplit(team_url).path.lstrip("/")
    pg_server.psql("insert into explorer_schema values (99, 'from the future')", database=name)
    assert "newer than this program" in attempt(team_url)
    pg_server.psql("delete from explorer_schema where version = 99", database=name)
    # The recent list shows the database once opened; the dialog closes on success.
    dialog.url_edit.setText(team_url)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert window.store.ids() == ["alpha", "beta", "gamma"]
    again = window.show_open_database()
    assert again is not None
    assert [again.recent_list.item(i).text() for i in range(again.recent_list.count())] == [
        display_url(team_url)
    ]
    again.reject()


def test_another_clients_change_arrives_within_a_second(
    qtbot, make_window, team_url: str, other_client, record_property
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    window.session.add_region(RegionEntry("r1", rectangle("Hami", *HAMI_BOX[0], *HAMI_BOX[1])))
    _select(qtbot, window, "alpha")
    assert _region_cell(window, "r1", "chips") == "1,500"
    other = other_client()
    assert other.regions.ids() == ["r1"]  # the window's region is in the catalogue
    # What the listener's thread hears is taken in on the GUI thread.
    threads: list[threading.Thread] = []
    window.link.pulled.connect(lambda *_: threads.append(threading.current_thread()))
    alpha = other.sites.get("alpha")
    started = time.perf_counter()
    other.edit_site(
        alpha,
        alpha.with_changes(
            name="Alpha (phase 2)",
            hardware=(HardwareLine("H100", 3000),),
        ),
    )

    def seen() -> bool:
        return (
            window.panel.field_widget("name").text() == "Alpha (phase 2)"
            and _region_cell(window, "r1", "chips") == "3,500"
        )

    qtbot.waitUntil(seen, timeout=1_000)  # within a second: panel and region totals
    record_property("arrival_ms", round((time.perf_counter() - started) * 1000, 1))
    assert window.live_totals.totals("r1").chips == 3500
    assert threads == [threading.main_thread()]
    wait_rendered(qtbot, window)
    assert window.totals_label.text().startswith("All planned: 3,700 chips")  # every site
    state = js(qtbot, lambda cb: MapDriver(window.map_view).marker_state("alpha", cb))
    assert "Alpha (phase 2)" in state["tooltip_text"]
    # A deletion elsewhere: the site leaves the table, the panel and the totals.
    other.delete_sites(["alpha"])
    qtbot.waitUntil(lambda: "alpha" not in window.store, timeout=10_000)
    assert window.selection.current is None and _region_cell(window, "r1", "chips") == "500"
    # Changes arrived from elsewhere are not this window's to undo.
    assert window.undo_stack.count() == 1  # the region it drew


def _conflict(qtbot, window, other_client) -> None:  # noqa: ANN001
    """Type a name in the window while another client renames the same site."""
    _select(qtbot, window, "beta")
    _type_into(qtbot, window, "name", "Mine", commit=False)
    other = other_client()
    other.edit_site(other.sites.get("beta"), other.sites.get("beta").with_changes(name="Theirs"))
    qtbot.keyClick(window.panel.field_widget("name"), Qt.Key.Key_Return)  # commit: stale
    assert window.conflict_dialog is not None
    qtbot.waitUntil(lambda: window.conflict_dialog.isVisible(), timeout=5_000)


def test_a_conflict_resolved_by_keeping_mine(
    qtbot, make_window, team_url: str, other_client
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    _conflict(qtbot, window, other_client)
    dialog = window.conflict_dialog
    assert "The site “Theirs” was changed by someone else" in dialog.heading.text()
    assert dialog.what_label.text() == "Your change: Edit name of 'Beta cluster'"
    rows = dialog.rows()
    assert rows[0] == ("Name", "Mine", "Theirs")
    assert {r[0] for r in rows} <= {"Name", "Updated"}
    # Nothing else changes until the choice: their change is heard but held back.
    qtbot.waitUntil(lambda: "beta" in window.link.held_back[0], timeout=10_000)
    assert window.store.get("beta").name == "Beta cluster"
    assert window.panel.field_widget("name").text() == "Mine"
    dialog.reject()  # Escape does not choose
    assert dialog.isVisible() and window.session.pending_refusal is not None
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert window.store.get("beta").name == "Mine"
    assert window.panel.field_widget("name").text() == "Mine"
    assert fresh(team_url).sites.get("beta").name == "Mine"
    assert window.session.database is not None
    history = window.session.database.history("beta")
    assert [r.after["name"] for r in history if r.after] == ["Beta cluster", "Theirs", "Mine"]
    # Undo (Ctrl+Z) is a new change in the database, back to *their* value.
    name = window.panel.field_widget("name")
    window.activateWindow()
    name.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is name, timeout=5_000)
    qtbot.keyClick(name, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.store.get("beta").name == "Theirs"
    assert fresh(team_url).sites.get("beta").name == "Theirs"
    assert len(window.session.database.history("beta")) == 4


def test_a_conflict_resolved_by_taking_theirs(
    qtbot, make_window, team_url: str, other_client
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    _conflict(qtbot, window, other_client)
    qtbot.mouseClick(window.conflict_dialog.theirs_button, Qt.MouseButton.LeftButton)
    assert window.store.get("beta").name == "Theirs"
    assert window.panel.field_widget("name").text() == "Theirs"
    assert fresh(team_url).sites.get("beta").name == "Theirs"
    assert not window.act_undo.isEnabled()  # my change was dropped
    assert window.link.held_back == ([], [])
    # The next edit is based on their version and goes through.
    _type_into(qtbot, window, "name", "After theirs")
    assert fresh(team_url).sites.get("beta").name == "After theirs"
    assert window.conflict_dialog is None


def test_undo_in_team_mode_is_a_new_change_and_can_conflict(
    qtbot, make_window, team_url: str, other_client
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    _select(qtbot, window, "gamma")
    window.reason_field.setText("corrected from the tender")
    _type_into(qtbot, window, "operator", "Op G")
    assert window.act_undo.text() == "&Undo Edit operator of 'Gamma DC'"
    window.act_undo.trigger()
    assert fresh(team_url).sites.get("gamma").operator == ""
    window.act_redo.trigger()
    assert fresh(team_url).sites.get("gamma").operator == "Op G"
    assert window.session.database is not None
    rows = window.session.database.history("gamma")
    assert [(r.action, r.reason) for r in rows] == [("insert", "")] + [
        ("update", "corrected from the tender")
    ] * 3
    # Someone else changes the site; the window takes it in; undoing now would erase it.
    other = other_client()
    other.edit_site(other.sites.get("gamma"), other.sites.get("gamma").with_changes(tenant="T"))
    qtbot.waitUntil(lambda: window.store.get("gamma").tenant == "T", timeout=10_000)
    window.act_undo.trigger()
    dialog = window.conflict_dialog
    assert dialog is not None and dialog.what_label.text().startswith("Your undo of: Edit")
    assert ("Tenant", "(empty)", "T") in dialog.rows()
    qtbot.mouseClick(dialog.theirs_button, Qt.MouseButton.LeftButton)
    assert window.store.get("gamma").tenant == "T" and window.store.get("gamma").operator == "Op G"
    assert fresh(team_url).sites.get("gamma") == window.store.get("gamma")


def test_history_view_lists_changes_and_restores_a_version(
    qtbot, make_window, team_url: str, pg_server: PgServer
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    _select(qtbot, window, "alpha")
    qtbot.keyClicks(window.reason_field, "site visit 2025-07")
    _type_into(qtbot, window, "name", "Alpha renamed")
    window.reason_field.clear()
    _type_into(qtbot, window, "operator", "Op B")
    qtbot.mouseClick(window.panel.history_button, Qt.MouseButton.LeftButton)
    panel = window.history_panel
    assert window.history_dock.isVisible()
    who = pg_server.superuser
    rows = panel.rows()
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (who, "edited", "Operator", ""),
        (who, "edited", "Name", "site visit 2025-07"),
        (who, "added", "all", ""),
    ]
    assert all(len(r[0]) == 19 for r in rows)  # "YYYY-MM-DD HH:MM:SS"
    panel.select_row(1)
    assert ("Name", "Alpha compute centre", "Alpha renamed") in panel.field_rows()
    assert panel.restore_button.isEnabled()
    panel.select_row(2)  # the first version
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    restored = fresh(team_url).sites.get("alpha")
    assert (restored.name, restored.operator) == ("Alpha compute centre", "Op A")
    qtbot.waitUntil(lambda: len(panel.rows()) == 4, timeout=5_000)
    assert panel.rows()[0][2:4] == ("edited", "Name, Operator")
    panel.select_row(0)
    assert not panel.restore_button.isEnabled()  # that is what the site holds now


def test_a_read_only_role_reads_draws_and_exports_but_cannot_edit(
    qtbot, make_window, viewer_url: str, team_url: str
) -> None:  # noqa: ANN001
    window = make_window(viewer_url)
    assert "(viewer, read-only)" in window.windowTitle()
    assert window.connection_label.text() == "Connected as viewer · read-only"
    assert window.team_banner.isVisible()
    assert "role 'viewer' can read this catalogue, draw regions and export, but not edit" in (
        window.team_banner.text()
    )
    _select(qtbot, window, "alpha")
    name = window.panel.field_widget("name")
    assert name.isReadOnly() and not window.panel.field_widget("status").isEnabled()
    assert not window.act_place.isEnabled() and not window.act_delete.isEnabled()
    assert window.panel.history_button.isEnabled()
    qtbot.keyClicks(name, "X")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert name.text() == "Alpha compute centre"
    # Dragging the marker is refused and said so; the marker goes back.
    moved: list[bool] = []
    MapDriver(window.map_view).drag_marker("alpha", 94.0, 43.5, moved.append)
    qtbot.waitUntil(lambda: window.refusal_message_box is not None, timeout=10_000)
    assert "Role 'viewer' may only read this catalogue" in window.refusal_message_box.text()
    window.refusal_message_box.done(0)
    assert window.store.get("alpha").lon == 93.5
    assert fresh(team_url).sites.get("alpha").lon == 93.5
    # Drawing a region and its totals work; it stays in this window.
    window.draw_actions["rectangle"].trigger()
    wait_rendered(qtbot, window)
    drawn: list[bool] = []
    MapDriver(window.map_view).draw_rectangle(HAMI_BOX[0], HAMI_BOX[1], drawn.append)
    qtbot.waitUntil(lambda: len(window.region_store) == 1, timeout=10_000)
    [rid] = window.region_store.ids()
    assert _region_cell(window, rid, "chips") == "1,500"
    assert fresh(team_url).regions.ids() == []
    # Exports still work: a copy of the catalogue with this window's region.
    copy = window.settings.fileName() + ".copy.gpkg"
    assert window.save_to(copy, interactive=False)
    assert window.session.database is not None  # still on the catalogue
    from explorer.io.opening import open_file

    saved = open_file(copy, catalogue=window.catalogue).project
    assert [s.id for s in saved.sites] == ["alpha", "beta", "gamma"] and len(saved.regions) == 1


def test_compare_the_catalogue_with_a_file(
    qtbot, make_window, team_url: str, other_client, tmp_path: Path
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    window.session.add_region(RegionEntry("r1", rectangle("Hami", *HAMI_BOX[0], *HAMI_BOX[1])))
    copy = tmp_path / "before.gpkg"
    assert window.save_to(copy, interactive=False)
    other = other_client()
    other.delete_sites(["gamma"])
    beta = other.sites.get("beta")
    other.edit_site(beta, beta.with_changes(hardware=(HardwareLine("H200", 800),)))
    qtbot.waitUntil(lambda: "gamma" not in window.store, timeout=10_000)
    qtbot.waitUntil(lambda: window.store.get("beta").chips == 800, timeout=10_000)
    dialog = window.compare_with_file(copy)
    assert dialog is not None
    rows = dialog.site_rows()
    assert (0, "Added: only in the catalogue (0)", "", "") in rows
    assert (1, "Gamma DC (gamma)", "200 chips", "—") in rows
    assert (1, "Beta cluster (beta)", "", "") in rows
    assert (2, "Hardware", "500 × H200", "800 × H200") in rows
    assert (2, "Chips (total)", "500", "800") in rows
    regions = {r[0]: r for r in dialog.region_rows()}
    assert regions["all"][2:5] == ("1,700", "1,800", "+100")
    assert regions["Hami"][1:5] == ("2 → 2", "1,500", "1,800", "+300")


@pytest.mark.parametrize("field", ["name"])
def test_the_reason_is_kept_until_cleared(qtbot, make_window, team_url: str, field: str) -> None:  # noqa: ANN001
    window = make_window(team_url)
    _select(qtbot, window, "beta")
    window.reason_field.setText("  per the June tender  ")
    _type_into(qtbot, window, field, "One")
    _type_into(qtbot, window, field, "Two")
    window.reason_field.clear()
    _type_into(qtbot, window, field, "Three")
    assert window.session.database is not None
    reasons = [r.reason for r in window.session.database.history("beta")]
    assert reasons == ["", "per the June tender", "per the June tender", ""]
