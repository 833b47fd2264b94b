"""JSON that :func:`json.loads` cannot take quietly (issue 11, finding 7).

Nesting deeper than the recursion limit raised :class:`RecursionError` out of the
regions reader (a traceback from ``explorer totals --regions``), the JSON cells of a CSV
and the JSON values of a project; an integer of 5,000 digits raised a bare ValueError
that named no file. Every reader now gives one line naming the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from explorer.cli import run_cli
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site
from explorer.io.formats import read_sites, write_sites
from explorer.io.json_text import JsonTextError, decode_json
from explorer.io.opening import open_file
from explorer.io.project import Project, save_project
from explorer.io.region_files import load_regions
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
DEEP = "[" * 100_000 + "]" * 100_000
# Decodable (under the recursion limit) but too deep for the shape code behind it.
HALF_DEEP = "[" * 900 + "1" + "]" * 900


def test_decode_json_turns_every_failure_into_one_reason() -> None:
    with pytest.raises(JsonTextError, match="^nested too deeply$"):
        decode_json(DEEP)
    with pytest.raises(JsonTextError, match="^Expecting value at line 1 column 1$"):
        decode_json("")
    with pytest.raises(JsonTextError) as info:
        decode_json("1" * 5000)
    assert info.value.reason.startswith("a value cannot be read (Exceeds the limit")
    assert decode_json('{"a": [1, 2]}') == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP, "deep.geojson: not valid JSON: nested too deeply"),
        (
            '{"type": "Polygon", "coordinates": ' + HALF_DEEP + "}",
            "deep.geojson: feature 1: Polygon coordinates are malformed",
        ),
        ("1" * 5000, "deep.geojson: not valid JSON: a value cannot be read (Exceeds the limit"),
    ],
)
def test_regions_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text(text)
    with pytest.raises(DataFileError) as info:
        load_regions(path)
    assert str(info.value).startswith(message)


def test_cli_totals_with_deep_regions_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "s.geojson"
    write_sites(sites, [Site("a", "A", 90.0, 40.0)])
    regions = tmp_path / "r.geojson"
    regions.write_text(DEEP)
    assert run_cli(["totals", str(sites), "--regions", str(regions)], catalogue=CAT) == 2
    assert capsys.readouterr().err == (
        "explorer: error: r.geojson: not valid JSON: nested too deeply\n"
    )


def test_a_huge_quoted_value_is_cut_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "r.geojson"
    path.write_text(
        '{"type": "Feature", "properties": {"name": ' + HALF_DEEP + "}, "
        '"geometry": {"type": "Point", "coordinates": [1, 2]}}'
    )
    with pytest.raises(DataFileError) as info:
        load_regions(path)
    assert str(info.value).startswith("r.geojson: feature 1: region name must be text, got [[[")
    assert len(str(info.value)) <= 300


def test_sites_geojson_deep_and_long_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    path.write_text(DEEP)
    with pytest.raises(DataFileError, match=r"s\.geojson is not usable JSON: nested too deeply$"):
        read_sites(path, catalogue=CAT)
    path.write_text('{"type": "FeatureCollection", "features": [' + "1" * 5000 + "]}")
    with pytest.raises(DataFileError, match=r"s\.geojson is not usable JSON: a value cannot"):
        read_sites(path, catalogue=CAT)


def test_csv_json_cells(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    cell = "[" * 10_000 + "]" * 10_000  # within the csv module's field limit
    path.write_text(f'id,name,lon,lat,hardware\na,A,90,40,"{cell}"\n')
    with pytest.raises(ValidationError) as info:
        read_sites(path, catalogue=CAT)
    assert [str(p) for p in info.value.problems] == [
        "row 2 (a): hardware: hardware must be a JSON list (nested too deeply), got '"
        + "[" * 60
        + "...'"
    ]


def _set_metadata_text(path: Path, key: str, text: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE project SET value = ? WHERE key = ?", (text, key))


def test_project_values(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=[Site("a", "A", 90.0, 40.0)], metadata={"title": "T"}))
    _set_metadata_text(path, "title", DEEP)
    with pytest.raises(ValidationError) as info:
        open_file(path, catalogue=CAT)
    (problem,) = info.value.problems
    assert str(problem).startswith("project table row 3: title: value is not JSON, got '[[[[")
