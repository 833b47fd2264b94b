"""File -> Open from the window with many sites: when the file is open and its markers
drawn, how long the window stops answering, and memory.

Each run is a fresh process that shows the main window with nothing open, waits until it
has settled (its event loop turned every 10 ms for half a second), then opens a file as
File -> Open does (read off the UI thread, with progress and Cancel) and watches until
4 s after the markers are drawn (what the window builds once the file is shown counts
too). *Opened* and *drawn* are seconds from the open; the two longest freezes are the
largest gaps of a 10 ms timer on the UI thread over that time, less its interval; peak
memory is the process's (``ru_maxrss``; Chromium's processes not included).

Files: 10^5 synthetic sites in GeoJSON written by the app's own writer
(:func:`map_scale.write_synthetic`, 60 MB) and, with ``--million``, 10^6 flat sites in
GeoParquet written by geopandas (:func:`load.make_data`, 30 MB). ``--tree DIR`` runs
another checkout (e.g. the code before a change) in the same rounds; the order within a
round turns from round to round.

Run headless (as root, Chromium also needs its sandbox turned off)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/open_scale.py [--repeat 5] [--million]
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
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
RESULT = "OPEN-SCALE-RESULT "
#: Seconds watched after the markers are drawn.
AFTER = 4.0


def child(path: str, out_dir: str) -> dict[str, float]:
    """Open ``path`` from a shown, settled, empty window: times, freezes, memory."""
    import resource

    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from explorer.web.engine import make_application

    make_application([])
    from explorer.ui.main_window import MainWindow

    settings = QSettings(str(Path(out_dir) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1500, 950)
    window.show()
    beat, ticks = settled_heartbeat()

    stamps: dict[str, float] = {}
    errors: list[str] = []
    done = QEventLoop()

    def drawn() -> None:
        stamps["drawn"] = time.perf_counter()
        QTimer.singleShot(int(AFTER * 1000), done.quit)

    def opened(*_: Any) -> None:
        stamps["opened"] = time.perf_counter()
        window.map.call_when_rendered(drawn, fresh_frame=False)

    window.projectOpened.connect(opened)
    ticks.clear()
    t0 = time.perf_counter()
    ticks.append(t0)
    if not window.open_path(Path(path), interactive=False, background=True):
        raise SystemExit(f"could not open {path}: {window.last_error}")
    job = window.load_job
    assert job is not None
    job.failed.connect(lambda exc: (errors.append(str(exc)), done.quit()))
    QTimer.singleShot(600_000, done.quit)
    done.exec()
    beat.stop()
    if errors or "drawn" not in stamps:
        raise SystemExit(f"open failed: {errors or 'not drawn in time'}")
    gaps = sorted((b - a for a, b in zip(ticks, ticks[1:], strict=False)), reverse=True)
    freezes = [max(0.0, g - 0.010) for g in gaps[:2]] + [0.0, 0.0]
    return {
        "opened": stamps["opened"] - t0,
        "drawn": stamps["drawn"] - t0,
        "freeze": freezes[0],
        "freeze2": freezes[1],
        "sites": float(len(window.session.sites)),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def launch(tree: Path, path: Path, cache: Path) -> dict[str, float]:
    return run_child(
        __file__,
        [str(path)],
        tree,
        result=RESULT,
        what=f"opening {path.name}",
        cache=cache / tree.name,
        timeout=900,
    )


def _span(values: list[float], digits: int = 2) -> str:
    """Median, and the range when the runs differ."""
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    if round(lo, digits) == round(hi, digits):
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    parser = window_parser(
        __doc__.split("\n\n")[0], repeat_help="runs of each file (medians)", child_nargs=2
    )
    parser.add_argument(
        "--million", action="store_true", help="also 10^6 GeoParquet sites (2.5 GB per run)"
    )
    args = parser.parse_args(argv)
    if args.child:
        print(RESULT + json.dumps(child(*args.child)), flush=True)
        return 0
    files = [("100,000 sites, GeoJSON", synthetic_file(args.data, 100_000))]
    if args.million:
        from load import make_data

        load_data = Path(tempfile.gettempdir()) / "explorer-bench-load"
        load_data.mkdir(parents=True, exist_ok=True)
        files.append(("1,000,000 sites, GeoParquet", make_data(load_data, 1_000_000)[".parquet"]))
    trees = [ROOT, *args.tree]
    cache = prepared_checkouts(trees, "open-scale-cache-")  # map pages, per checkout
    load = os.getloadavg()
    print(f"\n### File -> Open from the window (medians of {args.repeat}, range in brackets)\n")
    print(f"Load average before: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print(
        "| file | code | opened (s) | markers drawn (s) | longest freeze (s) "
        "| next longest (s) | peak memory (MB) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, path in files:
        runs: dict[Path, list[dict[str, float]]] = {t: [] for t in trees}
        for r in range(args.repeat):
            shift = r % len(trees)
            for tree in trees[shift:] + trees[:shift]:
                runs[tree].append(launch(tree, path, cache))
        for tree in trees:
            mine = runs[tree]
            cells = [
                _span([m["opened"] for m in mine]),
                _span([m["drawn"] for m in mine]),
                _span([m["freeze"] for m in mine]),
                _span([m["freeze2"] for m in mine]),
                _span([m["peak_mb"] for m in mine], 0),
            ]
            code = "this" if tree == ROOT else str(tree)
            print(f"| {label} | {code} | " + " | ".join(cells) + " |", flush=True)
    load = os.getloadavg()
    print(f"\nLoad average after: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
