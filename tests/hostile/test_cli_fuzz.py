"""The command line against generated argument lists: every run ends with a status of 0,
1 or 2 and, when it fails, one ``explorer...: error:`` line; never a traceback, and
never a control character from the data on the terminal.

The files the arguments name are real: valid and broken sites files, a project,
regions (good, broken, hostile names), a folder, a missing path. ``snapshot`` and
``report`` are given only outputs they must refuse before rendering (rendering runs in
``tests/test_cli_export.py``).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from explorer.cli import run_cli
from explorer.core.schema import Site
from explorer.io.formats import write_sites
from explorer.io.project import Project, save_project
from explorer.terminal_text import UNSAFE
from tests.helpers import totals_catalogue
from tests.hostile import strategies as hs

CAT = totals_catalogue()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("cli-fuzz")
    sites = [
        Site("a", "A", 93.5, 42.8),
        Site("b", "=B\u202e", 101.8, 36.6, notes="<script>x</script>"),
    ]
    write_sites(d / "sites.geojson", sites, {"title": "T"})
    write_sites(d / "sites.csv", sites)
    circle = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [93.5, 42.8]},
        "properties": {"name": "Hami\x1b[2J", "radius_m": 50_000},
    }
    save_project(d / "project.gpkg", Project(sites=sites, regions=[circle]))
    (d / "regions.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                   "features": [circle]}))  # fmt: skip
    (d / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [')
    (d / "deep.geojson").write_text("[" * 50_000)
    (d / "latin1.csv").write_bytes("id,name,lon,lat\na,Ürümqi,87,43\n".encode("latin-1"))
    (d / "folder.geojson").mkdir()
    (d / "readonly.csv").write_text("x\n")
    (d / "readonly.csv").chmod(0o444)
    names = {p.name: str(p) for p in d.iterdir()}
    names["missing.geojson"] = str(d / "missing.geojson")
    names["out.geojson"] = str(d / "out" / "new.geojson")
    names["out-here.csv"] = str(d / "fresh.csv")
    names["out-here.gpkg"] = str(d / "fresh.gpkg")
    names["nofolder.png"] = str(d / "no" / "such" / "map.png")
    names["wrong.txt"] = str(d / "map.txt")
    return names


INPUTS = [
    "sites.geojson",
    "sites.csv",
    "project.gpkg",
    "broken.geojson",
    "deep.geojson",
    "latin1.csv",
    "folder.geojson",
    "missing.geojson",
    "regions.geojson",
]
OUTPUTS = [
    "out.geojson",
    "out-here.csv",
    "out-here.gpkg",
    "readonly.csv",
    "folder.geojson",
    "wrong.txt",
    "project.gpkg",
]
REFUSED_RENDER_OUTPUTS = ["nofolder.png", "wrong.txt", "folder.geojson"]


def _value() -> st.SearchStrategy[str]:
    return st.one_of(
        hs.nasty_text.filter(lambda t: "\x00" not in t and "\udc80" not in t),
        st.sampled_from(["2024", "2025-06", "2025-13", "Hami\x1b[2J", "a4-150", "0", "-5"]),
    )


@st.composite
def argv(draw: Any) -> list[tuple[str, str]]:
    """A command line as (kind, token) pairs; ``file`` tokens name a prepared file."""
    command = draw(
        st.sampled_from(["totals", "timeline", "validate", "convert"] * 3 + ["snapshot", "report"])
    )
    out: list[tuple[str, str]] = [("raw", command)]
    # Mostly good input, so the options are reached.
    out.append(("file", draw(st.sampled_from(INPUTS[:3] * 4 + INPUTS))))
    if command == "convert":
        out.append(("file", draw(st.sampled_from(OUTPUTS))))
    if command in ("snapshot", "report"):
        out += [("raw", "--out"), ("file", draw(st.sampled_from(REFUSED_RENDER_OUTPUTS)))]
    options = {
        "totals": ["--regions", "--as-of", "--json"],
        "timeline": ["--regions", "--from", "--to", "--step", "--json", "--csv"],
        "validate": [],
        "convert": ["--regions", "--inside", "--regions-out", "--keep-formulas"],
        "snapshot": ["--regions", "--title", "--width", "--preset", "--dpi"],
        "report": ["--regions", "--title"],
    }[command] + ["--bogus"]
    for option in draw(st.lists(st.sampled_from(options), max_size=2, unique=True)):
        out.append(("raw", option))
        if option in ("--json", "--csv", "--keep-formulas", "--bogus"):
            continue
        if option in ("--regions", "--regions-out"):
            out.append(("file", draw(st.sampled_from(INPUTS + OUTPUTS))))
        else:
            out.append(("raw", draw(_value())))
    return out


def _check_output(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err, err
    assert not UNSAFE.search(out.replace("\n", "").replace("\t", "")), out
    assert not UNSAFE.search(err.replace("\n", "").replace("\t", "")), err
    if code == 2:
        last = err.rstrip("\n").split("\n")[-1]
        assert last.startswith("explorer") and ": error: " in last, err


@given(args=argv())
@settings(max_examples=150)  # quick: no rendering, small files
@example(args=[("raw", "totals"), ("file", "deep.geojson")])
@example(args=[("raw", "totals"), ("file", "sites.geojson"), ("raw", "--regions"),
               ("file", "deep.geojson")])  # fmt: skip
@example(args=[("raw", "convert"), ("file", "project.gpkg"), ("file", "readonly.csv")])
# Found by this test: argparse quoted a value holding a line break on two lines.
@example(args=[("raw", "totals"), ("file", "sites.geojson"), ("raw", "--as-of"), ("raw", "\n")])
@example(args=[("raw", "timeline"), ("file", "sites.csv"), ("raw", "--from"),
               ("raw", "Hami\x1b[2J")])  # fmt: skip
def test_generated_command_lines(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[tuple[str, str]]
) -> None:
    tokens = [files[t] if kind == "file" else t for kind, t in args]
    code = run_cli(tokens, catalogue=CAT)
    out, err = capsys.readouterr()
    event(f"{tokens[0]} exit {code}")  # shown by --hypothesis-show-statistics
    _check_output(code, out, err)
    # Outputs written by convert go away again, so every example starts the same.
    for name in ("out-here.csv", "out-here.gpkg"):
        if os.path.exists(files[name]):
            os.unlink(files[name])
