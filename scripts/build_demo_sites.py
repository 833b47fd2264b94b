"""Build ``explorer/geodata/demo_sites.geojson``: the bundled ILLUSTRATIVE demo scenario.

Run with the project's virtual environment (after ``scripts/build_basemap.py``,
whose province polygons are used to check every site's province)::

    .venv/bin/python scripts/build_demo_sites.py

What is reported, what is inferred and what is made up
------------------------------------------------------
Reported (Bloomberg News, 8 July 2025, with RCR Wireless and DatacenterDynamics'
accounts of it; Yiwu county and Hami prefecture notices) and used as hard
constraints here:

* in Q4 2024 local governments in Xinjiang and Qinghai approved 39 data centres
  whose investment plans name Nvidia H100 or H200 chips, more than 115,000 of them
  (more than 14,000 servers); by June 2025 at least seven Xinjiang projects were
  under construction or had tenders;
* about 70 % of the planned compute is in one local-government-backed complex near
  Yiwu (Hami prefecture), the Yiwu (County) Advanced Computing Cluster, whose first
  centre (128P) has operated since April 2024; its phase-II buildings were complete
  by November 2024 and a 1,000P-class centre was switched on in January 2025;
* a company controlled by Nyocor plans 625 H100 servers, 250 (2,000 chips) in phase
  one; tenders show servers being installed; compute is sold to Infinigence AI.

Inferred (low confidence): Nyocor's site is the compute centre it announced in
Changji City on 2024-10-08 (5,000 PFLOPS, 2,000 in the first batch: the same
625:250 ratio, and 2,000 H100 give about 2,000 PFLOPS). That announcement is kept
as an earlier record which the Bloomberg-based record ``supersedes``.

Everything else -- the split of the cluster into projects, every other site's name,
operator, town, coordinates, chip counts, model mix, line statuses, online dates,
ranges and power -- is an illustrative scenario written by hand in the tables below.

The cluster is a campus (``xj-yiwu-cluster``) whose projects name it in ``part_of``
(site-id prefix ``xj-yiwu-``). Output is deterministic: each illustrative site's
small offset from its town comes from an RNG seeded with the site's id.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site, parse_site
from explorer.geo.consistency import consistency_problems
from explorer.geo.totals import SiteArrays, masked_totals
from explorer.io.formats import sites_to_geojson

REPO = Path(__file__).resolve().parents[1]
OUT_FILE = REPO / "explorer" / "geodata" / "demo_sites.geojson"
PROVINCES_FILE = REPO / "explorer" / "geodata" / "basemap" / "provinces.geojson"

SEED = "20250708"  # the report's publication date; any fixed seed would do
# The scenario states what was reported up to RCR Wireless's account of 2025-07-14;
# every record was last updated then, so no updated_at is after the data's as_of.
AS_OF = "2025-07-14"
UPDATED_AT = "2025-07-14T00:00:00Z"
GPUS_PER_SERVER = 8
YIWU_PREFIX = "xj-yiwu-"
CAMPUS_ID = "xj-yiwu-cluster"
NYOCOR_ID = "xj-changji-nyocor"
NYOCOR_2024_ID = "xj-changji-2024-nyocor"
ILLUSTRATIVE_TITLE = "Illustrative scenario (not reported)"
# Illustrative power: chip board power x 1.5 for hosts, networking and cooling.
WATTS_PER_CHIP = {"H100": 700, "H200": 700}
FACILITY_FACTOR = 1.5
# Illustrative upper ends: the reports give minimums ("more than 115,000 chips"), so an
# illustrative line's range runs from its figure up by this share of it, wider for a
# line that is only approved than for one already tendered or being built.
HIGH_SHARE = {"approved": 0.25, "tendered": 0.10, "under construction": 0.10}

# --------------------------------------------------------------------------- sources

BLOOMBERG = {
    "title": "Bloomberg News (Andy Lin, Mackenzie Hawkins, Colum Murphy, James Mayger):"
    " China Wants 115,000 Nvidia Chips to Power Data Centers in the Desert",
    "url": "",
    "date": "2025-07-08",
}
RCR = {
    "title": "RCR Wireless News (2025-07-14): account of Bloomberg's investigation of the"
    " Nvidia chips planned for data centres in Xinjiang",
    "url": "https://www.rcrwireless.com/20250714/ai-infrastructure/china-nvidia-ai",
    "date": "2025-07-14",
}
DCD = {
    "title": "DatacenterDynamics: China aims to build data centers housing 115,000 Nvidia"
    " chips in Xinjiang desert - report",
    "url": "https://www.datacenterdynamics.com/en/news/"
    "china-aims-to-build-data-centers-housing-115000-nvidia-chips-in-xinjiang-desert-report/",
    "date": "2025-07",
}
NYOCOR_ANNOUNCEMENT = {
    "title": "Nyocor (金开新能, 600821.SH) announcement of 2024-10-08 on the Changji"
    " intelligent computing centre project, as summarised by yaliqi.com",
    "url": "https://yaliqi.com/new/d04ca4fd50ec4690aa1375fee3da03a2",
    "date": "2024-10-08",
}
YIWU_NOTICE = {
    "title": "Yiwu County government: phase II of the Yiwu County Advanced Computing"
    " Cluster fully built (哈密市伊吾县先进计算集群二期项目全部建成)",
    "url": "http://xjyiwu.gov.cn/xjyiwu/c119606/202411/a676d7a682b34a28bc6d982e984b70c7.shtml",
    "date": "2024-11-11",
}
HAMI_NOTICE = {
    "title": "Hami prefecture government: Hami's computing industry on CCTV news"
    " (哈密算力产业首次亮相央视《新闻联播》)",
    "url": "https://www.hami.gov.cn/hami/c119977/202503/3dbb87a12cdc4f87a8f0e43e5016a303.shtml",
    "date": "2025-03-13",
}


def _source(base: dict[str, str], quote: str) -> dict[str, str]:
    return {**base, "quote": quote}


def _illustrative(quote: str) -> dict[str, str]:
    return {"title": ILLUSTRATIVE_TITLE, "url": "", "date": AS_OF, "quote": quote}


AGGREGATE_QUOTE = (
    "Context only, paraphrased: in Q4 2024 local governments in Xinjiang and Qinghai"
    " approved 39 data centres planning more than 115,000 Nvidia H100/H200 chips; about"
    " 70% of the planned compute is in one complex near Yiwu. The report gives no figures"
    " for this site."
)

REPORTED_FACTS = [
    "In Q4 2024 local governments in Xinjiang and Qinghai approved 39 data centres whose"
    " investment plans name Nvidia H100 or H200 chips: more than 115,000 chips (more than"
    " 14,000 servers) in total (Bloomberg News, 2025-07-08).",
    "By June 2025 at least seven of the Xinjiang projects were under construction or had"
    " tenders for AI compute services (Bloomberg via RCR Wireless, 2025-07-14).",
    "About 70% of the planned compute is concentrated in one complex backed by local"
    " authorities near Yiwu (Yiwu County, Hami prefecture, Xinjiang), on the edge of the"
    " Gobi desert: the Yiwu (County) Advanced Computing Cluster.",
    "The cluster is not all planned: a first 128P computing centre has operated since April"
    " 2024 and a 1,000P-class centre was switched on in January 2025 (Hami prefecture"
    " notice, 2025-03-13); its phase-II buildings were complete by November 2024 (Yiwu"
    " County notice, 2024-11-11). The notices do not name the chips.",
    "A company ultimately controlled by Nyocor (Tianjin energy firm) proposes a data centre"
    " with 625 H100 servers, starting with 250 (2,000 chips) in phase one; tender documents"
    " show it had started installing servers (the tenders do not say the servers hold"
    " Nvidia chips); China Bester Group was asked to supply hardware; compute is sold to"
    " Infinigence AI.",
    "H100 and H200 need a US export licence for China; the project documents do not say"
    " how the hardware would be obtained.",
]

INFERRED = [
    "Nyocor's site: Changji City, Xinjiang (about 87.30 E, 44.01 N), where Nyocor announced"
    " on 2024-10-08 a compute centre of 5,000 PFLOPS, 2,000 PFLOPS in the first batch: the"
    " same 625:250 ratio as the reported servers, and 2,000 H100 (989 dense BF16 TFLOPS"
    " each) give about 2,000 PFLOPS. Bloomberg does not give the location; low confidence.",
]

# --------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class LineSpec:
    """One hardware line: ``servers`` of 8 GPUs, or ``chips`` with an explicit range."""

    model: str
    phase: str
    status: str
    online: str
    servers: int | None = None
    chips: int | None = None
    low: int | None = None
    high: int | None = None

    def as_dict(self, *, illustrative_range: bool) -> dict[str, Any]:
        chips = self.chips if self.chips is not None else self.servers * GPUS_PER_SERVER  # type: ignore[operator]
        high = self.high
        if high is None and illustrative_range and self.status in HIGH_SHARE:
            # A whole number of servers above the figure.
            extra = round(chips * HIGH_SHARE[self.status] / GPUS_PER_SERVER) * GPUS_PER_SERVER
            high = chips + extra
        out: dict[str, Any] = {
            "chip_model": self.model,
            "chips": chips,
            "servers": self.servers,
            "gpus_per_server": GPUS_PER_SERVER if self.servers is not None else None,
            "phase": self.phase,
            "status": self.status,
            "online": self.online,
        }
        if self.low is not None:
            out["chips_low"] = self.low
        if high is not None:
            out["chips_high"] = high
        return out


@dataclass(frozen=True)
class SiteSpec:
    """One hand-written site of the scenario (coordinates: a town centre, see _place)."""

    id: str
    name: str
    province: str
    prefecture: str
    town: str
    lines: tuple[LineSpec, ...]
    with_power: bool = True
    lonlat: tuple[float, float] | None = None  # exact point, not offset from the town
    extra: dict[str, Any] = field(default_factory=dict)


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
XJ, QH = "Xinjiang", "Qinghai"
AP, TD, UC, OP = "approved", "tendered", "under construction", "operational"


def _h(model: str, servers: int, phase: str, status: str, online: str) -> LineSpec:
    return LineSpec(model, phase, status, online, servers=servers)


# The operating centres of the cluster, sized in "P" (PFLOPS of unstated precision) by
# the notices, which name no chip: recorded as chips of unknown model ("Other"). Count
# = P / PFLOPS per chip, with 1.0 (H100-class dense FP16) for the low end, 0.3 (Ascend
# 910B-class) for the high end and 0.5 for the central figure (illustrative).
FIRST_CENTRE = LineSpec("Other", "1", OP, "2024-04", chips=256, low=128, high=427)
THOUSAND_P_CENTRE = LineSpec("Other", "1", OP, "2025-01", chips=2000, low=1000, high=3333)

# The cluster's projects (its parts), on a 4 x 2 grid a few km north-east of the county
# seat. Which projects exist, their sizes, statuses and dates are illustrative, except
# the operating centres' dates.
YIWU_PARTS: tuple[tuple[str, str, tuple[LineSpec, ...]], ...] = (
    ("a", "phase I (first computing centre)", (FIRST_CENTRE, _h("H100", 800, "2", AP, "2026-12"))),
    (
        "b",
        "phase II (buildings 1-2)",
        (
            THOUSAND_P_CENTRE,
            _h("H200", 1000, "2", UC, "2025-12"),
            _h("H100", 700, "3", AP, "2027-06"),
        ),
    ),
    ("c", "project C", (_h("H100", 600, "1", UC, "2026-03"), _h("H200", 900, "2", AP, "2026-12"))),
    ("d", "project D", (_h("H100", 600, "1", TD, "2026-06"), _h("H200", 800, "2", AP, "2027-06"))),
    ("e", "project E", (_h("H200", 1300, "1", AP, "2026-12"),)),
    ("f", "project F", (_h("H100", 500, "1", AP, "2026-12"), _h("H200", 600, "2", AP, ""))),
    ("g", "project G", (_h("H200", 800, "1", AP, "2027-06"),)),
    ("h", "project H", (_h("H100", 650, "1", AP, "2027-12"),)),
)
# The campus record: the complex as a whole, about 70% of the planned compute. Its
# H100/H200 figures are the complex's share of the reported total (model split and
# range illustrative), more than its projects itemise here, so the unallocated
# remainder counts at the campus point; undated, as no date is reported for the whole.
CAMPUS_LINES = (
    replace(FIRST_CENTRE, phase="128P centre"),
    replace(THOUSAND_P_CENTRE, phase="1,000P centre"),
    LineSpec("H100", "complex plan", AP, "", chips=33600, low=32800, high=38400),
    LineSpec("H200", "complex plan", AP, "", chips=48640, low=47200, high=56000),
)


def _site(
    sid: str,
    town: str,
    province: str,
    prefecture: str,
    name: str,
    lines: tuple[LineSpec, ...],
    *,
    with_power: bool = True,
) -> SiteSpec:
    return SiteSpec(sid, name, province, prefecture, town, lines, with_power)


OTHER_SITES: tuple[SiteSpec, ...] = (
    _site(
        "xj-hami-1",
        "Hami",
        XJ,
        "Hami",
        "Hami east computing centre",
        (_h("H100", 120, "1", TD, "2026-03"), _h("H200", 100, "2", AP, "2027")),
    ),
    _site(
        "xj-hami-2",
        "Hami",
        XJ,
        "Hami",
        "Hami industrial park data centre",
        (_h("H100", 150, "1", AP, "2026-09"),),
    ),
    _site(
        "xj-hami-3",
        "Hami",
        XJ,
        "Hami",
        "Hami south solar-powered data centre",
        (_h("H200", 50, "1", AP, "2026-12"),),
        with_power=False,
    ),
    _site(
        "xj-urumqi-1",
        "Urumqi",
        XJ,
        "Urumqi",
        "Urumqi high-tech zone AI centre",
        (_h("H100", 140, "1", UC, "2025-12"), _h("H200", 150, "2", AP, "2026-12")),
    ),
    _site(
        "xj-urumqi-2",
        "Urumqi",
        XJ,
        "Urumqi",
        "Urumqi north computing hub",
        (_h("H200", 150, "1", AP, "2026-06"),),
    ),
    _site(
        "xj-urumqi-3",
        "Urumqi",
        XJ,
        "Urumqi",
        "Urumqi airport-area data centre",
        (_h("H100", 100, "1", AP, "2026-12"),),
        with_power=False,
    ),
    _site(
        "xj-changji-1",
        "Changji",
        XJ,
        "Changji",
        "Changji computing park",
        (_h("H100", 100, "1", AP, "2026-06"), _h("H200", 120, "2", AP, "")),
    ),
    _site(
        "xj-changji-2",
        "Changji",
        XJ,
        "Changji",
        "Changji west data centre",
        (_h("H100", 100, "1", AP, "2026-12"),),
    ),
    _site(
        "xj-karamay-1",
        "Karamay",
        XJ,
        "Karamay",
        "Karamay cloud computing centre",
        (_h("H100", 120, "1", UC, "2026-06"), _h("H200", 120, "2", AP, "2027-06")),
    ),
    _site(
        "xj-karamay-2",
        "Karamay",
        XJ,
        "Karamay",
        "Karamay oilfield-area data centre",
        (_h("H200", 130, "1", AP, "2026-12"),),
        with_power=False,
    ),
    _site(
        "xj-kashgar-1",
        "Kashgar",
        XJ,
        "Kashgar",
        "Kashgar economic zone data centre",
        (_h("H100", 100, "1", AP, "2027-06"),),
    ),
    _site(
        "xj-korla-1",
        "Korla",
        XJ,
        "Bayingolin",
        "Korla computing centre",
        (_h("H100", 90, "1", AP, "2026-09"), _h("H200", 80, "2", AP, "2027-12")),
    ),
    _site(
        "xj-korla-2",
        "Korla",
        XJ,
        "Bayingolin",
        "Korla south data centre",
        (_h("H200", 80, "1", AP, "2027"),),
    ),
    _site(
        "xj-turpan-1",
        "Turpan",
        XJ,
        "Turpan",
        "Turpan desert data centre",
        (_h("H100", 120, "1", AP, "2026-12"),),
    ),
    _site(
        "xj-turpan-2",
        "Turpan",
        XJ,
        "Turpan",
        "Turpan east computing hall",
        (_h("H200", 40, "1", AP, ""),),
        with_power=False,
    ),
    _site(
        "xj-shihezi-1",
        "Shihezi",
        XJ,
        "Shihezi",
        "Shihezi computing centre",
        (_h("H100", 60, "1", AP, "2026-06"), _h("H200", 80, "2", AP, "2027-06")),
    ),
    _site(
        "xj-wujiaqu-1",
        "Wujiaqu",
        XJ,
        "Wujiaqu",
        "Wujiaqu data centre",
        (_h("H100", 70, "1", AP, "2026-12"),),
    ),
    _site(
        "xj-aksu-1", "Aksu", XJ, "Aksu", "Aksu computing centre", (_h("H200", 90, "1", AP, "2027"),)
    ),
    _site(
        "xj-yining-1",
        "Yining",
        XJ,
        "Ili",
        "Yining data centre",
        (_h("H100", 50, "1", AP, "2026-12"),),
    ),
    _site(
        "xj-hotan-1",
        "Hotan",
        XJ,
        "Hotan",
        "Hotan data centre",
        (_h("H100", 40, "1", AP, ""),),
        with_power=False,
    ),
    _site(
        "qh-xining-1",
        "Xining",
        QH,
        "Xining",
        "Xining big-data park AI centre",
        (_h("H100", 120, "1", AP, "2026-06"), _h("H200", 100, "2", AP, "2027-06")),
    ),
    _site(
        "qh-xining-2",
        "Xining",
        QH,
        "Xining",
        "Xining south computing centre",
        (_h("H200", 150, "1", AP, "2026-12"),),
    ),
    _site(
        "qh-xining-3",
        "Xining",
        QH,
        "Xining",
        "Xining east data centre",
        (_h("H100", 100, "1", AP, "2027-06"),),
        with_power=False,
    ),
    _site(
        "qh-haidong-1",
        "Haidong",
        QH,
        "Haidong",
        "Haidong computing centre",
        (_h("H100", 60, "1", AP, "2026-09"), _h("H200", 80, "2", AP, "")),
    ),
    _site(
        "qh-haidong-2",
        "Haidong",
        QH,
        "Haidong",
        "Haidong industrial data centre",
        (_h("H200", 60, "1", AP, "2027"),),
    ),
    _site(
        "qh-golmud-1",
        "Golmud",
        QH,
        "Haixi",
        "Golmud solar computing centre",
        (_h("H100", 90, "1", AP, "2026-12"), _h("H200", 80, "2", AP, "2027-12")),
    ),
    _site(
        "qh-golmud-2",
        "Golmud",
        QH,
        "Haixi",
        "Golmud east data centre",
        (_h("H100", 100, "1", AP, "2027-06"),),
    ),
    _site(
        "qh-delingha-1",
        "Delingha",
        QH,
        "Haixi",
        "Delingha green computing centre",
        (_h("H200", 130, "1", AP, "2026-12"),),
    ),
    _site(
        "qh-delingha-2",
        "Delingha",
        QH,
        "Haixi",
        "Delingha west data centre",
        (_h("H100", 50, "1", AP, ""),),
        with_power=False,
    ),
    _site(
        "qh-gonghe-1",
        "Gonghe",
        QH,
        "Hainan (Qinghai)",
        "Gonghe solar-park data centre",
        (_h("H200", 110, "1", AP, "2027-06"),),
    ),
)

# Nyocor: the reported figures at the inferred place. Phase one's online date (end of
# 2025) is an assumption: tenders showed servers being installed by mid-2025.
NYOCOR = SiteSpec(
    NYOCOR_ID,
    "Nyocor-controlled data centre (625 H100 servers), likely the Changji intelligent"
    " computing centre",
    XJ,
    "Changji",
    "Changji",
    (_h("H100", 250, "1", UC, "2025"), _h("H100", 375, "2", AP, "")),
    with_power=False,
    lonlat=(87.30, 44.01),
    extra={"supersedes": NYOCOR_2024_ID},
)
# The earlier record the Bloomberg-based one supersedes: Nyocor's own announcement,
# sized in PFLOPS only (no chip model or count, so no hardware line), at the city centre.
NYOCOR_2024 = SiteSpec(
    NYOCOR_2024_ID,
    "Changji intelligent computing centre (Nyocor announcement of 2024-10-08)",
    XJ,
    "Changji",
    "Changji",
    (),
    with_power=False,
    lonlat=T["Changji"],
)


def _yiwu_specs() -> list[SiteSpec]:
    lon0, lat0 = T["Yiwu"]
    specs = []
    for i, (letter, label, lines) in enumerate(YIWU_PARTS):
        row, col = divmod(i, 4)
        specs.append(
            SiteSpec(
                id=f"{YIWU_PREFIX}{letter}",
                name=f"Yiwu Advanced Computing Cluster, {label}",
                province=XJ,
                prefecture="Hami",
                town="Yiwu",
                lines=lines,
                # Projects with an operating centre of unknown chips get no power figure.
                with_power=all(ln.model in WATTS_PER_CHIP for ln in lines),
                # a 4 x 2 grid ~1.6 km apart, starting ~3 km north-east of the county seat
                lonlat=(round(lon0 + 0.03 + 0.02 * col, 4), round(lat0 + 0.025 + 0.015 * row, 4)),
                extra={"part_of": CAMPUS_ID},
            )
        )
    specs.append(
        SiteSpec(
            id=CAMPUS_ID,
            name="Yiwu (County) Advanced Computing Cluster",
            province=XJ,
            prefecture="Hami",
            town="Yiwu",
            lines=CAMPUS_LINES,
            with_power=False,
            # the middle of the projects' grid
            lonlat=(round(lon0 + 0.06, 4), round(lat0 + 0.0325, 4)),
        )
    )
    return specs


def _all_specs() -> list[SiteSpec]:
    return [*_yiwu_specs(), *OTHER_SITES, NYOCOR, NYOCOR_2024]


# --------------------------------------------------------------------------- building


def _load_provinces() -> dict[str, shapely.Geometry]:
    data = json.loads(PROVINCES_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["name"]: shape(f["geometry"]) for f in data["features"]}


def _place(spec: SiteSpec, province: shapely.Geometry) -> tuple[float, float]:
    """Offset a town-anchored site by a few km so sites in one town do not overlap."""
    if spec.lonlat is not None:
        lon, lat = spec.lonlat
    else:
        # Seeded by the id, so adding or removing a site moves no other site.
        rng = random.Random(f"{SEED}:{spec.id}")
        town_lon, town_lat = T[spec.town]
        lon = round(town_lon + rng.uniform(-0.08, 0.08), 4)
        lat = round(town_lat + rng.uniform(-0.06, 0.06), 4)
    if not province.contains(Point(lon, lat)):
        raise SystemExit(f"{spec.id} at ({lon}, {lat}) is outside {spec.province}")
    return lon, lat


def _site_status(lines: tuple[LineSpec, ...]) -> str:
    statuses = {ln.status for ln in lines}
    if OP in statuses:
        return "operational"
    if statuses & {UC, TD}:
        return "under construction"
    return "planned"


def _made_up(spec: SiteSpec) -> str:
    if spec.id == CAMPUS_ID:
        return (
            "Made up for the demo: the cluster's coordinates (placed a few km north-east of"
            " the county seat), the H100/H200 split of its share and its range, and the chip"
            " counts of its operating centres (derived from their 'P' figures by an assumed"
            " 0.3-1.0 PFLOPS per chip). Reported: the cluster, its local-government backing,"
            " about 70% of the planned compute, the operating centres and their dates."
        )
    if spec.id.startswith(YIWU_PREFIX):
        made_up = (
            "Made up for the demo: the split of the reported cluster into projects, and this"
            " project's name, coordinates, chip counts, model mix, line statuses, online"
            " dates, ranges and power."
        )
        if spec.lines and spec.lines[0].model == "Other":
            made_up += (
                " Reported: the operating centre's size in 'P' and its date (see the notice);"
                " its chip count is derived by an assumed 0.3-1.0 PFLOPS per chip, and its"
                " place in this project is assumed."
            )
        return made_up
    return (
        "Made up for the demo: this site's name, operator, location, chip counts, model mix,"
        " line statuses, online dates, ranges and power."
    )


def _sources(spec: SiteSpec) -> list[dict[str, str]]:
    if spec.id == NYOCOR_ID:
        return [
            _source(
                BLOOMBERG,
                "Paraphrased: a company ultimately controlled by Nyocor proposes a data centre"
                " powered by 625 H100 servers, 250 in the first phase (2,000 chips); tender"
                " documents show servers being installed (the tenders do not say they hold"
                " Nvidia chips); China Bester Group asked to supply hardware; compute sold to"
                " Infinigence AI. No location given.",
            ),
            _source(
                RCR,
                "Paraphrased: the only company the report names is Nyocor; 39 projects were"
                " approved in Q4 2024 and at least seven were under construction or had"
                " tenders by June 2025.",
            ),
            _source(
                NYOCOR_ANNOUNCEMENT,
                "Paraphrased: Nyocor plans a compute centre in Changji City, Xinjiang: 5,000"
                " PFLOPS in total, approved in phases, 2,000 PFLOPS in the first batch. Used"
                " only to infer this site's location (see notes).",
            ),
            _illustrative(
                "Assumed for the demo: phase one comes online by the end of 2025 (online"
                " '2025'); phase two has no date. Everything else on this record is reported"
                " or inferred as the notes say."
            ),
        ]
    if spec.id == NYOCOR_2024_ID:
        return [
            _source(
                NYOCOR_ANNOUNCEMENT,
                "Paraphrased: project of the National Supercomputing Center in Guangzhou's"
                " Xinjiang branch, in Changji City: 5,000 PFLOPS in total, approved in phases;"
                " first batch 2,000 PFLOPS, about CNY 451 million, built in about two months,"
                " six years of operation.",
            )
        ]
    out = [_illustrative(_made_up(spec))]
    if spec.id == CAMPUS_ID:
        out += [
            _source(
                DCD,
                "Paraphrased: about 70% of the GPU capacity of the 39 planned data centres is"
                " to be concentrated in a single state-owned data centre (complex) in Yiwu"
                " County.",
            ),
            _source(
                BLOOMBERG,
                "Paraphrased: the Yiwu Advanced Computing Cluster, on the edge of the Gobi,"
                " holds the lion's share of the planned chips; local authorities offer free"
                " electricity quotas and subsidies.",
            ),
        ]
    else:
        out.append(_source(BLOOMBERG, AGGREGATE_QUOTE))
    if spec.id in (CAMPUS_ID, f"{YIWU_PREFIX}a", f"{YIWU_PREFIX}b"):
        out += [
            _source(
                HAMI_NOTICE,
                "Paraphrased: Yiwu County is Hami's core computing area; a 128P computing"
                " centre went into operation in April 2024 and a 1,000P-class centre was"
                " switched on in January 2025.",
            ),
            _source(
                YIWU_NOTICE,
                "Paraphrased: phase II of the Yiwu County Advanced Computing Cluster is fully"
                " built; buildings 1 and 2 are topped out and being fitted out.",
            ),
        ]
    return out


def _notes(spec: SiteSpec) -> str:
    if spec.id == NYOCOR_ID:
        return (
            "REPORTED figures: 625 H100 servers (8 GPUs each, 5,000 chips), 250 (2,000 chips)"
            " in phase one, where tenders show servers being installed; compute sold to"
            " Infinigence AI. INFERRED location (low confidence): Changji City, where Nyocor"
            " announced on 2024-10-08 a compute centre of 5,000 PFLOPS with 2,000 PFLOPS in"
            " the first batch: the same 625:250 ratio, and 2,000 H100 at 989 dense BF16"
            " TFLOPS each give about 2,000 PFLOPS. Bloomberg gives no location. This record"
            f" supersedes {NYOCOR_2024_ID} (the announcement). ASSUMED: phase one online by"
            " end 2025. Power not reported."
        )
    if spec.id == NYOCOR_2024_ID:
        return (
            "REPORTED announcement, kept for history: Nyocor's Changji intelligent computing"
            " centre, 5,000 PFLOPS in total, 2,000 PFLOPS in the first batch; no chip model or"
            " count was given, so it has no hardware lines. Superseded by"
            f" {NYOCOR_ID}, the Bloomberg-reported 625 H100 servers, taken to be the same"
            " centre (an inference). Located at the Changji City centre (GeoNames)."
        )
    if spec.id == CAMPUS_ID:
        return (
            "The reported complex as a whole (a campus): its projects name it in part_of, so"
            " campus and projects count once, per chip model the larger of the two. Its"
            " H100/H200 figure is about 70% of the planned total (the split between H100 and"
            " H200 is illustrative); its projects here itemise less, so the unallocated"
            " remainder counts at this point in the planned build-out. Its operating centres"
            " (128P since April 2024, 1,000P-class since January 2025) name no chips: they are"
            " chips of unknown model ('Other'), counts derived from their 'P' figures."
            " Coordinates illustrative."
        )
    if spec.id.startswith(YIWU_PREFIX):
        notes = (
            f"ILLUSTRATIVE project of the reported Yiwu (County) Advanced Computing Cluster"
            f" (part_of '{CAMPUS_ID}'). Split, coordinates, figures, statuses and dates are"
            " made up"
        )
        if spec.lines and spec.lines[0].model == "Other":
            notes += (
                ", except the operating centre's date and 'P' size (reported; chip model not"
                " reported, so 'Other')"
            )
        return notes + "."
    return (
        f"ILLUSTRATIVE site near {spec.town}: not a reported project. It stands in for one of"
        " the 39 reported data centres approved in Q4 2024; name, operator, place, figures,"
        " statuses and dates are made up."
    )


def _operator(spec: SiteSpec) -> str:
    # Latin script in the fields the window shows; the Chinese names stay in the source
    # titles, where an analyst needs them to find the documents.
    if spec.id == NYOCOR_ID:
        return "Nyocor (Jinkai Xinneng), through a company it controls"
    if spec.id == NYOCOR_2024_ID:
        return "Nyocor (Jinkai Xinneng)"
    if spec.id == CAMPUS_ID:
        return "Local-government-backed complex (Yiwu County, Hami)"
    if spec.id.startswith(YIWU_PREFIX):
        return "Cluster tenant (illustrative)"
    return "Illustrative operator (not reported)"


def _properties(spec: SiteSpec) -> dict[str, Any]:
    illustrative = spec.id not in (NYOCOR_ID, NYOCOR_2024_ID)
    hardware = [ln.as_dict(illustrative_range=illustrative) for ln in spec.lines]
    power = None
    if spec.with_power:
        watts = sum(h["chips"] * WATTS_PER_CHIP[h["chip_model"]] for h in hardware)
        power = round(watts * FACILITY_FACTOR / 1e6, 1)
    notes = _notes(spec)
    if power is not None:
        notes += f" Power = chips x 700 W x {FACILITY_FACTOR} (illustrative)."
    confidence = "illustrative" if illustrative else "low"
    if spec.id == NYOCOR_2024_ID:
        confidence = "medium"  # a company's own announcement, at city level
    return {
        "id": spec.id,
        "name": spec.name,
        "operator": _operator(spec),
        "tenant": "Infinigence AI" if spec.id == NYOCOR_ID else "",
        "province": spec.province,
        "prefecture": spec.prefecture,
        "status": _site_status(spec.lines) if spec.lines else "planned",
        "hardware": hardware,
        "power_mw": power,
        "confidence": confidence,
        "sources": _sources(spec),
        "notes": notes,
        "updated_at": UPDATED_AT,
        **spec.extra,
    }


def _app_totals(sites: list[Site], catalogue: ChipCatalogue) -> tuple[Any, Any, int]:
    """The app's own undated totals of everything and of the campus with its parts, and
    the low end of the planned H100/H200 chips."""
    arrays = SiteArrays.from_sites(sites, catalogue)
    mask = np.array([s.id == CAMPUS_ID or s.part_of == CAMPUS_ID for s in sites])
    # The undated total uses today's export rules; a fixed day keeps the file identical
    # on every rebuild (the chips and H100e do not depend on it).
    day = date.fromisoformat(AS_OF)
    everything = masked_totals(arrays, None, "all", catalogue=catalogue, today=day)
    yiwu = masked_totals(arrays, mask, "yiwu", catalogue=catalogue, today=day)
    assert arrays.chips_low is not None and arrays.counted is not None
    cols = [arrays.models.index(m) for m in WATTS_PER_CHIP]
    hopper_low = int(arrays.chips_low[arrays.counted][:, cols].sum())
    return everything, yiwu, hopper_low


def build() -> dict[str, Any]:
    provinces = _load_provinces()
    catalogue = ChipCatalogue.bundled()
    sites: list[Site] = []
    for spec in sorted(_all_specs(), key=lambda s: s.id):
        lon, lat = _place(spec, provinces[spec.province])
        # The app's validation door: a value it would refuse fails the build here.
        sites.append(parse_site(_properties(spec), lon, lat, where=spec.id, catalogue=catalogue))

    ids = [s.id for s in sites]
    assert len(set(ids)) == len(ids), "duplicate site ids"
    projects = [s for s in sites if s.id not in (CAMPUS_ID, NYOCOR_2024_ID)]
    everything, yiwu, hopper_low = _app_totals(sites, catalogue)
    planned = everything.by_model_dict()
    hopper = planned.get("H100", 0) + planned.get("H200", 0)
    share = yiwu.h100e / everything.h100e
    seven = [
        s.id
        for s in projects
        if s.province == XJ
        and any(h.chip_model in WATTS_PER_CHIP and h.status in (TD, UC) for h in s.hardware)
    ]
    # The reported facts are hard constraints on the scenario.
    assert len(projects) == 39, len(projects)
    assert hopper > 115_000, hopper
    assert hopper_low > 115_000, hopper_low  # even the low end: "more than 115,000"
    assert 0.69 <= share <= 0.71, share
    assert len(seven) >= 7, seven
    assert set(planned) <= {"H100", "H200", "Other"}, planned
    metadata: dict[str, Any] = {
        "title": "Planned AI data centres in Xinjiang and Qinghai -- illustrative demo scenario",
        "scenario": "illustrative",
        "description": (
            "An ILLUSTRATIVE scenario built on a few reported facts. Reported (Bloomberg"
            " News, 2025-07-08, and local government notices): 39 data centres approved in"
            " Q4 2024 in Xinjiang and Qinghai plan more than 115,000 Nvidia H100/H200 chips;"
            " about 70% of the planned compute is in the Yiwu (County) Advanced Computing"
            " Cluster near Yiwu (Hami, Xinjiang), part of which has operated since April"
            " 2024; Nyocor plans 625 H100 servers, 250 (2,000 chips) in phase one, for rent"
            " to Infinigence AI. Inferred: Nyocor's site is in Changji City. Made up: the"
            " cluster's split into projects, and every other site's name, operator,"
            " location, chip counts, model mix, statuses, online dates, ranges and power."
            " Sites with confidence 'illustrative' are not reported projects."
        ),
        "as_of": AS_OF,
        "reported_facts": REPORTED_FACTS,
        "inferred": INFERRED,
        "generated_by": "scripts/build_demo_sites.py",
        "complex_id_prefix": YIWU_PREFIX,
        "campus_id": CAMPUS_ID,
        "totals": {
            "records": len(sites),
            "projects": len(projects),
            "h100_h200_chips": hopper,
            "h100_h200_chips_low": hopper_low,
            "unknown_model_chips": everything.unknown_model_chips,
            "yiwu_campus_h100e": round(yiwu.h100e, 1),
            "yiwu_campus_share_of_h100e": round(share, 4),
            "xinjiang_projects_tendered_or_under_construction": len(seven),
        },
        "provenance": "explorer/geodata/PROVENANCE.md",
    }
    # What `explorer validate` would warn about: nothing (chips = servers x GPUs, power
    # near its estimate, parts within their campus, no updated_at after as_of).
    warnings = consistency_problems(sites, metadata, catalogue)
    assert not warnings, [p.message for p in warnings]
    return sites_to_geojson(sites, metadata)


def render(collection: dict[str, Any]) -> str:
    """The file's text: the same bytes for the same collection."""
    return json.dumps(collection, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    collection = build()
    OUT_FILE.write_text(render(collection), encoding="utf-8")
    t = collection["metadata"]["totals"]
    print(
        f"wrote {OUT_FILE.relative_to(REPO)}: {t['records']} records ({t['projects']} projects),"
        f" {t['h100_h200_chips']:,} H100/H200 planned (low {t['h100_h200_chips_low']:,}),"
        f" Yiwu campus {t['yiwu_campus_share_of_h100e']:.1%} of H100e"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
