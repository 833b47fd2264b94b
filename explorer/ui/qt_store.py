"""Qt signal adapters for the Qt-free events of the site and region stores, the
:class:`Selection`, :class:`LiveTotals` and the :class:`Session` itself.

Views subscribe to the store through one of these rather than directly, for two reasons:

* lifetime: the adapter is a child ``QObject`` of the view and unsubscribes from the core
  events when Qt destroys it, so the store never calls into a deleted widget;
* Qt semantics: connections can be queued, blocked or disconnected like any Qt signal.

Signals are emitted synchronously (direct connections within the GUI thread), so a view
sees a store change before the store call returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from explorer.core.events import Event
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionStore
from explorer.session.session import Session


class _EventBridge(QObject):
    """Base: subscribe ``(event, callback)`` pairs now, unsubscribe on ``detach``/destroy."""

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self._links: list[tuple[Event, Callable[..., Any]]] = []
        links = self._links

        # A plain closure (not a bound method): it must still run while Qt is
        # tearing this object down.
        def _unsubscribe(*_: object) -> None:
            for event, callback in links:
                event.disconnect(callback)
            links.clear()

        self._unsubscribe = _unsubscribe
        self.destroyed.connect(_unsubscribe)

    def _link(self, event: Event, callback: Callable[..., Any]) -> None:
        event.connect(callback)
        self._links.append((event, callback))

    def detach(self) -> None:
        """Stop relaying core events (also done automatically when destroyed)."""
        self._unsubscribe()


class _CollectionSignals(_EventBridge):
    """Base: relay a store's ``inserted``/``removed``/``changed``/``reset_done`` events.

    :class:`SiteStore` and :class:`RegionStore` announce their changes with the same
    four events; only the item type (a :class:`Site`, a :class:`RegionEntry`) differs.
    """

    inserted = Signal(object)
    removed = Signal(object)
    changed = Signal(object, object)
    reset_done = Signal()

    def __init__(self, store: SiteStore | RegionStore, parent: QObject | None) -> None:
        super().__init__(parent)
        self._link(store.inserted, self._on_inserted)
        self._link(store.removed, self._on_removed)
        self._link(store.changed, self._on_changed)
        self._link(store.reset_done, self._on_reset_done)

    def _on_inserted(self, items: list[Any]) -> None:
        self.inserted.emit(list(items))

    def _on_removed(self, items: list[Any]) -> None:
        self.removed.emit(list(items))

    def _on_changed(self, old: Any, new: Any) -> None:
        self.changed.emit(old, new)

    def _on_reset_done(self) -> None:
        self.reset_done.emit()


class StoreSignals(_CollectionSignals):
    """Relay a :class:`SiteStore`'s events as Qt signals.

    Signals
    -------
    inserted(list[Site])
    removed(list[Site])
    changed(Site, Site)
        ``(old, new)``.
    reset_done()
    """

    def __init__(self, store: SiteStore, parent: QObject | None = None) -> None:
        super().__init__(store, parent)
        self.store = store


class RegionStoreSignals(_CollectionSignals):
    """Relay a :class:`RegionStore`'s events as Qt signals.

    Signals
    -------
    inserted(list[RegionEntry]), removed(list[RegionEntry]),
    changed(RegionEntry, RegionEntry) ``(old, new)``, reset_done()
    """

    def __init__(self, store: RegionStore, parent: QObject | None = None) -> None:
        super().__init__(store, parent)
        self.store = store


class SelectionSignals(_EventBridge):
    """Relay :class:`Selection` changes as the Qt signal ``changed(str | None)``."""

    changed = Signal(object)

    def __init__(self, selection: Selection, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self._link(selection.changed, self._on_changed)

    def _on_changed(self, sid: str | None) -> None:
        self.changed.emit(sid)


class LiveTotalsSignals(_EventBridge):
    """Relay :attr:`LiveTotals.updated` as the Qt signal ``updated(list[str])``."""

    updated = Signal(object)

    def __init__(self, live: LiveTotals, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self._link(live.updated, self._on_updated)

    def _on_updated(self, rids: list[str]) -> None:
        self.updated.emit(list(rids))


class SessionSignals(_EventBridge):
    """Relay a :class:`Session`'s own events as Qt signals.

    Signals
    -------
    modeChanged(str), colorModeChanged(str), boundaryChanged(object: BoundaryLayer or
    None), highlightChanged(object: tuple of site ids), asOfChanged(object: date or None),
    opened(str), notice(str)
    """

    modeChanged = Signal(str)
    colorModeChanged = Signal(str)
    boundaryChanged = Signal(object)
    highlightChanged = Signal(object)
    asOfChanged = Signal(object)
    opened = Signal(str)
    notice = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._link(session.mode_changed, self.modeChanged.emit)
        self._link(session.color_mode_changed, self.colorModeChanged.emit)
        self._link(session.boundary_changed, self.boundaryChanged.emit)
        self._link(session.highlight_changed, self.highlightChanged.emit)
        self._link(session.as_of_changed, self.asOfChanged.emit)
        self._link(session.opened, self.opened.emit)
        self._link(session.notice, self.notice.emit)


__all__ = [
    "LiveTotalsSignals",
    "RegionStoreSignals",
    "SelectionSignals",
    "SessionSignals",
    "StoreSignals",
]
