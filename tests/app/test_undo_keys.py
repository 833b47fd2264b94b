"""Ctrl+Z and Ctrl+Shift+Z in the real window undo and redo the last committed change,
wherever the keyboard focus is; a field's own text undo never becomes a new edit
(issue 11, finding 14)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from .conftest import wait_rendered

DELINGHA = "qh-delingha-1"  # one H200 line of 1,040 chips (range up to 1,296) in the demo
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _chips_field(window) -> QLineEdit:  # noqa: ANN001
    edit = window.panel.field_widget("hardware[0].chips")
    assert isinstance(edit, QLineEdit)
    return edit


def test_ctrl_z_in_a_panel_field_undoes_the_committed_edit(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.selection.set(DELINGHA)
    wait_rendered(qtbot, window)
    edit = _chips_field(window)
    assert edit.text() == "1040"
    window.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=5_000)
    edit.selectAll()
    qtbot.keyClicks(edit, "1240")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.store.get(DELINGHA).chips == 1240
    assert window.undo_stack.count() == 1

    # Ctrl+Z with the keyboard still in the field: the command is undone, not the text.
    qtbot.keyClick(edit, Qt.Key.Key_Z, CTRL)
    assert window.store.get(DELINGHA).chips == 1040
    assert window.undo_stack.index() == 0
    assert edit.text() == "1040"
    assert window.region_panel is not None and not window.isWindowModified()

    # Leaving the field afterwards commits nothing new.
    window.table.setFocus()
    qtbot.waitUntil(lambda: not edit.hasFocus(), timeout=5_000)
    edit.editingFinished.emit()  # what focus-out does, in case the platform skipped it
    assert window.undo_stack.count() == 1 and window.undo_stack.index() == 0
    assert window.store.get(DELINGHA).chips == 1040

    # Ctrl+Shift+Z from the field redoes it.
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Z, CTRL_SHIFT)
    assert window.store.get(DELINGHA).chips == 1240
    assert edit.text() == "1240"
    assert window.undo_stack.index() == 1


def test_field_text_undo_never_becomes_an_edit(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.selection.set(DELINGHA)
    edit = _chips_field(window)
    window.activateWindow()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "1240")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.store.get(DELINGHA).chips == 1240
    # The field's own text history (its context menu's Undo) holds nothing to go back
    # to: the committed value is where its history starts.
    assert not edit.isUndoAvailable()
    edit.undo()
    assert edit.text() == "1240"
    edit.editingFinished.emit()
    assert window.undo_stack.count() == 1
    assert window.store.get(DELINGHA).chips == 1240


def _focus(qtbot, widget) -> object:  # noqa: ANN001
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5_000)
    return QApplication.focusWidget()


def test_ctrl_z_undoes_from_the_map_the_notes_and_the_filter_box(qtbot, make_window) -> None:  # noqa: ANN001
    window = make_window()
    window.activateWindow()
    window.selection.set(DELINGHA)
    edit = _chips_field(window)
    notes = window.panel.field_widget("notes")
    places = {
        "map": window.map_view,
        "notes": notes,
        "filter": window.table.filter_edit,
    }
    for i, (where, widget) in enumerate(places.items()):
        chips = 1100 + i
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, str(chips))
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        assert window.store.get(DELINGHA).chips == chips, where
        focused = _focus(qtbot, widget)
        assert focused is not None and focused.window() is window, where
        qtbot.keyClick(focused, Qt.Key.Key_Z, CTRL)
        assert window.store.get(DELINGHA).chips == (1040 if i == 0 else 1100 + i - 1), where
        qtbot.keyClick(focused, Qt.Key.Key_Z, CTRL_SHIFT)
        assert window.store.get(DELINGHA).chips == chips, where
