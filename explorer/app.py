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
    # The map first: Chromium starts and loads the page in its own processes while this
    # one imports and builds the rest of the window.
    from explorer.web.view import MapView

    map_view = MapView()
    # Chromium's browser side runs on this thread: while it imports the window's modules
    # (numpy, shapely, pyarrow, the session: about 0.2 s) the page's file requests and
    # script wait. They are imported on a helper thread while this one serves the page.
    _import_serving_events("explorer.ui.main_window")
    from explorer.ui.main_window import MainWindow

    window = MainWindow(map_view=map_view)
    # The window shows first; a file is read off the UI thread, with progress and Cancel
    # in the status bar, and the map draws its sites when the read is done.
    window.show()
    open_target(window, args.file, interactive=True, background=True)
    return int(app.exec())


def _import_serving_events(module: str) -> None:
    """Import ``module`` on a helper thread while this thread's event loop turns; back
    when the import is done. A failed import is left to the caller's own import, which
    raises it again."""
    import importlib
    import threading

    from PySide6.QtCore import QEventLoop, QMetaObject, Qt

    loop = QEventLoop()

    def work() -> None:
        try:
            importlib.import_module(module)
        except BaseException:  # raised again by the caller's own import
            pass
        finally:
            # Queued: runs on this thread once its loop is turning (never before exec).
            QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)

    helper = threading.Thread(target=work, name="import " + module, daemon=True)
    helper.start()
    loop.exec()
    helper.join()
