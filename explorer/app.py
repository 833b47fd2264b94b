"""Composition root: builds the application, the main window and its collaborators."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from explorer import DEMO_SITES
from explorer.io.database.url import is_database_url
from explorer.web.engine import environment_problem, make_application

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow


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
    # The window's modules (numpy, shapely, the session: about 0.2 s) import on a helper
    # thread from here, while this thread makes the map view (Chromium then loads the
    # page in its own processes).
    window_modules = ImportAhead("explorer.ui.main_window")
    from explorer.web.view import MapView

    map_view = MapView()
    # Chromium's browser side runs on this thread: the page's file requests and scripts
    # wait for its event loop, so the loop turns until the import is done.
    window_modules.wait_serving_events()
    from explorer.ui.main_window import MainWindow

    window = MainWindow(map_view=map_view)
    # The window shows first; a file is read off the UI thread, with progress and Cancel
    # in the status bar, and the map draws its sites when the read is done.
    window.show()
    open_target(window, args.file, interactive=True, background=True)
    return int(app.exec())


class ImportAhead:
    """Import a module on a helper thread from construction; :meth:`wait_serving_events`
    turns this thread's event loop until it is done. A failed import is left to the
    caller's own import, which raises it again."""

    def __init__(self, module: str) -> None:
        import threading

        from PySide6.QtCore import QEventLoop

        self._loop = QEventLoop()
        self._done = threading.Event()
        self._helper = threading.Thread(
            target=self._work, args=(module,), name="import " + module, daemon=True
        )
        self._helper.start()

    def _work(self, module: str) -> None:
        import importlib

        from PySide6.QtCore import QMetaObject, Qt

        try:
            importlib.import_module(module)
        except BaseException:  # raised again by the caller's own import
            pass
        finally:
            self._done.set()
            # Queued: runs on the loop's thread while it turns. The flag is set before
            # the post, so a waiter either sees the flag or is woken by the post.
            QMetaObject.invokeMethod(self._loop, "quit", Qt.ConnectionType.QueuedConnection)

    def wait_serving_events(self) -> None:
        """Back when the import is done; this thread's events are served meanwhile."""
        if not self._done.is_set():
            self._loop.exec()
        self._helper.join()
