"""Export work off the UI thread: writing the offline HTML map, the data files and the
report's PDF, and preparing the sites a map snapshot reads.

At 100,000 sites building every site (0.6 s) and writing the file (1.7-3.0 s) would stop
the window for seconds; :class:`WorkJob` runs one prepared piece of work on a worker
thread and says how it ended. The work takes only values captured on the UI thread
before the job starts; the writers are atomic (a failure leaves any earlier file as it
was).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from explorer.ui.worker_job import WorkerJob


class WorkJob(WorkerJob):
    """Run ``write`` once on a worker thread.

    Signals
    -------
    succeeded()
        The file is written (reaches the UI thread queued).
    failed(object)
        The exception that stopped the write.
    """

    succeeded = Signal()
    failed = Signal(object)

    def __init__(self, write: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._write = write
        self._cancelled = False

    def cancel(self) -> None:
        """Mark the result unwanted: the work runs to its end (it cannot be cut short)
        and whoever listens ignores what it signals (:attr:`is_cancelled`)."""
        self._cancelled = True

    @property
    def is_cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled

    def start(self) -> None:
        """Start writing (once)."""
        self._start_thread("export-work", "the export")

    def _run(self) -> None:
        from explorer.io.bulk import paused_gc

        try:
            # The collector paused while the sites are built and written: each full
            # collection would walk every object of 100,000 fresh sites holding the
            # interpreter (the window stopped for 1-3 s in one piece); what a writer
            # makes holds no cycles and is freed by reference counting.
            with paused_gc():
                self._write()
        except Exception as exc:  # said in the dialog; the file is not replaced
            self.failed.emit(exc)
            return
        self.succeeded.emit()


__all__ = ["WorkJob"]
