"""A corpus of mark-up and script injections through every text field, into the live
map page (real QtWebEngine), the standalone HTML export and the PDF report: nothing is
run, nothing is fetched, and the text shows literally.

Each payload that could run sets ``window.__xss`` or calls ``alert`` (recorded by the
page as a dialog); each that could fetch names ``http://evil.example`` (recorded, and
blocked, by the page's request interceptor). The PDF must show the text literally, hold
no image (a reportlab ``<img src=...>`` would embed a file from disk), no script action
and no link but the http(s) ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pypdf
import pytest
from PIL import Image
from shapely.geometry import box

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site, parse_site
from explorer.geo.regions import PolygonRegion, rectangle
from explorer.io.boundaries import BoundaryLayer
from explorer.io.project_value import Project
from explorer.io.report import build_report
from explorer.web.html_export import build_html
from explorer.web.region_controller import RegionMapController
from tests.web.conftest import basemap_dir, call_js, catalogue, make_session, open_map  # noqa: F401
from tests.web.driver import MapDriver
from tests.web.test_html_export import OfflineViewer, open_offline

pytestmark = pytest.mark.gui

#: A file on disk a reportlab ``<img>`` tag could pull into the PDF.
SECRET_PNG = Path(__file__).with_name("_secret_for_markup_test.png")

CORPUS: tuple[str, ...] = (
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg/onload=window.__xss='svg'>",
    "<script>window.__xss='script'</script>",
    "</script><script>window.__xss='close'</script>",
    "\"><img src=x onerror=alert('attr')>",
    "'-alert('quote')-'",
    "<a href=\"javascript:window.__xss='a'\">click</a>",
    "${window.__xss='template'}",
    "{{constructor.constructor('window.__xss=1')()}}",
    "&lt;b&gt;entities stay&lt;/b&gt; &amp; &#60;",
    '<iframe src="http://evil.example/frame"></iframe>',
    '<link rel=stylesheet href="http://evil.example/x.css">',
    "<style>@import 'http://evil.example/y.css';</style>",
    '<img src="http://evil.example/pixel.png">',
    "<!-- comment --> ]]> <![CDATA[x]]>",
    "<b>bold?</b> <i>italic?</i> <br/> <font color=red>red?</font>",
    f'<img src="{SECRET_PNG}" width="40" height="40"/>',
    '<para><a href="file:///etc/passwd">local</a></para>',
    "\u202e<b>gnp.exe</b>",
    "<math><mi xlink:href=\"javascript:alert('math')\">x</mi></math>",
)
PDF_FIELDS = ("name", "operator", "tenant", "prefecture", "notes")


def _site(i: int, payload: str, cat: ChipCatalogue) -> Site:
    props = {
        "id": f"x{i}",
        "name": payload,
        "operator": payload,
        "tenant": payload,
        "prefecture": payload,
        "notes": payload,
        "status": "planned",
        "confidence": "low",
        "hardware": [{"chip_model": "H100", "chips": 8 + i, "phase": payload[:64]}],
        "sources": [
            {
                "title": payload,
                "url": 'https://evil.example/"><script>x</script>',
                "quote": payload,
            },
            {"title": "ok", "url": 'https://example.org/report?q=<b>&x="y"'},
        ],
    }
    # Spread over Hami: inside the regions and the view.
    return parse_site(props, 91.0 + (i % 5), 41.0 + (i // 5) * 0.6, catalogue=cat)


@pytest.mark.parametrize(
    "url", ["javascript:window.__xss='url'", "file:///etc/passwd", "data:text/html,<b>x</b>"]
)
def test_a_source_url_is_refused_unless_http(url: str, catalogue: ChipCatalogue) -> None:  # noqa: F811
    from explorer.core.errors import ValidationError

    with pytest.raises(ValidationError, match="source url must start with http:// or https://"):
        parse_site({"id": "a", "name": "A", "sources": [{"url": url}]}, 90, 40, catalogue=catalogue)


@pytest.fixture(scope="module")
def hostile(catalogue: ChipCatalogue) -> dict[str, Any]:  # noqa: F811
    sites = [_site(i, p, catalogue) for i, p in enumerate(CORPUS)]
    # Nested boxes, each holding every site: every region section lists them all.
    regions = [
        rectangle(p, 90.0 - i * 0.1, 40.0 - i * 0.1, 96.0 + i * 0.1, 45.0 + i * 0.1)
        for i, p in enumerate(CORPUS)
    ]
    areas = [PolygonRegion(p, box(80.0 + i, 36.0, 80.8 + i, 37.0)) for i, p in enumerate(CORPUS)]
    return {
        "sites": sites,
        "regions": regions,
        "layer": BoundaryLayer(name=CORPUS[0], areas=areas),
        "metadata": {"title": CORPUS[3], "description": CORPUS[1], "as_of": "2025-12-15"},
    }


def _no_execution(js: Any, dialogs: list[str], requests: list[str]) -> None:
    assert js("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert requests == []
    injected = (
        "img[src='x'], iframe, object, embed, math, a[href^='javascript'], "
        "link[href*='evil'], [onerror], [onload], [onclick]"
    )
    assert js(f'document.querySelectorAll("{injected}").length') == 0


# ----------------------------------------------------------------------- the map page


@pytest.fixture(scope="module")
def page(
    qapp: Any,
    catalogue: ChipCatalogue,  # noqa: F811
    basemap_dir: Path,  # noqa: F811
    hostile: dict[str, Any],
) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent

    session = make_session(catalogue, sites=[])
    features = [r.to_feature() for r in hostile["regions"]]
    session.load(
        Project(sites=hostile["sites"], metadata=hostile["metadata"], regions=features),
        path=None,
        display_name=CORPUS[2],
    )
    env = open_map(None, session, basemap_dir)
    rc = RegionMapController(env.view, session)
    yield env, rc, session
    rc.detach()
    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_map_page_shows_every_payload_as_text(
    qtbot: Any, page: Any, hostile: dict[str, Any]
) -> None:
    env, rc, session = page
    view = env.view
    driver = MapDriver(view)

    def js(expr: str) -> Any:
        return call_js(qtbot, view.evaluate, expr)

    rc.set_boundary_layer(hostile["layer"])
    qtbot.waitUntil(lambda: js("CSE.boundaryState().name") == CORPUS[0], timeout=10_000)
    for site in hostile["sites"]:
        state = call_js(qtbot, driver.marker_state, site.id)
        assert state is not None and state["tooltip_text"].split("\n")[0] == site.name
    for entry in session.regions:
        state = call_js(qtbot, driver.region_state, entry.id)
        assert state["label_dom_text"] == entry.name
    boundary = call_js(qtbot, driver.boundary_state)
    assert boundary["control_label"] == CORPUS[0]
    # The pick tool names the layer in its hint and each hovered area in its label.
    rc.set_draw_mode("pick")
    qtbot.waitUntil(lambda: call_js(qtbot, driver.draw_state)["pick_layer"] == "boundary")
    assert (
        call_js(qtbot, driver.draw_state)["hint"]
        == f"Click an area of {CORPUS[0]} \u00b7 Esc cancels"
    )
    for area in hostile["layer"].areas[:5]:
        c = area.geometry.centroid
        assert call_js(qtbot, driver.hover_map_at, c.x, c.y) is True
        qtbot.waitUntil(lambda a=area: call_js(qtbot, driver.draw_state)["hovered"] == a.name)
        assert js("document.querySelector('.cse-draw-tip').textContent") == area.name
    rc.set_draw_mode("none")
    _no_execution(js, view.js_dialogs, view.external_requests)
    assert view.js_errors == []


# ----------------------------------------------------------------------- the HTML export


@pytest.fixture(scope="module")
def html(
    catalogue: ChipCatalogue,  # noqa: F811
    basemap_dir: Path,  # noqa: F811
    hostile: dict[str, Any],
) -> str:
    return build_html(
        sites=hostile["sites"],
        regions=hostile["regions"],
        metadata=hostile["metadata"],
        title=CORPUS[2],
        catalogue=catalogue,
        basemap_dir=basemap_dir,
    )


def test_html_file_holds_no_payload_as_markup(html: str) -> None:
    for payload in CORPUS:
        if "<" in payload:
            assert payload not in html, payload
    assert "evil.example" not in re.sub(r"<script\b.*?</script>", "", html, flags=re.S)


def test_html_export_opened_offline_runs_and_fetches_nothing(
    qtbot: Any, html: str, hostile: dict[str, Any], tmp_path: Path
) -> None:
    # Without its CSP too, so a request would reach the recording interceptor.
    for text in (html, re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)):
        path = tmp_path / "export.html"
        path.write_text(text, encoding="utf-8")
        viewer: OfflineViewer = open_offline(qtbot, path)
        try:
            for site in hostile["sites"]:
                tip = viewer.js(qtbot, f"CSE.markerState({json.dumps(site.id)})")["tooltip_text"]
                assert tip.split("\n")[0] == site.name
            labels = viewer.js(
                qtbot,
                "Array.from(document.querySelectorAll('.cse-region-name'))"
                ".map(function (e) { return e.textContent; })",
            )
            assert sorted(labels) == sorted(CORPUS)
            header = viewer.js(qtbot, "document.querySelector('.cse-export-header').textContent")
            assert CORPUS[2] in header
            assert viewer.js(qtbot, "document.title") == CORPUS[2]
            _no_execution(
                lambda e, v=viewer: v.js(qtbot, e),
                viewer.page.js_dialogs,
                viewer.interceptor.external_requests,
            )
            assert viewer.page.js_errors == []
        finally:
            viewer.close()


# ----------------------------------------------------------------------- the PDF report


def _squash(text: str) -> str:
    return "".join(text.split())


def test_pdf_report_shows_text_literally_and_holds_nothing_active(
    tmp_path: Path,
    catalogue: ChipCatalogue,  # noqa: F811
    hostile: dict[str, Any],
) -> None:
    Image.new("RGB", (4, 4), (255, 0, 0)).save(SECRET_PNG)
    try:
        out = tmp_path / "report.pdf"
        build_report(
            out,
            sites=hostile["sites"],
            regions=hostile["regions"][:3],
            map_png=None,
            title=CORPUS[4],
            metadata=hostile["metadata"],
            catalogue=catalogue,
        )
    finally:
        SECRET_PNG.unlink()
    reader = pypdf.PdfReader(out)
    text = _squash("".join(page.extract_text() for page in reader.pages))
    lon = np.array([s.lon for s in hostile["sites"]])
    lat = np.array([s.lat for s in hostile["sites"]])
    inside = np.any([r.mask(lon, lat) for r in hostile["regions"][:3]], axis=0)
    sites_in_report = {s.id for s, hit in zip(hostile["sites"], inside, strict=True) if hit}
    assert sites_in_report, "the regions must hold some of the hostile sites"
    for site in hostile["sites"]:
        if site.id in sites_in_report:
            assert _squash(site.name) in text, site.name
    assert _squash(CORPUS[4]) in text  # the title
    for payload in CORPUS[:3]:
        assert _squash(payload) in text  # region names and source titles
    # Nothing active: no image was pulled in, no script, no launch, no file link.
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        assert not [k for k, v in xobjects.items() if v.get_object().get("/Subtype") == "/Image"]
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = str(action.get("/URI", ""))
            assert action.get("/S") in (None, "/URI", "/GoTo"), action
            assert not uri or uri.startswith(("http://", "https://")), uri
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert "/JavaScript" not in (root.get("/Names") or {})
    raw = out.read_bytes()
    assert b"/JavaScript" not in raw and b"/Launch" not in raw and b"/EmbeddedFile" not in raw
