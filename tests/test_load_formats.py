"""Columnar loading: the flat schema in every format, GeoParquet, any GeoPackage point
layer, and the same sites and problems as the record-by-record reader."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import HardwareLine, Site, Source
from explorer.io.formats import read_sites, write_sites
from explorer.io.geoparquet import METADATA_KEY
from explorer.io.opening import open_file
from explorer.io.point_layers import LayerChoiceNeeded
from explorer.io.records import SiteCollector, decode_json_list, record_label
from tests.helpers import chip_model


@pytest.fixture
def cat() -> ChipCatalogue:
    return ChipCatalogue(
        [
            chip_model("H100"),
            chip_model("H200"),
            chip_model("H20"),
            chip_model("Ascend 910C", restricted=False),
        ]
    )


# --------------------------------------------------------------------------- flat schema

FLAT_ROWS: list[dict[str, Any]] = [
    {"id": "a", "name": "Alpha", "chip_model": "H100", "chips": 1472, "lon": 94.7, "lat": 43.2},
    {
        "id": "b",
        "name": "Beta",
        "chip_model": "H20",
        "chips": 800,
        "servers": 100,
        "gpus_per_server": 8,
        "online": "2026-03",
        "chips_low": 400,
        "chips_high": 1000,
        "line_status": "tendered",
        "status": "under construction",
        "lon": 101.8,
        "lat": 36.6,
    },
    {"id": "c", "name": "Gamma", "lon": 87.6, "lat": 43.8},  # no hardware at all
]

FLAT_EXPECTED = {
    "a": (HardwareLine("H100", 1472),),
    "b": (HardwareLine("H20", 800, 100, 8, "", "tendered", "2026-03", 400, 1000),),
    "c": (),
}


def _flat_geojson(path: Path) -> None:
    feats = []
    for row in FLAT_ROWS:
        props = {k: v for k, v in row.items() if k not in ("lon", "lat")}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": props,
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def _flat_columns() -> dict[str, Any]:
    keys = [k for k in dict.fromkeys(k for r in FLAT_ROWS for k in r) if k not in ("lon", "lat")]
    return {k: [r.get(k) for r in FLAT_ROWS] for k in keys}


def _flat_gpkg(path: Path, layer: str = "data_centres") -> None:
    import geopandas as gpd

    cols = _flat_columns()
    frame = gpd.GeoDataFrame(
        cols,
        geometry=gpd.points_from_xy([r["lon"] for r in FLAT_ROWS], [r["lat"] for r in FLAT_ROWS]),
        crs="EPSG:4326",
    )
    frame.to_file(path, layer=layer, driver="GPKG")


def _flat_parquet(path: Path) -> None:
    import geopandas as gpd

    cols = _flat_columns()
    frame = gpd.GeoDataFrame(
        cols,
        geometry=gpd.points_from_xy([r["lon"] for r in FLAT_ROWS], [r["lat"] for r in FLAT_ROWS]),
        crs="EPSG:4326",
    )
    frame.to_parquet(path)


def _flat_csv(path: Path) -> None:
    keys = list(dict.fromkeys(k for r in FLAT_ROWS for k in r))
    lines = [",".join(keys)]
    for r in FLAT_ROWS:
        lines.append(",".join("" if r.get(k) is None else str(r.get(k)) for k in keys))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("flat.geojson", _flat_geojson),
        ("flat.csv", _flat_csv),
        ("flat.gpkg", _flat_gpkg),
        ("flat.parquet", _flat_parquet),
    ],
)
def test_flat_schema_is_one_hardware_line_in_every_format(
    cat: ChipCatalogue, tmp_path: Path, name: str, writer: Any
) -> None:
    path = tmp_path / name
    writer(path)
    sites = {s.id: s for s in read_sites(path, catalogue=cat).sites}
    assert {sid: s.hardware for sid, s in sites.items()} == FLAT_EXPECTED
    assert sites["a"].chips == 1472
    assert sites["b"].status == "under construction"  # the site's own status
    assert (sites["b"].lon, sites["b"].lat) == (101.8, 36.6)


def test_flat_geojson_from_qgis_is_no_longer_refused(cat: ChipCatalogue, tmp_path: Path) -> None:
    """The issue's example: 'chips '1472' does not equal the sum of the hardware lines (0)'."""
    path = tmp_path / "qgis.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [94.7, 43.2]},
                        "properties": {
                            "id": "x",
                            "name": "X",
                            "chip_model": "H100",
                            "chips": "1472",
                        },
                    }
                ],
            }
        )
    )
    [site] = read_sites(path, catalogue=cat).sites
    assert site.hardware == (HardwareLine("H100", 1472),)


def test_flat_schema_problems_name_the_line(cat: ChipCatalogue, tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    rows = [
        {"id": "a", "name": "A", "chip_model": "H999", "chips": 5},
        {"id": "b", "name": "B", "chip_model": "H100", "chips": 12.5},
    ]
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [90, 40]},
            "properties": r,
        }
        for r in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(ValidationError) as info:
        read_sites(path, catalogue=cat)
    shown = [str(p) for p in info.value.problems]
    assert shown[0].startswith("feature 1 (a): hardware[0].chip_model: unknown chip model 'H999'")
    assert shown[1] == (
        "feature 2 (b): hardware[0].chips: chips must be a whole number >= 0, got '12.5'"
    )


# --------------------------------------------------------------------------- GeoParquet


def _every_field_sites() -> list[Site]:
    return [
        Site(
            id="campus",
            name="伊吾 campus",
            lon=94.69123456789012,
            lat=43.25000000000001,
            operator="Op 能源",
            tenant="Tenant",
            province="Xinjiang",
            prefecture="Hami",
            status="under construction",
            hardware=(
                HardwareLine("H100", 2000, 250, 8, "phase 1", "tendered", "2025-06", 1500, 2400),
                HardwareLine("H200", 16, None, None, "", "cancelled", "2026", None, None),
                HardwareLine("Ascend 910C", 0, 0, 8, "phase 2 — later"),
            ),
            power_mw=12.5,
            confidence="medium",
            sources=(
                Source("Bloomberg", "https://example.com/a?b=1", "2025-07-08", 'said "x"'),
                Source("Notice", "", "2025", "line one\nline two"),
            ),
            notes='multi\nline, with "quotes"',
            updated_at="2025-07-09T10:00:00Z",
        ),
        Site(
            id="part-1",
            name="Part",
            lon=-0.5,
            lat=-12.25,
            hardware=(HardwareLine("H100", 500, online="2025-01-15"),),
            part_of="campus",
        ),
        Site(id="later", name="Later report", lon=95.0, lat=43.0, supersedes="part-1"),
    ]


def test_geoparquet_round_trip_keeps_every_field(cat: ChipCatalogue, tmp_path: Path) -> None:
    sites = _every_field_sites()
    meta = {"title": "T", "as_of": "2025-07-08", "scenario": "illustrative", "n": [1, 2]}
    path = tmp_path / "sites.parquet"
    write_sites(path, sites, meta)
    got = read_sites(path, catalogue=cat)
    assert got.sites == sites
    assert got.metadata == meta


def test_geoparquet_is_geoparquet(tmp_path: Path) -> None:
    """Other tools read the file: geopandas sees the points and the flat chip total."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    path = tmp_path / "sites.parquet"
    write_sites(path, _every_field_sites(), {"title": "T"})
    frame = gpd.read_parquet(path)
    assert list(frame["id"]) == ["campus", "part-1", "later"]
    assert list(frame["chips"]) == [2016, 500, 0]
    assert frame.geometry.iloc[1].equals(shapely.Point(-0.5, -12.25))
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert json.loads(pq.read_schema(path).metadata[METADATA_KEY]) == {"title": "T"}


def test_geoparquet_in_another_crs_is_reprojected(cat: ChipCatalogue, tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"id": ["a"], "name": ["A"], "chip_model": ["H100"], "chips": [8]},
        geometry=[shapely.Point(94.7, 43.2)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    path = tmp_path / "mercator.parquet"
    frame.to_parquet(path)
    [site] = read_sites(path, catalogue=cat).sites
    assert site.lon == pytest.approx(94.7) and site.lat == pytest.approx(43.2)


def test_geoparquet_problems_are_worded_as_elsewhere(cat: ChipCatalogue, tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"id": ["a", "a"], "name": ["A", ""], "chip_model": ["H100", "H100"], "chips": [8, 9]},
        geometry=[shapely.Point(94.7, 43.2), shapely.LineString([(0, 0), (1, 1)])],
        crs="EPSG:4326",
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    problems = [str(p) for p in read_sites(path, strict=False, catalogue=cat).problems]
    assert problems == [
        "feature 2 (a): geometry.type: geometry must be a Point, got 'LineString'",
        "feature 2 (a): name: name must not be empty",
        "feature 2 (a): id: duplicate id 'a' (first used by feature 1 (a))",
    ]


# --------------------------------------------------------------------------- any point layer


def _layer(path: Path, layer: str, geoms: list[Any], **cols: list[Any]) -> None:
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array(geoms, dtype=object)),
        [np.array(v, dtype=object if isinstance(v[0], str) else None) for v in cols.values()],
        list(cols),
        layer=layer,
        driver="GPKG",
        geometry_type=geoms[0].geom_type,
        crs="EPSG:4326",
        append=path.exists(),
    )


def test_a_plain_point_layer_opens_as_sites(cat: ChipCatalogue, tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    _flat_gpkg(path)
    opened = open_file(path, catalogue=cat)
    assert not opened.is_project
    assert [s.id for s in opened.project.sites] == ["a", "b", "c"]
    assert opened.display_name == "qgis.gpkg"


def test_several_point_layers_need_a_choice(cat: ChipCatalogue, tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    _flat_gpkg(path, layer="planned")
    _layer(
        path,
        "permits",
        [shapely.Point(90, 40)],
        id=["p1"],
        name=["Permit"],
        chip_model=["H20"],
        chips=np.array([64]),
    )
    _layer(path, "roads", [shapely.LineString([(0, 0), (1, 1)])], ref=["A1"])
    with pytest.raises(LayerChoiceNeeded) as info:
        open_file(path, catalogue=cat)
    assert info.value.layers == ("planned", "permits")
    assert str(info.value) == (
        f"{path} has 2 point layers ('planned', 'permits'); name the one to open "
        "(--layer on the command line)"
    )
    opened = open_file(path, catalogue=cat, layer="permits")
    assert [(s.id, s.chips) for s in opened.project.sites] == [("p1", 64)]
    assert opened.display_name == "two.gpkg (permits)"
    with pytest.raises(DataFileError, match="layer 'roads' is not a point layer"):
        open_file(path, catalogue=cat, layer="roads")
    with pytest.raises(DataFileError, match="has no layer 'nope'"):
        open_file(path, catalogue=cat, layer="nope")


def test_cli_layer_option(
    cat: ChipCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from explorer.cli import run_cli

    path = tmp_path / "two.gpkg"
    _flat_gpkg(path, layer="planned")
    _layer(path, "permits", [shapely.Point(90, 40)], id=["p1"], name=["P"])
    assert run_cli(["totals", str(path), "--json"], catalogue=cat) == 2
    err = capsys.readouterr().err
    assert err == (
        f"explorer: error: {path} has 2 point layers ('planned', 'permits'); name the one "
        "to open (--layer on the command line)\n"
    )
    assert run_cli(["totals", str(path), "--layer", "planned", "--json"], catalogue=cat) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["regions"][0]["chips"] == 1472 + 800
    assert run_cli(["validate", str(path), "--layer", "permits"], catalogue=cat) == 0
    assert "1 site, no problems" in capsys.readouterr().out
    one = tmp_path / "one.gpkg"
    _flat_gpkg(one)
    assert run_cli(["totals", str(one), "--json"], catalogue=cat) == 0
    assert json.loads(capsys.readouterr().out)["regions"][0]["site_count"] == 3


def test_a_geopackage_without_points_says_so(cat: ChipCatalogue, tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _layer(path, "roads", [shapely.LineString([(0, 0), (1, 1)])], ref=["A1"])
    with pytest.raises(DataFileError) as info:
        open_file(path, catalogue=cat)
    assert str(info.value) == (
        f"{path} is not a Compute Site Explorer project and has no point layer to read as "
        "sites (layers: 'roads' (LineString))"
    )


# --------------------------------------------------------------------------- same as before


def _old_reader(path: Path, cat: ChipCatalogue) -> tuple[list[Site], list[str]]:
    """The record-by-record GeoJSON reading this project had before columnar loading."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    collector = SiteCollector(cat)
    for n, feat in enumerate(doc["features"], start=1):
        props = dict(feat["properties"])
        label = record_label(f"feature {n}", props.get("id"))
        pre: list[Any] = []
        for key in ("hardware", "sources"):
            if key in props:
                props[key] = decode_json_list(props[key], key, pre, label)
        lon, lat = feat["geometry"]["coordinates"][:2]
        collector.add(props, lon, lat, label=label, problems=pre)
    return collector.sites, [str(p) for p in collector.problems]


_MUTATIONS: list[tuple[str, Any]] = [
    ("name", ""),
    ("name", "  padded  "),
    ("name", 123),
    ("name", "\u3000wide space\u3000"),
    ("name", "x" * 301),
    ("status", "Planned"),
    ("status", " planned "),
    ("status", None),
    ("status", ""),
    ("confidence", "certain"),
    ("power_mw", -1),
    ("power_mw", "12"),
    ("power_mw", 1e9),
    ("power_mw", True),
    ("power_mw", None),
    ("chips", 1),
    ("chips", "abc"),
    ("id", "bad id!"),
    ("id", " spaced "),
    ("id", 7),
    ("id", "dup"),
    ("lon", 200),
    ("lat", "x"),
    ("lon", "12.5"),
    ("notes", "n" * 10_001),
    ("tenant", "t" * 301),
    ("part_of", "self"),
    ("part_of", "bad ref!"),
    ("part_of", "site-0000001"),
    ("supersedes", "site-0000002"),
    ("updated_at", 20250101),
    ("hardware", "[not json"),
    ("hardware", "not a list"),
    ("hardware", [{"chip_model": "H999", "chips": 5}]),
    ("hardware", [{"chip_model": "H100", "chips": "12.5"}]),
    ("hardware", [{"chip_model": "H100", "chips": 10, "chips_low": 20}]),
    ("hardware", [{"chip_model": "H100", "chips": 10, "online": "2025-13"}]),
    ("hardware", [{"chip_model": "H100", "chips": 10, "online": " 2025-06 "}]),
    ("hardware", [{"chip_model": "H100", "chips": 10, "status": "bogus"}]),
    ("hardware", [{"chip_model": " H100 ", "chips": 10, "status": "cancelled"}]),
    ("hardware", [{"chip_model": "H100", "chips": 20_000_000}]),
    ("hardware", ["line"]),
    ("sources", [{"title": "", "url": "https://x"}]),
    ("sources", [{"title": "T", "url": "ftp://x"}]),
    ("sources", [{"title": "T", "date": "2025-1"}]),
    ("sources", [{"title": "T", "date": "２０２５"}]),
    ("sources", '[{"title": "From text"}]'),
    ("sources", {"title": "not a list"}),
    ("name", "nul\x00inside"),
    ("notes", "bell\x07"),
    ("name", ["a", "list"]),
    ("operator", "tab\tand\nnewline are fine"),
    ("hardware", [{"chip_model": "H100", "chips": "12.0"}]),
    ("hardware", [{"chip_model": "H100", "chips": 10, "phase": "esc\x1b"}]),
    (
        "hardware",
        [{"chip_model": "H100", "chips": 9_000_000}, {"chip_model": "H20", "chips": 2_000_000}],
    ),
    ("hardware", [{"chip_model": "H100", "chips": 10, "chips_high": 10_000_001}]),
    ("sources", [{"title": "T", "quote": "del\x7f"}]),
]


def _synthetic_geojson(path: Path, n: int, *, seed: int, mutate: float) -> None:
    rng = random.Random(seed)
    models = ["H100", "H200", "H20", "Ascend 910C"]
    feats = []
    for i in range(n):
        chips = rng.randrange(0, 4000)
        props: dict[str, Any] = {
            "id": f"site-{i:07d}",
            "name": f"Site {i}",
            "operator": rng.choice(["Op A", "Op B", ""]),
            "province": rng.choice(["Xinjiang", "Qinghai"]),
            "status": rng.choice(["planned", "operational"]),
            "hardware": [{"chip_model": rng.choice(models), "chips": chips, "online": "2026-06"}],
            "chips": chips,
            "confidence": "illustrative",
            "sources": [{"title": "Synthetic", "url": "https://example.com/s"}],
        }
        lon, lat = rng.uniform(73, 103), rng.uniform(32, 50)
        if rng.random() < mutate:
            key, value = rng.choice(_MUTATIONS)
            if key == "lon":
                lon = value
            elif key == "lat":
                lat = value
            elif key == "part_of" and value == "self":
                props["part_of"] = props["id"]
            else:
                props[key] = value
                if key == "hardware" and isinstance(value, list):
                    props.pop("chips")
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
        encoding="utf-8",
    )


def test_mutated_file_gives_the_old_readers_sites_and_problems(
    cat: ChipCatalogue, tmp_path: Path
) -> None:
    path = tmp_path / "mutated.geojson"
    _synthetic_geojson(path, 3000, seed=11, mutate=0.3)
    old_sites, old_problems = _old_reader(path, cat)
    got = read_sites(path, strict=False, catalogue=cat)
    assert [str(p) for p in got.problems] == old_problems
    assert got.sites == old_sites
    assert len(old_problems) > 300  # the mutations really were refused


def test_100000_sites_load_as_the_old_reader_read_them(cat: ChipCatalogue, tmp_path: Path) -> None:
    path = tmp_path / "big.geojson"
    _synthetic_geojson(path, 100_000, seed=2025, mutate=0.01)
    old_sites, old_problems = _old_reader(path, cat)
    got = read_sites(path, strict=False, catalogue=cat)
    assert [str(p) for p in got.problems] == old_problems
    assert got.sites == old_sites
    assert len(got.sites) > 98_000


def test_same_sites_in_every_format(cat: ChipCatalogue, tmp_path: Path) -> None:
    """GeoJSON, CSV, GeoPackage and GeoParquet written from one list read back equal."""
    src = tmp_path / "src.geojson"
    _synthetic_geojson(src, 2000, seed=5, mutate=0.0)
    sites = read_sites(src, catalogue=cat).sites
    for suffix in (".csv", ".gpkg", ".parquet", ".geojson"):
        path = tmp_path / f"copy{suffix}"
        write_sites(path, sites, {"title": "copy"})
        assert read_sites(path, catalogue=cat).sites == sites, suffix


def test_the_whitespace_arrow_trims_is_pythons() -> None:
    from explorer.io.arrow_values import PY_WHITESPACE

    assert PY_WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@pytest.mark.parametrize("as_of", [None, "2025-03-31", "2025-12-31", "2030-01-01"])
def test_columns_snapshot_equals_the_snapshot_of_sites(
    cat: ChipCatalogue, tmp_path: Path, as_of: str | None
) -> None:
    """Campus, parts, supersession, cancelled and dated lines: the snapshot explorer totals
    takes from the columns is the one the sites give."""
    from datetime import date

    from explorer.geo.totals import SiteArrays

    sites = _every_field_sites() + [
        Site(
            id="plain",
            name="Plain",
            lon=90.0,
            lat=40.0,
            hardware=(
                HardwareLine("H20", 64, online="2025-02"),
                HardwareLine("H100", 8, status="cancelled"),
                HardwareLine("H200", 10, chips_low=5, chips_high=20),
            ),
        )
    ]
    path = tmp_path / "s.parquet"
    write_sites(path, sites)
    day = date.fromisoformat(as_of) if as_of else None
    got = open_file(path, catalogue=cat).columns.site_arrays(cat, as_of=day)
    want = SiteArrays.from_sites(sites, cat, as_of=day)
    assert got.models == want.models
    assert got.ids.tolist() == want.ids.tolist()
    for name in ("chips", "chips_low", "chips_high", "counted", "lon", "lat"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert np.array_equal(got.reported_power_mw, want.reported_power_mw, equal_nan=True)


@pytest.mark.parametrize("as_of", [None, "2025-12-31"])
def test_one_line_per_site_snapshot_equals_the_snapshot_of_sites(
    cat: ChipCatalogue, tmp_path: Path, as_of: str | None
) -> None:
    """No site with two counted lines (each stored in its cell, not summed): still the
    snapshot the sites give, with sites without lines, a cancelled line, a dated one and
    a range among them."""
    from datetime import date

    from explorer.geo.totals import SiteArrays

    lines = [
        (HardwareLine("H100", 8),),
        (),
        (HardwareLine("H20", 64, online="2026-03"),),
        (HardwareLine("H200", 10, chips_low=5, chips_high=20),),
        (HardwareLine("H100", 7, status="cancelled"), HardwareLine("H20", 3)),
        (HardwareLine("H200", 1),),
    ]
    sites = [
        Site(id=f"s{i}", name=f"S {i}", lon=80.0 + i, lat=40.0, hardware=hw)
        for i, hw in enumerate(lines)
    ]
    path = tmp_path / "s.parquet"
    write_sites(path, sites)
    day = date.fromisoformat(as_of) if as_of else None
    got = open_file(path, catalogue=cat).columns.site_arrays(cat, as_of=day)
    want = SiteArrays.from_sites(sites, cat, as_of=day)
    for name in ("chips", "chips_low", "chips_high", "counted"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name


def _hostile_flat_table(n: int, seed: int) -> Any:
    """A flat-schema Parquet table whose few-valued text columns hold every kind of bad
    value (unknown model, misspelt status, control character, padding, blanks, nulls,
    impossible dates), and a few repeated ids."""
    import pyarrow as pa

    rng = random.Random(seed)
    pick = {
        "status": ["planned", "operational", "plannned", " planned ", "", None],
        "chip_model": ["H100", "H200", " H20 ", "H999", "", None],
        "operator": ["Op A", "Op B", "\x01Op", "", None],
        "province": ["Xinjiang", "Qinghai", "Q" * 101, None],
        "confidence": ["illustrative", "high", "bogus", None],
        "online": ["2026-06", "2026-13", "", None],
        "line_status": ["unknown", "cancelled", "weird", None],
    }
    cols: dict[str, list[Any]] = {k: [rng.choice(v) for _ in range(n)] for k, v in pick.items()}
    cols["id"] = [f"s{i}" if i % 500 else "s7" for i in range(n)]
    cols["name"] = [f"Site {i}" for i in range(n)]
    cols["chips"] = [rng.randrange(0, 4000) for _ in range(n)]
    cols["lon"] = [rng.uniform(73, 103) for _ in range(n)]
    cols["lat"] = [rng.uniform(32, 50) for _ in range(n)]
    return pa.table(cols)


def test_geoparquet_dictionary_columns_read_as_plain_ones(
    cat: ChipCatalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Columns read as dictionaries give the same sites, problems and totals as the same
    columns read plain."""
    import pyarrow.parquet as pq

    from explorer.io import parquet_table

    path = tmp_path / "flat.parquet"
    pq.write_table(_hostile_flat_table(3000, seed=3), path, row_group_size=700)
    results = []
    for threshold in (0.0, 1e9):  # no column as a dictionary, every text column as one
        monkeypatch.setattr(parquet_table, "DICTIONARY_BYTES_PER_ROW", threshold)
        chosen = parquet_table.few_values(pq.ParquetFile(path))
        assert bool(chosen) == bool(threshold)
        got = read_sites(path, strict=False, catalogue=cat)
        arrays = got.columns.site_arrays(cat)
        results.append((got, arrays, got.columns.illustrative_count()))
    (plain, plain_arrays, plain_ill), (dicts, dict_arrays, dict_ill) = results
    assert [str(p) for p in dicts.problems] == [str(p) for p in plain.problems]
    assert len(plain.problems) > 1000
    assert dicts.sites == plain.sites
    assert len(plain.sites) > 100
    assert np.array_equal(dict_arrays.chips, plain_arrays.chips)
    assert dict_ill == plain_ill > 0


def test_few_valued_columns_of_a_large_file_are_read_as_dictionaries(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from explorer.io.parquet_table import few_values

    path = tmp_path / "flat.parquet"
    pq.write_table(_hostile_flat_table(20_000, seed=4), path)
    chosen = set(few_values(pq.ParquetFile(path)))
    assert {"status", "chip_model", "confidence", "line_status"} <= chosen
    assert not chosen & {"id", "name"}


def _flat_mutated_geojson(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    models: list[Any] = ["H100", "H200", " H20 ", "H999", "", None, 12, True, ["H100"]]
    counts: list[Any] = [8, 4000, "12", "12.5", "n/a", -1, None, "", 2e7, True, 3.0]
    feats = []
    for i in range(n):
        props: dict[str, Any] = {
            "id": f"s{i}" if i % 97 else rng.choice([f"s{i}", " padded ", 7, "s1"]),
            "name": f"Site {i}",
            "status": rng.choice(["planned", "Planned", None]),
            "chip_model": rng.choice(models),
            "chips": rng.choice(counts),
        }
        if rng.random() < 0.2:
            props["line_status"] = rng.choice(["cancelled", "bogus", None])
        if rng.random() < 0.2:
            props["online"] = rng.choice(["2026-06", "2026-13", 2026])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [80.0 + i % 20, 40.0]},
                "properties": props,
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")


def test_flat_geojson_checked_in_bulk_as_record_by_record(
    cat: ChipCatalogue, tmp_path: Path
) -> None:
    """Flat models and counts of every type: the bulk checks (converting them once) keep
    and refuse exactly what the per-record path does, worded the same."""
    from explorer.io.column_check import check_sites
    from explorer.io.geojson_read import read_geojson_raw

    path = tmp_path / "flat.geojson"
    _flat_mutated_geojson(path, 3000, seed=9)
    results = []
    for slow in (False, True):
        raw, _, _ = read_geojson_raw(path, path.read_bytes())
        if slow:  # every record the per-record way
            raw.odd = np.ones(raw.n, dtype=bool)
        columns, problems = check_sites(raw, cat)
        results.append((columns.sites(), [str(p) for p in problems]))
    (bulk_sites, bulk_problems), (slow_sites, slow_problems) = results
    assert bulk_problems == slow_problems
    assert bulk_sites == slow_sites
    assert len(bulk_sites) > 300 and len(bulk_problems) > 1000
