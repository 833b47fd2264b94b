"""The map page: a folium-built Leaflet map that references local assets only.

:func:`build_map_html` renders the page; :func:`write_map_page` puts it, with the
assets it references (Leaflet from xstatic-leaflet, our ``explorer/resources/map`` files), into
a directory that :class:`explorer.web.view.MapView` loads with a ``file://`` URL.

folium renders the page once per set of inputs: the result is kept in the user's cache
directory (:mod:`explorer.web.page_cache`) under a hash of everything it is built from,
so a start with nothing changed reads it back and does not import folium (nor the
pandas, jinja2 and branca it brings: about a second on the project's 2-core machine).

Why a directory and ``file://`` rather than ``setHtml`` or a custom URL scheme:
``setHtml`` is limited to 2 MB (the basemap alone is over 1 MB) and a custom scheme
has to be registered before any QtWebEngine object exists, which makes start-up order
fragile for every caller (tests, the app, tools). A private directory per view has
neither problem; the view's request interceptor only lets the page read that directory.

The basemap GeoJSON is inlined into ``index.html`` (as escaped JSON, via folium), so
the page needs no ``fetch`` and works without any network permission.

The page's start configuration (:func:`page_config`: message names, modes and bounds
from :mod:`explorer.web.protocol`, colours and legend words from
:mod:`explorer.web.palette`) reaches it the same way, as one escaped JSON string that
``CSE.setupMap`` parses into ``CSE.config``; the page's scripts spell none of it
themselves.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import json
import logging
import math
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xstatic.pkg.leaflet as xstatic_leaflet

from explorer import GEODATA, RESOURCES
from explorer.core.credits import MAP_DATA_SHORT
from explorer.web.page_cache import page_cache_dir, page_key, read_page, write_page
from explorer.web.palette import page_palette
from explorer.web.payload import to_json
from explorer.web.protocol import page_protocol

if TYPE_CHECKING:
    from branca.element import MacroElement

log = logging.getLogger(__name__)

#: Default basemap layers (written by ``scripts/build_basemap.py``).
BASEMAP_DIR = GEODATA / "basemap"
#: Our own JS/CSS for the page.
MAP_RESOURCES = RESOURCES / "map"
#: Leaflet as shipped by xstatic-leaflet.
LEAFLET_DIR = Path(xstatic_leaflet.BASE_DIR)
#: Qt's WebChannel client, served from Qt's own resources.
QWEBCHANNEL_URL = "qrc:///qtwebchannel/qwebchannel.js"
#: Offered (never active by default) when ``online_tiles=True``.
OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_TILE_ORIGIN = "https://tile.openstreetmap.org/"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"

ATTRIBUTION = MAP_DATA_SHORT
PROVINCE_NOTE = "Province boundaries approximate"
PAGE_FILE = "index.html"
DEFAULT_CENTER: tuple[float, float] = (39.5, 90.0)
DEFAULT_ZOOM = 5
MIN_ZOOM = 3
MAX_ZOOM = 13

#: Files the page references, as (path relative to the page directory, source file).
_LEAFLET_FILES = ("leaflet.js", "leaflet.css")
_LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png")
_OUR_JS = (
    "basemap.js",
    "sitedata.js",
    "aggregate.js",
    "sitecanvas.js",
    "sites.js",
    "draw.js",
    "regions.js",
    "boundary.js",
)
_OUR_CSS = ("map.css",)

# ---------------------------------------------------------------------- basemap styles
# A quiet reference map: pale land, grey borders, the two focus provinces emphasised.
COUNTRY_STYLE: dict[str, Any] = {
    "color": "#8f8f8f",
    "weight": 1.0,
    "fillColor": "#f3f1ec",
    "fillOpacity": 1.0,
}
PROVINCE_STYLE: dict[str, Any] = {
    "color": "#b3aba0",
    "weight": 0.7,
    "dashArray": "4 3",
    "fillOpacity": 0.0,
}
FOCUS_PROVINCE_STYLE: dict[str, Any] = {
    "color": "#8a5a2b",
    "weight": 2.2,
    "fillColor": "#e9c994",
    "fillOpacity": 0.16,
}
LAKE_STYLE: dict[str, Any] = {
    "color": "#86aecb",
    "weight": 0.6,
    "fillColor": "#bcd6ea",
    "fillOpacity": 1.0,
}


@dataclass(frozen=True)
class BasemapLayer:
    """One basemap layer: its file, label in the layer switcher and what to keep.

    Attributes
    ----------
    key : str
        Short name used by the page (``countries``, ``towns``...).
    label : str
        Label in the layer switcher.
    filename : str
        File in the basemap directory.
    properties : tuple of str
        The feature properties the page reads (everything else is dropped, which keeps
        the page small and keeps unvetted text out of it); for points, its columns.
    geometry_types : tuple of str
        Geometry types accepted; other features are skipped.
    draw : str
        How the page draws it (``CSE.setupBasemap`` in ``basemap.js``): ``polygons``
        (filled and outlined on the basemap canvas), ``towns`` (dots and decluttered
        names) or ``labels`` (text at points).
    styles : mapping
        For ``polygons``: Leaflet path options by style name; a feature takes
        ``focus`` when its ``focus`` property is true and ``default`` otherwise.
    """

    key: str
    label: str
    filename: str
    properties: tuple[str, ...]
    geometry_types: tuple[str, ...]
    draw: str
    styles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_POLYGONS = ("Polygon", "MultiPolygon")
BASEMAP_LAYERS: tuple[BasemapLayer, ...] = (
    BasemapLayer(
        "countries",
        "Countries",
        "countries.geojson",
        ("name",),
        _POLYGONS,
        "polygons",
        {"default": COUNTRY_STYLE},
    ),
    BasemapLayer(
        "provinces",
        "Provinces",
        "provinces.geojson",
        ("name", "focus"),
        _POLYGONS,
        "polygons",
        {"default": PROVINCE_STYLE, "focus": FOCUS_PROVINCE_STYLE},
    ),
    BasemapLayer(
        "lakes",
        "Lakes",
        "lakes.geojson",
        ("name",),
        _POLYGONS,
        "polygons",
        {"default": LAKE_STYLE},
    ),
    BasemapLayer(
        "towns",
        "Towns",
        "towns.geojson",
        ("name", "population", "min_zoom"),
        ("Point",),
        "towns",
    ),
    BasemapLayer(
        "physical_labels",
        "Physical labels",
        "physical_labels.geojson",
        ("name", "kind"),
        ("Point",),
        "labels",
    ),
)


def load_basemap_layer(directory: Path, layer: BasemapLayer) -> dict[str, Any] | None:
    """Read one basemap layer as a trimmed FeatureCollection, or ``None`` if unusable.

    A missing file is normal (the layer is skipped, logged at INFO); an unreadable one
    is logged as a warning and skipped too, so a broken basemap never stops the map.
    """
    path = directory / layer.filename
    if not path.is_file():
        log.info("basemap layer %s not found at %s; skipping it", layer.key, path)
        return None
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        log.warning("basemap layer %s: cannot read %s (%s); skipping it", layer.key, path, exc)
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        log.warning(
            "basemap layer %s: %s is not a GeoJSON FeatureCollection; skipping it", layer.key, path
        )
        return None
    features = []
    skipped = 0
    for feat in data.get("features") or []:
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(geom, dict) or geom.get("type") not in layer.geometry_types:
            skipped += 1
            continue
        if not _finite_coordinates(geom.get("coordinates")):
            skipped += 1
            continue
        props = feat.get("properties") or {}
        kept = {k: props[k] for k in layer.properties if k in props and _json_scalar(props[k])}
        features.append({"type": "Feature", "geometry": geom, "properties": kept})
    if skipped:
        log.warning("basemap layer %s: skipped %d features with bad geometry", layer.key, skipped)
    if not features:
        log.warning("basemap layer %s: %s has no usable features; skipping it", layer.key, path)
        return None
    return {"type": "FeatureCollection", "features": features}


def _json_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _finite_coordinates(coords: Any, depth: int = 0) -> bool:
    """True when ``coords`` is a (nested) list of finite numbers and not empty."""
    if depth > 4 or not isinstance(coords, list) or not coords:
        return False
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords):
        return len(coords) >= 2 and all(math.isfinite(c) for c in coords)
    return all(_finite_coordinates(c, depth + 1) for c in coords)


def basemap_page_data(
    loaded: Mapping[str, dict[str, Any] | None],
) -> list[dict[str, Any]]:
    """What ``CSE.setupBasemap`` draws, from :func:`load_basemap_layer`'s collections.

    Parameters
    ----------
    loaded : mapping
        Layer key → trimmed FeatureCollection, or ``None`` for a layer that is missing.

    Returns
    -------
    list of dict
        One entry per layer present, in :data:`BASEMAP_LAYERS` order (the layer
        switcher's): ``key``, ``label``, ``draw``, and for ``polygons`` its ``styles``
        and ``features`` as ``{name, style, polygons}`` (``polygons``: ``[[exterior,
        hole...], ...]`` of ``[lon, lat]``), for points ``columns`` (``lon``, ``lat``
        and the properties the page reads, ``null`` where a feature lacks one).
    """
    out: list[dict[str, Any]] = []
    for layer in BASEMAP_LAYERS:
        data = loaded.get(layer.key)
        if data is None:
            continue
        entry: dict[str, Any] = {"key": layer.key, "label": layer.label, "draw": layer.draw}
        features = data["features"]
        if layer.draw == "polygons":
            entry["styles"] = {name: dict(style) for name, style in layer.styles.items()}
            entry["features"] = [
                {
                    "name": f["properties"].get("name"),
                    "style": "focus" if f["properties"].get("focus") is True else "default",
                    "polygons": (
                        [f["geometry"]["coordinates"]]
                        if f["geometry"]["type"] == "Polygon"
                        else f["geometry"]["coordinates"]
                    ),
                }
                for f in features
            ]
        else:
            columns: dict[str, list[Any]] = {
                "lon": [f["geometry"]["coordinates"][0] for f in features],
                "lat": [f["geometry"]["coordinates"][1] for f in features],
            }
            for name in layer.properties:
                columns[name] = [f["properties"].get(name) for f in features]
            entry["columns"] = columns
        out.append(entry)
    return out


def page_config() -> dict[str, Any]:
    """What the page's scripts read from ``CSE.config`` (JSON-ready).

    Returns
    -------
    dict
        :func:`~explorer.web.protocol.page_protocol` (``toPage``, ``toPython``,
        ``modes``, ``limits``) and :func:`~explorer.web.palette.page_palette`
        (``colors``, ``regions``, ``legend``), keys as named there.
    """
    return {**page_protocol(), **page_palette()}


# ---------------------------------------------------------------------- page hooks
# folium (with pandas, jinja2 and branca under it) is imported only when a page is
# really rendered, not at every start: the rendered page is kept (see page_cache).
_PAGE_CALL_TEMPLATE = """
        {% macro script(this, kwargs) %}
            {{ this.function }}({{ this._parent.get_name() }}, {{ this.config|tojavascript }});
        {% endmacro %}
        """


@functools.cache
def _page_call_type() -> Callable[[str, Mapping[str, Any]], MacroElement]:
    """The folium element that calls one of our page functions (built on first use)."""
    from branca.element import MacroElement
    from folium.template import Template

    class _PageCall(MacroElement):
        """Calls one of our page functions with the map and a JS config object.

        ``config`` goes through folium's ``tojavascript``: plain values are escaped
        JSON, folium elements become their JS variable names (so the page can find its
        layers).
        """

        _template = Template(_PAGE_CALL_TEMPLATE)

        def __init__(self, function: str, config: Mapping[str, Any]) -> None:
            super().__init__()
            if not re.fullmatch(r"CSE\.[A-Za-z]+", function):
                raise ValueError(f"page function must be CSE.<name>, got {function!r}")
            self._name = "PageCall"
            self.function = function
            self.config = dict(config)

    return _PageCall


def _page_call(function: str, config: Mapping[str, Any]) -> MacroElement:
    return _page_call_type()(function, config)


def build_map_html(
    *,
    center: Sequence[float] = DEFAULT_CENTER,
    zoom: int = DEFAULT_ZOOM,
    online_tiles: bool = False,
    basemap_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> str:
    """Render the map page (or read it back from the disk cache, see below).

    Parameters
    ----------
    center : (lat, lon)
        Initial centre in WGS84 degrees.
    zoom : int
        Initial zoom level.
    online_tiles : bool
        Offer an OpenStreetMap tile layer in the layer switcher (off until the user
        ticks it). When False (the default) the page contains no remote URL at all.
    basemap_dir : Path, optional
        Where the basemap GeoJSON files are; defaults to ``explorer/geodata/basemap``. Missing
        files are skipped.
    cache_dir : Path, optional
        Where built pages are kept between runs (default
        :func:`~explorer.web.page_cache.page_cache_dir`). A page is read back only when
        every input of the build is unchanged (:func:`_page_inputs`); otherwise folium
        renders it and it is stored. The cache failing is logged, never fatal.

    Returns
    -------
    str
        ``index.html``; it references ``leaflet/…`` and ``map/…`` relative to itself
        (see :func:`write_map_page`) and Qt's ``qwebchannel.js`` by its ``qrc:`` URL.
    """
    lat, lon = (float(center[0]), float(center[1]))
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"center must be (lat, lon) in degrees, got {tuple(center)!r}")
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise ValueError(f"zoom must be a whole number from {MIN_ZOOM} to {MAX_ZOOM}, got {zoom!r}")
    directory = (BASEMAP_DIR if basemap_dir is None else Path(basemap_dir)).resolve()
    cache = page_cache_dir() if cache_dir is None else Path(cache_dir)
    # Every map view (and every snapshot) asks for the same page; reading, checking and
    # rendering 1.3 MB of basemap took ~0.6 s each time. The files' sizes and mtimes
    # are part of the key, so an edited basemap is picked up.
    return _cached_map_html(
        lat, lon, zoom, online_tiles, directory, _basemap_stamp(directory), cache
    )


def _basemap_stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    stamp = []
    for layer in BASEMAP_LAYERS:
        try:
            st = (directory / layer.filename).stat()
        except OSError:
            continue
        stamp.append((layer.filename, st.st_mtime_ns, st.st_size))
    return tuple(stamp)


@functools.lru_cache(maxsize=8)
def _cached_map_html(
    lat: float,
    lon: float,
    zoom: int,
    online_tiles: bool,
    directory: Path,
    _stamp: tuple[tuple[str, int, int], ...],
    cache_dir: Path,
) -> str:
    """The page: from memory in this process, else from the disk cache, else folium."""
    key = page_key(_page_inputs(lat, lon, zoom, online_tiles, directory))
    html = read_page(cache_dir, key)
    if html is None:
        html = _render_map_html(lat, lon, zoom, online_tiles, directory)
        write_page(cache_dir, key, html)
    return html


#: Libraries whose version changes what folium renders.
_BUILD_LIBRARIES = ("folium", "branca", "jinja2")


def _library_stamp(name: str) -> bytes:
    """Where ``name`` is installed and the bytes that carry its version, read from its
    own files without importing it (``importlib.metadata`` alone would add ~75 ms to a
    start): its ``__init__.py`` and, if it has one, its ``_version.py``."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return b"-"
    package = Path(spec.origin).parent
    stamp = [spec.origin.encode()]
    for filename in ("__init__.py", "_version.py"):
        try:
            stamp.append((package / filename).read_bytes())
        except OSError:
            stamp.append(b"-")
    return b"\0".join(stamp)


def _page_inputs(
    lat: float, lon: float, zoom: int, online_tiles: bool, directory: Path
) -> Iterator[tuple[str, bytes]]:
    """Everything the rendered page depends on, named, for the disk cache's key.

    The view and its options; this module's own source (the build code, the styles
    and layer lists); the credit and notes it writes; the page configuration; the
    basemap files' bytes (and which are missing); our JS and CSS; the Leaflet release
    and the versions of the libraries that render the page. A change to any of them
    gives a new key.
    """
    yield "format", b"1"
    yield "view", json.dumps([lat, lon, zoom, online_tiles]).encode()
    yield "basemap_dir", str(directory).encode()
    yield "page.py", Path(__file__).read_bytes()
    yield "texts", json.dumps([ATTRIBUTION, PROVINCE_NOTE, QWEBCHANNEL_URL]).encode()
    yield "config", to_json(page_config()).encode()
    for layer in BASEMAP_LAYERS:
        try:
            yield f"basemap/{layer.filename}", (directory / layer.filename).read_bytes()
        except OSError:
            yield f"basemap-missing/{layer.filename}", b""
    for rel, src in sorted(page_assets().items()):
        if rel.startswith("map/"):
            yield rel, src.read_bytes()
    yield "leaflet", str(getattr(xstatic_leaflet, "VERSION", "-")).encode()
    for name in _BUILD_LIBRARIES:
        yield f"library/{name}", _library_stamp(name)


def _render_map_html(lat: float, lon: float, zoom: int, online_tiles: bool, directory: Path) -> str:
    """Render the page with folium (imported here: only a cache miss needs it)."""
    import folium

    m = folium.Map(
        location=(lat, lon),
        zoom_start=zoom,
        tiles=None,
        control_scale=False,  # our metric-only scale bar is added by CSE.setupMap
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
        worldCopyJump=False,
    )
    # Instance attributes: folium's class-level lists are shared module state.
    m.default_js = [
        ("leaflet", "leaflet/leaflet.js"),
        ("qwebchannel", QWEBCHANNEL_URL),
        ("cse_basemap", "map/basemap.js"),
        # The sites layer: columns, grouping and the canvas it paints, then its wiring.
        ("cse_sitedata", "map/sitedata.js"),
        ("cse_aggregate", "map/aggregate.js"),
        ("cse_sitecanvas", "map/sitecanvas.js"),
        ("cse_sites", "map/sites.js"),
        # Drawing tools and regions plug into sites.js (CSE.plugins) before CSE.start.
        ("cse_draw", "map/draw.js"),
        ("cse_regions", "map/regions.js"),
        ("cse_boundary", "map/boundary.js"),
    ]
    m.default_css = [("leaflet_css", "leaflet/leaflet.css"), ("cse_css", "map/map.css")]

    loaded = {layer.key: load_basemap_layer(directory, layer) for layer in BASEMAP_LAYERS}
    _page_call(
        "CSE.setupMap",
        {
            "attribution": ATTRIBUTION,
            "provinceNote": PROVINCE_NOTE if loaded["provinces"] is not None else "",
            # One JSON string (folium escapes it; its dict keys would be camelCased).
            "settings": to_json(page_config()),
        },
    ).add_to(m)

    # The basemap is drawn by the page's own canvases from one JSON string (parsed
    # once; a folium GeoJson layer per file made a Leaflet layer, and an SVG path or a
    # DOM marker, per feature: 0.25 s of script at every start and slow zoom steps).
    _page_call("CSE.setupBasemap", {"layers": to_json(basemap_page_data(loaded))}).add_to(m)

    sites = folium.FeatureGroup(name="Sites", overlay=True, control=True, show=True).add_to(m)
    if online_tiles:
        folium.TileLayer(
            tiles=OSM_TILE_URL,
            attr=OSM_ATTRIBUTION,
            name="OpenStreetMap (online)",
            overlay=True,
            control=True,
            show=False,
            max_zoom=MAX_ZOOM,
        ).add_to(m)
    layer_control = folium.LayerControl(position="topright", collapsed=True).add_to(m)
    # The layer switcher too: the basemap's layers are listed first in it, and a
    # boundary layer loaded later is added to it.
    _page_call("CSE.start", {"sitesLayer": sites, "layerControl": layer_control}).add_to(m)

    html = m.get_root().render()
    return _with_content_security_policy(_with_scripts_inline(html))


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
#: A script the page loads from a file (folium writes them so).
SCRIPT_SRC = re.compile(r'<script src="(?P<src>[^"]+)"></script>')


def inline_script(path: Path) -> str:
    """The JavaScript file at ``path`` as an inline ``<script>`` element.

    "</script" cannot occur in JS except in strings, comments and regexes, where
    "<\\/script" means the same: this keeps the inlined file from closing its tag.
    """
    text = path.read_text(encoding="utf-8")
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE) + "</script>"


def _with_scripts_inline(html: str) -> str:
    """The page with Leaflet and our scripts in it, not loaded from files.

    Each file the page loads is a request Chromium's browser side serves, through the
    view's request interceptor, on the thread that imports the window's modules at
    start: with ten scripts the page reached its load event 0.06-0.08 s later while
    those imports ran (medians of 14 and 24 paired starts). Qt's ``qwebchannel.js`` (a ``qrc:``
    resource) and the stylesheets (which name Leaflet's images by relative URL) are
    still loaded.
    """
    assets = page_assets()

    def script(m: re.Match[str]) -> str:
        source = assets.get(m.group("src"))
        return m.group(0) if source is None else inline_script(source)

    # A function as the replacement: the inlined text is never read as a template.
    return SCRIPT_SRC.sub(script, html)


def _with_content_security_policy(html: str) -> str:
    """Insert a CSP that lets only the page's own inline scripts and Qt's run.

    Inline scripts (folium's, Leaflet, ours) are allowed by hash, Qt's ``qwebchannel.js``
    by its ``qrc:`` scheme, so an injected inline event handler (``onerror=…``), a
    script from a file or a remote one would not run even if some text ever reached
    ``innerHTML``. Other requests (images, fetch, styles) are deliberately left to the
    view's request interceptor, which blocks and records them; a CSP refusal would
    stop them before the interceptor could see them, hiding them from its record.
    """
    hashes = sorted(
        {
            "'sha256-"
            + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            + "'"
            for body in _INLINE_SCRIPT.findall(html)
        }
    )
    policy = "; ".join(
        [
            "script-src qrc: " + " ".join(hashes),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
        ]
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    head = "<head>"
    at = html.index(head) + len(head)
    return f"{html[:at]}\n    {meta}{html[at:]}"


def page_assets() -> dict[str, Path]:
    """The files :func:`build_map_html` references: relative URL path → source file."""
    assets: dict[str, Path] = {}
    for name in _LEAFLET_FILES:
        assets[f"leaflet/{name}"] = LEAFLET_DIR / name
    for name in _LEAFLET_IMAGES:
        assets[f"leaflet/images/{name}"] = LEAFLET_DIR / "images" / name
    for name in (*_OUR_JS, *_OUR_CSS):
        assets[f"map/{name}"] = MAP_RESOURCES / name
    return assets


def write_map_page(directory: Path, html: str) -> Path:
    """Write ``html`` as ``index.html`` in ``directory`` with copies of the files it loads:
    the stylesheets and Leaflet's images (its scripts are in the page itself).

    Copies, not links: the page directory is private to one view and must not change
    if the installed package is upgraded underneath a running app.

    Returns
    -------
    Path
        The written ``index.html``.
    """
    directory = Path(directory)
    for rel, src in page_assets().items():
        if rel.endswith(".js"):
            continue  # inline in the page (see _with_scripts_inline)
        dest = directory / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    index = directory / PAGE_FILE
    index.write_text(html, encoding="utf-8")
    return index


__all__ = [
    "ATTRIBUTION",
    "BASEMAP_DIR",
    "BASEMAP_LAYERS",
    "OSM_TILE_ORIGIN",
    "PROVINCE_NOTE",
    "QWEBCHANNEL_URL",
    "SCRIPT_SRC",
    "BasemapLayer",
    "build_map_html",
    "inline_script",
    "load_basemap_layer",
    "page_assets",
    "page_config",
    "write_map_page",
]
