"""Checks on the bundled data in ``explorer/geodata/`` (no Qt needed).

The demo-site checks encode the reported facts the scenario must honour; see
``explorer/geodata/PROVENANCE.md``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape

from explorer.core.chips import ChipCatalogue
from explorer.core.rules import UNRESTRICTED, ExportRules
from explorer.geo.consistency import consistency_problems
from explorer.geo.totals import SiteArrays, masked_totals
from explorer.io.formats import read_sites

REPO = Path(__file__).resolve().parents[1]
GEODATA = REPO / "explorer" / "geodata"
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
CAMPUS_ID = "xj-yiwu-cluster"
NYOCOR_ID = "xj-changji-nyocor"
NYOCOR_2024_ID = "xj-changji-2024-nyocor"
ILLUSTRATIVE_TITLE = "Illustrative scenario (not reported)"
HOPPER = ("H100", "H200")
# Independent reference points (GeoNames), not taken from the files under test.
URUMQI = Point(87.60046, 43.80096)
XINING = Point(101.75739, 36.62554)
YIWU = Point(94.68801, 43.24968)
CHANGJI = Point(87.30, 44.01)  # Nyocor's inferred site (MISSION-FACTS)
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


@pytest.fixture(scope="module")
def features(sites: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The demo's features by id (as the file holds them, not through the app)."""
    return {f["id"]: f["properties"] for f in sites["features"]}


@pytest.fixture(scope="module")
def demo() -> Any:
    """The demo as the app reads it."""
    return read_sites(GEODATA / "demo_sites.geojson")


@pytest.fixture(scope="module")
def catalogue() -> ChipCatalogue:
    return ChipCatalogue.bundled()


def _projects(features: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The records standing for the reported data centres: not the campus (the complex
    as a whole) and not a record another one supersedes."""
    superseded = {p.get("supersedes") for p in features.values()} - {None}
    return {i: p for i, p in features.items() if i != CAMPUS_ID and i not in superseded}


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
# The reported facts (MISSION-FACTS.md) hold on the data, checked through the app's own
# totals and, where the answer can be worked out from the raw file, independently too.


def test_demo_sites_metadata_says_illustrative(sites: dict[str, Any]) -> None:
    meta = sites["metadata"]
    assert sites["type"] == "FeatureCollection"
    assert meta["scenario"] == "illustrative"
    assert meta["reported_facts"] and meta["inferred"]
    assert "illustrative" in meta["description"].lower()
    assert meta["complex_id_prefix"] == YIWU_PREFIX
    assert meta["campus_id"] == CAMPUS_ID


def test_demo_has_39_projects_plus_the_campus_and_one_superseded_record(
    sites: dict[str, Any], features: dict[str, dict[str, Any]]
) -> None:
    feats = sites["features"]
    ids = [f["properties"]["id"] for f in feats]
    assert len(set(ids)) == len(ids) == 41
    projects = _projects(features)
    assert len(projects) == 39
    assert set(features) - set(projects) == {CAMPUS_ID, NYOCOR_2024_ID}
    for f in feats:
        props = f["properties"]
        assert f["id"] == props["id"]
        assert props["id"] == props["id"].lower() and " " not in props["id"]
        assert props["province"] in ("Xinjiang", "Qinghai")
    # Every project's investment plan names H100 or H200 chips.
    for sid, props in projects.items():
        assert any(h["chip_model"] in HOPPER for h in props["hardware"]), sid


def test_demo_sites_lie_in_their_province(sites: dict[str, Any], provinces: dict[str, Any]) -> None:
    polys = {n: shape(provinces[n]["geometry"]) for n in ("Xinjiang", "Qinghai")}
    for f in sites["features"]:
        point = shape(f["geometry"])
        assert polys[f["properties"]["province"]].covers(point), f["id"]


def test_demo_reads_cleanly_and_validate_has_nothing_to_say(
    demo: Any, sites: dict[str, Any], catalogue: ChipCatalogue
) -> None:
    # `explorer validate` would print these: none, as_of included (no updated_at after it).
    assert demo.problems == []
    assert consistency_problems(demo.sites, demo.metadata, catalogue) == []
    as_of = sites["metadata"]["as_of"]
    assert all(s.updated_at[:10] <= as_of for s in demo.sites)
    for f in sites["features"]:
        props = f["properties"]
        assert props["chips"] == sum(h["chips"] for h in props["hardware"]), f["id"]
        for h in props["hardware"]:
            assert h["chip_model"] in (*HOPPER, "Other"), f["id"]
            if h.get("servers") is not None:
                assert h["chips"] == h["servers"] * h["gpus_per_server"], f["id"]


def test_demo_rebuild_is_byte_identical() -> None:
    """`make data` rebuilds the committed file exactly (and the script is deterministic)."""
    spec = importlib.util.spec_from_file_location(
        "build_demo", REPO / "scripts" / "build_demo_sites.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    text = module.render(module.build())
    assert text == module.render(module.build())
    assert text == (GEODATA / "demo_sites.geojson").read_text(encoding="utf-8")


def _hopper_low_central_high(arrays: SiteArrays) -> tuple[int, int, int]:
    cols = [arrays.models.index(m) for m in HOPPER]
    assert arrays.counted is not None
    return tuple(  # type: ignore[return-value]
        int(a[arrays.counted][:, cols].sum())
        for a in (arrays.chips_low, arrays.chips, arrays.chips_high)
    )


def test_planned_build_out_holds_more_than_115000_h100_h200(
    demo: Any, catalogue: ChipCatalogue
) -> None:
    arrays = SiteArrays.from_sites(demo.sites, catalogue)
    everything = masked_totals(arrays, None, "all", catalogue=catalogue)
    by_model = everything.by_model_dict()
    assert by_model["H100"] + by_model["H200"] > 115_000
    low, central, high = _hopper_low_central_high(arrays)
    assert central == by_model["H100"] + by_model["H200"]
    # The reports give a minimum ("more than 115,000"): even the low end honours it.
    assert 115_000 < low <= central < high
    # About 14,000 servers of 8 GPUs, as reported ("more than 14,000 servers").
    assert central / 8 > 14_000
    # The 39 projects count (the campus too), the superseded announcement does not.
    assert everything.site_count == 40 and NYOCOR_2024_ID not in everything.site_ids
    # The operating centres name no chips: counted as such, never as H100e.
    assert everything.unknown_model_chips == by_model["Other"] > 0
    assert everything.h100e == pytest.approx(central)  # H100 and H200 have equal compute


def _campus_mask(demo: Any) -> np.ndarray:
    return np.array([s.id == CAMPUS_ID or s.part_of == CAMPUS_ID for s in demo.sites])


def test_about_70_percent_of_planned_compute_is_in_the_yiwu_campus(
    demo: Any, features: dict[str, dict[str, Any]], catalogue: ChipCatalogue
) -> None:
    arrays = SiteArrays.from_sites(demo.sites, catalogue)
    everything = masked_totals(arrays, None, "all", catalogue=catalogue)
    yiwu = masked_totals(arrays, _campus_mask(demo), "Yiwu", catalogue=catalogue)
    assert 0.68 <= yiwu.h100e / everything.h100e <= 0.72

    # The same figure worked out from the raw file by the campus rule (per model, the
    # larger of the campus's lines and the sum of its parts'), not by the app's ledger.
    def per_model(props: dict[str, Any]) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in props["hardware"]:
            out[h["chip_model"]] = out.get(h["chip_model"], 0) + h["chips"]
        return out

    parts = [p for p in features.values() if p.get("part_of") == CAMPUS_ID]
    assert len(parts) >= 2 and all(p["id"].startswith(YIWU_PREFIX) for p in parts)
    campus = per_model(features[CAMPUS_ID])
    inside: dict[str, int] = {}
    for p in parts:
        for m, n in per_model(p).items():
            inside[m] = inside.get(m, 0) + n
    by_hand = {m: max(campus.get(m, 0), inside.get(m, 0)) for m in set(campus) | set(inside)}
    assert yiwu.by_model_dict() == {m: n for m, n in by_hand.items() if n}
    # The campus figure is more than its parts itemise: the remainder counts at its point.
    assert sum(campus[m] for m in HOPPER) > sum(inside[m] for m in HOPPER)

    # The campus and its projects stand near Yiwu, in Hami prefecture.
    geod = Geod(ellps="WGS84")
    for sid in [CAMPUS_ID, *(p["id"] for p in parts)]:
        site = next(s for s in demo.sites if s.id == sid)
        assert site.prefecture == "Hami"
        _, _, metres = geod.inv(YIWU.x, YIWU.y, site.lon, site.lat)
        assert metres < 15_000, sid


def test_part_of_the_campus_operates_with_dated_phases(
    demo: Any, features: dict[str, dict[str, Any]], catalogue: ChipCatalogue
) -> None:
    campus = features[CAMPUS_ID]
    assert campus["name"] == "Yiwu (County) Advanced Computing Cluster"
    operating = sorted(
        h["online"]
        for p in features.values()
        if p.get("part_of") == CAMPUS_ID
        for h in p["hardware"]
        if h["status"] == "operational"
    )
    # The first centre since April 2024; the 1,000P-class centre since January 2025.
    assert operating == ["2024-04", "2025-01"]
    mask = _campus_mask(demo)

    def yiwu_on(day: date) -> int:
        arrays = SiteArrays.from_sites(demo.sites, catalogue, as_of=day)
        return masked_totals(arrays, mask, "Yiwu", catalogue=catalogue).chips

    assert yiwu_on(date(2024, 3, 31)) == 0
    assert 0 < yiwu_on(date(2024, 4, 30)) < yiwu_on(date(2025, 1, 31)) < yiwu_on(date(2027, 12, 31))


def test_nyocor_matches_the_report_at_its_inferred_site(
    features: dict[str, dict[str, Any]], provinces: dict[str, Any]
) -> None:
    props = features[NYOCOR_ID]
    assert "Nyocor" in props["operator"]
    assert props["tenant"] == "Infinigence AI"
    assert props["confidence"] == "low"
    assert props["prefecture"] == "Changji"
    assert "INFERRED" in props["notes"]
    one, two = props["hardware"]
    assert (one["chip_model"], one["servers"], one["gpus_per_server"]) == ("H100", 250, 8)
    assert one["chips"] == 2000 and one["phase"] == "1"
    # Tenders show servers being installed: phase one is being built, and dated.
    assert one["status"] == "under construction" and one["online"]
    assert (two["chip_model"], two["servers"], two["chips"]) == ("H100", 375, 3000)
    assert props["chips"] == 5000  # 625 servers
    assert "chips_low" not in one and "chips_high" not in one  # reported figures: no range
    titles = " ".join(s["title"] for s in props["sources"])
    assert "Bloomberg" in titles and "RCR Wireless" in titles
    nyocor = next(f for f in features.values() if f["id"] == NYOCOR_ID)
    assert nyocor is props
    # It replaces Nyocor's own earlier announcement, kept for history, which has no chips.
    assert props["supersedes"] == NYOCOR_2024_ID
    announced = features[NYOCOR_2024_ID]
    assert announced["hardware"] == [] and announced["prefecture"] == "Changji"


def test_nyocor_stands_at_changji(sites: dict[str, Any], provinces: dict[str, Any]) -> None:
    (nyocor,) = [f for f in sites["features"] if f["id"] == NYOCOR_ID]
    point = shape(nyocor["geometry"])
    assert point.distance(CHANGJI) < 1e-9
    assert shape(provinces["Xinjiang"]["geometry"]).contains(point)


def test_filter_coffee_is_not_a_source(sites: dict[str, Any]) -> None:
    # It wrongly puts all 115,000 chips in the Yiwu complex (MISSION-FACTS, Corrections).
    text = json.dumps(sites, ensure_ascii=False).lower()
    assert "filter coffee" not in text and "filtercoffee" not in text


def test_q4_2024_approvals_and_seven_xinjiang_projects_under_way(
    features: dict[str, dict[str, Any]],
) -> None:
    under_way = set()
    for sid, props in _projects(features).items():
        for h in props["hardware"]:
            if h["chip_model"] in HOPPER:
                # Approved in Q4 2024 at least; none reported operating H100/H200.
                assert h["status"] in ("approved", "tendered", "under construction"), sid
                if h["status"] != "approved" and props["province"] == "Xinjiang":
                    under_way.add(sid)
    assert len(under_way) >= 7 and NYOCOR_ID in under_way


def test_dated_phases_and_ranges_grow_to_the_planned_build_out(
    demo: Any, features: dict[str, dict[str, Any]], catalogue: ChipCatalogue
) -> None:
    lines = [h for p in features.values() for h in p["hardware"]]
    dated = [h for h in lines if h.get("online")]
    assert len(dated) > 0.8 * len(lines) and len(dated) < len(lines)  # some undated
    assert sum("chips_high" in h for h in lines) > 0.8 * len(lines)
    points = []
    for day in (date(2025, 12, 31), date(2026, 12, 31), date(2027, 12, 31), None):
        arrays = SiteArrays.from_sites(demo.sites, catalogue, as_of=day)
        low, central, high = _hopper_low_central_high(arrays)
        assert low <= central <= high
        points.append(central)
    assert 0 < points[0] < points[1] < points[2] < points[3]


def test_every_value_not_reported_is_marked_illustrative(
    features: dict[str, dict[str, Any]],
) -> None:
    for sid, props in features.items():
        sources = props["sources"]
        titles = [s["title"] for s in sources]
        for s in sources:
            assert s["url"] == "" or s["url"].startswith(("https://", "http://")), sid
            assert s["date"] <= "2025-07-14", sid  # nothing cited from after the data's as_of
        if props["confidence"] == "illustrative":
            assert titles[0] == ILLUSTRATIVE_TITLE, sid
            assert sources[0]["quote"].startswith("Made up for the demo"), sid
            assert "ILLUSTRATIVE" in props["notes"] or sid == CAMPUS_ID, sid
            if sid != CAMPUS_ID:
                assert "illustrative" in props["operator"].lower(), sid
            continue
        # Only Nyocor's two records are not illustrative, and their sources say what is
        # reported; the one assumption (phase one's online date) is marked as such.
        assert sid in (NYOCOR_ID, NYOCOR_2024_ID), sid
        assert props["confidence"] in ("low", "medium")
        assert all("chips_low" not in h and "chips_high" not in h for h in props["hardware"])
        dated = [h for h in props["hardware"] if h.get("online")]
        if dated:
            (assumed,) = [s for s in sources if s["title"] == ILLUSTRATIVE_TITLE]
            assert "online" in assumed["quote"], sid


# --- chip catalogue ----------------------------------------------------------------


def _catalogue_rows() -> dict[str, dict[str, str]]:
    with (GEODATA / "chips.csv").open(newline="", encoding="utf-8") as fh:
        return {r["model"]: r for r in csv.DictReader(fh)}


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


def _restricted_since(rules: ExportRules, model: str, day: date) -> str:
    """The first day of the restricted spell in force on ``day`` ("" when unrestricted)."""
    since = ""
    for row in rules.rows(model):
        if row.effective > day:
            break
        if row.status == UNRESTRICTED:
            since = ""
        elif not since:
            since = row.effective.isoformat()
    return since


def test_catalogue_agrees_with_the_export_rules_today() -> None:
    """chips.csv's columns say how things stand today; export_rules.csv is the dated truth."""
    today = date.today()
    rules = ExportRules.load(GEODATA / "export_rules.csv")
    for model, row in _catalogue_rows().items():
        in_force = rules.rule_on(model, today)
        assert in_force is not None, model
        assert (row["export_licence_required_china"] == "yes") == in_force.restricted, model
        assert row["licence_required_since"] == _restricted_since(rules, model, today), model
        # A review policy beyond "a licence is required" is named in the rule column.
        if in_force.status not in (UNRESTRICTED, "licence required"):
            assert in_force.status in row["rule"], (model, in_force.status)


def test_catalogue_and_rules_agree_on_a_day_they_differed_before() -> None:
    # The check above, on a day with a known answer: the A800/H800 were caught on
    # 2023-10-23 (date of effect), not on 2023-10-17 (the rule's release).
    rules = ExportRules.load(GEODATA / "export_rules.csv")
    rows = _catalogue_rows()
    for model in ("A800", "H800"):
        assert rows[model]["licence_required_since"] == "2023-10-23"
        assert not rules.rule_on(model, date(2023, 10, 22)).restricted  # type: ignore[union-attr]
        assert rules.rule_on(model, date(2023, 10, 23)).restricted  # type: ignore[union-attr]
    assert _restricted_since(rules, "H20", date(2025, 4, 8)) == ""
    assert _restricted_since(rules, "H20", date(2025, 9, 1)) == "2025-04-09"


def test_ascend_910b_board_power_is_a_noted_range() -> None:
    row = _catalogue_rows()["Ascend 910B"]
    assert 310 <= float(row["board_power_w"]) <= 400
    assert "310-400 W" in row["notes"]
    # The 910C estimate is built from it and says so.
    assert float(_catalogue_rows()["Ascend 910C"]["board_power_w"]) == 2 * float(
        row["board_power_w"]
    )


# --- licences ----------------------------------------------------------------------


def test_licence_file_matches_pyproject() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert declared["project"]["license"] == "MIT"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_provenance_credits_geonames_with_licence_link_and_change_note() -> None:
    text = (GEODATA / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "https://creativecommons.org/licenses/by/4.0/" in text
    assert "changed" in text.lower()
