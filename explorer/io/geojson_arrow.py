"""Read a large, plain sites GeoJSON through Arrow's JSON parser, without a Python
value per attribute.

:func:`explorer.io.geojson_read.read_geojson_raw` decodes every feature's properties
into Python values and gathers them into columns: at a million features most of the
time goes to building, transposing and converting those values (1.5 s to gather the
columns, 1.3 s to turn them into Arrow, 0.6 s to free them). Here msgspec only finds
each feature's ``properties`` and ``geometry`` (kept as the raw JSON bytes), the
properties are joined one per line and parsed by Arrow's JSON reader straight into
typed columns (in C++, on every core), and the points likewise.

This route is taken only when it reads the file exactly as the general one does, and
declines (returns None) otherwise, the general route then reading the file again:

* fewer records than :data:`~explorer.io.record_check.SMALL_FILE_RECORDS` (those are
  checked without Arrow at all), or a feature that is not ``{"type": "Feature"}``;
* a ``properties`` that is not an object (or null), a geometry that is not a Point
  with two or more numeric coordinates (JSON whitespace inside a value, line breaks
  included, is fine);
* anything Arrow cannot type as one column per attribute (a value that is a number in
  one record and text in another, a key twice in one object, integers beyond 64 bits);
* an escaped UTF-16 surrogate anywhere in the file (the general route words a lone one
  as a problem; Arrow's parser would not);
* a file where some records have ``hardware`` and others do not (the flat schema per
  record is decided the general way).

An indented file (over a fifth of its first 64 KiB whitespace) is made compact first
by msgspec, which copies every value byte for byte.

Attributes that are not site attributes are dropped, as the general route skips them.
A file in which the checks then find any problem is read again the general way
(:func:`explorer.io.formats.read_site_columns`), so problems are always worded from the
values as the general route decodes them.
"""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

from explorer.core.errors import Problem
from explorer.io.arrow_buffers import floats, ints, text_scalar, valid
from explorer.io.raw_sites import FLAT_LINE_KEYS, SITE_KEYS, RawSites
from explorer.io.record_check import GEOJSON_ARROW_BYTES, SMALL_FILE_RECORDS
from explorer.io.site_columns import LINE_INTS

#: Files smaller than this are left to the general route (they hold about the
#: records that are checked without Arrow, or fewer).
MIN_BYTES = GEOJSON_ARROW_BYTES

#: The attributes a site record may have (others are dropped).
SITE_ATTRIBUTES = frozenset((*SITE_KEYS, *FLAT_LINE_KEYS, "hardware", "sources"))

_SURROGATE = re.compile(rb"\\u[dD][89abAB]")


class _Feature(msgspec.Struct, gc=False):
    type: Any = None
    id: Any = None
    properties: msgspec.Raw = msgspec.Raw(b"null")
    geometry: msgspec.Raw = msgspec.Raw(b"null")


class _Collection(msgspec.Struct, gc=False):
    type: Any = None
    features: list[_Feature] | None = None
    metadata: dict[str, Any] | None = None


_DECODER = msgspec.json.Decoder(_Collection)
_PROPERTIES = attrgetter("properties")
_GEOMETRY = attrgetter("geometry")
_TYPE = attrgetter("type")
_ID = attrgetter("id")


def read_with_arrow(
    path: str, data: bytes
) -> tuple[RawSites, dict[str, Any], list[Problem]] | None:
    """(records as raw columns, metadata, file-level problems) of a sites GeoJSON, or
    None when this route does not read it exactly as the general one would (see the
    module notes). ``data`` is the file's bytes, a UTF-8 byte-order mark removed."""
    if len(data) < MIN_BYTES or _SURROGATE.search(data):
        return None
    compact = _mostly_layout(data)
    try:
        if compact:
            # An indented file: its whitespace taken out first (in C, every value byte
            # for byte as written), so neither msgspec nor Arrow's parser walks through
            # it, and no line break is left inside a value (opening a 107 MB indented
            # file of 100,000 sites: 1.98 s -> 1.70 s, medians of 10 paired runs).
            data = msgspec.json.format(data, indent=-1)
        doc = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    feats = doc.features
    if doc.type != "FeatureCollection" or feats is None or len(feats) <= SMALL_FILE_RECORDS:
        return None
    n = len(feats)
    if list(map(_TYPE, feats)).count("Feature") != n:
        return None
    import pyarrow as pa

    table = _parse_lines(_objects(list(map(_PROPERTIES, feats)), compact), n)
    points = _parse_lines(_objects(list(map(_GEOMETRY, feats)), compact), n)
    if table is None or points is None:
        return None
    lon_lat = _points(points)
    if lon_lat is None:
        return None
    columns = {
        c: table.column(c).combine_chunks() for c in table.column_names if c in SITE_ATTRIBUTES
    }
    if not all(_typed_as_read(k, v.type) for k, v in columns.items()):
        return None
    for key in ("hardware", "sources"):
        col = columns.get(key)
        if col is not None and pa.types.is_null(col.type.value_type):
            if len(col.flatten()):
                return None  # lists holding nulls: worded record by record
            if key == "sources":
                del columns[key]  # every list empty: as if no record had sources
    hardware = columns.get("hardware")
    if hardware is not None and hardware.null_count:
        return None  # some records flat, some not: decided per record by the general route
    if not _fill_ids(columns, list(map(_ID, feats)), n):
        return None
    if not columns:
        return None  # no attributes at all: nothing for Arrow to speed up
    from explorer.io.point_layers import raw_from_table

    raw = raw_from_table(path, pa.table(columns), None, None, lon_lat=lon_lat)
    raw.approximate_words = True
    model = columns.get("chip_model")
    if hardware is None and model is not None:
        raw.flat = valid(model).copy()
    else:
        raw.flat = np.zeros(n, dtype=bool)
    metadata = doc.metadata if doc.metadata is not None else {}
    return raw, metadata, []


#: Share of whitespace (in a sample of the file) above which it is taken out first.
_LAYOUT_SHARE = 0.2
_SAMPLE_BYTES = 1 << 16


def _mostly_layout(data: bytes) -> bool:
    """True when over a fifth of a sample of ``data``'s bytes are spaces or line breaks
    (an indented file: ``json.dump(..., indent=2)``, QGIS and most editors)."""
    sample = data[:_SAMPLE_BYTES]
    spaces = sum(map(sample.count, (b" ", b"\n", b"\r", b"\t")))
    return spaces > _LAYOUT_SHARE * len(sample)


#: Raw values joined with a byte JSON never holds unescaped (0x1E), then that byte made
#: the line break and any line break inside a value (only ever whitespace between
#: tokens: a JSON string cannot hold one) a space: one value per line.
_ONE_PER_LINE = bytes.maketrans(b"\x1e\n\r", b"\n  ")


def _objects(raws: list[msgspec.Raw], compact: bool) -> bytes:
    """The raw JSON values, one per line (Arrow's reader refuses a line that is not an
    object, and reads ``null`` as a record without attributes). ``compact``: the values
    hold no whitespace between tokens (so no line break), and are joined as they are.
    Otherwise they are joined as they are too when no line break turns out to be inside
    one (a file written a feature per line: counting the breaks is one fast pass, the
    byte-by-byte rewrite below took 0.1-0.2 s for 100,000 features)."""
    joined = b"\n".join(raws)
    if compact or (joined.count(b"\n") == len(raws) - 1 and b"\r" not in joined):
        return joined
    return b"\x1e".join(raws).translate(_ONE_PER_LINE)


def _parse_lines(lines: bytes, n: int) -> Any:
    """Arrow's JSON reader over ``lines`` (one object per line), or None if it refuses
    them or does not give ``n`` rows."""
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        # A buffer reader over the bytes: Arrow parses them where they are. Through a
        # Python file object (io.BytesIO) it copied them into fresh memory first (46 MB
        # at 100,000 sites, 12,000 page faults; a million sites' totals peaked at 1.23
        # instead of 1.06 GB).
        table = pj.read_json(
            pa.BufferReader(lines),
            read_options=pj.ReadOptions(block_size=16 << 20),
            parse_options=pj.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return table if table.num_rows == n else None


def _points(table: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(lon, lat) of Point geometries with at least two numbers each; None otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "type" not in table.column_names or "coordinates" not in table.column_names:
        return None
    kinds = table.column("type").combine_chunks()
    if not pa.types.is_string(kinds.type) or kinds.null_count:
        return None
    # The scalar made by us: handed a Python str, Arrow's compute wrapper imports pandas
    # (a fifth of a second) to see whether it is a pandas value.
    if not pc.all(pc.equal(kinds, text_scalar("Point"))).as_py():
        return None
    coords = table.column("coordinates").combine_chunks()
    if not pa.types.is_list(coords.type) or coords.null_count:
        return None
    value_type = coords.type.value_type
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
        return None
    if pc.min(pc.list_value_length(coords)).as_py() < 2:
        return None
    values = coords.values
    if values.null_count:
        return None
    offsets = ints(coords.offsets)[:-1]
    flat = floats(values)
    return flat[offsets], flat[offsets + 1]


#: Attributes that hold numbers (the general route reads them as numbers too).
_NUMBERS = frozenset(("power_mw", *LINE_INTS))


def _typed_as_read(key: str, t: Any) -> bool:
    """True when the checks read a column of type ``t`` exactly as they read the
    general route's values for ``key``.

    Arrow types a column of integers and fractions as floating point (1 becomes 1.0):
    for a number that changes nothing but how a problem message quotes it (and a file
    with problems is read again the general way), but an attribute holding text given as
    numbers would read differently, so that is declined. ``hardware`` and ``sources``
    are lists of objects whose fields follow the same rule (or lists with nothing in
    them: typed as lists of nulls).
    """
    import pyarrow as pa

    if key in ("hardware", "sources"):
        if not pa.types.is_list(t):
            return False
        if pa.types.is_null(t.value_type):
            return True  # only empty lists, or lists of nulls (see read_with_arrow)
        if not pa.types.is_struct(t.value_type):
            return False
        item = t.value_type
        return all(
            _typed_as_read(item.field(j).name, item.field(j).type) for j in range(item.num_fields)
        )
    if pa.types.is_floating(t):
        return key in _NUMBERS
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_integer(t)
        or pa.types.is_boolean(t)
        or pa.types.is_null(t)
    )


def _fill_ids(columns: dict[str, Any], feature_ids: list[Any], n: int) -> bool:
    """A record without an id (missing or ``""``) takes its feature's ``id``, as the
    general route does; False when the ids then mix types (left to that route)."""
    import pyarrow as pa

    from explorer.io.arrow_values import is_blank

    ids = columns.get("id")
    if ids is not None and not ids.null_count:
        if not (pa.types.is_string(ids.type) and is_blank(ids).any()):
            return True  # every record has its own: the features' are not read
    if feature_ids.count(None) == n:
        return True
    values = ids.to_pylist() if ids is not None else [None] * n
    changed = False
    for i, v in enumerate(values):
        if (v is None or v == "") and feature_ids[i] is not None and feature_ids[i] != "":
            values[i] = feature_ids[i]
            changed = True
    if changed:
        try:
            columns["id"] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return False
    return True


__all__ = ["MIN_BYTES", "SITE_ATTRIBUTES", "read_with_arrow"]
