"""The command line on a shared catalogue, against a real server: every command that
reads SITES takes a database URL, ``totals --in-database`` equals the local engine,
``history`` and ``diff`` are exact after a scripted sequence of edits (undo included),
``copy`` round trips file -> database -> file and back with the history, and a
read-only role reads but cannot be copied into. No error line shows a password."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from explorer.cli import run_cli
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, Source
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.database.catalogue import DatabaseCatalogue
from explorer.io.database.url import display_url
from explorer.io.opening import open_file
from explorer.io.project import read_project, save_project
from explorer.io.project_value import Project
from explorer.session.diff import diff_projects
from explorer.session.session import Session
from tests.helpers import chip_model
from tests.pg_server import PgServer

CAT = ChipCatalogue(
    [
        chip_model("H100", tflops=1000.0, watts=700.0),
        chip_model("H20", restricted=False, tflops=148.0, watts=400.0),
    ]
)
SITES = [
    Site(
        "yiwu",
        "Yiwu cluster",
        94.69,
        43.25,
        hardware=(
            HardwareLine("H100", 1000, 125, 8, "1", "operational", "2024-04", 900, 1100),
            HardwareLine("H20", 50, online="2026"),
        ),
        sources=(Source("Report", "https://example.org/r", "2025", "quote"),),
        confidence="illustrative",
    ),
    Site("edge", "On the edge", 96.0, 43.0, hardware=(HardwareLine("H100", 7),)),
    Site("far", "Far away", 80.0, 30.0, hardware=(HardwareLine("H20", 40),), power_mw=5.0),
]
# The box's east edge passes through "edge": inside (covers). The ring is a geodesic circle.
REGIONS = [
    RegionEntry("r1", rectangle("Hami", 92, 41, 96, 44)),
    RegionEntry("r2", CircleRegion("Ring", 80.0, 30.0, 50_000.0)),
]


@pytest.fixture
def url(pg_url: str) -> str:
    db = DatabaseCatalogue(pg_url, catalogue=CAT)
    db.replace_all(
        Project(sites=SITES, metadata={"title": "Team"}, regions=[e.to_feature() for e in REGIONS])
    )
    db.close()
    return pg_url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv), catalogue=CAT)
    out, err = capsys.readouterr()
    return code, out, err


def _regions_file(tmp_path: Path) -> Path:
    path = tmp_path / "regions.geojson"
    doc = {"type": "FeatureCollection", "features": [e.to_feature() for e in REGIONS]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _reader(pg_server: PgServer, url: str) -> str:
    """A URL for a role that may only read the catalogue at ``url``."""
    name = urlsplit(url).path.lstrip("/")
    pg_server.psql("do $$ begin create role reader login; exception when others then null; end $$")
    pg_server.psql("grant select on all tables in schema public to reader", database=name)
    return pg_server.url(name, user="reader")


# ---------------------------------------------------------------------- every command
def test_totals_of_a_database_equal_those_of_the_same_sites_in_a_file(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path
) -> None:
    regions = _regions_file(tmp_path)
    file = tmp_path / "same.geojson"
    from explorer.io.formats import write_sites

    write_sites(file, SITES)
    for as_of in ((), ("--as-of", "2025")):
        code, local, _ = _run(
            capsys, "totals", str(file), "--regions", str(regions), "--json", *as_of
        )
        assert code == 0
        code, remote, err = _run(capsys, "totals", url, "--regions", str(regions), "--json", *as_of)
        assert code == 0, err
        code, in_db, err_db = _run(
            capsys, "totals", url, "--regions", str(regions), "--json", "--in-database", *as_of
        )
        assert code == 0, err_db
        assert json.loads(remote) == json.loads(local) == json.loads(in_db)
        assert "1 of 3 sites" in err and "1 of 3 sites" in err_db  # the illustrative note
    # The figures themselves, known independently: Hami holds yiwu (1000 + 50) and edge (7).
    doc = json.loads(in_db)
    hami = doc["regions"][0]
    assert hami["name"] == "Hami" and hami["site_count"] == 2
    # As of 2025 only dated lines online by then count: the H100 line of 2024-04 (edge's
    # undated line counts in the planned build-out only, the H20 line of 2026 not yet).
    assert hami["chips"] == 1000
    # Without regions: over all sites, in the database too, as a table.
    code, table, _ = _run(capsys, "totals", url, "--in-database")
    assert code == 0 and table.splitlines()[2].split()[:3] == ["region", "sites", "chips"]
    assert table.splitlines()[3].split()[:3] == ["all", "3", "1,097"]


def test_timeline_validate_convert_take_a_url(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path
) -> None:
    code, out, err = _run(
        capsys, "timeline", url, "--from", "2024", "--to", "2026", "--step", "year", "--json"
    )
    assert code == 0, err
    points = json.loads(out)["regions"][0]["points"]
    assert [p["chips"] for p in points] == [1000, 1000, 1050]  # dated lines only
    code, out, err = _run(capsys, "validate", url)
    assert code == 0, err
    shown = display_url(url)
    assert f"{shown}: 3 sites, no problems, 1 warning" in out  # far's power, reported
    assert "far: power_mw" in out
    target = tmp_path / "out.gpkg"
    code, out, err = _run(capsys, "convert", url, str(target))
    assert code == 0, err
    project, problems = read_project(target, catalogue=CAT)
    assert not problems and project.sites == SITES
    assert [f["properties"]["name"] for f in project.regions] == ["Hami", "Ring"]


def test_snapshot_and_report_take_a_url(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path
) -> None:
    png, pdf = tmp_path / "map.png", tmp_path / "r.pdf"
    code, out, err = _run(
        capsys, "snapshot", url, "--out", str(png), "--width", "800", "--height", "500"
    )
    assert code == 0, err
    assert "3 sites of 3 in view" in out and "2 regions" in out and png.stat().st_size > 10_000
    code, out, err = _run(capsys, "report", url, "--out", str(pdf))
    assert code == 0, err
    assert "2 regions" in out and pdf.read_bytes().startswith(b"%PDF")


def test_errors_name_the_database_without_its_password(
    capsys: pytest.CaptureFixture[str], pg_server: PgServer, url: str
) -> None:
    name = urlsplit(url).path.lstrip("/")
    pg_server.psql("do $$ begin create role secretive login password 'hunter2'; end $$")
    bad = f"postgresql://secretive:wrong-hunter2@localhost:1/{name}"  # nothing listens on port 1
    for argv in (
        ("totals", bad, "--json"),
        ("totals", bad, "--in-database"),
        ("history", bad, "yiwu"),
        ("diff", bad, "--at", "2026-01-01"),
        ("copy", url, bad),
    ):
        code, out, err = _run(capsys, *argv)
        assert code == 2 and out == ""
        assert err.startswith("explorer: error: postgresql://secretive@localhost:1/")
        assert "hunter2" not in err and err.count("\n") == 1
    code, _, err = _run(capsys, "totals", "tests.geojson", "--in-database")
    assert code == 2 and "--in-database: SITES must be a database URL" in err


# ---------------------------------------------------------------------- history and diff
def _scripted_edits(url: str) -> list[Project]:
    """Edits through a team session, undo included; the catalogue after each step."""
    s = Session(CAT, admin_areas=None)
    s.open(url)
    states = [s.project()]
    s.reason = "tender of 2025-06"
    yiwu = s.sites.get("yiwu")
    s.edit_site(yiwu, yiwu.with_changes(name="Yiwu II", operator="Op"))
    states.append(s.project())
    s.reason = ""
    s.move_site("edge", 95.5, 43.0)
    states.append(s.project())
    s.delete_sites(["far"])
    states.append(s.project())
    assert s.undo()  # "far" comes back: a new change
    states.append(s.project())
    s.add_region(RegionEntry("r3", rectangle("West", 79, 29, 81, 31)))
    states.append(s.project())
    assert s.database is not None
    s.database.close()
    return states


def _spread_history(pg_server: PgServer, url: str) -> list[datetime]:
    """Give the recorded changes one hour each from 2026-01-01 (in their order), so a
    time between two of them names one state; returns the times."""
    name = urlsplit(url).path.lstrip("/")
    pg_server.psql(
        "update history h set at = timestamptz '2026-01-01 00:00Z' + (o.n - 1) * interval '1 hour' "
        "from (select id, row_number() over (order by id) n from history) o where o.id = h.id",
        database=name,
    )
    rows = pg_server.psql("select count(*) from history", database=name)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [start + timedelta(hours=k) for k in range(int(rows.strip()))]


def test_history_lists_every_change_of_a_site_exactly(
    capsys: pytest.CaptureFixture[str], pg_server: PgServer, url: str
) -> None:
    _scripted_edits(url)
    _spread_history(pg_server, url)
    code, out, err = _run(capsys, "history", url, "far", "--json")
    assert code == 0, err
    changes = json.loads(out)["changes"]
    assert [(c["at"], c["action"]) for c in changes] == [
        ("2026-01-01T02:00:00Z", "insert"),  # replace_all: yiwu, edge, far, then regions
        ("2026-01-01T07:00:00Z", "delete"),
        ("2026-01-01T08:00:00Z", "insert"),  # the undo
    ]
    assert {c["who"] for c in changes} == {pg_server.superuser}
    assert changes[1]["before"]["power_mw"] == 5.0 and changes[1]["after"] is None
    assert changes[2]["after"] == changes[1]["before"]
    code, out, err = _run(capsys, "history", url, "yiwu")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["when", "who", "action", "field", "before", "after", "reason"]
    update = [ln for ln in lines if " update " in ln]
    assert len(update) == 1 and update[0].startswith("2026-01-01T05:00:00Z")
    assert '"Yiwu cluster"  →  "Yiwu II"' in update[0] and "tender of 2025-06" in update[0]
    # The next line carries the second field of the same change.
    following = lines[lines.index(update[0]) + 1]
    assert following.split()[:2] == ["operator", "→"] or '"Op"' in following
    assert lines[-1] == "2 changes of site 'yiwu', oldest first"


def test_a_database_at_a_time_is_exactly_what_it_held_then(
    capsys: pytest.CaptureFixture[str], pg_server: PgServer, url: str, tmp_path: Path
) -> None:
    states = _scripted_edits(url)
    times = _spread_history(pg_server, url)
    # replace_all recorded 5 changes (3 sites, 2 regions): states[0] holds from times[4].
    db = DatabaseCatalogue(url, catalogue=CAT)
    try:
        for k, state in enumerate(states):
            then = db.project_at(times[4 + k] + timedelta(minutes=30))
            assert not then.problems
            assert sorted(then.project.sites, key=lambda s: s.id) == sorted(
                state.sites, key=lambda s: s.id
            ), k
            assert {f["id"] for f in then.project.regions} == {f["id"] for f in state.regions}
            assert len(then.project.history) == 5 + k
        # Before anything was recorded: empty.
        assert db.project_at(times[0] - timedelta(seconds=1)).project.sites == []
    finally:
        db.close()
    regions = _regions_file(tmp_path)
    code, out, err = _run(
        capsys, "diff", url, "--at", "2026-01-01T04:30Z", "--regions", str(regions), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    expected = diff_projects(states[0], states[-1], [e.region for e in REGIONS], CAT)
    assert doc["added"] == [s.to_dict() for s in expected.added] == []
    assert doc["removed"] == []
    assert [(c["id"], [f["field"] for f in c["fields"]]) for c in doc["changed"]] == [
        (c.id, [f.field for f in c.fields]) for c in expected.changed
    ]
    assert {c["id"] for c in doc["changed"]} == {"yiwu", "edge"}
    hami = doc["regions"][1]
    assert hami["region"] == "Hami"
    assert (hami["before"]["site_count"], hami["after"]["site_count"]) == (2, 2)
    assert doc["regions"] == [
        {"region": r.name, "before": r.before.to_json(), "after": r.after.to_json()}
        for r in expected.regions
    ]
    assert doc["a"].endswith(" at 2026-01-01T04:30:00Z") and doc["b"].endswith(" now")
    # At the time "far" was deleted (shown to the second): it is gone then.
    code, out, _ = _run(capsys, "diff", url, "--at", "2026-01-01T07:00:00Z", "--json")
    assert [s["id"] for s in json.loads(out)["added"]] == ["far"]
    # The text form says the same.
    code, out, _ = _run(capsys, "diff", url, "--at", "2026-01-01T04:30Z")
    assert "0 sites added, 0 removed, 2 changed" in out
    assert '    name: "Yiwu cluster" → "Yiwu II"' in out


def test_diff_of_a_database_and_a_file(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path
) -> None:
    file = tmp_path / "mine.gpkg"
    changed = [*SITES[:2], replace(SITES[2], power_mw=6.0), Site("new", "New", 85.0, 35.0)]
    save_project(file, Project(sites=changed, regions=[e.to_feature() for e in REGIONS]))
    code, out, err = _run(capsys, "diff", url, str(file), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [s["id"] for s in doc["added"]] == ["new"]
    assert doc["changed"] == [
        {
            "id": "far",
            "name": "Far away",
            "fields": [{"field": "power_mw", "before": 5.0, "after": 6.0}],
        }
    ]
    # A's regions (the database's) are compared: all, Hami, Ring.
    assert [r["region"] for r in doc["regions"]] == ["all", "Hami", "Ring"]


# ---------------------------------------------------------------------- copy
def _project_with_history(url: str) -> Project:
    _scripted_edits(url)
    opened = open_file(url, catalogue=CAT, history=True)
    assert len(opened.project.history) == 10
    return opened.project


def _without_feature_id(feature: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in feature.items() if k != "id"}


def test_copy_round_trips_database_file_database_with_history(
    capsys: pytest.CaptureFixture[str], pg_server: PgServer, url: str, tmp_path: Path
) -> None:
    original = _project_with_history(url)
    file = tmp_path / "copy.gpkg"
    code, out, err = _run(capsys, "copy", url, str(file))
    assert code == 0, err
    assert out.strip().endswith(
        "3 sites, 3 regions, 10 recorded changes copied from "
        + out.split(" copied from ")[1].strip()
    )
    on_file, problems = read_project(file, catalogue=CAT)
    assert not problems
    assert on_file.sites == original.sites
    # The GeoPackage layout keeps a region's id in its properties, not as the Feature's id.
    assert on_file.regions == [_without_feature_id(f) for f in original.regions]
    assert on_file.metadata == original.metadata
    assert [r.to_json() for r in on_file.history] == [r.to_json() for r in original.history]
    # ... and back into another database: the same catalogue, the same history.
    name = "explorer_copy_target"
    pg_server.psql(f"create database {name}")
    try:
        other = pg_server.url(name)
        code, out, err = _run(capsys, "copy", str(file), other)
        assert code == 0, err
        back = open_file(other, catalogue=CAT, history=True).project
        assert back.sites == original.sites and back.regions == original.regions
        assert back.metadata == original.metadata
        assert [r.to_json() for r in back.history] == [r.to_json() for r in original.history]
        # A non-empty database is not overwritten without --replace; with it, it is.
        code, _, err = _run(capsys, "copy", str(file), other)
        assert code == 2 and "not empty; replace it with --replace" in err
        code, _, err = _run(capsys, "copy", str(file), other, "--replace")
        assert code == 0, err
        # The copy numbers versions on: an edit after it is on the last recorded version.
        s = Session(CAT, admin_areas=None)
        s.open(other)
        yiwu = s.sites.get("yiwu")
        assert s.edit_site(yiwu, yiwu.with_changes(tenant="T"))
        assert s.database is not None
        last = s.database.history("yiwu")[-1]
        assert last.version == original.history[5].version + 1  # type: ignore[operator]
        s.database.close()
    finally:
        pg_server.psql(
            f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{name}'"
        )
        pg_server.psql(f"drop database if exists {name}")


def test_copy_round_trips_file_database_file(
    capsys: pytest.CaptureFixture[str], pg_url: str, tmp_path: Path
) -> None:
    s = Session(CAT, admin_areas=None)
    s.load(Project(sites=list(SITES), metadata={"title": "Mine"}), path=None, display_name="t")
    far = s.sites.get("far")
    s.reason = "checked"
    s.edit_site(far, far.with_changes(notes="two\nlines"))
    s.add_region(REGIONS[0])
    first = tmp_path / "first.gpkg"
    s.save(first)
    start, _ = read_project(first, catalogue=CAT)
    assert len(start.history) == 2
    code, _, err = _run(capsys, "copy", str(first), pg_url)
    assert code == 0, err
    second = tmp_path / "second.gpkg"
    code, _, err = _run(capsys, "copy", pg_url, str(second))
    assert code == 0, err
    end, problems = read_project(second, catalogue=CAT)
    assert not problems
    assert end.sites == start.sites and end.regions == start.regions
    assert end.metadata == start.metadata
    assert [r.to_json() for r in end.history] == [r.to_json() for r in start.history]
    # An existing file is not replaced without --replace.
    code, _, err = _run(capsys, "copy", pg_url, str(second))
    assert code == 2 and "exists; replace it with --replace" in err


def test_a_read_only_role_reads_but_cannot_be_copied_into(
    capsys: pytest.CaptureFixture[str], pg_server: PgServer, url: str, tmp_path: Path
) -> None:
    _scripted_edits(url)
    reader = _reader(pg_server, url)
    code, out, err = _run(capsys, "totals", reader, "--json", "--in-database")
    assert code == 0, err
    assert json.loads(out)["regions"][0]["site_count"] == 3
    code, out, err = _run(capsys, "history", reader, "far", "--json")
    assert code == 0 and len(json.loads(out)["changes"]) == 3
    code, out, err = _run(capsys, "diff", reader, url, "--json")
    assert code == 0 and json.loads(out)["changed"] == []
    file = tmp_path / "x.gpkg"
    save_project(file, Project(sites=SITES[:1]))
    code, out, err = _run(capsys, "copy", str(file), reader, "--replace")
    assert code == 2 and "may only read" in err
    assert len(open_file(url, catalogue=CAT).project.sites) == 3  # nothing written
