"""What the page is told about sites (explorer.web.site_columns): no Qt needed.

Every expected number is worked out by hand from the rules (campus remainder,
supersession, cancelled lines, online dates at period ends, export rules by date), not
read back from the code under test.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.rules import ExportRule, ExportRules
from explorer.core.schema import HardwareLine, Site
from explorer.io.site_columns import SiteColumns
from explorer.web import palette
from explorer.web.legend import LegendRow, site_legend
from explorer.web.payload import MANY_TEXTS, SLICE, to_json
from explorer.web.protocol import AGGREGATE_MIN_SITES
from explorer.web.site_columns import (
    SITE_FLAGS,
    SITE_STATES,
    RelationIndex,
    column_values,
    counted_columns,
    decode,
    encode,
    ledger_for,
    relation_neighbours,
    reset_payload,
    site_columns,
)
from tests.helpers import chip_model
from tests.web.conftest import hand_catalogue

JUNE_2025 = date(2025, 6, 30)
JUNE_2027 = date(2027, 6, 30)


def dated_catalogue() -> ChipCatalogue:
    """H100 restricted always; "H20" needs a licence from 2025-04-09 (as the real H20);
    Ascend 910B never."""
    rules = ExportRules(
        [
            ExportRule("H20", date(2023, 10, 23), "no licence required"),
            ExportRule("H20", date(2025, 4, 9), "licence required"),
        ]
    )
    return ChipCatalogue(
        [
            chip_model("H100"),
            chip_model("H20", restricted=True),
            chip_model("Ascend 910B", restricted=False),
        ],
        rules,
    )


def line(model: str, chips: int, **kw: Any) -> HardwareLine:
    return HardwareLine(model, chips, **kw)


def by_id(sites: list[Site], catalogue: ChipCatalogue, as_of: date | None) -> dict[str, Any]:
    """Each site's decoded columns from a reset built over ``sites``."""
    data = reset_payload(sites, catalogue, as_of=as_of, today=date(2026, 1, 1))
    values = column_values(data["sites"])
    return {sid: {k: v[i] for k, v in values.items()} for i, sid in enumerate(values["id"])}


# ---------------------------------------------------------------------- binary columns
@pytest.mark.parametrize(
    ("values", "dtype"),
    [([0.5, -180.0, 87.123456789], "f8"), ([0, 2_000_000_000, -5], "i4"), ([0, 65535], "u2")],
)
def test_binary_columns_round_trip(values: list[float], dtype: str) -> None:
    column = encode(values, dtype)
    assert column[0] == dtype
    assert decode(column).tolist() == values


def test_a_value_that_does_not_fit_is_refused_not_wrapped() -> None:
    with pytest.raises(ValueError, match="i4"):
        encode([3_000_000_000], "i4")


def test_columns_are_strict_json() -> None:
    sites = [Site(id="a", name="A", lon=87.0, lat=43.0, hardware=(line("H100", 8),))]
    text = to_json(reset_payload(sites, hand_catalogue()))
    assert "NaN" not in text


# ---------------------------------------------------------------------- counting
def test_json_written_in_slices_is_what_one_dumps_writes() -> None:
    # to_json writes object members and long lists a slice at a time (so the worker
    # that writes a million sites' reset lets the window have the interpreter between
    # slices); the text must be exactly one json.dumps's, and NaN still refused.
    n = 2 * SLICE + 7
    value = {
        "seq": 3,
        "data": {
            "sites": {"id": [f"s-{i}\u00e9" for i in range(n)], "lon": [i / 7 for i in range(n)]},
            "empty": [],
            "exact": list(range(SLICE)),
            "nested": [[1, 2], {"a": None, "b": True}],
            "tuple": (1, "x"),
        },
        "text": 'quote " backslash \\ newline \n',
    }
    assert to_json(value) == json.dumps(
        value, allow_nan=False, ensure_ascii=False, separators=(",", ":")
    )
    assert to_json({1: "int key"}) == '{"1":"int key"}'
    with pytest.raises(ValueError):
        to_json({"lon": [0.0] * n + [float("nan")]})
    # Long lists of text are written by msgspec: the same text for every kind of
    # character, a lone surrogate (which msgspec cannot write) and a mixed list too.
    odd = ['q"b\\', "\n\r\t\b\f\x00\x1f\x7f", "\u2028\u2029", "数据 é", "\U0001f600", ""]
    for texts in (
        odd * MANY_TEXTS,
        [*odd * MANY_TEXTS, "lone \ud800"],
        [*odd * MANY_TEXTS, 5],
        [f"s{i}" for i in range(SLICE + 3)],
    ):
        assert to_json({"t": texts}) == json.dumps(
            {"t": texts}, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )


def test_plain_sites_count_their_chips_restricted_by_the_catalogue() -> None:
    cat = hand_catalogue()
    sites = [
        Site(
            id="mixed",
            name="Mixed",
            lon=87.0,
            lat=43.0,
            hardware=(line("Ascend 910C", 900), line("H200", 100), line("H200", 50)),
            confidence="illustrative",
        ),
        Site(id="empty", name="Empty", lon=90.0, lat=40.0),
    ]
    got = by_id(sites, cat, None)
    models = list(cat.names)
    assert got["mixed"]["chips"] == 1050
    assert got["mixed"]["restricted"] == 150  # the H200s
    assert models[got["mixed"]["model"]] == "Ascend 910C"  # most chips
    assert SITE_STATES[got["mixed"]["state"]] == "counted"
    assert got["mixed"]["flags"] & SITE_FLAGS["ILLUSTRATIVE"]
    assert (got["empty"]["chips"], got["empty"]["model"]) == (0, -1)
    assert SITE_STATES[got["empty"]["state"]] == "none"
    assert not got["empty"]["flags"] & SITE_FLAGS["ILLUSTRATIVE"]


def test_lines_online_by_the_date_count_and_others_wait() -> None:
    cat = dated_catalogue()
    site = Site(
        id="phased",
        name="Phased",
        lon=87.0,
        lat=43.0,
        hardware=(
            line("H100", 2000, online="2025-06", status="operational"),  # ends 2025-06-30
            line("H100", 3000, online="2026"),  # counts from 2026-12-31
            line("H100", 500, status="cancelled", online="2024"),  # never
            line("H100", 700),  # no date: only in the planned build-out
        ),
    )
    later = Site(
        id="later", name="Later", lon=88.0, lat=44.0, hardware=(line("H100", 40, online="2026-01"),)
    )
    june25 = by_id([site, later], cat, JUNE_2025)
    assert june25["phased"]["chips"] == 2000
    assert june25["phased"]["planned"] == 2000 + 3000 + 700
    assert SITE_STATES[june25["later"]["state"]] == "pending"
    assert (june25["later"]["chips"], june25["later"]["planned"]) == (0, 40)
    day_before = by_id([site], cat, date(2025, 6, 29))
    assert day_before["phased"]["chips"] == 0  # "2025-06" means the end of June
    june27 = by_id([site, later], cat, JUNE_2027)
    assert june27["phased"]["chips"] == 5000
    assert SITE_STATES[june27["later"]["state"]] == "counted"
    undated = by_id([site], cat, None)
    assert undated["phased"]["chips"] == 5700  # every line but the cancelled one


def test_a_model_restricted_between_two_dates() -> None:
    cat = dated_catalogue()
    sites = [
        Site(
            id="h20",
            name="H20 site",
            lon=87.0,
            lat=43.0,
            hardware=(line("H20", 800, online="2024"),),
        )
    ]
    assert by_id(sites, cat, date(2025, 1, 1))["h20"]["restricted"] == 0
    assert by_id(sites, cat, JUNE_2025)["h20"]["restricted"] == 800
    data = reset_payload(sites, cat, as_of=date(2025, 1, 1))
    assert {m["name"]: m["restricted"] for m in data["models"]}["H20"] is False
    assert data["rules_day"] == "2025-01-01" and data["as_of_day"] == date(2025, 1, 1).toordinal()


def test_ranges_are_sent_only_when_some_site_has_one() -> None:
    cat = hand_catalogue()
    plain = [Site(id="a", name="A", lon=87.0, lat=43.0, hardware=(line("H100", 100),))]
    assert "low" not in reset_payload(plain, cat)["sites"]
    ranged = [
        *plain,
        Site(
            id="b",
            name="B",
            lon=87.0,
            lat=43.0,
            hardware=(line("H100", 100, chips_low=60, chips_high=180),),
        ),
    ]
    got = by_id(ranged, cat, None)
    assert (got["b"]["low"], got["b"]["chips"], got["b"]["high"]) == (60, 100, 180)
    assert (got["a"]["low"], got["a"]["high"]) == (100, 100)


def campus_sites(parts_chips: tuple[int, ...], campus_chips: int = 1000) -> list[Site]:
    campus = Site(
        id="campus", name="Campus", lon=94.7, lat=43.2, hardware=(line("H100", campus_chips),)
    )
    parts = [
        Site(
            id=f"p{k}",
            name=f"Part {k}",
            lon=94.7 + 0.01 * k,
            lat=43.2,
            hardware=(line("H100", c),),
            part_of="campus",
        )
        for k, c in enumerate(parts_chips)
    ]
    return [campus, *parts]


@pytest.mark.parametrize(
    ("parts", "remainder", "state"),
    [((300, 200), 500, "counted"), ((600, 400), 0, "covered"), ((900, 400), 0, "covered")],
)
def test_a_campus_counts_only_what_its_parts_do_not(
    parts: tuple[int, ...], remainder: int, state: str
) -> None:
    got = by_id(campus_sites(parts), hand_catalogue(), None)
    assert got["campus"]["chips"] == remainder
    assert SITE_STATES[got["campus"]["state"]] == state
    assert got["campus"]["flags"] & SITE_FLAGS["CAMPUS"]
    for k, c in enumerate(parts):
        assert got[f"p{k}"]["chips"] == c
        assert got[f"p{k}"]["flags"] & SITE_FLAGS["PART"]
        assert got[f"p{k}"]["part_of"] == "campus"


def test_a_superseded_record_never_counts() -> None:
    old = Site(id="old", name="Old report", lon=87.0, lat=43.0, hardware=(line("H100", 900),))
    new = Site(
        id="new",
        name="New report",
        lon=87.0,
        lat=43.0,
        hardware=(line("H100", 1200),),
        supersedes="old",
    )
    got = by_id([old, new], hand_catalogue(), None)
    assert SITE_STATES[got["old"]["state"]] == "superseded"
    assert (got["old"]["chips"], got["old"]["planned"], got["old"]["restricted"]) == (0, 0, 0)
    assert got["new"]["chips"] == 1200 and got["new"]["supersedes"] == "old"


def test_a_superseded_campus_leaves_its_parts_standing_alone() -> None:
    sites = [
        *campus_sites((300,)),
        Site(id="c2", name="Campus v2", lon=94.7, lat=43.2, supersedes="campus"),
    ]
    got = by_id(sites, hand_catalogue(), None)
    assert SITE_STATES[got["campus"]["state"]] == "superseded"
    assert not got["p0"]["flags"] & SITE_FLAGS["PART"]
    assert got["p0"]["part_of"] == ""


def campus_and_h20(**h20: Any) -> list[Site]:
    """A campus with two parts, and a site of an H20 and an H100 line (``h20``: changes
    to it)."""
    other = Site(
        id="h20",
        name="H20",
        lon=88.0,
        lat=44.0,
        hardware=(line("H20", 80, online="2025-01"), line("H100", 8, online="2027")),
    )
    return [*campus_sites((300, 200)), other.with_changes(**h20)]


def test_counted_columns_match_a_full_reset_on_the_same_date() -> None:
    cat = dated_catalogue()
    sites = campus_and_h20()
    ledger = ledger_for(sites, cat)
    counted = column_values(counted_columns(sites, ledger, cat, JUNE_2025))
    full = column_values(site_columns(sites, ledger, cat, JUNE_2025))
    for key in ("id", "chips", "low", "high", "restricted", "model", "state"):
        assert counted[key] == full[key], key
    # Read from a table of the sites (a store's rows as loaded), through a ledger of
    # those columns, and counted by id alone: the same columns.
    table = SiteColumns.from_sites(sites)
    from_table = site_columns(table, table.ledger(ledger.models), cat, JUNE_2025)
    assert from_table == site_columns(sites, ledger, cat, JUNE_2025)
    by_id = column_values(counted_columns([s.id for s in sites], ledger, cat, JUNE_2025))
    assert by_id == counted


def _online_texts(columns: dict[str, Any]) -> list[str]:
    lines = columns["lines"]
    return [lines["online_texts"][k] for k in decode(lines["online"]).tolist()]


@pytest.mark.parametrize("kind", ["string", "dictionary"])
def test_a_table_read_through_arrow_gives_the_same_columns(kind: str) -> None:
    # A large file read through Arrow keeps its text as Arrow columns: the map's
    # columns code a line's model, status and date and a site's confidence from them.
    import dataclasses

    import pyarrow as pa

    from explorer.io.site_columns import LINE_TEXT, Columns

    cat = dated_catalogue()
    sites = campus_and_h20(
        confidence="illustrative",
        hardware=(
            line("H20", 80, online="2025-01", status="cancelled"),
            line("H100", 8, online="2027", status="odd status"),
        ),
    )
    table = SiteColumns.from_sites(sites)

    def arrow(values: Any) -> Any:
        column = pa.array([v or None for v in values], type=pa.string())
        return column if kind == "string" else column.dictionary_encode()

    as_arrow = dataclasses.replace(
        table,
        lines=Columns(
            {k: arrow(table.lines[k]) if k in LINE_TEXT else table.lines[k] for k in table.lines}
        ),
        text=Columns({k: arrow(table.text[k]) for k in table.text}),
    )
    expected = site_columns(table, table.ledger(("H100", "H20")), cat, JUNE_2025)
    got = site_columns(as_arrow, as_arrow.ledger(("H100", "H20")), cat, JUNE_2025)
    assert _online_texts(got) == _online_texts(expected)
    for columns in (got, expected):
        del columns["lines"]["online"], columns["lines"]["online_texts"]
        del columns["lines"]["online_days"]
    assert got == expected
    flags = decode(expected["flags"])
    assert flags[-1] & SITE_FLAGS["ILLUSTRATIVE"] and not flags[0] & SITE_FLAGS["ILLUSTRATIVE"]


def test_line_ranges_travel_for_the_lines_that_have_one() -> None:
    site = Site(
        id="a",
        name="A",
        lon=87.0,
        lat=43.0,
        hardware=(line("H100", 100), line("H100", 300, chips_low=200, chips_high=70_000)),
    )
    lines = reset_payload([site], hand_catalogue())["sites"]["lines"]
    assert decode(lines["ranged"]).tolist() == [1]
    assert (decode(lines["low"]).tolist(), decode(lines["high"]).tolist()) == ([200], [70_000])
    assert lines["high"][0] == "i4" and lines["low"][0] == "u1"  # the narrowest that holds
    assert (
        "ranged"
        not in reset_payload([site.with_changes(hardware=(line("H100", 5),))], hand_catalogue())[
            "sites"
        ]["lines"]
    )


def test_lines_travel_flat_with_their_dates() -> None:
    site = Site(
        id="a",
        name="A",
        lon=87.0,
        lat=43.0,
        hardware=(line("H100", 2000, online="2025-06", status="operational"), line("H20", 80)),
    )
    cat = dated_catalogue()
    lines = reset_payload([site], cat)["sites"]["lines"]
    assert decode(lines["count"]).tolist() == [2]
    assert [list(cat.names)[m] for m in decode(lines["model"]).tolist()] == ["H100", "H20"]
    texts = [lines["online_texts"][k] for k in decode(lines["online"]).tolist()]
    assert texts == ["2025-06", ""]
    days = dict(zip(lines["online_texts"], lines["online_days"], strict=True))
    assert days["2025-06"] == date(2025, 6, 30).toordinal() and days[""] is None


def test_the_live_snapshot_gives_the_ledgers_counts() -> None:
    from explorer.session.session import Session

    cat = dated_catalogue()
    session = Session(cat, admin_areas=None)
    session.sites.reset(
        [
            *campus_sites((300, 200)),
            Site(id="x", name="X", lon=80.0, lat=40.0, hardware=(line("H20", 64, online="2024"),)),
        ]
    )
    session.set_as_of(JUNE_2025)
    live = session.live_totals
    sites = session.sites.sites()
    with_arrays = reset_payload(
        sites, cat, ledger=live.ledger, as_of=JUNE_2025, arrays=live.snapshot()
    )
    without = reset_payload(sites, cat, ledger=live.ledger, as_of=JUNE_2025)
    assert with_arrays == without


# ---------------------------------------------------------------------- relations
def test_relation_neighbours_name_the_markers_an_edit_changes() -> None:
    sites = [*campus_sites((300, 200)), Site(id="v2", name="V2", lon=1.0, lat=1.0, supersedes="p0")]
    index = RelationIndex(sites)
    part = sites[1]
    assert relation_neighbours(part, index) == {"p0", "campus"}
    assert relation_neighbours(sites[0], index) == {"campus", "p0", "p1"}
    # Superseding a part changes the part and its campus's remainder.
    assert relation_neighbours(sites[-1], index) == {"v2", "p0", "campus"}
    index.discard(part)
    assert index.parts("campus") == {"p1"}


# ---------------------------------------------------------------------- legend
def test_the_legend_names_pending_superseded_campus_and_the_date() -> None:
    cat = dated_catalogue()
    sites = [
        *campus_sites((300, 200)),
        Site(
            id="later",
            name="Later",
            lon=88.0,
            lat=44.0,
            hardware=(line("H100", 40, online="2026-01"),),
        ),
        Site(id="old", name="Old", lon=87.0, lat=43.0, hardware=(line("H100", 9),)),
        Site(
            id="new",
            name="New",
            lon=87.0,
            lat=43.0,
            hardware=(line("H100", 9, online="2024"),),
            supersedes="old",
        ),
    ]
    legend = site_legend(sites, cat, "export", as_of=JUNE_2025)
    assert legend.title == "Export control on 2025-06-30"
    assert legend.rows == (
        LegendRow(palette.RESTRICTED, palette.LABEL_RESTRICTED),
        LegendRow(palette.UNRESTRICTED, palette.LABEL_UNRESTRICTED),
        LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS),
        LegendRow(palette.SWATCH_BLANK, palette.LABEL_PENDING, ring=palette.PENDING_OUTLINE),
        LegendRow(
            palette.SUPERSEDED_FILL, palette.LABEL_SUPERSEDED, ring=palette.SUPERSEDED_OUTLINE
        ),
        LegendRow(palette.SWATCH_BLANK, palette.LABEL_CAMPUS, ring=palette.CAMPUS_OUTLINE),
    )
    # Undated: nothing is pending, and the heading has no date.
    undated = site_legend(sites, cat, "export")
    assert undated.title == palette.LEGEND_TITLES["export"]
    assert palette.LABEL_PENDING not in [r.text for r in undated.rows]


def test_the_legend_says_sites_are_grouped_from_the_threshold_on() -> None:
    cat = hand_catalogue()
    many = [
        Site(id=f"s{i}", name=f"S{i}", lon=80 + (i % 100) * 0.2, lat=35 + (i // 100) * 0.1)
        for i in range(AGGREGATE_MIN_SITES)
    ]
    rows = site_legend(many, cat, "export").rows
    assert rows[-1] == LegendRow(
        palette.AGGREGATE_FILL, palette.LABEL_AGGREGATE, ring=palette.RESTRICTED
    )
    fewer = site_legend(many[:-1], cat, "export").rows
    assert palette.LABEL_AGGREGATE not in [r.text for r in fewer]


def test_model_legend_lists_models_that_count_on_the_date() -> None:
    cat = dated_catalogue()
    sites = [
        Site(id="a", name="A", lon=87.0, lat=43.0, hardware=(line("H20", 50, online="2024"),)),
        Site(
            id="b", name="B", lon=88.0, lat=43.0, hardware=(line("Ascend 910B", 50, online="2027"),)
        ),
    ]
    rows = site_legend(sites, cat, "model", as_of=date(2025, 1, 1)).rows
    # H20 needed no licence on 2025-01-01; the Ascend site has nothing online yet.
    assert rows[0] == LegendRow(palette.model_color("H20", list(cat.names)), "H20")
    assert [r.text for r in rows[1:]] == [palette.LABEL_PENDING]
    # "2027" means the end of 2027.
    later = site_legend(sites, cat, "model", as_of=date(2028, 1, 1)).rows
    assert later[0].text == "H20" + palette.LABEL_LICENCE_SUFFIX
    assert later[1].text == "Ascend 910B"


def test_decoded_counts_are_numpy_free_plain_numbers() -> None:
    sites = [Site(id="a", name="A", lon=87.0, lat=43.0, hardware=(line("H100", 8),))]
    values = column_values(reset_payload(sites, hand_catalogue())["sites"])
    assert all(not isinstance(v, np.generic) for col in values.values() for v in col)
