"""Composition root: builds the application, the main window and its collaborators."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from explorer import DEMO_SITES

ORG = "ComputeSiteExplorer"
APP = "Compute Site Explorer"


def configure_environment() -> None:
    """Environment Chromium needs before QtWebEngine loads (no network noise)."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    for flag in ("--disable-background-networking", "--disable-component-update"):
        if flag not in flags:
            flags = f"{flags} {flag}".strip()
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags


def make_application(argv: list[str] | None = None):  # noqa: ANN201 - QApplication
    """Create (or return) the QApplication with the attributes QtWebEngine requires."""
    configure_environment()
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        from explorer.web.view import prepare_application

        prepare_application()
        app = QApplication([sys.argv[0], *(argv or [])])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    return app


def run_gui(argv: list[str]) -> int:
    """Open the main window on ``argv[0]`` (a project or sites file) or the demo."""
    import argparse

    parser = argparse.ArgumentParser(prog="explorer", description="Compute Site Explorer")
    parser.add_argument("file", nargs="?", help="project (.gpkg) or sites file to open")
    args = parser.parse_args(argv)
    app = make_application([])
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    target = Path(args.file) if args.file else DEMO_SITES
    window.open_path(target, interactive=True)
    window.show()
    return int(app.exec())
