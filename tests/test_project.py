"""The GeoPackage project file: real GDAL layers, round trips, atomic save, bad files."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from explorer import DEMO_SITES
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import HardwareLine, Site, Source
from explorer.io import project as project_module
from explorer.io.formats import read_sites
from explorer.io.project import FORMAT, Project, load_project, read_project, save_project
from tests.helpers import chip_model


@pytest.fixture
def cat() -> ChipCatalogue:
    return ChipCatalogue(
        [chip_model("H100"), chip_model("H200"), chip_model("Ascend 910C", restricted=False)]
    )


SITES = [
    Site(
        id="xj-yiwu-1",
        name="伊吾县 算力中心",
        lon=94.69123456789012,
        lat=43.25000000000001,
        operator="Nyocor",
        tenant="Infinigence AI",
        province="Xinjiang",
        prefecture="Hami",
        status="planned",
        hardware=(HardwareLine("H100", 2000, 250, 8, "phase 1"), HardwareLine("H200", 16)),
        power_mw=None,
        confidence="medium",
        sources=(
            Source(
                "Bloomberg", "https://example.com/a?b=1", "2025-07-08", 'said "it is happening"'
            ),
            Source("公告", "", "2025", "two\nlines"),
        ),
        notes='<b>HTML</b> & "quotes"\nnewline',
        updated_at="2026-01-05T00:00:00Z",
    ),
    Site(
        id="b",
        name="B",
        lon=-0.1,
        lat=0.1 + 0.2,
        power_mw=12.345678901234567,
        confidence="illustrative",
    ),
]

REGIONS: list[dict[str, Any]] = [
    {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[94.0, 43.0], [95.0, 43.0], [95.0, 44.0], [94.0, 43.0]]],
        },
        "properties": {
            "name": "Yiwu triangle",
            "kind": "polygon",
            "colour": "#ff0000",
            "tags": ["a", 1],
        },
    },
    {
        "type": "Feature",
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
                [[[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 2.0]]],
            ],
        },
        "properties": {"name": "两块"},
    },
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [94.7, 43.3]},
        "properties": {"name": "50 km of Yiwu", "kind": "circle", "radius_m": 50000.0},
    },
]

META = {
    "title": "Scenario",
    "scenario": "illustrative",
    "as_of": "2025-12-15",
    "list": [1, {"x": None}],
}


def _save(path: Path, **kw: Any) -> Project:
    proj = Project(
        sites=kw.get("sites", SITES),
        metadata=kw.get("metadata", META),
        regions=kw.get("regions", REGIONS),
    )
    save_project(path, proj)
    return proj


# --------------------------------------------------------------------------- round trip


def test_round_trip(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    proj = _save(path)
    got = load_project(path, catalogue=cat)
    assert got == proj
    assert got.sites[1].lat == 0.1 + 0.2
    assert got.sites[0].power_mw is None


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_round_trip_with_tables_written_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """Hardware and source tables longer than a part are written as several GDAL calls
    (the first creates the table, the others append): read back line for line."""
    monkeypatch.setattr(project_module, "WRITE_ROWS", rows)
    proj = Project(sites=list(read_sites(DEMO_SITES).sites), metadata=META, regions=REGIONS)
    path = tmp_path / "parts.gpkg"
    save_project(path, proj)
    got = load_project(path)  # the bundled catalogue, as the demo's
    assert got.sites == proj.sites
    lines = sum(len(s.hardware) for s in proj.sites)
    assert lines > 3 * rows  # the hardware table really was written in parts
    assert pyogrio.read_info(path, layer="hardware")["features"] == lines


def test_round_trip_of_empty_project(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project())
    assert load_project(path, catalogue=cat) == Project()
    assert "regions" not in {name for name, _ in pyogrio.list_layers(path)}


def test_file_is_a_real_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    layers = {str(name): gtype for name, gtype in pyogrio.list_layers(path)}
    assert layers == {
        "sites": "Point",
        "hardware": None,
        "sources": None,
        "project": None,
        "regions": "Unknown",
    }
    info = pyogrio.read_info(path, layer="sites")
    assert info["driver"] == "GPKG"
    assert info["crs"] == "EPSG:4326"
    assert list(info["fields"]) == [
        "id", "name", "operator", "tenant", "province", "prefecture", "status",
        "part_of", "supersedes", "chips", "power_mw", "confidence", "notes", "updated_at",
    ]  # fmt: skip
    assert list(pyogrio.read_info(path, layer="hardware")["fields"]) == [
        "site_id", "line_no", "chip_model", "chips", "servers", "gpus_per_server", "phase",
        "status", "online", "chips_low", "chips_high",
    ]  # fmt: skip
    with sqlite3.connect(path) as db:
        contents = dict(db.execute("select table_name, data_type from gpkg_contents"))
        assert contents == {
            "sites": "features",
            "hardware": "attributes",
            "sources": "attributes",
            "project": "attributes",
            "regions": "features",
        }
        rows = db.execute(
            "select site_id, line_no, chip_model, chips, servers from hardware"
        ).fetchall()
        assert rows == [("xj-yiwu-1", 0, "H100", 2000, 250), ("xj-yiwu-1", 1, "H200", 16, None)]
        marker = dict(db.execute("select key, value from project"))
        assert marker["format"] == f'"{FORMAT}"' and marker["format_version"] == "1"
        assert db.execute("select chips from sites order by fid").fetchall() == [(2016,), (0,)]


def test_read_sites_on_gpkg_uses_the_project(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    got = read_sites(path, catalogue=cat)
    assert got.sites == SITES and got.metadata == META and got.problems == []


def test_reserved_metadata_keys_do_not_override_the_marker(
    tmp_path: Path, cat: ChipCatalogue
) -> None:
    path = tmp_path / "p.gpkg"
    _save(path, metadata={"format": "mine", "format_version": 99, "title": "T"})
    assert load_project(path, catalogue=cat).metadata == {"title": "T"}


def test_saving_over_an_existing_project(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    _save(path, sites=SITES[1:], regions=[], metadata={})
    assert load_project(path, catalogue=cat) == Project(sites=SITES[1:])
    assert os.listdir(tmp_path) == ["p.gpkg"]


# --------------------------------------------------------------------------- atomic save


def _fail_on_layer(monkeypatch: pytest.MonkeyPatch, layer: str) -> list[str]:
    """Make the writer raise when it reaches ``layer``, after earlier layers were written."""
    real = project_module._write_layer
    written: list[str] = []

    def flaky(path: Path, name: str, *args: Any, **kwargs: Any) -> None:
        if name == layer:
            assert path.exists() and path.stat().st_size > 0  # partially written for real
            raise OSError(28, "No space left on device")
        real(path, name, *args, **kwargs)
        written.append(name)

    monkeypatch.setattr(project_module, "_write_layer", flaky)
    return written


def test_failed_save_leaves_old_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cat: ChipCatalogue
) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    before = path.read_bytes()
    written = _fail_on_layer(monkeypatch, "sources")
    with pytest.raises(OSError, match="No space left"):
        _save(path, sites=SITES[:1], metadata={"title": "new"})
    assert written == ["sites", "hardware"]
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.gpkg"]
    monkeypatch.undo()
    assert load_project(path, catalogue=cat).metadata == META


def test_failed_first_save_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_on_layer(monkeypatch, "project")
    with pytest.raises(OSError):
        _save(tmp_path / "new.gpkg")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ([{"type": "Feature", "properties": {},
           "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}],
         "region 1: geometry must be one of Polygon, MultiPolygon, Point, got 'LineString'"),
        ([REGIONS[0], {"type": "Feature", "geometry": None, "properties": {}}],
         "region 2: geometry must be one of Polygon, MultiPolygon, Point, got 'None'"),
        (["nope"], "region 1: must be a GeoJSON Feature dict, got str"),
        ([{"type": "Feature", "geometry": REGIONS[2]["geometry"],
           "properties": {"radius_m": "5 km"}}],
         "region 1: radius_m must be a number, got '5 km'"),
        ([{"type": "Feature", "geometry": REGIONS[2]["geometry"], "properties": {"name": 5}}],
         "region 1: name must be text, got 5"),
    ],
)  # fmt: skip
def test_bad_regions_are_refused_before_writing(
    tmp_path: Path, regions: list[Any], message: str
) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    before = path.read_bytes()
    with pytest.raises(ValueError) as info:
        _save(path, regions=regions)
    assert str(info.value) == message
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.gpkg"]


def test_unsaveable_metadata_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    with pytest.raises(ValueError, match="metadata 'when' cannot be saved as JSON"):
        _save(path, metadata={"when": object()})
    with pytest.raises(ValidationError, match="duplicate id 'b'"):
        _save(path, sites=[SITES[1], SITES[1]])
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- bad files


def test_foreign_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array([shapely.LineString([(0, 0), (1, 1)])], dtype=object)),
        [np.array(["A1"], dtype=object)],
        ["ref"],
        layer="roads",
        driver="GPKG",
        geometry_type="LineString",
        crs="EPSG:4326",
    )
    with pytest.raises(DataFileError) as info:
        load_project(path)
    assert str(info.value) == f"{path} is not a Compute Site Explorer project (no 'sites' layer)"


def test_geopackage_with_a_sites_layer_but_no_marker(tmp_path: Path) -> None:
    path = tmp_path / "other.gpkg"
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array([shapely.Point(94, 43)], dtype=object)),
        [np.array(["x"], dtype=object), np.array(["X"], dtype=object)],
        ["id", "name"],
        layer="sites",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    with pytest.raises(
        DataFileError, match="is not a Compute Site Explorer project \\(no 'project' table\\)"
    ):
        load_project(path)


def test_marker_of_another_format_or_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    with sqlite3.connect(path) as db:
        db.execute("update project set value = '2' where key = 'format_version'")
    with pytest.raises(
        DataFileError,
        match="newer Compute Site Explorer \\(format_version 2; this version reads up to 1\\)",
    ):
        load_project(path)
    with sqlite3.connect(path) as db:
        db.execute("""update project set value = '"qgis"' where key = 'format'""")
    with pytest.raises(DataFileError, match="format is 'qgis'"):
        load_project(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,name\nx,y\n", "is not a GeoPackage (not an SQLite database)"),
        (b"", "is not a GeoPackage (not an SQLite database)"),
        (b'{"type": "FeatureCollection"}', "is not a GeoPackage (not an SQLite database)"),
    ],
)
def test_text_file_renamed_gpkg(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "fake.gpkg"
    path.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_project(path)
    assert str(info.value) == f"{path} {message}"
    with pytest.raises(DataFileError):
        read_sites(path)


def test_plain_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "db.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("create table sites (id text)")
    with pytest.raises(
        DataFileError, match="is not a GeoPackage \\(an SQLite database of another kind\\)"
    ):
        load_project(path)


def test_truncated_geopackage(tmp_path: Path) -> None:
    good = tmp_path / "good.gpkg"
    _save(good)
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(good.read_bytes()[:4096])
    with pytest.raises(DataFileError) as info:
        load_project(bad)
    assert str(info.value).startswith(str(bad))
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        load_project(tmp_path / "nope.gpkg")
    (tmp_path / "d.gpkg").mkdir()
    with pytest.raises(DataFileError, match="is a directory"):
        load_project(tmp_path / "d.gpkg")


# --------------------------------------------------------------------------- invalid content


def test_invalid_records_edited_in_a_gis_are_reported(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    with sqlite3.connect(path) as db:
        db.execute("update hardware set chips = -3 where line_no = 0")
        # The flat chips column (0) no longer matches the hardware lines.
        db.execute(
            "insert into hardware (site_id, line_no, chip_model, chips) values ('b', 0, 'H100', 5)"
        )
        db.execute("insert into sources (site_id, source_no, title) values ('ghost', 0, 'x')")
    with pytest.raises(ValidationError):
        load_project(path, catalogue=cat)
    proj, problems = read_project(path, catalogue=cat)
    assert [str(p) for p in problems] == [
        "feature 1 (xj-yiwu-1): hardware[0].chips: chips must be a whole number >= 0, got '-3'",
        "feature 2 (b): chips: chips '0' does not equal the sum of the hardware lines (5)",
        "sources table: site_id: sources rows refer to site id 'ghost', "
        "which is not in the 'sites' layer",
    ]
    assert proj.sites == [] and proj.regions == REGIONS
    assert load_project(path, strict=False, catalogue=cat).sites == []


def test_hardware_order_follows_line_no_not_row_order(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "p.gpkg"
    _save(path)
    with sqlite3.connect(path) as db:
        db.execute("update hardware set line_no = 5 where line_no = 0")
    site = load_project(path, catalogue=cat).sites[0]
    assert [h.chip_model for h in site.hardware] == ["H200", "H100"]


def test_copy_of_a_project_opens(tmp_path: Path, cat: ChipCatalogue) -> None:
    """The file is self-contained: no side files are needed next to it."""
    src = tmp_path / "a" / "p.gpkg"
    src.parent.mkdir()
    _save(src)
    dst = tmp_path / "copy.gpkg"
    shutil.copyfile(src, dst)
    assert load_project(dst, catalogue=cat).sites == SITES
