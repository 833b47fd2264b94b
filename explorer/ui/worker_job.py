"""What a job run on one worker thread shares (:class:`~explorer.ui.load_job.LoadJob`,
:class:`~explorer.ui.save_job.SaveJob`): starting its thread once and waiting for it.

The thread only ever emits the job's signals, which reach the UI thread queued.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject


class WorkerJob(QObject):
    """A job whose work (:meth:`_run`) runs once on its own daemon thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def _start_thread(self, name: str, what: str) -> None:
        """Start :meth:`_run` on a thread called ``name`` (once: a second start raises,
        naming ``what``)."""
        if self._thread is not None:
            raise RuntimeError(f"{what} already started")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:  # pragma: no cover - every job defines its own
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has finished (for shutdown); True when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()


__all__ = ["WorkerJob"]
