"""The map as one self-contained, interactive HTML file that needs no network.

:func:`export_html` renders the app's own map page (:func:`explorer.web.page.
build_map_html`: folium, the same basemap layers and styles) and makes it standalone:

* every file the page references (Leaflet from xstatic-leaflet, our ``explorer/resources/map``
  scripts and styles) is inlined, and the images Leaflet's CSS names become ``data:``
  URIs, so the file has no ``src``/``href`` to anything outside itself;
* Qt's ``qwebchannel.js`` is replaced by ``explorer/resources/map/export.js``, a static bridge
  that replays the saved state (the same JSON messages Python sends the live map:
  sites, colour mode, regions) into the page's own code. So the exported map shows
  exactly what the app shows: colours, legend, tooltips, region outlines, labels;
  user text reaches the DOM only through ``textContent`` (a name such as
  ``<img src=x onerror=alert(1)>`` shows literally);
* the state is embedded as a ``<script type="application/json">`` block with ``<``,
  ``>`` and ``&`` escaped, so no text can close it;
* a Content-Security-Policy allows only the file's own inline scripts (by hash),
  inline styles and ``data:`` images, and no connection at all.

A header shows the title, the data's as-of date and, when any site is illustrative or
low-confidence, a caveat. Qt-free: this runs headless.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.checks import list_of
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import MERCATOR_MAX_LAT, Region
from explorer.geo.totals import totals
from explorer.io.atomic import atomic_target
from explorer.web.page import (
    DEFAULT_CENTER,
    DEFAULT_ZOOM,
    MAP_RESOURCES,
    QWEBCHANNEL_URL,
    SCRIPT_SRC,
    build_map_html,
    inline_script,
    page_assets,
)
from explorer.web.protocol import COLOR_MODES, ToPage
from explorer.web.region_payload import region_payload
from explorer.web.site_columns import reset_payload

#: Our static bridge, inlined in place of Qt's qwebchannel.js.
STATIC_BRIDGE = MAP_RESOURCES / "export.js"
#: Longest title accepted.
MAX_TITLE = 300

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(?P<href>[^"]+)"\s*/?>')
_PAGE_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\s*')
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<url>[^)'\"]+)(?P=q)\)")

#: Extra styles of the standalone page: its header, and no drawing toolbar (there is
#: nothing to draw into in a file).
_EXPORT_CSS = """
.cse-draw-toolbar { display: none !important; }
.cse-export-header {
  position: absolute; top: 10px; left: 56px; z-index: 1000; max-width: min(60%, 720px);
  background: rgba(255, 255, 255, 0.94); border: 1px solid #b7c0c9; border-radius: 4px;
  padding: 6px 10px; font: 12px/1.35 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
  color: #1d2733; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15);
}
.cse-export-title { font-size: 16px; font-weight: bold; margin-bottom: 2px; }
.cse-export-facts { color: #4d5966; }
.cse-export-caveat {
  margin-top: 4px; padding: 3px 6px; background: #fff5e1; border-left: 3px solid #d69a2d;
  color: #7a4100; font-weight: bold;
}
"""


def caveat_text(sites: Sequence[Site], *, where: str = "shown") -> str:
    """The caveat for a set of sites, or ``""`` when none is illustrative or low-confidence.

    Parameters
    ----------
    sites : sequence of Site
    where : str
        How the sites are described: ``"shown"`` gives "… of the 12 sites shown …".

    Returns
    -------
    str
        E.g. ``"Caveat: 38 of the 39 sites shown are illustrative (not reported
        projects); positions and figures are not evidence."``
    """
    n = len(sites)
    ill = sum(1 for s in sites if s.is_illustrative)
    low = sum(1 for s in sites if s.confidence == "low")
    if not ill and not low:
        return ""
    parts = []
    if ill:
        if ill == n and n > 1:
            parts.append(f"all {n} sites {where} are illustrative (not reported projects)")
        else:
            verb = "is" if ill == 1 else "are"
            parts.append(
                f"{ill} of the {n} sites {where} {verb} illustrative (not reported projects)"
            )
    if low:
        verb = "has" if low == 1 else "have"
        parts.append(
            f"{low} {verb} low confidence"
            if ill
            else f"{low} of the {n} sites {where} {verb} low confidence"
        )
    return f"Caveat: {' and '.join(parts)}; positions and figures are not evidence."


def region_entries(regions: Iterable[RegionEntry | Region] | None) -> list[RegionEntry]:
    """``regions`` as store entries (a bare :class:`Region` gets the id ``r<n>``)."""
    out: list[RegionEntry] = []
    for i, r in enumerate(regions or ()):
        if isinstance(r, RegionEntry):
            out.append(r)
        elif isinstance(r, Region):
            out.append(RegionEntry(id=f"r{i + 1}", region=r))
        else:
            raise TypeError(f"regions[{i}] must be a RegionEntry or Region, got {type(r).__name__}")
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"region ids must be unique, got {ids!r}")
    return out


def data_extent(
    sites: Sequence[Site], entries: Sequence[RegionEntry]
) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` of the regions if there are any, else of the sites
    (``None`` for neither), kept inside the Web Mercator map."""
    if entries:
        boxes = [e.region.bounds for e in entries]
        return _on_map(
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    if not sites:
        return None
    n = len(sites)
    return points_extent(
        np.fromiter((s.lon for s in sites), dtype=np.float64, count=n),
        np.fromiter((s.lat for s in sites), dtype=np.float64, count=n),
    )


def points_extent(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of points (non-empty arrays), kept inside the Web
    Mercator map."""
    return _on_map(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _on_map(
    west: float, south: float, east: float, north: float
) -> tuple[float, float, float, float]:
    return (
        max(-180.0, west),
        max(-MERCATOR_MAX_LAT, south),
        min(180.0, east),
        min(MERCATOR_MAX_LAT, north),
    )


def _leaflet_bounds(extent: tuple[float, float, float, float] | None) -> Any:
    if extent is None:
        return None
    w, s, e, n = extent
    return [[s, w], [n, e]]


def _json_block(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or
    ``&`` (so no ``</script>``), no NaN."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_css(path: Path) -> str:
    """The stylesheet with every relative ``url(...)`` it names turned into ``data:``."""
    text = path.read_text(encoding="utf-8")

    def data_uri(m: re.Match[str]) -> str:
        url = m.group("url")
        if url.startswith(("data:", "#")):
            return m.group(0)  # already inline, or an in-document reference (IE VML)
        target = (path.parent / url).resolve()
        if not target.is_file():
            raise FileNotFoundError(f"{path.name} names {url}, which is missing at {target}")
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{encoded})"

    css = re.sub(r"</(style)", r"<\\/\1", _CSS_URL.sub(data_uri, text), flags=re.IGNORECASE)
    return "<style>" + css + "</style>"


def _content_security_policy(html: str) -> str:
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
            "default-src 'none'",
            "script-src " + " ".join(hashes),
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src data:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def build_html(
    *,
    sites: Sequence[Site],
    regions: Iterable[RegionEntry | Region] | None = None,
    metadata: Mapping[str, Any] | None = None,
    title: str = "",
    catalogue: ChipCatalogue | None = None,
    color_mode: str = "export",
    basemap_dir: Path | None = None,
) -> str:
    """The standalone page as text (see :func:`export_html`)."""
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise ValueError(f"title must be text of at most {MAX_TITLE} characters, got {title!r:.60}")
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    sites = list_of(sites, Site, "sites")
    entries = region_entries(regions)
    meta = dict(metadata or {})
    cat = catalogue if catalogue is not None else ChipCatalogue.bundled()

    html = build_map_html(center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM, basemap_dir=basemap_dir)
    html = _PAGE_CSP.sub("", html, count=1)
    assets = page_assets()

    def script(m: re.Match[str]) -> str:
        # The page carries its other scripts already (explorer.web.page); Qt's bridge
        # becomes our static one.
        src = m.group("src")
        if src != QWEBCHANNEL_URL:
            raise RuntimeError(f"the map page loads {src}, which cannot be inlined")
        return inline_script(STATIC_BRIDGE)

    def stylesheet(m: re.Match[str]) -> str:
        href = m.group("href")
        if href not in assets:
            raise RuntimeError(f"the map page links {href}, which cannot be inlined")
        return _inline_css(assets[href])

    # Functions as replacements: inlined file text is never read as a regex template.
    html = SCRIPT_SRC.sub(script, html)
    html = _STYLESHEET.sub(stylesheet, html)

    # Counted once (campus rule, supersession, cancelled lines), as every total is:
    # a sum of each record's chips would count a campus and its parts twice.
    n_chips = totals(sites, catalogue=cat).chips
    as_of = str(meta.get("as_of") or "").strip()
    facts = " · ".join(
        p
        for p in (
            f"Data as of {as_of}" if as_of else "",
            f"{len(sites):,} sites, {n_chips:,} chips planned",
            f"{len(entries)} region{'s' if len(entries) != 1 else ''}" if entries else "",
            "hover a site for its details",
        )
        if p
    )
    header_title = title.strip() or str(meta.get("title") or "").strip()
    state = {
        "messages": [
            [ToPage.SITES_RESET, reset_payload(sites, cat)],
            [ToPage.COLOR_MODE_CHANGED, color_mode],
            [ToPage.REGIONS_RESET, [region_payload(e) for e in entries]],
        ],
        "bounds": _leaflet_bounds(data_extent(sites, entries)),
        "header": {
            "title": header_title,
            "facts": facts,
            "caveat": caveat_text(sites, where="on this map"),
        },
    }
    head_extra = (
        f'<script type="application/json" id="cse-export-state">{_json_block(state)}</script>\n'
        f"<style>{_EXPORT_CSS}</style>\n"
    )
    page_title = f"<title>{_html_text(header_title or 'Compute sites map')}</title>\n"
    at = html.index("<head>") + len("<head>")
    html = f"{html[:at]}\n{page_title}{head_extra}{html[at:]}"
    csp = _content_security_policy(html)
    return f"{html[:at]}\n{csp}{html[at:]}"


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def export_html(
    path: str | os.PathLike[str],
    *,
    sites: Sequence[Site],
    regions: Iterable[RegionEntry | Region] | None = None,
    metadata: Mapping[str, Any] | None = None,
    title: str = "",
    catalogue: ChipCatalogue | None = None,
    color_mode: str = "export",
    basemap_dir: Path | None = None,
) -> Path:
    """Write the map as one self-contained HTML file, atomically.

    Parameters
    ----------
    path : path-like
        The ``.html`` file to write (replaced if it exists; never half-written).
    sites : sequence of Site
    regions : iterable of RegionEntry or Region, optional
        Drawn as outlines with their names; the view fits them (else the sites).
    metadata : mapping, optional
        ``title`` (default title) and ``as_of`` (shown in the header).
    title : str
        Header and page title; empty: the data's title.
    catalogue : ChipCatalogue, optional
        Decides which chips are restricted (default: the bundled one).
    color_mode : {"export", "model"}
        Marker colours, as in the app.
    basemap_dir : Path, optional
        Basemap directory (default: the bundled one).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Bad title or colour mode.
    TypeError
        A site or region of the wrong type.
    FileNotFoundError
        The output folder does not exist.
    """
    out = Path(path)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{path}: output folder '{out.parent}' does not exist")
    html = build_html(
        sites=sites,
        regions=regions,
        metadata=metadata,
        title=title,
        catalogue=catalogue,
        color_mode=color_mode,
        basemap_dir=basemap_dir,
    )
    with atomic_target(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out


__all__ = [
    "STATIC_BRIDGE",
    "build_html",
    "caveat_text",
    "data_extent",
    "points_extent",
    "export_html",
    "region_entries",
]
