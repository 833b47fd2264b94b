"""Keeps the map page in step with the session's sites, date, selection and modes.

The controller is a view adapter over a :class:`~explorer.session.session.Session`:
store, date, selection and mode events become bridge messages, and page events become
session calls: a click selects, a drag asks :meth:`Session.move_site`, a click in place
mode asks :meth:`Session.place_site`. The session builds the undoable commands; the web
layer never edits a store.

Sites cross as columns (:mod:`explorer.web.site_columns`), counted on the session's
date (``session.as_of``) from its live totals' ledger, so a marker shows what its site
counts then: the campus remainder, nothing for a superseded record, only lines online
by the date. An edit is one small ``siteUpserted`` holding the site and the few sites
whose count it changes (its campus, its parts, the record it supersedes), never a page
reload; a new date is one ``sitesCounted`` with the date-dependent columns only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from explorer.core.schema import Site
from explorer.io.site_columns import SiteColumns
from explorer.session.session import Session
from explorer.web.bridge import MapBridge
from explorer.web.site_columns import (
    RelationIndex,
    counted_columns,
    date_payload,
    relation_neighbours,
    reset_payload,
    site_columns,
)

if TYPE_CHECKING:
    from explorer.web.reset_ahead import PreparedReset
    from explorer.web.view import MapView

log = logging.getLogger(__name__)


class MapController(QObject):
    """Binds a session's sites, site selection and modes to a map view's bridge.

    Parameters
    ----------
    view : MapView
        The map view (its ``bridge`` is used). The controller becomes its child.
    session : Session
        Its sites are shown (observed, never modified) as counted on its date, its
        selection highlighted and set on a marker click; its map mode decides what a
        map click does (``place`` adds a site) and its colour mode what marker colours
        mean.
    parent : QObject, optional
        Defaults to ``view``.

    Signals
    -------
    rendered(int)
        The page painted every message up to this seq (compare with ``last_sent_seq``).
    ready()
        The page is connected (again, after a reload) and shows the current state.
    """

    rendered = Signal(int)
    ready = Signal()

    def __init__(self, view: MapView, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else view)
        self._view = view
        self._bridge: MapBridge = view.bridge
        self._session = session
        self._store = session.sites
        self._selection = session.selection
        self._catalogue = session.catalogue
        # State sent while the page is not ready is queued and flushed by its first
        # ``ready``; any later ``ready`` (or the first, if the page was already ready
        # when this controller was made) is a reload that lost the sites.
        self._initial_pending = not self._bridge.is_page_ready
        #: The site mode last posted to the page.
        self._page_mode = _page_mode(session.mode)
        self._move_pending: str | None = None
        self._move_applied = False
        self._when_rendered: list[tuple[int, Callable[[], None]]] = []
        self._expected_reset: PreparedReset | None = None
        # Who names whom as campus: which other markers an edit changes. The ledger holds
        # every site that names a campus (and no site need be built for the others).
        self._relations = RelationIndex(session.live_totals.ledger.related_sites())

        self._subscriptions: list[Subscription] = [
            (self._store.inserted, self._on_sites_inserted),
            (self._store.removed, self._on_sites_removed),
            (self._store.changed, self._on_site_changed),
            (self._store.reset_done, self._on_store_reset),
            (self._selection.changed, self._on_selection_changed),
            (session.mode_changed, self._on_mode_changed),
            (session.color_mode_changed, self._on_color_mode_changed),
            (session.as_of_changed, self._on_as_of_changed),
        ]
        subscribe_until_destroyed(self._bridge, self._subscriptions)

        self._bridge.ready.connect(self._on_page_ready)
        self._bridge.siteClickedOnMap.connect(self._on_site_clicked)
        self._bridge.siteMovedOnMap.connect(self._on_site_moved)
        self._bridge.mapClickedAt.connect(self._on_map_clicked)
        self._bridge.renderedSeq.connect(self._on_rendered)

        # Queued by the bridge until the page is ready.
        self._send_everything()

    # ------------------------------------------------------------------ state
    @property
    def bridge(self) -> MapBridge:
        """The bridge this controller drives."""
        return self._bridge

    @property
    def mode(self) -> str:
        """The page's site mode: ``"place"`` when the session is placing a site, else
        ``"browse"``."""
        return _page_mode(self._session.mode)

    @property
    def color_mode(self) -> str:
        """``"export"`` or ``"model"`` (the session's)."""
        return self._session.color_mode

    @property
    def last_sent_seq(self) -> int:
        """Seq of the newest message sent to the page (or queued for it)."""
        return self._bridge.last_sent_seq

    @property
    def last_rendered_seq(self) -> int:
        """Highest seq the page has painted."""
        return self._bridge.last_rendered_seq

    @property
    def is_rendered(self) -> bool:
        """True when the page has painted everything sent so far."""
        return self.last_rendered_seq >= self.last_sent_seq

    def request_frame(self) -> int:
        """Ask the page to ack its next paint; returns the seq to wait for.

        Needed before a snapshot when the page changed on its own (the user panned or
        zoomed): those changes send no message, so there is nothing else to wait for.
        """
        return self._bridge.post_sync()

    def call_when_rendered(self, callback: Callable[[], None], *, fresh_frame: bool = True) -> None:
        """Call ``callback`` once everything sent so far is on screen in the widget.

        For snapshots: ``controller.call_when_rendered(lambda: view.grab().save(path))``.
        With ``fresh_frame`` (the default) it also waits for a new paint, so pans and
        zooms the user made in the page are included. After the page's ack the view is
        waited on until its pixels show that frame (:meth:`MapView.present_frame`).
        """
        target = self.request_frame() if fresh_frame else self.last_sent_seq

        def presented() -> None:
            self._view.present_frame(callback, target)

        if self.last_rendered_seq >= target:
            presented()
        else:
            self._when_rendered.append((target, presented))

    # ------------------------------------------------------------------ commands to the page
    def fly_to(self, lon: float, lat: float, zoom: int | None = None) -> None:
        """Animate the map to ``(lon, lat)``; keeps the zoom unless ``zoom`` is given."""
        self._bridge.post_fly_to(lon, lat, zoom)

    def fly_to_site(self, sid: str, zoom: int | None = None) -> None:
        """Animate the map to a site of the store."""
        site = self._store.get(sid)
        self.fly_to(site.lon, site.lat, zoom)

    def resync(self) -> None:
        """Send the full state again (sites, selection, modes)."""
        self._send_everything()

    def detach(self) -> None:
        """Stop following the store and the selection."""
        unsubscribe(self._subscriptions)

    # ------------------------------------------------------------------ store → page
    # The session's live totals follow the store first (they subscribed when the session
    # was made), so the ledger read here already holds the change being handled.
    def _as_of(self) -> date | None:
        return self._session.as_of

    def _reset_data(self) -> dict[str, object]:
        live = self._session.live_totals
        # Straight from the file's columns while the store holds just them (after a
        # load): no site is built for the map.
        rows = self._store.rows_as_loaded()
        return reset_payload(
            rows if isinstance(rows, SiteColumns) else self._store.sites(),
            self._catalogue,
            ledger=live.ledger,
            as_of=self._as_of(),
            arrays=live.current(),
        )

    def _send_everything(self) -> None:
        self._bridge.post_reset(self._reset_data())
        self._bridge.post_selection(self._selection.current)
        self._page_mode = self.mode
        self._bridge.post_mode(self._page_mode)
        self._bridge.post_color_mode(self.color_mode)

    def _post_sites(self, ids: set[str]) -> None:
        """One upsert holding the current columns of ``ids`` (those still in the store)."""
        sites = [self._store.get(sid) for sid in sorted(ids) if sid in self._store]
        if sites:
            columns = site_columns(
                sites, self._session.live_totals.ledger, self._catalogue, self._as_of()
            )
            self._bridge.post_upserts(columns)

    def _on_sites_inserted(self, sites: list[Site]) -> None:
        for s in sites:
            self._relations.add(s)
        touched: set[str] = set()
        for s in sites:
            touched |= relation_neighbours(s, self._relations)
        self._post_sites(touched)
        if self._selection.current in {s.id for s in sites}:
            self._bridge.post_selection(self._selection.current)

    def _on_sites_removed(self, sites: list[Site]) -> None:
        touched: set[str] = set()
        for s in sites:
            touched |= relation_neighbours(s, self._relations)
        for s in sites:
            self._relations.discard(s)
        gone = [s.id for s in sites]
        self._bridge.post_removals(gone)
        self._post_sites(touched - set(gone))

    def _on_site_changed(self, old: Site, new: Site) -> None:
        if new.id == self._move_pending:
            self._move_applied = True
        touched = relation_neighbours(old, self._relations)
        self._relations.discard(old)
        self._relations.add(new)
        touched |= relation_neighbours(new, self._relations)
        self._post_sites(touched)

    def expect_reset(self, prepared: PreparedReset | None) -> None:
        """Send ``prepared`` (built where a file was read, see
        :mod:`explorer.web.reset_ahead`) for the next reset of the store if it is still
        what the reset needs then: the store holding that very table, the live totals
        that very ledger, on the same date and day. Otherwise it is dropped and the
        message built here, as for any reset."""
        self._expected_reset = prepared

    def _take_expected_reset(self) -> PreparedReset | None:
        prepared, self._expected_reset = self._expected_reset, None
        if prepared is None:
            return None
        if (
            self._store.rows_as_loaded() is not prepared.table
            or self._session.live_totals.ledger is not prepared.ledger
            or self._as_of() != prepared.as_of
            or date.today() != prepared.today
        ):
            return None
        return prepared

    def _on_store_reset(self) -> None:
        self._relations.reset(self._session.live_totals.ledger.related_sites())
        prepared = self._take_expected_reset()
        if prepared is not None:
            self._bridge.post_reset_text(prepared.text, prepared.ids)
        else:
            self._bridge.post_reset(self._reset_data())
        self._bridge.post_selection(self._selection.current)

    def _on_as_of_changed(self, as_of: date | None) -> None:
        live = self._session.live_totals
        data = date_payload(live.ledger.models, self._catalogue, as_of)
        data["sites"] = counted_columns(
            self._store.ids(), live.ledger, self._catalogue, as_of, arrays=live.current()
        )
        self._bridge.post_counted(data)

    def _on_selection_changed(self, sid: str | None) -> None:
        self._bridge.post_selection(sid)

    def _on_mode_changed(self, mode: str) -> None:
        page_mode = _page_mode(mode)
        if page_mode != self._page_mode:
            self._page_mode = page_mode
            self._bridge.post_mode(page_mode)

    def _on_color_mode_changed(self, mode: str) -> None:
        self._bridge.post_color_mode(mode)

    # ------------------------------------------------------------------ page → Python
    def _on_page_ready(self) -> None:
        initial, self._initial_pending = self._initial_pending, False
        if not initial or self._bridge.resync_needed:
            # The page was reloaded (or its renderer restarted) and starts empty, or
            # updates queued for it were dropped: send the full state again.
            log.info("map page (re)connected; sending the full state again")
            self._bridge.resync_needed = False
            self._send_everything()
        self.ready.emit()

    def _on_site_clicked(self, sid: str) -> None:
        if sid in self._store:
            self._selection.set(sid)

    def _on_site_moved(self, sid: str, lon: float, lat: float) -> None:
        if sid not in self._store:
            return
        self._move_pending, self._move_applied = sid, False
        try:
            self._session.move_site(sid, lon, lat)
        except (ValueError, KeyError) as exc:  # a refused value: the marker goes back
            log.warning("map page: the move of %s was refused: %s", sid, exc)
        finally:
            applied = self._move_applied
            self._move_pending, self._move_applied = None, False
        if not applied and sid in self._store:
            # Nobody moved it (no receiver, or the move was refused): put the marker
            # back where the store has the site.
            self._post_sites({sid})

    def _on_map_clicked(self, lon: float, lat: float) -> None:
        if self._session.mode != "place":
            log.warning("map page: dropped mapClicked outside place mode")
            return
        # The page has already left place mode; the session leaves it too and adds the
        # site (one undoable command).
        self._page_mode = "browse"
        self._bridge.post_mode("browse")
        self._session.place_site(lon, lat)

    def _on_rendered(self, seq: int) -> None:
        self.rendered.emit(seq)
        if self._when_rendered:
            due = [cb for target, cb in self._when_rendered if target <= seq]
            self._when_rendered = [(t, cb) for t, cb in self._when_rendered if t > seq]
            for callback in due:
                callback()


def _page_mode(mode: str) -> str:
    """The page's site mode for a session mode (drawing tools are the region layer's)."""
    return "place" if mode == "place" else "browse"


#: A core event (with ``connect``/``disconnect``) and the callback hooked to it.
Subscription = tuple[object, Callable[..., None]]


def subscribe_until_destroyed(bridge: QObject, subscriptions: list[Subscription]) -> None:
    """Connect each callback to its event, and disconnect them all when ``bridge`` dies.

    The core's events hold strong references: unhook when the page goes away so a
    closed map never receives (or keeps alive) store updates.
    """
    for event, callback in subscriptions:
        event.connect(callback)  # type: ignore[attr-defined]
    hooked = list(subscriptions)
    bridge.destroyed.connect(lambda *_: unsubscribe(hooked))


def unsubscribe(subscriptions: list[Subscription]) -> None:
    """Disconnect each callback from its event."""
    for event, callback in subscriptions:
        event.disconnect(callback)  # type: ignore[attr-defined]
