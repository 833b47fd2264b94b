"""Undo and redo keys that mean the window's undo stack, wherever the keyboard focus is.

Text widgets claim Ctrl+Z for themselves: a ``QLineEdit`` accepts the shortcut-override
event of the undo and redo keys and undoes its own *text*, and the map's web view takes
them for the page's editing commands. In the site panel that was a trap (issue 11,
finding 14): after an edit was committed, Ctrl+Z in the field put the old text back
while the site kept the new value, and leaving the field then committed the old text as
a *new* edit. Here the undo and redo keys are refused to every widget of the window, so
they always reach the window's Undo and Redo actions, which undo the last committed
change.

Only the focused widget is watched (the filter moves with the focus), so no other
event pays for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

#: Keys that always mean the undo stack (besides the actions' own shortcuts).
_STANDARD = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class WindowUndoKeys(QObject):
    """Route the undo and redo keys of every widget in ``window`` to its actions.

    Parameters
    ----------
    window : QWidget
        The top-level window whose Undo and Redo actions the keys must reach.
    sequences : iterable of QKeySequence
        The shortcuts of those actions (e.g. Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y); the
        platform's standard undo and redo keys are always included.

    Notes
    -----
    A focused widget of the window never sees these keys: the shortcut-override event
    is refused (so the window's action fires), and the key press itself, which arrives
    when the action is disabled (nothing to undo), is dropped, so a field's own text
    undo cannot happen by keyboard.
    """

    def __init__(self, window: QWidget, sequences: Iterable[QKeySequence]) -> None:
        super().__init__(window)
        self._window = window
        self._sequences = [s for s in sequences if not s.isEmpty()]
        self._watched: QWidget | None = None
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._on_focus_changed)
        self._on_focus_changed(None, QApplication.focusWidget())

    @property
    def watched(self) -> QWidget | None:
        """The widget whose keys are being routed now (the focused one in the window)."""
        return self._watched

    def is_undo_key(self, event: QKeyEvent) -> bool:
        """True when ``event`` is one of the undo or redo keys."""
        if any(event.matches(k) for k in _STANDARD):
            return True
        pressed = QKeySequence(event.keyCombination())
        return any(
            s.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch for s in self._sequences
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Refuse the undo and redo keys to the focused widget."""
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(
            event, QKeyEvent
        ):
            if self.is_undo_key(event):
                # Ignored and filtered: the widget never takes the key, nothing above it
                # claims the override, and the shortcut goes to the window's action.
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:  # already deleted by Qt
                pass
            self._watched = None
        if new is not None and new.window() is self._window:
            new.installEventFilter(self)
            self._watched = new


__all__ = ["WindowUndoKeys"]
