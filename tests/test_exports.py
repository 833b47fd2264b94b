"""Exports: sites inside a region (every format) and regions as GeoJSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Polygon

from explorer import DEMO_SITES
from explorer.cli import run_cli
from explorer.core.errors import DataFileError
from explorer.core.schema import Site
from explorer.geo.regions import (
    CircleRegion,
    PolygonRegion,
    Region,
    rectangle,
    region_from_feature,
)
from explorer.geo.totals import totals
from explorer.io.exports import FILTER_KEY, export_regions, export_sites, sites_in_region
from explorer.io.formats import read_sites
from explorer.io.region_files import load_regions


@pytest.fixture(scope="module")
def demo() -> tuple[list[Site], dict]:
    sf = read_sites(DEMO_SITES)
    return sf.sites, sf.metadata


HAMI = rectangle("Hami / Yiwu box", 93.0, 42.0, 96.0, 44.5)
XINING = CircleRegion("Xining 200 km", 101.78, 36.62, 200_000.0)
TRIANGLE = PolygonRegion("Triangle", Polygon([(80, 35), (90, 47), (100, 35)]))
EMPTY = rectangle("Empty sea", 0.0, 0.0, 1.0, 1.0)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
@pytest.mark.parametrize("region", [HAMI, XINING, TRIANGLE, EMPTY], ids=lambda r: r.name)
def test_export_sites_in_region_round_trips(
    tmp_path: Path, demo: tuple[list[Site], dict], suffix: str, region: Region
) -> None:
    sites, meta = demo
    t = totals(sites, region)
    path = tmp_path / f"subset{suffix}"
    n = export_sites(path, sites, region=region, metadata=meta)
    assert n == t.site_count
    back = read_sites(path)
    assert [s.id for s in back.sites] == [s.id for s in sites if s.id in set(t.site_ids)]
    assert back.sites == [s for s in sites if s.id in set(t.site_ids)]  # every field intact
    assert totals(back.sites).chips == t.chips
    if suffix == ".csv":
        assert back.metadata == {}  # CSV keeps no metadata
        return
    record = back.metadata[FILTER_KEY]
    assert record["region_name"] == region.name
    assert record["site_count"] == n
    assert record["unfiltered_site_count"] == len(sites)
    assert totals(sites, region_from_feature(record["region"])) == t  # the filter re-applies
    assert "boundary" in record["predicate"]
    # The parent's totals move aside so nobody reads them as the subset's.
    assert "totals" not in back.metadata
    assert record["unfiltered_totals"] == meta["totals"]
    assert back.metadata["title"] == meta["title"]


def test_export_all_sites_without_region(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, meta = demo
    path = tmp_path / "all.geojson"
    assert export_sites(path, sites, metadata=meta) == len(sites)
    # Every record is exported; a superseded one (the demo's Nyocor announcement) is kept
    # for history but never counted.
    superseded = {s.supersedes for s in sites if s.supersedes}
    assert totals(sites).site_count == len(sites) - len(superseded) > 0
    back = read_sites(path)
    assert back.sites == sites
    assert back.metadata == meta  # no filter recorded, nothing moved


def test_site_on_the_boundary_is_exported(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, _ = demo
    s = sites[0]
    edge = rectangle("edge", s.lon, s.lat - 1, s.lon + 1, s.lat + 1)  # s on the west edge
    assert [x.id for x in sites_in_region(sites, edge)] == list(totals(sites, edge).site_ids)
    assert s.id in totals(sites, edge).site_ids
    assert (
        export_sites(tmp_path / "e.geojson", sites, region=edge) == totals(sites, edge).site_count
    )


def test_export_sites_rejects_bad_input(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, _ = demo
    with pytest.raises(DataFileError, match="unsupported file type '.txt'"):
        export_sites(tmp_path / "x.txt", sites)
    with pytest.raises(TypeError, match=r"sites\[1\] must be a Site"):
        export_sites(tmp_path / "x.geojson", [sites[0], "nope"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="region must be a Region"):
        export_sites(tmp_path / "x.geojson", sites, region="Hami")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_export_regions_reads_back_and_feeds_explorer_totals(
    tmp_path: Path, demo: tuple[list[Site], dict], capsys: pytest.CaptureFixture[str]
) -> None:
    sites, _ = demo
    regions = [HAMI, XINING, TRIANGLE]
    path = tmp_path / "regions.geojson"
    assert export_regions(path, regions) == 3
    back = load_regions(path)
    assert [r.name for r in back] == [r.name for r in regions]
    assert isinstance(back[1], CircleRegion) and back[1].radius_m == 200_000.0
    assert isinstance(back[0], PolygonRegion) and back[0].kind == "rectangle"
    for a, b in zip(regions, back, strict=True):
        assert totals(sites, a) == totals(sites, b)
    assert run_cli(["totals", str(DEMO_SITES), "--regions", str(path), "--json"]) == 0
    assert '"name": "Xining 200 km"' in capsys.readouterr().out


def test_export_regions_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="regions are exported as GeoJSON, got '.gpkg'"):
        export_regions(tmp_path / "r.gpkg", [HAMI])
    with pytest.raises(ValueError, match="no regions to export"):
        export_regions(tmp_path / "r.geojson", [])
    with pytest.raises(TypeError, match=r"regions\[0\] must be a Region"):
        export_regions(tmp_path / "r.geojson", ["Hami"])  # type: ignore[list-item]
    assert list(tmp_path.iterdir()) == []
