"""A large project is saved off the UI thread from the menu: the window stays usable,
shows that it is saving, takes in the result when the write ends, and keeps edits made
meanwhile marked as unsaved. A failed write leaves the previous file and says why.

The size threshold is lowered so the demo takes the background path, and the write is
held at a gate (no sleeps) so the test acts while it runs.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from explorer.core.commands import EditSite
from explorer.io.project import load_project
from explorer.ui import main_window as main_window_module
from explorer.ui.undo import push

NYOCOR = "xj-changji-nyocor"


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every save in these tests goes the background way and waits at this gate."""
    from explorer.io import project as project_module

    gate = threading.Event()
    write = project_module.save_project

    def held_write(*args: Any, **kwargs: Any) -> Any:
        assert threading.current_thread() is not threading.main_thread()
        assert gate.wait(30), "the test never opened the gate"
        return write(*args, **kwargs)

    monkeypatch.setattr(project_module, "save_project", held_write)
    monkeypatch.setattr(main_window_module, "BACKGROUND_SAVE_SITES", 1)
    return gate


def _edit(window: Any, operator: str) -> None:
    old = window.store.get(NYOCOR)
    push(window.undo_stack, EditSite(window.store, old, old.with_changes(operator=operator)))


def test_menu_save_writes_off_the_ui_thread(qtbot, make_window, held, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    _edit(window, "Saved operator")
    target = tmp_path / "big.gpkg"
    window.session.saved_to(target)  # as if opened from it: Save (not Save As) writes there

    window.act_save.trigger()
    job = window.save_job
    assert job is not None and job.target == target
    # While the write is held: the window still answers, says it is saving, and does
    # not take a second save.
    assert window.save_progress.isVisible()
    assert "Saving big.gpkg" in window.save_progress.label.text()
    assert not window.act_save.isEnabled() and not window.act_save_as.isEnabled()
    assert window.isWindowModified()
    assert not window.save_to(tmp_path / "other.gpkg", interactive=False, background=True)
    window.selection.set(NYOCOR)  # the UI thread is free: the panel follows at once
    qtbot.waitUntil(
        lambda: window.panel.field_widget("operator").text() == "Saved operator", timeout=10_000
    )

    held.set()
    qtbot.waitUntil(lambda: window.save_job is None, timeout=30_000)
    assert not window.save_progress.isVisible()
    assert window.act_save.isEnabled()
    assert not window.isWindowModified()
    assert window.undo_stack.isClean()
    assert window.session.path == target
    assert str(target.resolve()) in window.recent_files()
    assert load_project(target).sites == window.store.sites()


def test_an_edit_during_the_save_stays_unsaved(qtbot, make_window, held, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    _edit(window, "In the file")
    target = tmp_path / "during.gpkg"
    assert window.save_to(target, interactive=False, background=True)
    assert window.save_job is not None
    _edit(window, "Made while saving")  # after the project value was taken

    held.set()
    qtbot.waitUntil(lambda: window.save_job is None, timeout=30_000)
    assert window.session.path == target  # the window now belongs to the file
    assert window.isWindowModified()  # but the file lacks the last edit
    assert not window.undo_stack.isClean()
    by_id = {s.id: s for s in load_project(target).sites}
    assert by_id[NYOCOR].operator == "In the file"
    assert window.store.get(NYOCOR).operator == "Made while saving"


def test_undo_and_another_change_during_the_save_stay_unsaved(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    held: threading.Event,
    tmp_path: Path,
) -> None:
    """The undo stack comes back to the same index with another change behind it: the
    file does not hold that change, so the window stays marked as changed."""
    window = make_window()
    _edit(window, "In the file")
    index = window.undo_stack.index()
    assert window.save_to(tmp_path / "same-index.gpkg", interactive=False, background=True)
    window.undo_stack.undo()
    _edit(window, "Another change")
    assert window.undo_stack.index() == index
    held.set()
    qtbot.waitUntil(lambda: window.save_job is None, timeout=30_000)
    assert window.isWindowModified()


def test_a_failed_background_save_says_why(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    held: threading.Event,
    tmp_path: Path,
) -> None:
    window = make_window()
    _edit(window, "Not saved")
    (tmp_path / "a-file").write_text("not a folder")
    blocked = tmp_path / "a-file" / "x.gpkg"  # its folder is a file: cannot be written
    assert window.save_to(blocked, interactive=False, background=True)
    held.set()
    qtbot.waitUntil(lambda: window.save_job is None, timeout=30_000)
    assert "x.gpkg" in window.last_error or "a-file" in window.last_error, window.last_error
    assert window.isWindowModified()
    assert window.session.path != blocked
    assert not blocked.exists()
    assert window.act_save.isEnabled()
    assert not window.save_progress.isVisible()


def test_closing_waits_for_a_save_under_way(qtbot, make_window, held, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    _edit(window, "Saved before closing")
    target = tmp_path / "closing.gpkg"
    assert window.save_to(target, interactive=False, background=True)
    asked: list[bool] = []
    window._ask_unsaved = lambda: asked.append(True)  # type: ignore[method-assign]
    held.set()
    assert window.close()  # waits for the write, takes in its result: nothing to ask
    assert asked == []
    by_id = {s.id: s for s in load_project(target).sites}
    assert by_id[NYOCOR].operator == "Saved before closing"
