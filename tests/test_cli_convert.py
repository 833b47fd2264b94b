"""``explorer convert IN OUT``: any supported format to any other, sites and regions, with
the window's exporters (``explorer.io.exports``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.cli import run_cli
from explorer.core.schema import Site
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.exports import FILTER_KEY, export_sites, sites_in_region
from explorer.io.formats import read_sites, write_sites
from explorer.io.project import Project, load_project, save_project
from explorer.io.region_files import load_regions
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
SITES = [
    Site("a", "Hami A", 93.5, 42.8, notes="line one\nline two"),
    Site("b", "Hami B", 93.6, 42.9),
    Site("c", "Xining", 101.8, 36.6, operator="=HYPERLINK(1)"),
]
META = {"title": "Test data", "as_of": "2025-12-15"}
HAMI = rectangle("Hami box", 93.0, 42.0, 94.0, 43.5)
XINING = CircleRegion("Xining 100 km", 101.78, 36.62, 100_000)


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in argv], catalogue=CAT)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "in.gpkg"
    save_project(
        path, Project(sites=SITES, metadata=META, regions=[HAMI.to_feature(), XINING.to_feature()])
    )
    return path


@pytest.mark.parametrize("chain", [("geojson", "csv", "gpkg", "json"), ("csv", "gpkg", "csv")])
def test_every_format_to_every_other_keeps_the_sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], chain: tuple[str, ...]
) -> None:
    src = tmp_path / "start.geojson"
    write_sites(src, SITES, META)
    for n, ext in enumerate(chain):
        out = tmp_path / f"step{n}.{ext}"
        code, stdout, err = _run(capsys, "convert", src, out)
        assert (code, err) == (0, ""), err
        assert stdout == f"{out}: 3 sites{', 0 regions' if ext == 'gpkg' else ''}\n"
        assert read_sites(out, catalogue=CAT).sites == SITES
        src = out


def test_a_project_to_geojson_says_where_its_regions_did_not_go(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.geojson"
    code, stdout, err = _run(capsys, "convert", project, out)
    assert code == 0
    assert err == (
        "note: 2 regions not written (geojson holds sites only); add --regions-out FILE.geojson\n"
    )
    assert read_sites(out, catalogue=CAT).metadata == META
    regions_out = tmp_path / "regions.geojson"
    code, stdout, err = _run(capsys, "convert", project, out, "--regions-out", regions_out)
    assert (code, err) == (0, "")
    assert stdout.splitlines()[-1] == f"{regions_out}: 2 regions"
    assert [r.name for r in load_regions(regions_out)] == ["Hami box", "Xining 100 km"]


def test_sites_and_regions_files_into_one_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, regions, out = tmp_path / "s.csv", tmp_path / "r.geojson", tmp_path / "p.gpkg"
    write_sites(src, SITES)
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": [XINING.to_feature()]}))
    code, stdout, err = _run(capsys, "convert", src, out, "--regions", regions)
    assert (code, stdout) == (0, f"{out}: 3 sites, 1 region\n"), err
    project = load_project(out, catalogue=CAT)
    assert project.sites == SITES
    assert [f["properties"]["name"] for f in project.regions] == ["Xining 100 km"]


def test_inside_a_region_writes_what_the_window_writes(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hami.csv"
    code, stdout, _ = _run(capsys, "convert", project, out, "--inside", "Hami box")
    assert (code, stdout) == (0, f"{out}: 2 sites inside 'Hami box'\n")
    # The window's exporter, on the same input, writes the very same bytes.
    window = tmp_path / "window.csv"
    export_sites(window, SITES, region=HAMI, metadata=META)
    assert out.read_bytes() == window.read_bytes()
    assert read_sites(out, catalogue=CAT).sites == sites_in_region(SITES, HAMI)
    gj = tmp_path / "hami.geojson"
    assert run_cli(["convert", str(project), str(gj), "--inside", "Hami box"], catalogue=CAT) == 0
    record = read_sites(gj, catalogue=CAT).metadata[FILTER_KEY]
    assert (record["region_name"], record["site_count"], record["unfiltered_site_count"]) == (
        "Hami box",
        2,
        3,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{project}", "{tmp}/out.txt"], "{tmp}/out.txt: sites are written as .geojson, .json, "
         ".gpkg, .csv, .parquet, .geoparquet, got '.txt'"),
        (["{project}", "{tmp}/no/out.csv"], "{tmp}/no/out.csv: output folder '{tmp}/no' does "
         "not exist"),
        (["{project}", "{tmp}/o.csv", "--inside", "Nowhere"],
         "--inside 'Nowhere': no region of that name (regions: 'Hami box', 'Xining 100 km')"),
        (["{project}", "{tmp}/o.csv", "--regions-out", "{tmp}/r.csv"],
         "{tmp}/r.csv: regions are written as .geojson, .json, got '.csv'"),
        (["{sites}", "{tmp}/o.csv", "--regions-out", "{tmp}/r.geojson"],
         "--regions-out: {sites} has no regions to write"),
        (["{tmp}/missing.geojson", "{tmp}/o.csv"], "{tmp}/missing.geojson: no such file"),
    ],
)  # fmt: skip
def test_bad_requests_are_one_line_and_write_nothing(
    tmp_path: Path,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    sites = tmp_path / "s.geojson"
    write_sites(sites, SITES)
    before = sorted(p.name for p in tmp_path.iterdir())
    fill = {"project": project, "tmp": tmp_path, "sites": sites}
    code, stdout, err = _run(capsys, "convert", *(a.format(**fill) for a in argv))
    assert (code, stdout) == (2, "")
    assert err == f"explorer: error: {message.format(**fill)}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_project_to_project_keeps_the_users_tables(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    with sqlite3.connect(project) as db:
        db.execute("CREATE TABLE my_notes (site_id TEXT, note TEXT)")
        db.execute("INSERT INTO my_notes VALUES ('a', 'call back')")
    out = tmp_path / "copy.gpkg"
    code, stdout, _ = _run(capsys, "convert", project, out)
    assert (code, stdout) == (0, f"{out}: 3 sites, 2 regions\n")
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT * FROM my_notes").fetchall() == [("a", "call back")]
