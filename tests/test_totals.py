"""Region totals: counting, chip arithmetic, power factors, unions.

The catalogue is built by hand so every expected number below can be worked out on
paper from the figures in ``CAT``.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from explorer import GEODATA
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.regions import CircleRegion, PolygonRegion, rectangle
from explorer.geo.totals import PowerFactors, SiteArrays, Totals, totals, totals_many, union_totals
from tests.helpers import chip_model, totals_catalogue

CAT = totals_catalogue()


def _site(
    sid: str, lon: float, lat: float, *lines: tuple[str, int], power: float | None = None
) -> Site:
    return Site(
        sid, sid, lon, lat, hardware=tuple(HardwareLine(m, n) for m, n in lines), power_mw=power
    )


SITES = [
    # Two hardware lines of the same model plus one of another: still one site.
    _site("a", 1.0, 1.0, ("H100", 600), ("H100", 400), ("H20", 500), power=50.0),
    _site("b", 2.0, 2.0, ("Ascend 910C", 300)),
    _site("c", 10.0, 10.0, ("H100", 8), power=1.0),
    _site("d", 0.0, 1.5, ("H20", 100), power=5.0),  # exactly on the west edge of BOX
    _site("e", 2.5, 2.5),  # no hardware yet
]
BOX = rectangle("box", 0, 0, 3, 3)


def test_totals_arithmetic() -> None:
    t = totals(SITES, BOX, catalogue=CAT)
    assert t.region == "box"
    assert t.site_ids == ("a", "b", "d", "e")
    assert t.site_count == 4
    assert t.chips == 1000 + 500 + 300 + 100
    assert t.restricted_chips == 1000 + 600  # H100 and H20; the Ascend is not
    assert t.by_model == (("H100", 1000), ("H20", 600), ("Ascend 910C", 300))
    assert t.by_model_dict() == {"H100": 1000, "H20": 600, "Ascend 910C": 300}
    assert t.h100e == pytest.approx(1000 + 600 * 0.15 + 300 * 0.8)  # 1330
    board_w = 1000 * 700 + 600 * 400 + 300 * 600  # 1,120,000 W
    assert t.it_power_mw == pytest.approx(board_w * 1.8 / 1e6)  # 2.016 MW
    assert t.facility_power_mw == pytest.approx(board_w * 1.8 * 1.25 / 1e6)  # 2.52 MW
    assert t.reported_power_mw == pytest.approx(55.0)  # b and e report none
    assert t.factors == PowerFactors()


def test_overridden_power_factors() -> None:
    t = totals(SITES, BOX, catalogue=CAT, factors=PowerFactors(server_overhead=1.0, pue=1.5))
    assert t.it_power_mw == pytest.approx(1.12)
    assert t.facility_power_mw == pytest.approx(1.68)
    assert t.factors.pue == 1.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pue": 0.9}, "pue must be a finite number >= 1, got '0.9'"),
        (
            {"server_overhead": float("nan")},
            "server_overhead must be a finite number >= 1, got 'nan'",
        ),
        ({"pue": float("inf")}, "got 'inf'"),
        ({"pue": "1.5"}, "got '1.5'"),
        ({"pue": True}, "got 'True'"),
    ],
)
def test_power_factor_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PowerFactors(**kwargs)


def test_no_region_means_all_sites() -> None:
    t = totals(SITES, catalogue=CAT)
    assert t.region == "all" and t.site_count == 5 and t.chips == 1908
    assert totals(SITES, catalogue=CAT, name="everything").region == "everything"


def test_empty_region() -> None:
    t = totals(SITES, rectangle("far", 50, 50, 60, 60), catalogue=CAT)
    assert (t.site_count, t.chips, t.by_model, t.h100e, t.it_power_mw, t.reported_power_mw) == (
        0,
        0,
        (),
        0,
        0,
        0,
    )


def test_to_json_keys_and_rounding() -> None:
    cat = ChipCatalogue(
        [chip_model("H100", tflops=3, watts=700), chip_model("H20", tflops=1, watts=1)]
    )
    t = totals([_site("x", 0, 0, ("H20", 1))], catalogue=cat)
    j = t.to_json()
    assert list(j) == [
        "name",
        "site_count",
        "site_ids",
        "chips",
        "restricted_chips",
        "h100e",
        "it_power_mw",
        "facility_power_mw",
        "by_model",
        # Added with dated, ranged totals; every earlier key keeps its meaning.
        "as_of",
        "rules_as_of",
        "restricted_h100e",
        "unknown_model_chips",
        "range",
    ]
    assert j["h100e"] == 0.333  # 1/3 rounded
    assert j["by_model"] == {"H20": 1}
    assert j["site_ids"] == ["x"]
    assert j["it_power_mw"] == 0.0  # 1.8 W


def test_by_model_follows_catalogue_order() -> None:
    sites = [_site("x", 0, 0, ("Ascend 910C", 1), ("H100", 2))]
    assert totals(sites, catalogue=CAT).by_model == (("H100", 2), ("Ascend 910C", 1))


def test_union_counts_each_site_once_and_many_counts_in_each() -> None:
    left = rectangle("left", 0, 0, 1.5, 3)  # a, d
    right = rectangle("right", 0.5, 0, 3, 3)  # a, b, e
    u = union_totals(SITES, [left, right], catalogue=CAT)
    assert u.region == "union"
    assert u.site_ids == ("a", "b", "d", "e")
    assert u.chips == 1900  # a is in both, counted once
    each = totals_many(SITES, [left, right], catalogue=CAT)
    assert [t.region for t in each] == ["left", "right"]
    assert [t.site_ids for t in each] == [("a", "d"), ("a", "b", "e")]
    # Site a is in both regions, so its chips count in both.
    assert sum(t.chips for t in each) == 1000 + 500 + 100 + 1000 + 500 + 300


def test_union_of_nothing_is_empty() -> None:
    u = union_totals(SITES, [], name="none", catalogue=CAT)
    assert u.region == "none" and u.site_count == 0 and u.chips == 0


def test_circle_totals() -> None:
    # Site a is at (1, 1); d at (0, 1.5) is about 124 km from it; b at (2, 2) about 157 km.
    c = CircleRegion("ring", 1.0, 1.0, 130_000)
    assert totals(SITES, c, catalogue=CAT).site_ids == ("a", "d")


def test_site_arrays_from_sites_and_from_arrays_agree() -> None:
    a = SiteArrays.from_sites(SITES, CAT)
    assert a.models == CAT.names
    assert a.chips.tolist()[0] == [1000, 500, 0]
    assert np.isnan(a.reported_power_mw[1])
    b = SiteArrays.from_arrays(a.ids, a.lon, a.lat, a.chips, a.models, a.reported_power_mw)
    assert totals(a, BOX) == totals(b, BOX, catalogue=CAT)
    # A snapshot remembers its catalogue, so later queries need not repeat it.
    assert totals(a, BOX) == totals(SITES, BOX, catalogue=CAT)


def test_site_arrays_column_order_does_not_matter() -> None:
    arr = SiteArrays.from_arrays(["x"], [1.0], [1.0], [[2, 5]], ["Ascend 910C", "H100"])
    t = totals(arr, catalogue=CAT)
    assert t.by_model == (("H100", 5), ("Ascend 910C", 2))
    assert t.restricted_chips == 5


def test_site_arrays_are_read_only() -> None:
    a = SiteArrays.from_sites(SITES, CAT)
    with pytest.raises(ValueError):
        a.chips[0, 0] = 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((["x"], [0.0], [0.0], [[1, 2]], ["H100"]), r"chips must have shape \(1, 1\)"),
        ((["x"], [0.0, 1.0], [0.0], [[1]], ["H100"]), r"lon must have shape \(1,\)"),
        ((["x"], [0.0], [0.0], [[-1]], ["H100"]), "chips must be whole numbers >= 0, got '-1'"),
        ((["x"], [0.0], [0.0], [[12.5]], ["H100"]), "chips must be whole numbers"),
        ((["x"], [0.0], [0.0], [[1, 1]], ["H100", "H100"]), "models must be distinct"),
    ],
)
def test_site_arrays_validation(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SiteArrays.from_arrays(*args)


def test_empty_site_arrays() -> None:
    a = SiteArrays.from_arrays([], [], [], [], ["H100"])
    assert totals(a, BOX, catalogue=CAT).site_count == 0


def test_unknown_models_are_reported() -> None:
    with pytest.raises(ValueError, match="site 'z': unknown chip model 'B300'"):
        SiteArrays.from_sites([_site("z", 0, 0, ("B300", 1))], CAT)
    arr = SiteArrays.from_arrays(["x"], [0.0], [0.0], [[1]], ["B300"])
    with pytest.raises(ValueError, match="chip model 'B300' is not in the catalogue"):
        totals(arr, catalogue=CAT)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="region must be a Region, got dict"):
        totals(SITES, {"type": "Polygon"}, catalogue=CAT)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="factors must be a PowerFactors"):
        totals(SITES, BOX, catalogue=CAT, factors=(1.8, 1.25))  # type: ignore[arg-type]


def test_many_sites_match_a_brute_force_count() -> None:
    rng = np.random.default_rng(11)
    n = 200_000
    lon = rng.uniform(73, 103, n)
    lat = rng.uniform(32, 50, n)
    chips = rng.integers(0, 100, (n, 3))
    arr = SiteArrays.from_arrays(
        [f"s{i}" for i in range(n)], lon, lat, chips, CAT.names, catalogue=CAT
    )
    t = np.linspace(0, 2 * np.pi, 31)[:-1]
    poly = shapely.Polygon(np.column_stack([88 + 6 * np.cos(t), 41 + 4 * np.sin(t)]))
    region = PolygonRegion("p", poly)
    got = totals(arr, region)
    expected = shapely.intersects_xy(poly, lon, lat)
    assert got.site_count == int(expected.sum())
    assert got.chips == int(chips[expected].sum())
    assert got.by_model_dict() == {
        m: int(v) for m, v in zip(CAT.names, chips[expected].sum(axis=0), strict=True)
    }


def test_totals_is_a_frozen_value() -> None:
    t = totals(SITES, BOX, catalogue=CAT)
    assert isinstance(t, Totals)
    with pytest.raises(AttributeError):
        t.chips = 0  # type: ignore[misc]


@pytest.mark.skipif(
    not (GEODATA / "chips.csv").exists(), reason="explorer/geodata/chips.csv not built yet"
)
def test_with_the_bundled_catalogue() -> None:
    sites = [_site("n", 94.7, 43.3, ("H100", 2000)), _site("h", 94.8, 43.2, ("H200", 10))]
    t = totals(sites)
    assert t.restricted_chips == 2010
    assert t.by_model_dict() == {"H100": 2000, "H200": 10}
    assert t.h100e >= 2000  # H100 is the reference; an H200 is at least as fast


def test_site_ids_are_built_when_first_read_and_behave_as_a_tuple() -> None:
    """Totals keep the snapshot's rows and make the tuple of ids on first read (it cost
    more than the total at 10^6 sites); equality, hashing, repr, replace and pickling
    see the same tuple as before."""
    import dataclasses
    import pickle

    from explorer.geo.totals import SiteIdsAt

    cat = ChipCatalogue.bundled()
    sites = [
        Site(id=f"s{i}", name="x", lon=80.0 + i, lat=40.0, hardware=(HardwareLine("H100", 8),))
        for i in range(4)
    ]
    t = totals(sites, catalogue=cat)
    assert isinstance(t.__dict__["_site_ids"], SiteIdsAt)  # not built yet
    assert t.site_count == 4
    assert t.site_ids == ("s0", "s1", "s2", "s3")
    assert isinstance(t.__dict__["_site_ids"], tuple)  # built once, kept
    fresh = totals(sites, catalogue=cat)
    assert fresh == t and hash(fresh) == hash(t)
    assert "site_ids=('s0', 's1', 's2', 's3')" in repr(totals(sites, catalogue=cat))
    assert dataclasses.replace(totals(sites, catalogue=cat), region="r").site_ids == t.site_ids
    assert pickle.loads(pickle.dumps(totals(sites, catalogue=cat))).site_ids == t.site_ids
    assert dataclasses.asdict(totals(sites, catalogue=cat))["site_ids"] == t.site_ids
