"""Where commands go: the undo history, as the session sees it.

The session builds every command and hands it to a :class:`History`. In the window that
is the ``QUndoStack`` (through :class:`explorer.ui.undo.QtHistory`); headless (the CLI,
tests, scripts) it is the plain :class:`UndoHistory` below. Either way a command is
applied before it is recorded, so a command that raises (a site that fails validation)
changes nothing and is not recorded.
"""

from __future__ import annotations

from typing import Protocol

from explorer.core.commands import Command


class History(Protocol):
    """What the session needs of an undo history."""

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (nothing is recorded if it raises)."""

    def clear(self) -> None:
        """Forget every command (a new project was opened)."""

    def next_undo(self) -> Command | None:
        """The command :meth:`undo` would undo (None: nothing to undo)."""

    def next_redo(self) -> Command | None:
        """The command :meth:`redo` would redo (None: nothing to redo)."""

    def undo(self) -> bool:
        """Undo the last command; False when there is none."""

    def redo(self) -> bool:
        """Redo the last undone command; False when there is none."""


class UndoHistory:
    """A plain undo/redo history with a clean mark, for use without Qt."""

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_at: int | None = 0

    def push(self, command: Command) -> None:
        command.do()
        if self._clean_at is not None and self._clean_at > len(self._done):
            self._clean_at = None  # the clean state was undone and is now unreachable
        self._done.append(command)
        self._undone.clear()

    def next_undo(self) -> Command | None:
        return self._done[-1] if self._done else None

    def next_redo(self) -> Command | None:
        return self._undone[-1] if self._undone else None

    def undo(self) -> bool:
        """Undo the last command; False when there is none."""
        if not self._done:
            return False
        command = self._done.pop()
        command.undo()
        self._undone.append(command)
        return True

    def redo(self) -> bool:
        """Redo the last undone command; False when there is none."""
        if not self._undone:
            return False
        command = self._undone.pop()
        command.do()
        self._done.append(command)
        return True

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_at = 0

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    def set_clean(self) -> None:
        """Mark the present state as saved."""
        self._clean_at = len(self._done)

    @property
    def is_clean(self) -> bool:
        return self._clean_at == len(self._done)


__all__ = ["History", "UndoHistory"]
