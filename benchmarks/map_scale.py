"""The map with many sites: time to markers drawn, frame times, memory.

Four measurements, each printed as a markdown table:

1. **Start to markers drawn**, each run in a fresh process, from the moment the process
   is launched, in rounds (each round runs every case once, so a machine whose load
   drifts hits them alike); medians of ``--repeat`` rounds, and each case's ratio to the
   floor (or the demo) is the median of the per-round ratios:
   - *floor*: a bare PySide6 ``QWebEngineView`` showing a trivial page, until the
     widget's pixels show it;
   - *app*: ``explorer FILE`` as a user starts it (the entry point, then
     :func:`explorer.app.run_gui`: the window shows, the file is read off the UI
     thread) on the demo, on 10^4 and on 10^5 synthetic sites (GeoJSON written
     beforehand), until the widget's pixels show the
     markers (the map controller's reset acknowledged and presented). The child also
     reports when the window was shown, when the page finished loading and connected,
     and when the file was opened (its sites in the session); the floor reports when
     its imports were done;
   - the demo once per round with an empty map-page cache (the first start after an
     install or an upgrade builds the page with folium; see
     :mod:`explorer.web.page_cache`); the other app runs share a cache warmed first.
   ``--tree DIR`` runs the app cases of another checkout too (e.g. the code before a
   change), in the same rounds. Each tree's bytecode is compiled first, as a pip install
   leaves it (this machine sets ``PYTHONDONTWRITEBYTECODE``).
2. **The sites reaching the page** (the map alone, in this process, the session already
   built): the whole reset for 10^4 and 10^5 sites, from building the columns to the
   frame on screen, best of 3, with the page's own parse, apply and paint times.
3. **Frame times at 10^5** measured in the page with ``requestAnimationFrame`` while
   the map pans (animated), zooms in and out step by step and flies to a town.
4. **Memory** (RSS) with the demo, 10^4 and 10^5 sites (and ``--memory-sizes``,
   10^6 by default, memory only): this process and Chromium's processes.

Run headless (as root, Chromium also needs its sandbox turned off)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 .venv/bin/python benchmarks/map_scale.py

The machine's load shows in the numbers: it is printed at the start and the end, and the
ratios are taken within a round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bytecode import compile_bytecode

ROOT = Path(__file__).resolve().parent.parent
# The synthetic sites live with the tests. A child runs the code it was pointed at
# (PYTHONPATH, see --tree), so only the parent puts this checkout first.
if "--child" not in sys.argv and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULT = "RESULT "
TRIVIAL_PAGE = "<html><body style='margin:0;background:#3366cc'></body></html>"


# ---------------------------------------------------------------------- helpers
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (``/proc``), NaN if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (Chromium's zygote, GPU and renderer processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_synthetic(directory: Path, n: int) -> Path:
    from explorer.io.formats import write_sites
    from tests.web.synthetic import synthetic_sites

    path = directory / f"synthetic-{n}.geojson"
    if not path.exists():
        write_sites(path, synthetic_sites(n), {"title": f"{n} synthetic sites"})
    return path


# ---------------------------------------------------------------------- child processes
def child_floor() -> dict[str, float]:
    """A bare QWebEngineView showing a trivial page, until its pixels show it."""
    from explorer.web.engine import make_application

    app = make_application([])
    from PySide6.QtCore import QEventLoop, QRect, QTimer
    from PySide6.QtWebEngineWidgets import QWebEngineView

    stamps: dict[str, float] = {"imported": time.time()}
    loop = QEventLoop()
    QTimer.singleShot(300_000, loop.quit)
    view = QWebEngineView()
    view.resize(1400, 900)
    view.setHtml(TRIVIAL_PAGE)
    view.show()
    stamps["shown"] = time.time()
    timer = QTimer()

    def poll() -> None:
        c = view.grab(QRect(0, 0, 2, 2)).toImage().pixelColor(0, 0)
        if (c.red(), c.green(), c.blue()) == (0x33, 0x66, 0xCC):
            stamps["drawn"] = time.time()
            timer.stop()
            loop.quit()

    timer.timeout.connect(poll)
    timer.start(5)
    loop.exec()
    app.quit()
    return stamps


def child_app(path: str) -> dict[str, float]:
    """``explorer PATH`` as a user starts it (``explorer.__main__.main``, which calls
    ``run_gui``), stamped from outside.

    Only ``explorer.app.open_target`` is wrapped (``run_gui`` calls it right after
    showing the window), so the probe imports nothing ahead of the app's own order and
    runs on any checkout with ``run_gui``, ``open_target``, ``MainWindow.projectOpened``,
    ``map_view``, ``map.ready`` and ``map.call_when_rendered``. Stamps: the window shown
    (the file about to be opened), the page loaded and connected, the file's sites in
    the session, the widget's pixels showing them; and ``stall``, the longest the UI
    thread went without turning its event loop between the window shown and the
    markers drawn (a 10 ms timer's largest gap, less its interval): how long the window
    froze while the file was opened.
    """
    import explorer.app

    stamps: dict[str, float] = {}
    original_open = explorer.app.open_target
    ticks: list[float] = []

    def open_target(window: Any, *args: Any, **kwargs: Any) -> bool:
        from PySide6.QtCore import QTimer

        stamps["shown"] = time.time()
        now = lambda *_: time.time()  # noqa: E731
        beat = QTimer(window)
        beat.setInterval(10)
        beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
        ticks.append(time.perf_counter())
        beat.start()
        if window.map.bridge.is_page_ready:  # connected before the window was shown
            stamps["loaded"] = stamps["ready"] = stamps["shown"]
        window.map_view.loadFinished.connect(lambda *_: stamps.setdefault("loaded", now()))
        window.map.ready.connect(lambda *_: stamps.setdefault("ready", now()))

        def drawn() -> None:
            stamps["drawn"] = time.time()
            stamps["sites"] = len(window.session.sites)
            beat.stop()
            ticks.append(time.perf_counter())
            gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
            stamps["stall"] = max(0.0, max(gaps, default=0.0) - 0.010)
            from PySide6.QtWidgets import QApplication

            QApplication.instance().exit(0)

        def opened(*_: Any) -> None:
            stamps["opened"] = time.time()
            window.map.call_when_rendered(drawn, fresh_frame=False)

        window.projectOpened.connect(opened)
        return original_open(window, *args, **kwargs)

    explorer.app.open_target = open_target  # type: ignore[assignment]
    # Through the entry point, as the `explorer` command runs: what it imports to tell a
    # file from a command is part of the start.
    from explorer.__main__ import main

    main([path])
    return stamps


def launch(
    kind: str, path: Path | None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> dict[str, float]:
    """Start a child; its stamps relative to the launch, in seconds."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    if path is not None:
        cmd.append(str(path))
    t0 = time.time()
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, check=False, env=env, cwd=cwd
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith(RESULT)]
    if not lines:
        raise RuntimeError(
            f"{kind} child failed (exit status {out.returncode}): {out.stderr[-2000:]}"
            f"{out.stdout[-500:]}"
        )
    stamps = json.loads(lines[-1][len(RESULT) :])
    if "drawn" not in stamps:
        raise RuntimeError(f"{kind} child ended before drawing: {out.stderr[-2000:]}")
    return {k: (v - t0 if k not in ("sites", "stall") else v) for k, v in stamps.items()}


def tree_env(tree: Path, cache: Path, config: Path) -> dict[str, str]:
    """The environment that runs checkout ``tree``'s code, with its own settings and
    map-page cache (never the user's)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["XDG_CONFIG_HOME"] = str(config)  # no saved window layout, no recent files
    env["EXPLORER_CACHE_DIR"] = str(cache)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    from window_runs import desktop_screen  # the window opens at its desktop size

    env = desktop_screen(env)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    return env


def _col(runs: list[dict[str, float]], key: str) -> str:
    values = [r[key] for r in runs if key in r]
    return f"{statistics.median(values):.2f}" if values else "-"


def start_to_markers(
    repeat: int, files: dict[str, Path], trees: list[Path], work: Path
) -> tuple[str, dict[str, float]]:
    """Rounds of fresh starts; the table and the median drawn times by row label."""
    for tree in trees:
        compile_bytecode(tree)
    config = work / "config"
    cases: list[tuple[str, str, Path | None, dict[str, str] | None, Path | None]] = [
        ("floor (bare QWebEngineView)", "floor", None, None, None)
    ]
    for tree in trees:
        tag = "" if tree == ROOT else f" [{tree}]"
        cache = work / f"page-cache-{len(cases)}"
        env = tree_env(tree, cache, config)
        launch("app", files["demo"], env, tree)  # warms this tree's page cache
        for label, path in files.items():
            cases.append((f"{label}{tag}", "app", path, env, tree))
        if tree == ROOT:  # the first start after an install or upgrade
            cold = tree_env(tree, work / "page-cache-cold", config)
            cases.append(("demo, page not cached", "cold", files["demo"], cold, tree))
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, *_ in cases}
    for r in range(repeat):
        # The order turns one place each round: a start right after another one's
        # Chromium processes exit runs measurably slower (0.1-0.3 s on the demo), and
        # the same case always in that place would carry it every round.
        shift = r % len(cases)
        for label, kind, path, env, cwd in cases[shift:] + cases[:shift]:
            if kind == "cold":
                shutil.rmtree(work / "page-cache-cold", ignore_errors=True)
            runs[label].append(launch("floor" if kind == "floor" else "app", path, env, cwd))
    floor = runs[cases[0][0]]
    rows: list[list[str]] = []
    medians: dict[str, float] = {}
    for label, kind, _path, _env, cwd in cases:
        mine = runs[label]
        drawn = statistics.median(r["drawn"] for r in mine)
        medians[label] = drawn
        per_floor = statistics.median(
            r["drawn"] / f["drawn"] for r, f in zip(mine, floor, strict=True)
        )
        tag = "" if cwd in (None, ROOT) else f" [{cwd}]"
        demo = runs.get(f"demo{tag}")
        per_demo = "-"
        if demo is not None and kind == "app":
            ratios = [r["drawn"] / d["drawn"] for r, d in zip(mine, demo, strict=True)]
            per_demo = f"{statistics.median(ratios):.1f}x"
        rows.append(
            [
                label,
                f"{int(mine[0].get('sites', 0)):,}" if kind != "floor" else "-",
                _col(mine, "imported"),
                _col(mine, "shown"),
                _col(mine, "loaded"),
                _col(mine, "ready"),
                _col(mine, "opened"),
                f"**{drawn:.2f}**",
                f"{min(r['drawn'] for r in mine):.2f}",
                f"{per_floor:.1f}x",
                per_demo,
                _col(mine, "stall"),
            ]
        )
    header = [
        "start to",
        "sites",
        "imports done (s)",
        "window shown (s)",
        "page loaded (s)",
        "page connected (s)",
        "file opened (s)",
        "**markers drawn** (s, median)",
        "best (s)",
        "/ floor",
        "/ demo",
        "longest freeze (s)",
    ]
    return table(header, rows), medians


# ---------------------------------------------------------------------- in process
class MapHarness:
    """One map view over a session, driven from this process."""

    def __init__(self, sites: list[Any]) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        from explorer.core.chips import ChipCatalogue
        from explorer.session.session import Session
        from explorer.web.controller import MapController
        from explorer.web.view import MapView

        self._loop_cls, self._timer_cls = QEventLoop, QTimer
        self.session = Session(ChipCatalogue.bundled(), admin_areas=None)
        self.session.sites.reset(sites)
        self.view = MapView(center=(40.0, 88.0), zoom=5)
        self.view.resize(1400, 900)
        self.controller = MapController(self.view, self.session)
        self.view.show()
        self.wait(lambda: self.controller.bridge.is_page_ready and self.controller.is_rendered)

    def wait(self, done: Callable[[], bool], timeout_ms: int = 120_000) -> None:
        from PySide6.QtCore import QCoreApplication

        end = time.monotonic() + timeout_ms / 1000
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("the map page did not answer in time")
            QCoreApplication.processEvents(self._loop_cls.ProcessEventsFlag.AllEvents, 20)

    def js(self, expression: str) -> Any:
        box: list[Any] = []
        self.view.evaluate(expression, box.append)
        self.wait(lambda: bool(box))
        return box[0]

    def presented(self) -> float:
        """Wait until everything sent is on screen; returns ``perf_counter`` then."""
        shown: list[float] = []
        self.controller.call_when_rendered(
            lambda: shown.append(time.perf_counter()), fresh_frame=False
        )
        self.wait(lambda: bool(shown))
        return shown[0]

    def close(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        self.controller.detach()
        self.view.close()
        self.view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def reset_to_page(harness: MapHarness, repeat: int = 3) -> dict[str, float]:
    """The whole reset, best of ``repeat``: columns built, posted, applied, on screen."""
    from explorer.web.payload import to_json

    best: dict[str, float] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = harness.controller._reset_data()
        t1 = time.perf_counter()
        size = len(to_json(data))
        t2 = time.perf_counter()
        harness.controller.bridge.post_reset(data)
        t3 = time.perf_counter()
        done = harness.presented()
        page = harness.js("CSE.timings.sitesReset")
        paint = harness.js("CSE.pageState().last_paint_ms")
        run = {
            "columns": t1 - t0,
            "post": t3 - t2,
            "total": done - t0 - (t2 - t1),  # the size check is not part of it
            "parse": page["parse"] / 1000,
            "apply": page["apply"] / 1000,
            "paint": paint / 1000,
            "mb": size / 1e6,
        }
        if not best or run["total"] < best["total"]:
            best = run
    return best


FRAMES_JS = """
(function () {
  window.__frames = [];
  var last = null;
  function tick(now) {
    if (last !== null) { window.__frames.push(now - last); }
    last = now;
    if (window.__recording) { requestAnimationFrame(tick); }
  }
  window.__recording = true;
  requestAnimationFrame(tick);
  return true;
})()
"""


ACTIONS: dict[str, list[str]] = {
    "pan (animated, 8 x 300 px)": [
        f"CSE.map.panBy([{dx}, {dy}], {{animate: true, duration: 0.4}})"
        for dx, dy in [(300, 0), (0, 300), (-300, 0), (0, -300)] * 2
    ],
    "zoom in 5 -> 9, one step at a time": [
        f"CSE.map.setZoom({z}, {{animate: true}})" for z in (6, 7, 8, 9)
    ],
    "zoom out 9 -> 5": [f"CSE.map.setZoom({z}, {{animate: true}})" for z in (8, 7, 6, 5)],
    "fly to Hami at zoom 8 and back": [
        "CSE.map.flyTo([42.82, 93.51], 8, {duration: 1.0})",
        "CSE.map.flyTo([40.0, 88.0], 5, {duration: 1.0})",
    ],
}

SITES_OFF_JS = """(function () { var n = 0; CSE.map.eachLayer(function (l) {
  if (l instanceof CSE.SiteCanvas) { CSE.map.removeLayer(l); n += 1; } }); return n; })()"""


def record_frames(harness: MapHarness, steps: list[str]) -> list[float]:
    """Frame intervals (ms) in the page while ``steps`` run one after the other."""
    harness.js("CSE.map.setView([40.0, 88.0], 5, {animate: false}) && true")
    harness.controller.request_frame()
    harness.presented()
    harness.js(FRAMES_JS)
    for step in steps:
        # Each action ends with the map's moveend.
        harness.js(
            "(window.__moving = true, CSE.map.once('moveend', function () {"
            f" window.__moving = false; }}), {step}, true)"
        )
        harness.wait(lambda: harness.js("window.__moving") is False)
    harness.controller.request_frame()
    harness.presented()
    return harness.js("(window.__recording = false, window.__frames)")


def recorded_frames(harness: MapHarness) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Frame intervals (ms) per action: with the sites, then with the sites layer taken
    off the map (the page's own floor: basemap, towns, labels)."""
    with_sites = {label: record_frames(harness, steps) for label, steps in ACTIONS.items()}
    harness.js(SITES_OFF_JS)
    without = {label: record_frames(harness, steps) for label, steps in ACTIONS.items()}
    return with_sites, without


def frame_times(harness: MapHarness) -> list[list[str]]:
    """:func:`recorded_frames` as table rows."""
    with_sites, without = recorded_frames(harness)
    rows = []
    for label in ACTIONS:
        f, g = with_sites[label], without[label]
        rows.append(
            [
                label,
                str(len(f)),
                f"{statistics.median(f):.1f}",
                f"**{percentile(f, 95):.1f}**",
                f"{max(f):.1f}",
                f"{statistics.median(g):.1f}",
                f"{percentile(g, 95):.1f}",
            ]
        )
    return rows


def in_process(sizes: list[int], memory_sizes: list[int]) -> tuple[str, str, str]:
    from explorer import DEMO_SITES
    from explorer.core.chips import ChipCatalogue
    from explorer.io.opening import open_file
    from tests.web.synthetic import synthetic_sites

    reset_rows = []
    memory_rows = []
    frames = ""
    for n in [0, *sizes, *memory_sizes]:
        if n == 0:
            sites = list(open_file(DEMO_SITES, catalogue=ChipCatalogue.bundled()).project.sites)
            label = "demo"
        else:
            sites = synthetic_sites(n)
            label = f"{n:,}"
        harness = MapHarness(sites)
        best = reset_to_page(harness, repeat=1 if n in memory_sizes else 3)
        reset_rows.append(
            [
                label,
                f"{len(sites):,}",
                f"{best['mb']:.1f}",
                f"{1000 * best['columns']:.0f}",
                f"{1000 * best['post']:.0f}",
                f"{1000 * best['parse']:.0f}",
                f"{1000 * best['apply']:.0f}",
                f"{1000 * best['paint']:.0f}",
                f"**{1000 * best['total']:.0f}**",
            ]
        )
        renderers = descendants(os.getpid())
        memory_rows.append(
            [
                label,
                f"{rss_mb(os.getpid()):.0f}",
                f"{sum(rss_mb(p) for p in renderers):.0f}",
                str(len(renderers)),
            ]
        )
        if n == max(sizes):
            state = harness.js("CSE.pageState()")
            frames = f"({state['sites']:,} sites, {state['groups']} groups at zoom 5)\n\n" + table(
                [
                    "action",
                    "frames",
                    "median (ms)",
                    "p95 (ms)",
                    "max (ms)",
                    "no sites layer: median (ms)",
                    "p95 (ms)",
                ],
                frame_times(harness),
            )
        harness.close()
        del harness, sites
    return (
        table(
            [
                "sites",
                "n",
                "message (MB)",
                "columns (ms)",
                "post (ms)",
                "page parse (ms)",
                "page apply (ms)",
                "paint (ms)",
                "to screen (ms)",
            ],
            reset_rows,
        ),
        frames,
        table(
            ["sites", "this process RSS (MB)", "Chromium processes RSS (MB)", "processes"],
            memory_rows,
        ),
    )


def child_frames(n: int) -> dict[str, Any]:
    """Frame intervals at ``n`` sites in this process (the checkout on ``PYTHONPATH``)."""
    from explorer.web.view import prepare_application

    prepare_application()
    from explorer.web.engine import make_application

    make_application([])
    from tests.web.synthetic import synthetic_sites

    harness = MapHarness(synthetic_sites(n))
    nodes = harness.js("document.getElementsByTagName('*').length")
    with_sites, without = recorded_frames(harness)
    harness.close()
    return {"sites": with_sites, "no_sites": without, "nodes": nodes, "drawn": 1}


def frames_only(rounds: int, n: int, trees: list[Path], work: Path) -> str:
    """Frame times at ``n`` sites, a fresh process per checkout and round (checkouts
    alternate within a round, so load drift hits them alike); per action, the median
    over rounds of each round's median and p95."""
    config = work / "config"
    runs: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
    for _ in range(rounds):
        for tree in trees:
            env = tree_env(tree, work / f"page-cache-{trees.index(tree)}", config)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "frames", str(n)]
            out = subprocess.run(
                cmd, capture_output=True, text=True, timeout=900, check=False, env=env, cwd=tree
            )
            lines = [line for line in out.stdout.splitlines() if line.startswith(RESULT)]
            if not lines:
                raise RuntimeError(f"frames child failed: {out.stderr[-2000:]}")
            runs[tree].append(json.loads(lines[-1][len(RESULT) :]))
    rows = []
    for tree in trees:
        tag = "this checkout" if tree == ROOT else str(tree)
        mine = runs[tree]
        for label in ACTIONS:
            cells = [label, tag, str(int(statistics.median(r["nodes"] for r in mine)))]
            for key in ("sites", "no_sites"):
                p50 = statistics.median(statistics.median(r[key][label]) for r in mine)
                p95 = statistics.median(percentile(r[key][label], 95) for r in mine)
                cells += [f"{p50:.1f}", f"**{p95:.1f}**" if key == "sites" else f"{p95:.1f}"]
            rows.append(cells)
    header = [
        "action",
        "code",
        "DOM nodes",
        "median (ms)",
        "p95 (ms)",
        "no sites layer: median (ms)",
        "p95 (ms)",
    ]
    return table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of starts (medians)")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic site counts")
    parser.add_argument(
        "--memory-sizes", default="1000000", help="site counts drawn for memory only"
    )
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        help="another checkout whose app starts run in the same rounds",
    )
    parser.add_argument(
        "--only-start", action="store_true", help="start to markers only (no in-process part)"
    )
    parser.add_argument(
        "--only-frames",
        type=int,
        metavar="ROUNDS",
        help="frame times only, at the largest --sizes, in ROUNDS fresh processes per checkout",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind = args.child[0]
        if kind == "frames":
            print(RESULT + json.dumps(child_frames(int(args.child[1]))), flush=True)
            return 0
        stamps = child_floor() if kind == "floor" else child_app(args.child[1])
        print(RESULT + json.dumps(stamps), flush=True)
        return 0 if "drawn" in stamps else 1

    from explorer.web.engine import environment_problem

    if (problem := environment_problem()) is not None:
        print(f"{Path(__file__).name}: {problem}", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    memory_sizes = [int(s) for s in args.memory_sizes.split(",") if s]
    from explorer import DEMO_SITES

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"Machine: {os.cpu_count()} cores, load average {load} at the start.\n")

    with tempfile.TemporaryDirectory(prefix="cse-bench-") as tmp:
        work = Path(tmp)
        # The in-process part's map pages are cached here too, never in the user's cache.
        os.environ["EXPLORER_CACHE_DIR"] = str(work / "page-cache-parent")
        trees = [ROOT, *(t.resolve() for t in args.tree)]
        if args.only_frames:
            print(f"## Frame times at {max(sizes):,} sites, medians of {args.only_frames} rounds\n")
            print(frames_only(args.only_frames, max(sizes), trees, work))
            load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
            print(f"\nLoad average at the end: {load}.")
            return 0
        files: dict[str, Path] = {"demo": DEMO_SITES}
        for n in sizes:
            files[f"{n:,} sites"] = write_synthetic(work, n)
        print(f"## Start to markers drawn (fresh process each, medians of {args.repeat} rounds)\n")
        start_table, _ = start_to_markers(args.repeat, files, trees, work)
        print(start_table, flush=True)
        if args.only_start:
            load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
            print(f"\nLoad average at the end: {load}.")
            return 0

        from explorer.web.view import prepare_application

        prepare_application()
        from explorer.web.engine import make_application

        make_application([])
        resets, frames, memory = in_process(sizes, memory_sizes)
    print("\n## Sites reaching the page (the map alone, best of 3; memory-only sizes once)\n")
    print(resets)
    print(f"\n## Frame times in the page while moving the map {frames}")
    print("\n## Memory after drawing\n")
    print(memory)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nLoad average at the end: {load}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
