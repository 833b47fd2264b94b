"""Capacity over time, in ranges, counted once: hand-built cases whose answers are worked
out here, independently of the code (see explorer/geo/capacity.py for the rules)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import period_end
from explorer.core.errors import ValidationError
from explorer.core.rules import ExportRule, ExportRules
from explorer.core.schema import HardwareLine, Site, parse_site
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.regions import rectangle
from explorer.geo.totals import PowerFactors, SiteArrays, totals
from tests.helpers import chip_model

TODAY = date(2026, 12, 1)


def _cat(rules: ExportRules | None = None) -> ChipCatalogue:
    """H100 and H20 at easy figures (H20 = 0.5 H100e); Other without figures."""
    return ChipCatalogue(
        [
            chip_model("H100", tflops=1000.0, watts=500.0),
            chip_model("H20", tflops=500.0, watts=250.0),
            chip_model("Other", restricted=False, tflops=0.0, watts=0.0),
        ],
        rules,
    )


CAT = _cat()


def line(model: str, chips: int, **kw: Any) -> HardwareLine:
    return HardwareLine(model, chips, **kw)


def site(sid: str, lon: float, *lines: HardwareLine, **kw: Any) -> Site:
    return Site(sid, sid, lon, 40.0, hardware=tuple(lines), **kw)


def chips_at(sites: list[Site], when: date | None, region: Any = None) -> tuple[int, int, int]:
    t = totals(sites, region, as_of=when, catalogue=CAT, today=TODAY)
    return (t.chips_range[0], t.chips, t.chips_range[1])


# ---------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2025", date(2025, 12, 31)),
        ("2024-02", date(2024, 2, 29)),  # a leap year
        ("2025-02", date(2025, 2, 28)),
        ("2025-06-15", date(2025, 6, 15)),
    ],
)
def test_a_partial_date_means_the_end_of_its_period(text: str, end: date) -> None:
    assert period_end(text) == end


@pytest.mark.parametrize("bad", ["25", "2025-13", "2025-02-30", "June 2025", "2025/06"])
def test_bad_online_dates_are_refused(bad: str) -> None:
    props = {
        "id": "a",
        "name": "A",
        "hardware": [{"chip_model": "H100", "chips": 1, "online": bad}],
    }
    with pytest.raises(ValidationError, match="online"):
        parse_site(props, 90, 40, catalogue=CAT)


def test_lines_count_from_the_end_of_their_online_period() -> None:
    s = site(
        "a",
        90.5,
        line("H100", 100, online="2025"),  # counts from 2025-12-31
        line("H100", 10, online="2025-06"),  # from 2025-06-30
        line("H100", 1),  # no date: undated total only
    )
    assert chips_at([s], date(2025, 6, 29))[1] == 0
    assert chips_at([s], date(2025, 6, 30))[1] == 10
    assert chips_at([s], date(2025, 12, 30))[1] == 10
    assert chips_at([s], date(2025, 12, 31))[1] == 110
    assert chips_at([s], date(2040, 1, 1))[1] == 110  # the undated line never counts at a date
    assert chips_at([s], None)[1] == 111


def test_cancelled_lines_never_count() -> None:
    s = site(
        "a",
        90.5,
        line("H100", 100, online="2025", status="cancelled"),
        line("H100", 7, status="cancelled"),
        line("H100", 5, online="2025", status="operational"),
    )
    assert chips_at([s], None)[1] == 5
    assert chips_at([s], date(2026, 1, 1))[1] == 5


# ---------------------------------------------------------------------------- ranges
def test_ranges_sum_through_dates_and_cancellations() -> None:
    s = site(
        "a",
        90.5,
        line("H100", 100, chips_low=80, chips_high=150, online="2025"),
        line("H20", 40, chips_low=40, chips_high=60, online="2026"),
        line("H100", 1000, chips_low=1, chips_high=5000, status="cancelled"),
        line("H100", 3),  # no range: low = central = high
    )
    assert chips_at([s], None) == (80 + 40 + 3, 100 + 40 + 3, 150 + 60 + 3)
    assert chips_at([s], date(2025, 12, 31)) == (80, 100, 150)
    assert chips_at([s], date(2026, 12, 31)) == (120, 140, 210)
    t = totals([s], as_of=date(2026, 12, 31), catalogue=CAT, today=TODAY)
    assert t.h100e == 100 + 40 * 0.5
    assert t.h100e_range == (80 + 40 * 0.5, 150 + 60 * 0.5)
    # Facility power: chips x board W x server overhead x PUE, each at its own end.
    f = PowerFactors()
    assert t.facility_power_range == pytest.approx(
        (
            (80 * 500 + 40 * 250) * f.server_overhead_low * f.pue_low / 1e6,  # type: ignore[operator]
            (150 * 500 + 60 * 250) * f.server_overhead_high * f.pue_high / 1e6,  # type: ignore[operator]
        )
    )
    assert t.facility_power_mw == pytest.approx((100 * 500 + 40 * 250) * 1.8 * 1.25 / 1e6)


def test_a_range_must_hold_the_central_figure() -> None:
    props = {
        "id": "a",
        "name": "A",
        "hardware": [{"chip_model": "H100", "chips": 10, "chips_low": 11, "chips_high": 9}],
    }
    with pytest.raises(ValidationError) as info:
        parse_site(props, 90, 40, catalogue=CAT)
    assert {p.field for p in info.value.problems} == {
        "hardware[0].chips_low",
        "hardware[0].chips_high",
    }


# ---------------------------------------------------------------------------- campus rule
WEST = rectangle("West", 90, 39, 91, 41)  # holds the campus point (90.5) only
EAST = rectangle("East", 91, 39, 93, 41)  # holds both parts (91.5, 92.5)


def campus_case(part_a: int, part_b: int) -> list[Site]:
    """A campus recording 1,000 H100 and two parts recording ``part_a`` and ``part_b``."""
    return [
        site("campus", 90.5, line("H100", 1000)),
        site("p1", 91.5, line("H100", part_a), part_of="campus"),
        site("p2", 92.5, line("H100", part_b), part_of="campus"),
    ]


@pytest.mark.parametrize(
    ("part_a", "part_b", "total", "at_campus", "in_parts"),
    [
        (300, 200, 1000, 500, 500),  # parts below the campus: the remainder stays there
        (600, 400, 1000, 0, 1000),  # parts equal to it: nothing left at the campus point
        (900, 700, 1600, 0, 1600),  # parts above it: the parts count, the campus nothing
    ],
)
def test_campus_and_parts_count_the_larger_of_the_two(
    part_a: int, part_b: int, total: int, at_campus: int, in_parts: int
) -> None:
    sites = campus_case(part_a, part_b)
    assert chips_at(sites, None)[1] == total  # = max(1000, part_a + part_b)
    assert chips_at(sites, None, WEST)[1] == at_campus
    assert chips_at(sites, None, EAST)[1] == in_parts


def test_a_region_holding_the_campus_but_not_all_its_parts() -> None:
    sites = campus_case(300, 200)
    only_p1 = rectangle("p1 only", 91, 39, 92, 41)
    west_and_p1 = rectangle("campus and p1", 90, 39, 92, 41)
    assert chips_at(sites, None, only_p1)[1] == 300
    # The campus's remainder (1,000 - 300 - 200) counts at its point, p1 where it stands.
    assert chips_at(sites, None, west_and_p1)[1] == 500 + 300
    t = totals(sites, west_and_p1, catalogue=CAT, today=TODAY)
    assert t.site_ids == ("campus", "p1")


def test_the_campus_rule_applies_per_model_per_bound_and_at_every_date() -> None:
    sites = [
        site(
            "campus",
            90.5,
            line("H100", 1000, chips_low=800, chips_high=1200, online="2025"),
            line("H20", 50, online="2025"),
        ),
        # Part of H100 only; its second phase comes a year later.
        site(
            "p1",
            91.5,
            line("H100", 600, chips_low=600, chips_high=600, online="2025"),
            line("H100", 600, chips_low=500, chips_high=700, online="2026"),
            part_of="campus",
        ),
    ]
    t2025 = totals(sites, as_of=date(2025, 12, 31), catalogue=CAT, today=TODAY)
    # H100: max(campus 800/1000/1200, parts 600/600/600); H20 untouched by the part.
    assert (t2025.chips_range[0], t2025.chips, t2025.chips_range[1]) == (
        800 + 50,
        1000 + 50,
        1200 + 50,
    )
    assert t2025.by_model_dict() == {"H100": 1000, "H20": 50}
    t2026 = totals(sites, as_of=date(2026, 12, 31), catalogue=CAT, today=TODAY)
    # H100 parts now 1100/1200/1300 > campus: the parts' figures, bound by bound.
    assert (t2026.chips_range[0], t2026.chips, t2026.chips_range[1]) == (
        1100 + 50,
        1200 + 50,
        1300 + 50,
    )
    at_campus = totals(sites, WEST, as_of=date(2026, 12, 31), catalogue=CAT, today=TODAY)
    assert at_campus.by_model_dict() == {"H20": 50}  # no H100 remainder left in 2026


def test_a_part_cannot_itself_be_a_campus() -> None:
    sites = [
        site("a", 90.5, line("H100", 100)),
        site("b", 91.5, line("H100", 60), part_of="a"),
        site("c", 92.5, line("H100", 50), part_of="b"),  # two levels: ignored, c stands alone
    ]
    assert chips_at(sites, None)[1] == 100 + 50


# ---------------------------------------------------------------------------- supersession
def test_a_superseded_record_is_kept_but_never_counted() -> None:
    old = site("report-2024", 90.5, line("H100", 5000))
    new = site("report-2025", 90.6, line("H100", 2000), supersedes="report-2024")
    t = totals([old, new], catalogue=CAT, today=TODAY)
    assert t.chips == 2000 and t.site_ids == ("report-2025",) and t.site_count == 1
    arrays = SiteArrays.from_sites([old, new], CAT)
    assert arrays.ids.tolist() == ["report-2024", "report-2025"]  # kept for history


def test_a_superseded_part_leaves_its_campus_whole_and_a_superseded_campus_frees_its_parts() -> (
    None
):
    sites = campus_case(300, 200) + [
        site("p1-corrected", 91.6, line("H100", 100), supersedes="p1"),
    ]
    # p1 no longer counts as a part: campus remainder = 1000 - 200; p1-corrected stands alone.
    assert chips_at(sites, None)[1] == 800 + 200 + 100
    sites = campus_case(300, 200) + [
        site("campus-2025", 90.4, line("H100", 10), supersedes="campus")
    ]
    assert chips_at(sites, None)[1] == 300 + 200 + 10


# ---------------------------------------------------------------------------- export rules
def test_a_model_that_becomes_restricted_between_two_dates() -> None:
    rules = ExportRules(
        [
            ExportRule("H20", date(2020, 1, 1), "no licence required"),
            ExportRule("H20", date(2025, 4, 9), "licence required"),
            ExportRule("H20", date(2025, 8, 8), "licensed with conditions"),
            ExportRule("H100", date(2022, 8, 26), "licence required"),
        ]
    )
    cat = _cat(rules)
    sites = [site("a", 90.5, line("H20", 100, online="2024"), line("H100", 10, online="2024"))]
    before = totals(sites, as_of=date(2025, 4, 8), catalogue=cat)
    after = totals(sites, as_of=date(2025, 4, 9), catalogue=cat)
    later = totals(sites, as_of=date(2025, 9, 1), catalogue=cat)
    assert (before.chips, before.restricted_chips) == (110, 10)
    assert (after.chips, after.restricted_chips) == (110, 110)
    assert later.restricted_chips == 110  # licensed with conditions still needs a licence
    assert before.restricted_h100e == 10.0 and after.restricted_h100e == 10.0 + 50.0
    # Undated: every line, restricted by the rules of the given "today".
    assert totals(sites, catalogue=cat, today=date(2025, 1, 1)).restricted_chips == 10
    assert totals(sites, catalogue=cat, today=TODAY).restricted_chips == 110


def test_the_bundled_rules_cite_the_dates_of_effect() -> None:
    cat = ChipCatalogue.bundled()
    assert not cat.restricted_on("H20", date(2025, 4, 8))
    assert cat.restricted_on("H20", date(2025, 4, 9))
    assert not cat.restricted_on("H800", date(2023, 10, 22))
    assert cat.restricted_on("H800", date(2023, 10, 23))
    rule = cat.rules.rule_on("H200", date(2026, 1, 15))
    assert rule is not None and rule.status == "case-by-case review" and rule.source_url
    assert not cat.restricted_on("Ascend 910C", TODAY)


def test_chips_of_unknown_models_are_reported_not_zeroed() -> None:
    sites = [site("a", 90.5, line("Other", 1000), line("H100", 10))]
    t = totals(sites, catalogue=CAT, today=TODAY)
    assert (t.chips, t.unknown_model_chips, t.h100e) == (1010, 1000, 10.0)
    assert t.to_json()["unknown_model_chips"] == 1000


# ---------------------------------------------------------------------------- live totals
def test_live_totals_follow_the_date_and_match_a_fresh_snapshot() -> None:
    store = SiteStore(campus_case(300, 200), catalogue=CAT)
    store.replace(store.get("p2").with_changes(hardware=(line("H100", 200, online="2026"),)))
    regions = RegionStore()
    regions.insert([RegionEntry("w", WEST), RegionEntry("e", EAST)])
    live = LiveTotals(store, regions, CAT)
    seen: list[list[str]] = []
    live.updated.connect(seen.append)
    assert live.totals("w").chips == 500
    live.set_as_of(date(2025, 12, 31))  # campus and p1 undated: nothing counts at a date
    assert live.totals("w").chips == 0 and live.totals("e").chips == 0
    live.set_as_of(date(2026, 12, 31))
    assert live.totals("e").chips == 200
    # Every region reports on each date change: its totals now carry the new date.
    assert seen == [["w", "e"], ["w", "e"]]
    assert live.totals("w").as_of == date(2026, 12, 31)
    live.set_as_of(None)
    fresh = totals(store.sites(), WEST, catalogue=CAT, today=TODAY)
    assert live.totals("w").chips == fresh.chips == 500


@pytest.mark.parametrize("as_of", [None, date(2025, 12, 31)])
def test_random_edits_with_campuses_and_supersession_keep_live_totals_exact(
    as_of: date | None,
) -> None:
    rng = random.Random(11)
    years = ["", "2024", "2025-06", "2025", "2026-03-15"]

    def random_lines() -> tuple[HardwareLine, ...]:
        out = []
        for _ in range(rng.randint(0, 3)):
            mid = rng.randint(0, 500)
            out.append(
                line(
                    rng.choice(["H100", "H20"]),
                    mid,
                    chips_low=rng.randint(0, mid),
                    chips_high=mid + rng.randint(0, 200),
                    online=rng.choice(years),
                    status=rng.choice(["operational", "cancelled", "unknown", "announced"]),
                )
            )
        return tuple(out)

    sites = [site(f"s{i}", rng.uniform(89.5, 93.5), *random_lines()) for i in range(30)]
    store = SiteStore(sites, catalogue=CAT)
    regions = RegionStore()
    regions.insert([RegionEntry("w", WEST), RegionEntry("e", EAST)])
    live = LiveTotals(store, regions, CAT)
    live.set_as_of(as_of)
    for _ in range(150):
        ids = store.ids()
        s = store.get(rng.choice(ids))
        roll = rng.random()
        if roll < 0.25:
            new = s.with_changes(part_of=rng.choice(["", rng.choice(ids)]))
        elif roll < 0.4:
            new = s.with_changes(supersedes=rng.choice(["", rng.choice(ids)]))
        elif roll < 0.7:
            new = s.with_changes(hardware=random_lines())
        else:
            new = s.with_changes(lon=rng.uniform(89.5, 93.5))
        if new.part_of == new.id or new.supersedes == new.id:
            continue
        store.replace(new)
        if rng.random() < 0.1:
            gone = rng.choice(store.ids())
            removed = store.get(gone)
            store.remove([gone])
            store.insert([removed], [rng.randint(0, len(store))])
        for rid, region in (("w", WEST), ("e", EAST)):
            fresh = totals(store.sites(), region, as_of=as_of, catalogue=CAT)
            got = live.totals(rid)
            assert (got.site_ids, got.chips, got.chips_range, got.by_model) == (
                fresh.site_ids,
                fresh.chips,
                fresh.chips_range,
                fresh.by_model,
            )
