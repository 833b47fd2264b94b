"""Suite-wide test set-up: headless Qt, isolated settings, warnings as errors.

The environment variables must be set before any Qt module is imported, which is
why they live here at the top of the root conftest.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Chromium refuses to run its sandbox as root; only then, and only in tests, turn it off.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
# Built map pages are cached between runs (explorer.web.page_cache): the suite keeps
# them in its own directory, never in the user's cache.
if "EXPLORER_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["EXPLORER_CACHE_DIR"] = tempfile.mkdtemp(prefix="cse-test-cache-")


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001
    """Delete every web page before the interpreter (and the QApplication) goes.

    Chromium requires each QWebEngineProfile to outlive its pages. Widgets that tests
    leave behind would otherwise be destroyed by the garbage collector after the
    application and its profiles, which makes QtWebEngine crash at exit.
    """
    import gc
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Say in one line when the database tests could not run (never a silent pass)."""
    from tests.pg_server import UNAVAILABLE

    if UNAVAILABLE:
        terminalreporter.write_line(
            f"database tests skipped: {UNAVAILABLE[0]} (see README, team mode)", yellow=True
        )
