"""Point coordinates out of WKB columns: the in-place fast path and the per-record one
agree with shapely, and what is not a usable point is worded as before."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pytest
import shapely

from explorer.io.wkb_points import points


def _le(x: float, y: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, x, y)


def _be(x: float, y: float) -> bytes:
    return struct.pack(">BIdd", 0, 1, x, y)


def _label(i: int) -> str:
    return f"feature {i + 1}"


@pytest.mark.parametrize("kind", [pa.binary(), pa.large_binary()])
def test_plain_points_read_in_place(kind: pa.DataType) -> None:
    xs = np.array([73.5, -180.0, 180.0, 0.0, 101.25])
    ys = np.array([39.0, -90.0, 90.0, 0.0, 36.625])
    col = pa.array([_le(x, y) for x, y in zip(xs, ys, strict=True)], type=kind)
    lon, lat, pre = points(col, len(xs), _label)
    assert pre == {}
    np.testing.assert_array_equal(lon, xs)
    np.testing.assert_array_equal(lat, ys)


def test_sliced_chunked_column() -> None:
    # A slice starts inside the data buffer: the in-place read must start there too.
    values = [_le(float(i), float(-i)) for i in range(10)]
    col = pa.chunked_array([pa.array(values[:4]), pa.array(values[4:])])
    lon, lat, pre = points(col, 10, _label)
    assert pre == {}
    np.testing.assert_array_equal(lon, np.arange(10.0))
    np.testing.assert_array_equal(lat, -np.arange(10.0))
    sliced = pa.array(values).slice(3, 5)
    lon, lat, _ = points(sliced, 5, _label)
    np.testing.assert_array_equal(lon, np.arange(3.0, 8.0))


def test_other_encodings_and_bad_geometries_per_record() -> None:
    polygon = shapely.to_wkb(shapely.box(0, 0, 1, 1))
    empty = shapely.to_wkb(shapely.Point())
    values = [
        _le(10.0, 20.0),
        _be(11.0, 21.0),  # big-endian: a valid point, read through shapely
        _le(float("nan"), 5.0),  # handed on as it is: the coordinate check words it
        polygon,
        None,
        empty,
        b"\x01\x02",
    ]
    lon, lat, pre = points(pa.array(values, type=pa.binary()), len(values), _label)
    assert (lon[0], lat[0]) == (10.0, 20.0)
    assert (lon[1], lat[1]) == (11.0, 21.0)
    assert np.isnan(lon[2]) and lat[2] == 5.0
    assert set(pre) == {3, 4, 5, 6}
    assert pre[3][0].message == "geometry must be a Point, got 'Polygon'"
    assert pre[4][0].message == "geometry is missing (a site needs a Point)"
    assert pre[5][0].message == "geometry is empty (a site needs a Point)"
    assert pre[6][0].message == "geometry is not readable"
    for i in pre:
        assert (lon[i], lat[i]) == (0.0, 0.0)


def test_same_size_records_that_are_not_plain_points() -> None:
    # Every record 21 bytes, but one is big-endian and one has a NaN: the in-place path
    # reads them through shapely; a non-finite coordinate is handed on for the range
    # check to word.
    values = [_le(1.0, 2.0), _be(3.0, 4.0), _le(5.0, float("inf")), _le(7.0, 8.0)]
    lon, lat, pre = points(pa.array(values), 4, _label)
    np.testing.assert_array_equal(lon, [1.0, 3.0, 5.0, 7.0])
    np.testing.assert_array_equal(lat, [2.0, 4.0, np.inf, 8.0])
    assert pre == {}
