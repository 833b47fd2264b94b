"""A large file is read into a numpy buffer (huge pages) instead of ``bytes``: every
reader takes that buffer and reads exactly what it reads from the file's bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from explorer.core.errors import DataFileError
from explorer.io import formats
from explorer.io.formats import read_sites
from explorer.io.record_check import SMALL_FILE_RECORDS

N = SMALL_FILE_RECORDS + 600  # takes the Arrow route: over a megabyte


def _feature(i: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "id": f"s{i:05d}",
            "name": f"Site {i} — 数据中心",
            "status": "planned",
            "chip_model": "H100",
            "chips": 8 * (i % 40) + 8,
            "confidence": "illustrative",
        },
        "geometry": {"type": "Point", "coordinates": [80 + (i % 100) / 10, 40.5]},
    }


def _read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(the read with every file read into a buffer, the read from ``bytes``)."""
    with monkeypatch.context() as m:
        m.setattr(formats, "LARGE_FILE_BYTES", 1)
        assert isinstance(formats._read_bytes(path), memoryview)
        buffered = read_sites(path, strict=False)
    assert isinstance(formats._read_bytes(path), bytes)  # below the real threshold
    return buffered, read_sites(path, strict=False)


def _same(a: Any, b: Any) -> None:
    assert [str(p) for p in a.problems] == [str(p) for p in b.problems]
    assert list(a.columns.iter_sites()) == list(b.columns.iter_sites())
    assert a.metadata == b.metadata


def test_a_large_file_is_a_read_only_view_of_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.bin"
    data = bytes(range(256)) * 4001
    path.write_bytes(data)
    monkeypatch.setattr(formats, "LARGE_FILE_BYTES", 1000)
    read = formats._read_bytes(path)
    assert isinstance(read, memoryview) and read.readonly
    assert bytes(read) == data
    with pytest.raises(TypeError):
        read[0] = 1  # type: ignore[index]
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert formats._read_bytes(empty) == b""
    with pytest.raises(DataFileError, match="no such file"):
        formats._read_bytes(tmp_path / "missing.geojson")
    with pytest.raises(DataFileError, match="is a directory"):
        formats._read_bytes(tmp_path)


def test_the_arrow_route_reads_a_buffer_as_it_reads_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    features = [_feature(i) for i in range(N)]
    features[7]["properties"]["chips"] = -8  # a problem: read again the general way
    doc = {"type": "FeatureCollection", "metadata": {"title": "t"}, "features": features}
    for name, text in {
        "compact": json.dumps(doc, ensure_ascii=False),
        "indented": json.dumps(doc, ensure_ascii=False, indent=2),
    }.items():
        path = tmp_path / f"{name}.geojson"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # with a byte-order mark
        buffered, plain = _read_both(path, monkeypatch)
        assert {p.where for p in plain.problems} == {"feature 8 (s00007)"}, name
        _same(buffered, plain)


def test_the_general_route_and_csv_read_a_buffer_as_they_read_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    features = [_feature(i) for i in range(N)]
    features[3]["geometry"] = None  # the Arrow route steps aside
    path = tmp_path / "general.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    _same(*_read_both(path, monkeypatch))
    csv = tmp_path / "sites.csv"
    rows = ["id,name,lon,lat,chip_model,chips"]
    rows += [f"c{i},Site {i} — 站点,{80 + i / 1000},41,H100,{8 * i + 8}" for i in range(N)]
    csv.write_bytes(b"\xef\xbb\xbf" + "\n".join(rows).encode())
    _same(*_read_both(csv, monkeypatch))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,name,lon,lat\nx,\xff,1,2\n")
    with monkeypatch.context() as m:
        m.setattr(formats, "LARGE_FILE_BYTES", 1)
        with pytest.raises(DataFileError, match="not UTF-8 text .* offset 18"):
            read_sites(bad)
