"""Arrow arrays to numpy and back through their buffers, without pandas.

pyarrow's own conversions between Arrow and Python or numpy (``Array.to_numpy`` with a
copy, ``pa.array`` of a list or an ndarray, a Python ``str`` handed to a compute
function as a scalar, ``fill_null("")``) import pandas the first time one runs: a third
of a second of CPU, which ``explorer totals`` on a GeoParquet or GeoPackage file paid
before checking a single record, for a module it never uses. The readers' column checks
convert through these helpers instead: masks and numbers are read straight out of the
arrays' buffers, and the few arrays and scalars they hand to Arrow are built from
numpy buffers.

A test runs ``explorer totals`` on a GeoParquet file in a fresh interpreter and checks
that pandas was not imported, so a conversion that brings it back is caught.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """``n`` bits of a bitmap buffer from bit ``offset``, as numpy bool (LSB first)."""
    raw = np.frombuffer(buf, dtype=np.uint8)
    return np.unpackbits(raw, count=offset + n, bitorder="little")[offset:].view(bool)


def valid(arr: pa.Array) -> np.ndarray:
    """Mask of the values that are not null."""
    n = len(arr)
    if arr.null_count == 0:
        return np.ones(n, dtype=bool)
    if arr.null_count == n:
        return np.zeros(n, dtype=bool)
    return _bits(arr.buffers()[0], arr.offset, n)


def bools(arr: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy (null as False)."""
    n = len(arr)
    if arr.null_count == n:
        return np.zeros(n, dtype=bool)
    values = _bits(arr.buffers()[1], arr.offset, n)
    return values & valid(arr) if arr.null_count else values.copy()


def floats(arr: pa.Array) -> np.ndarray:
    """A numeric Arrow array as float64 (NaN where null); a fresh, writable array."""
    n = len(arr)
    if arr.null_count == n:
        return np.full(n, np.nan)
    if arr.type != pa.float64():
        arr = arr.cast(pa.float64())
    values = np.frombuffer(arr.buffers()[1], dtype=np.float64)[arr.offset : arr.offset + n]
    if arr.null_count:
        return np.where(valid(arr), values, np.nan)
    return values.copy()


def ints(arr: pa.Array) -> np.ndarray:
    """An integer Arrow array without nulls (dictionary indices...) as int64."""
    n = len(arr)
    t = arr.type
    dtype = np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    return np.frombuffer(arr.buffers()[1], dtype=dtype)[arr.offset : arr.offset + n].astype(
        np.int64
    )


def text_parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a ``string`` or ``large_string`` array.

    ``offsets`` has ``len(arr) + 1`` entries (int64) indexing into ``bytes`` (uint8, the
    whole data buffer): value ``i`` is ``bytes[offsets[i]:offsets[i + 1]]``. A null
    value's span is whatever the writer left there (usually empty); callers mask nulls.
    """
    n = len(arr)
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def from_bools(mask: np.ndarray) -> pa.Array:
    """A boolean Arrow array (no nulls) of a numpy mask."""
    n = int(mask.shape[0])
    packed = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(packed)])


def from_floats(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """A float64 Arrow array of numpy values, null where ``present`` is False."""
    data = np.ascontiguousarray(values, dtype=np.float64)
    n = int(data.shape[0])
    validity = None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(pa.float64(), n, [validity, pa.py_buffer(data)])


def from_ints(values: np.ndarray) -> pa.Array:
    """An int64 Arrow array (no nulls) of numpy integers (row numbers for ``take``)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), int(data.shape[0]), [None, pa.py_buffer(data)])


def strings(values: Sequence[str]) -> pa.Array:
    """A ``string`` Arrow array (no nulls) of Python strings (value sets, defaults)."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = b"".join(encoded)
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def text_scalar(value: str) -> pa.Scalar:
    """An Arrow ``string`` scalar (for ``fill_null``, ``if_else``...)."""
    return strings([value])[0]


__all__ = [
    "bools",
    "floats",
    "from_bools",
    "from_floats",
    "from_ints",
    "ints",
    "strings",
    "text_parts",
    "text_scalar",
    "valid",
]
