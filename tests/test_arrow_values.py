"""The byte-level shortcuts of the column checks agree with the Arrow kernels they skip.

:mod:`explorer.io.arrow_values` answers some checks from an array's bytes (a column
with no control byte, no value longer in bytes than the limit, no value that can start
or end with whitespace, an id rule as character sets) and :mod:`explorer.io.arrow_buffers`
converts without pandas. Each is compared here with the kernel or the regular expression
it stands for, on hostile text (Unicode whitespace, control characters, non-ASCII
letters, empty values, nulls, sliced arrays whose offsets do not start at 0).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.io import arrow_buffers as ab
from explorer.io import arrow_values as av
from explorer.io.column_check import _CONTROL, _ID, _ID_FIRST, _ID_MAX, _ID_REST

ALPHABET = st.sampled_from(
    list("aZ09._:- \t\n\r\x00\x1f\x7f\x85\xa0é漢")
    + ["\u2000", "\u3000", "\u1680", "\u202f", "\x0b", "\x1c"]
)
VALUES = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=70)), max_size=30)


def _arrays(values: list[str | None], cut: int) -> list[pa.Array]:
    """The values as string and large_string arrays, whole and as a slice."""
    arr = pa.array(values, type=pa.string())
    padded = pa.array(["pad"] * cut + values, type=pa.string()).slice(cut)
    return [arr, padded, arr.cast(pa.large_string()), padded.cast(pa.large_string())]


def _kernel_mask(arr: pa.Array) -> np.ndarray:
    return np.array([bool(v) for v in arr.fill_null(False).to_pylist()], dtype=bool)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(0, 3))
def test_byte_checks_agree_with_the_kernels(values: list[str | None], cut: int) -> None:
    for arr in _arrays(values, cut):
        text, _ = av.as_text(arr, len(arr))
        regex_id = _kernel_mask(pc.match_substring_regex(text, _ID)) if len(text) else []
        assert av.token_like(text, _ID_FIRST, _ID_REST, _ID_MAX).tolist() == list(regex_id)
        control = _kernel_mask(pc.match_substring_regex(text, _CONTROL)) if len(text) else []
        assert av.has_control(text, _CONTROL).tolist() == list(control)
        for limit in (0, 1, 3, 64):
            want = [v is not None and len(v) > limit for v in text.to_pylist()]
            assert av.longer_than(text, limit).tolist() == want
        assert av.stripped(text).to_pylist() == [
            None if v is None else v.strip() for v in text.to_pylist()
        ]
        assert av.is_blank(text).tolist() == [v is None or v == "" for v in text.to_pylist()]
        assert av.to_objects(text).tolist() == [v or "" for v in text.to_pylist()]
        assert av.null_mask(text).tolist() == [v is None for v in text.to_pylist()]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=40), st.integers(0, 9))
def test_bools_and_valid_read_bitmaps_at_any_offset(values: list[bool | None], cut: int) -> None:
    arr = pa.array([True] * cut + values, type=pa.bool_()).slice(cut)
    assert ab.bools(arr).tolist() == [bool(v) for v in values]
    assert ab.valid(arr).tolist() == [v is not None for v in values]
    mask = np.array([bool(v) for v in values], dtype=bool)
    assert ab.from_bools(mask).to_pylist() == mask.tolist()


def test_numbers_and_strings_round_trip_through_buffers() -> None:
    ints = pa.array([5, None, -3, 7], type=pa.int32()).slice(1)
    assert np.isnan(ab.floats(ints)[0]) and ab.floats(ints)[1:].tolist() == [-3.0, 7.0]
    assert ab.ints(pa.array([4, 2, 9], type=pa.int8()).slice(1)).tolist() == [2, 9]
    assert ab.from_ints(np.array([3, 1])).to_pylist() == [3, 1]
    assert ab.strings(["", "漢字", "a"]).to_pylist() == ["", "漢字", "a"]
    assert ab.text_scalar("x").as_py() == "x"


def test_with_default_fills_blanks_only() -> None:
    arr = pa.array(["a", None, ""], type=pa.string())
    blank = av.is_blank(arr)
    assert av.with_default(arr, blank, "z").to_pylist() == ["a", "z", "z"]
    assert av.with_default(pa.nulls(2, pa.string()), np.ones(2, bool), "z").to_pylist() == [
        "z",
        "z",
    ]


def test_a_default_for_every_row_is_one_shared_value() -> None:
    # A file with no line status: every line "unknown", as a dictionary of that one text
    # (4 bytes a row), read back like any text column.
    n = 5000
    filled = av.with_default(pa.nulls(n, pa.null()), np.ones(n, bool), "unknown")
    assert av.is_dictionary(filled) and filled.dictionary.to_pylist() == ["unknown"]
    assert av.decoded(filled).to_pylist() == ["unknown"] * n
    assert av.to_objects(filled).tolist() == ["unknown"] * n
    assert av.is_in(filled, ["cancelled"]).sum() == 0 and av.is_in(filled, ["unknown"]).all()
    assert av.distinct(filled) == ["unknown"]


def test_totals_of_a_geoparquet_file_does_not_import_pandas(tmp_path: Path) -> None:
    """pandas (and geopandas) cost a third of a second to import and the totals path does
    not use them: a conversion that brings them back is caught here. (A GeoPackage is
    read through pyogrio, which imports geopandas itself when it is installed.)"""
    from explorer.core.schema import HardwareLine, Site
    from explorer.io.formats import write_sites

    sites = [
        Site(id=f"s{i}", name=f"S {i}", lon=80.0 + i, lat=40.0, hardware=(HardwareLine("H100", 8),))
        for i in range(5)
    ]
    path = tmp_path / "sites.parquet"
    write_sites(path, sites)
    probe = (
        "import json, sys\n"
        "from explorer.cli import run_cli\n"
        f"code = run_cli(['totals', {str(path)!r}, '--json'])\n"
        "print(json.dumps(sorted(m for m in ('pandas', 'geopandas') if m in sys.modules)))\n"
        "sys.exit(code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    *_, last = out.stdout.strip().splitlines()
    assert json.loads(last) == []


def _dictionaries(values: list[str | None], cut: int) -> list[pa.Array]:
    """The values as dictionary arrays: as encoded, sliced, with values no row uses, the
    same value twice in the dictionary, and with large_string values."""
    plain = pa.array(values, type=pa.string())
    enc = plain.dictionary_encode()
    spare = pa.array(["unused \x01", " ", *[v for v in values if v is not None]], type=pa.string())
    index = {}
    for j, v in enumerate(spare.to_pylist()):
        index.setdefault(v, j)
    doubled = pa.DictionaryArray.from_arrays(
        pa.array([None if v is None else index[v] for v in values], type=pa.int32()),
        pa.concat_arrays([spare, spare]),
    )
    padded = pa.array(["pad"] * cut + values, type=pa.string()).dictionary_encode().slice(cut)
    large = pa.DictionaryArray.from_arrays(enc.indices, enc.dictionary.cast(pa.large_string()))
    return [enc, doubled, padded, large]


@settings(max_examples=200, deadline=None)
@given(VALUES, st.integers(0, 3))
def test_dictionary_columns_answer_as_plain_ones(values: list[str | None], cut: int) -> None:
    n = len(values)
    want_text, _ = av.as_text(pa.array(values, type=pa.string()), n)
    for arr in _dictionaries(values, cut):
        text, odd = av.as_text(arr, n)
        assert not odd.any()
        assert av.is_dictionary(text)
        assert av.decoded(text).to_pylist() == values
        for got, want in (
            (av.token_like(text, _ID_FIRST, _ID_REST, _ID_MAX), None),
            (av.has_control(text, _CONTROL), av.has_control(want_text, _CONTROL)),
            (av.longer_than(text, 3), av.longer_than(want_text, 3)),
            (av.is_blank(text), av.is_blank(want_text)),
            (av.is_in(text, ["a", " a", ""]), av.is_in(want_text, ["a", " a", ""])),
            (av.matches(text, "^a"), av.matches(want_text, "^a")),
            (av.null_mask(text), av.null_mask(want_text)),
            (av.text_length(text), av.text_length(want_text)),
        ):
            if want is None:
                want = av.token_like(want_text, _ID_FIRST, _ID_REST, _ID_MAX)
            assert got.tolist() == want.tolist()
        assert av.decoded(av.stripped(text)).to_pylist() == av.stripped(want_text).to_pylist()
        assert av.to_objects(text).tolist() == av.to_objects(want_text).tolist()
        assert sorted(av.distinct(text)) == sorted(av.distinct(want_text))
        blank = av.is_blank(text)
        assert av.decoded(av.with_default(text, blank, "x")).to_pylist() == (
            av.with_default(want_text, blank, "x").to_pylist()
        )
