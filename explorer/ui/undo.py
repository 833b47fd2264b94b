"""Wrap the plain core commands for :class:`QUndoStack`.

The commands in :mod:`explorer.core.commands` know nothing about Qt; this module is the
only place that turns one into a ``QUndoCommand``. The session hands every command it
builds to :class:`QtHistory`, which pushes it here.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from explorer.core.commands import Command


class UndoCommand(QUndoCommand):
    """A ``QUndoCommand`` that delegates to a core :class:`~explorer.core.commands.Command`.

    Parameters
    ----------
    command : Command
        The core command; its ``text`` becomes the undo text ("Undo Edit site").
    already_done : bool
        True when ``command.do()`` has already run (see :func:`push`); the first
        ``redo()`` that ``QUndoStack.push`` makes is then skipped.
    """

    def __init__(self, command: Command, *, already_done: bool = False) -> None:
        super().__init__(command.text)
        self.command = command
        self._skip_next_redo = already_done

    def redo(self) -> None:
        """Apply the command (skipped once if it was applied before being pushed)."""
        if self._skip_next_redo:
            self._skip_next_redo = False
            return
        self.command.do()

    def undo(self) -> None:
        """Revert the command."""
        self.command.undo()


def push(stack: QUndoStack, cmd: Command) -> UndoCommand:
    """Apply ``cmd`` and put it on ``stack``.

    The command is applied *before* it is pushed, so an exception raised by
    ``cmd.do()`` (say, a site that fails validation) reaches the caller as an ordinary
    Python exception and nothing is pushed. Letting ``QUndoStack.push`` call ``redo()``
    instead would raise inside a Qt virtual, where the exception cannot propagate and
    the broken command would still land on the stack.

    Parameters
    ----------
    stack : QUndoStack
        The application's undo stack.
    cmd : Command
        A core command, not yet applied.

    Returns
    -------
    UndoCommand
        The wrapper now owned by ``stack``.
    """
    cmd.do()
    wrapper = UndoCommand(cmd, already_done=True)
    stack.push(wrapper)
    return wrapper


class QtHistory:
    """The session's :class:`~explorer.core.history.History` backed by a ``QUndoStack``:
    the Edit menu's Undo/Redo, the clean state and the unsaved-changes marker follow it."""

    def __init__(self, stack: QUndoStack) -> None:
        self.stack = stack

    def push(self, command: Command) -> None:
        push(self.stack, command)

    def clear(self) -> None:
        self.stack.clear()
        self.stack.setClean()

    def _core(self, index: int) -> Command | None:
        if not 0 <= index < self.stack.count():
            return None
        wrapper = self.stack.command(index)
        return wrapper.command if isinstance(wrapper, UndoCommand) else None

    def next_undo(self) -> Command | None:
        return self._core(self.stack.index() - 1)

    def next_redo(self) -> Command | None:
        return self._core(self.stack.index())

    def undo(self) -> bool:
        if not self.stack.canUndo():
            return False
        self.stack.undo()
        return True

    def redo(self) -> bool:
        if not self.stack.canRedo():
            return False
        self.stack.redo()
        return True


__all__ = ["QtHistory", "UndoCommand", "push"]
