"""Benchmark: loading at scale (issue 10).

Sections (all by default; name some to run only those):

``cli``
    ``explorer totals FILE --regions R --json`` end to end, as a whole process, on
    10^5 and 10^6 synthetic sites in GeoJSON, GeoPackage and GeoParquet, side by side
    in the same run with the analyst's route: a Python process that runs geopandas
    ``read_file`` (``read_parquet``) + ``sjoin`` + ``groupby`` on the same files. Both
    print chips per model inside the region, and the script checks they agree.
``inproc``
    The same in one process, without interpreter start-up and imports: our read +
    check + totals snapshot + total, against geopandas read + sjoin + groupby; and what
    building one ``Site`` per row costs on top (the lazy-or-bulk decision).
``table``
    The site table with 100,000 rows: a keystroke in the filter box, a status filter,
    a header click to sort (each until the view has processed it).
``start``
    Process start to main window shown for the demo (``--start-tree DIR`` runs the
    same probe on another checkout too, e.g. the code before this work).

Synthetic sites are seeded, uniform over a box around Xinjiang and Qinghai, in the flat
schema an analyst's export has (``id, name, operator, province, status, chip_model,
chips, confidence``), written once with geopandas into ``--data`` and reused.

Run: ``python benchmarks/load.py`` (``make bench``); ``--sizes 100000`` for a shorter
run. Prints markdown tables; figures are medians of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from bytecode import compile_bytecode

ROOT = Path(__file__).resolve().parents[1]
BOX = (73.0, 32.0, 103.0, 50.0)
MODELS = ("H100", "H200", "H20", "Ascend 910C")
FORMATS = (("GeoJSON", ".geojson"), ("GeoPackage", ".gpkg"), ("GeoParquet", ".parquet"))

ANALYST = r"""
import json, sys
import geopandas as gpd
path, regions_path = sys.argv[1], sys.argv[2]
sites = gpd.read_parquet(path) if path.endswith(".parquet") else gpd.read_file(path)
regions = gpd.read_file(regions_path).rename(columns={"name": "region"})
joined = gpd.sjoin(sites, regions[["region", "geometry"]], predicate="intersects")
by_model = joined.groupby(["region", "chip_model"])["chips"].sum()
print(json.dumps({m: int(v) for (_, m), v in by_model.items()}))
"""


def chosen(formats: list[str]) -> list[tuple[str, str]]:
    """The (name, suffix) of the formats named (all when none is; case-insensitive)."""
    wanted = {f.lower() for f in formats}
    return [(n, e) for n, e in FORMATS if not wanted or n.lower() in wanted]


def polygon_ring() -> list[list[float]]:
    """The 30-vertex non-convex polygon of benchmarks/totals.py (Tarim basin)."""
    t = np.linspace(0.0, 2 * math.pi, 31)[:-1]
    x = 85 + 6 * np.cos(t) * (1 + 0.25 * np.sin(3 * t))
    y = 40 + 4 * np.sin(t)
    ring = np.column_stack([x, y]).tolist()
    return ring + [ring[0]]


def make_data(folder: Path, n: int) -> dict[str, Path]:
    """Seeded synthetic sites in the three formats (written once, then reused).

    Written by a child process: the peak memory of a process the kernel reports
    (``wait4``) includes that of the process it was started from (Linux keeps the
    high-water mark across ``fork`` and ``exec``), so a benchmark that had built a
    million sites would report at least that much for every command it then times.
    """
    paths = {ext: folder / f"sites-{n}{ext}" for _, ext in FORMATS}
    if not all(p.exists() for p in paths.values()):
        subprocess.run(
            [sys.executable, __file__, "--write-data", str(folder), str(n)],
            check=True,
            cwd=ROOT,
        )
    return paths


def write_data(folder: Path, n: int) -> None:
    """:func:`make_data`'s files (in this process)."""
    paths = {ext: folder / f"sites-{n}{ext}" for _, ext in FORMATS}
    import geopandas as gpd
    import pandas as pd

    rng = np.random.default_rng(20251)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "id": [f"site-{i:07d}" for i in range(n)],
                "name": [f"Site {i}" for i in range(n)],
                "operator": rng.choice(["Op A", "Op B", "Op C"], n),
                "province": rng.choice(["Xinjiang", "Qinghai"], n),
                "status": rng.choice(["planned", "under construction", "operational"], n),
                "chip_model": rng.choice(np.array(MODELS), n),
                "chips": rng.integers(1, 4000, n),
                "confidence": "illustrative",
            }
        ),
        geometry=gpd.points_from_xy(rng.uniform(BOX[0], BOX[2], n), rng.uniform(BOX[1], BOX[3], n)),
        crs="EPSG:4326",
    )
    for ext, path in paths.items():
        if path.exists():
            continue
        tmp = path.with_name("tmp-" + path.name)
        if ext == ".parquet":
            frame.to_parquet(tmp)
        else:
            frame.to_file(
                tmp, driver="GeoJSON" if ext == ".geojson" else "GPKG", layer="sites_export"
            )
        tmp.rename(path)


def regions_file(folder: Path) -> Path:
    path = folder / "region.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Tarim"},
                "geometry": {"type": "Polygon", "coordinates": [polygon_ring()]},
            }
        ],
    }
    path.write_text(json.dumps(doc))
    return path


@dataclass(frozen=True)
class Timed:
    """One child process: wall and CPU seconds (user + system, all its threads), peak
    resident memory (MB) and what it printed."""

    wall: float
    cpu: float
    rss_mb: float
    out: str


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Timed:
    """Run ``cmd`` to completion; its wall time, CPU time and peak memory (``wait4``)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.read()[-2000:]}")
        return Timed(dt, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read())


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that runs the code of checkout ``tree`` with this interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    return env


def median_of(repeats: int, fn: Callable[[], tuple[float, Any]]) -> tuple[float, Any]:
    times, last = [], None
    for _ in range(repeats):
        dt, last = fn()
        times.append(dt)
    return statistics.median(times), last


def paired(
    repeats: int, ours: Callable[[], tuple[float, Any]], theirs: Callable[[], tuple[float, Any]]
) -> tuple[float, float, float, Any, Any]:
    """Run the two in turn (A B A B ...): median times and the median of the pairwise
    ratios theirs/ours, which holds when a shared machine's speed drifts."""
    t_ours, t_theirs, ratios = [], [], []
    out_ours = out_theirs = None
    for _ in range(repeats):
        a, out_ours = ours()
        b, out_theirs = theirs()
        t_ours.append(a)
        t_theirs.append(b)
        ratios.append(b / a)
    return (
        statistics.median(t_ours),
        statistics.median(t_theirs),
        statistics.median(ratios),
        out_ours,
        out_theirs,
    )


# --------------------------------------------------------------------------- cli


def bench_cli(
    folder: Path, sizes: list[int], repeats: int, trees: list[Path], formats: list[str]
) -> bool:
    """Whole processes in turn (ours and the analyst's in each round, their order
    turning from round to round): medians of wall and CPU time, the medians of the
    pairwise ratios (which hold when a shared machine's load
    drifts), peak memory; ``trees`` are other checkouts of the code run in the same
    turns (e.g. the code before a change)."""
    region = regions_file(folder)
    for tree in [ROOT, *trees]:
        compile_bytecode(tree)
    print("\n### `explorer totals FILE --regions R --json` against geopandas, whole processes\n")
    load = os.getloadavg()
    print(f"Load average before the runs: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print(
        "| n sites | format | code | file MB | ours wall / CPU (s) | geopandas wall / CPU (s) "
        "| ratio wall / CPU (median of pairs) | peak MB ours / geopandas | agree |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---|")
    ok = True
    for n in sizes:
        paths = make_data(folder, n)
        for name, ext in chosen(formats):
            path = paths[ext]
            theirs_cmd = [sys.executable, "-c", ANALYST, str(path), str(region)]
            ours_cmd = [sys.executable, "-m", "explorer", "totals", str(path)]
            ours_cmd += ["--regions", str(region), "--json"]
            runs: dict[str, list[Timed]] = {"geopandas": []}
            for tree in [ROOT, *trees]:
                runs[str(tree)] = []
            slots: list[Path | None] = [ROOT, *trees, None]  # None: the analyst's route
            for r in range(repeats):
                # The order turns one place each round: a process started right after
                # one that freed 700 MB (geopandas) ran measurably slower on this VM, and
                # the same command always in that place carried it every round.
                shift = r % len(slots)
                for slot in slots[shift:] + slots[:shift]:
                    if slot is None:
                        runs["geopandas"].append(run(theirs_cmd))
                    else:
                        runs[str(slot)].append(run(ours_cmd, env=tree_env(slot), cwd=slot))
            theirs = runs.pop("geopandas")
            want = json.loads(theirs[-1].out)
            for tree, ours in runs.items():
                got = json.loads(ours[-1].out)["regions"][0]["by_model"]
                agree = got == want
                ok &= agree
                wall = statistics.median(t.wall for t in ours)
                cpu = statistics.median(t.cpu for t in ours)
                g_wall = statistics.median(t.wall for t in theirs)
                g_cpu = statistics.median(t.cpu for t in theirs)
                pairs = list(zip(ours, theirs, strict=True))
                r_wall = statistics.median(b.wall / a.wall for a, b in pairs)
                r_cpu = statistics.median(b.cpu / a.cpu for a, b in pairs)
                rss = statistics.median(t.rss_mb for t in ours)
                g_rss = statistics.median(t.rss_mb for t in theirs)
                code = "this" if tree == str(ROOT) else tree
                mb = path.stat().st_size / 1e6
                print(
                    f"| {n:,} | {name} | {code} | {mb:,.0f} | {wall:.2f} / {cpu:.2f} | "
                    f"{g_wall:.2f} / {g_cpu:.2f} | {r_wall:.1f}x / {r_cpu:.1f}x | "
                    f"{rss:,.0f} / {g_rss:,.0f} | {'yes' if agree else 'NO'} |",
                    flush=True,
                )
    load = os.getloadavg()
    print(f"\nLoad average after the runs: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    return ok


# --------------------------------------------------------------------------- in process


def bench_inproc(folder: Path, sizes: list[int], repeats: int, formats: list[str]) -> None:
    import geopandas as gpd

    from explorer.core.chips import ChipCatalogue
    from explorer.geo.totals import totals
    from explorer.io.opening import open_file
    from explorer.io.region_files import load_regions

    cat = ChipCatalogue.bundled()
    region_path = regions_file(folder)
    [region] = load_regions(region_path)
    regions = gpd.read_file(region_path).rename(columns={"name": "region"})
    print("\n### In one process (no start-up): read, check, total; and building sites\n")
    print(
        "| n sites | format | ours: open (s) | ours: snapshot + total (s) | geopandas read + "
        "sjoin + groupby (s) | ratio | building every Site (s) | per site (µs) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        paths = make_data(folder, n)
        for name, ext in chosen(formats):
            path = paths[ext]

            def ours(p: Path = path) -> tuple[float, Any]:
                t0 = time.perf_counter()
                opened = open_file(p, catalogue=cat)
                t1 = time.perf_counter()
                t = totals(opened.columns.site_arrays(cat), region)
                t2 = time.perf_counter()
                return t2 - t0, (t1 - t0, t2 - t1, opened, t)

            def theirs(p: Path = path) -> tuple[float, Any]:
                t0 = time.perf_counter()
                g = gpd.read_parquet(p) if p.suffix == ".parquet" else gpd.read_file(p)
                j = gpd.sjoin(g, regions[["region", "geometry"]], predicate="intersects")
                j.groupby(["region", "chip_model"])["chips"].sum()
                return time.perf_counter() - t0, None

            t_ours, t_theirs, ratio, (t_open, t_total, opened, _), _ = paired(repeats, ours, theirs)
            t0 = time.perf_counter()
            built = opened.columns.sites()
            t_build = time.perf_counter() - t0
            del built
            print(
                f"| {n:,} | {name} | {t_open:.2f} | {t_total:.3f} | {t_theirs:.2f} | "
                f"{ratio:.1f}x | {t_build:.2f} | {t_build / n * 1e6:.1f} |",
                flush=True,
            )


# --------------------------------------------------------------------------- table


def bench_table(repeats: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A window that has read 100,000 sites from a file has Arrow imported already (every
    # format's reader of that size uses it); the table's warm-up ranks names with it.
    import pyarrow  # noqa: F401
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtWidgets import QApplication

    from explorer.core.chips import ChipCatalogue
    from explorer.core.schema import HardwareLine, Site
    from explorer.core.selection import Selection
    from explorer.core.store import SiteStore
    from explorer.io.site_columns import SiteColumns
    from explorer.ui.idle_queue import IdleQueue
    from explorer.ui.site_table import SiteTable, column_of

    app = QApplication.instance() or QApplication([])
    cat = ChipCatalogue.bundled()
    rng = np.random.default_rng(7)
    n = 100_000
    words = ["Hami", "Yiwu", "Golmud", "Xining", "Karamay", "Changji", "Turpan", "Korla"]
    sites = [
        Site(
            id=f"s{i}",
            name=f"{words[i % 8]} compute {i}",
            lon=float(rng.uniform(75, 100)),
            lat=float(rng.uniform(34, 48)),
            operator=f"Operator {i % 97}",
            prefecture=words[(i * 7) % 8],
            status=("planned", "operational", "under construction")[i % 3],
            province=("Xinjiang", "Qinghai")[i % 2],
            hardware=(HardwareLine(cat.names[i % 4], int(rng.integers(1, 4000))),),
        )
        for i in range(n)
    ]
    store = SiteStore([], catalogue=cat)
    idle = IdleQueue()
    table = SiteTable(store, Selection(), catalogue=cat, idle=idle)
    table.resize(1200, 600)
    table.show()
    app.processEvents()

    def timed(action: Callable[[], None]) -> float:
        t0 = time.perf_counter()
        action()
        app.processEvents()
        return (time.perf_counter() - t0) * 1000

    def warmed() -> float:
        """Turn the event loop until the table's deferred work (its search text and
        sort ranks, a piece per turn) is done; the ms it took."""
        t0 = time.perf_counter()
        while len(idle):
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        return (time.perf_counter() - t0) * 1000

    typed = "hami compute 12"
    # As when a file is opened: the store takes the file's columns (no site built) and
    # the event loop turns; the table then warms up a piece per turn. Typed at once, the
    # first keystrokes find the warm-up still running and do what they need themselves.
    columns = SiteColumns.from_sites(sites)
    reset_ms = timed(lambda: store.reset(columns))
    early = [timed(lambda k=k: table.filter_edit.setText(typed[:k])) for k in range(1, 4)]
    table.filter_edit.clear()
    warmed()
    store.reset([])
    warmed()
    columns = SiteColumns.from_sites(sites)
    reset_ms = timed(lambda: store.reset(columns))
    warm_ms = warmed()
    rows: list[tuple[str, list[float], int]] = [
        ("reset with the sites (opening)", [reset_ms], n),
        ("... then its warm-up, a piece per turn of the event loop", [warm_ms], n),
        (f"typing '{typed[:3]}' at once, during the warm-up", early, n),
    ]
    per_key: list[float] = []
    for _ in range(repeats):
        table.filter_edit.clear()
        app.processEvents()
        for k in range(1, len(typed) + 1):
            per_key.append(timed(lambda k=k: table.filter_edit.setText(typed[:k])))
    rows.append((f"typing '{typed}' (each keystroke)", per_key, table.proxy.rowCount()))
    table.filter_edit.clear()
    app.processEvents()
    for label, action in (
        ("status filter 'operational'", lambda: table.set_filters(status="operational")),
        ("clear the status filter", lambda: table.set_filters(status="")),
        (
            "sort by chips (header click)",
            lambda: table.view.sortByColumn(column_of("chips"), Qt.SortOrder.AscendingOrder),
        ),
        (
            "sort by name",
            lambda: table.view.sortByColumn(column_of("name"), Qt.SortOrder.DescendingOrder),
        ),
        ("unsorted again", lambda: table.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)),
    ):
        rows.append((label, [timed(action) for _ in range(1)], table.proxy.rowCount()))
        for _ in range(repeats - 1):  # repeat from the same starting state
            unsort = partial(table.view.sortByColumn, -1, Qt.SortOrder.AscendingOrder)
            undo = {
                "status filter 'operational'": lambda: table.set_filters(status=""),
                "clear the status filter": lambda: table.set_filters(status="operational"),
                "sort by chips (header click)": unsort,
                "sort by name": unsort,
                "unsorted again": partial(
                    table.view.sortByColumn, column_of("name"), Qt.SortOrder.DescendingOrder
                ),
            }
            if label in undo:
                undo[label]()
                app.processEvents()
                rows[-1][1].append(timed(action))
    print(f"\n### Site table, {n:,} rows (each action until the view has processed it)\n")
    print("| action | median (ms) | max (ms) | rows shown |")
    print("|---|---:|---:|---:|")
    for label, times, shown in rows:
        print(f"| {label} | {statistics.median(times):.1f} | {max(times):.1f} | {shown:,} |")
    table.close()


# --------------------------------------------------------------------------- start


PROBE = r"""
import sys, time
t_start = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from explorer.ui import main_window
original = main_window.MainWindow.showEvent
def show_event(self, event):
    original(self, event)
    QTimer.singleShot(0, lambda: (print(f"{time.time() - t_start:.3f}", flush=True),
                                  QApplication.instance().exit(0)))
main_window.MainWindow.showEvent = show_event
from explorer.app import run_gui
sys.exit(run_gui([]))
"""


def bench_start(repeats: int, trees: list[Path]) -> None:
    print("\n### Process start to main window shown, demo (median of runs)\n")
    print("| code | window shown (s) | runs |")
    print("|---|---:|---:|")
    times: dict[Path, list[float]] = {tree: [] for tree in trees}
    for tree in trees:
        compile_bytecode(tree)
    for _ in range(repeats):  # the trees in turn, so a drifting machine hits both alike
        for tree in trees:
            env = dict(os.environ)
            env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM", "offscreen")
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
            env["PYTHONPATH"] = str(tree)
            with tempfile.TemporaryDirectory() as home:
                env["XDG_CONFIG_HOME"] = home  # no saved window layout, no recent files
                t0 = time.time()
                out = subprocess.run(
                    [sys.executable, "-c", PROBE, repr(t0)],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=tree,
                    timeout=120,
                    check=False,
                )
            lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
            if out.returncode != 0 or not lines:
                raise SystemExit(f"start probe failed in {tree}:\n{out.stderr[-2000:]}")
            times[tree].append(float(lines[-1]))
    for tree in trees:
        print(f"| {tree} | {statistics.median(times[tree]):.2f} | {repeats} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", default=["cli", "inproc", "table", "start"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "explorer-bench-load"
    )
    parser.add_argument("--start-tree", type=Path, action="append", default=[])
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        help="another checkout whose `explorer totals` runs in the same turns (cli)",
    )
    parser.add_argument("--formats", nargs="+", default=[], help="only these formats (cli, inproc)")
    parser.add_argument("--write-data", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_data:
        write_data(Path(args.write_data[0]), int(args.write_data[1]))
        return 0
    args.data.mkdir(parents=True, exist_ok=True)
    ok = True
    if "cli" in args.sections:
        ok &= bench_cli(args.data, args.sizes, args.repeats, args.tree, args.formats)
    if "inproc" in args.sections:
        bench_inproc(args.data, args.sizes, args.repeats, args.formats)
    if "table" in args.sections:
        bench_table(args.repeats)
    if "start" in args.sections:
        bench_start(max(args.repeats, 3), [ROOT, *args.start_tree])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
