"""Composition root: builds the application, the main window and its collaborators."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from explorer import DEMO_SITES
from explorer.io.database.url import is_database_url
from explorer.web.engine import environment_problem, make_application

if TYPE_CHECKING:
    from explorer.session.early_read import EarlyRead
    from explorer.ui.main_window import MainWindow

T = TypeVar("T")


def open_target(
    window: MainWindow,
    target: str | None,
    *,
    interactive: bool = True,
    background: bool = False,
) -> bool:
    """Open what ``explorer TARGET`` names in ``window``: a shared catalogue
    (``postgresql://user@host:port/db``), a project or sites file, or (None) the demo.

    A URL is never turned into a path (that would fold its ``//``). On failure the
    reason is shown (``interactive``) and kept in ``window.last_error``. With
    ``background`` a file is read off the UI thread (True: the load started).
    """
    if target is not None and is_database_url(target):
        return window.open_database(target, interactive=interactive)
    return window.open_path(
        Path(target) if target else DEMO_SITES, interactive=interactive, background=background
    )


def run_gui(argv: list[str]) -> int:
    """Open the main window on ``argv[0]`` (a project or sites file, or a database URL)
    or the demo."""
    import argparse

    parser = argparse.ArgumentParser(prog="explorer", description="Compute Site Explorer")
    parser.add_argument(
        "file",
        nargs="?",
        help="project (.gpkg) or sites file to open, or a shared catalogue "
        "(postgresql://user@host:port/db)",
    )
    args = parser.parse_args(argv)
    problem = environment_problem()
    if problem is not None:
        print(f"explorer: error: {problem}", file=sys.stderr)
        return 2
    app = make_application([])
    # The map first: Chromium starts and loads the page in its own processes while this
    # one imports and builds the rest of the window.
    from explorer.web.view import MapView

    map_view = MapView()
    # Chromium's browser side runs on this thread: while it imports the window's modules
    # (numpy, shapely, pyarrow, the session: about 0.2 s) the page's file requests and
    # script wait. They are imported on a helper thread while this one serves the page,
    # and the file starts being read as soon as the reading code is in.
    early = _serving_events(lambda: _prepare_window(args.file))
    from explorer.ui.main_window import MainWindow

    window = MainWindow(map_view=map_view, catalogue=early.catalogue if early else None)
    # The window shows first; a file is read off the UI thread, with progress and Cancel
    # in the status bar, and the map draws its sites when the read is done.
    window.show()
    if early is not None:
        window.offer_read(early)
    open_target(window, args.file, interactive=True, background=True)
    return int(app.exec())


#: Files up to this size are read while the window is built (see _prepare_window).
EARLY_READ_BYTES = 4 * 2**20


def _prepare_window(target: str | None) -> EarlyRead | None:
    """Start reading the file ``explorer TARGET`` opens on a thread of its own
    (:class:`~explorer.session.early_read.EarlyRead`), then import the window's modules.
    The read's catalogue is the one the window's session must get.

    Only a small file (up to :data:`EARLY_READ_BYTES`; the demo is 40 kB) is read
    early: its sites are then ready when the window shows (0.04-0.07 s sooner on
    screen). A large one is read once the window shows, as any file opened later is:
    reading it alongside the window's construction, both holding the interpreter in
    turn, made the window show 0.2 s later at 100,000 sites and the sites no sooner.
    A shared catalogue is not a file: None.
    """
    early = None
    if target is None or not is_database_url(target):
        path = Path(target) if target else DEMO_SITES
        try:
            small = path.is_file() and path.stat().st_size <= EARLY_READ_BYTES
        except OSError:
            small = False  # the window's own read reports what is wrong
        if small:
            from explorer.core.chips import ChipCatalogue
            from explorer.session.early_read import EarlyRead

            early = EarlyRead(path, ChipCatalogue.bundled())
    import explorer.ui.main_window  # noqa: F401 - imported here, used by run_gui

    return early


def _serving_events(work: Callable[[], T]) -> T:
    """Run ``work`` on a helper thread while this thread's event loop turns; back with
    its result when it is done (what it raised is raised again here)."""
    import threading

    from PySide6.QtCore import QEventLoop, QMetaObject, Qt

    loop = QEventLoop()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # raised again on the caller's thread
            failure.append(exc)
        finally:
            # Queued: runs on this thread once its loop is turning (never before exec).
            QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)

    helper = threading.Thread(target=run, name="explorer-start", daemon=True)
    helper.start()
    loop.exec()
    helper.join()
    if failure:
        raise failure[0]
    return outcome[0]
