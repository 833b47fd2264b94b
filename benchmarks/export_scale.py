"""File -> Export from the window at 100,000 sites: how long each kind takes, and how
long the window stops answering meanwhile.

Each run is a fresh process that opens the synthetic file in the main window (the app's
own writer made it: :func:`map_scale.write_synthetic`), waits until the window has
settled (its event loop turned every 10 ms for half a second), then clicks Export in the
export dialog and waits for the file. *Longest freeze* is the largest gap of a 10 ms
timer on the UI thread from the click to the file written, less its interval; *total* is
the click to the file. Kinds: the snapshot (A4, 150 dpi, fitted to the current view),
the PDF report, the offline HTML map, the sites as GeoJSON, CSV and GeoPackage.

``--tree DIR`` runs another checkout (e.g. the code before a change) in the same
rounds, the two in turn.

Run headless (as root, Chromium also needs its sandbox turned off)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/export_scale.py [--sites 100000] [--repeat 3]
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from window_runs import (
    prepared_checkouts,
    run_child,
    settled_heartbeat,
    synthetic_file,
    window_parser,
)

ROOT = Path(__file__).resolve().parents[1]
RESULT = "EXPORT-SCALE-RESULT "
#: (kind in the dialog, file suffix, label)
KINDS = (
    ("snapshot", ".png", "snapshot (PNG)"),
    ("report", ".pdf", "report (PDF)"),
    ("html", ".html", "offline HTML map"),
    ("sites", ".geojson", "sites, GeoJSON"),
    ("sites", ".csv", "sites, CSV"),
    ("sites", ".gpkg", "sites, GeoPackage"),
)


def child(path: str, kind: str, suffix: str, out_dir: str) -> dict[str, float]:
    """Open ``path`` in the window, export one ``kind``: total and longest freeze."""
    from PySide6.QtCore import QEventLoop, QSettings

    from explorer.web.engine import make_application

    app = make_application([])
    from explorer.ui.main_window import MainWindow

    settings = QSettings(str(Path(out_dir) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    if not window.open_path(Path(path), interactive=False):
        raise SystemExit(f"could not open {path}: {window.last_error}")
    beat, ticks = settled_heartbeat()

    dialog = window.make_export_dialog()
    dialog.show()
    dialog.set_kind(kind)
    if kind == "sites":
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(suffix))
    target = Path(out_dir) / f"export{suffix}"
    dialog.set_output_path(target)
    done = QEventLoop()
    errors: list[str] = []
    dialog.finished_export.connect(lambda *_: done.quit())
    dialog.failed.connect(lambda message: (errors.append(message), done.quit()))
    ticks.clear()
    t0 = time.perf_counter()
    ticks.append(t0)
    dialog.export()
    if dialog.is_busy:
        done.exec()
    t1 = time.perf_counter()
    ticks.append(t1)
    beat.stop()
    if errors or not target.exists():
        raise SystemExit(f"export failed: {errors}")
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    app.processEvents()
    return {"total": t1 - t0, "freeze": max(0.0, max(gaps) - 0.010)}


def launch(tree: Path, path: Path, kind: str, suffix: str, cache: Path) -> dict[str, float]:
    return run_child(
        __file__,
        [str(path), kind, suffix],
        tree,
        result=RESULT,
        what=f"{kind}{suffix}",
        cache=cache / tree.name,
    )


def main(argv: list[str] | None = None) -> int:
    parser = window_parser(
        __doc__.split("\n\n")[0], repeat_help="runs of each kind (medians)", child_nargs=4
    )
    parser.add_argument("--sites", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.child:
        print(RESULT + json.dumps(child(*args.child)), flush=True)
        return 0
    path = synthetic_file(args.data, args.sites)
    trees = [ROOT, *args.tree]
    cache = prepared_checkouts(trees, "export-scale-cache-")  # map pages, per checkout
    load = os.getloadavg()
    print(f"\n### Export from the window, {args.sites:,} sites (medians of {args.repeat})\n")
    print(f"Load average before: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    head = "| export | " + " | ".join(
        f"{'this' if t == ROOT else t}: total / longest freeze (s)" for t in trees
    )
    print(head + " |")
    print("|---|" + "---:|" * len(trees))
    for kind, suffix, label in KINDS:
        runs: dict[Path, list[dict[str, Any]]] = {t: [] for t in trees}
        for _ in range(args.repeat):
            for tree in trees:
                runs[tree].append(launch(tree, path, kind, suffix, cache))
        cells = []
        for tree in trees:
            total = statistics.median(r["total"] for r in runs[tree])
            freeze = statistics.median(r["freeze"] for r in runs[tree])
            cells.append(f"{total:.2f} / {freeze:.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    load = os.getloadavg()
    print(f"\nLoad average after: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
