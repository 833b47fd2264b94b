"""Opening a file off the UI thread: a job with progress and Cancel, and its status-bar
widget.

:class:`LoadJob` reads the file with :meth:`Session.read
<explorer.session.session.Session.read>` on a worker thread (reading, checking and
building the sites touch no state of the session) and hands the result back on the UI
thread, where the window loads it in one step. Cancel stops the read at its next
progress report; the session, the undo stack and every view are untouched because
nothing was handed over.

:class:`LoadProgress` is the progress bar, the stage and the Cancel button shown in the
window's status bar while a job runs.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from explorer.io.progress import LoadCancelled
from explorer.io.site_columns import SiteColumns
from explorer.ui.worker_job import WorkerJob
from explorer.web.reset_ahead import PreparedReset, prepare_reset

if TYPE_CHECKING:
    from explorer.session.session import Session

log = logging.getLogger(__name__)


class LoadJob(WorkerJob):
    """Read one file on a worker thread.

    Parameters
    ----------
    session : Session
        Reads against its catalogue (:meth:`Session.read`); never changed here.
    path : Path
    layer : str, optional
        The GeoPackage point layer to read.
    parent : QObject, optional

    Signals
    -------
    progressed(int, str)
        Percent done and the stage, on the UI thread.
    succeeded(object)
        The :class:`~explorer.session.session.ReadFile`: sites read, totals prepared;
        the map's reset message for them is then in :attr:`map_reset`.
    failed(object)
        The exception that stopped the read (``DataFileError``, ``ValidationError``,
        ``OSError``...).
    cancelled()
        The read stopped because :meth:`cancel` was called.
    """

    progressed = Signal(int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(
        self,
        session: Session,
        path: Path,
        *,
        layer: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.path = Path(path)
        self.layer = layer
        #: The map's reset message for what was read, built on the worker after the read
        #: (:func:`~explorer.web.reset_ahead.prepare_reset`); set before ``succeeded``.
        self.map_reset: PreparedReset | None = None
        self._cancel = threading.Event()
        self._last = -1

    def start(self) -> None:
        """Start reading (once)."""
        self._start_thread("explorer-load", f"load of {self.path}")

    def cancel(self) -> None:
        """Stop the read at its next progress report (nothing is loaded)."""
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    # ------------------------------------------------------------------ worker thread
    def _progress(self, fraction: float, stage: str) -> None:
        if self._cancel.is_set():
            raise LoadCancelled(str(self.path))
        percent = int(fraction * 100)
        if percent > self._last:  # the bar only moves forward
            # Signals emitted here reach the UI thread queued.
            self._last = percent
            self._emit("progressed", percent, stage)

    def _run(self) -> None:
        result: Any
        try:
            result = self.session.read(self.path, layer=self.layer, progress=self._progress)
            self.map_reset = self._map_reset(result)
            self._warm_names(result)
            if self._cancel.is_set():
                raise LoadCancelled(str(self.path))
        except LoadCancelled:
            self._emit("cancelled")
            return
        except Exception as exc:  # every failure is shown to the user, none is lost
            self._emit("failed", exc)
            return
        self._emit("succeeded", result)

    def _map_reset(self, result: Any) -> PreparedReset | None:
        """The map's reset message for ``result``, or None if building it here failed:
        the map then builds it on the UI thread, as for any reset (a file that was
        read is never refused for this)."""
        try:
            return prepare_reset(result, self.session.catalogue)
        except Exception:  # noqa: BLE001 - logged; the UI thread builds it instead
            log.exception("could not build the map's reset for %s on the worker", self.path)
            return None

    @staticmethod
    def _warm_names(result: Any) -> None:
        """Each site's name by id, built here rather than by the site pickers on the UI
        thread when the file is loaded (see ``SiteColumns.names_by_id``)."""
        table = getattr(getattr(result, "prepared", None), "sites", None)
        if isinstance(table, SiteColumns):
            table.names_by_id()

    def _emit(self, name: str, *args: Any) -> None:
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:
            # The window (and this job with it) was closed while the file was read:
            # there is nobody left to tell, and nothing was loaded.
            self._cancel.set()
            if name == "progressed":
                raise LoadCancelled(str(self.path)) from None


class LoadProgress(QWidget):
    """Stage, progress bar and Cancel for the running load (status bar widget).

    Attributes
    ----------
    label : QLabel
    bar : QProgressBar
    cancel_button : QPushButton
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("load_progress")
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("load_cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._job: LoadJob | None = None
        self.hide()

    def follow(self, job: LoadJob) -> None:
        """Show ``job``'s progress until it ends; Cancel cancels it."""
        if self._job is not None:
            self.end(self._job)  # a new load replaces the one shown
        self._job = job
        self.label.setText(f"Opening {job.path.name}…")
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        job.progressed.connect(lambda percent, stage: self._on_progressed(job, percent, stage))
        for sig in (job.succeeded, job.failed, job.cancelled):
            sig.connect(lambda *_: self.end(job))
        self.cancel_button.clicked.connect(self._on_cancel)
        self.show()

    def _on_progressed(self, job: LoadJob, percent: int, stage: str) -> None:
        if self._job is not job:
            return  # a report from a job already replaced or ended
        self.bar.setValue(percent)
        self.label.setText(f"Opening {job.path.name}: {stage}")

    def _on_cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(f"Cancelling {self._job.path.name}…")

    def end(self, job: LoadJob) -> None:
        """Stop showing ``job`` (its end reached the UI thread); another job's progress
        stays. The window calls this before it acts on the job's result, so nothing it
        announces can be seen with the bar still up; the job's own signals call it too
        (for a window that does not)."""
        if self._job is not job:
            return
        self.cancel_button.clicked.disconnect(self._on_cancel)
        self._job = None
        self.hide()


__all__ = ["LoadJob", "LoadProgress"]
