"""How long an edit takes to reach the screen of the map.

Loads the demo sites (``explorer/geodata/demo_sites.geojson``) into a :class:`MapView`, then
N times changes one site's chip count with ``store.replace`` and measures:

- **ack**: ``store.replace`` → the page's ``rendered(seq)`` ack for that edit (the page
  applied the update and the next animation frame was painted);
- **presented**: → the Qt widget's pixels show that edit (the page's frame marker,
  :meth:`MapView.present_frame`), i.e. what ``view.grab()`` returns;
- **baseline**: a no-op ``sync`` message acked the same way, i.e. the cost of the
  round trip and the animation frame the page waits for before acking.

Run headless (as root, Chromium also needs its sandbox turned off)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/edit_latency.py [-n 50]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from explorer import DEMO_SITES
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, parse_site


def load_sites(path: Path) -> list[Site]:
    """Demo sites from a GeoJSON file, or a small synthetic set if it is missing."""
    if path.is_file():
        fc = json.loads(path.read_text(encoding="utf-8"))
        catalogue = ChipCatalogue.bundled()
        return [
            parse_site(
                f["properties"],
                *f["geometry"]["coordinates"][:2],
                where=f"feature {i}",
                catalogue=catalogue,
            )
            for i, f in enumerate(fc["features"])
        ]
    print(f"{path} not found: using 20 synthetic sites", file=sys.stderr)
    return [
        Site(
            id=f"bench-{i}",
            name=f"Bench site {i}",
            lon=80.0 + i * 0.8,
            lat=38.0 + (i % 5),
            hardware=(HardwareLine("H100", 1000 + 100 * i),),
        )
        for i in range(20)
    ]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print median / p95 latencies in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=50, help="number of measured edits (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="edits before measuring (default 3)")
    parser.add_argument("--sites", type=Path, default=DEMO_SITES, help="GeoJSON sites file")
    args = parser.parse_args(argv)
    from explorer.web.engine import environment_problem

    if (problem := environment_problem()) is not None:
        print(f"{Path(__file__).name}: {problem}", file=sys.stderr)
        return 2

    from explorer.web.view import prepare_application

    prepare_application()
    from PySide6.QtCore import QEventLoop, QTimer, qVersion
    from PySide6.QtWidgets import QApplication

    from explorer.session.session import Session
    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    app = QApplication.instance() or QApplication([sys.argv[0]])
    sites = load_sites(args.sites)
    session = Session(ChipCatalogue.bundled(), admin_areas=None)
    session.sites.reset(sites)
    store = session.sites
    view = MapView()
    view.resize(1200, 800)
    controller = MapController(view, session)
    view.show()

    def wait_for(done: Callable[[], bool], timeout_ms: int = 30_000) -> None:
        """Run the event loop until ``done()`` (checked on every ``rendered``)."""
        if done():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        check = lambda *_: loop.quit() if done() else None  # noqa: E731
        controller.rendered.connect(check)
        timer.start(timeout_ms)
        loop.exec()
        controller.rendered.disconnect(check)
        if not done():
            raise TimeoutError("the map page did not acknowledge in time")

    def presented_at(seq: int) -> float:
        """When the widget's pixels show message ``seq`` (``perf_counter`` seconds)."""
        shown: list[float] = []
        loop = QEventLoop()
        view.present_frame(lambda: (shown.append(time.perf_counter()), loop.quit()), seq)
        if not shown:
            QTimer.singleShot(5000, loop.quit)
            loop.exec()
        return shown[0] if shown else float("nan")

    t_open = time.perf_counter()
    wait_for(lambda: controller.bridge.is_page_ready and controller.is_rendered)
    print(
        f"page ready and first render: {1000 * (time.perf_counter() - t_open):.0f} ms "
        f"({len(store)} sites, Qt {qVersion()}, platform {app.platformName()})"
    )

    ids = store.ids()
    acks: list[float] = []
    presented: list[float] = []
    for i in range(args.warmup + args.n):
        old = store.get(ids[i % len(ids)])
        model = old.hardware[0].chip_model if old.hardware else "H100"
        chips = 1000 + (i * 7919) % 90_000  # a different radius each time
        new = dataclasses.replace(old, hardware=(HardwareLine(model, chips),))

        t0 = time.perf_counter()
        store.replace(new)
        seq = controller.last_sent_seq
        wait_for(lambda s=seq: controller.last_rendered_seq >= s)
        t1 = time.perf_counter()
        t2 = presented_at(seq)
        store.replace(old)  # back, so every edit is a real change
        wait_for(lambda: controller.is_rendered)
        if i >= args.warmup:
            acks.append(1000 * (t1 - t0))
            presented.append(1000 * (t2 - t0))

    # Baseline: a message that changes nothing, acked the same way (2 animation frames).
    syncs: list[float] = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        seq = controller.request_frame()
        wait_for(lambda s=seq: controller.last_rendered_seq >= s)
        syncs.append(1000 * (time.perf_counter() - t0))

    for label, values in (
        ("store.replace -> rendered ack", acks),
        ("store.replace -> frame presented", presented),
        ("no-op sync -> rendered ack", syncs),
    ):
        print(
            f"{label:34s} n={len(values)}  median {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms  min {min(values):6.1f}  max {max(values):6.1f}"
        )
    if view.js_errors or view.external_requests:
        print(
            f"JS errors: {view.js_errors}; external requests: {view.external_requests}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
