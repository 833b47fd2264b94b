"""Checks on the bundled data in ``explorer/geodata/`` (no Qt needed).

The demo-site checks encode the reported facts the scenario must honour; see
``explorer/geodata/PROVENANCE.md``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Point, shape

GEODATA = Path(__file__).resolve().parents[1] / "explorer" / "geodata"
BASEMAP = GEODATA / "basemap"
BASEMAP_FILES = (
    "countries.geojson",
    "provinces.geojson",
    "lakes.geojson",
    "towns.geojson",
    "physical_labels.geojson",
)
CHIP_MODELS = {
    "H100",
    "H200",
    "H20",
    "H800",
    "A100",
    "A800",
    "B200",
    "Ascend 910B",
    "Ascend 910C",
    "Other",
}
YIWU_PREFIX = "xj-yiwu-"
NYOCOR_ID = "xj-hami-nyocor"
# Independent reference points (GeoNames), not taken from the files under test.
URUMQI = Point(87.60046, 43.80096)
XINING = Point(101.75739, 36.62554)
YIWU = Point(94.68801, 43.24968)
GOLMUD = Point(94.82463, 36.4293)
LANZHOU = Point(103.83987, 36.05701)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def provinces() -> dict[str, dict[str, Any]]:
    data = _load(BASEMAP / "provinces.geojson")
    return {f["properties"]["name"]: f for f in data["features"]}


@pytest.fixture(scope="module")
def sites() -> dict[str, Any]:
    return _load(GEODATA / "demo_sites.geojson")


# --- basemap -----------------------------------------------------------------


def test_basemap_is_under_5_mb() -> None:
    total = sum(p.stat().st_size for p in BASEMAP.rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024, f"basemap is {total / 1e6:.2f} MB"


@pytest.mark.parametrize("name", BASEMAP_FILES)
def test_basemap_file_is_valid_geojson(name: str) -> None:
    path = BASEMAP / name
    raw = _load(path)
    assert raw["type"] == "FeatureCollection"
    assert raw["features"], f"{name} has no features"
    frame = gpd.read_file(path)
    assert len(frame) == len(raw["features"])
    assert frame.crs is None or frame.crs.to_epsg() == 4326
    assert frame.geometry.notna().all()
    assert frame.geometry.is_valid.all(), f"{name} has invalid geometries"
    west, south, east, north = frame.total_bounds
    assert west >= 60 - 1e-6 and east <= 112 + 1e-6
    assert south >= 24 - 1e-6 and north <= 56 + 1e-6


def test_countries_have_names_and_codes() -> None:
    feats = _load(BASEMAP / "countries.geojson")["features"]
    by_iso = {f["properties"]["iso_a3"]: f["properties"] for f in feats}
    for iso in ("CHN", "MNG", "KAZ", "KGZ", "IND", "RUS"):
        assert iso in by_iso
    assert by_iso["CHN"]["name"] == "China"
    assert by_iso["CHN"]["name_zh"] == "中华人民共和国"


def test_focus_provinces_exist_and_contain_their_capitals(provinces: dict[str, Any]) -> None:
    for name, capital in (("Xinjiang", URUMQI), ("Qinghai", XINING)):
        props = provinces[name]["properties"]
        assert props["focus"] is True
        assert props["approximate"] is True
        assert props["country"] == "China"
        assert shape(provinces[name]["geometry"]).contains(capital)
    assert shape(provinces["Xinjiang"]["geometry"]).contains(YIWU)
    assert shape(provinces["Qinghai"]["geometry"]).contains(GOLMUD)
    assert shape(provinces["Gansu"]["geometry"]).contains(LANZHOU)


def test_provinces_are_named_and_only_focus_ones_flagged(provinces: dict[str, Any]) -> None:
    expected = {
        "Xinjiang",
        "Qinghai",
        "Gansu",
        "Tibet (Xizang)",
        "Sichuan",
        "Ningxia",
        "Inner Mongolia",
        "Shaanxi",
        "Yunnan",
        "Guizhou",
        "Chongqing",
    }
    assert expected <= set(provinces)
    flagged = {n for n, f in provinces.items() if f["properties"]["focus"]}
    assert flagged == {"Xinjiang", "Qinghai"}
    # Named faces do not overlap (they come from one polygonised line network).
    xj = shape(provinces["Xinjiang"]["geometry"])
    qh = shape(provinces["Qinghai"]["geometry"])
    assert xj.intersection(qh).area < 1e-6


def test_towns_include_the_places_the_story_needs() -> None:
    feats = _load(BASEMAP / "towns.geojson")["features"]
    names = {f["properties"]["name"] for f in feats}
    for town in (
        "Hami",
        "Yiwu",
        "Ürümqi",
        "Karamay",
        "Kashgar",
        "Korla",
        "Xining",
        "Golmud",
        "Delingha",
    ):
        assert town in names, town
    for f in feats:
        props = f["properties"]
        assert props["min_zoom"] in (4, 5, 6, 7)
        assert isinstance(props["population"], int)
        assert len(props["country_code"]) == 2


def test_physical_labels_cover_the_named_features() -> None:
    feats = _load(BASEMAP / "physical_labels.geojson")["features"]
    kinds = {f["properties"]["name"]: f["properties"]["kind"] for f in feats}
    for name in (
        "Taklamakan Desert",
        "Gobi Desert",
        "Tarim Basin",
        "Junggar Basin",
        "Qaidam Basin",
        "Tian Shan",
        "Kunlun Mountains",
        "Altai Mountains",
        "Qilian Mountains",
    ):
        assert name in kinds
    assert set(kinds.values()) <= {"desert", "basin", "range", "plateau"}


# --- demo sites ----------------------------------------------------------------


def test_demo_sites_metadata_says_illustrative(sites: dict[str, Any]) -> None:
    meta = sites["metadata"]
    assert sites["type"] == "FeatureCollection"
    assert meta["scenario"] == "illustrative"
    assert meta["reported_facts"]
    assert "illustrative" in meta["description"].lower()
    assert meta["complex_id_prefix"] == YIWU_PREFIX


def test_demo_sites_count_ids_and_status(sites: dict[str, Any]) -> None:
    feats = sites["features"]
    assert len(feats) == 39
    ids = [f["properties"]["id"] for f in feats]
    assert len(set(ids)) == 39
    for f in feats:
        props = f["properties"]
        assert f["id"] == props["id"]
        assert props["id"] == props["id"].lower() and " " not in props["id"]
        assert props["status"] == "planned"
        assert props["province"] in ("Xinjiang", "Qinghai")


def test_demo_sites_lie_in_their_province(sites: dict[str, Any], provinces: dict[str, Any]) -> None:
    polys = {n: shape(provinces[n]["geometry"]) for n in ("Xinjiang", "Qinghai")}
    for f in sites["features"]:
        point = shape(f["geometry"])
        assert polys[f["properties"]["province"]].covers(point), f["id"]


def test_demo_sites_chip_totals(sites: dict[str, Any]) -> None:
    feats = sites["features"]
    for f in feats:
        props = f["properties"]
        hw = props["hardware"]
        assert hw, f["id"]
        assert props["chips"] == sum(h["chips"] for h in hw), f["id"]
        for h in hw:
            assert h["chip_model"] in ("H100", "H200")
            if h.get("servers") is not None:
                assert h["chips"] == h["servers"] * h["gpus_per_server"]
    total = sum(f["properties"]["chips"] for f in feats)
    yiwu = sum(f["properties"]["chips"] for f in feats if f["id"].startswith(YIWU_PREFIX))
    assert total > 115_000
    assert 0.68 <= yiwu / total <= 0.72, yiwu / total
    yiwu_sites = [f for f in feats if f["id"].startswith(YIWU_PREFIX)]
    assert len(yiwu_sites) >= 2
    assert all(f["properties"]["prefecture"] == "Hami" for f in yiwu_sites)


def test_nyocor_site_matches_the_report(sites: dict[str, Any]) -> None:
    (nyocor,) = [f for f in sites["features"] if f["id"] == NYOCOR_ID]
    props = nyocor["properties"]
    assert props["operator"] == "Nyocor"
    assert props["tenant"] == "Infinigence AI"
    assert props["confidence"] == "medium"
    (line,) = props["hardware"]
    assert (line["chip_model"], line["servers"], line["gpus_per_server"]) == ("H100", 250, 8)
    assert line["chips"] == props["chips"] == 2000
    assert any("Bloomberg" in s["title"] for s in props["sources"])


def test_every_unreported_site_is_marked_illustrative(sites: dict[str, Any]) -> None:
    for f in sites["features"]:
        props = f["properties"]
        titles = [s["title"] for s in props["sources"]]
        if f["id"] == NYOCOR_ID:
            continue
        assert props["confidence"] == "illustrative", f["id"]
        assert "Illustrative scenario (not reported)" in titles, f["id"]
        for s in props["sources"]:
            assert s["url"] == "" or s["url"].startswith("https://")


# --- chip catalogue ----------------------------------------------------------------


def test_chip_catalogue_rows_and_sources() -> None:
    with (GEODATA / "chips.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["model"] for r in rows} == CHIP_MODELS
    assert len(rows) == len(CHIP_MODELS)
    for r in rows:
        assert r["export_licence_required_china"] in ("yes", "no"), r["model"]
        for col in ("source_perf", "source_power", "source_export"):
            assert r[col].strip(), f"{r['model']} lacks {col}"
        float(r["bf16_dense_tflops"])
        float(r["board_power_w"])
        if r["export_licence_required_china"] == "yes":
            assert len(r["licence_required_since"]) == 10, r["model"]
    by_model = {r["model"]: r for r in rows}
    for model in ("H100", "H200", "A100", "H800", "A800", "H20", "B200"):
        assert by_model[model]["export_licence_required_china"] == "yes"
    assert float(by_model["H100"]["bf16_dense_tflops"]) == pytest.approx(989)
    assert float(by_model["H100"]["board_power_w"]) == 700
