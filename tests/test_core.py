"""Core model: validation messages, the evented store, undoable commands, no Qt."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import AddSites, DeleteSites, EditSite
from explorer.core.errors import Problem, ValidationError
from explorer.core.schema import (
    HardwareLine,
    Site,
    Source,
    check_site,
    duplicate_id_problems,
    parse_site,
    validate_site,
)
from explorer.core.store import SiteStore
from tests.helpers import chip_model


@pytest.fixture
def catalogue() -> ChipCatalogue:
    """A tiny hand-built catalogue, handed to every parse, check and store below
    (nothing depends on ``explorer/geodata/chips.csv``)."""
    cat = ChipCatalogue(
        [
            chip_model("H100", tflops=1000.0, watts=700.0),
            chip_model("Ascend 910C", restricted=False, tflops=800.0, watts=350.0),
        ]
    )
    return cat


def _props(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": "dc-1",
        "name": "Yiwu block A",
        "status": "planned",
        "confidence": "illustrative",
        "hardware": [{"chip_model": "H100", "chips": 2000, "servers": 250, "gpus_per_server": 8}],
    }
    props.update(overrides)
    return props


def _problems(props: dict[str, Any], lon: Any = 94.7, lat: Any = 43.3, **kw: Any) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        parse_site(props, lon, lat, **kw)
    return info.value.problems


def _site(sid: str, chips: int = 8, **kw: Any) -> Site:
    return Site(sid, f"Site {sid}", 94.0, 43.0, hardware=(HardwareLine("H100", chips),), **kw)


# --------------------------------------------------------------------------- validation


def test_parse_valid_site(catalogue: ChipCatalogue) -> None:
    site = parse_site(_props(power_mw="12.5"), "94.7", "43.3", catalogue=catalogue)
    assert site.id == "dc-1"
    assert (site.lon, site.lat) == (94.7, 43.3)
    assert site.chips == 2000
    assert site.hardware[0] == HardwareLine("H100", 2000, 250, 8, "")
    assert site.power_mw == 12.5


@pytest.mark.parametrize(
    ("chips", "message"),
    [
        (-5, "chips must be a whole number >= 0, got '-5'"),
        ("12.5", "chips must be a whole number >= 0, got '12.5'"),
        (12.5, "chips must be a whole number >= 0, got '12.5'"),
        ("many", "chips must be a whole number >= 0, got 'many'"),
        (True, "chips must be a whole number >= 0, got True"),
    ],
)
def test_bad_chip_count_is_quoted(catalogue: ChipCatalogue, chips: Any, message: str) -> None:
    [p] = _problems(_props(hardware=[{"chip_model": "H100", "chips": chips}]), catalogue=catalogue)
    assert p.field == "hardware[0].chips"
    assert p.message == message
    assert p.value == chips


@pytest.mark.parametrize(
    ("lon", "lat", "field", "quoted"),
    [
        (94.7, 95, "lat", "'95'"),
        (94.7, -90.5, "lat", "'-90.5'"),
        (200, 43.0, "lon", "'200'"),
        (-180.01, 43.0, "lon", "'-180.01'"),
        ("east", 43.0, "lon", "'east'"),
    ],
)
def test_coordinates_out_of_range(
    catalogue: ChipCatalogue, lon: Any, lat: Any, field: str, quoted: str
) -> None:
    [p] = _problems(_props(), lon, lat, catalogue=catalogue)
    assert p.field == field
    assert quoted in p.message


def test_coordinates_on_the_limits_are_valid(catalogue: ChipCatalogue) -> None:
    assert parse_site(_props(), -180, 90, catalogue=catalogue).lat == 90


def test_unknown_chip_model_names_model_and_known_ones(catalogue: ChipCatalogue) -> None:
    [p] = _problems(_props(hardware=[{"chip_model": "H999", "chips": 1}]), catalogue=catalogue)
    assert p.field == "hardware[0].chip_model"
    assert "'H999'" in p.message
    assert "H100" in p.message and "Ascend 910C" in p.message


@pytest.mark.parametrize("name", ["", "   ", None])
def test_empty_name(catalogue: ChipCatalogue, name: Any) -> None:
    [p] = _problems(_props(name=name), catalogue=catalogue)
    assert p.field == "name"
    assert p.message == "name must not be empty"


@pytest.mark.parametrize("sid", ["", "has space", "-leading-dash", "x" * 65])
def test_bad_id_is_quoted(catalogue: ChipCatalogue, sid: str) -> None:
    [p] = _problems(_props(id=sid), catalogue=catalogue)
    assert p.field == "id"
    assert f"'{sid}'" in p.message


@pytest.mark.parametrize(
    ("override", "field", "quoted"),
    [
        ({"status": "dreaming"}, "status", "'dreaming'"),
        ({"confidence": "sure"}, "confidence", "'sure'"),
        ({"power_mw": -1}, "power_mw", "'-1'"),
        ({"sources": [{"title": "T", "url": "ftp://x"}]}, "sources[0].url", "'ftp://x'"),
        ({"sources": [{"title": "T", "date": "May 2025"}]}, "sources[0].date", "'May 2025'"),
        ({"chips": 7}, "chips", "'7'"),
    ],
)
def test_other_field_errors_quote_the_value(
    catalogue: ChipCatalogue, override: dict[str, Any], field: str, quoted: str
) -> None:
    [p] = _problems(_props(**override), catalogue=catalogue)
    assert p.field == field
    assert quoted in p.message


def test_every_problem_is_collected_and_labelled(catalogue: ChipCatalogue) -> None:
    props = _props(
        name="",
        hardware=[{"chip_model": "H100", "chips": "12.5"}, {"chip_model": "X", "chips": -1}],
    )
    problems = _problems(props, 500, 43.0, where="feature 3", catalogue=catalogue)
    assert [p.field for p in problems] == [
        "name",
        "lon",
        "hardware[0].chips",
        "hardware[1].chip_model",
        "hardware[1].chips",
    ]
    assert all(p.where == "feature 3" for p in problems)
    assert (
        str(problems[2])
        == "feature 3: hardware[0].chips: chips must be a whole number >= 0, got '12.5'"
    )


def test_validation_error_message_joins_all_problems(catalogue: ChipCatalogue) -> None:
    with pytest.raises(ValidationError) as info:
        parse_site(_props(name=""), 500, 0, catalogue=catalogue)
    assert len(info.value.problems) == 2
    assert "name must not be empty" in str(info.value) and "'500'" in str(info.value)


def test_duplicate_ids(catalogue: ChipCatalogue) -> None:
    sites = [_site("a"), _site("b"), _site("a")]
    [p] = duplicate_id_problems(sites)
    assert p.field == "id" and p.message == "duplicate id 'a'"
    with pytest.raises(ValidationError, match="duplicate id 'a'"):
        SiteStore(sites, catalogue=catalogue)


def test_check_site_of_edited_value(catalogue: ChipCatalogue) -> None:
    good = _site("a")
    assert check_site(good, catalogue) is good
    bad = good.with_changes(lat=123.0)
    assert [p.field for p in validate_site(bad, catalogue)] == ["lat"]
    with pytest.raises(ValidationError, match="'123.0'"):
        check_site(bad, catalogue)


def test_with_changes_stamps_updated_at(catalogue: ChipCatalogue) -> None:
    new = _site("a").with_changes(name="Renamed")
    assert new.name == "Renamed"
    assert new.updated_at.endswith("Z")


def test_site_to_dict_has_flat_chips_and_nested_lists(catalogue: ChipCatalogue) -> None:
    site = Site(
        "a",
        "A",
        1.0,
        2.0,
        hardware=(HardwareLine("H100", 8), HardwareLine("Ascend 910C", 4, phase="2")),
        sources=(Source("Report", "https://example.org"),),
    )
    d = site.to_dict()
    assert d["chips"] == 12
    assert d["hardware"][1] == {
        "chip_model": "Ascend 910C",
        "chips": 4,
        "servers": None,
        "gpus_per_server": None,
        "phase": "2",
    }
    assert d["sources"] == [
        {"title": "Report", "url": "https://example.org", "date": "", "quote": ""}
    ]
    assert site.chips_by_model() == {"H100": 8, "Ascend 910C": 4}


def test_site_to_dict_is_every_field_in_order() -> None:
    """Every field of the site, in the dataclass's order, with its lines and sources as
    plain dicts (independent answer: dataclasses.asdict, which to_dict no longer uses)."""
    from dataclasses import asdict

    line = HardwareLine(
        "H100",
        80,
        10,
        8,
        phase="1",
        status="installed",
        online="2025-06",
        chips_low=64,
        chips_high=96,
    )
    site = Site(
        "a",
        "A",
        1.0,
        2.0,
        operator="Op",
        tenant="T",
        province="Xinjiang",
        prefecture="Hami",
        status="operational",
        hardware=(line, HardwareLine("H20", 4)),
        power_mw=12.5,
        confidence="high",
        sources=(Source("R", "https://example.org", "2025"),),
        notes="n",
        updated_at="2025-01-01T00:00:00Z",
        part_of="c",
        supersedes="b",
    )
    expected = asdict(site)
    defaults = ("status", "online", "chips_low", "chips_high")  # left out at their defaults
    expected["hardware"] = [
        expected["hardware"][0],
        {k: v for k, v in expected["hardware"][1].items() if k not in defaults},
    ]
    expected["sources"] = list(expected["sources"])
    expected["chips"] = 84
    d = site.to_dict()
    assert d == expected and list(d) == list(expected)
    assert list(d["hardware"][0]) == list(asdict(line))


# --------------------------------------------------------------------------- store


class _Recorder:
    def __init__(self, store: SiteStore) -> None:
        self.events: list[tuple[str, Any]] = []
        store.inserted.connect(
            lambda sites: self.events.append(("inserted", [s.id for s in sites]))
        )
        store.removed.connect(lambda sites: self.events.append(("removed", [s.id for s in sites])))
        store.changed.connect(
            lambda old, new: self.events.append(("changed", (old.name, new.name)))
        )
        store.reset_done.connect(lambda: self.events.append(("reset", None)))


def test_store_rejects_invalid_and_duplicate_inserts(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site("a")], catalogue=catalogue)
    rec = _Recorder(store)
    with pytest.raises(ValidationError, match="duplicate id 'a'"):
        store.insert([_site("a")])
    with pytest.raises(ValidationError, match="'-1'"):
        store.insert([Site("b", "B", 0, 0, hardware=(HardwareLine("H100", -1),))])
    assert store.ids() == ["a"]
    assert rec.events == []


def test_store_replace_emits_only_on_real_change(catalogue: ChipCatalogue) -> None:
    a = _site("a")
    store = SiteStore([a], catalogue=catalogue)
    rec = _Recorder(store)
    assert store.replace(a) is False
    assert store.replace(replace(a, name="New")) is True
    assert rec.events == [("changed", ("Site a", "New"))]


def test_store_new_id_and_reset(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site("site-1"), _site("site-3")], catalogue=catalogue)
    assert store.new_id() == "site-2"
    assert store.new_id("Yiwu block!") == "Yiwu-block-1"
    rec = _Recorder(store)
    store.reset([_site("x")], {"title": "T"})
    assert store.ids() == ["x"] and store.metadata == {"title": "T"}
    assert rec.events == [("reset", None)]


# --------------------------------------------------------------------------- commands


def test_add_sites_do_undo_redo(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site("a")], catalogue=catalogue)
    rec = _Recorder(store)
    cmd = AddSites(store, [_site("b"), _site("c")])
    cmd.do()
    assert store.ids() == ["a", "b", "c"]
    cmd.undo()
    assert store.ids() == ["a"]
    cmd.do()
    assert store.ids() == ["a", "b", "c"]
    assert [e[0] for e in rec.events] == ["inserted", "removed", "inserted"]


def test_add_sites_refuses_invalid_site_before_anything_changes(catalogue: ChipCatalogue) -> None:
    store = SiteStore(catalogue=catalogue)
    with pytest.raises(ValidationError, match="unknown chip model 'B200'"):
        AddSites(store, [Site("b", "B", 0, 0, hardware=(HardwareLine("B200", 1),))]).do()
    assert len(store) == 0


def test_delete_sites_undo_restores_order(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site(x) for x in "abcde"], catalogue=catalogue)
    cmd = DeleteSites(store, ["d", "a", "c"])
    cmd.do()
    assert store.ids() == ["b", "e"]
    cmd.undo()
    assert store.ids() == list("abcde")
    cmd.do()
    assert store.ids() == ["b", "e"]
    cmd.undo()
    assert store.ids() == list("abcde")


def test_delete_last_and_first(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site(x) for x in "abc"], catalogue=catalogue)
    cmd = DeleteSites(store, ["c", "a"])
    cmd.do()
    cmd.undo()
    assert store.ids() == ["a", "b", "c"]


def test_delete_unknown_id_raises_and_changes_nothing(catalogue: ChipCatalogue) -> None:
    store = SiteStore([_site("a")], catalogue=catalogue)
    with pytest.raises(KeyError, match="'zz'"):
        DeleteSites(store, ["a", "zz"]).do()
    assert store.ids() == ["a"]


def test_edit_site_do_undo_redo(catalogue: ChipCatalogue) -> None:
    old = _site("a")
    store = SiteStore([old, _site("b")], catalogue=catalogue)
    rec = _Recorder(store)
    new = old.with_changes(name="Renamed", lon=95.5, hardware=(HardwareLine("Ascend 910C", 3),))
    cmd = EditSite(store, old, new)
    cmd.do()
    assert store.get("a") == new and store.ids() == ["a", "b"]
    cmd.undo()
    assert store.get("a") == old
    cmd.do()
    assert store.get("a") == new
    assert rec.events == [
        ("changed", ("Site a", "Renamed")),
        ("changed", ("Renamed", "Site a")),
        ("changed", ("Site a", "Renamed")),
    ]


def test_edit_site_refuses_id_change_and_invalid_values(catalogue: ChipCatalogue) -> None:
    old = _site("a")
    store = SiteStore([old], catalogue=catalogue)
    with pytest.raises(ValueError, match="id"):
        EditSite(store, old, replace(old, id="b"))
    with pytest.raises(ValidationError, match="'12.5'"):
        fractional = (HardwareLine("H100", 12.5),)  # type: ignore[arg-type]
        EditSite(store, old, old.with_changes(hardware=fractional)).do()
    assert store.get("a") == old


def test_every_site_attribute_but_id_and_stamp_is_editable() -> None:
    """A new Site field must be added to EDITABLE_FIELDS, or edits of it go undescribed."""
    from dataclasses import fields

    from explorer.core.schema import EDITABLE_FIELDS

    assert set(EDITABLE_FIELDS) == {f.name for f in fields(Site)} - {"id", "updated_at"}
    assert len(set(EDITABLE_FIELDS)) == len(EDITABLE_FIELDS)
