"""Fixtures for end-to-end tests of the main window: the real window, the real page.

These tests use the bundled chip catalogue and demo data, as a user of ``make run``
would see them.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401  - must precede the QApplication
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from explorer import DEMO_SITES  # noqa: E402
from explorer.web.view import prepare_application  # noqa: E402

prepare_application()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a private ini file, never the user's configuration."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings: QSettings) -> Iterator[Callable[..., Any]]:  # noqa: ANN001
    """Build a shown main window on a file and wait until its map has drawn."""
    from explorer.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def build(path: Path | None = DEMO_SITES) -> MainWindow:
        window = MainWindow(settings=settings)
        # pytest-qt closes the window before this fixture's teardown: leftover edits
        # are discarded then (tests of the prompt itself replace this).
        window._ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        qtbot.addWidget(window)
        windows.append(window)
        if path is not None:
            assert window.open_path(path, interactive=False)
        window.resize(1400, 900)
        with qtbot.waitSignal(window.map.ready, timeout=30_000):
            window.show()
        wait_rendered(qtbot, window)
        return window

    yield build
    for window in windows:
        # Whatever a test did, the page never asked the network for anything.
        assert window.map_view.external_requests == []
        assert window.map_view.js_errors == []


def wait_rendered(qtbot, window) -> None:  # noqa: ANN001
    """Wait until everything sent to the page so far is on screen."""
    done: list[bool] = []
    window.map.call_when_rendered(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=15_000)


def js(qtbot, call: Callable[[Callable[[Any], None]], None]) -> Any:  # noqa: ANN001
    """Run an async page query (``MapDriver(view).marker_state(id, cb)`` style) and return
    its value."""
    box: list[Any] = []
    call(box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def cli_totals(sites: Path, regions: Path) -> list[dict[str, Any]]:
    """``explorer totals SITES --regions REGIONS --json`` run as a user would, parsed."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "totals",
            str(sites),
            "--regions",
            str(regions),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(out.stdout)["regions"])
