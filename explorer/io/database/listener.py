"""Hearing other clients' changes: LISTEN on the catalogue's channel, in a thread.

The listener has its own connection (a connection busy with a transaction cannot wait for
notifications). Each notification names the ids a committed change touched; the callback
is called from the listener's thread, so a GUI hands it to its own thread (a queued Qt
signal) before touching the session. A client's own changes are not reported back to it.
If the connection drops, ``on_lost`` is called once and the thread ends; start a new
listener after reconnecting.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explorer.io.database.catalogue import CHANNEL


@dataclass(frozen=True)
class Notice:
    """What one committed change of another client touched."""

    sites: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    pid: int = 0


@dataclass
class Listener:
    """Calls ``on_notice`` for every change other clients commit.

    Parameters
    ----------
    url : str
    own_pid : int
        The server process of this client's writing connection; its own notices are
        skipped.
    on_notice : callable(Notice)
    on_lost : callable(str), optional
        Called once with a one-line reason when the connection drops.
    """

    url: str
    own_pid: int
    on_notice: Callable[[Notice], None]
    on_lost: Callable[[str], None] | None = None
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _ready: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns once the LISTEN is in place (or raises ``OSError``)."""
        self._thread = threading.Thread(target=self._run, name="catalogue-listener", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise OSError("the change listener did not start")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            self._ready.set()
            self._lost(str(exc))
            return
        try:
            conn.execute(f"listen {CHANNEL}")
            self._ready.set()
            while not self._stop.is_set():
                # A short timeout so stop() is honoured promptly.
                for n in conn.notifies(timeout=0.5):
                    notice = _parse(n.payload)
                    if notice is not None and notice.pid != self.own_pid:
                        self.on_notice(notice)
        except psycopg.Error as exc:
            if not self._stop.is_set():
                self._lost(str(exc))
        finally:
            self._ready.set()
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close
                pass

    def _lost(self, reason: str) -> None:
        if self.on_lost is not None:
            self.on_lost(" ".join(reason.split()) or "connection lost")


def _parse(payload: str) -> Notice | None:
    try:
        doc: Any = json.loads(payload)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    sites = tuple(str(s) for s in doc.get("sites") or () if isinstance(s, str))
    regions = tuple(str(r) for r in doc.get("regions") or () if isinstance(r, str))
    pid = doc.get("pid")
    return Notice(sites, regions, pid if isinstance(pid, int) else 0)


__all__ = ["Listener", "Notice"]
