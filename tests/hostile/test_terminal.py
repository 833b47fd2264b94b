"""Terminal escape sequences from data never reach the terminal (issue 11, finding 8).

Before the fix a region name or a quoted bad value holding ``ESC ] 0 ; ... BEL`` (set the
window title) or ``ESC [ 2 J`` (clear the screen) was printed as it was, by the tables,
the notes, ``validate`` and the error lines.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import run_cli
from explorer.core.schema import parse_site
from explorer.io.formats import write_sites
from explorer.terminal_text import UNSAFE, escape_controls
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
ROOT = Path(__file__).resolve().parents[2]
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
EVIL = f"Hami{TITLE}{CLEAR}\r\u009b31m\u202eevil"
#: What must never appear in output: ESC, BEL, CR, the C1 CSI, the bidi override.
RAW = ("\x1b", "\x07", "\r", "\u009b", "\u202e")


def _clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw U+{ord(ch):04X} in output: {text!r}"


def _regions(tmp_path: Path, name: str = EVIL) -> Path:
    path = tmp_path / "r.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name, "radius_m": 500_000},
                "geometry": {"type": "Point", "coordinates": [90.0, 40.0]},
            }
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _sites(tmp_path: Path) -> Path:
    path = tmp_path / "s.geojson"
    write_sites(
        path,
        [
            parse_site(
                {
                    "id": "a",
                    "name": "A",
                    "hardware": [{"chip_model": "H100", "chips": 8, "online": "2024"}],
                },
                90.0,
                40.0,
                catalogue=CAT,
            )
        ],
    )
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in argv], catalogue=CAT)
    out, err = capsys.readouterr()
    return code, out, err


def test_escape_controls_shows_each_character() -> None:
    assert escape_controls(EVIL) == (
        "Hami\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[H\\u000d\\u009b31m\\u202eevil"
    )
    assert escape_controls("tab\tand\nnewline, 中文, é") == "tab\tand\nnewline, 中文, é"
    assert escape_controls("\udcff") == "\\udcff"  # an undecodable byte of a file name


def test_totals_table_shows_the_name_escaped_and_aligned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "totals", _sites(tmp_path), "--regions", _regions(tmp_path))
    assert code == 0, err
    _clean(out + err)
    shown = escape_controls(EVIL)
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("region "))
    assert lines[head + 1].startswith(shown + "  ")
    # The numbers start in the same column as their headings end.
    assert len(lines[head + 1]) == len(lines[head])


def test_totals_json_stays_json_meaning_the_same_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, "totals", _sites(tmp_path), "--regions", _regions(tmp_path), "--json"
    )
    assert code == 0, err
    _clean(out)
    assert json.loads(out)["regions"][0]["name"] == EVIL


def test_timeline_table_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sites, regions = _sites(tmp_path), _regions(tmp_path)
    code, out, err = _run(capsys, "timeline", sites, "--regions", regions)
    assert code == 0, err
    _clean(out)
    code, out, err = _run(capsys, "timeline", sites, "--regions", regions, "--csv")
    assert code == 0, err
    _clean(out)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][0] == escape_controls(EVIL)


def test_validate_lines_quote_bad_values_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [f"90{TITLE}", f"40{CLEAR}"]},
        "properties": {"id": "a", "name": "A"},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    code, out, err = _run(capsys, "validate", path)
    assert code == 1
    _clean(out + err)
    assert "\\u001b[2J" in out and "\\u001b]0;pwned\\u0007" in out


def test_error_lines_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / f"{CLEAR}.geojson"
    code, out, err = _run(capsys, "validate", missing)
    assert code == 2
    _clean(err)
    assert err == f"explorer: error: {tmp_path}/\\u001b[2J\\u001b[H.geojson: no such file\n"
    code, out, err = _run(capsys, "totals", _sites(tmp_path), "--as-of", TITLE)
    assert code == 2
    _clean(err)
    assert "got '\\u001b]0;pwned\\u0007'" in err
    code, out, err = _run(capsys, "totals", _sites(tmp_path), "--regions", _regions(tmp_path, ""))
    assert code == 0


def test_the_real_entry_point_writes_no_control_bytes(tmp_path: Path) -> None:
    """Bytes, as the terminal gets them, through the installed ``explorer`` script."""
    # A file name with an undecodable byte (0x9b is CSI in 8-bit terminals).
    odd = tmp_path / os.fsdecode(b"\x9b2J-sites.geojson")
    _sites(tmp_path).rename(odd)
    script = Path(sys.executable).with_name("explorer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]
    for argv in (
        ["totals", str(odd), "--regions", str(_regions(tmp_path))],
        ["validate", str(odd)],
        ["timeline", str(odd), "--regions", str(_regions(tmp_path)), "--csv"],
    ):
        proc = subprocess.run([*cmd, *argv], cwd=ROOT, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        for stream in (proc.stdout, proc.stderr):
            text = stream.decode("utf-8")  # valid UTF-8: no raw undecodable byte either
            assert not UNSAFE.search(text.replace("\n", "").replace("\t", "")), text
