"""The CLI over dated, ranged data: ``totals --as-of``, ``timeline`` (which must agree
with it) and ``validate``'s consistency warnings; and the new fields in every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import run_cli
from explorer.core.chips import ChipCatalogue
from explorer.core.rules import ExportRule, ExportRules
from explorer.core.schema import HardwareLine, Site
from explorer.io.formats import read_sites, write_sites
from explorer.io.project import Project, load_project, save_project
from tests.helpers import chip_model

RULES = ExportRules(
    [
        ExportRule("H20", date(2020, 1, 1), "no licence required"),
        ExportRule("H20", date(2025, 4, 9), "licence required"),
        ExportRule("H100", date(2022, 8, 26), "licence required"),
    ]
)


@pytest.fixture
def cat() -> ChipCatalogue:
    return ChipCatalogue(
        [
            chip_model("H100", tflops=1000.0, watts=500.0),
            chip_model("H20", tflops=500.0, watts=250.0),
            chip_model("Other", restricted=False, tflops=0.0, watts=0.0),
        ],
        RULES,
    )


SITES = [
    Site(
        "campus",
        "Campus",
        90.5,
        40.0,
        hardware=(HardwareLine("H100", 1000, online="2025", chips_low=800, chips_high=1200),),
        updated_at="2025-01-01T00:00:00Z",
    ),
    Site(
        "p1",
        "Part 1",
        91.5,
        40.0,
        hardware=(
            HardwareLine("H100", 300, 40, 8, online="2025-06", status="operational"),
            HardwareLine("H20", 200, online="2026-03", chips_low=100, chips_high=300),
        ),
        part_of="campus",
    ),
    Site(
        "old",
        "Old report",
        92.5,
        40.0,
        hardware=(HardwareLine("H100", 9999, online="2024"),),
        power_mw=900.0,
    ),
    Site(
        "new",
        "New report",
        92.6,
        40.0,
        hardware=(
            HardwareLine("H20", 50, online="2025-02-10"),
            HardwareLine("H100", 7, status="cancelled", online="2024"),
        ),
        supersedes="old",
    ),
]


def _run(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, *argv: Any
) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in argv], catalogue=cat)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sites_file(tmp_path: Path) -> Path:
    path = tmp_path / "sites.geojson"
    write_sites(path, SITES, {"title": "T", "as_of": "2025-12-31"})
    return path


def test_totals_as_of_a_date(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, sites_file: Path
) -> None:
    code, out, _ = _run(capsys, cat, "totals", sites_file, "--as-of", "2025-12", "--json")
    assert code == 0
    [t] = json.loads(out)["regions"]
    # By 2025-12-31: campus H100 (800/1000/1200) vs part p1 H100 300 -> campus remainder
    # 500/700/900 + p1 300; "new" H20 50 (no licence needed for H20 until 2025-04-09, but
    # counted as of 2025-12-31 with that day's rules: restricted); "old" superseded.
    assert t["as_of"] == "2025-12-31" and t["rules_as_of"] == "2025-12-31"
    assert t["chips"] == 1000 + 50
    assert t["range"]["chips"] == [800 + 50, 1200 + 50]
    assert t["restricted_chips"] == 1050
    assert t["site_ids"] == ["campus", "p1", "new"]
    code, out, _ = _run(capsys, cat, "totals", sites_file, "--as-of", "2025-03-31", "--json")
    [t] = json.loads(out)["regions"]
    assert (t["chips"], t["restricted_chips"]) == (50, 0)  # H20 before 2025-04-09


def test_bad_as_of_is_one_error_line(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, sites_file: Path
) -> None:
    code, _, err = _run(capsys, cat, "totals", sites_file, "--as-of", "June")
    assert code == 2 and "YYYY" in err and "Traceback" not in err


def test_timeline_agrees_with_totals_as_of_each_date(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, sites_file: Path, tmp_path: Path
) -> None:
    regions = tmp_path / "r.geojson"
    regions.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "West"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[90, 39], [91, 39], [91, 41], [90, 41], [90, 39]]],
                        },
                    },
                    {
                        "type": "Feature",
                        "properties": {"name": "East"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[91, 39], [93, 39], [93, 41], [91, 41], [91, 39]]],
                        },
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, cat, "timeline", sites_file, "--regions", regions, "--json")
    assert code == 0
    doc = json.loads(out)
    dates = [p["as_of"] for p in doc["regions"][0]["points"]]
    # The data's span: 2025-02-10 .. 2026-03 -> quarter ends 2025-03-31 .. 2026-03-31.
    assert dates == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31"]
    for k, when in enumerate(dates):
        code, out, _ = _run(
            capsys, cat, "totals", sites_file, "--regions", regions, "--as-of", when, "--json"
        )
        expected = json.loads(out)["regions"]
        for series, t in zip(doc["regions"], expected, strict=True):
            assert series["points"][k] == t
    east = [p["chips"] for p in doc["regions"][1]["points"]]
    assert east == [50, 350, 350, 350, 550]
    code, out, _ = _run(
        capsys,
        cat,
        "timeline",
        sites_file,
        "--step",
        "year",
        "--from",
        "2024",
        "--to",
        "2026",
        "--csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["date"] for r in rows] == ["2024-12-31", "2025-12-31", "2026-12-31"]
    assert [(r["chips_low"], r["chips"], r["chips_high"]) for r in rows] == [
        ("0", "0", "0"),
        ("850", "1050", "1250"),
        ("950", "1250", "1550"),
    ]
    code, out, _ = _run(capsys, cat, "timeline", sites_file, "--step", "year")
    assert code == 0 and "restricted_high" in out.splitlines()[0] and "1,050" in out


def test_timeline_without_dated_lines_says_what_to_give(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, tmp_path: Path
) -> None:
    path = tmp_path / "s.geojson"
    write_sites(path, [Site("a", "A", 1, 1, hardware=(HardwareLine("H100", 1),))])
    code, _, err = _run(capsys, cat, "timeline", path)
    assert code == 2 and "give --from and --to" in err


def test_validate_lists_consistency_warnings(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, tmp_path: Path
) -> None:
    sites = [
        Site("c", "C", 90, 40, hardware=(HardwareLine("H100", 100),)),
        Site("p", "P", 91, 40, hardware=(HardwareLine("H100", 150, 10, 8),), part_of="c"),
        Site("q", "Q", 91, 40, part_of="nowhere", updated_at="2026-02-01T00:00:00Z"),
        Site("x", "X", 91, 40, supersedes="y"),
        Site("y", "Y", 91, 40, supersedes="x"),
        Site("w", "W", 91, 40, hardware=(HardwareLine("H100", 10),), power_mw=500.0),
    ]
    path = tmp_path / "s.geojson"
    write_sites(path, sites, {"as_of": "2025-12-31"})
    code, out, _ = _run(capsys, cat, "validate", path)
    assert code == 0  # warnings, not problems
    lines = [line.split("warning: ", 1)[1] for line in out.splitlines() if "warning:" in line]
    assert lines == [
        "p: hardware[0].chips: chips 150 differ from servers x GPUs per server (10 x 8 = 80)",
        "q: part_of: part_of names 'nowhere', which is not in the data",
        "q: updated_at: 2026-02-01T00:00:00Z is after the data set's as_of (2025-12-31)",
        "x: supersedes: supersedes forms a cycle through 'y'",
        "y: supersedes: supersedes forms a cycle through 'x'",
        "w: power_mw: reported power 500 MW is far outside the estimate for its chips "
        "(0.01-0.02 MW facility power)",
        "c: part_of: its parts hold 150 H100 chips, more than the campus records (100): "
        "the parts' figure counts",
    ]
    assert out.splitlines()[-1].endswith("6 sites, no problems, 7 warnings")


# ---------------------------------------------------------------------------- formats
@pytest.mark.parametrize("suffix", [".geojson", ".csv", ".gpkg"])
def test_new_fields_round_trip_in_every_format(
    tmp_path: Path, cat: ChipCatalogue, suffix: str
) -> None:
    path = tmp_path / f"s{suffix}"
    write_sites(path, SITES, {"title": "T"})
    assert read_sites(path, catalogue=cat).sites == SITES


def test_a_project_keeps_the_new_fields(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES, metadata={"title": "T"}))
    assert load_project(path, catalogue=cat).sites == SITES


def test_old_data_writes_as_before(tmp_path: Path) -> None:
    """A site without the new fields writes no new keys (files stay as they were)."""
    path = tmp_path / "s.geojson"
    write_sites(path, [Site("a", "A", 1, 1, hardware=(HardwareLine("H100", 5, 1, 5),))])
    props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert "part_of" not in props and "supersedes" not in props
    assert props["hardware"] == [
        {"chip_model": "H100", "chips": 5, "servers": 1, "gpus_per_server": 5, "phase": ""}
    ]


def test_flat_csv_columns_read_the_line_fields(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "flat.csv"
    path.write_text(
        "id,name,lon,lat,status,chip_model,chips,chips_low,chips_high,online,line_status\n"
        "a,A,90,40,planned,H100,100,80,120,2026-06,tendered\n",
        encoding="utf-8",
    )
    [s] = read_sites(path, catalogue=cat).sites
    assert s.status == "planned"
    assert s.hardware == (
        HardwareLine(
            "H100", 100, status="tendered", online="2026-06", chips_low=80, chips_high=120
        ),
    )


def test_validate_warns_when_a_site_lies_far_outside_its_province(
    capsys: pytest.CaptureFixture[str], cat: ChipCatalogue, tmp_path: Path
) -> None:
    """Issue 11 finding 12: swapped lon/lat put a "Xinjiang" site in the Arctic."""
    sites = [
        Site("ok", "Urumqi", 87.6, 43.8, province="Xinjiang"),
        Site("swapped", "Urumqi", 43.8, 87.6, province="Xinjiang"),
        Site("unnamed", "Somewhere", 10.0, 10.0),  # names no province: nothing to compare
    ]
    path = tmp_path / "s.geojson"
    write_sites(path, sites)
    code, out, _ = _run(capsys, cat, "validate", path)
    assert code == 0
    warnings = [line.split("warning: ", 1)[1] for line in out.splitlines() if "warning:" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("swapped: province: the site lies about ")
    assert "km outside Xinjiang (at 43.8, 87.6: lon and lat swapped?)" in warnings[0]
