"""How long the map exports take: an A4 300 dpi snapshot, and a PDF report with a map.

For the 39 demo sites (``explorer/geodata/demo_sites.geojson``) it times, N times each:

- **A4 300 dpi snapshot** (3508 x 2480 px), fitted to the sites, split into the stages
  :class:`~explorer.web.snapshot.SnapshotJob` reports: page load (a fresh offscreen
  page, up to its bridge being ready), view fit, rendering (until the widget shows the
  fitted frame, then the grab), overlays (legend, scale bar...), then PNG encoding and
  the atomic write;
- **PDF report** of the demo with two regions (a rectangle around Hami and a 200 km
  circle around Xining): the report's map (2000 x 1333 px at 300 dpi, regions drawn and
  fitted) and :func:`explorer.io.report.build_report`, i.e. what ``explorer report``
  does after reading its inputs.

Run headless (as root, Chromium also needs its sandbox turned off)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/export.py [-n 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from explorer import DEMO_SITES
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.formats import read_sites

REGIONS = [
    rectangle("Hami prefecture box", 91.0, 40.5, 96.5, 45.0),
    CircleRegion("Xining 200 km", 101.78, 36.62, 200_000),
]
STAGES = (
    "Loading the map",
    "Fitting the view",
    "Rendering the map",
    "Drawing the legend and scale",
)


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label:34s} median {statistics.median(values):7.0f} ms   "
        f"min {min(values):7.0f}   max {max(values):7.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="runs of each export (default 5)")
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args(argv)
    from explorer.web.engine import environment_problem

    if (problem := environment_problem()) is not None:
        print(f"{Path(__file__).name}: {problem}", file=sys.stderr)
        return 2

    from explorer.io.report import build_report
    from explorer.web.engine import make_application
    from explorer.web.snapshot import (
        SnapshotSpec,
        png_bytes,
        report_map_spec,
        run_snapshot,
        save_png,
    )

    make_application([])
    data = read_sites(DEMO_SITES)
    out = args.out or Path(tempfile.mkdtemp(prefix="explorer-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    stages: dict[str, list[float]] = {s: [] for s in (*STAGES, "PNG encode + write", "total")}
    spec = SnapshotSpec.from_preset("a4-300")
    for i in range(args.n):
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()
        result = run_snapshot(
            spec,
            sites=data.sites,
            metadata=data.metadata,
            on_progress=lambda _p, m, marks=marks: marks.append((m, time.perf_counter())),
        )
        rendered = time.perf_counter()
        save_png(out / "a4-300.png", result.image, spec.dpi)
        end = time.perf_counter()
        # Each stage lasts from its own progress mark to the next one.
        times = [t for _, t in marks] + [rendered]
        for (message, t0), t1 in zip(marks, times[1:], strict=False):
            if message in stages:
                stages[message].append((t1 - t0) * 1000)
        stages["PNG encode + write"].append((end - rendered) * 1000)
        stages["total"].append((end - start) * 1000)
        print(f"  snapshot run {i + 1}: {(end - start) * 1000:.0f} ms", file=sys.stderr)

    report_times: dict[str, list[float]] = {"report map": [], "build_report": [], "total": []}
    report_spec = report_map_spec(with_regions=True)
    pages = 0
    for i in range(args.n):
        start = time.perf_counter()
        result = run_snapshot(
            report_spec, sites=data.sites, regions=REGIONS, metadata=data.metadata
        )
        mapped = time.perf_counter()
        info = build_report(
            out / "report.pdf",
            sites=data.sites,
            regions=REGIONS,
            map_png=png_bytes(result.image, report_spec.dpi),
            title="Region report: benchmark",
            metadata=data.metadata,
        )
        end = time.perf_counter()
        pages = info.pages
        report_times["report map"].append((mapped - start) * 1000)
        report_times["build_report"].append((end - mapped) * 1000)
        report_times["total"].append((end - start) * 1000)
        print(f"  report run {i + 1}: {(end - start) * 1000:.0f} ms", file=sys.stderr)

    print(f"A4 landscape 300 dpi snapshot ({spec.width_px} x {spec.height_px} px), n={args.n}")
    for label, values in stages.items():
        print("  " + summary(label, values))
    size = (out / "a4-300.png").stat().st_size
    print(f"  PNG size {size / 1e6:.1f} MB")
    print(f"PDF report, 2 regions, map {report_spec.width_px} x {report_spec.height_px} px")
    for label, values in report_times.items():
        print("  " + summary(label, values))
    print(f"  {pages} pages, {(out / 'report.pdf').stat().st_size / 1e6:.1f} MB")
    print(f"files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
