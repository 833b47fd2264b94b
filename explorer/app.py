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


def environment_problem() -> str | None:
    """Why Qt or Chromium would abort here without a readable message, with the fix.

    ``None`` when the map engine can start: there is a display (or
    ``QT_QPA_PLATFORM`` names one such as ``offscreen``) and, as root, Chromium's
    sandbox has been turned off explicitly.
    """
    env = os.environ
    if (
        sys.platform.startswith("linux")
        and not env.get("QT_QPA_PLATFORM")
        and not env.get("DISPLAY")
        and not env.get("WAYLAND_DISPLAY")
    ):
        return "no display to render the map on; for headless use set QT_QPA_PLATFORM=offscreen"
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and not env.get("QTWEBENGINE_DISABLE_SANDBOX")
        and "--no-sandbox" not in flags
    ):
        return (
            "the map engine (Chromium) does not run as root with its sandbox; run as a "
            "normal user, or set QTWEBENGINE_DISABLE_SANDBOX=1 where that is acceptable"
        )
    return None


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
    problem = environment_problem()
    if problem is not None:
        print(f"explorer: error: {problem}", file=sys.stderr)
        return 2
    app = make_application([])
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    target = Path(args.file) if args.file else DEMO_SITES
    window.open_path(target, interactive=True)
    window.show()
    return int(app.exec())
