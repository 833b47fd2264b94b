"""Take the README screenshot from the real application window.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [OUT.png]``
(as root, Chromium also needs ``QTWEBENGINE_DISABLE_SANDBOX=1``). The window opens
on the demo data, imports the regions of ``docs/example_regions.geojson`` (as
Regions → Import does), selects Nyocor's site and saves a grab of the whole window
once the map has drawn it all (the page's "rendered" signal, no fixed delay).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

from explorer import DEMO_SITES
from explorer.web.engine import make_application

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    app = make_application([])
    from explorer.ui.main_window import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.open_path(DEMO_SITES, interactive=False)
    window.region_panel.import_regions(ROOT / "docs" / "example_regions.geojson")
    window.resize(1500, 950)
    window.show()
    result = {"code": 1}

    def grab() -> None:
        window.grab().save(str(out))
        print(f"saved {out}")
        result["code"] = 0
        app.quit()

    def on_ready() -> None:
        window.selection.set("xj-changji-nyocor")
        window.map.call_when_rendered(grab)

    window.map.ready.connect(on_ready)
    QTimer.singleShot(60_000, app.quit)  # a safety net only: the grab waits for a signal
    app.exec()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
