"""Site files: GeoJSON, CSV and GeoPackage round trips, problems, atomic writes."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from explorer import DEMO_SITES, GEODATA
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import HardwareLine, Site, Source
from explorer.io import formats
from explorer.io.formats import CSV_COLUMNS, check_file, read_sites, write_sites
from tests.helpers import chip_model


@pytest.fixture
def cat() -> ChipCatalogue:
    return ChipCatalogue(
        [chip_model("H100"), chip_model("H200"), chip_model("Ascend 910C", restricted=False)]
    )


def rich_sites() -> list[Site]:
    """Sites exercising every field: several lines and sources, unicode, None, odd text."""
    return [
        Site(
            id="xj-yiwu-1",
            name="伊吾县 算力中心 (Yiwu block A)",
            lon=94.69123456789012,
            lat=43.25000000000001,
            operator="Nyocor 能源",
            tenant="Infinigence AI",
            province="Xinjiang",
            prefecture="Hami",
            status="under construction",
            hardware=(
                HardwareLine("H100", 2000, 250, 8, "phase 1"),
                HardwareLine("H200", 16, None, None, ""),
                HardwareLine("Ascend 910C", 0, 0, 8, "phase 2 — later"),
            ),
            power_mw=None,
            confidence="medium",
            sources=(
                Source(
                    "Bloomberg",
                    "https://example.com/a?b=1&c=2",
                    "2025-07-08",
                    'He said "it is happening"',
                ),
                Source("Local notice 公告", "", "2025", "line one\nline two\r\nline three"),
                Source(
                    "Blog",
                    "http://example.org/x#y",
                    "2025-11",
                    "<b>bold</b> & <script>alert(1)</script>",
                ),
            ),
            notes=(
                'Quotes " and \' and commas, semicolons; tabs\tand\nnewlines\n<a href="x">HTML</a>'
            ),
            updated_at="2026-01-05T00:00:00Z",
        ),
        Site(
            id="qh.delingha:2",
            name="Delingha",
            lon=-0.1,
            lat=0.1 + 0.2,
            power_mw=12.345678901234567,
            confidence="illustrative",
            status="operational",
        ),
        Site(id="minimal", name="M", lon=180.0, lat=-90.0, power_mw=0.0),
    ]


META = {
    "title": "Test — 测试",
    "scenario": "illustrative",
    "as_of": "2025-12-15",
    "nested": {"a": [1, 2.5]},
}


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", ["geojson", "json", "csv", "gpkg"])
def test_round_trip_preserves_every_field(tmp_path: Path, cat: ChipCatalogue, ext: str) -> None:
    path = tmp_path / f"sites.{ext}"
    sites = rich_sites()
    write_sites(path, sites, META)
    got = read_sites(path, catalogue=cat)
    assert got.problems == []
    assert got.sites == sites
    # Exact floats, not merely close ones.
    assert [s.lon for s in got.sites] == [s.lon for s in sites]
    assert [s.lat for s in got.sites] == [s.lat for s in sites]
    assert got.sites[1].power_mw == 12.345678901234567
    assert got.sites[0].power_mw is None
    assert got.metadata == ({} if ext == "csv" else META)


@pytest.mark.parametrize("ext", ["geojson", "csv", "gpkg"])
def test_round_trip_of_no_sites(tmp_path: Path, cat: ChipCatalogue, ext: str) -> None:
    path = tmp_path / f"empty.{ext}"
    write_sites(path, [])
    assert read_sites(path, catalogue=cat).sites == []


@pytest.mark.parametrize("ext", ["geojson", "csv"])
def test_second_round_trip_is_byte_stable(tmp_path: Path, cat: ChipCatalogue, ext: str) -> None:
    a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    write_sites(a, rich_sites(), META)
    f = read_sites(a, catalogue=cat)
    write_sites(b, f.sites, f.metadata)
    assert a.read_bytes() == b.read_bytes()


def test_geojson_layout(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "s.geojson"
    write_sites(path, rich_sites(), META)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert doc["metadata"] == META
    feat = doc["features"][0]
    assert feat["id"] == "xj-yiwu-1"
    assert feat["geometry"] == {
        "type": "Point",
        "coordinates": [94.69123456789012, 43.25000000000001],
    }
    props = feat["properties"]
    assert props["chips"] == 2016
    assert props["hardware"][0] == {
        "chip_model": "H100",
        "chips": 2000,
        "servers": 250,
        "gpus_per_server": 8,
        "phase": "phase 1",
    }
    assert props["sources"][1]["title"] == "Local notice 公告"
    assert props["power_mw"] is None
    # Unicode is written as text, not \u escapes (readable in any editor).
    assert "伊吾县" in path.read_text(encoding="utf-8")
    # One feature per line, compact: a change to one site is a change to one line.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 + len(doc["features"]) + 1
    assert json.loads(lines[0].rstrip(",") + "}") == {"type": "FeatureCollection", "metadata": META}
    assert lines[1] == '"features":[' and lines[-1] == "]}"
    for line, feature in zip(lines[2:-1], doc["features"], strict=True):
        assert json.loads(line.rstrip(",")) == feature


def test_csv_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_sites(path, rich_sites())
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["lon"] == "94.69123456789012"
    assert rows[0]["chips"] == "2016"
    assert rows[0]["power_mw"] == ""
    assert json.loads(rows[0]["hardware"])[1] == {
        "chip_model": "H200",
        "chips": 16,
        "servers": None,
        "gpus_per_server": None,
        "phase": "",
    }
    assert rows[0]["notes"] == rich_sites()[0].notes


# --------------------------------------------------------------------------- GeoJSON reading


def _feature(sid: str = "a", lon: Any = 94.0, lat: Any = 43.0, **props: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": sid,
        "name": f"Site {sid}",
        "hardware": [{"chip_model": "H100", "chips": 8}],
    }
    p.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": p,
    }


def _write_fc(path: Path, features: list[Any], **extra: Any) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features, **extra}), encoding="utf-8"
    )
    return path


def test_geojson_accepts_hardware_and_sources_as_json_strings(
    tmp_path: Path, cat: ChipCatalogue
) -> None:
    hw = [{"chip_model": "H100", "chips": 2000, "servers": 250, "gpus_per_server": 8, "phase": "1"}]
    src = [{"title": "Bloomberg", "url": "https://example.com", "date": "2025-07-08", "quote": "q"}]
    path = _write_fc(
        tmp_path / "s.geojson",
        [_feature(hardware=json.dumps(hw), sources=json.dumps(src), chips="2000")],
    )
    [site] = read_sites(path, catalogue=cat).sites
    assert site.hardware == (HardwareLine("H100", 2000, 250, 8, "1"),)
    assert site.sources == (Source("Bloomberg", "https://example.com", "2025-07-08", "q"),)


def test_geojson_takes_feature_id_when_properties_lack_one(
    tmp_path: Path, cat: ChipCatalogue
) -> None:
    feat = _feature()
    del feat["properties"]["id"]
    feat["id"] = "from-feature"
    path = _write_fc(tmp_path / "s.geojson", [feat])
    assert read_sites(path, catalogue=cat).sites[0].id == "from-feature"


def test_geojson_ignores_z_and_unknown_properties(tmp_path: Path, cat: ChipCatalogue) -> None:
    feat = _feature(h100e=123, colour="red")
    feat["geometry"]["coordinates"] = [94.0, 43.0, 1200.0]
    path = _write_fc(tmp_path / "s.geojson", [feat])
    [site] = read_sites(path, catalogue=cat).sites
    assert (site.lon, site.lat) == (94.0, 43.0)


def test_every_problem_in_a_file_is_reported(tmp_path: Path, cat: ChipCatalogue) -> None:
    polygon = _feature("poly")
    polygon["geometry"] = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    no_geom = _feature("nogeom")
    no_geom["geometry"] = None
    features = [
        _feature("ok"),
        _feature("frac", hardware=[{"chip_model": "H100", "chips": "12.5"}]),
        polygon,
        no_geom,
        _feature("ok", name="again"),
        _feature("far", lat=95),
        _feature("bad-json", hardware="[{not json"),
        "not a feature",
        _feature("", name=""),
    ]
    path = _write_fc(tmp_path / "s.geojson", features)
    result = read_sites(path, strict=False, catalogue=cat)
    lines = [str(p) for p in result.problems]
    assert lines == [
        "feature 2 (frac): hardware[0].chips: chips must be a whole number >= 0, got '12.5'",
        "feature 3 (poly): geometry.type: geometry must be a Point, got 'Polygon'",
        "feature 4 (nogeom): geometry: geometry is missing (a site needs a Point)",
        "feature 5 (ok): id: duplicate id 'ok' (first used by feature 1 (ok))",
        "feature 6 (far): lat: lat must be between -90 and 90, got '95'",
        "feature 7 (bad-json): hardware: hardware must be a JSON list (Expecting property name "
        "enclosed in double quotes), got '[{not json'",
        "feature 8: feature: feature must be a GeoJSON Feature object, got string",
        "feature 9: id: id must be 1-64 letters, digits or . _ : - "
        "(starting with a letter or digit), got ''",
        "feature 9: name: name must not be empty",
    ]
    # Only valid, first-seen records are kept, so they can always go into a store.
    assert [s.id for s in result.sites] == ["ok"]
    with pytest.raises(ValidationError) as info:
        read_sites(path, catalogue=cat)
    assert [str(p) for p in info.value.problems] == lines
    assert [str(p) for p in check_file(path, catalogue=cat)] == lines


def test_flat_chips_must_match_hardware(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = _write_fc(tmp_path / "s.geojson", [_feature(chips=9)])
    [p] = check_file(path, catalogue=cat)
    assert (
        str(p) == "feature 1 (a): chips: chips '9' does not equal the sum of the hardware lines (8)"
    )


def test_metadata_must_be_an_object(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = _write_fc(tmp_path / "s.geojson", [_feature()], metadata=["x"])
    [p] = check_file(path, catalogue=cat)
    assert str(p) == "file: metadata: metadata must be an object, got list"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            " is not valid JSON: Expecting property name enclosed in double quotes "
            "at line 1 column 2",
        ),
        ("", " is not valid JSON: Expecting value at line 1 column 1"),
        ("[1, 2]", " is not a GeoJSON FeatureCollection (top level is a list)"),
        ('{"type": "Feature"}', " is not a GeoJSON FeatureCollection (type is 'Feature')"),
        ('{"features": []}', " is not a GeoJSON FeatureCollection (type is None)"),
        (
            '{"type": "FeatureCollection", "features": {}}',
            ": GeoJSON 'features' must be a list, got object",
        ),
    ],
)
def test_unreadable_geojson_is_one_clear_line(
    tmp_path: Path, cat: ChipCatalogue, content: str, message: str
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_sites(path, catalogue=cat)
    assert str(info.value) == f"{path}{message}"
    assert "\n" not in str(info.value)


def test_missing_file_directory_and_bad_encoding(tmp_path: Path, cat: ChipCatalogue) -> None:
    with pytest.raises(DataFileError, match=r"nope\.geojson: no such file$"):
        read_sites(tmp_path / "nope.geojson", catalogue=cat)
    (tmp_path / "dir.geojson").mkdir()
    with pytest.raises(DataFileError, match="is a directory"):
        read_sites(tmp_path / "dir.geojson", catalogue=cat)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name,lon,lat\nx,caf\xe9,1,2\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin\.csv is not UTF-8 text"):
        read_sites(latin, catalogue=cat)


@pytest.mark.parametrize("name", ["sites.shp", "sites.txt", "sites"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(DataFileError, match="unsupported file type"):
        read_sites(tmp_path / name)
    with pytest.raises(DataFileError, match="unsupported file type"):
        write_sites(tmp_path / name, [])
    assert not (tmp_path / name).exists()


def test_utf8_bom_is_accepted(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "s.geojson"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps({"type": "FeatureCollection", "features": [_feature()]}).encode()
    )
    assert len(read_sites(path, catalogue=cat).sites) == 1


# --------------------------------------------------------------------------- CSV reading


def test_csv_with_chip_model_column_is_one_hardware_line(
    tmp_path: Path, cat: ChipCatalogue
) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "id,name,lon,lat,chip_model,chips,power_mw\n"
        "a,Site A,94.5,43.25,H100,2000,3.5\n"
        "b,Site B,94.6,43.30,,,\n",
        encoding="utf-8",
    )
    a, b = read_sites(path, catalogue=cat).sites
    assert a.hardware == (HardwareLine("H100", 2000),)
    assert a.power_mw == 3.5
    assert b.hardware == () and b.power_mw is None


def test_csv_problems_name_the_spreadsheet_row(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "id,name,lon,lat,chip_model,chips\n"
        "a,A,94.5,43.25,H100,12.5\n"
        "\n"
        "b,B,200,43.25,H999,1,extra\n",
        encoding="utf-8",
    )
    lines = [str(p) for p in check_file(path, catalogue=cat)]
    assert lines[0] == "row 2 (a): hardware[0].chips: chips must be a whole number >= 0, got '12.5'"
    assert lines[1] == "row 4 (b): row: row has 7 cells but the header has 6"
    assert "row 4 (b): lon: lon must be between -180 and 180, got '200'" in lines
    assert any(
        line.startswith("row 4 (b): hardware[0].chip_model: unknown chip model 'H999'")
        for line in lines
    )


def test_csv_bad_json_column(tmp_path: Path, cat: ChipCatalogue) -> None:
    path = tmp_path / "s.csv"
    write_sites(path, rich_sites()[1:2])
    text = path.read_text(encoding="utf-8").replace(",[],[]", ',[],"[{oops"')
    path.write_text(text, encoding="utf-8")
    [p] = check_file(path, catalogue=cat)
    assert p.field == "sources"
    assert "'[{oops'" in p.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty (no header row)"),
        ("id,name,lat\nx,y,1\n", "CSV lacks the column(s) lon"),
        ("name,x,y\n", "CSV lacks the column(s) id, lon, lat"),
    ],
)
def test_unusable_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_sites(path)


# --------------------------------------------------------------------------- writing


def test_write_refuses_duplicate_ids_and_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    path.write_text("old", encoding="utf-8")
    site = rich_sites()[2]
    with pytest.raises(ValidationError, match="duplicate id 'minimal'"):
        write_sites(path, [site, site])
    assert path.read_text(encoding="utf-8") == "old"


def _partial_then_fail() -> Any:
    """A writer that writes the start of a file, then fails mid-file (disk full)."""

    def writer(obj: Any, fh: Any) -> None:
        fh.write('{\n  "type": "FeatureCollection", "features": [')
        fh.flush()
        os.fsync(fh.fileno())
        raise OSError(28, "No space left on device")

    return writer


@pytest.mark.parametrize(("ext", "hook"), [("geojson", "_dump_geojson"), ("csv", "_dump_csv")])
def test_failed_write_leaves_old_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ext: str, hook: str
) -> None:
    path = tmp_path / f"sites.{ext}"
    write_sites(path, rich_sites(), META)
    before = path.read_bytes()
    monkeypatch.setattr(formats, hook, _partial_then_fail())
    with pytest.raises(OSError, match="No space left"):
        write_sites(path, rich_sites()[:1], {"title": "new"})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "_dump_geojson", _partial_then_fail())
    with pytest.raises(OSError):
        write_sites(tmp_path / "new.geojson", rich_sites())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext", ["geojson", "csv", "gpkg"])
@pytest.mark.parametrize("field", ["lon", "lat", "power_mw"])
def test_non_finite_values_are_refused_before_writing(tmp_path: Path, ext: str, field: str) -> None:
    """NaN is not JSON, and GeoPackage would silently store it as NULL."""
    path = tmp_path / f"s.{ext}"
    write_sites(path, rich_sites())
    before = path.read_bytes()
    bad = replace(rich_sites()[2], **{field: float("nan")})
    with pytest.raises(ValueError, match=f"minimal: {field} must be a finite number, got 'nan'"):
        write_sites(path, [*rich_sites()[:2], bad])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_write_keeps_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    write_sites(path, [])
    path.chmod(0o640)
    write_sites(path, rich_sites())
    assert path.stat().st_mode & 0o777 == 0o640


def test_write_through_symlink_replaces_target(tmp_path: Path, cat: ChipCatalogue) -> None:
    real = tmp_path / "real.geojson"
    write_sites(real, [])
    link = tmp_path / "link.geojson"
    link.symlink_to(real)
    write_sites(link, rich_sites())
    assert link.is_symlink()
    assert read_sites(real, catalogue=cat).sites == rich_sites()


# --------------------------------------------------------------------------- bundled demo


@pytest.mark.skipif(
    not DEMO_SITES.exists() or not (GEODATA / "chips.csv").exists(), reason="demo data not built"
)
def test_demo_sites_are_valid_and_round_trip(tmp_path: Path) -> None:
    demo = read_sites(DEMO_SITES)
    assert demo.problems == [] and len(demo.sites) > 0
    assert demo.metadata.get("title")
    for ext in ("geojson", "csv", "gpkg"):
        out = tmp_path / f"demo.{ext}"
        write_sites(out, demo.sites, demo.metadata)
        assert read_sites(out).sites == demo.sites, ext
