"""The built map page is kept between runs and built again when any input changes.

No Qt: the page builder and its disk cache. "Built" is observed by counting calls of
the folium renderer (``page._render_map_html``); the page itself is compared as text.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.web import page
from explorer.web.page import BASEMAP_DIR, build_map_html
from explorer.web.page_cache import MAX_PAGES, page_key, read_page, write_page


@pytest.fixture
def basemap(tmp_path: Path) -> Path:
    """A copy of the bundled basemap (so a test may edit it); a tiny one if unbuilt."""
    target = tmp_path / "basemap"
    if (BASEMAP_DIR / "countries.geojson").is_file():
        shutil.copytree(BASEMAP_DIR, target)
    else:
        target.mkdir()
        square = [[[80.0, 40.0], [90.0, 40.0], [90.0, 45.0], [80.0, 45.0], [80.0, 40.0]]]
        feature = {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": square},
            "properties": {"name": "Testland", "iso_a3": "TST"},
        }
        (target / "countries.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
        )
    return target


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Every call of the folium renderer, in order (the renderer still runs)."""
    calls: list[tuple[Any, ...]] = []
    real = page._render_map_html

    def counted(*args: Any) -> str:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(page, "_render_map_html", counted)
    page._cached_map_html.cache_clear()  # this process's copy; the disk is what is tested
    yield calls
    page._cached_map_html.cache_clear()


def _fresh_build(basemap: Path, cache: Path) -> str:
    """A build as a new process would do it (nothing remembered in memory)."""
    page._cached_map_html.cache_clear()
    return build_map_html(basemap_dir=basemap, cache_dir=cache)


def test_a_second_start_reads_the_page_folium_built(
    basemap: Path, tmp_path: Path, renders: list[tuple[Any, ...]]
) -> None:
    cache = tmp_path / "cache"
    first = _fresh_build(basemap, cache)
    assert len(renders) == 1
    assert len(list(cache.glob("*.html"))) == 1
    second = _fresh_build(basemap, cache)
    assert len(renders) == 1, "the page was rendered again although nothing changed"
    assert second == first


def _edit_basemap(basemap: Path, _monkeypatch: pytest.MonkeyPatch) -> str:
    path = basemap / "towns.geojson"  # town names are drawn, so they are in the page
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name"] = "Renamed-For-The-Test"
    path.write_text(json.dumps(data), encoding="utf-8")
    return "Renamed-For-The-Test"


def _remove_layer(basemap: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    (basemap / "countries.geojson").unlink()


def _change_config(_basemap: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    real = page.page_config
    monkeypatch.setattr(page, "page_config", lambda: {**real(), "testKey": "config-changed"})
    return "config-changed"


def _change_library(_basemap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = page._library_stamp
    monkeypatch.setattr(
        page, "_library_stamp", lambda name: real(name) + (b"9.9" if name == "folium" else b"")
    )


def _change_our_js(basemap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = basemap.parent / "map-resources"
    shutil.copytree(page.MAP_RESOURCES, resources)
    with (resources / "sites.js").open("a", encoding="utf-8") as fh:
        fh.write("\n// changed for the test\n")
    monkeypatch.setattr(page, "MAP_RESOURCES", resources)


def _change_view(_basemap: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    return None  # the build below asks for another zoom


CHANGES: dict[str, Callable[[Path, pytest.MonkeyPatch], str | None]] = {
    "basemap file edited": _edit_basemap,
    "basemap layer removed": _remove_layer,
    "page configuration": _change_config,
    "folium version": _change_library,
    "our JS": _change_our_js,
    "initial view": _change_view,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_page_is_built_again_when_an_input_changes(
    change: str,
    basemap: Path,
    tmp_path: Path,
    renders: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    before = _fresh_build(basemap, cache)
    shown = CHANGES[change](basemap, monkeypatch)
    page._cached_map_html.cache_clear()
    zoom = 7 if change == "initial view" else page.DEFAULT_ZOOM
    after = build_map_html(basemap_dir=basemap, cache_dir=cache, zoom=zoom)
    assert len(renders) == 2, f"{change}: the cached page was used although an input changed"
    if shown is not None:  # the change is visible in the page that is now used
        assert shown not in before and shown in after
    # Each set of inputs has its own page; asking for the first again reads it back.
    assert len(list(cache.glob("*.html"))) == 2
    monkeypatch.undo()
    if change not in ("basemap file edited", "basemap layer removed"):
        assert _fresh_build(basemap, cache) == before
        assert len(renders) == 2


def test_a_cache_that_cannot_be_written_only_costs_the_build(
    basemap: Path, tmp_path: Path, renders: list[tuple[Any, ...]], caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="explorer.web.page_cache"):
        html = _fresh_build(basemap, blocked / "cache")
    assert "<html>" in html.lower() or "<!doctype html>" in html.lower()
    assert len(renders) == 1
    assert any("cannot write" in r.getMessage() for r in caplog.records)


def test_keys_name_their_parts_and_old_pages_are_pruned(tmp_path: Path) -> None:
    assert page_key([("a", b"bc")]) != page_key([("ab", b"c")])
    assert page_key([("a", b"1"), ("b", b"")]) != page_key([("a", b"1")])
    keys = [page_key([("n", str(i).encode())]) for i in range(MAX_PAGES + 2)]
    for i, key in enumerate(keys):
        write_page(tmp_path, key, f"page {i}")
    kept = sorted(p.stem for p in tmp_path.glob("*.html"))
    assert len(kept) == MAX_PAGES and keys[-1] in kept
    assert read_page(tmp_path, keys[-1]) == f"page {len(keys) - 1}"
    assert read_page(tmp_path, "0" * 64) is None
