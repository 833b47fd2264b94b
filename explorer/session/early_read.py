"""A file read that starts before the window exists.

``explorer FILE`` knows its file before anything is on screen. :class:`EarlyRead` reads
it (:func:`~explorer.session.session.read_file`) on its own thread from the moment the
reading code is imported, while the window's modules are still being imported and its
widgets built. The window's first load of that file then adopts the read
(:meth:`EarlyRead.join`) instead of starting another: from then on it reports its
progress to that load, Cancel stops it at its next report, and whatever it raised is
raised again there, so an adopted read looks exactly like one the window started.

Nothing here touches Qt or a session: the read is against a catalogue, which the
window's session must then be given (:meth:`EarlyRead.claim` checks it is the same one).
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from explorer.core.chips import ChipCatalogue
from explorer.io.progress import Progress
from explorer.session.session import ReadFile, read_file


class EarlyRead:
    """Read ``path`` against ``catalogue`` at ``as_of`` on a new thread, started now.

    Parameters
    ----------
    path : Path
    catalogue : ChipCatalogue
        The catalogue the session that loads the result will have.
    as_of : date, optional
        That session's date (its totals' snapshot is prepared for it; a session at
        another date recomputes it when loading).
    """

    def __init__(self, path: Path, catalogue: ChipCatalogue, *, as_of: date | None = None) -> None:
        self.path = Path(path)
        self.catalogue = catalogue
        self.as_of = as_of
        self._lock = threading.Lock()
        self._listener: Progress | None = None
        self._last: tuple[float, str] | None = None
        self._claimed = False
        self._done = threading.Event()
        self._result: ReadFile | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="explorer-early-read", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        """True once the read has ended (read, failed or stopped)."""
        return self._done.is_set()

    def claim(self, path: Path, *, layer: str | None, catalogue: ChipCatalogue) -> bool:
        """True, once, when a load of ``path`` (no layer named) into a session with
        ``catalogue`` may adopt this read; then :meth:`join` it."""
        if self._claimed or layer is not None or catalogue is not self.catalogue:
            return False
        if Path(path) != self.path:
            return False
        self._claimed = True
        return True

    def join(self, progress: Progress | None = None) -> ReadFile:
        """Wait for the read and return what it read; what it raised is raised again.

        ``progress`` hears the read's reports from now on, the latest one first, on the
        reading thread; raising :class:`~explorer.io.progress.LoadCancelled` there stops
        the read at that report (as a read started by the caller would stop).
        """
        with self._lock:
            self._listener = progress
            last = self._last
        if progress is not None and last is not None and not self._done.is_set():
            progress(*last)
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    # ------------------------------------------------------------------ reading thread
    def _report(self, fraction: float, stage: str) -> None:
        with self._lock:
            self._last = (fraction, stage)
            listener = self._listener
        if listener is not None:
            listener(fraction, stage)

    def _run(self) -> None:
        try:
            self._result = read_file(
                self.path, self.catalogue, as_of=self.as_of, progress=self._report
            )
        except BaseException as exc:  # raised again by join, on the thread that adopts it
            self._error = exc
        finally:
            self._done.set()


__all__ = ["EarlyRead"]
