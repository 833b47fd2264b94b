"""Opening a small sites file loads no Arrow and no pandas (issue 10, cold start).

Each probe runs in a fresh interpreter, as the window's first open does, and lists the
heavy modules it ended with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

from explorer import DEMO_SITES
from explorer.core.chips import ChipCatalogue
from explorer.io import record_check
from explorer.io.formats import write_sites
from explorer.io.opening import open_file
from tests.web.synthetic import synthetic_sites

HEAVY = ("pyarrow", "pandas")


def _probe(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"the probe failed ({out.returncode}):\n{out.stderr[-3000:]}"
    return json.loads(lines[-1])


def test_opening_the_demo_imports_neither_pyarrow_nor_pandas() -> None:
    got = _probe(
        "import json, sys\n"
        "from explorer import DEMO_SITES\n"
        "from explorer.core.chips import ChipCatalogue\n"
        "from explorer.io.opening import open_file\n"
        "opened = open_file(DEMO_SITES, catalogue=ChipCatalogue.bundled())\n"
        "sites = opened.build_project().sites\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'sites': len(sites), 'heavy': heavy}))\n"
    )
    assert got["sites"] == 41
    assert got["heavy"] == []


def test_a_small_csv_file_imports_neither(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    write_sites(path, synthetic_sites(50))
    got = _probe(
        "import json, sys\n"
        "from explorer.core.chips import ChipCatalogue\n"
        "from explorer.io.opening import open_file\n"
        f"opened = open_file({str(path)!r}, catalogue=ChipCatalogue.bundled())\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'sites': len(opened.columns), 'heavy': heavy}))\n"
    )
    assert got == {"sites": 50, "heavy": []}


def test_totals_of_the_demo_still_work_and_match_the_columns_route(tmp_path: Path) -> None:
    """``explorer totals`` on a small file: the same JSON whichever route read it."""
    code = (
        "import sys\n"
        "from explorer.io import record_check\n"
        "record_check.SMALL_FILE_RECORDS = int(sys.argv[1])\n"
        "from explorer.cli import run_cli\n"
        f"sys.exit(run_cli(['totals', {str(DEMO_SITES)!r}, '--json']))\n"
    )
    outs = []
    for limit in ("1000000", "-1"):
        out = subprocess.run(
            [sys.executable, "-c", code, limit],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        outs.append(json.loads(out.stdout))
    assert outs[0] == outs[1]
    assert outs[0]  # something was totalled


def test_a_file_above_the_threshold_is_checked_in_columns(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    write_sites(path, synthetic_sites(30))
    spy = patch.object(record_check, "check_records", wraps=record_check.check_records)
    with patch.object(record_check, "SMALL_FILE_RECORDS", 29), spy as called:
        opened = open_file(path, catalogue=ChipCatalogue.bundled())
    assert not called.called
    assert len(opened.columns) == 30
    with patch.object(record_check, "SMALL_FILE_RECORDS", 30), spy as called:
        opened = open_file(path, catalogue=ChipCatalogue.bundled())
    assert called.called
    assert len(opened.columns) == 30
