"""The ledger built from columns (plain sites left as arrays, never built) answers every
question exactly as the ledger built from sites, before and after random edits."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import numpy as np
import pytest

from explorer.core.dates import NEVER
from explorer.core.schema import HardwareLine, Site
from explorer.geo.capacity import CapacityLedger
from explorer.io.site_columns import SiteColumns
from tests.helpers import SiteBuilds

MODELS = ("H100", "H20", "Other")
YEARS = ["", "2024", "2025-06", "2025", "2026-03-15"]
DAYS: list[int | None] = [
    None,
    *(date.fromisoformat(d).toordinal() for d in ("2023-01-01", "2024-12-31", "2025-07-01")),
    date(2025, 12, 31).toordinal(),
    date(2026, 3, 15).toordinal(),
    NEVER,
]


def _lines(rng: random.Random) -> tuple[HardwareLine, ...]:
    out = []
    for _ in range(rng.randint(0, 3)):
        mid = rng.randint(0, 500)
        ranged = rng.random() < 0.5
        out.append(
            HardwareLine(
                rng.choice(MODELS[:2]),
                mid,
                chips_low=rng.randint(0, mid) if ranged else None,
                chips_high=mid + rng.randint(0, 200) if ranged else None,
                online=rng.choice(YEARS),
                status=rng.choice(["operational", "cancelled", "unknown", "announced"]),
            )
        )
    return tuple(out)


def _sites(rng: random.Random, n: int) -> list[Site]:
    sites = []
    for i in range(n):
        part_of = f"s{rng.randrange(n)}" if rng.random() < 0.08 else ""
        supersedes = f"s{rng.randrange(n)}" if rng.random() < 0.05 else ""
        if f"s{i}" in (part_of, supersedes):
            part_of = supersedes = ""
        sites.append(
            Site(
                f"s{i}",
                f"S{i}",
                90.0 + i / n,
                40.0,
                hardware=_lines(rng),
                part_of=part_of,
                supersedes=supersedes,
            )
        )
    return sites


def _sums_agree(ledger: CapacityLedger, seed: int) -> None:
    """``sums_at`` (what the capacity chart reads) equals summing ``at`` over the rows
    picked, at every day, for a random pick, none and all."""
    n = len(ledger)
    picks = [
        np.random.default_rng(seed).random(n) < 0.6,
        np.zeros(n, dtype=bool),
        np.ones(n, dtype=bool),
    ]
    for pick in picks:
        sums = ledger.sums_at(DAYS, pick)
        for i, day in enumerate(DAYS):
            expected = ledger.at(day)[:, pick, :].sum(axis=1)
            assert np.array_equal(sums[i], expected), day


def _same(a: CapacityLedger, b: CapacityLedger, ids: list[str]) -> None:
    _sums_agree(a, len(ids))
    _sums_agree(b, len(ids))
    for day in DAYS:
        assert np.array_equal(a.at(day, order=ids), b.at(day, order=ids)), day
    assert a.dated_days() == b.dated_days()
    for sid in ids:
        assert a.is_superseded(sid) == b.is_superseded(sid), sid
        assert sorted(s.id for s in a.parts_of(sid)) == sorted(s.id for s in b.parts_of(sid))
        ca, cb = a.contribution(sid), b.contribution(sid)
        for day in DAYS:
            assert ca.at(day) == cb.at(day), (sid, day)
            assert np.array_equal(a.site_rows(sid, day), b.site_rows(sid, day)), (sid, day)
    assert a.superseded_ids() == b.superseded_ids()
    assert {s.id for s in a.related_sites()} <= {s.id for s in b.related_sites()} | set(ids)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_ledger_from_columns_matches_one_from_sites_through_random_edits(seed: int) -> None:
    rng = random.Random(seed)
    sites = _sites(rng, 60)
    columns = SiteColumns.from_sites(sites)
    built: list[int] = []

    def load(row: int) -> Site:
        built.append(row)
        return columns.site(row)

    by_sites = CapacityLedger(sites, MODELS)
    by_columns = columns.ledger(MODELS, load=load)
    ids = [s.id for s in sites]
    _same(by_sites, by_columns, ids)
    current = {s.id: s for s in sites}
    for _ in range(120):
        sid = rng.choice(ids)
        old = current[sid]
        roll = rng.random()
        changes: dict[str, Any]
        if roll < 0.3:
            changes = {"part_of": rng.choice(["", rng.choice(ids)])}
        elif roll < 0.5:
            changes = {"supersedes": rng.choice(["", rng.choice(ids)])}
        else:
            changes = {"hardware": _lines(rng)}
        new = old.with_changes(**changes)
        if sid in (new.part_of, new.supersedes):
            continue
        if rng.random() < 0.1:  # a delete, and its undo
            for ledger in (by_sites, by_columns):
                ledger.update(removed=[old])
            ids.remove(sid)
            _same(by_sites, by_columns, ids)
            for ledger in (by_sites, by_columns):
                ledger.update(added=[old])
            ids.append(sid)
        else:
            touched = [led.update(removed=[old], added=[new]) for led in (by_sites, by_columns)]
            assert touched[0] == touched[1]
            current[sid] = new
        _same(by_sites, by_columns, ids)


def test_a_ledger_from_columns_builds_only_the_related_sites(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = [
        Site("a", "A", 90, 40, hardware=(HardwareLine("H100", 10),)),
        Site("b", "B", 90, 40, hardware=(HardwareLine("H100", 20, online="2025"),)),
        Site("campus", "C", 90, 40, hardware=(HardwareLine("H100", 100),)),
        Site("part", "P", 90, 40, hardware=(HardwareLine("H100", 30),), part_of="campus"),
    ]
    columns = SiteColumns.from_sites(sites)
    calls = SiteBuilds(monkeypatch).ids
    ledger = columns.ledger(MODELS)
    assert sorted(calls) == ["campus", "part"]  # never the plain a and b
    low, mid, high = ledger.at(None)
    assert mid[:, 0].tolist() == [10, 20, 70, 30]
    assert ledger.at(date(2025, 12, 31).toordinal())[1][:, 0].tolist() == [0, 20, 0, 0]
    # b becomes a campus of a new part: b's value is loaded then, once.
    new_part = Site("p2", "P2", 90, 40, hardware=(HardwareLine("H100", 5),), part_of="b")
    assert ledger.update(added=[new_part]) == {"p2", "b"}
    assert calls[2:] == ["b"]
    assert ledger.at(None)[1][:, 0].tolist() == [10, 15, 70, 30, 5]


def test_an_unknown_model_in_the_columns_is_refused() -> None:
    columns = SiteColumns.from_sites([Site("a", "A", 90, 40, hardware=(HardwareLine("X", 1),))])
    with pytest.raises(ValueError, match="unknown chip model 'X'"):
        columns.ledger(MODELS)


def _arrow_text(values: Any, kind: str) -> Any:
    """``values`` (str, ``""`` for none) as an Arrow column of ``kind``: text with nulls
    for the blanks, or a dictionary holding a value no row uses and one twice."""
    import pyarrow as pa

    texts = [v or None for v in values]
    if kind == "string":
        return pa.array(texts, type=pa.string())
    distinct = sorted({v for v in values})
    dictionary = pa.array(["never used", *distinct, distinct[0]], type=pa.string())
    where = {v: j + 1 for j, v in enumerate(distinct)}
    indices = pa.array([where[v] for v in values], type=pa.int32())
    return pa.DictionaryArray.from_arrays(indices, dictionary)


@pytest.mark.parametrize("kind", ["string", "dictionary"])
def test_a_ledger_from_arrow_line_text_matches_one_from_sites(kind: str) -> None:
    # Files read through Arrow keep a line's model, status and date as Arrow text; the
    # ledger codes them without making Python strings and must count as from sites.
    import dataclasses

    from explorer.io.site_columns import LINE_TEXT, Columns

    sites = _sites(random.Random(7), 80)
    columns = SiteColumns.from_sites(sites)
    lines = {k: columns.lines[k] for k in columns.lines}
    arrow = dataclasses.replace(
        columns,
        lines=Columns({k: _arrow_text(v, kind) if k in LINE_TEXT else v for k, v in lines.items()}),
    )
    assert not isinstance(arrow.lines._values["chip_model"], np.ndarray)
    _same(CapacityLedger(sites, MODELS), arrow.ledger(MODELS), [s.id for s in sites])
    for key in ("chip_model", "status", "online"):
        coded = arrow.lines.codes(key)
        assert [coded.values[c] for c in coded.codes] == list(lines[key]), key
        assert len(set(coded.values)) == len(coded.values), key
        assert "never used" not in coded.values


def test_text_codes() -> None:
    from explorer.io.site_columns import Columns, TextCodes

    coded = TextCodes.of(["b", "", "a", "b"])
    assert coded.codes.tolist() == [0, 1, 2, 0] and coded.values == ["b", "", "a"]
    assert coded.lookup({"a": 5, "b": 7, "": 0}).tolist() == [7, 0, 5, 7]
    with pytest.raises(KeyError, match="'a'"):
        coded.lookup({"b": 1, "": 0})
    assert coded.equals("b").tolist() == [True, False, False, True]
    assert coded.equals("absent").tolist() == [False] * 4
    empty = TextCodes.of([])
    assert empty.codes.shape == (0,) and empty.equals("x").shape == (0,)
    assert coded.in_order_seen() == ["b", "", "a"] and empty.in_order_seen() == []
    # An Arrow dictionary is coded in its own order; the order seen is the rows'.
    import pyarrow as pa

    arr = pa.DictionaryArray.from_arrays(
        pa.array([2, 0, 2, 1], pa.int32()), pa.array(["a", "b", "c", "unused"])
    )
    assert Columns({"k": arr}).codes("k").in_order_seen() == ["c", "a", "b"]
    # Kept: asked twice, coded once.
    table = Columns({"k": np.array(["x", "y", "x"], dtype=object)})
    assert table.codes("k") is table.codes("k")
