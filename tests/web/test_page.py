"""The page builder: no Qt needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explorer.web.page import (
    ATTRIBUTION,
    BASEMAP_LAYERS,
    OSM_TILE_ORIGIN,
    PROVINCE_NOTE,
    QWEBCHANNEL_URL,
    build_map_html,
    inline_script,
    load_basemap_layer,
    page_assets,
    write_map_page,
)
from tests.web.conftest import expected_basemap_keys

SRC_OR_HREF = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')


def test_page_references_local_assets_only(basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir)
    refs = SRC_OR_HREF.findall(html)
    # Leaflet and our scripts are in the page itself; Qt's bridge and the stylesheets
    # (which name Leaflet's images by relative URL) are loaded.
    assert refs == [QWEBCHANNEL_URL, "leaflet/leaflet.css", "map/map.css"]
    assets = page_assets()
    inlined = [
        "leaflet/leaflet.js",
        "map/basemap.js",
        "map/sitedata.js",
        "map/aggregate.js",
        "map/sitecanvas.js",
        "map/sites.js",
        "map/draw.js",
        "map/regions.js",
        "map/boundary.js",
    ]
    at = [html.index(inline_script(assets[rel])) for rel in inlined]
    assert at == sorted(at), "the scripts are in the page in their load order"
    assert html.index(QWEBCHANNEL_URL) < at[1]  # the bridge before our scripts use it
    for cdn in ("jquery", "bootstrap", "awesome", "cdn."):
        assert cdn not in html.lower()


def test_an_inlined_script_cannot_close_its_element(tmp_path: Path) -> None:
    js = tmp_path / "x.js"
    js.write_text('var s = "</script><img src=x onerror=alert(1)>"; // </SCRIPT>\n')
    element = inline_script(js)
    assert element.count("</script>") == 1 and element.endswith("</script>")
    assert "</SCRIPT>" not in element and "<\\/SCRIPT>" in element


def test_page_scripts_are_limited_by_a_content_security_policy(basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir)
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert match is not None
    directives = dict(d.strip().split(" ", 1) for d in match.group(1).split(";"))
    script_src = directives["script-src"].split()
    # Qt's resources and the page's own inline scripts by hash: no 'unsafe-inline' (so
    # no inline event handlers), no script from a file and no remote origin.
    assert script_src[0] == "qrc:"
    assert all(s.startswith("'sha256-") for s in script_src[1:])
    assert len(script_src[1:]) == html.count("<script>")
    assert directives["object-src"] == "'none'"
    # The CSP must come before any script.
    assert html.index("Content-Security-Policy") < html.index("<script")


def test_online_tiles_are_offered_only_when_asked(basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir, online_tiles=True)
    assert "tile.openstreetmap.org" in html
    assert html.count(OSM_TILE_ORIGIN) == 1  # only as the tile layer's URL
    assert "OpenStreetMap (online)" in html
    assert "tile.openstreetmap.org" not in build_map_html(basemap_dir=basemap_dir)


def test_attribution_and_province_note_are_in_the_page(basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir)
    assert json.dumps(ATTRIBUTION) in html  # passed to the page as JSON, not as markup
    assert PROVINCE_NOTE in html


def page_basemap(html: str) -> list[dict[str, object]]:
    """The layers the page's ``CSE.setupBasemap`` call is given, parsed back."""
    at = html.index('"layers": ', html.index("CSE.setupBasemap(")) + len('"layers": ')
    text, _ = json.JSONDecoder().raw_decode(html, at)  # a JSON string holding JSON
    layers: list[dict[str, object]] = json.loads(text)
    return layers


def test_missing_basemap_is_tolerated(tmp_path: Path) -> None:
    html = build_map_html(basemap_dir=tmp_path / "nowhere")
    assert page_basemap(html) == []
    assert PROVINCE_NOTE not in html  # no provinces, no note about them
    assert "CSE.start(" in html


def test_each_basemap_file_becomes_a_layer(basemap_dir: Path) -> None:
    layers = page_basemap(build_map_html(basemap_dir=basemap_dir))
    keys = expected_basemap_keys(basemap_dir)
    # In the layer switcher's order, each with its label and every usable feature.
    order = [layer.key for layer in BASEMAP_LAYERS if layer.key in keys]
    assert [entry["key"] for entry in layers] == order
    by_key = {layer.key: layer for layer in BASEMAP_LAYERS}
    for entry in layers:
        spec = by_key[str(entry["key"])]
        assert entry["label"] == spec.label and entry["draw"] == spec.draw
        collection = load_basemap_layer(basemap_dir, spec)
        assert collection is not None
        if spec.draw == "polygons":
            assert isinstance(entry["features"], list)
            assert len(entry["features"]) == len(collection["features"])
        else:
            assert isinstance(entry["columns"], dict)
            assert entry["columns"]["name"] == [
                f["properties"].get("name") for f in collection["features"]
            ]


def test_focus_provinces_take_the_focus_style(basemap_dir: Path) -> None:
    collection = load_basemap_layer(
        basemap_dir, next(x for x in BASEMAP_LAYERS if x.key == "provinces")
    )
    if collection is None:
        pytest.skip("no provinces layer in this basemap")
    layers = {e["key"]: e for e in page_basemap(build_map_html(basemap_dir=basemap_dir))}
    provinces = layers["provinces"]
    styles = [f["style"] for f in provinces["features"]]
    focus = [f["properties"].get("focus") is True for f in collection["features"]]
    assert styles == ["focus" if x else "default" for x in focus]
    assert provinces["styles"]["focus"]["weight"] > provinces["styles"]["default"]["weight"]


def test_basemap_loader_trims_properties_and_skips_bad_features(tmp_path: Path) -> None:
    layer = next(lay for lay in BASEMAP_LAYERS if lay.key == "towns")
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "Korla",
                    "min_zoom": 6,
                    "secret": "drop me",
                    "population": 1,
                },
                "geometry": {"type": "Point", "coordinates": [86.1, 41.7]},
            },
            {
                "type": "Feature",
                "properties": {"name": "bad"},
                "geometry": {"type": "Point", "coordinates": [None, 1]},
            },
            {
                "type": "Feature",
                "properties": {"name": "poly"},
                "geometry": {"type": "Polygon", "coordinates": []},
            },
        ],
    }
    (tmp_path / layer.filename).write_text(json.dumps(fc), encoding="utf-8")
    data = load_basemap_layer(tmp_path, layer)
    assert data is not None
    assert [f["properties"] for f in data["features"]] == [
        {"name": "Korla", "min_zoom": 6, "population": 1}
    ]


def test_basemap_loader_skips_unreadable_files(tmp_path: Path) -> None:
    layer = BASEMAP_LAYERS[0]
    (tmp_path / layer.filename).write_text("{not json", encoding="utf-8")
    assert load_basemap_layer(tmp_path, layer) is None
    assert load_basemap_layer(tmp_path / "missing", layer) is None


def test_user_text_cannot_break_out_of_the_page_script(tmp_path: Path) -> None:
    layer = next(lay for lay in BASEMAP_LAYERS if lay.key == "physical_labels")
    evil = "</script><script>alert(1)</script>"
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": evil, "kind": "desert"},
                "geometry": {"type": "Point", "coordinates": [83, 39]},
            }
        ],
    }
    (tmp_path / layer.filename).write_text(json.dumps(fc), encoding="utf-8")
    html = build_map_html(basemap_dir=tmp_path)
    assert evil not in html
    assert html.count("</script>") == html.count("<script")


def test_written_page_has_every_asset_it_references(tmp_path: Path, basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir)
    index = write_map_page(tmp_path, html)
    assert index.read_text(encoding="utf-8") == html
    for ref in SRC_OR_HREF.findall(html):
        if ref.startswith("qrc:"):
            continue
        assert (tmp_path / ref).is_file(), ref
    assert (tmp_path / "leaflet" / "images" / "layers.png").is_file()
    assert not list(tmp_path.rglob("*.js")), "the scripts are in the page, not copied"


@pytest.mark.parametrize(
    ("center", "zoom"),
    [((float("nan"), 90.0), 5), ((39.5, 200.0), 5), ((39.5, 90.0), 99), ((39.5, 90.0), True)],
)
def test_bad_view_parameters_are_refused(
    center: tuple[float, float], zoom: int, tmp_path: Path
) -> None:
    with pytest.raises(ValueError):
        build_map_html(center=center, zoom=zoom, basemap_dir=tmp_path)
