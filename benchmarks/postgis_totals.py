"""Benchmark: region totals computed by PostGIS against the local engine, on a shared
catalogue of 10^6 synthetic sites.

The sites are those of ``benchmarks/totals.py`` (seeded, spread over Xinjiang, Qinghai
and around; one to four chip models each), written once into a throwaway local server
(``scripts/pg_local.py``) with ``DatabaseCatalogue.copy_in`` and into a GeoPackage
project. Two regions, as in ``totals.py``: a 30-vertex non-convex polygon over the Tarim
basin and a 200 km geodesic circle at Yiwu. Timed (wall clock, this process and the
server on the same machine):

* **PostGIS**: ``DatabaseCatalogue.totals([region])``: membership by ``ST_Covers`` (or a
  geodesic ``ST_DWithin`` on ``geography``) and sums over the ``site_capacity`` ledger in
  the server; only the figures and the ids of the sites inside come back. Best of 3.
* **local, from the database**: what a client without ``--in-database`` does: read the
  whole catalogue (``open_file(url)``), then ``totals``. One run.
* **local, from a GeoPackage**: ``open_file(project.gpkg)``, then ``totals`` from its
  columns (as ``explorer totals`` does). One run.
* **local, in memory**: ``totals`` on sites already loaded (the window's live totals).
  Best of 3.

The answers are checked equal (every figure of ``Totals.to_json``, site ids included);
the script exits non-zero otherwise. Where no server can be started it says so in one
line and exits 0.

Run: ``python benchmarks/postgis_totals.py [--sites 1000000]`` (or ``make bench``).
At 10^6 sites it takes a few minutes, most of it writing the catalogue.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from pg_local import running_server  # noqa: E402
from totals import CIRCLE, MODELS, catalogue, polygon_shape, synthetic  # noqa: E402

from explorer.core.schema import HardwareLine, Site  # noqa: E402
from explorer.geo.regions import CircleRegion, PolygonRegion, Region  # noqa: E402
from explorer.geo.totals import totals_many  # noqa: E402
from explorer.io.database.catalogue import DatabaseCatalogue  # noqa: E402
from explorer.io.opening import open_file  # noqa: E402
from explorer.io.project import save_project  # noqa: E402
from explorer.io.project_value import Project  # noqa: E402


def make_sites(n: int) -> list[Site]:
    """``n`` synthetic sites (``benchmarks/totals.py``'s), one line per chip model held."""
    ids, lon, lat, chips = synthetic(n)
    out = []
    for i in range(n):
        lines = tuple(
            HardwareLine(MODELS[j], int(chips[i, j])) for j in range(len(MODELS)) if chips[i, j]
        )
        out.append(Site(str(ids[i]), f"Site {i}", float(lon[i]), float(lat[i]), hardware=lines))
    return out


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """Best wall-clock time of ``repeats`` runs, in seconds, and the last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def local_totals(opened: Any, regions: list[Region], cat: Any) -> list[Any]:
    """``explorer totals``' route: the opened columns straight to the totals snapshot."""
    return totals_many(opened.columns.site_arrays(cat), regions, catalogue=cat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1_000_000, help="how many sites")
    args = parser.parse_args(argv)
    n = args.sites
    cat = catalogue()
    regions: list[Region] = [
        PolygonRegion("Tarim polygon (30 vertices)", polygon_shape()),
        CircleRegion("200 km circle at Yiwu", *CIRCLE),
    ]
    try:
        with running_server() as server, tempfile.TemporaryDirectory() as tmp:
            server.psql("create database bench")
            url = server.url("bench")
            return run(n, cat, regions, url, Path(tmp) / "bench.gpkg")
    except RuntimeError as exc:
        print(f"postgis_totals: skipped: no PostgreSQL/PostGIS server could be started ({exc})")
        return 0


def run(n: int, cat: Any, regions: list[Region], url: str, gpkg: Path) -> int:
    t_make, sites = timed(lambda: make_sites(n))
    project = Project(sites=sites, metadata={"title": "benchmark"})
    db = DatabaseCatalogue(url, catalogue=cat)
    t_copy, _ = timed(lambda: db.copy_in(project))
    t_save, _ = timed(lambda: save_project(gpkg, project))
    sites.clear()  # the project holds this list: memory back for the loads below
    print(
        f"{n:,} sites: built in {t_make:.1f} s; written to PostGIS (copy_in, the capacity "
        f"ledger included) in {t_copy:.1f} s, to a GeoPackage in {t_save:.1f} s\n"
    )
    t_db_load, from_db = timed(lambda: open_file(url, catalogue=cat))
    t_gpkg_load, from_gpkg = timed(lambda: open_file(gpkg, catalogue=cat))
    in_memory = from_gpkg.columns.site_arrays(cat)
    rows, agree = [], True
    for region in regions:
        t_pg, pg = timed(lambda r=region: db.totals([r]), repeats=3)
        t_db_sum, via_db = timed(lambda r=region: local_totals(from_db, [r], cat))
        t_gpkg_sum, via_gpkg = timed(lambda r=region: local_totals(from_gpkg, [r], cat))
        t_mem, mem = timed(lambda r=region: totals_many(in_memory, [r], catalogue=cat), repeats=3)
        same = pg[0].to_json() == via_db[0].to_json() == via_gpkg[0].to_json() == mem[0].to_json()
        agree = agree and same
        rows.append(
            (
                region.name,
                f"{pg[0].site_count:,}",
                f"{pg[0].chips:,}",
                f"{t_pg * 1000:,.1f}",
                f"{(t_db_load + t_db_sum):,.1f}",
                f"{(t_gpkg_load + t_gpkg_sum):,.1f}",
                f"{t_mem * 1000:,.1f}",
                "yes" if same else "NO",
            )
        )
    db.close()
    head = (
        "region",
        "sites inside",
        "chips",
        "PostGIS ms",
        "local from database s (load + totals)",
        "local from GeoPackage s (load + totals)",
        "local in memory ms",
        "equal",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(
        f"\nloads: the database read whole in {t_db_load:.1f} s, the GeoPackage in "
        f"{t_gpkg_load:.1f} s (each once, shared by both regions' local figures)"
    )
    if not agree:
        print("postgis_totals: PostGIS and the local engine DISAGREE", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
