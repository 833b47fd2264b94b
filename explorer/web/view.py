"""The map widget: a locked-down QtWebEngine page showing the folium map.

- :class:`MapView` writes the page (see :mod:`explorer.web.page`) into a private
  temporary directory and loads it from there, with its own off-the-record profile.
- :class:`MapPage` only navigates to that page, opens no windows, shows no JS dialogs,
  and records JS console errors.
- :class:`LocalOnlyInterceptor` blocks every request that is not for the page's own
  files, Qt's ``qrc:`` resources, ``data:`` or ``blob:``; it records what it saw.

Tests drive the page the way a user does (real mouse events at a marker's pixel) and
read back what it drew with ``tests/web/driver.py``; production code needs only
:meth:`MapView.evaluate` and the frame marker (:meth:`MapView.present_frame`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRect,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtQuickWidgets import QQuickWidget
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
from PySide6.QtWidgets import QWidget

from explorer.web.bridge import MapBridge
from explorer.web.page import (
    DEFAULT_CENTER,
    DEFAULT_ZOOM,
    OSM_TILE_ORIGIN,
    build_map_html,
    write_map_page,
)

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


__all__ = [
    "LocalOnlyInterceptor",
    "MapPage",
    "MapView",
    "prepare_application",
]
