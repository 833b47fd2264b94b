"""Every reader against generated malformed and extreme files: one clear error, or a
correct result that writes and reads back unchanged in every format. Never a traceback,
a hang or a silent change.

The readers: sites GeoJSON and CSV (:func:`~explorer.io.formats.read_sites`), projects
(:func:`~explorer.io.opening.open_file`, the one door), regions GeoJSON
(:func:`~explorer.io.region_files.read_region_file`) and boundary layers
(:func:`~explorer.io.boundaries.load_boundary_layer`).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site
from explorer.geo.regions import Region
from explorer.io.boundaries import load_boundary_layer
from explorer.io.formats import read_sites, write_sites
from explorer.io.opening import open_file
from explorer.io.project import Project, load_project, save_project
from explorer.io.region_files import read_region_file, save_regions
from tests.helpers import chip_model
from tests.hostile import strategies as hs

CAT = ChipCatalogue(
    [chip_model("H100"), chip_model("H20", tflops=148), chip_model("Ascend 910C", restricted=False)]
)
#: Points every region mask is compared on, before and after a round trip.
PROBES = (
    np.array([0.0, 90.0, 93.5, 101.8, -179.9, 179.9, 45.0, 120.0]),
    np.array([0.0, 40.0, 42.8, 36.6, 0.0, -10.0, 89.0, -89.0]),
)
#: What a reader may raise: its one-line refusals.
REFUSALS = (DataFileError, ValidationError)


def refused_or_read(read: Callable[[], Any]) -> Any:
    """``read()``'s result, or None after checking it refused in one clear line."""
    try:
        return read()
    except REFUSALS as exc:
        text = str(exc)
        assert text.strip(), "an error without a message"
        if isinstance(exc, DataFileError):
            assert "\n" not in text and len(text) < 2000, text
        else:
            assert exc.problems and all(str(p) for p in exc.problems)
        return None


def round_trips(
    sites: list[Site],
    metadata: dict[str, Any],
    folder: Path,
    formats: tuple[str, ...] = ("geojson", "csv"),
) -> None:
    """Read sites write and read back identically in ``formats`` (metadata too)."""
    for ext in formats:
        out = folder / f"round-trip.{ext}"
        try:
            write_sites(out, sites, metadata)
        except ValueError as exc:  # e.g. metadata holding NaN, which no format stores
            assert "metadata" in str(exc) and "\n" not in str(exc), exc
            write_sites(out, sites)
            metadata = {}
        back = read_sites(out, catalogue=CAT)
        assert back.sites == sites, ext
        if ext != "csv":
            assert back.metadata == metadata, ext


# ----------------------------------------------------------------------- sites GeoJSON


def _feature(**props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [90, 40]},
        "properties": {"id": "a", "name": "A", **props},
    }


@given(doc=hs.sites_document)
@example(doc={"type": "FeatureCollection", "features": []})
# Found by this suite: a lone surrogate read fine, and then no format could save it.
@example(doc={"type": "FeatureCollection", "features": [_feature(name="x\udc80")]})
@example(doc={"type": "FeatureCollection", "features": [_feature(notes="a\rb\r\nc")]})
@example(doc={"type": "FeatureCollection", "features": [_feature(name="=1+1", operator="-")]})
@example(doc={"type": "FeatureCollection", "features": [_feature()], "metadata": {"x": 1e999}})
def test_sites_geojson_documents(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    strict = refused_or_read(lambda: read_sites(path, catalogue=CAT))
    lenient = refused_or_read(lambda: read_sites(path, strict=False, catalogue=CAT))
    if lenient is None:
        assert strict is None  # a file-level refusal is the same either way
        return
    # Strict reading refuses exactly when the lenient one found problems.
    assert (strict is None) == bool(lenient.problems)
    round_trips(lenient.sites, lenient.metadata, tmp_path)


@given(doc=hs.sites_document)
@settings(max_examples=20)  # a project save and load take about half a second
@example(doc={"type": "FeatureCollection", "features": [_feature(notes="a\x85b\u2028c")]})
def test_sites_read_from_geojson_save_as_projects(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    lenient = refused_or_read(lambda: read_sites(path, strict=False, catalogue=CAT))
    if lenient is not None:
        round_trips(lenient.sites, lenient.metadata, tmp_path, formats=("gpkg",))


@given(data=st.binary(max_size=200), suffix=st.sampled_from([".geojson", ".json", ".csv"]))
@example(data=b"\xef\xbb\xbf", suffix=".geojson")
@example(data=b"\xff\xfe{\x00", suffix=".csv")
def test_bytes_that_are_not_a_sites_file(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(data)
    refused_or_read(lambda: read_sites(path, catalogue=CAT))


# ----------------------------------------------------------------------- sites CSV


@given(table=hs.csv_table)
def test_sites_csv_tables(tmp_path: Path, table: tuple[list[str], list[list[str]]]) -> None:
    header, rows = table
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "sites.csv"
    try:
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    except UnicodeEncodeError:  # a lone surrogate: write the bytes another tool would
        path.write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))
    result = refused_or_read(lambda: read_sites(path, catalogue=CAT))
    if result is not None:
        round_trips(result.sites, {}, tmp_path)


# ----------------------------------------------------------------------- projects


_BASE: dict[str, bytes] = {}


def _base_project(path: Path) -> None:
    """A small valid project at ``path`` (built once, then copied)."""
    if "gpkg" not in _BASE:
        _build_base_project(path)
        _BASE["gpkg"] = path.read_bytes()
    path.write_bytes(_BASE["gpkg"])


def _build_base_project(path: Path) -> None:
    sites = [
        Site("a", "A", 90.0, 40.0, notes="one"),
        Site("b", "B", 93.5, 42.8, operator="Op"),
    ]
    circle = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [90.0, 40.0]},
        "properties": {"name": "C", "radius_m": 10_000.0},
    }
    save_project(path, Project(sites=sites, metadata={"title": "T"}, regions=[circle]))


TABLES = {
    "sites": ("id", "name", "status", "chips", "power_mw", "notes", "geom", "part_of"),
    "hardware": ("site_id", "line_no", "chip_model", "chips", "online", "chips_high"),
    "sources": ("site_id", "title", "url"),
    "project": ("key", "value"),
    "regions": ("name", "kind", "radius_m", "extra", "geom"),
}
sql_values = st.one_of(
    hs.scalars.filter(lambda v: not isinstance(v, int) or abs(v) < 2**63),
    st.binary(max_size=40),
)


def _damage(path: Path, table: str, column: str, value: Any, action: str) -> None:
    with sqlite3.connect(path) as db:
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(fn, 1, lambda _blob: 0)
        if action == "update":
            db.execute(f'UPDATE "{table}" SET "{column}" = ?', (value,))
        elif action == "delete":
            db.execute(f'DELETE FROM "{table}"')
        else:
            db.execute(f'DROP TABLE "{table}"')


@given(
    table=st.sampled_from(sorted(TABLES)),
    pick=st.integers(0, 7),
    value=sql_values,
    action=st.sampled_from(["update", "update", "update", "delete", "drop"]),
)
@settings(max_examples=20)  # each opens, saves and reloads a project
def test_projects_edited_by_hand(
    tmp_path: Path, table: str, pick: int, value: Any, action: str
) -> None:
    path = tmp_path / "p.gpkg"
    _base_project(path)
    column = TABLES[table][pick % len(TABLES[table])]
    try:
        _damage(path, table, column, value, action)
    except (sqlite3.Error, OverflowError, UnicodeEncodeError):
        return  # SQLite itself refused the edit (a constraint, an unencodable string)
    opened = refused_or_read(lambda: open_file(path, catalogue=CAT))
    if opened is not None:
        again = tmp_path / "again.gpkg"
        save_project(again, opened.project)
        back = load_project(again, catalogue=CAT)
        assert back.sites == opened.project.sites
        assert back.metadata == opened.project.metadata
        assert back.regions == opened.project.regions


@given(flips=st.lists(st.tuples(st.integers(100, 10**6), st.integers(0, 255)), max_size=40))
@settings(max_examples=30)
def test_projects_with_corrupt_bytes(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    path = tmp_path / "p.gpkg"
    _base_project(path)
    data = bytearray(path.read_bytes())
    for offset, byte in flips:
        data[offset % len(data)] = byte
    path.write_bytes(bytes(data))
    refused_or_read(lambda: open_file(path, catalogue=CAT))


# ----------------------------------------------------------------------- regions


def _masks(regions: list[Region]) -> list[list[bool]]:
    return [r.mask(*PROBES).tolist() for r in regions]


@given(doc=hs.regions_document)
def test_regions_documents(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "regions.geojson"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    result = refused_or_read(lambda: read_region_file(path))
    if result is None:
        return
    out = tmp_path / "again.geojson"
    save_regions(out, result.regions)
    back = read_region_file(out).regions
    assert [(r.name, r.kind) for r in back] == [(r.name, r.kind) for r in result.regions]
    assert _masks(back) == _masks(result.regions)


@given(doc=hs.regions_document)
@settings(max_examples=30)
@pytest.mark.filterwarnings("error::RuntimeWarning")  # GDAL's remarks stay off stderr
def test_boundary_layers(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    layer = refused_or_read(lambda: load_boundary_layer(path))
    if layer is not None:
        assert all(w and "\n" not in w for w in layer.warnings)
        assert len({id(a) for a in layer.areas}) == len(layer.areas)
