"""Columns of raw values as Arrow arrays, with a mask of the values the fast path
cannot vouch for.

Readers hand the checker (:mod:`explorer.io.column_check`) columns in whatever form they
have them: Arrow arrays (GeoPackage and GeoParquet through Arrow) or Python lists
(GeoJSON, CSV). These helpers turn a column into a typed Arrow array plus a boolean
``odd`` mask. A value marked odd is not rejected here: its record is simply checked the
slow way, by :func:`explorer.core.schema.parse_site`, which decides and words any
problem exactly as it always has. So every rule here only has to be *sufficient*: a
value that is not odd must be one ``parse_site`` accepts and reads the same way.

A text column may also come as a dictionary array (a GeoParquet column of few distinct
values, read as such: see :mod:`explorer.io.geoparquet`): every check then runs on the
distinct values only and is spread to the rows through the indices, with the same
answer, null for null, as on the plain column.

Conversions go through :mod:`explorer.io.arrow_buffers` (no pandas), and the checks a
valid file passes are answered from the arrays' bytes where that is exact and cheaper
than the Arrow kernel (no byte below 0x20 means no control character; no value longer in
bytes than the limit means none longer in characters); otherwise the kernel decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from explorer.io import arrow_buffers as ab

Column: TypeAlias = pa.Array | pa.ChunkedArray | Sequence[Any]

#: The characters ``str.strip()`` removes (Unicode whitespace as Python defines it), so
#: Arrow trims text exactly as the per-record parser does. Spelt out: computing it (every
#: code point's ``isspace()``) costs a second at import; a test checks it is the same.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# Text a number parser in any language reads the same way: no signs but '-', no
# exponent, no spaces, no underscores, no other digits than 0-9.
_NUMBER_TEXT = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_NUMBER_TEXT_RE = re.compile(_NUMBER_TEXT)


def combine(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (a chunked column is concatenated)."""
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _mask(arr: pa.Array) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as numpy."""
    return ab.bools(arr)


def is_dictionary(arr: pa.Array) -> bool:
    """Whether ``arr`` is a dictionary array (distinct values plus an index per row)."""
    return pa.types.is_dictionary(arr.type)


def _spread(arr: pa.Array, per_value: np.ndarray, at_null: Any) -> np.ndarray:
    """What ``per_value`` says of each distinct value of dictionary array ``arr``, for
    every row; ``at_null`` where the row is null."""
    n = len(arr)
    if arr.null_count == n or per_value.shape[0] == 0:
        return np.full(n, at_null, dtype=per_value.dtype)
    codes = ab.ints(arr.indices)
    if not arr.null_count:
        return per_value[codes]
    ok = ab.valid(arr)
    out = per_value[np.where(ok, codes, 0)]  # a null row's index may be anything
    out[~ok] = at_null
    return out


def decoded(arr: pa.Array) -> pa.Array:
    """A dictionary array as the plain array of its values (any other array as it is)."""
    if not is_dictionary(arr):
        return arr
    return arr.dictionary.take(arr.indices)


def _text_dictionary(arr: pa.Array) -> pa.Array:
    """A dictionary array of text with ``string`` values (``large_string`` cast: the
    dictionary is small)."""
    values = arr.dictionary
    if pa.types.is_large_string(values.type):
        return pa.DictionaryArray.from_arrays(arr.indices, values.cast(pa.string()))
    return arr


def as_text(values: Column, n: int) -> tuple[pa.Array, np.ndarray]:
    """``values`` as an Arrow string array (null where missing or odd) and the odd mask.

    Text and missing values pass; any other type (a number where text belongs) is odd:
    the record parser turns it into text by its own rules.
    """
    odd = np.zeros(n, dtype=bool)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        arr = combine(values)
        if is_dictionary(arr):
            value_type = arr.type.value_type
            if pa.types.is_string(value_type) or pa.types.is_large_string(value_type):
                return _text_dictionary(arr), odd
            arr = decoded(arr)
        if pa.types.is_string(arr.type):
            return arr, odd
        if pa.types.is_large_string(arr.type):
            return arr.cast(pa.string()), odd
        if pa.types.is_null(arr.type):
            return pa.nulls(n, pa.string()), odd
        return pa.nulls(n, pa.string()), ab.valid(arr)
    try:
        return pa.array(values, type=pa.string(), size=n), odd
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    clean: list[str | None] = []
    v: Any
    for i, v in enumerate(values):
        if v is None or type(v) is str:
            clean.append(v)
        else:
            clean.append(None)
            odd[i] = True
    return pa.array(clean, type=pa.string()), odd


def as_number(values: Column, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` as float64, with a mask of present values and a mask of odd ones.

    Missing values (None, null, NaN as GDAL writes a NULL number, or an empty text) are
    not present. Numbers are present; so is text that is plainly a decimal number
    (``"12"``, ``"-3.5"``). Anything else (booleans, other text, objects) is odd.
    """
    odd = np.zeros(n, dtype=bool)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        out = values.astype(np.float64)
        # A NaN held as a value (not a missing one) goes the per-record way, as below.
        nan = np.isnan(out)
        return out, ~nan, nan
    if isinstance(values, pa.Array | pa.ChunkedArray):
        arr = decoded(combine(values))
        t = arr.type
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            out = ab.floats(arr)
            return out, ~np.isnan(out), odd
        if pa.types.is_null(t):
            out = np.full(n, np.nan)
            return out, np.zeros(n, dtype=bool), odd
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return _number_text(arr, n)
        return np.full(n, np.nan), np.zeros(n, dtype=bool), ab.valid(arr)
    try:
        arr = pa.array(values, size=n)
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        # OverflowError: an integer beyond 64 bits somewhere (even inside a list, as in
        # ``"chips": [9223372036854775808]``); the values are looked at one by one below.
        arr = None
    if arr is not None and (
        pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_null(arr.type)
        or pa.types.is_string(arr.type)
    ):
        out, present, odd = as_number(arr, n)
        if pa.types.is_floating(arr.type):
            # A NaN written as a value (JSON's non-standard NaN) is not a missing value:
            # the record parser refuses it, so it goes that way.
            nan_value = np.isnan(out) & ab.valid(arr)
            odd |= nan_value
        return out, present, odd
    out = np.full(n, np.nan)
    for i, v in enumerate(values):  # noqa: B007 - v is typed below
        tv = type(v)
        if v is None:
            continue
        if tv is int or (tv is float and v == v):
            out[i] = v
        elif tv is str and (v == "" or _NUMBER_TEXT_RE.match(v)):
            if v:
                out[i] = float(v)
        else:
            odd[i] = True
    return out, ~np.isnan(out) & ~odd, odd


def _number_text(arr: pa.Array, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = is_blank(arr)
    plain = _mask(pc.match_substring_regex(arr, _NUMBER_TEXT))
    odd = ~missing & ~plain
    text = pc.if_else(ab.from_bools(plain), arr, pa.nulls(len(arr), arr.type))
    out = ab.floats(text.cast(pa.float64()))
    out = np.where(plain, out, np.nan)
    return out, plain, odd


def whole(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mask of present values that are not whole numbers >= 0 (odd for a count)."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
    return present & bad


def _byte_lengths(arr: pa.Array) -> np.ndarray:
    offsets, _ = ab.text_parts(arr)
    return np.diff(offsets)


def text_length(arr: pa.Array) -> np.ndarray:
    """Code points per value (0 where null), as ``len(str)`` counts them."""
    if is_dictionary(arr):
        return _spread(arr, text_length(arr.dictionary), 0)
    lengths = ab.floats(pc.utf8_length(arr))
    return np.where(np.isnan(lengths), 0, lengths).astype(np.int64)


def longer_than(arr: pa.Array, limit: int) -> np.ndarray:
    """Mask of values of more than ``limit`` characters (False where null)."""
    n = len(arr)
    if arr.null_count == n or n == 0:
        return np.zeros(n, dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, longer_than(arr.dictionary, limit), False)
    # A value has at least as many bytes as characters: within the limit in bytes, the
    # characters need no counting.
    if int(_byte_lengths(arr).max()) <= limit:
        return np.zeros(n, dtype=bool)
    return text_length(arr) > limit


def has_control(arr: pa.Array, pattern: str) -> np.ndarray:
    """Mask of values matching ``pattern``, a class of ASCII control characters (bytes
    below 0x20 and 0x7f); False where null.

    A column none of whose bytes is one of those matches nowhere: the regular
    expression runs only on a column that has one (a tab, a line break...).
    """
    n = len(arr)
    if arr.null_count == n or n == 0:
        return np.zeros(n, dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, has_control(arr.dictionary, pattern), False)
    offsets, data = ab.text_parts(arr)
    span = data[int(offsets[0]) : int(offsets[-1])]
    if not span.size or (int(span.min()) >= 0x20 and not (span == 0x7F).any()):
        return np.zeros(n, dtype=bool)
    return matches(arr, pattern)


def _may_need_trim(arr: pa.Array) -> bool:
    """Whether some value may start or end with whitespace: True unless every non-empty
    value starts and ends with a printable ASCII character other than space."""
    offsets, data = ab.text_parts(arr)
    nonempty = offsets[1:] > offsets[:-1]
    if not nonempty.any():
        return False
    first = data[offsets[:-1][nonempty]]
    last = data[offsets[1:][nonempty] - 1]
    return not (
        bool(((first > 0x20) & (first < 0x80)).all())
        and bool(((last > 0x20) & (last < 0x80)).all())
    )


def stripped(arr: pa.Array) -> pa.Array:
    """Values with leading and trailing whitespace removed as ``str.strip()`` does."""
    if is_dictionary(arr):
        return pa.DictionaryArray.from_arrays(arr.indices, stripped(arr.dictionary))
    if arr.null_count == len(arr) or not _may_need_trim(arr):
        return arr
    return pc.utf8_trim(arr, characters=PY_WHITESPACE)


def is_in(arr: pa.Array, allowed: Sequence[str]) -> np.ndarray:
    """Mask of values that are one of ``allowed`` (False where null)."""
    if arr.null_count == len(arr):
        return np.zeros(len(arr), dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, is_in(arr.dictionary, allowed), False)
    return _mask(pc.is_in(arr, value_set=ab.strings(list(allowed))))


def matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Mask of values matching ``pattern`` (RE2 syntax; False where null)."""
    if arr.null_count == len(arr):
        return np.zeros(len(arr), dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, matches(arr.dictionary, pattern), False)
    return _mask(pc.match_substring_regex(arr, pattern))


def token_like(arr: pa.Array, first: str, rest: str, max_len: int) -> np.ndarray:
    """Mask of values of 1 to ``max_len`` characters, the first one of the ASCII
    characters ``first`` and every other one of ``rest`` (False where null).

    What ``^[first][rest]{0,max_len-1}$`` matches (with ``first`` a subset of
    ``rest``), answered from the bytes: any byte outside ``rest``, including every byte
    of a non-ASCII character, makes a value not match.
    """
    n = len(arr)
    if arr.null_count == n or n == 0:
        return np.zeros(n, dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, token_like(arr.dictionary, first, rest, max_len), False)
    offsets, data = ab.text_parts(arr)
    lengths = np.diff(offsets)
    ok = (lengths >= 1) & (lengths <= max_len)
    if arr.null_count:
        ok &= ab.valid(arr)
    lo, hi = int(offsets[0]), int(offsets[-1])
    if hi == lo:
        return ok
    in_rest = np.zeros(256, dtype=bool)
    in_rest[list(rest.encode("ascii"))] = True
    in_first = np.zeros(256, dtype=bool)
    in_first[list(first.encode("ascii"))] = True
    # Any byte outside the set, per value: reduced over each value's bytes. Only values
    # of one byte or more are reduced (an empty one is not ok already): their starts
    # rise strictly and lie inside the bytes, as reduceat needs.
    outside = (~in_rest)[data[lo:hi]]
    starts = offsets[:-1] - lo
    filled = lengths >= 1
    if filled.all():
        ok &= ~np.logical_or.reduceat(outside, starts)
    else:
        some = np.flatnonzero(filled)
        ok[some] &= ~np.logical_or.reduceat(outside, starts[some])
    rows = np.flatnonzero(ok)
    ok[rows] = in_first[data[offsets[:-1][rows]]]
    return ok


def is_blank(arr: pa.Array) -> np.ndarray:
    """Mask of null or empty values."""
    if arr.null_count == len(arr):
        return np.ones(len(arr), dtype=bool)
    if is_dictionary(arr):
        return _spread(arr, is_blank(arr.dictionary), True)
    empty = _byte_lengths(arr) == 0
    return empty | ~ab.valid(arr) if arr.null_count else empty


def to_objects(arr: pa.Array) -> np.ndarray:
    """A string array as a numpy object array of ``str`` (null as ``""``)."""
    n = len(arr)
    if arr.null_count == n:  # a column the file does not have
        return np.full(n, "", dtype=object)
    if is_dictionary(arr):  # a few strings, shared by the rows that hold them
        return _spread(arr, to_objects(arr.dictionary), "")
    if arr.null_count:
        arr = arr.fill_null(ab.text_scalar(""))
    out = np.empty(n, dtype=object)
    out[:] = arr.to_pylist()
    return out


def with_default(arr: pa.Array, blank: np.ndarray, default: str) -> pa.Array:
    """``arr`` with ``default`` where ``blank``."""
    if not blank.any():
        return arr
    if blank.all():
        # One value for every row (a file with no line status, say): a dictionary of
        # it, 4 bytes a row of zeros, not a million copies of the text.
        n = len(arr)
        codes = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(np.zeros(n, np.int32))])
        return pa.DictionaryArray.from_arrays(codes, ab.strings([default]))
    arr = decoded(arr)
    return pc.if_else(ab.from_bools(blank), ab.text_scalar(default), arr)


def distinct(arr: pa.Array) -> list[str]:
    """The distinct non-null values of a string array."""
    if is_dictionary(arr):
        used = np.zeros(len(arr.dictionary), dtype=bool)
        valid = ab.valid(arr)
        used[ab.ints(arr.indices)[valid]] = True
        values = arr.dictionary.filter(ab.from_bools(used)).to_pylist()
        return list(dict.fromkeys(v for v in values if v is not None))
    return [v for v in pc.unique(arr.drop_null()).to_pylist() if v is not None]


def null_mask(arr: pa.Array) -> np.ndarray:
    """Mask of null values."""
    return ~ab.valid(arr)


__all__ = [
    "PY_WHITESPACE",
    "Column",
    "as_number",
    "as_text",
    "combine",
    "has_control",
    "is_blank",
    "is_in",
    "longer_than",
    "matches",
    "null_mask",
    "stripped",
    "text_length",
    "to_objects",
    "token_like",
    "whole",
    "with_default",
    "distinct",
    "decoded",
    "is_dictionary",
]
