"""Benchmark: where a sites file stops being small (issue 10, cold start).

Reads synthetic GeoJSON files of several sizes in a fresh interpreter each time, as the
window's first open does, once per route: record by record
(:func:`explorer.io.record_check.check_records`, no pyarrow) and column by column
(:func:`explorer.io.column_check.check_sites`, which loads pyarrow and, through it,
pandas). Each time is import + read + check; the route is forced by setting
``SMALL_FILE_RECORDS``. Prints a markdown table of medians; the threshold in
:mod:`explorer.io.record_check` is the size up to which the per-record route wins.

Run: ``python benchmarks/small_read.py [--sizes 41,1000,5000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from explorer.core.chips import ChipCatalogue
from explorer.io import record_check
from explorer.io.formats import read_site_columns
catalogue = ChipCatalogue.bundled()
t1 = time.perf_counter()
record_check.SMALL_FILE_RECORDS = int(sys.argv[2])
read = read_site_columns(sys.argv[1], "geojson", catalogue)
t2 = time.perf_counter()
read.columns.sites()
t3 = time.perf_counter()
print(json.dumps({"read": t2 - t1, "sites": t3 - t2, "arrow": "pyarrow" in sys.modules}))
"""


def write_synthetic(directory: Path, n: int) -> Path:
    """A GeoJSON file of ``n`` synthetic sites (written once per run)."""
    sys.path.insert(0, str(ROOT))
    from explorer.io.formats import write_sites
    from tests.web.synthetic import synthetic_sites

    path = directory / f"synthetic-{n}.geojson"
    write_sites(path, synthetic_sites(n), {"title": f"{n} synthetic sites"})
    return path


def run(path: Path, threshold: int) -> dict[str, float]:
    """One fresh interpreter reading ``path`` with the given threshold."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(threshold)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="41,500,1000,2000,5000,10000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = write_synthetic(Path(tmp), n)
            times: dict[str, list[float]] = {"record": [], "column": []}
            built: dict[str, list[float]] = {"record": [], "column": []}
            for _ in range(args.repeat):
                # Interleaved, so a change in the machine's load hits both routes.
                for route, threshold in (("record", n), ("column", -1)):
                    got = run(path, threshold)
                    assert got["arrow"] == (route == "column"), (route, got)
                    times[route].append(got["read"])
                    built[route].append(got["sites"])
            med = {k: statistics.median(v) for k, v in times.items()}
            med_b = {k: statistics.median(v) for k, v in built.items()}
            rows.append(
                f"| {n:,} | {med['record'] * 1000:.0f} | {med['column'] * 1000:.0f} "
                f"| {med_b['record'] * 1000:.0f} | {med_b['column'] * 1000:.0f} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} fresh interpreters")
    print(
        "| records | read+check, per record (ms) | read+check, columns (ms) "
        "| build sites after, per record (ms) | build sites after, columns (ms) |"
    )
    print("|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
