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
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pypdf
import pytest
from PIL import Image

from explorer import DEMO_SITES, GEODATA
from explorer.cli import render as cli_render
from explorer.cli import run_cli
from explorer.core.chips import ChipCatalogue
from explorer.geo.regions import CircleRegion, rectangle
from explorer.geo.totals import totals
from explorer.io import report
from explorer.io.atomic import TEMP_PREFIX
from explorer.io.exports import export_regions
from explorer.io.formats import read_sites
from explorer.io.project import Project, save_project
from explorer.io.report import fmt_dec, fmt_int
from tests.file_opens import counting_opens

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


def purple_share(image: Path | Image.Image) -> float:
    """Share of pixels in the region outline colour (a PNG file or an image)."""
    img = image if isinstance(image, Image.Image) else Image.open(image)
    px = np.asarray(img.convert("RGB")).astype(int)
    return float((np.abs(px - REGION_PURPLE).max(axis=2) < 40).mean())


# ---------------------------------------------------------------------- snapshot
def test_snapshot_default_size(work: dict[str, Path]) -> None:
    out = work["dir"] / "default.png"
    r = explorer("snapshot", DEMO_SITES, "--out", out, cwd=work["dir"])
    assert r.returncode == 0, r.stderr
    image = Image.open(out)
    assert image.size == (1600, 1000)
    assert np.asarray(image.convert("RGB")).std() > 8
    # Every record is drawn: 39 projects, the Yiwu campus, the superseded announcement.
    assert r.stdout.startswith(f"{out}: 1600 × 1000 px, 41 sites of 41 in view, 0 regions")
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
    text, reader = pdf_text(out)
    assert "Project report" in text
    for feature in REGIONS_DOC["features"]:
        assert feature["properties"]["name"] in text
    # The same regions are drawn on the report's map.
    [image] = list(reader.pages[0].images)
    assert purple_share(image.image) > 0.002


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


# ---------------------------------------------------------------------- in-process, map faked
# The map render (QtWebEngine) is replaced by a recorder, so these tests see exactly
# what the command hands to the map and to the PDF, and how often it opens each file.

REPORT_REGIONS = [
    rectangle("Hami / Yiwu box", 93.0, 42.0, 96.0, 44.5),
    CircleRegion("Xining 200 km", 101.78, 36.62, 200_000.0),
]
REPORT_NAMES = ("Hami / Yiwu box", "Xining 200 km")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each call of the CLI's map render, as keyword arguments plus ``spec``."""
    from PySide6.QtGui import QColor, QImage

    calls: list[dict[str, Any]] = []

    def render(spec: Any, **kwargs: Any) -> Any:
        calls.append({"spec": spec, **kwargs})
        image = QImage(spec.width_px, spec.height_px, QImage.Format.Format_RGB32)
        image.fill(QColor("#dfe6ee"))
        shown = tuple(s.id for s in kwargs["sites"])
        return SimpleNamespace(image=image, shown_site_ids=shown, caveat="")

    monkeypatch.setattr(cli_render, "_render", render)
    return calls


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each call of ``build_report`` by the CLI: its arguments and the ReportInfo."""
    real = report.build_report
    calls: list[dict[str, Any]] = []

    def spy(path: Any, **kwargs: Any) -> report.ReportInfo:
        info = real(path, **kwargs)
        calls.append({"path": path, **kwargs, "info": info})
        return info

    monkeypatch.setattr(report, "build_report", spy)
    return calls


def flat(text: str) -> str:
    return " ".join(text.split())


def test_report_reads_each_input_once_and_reports_what_it_draws(
    tmp_path: Path,
    drawn: list[dict[str, Any]],
    written: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    regions_path = tmp_path / "regions.geojson"
    export_regions(regions_path, REPORT_REGIONS)
    out = tmp_path / "out.pdf"
    cat = ChipCatalogue.bundled()
    argv = ["report", DEMO_SITES, "--regions", regions_path, "--out", out, "--title", "Demo"]
    with counting_opens() as opens:
        code = run_cli([str(a) for a in argv], catalogue=cat)
    stdout = capsys.readouterr().out
    assert code == 0
    assert opens.of(DEMO_SITES) == 1 and opens.of(regions_path) == 1
    [to_map], [to_pdf] = drawn, written
    for key in ("sites", "regions", "metadata", "catalogue"):
        assert to_map[key] is to_pdf[key], key
    assert to_pdf["catalogue"] is cat
    info = to_pdf["info"]
    assert info.path == out and info.pages >= 2
    assert info.region_names == REPORT_NAMES
    assert stdout == (
        f"{out}: {info.pages} pages, 2 regions, {info.source_count} sources, planned build-out\n"
    )
    assert to_map["as_of"] is None and to_pdf["as_of"] is None
    text, reader = pdf_text(out)
    demo_sites = read_sites(DEMO_SITES).sites
    for r in REPORT_REGIONS:
        assert fmt_int(totals(demo_sites, r).chips) in text
    assert text.startswith("Demo")
    [image] = list(reader.pages[0].images)  # the map the render returned
    assert image.image.size == (to_map["spec"].width_px, to_map["spec"].height_px)


def test_report_of_a_project_reads_it_once_and_maps_and_reports_its_regions(
    tmp_path: Path, drawn: list[dict[str, Any]], written: list[dict[str, Any]]
) -> None:
    sf = read_sites(DEMO_SITES)
    gpkg = tmp_path / "p.gpkg"
    save_project(gpkg, Project(sf.sites, sf.metadata, [r.to_feature() for r in REPORT_REGIONS]))
    out = tmp_path / "p.pdf"
    with counting_opens() as opens:
        assert run_cli(["report", str(gpkg), "--out", str(out)]) == 0
    assert opens.of(gpkg) == 1
    [to_map], [to_pdf] = drawn, written
    assert to_map["regions"] is to_pdf["regions"]
    assert tuple(r.name for r in to_map["regions"]) == REPORT_NAMES
    assert to_map["spec"].title == "Regions in this report"
    assert to_pdf["info"].region_names == REPORT_NAMES
    text = flat(pdf_text(out)[0])
    assert "Region report: Planned AI data centres" in text
    for name in REPORT_NAMES:
        assert name in text


def test_snapshot_reads_each_input_once(
    tmp_path: Path, drawn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    sf = read_sites(DEMO_SITES)
    gpkg = tmp_path / "p.gpkg"
    save_project(gpkg, Project(sf.sites, sf.metadata, [r.to_feature() for r in REPORT_REGIONS]))
    regions_path = tmp_path / "regions.geojson"
    export_regions(regions_path, REPORT_REGIONS[:1])
    cat = ChipCatalogue.bundled()
    with counting_opens() as opens:
        code = run_cli(["snapshot", str(gpkg), "--out", str(tmp_path / "p.png")], catalogue=cat)
        assert code == 0
        argv = ["snapshot", DEMO_SITES, "--regions", regions_path, "--out", tmp_path / "s.png"]
        assert run_cli([str(a) for a in argv], catalogue=cat) == 0
    assert opens.of(gpkg) == 1  # the project's sites and regions in one read
    assert opens.of(DEMO_SITES) == 1 and opens.of(regions_path) == 1
    project_map, sites_map = drawn
    assert tuple(r.name for r in project_map["regions"]) == REPORT_NAMES
    assert tuple(r.name for r in sites_map["regions"]) == REPORT_NAMES[:1]
    assert project_map["catalogue"] is cat and sites_map["catalogue"] is cat
    assert "2 regions" in capsys.readouterr().out


def test_report_uses_the_catalogue_it_is_given(
    tmp_path: Path, drawn: list[dict[str, Any]], written: list[dict[str, Any]]
) -> None:
    bundled = ChipCatalogue.bundled()
    faster = ChipCatalogue(
        [replace(m, bf16_dense_tflops=1000.0) if m.model == "H100" else m for m in bundled]
    )
    regions_path = tmp_path / "regions.geojson"
    export_regions(regions_path, REPORT_REGIONS)
    out = tmp_path / "cat.pdf"
    argv = ["report", str(DEMO_SITES), "--regions", str(regions_path), "--out", str(out)]
    assert run_cli(argv, catalogue=faster) == 0
    text = flat(pdf_text(out)[0])
    sites = read_sites(DEMO_SITES).sites
    hami = REPORT_REGIONS[0]
    mine, theirs = (fmt_dec(totals(sites, hami, catalogue=c).h100e) for c in (faster, bundled))
    assert mine != theirs
    assert mine in text and "÷ 1,000" in text
    assert drawn[0]["catalogue"] is faster and written[0]["catalogue"] is faster


def test_report_bad_input_is_refused_before_the_map(
    tmp_path: Path, drawn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "regions.geojson"
    export_regions(good, REPORT_REGIONS)
    bad_json = tmp_path / "bad.geojson"
    bad_json.write_text("{not json", encoding="utf-8")
    invalid = tmp_path / "invalid.geojson"
    invalid.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":'
        '{"type":"Point","coordinates":[94,43]},"properties":{"id":"a","name":"A","hardware":'
        '[{"chip_model":"H100","chips":"12.5"}]}}]}',
        encoding="utf-8",
    )
    sf = read_sites(DEMO_SITES)
    no_radius = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [94.0, 43.0]},
        "properties": {"name": "no radius"},
    }
    bad_project = tmp_path / "bad.gpkg"
    save_project(bad_project, Project(sf.sites, sf.metadata, [no_radius]))
    out = tmp_path / "o.pdf"
    cases: list[tuple[list[Any], str]] = [
        ([tmp_path / "missing.geojson", "--regions", good, "--out", out], "no such file"),
        ([DEMO_SITES, "--regions", bad_json, "--out", out], "not valid JSON"),
        ([DEMO_SITES, "--regions", good, "--out", tmp_path / "no" / "o.pdf"], "does not exist"),
        ([invalid, "--regions", good, "--out", out], "chips must be a whole number"),
        ([DEMO_SITES, "--out", out, "--title", " "], "--title: title must be non-empty text"),
        (
            [bad_project, "--out", out],
            f"{bad_project}: regions: feature 1: Point region needs a positive radius_m",
        ),
    ]
    for args, message in cases:
        code = run_cli(["report", *map(str, args)])
        err = capsys.readouterr().err
        assert code == 2, args
        assert err.startswith("explorer: error: ") and err.count("\n") == 1, err
        assert message in err, (message, err)
        assert not out.exists()
    assert drawn == []


# ---------------------------------------------------------------------- the date
def test_report_as_of_goes_to_the_map_and_the_pdf(
    tmp_path: Path,
    drawn: list[dict[str, Any]],
    written: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import date

    regions_path = tmp_path / "regions.geojson"
    export_regions(regions_path, REPORT_REGIONS)
    out = tmp_path / "dated.pdf"
    argv = ["report", DEMO_SITES, "--regions", regions_path, "--out", out, "--as-of", "2025-06"]
    assert run_cli([str(a) for a in argv]) == 0
    [to_map], [to_pdf] = drawn, written
    # A partial date is the end of its period, as `explorer totals --as-of` reads it.
    assert to_map["as_of"] == to_pdf["as_of"] == date(2025, 6, 30)
    assert capsys.readouterr().out.endswith(", as of 2025-06-30\n")
    text = flat(pdf_text(out)[0])
    assert "Capacity as of 2025-06-30: hardware lines online by then" in text


def test_snapshot_as_of_goes_to_the_map(
    tmp_path: Path, drawn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import date

    argv = ["snapshot", str(DEMO_SITES), "--out", str(tmp_path / "s.png"), "--as-of", "2026"]
    assert run_cli(argv) == 0
    assert drawn[0]["as_of"] == date(2026, 12, 31)
    assert capsys.readouterr().out.rstrip().endswith("as of 2026-12-31")
    assert run_cli(argv[:-2]) == 0
    assert drawn[1]["as_of"] is None
    assert capsys.readouterr().out.rstrip().endswith("planned build-out")


def regions_file(path: Path, n: int) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"R{i}", "radius_m": 10_000},
            "geometry": {
                "type": "Point",
                "coordinates": [80 + (i % 100) * 0.2, 35 + i // 100 * 0.1],
            },
        }
        for i in range(n)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--as-of", "2025-13"], "argument --as-of: '2025-13' is not a calendar date"),
        (["snapshot", "--as-of", "June"], "argument --as-of: a date must be YYYY, YYYY-MM or"),
        (
            ["report", "--title", "x" * 301],
            "--title: report title is longer than 300 characters (301)",
        ),
        (
            ["report", "--regions", "101"],
            "101.geojson: a report covers at most 100 regions (one section each), got 101",
        ),
        (
            ["snapshot", "--regions", "1001"],
            "1001.geojson: 1,001 regions are more than the 1,000 a map snapshot draws",
        ),
        (
            ["report", "--regions", "1001"],
            "1001.geojson: a report covers at most 100 regions (one section each), got 1,001",
        ),
    ],
)
def test_large_or_bad_requests_are_refused_before_the_map(
    argv: list[str],
    message: str,
    tmp_path: Path,
    drawn: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    for n in (101, 1001):
        regions_file(tmp_path / f"{n}.geojson", n)
    command, *rest = argv
    rest = [f"{a}.geojson" if a in ("101", "1001") else a for a in rest]
    out = "x.pdf" if command == "report" else "x.png"
    code = run_cli([command, str(DEMO_SITES), "--out", out, *rest])
    stdout, err = capsys.readouterr()
    assert code == 2
    if "--as-of" in argv:  # argparse's own usage error, as for every bad option
        assert err.splitlines()[-1].startswith(f"explorer {command}: error: "), err
    else:
        assert err.count("\n") == 1 and err.startswith("explorer: error: "), err
    assert message in err, err
    assert stdout == "" and drawn == []
    assert not (tmp_path / out).exists()


def test_too_many_regions_from_the_real_entry_point_is_one_line(work: dict[str, Path]) -> None:
    regions = regions_file(work["dir"] / "many.geojson", 1001)
    r = explorer("snapshot", DEMO_SITES, "--regions", regions, "--out", "m.png", cwd=work["dir"])
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"explorer: error: {regions}: 1,001 regions are more than the 1,000 a map snapshot "
        "draws (each is an outline with a name label that the page lays out again to fit the "
        "view); draw a selection of them"
    ]
    assert not (work["dir"] / "m.png").exists()


def test_a_failed_render_is_one_line_without_the_pages_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the page and its view log while failing (here: as the view logs a script that
    failed) stays off stderr; the one error line gives the job's reason."""
    import logging

    from explorer.web import snapshot

    def failing(spec: Any, **_kwargs: Any) -> Any:
        logging.getLogger("explorer.web.view").warning(
            "map page: evaluating %.80s failed: %s", "\n(function (cfg) {\n  var map", None
        )
        raise snapshot.SnapshotError(
            "the map page was still fitting the view after 81 s (200,000 sites, 1600 × 1000 px)"
        )

    monkeypatch.setattr(cli_render, "_check_can_render", lambda: None)
    monkeypatch.setattr(snapshot, "run_snapshot", failing)
    # No logging configured, as when `explorer` runs: Python would print the warning bare.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    code = run_cli(["snapshot", str(DEMO_SITES), "--out", str(tmp_path / "s.png")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == (
        "explorer: error: could not render the map: the map page was still fitting the view "
        "after 81 s (200,000 sites, 1600 × 1000 px)\n"
    )
