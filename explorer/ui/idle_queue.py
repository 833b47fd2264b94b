"""Work the views put off until the event loop is free, one piece per turn of the loop.

A view that rebuilds something after a change (the capacity chart, the site pickers'
list, the site table's search text and sort ranks) used to start its own zero-interval
single-shot timer. Qt fires every due timer in one pass of its event loop, so after a
large file was loaded all of them ran back to back: at a million sites the window took no
click and drew nothing for 1.5 s. An :class:`IdleQueue` shared by the window's views runs
one piece per pass instead, the most urgent first, so the window paints and takes input
between pieces.

Work that is long in itself is a generator: each ``next`` is one piece. It yields None to
give the event loop a turn, or a :class:`~concurrent.futures.Future` (from
:meth:`IdleQueue.off_thread`, for a call that lets go of the interpreter, such as an Arrow
sort) to wait for it without holding the UI thread; it resumes on the turn after the
future is done. :func:`run_steps` runs such a generator to the end at once.

A request is keyed by its owner and a name: asking again for work still pending keeps its
place (as restarting a single-shot timer did) and starts the newest work from its first
step. Work whose owner has been deleted is dropped, never run.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import Shiboken

if TYPE_CHECKING:  # the helper thread's module is imported when first used, not at start
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")

#: What a piece of stepped work yields: None (a turn of the event loop) or a future to
#: wait for.
Step: TypeAlias = "Future[Any] | None"
Steps: TypeAlias = "Generator[Step, None, Any]"


class Urgency(IntEnum):
    """Which pending piece runs first (lowest first; in order of request within one)."""

    #: What the map page waits for (a long reset's parts).
    PAGE = 0
    #: What the user sees now (a chart, a total).
    SHOWN = 1
    #: Lists the user reaches in one click (the site pickers).
    LIST = 2
    #: What only makes a later action faster (search text, sort ranks).
    WARM = 3


@dataclass
class _Piece:
    owner: weakref.ref[QObject]
    work: Callable[[], Steps | object]
    urgency: Urgency
    steps: Steps | None = None
    waiting: Future[Any] | None = None
    #: Counts the requests: work asked for again while a step ran is kept.
    version: int = 0


def run_steps(steps: Steps) -> Any:
    """Run stepped work to its end now (waiting for each future it yields); its return
    value."""
    try:
        step = next(steps)
        while True:
            if step is not None:
                step.result()
            step = next(steps)
    except StopIteration as stop:
        return stop.value


class IdleQueue(QObject):
    """Pieces of work run one per turn of the event loop, most urgent first.

    Parameters
    ----------
    parent : QObject, optional
    """

    _future_done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[tuple[int, str], _Piece] = {}
        self._stepping: set[tuple[int, str]] = set()  # the pieces running a step now
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_next)
        # Emitted on the helper thread; queued to this one.
        self._future_done.connect(self._timer.start)
        self._pool: ThreadPoolExecutor | None = None

    def request(
        self,
        owner: QObject,
        name: str,
        work: Callable[[], Steps | object],
        urgency: Urgency = Urgency.SHOWN,
    ) -> None:
        """Run ``work`` on a later turn of the event loop (each step of it, if it returns
        a generator), unless ``owner`` is deleted first. A request for ``(owner, name)``
        still pending keeps its place, takes ``work`` (from its first step) and the more
        urgent of the two urgencies."""
        key = (id(owner), name)
        piece = self._pending.get(key)
        if piece is not None and piece.owner() is owner:
            piece.work = work
            piece.urgency = min(piece.urgency, urgency)
            piece.steps = None  # what the old work had done is for values now gone
            piece.waiting = None
            piece.version += 1
        else:
            self._pending.pop(key, None)  # an owner gone whose id was reused
            self._pending[key] = _Piece(weakref.ref(owner), work, urgency)
        self._timer.start()

    def cancel(self, owner: QObject, name: str) -> None:
        """Forget ``(owner, name)`` if pending (the owner did the work itself)."""
        piece = self._pending.get((id(owner), name))
        if piece is not None and piece.owner() is owner:
            del self._pending[(id(owner), name)]

    def finish(self, owner: QObject, name: str) -> bool:
        """Run what is left of ``(owner, name)`` now, if it is pending, waiting for any
        helper-thread call it waits on; True if it ran. For an owner that needs the
        result at once: the steps already taken are not done again. Asked from within a
        step of that very work, it does nothing (False)."""
        key = (id(owner), name)
        piece = self._pending.get(key)
        if piece is None or piece.owner() is not owner or key in self._stepping:
            return False
        from concurrent.futures import wait

        while self._pending.get(key) is piece:
            if piece.waiting is not None:
                wait((piece.waiting,))
            self._step(key, piece)
        return True

    def hurry(self, owner: QObject, name: str, urgency: Urgency) -> bool:
        """Run ``(owner, name)`` at ``urgency`` if that is more urgent than its own, the
        steps it has taken kept; True if it is pending."""
        piece = self._pending.get((id(owner), name))
        if piece is None or piece.owner() is not owner:
            return False
        piece.urgency = min(piece.urgency, urgency)
        self._timer.start()
        return True

    def is_pending(self, owner: QObject, name: str) -> bool:
        """Whether ``(owner, name)`` waits to run (or to run its next step)."""
        piece = self._pending.get((id(owner), name))
        return piece is not None and piece.owner() is owner

    def __len__(self) -> int:
        return len(self._pending)

    def off_thread(self, call: Callable[..., T], *args: Any) -> Future[T]:
        """``call(*args)`` on this queue's helper thread: for a long call that lets go of
        the interpreter (Arrow's sorts), yielded by stepped work to wait for it."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explorer-idle")
            self.destroyed.connect(lambda *_, pool=self._pool: pool.shutdown(wait=False))
        future = self._pool.submit(call, *args)
        done = self._future_done
        future.add_done_callback(lambda _f: _emit_if_alive(done))
        return future

    def _runnable(self) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for key, piece in self._pending.items():
            if piece.waiting is not None and not piece.waiting.done():
                continue
            if best is None or piece.urgency < self._pending[best].urgency:
                best = key
        return best

    def _run_next(self) -> None:
        while (key := self._runnable()) is not None:
            piece = self._pending[key]
            owner = piece.owner()
            if owner is None or not Shiboken.isValid(owner):
                del self._pending[key]  # its view is gone: nothing to update
                continue
            try:
                self._step(key, piece)
            finally:
                if self._runnable() is not None:
                    self._timer.start()
            return

    def _step(self, key: tuple[int, str], piece: _Piece) -> None:
        """Run one step of ``piece``; forget it when it is done or fails, unless it was
        asked for again during the step."""
        piece.waiting = None
        version = piece.version
        self._stepping.add(key)
        try:
            if piece.steps is None:
                out = piece.work()
                if not isinstance(out, Generator):
                    self._forget(key, piece, version)
                    return
                if piece.version != version:
                    return  # asked for again while starting: start the new work
                piece.steps = out
            step = next(piece.steps)
        except StopIteration:
            self._forget(key, piece, version)
            return
        except BaseException:
            self._forget(key, piece, version)
            raise
        finally:
            self._stepping.discard(key)
        if piece.version == version:
            piece.waiting = step

    def _forget(self, key: tuple[int, str], piece: _Piece, version: int) -> None:
        if self._pending.get(key) is piece and piece.version == version:
            del self._pending[key]


def _emit_if_alive(signal: Any) -> None:
    try:
        signal.emit()
    except RuntimeError:  # the queue was deleted while the call ran
        pass


__all__ = ["IdleQueue", "Step", "Steps", "Urgency", "run_steps"]
