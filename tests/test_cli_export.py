"""``explorer snapshot`` and ``explorer report``: the real entry point, headless.

The commands create their own QApplication and do not choose a Qt platform, so the
subprocesses here get ``QT_QPA_PLATFORM=offscreen`` (and, as root,
``QTWEBENGINE_DISABLE_SANDBOX=1``) in their environment, as a headless user would set.
Bad input is checked in-process too (it is refused before Qt is touched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pypdf
import pytest
from PIL import Image

from explorer import DEMO_SITES, GEODATA
from explorer.cli import run_cli
from explorer.io.atomic import TEMP_PREFIX
from explorer.io.formats import read_sites
from explorer.io.project import Project, save_project

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not (GEODATA / "chips.csv").exists(), reason="chip catalogue not built"),
]

REGIONS_DOC = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Hami prefecture box", "kind": "rectangle"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[91.0, 40.5], [96.5, 40.5], [96.5, 45.0], [91.0, 45.0], [91.0, 40.5]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"name": "Xining 200 km", "radius_m": 200000},
            "geometry": {"type": "Point", "coordinates": [101.78, 36.62]},
        },
    ],
}
REGION_PURPLE = np.array([0x7B, 0x1F, 0xA2])


def headless_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env.update(extra)
    return env


def explorer(
    *argv: Any, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("explorer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]
    return subprocess.run(
        [*cmd, *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
        env=headless_env() if env is None else env,
    )


def error_lines(stderr: str) -> list[str]:
    """stderr without the noise Chromium and Qt print on start-up."""
    return [line for line in stderr.splitlines() if line.startswith("explorer:")]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli-export")
    regions = d / "regions.geojson"
    regions.write_text(json.dumps(REGIONS_DOC), encoding="utf-8")
    demo = read_sites(DEMO_SITES)
    project = d / "project.gpkg"
    save_project(project, Project(demo.sites, demo.metadata, REGIONS_DOC["features"]))
    return {"dir": d, "regions": regions, "project": project}


def purple_share(path: Path) -> float:
    px = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return float((np.abs(px - REGION_PURPLE).max(axis=2) < 40).mean())


# ---------------------------------------------------------------------- snapshot
def test_snapshot_default_size(work: dict[str, Path]) -> None:
    out = work["dir"] / "default.png"
    r = explorer("snapshot", DEMO_SITES, "--out", out, cwd=work["dir"])
    assert r.returncode == 0, r.stderr
    image = Image.open(out)
    assert image.size == (1600, 1000)
    assert np.asarray(image.convert("RGB")).std() > 8
    assert r.stdout.startswith(f"{out}: 1600 × 1000 px, 39 sites of 39 in view, 0 regions")
    assert "illustrative" in r.stdout  # the caveat is repeated on the console
    assert error_lines(r.stderr) == []
    assert purple_share(out) < 0.0005  # no region drawn
    assert not any(p.name.startswith(TEMP_PREFIX) for p in work["dir"].iterdir())


def test_snapshot_with_regions_draws_and_fits_them(work: dict[str, Path]) -> None:
    out = work["dir"] / "regions.png"
    r = explorer(
        "snapshot", DEMO_SITES, "--out", out, "--regions", work["regions"],
        "--width", 1200, "--height", 800, "--title", "Two regions", cwd=work["dir"],
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == (1200, 800)
    assert "2 regions" in r.stdout
    assert purple_share(out) > 0.002


def test_snapshot_of_a_project_uses_its_regions(work: dict[str, Path]) -> None:
    out = work["dir"] / "project.png"
    r = explorer(
        "snapshot", work["project"], "--out", out, "--preset", "letter-150", cwd=work["dir"]
    )
    assert r.returncode == 0, r.stderr
    image = Image.open(out)
    assert image.size == (1650, 1275)
    assert round(image.info["dpi"][0]) == 150
    assert "2 regions" in r.stdout
    assert purple_share(out) > 0.002


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.geojson", "--out", "x.png"], "missing.geojson"),
        ([DEMO_SITES, "--out", "x.png", "--width", "20000"], "larger than the 16384 px"),
        ([DEMO_SITES, "--out", "x.png", "--width", "12000", "--height", "12001"], "megapixels"),
        ([DEMO_SITES, "--out", "x.png", "--preset", "a4-300", "--width", "900"], "not both"),
        ([DEMO_SITES, "--out", "no/such/dir/x.png"], "does not exist"),
        ([DEMO_SITES, "--out", "x.jpg"], "must be a .png file"),
        ([DEMO_SITES, "--out", "x.png", "--regions", "bad.geojson"], "bad.geojson"),
        ([DEMO_SITES, "--out", "x.png", "--dpi", "2000"], "dpi must be between"),
    ],
)
def test_snapshot_bad_input_is_one_line_exit_2(
    args: list[Any],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.geojson").write_text('{"type": "FeatureCollection", "features": [1]}')
    code = run_cli(["snapshot", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("explorer: error: ") and message in err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.geojson"]


def test_bad_input_from_the_real_entry_point(work: dict[str, Path]) -> None:
    r = explorer("snapshot", DEMO_SITES, "--out", "x.png", "--width", "99999", cwd=work["dir"])
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "explorer: error: snapshot width 99999 px is larger than the 16384 px the map engine "
        "can render (its maximum texture size)"
    ]


def test_no_display_says_how_to_run_headless(work: dict[str, Path]) -> None:
    env = {k: v for k, v in headless_env().items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.pop("WAYLAND_DISPLAY", None)
    r = explorer("snapshot", DEMO_SITES, "--out", "y.png", cwd=work["dir"], env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "explorer: error: no display to render the map on; for headless use set "
        "QT_QPA_PLATFORM=offscreen"
    )
    assert not (work["dir"] / "y.png").exists()


@pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0), reason="needs root")
def test_root_without_sandbox_opt_out_is_refused(work: dict[str, Path]) -> None:
    env = headless_env()
    env.pop("QTWEBENGINE_DISABLE_SANDBOX")
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = ""
    r = explorer("snapshot", DEMO_SITES, "--out", "z.png", cwd=work["dir"], env=env)
    assert r.returncode == 2
    assert "QTWEBENGINE_DISABLE_SANDBOX=1" in r.stderr and r.stderr.count("\n") == 1


# ---------------------------------------------------------------------- report
def totals_json(work: dict[str, Path], *argv: Any) -> list[dict[str, Any]]:
    r = explorer("totals", *argv, "--json", cwd=work["dir"])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["regions"]


def pdf_text(path: Path) -> tuple[str, pypdf.PdfReader]:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_report_has_the_map_and_the_totals_explorer_totals_prints(work: dict[str, Path]) -> None:
    out = work["dir"] / "report.pdf"
    r = explorer("report", DEMO_SITES, "--regions", work["regions"], "--out", out, cwd=work["dir"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{out}: ") and "2 regions" in r.stdout
    text, reader = pdf_text(out)
    results = totals_json(work, DEMO_SITES, "--regions", work["regions"])
    assert [t["name"] for t in results] == ["Hami prefecture box", "Xining 200 km"]
    for t in results:
        assert t["name"] in text
        # io/report prints counts exactly, with comma thousands separators.
        assert f"{t['chips']:,}" in text
        assert f"{t['restricted_chips']:,}" in text
    # The source list: heading and the sources the reported sites cite.
    sites = {s.id: s for s in read_sites(DEMO_SITES).sites}
    cited = {src.title for t in results for sid in t["site_ids"] for src in sites[sid].sources}
    assert "Sources" in text
    flat = " ".join(text.split())
    for title in cited:
        assert " ".join(title.split())[:60] in flat, title
    # The map snapshot is on the first page, at the size the report asked for.
    images = list(reader.pages[0].images)
    assert len(images) == 1
    assert images[0].image.size == (2000, 1333)


def test_report_of_a_project_uses_its_own_regions(work: dict[str, Path]) -> None:
    out = work["dir"] / "project.pdf"
    r = explorer(
        "report", work["project"], "--out", out, "--title", "Project report", cwd=work["dir"]
    )
    assert r.returncode == 0, r.stderr
    text, _ = pdf_text(out)
    assert "Project report" in text
    for feature in REGIONS_DOC["features"]:
        assert feature["properties"]["name"] in text


def test_report_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["report", str(DEMO_SITES), "--out", str(tmp_path / "r.txt")])
    _, err = capsys.readouterr()
    assert code == 2 and err == "explorer: error: " + str(tmp_path / "r.txt") + (
        ": the output must be a .pdf file\n"
    )
    code = run_cli(["report", str(tmp_path / "none.geojson"), "--out", str(tmp_path / "r.pdf")])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("explorer: error: ") and "none.geojson" in err
    assert list(tmp_path.iterdir()) == []
