"""Headless commands: ``explorer totals`` and ``explorer validate``.

A few cases run the real console entry in a subprocess (exit codes, stderr, no
traceback); the rest call :func:`run_cli` in-process with a hand-built catalogue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from explorer import GEODATA, __version__
from explorer.__main__ import main
from explorer.cli import SUBCOMMANDS, run_cli
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, Source
from explorer.io.formats import read_sites, write_sites
from tests.file_opens import counting_opens
from tests.helpers import chip_model

BUNDLED_CATALOGUE = (GEODATA / "chips.csv").exists()


@pytest.fixture
def cat() -> ChipCatalogue:
    """Hand-built catalogue handed to ``run_cli``, so figures are known independently."""
    c = ChipCatalogue(
        [
            chip_model("H100", tflops=1000.0, watts=700.0),
            chip_model("Ascend 910C", restricted=False, tflops=800.0, watts=350.0),
        ]
    )
    return c


def _sites() -> list[Site]:
    return [
        Site(
            "a",
            "Yiwu A",
            94.0,
            43.0,
            hardware=(HardwareLine("H100", 1000),),
            confidence="illustrative",
        ),
        Site(
            "b",
            "Yiwu B",
            94.5,
            43.5,
            hardware=(HardwareLine("Ascend 910C", 500), HardwareLine("H100", 100)),
        ),
        Site("c", "Far away", 10.0, 10.0, hardware=(HardwareLine("H100", 7),), power_mw=5.0),
        # Exactly on the box's east edge: inside, because totals use `covers`.
        Site("edge", "On the edge", 95.0, 43.2),
    ]


REGIONS_DOC = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[93, 42], [95, 42], [95, 44], [93, 44], [93, 42]]],
            },
            "properties": {"name": "box"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [10.0, 10.005]},
            "properties": {"name": "circle", "radius_m": 1000},
        },
    ],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    sites = tmp_path / "sites.geojson"
    write_sites(sites, _sites(), {"title": "test"})
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps(REGIONS_DOC), encoding="utf-8")
    return {"sites": sites, "regions": regions}


def _run(
    capsys: pytest.CaptureFixture[str], *argv: Any, catalogue: ChipCatalogue | None = None
) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in argv], catalogue=catalogue)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- totals (in-process)


def test_totals_json_all(
    cat: ChipCatalogue, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "totals", files["sites"], "--json", catalogue=cat)
    assert code == 0
    doc = json.loads(out)
    [t] = doc["regions"]
    assert list(t) == [
        "name", "site_count", "site_ids", "chips", "restricted_chips",
        "h100e", "it_power_mw", "facility_power_mw", "by_model",
        "as_of", "rules_as_of", "restricted_h100e", "unknown_model_chips", "range",
    ]  # fmt: skip
    it_mw = (1107 * 700 + 500 * 350) * 1.8 / 1e6
    assert t == {
        "name": "all",
        "site_count": 4,
        "site_ids": ["a", "b", "c", "edge"],
        "chips": 1607,
        "restricted_chips": 1107,
        "h100e": 1107 + 500 * 0.8,
        "it_power_mw": round(it_mw, 3),
        "facility_power_mw": round(it_mw * 1.25, 3),
        "by_model": {"H100": 1107, "Ascend 910C": 500},
        "as_of": None,  # the planned build-out...
        "rules_as_of": date.today().isoformat(),  # ...restricted by today's rules
        "restricted_h100e": 1107.0,
        "unknown_model_chips": 0,
        "range": {
            "chips": [1607, 1607],
            "restricted_chips": [1107, 1107],
            "h100e": [1507.0, 1507.0],
            "facility_power_mw": [
                round(it_mw / 1.8 * 1.5 * 1.15, 3),
                round(it_mw / 1.8 * 2.15 * 1.5, 3),
            ],
        },
    }
    assert "1 of 4 sites" in err and "illustrative" in err


def test_totals_json_per_region(
    cat: ChipCatalogue, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "totals", files["sites"], "--regions", files["regions"], "--json", catalogue=cat
    )
    assert code == 0
    box, circle = json.loads(out)["regions"]
    assert box["name"] == "box" and box["site_ids"] == ["a", "b", "edge"]
    assert box["chips"] == 1600 and box["restricted_chips"] == 1100
    assert box["by_model"] == {"H100": 1100, "Ascend 910C": 500}
    assert circle["name"] == "circle" and circle["site_ids"] == ["c"] and circle["chips"] == 7


def test_totals_table(
    cat: ChipCatalogue, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "totals", files["sites"], "--regions", files["regions"], catalogue=cat
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("planned build-out: every hardware line not cancelled")
    assert lines[1] == ""
    lines = lines[2:]
    assert lines[0].split() == [
        "region",
        "sites",
        "chips",
        "restricted",
        "H100e",
        "IT",
        "MW",
        "facility",
        "MW",
    ]
    assert lines[1].split() == ["box", "3", "1,600", "1,100", "1,500.0", "1.7", "2.1"]
    assert lines[2].split() == ["circle", "1", "7", "7", "7.0", "0.0", "0.0"]
    # Columns are aligned: every numeric cell ends where its header ends.
    assert len({len(line) for line in lines[:3]}) == 1
    assert lines[4] == "ranges (low-high)"
    assert lines[6].split()[:2] == ["box", "1,600-1,600"]
    assert lines[9] == "chips by model"
    assert lines[10].split() == ["region", "H100", "Ascend", "910C"]
    assert lines[11].split() == ["box", "1,100", "500"]
    assert lines[12].split() == ["circle", "7", "0"]
    assert "estimates" in out and "1.25 PUE" in out
    assert "1 of 4 sites" in out


def test_totals_reads_csv_and_gpkg(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = []
    for ext in ("csv", "gpkg"):
        path = tmp_path / f"s.{ext}"
        write_sites(path, _sites())
        code, out, _ = _run(capsys, "totals", path, "--json", catalogue=cat)
        assert code == 0
        results.append(json.loads(out))
    assert results[0] == results[1]
    assert results[0]["regions"][0]["chips"] == 1607


def test_totals_of_no_sites(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.geojson"
    write_sites(path, [])
    code, out, _ = _run(capsys, "totals", path, catalogue=cat)
    assert code == 0
    assert out.splitlines()[3].split() == ["all", "0", "0", "0", "0.0", "0.0", "0.0"]
    assert "chips by model: none" in out


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "{sites}: no such file"),
        ("bad_json", "{sites} is not valid JSON: Expecting value at line 1 column 1"),
        ("invalid_site", "{sites}: 1 problem; first: feature 1 (a): hardware[0].chips: "
                         "chips must be a whole number >= 0, got '12.5'"),
        ("two_invalid", "{sites}: 2 problems; first: feature 1 (a): name: name must not be empty "
                        "(run 'explorer validate {sites}' to list them all)"),
        ("bad_region", "regions.geojson: feature 1: Point region needs a positive radius_m, "
                       "got '-5'"),
        ("missing_region", "regions.geojson: cannot read regions file: No such file or directory"),
        ("bad_ext", "{sites}: unsupported file type '.txt' "
                    "(expected .geojson, .json, .gpkg, .csv, .parquet, .geoparquet)"),
        ("newline", "{sites}: 1 problem; first: feature 1 (a): sources[0].url: "
                    "source url must start with http:// or https://, got 'ftp://x\\ny'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_line(
    cat: ChipCatalogue,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    expected: str,
) -> None:
    sites, regions = _bad_input(tmp_path, setup)
    argv = ["totals", sites] + (["--regions", regions] if regions else [])
    code, out, err = _run(capsys, *argv, catalogue=cat)
    assert code == 2
    assert out == ""
    assert err == f"explorer: error: {expected.format(sites=sites)}\n"


def _bad_input(tmp_path: Path, setup: str) -> tuple[Path, Path | None]:
    """Build the files for one bad-input case; returns (sites path, regions path or None)."""
    sites = tmp_path / "sites.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [94.0, 43.0]},
        "properties": {"id": "a", "name": "A", "hardware": [{"chip_model": "H100", "chips": 8}]},
    }

    def fc(*features: Any) -> str:
        return json.dumps({"type": "FeatureCollection", "features": list(features)})

    if setup == "missing":
        return tmp_path / "nope.geojson", None
    if setup == "bad_json":
        sites.write_text("", encoding="utf-8")
    elif setup == "invalid_site":
        feature["properties"]["hardware"][0]["chips"] = "12.5"
        sites.write_text(fc(feature), encoding="utf-8")
    elif setup == "two_invalid":
        feature["geometry"]["coordinates"] = [94.0, 95]
        feature["properties"]["name"] = ""
        sites.write_text(fc(feature), encoding="utf-8")
    elif setup == "newline":
        feature["properties"]["sources"] = [{"title": "T", "url": "ftp://x\ny"}]
        sites.write_text(fc(feature), encoding="utf-8")
    elif setup == "bad_ext":
        sites = tmp_path / "sites.txt"
        sites.write_text("x", encoding="utf-8")
    else:
        sites.write_text(fc(feature), encoding="utf-8")
    regions = tmp_path / "regions.geojson"
    if setup == "bad_region":
        regions.write_text(
            fc(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [1, 2]},
                    "properties": {"radius_m": -5},
                }
            ),
            encoding="utf-8",
        )
        return sites, regions
    if setup == "missing_region":
        return sites, regions
    return sites, None


# --------------------------------------------------------------------------- validate (in-process)


def test_validate_valid_file(
    cat: ChipCatalogue, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "validate", files["sites"], catalogue=cat)
    assert code == 0
    # Site c reports 5 MW for 7 H100: valid, but far from the estimate, so a warning.
    assert out.splitlines() == [
        f"{files['sites']}: warning: c: power_mw: reported power 5 MW is far outside the "
        "estimate for its chips (0.01-0.02 MW facility power)",
        f"{files['sites']}: 4 sites, no problems, 1 warning",
    ]
    assert err == ""


def test_validate_lists_every_problem(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "id,name,lon,lat,chip_model,chips\n"
        "ok,OK,94,43,H100,8\n"
        "bad,Bad,94,43,H100,12.5\n"
        "bad2,,94,91,H999,1\n"
        "ok,Dup,94,43,H100,1\n",
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "validate", path, catalogue=cat)
    assert code == 1
    assert out.splitlines() == [
        f"{path}: row 3 (bad): hardware[0].chips: chips must be a whole number >= 0, got '12.5'",
        f"{path}: row 4 (bad2): name: name must not be empty",
        f"{path}: row 4 (bad2): lat: lat must be between -90 and 90, got '91'",
        f"{path}: row 4 (bad2): hardware[0].chip_model: "
        "unknown chip model 'H999' (known: H100, Ascend 910C)",
        f"{path}: row 5 (ok): id: duplicate id 'ok' (first used by row 2 (ok))",
    ]
    assert err == f"{path}: 5 problems\n"


def test_validate_keeps_each_problem_on_one_line(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites, _ = _bad_input(tmp_path, "newline")
    code, out, _ = _run(capsys, "validate", sites, catalogue=cat)
    assert code == 1
    assert out.count("\n") == 1 and "'ftp://x\\ny'" in out


def test_validate_unreadable_file(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.gpkg"
    path.write_text("not a database", encoding="utf-8")
    code, out, err = _run(capsys, "validate", path, catalogue=cat)
    assert code == 2 and out == ""
    assert err == f"explorer: error: {path} is not a GeoPackage (not an SQLite database)\n"


# --------------------------------------------------------------------------- one door


def test_commands_open_their_file_once_through_open_file(
    cat: ChipCatalogue,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from explorer.io import opening

    real = opening.open_file
    calls: list[tuple[str, ChipCatalogue, bool]] = []

    def spy(
        path: Any, *, catalogue: ChipCatalogue, strict: bool = True, layer: str | None = None
    ) -> Any:
        calls.append((str(path), catalogue, strict))
        return real(path, catalogue=catalogue, strict=strict, layer=layer)

    monkeypatch.setattr(opening, "open_file", spy)
    gpkg = tmp_path / "s.gpkg"
    write_sites(gpkg, _sites())
    cases: list[tuple[list[Any], bool]] = [
        (["totals", files["sites"], "--regions", files["regions"]], True),
        (["totals", gpkg, "--json"], True),
        (["validate", files["sites"]], False),
        (["validate", gpkg], False),
    ]
    for argv, strict in cases:
        calls.clear()
        with counting_opens() as opens:
            code, _, _ = _run(capsys, *argv, catalogue=cat)
        assert code == 0, argv
        [(path, catalogue, was_strict)] = calls
        assert path == str(argv[1]) and catalogue is cat and was_strict is strict
        assert opens.of(argv[1]) == 1, argv
    assert opens.of(files["regions"]) == 0  # validate reads no regions
    calls.clear()
    with counting_opens() as opens:
        _run(capsys, "totals", files["sites"], "--regions", files["regions"], catalogue=cat)
    assert opens.of(files["regions"]) == 1


# --------------------------------------------------------------------------- arguments


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"explorer {__version__}"
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for name in SUBCOMMANDS:
        assert name in out
    code, out, _ = _run(capsys, "totals", "--help")
    assert code == 0 and "--regions" in out and "--json" in out


@pytest.mark.parametrize(
    "argv", [[], ["totals"], ["totals", "a.geojson", "--bogus"], ["frobnicate"]]
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert "error:" in err and "Traceback" not in err


def test_main_dispatches_subcommands(
    cat: ChipCatalogue, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files["sites"])]) == 0
    assert "no problems" in capsys.readouterr().out


# --------------------------------------------------------------------------- real entry point


def _explorer(*argv: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script if present, else ``python -m explorer``."""
    script = Path(sys.executable).with_name("explorer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]
    return subprocess.run(
        [*cmd, *map(str, argv)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def _bundled_sites(tmp_path: Path) -> Path:
    """Sites using only models the bundled catalogue is sure to hold."""
    path = tmp_path / "bundled.geojson"
    write_sites(
        path,
        [
            Site("n1", "Nyocor phase 1", 94.7, 43.3,
                 hardware=(HardwareLine("H100", 2000, 250, 8, "1"),),
                 sources=(Source("Bloomberg", date="2025-07-08"),)),
            Site("n2", "Other", 96.0, 37.0,
                 hardware=(HardwareLine("H200", 1040), HardwareLine("H100", 8))),
        ],
    )  # fmt: skip
    return path


@pytest.mark.skipif(not BUNDLED_CATALOGUE, reason="explorer/geodata/chips.csv not built yet")
def test_entry_point_json_equals_in_process_totals(tmp_path: Path) -> None:
    from explorer.geo.totals import totals, totals_many
    from explorer.io.region_files import load_regions

    sites_path = _bundled_sites(tmp_path)
    regions_path = tmp_path / "regions.geojson"
    regions_path.write_text(json.dumps(REGIONS_DOC), encoding="utf-8")
    sites = read_sites(sites_path).sites

    proc = _explorer("totals", sites_path, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"regions": [totals(sites, name="all").to_json()]}

    proc = _explorer("totals", sites_path, "--regions", regions_path, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = [t.to_json() for t in totals_many(sites, load_regions(regions_path))]
    assert json.loads(proc.stdout) == {"regions": expected}


@pytest.mark.skipif(not BUNDLED_CATALOGUE, reason="explorer/geodata/chips.csv not built yet")
@pytest.mark.parametrize(
    "setup", ["missing", "bad_json", "invalid_site", "bad_region", "missing_region"]
)
def test_entry_point_bad_input(tmp_path: Path, setup: str) -> None:
    sites, regions = _bad_input(tmp_path, setup)
    argv: list[Any] = ["totals", sites] + (["--regions", regions] if regions else [])
    proc = _explorer(*argv, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("explorer: error: ")


@pytest.mark.skipif(not BUNDLED_CATALOGUE, reason="explorer/geodata/chips.csv not built yet")
def test_entry_point_validate_and_version(tmp_path: Path) -> None:
    sites, _ = _bad_input(tmp_path, "two_invalid")
    proc = _explorer("validate", sites, cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stdout.splitlines() == [
        f"{sites}: feature 1 (a): name: name must not be empty",
        f"{sites}: feature 1 (a): lat: lat must be between -90 and 90, got '95'",
    ]
    good = _bundled_sites(tmp_path)
    proc = _explorer("validate", good, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, f"{good}: 2 sites, no problems\n")
    proc = _explorer("--version", cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"explorer {__version__}")
