"""A change the shared catalogue refused, as the session hands it to the window.

In team mode a change can be refused: the record moved on since this client read it
(:class:`~explorer.io.database.catalogue.StaleEdit`), the role may only read
(:class:`~explorer.io.database.catalogue.ReadOnly`), or the server went away
(:class:`~explorer.io.database.catalogue.ConnectionLost`). Nothing changed here in any
of these cases. Headless, the session raises the error; a window sets
:attr:`Session.refusal_handler <explorer.session.session.Session.refusal_handler>` and
gets a :class:`Refusal` instead, so every way of editing (the panel, the map, the region
list, the Edit menu) reports the same way. A stale edit waits for the analyst's choice:
:meth:`Session.keep_mine` or :meth:`Session.take_theirs`.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.io.database.catalogue import ConnectionLost, DatabaseError, ReadOnly, StaleEdit
from explorer.session.write_through import WriteThrough

#: What was being done when the change was refused.
STEPS: tuple[str, ...] = ("do", "undo", "redo")


@dataclass(frozen=True)
class Refusal:
    """One refused change; nothing changed locally.

    Attributes
    ----------
    error : DatabaseError
        Why (its message is one line).
    text : str
        What the analyst tried, as the Edit menu names it (``Edit name of 'Alpha'``).
    step : str
        ``do`` (a new change), ``undo`` or ``redo``.
    command : WriteThrough or None
        The refused command (None when it was refused before any write: a read-only
        role editing a site).
    """

    error: DatabaseError
    text: str
    step: str
    command: WriteThrough | None = None

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"step must be one of {', '.join(STEPS)}, got {self.step!r}")

    @property
    def description(self) -> str:
        """What was refused, as the Edit menu would say it (``Undo Edit name of 'A'``)."""
        return {"do": "", "undo": "Undo ", "redo": "Redo "}[self.step] + self.text

    @property
    def conflict(self) -> StaleEdit | None:
        """The stale edit, when someone else changed the record first."""
        return self.error if isinstance(self.error, StaleEdit) else None

    @property
    def connection_lost(self) -> bool:
        return isinstance(self.error, ConnectionLost)

    @property
    def read_only(self) -> bool:
        return isinstance(self.error, ReadOnly)

    @property
    def can_keep_mine(self) -> bool:
        """True when the change can be written over theirs (a conflict of a command)."""
        return self.conflict is not None and self.command is not None

    def record_ids(self) -> tuple[list[str], list[str]]:
        """The site ids and region ids the refused change would have written."""
        if self.command is None:
            return [], []
        ids = self.command.record_ids(undoing=self.step == "undo")
        if self.command.entity == "site":
            return ids, []
        return [], ids


__all__ = ["STEPS", "Refusal"]
