"""surely_distinct: never "distinct" for a column with a repeated value; "distinct" for
ordinary distinct ids (so the hash table is skipped when it can be)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.io.distinct_text import MAX_BYTES, surely_distinct

texts = st.text(
    alphabet=st.sampled_from(list("ab01-._:") + ["é", "中", "\x00", " "]), min_size=0, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=0, max_size=40), st.booleans())
def test_never_distinct_when_a_value_repeats(values: list[str], large: bool) -> None:
    kind = pa.large_string() if large else pa.string()
    answer = surely_distinct(pa.array(values, type=kind))
    if len(set(values)) < len(values):
        assert answer is False
    if values:
        repeated = [*values, values[len(values) // 2]]
        assert surely_distinct(pa.array(repeated, type=kind)) is False


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=2, max_size=30, unique=True), st.integers(0, 5))
def test_slices_read_their_own_bytes(values: list[str], start: int) -> None:
    # A slice's values start inside the data buffer; a repeat inside the slice is found,
    # and bytes outside it do not make equal values differ.
    arr = pa.array(["zz", *values, values[0]])
    sliced = arr.slice(1 + min(start, len(values) - 1))
    inside = sliced.to_pylist()
    if len(set(inside)) < len(inside):
        assert surely_distinct(sliced) is False


@pytest.mark.parametrize(
    "values",
    [
        [f"site-{i:07d}" for i in range(5000)],
        [f"s{i}" for i in range(5000)],
        [f"project-{i}-xinjiang-hami-advanced-computing-cluster" for i in range(5000)],
        ["", "a", "ab", "abc", "abcdefgh", "abcdefghi", "bcdefghi"],
    ],
)
def test_distinct_ids_are_proved_distinct(values: list[str]) -> None:
    assert surely_distinct(pa.array(values)) is True


def test_short_values_are_not_confused_by_their_neighbours() -> None:
    # "ab" twice, with different bytes after each: the bytes past a short value's end
    # must not count.
    assert surely_distinct(pa.array(["ab", "cdefghijk", "ab", "zzzzzzzzz"])) is False
    assert surely_distinct(pa.array(["ab", "ab\x00"])) is True


def test_what_it_does_not_vouch_for() -> None:
    assert surely_distinct(pa.array(["x" * (MAX_BYTES + 1), "y"])) is False
    assert surely_distinct(pa.array(["a", None, "b"])) is False
    assert surely_distinct(pa.array([], type=pa.string())) is True
    assert surely_distinct(pa.array(["only"])) is True
