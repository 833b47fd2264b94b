"""Admin-area lookup: hand-built areas for the rules, the bundled file for sanity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from explorer.core.errors import DataFileError
from explorer.geo.admin import PROVINCES_FILE, AdminAreas
from explorer.geo.regions import PolygonRegion

bundled = pytest.mark.skipif(not PROVINCES_FILE.exists(), reason="provinces.geojson not built yet")


def _square(name: str, x0: float, y0: float, size: float = 1.0, **props: object) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"name": name, "name_zh": name + "省", "country": "Testland", **props},
    }


def _write(tmp_path: Path, features: list) -> Path:
    p = tmp_path / "areas.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return p


def test_lookup_on_hand_built_areas(tmp_path: Path) -> None:
    areas = AdminAreas.load(
        _write(tmp_path, [_square("West", 0, 0, focus=True), _square("East", 1, 0)])
    )
    assert areas.names == ("West", "East")
    assert areas.focus_names == ("West",)
    assert areas["East"].name_zh == "East省"
    assert areas.province_at(0.5, 0.5) == "West"
    assert areas.province_at(1.5, 0.5) == "East"
    assert areas.province_at(5, 5) is None
    # On the shared border both areas cover the point; the first in the file wins.
    assert areas.province_at(1.0, 0.5) == "West"
    # Outer boundary counts as inside, as for any region.
    assert areas.province_at(2.0, 0.5) == "East"


def test_vectorised_lookup_keeps_shape(tmp_path: Path) -> None:
    areas = AdminAreas.load(_write(tmp_path, [_square("West", 0, 0), _square("East", 1, 0)]))
    lon = np.array([[0.5, 1.5], [9.0, np.nan]])
    lat = np.array([[0.5, 0.5], [9.0, 0.5]])
    assert areas.provinces_at(lon, lat).tolist() == [["West", "East"], [None, None]]


def test_region_by_name(tmp_path: Path) -> None:
    areas = AdminAreas.load(_write(tmp_path, [_square("West", 0, 0)]))
    r = areas.region("West")
    assert isinstance(r, PolygonRegion) and r.name == "West"
    with pytest.raises(KeyError, match="unknown admin area 'North'"):
        areas.region("North")


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([], "areas.geojson: contains no features"),
        ([_square("A", 0, 0), _square("A", 2, 0)], "areas.geojson: duplicate admin area name 'A'"),
        (
            [{**_square("A", 0, 0), "properties": {}}],
            "areas.geojson: feature 0: property 'name' is required",
        ),
        (
            [_square("A", 0, 0, focus="yes")],
            "areas.geojson: feature 0: property 'focus' must be true or false",
        ),
        (
            [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [0, 0]},
                    "properties": {"name": "P"},
                }
            ],
            "areas.geojson: feature 0 ('P'): expected a Polygon or MultiPolygon, got 'Point'",
        ),
    ],
)
def test_load_errors(tmp_path: Path, features: list, message: str) -> None:
    with pytest.raises(DataFileError) as info:
        AdminAreas.load(_write(tmp_path, features))
    assert str(info.value).startswith(message)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="missing.geojson: cannot read admin areas"):
        AdminAreas.load(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.geojson: not valid JSON"):
        AdminAreas.load(bad)


@bundled
def test_bundled_provinces() -> None:
    areas = AdminAreas.load()
    assert {"Xinjiang", "Qinghai"} <= set(areas.names)
    assert set(areas.focus_names) == {"Xinjiang", "Qinghai"}
    # Regional capitals and the Yiwu County seat in Hami (the reported big complex).
    assert areas.province_at(87.62, 43.83) == "Xinjiang"  # Urumqi
    assert areas.province_at(94.69, 43.25) == "Xinjiang"  # Yiwu County, Hami
    assert areas.province_at(101.78, 36.62) == "Qinghai"  # Xining
    assert areas.province_at(-30.0, 0.0) is None  # mid-Atlantic
    got = areas.provinces_at(np.array([87.62, 101.78]), np.array([43.83, 36.62]))
    assert got.tolist() == ["Xinjiang", "Qinghai"]
