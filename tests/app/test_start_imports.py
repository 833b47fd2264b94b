"""What starting the window costs in imports (issue 10, cold start).

The start path must not import what only other features need: folium (with pandas,
jinja2 and branca under it) builds the map page only when the page is not cached,
geopandas/pyogrio read other formats, pyproj measures circles, pyarrow (and the pandas
it imports) checks large files in columns. Each probe runs in a fresh interpreter, as
``explorer`` starts, and lists the heavy modules it ended with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROBE = r"""
import json, sys
from pathlib import Path

import pytest
import explorer.app  # the composition root, as `explorer` imports it
from explorer import DEMO_SITES
from explorer.web.engine import make_application

app = make_application([])
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from explorer.ui.main_window import MainWindow

HEAVY = ("folium", "jinja2", "branca", "pandas", "pyarrow", "geopandas", "pyogrio", "pyproj")
heavy = lambda: sorted(m for m in HEAVY if m in sys.modules)
window = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
loop = QEventLoop()
QTimer.singleShot(60_000, loop.quit)
window.map.ready.connect(loop.quit)
if not window.map.bridge.is_page_ready:
    loop.exec()
report = {"ready": window.map.bridge.is_page_ready, "window": heavy()}
opened = window.open_path(DEMO_SITES, interactive=False)
report["demo"] = heavy() if opened and len(window.session.sites) > 0 else ["(not opened)"]
print(json.dumps(report), flush=True)
"""


def _probe(code: str, tmp_path: Path, cache: Path, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (its page cache and settings under
    ``tmp_path``); the JSON object it printed last."""
    env = dict(os.environ)
    env["EXPLORER_CACHE_DIR"] = str(cache)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"the start probe failed ({out.returncode}):\n{out.stderr[-3000:]}"
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def _start(tmp_path: Path, cache: Path) -> dict[str, Any]:
    return _probe(PROBE, tmp_path, cache, str(tmp_path / "settings.ini"))


def test_a_start_with_the_page_cached_imports_no_folium_pandas_or_geopandas(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    # First start after an install: the page is built, so folium is imported (this is
    # what the second start is compared with: the probe does see folium when it loads).
    first = _start(tmp_path, cache)
    assert first["ready"] is True
    assert "folium" in first["window"]  # type: ignore[operator]
    assert list((cache / "map-page").glob("*.html")), "the built page was not kept"

    second = _start(tmp_path, cache)
    assert second["ready"] is True
    assert second["window"] == []
    # Reading the demo (GeoJSON, 41 sites) needs no geopandas, pyogrio, folium or pyproj
    # either, nor pyarrow and the pandas it brings: a small file is checked record by
    # record (explorer.io.record_check).
    assert second["demo"] == [], f"reading the demo imported {second['demo']}"


GUI_PROBE = r"""
import json, sys, threading
import explorer.app
from explorer.web import view

report = {}
made = view.MapView.__init__

def init(self, *args, **kwargs):
    report["view_thread"] = threading.current_thread().name
    made(self, *args, **kwargs)

view.MapView.__init__ = init


class Watch:
    # Where the window's module is imported: a finder asked first, answering nothing.
    def find_spec(self, name, path=None, target=None):
        if name == "explorer.ui.main_window":
            report.setdefault("window_import_thread", threading.current_thread().name)
        return None


sys.meta_path.insert(0, Watch())
opened = explorer.app.open_target

def open_target(window, *args, **kwargs):
    from PySide6.QtWidgets import QApplication

    def drawn():
        report["sites"] = len(window.session.sites)
        report["ready"] = window.map.bridge.is_page_ready
        QApplication.instance().exit(0)

    window.projectOpened.connect(lambda *_: window.map.call_when_rendered(drawn))
    return opened(window, *args, **kwargs)

explorer.app.open_target = open_target
status = explorer.app.run_gui([])
print(json.dumps({**report, "status": status}), flush=True)
"""


def test_the_window_s_modules_import_on_a_helper_thread_while_the_map_view_is_made(
    tmp_path: Path,
) -> None:
    # `explorer` as a user starts it (run_gui, the demo): the window's modules are
    # imported on a helper thread while this one makes the map view and serves the
    # page, and the demo's markers are then drawn.
    report = _probe(GUI_PROBE, tmp_path, tmp_path / "cache")
    assert report["view_thread"] == "MainThread"
    assert report["window_import_thread"] == "import explorer.ui.main_window"
    assert report["ready"] is True
    assert report["sites"] == 41 and report["status"] == 0


def test_a_module_imported_while_serving_events_is_imported_and_a_bad_one_raises_later(
    qapp: object,
) -> None:
    from explorer.app import ImportAhead

    sys.modules.pop("tests.app.start_probe_target", None)
    ImportAhead("tests.app.start_probe_target").wait_serving_events()
    assert "tests.app.start_probe_target" in sys.modules
    ImportAhead("tests.app.no_such_module").wait_serving_events()  # back, not raised
    # Done before the wait: the flag is seen and the loop is not entered.
    done = ImportAhead("tests.app.start_probe_target")
    done._helper.join()
    done.wait_serving_events()
    with pytest.raises(ModuleNotFoundError):
        __import__("tests.app.no_such_module")


SCAN_PROBE = r"""
import inspect, json, sys

if sys.argv[1] == "app":
    from explorer.web.engine import make_application

    app = make_application([])
else:  # PySide6 as it comes: the comparison that shows the probe sees the scan
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
read = []
source = inspect.getsource

def counted(obj):
    read.append(getattr(obj, "__name__", "?"))
    return source(obj)

inspect.getsource = counted
import explorer.ui.main_window

defaults = sys.modules["__feature__"].pyside_feature_dict
names = ("explorer.ui.site_panel", "explorer.geo.regions", "numpy")
print(json.dumps({"read": len(read), "defaults": [defaults.get(n) for n in names]}), flush=True)
"""


def test_pyside_reads_no_module_source_after_the_application_is_made(tmp_path: Path) -> None:
    # PySide6 reads every imported module's source to default its __feature__ selection
    # (0 if the text names PySide6, else -1); the application selects no feature, so
    # make_application has every module default to 0 without reading a source.
    plain = _probe(SCAN_PROBE, tmp_path, tmp_path / "cache", "plain")
    assert plain["read"] > 100
    assert plain["defaults"] == [0, -1, -1]
    app = _probe(SCAN_PROBE, tmp_path, tmp_path / "cache", "app")
    assert app["read"] == 0
    assert app["defaults"] == [0, 0, 0]


ENTRY_PROBE = r"""
import json, sys
import explorer.app
from explorer.__main__ import main

explorer.app.run_gui = lambda argv: 0  # the window itself is not the question here
status = main(sys.argv[1:])
heavy = ("explorer.cli", "argparse", "subprocess", "ctypes.util", "PySide6")
print(json.dumps({"status": status, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_opening_the_window_imports_no_command_code_before_qt(tmp_path: Path) -> None:
    # `explorer FILE` decides it is not a command from the names alone; the X11 check's
    # tools (subprocess, ctypes.util) are imported only when the check runs.
    window = _probe(ENTRY_PROBE, tmp_path, tmp_path / "cache", "sites.geojson")
    assert window == {"status": 0, "loaded": []}
    command = _probe(ENTRY_PROBE, tmp_path, tmp_path / "cache", "--version")
    assert command["status"] == 0 and "explorer.cli" in command["loaded"]
