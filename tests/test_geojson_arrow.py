"""A large sites GeoJSON read through Arrow's JSON parser reads exactly as the general
route reads it: the same sites, the same problems worded the same way; and the route
steps aside whenever it could not promise that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from explorer.io import geojson_arrow
from explorer.io.formats import read_sites
from explorer.io.geojson_read import read_geojson_raw
from explorer.io.record_check import SMALL_FILE_RECORDS

N = SMALL_FILE_RECORDS + 1_500  # above the small-file route, over a megabyte written out


def _feature(i: int) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": f"s{i:05d}",
        "name": f"Site {i} — 数据中心" if i % 7 else f'Site "{i}"',
        "operator": ["Op A", "Op B", ""][i % 3],
        "status": ["planned", "operational", "under construction"][i % 3],
        "confidence": "illustrative",
        "chip_model": ["H100", "H200", "H20"][i % 3],
        # Whole numbers and fractions in one column: Arrow reads them all as floats.
        "chips": 8 * (i % 50) + 8,
        "power_mw": 12 if i % 2 else 7.5,
        "notes": "line one\nline two" if i % 11 == 0 else "",
        "extra_field": {"nested": [1, 2]},  # not a site attribute: skipped
    }
    if i % 13 == 0:
        props["part_of"] = "s00000" if i else ""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [75 + (i % 250) / 10, 35 + (i % 120) / 10]},
    }


def _write(path: Path, features: list[dict[str, Any]], *, indent: int | None = None) -> Path:
    doc = {"type": "FeatureCollection", "metadata": {"title": "big"}, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=indent), encoding="utf-8")
    return path


def _both(path: Path) -> tuple[Any, Any]:
    """(the read as the app does it, the general route's read) of ``path``."""
    fast = read_sites(path, strict=False)
    data = path.read_bytes()
    raw, _, _ = read_geojson_raw(path, data, arrow=False)
    assert not raw.approximate_words
    from explorer.core.chips import ChipCatalogue
    from explorer.io.record_check import check_raw

    columns, problems = check_raw(raw, ChipCatalogue.bundled())
    return fast, (columns, problems)


def _sites(columns: Any) -> list[Any]:
    return list(columns.iter_sites())


def test_a_large_plain_file_takes_the_arrow_route(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.geojson", [_feature(i) for i in range(N)])
    assert path.stat().st_size >= geojson_arrow.MIN_BYTES
    data = path.read_bytes()
    assert geojson_arrow.read_with_arrow(str(path), data) is not None
    fast, (columns, problems) = _both(path)
    assert not fast.problems and not problems
    assert _sites(fast.columns) == _sites(columns)
    assert fast.metadata == {"title": "big"}


def test_nested_hardware_lines_and_empty_source_lists(tmp_path: Path) -> None:
    features = [_feature(i) for i in range(N)]
    for i, f in enumerate(features):
        props = f["properties"]
        model = props.pop("chip_model")
        chips = props.pop("chips")
        props["hardware"] = [
            {"chip_model": model, "chips": chips, "status": "approved", "online": "2026"},
            {"chip_model": "H20", "chips": 8, "chips_low": 0, "chips_high": 16, "phase": "II"},
        ][: 1 + i % 2]
        props["sources"] = []
    read = geojson_arrow.read_with_arrow(
        str(tmp_path), _write(tmp_path / "n.geojson", features).read_bytes()
    )
    assert read is not None
    fast, (columns, problems) = _both(tmp_path / "n.geojson")
    assert not fast.problems and not problems
    sites = _sites(fast.columns)
    assert sites == _sites(columns)
    assert [len(s.hardware) for s in sites[:4]] == [1, 2, 1, 2]
    assert sites[1].hardware[1].chips_high == 16 and sites[0].sources == ()


def test_pretty_printed_null_properties_and_feature_ids(tmp_path: Path) -> None:
    from explorer.core.chips import ChipCatalogue
    from explorer.io.column_check import check_sites

    features = [_feature(i) for i in range(N)]
    features[5]["properties"] = None  # no attributes at all: refused, for want of an id
    features[6]["id"] = "from-feature"  # the feature's id fills a missing one
    del features[6]["properties"]["id"]
    features[7]["id"] = "not-used"  # the properties' id wins
    path = _write(tmp_path / "pretty.geojson", features, indent=2)
    read = geojson_arrow.read_with_arrow(str(path), path.read_bytes())
    assert read is not None  # line breaks inside the objects are only whitespace
    # The Arrow route's own reading, before any read again for the problem.
    columns, problems = check_sites(read[0], ChipCatalogue.bundled())
    _, (general, general_problems) = _both(path)
    assert [str(p) for p in problems] == [str(p) for p in general_problems]
    assert {p.where for p in problems} == {"feature 6"}
    assert _sites(columns) == _sites(general)
    ids = list(columns.ids)
    assert "from-feature" in ids and "not-used" not in ids and "s00007" in ids


def test_problems_are_worded_from_the_files_own_numbers(tmp_path: Path) -> None:
    features = [_feature(i) for i in range(N)]
    features[10]["properties"]["chips"] = -16  # an integer in a column Arrow makes float
    features[11]["geometry"]["coordinates"] = [500, 40]
    path = _write(tmp_path / "bad.geojson", features)
    fast, (columns, problems) = _both(path)
    words = [str(p) for p in fast.problems]
    assert words == [str(p) for p in problems]
    assert any("got '-16'" in w for w in words), words
    assert any("got '500'" in w for w in words), words
    assert _sites(fast.columns) == _sites(columns)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: f[9]["properties"].update(chips="1472"), id="number-and-text"),
        pytest.param(lambda f: f[9]["properties"].update(name=12.5), id="text-given-as-float"),
        pytest.param(lambda f: f[9].update(geometry=None), id="missing-geometry"),
        pytest.param(lambda f: f[9].pop("geometry"), id="no-geometry-member"),
        pytest.param(lambda f: f[9]["geometry"].update(coordinates=[75]), id="one-coordinate"),
        pytest.param(
            lambda f: f[9]["geometry"].update(coordinates=["75", 35]), id="text-coordinate"
        ),
        pytest.param(
            lambda f: f[9]["geometry"].update(coordinates=[True, 35]), id="boolean-coordinate"
        ),
        pytest.param(
            lambda f: f[9]["geometry"].update(coordinates=[None, 35]), id="null-coordinate"
        ),
        pytest.param(lambda f: f[9]["geometry"].pop("type"), id="geometry-without-type"),
        pytest.param(
            lambda f: f[9].update(geometry={"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
            id="not-a-point",
        ),
        pytest.param(lambda f: f[9].update(properties=[1, 2]), id="properties-not-an-object"),
        pytest.param(lambda f: f[9]["properties"].update(name="\ud800"), id="lone-surrogate"),
        pytest.param(
            lambda f: f[9]["properties"].update(hardware=[{"chip_model": "H100", "chips": 8}]),
            id="hardware-on-some-records",
        ),
        pytest.param(lambda f: f[9].update(type="Feature "), id="not-a-feature"),
        pytest.param(
            lambda f: f[9]["properties"].update(sources=[None]), id="source-not-an-object"
        ),
        pytest.param(lambda f: f.__setitem__(9, None), id="feature-null"),
        pytest.param(lambda f: f.__setitem__(9, [1, 2]), id="feature-not-an-object"),
        pytest.param(lambda f: f[9].pop("type"), id="feature-without-type"),
        pytest.param(lambda f: f[9].update(properties="text"), id="properties-text"),
    ],
)
def test_the_route_steps_aside_and_the_general_read_stands(tmp_path: Path, change: Any) -> None:
    features = [_feature(i) for i in range(N)]
    change(features)
    path = tmp_path / "odd.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": features})
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert geojson_arrow.read_with_arrow(str(path), path.read_bytes()) is None
    try:
        fast = read_sites(path, strict=False)
    except Exception as exc:  # noqa: BLE001 - compared with the general route below
        with pytest.raises(type(exc)):
            _both(path)
        return
    _, (columns, problems) = _both(path)
    assert [str(p) for p in fast.problems] == [str(p) for p in problems]
    assert _sites(fast.columns) == _sites(columns)


def test_whole_numbers_and_a_third_coordinate_are_read_as_points(tmp_path: Path) -> None:
    features = [_feature(i) for i in range(N)]
    features[3]["geometry"]["coordinates"] = [80, 40]  # JSON integers
    features[4]["geometry"]["coordinates"] = [81.5, 41.25, 1200.0]  # with an elevation
    features[5]["geometry"]["bbox"] = [81, 41, 82, 42]  # a member the reader skips
    path = _write(tmp_path / "points.geojson", features)
    assert geojson_arrow.read_with_arrow(str(path), path.read_bytes()) is not None
    fast, (columns, problems) = _both(path)
    assert fast.problems == [] and problems == []
    sites = _sites(fast.columns)
    assert sites == _sites(columns)
    assert (sites[3].lon, sites[3].lat) == (80.0, 40.0)
    assert (sites[4].lon, sites[4].lat) == (81.5, 41.25)


def test_feature_members_and_ids_the_reader_does_not_use(tmp_path: Path) -> None:
    # Members of the features (a bbox, a foreign member of one kind), a whole-number
    # feature id beside the record's own, and a feature without properties at all.
    features = [_feature(i) for i in range(N)]
    for i, f in enumerate(features):
        f["bbox"] = [1, 2, 3, 4]
        f["foreign"] = {"k": i}
    features[20]["id"] = 4242  # the record's id wins
    features[21].pop("properties")
    path = _write(tmp_path / "members.geojson", features)
    read = geojson_arrow.read_with_arrow(str(path), path.read_bytes())
    assert read is not None
    fast, (columns, problems) = _both(path)
    assert [str(p) for p in fast.problems] == [str(p) for p in problems]
    assert {p.where for p in problems} == {"feature 22"}  # counted from 1: no id
    assert _sites(fast.columns) == _sites(columns)
    ids = [str(i) for i in columns.ids]
    assert "s00020" in ids and "4242" not in ids


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: (f[9].update(id=7), f[10].update(id="x")), id="ids-mixed"),
        pytest.param(lambda f: f[9].update(id=1.5), id="id-a-fraction"),
        pytest.param(lambda f: f[9].update(id={"a": 1}), id="id-an-object"),
        pytest.param(
            lambda f: (f[9].update(foreign=1), f[10].update(foreign="x")), id="foreign-mixed"
        ),
        pytest.param(
            lambda f: (f[9].update(id=7), f[9]["properties"].update(id="")),
            id="id-filled-by-a-number",
        ),
    ],
)
def test_feature_ids_and_foreign_members_read_as_the_general_route(
    tmp_path: Path, change: Any
) -> None:
    # Whichever route reads them: feature ids of any kind (used only where the record
    # has none) and foreign members of mixed kinds (never used).
    features = [_feature(i) for i in range(N)]
    change(features)
    path = _write(tmp_path / "ids.geojson", features)
    fast, (columns, problems) = _both(path)
    assert [str(p) for p in fast.problems] == [str(p) for p in problems]
    assert _sites(fast.columns) == _sites(columns)


def test_a_key_twice_in_a_feature_steps_aside(tmp_path: Path) -> None:
    features = [_feature(i) for i in range(N)]
    text = json.dumps({"type": "FeatureCollection", "features": features})
    twice = text.replace('"name": "Site 9 ', '"name": "first", "name": "Site 9 ', 1)
    assert twice != text
    path = tmp_path / "twice.geojson"
    path.write_text(twice, encoding="utf-8")
    assert geojson_arrow.read_with_arrow(str(path), path.read_bytes()) is None


def test_a_small_file_never_takes_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "small.geojson", [_feature(i) for i in range(50)])
    assert geojson_arrow.read_with_arrow(str(path), path.read_bytes()) is None


def test_indented_compact_and_line_per_feature_files_read_alike(tmp_path: Path) -> None:
    """An indented file has its layout taken out before parsing; the values, spaces,
    tabs and escapes inside strings included, read exactly as in the other layouts."""
    features = [_feature(i) for i in range(N)]
    for i, f in enumerate(features[:40]):
        f["properties"]["notes"] = f"  two  spaces\tand a tab, \\ a slash / {i}  "
        f["properties"]["name"] = f" Site\u00a0{i} \u2028 "
    doc = {"type": "FeatureCollection", "metadata": {"title": "big"}, "features": features}
    layouts = {
        "indented": json.dumps(doc, ensure_ascii=False, indent=4),
        "escaped": json.dumps(doc, ensure_ascii=True, indent="\t"),
        "compact": json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
        "line per feature": json.dumps({**doc, "features": []}).replace(
            '"features": []',
            '"features": [\n' + ",\n".join(json.dumps(f) for f in features) + "\n]",
        ),
        # A feature a line, but some broken over two lines between tokens (LF, CRLF).
        "some features over two lines": json.dumps({**doc, "features": []}).replace(
            '"features": []',
            '"features": [\n'
            + ",\n".join(
                json.dumps(f).replace('"geometry"', ["\n", "\r\n", ""][i % 3] + '"geometry"')
                for i, f in enumerate(features)
            )
            + "\n]",
        ),
    }
    read = {}
    for name, text in layouts.items():
        path = tmp_path / f"{name}.geojson"
        path.write_text(text, encoding="utf-8")
        data = path.read_bytes()
        assert geojson_arrow._mostly_layout(data) == (name in ("indented", "escaped")), name
        assert geojson_arrow.read_with_arrow(str(path), data) is not None, name
        fast, (columns, problems) = _both(path)
        assert [str(p) for p in fast.problems] == [str(p) for p in problems], name
        assert _sites(fast.columns) == _sites(columns), name
        read[name] = _sites(fast.columns)
    assert read["indented"] == read["escaped"] == read["compact"] == read["line per feature"]
    assert read["some features over two lines"] == read["compact"]
    assert read["compact"][0].notes == "  two  spaces\tand a tab, \\ a slash / 0  "


def test_the_arrow_route_imports_no_pandas(tmp_path: Path) -> None:
    """Arrow imports pandas (a fifth of a second) when handed a Python value to convert;
    the route hands it none, so reading a large file leaves pandas unloaded."""
    import subprocess
    import sys

    path = _write(tmp_path / "big.geojson", [_feature(i) for i in range(N)], indent=1)
    probe = (
        "import sys\n"
        "from explorer.io import geojson_arrow\n"
        "from explorer.io.formats import read_sites\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "assert geojson_arrow.read_with_arrow(sys.argv[1], data) is not None\n"
        "read = read_sites(sys.argv[1], strict=False)\n"
        "print(len(read.columns), len(read.problems), 'pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
    )
    # Every record read, no problem, and pandas never loaded.
    assert done.stdout.split() == [str(N), "0", "False"]


def test_building_one_site_converts_no_column_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view shows a site built from the Arrow columns value by value: equal to the
    general route's, and no text column becomes a list of Python strings for it."""
    from explorer.io import arrow_values

    path = _write(tmp_path / "big.geojson", [_feature(i) for i in range(N)])
    fast, (columns, _) = _both(path)
    general = _sites(columns)
    whole: list[int] = []
    real = arrow_values.to_objects
    monkeypatch.setattr(arrow_values, "to_objects", lambda arr: whole.append(1) or real(arr))
    for i in (0, 1, 11, 13, N - 1):
        assert fast.columns.site(i) == general[i]
    assert whole == []
