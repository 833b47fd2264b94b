"""The current selection: one site id (or none), shared by map, table and panel."""

from __future__ import annotations

from explorer.core.events import Event


class Selection:
    """Holds the selected site id; ``changed(id_or_None)`` fires only on a real change."""

    def __init__(self) -> None:
        self._current: str | None = None
        self.changed = Event("selection_changed")

    @property
    def current(self) -> str | None:
        return self._current

    def set(self, sid: str | None) -> None:
        if sid == self._current:
            return
        self._current = sid
        self.changed.emit(sid)

    def clear(self) -> None:
        self.set(None)
