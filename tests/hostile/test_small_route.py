"""The two ways a sites file's records are checked give the same result (issue 10).

A small file is checked record by record (:func:`~explorer.io.record_check.check_records`,
no Arrow); a large one column by column (:func:`~explorer.io.column_check.check_sites`).
Which one runs depends only on the number of records, so the same file must give the
same sites, problems (wording, order, values) and metadata either way. Each case here is
read through :func:`~explorer.io.formats.read_site_columns` twice, with the threshold set
so that each route runs, on hostile documents (:mod:`tests.hostile.strategies`) and on
mostly valid files with a few values broken (so that the column checks' bulk path runs
too, not only their per-record fallback).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError
from explorer.io import record_check
from explorer.io.formats import read_site_columns, site_to_feature, write_sites
from tests.hostile import strategies as hs
from tests.web.synthetic import synthetic_sites

CAT = ChipCatalogue.bundled()
SYNTHETIC = synthetic_sites(24)
FEATURES = [site_to_feature(s) for s in SYNTHETIC]
PROPERTY_KEYS = (
    "id",
    "name",
    "operator",
    "province",
    "status",
    "confidence",
    "chips",
    "power_mw",
    "notes",
    "updated_at",
    "part_of",
    "supersedes",
    "sources",
    "hardware",
)
LINE_KEYS = ("chip_model", "chips", "servers", "phase", "status", "online", "chips_low")


def read_by(route: str, path: Path, kind: str) -> tuple[Any, ...]:
    """What reading ``path`` gives when its records are checked the ``route`` way."""
    limit = 10**9 if route == "record" else -1
    spy = patch.object(record_check, "check_records", wraps=record_check.check_records)
    with patch.object(record_check, "SMALL_FILE_RECORDS", limit), spy as called:
        try:
            read = read_site_columns(path, kind, CAT)
        except DataFileError as exc:
            return ("refused", str(exc))
    # The route asked for is the one that ran.
    assert called.called == (route == "record")
    problems = [(p.field, repr(p.value), p.message, p.where) for p in read.problems]
    return repr(read.metadata), problems, read.columns.sites()


def assert_same(path: Path, kind: str) -> tuple[Any, ...]:
    by_record = read_by("record", path, kind)
    by_column = read_by("column", path, kind)
    assert by_record[0] == by_column[0], "metadata (or the refusal) differs"
    assert by_record[1:2] == by_column[1:2], "problems differ"
    assert by_record == by_column, "sites differ"
    return by_record


def write_json(path: Path, doc: Any) -> Path:
    # ASCII escapes, as the other hostile tests write: a lone surrogate reaches the
    # reader as ``\udc80`` text (UTF-8 cannot hold one).
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    return path


@st.composite
def mostly_valid(draw: st.DrawFn) -> dict[str, Any]:
    """Synthetic features (valid), a few of them broken: a field set to a hostile value,
    an id repeated, a line's value changed, or the record in the flat schema."""
    n = draw(st.integers(1, len(FEATURES)))
    feats = copy.deepcopy(FEATURES[:n])
    for _ in range(draw(st.integers(0, 4))):
        props = feats[draw(st.integers(0, n - 1))]["properties"]
        change = draw(st.sampled_from(["field", "duplicate", "line", "flat", "reference"]))
        if change == "field":
            props[draw(st.sampled_from(PROPERTY_KEYS))] = draw(
                st.one_of(hs.json_values, hs.nasty_text)
            )
        elif change == "duplicate":
            other = feats[draw(st.integers(0, n - 1))]["properties"].get("id")
            props["id"] = draw(st.sampled_from([other, f" {other} ", str(other).upper()]))
        elif change == "line" and isinstance(props.get("hardware"), list) and props["hardware"]:
            line = props["hardware"][0]
            line[draw(st.sampled_from(LINE_KEYS))] = draw(
                st.one_of(hs.json_values, st.integers(-5, 30_000_000), hs.nasty_text)
            )
        elif change == "flat" and isinstance(props.get("hardware"), list) and props["hardware"]:
            line = props.pop("hardware")[0]
            props["chip_model"] = line.get("chip_model")
            props["chips"] = draw(st.one_of(st.just(line.get("chips")), hs.json_values))
            if "online" in line:
                props["online"] = line["online"]
        elif change == "reference":
            target = feats[draw(st.integers(0, n - 1))]["properties"].get("id")
            props[draw(st.sampled_from(["part_of", "supersedes"]))] = target
    return {"type": "FeatureCollection", "metadata": {"title": "t"}, "features": feats}


@given(doc=hs.sites_document)
def test_hostile_geojson_reads_the_same_either_way(tmp_path: Path, doc: Any) -> None:
    assert_same(write_json(tmp_path / "sites.geojson", doc), "geojson")


@given(doc=mostly_valid())
def test_mostly_valid_geojson_reads_the_same_either_way(tmp_path: Path, doc: Any) -> None:
    assert_same(write_json(tmp_path / "sites.geojson", doc), "geojson")


@given(table=hs.csv_table)
def test_hostile_csv_reads_the_same_either_way(
    tmp_path: Path, table: tuple[list[str], list[list[str]]]
) -> None:
    header, rows = table
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([header, *rows])
    path = tmp_path / "sites.csv"
    # A lone surrogate is written as the stray byte another tool would leave (0x80...).
    path.write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))
    assert_same(path, "csv")


@given(
    cuts=st.lists(
        st.tuples(st.integers(1, len(SYNTHETIC)), st.integers(0, 17), hs.csv_cell()), max_size=4
    )
)
def test_mostly_valid_csv_reads_the_same_either_way(
    tmp_path: Path, cuts: list[tuple[int, int, str]]
) -> None:
    path = tmp_path / "sites.csv"
    write_sites(path, SYNTHETIC)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    for row, col, cell in cuts:
        rows[row][col] = cell
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    assert_same(path, "csv")


def _features(*props: dict[str, Any], point: Any = None) -> dict[str, Any]:
    geometry = point if point is not None else {"type": "Point", "coordinates": [87.6, 43.8]}
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": geometry, "properties": p} for p in props],
    }


_LINE = [{"chip_model": "H100", "chips": 8}]


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(_features({"id": "a", "name": "A", "hardware": _LINE}), id="one valid"),
        pytest.param(
            _features(
                {"id": "a", "name": "A", "hardware": _LINE},
                {"id": " a ", "name": "B"},
                {"id": "a", "name": ""},
            ),
            id="duplicates, one of them invalid too",
        ),
        pytest.param(
            _features({"id": 7, "name": "A"}, {"id": "7", "name": "B"}), id="number id repeated"
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "chip_model": "H100", "chips": "12.5"}),
            id="flat schema, bad count",
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "hardware": _LINE, "chips": 9}),
            id="total that is not the lines' sum",
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "hardware": json.dumps(_LINE)}),
            id="hardware as JSON text",
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "sources": "[not json"}), id="sources bad text"
        ),
        pytest.param(
            _features({"id": "a", "name": "A"}, point={"type": "LineString", "coordinates": []}),
            id="not a point",
        ),
        pytest.param(
            {"type": "FeatureCollection", "features": [3, {"type": "Feature"}, None]},
            id="features that are not objects",
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "part_of": "a"}, {"id": "b", "supersedes": "a"}),
            id="references, one to itself",
        ),
        pytest.param(
            # Crashed the column checks (pyarrow OverflowError) before arrow_values caught it.
            _features({"id": "a", "name": "A", "hardware": _LINE, "chips": [2**63]}),
            id="total beyond 64 bits in a list",
        ),
        pytest.param(
            _features({"id": "a", "name": "A", "hardware": _LINE, "chips": 2**64 - 1}),
            id="total at the top of uint64",
        ),
        pytest.param({"type": "FeatureCollection", "features": []}, id="no features"),
        pytest.param({"type": "FeatureCollection", "features": {}}, id="features not a list"),
    ],
)
def test_hand_made_cases_read_the_same_either_way(tmp_path: Path, doc: Any) -> None:
    assert_same(write_json(tmp_path / "sites.geojson", doc), "geojson")


def test_the_synthetic_file_reads_the_same_either_way_and_keeps_every_site(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sites.geojson"
    write_sites(path, SYNTHETIC, {"title": "synthetic"})
    metadata, problems, sites = assert_same(path, "geojson")
    assert problems == []
    assert sites == SYNTHETIC
    assert metadata == repr({"title": "synthetic"})
