"""The server goes away while the window is open: the window says so at once, refuses
edits (saying which change was dropped), reconnects with backoff when the server is
back, takes in what changed meanwhile, and listens again."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from tests.pg_server import PgServer

from .conftest import fresh
from .test_team_window import _select, _type_into


def test_the_server_goes_away_and_comes_back(
    qtbot, make_window, team_url: str, other_client, pg_server: PgServer, record_property
) -> None:  # noqa: ANN001
    window = make_window(team_url)
    window.link.retry_delays_ms = (200, 400, 800)  # the backoff, shortened for the test
    role = pg_server.superuser
    _select(qtbot, window, "alpha")
    _type_into(qtbot, window, "name", "Saved before")
    assert fresh(team_url).sites.get("alpha").name == "Saved before"

    killed = time.perf_counter()
    pg_server.kill()
    try:
        qtbot.waitUntil(lambda: window.link.state in ("lost", "reconnecting"), timeout=10_000)
        record_property("lost_shown_ms", round((time.perf_counter() - killed) * 1000, 1))
        assert window.team_banner.isVisible()
        assert "lost" in window.team_banner.text() and "Edits are refused" in (
            window.team_banner.text()
        )
        assert window.connection_label.text().startswith(("Connection lost", "Reconnecting"))
        # An edit is refused, and the window says which one was dropped.
        _type_into(qtbot, window, "operator", "Op while away")
        box = window.refusal_message_box
        assert box is not None and box.isVisible()
        assert box.text().startswith("Not saved: Edit operator of 'Saved before'.")
        assert "connection to the catalogue is lost" in box.text()
        assert window.store.get("alpha").operator == "Op A"
        assert window.panel.field_widget("operator").text() == "Op A"
        box.done(0)
        # Undo is a change too: refused the same way, nothing undone here.
        window.act_undo.trigger()
        assert window.refusal_message_box.text().startswith(
            "Not saved: Undo Edit name of 'Alpha compute centre'."
        )
        assert window.store.get("alpha").name == "Saved before"
        assert window.undo_stack.index() == 1
        window.refusal_message_box.done(0)
    finally:
        pg_server.start()
    # Another client changes the catalogue before the window is back (this runs without
    # the event loop, so the window cannot reconnect in between).
    other = other_client()
    other.edit_site(other.sites.get("beta"), other.sites.get("beta").with_changes(name="Away"))
    other.delete_sites(["gamma"])
    with qtbot.waitSignal(window.link.caughtUp, timeout=15_000) as caught:
        pass
    assert caught.args == [2, 0]
    assert window.store.get("beta").name == "Away" and "gamma" not in window.store
    assert window.connection_label.text() == f"Connected as {role}"
    assert not window.team_banner.isVisible()
    assert window.statusBar().currentMessage().startswith("Reconnected to ")
    # What the window was told was saved is still there.
    assert fresh(team_url).sites.get("alpha").name == "Saved before"
    # Edits write through again; undo works again, as a new change.
    _type_into(qtbot, window, "operator", "Op back")
    assert fresh(team_url).sites.get("alpha").operator == "Op back"
    edit = window.panel.field_widget("operator")
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fresh(team_url).sites.get("alpha").operator == "Op A"
    # Other clients' changes arrive again.
    other.pull(["alpha"])
    other.edit_site(other.sites.get("alpha"), other.sites.get("alpha").with_changes(tenant="T"))
    qtbot.waitUntil(lambda: window.store.get("alpha").tenant == "T", timeout=10_000)
