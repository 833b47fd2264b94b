"""LiveTotals: per-region totals that follow site and region edits (and their undo).

Sites and catalogue are built by hand so each expected number can be worked out on
paper. Commands are applied with do/undo, exactly as the undo stack would.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import (
    AddRegions,
    AddSites,
    DeleteRegions,
    DeleteSites,
    EditRegion,
    EditSite,
)
from explorer.core.schema import HardwareLine, Site
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals, same_shape
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.regions import CircleRegion, rectangle
from explorer.geo.totals import PowerFactors, SiteArrays, totals, union_totals
from tests.helpers import chip_model, totals_catalogue

#: Figures chosen for easy arithmetic (H100e: H100 1, H20 0.15, Ascend 0.8).
CAT = totals_catalogue()


def _site(sid: str, lon: float, lat: float, *lines: tuple[str, int]) -> Site:
    return Site(sid, sid, lon, lat, hardware=tuple(HardwareLine(m, n) for m, n in lines))


def make_sites() -> list[Site]:
    return [
        _site("a", 90.5, 40.5, ("H100", 1000)),  # in WEST
        _site("b", 91.5, 40.5, ("H20", 200), ("Ascend 910C", 50)),  # in WEST and MID
        _site("c", 92.5, 40.5, ("H100", 10)),  # in MID only
        _site("d", 95.0, 40.5, ("Ascend 910C", 7)),  # in no region
        _site("e", 90.0, 40.0),  # WEST's south-west corner (boundary = inside), no chips
    ]


WEST = rectangle("West", 90, 40, 92, 41)
MID = rectangle("Mid", 91, 40, 93, 41)  # overlaps WEST over 91..92


@pytest.fixture
def sites() -> SiteStore:
    return SiteStore(make_sites(), catalogue=CAT)


@pytest.fixture
def regions() -> RegionStore:
    rs = RegionStore()
    rs.insert([RegionEntry("r1", WEST), RegionEntry("r2", MID)])
    return rs


@pytest.fixture
def live(sites: SiteStore, regions: RegionStore) -> LiveTotals:
    return LiveTotals(sites, regions, CAT)


@pytest.fixture
def events(live: LiveTotals) -> list[list[str]]:
    seen: list[list[str]] = []
    live.updated.connect(seen.append)
    return seen


def reference(sites: SiteStore, regions: RegionStore, rid: str) -> object:
    """What a from-scratch snapshot says: the answer LiveTotals must always match."""
    return totals(SiteArrays.from_sites(sites.sites(), CAT), regions.get(rid).region)


def assert_current(live: LiveTotals, sites: SiteStore, regions: RegionStore) -> None:
    for rid in regions.ids():
        assert live.totals(rid) == reference(sites, regions, rid), rid


def with_chips(site: Site, model: str, chips: int) -> Site:
    return replace(site, hardware=(HardwareLine(model, chips),))


# ---------------------------------------------------------------------------- the numbers
def test_initial_totals_worked_by_hand(live: LiveTotals) -> None:
    w = live.totals("r1")
    assert w.region == "West"
    assert w.site_ids == ("a", "b", "e")  # e on the corner counts (covers)
    assert w.chips == 1000 + 200 + 50
    assert w.restricted_chips == 1200
    assert w.by_model == (("H100", 1000), ("H20", 200), ("Ascend 910C", 50))
    assert w.h100e == pytest.approx(1000 + 200 * 0.15 + 50 * 0.8)
    # IT = (1000*700 + 200*400 + 50*600) W * 1.8 = 810,000 * 1.8 W
    assert w.it_power_mw == pytest.approx(0.81 * 1.8)
    assert w.facility_power_mw == pytest.approx(0.81 * 1.8 * 1.25)
    assert live.site_ids("r2") == ("b", "c")
    assert live.totals("r2").chips == 260


def test_overlapping_regions_count_a_site_in_both_union_counts_it_once(
    live: LiveTotals,
) -> None:
    both = live.totals("r1").chips + live.totals("r2").chips
    assert both == 1250 + 260  # b's 250 chips are in each
    u = live.union(["r1", "r2"])
    assert u.site_ids == ("a", "b", "c", "e")
    assert u.site_count == 4
    assert u.chips == 1000 + 250 + 10
    assert u.region == "union"
    assert live.union([]).site_count == 0
    assert live.union(["r2", "r2"]).chips == 260


# ---------------------------------------------------------------------------- site edits
def test_chip_change_inside_updates_and_undo_restores(
    live: LiveTotals, sites: SiteStore, regions: RegionStore, events: list[list[str]]
) -> None:
    before = live.totals("r2")
    cmd = EditSite(sites, sites.get("c"), with_chips(sites.get("c"), "H100", 500))
    cmd.do()
    assert events == [["r2"]]  # c is only in Mid
    assert live.totals("r2").chips == 250 + 500
    assert live.totals("r2").by_model_dict()["H100"] == 500
    assert_current(live, sites, regions)
    cmd.undo()
    assert events == [["r2"], ["r2"]]
    assert live.totals("r2") == before


def test_chip_change_in_overlap_updates_both(
    live: LiveTotals, sites: SiteStore, events: list[list[str]]
) -> None:
    EditSite(sites, sites.get("b"), with_chips(sites.get("b"), "H20", 1)).do()
    assert events == [["r1", "r2"]]
    assert live.totals("r1").chips == 1001
    assert live.totals("r2").chips == 11


def test_edits_that_change_no_total_fire_nothing(
    live: LiveTotals, sites: SiteStore, events: list[list[str]]
) -> None:
    EditSite(sites, sites.get("d"), with_chips(sites.get("d"), "H100", 99)).do()  # outside
    EditSite(
        sites, sites.get("a"), replace(sites.get("a"), name="Renamed", status="operational")
    ).do()
    EditSite(sites, sites.get("a"), replace(sites.get("a"), lon=90.6)).do()  # moves within West
    assert events == []


def test_move_across_a_boundary_and_undo(
    live: LiveTotals, sites: SiteStore, regions: RegionStore, events: list[list[str]]
) -> None:
    a0 = sites.get("a")
    west0, mid0 = live.totals("r1"), live.totals("r2")
    cmd = EditSite(sites, a0, replace(a0, lon=92.5))  # West only -> Mid only
    cmd.do()
    assert events == [["r1", "r2"]]
    assert live.site_ids("r1") == ("b", "e")
    assert live.site_ids("r2") == ("a", "b", "c")
    assert live.totals("r1").chips == west0.chips - 1000
    assert live.totals("r2").chips == mid0.chips + 1000
    assert_current(live, sites, regions)
    cmd.undo()
    assert events[-1] == ["r1", "r2"]
    assert (live.totals("r1"), live.totals("r2")) == (west0, mid0)


def test_move_onto_the_boundary_counts_as_inside(
    live: LiveTotals, sites: SiteStore, events: list[list[str]]
) -> None:
    d0 = sites.get("d")
    EditSite(sites, d0, replace(d0, lon=93.0, lat=41.0)).do()  # Mid's north-east corner
    assert events == [["r2"]]
    assert "d" in live.site_ids("r2")


def test_add_and_delete_sites_with_undo_keep_store_order(
    live: LiveTotals, sites: SiteStore, regions: RegionStore, events: list[list[str]]
) -> None:
    w0 = live.totals("r1")
    delete = DeleteSites(sites, ["b", "e"])
    delete.do()
    assert events == [["r1", "r2"]]
    assert live.site_ids("r1") == ("a",)
    delete.undo()  # back at their old positions
    assert live.site_ids("r1") == ("a", "b", "e")
    assert live.totals("r1") == w0
    add = AddSites(sites, [_site("f", 90.2, 40.2, ("H100", 3))])
    add.do()
    assert live.site_ids("r1") == ("a", "b", "e", "f")
    assert events[-1] == ["r1"]
    assert_current(live, sites, regions)
    add.undo()
    assert live.totals("r1") == w0


def test_site_reset_recomputes(live: LiveTotals, sites: SiteStore, events: list[list[str]]) -> None:
    sites.reset([_site("z", 92.5, 40.5, ("H100", 5))])
    assert events == [["r1", "r2"]]
    assert live.totals("r1").site_count == 0
    assert live.totals("r2").site_ids == ("z",)
    sites.reset([_site("z", 92.5, 40.5, ("H100", 5))])  # same values: nothing to report
    assert len(events) == 1


# ---------------------------------------------------------------------------- region edits
def test_region_add_edit_rename_delete_and_undo(
    live: LiveTotals, sites: SiteStore, regions: RegionStore, events: list[list[str]]
) -> None:
    circle = RegionEntry("r3", CircleRegion("Ring", 95.0, 40.5, 10_000))
    add = AddRegions(regions, [circle])
    add.do()
    assert events == [["r3"]]
    assert live.site_ids("r3") == ("d",)

    bigger = replace(circle, region=CircleRegion("Ring", 95.0, 40.5, 250_000))
    edit = EditRegion(regions, circle, bigger)
    edit.do()
    assert events[-1] == ["r3"]
    assert live.site_ids("r3") == ("c", "d")  # c is 2.5 deg of lon (~212 km) west, b ~296 km
    edit.undo()
    assert live.site_ids("r3") == ("d",)

    rename = EditRegion(regions, regions.get("r1"), regions.get("r1").renamed("Hami"))
    n = len(events)
    rename.do()
    assert events[n:] == [["r1"]]
    assert live.totals("r1").region == "Hami"
    assert live.site_ids("r1") == ("a", "b", "e")

    delete = DeleteRegions(regions, ["r1", "r3"])
    delete.do()
    with pytest.raises(KeyError):
        live.totals("r1")
    assert live.union(["r2"]).chips == 260
    delete.undo()
    assert live.totals("r1").region == "Hami"
    assert_current(live, sites, regions)


def test_shape_edit_that_keeps_members_and_numbers_fires_nothing(
    live: LiveTotals, regions: RegionStore, events: list[list[str]]
) -> None:
    old = regions.get("r2")
    EditRegion(regions, old, replace(old, region=rectangle("Mid", 91, 40, 93.5, 41))).do()
    assert events == []


def test_region_reset(live: LiveTotals, regions: RegionStore, events: list[list[str]]) -> None:
    regions.reset([RegionEntry("r9", rectangle("All", 80, 30, 100, 50))])
    assert events == [["r9"]]
    assert live.totals("r9").site_count == 5


def test_reads_are_current_even_from_an_earlier_subscriber(
    sites: SiteStore, regions: RegionStore
) -> None:
    seen = []
    # Subscribed before LiveTotals exists, so it runs before LiveTotals' own handler.
    regions.changed.connect(lambda old, new: seen.append(live.site_ids(new.id)))
    live = LiveTotals(sites, regions, CAT)
    events: list[list[str]] = []
    live.updated.connect(events.append)
    old = regions.get("r2")
    EditRegion(regions, old, replace(old, region=rectangle("Mid", 92, 40, 93, 41))).do()
    assert seen == [("c",)]
    assert events == [["r2"]]  # still reported once


def test_set_factors_and_detach(
    live: LiveTotals, sites: SiteStore, events: list[list[str]]
) -> None:
    it = live.totals("r1").it_power_mw
    live.set_factors(PowerFactors(server_overhead=1.8, pue=1.5))
    assert events == [["r1", "r2"]]
    assert live.totals("r1").facility_power_mw == pytest.approx(it * 1.5)
    live.set_factors(PowerFactors(server_overhead=1.8, pue=1.5))
    assert len(events) == 1
    live.detach()
    EditSite(sites, sites.get("a"), with_chips(sites.get("a"), "H100", 1)).do()
    assert len(events) == 1


def test_same_shape() -> None:
    assert same_shape(WEST, replace(WEST, name="Other"))
    assert not same_shape(WEST, MID)
    c = CircleRegion("c", 1, 2, 3)
    assert same_shape(c, CircleRegion("d", 1, 2, 3))
    assert not same_shape(c, CircleRegion("c", 1, 2, 4))
    assert not same_shape(c, WEST)


def test_unknown_model_in_catalogue_is_an_error(regions: RegionStore) -> None:
    small = ChipCatalogue([chip_model("H100", tflops=1000, watts=700)])
    with pytest.raises(ValueError, match="unknown chip model 'H20'"):
        LiveTotals(SiteStore(make_sites(), catalogue=CAT), regions, small)


@pytest.mark.parametrize("incremental", [True, False])
def test_random_edit_sequence_matches_a_fresh_snapshot(incremental: bool) -> None:
    """Any mix of edits, inserts, deletes and undos leaves the cache exact."""
    rng = random.Random(7)
    sites = SiteStore(
        [
            _site(
                f"s{i}", rng.uniform(89, 94), rng.uniform(39.5, 41.5), ("H100", rng.randint(0, 99))
            )
            for i in range(60)
        ],
        catalogue=CAT,
    )
    regions = RegionStore()
    regions.insert(
        [
            RegionEntry("r1", WEST),
            RegionEntry("r2", MID),
            RegionEntry("r3", CircleRegion("C", 91.5, 40.5, 60_000)),
        ]
    )
    live = LiveTotals(sites, regions, CAT, incremental=incremental)
    done = []
    for step in range(150):
        op = rng.random()
        ids = sites.ids()
        if op < 0.45 and ids:
            s = sites.get(rng.choice(ids))
            new = replace(s, lon=rng.uniform(89, 94), lat=rng.uniform(39.5, 41.5))
            if rng.random() < 0.5:
                new = with_chips(new, rng.choice(CAT.names), rng.randint(0, 500))
            cmd: object = EditSite(sites, s, new)
        elif op < 0.6:
            cmd = AddSites(sites, [_site(f"n{step}", rng.uniform(89, 94), 40.5, ("H20", 3))])
        elif op < 0.75 and len(ids) > 2:
            cmd = DeleteSites(sites, rng.sample(ids, 2))
        elif done:
            done.pop().undo()
            assert_current(live, sites, regions)
            continue
        else:
            continue
        cmd.do()  # type: ignore[attr-defined]
        done.append(cmd)
        assert_current(live, sites, regions)
    union = live.union(regions.ids())
    assert union == union_totals(SiteArrays.from_sites(sites.sites(), CAT), regions.regions())
    everything = [s for s in sites if any(r.region.contains_point(s.lon, s.lat) for r in regions)]
    assert union.site_ids == tuple(s.id for s in everything)


def test_power_edits_inserts_and_dates_after_totals_were_read_stay_exact(
    live: LiveTotals, sites: SiteStore, regions: RegionStore
) -> None:
    # The cache totals from views of its own buffers: in-place patches must show
    # through them, and buffers replaced by inserts, removals or a new date must not
    # leave a stale view behind.
    assert_current(live, sites, regions)
    sites.replace(replace(sites.get("a"), power_mw=12.5))
    assert live.totals("r1").reported_power_mw == 12.5
    assert_current(live, sites, regions)
    AddSites(sites, [_site("f", 91.2, 40.2, ("H100", 5))]).do()
    assert_current(live, sites, regions)
    sites.replace(replace(sites.get("f"), power_mw=1.5))
    assert live.totals("r1").reported_power_mw == 14.0
    DeleteSites(sites, ["a"]).do()
    assert_current(live, sites, regions)
    live.set_as_of(date(2030, 1, 1))
    sites.replace(with_chips(sites.get("b"), "H100", 9))
    fresh = totals(
        SiteArrays.from_sites(sites.sites(), CAT, as_of=date(2030, 1, 1)), regions.get("r1").region
    )
    assert live.totals("r1") == fresh


def test_counted_chips_of_every_site_is_what_each_site_counts_summed(
    sites: SiteStore, regions: RegionStore
) -> None:
    """The footer's count: every site at once (summed per site, then the counted ones)
    equals asking for every id, and what the ledger says each site counts, added up."""
    sites.reset(
        [
            *make_sites(),
            replace(_site("p", 90.6, 40.6, ("H100", 300)), part_of="a"),  # a part of a
            replace(_site("s", 91.0, 40.2, ("H20", 40)), supersedes="c"),  # c counts 0
            Site(
                "r",
                "r",
                92.0,
                40.0,
                hardware=(
                    HardwareLine("H100", 100, chips_low=80, chips_high=130),
                    HardwareLine("H20", 9, status="cancelled"),
                ),
            ),
        ]
    )
    live = LiveTotals(sites, regions, CAT)
    ids = sites.ids()
    rows = live.ledger.at(None, order=ids)
    expected = tuple(int(rows[k].sum()) for k in range(3))
    assert live.counted_chips() == live.counted_chips(ids) == expected
    # a (1000, of which its part p holds 300) + b (200 + 50) + c (superseded: 0) + d (7)
    # + s (40) + r (80 / 100 / 130; its cancelled line 0).
    plain = 1000 + 250 + 7 + 40
    assert expected == (plain + 80, plain + 100, plain + 130)
