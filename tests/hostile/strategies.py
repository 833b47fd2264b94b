"""Hypothesis strategies for hostile input: malformed and extreme values, records and files.

Every strategy mixes plausible values with the ones that broke parsers elsewhere:
non-finite and huge numbers, numbers as text in odd spellings, control characters,
mark-up, formula cells, right-to-left overrides, lone surrogates, deep nesting, wrong
types in every position.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from explorer.core.schema import CONFIDENCES, STATUSES

#: Text that has caused trouble somewhere: mark-up, formulas, escapes, odd digits.
NASTY_TEXT = (
    "",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\x1b[2J",
    "\x1b]0;title\x07",
    "\x7f",
    "\u0085",
    "\u009b31m",
    "\u2028",
    "\u202eevil",
    "\ufeff",
    "\udc80",  # a lone surrogate: not encodable as UTF-8
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1)",
    "'",
    '"',
    '""',
    "\\",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e-400",
    "1e400",
    "1_000",
    "١٢٣",
    "0x10",
    "-0",
    "٫",
    "null",
    "[]",
    "{}",
    "[1, 2",
    "H100",
    "planned",
    "中文名称",
    "🙂",
    "x" * 70,
    "x" * 10_001,
)

nasty_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=30),
)

nasty_numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**7, 10**7 + 1, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1e-320, 1e308, 90.0, -90.0, 180.0, -180.0, 180.0000001]),
)

scalars = st.one_of(st.none(), st.booleans(), nasty_numbers, nasty_text)

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(nasty_text, children, max_size=4),
    ),
    max_leaves=12,
)


#: Anything, but most often something of about the right type.
def field_value(*good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(*good, *good, json_values)


hardware_line = st.fixed_dictionaries(
    {
        "chip_model": field_value(st.sampled_from(["H100", "H20", "Ascend 910C", "B300"])),
        "chips": field_value(st.integers(0, 20_000_000)),
    },
    optional={
        "servers": field_value(st.integers(0, 1000)),
        "gpus_per_server": field_value(st.integers(0, 16)),
        "phase": field_value(nasty_text),
        "status": field_value(st.sampled_from(STATUSES)),
        "online": field_value(st.sampled_from(["2024", "2025-06", "2026-13", "2025-02-30"])),
        "chips_low": field_value(st.integers(0, 20_000_000)),
        "chips_high": field_value(st.integers(0, 20_000_000)),
    },
)

source = st.fixed_dictionaries(
    {},
    optional={
        "title": field_value(nasty_text),
        "url": field_value(st.sampled_from(["https://example.org/a", "javascript:alert(1)"])),
        "date": field_value(st.sampled_from(["2025-07-08", "2025", "yesterday"])),
        "quote": field_value(nasty_text),
    },
)

ids = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9._:-]{0,10}", fullmatch=True),
    nasty_text,
)

site_properties = st.fixed_dictionaries(
    {"id": field_value(ids), "name": field_value(nasty_text)},
    optional={
        "operator": field_value(nasty_text),
        "tenant": field_value(nasty_text),
        "province": field_value(st.sampled_from(["Xinjiang", "Qinghai", "Gansu"])),
        "prefecture": field_value(nasty_text),
        "status": field_value(st.sampled_from(STATUSES)),
        "confidence": field_value(st.sampled_from(CONFIDENCES)),
        "hardware": field_value(st.lists(hardware_line, max_size=3)),
        "sources": field_value(st.lists(source, max_size=2)),
        "chips": field_value(st.integers(0, 10**8)),
        "power_mw": field_value(st.floats(allow_nan=True, allow_infinity=True)),
        "notes": field_value(nasty_text),
        "updated_at": field_value(st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-01"])),
        "part_of": field_value(ids),
        "supersedes": field_value(ids),
    },
)

coordinates = st.one_of(
    st.tuples(st.floats(70, 105), st.floats(30, 50)).map(list),
    st.lists(scalars, max_size=4),
    json_values,
)

point_geometry = st.one_of(
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": coordinates}),
    json_values,
)

site_feature = st.one_of(
    st.fixed_dictionaries(
        {
            "type": field_value(st.just("Feature")),
            "geometry": point_geometry,
            "properties": field_value(site_properties),
        },
        optional={"id": ids},
    ),
    json_values,
)

sites_document = st.one_of(
    st.fixed_dictionaries(
        {
            "type": field_value(st.just("FeatureCollection")),
            "features": field_value(st.lists(site_feature, max_size=5)),
        },
        optional={"metadata": json_values},
    ),
    json_values,
)

ring = st.lists(
    st.one_of(st.tuples(st.floats(-200, 200), st.floats(-100, 100)).map(list), scalars),
    max_size=7,
)
region_geometry = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Polygon"), "coordinates": st.lists(ring, min_size=1, max_size=2)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("MultiPolygon"),
            "coordinates": st.lists(st.lists(ring, min_size=1, max_size=2), max_size=2),
        }
    ),
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": coordinates}),
    json_values,
)
region_feature = st.one_of(
    st.fixed_dictionaries(
        {
            "type": field_value(st.just("Feature")),
            "geometry": region_geometry,
            "properties": field_value(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": field_value(nasty_text),
                        "radius_m": field_value(st.floats(0, 3e7)),
                        "kind": field_value(st.sampled_from(["rectangle", "polygon"])),
                    },
                )
            ),
        }
    ),
    json_values,
)
regions_document = st.one_of(
    st.fixed_dictionaries(
        {
            "type": field_value(st.just("FeatureCollection")),
            "features": field_value(st.lists(region_feature, max_size=4)),
        }
    ),
    region_feature,
    region_geometry,
)


def csv_cell() -> st.SearchStrategy[str]:
    return st.one_of(
        nasty_text,
        st.integers(-(10**9), 10**9).map(str),
        st.floats(allow_nan=True).map(repr),
        st.sampled_from(['[{"chip_model": "H100", "chips": 8}]', "[", "H100", "90", "40"]),
    )


CSV_HEADERS = (
    "id",
    "name",
    "lon",
    "lat",
    "hardware",
    "sources",
    "chip_model",
    "chips",
    "status",
    "notes",
    "power_mw",
    "line_status",
    "online",
    "",
    "extra column",
)

#: A header: usually the required columns (in any order) and some others, sometimes
#: anything at all.
csv_header = st.one_of(
    st.tuples(
        st.permutations(["id", "name", "lon", "lat"]),
        st.lists(st.sampled_from(CSV_HEADERS), max_size=5),
    ).map(lambda t: [*t[0], *t[1]]),
    st.lists(st.sampled_from(CSV_HEADERS), max_size=8),
)


def _csv_row(width: int) -> st.SearchStrategy[list[str]]:
    # Mostly as wide as the header (a good start for a valid row), sometimes not.
    plausible = st.tuples(
        ids,
        nasty_text,
        st.floats(70, 105).map(repr),
        st.floats(30, 50).map(repr),
    ).map(list)
    rest = st.lists(csv_cell(), min_size=max(width - 4, 0), max_size=max(width - 4, 0))
    return st.one_of(
        st.tuples(plausible, rest).map(lambda t: [*t[0], *t[1]]),
        st.lists(csv_cell(), max_size=width + 2),
    )


csv_table = csv_header.flatmap(
    lambda header: st.tuples(st.just(header), st.lists(_csv_row(len(header)), max_size=5))
)
