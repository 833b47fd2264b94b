"""How long a site edit takes to reach the region totals and the region panel.

Two data sets:

* **demo**: the 39 sites of ``explorer/geodata/demo_sites.geojson`` and 5 regions (rectangles,
  geodesic circles, a polygon drawn on the Mercator map);
* **scaled**: 100,000 seeded synthetic sites (``--sites``) over Xinjiang/Qinghai and 20
  regions (8 rectangles, 6 circles of 50-400 km, 6 drawn polygons of 12-40 vertices).

For each, two edits are pushed on a ``QUndoStack`` as ``EditSite`` commands, alternating
between two values so every edit is a real change:

* **chips**: one site inside a region changes its chip count;
* **move**: one site moves across a region boundary (in and out again).

and three moments are measured from just before ``push``:

* **updated**: :attr:`LiveTotals.updated` fires (the cache is current);
* **model**: the :class:`RegionPanel`'s model answers the new numbers (the cell text
  equals the new total; events are processed only if it does not yet);
* **painted**: the event loop has repainted the tree (the first paint event of its
  viewport after the edit has been handled), i.e. the new numbers are on screen.

The panel is shown (offscreen) with two regions selected (so the union line is
recomputed). Each case runs with the incremental cache, once with the tree collapsed
(as it opens) and once with every region expanded (so thousands of site rows are
diffed, laid out and repainted: the worst case), and, for comparison, with
``incremental=False`` (rebuild the snapshot and every mask on each edit; collapsed;
``--full-n`` edits, default 10, as each takes seconds at 100,000 sites).

Run headless::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/region_update.py [-n 200]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from explorer import DEMO_SITES  # noqa: E402
from explorer.core.chips import ChipCatalogue  # noqa: E402
from explorer.core.commands import EditSite  # noqa: E402
from explorer.core.schema import HardwareLine, Site  # noqa: E402
from explorer.core.store import SiteStore  # noqa: E402
from explorer.geo.live_totals import LiveTotals  # noqa: E402
from explorer.geo.region_store import RegionEntry, RegionStore  # noqa: E402
from explorer.geo.regions import CircleRegion, Region, mercator_polygon, rectangle  # noqa: E402
from explorer.io.formats import read_sites  # noqa: E402
from explorer.session.session import Session  # noqa: E402

FRAME_MS = 1000 / 60


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


# ----------------------------------------------------------------------------- data sets
def demo_regions() -> list[Region]:
    """Five regions over the demo sites."""
    return [
        rectangle("Hami", 92.0, 41.5, 96.0, 44.0),
        CircleRegion("Urumqi 150 km", 87.6, 43.8, 150_000),
        mercator_polygon("Qinghai east", [(94, 35), (103, 35), (103, 39), (97, 39.5), (94, 37)]),
        rectangle("North Xinjiang", 80.0, 43.0, 92.0, 47.0),
        CircleRegion("Yiwu 60 km", 94.7, 43.25, 60_000),
    ]


def synthetic_sites(n: int, rng: random.Random) -> list[Site]:
    """``n`` sites spread over 74-103 E, 32-48 N with one or two hardware lines."""
    models = [
        m for m in ("H100", "H200", "H20", "A100", "Ascend 910C") if m in ChipCatalogue.bundled()
    ]
    out = []
    for i in range(n):
        lines = tuple(
            HardwareLine(rng.choice(models), rng.randint(0, 20_000))
            for _ in range(rng.randint(1, 2))
        )
        out.append(
            Site(
                id=f"syn-{i:05d}",
                name=f"Synthetic site {i}",
                lon=rng.uniform(74.0, 103.0),
                lat=rng.uniform(32.0, 48.0),
                status="planned",
                hardware=lines,
                power_mw=rng.choice([None, float(rng.randint(5, 500))]),
                confidence="illustrative",
            )
        )
    return out


def synthetic_regions(rng: random.Random) -> list[Region]:
    """20 regions: 8 rectangles, 6 circles, 6 drawn star-shaped polygons."""
    out: list[Region] = []
    for i in range(8):
        w, s = rng.uniform(74, 98), rng.uniform(32, 44)
        out.append(rectangle(f"Rect {i + 1}", w, s, w + rng.uniform(2, 5), s + rng.uniform(1.5, 4)))
    for i in range(6):
        out.append(
            CircleRegion(
                f"Circle {i + 1}",
                rng.uniform(76, 101),
                rng.uniform(34, 46),
                rng.uniform(50_000, 400_000),
            )
        )
    while len(out) < 20:
        cx, cy, r = rng.uniform(78, 99), rng.uniform(35, 45), rng.uniform(1.5, 3.5)
        k = rng.randint(12, 40)
        ring = [
            (
                cx + r * rng.uniform(0.6, 1.0) * math.cos(2 * math.pi * j / k),
                cy + 0.7 * r * rng.uniform(0.6, 1.0) * math.sin(2 * math.pi * j / k),
            )
            for j in range(k)
        ]
        try:
            out.append(mercator_polygon(f"Polygon {len(out) - 13}", ring))
        except ValueError:
            continue  # densified edges crossed near a sharp inward vertex: draw another
    return out


# ----------------------------------------------------------------------------- the edits
class _PaintCounter:
    """Counts paint events of a widget (installed as an event filter)."""

    def __init__(self, widget: object) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class _Filter(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = _Filter()
        widget.installEventFilter(self._filter)  # type: ignore[attr-defined]


@dataclass
class Case:
    """One edit, toggled between two site values; ``rid`` is a region whose row changes."""

    label: str
    a: Site
    b: Site
    rid: str


def pick_cases(live: LiveTotals, store: SiteStore, regions: RegionStore) -> list[Case]:
    """A chips edit inside the first region, and a move out of a region and back."""
    rids = regions.ids()
    first = next(rid for rid in rids if live.site_ids(rid))
    site = store.get(live.site_ids(first)[0])
    line = site.hardware[0] if site.hardware else HardwareLine("H100", 0)
    high = None if line.chips_high is None else line.chips_high + 1234  # keep the range valid
    bigger = replace(line, chips=line.chips + 1234, chips_high=high)
    more = replace(site, hardware=(bigger, *site.hardware[1:]))
    cases = [Case("chips", site, more, first)]
    # Move: a site inside some region to a point inside no region it was in.
    for rid in rids:
        for sid in live.site_ids(rid):
            s = store.get(sid)
            for dlon, dlat in ((3, 0), (-3, 0), (0, 3), (0, -3), (6, 2), (-6, -2)):
                lon, lat = s.lon + dlon, s.lat + dlat
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    continue
                if not regions.get(rid).region.contains_point(lon, lat):
                    cases.append(Case("move", s, replace(s, lon=lon, lat=lat), rid))
                    return cases
    raise RuntimeError("no site could be moved across a boundary")


def run(
    name: str,
    sites: list[Site],
    region_list: list[Region],
    *,
    incremental: bool,
    expanded: bool,
    n: int,
    warmup: int,
) -> list[tuple[str, str, list[float], list[float], list[float]]]:
    """Measure both edits for one data set and cache mode; returns rows for the table."""
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from explorer.ui.region_format import column_of
    from explorer.ui.region_panel import RegionPanel
    from explorer.ui.undo import QtHistory, push

    app = QApplication.instance() or QApplication([sys.argv[0]])
    stack = QUndoStack()
    t0 = time.perf_counter()
    session = Session(
        ChipCatalogue.bundled(),
        history=QtHistory(stack),
        admin_areas=None,
        incremental_totals=incremental,
    )
    session.sites.reset(sites)
    session.regions.insert([RegionEntry(f"r{i + 1}", r) for i, r in enumerate(region_list)])
    build_ms = 1000 * (time.perf_counter() - t0)
    store, regions, live = session.sites, session.regions, session.live_totals

    fired: list[float] = []
    # Connected before the panel exists, so it runs before the panel's own handler.
    live.updated.connect(lambda _rids: fired.append(time.perf_counter()))
    panel = RegionPanel(session)
    panel.resize(1200, 700)
    panel.show()
    if expanded:
        panel.view.expandAll()
    panel.select_regions(regions.ids()[:2])
    app.processEvents()

    paints = _PaintCounter(panel.view.viewport())

    rows = []
    for case in pick_cases(live, store, regions):
        # As the site panel does: the store's door parses (and validates) the edited
        # value before the command; the command then stores it without a second check.
        vetted = [store.parse(s.to_dict(), s.lon, s.lat) for s in (case.a, case.b)]
        assert vetted == [case.a, case.b]
        col = column_of("chips" if case.label == "chips" else "sites")
        panel.view.scrollTo(panel.model.region_index(case.rid))
        app.processEvents()
        to_updated: list[float] = []
        to_model: list[float] = []
        to_painted: list[float] = []
        for i in range(warmup + n):
            old, new = (case.a, case.b) if i % 2 == 0 else (case.b, case.a)
            cmd = EditSite(store, old, new)  # values vetted by the store's door, as the panel does
            fired.clear()
            painted_before = paints.count
            t_start = time.perf_counter()
            push(stack, cmd)
            t_done = time.perf_counter()
            t = live.totals(case.rid)
            want = f"{t.chips:,}" if case.label == "chips" else f"{t.site_count:,}"
            index = panel.model.region_index(case.rid, col)
            while _central(panel.model.data(index)) != want:
                app.processEvents()
            t_model = time.perf_counter()
            # The window repaints its dirty parts when the event loop next runs.
            deadline = t_model + 1.0
            while paints.count == painted_before and time.perf_counter() < deadline:
                app.processEvents()
            t_paint = time.perf_counter()
            if paints.count == painted_before:
                raise RuntimeError(f"{name} {case.label}: the tree did not repaint")
            if i >= warmup:
                to_updated.append(1000 * ((fired[0] if fired else t_done) - t_start))
                to_model.append(1000 * (t_model - t_start))
                to_painted.append(1000 * (t_paint - t_start))
        mode = f"{'incr' if incremental else 'full'}/{'expanded' if expanded else 'collapsed'}"
        rows.append((f"{name} {case.label}", mode, to_updated, to_model, to_painted))
    # A whole-viewport repaint, for scale (what scrolling or a resize costs).
    full: list[float] = []
    for _ in range(20):
        t0 = time.perf_counter()
        panel.view.viewport().repaint()
        full.append(1000 * (time.perf_counter() - t0))
    print(
        f"  [{name}, {'incremental' if incremental else 'full rebuild'}, tree "
        f"{'expanded' if expanded else 'collapsed'}] {len(store):,} sites, "
        f"{len(regions)} regions; LiveTotals built in {build_ms:.1f} ms; "
        f"full viewport repaint median {statistics.median(full):.2f} ms"
    )
    panel.close()
    panel.deleteLater()
    live.detach()
    app.processEvents()
    return rows


def _central(shown: object) -> str:
    """The central figure of a panel cell: chips are shown with their low-high range
    after them when it differs ("89,090 (85,722–103,450)")."""
    return str(shown).split(" ", 1)[0]


def main(argv: list[str] | None = None) -> int:
    """Run every case and print median / p95 latencies in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="measured edits per case (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="edits before measuring")
    parser.add_argument(
        "--sites", type=int, default=100_000, help="synthetic sites (default 100000)"
    )
    parser.add_argument(
        "--full-n", type=int, default=10, help="measured edits per full-rebuild case"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-full", action="store_true", help="skip the full-rebuild comparison")
    args = parser.parse_args(argv)

    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    rng = random.Random(args.seed)
    datasets: list[tuple[str, list[Site], list[Region]]] = [
        ("demo", read_sites(DEMO_SITES).sites, demo_regions()),
        (f"{args.sites // 1000}k", synthetic_sites(args.sites, rng), synthetic_regions(rng)),
    ]
    print(f"Qt {qVersion()}, platform {app.platformName()}, n={args.n} per case")
    rows = []
    for name, sites, region_list in datasets:
        modes = [(True, False), (True, True)] + ([] if args.no_full else [(False, False)])
        for incremental, expanded in modes:
            rows += run(
                name,
                sites,
                region_list,
                incremental=incremental,
                expanded=expanded,
                n=args.n if incremental else args.full_n,
                warmup=args.warmup if incremental else 1,
            )

    def fmt(values: list[float]) -> str:
        return f"{statistics.median(values):7.2f} {percentile(values, 95):7.2f}"

    print()
    head = ("-> updated", "-> model", "-> painted")
    print(f"{'case':12s} {'cache/tree':15s} " + " ".join(f"{h:>15s}" for h in head))
    print(f"{'':12s} {'':15s} " + " ".join(f"{'median    p95':>15s}" for _ in head))
    worst = 0.0
    for case, mode, up, model, painted in rows:
        print(f"{case:12s} {mode:15s} {fmt(up):>15s} {fmt(model):>15s} {fmt(painted):>15s}")
        if mode.startswith("incr"):
            worst = max(worst, percentile(painted, 95))
    over = [
        f"{case} {mode}"
        for case, mode, _, _, painted in rows
        if mode.startswith("incr") and percentile(painted, 95) > FRAME_MS
    ]
    print(
        f"\nOne frame at 60 Hz is {FRAME_MS:.1f} ms; worst incremental p95 to painted: "
        f"{worst:.2f} ms. Over one frame at p95: {', '.join(over) if over else 'none'}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
