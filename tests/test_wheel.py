"""A wheel of this checkout, installed in a fresh venv elsewhere, runs on its bundled demo.

The wheel is built offline (``pip wheel --no-deps --no-build-isolation --no-index``) from
a copy of the sources, so nothing is written into the checkout. It is installed with
``--no-deps`` into a new venv in a temporary directory; the dependencies (PySide6,
geopandas, ...) come from this project's venv through a ``.pth`` file that names its
``site-packages``. Python only reads ``.pth`` files in site directories, not in a path
that another ``.pth`` adds, so the checkout's editable install (itself a ``.pth`` finder
there) is not active in the fresh venv: the probe below asserts that ``explorer`` is
imported from the venv, that no editable finder is installed and that no path of the
checkout is on ``sys.path``. It also checks that the wheel's declared requirements are
met by the versions this shortcut makes visible, so it stays honest.

Then ``explorer totals``, ``explorer snapshot`` and ``explorer report`` run from the
venv's own console script, in a temporary working directory, on the demo inside the
installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pypdf
import pytest
from PIL import Image

import explorer
from explorer.cli import run_cli

pytestmark = [pytest.mark.wheel, pytest.mark.gui]

ROOT = Path(__file__).resolve().parents[1]
DIST_NAME = "compute-site-explorer"

REGIONS_DOC = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Hami box"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[91.0, 40.5], [96.5, 40.5], [96.5, 45.0], [91.0, 45.0], [91.0, 40.5]]
                ],
            },
        },
        {  # a geodesic circle: pyproj, from the venv's view of the dependencies
            "type": "Feature",
            "properties": {"name": "Xining 200 km", "radius_m": 200000},
            "geometry": {"type": "Point", "coordinates": [101.78, 36.62]},
        },
    ],
}

PROBE = r"""
import importlib.metadata as md, json, sys
from packaging.requirements import Requirement

import explorer

dist = md.distribution(sys.argv[1])
problems = []
for raw in dist.requires or []:
    req = Requirement(raw)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue  # an extra (test, build-data): not needed to run
    try:
        found = md.version(req.name)
    except md.PackageNotFoundError:
        problems.append(f"{req}: not installed")
        continue
    if not req.specifier.contains(found, prereleases=True):
        problems.append(f"{req}: {found} installed")
print(json.dumps({
    "explorer": explorer.__file__,
    "demo": str(explorer.DEMO_SITES),
    "dist_files": str(dist.locate_file("explorer/__init__.py")),
    "sys_path": sys.path,
    "meta_path": [repr(f) for f in sys.meta_path],
    "requirement_problems": problems,
}))
"""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    python: Path
    explorer: Path  # the venv's console script
    demo: Path  # the demo inside the installed package
    probe: dict[str, Any]
    cwd: Path  # a directory outside the checkout and the venv
    borrowed: list[str]  # the project venv's site-packages, named in the .pth file

    def run(self, *argv: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.explorer), *map(str, argv)],
            cwd=self.cwd,
            env=_clean_env(headless=True),
            capture_output=True,
            text=True,
            timeout=180,
        )


def _clean_env(*, headless: bool = False) -> dict[str, str]:
    """This environment without anything that would point Python at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    if headless:
        env["QT_QPA_PLATFORM"] = "offscreen"
        # Chromium refuses its sandbox as root; only then turn it off.
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        else:
            env.pop("QTWEBENGINE_DISABLE_SANDBOX", None)
    return env


def _check(cmd: list[Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


def _tracked_package_files() -> set[str]:
    """Files under explorer/ that the checkout tracks (or, outside git, holds)."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        out = subprocess.run(
            [git, "ls-files", "-z", "explorer"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
        return {p for p in out.split("\0") if p}
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "explorer").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources, and a
    # stale build/lib would leak deleted modules into the wheel.
    src = tmp / "src"
    shutil.copytree(
        ROOT / "explorer", src / "explorer", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip"]
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist, src]
    _check([*pip, *build], cwd=tmp)
    (wheel,) = dist.glob("*.whl")

    venv = tmp / "venv"
    _check([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    bindir = "Scripts" if sys.platform == "win32" else "bin"
    python = venv / bindir / ("python.exe" if sys.platform == "win32" else "python")
    _check([*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel], tmp)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_check([python, "-c", where], cwd=tmp).stdout.strip())
    # Plain path lines: Python appends them to sys.path and reads no .pth file inside them.
    borrowed = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (purelib / "_project_venv_dependencies.pth").write_text(
        "".join(f"{p}\n" for p in borrowed), encoding="utf-8"
    )

    cwd = tmp / "elsewhere"
    cwd.mkdir()
    probe = json.loads(_check([python, "-c", PROBE, DIST_NAME], cwd=cwd).stdout)
    script = venv / bindir / ("explorer.exe" if sys.platform == "win32" else "explorer")
    return Installed(wheel, venv, python, script, Path(probe["demo"]), probe, cwd, borrowed)


def _under(path: str | Path, parent: Path) -> bool:
    return Path(path).resolve().is_relative_to(parent.resolve())


# --------------------------------------------------------------------------- the wheel


def test_wheel_carries_every_package_file(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
    missing = sorted(_tracked_package_files() - names)
    assert missing == [], f"declared package data misses {missing}"
    # The map page and the data, by name, in case the checkout is not a git clone.
    for needed in (
        "explorer/geodata/PROVENANCE.md",
        "explorer/geodata/chips.csv",
        "explorer/geodata/demo_sites.geojson",
        "explorer/geodata/basemap/provinces.geojson",
        "explorer/resources/map/map.css",
        "explorer/resources/map/sites.js",
    ):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_fresh_venv_imports_the_installed_package_not_the_checkout(installed: Installed) -> None:
    probe = installed.probe
    assert _under(probe["explorer"], installed.venv), probe["explorer"]
    assert _under(probe["dist_files"], installed.venv), probe["dist_files"]
    assert _under(installed.demo, installed.venv) and installed.demo.is_file()
    assert not any("editable" in f.lower() for f in probe["meta_path"]), probe["meta_path"]
    assert set(installed.borrowed) <= set(probe["sys_path"])
    assert not [p for p in installed.borrowed if list(Path(p).glob("explorer*"))]
    # The project venv may sit inside the checkout; nothing else of the checkout is on the path.
    from_checkout = [
        p for p in probe["sys_path"] if p and _under(p, ROOT) and p not in installed.borrowed
    ]
    assert from_checkout == [], probe["sys_path"]
    # The dependencies borrowed from the project venv satisfy what the wheel declares.
    assert probe["requirement_problems"] == []


# ------------------------------------------------------------------ the installed CLI


def test_installed_totals_equal_the_checkouts(
    installed: Installed, capsys: pytest.CaptureFixture[str]
) -> None:
    assert installed.demo.read_bytes() == explorer.DEMO_SITES.read_bytes()
    regions = installed.cwd / "regions.geojson"
    regions.write_text(json.dumps(REGIONS_DOC), encoding="utf-8")
    for extra in ([], ["--regions", regions]):
        r = installed.run("totals", installed.demo, *extra, "--json")
        assert r.returncode == 0, r.stderr
        capsys.readouterr()
        assert run_cli(["totals", str(explorer.DEMO_SITES), *map(str, extra), "--json"]) == 0
        here = json.loads(capsys.readouterr().out)
        there = json.loads(r.stdout)
        assert there == here
        assert there["regions"][0]["site_count"] > 0


def test_installed_snapshot_draws_the_map(installed: Installed) -> None:
    r = installed.run("snapshot", installed.demo, "--out", "x.png")
    assert r.returncode == 0, r.stderr
    png = installed.cwd / "x.png"
    px = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert px.shape[0] >= 300 and px.shape[1] >= 300
    red, green, blue = px[..., 0], px[..., 1], px[..., 2]
    # Not blank: no single colour fills the picture, and it has map features in it:
    # water from the bundled basemap (blue-dominant) and site markers (red-dominant).
    _, counts = np.unique(px.reshape(-1, 3), axis=0, return_counts=True)
    assert counts.max() / counts.sum() < 0.9
    assert ((blue > red + 30) & (blue > green)).mean() > 0.001  # lakes, rivers
    assert ((red > green + 80) & (red > blue + 80)).sum() > 50  # restricted-chip sites


def test_installed_report_has_the_map_and_the_totals(installed: Installed) -> None:
    r = installed.run("report", installed.demo, "--out", "r.pdf")
    assert r.returncode == 0, r.stderr
    reader = pypdf.PdfReader(str(installed.cwd / "r.pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    totals = json.loads(installed.run("totals", installed.demo, "--json").stdout)["regions"][0]
    assert f"{totals['chips']:,}" in text
    assert len(list(reader.pages[0].images)) >= 1  # the map snapshot


WINDOW_PROBE = r"""
import json, sys

from explorer.web.engine import make_application

app = make_application([])
from PySide6.QtCore import QSettings, QTimer

from explorer import DEMO_SITES
from explorer.ui.main_window import MainWindow

window = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
assert window.open_path(DEMO_SITES, interactive=False), window.last_error


def drawn() -> None:
    # Everything sent to the page is on screen: the demo's markers are drawn.
    def report(state):
        print(json.dumps({
            "sites": len(window.store),
            "page_sites": state["sites"],
            "external": window.map_view.external_requests,
            "js_errors": window.map_view.js_errors,
        }))
        app.quit()

    window.map_view.evaluate("CSE.pageState()", report)


window.map.ready.connect(lambda: window.map.call_when_rendered(drawn))
QTimer.singleShot(90_000, lambda: app.exit(3))  # a safety net, not a delay
window.show()
sys.exit(app.exec())
"""


def test_installed_window_opens_the_demo_and_draws_its_sites(installed: Installed) -> None:
    r = subprocess.run(
        [str(installed.python), "-c", WINDOW_PROBE, str(installed.cwd / "settings.ini")],
        cwd=installed.cwd,
        env=_clean_env(headless=True),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    state = json.loads(r.stdout.strip().splitlines()[-1])
    assert state["sites"] == state["page_sites"] > 0
    assert state["external"] == [] and state["js_errors"] == []
