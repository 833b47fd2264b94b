"""The window's live link to a shared catalogue: other clients' changes, outages,
reconnection.

After a catalogue is opened, a :class:`~explorer.io.database.listener.Listener` hears
every change other clients commit. Its thread never touches the session: each notice is
handed to the GUI thread by a queued Qt signal, the ids are gathered for one event-loop
turn and then taken in with :meth:`Session.pull <explorer.session.session.Session.pull>`
(the panel, table, map and live totals follow the stores). While a conflict waits for
the analyst's choice, notices are held back and taken in after it.

When the server goes away (the listener's connection drops, or a write or a pull fails
with :class:`~explorer.io.database.catalogue.ConnectionLost`), the link says so at once
and retries with backoff on a :class:`QTimer`. Each attempt first connects from a worker
thread (so an unreachable server never blocks the window); when that succeeds the session
connects again on the GUI thread, a new listener starts, and :meth:`Session.catch_up
<explorer.session.session.Session.catch_up>` takes in everything that changed meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from explorer.io.database.catalogue import DatabaseCatalogue, DatabaseError
from explorer.io.database.listener import Listener, Notice
from explorer.session.session import Session

log = logging.getLogger(__name__)

#: The link's states.
STATES: tuple[str, ...] = ("off", "connected", "lost", "reconnecting")
#: Milliseconds to wait before each reconnection attempt (the last repeats).
RETRY_DELAYS_MS: tuple[int, ...] = (500, 1000, 2000, 4000, 8000, 15000)


class CatalogueLink(QObject):
    """Keeps a session on a shared catalogue in step with the other clients.

    Parameters
    ----------
    session : Session
    parent : QObject, optional
    retry_delays_ms : sequence of int
        The backoff between reconnection attempts (the last one repeats).

    Signals
    -------
    stateChanged(str)
        One of :data:`STATES`.
    message(str)
        A one-line message for the user (lost, reconnected...).
    pulled(list, list)
        Site ids and region ids of other clients' changes just taken in.
    caughtUp(int, int)
        Reconnected: how many sites and regions changed meanwhile were taken in.
    """

    stateChanged = Signal(str)
    message = Signal(str)
    pulled = Signal(object, object)
    caughtUp = Signal(int, int)

    # From worker threads (queued to the GUI thread); the int is the generation.
    _noticed = Signal(object, int)
    _dropped = Signal(str, int)
    _probed = Signal(bool, str, int)

    def __init__(
        self,
        session: Session,
        parent: QObject | None = None,
        *,
        retry_delays_ms: Sequence[int] = RETRY_DELAYS_MS,
    ) -> None:
        super().__init__(parent)
        if not retry_delays_ms or any(d <= 0 for d in retry_delays_ms):
            raise ValueError(f"retry delays must be positive, got {list(retry_delays_ms)}")
        self.session = session
        self.retry_delays_ms = tuple(retry_delays_ms)
        self._state = "off"
        self._generation = 0
        self._attempt = 0
        self._listener: Listener | None = None
        self._sites: dict[str, None] = {}
        self._regions: dict[str, None] = {}
        #: Why the connection was lost (the last failure), one line.
        self.reason = ""
        #: The delay before the next reconnection attempt, in ms (0: none scheduled).
        self.next_retry_ms = 0
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._attempt_reconnect)
        self._noticed.connect(self._on_notice)
        self._dropped.connect(self._on_dropped)
        self._probed.connect(self._on_probed)

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        return self._state

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    @property
    def held_back(self) -> tuple[list[str], list[str]]:
        """Site ids and region ids other clients changed, not yet taken in (held back
        while a conflict waits for a choice, or until the next event-loop turn)."""
        return list(self._sites), list(self._regions)

    # ------------------------------------------------------------------ public
    def start(self) -> None:
        """Start following the session's catalogue (after it was opened); a no-op on a
        file."""
        self.stop()
        if self.session.database is None:
            return
        try:
            self._start_listener()
        except OSError as exc:
            self.connection_lost(f"the change listener did not start: {exc}")
            return
        self._set_state("connected")

    def stop(self) -> None:
        """Stop listening and reconnecting (another project is opened, or the window
        closes)."""
        self._generation += 1
        self._retry_timer.stop()
        self._flush_timer.stop()
        self.next_retry_ms = 0
        self._sites.clear()
        self._regions.clear()
        self._stop_listener()
        self._set_state("off")

    def flush(self) -> None:
        """Take in the changes held back (called after a conflict was resolved)."""
        if self._sites or self._regions:
            self._flush_timer.start()

    def connection_lost(self, reason: str) -> None:
        """The server went away: say so, refuse edits meanwhile, retry with backoff."""
        if self.session.database is None or self._state in ("lost", "reconnecting"):
            return
        self._generation += 1
        self._stop_listener()
        self._flush_timer.stop()
        self.reason = " ".join(reason.split())
        self._attempt = 0
        self._schedule_retry()
        self._set_state("lost")
        self.message.emit(
            f"Connection to {self.session.database.shown} lost ({self.reason}); "
            "edits are refused until it is back. Reconnecting…"
        )

    # ------------------------------------------------------------------ listening
    def _start_listener(self) -> None:
        db = self.session.database
        assert db is not None
        generation = self._generation

        def heard(notice: Notice) -> None:
            try:
                self._noticed.emit(notice, generation)
            except RuntimeError:  # the window is gone
                pass

        def dropped(reason: str) -> None:
            try:
                self._dropped.emit(reason, generation)
            except RuntimeError:
                pass

        listener = Listener(db.url, db.backend_pid, heard, dropped)
        listener.start()
        self._listener = listener

    def _stop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # Its thread ends within half a second; do not make the window wait for it.
            threading.Thread(target=listener.stop, name="listener-stop", daemon=True).start()

    def _on_notice(self, notice: Notice, generation: int) -> None:
        if generation != self._generation:
            return
        self._sites.update(dict.fromkeys(notice.sites))
        self._regions.update(dict.fromkeys(notice.regions))
        self._flush_timer.start()

    def _on_dropped(self, reason: str, generation: int) -> None:
        if generation == self._generation:
            self.connection_lost(reason)

    def _flush(self) -> None:
        if self._state != "connected" or self.session.pending_refusal is not None:
            return  # held back: after the choice (flush) or the reconnection (catch_up)
        sites, regions = list(self._sites), list(self._regions)
        self._sites.clear()
        self._regions.clear()
        if not (sites or regions):
            return
        try:
            self.session.pull(sites, regions)
        except DatabaseError as exc:
            self.connection_lost(str(exc))
            return
        self.pulled.emit(sites, regions)

    # ------------------------------------------------------------------ reconnecting
    def _schedule_retry(self) -> None:
        delays = self.retry_delays_ms
        self.next_retry_ms = delays[min(self._attempt, len(delays) - 1)]
        self._attempt += 1
        self._retry_timer.start(self.next_retry_ms)

    def _attempt_reconnect(self) -> None:
        db = self.session.database
        if db is None:
            return
        self.next_retry_ms = 0
        self._set_state("reconnecting")
        generation = self._generation
        url, catalogue = db.url, db.catalogue

        def probe() -> None:
            try:
                DatabaseCatalogue(url, catalogue=catalogue, connect_timeout=5).close()
                ok, reason = True, ""
            except DatabaseError as exc:
                ok, reason = False, str(exc)
            try:
                self._probed.emit(ok, reason, generation)
            except RuntimeError:  # the window is gone
                pass

        threading.Thread(target=probe, name="catalogue-probe", daemon=True).start()

    def _on_probed(self, ok: bool, reason: str, generation: int) -> None:
        db = self.session.database
        if generation != self._generation or db is None:
            return
        if ok:
            try:
                # Listen before reading, so nothing committed in between is missed.
                self.session.reconnect()
                self._start_listener()
                changed = self.session.catch_up()
            except (DatabaseError, OSError) as exc:
                ok, reason = False, str(exc)
        if not ok:
            self.reason = " ".join(reason.split())
            log.info("reconnection to %s failed: %s", db.shown, self.reason)
            self._stop_listener()
            self._schedule_retry()
            self._set_state("lost")
            return
        self._sites.clear()
        self._regions.clear()
        self.reason = ""
        self._set_state("connected")
        sites, regions = changed
        self.message.emit(
            f"Reconnected to {db.shown}; took in {sites} site(s) and {regions} region(s) "
            "changed meanwhile"
        )
        self.caughtUp.emit(sites, regions)


__all__ = ["RETRY_DELAYS_MS", "STATES", "CatalogueLink"]
