"""Build ``explorer/geodata/demo_sites.geojson``: the bundled ILLUSTRATIVE demo scenario.

Run with the project's virtual environment (after ``scripts/build_basemap.py``,
whose province polygons are used to check every site's province)::

    .venv/bin/python scripts/build_demo_sites.py

What is reported and what is made up
------------------------------------
Reported (Bloomberg News, 8 July 2025) and used as hard constraints here:

* 39 planned data centres in Xinjiang and Qinghai;
* together they plan more than 115,000 Nvidia H100 or H200 chips;
* about 70 % of the planned compute sits in one local-government-backed complex
  near Yiwu (Yiwu County, Hami prefecture, Xinjiang), at the edge of the Gobi;
* Nyocor's first phase: 250 H100 servers (about 2,000 chips), to be rented to,
  among others, Infinigence AI.

Everything else -- the split of the Yiwu complex into blocks, every other site's
name, operator, town, coordinates, chip count, model mix and power -- is an
illustrative scenario written by hand in the tables below.  The Nyocor site's
*figures* are reported but its *location* is illustrative.

The Yiwu complex is identified by the site-id prefix ``xj-yiwu-`` (also stated
in the file's metadata as ``complex_id_prefix``).  Output is deterministic:
the small coordinate offsets come from a seeded RNG.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point, shape

REPO = Path(__file__).resolve().parents[1]
OUT_FILE = REPO / "explorer" / "geodata" / "demo_sites.geojson"
PROVINCES_FILE = REPO / "explorer" / "geodata" / "basemap" / "provinces.geojson"

SEED = 20250708  # the report's publication date; any fixed seed would do
AS_OF = "2025-12-15"
UPDATED_AT = "2026-01-05T00:00:00Z"
GPUS_PER_SERVER = 8
YIWU_PREFIX = "xj-yiwu-"
# Illustrative power: chip board power x 1.5 for hosts, networking and cooling.
WATTS_PER_CHIP = {"H100": 700, "H200": 700}
FACILITY_FACTOR = 1.5

BLOOMBERG_TITLE = "China Wants 115,000 Nvidia Chips to Power Data Centers in the Desert"
BLOOMBERG_DATE = "2025-07-08"
BLOOMBERG_BYLINE = "Bloomberg News (Andy Lin, Mackenzie Hawkins, Colum Murphy, James Mayger)"

REPORTED_FACTS = [
    "39 planned data centres in Xinjiang and Qinghai plan to deploy, in total, more than"
    " 115,000 Nvidia H100 or H200 chips (Bloomberg News, 2025-07-08).",
    "About 70% of the planned compute is concentrated in one complex backed by local"
    " authorities near Yiwu (Yiwu County, Hami prefecture, Xinjiang), on the edge of the"
    " Gobi desert.",
    "Nyocor, a Chinese energy company, plans 250 Nvidia H100 servers (about 2,000 chips)"
    " in its first phase, to be rented to, among others, Infinigence AI.",
    "Both H100 and H200 need a US export licence for China; the project documents do not"
    " say how the hardware would be obtained.",
]


@dataclass(frozen=True)
class SiteSpec:
    """One hand-written row of the scenario."""

    id: str
    name: str
    province: str
    prefecture: str
    town: str
    lon: float  # town centre; the site is offset from it (see _place)
    lat: float
    hardware: tuple[tuple[str, int, str], ...]  # (chip_model, servers, phase)
    with_power: bool = True


# Town centres (GeoNames, rounded) used as anchors for the illustrative sites.
T = {
    "Yiwu": (94.688, 43.250),
    "Hami": (93.506, 42.834),
    "Urumqi": (87.600, 43.801),
    "Changji": (87.305, 44.008),
    "Karamay": (84.887, 45.585),
    "Kashgar": (75.987, 39.467),
    "Korla": (86.152, 41.761),
    "Turpan": (89.179, 42.948),
    "Shihezi": (86.037, 44.302),
    "Wujiaqu": (87.522, 44.163),
    "Aksu": (80.279, 41.184),
    "Yining": (81.322, 43.915),
    "Hotan": (79.934, 37.109),
    "Xining": (101.757, 36.626),
    "Haidong": (102.416, 36.480),
    "Golmud": (94.825, 36.429),
    "Delingha": (97.375, 37.376),
    "Gonghe": (100.613, 36.281),
}

# The Yiwu complex as eight blocks on a grid a few km north-east of the county
# seat, toward the Gobi.  Block layout and sizes are illustrative.
YIWU_BLOCKS: tuple[tuple[str, tuple[tuple[str, int, str], ...]], ...] = (
    ("a", (("H100", 800, "1"), ("H200", 1000, "2"))),
    ("b", (("H100", 700, "1"), ("H200", 900, "2"))),
    ("c", (("H100", 600, "1"), ("H200", 900, "2"))),
    ("d", (("H100", 600, "1"), ("H200", 800, "2"))),
    ("e", (("H200", 1300, "1"),)),
    ("f", (("H100", 500, "1"), ("H200", 600, "2"))),
    ("g", (("H200", 800, "1"),)),
    ("h", (("H100", 650, "1"),)),
)


def _site(
    sid: str,
    town: str,
    province: str,
    prefecture: str,
    name: str,
    hardware: tuple[tuple[str, int, str], ...],
    *,
    with_power: bool = True,
) -> SiteSpec:
    lon, lat = T[town]
    return SiteSpec(sid, name, province, prefecture, town, lon, lat, hardware, with_power)


XJ, QH = "Xinjiang", "Qinghai"
OTHER_SITES: tuple[SiteSpec, ...] = (
    _site(
        "xj-hami-nyocor",
        "Hami",
        XJ,
        "Hami",
        "Nyocor computing centre, phase 1",
        (("H100", 250, "1"),),
        with_power=False,
    ),
    _site(
        "xj-hami-1",
        "Hami",
        XJ,
        "Hami",
        "Hami east computing centre",
        (("H100", 120, "1"), ("H200", 140, "2")),
    ),
    _site(
        "xj-hami-2", "Hami", XJ, "Hami", "Hami industrial park data centre", (("H100", 150, "1"),)
    ),
    _site(
        "xj-hami-3",
        "Hami",
        XJ,
        "Hami",
        "Hami south solar-powered data centre",
        (("H200", 50, "1"),),
        with_power=False,
    ),
    _site(
        "xj-urumqi-1",
        "Urumqi",
        XJ,
        "Urumqi",
        "Urumqi high-tech zone AI centre",
        (("H100", 140, "1"), ("H200", 200, "2")),
    ),
    _site(
        "xj-urumqi-2", "Urumqi", XJ, "Urumqi", "Urumqi north computing hub", (("H200", 190, "1"),)
    ),
    _site(
        "xj-urumqi-3",
        "Urumqi",
        XJ,
        "Urumqi",
        "Urumqi airport-area data centre",
        (("H100", 100, "1"),),
        with_power=False,
    ),
    _site(
        "xj-changji-1",
        "Changji",
        XJ,
        "Changji",
        "Changji computing park",
        (("H100", 100, "1"), ("H200", 120, "2")),
    ),
    _site(
        "xj-changji-2", "Changji", XJ, "Changji", "Changji west data centre", (("H100", 120, "1"),)
    ),
    _site(
        "xj-karamay-1",
        "Karamay",
        XJ,
        "Karamay",
        "Karamay cloud computing centre",
        (("H100", 160, "1"), ("H200", 120, "2")),
    ),
    _site(
        "xj-karamay-2",
        "Karamay",
        XJ,
        "Karamay",
        "Karamay oilfield-area data centre",
        (("H200", 130, "1"),),
        with_power=False,
    ),
    _site(
        "xj-kashgar-1",
        "Kashgar",
        XJ,
        "Kashgar",
        "Kashgar economic zone data centre",
        (("H100", 120, "1"),),
    ),
    _site(
        "xj-korla-1",
        "Korla",
        XJ,
        "Bayingolin",
        "Korla computing centre",
        (("H100", 90, "1"), ("H200", 80, "2")),
    ),
    _site("xj-korla-2", "Korla", XJ, "Bayingolin", "Korla south data centre", (("H200", 80, "1"),)),
    _site(
        "xj-turpan-1", "Turpan", XJ, "Turpan", "Turpan desert data centre", (("H100", 150, "1"),)
    ),
    _site(
        "xj-turpan-2",
        "Turpan",
        XJ,
        "Turpan",
        "Turpan east computing hall",
        (("H200", 40, "1"),),
        with_power=False,
    ),
    _site(
        "xj-shihezi-1",
        "Shihezi",
        XJ,
        "Shihezi",
        "Shihezi computing centre",
        (("H100", 60, "1"), ("H200", 80, "2")),
    ),
    _site("xj-wujiaqu-1", "Wujiaqu", XJ, "Wujiaqu", "Wujiaqu data centre", (("H100", 70, "1"),)),
    _site("xj-aksu-1", "Aksu", XJ, "Aksu", "Aksu computing centre", (("H200", 90, "1"),)),
    _site("xj-yining-1", "Yining", XJ, "Ili", "Yining data centre", (("H100", 50, "1"),)),
    _site(
        "xj-hotan-1",
        "Hotan",
        XJ,
        "Hotan",
        "Hotan data centre",
        (("H100", 40, "1"),),
        with_power=False,
    ),
    _site(
        "qh-xining-1",
        "Xining",
        QH,
        "Xining",
        "Xining big-data park AI centre",
        (("H100", 120, "1"), ("H200", 140, "2")),
    ),
    _site(
        "qh-xining-2",
        "Xining",
        QH,
        "Xining",
        "Xining south computing centre",
        (("H200", 150, "1"),),
    ),
    _site(
        "qh-xining-3",
        "Xining",
        QH,
        "Xining",
        "Xining east data centre",
        (("H100", 120, "1"),),
        with_power=False,
    ),
    _site(
        "qh-haidong-1",
        "Haidong",
        QH,
        "Haidong",
        "Haidong computing centre",
        (("H100", 60, "1"), ("H200", 80, "2")),
    ),
    _site(
        "qh-haidong-2",
        "Haidong",
        QH,
        "Haidong",
        "Haidong industrial data centre",
        (("H200", 60, "1"),),
    ),
    _site(
        "qh-golmud-1",
        "Golmud",
        QH,
        "Haixi",
        "Golmud solar computing centre",
        (("H100", 90, "1"), ("H200", 80, "2")),
    ),
    _site("qh-golmud-2", "Golmud", QH, "Haixi", "Golmud east data centre", (("H100", 120, "1"),)),
    _site(
        "qh-delingha-1",
        "Delingha",
        QH,
        "Haixi",
        "Delingha green computing centre",
        (("H200", 130, "1"),),
    ),
    _site(
        "qh-delingha-2",
        "Delingha",
        QH,
        "Haixi",
        "Delingha west data centre",
        (("H100", 50, "1"),),
        with_power=False,
    ),
    _site(
        "qh-gonghe-1",
        "Gonghe",
        QH,
        "Hainan (Qinghai)",
        "Gonghe solar-park data centre",
        (("H200", 110, "1"),),
    ),
)


def _all_specs() -> list[SiteSpec]:
    specs = []
    lon0, lat0 = T["Yiwu"]
    for i, (letter, hardware) in enumerate(YIWU_BLOCKS):
        row, col = divmod(i, 4)
        specs.append(
            SiteSpec(
                id=f"{YIWU_PREFIX}{letter}",
                name=f"Yiwu computing complex, block {letter.upper()}",
                province=XJ,
                prefecture="Hami",
                town="Yiwu",
                # a 4 x 2 grid ~1.6 km apart, starting ~3 km north-east of the county seat
                lon=lon0 + 0.03 + 0.02 * col,
                lat=lat0 + 0.025 + 0.015 * row,
                hardware=hardware,
            )
        )
    specs.extend(OTHER_SITES)
    return specs


def _load_provinces() -> dict[str, shapely.Geometry]:
    data = json.loads(PROVINCES_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["name"]: shape(f["geometry"]) for f in data["features"]}


def _place(spec: SiteSpec, rng: random.Random, province: shapely.Geometry) -> tuple[float, float]:
    """Offset a town-anchored site by a few km so sites in one town do not overlap."""
    if spec.id.startswith(YIWU_PREFIX):
        lon, lat = spec.lon, spec.lat  # already laid out on the block grid
    else:
        lon = spec.lon + rng.uniform(-0.08, 0.08)
        lat = spec.lat + rng.uniform(-0.06, 0.06)
    lon, lat = round(lon, 4), round(lat, 4)
    if not province.contains(Point(lon, lat)):
        raise SystemExit(f"{spec.id} at ({lon}, {lat}) is outside {spec.province}")
    return lon, lat


def _bloomberg_source(quote: str) -> dict[str, str]:
    return {
        "title": f"{BLOOMBERG_BYLINE}: {BLOOMBERG_TITLE}",
        "url": "",
        "date": BLOOMBERG_DATE,
        "quote": quote,
    }


AGGREGATE_QUOTE = (
    "Context only, paraphrased: 39 planned data centres in Xinjiang and Qinghai plan more"
    " than 115,000 Nvidia H100/H200 chips; about 70% of the planned compute is in one"
    " complex near Yiwu. The report gives no figures for this site."
)


def _sources(spec: SiteSpec) -> list[dict[str, str]]:
    if spec.id == "xj-hami-nyocor":
        return [
            _bloomberg_source(
                "Paraphrased: Nyocor, a Chinese energy company, plans 250 H100 servers (about"
                " 2,000 chips) in its first phase; the servers are to be rented to, among"
                " others, Infinigence AI. The report's site location is not used here."
            ),
            {
                "title": "Filter Coffee: China's Desert Data Centers and the Mystery of 115,000"
                " Nvidia Chips (secondary summary of the Bloomberg report)",
                "url": "https://www.filtercoffee.co/stories/"
                "chinas-desert-data-centers-and-the-mystery-of-115-000-nvidia-chips",
                "date": "2025-07-14",
                "quote": "Secondary summary naming Nyocor among the projects; paraphrased.",
            },
            {
                "title": "Illustrative scenario (not reported)",
                "url": "",
                "date": AS_OF,
                "quote": "The coordinates, site name, prefecture and status wording are"
                " illustrative; only the operator, tenant, server and chip figures and the"
                " phase are reported.",
            },
        ]
    made_up = (
        "Made up for the demo: this site's name, operator, location, chip count, model mix,"
        " phases and power."
    )
    if spec.id.startswith(YIWU_PREFIX):
        made_up = (
            "Made up for the demo: the split of the reported Yiwu complex into blocks, and each"
            " block's name, coordinates, chip count, model mix, phases and power. Reported: the"
            " complex exists near Yiwu and holds about 70% of the planned compute."
        )
    return [
        {
            "title": "Illustrative scenario (not reported)",
            "url": "",
            "date": AS_OF,
            "quote": made_up,
        },
        _bloomberg_source(AGGREGATE_QUOTE),
    ]


def _feature(spec: SiteSpec, lon: float, lat: float) -> dict[str, Any]:
    hardware = [
        {
            "chip_model": model,
            "chips": servers * GPUS_PER_SERVER,
            "servers": servers,
            "gpus_per_server": GPUS_PER_SERVER,
            "phase": phase,
        }
        for model, servers, phase in spec.hardware
    ]
    chips = sum(h["chips"] for h in hardware)
    power = None
    if spec.with_power:
        watts = sum(h["chips"] * WATTS_PER_CHIP[h["chip_model"]] for h in hardware)
        power = round(watts * FACILITY_FACTOR / 1e6, 1)
    reported = spec.id == "xj-hami-nyocor"
    if reported:
        operator, tenant, confidence = "Nyocor", "Infinigence AI", "medium"
        notes = (
            "REPORTED figures, ILLUSTRATIVE location: Nyocor's phase one of 250 H100 servers"
            " (8 GPUs each, about 2,000 chips) for rent to Infinigence AI is reported; the"
            " site is placed near Hami only for the demo. Power not reported."
        )
    elif spec.id.startswith(YIWU_PREFIX):
        operator = "Local-government-backed complex operator (illustrative)"
        tenant, confidence = "", "illustrative"
        notes = (
            "ILLUSTRATIVE block of the reported Yiwu complex (site-id prefix 'xj-yiwu-')."
            " Reported: a local-government-backed complex near Yiwu on the edge of the Gobi"
            " holds about 70% of the planned compute, with free electricity quotas and"
            " subsidies on offer. Block split, coordinates and figures are made up."
        )
    else:
        operator = "Illustrative operator (not reported)"
        tenant, confidence = "", "illustrative"
        notes = (
            f"ILLUSTRATIVE site near {spec.town}: not a reported project. It stands in for one"
            " of the 39 reported planned data centres; name, operator, place and figures are"
            " made up."
        )
    if power is not None and not reported:
        notes += f" Power = chips x 700 W x {FACILITY_FACTOR} (illustrative)."
    props = {
        "id": spec.id,
        "name": spec.name,
        "operator": operator,
        "tenant": tenant,
        "province": spec.province,
        "prefecture": spec.prefecture,
        "status": "planned",
        "hardware": hardware,
        "chips": chips,
        "power_mw": power,
        "confidence": confidence,
        "sources": _sources(spec),
        "notes": notes,
        "updated_at": UPDATED_AT,
    }
    return {
        "type": "Feature",
        "id": spec.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


def build() -> dict[str, Any]:
    provinces = _load_provinces()
    rng = random.Random(SEED)
    specs = _all_specs()
    features = []
    for spec in specs:
        lon, lat = _place(spec, rng, provinces[spec.province])
        features.append(_feature(spec, lon, lat))

    ids = [f["id"] for f in features]
    total = sum(f["properties"]["chips"] for f in features)
    yiwu = sum(f["properties"]["chips"] for f in features if f["id"].startswith(YIWU_PREFIX))
    models = {h["chip_model"] for f in features for h in f["properties"]["hardware"]}
    # The reported facts are hard constraints on the scenario.
    assert len(features) == 39, len(features)
    assert len(set(ids)) == len(ids), "duplicate site ids"
    assert total > 115_000, total
    assert 0.68 <= yiwu / total <= 0.72, yiwu / total
    assert models <= {"H100", "H200"}, models

    metadata = {
        "title": "Planned AI data centres in Xinjiang and Qinghai -- illustrative demo scenario",
        "scenario": "illustrative",
        "description": (
            "An ILLUSTRATIVE scenario built on a few reported facts. Reported (Bloomberg"
            " News, 2025-07-08): 39 planned data centres in Xinjiang and Qinghai plan more"
            " than 115,000 Nvidia H100/H200 chips; about 70% of the planned compute is in one"
            " local-government-backed complex near Yiwu (Hami prefecture, Xinjiang); Nyocor"
            " plans 250 H100 servers (about 2,000 chips) in phase one for rent to Infinigence"
            " AI. Made up: the Yiwu complex's split into blocks, and every other site's name,"
            " operator, location, chip count, model mix and power; the Nyocor site's location."
            " Sites with confidence 'illustrative' are not reported projects."
        ),
        "as_of": AS_OF,
        "reported_facts": REPORTED_FACTS,
        "generated_by": "scripts/build_demo_sites.py",
        "complex_id_prefix": YIWU_PREFIX,
        "totals": {
            "sites": len(features),
            "chips": total,
            "yiwu_complex_chips": yiwu,
            "yiwu_complex_share": round(yiwu / total, 4),
        },
        "provenance": "explorer/geodata/PROVENANCE.md",
    }
    features.sort(key=lambda f: f["id"])
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    collection = build()
    OUT_FILE.write_text(
        json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    t = collection["metadata"]["totals"]
    print(
        f"wrote {OUT_FILE.relative_to(REPO)}: {t['sites']} sites, {t['chips']:,} chips,"
        f" Yiwu complex {t['yiwu_complex_chips']:,} ({t['yiwu_complex_share']:.1%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
