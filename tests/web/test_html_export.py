"""The standalone HTML map: one file, no network, the app's markers, literal user text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QUrl
from PySide6.QtWebEngineWidgets import QWebEngineView

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.atomic import TEMP_PREFIX
from explorer.web import palette
from explorer.web.html_export import build_html, caveat_text, export_html
from explorer.web.legend import site_legend
from explorer.web.page import ATTRIBUTION, LEAFLET_DIR, PROVINCE_NOTE, QWEBCHANNEL_URL, page_config
from explorer.web.view import LocalOnlyInterceptor, MapPage, make_private_profile
from tests.web.conftest import make_sites
from tests.web.driver import LEGEND_JS, page_legend, rgb_hex

XSS_NAME = "<img src=x onerror=alert(1)>"
LEAFLET_JS = LEAFLET_DIR / "leaflet.js"
SCRIPT_NAME = "</script><script>alert(2)</script> & `${x}`"


def sites() -> list[Site]:
    return [
        *make_sites(),
        Site("xss", XSS_NAME, 90.0, 41.0, hardware=(HardwareLine("H100", 64),), confidence="low"),
        Site("closer", SCRIPT_NAME, 91.0, 40.0, hardware=(HardwareLine("H200", 8),)),
    ]


REGIONS = [
    rectangle("Hami <b>box</b>", 92.5, 41.5, 95.5, 44.0),
    CircleRegion("Golmud 150 km", 94.9, 36.4, 150_000),
]


@pytest.fixture(scope="module")
def html(catalogue: ChipCatalogue, basemap_dir: Path) -> str:
    return build_html(
        sites=sites(),
        regions=REGIONS,
        metadata={"title": "Demo", "as_of": "2025-12-15"},
        title="Export test",
        catalogue=catalogue,
        basemap_dir=basemap_dir,
    )


# ---------------------------------------------------------------------- the file (no Qt)
def test_one_file_with_nothing_external(html: str) -> None:
    # The mark-up outside inline scripts and styles loads nothing.
    markup = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", html, flags=re.S)
    assert not re.search(r"\b(src|href)\s*=", markup), markup[:2000]
    assert "<script src=" not in html and QWEBCHANNEL_URL not in html
    # Styles name only inline images.
    for url in re.findall(r"url\(([^)]*)\)", html):
        assert url.strip("'\"").startswith(("data:", "#")), url
    # Leaflet itself is inlined, from xstatic-leaflet; so are its control images.
    assert LEAFLET_JS.read_text(encoding="utf-8")[:200].split("*/")[0] in html
    assert "leaflet-control-layers-toggle" in html and "data:image/png;base64," in html


def test_csp_allows_only_the_files_own_scripts(html: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "img-src data:" in policy
    assert "file:" not in policy and "http" not in policy


def test_user_text_cannot_break_out_of_the_state_block(html: str) -> None:
    assert XSS_NAME not in html
    assert "</script><script>alert(2)" not in html
    assert "Hami <b>box</b>" not in html
    block = re.search(
        r'<script type="application/json" id="cse-export-state">(.*?)</script>', html, re.S
    )
    assert block is not None and "<" not in block.group(1)


def test_caveat_text() -> None:
    assert caveat_text([Site("a", "A", 1, 1, confidence="high")]) == ""
    assert caveat_text(make_sites(), where="on this map").startswith(
        "Caveat: 1 of the 4 sites on this map is illustrative"
    )


def test_export_is_atomic_and_checks_the_folder(
    tmp_path: Path, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    out = export_html(
        tmp_path / "map.html", sites=make_sites(), catalogue=catalogue, basemap_dir=basemap_dir
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_html(tmp_path / "no" / "map.html", sites=make_sites(), catalogue=catalogue)
    with pytest.raises(ValueError, match="colour mode"):
        export_html(tmp_path / "x.html", sites=make_sites(), color_mode="rainbow")
    assert not any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())


# ---------------------------------------------------------------------- opened offline
class OfflineViewer:
    """A plain QWebEngineView whose profile records (and blocks) every request that is
    not the exported file itself, and whose page records console errors and dialogs."""

    def __init__(self, path: Path) -> None:
        profile = make_private_profile()
        self.interceptor = LocalOnlyInterceptor(path.parent, (), parent=profile)
        profile.setUrlRequestInterceptor(self.interceptor)
        self.view = QWebEngineView()
        self.page = MapPage(profile, self.view)
        self.page.destroyed.connect(profile.deleteLater)  # the profile goes after its page
        self.page.allowed_url = QUrl.fromLocalFile(str(path))
        self.view.setPage(self.page)
        self.view.resize(1100, 750)
        self.view.show()
        self.view.load(QUrl.fromLocalFile(str(path)))

    def js(self, qtbot: Any, expression: str) -> Any:
        """The value of ``expression``, through JSON (Qt's own conversion loses arrays)."""
        box: list[Any] = []
        self.page.runJavaScript(f"JSON.stringify({expression})", 0, box.append)
        qtbot.waitUntil(lambda: bool(box), timeout=5000)
        return json.loads(box[0]) if isinstance(box[0], str) else None

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def open_offline(qtbot: Any, path: Path) -> OfflineViewer:
    viewer = OfflineViewer(path)
    qtbot.waitUntil(lambda: viewer.js(qtbot, "!!(window.CSE && CSE.exportReady)"), timeout=15000)
    return viewer


@pytest.fixture(params=["as written", "without its CSP"])
def viewer(
    request: pytest.FixtureRequest, qtbot: Any, html: str, tmp_path: Path
) -> Iterator[OfflineViewer]:
    """The exported file in QtWebEngine, as written and with its CSP removed (so any
    request the page makes reaches the recording interceptor instead of being stopped
    by the policy first)."""
    text = html
    if request.param == "without its CSP":
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    path = tmp_path / "export.html"
    path.write_text(text, encoding="utf-8")
    v = open_offline(qtbot, path)
    yield v
    v.close()


@pytest.mark.gui
def test_opens_offline_with_every_marker(qtbot: Any, viewer: OfflineViewer) -> None:
    assert viewer.interceptor.external_requests == []
    assert viewer.interceptor.blocked_requests == []
    assert viewer.page.js_errors == []
    n = len(sites())
    assert viewer.js(qtbot, "CSE.pageState().sites") == n
    # Every marker in view painted on the sites' canvas, where the site is, in a colour
    # (the view fits the regions, so a site far from them may be out of view).
    painted = 0
    for site in sites():
        state = viewer.js(qtbot, f"CSE.markerState({json.dumps(site.id)})")
        assert state["on_map"] is True
        assert (state["lon"], state["lat"]) == pytest.approx((site.lon, site.lat))
        in_view = viewer.js(qtbot, f"CSE.map.getBounds().contains([{site.lat}, {site.lon}])")
        assert state["drawn"] is in_view, site.id
        if in_view:
            assert state["painted_fill"] is not None, site.id
            painted += 1
    assert painted >= n - 1
    canvases = "document.querySelectorAll('.leaflet-cse-sites-pane canvas').length"
    assert viewer.js(qtbot, canvases) == 1


@pytest.mark.gui
def test_tooltips_show_user_text_literally(qtbot: Any, viewer: OfflineViewer) -> None:
    tip = viewer.js(qtbot, "CSE.markerState('xss')")["tooltip_text"]
    assert tip.split("\n")[0] == XSS_NAME
    assert "64 chips" in tip
    closer = viewer.js(qtbot, "CSE.markerState('closer')")
    assert closer["tooltip_text"].split("\n")[0] == SCRIPT_NAME
    # Nothing was parsed as mark-up or run.
    assert viewer.js(qtbot, "document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert viewer.page.js_dialogs == []


@pytest.mark.gui
def test_regions_legend_header_and_attribution(qtbot: Any, viewer: OfflineViewer) -> None:
    ids = viewer.js(qtbot, "CSE.regionsState().ids")
    assert len(ids) == 2
    labels = viewer.js(
        qtbot, "Array.from(document.querySelectorAll('.cse-region-name')).map(e => e.textContent)"
    )
    assert sorted(labels) == sorted(r.name for r in REGIONS)
    legend = viewer.js(qtbot, "document.querySelector('.cse-legend').textContent")
    assert "Export control" in legend and "illustrative" in legend
    header = viewer.js(qtbot, "document.querySelector('.cse-export-header').textContent")
    assert "Export test" in header and "Data as of 2025-12-15" in header
    assert caveat_text(sites(), where="on this map") in header
    attribution = viewer.js(
        qtbot, "document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert ATTRIBUTION in attribution
    assert viewer.js(qtbot, "document.querySelector('.cse-note').textContent") == PROVINCE_NOTE
    # The view fits the regions.
    inside = viewer.js(qtbot, "CSE.map.getBounds().contains([[36.4, 92.5], [44.0, 95.5]])")
    assert inside is True


@pytest.mark.gui
def test_exported_page_has_pythons_config_and_legend(
    qtbot: Any, viewer: OfflineViewer, catalogue: ChipCatalogue
) -> None:
    # The standalone file carries the same start configuration as the app's page...
    assert viewer.js(qtbot, "CSE.config") == page_config()
    # ...so its legend is the one Python (and the snapshot) would draw for these sites.
    drawn = page_legend(viewer.js(qtbot, LEGEND_JS))
    assert drawn == site_legend(sites(), catalogue, "export")
    fill = viewer.js(qtbot, "CSE.markerState('a-urumqi')")["painted_fill"]
    painted = rgb_hex(fill)
    assert all(
        abs(int(painted[k : k + 2], 16) - int(palette.RESTRICTED[k : k + 2], 16)) <= 3
        for k in (1, 3, 5)
    )
    assert viewer.page.js_errors == []


def test_header_counts_a_campus_and_its_parts_once(
    catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    # The campus lists 1,000 H100, its two parts 600 + 500: planned, they count
    # max(1,000, 1,100) = 1,100, not the 2,100 the records list.
    campus = Site("c", "Campus", 93.5, 42.8, hardware=(HardwareLine("H100", 1000),))
    parts = [
        Site(
            f"p{i}",
            f"Part {i}",
            93.5 + i / 10,
            42.8,
            hardware=(HardwareLine("H100", n),),
            part_of="c",
        )
        for i, n in ((1, 600), (2, 500))
    ]
    html = build_html(sites=[campus, *parts], catalogue=catalogue, basemap_dir=basemap_dir)
    block = re.search(
        r'<script type="application/json" id="cse-export-state">(.*?)</script>', html, re.S
    )
    assert block is not None
    facts = json.loads(block.group(1))["header"]["facts"]
    assert "3 sites, 1,100 chips planned" in facts, facts
