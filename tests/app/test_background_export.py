"""File → Export writes the offline HTML map and the data files off the UI thread: the
window answers while the file is written, the dialog says it is busy and cannot be
closed half way, and the file holds what the window held when Export was clicked
(an edit made meanwhile is not in it). A failed write says why and writes nothing.

The writers are held at a gate (no sleeps) so the tests act while they run.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from explorer.core.commands import EditSite
from explorer.ui.undo import push

NYOCOR = "xj-changji-nyocor"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The sites and HTML writers wait at this gate, and must run off the UI thread."""
    from explorer.io import exports
    from explorer.web import html_export

    opened = threading.Event()

    def held(write: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            assert threading.current_thread() is not threading.main_thread()
            assert opened.wait(30), "the test never opened the gate"
            return write(*args, **kwargs)

        return run

    monkeypatch.setattr(exports, "export_sites", held(exports.export_sites))
    monkeypatch.setattr(html_export, "export_html", held(html_export.export_html))
    return opened


def _dialog(qtbot: Any, window: Any, kind: str, path: Path) -> Any:
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_kind(kind)
    dialog.set_output_path(path)
    return dialog


def test_a_sites_file_is_written_off_the_ui_thread(
    qtbot: Any, make_window: Any, gate: threading.Event, tmp_path: Path
) -> None:
    window = make_window()
    before = [s.id for s in window.store.sites()]
    target = tmp_path / "sites.geojson"
    dialog = _dialog(qtbot, window, "sites", target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    # Held: busy, not closable half way, and the window's own event loop turns.
    assert dialog.is_busy and not dialog.export_button.isEnabled()
    assert not dialog.close_button.isEnabled()
    dialog.reject()
    assert dialog.isVisible()
    # An edit made now is not in the file: the sites were taken when Export was clicked.
    old = window.store.get(NYOCOR)
    push(window.undo_stack, EditSite(window.store, old, old.with_changes(operator="Later")))
    window.selection.set(NYOCOR)
    qtbot.waitUntil(lambda: window.panel.field_widget("operator").text() == "Later", timeout=10_000)
    assert not target.exists()

    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as done:
        gate.set()
    assert done.args == [str(target)]
    assert not dialog.is_busy and dialog.close_button.isEnabled()
    features = json.loads(target.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["id"] for f in features] == before
    operator = {f["properties"]["id"]: f["properties"]["operator"] for f in features}
    assert operator[NYOCOR] == old.operator != "Later"


def test_the_html_map_is_written_off_the_ui_thread(
    qtbot: Any, make_window: Any, gate: threading.Event, tmp_path: Path
) -> None:
    window = make_window()
    target = tmp_path / "map.html"
    dialog = _dialog(qtbot, window, "html", target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.is_busy and not target.exists()
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        gate.set()
    html = target.read_text(encoding="utf-8")
    assert 'id="cse-export-state"' in html and NYOCOR in html


def test_a_failed_write_says_why_and_writes_nothing(
    qtbot: Any, make_window: Any, gate: threading.Event, tmp_path: Path
) -> None:
    window = make_window()
    folder = tmp_path / "going"
    folder.mkdir()
    target = folder / "sites.geojson"
    dialog = _dialog(qtbot, window, "sites", target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    folder.rmdir()  # the folder is gone by the time the writer runs
    with qtbot.waitSignal(dialog.failed, timeout=60_000) as failed:
        gate.set()
    assert "sites.geojson" in failed.args[0] or "going" in failed.args[0], failed.args
    assert dialog.error_label.isVisible() and not dialog.is_busy
    assert not target.exists()


def test_closing_the_window_waits_for_a_file_being_written(
    qtbot: Any, make_window: Any, gate: threading.Event, tmp_path: Path
) -> None:
    window = make_window()
    target = tmp_path / "closing.geojson"
    dialog = _dialog(qtbot, window, "sites", target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    waited = dialog.wait_for_file

    def wait(timeout: float | None = None) -> bool:
        assert not target.exists()  # still held when the window closes
        gate.set()
        return waited(timeout)

    dialog.wait_for_file = wait
    assert window.close()
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == len(window.store)


def test_the_report_pdf_is_built_off_the_ui_thread(
    qtbot: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The map is rendered first (on the UI thread, by the page); the PDF's tables and
    # series are then built and written on a worker, held here at a gate.
    from pypdf import PdfReader

    from explorer.io import report

    opened = threading.Event()
    reached = threading.Event()
    build = report.build_report

    def held(*args: Any, **kwargs: Any) -> Any:
        assert threading.current_thread() is not threading.main_thread()
        reached.set()
        assert opened.wait(60), "the test never opened the gate"
        return build(*args, **kwargs)

    monkeypatch.setattr(report, "build_report", held)
    window = make_window()
    target = tmp_path / "report.pdf"
    dialog = _dialog(qtbot, window, "report", target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reached.is_set, timeout=120_000)
    assert dialog.is_busy and not dialog.close_button.isEnabled() and not target.exists()
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000):
        opened.set()
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Bloomberg" in text  # the sources list: the whole report was written
