"""Composition root: builds the application, the main window and its collaborators."""

from __future__ import annotations

import sys
from pathlib import Path

from explorer import DEMO_SITES
from explorer.web.engine import environment_problem, make_application


def run_gui(argv: list[str]) -> int:
    """Open the main window on ``argv[0]`` (a project or sites file) or the demo."""
    import argparse

    parser = argparse.ArgumentParser(prog="explorer", description="Compute Site Explorer")
    parser.add_argument("file", nargs="?", help="project (.gpkg) or sites file to open")
    args = parser.parse_args(argv)
    problem = environment_problem()
    if problem is not None:
        print(f"explorer: error: {problem}", file=sys.stderr)
        return 2
    app = make_application([])
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    target = Path(args.file) if args.file else DEMO_SITES
    # The window shows first; the file is read off the UI thread, with progress and
    # Cancel in the status bar, and the map draws its sites when the read is done.
    window.show()
    window.open_path(target, interactive=True, background=True)
    return int(app.exec())
