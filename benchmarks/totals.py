"""Benchmark: region totals with explorer.geo against a geopandas spatial join.

Synthetic, seeded sites are spread over a box around Xinjiang and Qinghai. For each
size we total one ~30-vertex polygon and one 200 km geodesic circle two ways:

* ours: ``totals(SiteArrays, region)``; the region is built *inside* the timed call
  (validation, GEOS preparation, the polygon's cell grid), as when an analyst draws a
  new region. The one-time ``SiteArrays`` snapshot is timed separately.
* geopandas: ``sjoin(points, regions, predicate="intersects")`` then a groupby sum of
  the chip columns per region. The points GeoDataFrame is built once, outside the
  timing, like our snapshot. For the circle, the analyst's usual route: buffer the
  centre by 200 km in a local azimuthal-equidistant projection, back to WGS84, sjoin.

Polygon results must match exactly (the script exits non-zero otherwise). The buffered
circle is a 128-segment polygon, not a geodesic circle, so a few sites near its edge can
differ; the table reports how many.

Run: ``python benchmarks/totals.py`` (or ``make bench``). Takes about a minute.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point, Polygon

from explorer import GEODATA
from explorer.core.chips import ChipCatalogue, ChipModel
from explorer.geo.regions import CircleRegion, PolygonRegion
from explorer.geo.totals import SiteArrays, totals

SIZES = (1_000, 10_000, 100_000, 1_000_000)
BOX = (73.0, 32.0, 103.0, 50.0)  # west, south, east, north: Xinjiang, Qinghai and around
MODELS = ("H100", "H200", "H20", "Ascend 910C")
CIRCLE = (94.7, 43.3, 200_000.0)  # Yiwu County, Hami
REPEATS = 3


def catalogue() -> ChipCatalogue:
    """The bundled catalogue; a stand-in only if it has not been built yet.

    Chip counts (all that is compared here) do not depend on the catalogue figures.
    """
    if (GEODATA / "chips.csv").exists():
        return ChipCatalogue.bundled()
    return ChipCatalogue(
        [ChipModel(m, "", 1.0, 1.0, 0, "", True, "", "", "", "", "") for m in MODELS]
    )


def synthetic(n: int, seed: int = 20251) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` sites: ids, lon, lat and a sparse (n, len(MODELS)) chip matrix."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BOX[0], BOX[2], n)
    lat = rng.uniform(BOX[1], BOX[3], n)
    # Most sites plan one or two chip models; counts up to a few thousand.
    chips = rng.integers(1, 4000, (n, len(MODELS))) * (rng.random((n, len(MODELS))) < 0.35)
    ids = np.array([f"site-{i:07d}" for i in range(n)], dtype=object)
    return ids, lon, lat, chips.astype(np.int64)


def polygon_shape() -> Polygon:
    """A 30-vertex, non-convex polygon about 12 x 8 degrees over the Tarim basin."""
    t = np.linspace(0.0, 2 * math.pi, 31)[:-1]
    return Polygon(
        np.column_stack([85 + 6 * np.cos(t) * (1 + 0.25 * np.sin(3 * t)), 40 + 4 * np.sin(t)])
    )


def best_ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best of ``REPEATS`` wall-clock runs, in milliseconds, and the last result."""
    best, result = math.inf, None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3, result


def geopandas_totals(points: gpd.GeoDataFrame, region_geom: Any) -> tuple[pd.Series, set[str]]:
    regions = gpd.GeoDataFrame({"name": ["r"]}, geometry=[region_geom], crs="EPSG:4326")
    joined = gpd.sjoin(points, regions, predicate="intersects")
    sums = joined.groupby("index_right")[list(MODELS)].sum()
    per_model = sums.iloc[0] if len(sums) else pd.Series(0, index=list(MODELS))
    return per_model, set(joined["id"])


def geodesic_buffer(lon: float, lat: float, radius_m: float) -> Any:
    aeqd = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs"
    )
    centre = gpd.GeoSeries([Point(0.0, 0.0)], crs=aeqd)
    return centre.buffer(radius_m, quad_segs=32).to_crs("EPSG:4326").iloc[0]


def run_size(n: int, cat: ChipCatalogue, poly: Polygon) -> tuple[list[str], str, bool]:
    """Benchmark one size: table rows, a set-up row, and whether the polygon agreed."""
    ids, lon, lat, chips = synthetic(n)
    t_arrays, arrays = best_ms(
        lambda: SiteArrays.from_arrays(ids, lon, lat, chips, MODELS, catalogue=cat)
    )
    frame = pd.DataFrame(chips, columns=list(MODELS))
    frame.insert(0, "id", ids)
    t_gdf, points = best_ms(
        lambda: gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    )
    rows = []
    ok = True
    cases = (
        ("polygon (30 vertices)", lambda: PolygonRegion("poly", poly), lambda: poly),
        (
            "circle 200 km",
            lambda: CircleRegion("circle", *CIRCLE),
            lambda: geodesic_buffer(*CIRCLE),
        ),
    )
    for label, make_ours, make_geom in cases:
        t_ours, ours = best_ms(lambda mk=make_ours: totals(arrays, mk(), catalogue=cat))
        t_gpd, (gsum, gids) = best_ms(lambda mk=make_geom: geopandas_totals(points, mk()))
        differ = len(set(ours.site_ids) ^ gids)
        same_chips = all(ours.by_model_dict().get(m, 0) == int(gsum[m]) for m in MODELS)
        if label.startswith("polygon"):
            # Same predicate on the same polygon: must match exactly.
            agree = "yes" if (differ == 0 and same_chips) else f"NO ({differ} sites differ)"
            ok = differ == 0 and same_chips
        else:
            # A 128-gon buffer is not a geodesic circle: a few edge sites may differ.
            plural = "s" if differ != 1 else ""
            agree = "yes" if differ == 0 else f"{differ} edge site{plural} differ"
        rows.append(
            f"| {n:,} | {label} | {ours.site_count:,} | {t_ours:.2f} | {t_gpd:.1f} | "
            f"{t_gpd / t_ours:.0f}x | {agree} |"
        )
    return rows, f"| {n:,} | {t_arrays:.1f} | {t_gdf:.1f} |", ok


def main() -> int:
    cat = catalogue()
    poly = polygon_shape()
    versions = (
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
        f"geopandas {gpd.__version__}, pyproj {pyproj.__version__}, numpy {np.__version__}"
    )
    print(f"{versions}; best of {REPEATS}", file=sys.stderr)
    rows: list[str] = []
    build_rows: list[str] = []
    ok = True
    for n in SIZES:
        r, b, agreed = run_size(n, cat, poly)
        rows += r
        build_rows.append(b)
        ok = ok and agreed
    print("| n sites | region | sites inside | ours (ms) | geopandas sjoin (ms) | ratio | agree |")
    print("|---:|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    print()
    print("One-time set-up, not included above:")
    print()
    print("| n sites | SiteArrays snapshot (ms) | GeoDataFrame of points (ms) |")
    print("|---:|---:|---:|")
    print("\n".join(build_rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
