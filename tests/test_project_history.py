"""History in GeoPackage projects: the ``history`` table is written and read back exactly,
a session's changes are appended on every save (after those the file recorded), old
projects without the table read as before, bad rows are reported; and the command line
on files: ``history``, ``diff`` (two files, and a project at an earlier time) and
``copy``."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from explorer.cli import run_cli
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import ValidationError
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.changelog import ChangeRecord, os_user
from explorer.io.formats import write_sites
from explorer.io.opening import open_at, open_file
from explorer.io.project import list_layers, read_project, save_project
from explorer.io.project_value import Project
from explorer.session.session import Session
from tests.helpers import chip_model

CAT = ChipCatalogue([chip_model("H100", tflops=1000.0, watts=700.0)])
SITES = [
    Site("a", "Alpha", 90.5, 40.5, hardware=(HardwareLine("H100", 100),)),
    Site("b", "Beta", 91.5, 40.5, hardware=(HardwareLine("H100", 50),)),
]
BOX = RegionEntry("r1", rectangle("Box", 90, 40, 92, 41))


def _session() -> Session:
    s = Session(CAT, admin_areas=None)
    s.load(Project(sites=list(SITES), metadata={"title": "T"}), path=None, display_name="t")
    return s


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in argv], catalogue=CAT)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- the table
def test_the_history_table_round_trips_exactly(tmp_path: Path) -> None:
    records = [
        ChangeRecord("2026-01-01T00:00:00Z", "ana", "site", "a", "insert", ("id", "name"), None,
                     {"id": "a", "name": "Alpha"}, "", 1),
        ChangeRecord("2026-01-02T00:00:00Z", "bo", "site", "a", "update", ("name",),
                     {"id": "a", "name": "Alpha"}, {"id": "a", "name": "Ålpha\nII"},
                     "tender, 2025-06 «quoted»", 2),
        ChangeRecord("2026-01-03T00:00:00Z", "bo", "site", "a", "delete", ("id", "name"),
                     {"id": "a", "name": "Ålpha\nII"}, None, "", None),
    ]  # fmt: skip
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES, history=records))
    assert "history" in {i.name for i in list_layers(path)}
    project, problems = read_project(path, catalogue=CAT)
    assert not problems
    assert [r.to_json() for r in project.history] == [r.to_json() for r in records]
    # The one door reads it when asked (and leaves it alone otherwise).
    assert open_file(path, catalogue=CAT, history=True).project.history == records
    assert open_file(path, catalogue=CAT).project.history == []


def test_a_project_without_the_table_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    save_project(path, Project(sites=SITES))
    assert "history" not in {i.name for i in list_layers(path)}
    project, problems = read_project(path, catalogue=CAT)
    assert not problems and project.history == [] and project.sites == SITES


def test_a_bad_history_row_is_a_problem_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    good = ChangeRecord("2026-01-01T00:00:00Z", "ana", "site", "a", "update", ("name",))
    save_project(path, Project(sites=SITES, history=[good, good]))
    with sqlite3.connect(path) as db:
        db.execute("update history set entity = 'planet' where fid = 2")
    project, problems = read_project(path, catalogue=CAT)
    assert project.history == [good]
    [problem] = problems
    assert "history table row 2" in str(problem) and "'planet'" in str(problem)
    with pytest.raises(ValidationError):
        open_file(path, catalogue=CAT, history=True)


def test_saving_appends_the_sessions_changes_after_the_files(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    s = _session()
    s.reason = "first"
    s.edit_site(s.sites.get("a"), s.sites.get("a").with_changes(name="Alpha II"))
    s.save(path)
    first = list(s.change_log)
    again = Session(CAT, admin_areas=None)
    again.open(path)
    assert again.file_history == first and again.change_log == []
    again.reason = "second"
    again.delete_sites(["b"])
    again.undo()
    again.save(path)
    third = Session(CAT, admin_areas=None)
    third.open(path)
    assert [(r.entity_id, r.action, r.reason) for r in third.file_history] == [
        ("a", "update", "first"),
        ("b", "delete", "second"),
        ("b", "insert", "second"),
    ]
    assert {r.who for r in third.file_history} == {os_user()}
    # What the History view reads: the file's changes, then the session's own.
    third.move_site("a", 90.6, 40.5)
    assert [r.reason for r in third.site_history("a")] == ["first", ""]
    # Saving twice does not write a change twice.
    third.save(path)
    third.save(path)
    assert len(read_project(path, catalogue=CAT)[0].history) == 4


# ---------------------------------------------------------------------- the commands
@pytest.fixture
def edited(tmp_path: Path) -> tuple[Path, list[ChangeRecord], list[Project]]:
    """A project saved after a scripted sequence of edits (undo included), each change
    given its own day so a time between two names one state; and the states."""
    s = _session()
    states = [s.project()]
    s.reason = "from the tender"
    s.edit_site(s.sites.get("a"), s.sites.get("a").with_changes(tenant="X", power_mw=12.5))
    states.append(s.project())
    s.reason = ""
    s.delete_sites(["b"])
    states.append(s.project())
    s.undo()
    states.append(s.project())
    s.add_region(BOX)
    states.append(s.project())
    records = [replace(r, at=f"2026-01-0{k + 1}T12:00:00Z") for k, r in enumerate(s.change_log)]
    path = tmp_path / "edited.gpkg"
    project = s.project()
    project.history = records
    save_project(path, project)
    return path, records, states


def test_history_command_lists_a_sites_changes(
    capsys: pytest.CaptureFixture[str], edited: tuple[Path, list[ChangeRecord], list[Project]]
) -> None:
    path, records, _ = edited
    code, out, err = _run(capsys, "history", path, "b", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["changes"] == [r.to_json() for r in records if r.entity_id == "b"]
    assert [c["action"] for c in doc["changes"]] == ["delete", "insert"]
    code, out, _ = _run(capsys, "history", path, "a")
    lines = out.splitlines()
    assert lines[1].startswith(f"2026-01-01T12:00:00Z  {os_user()}")
    assert " update " in lines[1] and "from the tender" in lines[1]
    fields = {ln.split()[0] if ln.startswith(" ") else ln.split()[3] for ln in lines[1:-2]}
    assert {"tenant", "power_mw"} <= fields
    assert re.search(r'  tenant +"" +→  "X" +from the tender$', out, re.M)
    assert re.search(r"^ +power_mw +→  12\.5$", out, re.M)  # no value before
    code, out, _ = _run(capsys, "history", path, "nobody")
    assert code == 0 and out.strip().endswith("no recorded change of site 'nobody'")
    sites = path.with_suffix(".geojson")
    write_sites(sites, SITES)
    code, _, err = _run(capsys, "history", sites, "a")
    assert code == 2 and "a sites file keeps no history" in err


def test_diff_of_two_files_and_of_a_project_then_and_now(
    capsys: pytest.CaptureFixture[str],
    edited: tuple[Path, list[ChangeRecord], list[Project]],
    tmp_path: Path,
) -> None:
    path, _, states = edited
    old = tmp_path / "old.gpkg"
    save_project(old, states[0])
    code, out, err = _run(capsys, "diff", old, path, "--regions", _box_file(tmp_path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["added"] == doc["removed"] == []
    [change] = doc["changed"]
    fields = {f["field"]: (f["before"], f["after"]) for f in change["fields"]}
    assert change["id"] == "a" and fields["tenant"] == ("", "X")
    assert fields["power_mw"] == (None, 12.5)
    assert [(r["region"], r["before"]["chips"], r["after"]["chips"]) for r in doc["regions"]] == [
        ("all", 150, 150),
        ("Box", 150, 150),
    ]
    # The project taken back to each day is exactly the state then.
    for k, state in enumerate(states):
        then = open_at(path, _day(k), catalogue=CAT).project
        assert sorted(then.sites, key=lambda s: s.id) == sorted(state.sites, key=lambda s: s.id)
        assert [f["properties"]["name"] for f in then.regions] == [
            f["properties"]["name"] for f in state.regions
        ]
    # On the second day "b" was deleted: B (now) has it again.
    code, out, err = _run(capsys, "diff", path, "--at", "2026-01-02T18:00Z")
    assert code == 0, err
    assert "1 site added, 0 removed, 0 changed" in out and "+ b  Beta" in out
    # A sites file keeps no history: no --at for it.
    code, _, err = _run(capsys, "diff", old.with_suffix(".geojson"), "--at", "2026-01-01")
    assert code == 2
    code, _, err = _run(capsys, "diff", old)
    assert code == 2 and "give B, or --at TIME" in err


def _day(k: int) -> object:
    from datetime import UTC, datetime

    # Before the first change (k = 0), then after the k-th change, before the next.
    return (
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
        if k == 0
        else datetime(2026, 1, k, 18, 0, tzinfo=UTC)
    )


def _box_file(tmp_path: Path) -> Path:
    path = tmp_path / "box.geojson"
    doc = {"type": "FeatureCollection", "features": [BOX.to_feature()]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_copy_between_files_keeps_everything(
    capsys: pytest.CaptureFixture[str],
    edited: tuple[Path, list[ChangeRecord], list[Project]],
    tmp_path: Path,
) -> None:
    path, records, _ = edited
    target = tmp_path / "copy.gpkg"
    code, out, err = _run(capsys, "copy", path, target)
    assert code == 0, err
    assert out.startswith(f"{target}: 2 sites, 1 region, 4 recorded changes copied from")
    a, _ = read_project(path, catalogue=CAT)
    b, _ = read_project(target, catalogue=CAT)
    assert (a.sites, a.regions, a.metadata) == (b.sites, b.regions, b.metadata)
    assert [r.to_json() for r in b.history] == [r.to_json() for r in a.history]
    # As the session recorded them (JSON compares a geometry's tuples as lists).
    assert [r.to_json() for r in b.history] == json.loads(
        json.dumps([r.to_json() for r in records])
    )
    code, _, err = _run(capsys, "copy", path, target)
    assert code == 2 and "exists; replace it with --replace" in err
    code, _, err = _run(capsys, "copy", path, path, "--replace")
    assert code == 2 and "the same file" in err
    code, _, err = _run(capsys, "copy", path, tmp_path / "x.csv")
    assert code == 2 and "got '.csv'" in err
