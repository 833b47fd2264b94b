"""The map widget: a locked-down QtWebEngine page showing the folium map.

- :class:`MapView` writes the page (see :mod:`explorer.web.page`) into a private
  temporary directory and loads it from there, with its own off-the-record profile.
- :class:`MapPage` only navigates to that page, opens no windows, shows no JS dialogs,
  and records JS console errors.
- :class:`LocalOnlyInterceptor` blocks every request that is not for the page's own
  files, Qt's ``qrc:`` resources, ``data:`` or ``blob:``; it records what it saw.

``MapView.marker_state`` / ``click_marker`` / ``drag_marker`` / ``click_map_at`` drive
the page the way a user does (real mouse events at a marker's pixel) for GUI tests;
``draw_polygon`` / ``draw_rectangle`` / ``draw_circle`` / ``drag_region_handle`` /
``click_draw_tool`` / ``press_escape`` do the same for the drawing tools, and
``region_state`` / ``draw_state`` / ``boundary_state`` read back what the page drew, and
``hover_map_at`` moves the real mouse over a point (the pick tool's hover).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QPointF,
    QRect,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QMouseEvent
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtTest import QTest
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QWidget

from explorer.web.bridge import MapBridge
from explorer.web.page import (
    DEFAULT_CENTER,
    DEFAULT_ZOOM,
    OSM_TILE_ORIGIN,
    build_map_html,
    write_map_page,
)
from explorer.web.payload import to_json

log = logging.getLogger(__name__)

#: Schemes the page may load without restriction.
LOCAL_SCHEMES = frozenset({"qrc", "data", "blob"})
#: Cap on each recorded-URL list (online tiles can make many requests).
MAX_RECORDED = 1000
#: The page's frame marker holds a seq modulo this (4 bits per colour channel).
FRAME_SEQ_MODULUS = 4096
#: Upper bound for :meth:`MapView.present_frame` (a safety net, not a delay).
PRESENT_TIMEOUT_MS = 3000

JsCallback = Callable[[Any], None]
DoneCallback = Callable[[bool], None]
#: How a test polygon is finished (see :meth:`MapView.draw_polygon`).
POLYGON_FINISHES = ("first", "double", "escape", "none")


def prepare_application() -> None:
    """Process-wide set-up QtWebEngine needs; call before the QApplication exists.

    Shares OpenGL contexts (required when QtWebEngine is used from widgets) and loads
    QtWebEngine early. Harmless if called more than once; after the QApplication exists
    it does nothing that would need an application restart.
    """
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


class LocalOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request except the page's own files and local schemes.

    Parameters
    ----------
    page_dir : Path
        ``file:`` requests must be inside this directory.
    allowed_prefixes : sequence of str
        Remote URL prefixes that are let through (the optional online tile server).

    Attributes
    ----------
    external_requests : list of str
        Every request that was not local (blocked or allowed), in order.
    blocked_requests : list of str
        Every request that was blocked (remote, or a file outside ``page_dir``).
    """

    def __init__(
        self, page_dir: Path, allowed_prefixes: Sequence[str] = (), parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._page_dir = os.path.realpath(page_dir)
        self._allowed = tuple(allowed_prefixes)
        self.external_requests: list[str] = []
        self.blocked_requests: list[str] = []

    def _is_page_file(self, url: QUrl) -> bool:
        path = os.path.realpath(url.toLocalFile())
        return os.path.commonpath([path, self._page_dir]) == self._page_dir

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt API
        """Called by QtWebEngine for every request the page makes."""
        url = info.requestUrl()
        scheme = url.scheme().lower()
        if scheme in LOCAL_SCHEMES:
            return
        text = url.toString()
        if scheme == "file":
            if self._is_page_file(url):
                return
            self._record(self.blocked_requests, text)
            info.block(True)
            log.warning("map page: blocked local file request %s", text)
            return
        self._record(self.external_requests, text)
        if self._allowed and text.startswith(self._allowed):
            return
        self._record(self.blocked_requests, text)
        info.block(True)
        log.warning("map page: blocked remote request %s", text)

    @staticmethod
    def _record(target: list[str], url: str) -> None:
        if len(target) < MAX_RECORDED:
            target.append(url[:2000])


class MapPage(QWebEnginePage):
    """A page that stays on one URL, opens no windows and logs its console.

    Attributes
    ----------
    js_errors : list of str
        Console messages at error level (``source:line: message``).
    js_dialogs : list of str
        Texts of ``alert``/``confirm``/``prompt`` calls (none are shown).
    blocked_navigations : list of str
        URLs the page tried to navigate to and was refused.
    blocked_windows : int
        How many new windows the page asked for (none were opened).
    """

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.allowed_url = QUrl()
        self.js_errors: list[str] = []
        self.js_dialogs: list[str] = []
        self.blocked_navigations: list[str] = []
        self.blocked_windows = 0

    def acceptNavigationRequest(  # noqa: N802 - Qt API
        self, url: QUrl | str, type_: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        """Allow only (re)loading the page itself."""
        text = QUrl(url).toString()
        target = text.split("#", 1)[0]
        if not self.allowed_url.isEmpty() and target == self.allowed_url.toString():
            return True
        LocalOnlyInterceptor._record(self.blocked_navigations, text)
        log.warning("map page: blocked navigation to %s", text)
        return False

    # Qt allows createWindow to return nullptr (no window); the stubs demand a page.
    def createWindow(  # type: ignore[override]  # noqa: N802
        self, _type: QWebEnginePage.WebWindowType
    ) -> QWebEnginePage | None:
        """No pop-ups, no new tabs."""
        self.blocked_windows += 1
        log.warning("map page: blocked a new window")
        return None

    def javaScriptConsoleMessage(  # noqa: N802 - Qt API
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        """Forward the page's console to Python logging; keep errors."""
        text = f"{source}:{line}: {message}"
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            LocalOnlyInterceptor._record(self.js_errors, text)
            log.error("map page JS: %s", text)
        elif level == QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel:
            log.warning("map page JS: %s", text)
        else:
            log.debug("map page JS: %s", text)

    # Qt passes a QUrl; the stubs widen it to ``QUrl | str``, which is accepted here too.
    def javaScriptAlert(self, _origin: QUrl | str, msg: str) -> None:  # noqa: N802
        """Never show a dialog from page script; record it (tests assert none)."""
        LocalOnlyInterceptor._record(self.js_dialogs, f"alert: {msg}")
        log.warning("map page: suppressed alert(%r)", msg[:200])

    def javaScriptConfirm(self, _origin: QUrl | str, msg: str) -> bool:  # noqa: N802
        """Never show a dialog from page script."""
        LocalOnlyInterceptor._record(self.js_dialogs, f"confirm: {msg}")
        return False

    def javaScriptPrompt(  # noqa: N802
        self, _origin: QUrl | str, msg: str, _default: str
    ) -> tuple[bool, str]:
        """Never show a dialog from page script."""
        LocalOnlyInterceptor._record(self.js_dialogs, f"prompt: {msg}")
        return False, ""


def _lock_down(settings: QWebEngineSettings) -> None:
    A = QWebEngineSettings.WebAttribute
    # The page is a file: URL. Its own files must load; everything remote is refused by
    # the interceptor, which must see the request to do so (and to record it), so
    # Chromium's coarser "local content may not load remote URLs" rule is turned off
    # here rather than letting requests vanish unrecorded.
    settings.setAttribute(A.LocalContentCanAccessFileUrls, True)
    settings.setAttribute(A.LocalContentCanAccessRemoteUrls, True)
    settings.setAttribute(A.JavascriptCanOpenWindows, False)
    settings.setAttribute(A.JavascriptCanAccessClipboard, False)
    settings.setAttribute(A.JavascriptCanPaste, False)
    settings.setAttribute(A.NavigateOnDropEnabled, False)
    settings.setAttribute(A.PluginsEnabled, False)
    settings.setAttribute(A.PdfViewerEnabled, False)
    settings.setAttribute(A.DnsPrefetchEnabled, False)
    settings.setAttribute(A.AutoLoadIconsForPage, False)
    settings.setAttribute(A.LocalStorageEnabled, False)
    settings.setAttribute(A.WebGLEnabled, False)
    settings.setAttribute(A.ErrorPageEnabled, False)


def make_private_profile() -> QWebEngineProfile:
    """An off-the-record profile owned by the application, not by a page.

    Qt requires a profile to be destroyed after the pages that use it; parenting it to
    a page (or leaving it to Python's garbage collector) can invert that order at exit
    and crash Chromium. Callers connect ``page.destroyed`` to ``profile.deleteLater``.
    """
    profile = QWebEngineProfile(QCoreApplication.instance())
    return profile


class MapView(QWebEngineView):
    """The map: folium/Leaflet page, QWebChannel bridge, and a locked-down profile.

    Parameters
    ----------
    parent : QWidget, optional
    center : (lat, lon)
        Initial map centre.
    zoom : int
        Initial zoom.
    online_tiles : bool
        Offer (not show) OpenStreetMap tiles; the interceptor then lets requests to the
        OSM tile server through. Off by default: the page makes no remote request.
    basemap_dir : Path, optional
        Basemap GeoJSON directory (default ``explorer/geodata/basemap``).

    Attributes
    ----------
    bridge : MapBridge
        The object registered on the page's web channel as ``bridge``.
    page_url : QUrl
        The ``file:`` URL of the page.
    page_dir : Path
        The private directory the page was written to (removed with the view).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        center: Sequence[float] = DEFAULT_CENTER,
        zoom: int = DEFAULT_ZOOM,
        online_tiles: bool = False,
        basemap_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        html = build_map_html(
            center=center, zoom=zoom, online_tiles=online_tiles, basemap_dir=basemap_dir
        )
        self._tmp = tempfile.TemporaryDirectory(prefix="cse-map-")
        # The C++ view can go before Python drops it: remove the files then.
        tmp = self._tmp
        self.destroyed.connect(lambda *_: tmp.cleanup())
        self.page_dir = Path(self._tmp.name)
        index = write_map_page(self.page_dir, html)
        self.page_url = QUrl.fromLocalFile(str(index))

        # A private, off-the-record profile per view: no disk cache, no cookies, and an
        # interceptor that applies to this page only. A profile must outlive every page
        # using it (Chromium crashes at exit otherwise), so it belongs to the application
        # and is deleted from the event loop once its page is gone.
        profile = make_private_profile()
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        profile.setSpellCheckEnabled(False)
        self._interceptor = LocalOnlyInterceptor(
            self.page_dir, (OSM_TILE_ORIGIN,) if online_tiles else (), parent=profile
        )
        profile.setUrlRequestInterceptor(self._interceptor)
        profile.downloadRequested.connect(self._refuse_download)

        page = MapPage(profile, self)
        page.destroyed.connect(profile.deleteLater)
        page.allowed_url = self.page_url
        _lock_down(page.settings())
        self._map_page = page

        self.bridge = MapBridge(self)
        self._channel = QWebChannel(page)
        self._channel.registerObject("bridge", self.bridge)
        page.setWebChannel(self._channel)
        page.loadStarted.connect(self.bridge.page_unloaded)
        page.renderProcessTerminated.connect(self._on_render_process_terminated)
        self.setPage(page)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.load(self.page_url)

    # ------------------------------------------------------------------ records
    @property
    def external_requests(self) -> list[str]:
        """Non-local requests the page attempted (tests assert this stays empty)."""
        return self._interceptor.external_requests

    @property
    def blocked_requests(self) -> list[str]:
        """Requests the interceptor refused."""
        return self._interceptor.blocked_requests

    @property
    def js_errors(self) -> list[str]:
        """JS console errors (``source:line: message``)."""
        return self._map_page.js_errors

    @property
    def js_dialogs(self) -> list[str]:
        """``alert``/``confirm``/``prompt`` calls the page made (none are shown)."""
        return self._map_page.js_dialogs

    @property
    def blocked_navigations(self) -> list[str]:
        """Navigations the page attempted and was refused."""
        return self._map_page.blocked_navigations

    # ------------------------------------------------------------------ lifecycle
    def _refuse_download(self, download: QWebEngineDownloadRequest) -> None:
        log.warning("map page: refused download of %s", download.url().toString())
        download.cancel()

    def _on_render_process_terminated(
        self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int
    ) -> None:
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return
        # Reload: the page reconnects, and the controller sends the full state again.
        log.error(
            "map page renderer ended (%s, exit code %d); reloading the map", status.name, code
        )
        self.bridge.page_unloaded()
        self.load(self.page_url)

    def frame_seq(self) -> int | None:
        """The seq shown by the page's frame marker in the widget's pixels now.

        The page colours a 2x2 px marker in its top-left corner with the newest message
        seq it applied (12 bits, in the same task as the change), so the widget's pixels
        say which messages are really on screen. ``None`` if it is not readable.
        """
        image = self.grab(QRect(0, 0, 2, 2)).toImage()
        if image.isNull():
            return None
        c = image.pixelColor(0, 0)
        parts = [round(v / 17) for v in (c.red(), c.green(), c.blue())]
        if any(
            abs(v * 17 - raw) > 3
            for v, raw in zip(parts, (c.red(), c.green(), c.blue()), strict=True)
        ):
            return None  # not a marker colour (the marker is not drawn yet)
        return (parts[0] << 8) | (parts[1] << 4) | parts[2]

    def shows_seq(self, seq: int) -> bool:
        """True when the widget's pixels include every message up to ``seq``."""
        shown = self.frame_seq()
        if shown is None:
            return False
        return (shown - seq) % FRAME_SEQ_MODULUS < FRAME_SEQ_MODULUS // 2

    def present_frame(self, callback: Callable[[], None], seq: int | None = None) -> None:
        """Call ``callback`` once the widget shows every message up to ``seq``.

        ``seq`` defaults to the newest the page acknowledged. The page's ``rendered``
        ack means Chromium painted; the Qt widget gets that frame a little later (one
        or more frames, on its own schedule), so ``grab()`` right at the ack can still
        show the previous frame. This makes the widget draw now and, while the frame
        marker is behind, again on every new frame from Chromium, until it shows
        ``seq``. (A hidden view, or no frame within ``PRESENT_TIMEOUT_MS``, calls back
        anyway, with a warning for the latter.)
        """
        target = self.bridge.last_rendered_seq if seq is None else seq
        proxy = self.focusProxy()
        window = proxy.quickWindow() if isinstance(proxy, QQuickWidget) else None
        if (
            not isinstance(proxy, QQuickWidget)
            or window is None
            or not self.isVisible()
            or target <= 0
        ):
            callback()
            return
        done = False
        timer = QTimer(self)
        timer.setSingleShot(True)

        def finish(on_screen: bool) -> None:
            nonlocal done
            if done:
                return
            done = True
            timer.stop()
            timer.deleteLater()
            window.afterRendering.disconnect(check)
            if not on_screen:
                log.warning(
                    "map view: seq %d not seen on screen in time; calling back anyway", target
                )
            callback()

        def check() -> None:
            if not done and self.shows_seq(target):
                finish(True)

        window.afterRendering.connect(check, Qt.ConnectionType.QueuedConnection)
        timer.timeout.connect(lambda: finish(False))
        timer.start(PRESENT_TIMEOUT_MS)
        # A private slot of QQuickWidget, reached through the meta-object; not in the stubs.
        proxy.triggerUpdate()  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ page access
    def run_js(self, script: str, callback: JsCallback | None = None) -> None:
        """Run ``script`` in the page's main world; ``callback`` gets its result as Qt
        converts it (use :meth:`evaluate` for objects)."""
        if callback is None:
            self.page().runJavaScript(script)
        else:
            self.page().runJavaScript(script, 0, callback)

    def evaluate(self, expression: str, callback: JsCallback) -> None:
        """Evaluate a JS ``expression`` and pass its value, via JSON, to ``callback``.

        JSON round-trips nested objects faithfully (Qt's own conversion of a returned
        object can come back empty). A thrown error is logged and gives ``None``.
        """
        script = (
            "(function () { try { return JSON.stringify({ok: true, value: (" + expression + ")}); }"
            " catch (e) { return JSON.stringify({ok: false, error: String(e)}); } })()"
        )

        def parsed(result: Any) -> None:
            try:
                reply = json.loads(result) if isinstance(result, str) else None
            except ValueError:
                reply = None
            if not isinstance(reply, dict) or not reply.get("ok"):
                log.warning(
                    "map page: evaluating %.80s failed: %s",
                    expression,
                    reply and reply.get("error"),
                )
                callback(None)
                return
            callback(reply.get("value"))

        self.run_js(script, parsed)

    def page_state(self, callback: JsCallback) -> None:
        """``callback`` gets a dict: connected, sites, selected, mode, color_mode, zoom,
        basemap ({key: {features, on_map}}), layer_control (labels), town_dots,
        town_labels, readout, legend, load_id."""
        self.evaluate("CSE.pageState()", callback)

    def marker_state(self, sid: str, callback: JsCallback) -> None:
        """``callback`` gets the marker of ``sid`` as drawn by Leaflet, or ``None``.

        The dict has ``lat, lon, radius, tooltip_text, selected, color`` (fill colour),
        plus ``outline, dashed, on_map, drawn``.
        """
        self.evaluate(f"CSE.markerState({to_json(sid)})", callback)

    def _widget_point(self, point: dict[str, float] | None) -> QPoint | None:
        if not point:
            return None
        z = self.zoomFactor()
        x, y = float(point["x"]) * z, float(point["y"]) * z
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        if not (0 <= x < self.width() and 0 <= y < self.height()):
            return None
        return QPoint(round(x), round(y))

    def _input_widget(self) -> QWidget:
        return self.focusProxy() or self

    def _at_point(
        self,
        script: str,
        act: Callable[[QWidget, QPoint], None],
        done: DoneCallback | None,
    ) -> None:
        """Evaluate ``script`` (a point in viewport pixels), then ``act(target, pos)``
        with the real mouse at that point; ``done(False)`` if it is missing or off
        screen (nothing sent), else ``done(True)`` after ``act``."""

        def at(point: dict[str, float] | None) -> None:
            pos = self._widget_point(point)
            if pos is not None:
                act(self._input_widget(), pos)
            if done is not None:
                done(pos is not None)

        self.evaluate(script, at)

    def _click_point(self, script: str, done: DoneCallback | None) -> None:
        """A real left click at the point ``script`` evaluates to (see :meth:`_at_point`)."""

        def click(target: QWidget, pos: QPoint) -> None:
            QTest.mouseMove(target, pos)
            QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)

        self._at_point(script, click, done)

    def click_marker(self, sid: str, done: Callable[[bool], None] | None = None) -> None:
        """Click the marker of ``sid`` with a real left click at its pixel.

        The click goes through Chromium and Leaflet like a user's. ``done(False)`` if the
        marker is unknown or off screen, else ``done(True)`` after the click was sent.
        """
        self._click_point(f"CSE.markerPoint({to_json(sid)})", done)

    def click_map_at(
        self, lon: float, lat: float, done: Callable[[bool], None] | None = None
    ) -> None:
        """Left-click the map at a geographic point (e.g. in place mode)."""
        self._click_point(f"CSE.viewportPoint({to_json(lat)}, {to_json(lon)})", done)

    def hover_map_at(
        self, lon: float, lat: float, done: Callable[[bool], None] | None = None
    ) -> None:
        """Move the mouse over the map at a geographic point (no click).

        The mouse comes from one pixel to the left, so the page sees a move even when
        the mouse was already there. ``done(False)`` if the point is off screen or
        under a map control.
        """

        def hover(target: QWidget, pos: QPoint) -> None:
            QTest.mouseMove(target, QPoint(max(0, pos.x() - 1), pos.y()))
            QTest.mouseMove(target, pos)

        self._at_point(f"CSE.mapPoint({to_json(float(lat))}, {to_json(float(lon))})", hover, done)

    def drag_marker(
        self,
        sid: str,
        lon: float,
        lat: float,
        done: Callable[[bool], None] | None = None,
        steps: int = 8,
    ) -> None:
        """Press on the marker of ``sid``, move the mouse to ``(lon, lat)`` and release."""
        script = (
            f"[CSE.markerPoint({to_json(sid)}), CSE.viewportPoint({to_json(lat)}, {to_json(lon)})]"
        )
        self._press_drag_release(script, done, steps)

    # ------------------------------------------------------------------ regions (tests)
    def region_state(self, rid: str, callback: JsCallback) -> None:
        """``callback`` gets region ``rid`` as drawn by the page, or ``None``.

        The dict has ``name, kind``, ``drawn`` (its SVG path is painted), ``on_map``,
        ``latlngs`` (vertex count of the drawn outline), ``selected``, ``label_text``,
        ``label_shown``, ``label_dom_text`` (the label element's text in the page),
        ``handles`` (editing handles shown), ``color``, ``weight``.
        """
        self.evaluate(f"CSE.regionState({to_json(rid)})", callback)

    def draw_state(self, callback: JsCallback) -> None:
        """``callback`` gets the drawing tools' state.

        The dict has ``mode``, ``vertices`` (polygon vertices placed), ``vertex_list``,
        ``pressing``, ``press`` (``{start, current}`` as ``[lon, lat]`` during a
        rectangle/circle drag), ``preview_layers``, ``dragging``, ``double_click_zoom``,
        ``tip`` (the live label), ``hint``, ``pick_layer`` (``"boundary"`` or
        ``"provinces"``: what pick mode picks from), ``hovered`` (the area name under the
        mouse in pick mode), ``active_tool`` and ``sent`` (the page's last few drawing
        messages to Python).
        """
        self.evaluate("CSE.drawState()", callback)

    def boundary_state(self, callback: JsCallback) -> None:
        """``callback`` gets the loaded boundary layer as the page shows it.

        The dict has ``name`` (``None`` when no layer is loaded), ``features`` (areas
        in the layer), ``drawn`` (areas projected into the current view), ``vertices``,
        ``on_map``, ``pane``, ``dash``, ``color``, ``control_label`` (its item's text in
        the layer switcher, ``None`` if not listed), ``control_label_elements``
        (elements inside that item: 3 for Leaflet's own) and ``dropped`` (payloads the
        page refused).
        """
        self.evaluate("CSE.boundaryState()", callback)

    def _press_drag_release(self, script: str, done: DoneCallback | None, steps: int) -> None:
        """Evaluate ``script`` (``[startPoint, endPoint]`` in viewport pixels), then press
        at the start, move in ``steps`` real mouse moves to the end and release there."""

        def at(points: list[dict[str, float]] | None) -> None:
            start = self._widget_point(points[0]) if points else None
            end = self._widget_point(points[1]) if points else None
            ok = start is not None and end is not None
            if ok:
                assert start is not None and end is not None
                target = self._input_widget()
                left = Qt.MouseButton.LeftButton
                none = Qt.KeyboardModifier.NoModifier
                QTest.mouseMove(target, start)
                QTest.mousePress(target, left, none, start)
                self._move_mouse(start, end, steps, from_first=False)
                QTest.mouseRelease(target, left, none, end)
            if done is not None:
                done(ok)

        self.evaluate(script, at)

    def _move_mouse(self, start: QPoint, end: QPoint, steps: int, *, from_first: bool) -> None:
        """Real mouse moves from ``start`` to ``end`` (inclusive), ``steps`` of them."""
        target = self._input_widget()
        n = max(1, steps)
        for i in range(0 if from_first else 1, n + 1):
            QTest.mouseMove(
                target,
                QPoint(
                    round(start.x() + (end.x() - start.x()) * i / n),
                    round(start.y() + (end.y() - start.y()) * i / n),
                ),
            )

    @staticmethod
    def _points_script(lonlats: Sequence[Sequence[float]]) -> str:
        # mapPoint: null where a control (legend, toolbar...) would take the click.
        calls = [f"CSE.mapPoint({to_json(float(p[1]))}, {to_json(float(p[0]))})" for p in lonlats]
        return "[" + ", ".join(calls) + "]"

    def draw_polygon(
        self,
        vertices_lonlat: Sequence[Sequence[float]],
        done: DoneCallback | None = None,
        *,
        finish: str = "first",
        steps: int = 4,
    ) -> None:
        """Click a polygon's vertices with the real mouse (polygon tool on).

        Parameters
        ----------
        vertices_lonlat : sequence of (lon, lat)
        done : callable, optional
            ``done(True)`` once every event was sent; ``done(False)`` (nothing sent) if
            a vertex is off screen or under a map control (the legend...).
        finish : {"first", "double", "escape", "none"}
            Click the first vertex again; double-click the last vertex; press Esc
            after the last vertex; or leave the polygon open.
        steps : int
            Mouse moves between vertices (the rubber band follows them).
        """
        if finish not in POLYGON_FINISHES:
            raise ValueError(f"finish must be one of {', '.join(POLYGON_FINISHES)}, got {finish!r}")

        def at(points: list[dict[str, float]] | None) -> None:
            pts = [self._widget_point(p) for p in points or []]
            ok = bool(pts) and all(p is not None for p in pts)
            if ok:
                target = self._input_widget()
                left = Qt.MouseButton.LeftButton
                none = Qt.KeyboardModifier.NoModifier
                path: list[QPoint] = [p for p in pts if p is not None]
                QTest.mouseMove(target, path[0])
                for i, p in enumerate(path):
                    if i:
                        self._move_mouse(path[i - 1], p, steps, from_first=False)
                    if finish == "double" and i == len(path) - 1:
                        self._double_click(p)
                    else:
                        QTest.mouseClick(target, left, none, p)
                if finish == "first":
                    self._move_mouse(path[-1], path[0], steps, from_first=False)
                    QTest.mouseClick(target, left, none, path[0])
                elif finish == "escape":
                    self.press_escape()
            if done is not None:
                done(ok)

        self.evaluate(self._points_script(vertices_lonlat), at)

    def draw_rectangle(
        self,
        corner1: Sequence[float],
        corner2: Sequence[float],
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Press at ``corner1`` (lon, lat), drag to ``corner2`` and release (rectangle tool)."""
        self._press_drag_release(self._points_script([corner1, corner2]), done, steps)

    def draw_circle(
        self,
        center: Sequence[float],
        edge_point: Sequence[float],
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Press at ``center`` (lon, lat), drag to ``edge_point`` and release (circle tool)."""
        self._press_drag_release(self._points_script([center, edge_point]), done, steps)

    def drag_region_handle(
        self,
        rid: str,
        handle_index: int,
        lon: float,
        lat: float,
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Drag editing handle ``handle_index`` of the selected region ``rid`` to
        ``(lon, lat)``; ``done(False)`` if that handle is not shown."""
        script = (
            f"[CSE.regionHandlePoint({to_json(rid)}, {to_json(int(handle_index))}),"
            f" CSE.mapPoint({to_json(float(lat))}, {to_json(float(lon))})]"
        )
        self._press_drag_release(script, done, steps)

    def click_region(self, rid: str, done: DoneCallback | None = None) -> None:
        """Left-click the middle of region ``rid`` (Leaflet's centre of its outline)."""
        self._click_point(f"CSE.regionPoint({to_json(rid)})", done)

    def click_draw_tool(self, mode: str, done: DoneCallback | None = None) -> None:
        """Click the toolbar button of drawing tool ``mode`` (``"polygon"``...)."""
        self._click_point(f"CSE.drawToolPoint({to_json(mode)})", done)

    def _double_click(self, pos: QPoint) -> None:
        """A left double-click at ``pos`` as a user makes it: press, release, press,
        release, 20 ms apart.

        Not ``QTest.mouseDClick``: QtWebEngine counts clicks itself from the presses'
        timestamps and ignores Qt's synthetic double-click event, and QTest spaces its
        presses a double-click interval apart (so two ``mouseClick`` never make one).
        """
        target = self._input_widget()
        left = Qt.MouseButton.LeftButton
        stamp = int(time.monotonic() * 1000)
        sequence = (
            (QEvent.Type.MouseButtonPress, left),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
            (QEvent.Type.MouseButtonPress, left),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
        )
        for i, (kind, buttons) in enumerate(sequence):
            event = QMouseEvent(
                kind,
                QPointF(pos),
                QPointF(target.mapToGlobal(pos)),
                left,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            )
            event.setTimestamp(stamp + 20 * i)
            QApplication.sendEvent(target, event)

    def press_escape(self) -> None:
        """Press and release Esc in the page (cancels a drawing or a handle drag)."""
        target = self._input_widget()
        target.setFocus()
        QTest.keyClick(target, Qt.Key.Key_Escape)


__all__ = [
    "POLYGON_FINISHES",
    "LocalOnlyInterceptor",
    "MapPage",
    "MapView",
    "prepare_application",
]
