"""Map snapshots at print size: an offscreen map page, grabbed when rendered, then overlays.

:func:`render_snapshot` builds a private, offscreen :class:`~explorer.web.view.MapView`
showing the given sites (and regions) with the given colour mode, sizes it to the
requested pixels, fits the view, waits for the page's ``rendered`` acknowledgement and
the widget's frame marker (:meth:`MapController.call_when_rendered`, never a delay),
grabs it, and paints the print furniture with :class:`QPainter`: title, legend, scale
bar, north arrow, the data's as-of date, a caveat when a shown site is illustrative or
low-confidence, and the attribution. :func:`snapshot_to_file` does the same and blocks
(a local :class:`QEventLoop`) until the PNG is written; the CLI uses it.

How print size is reached (not by upscaling)
--------------------------------------------
A CSS pixel is defined as 1/96 inch, and every size on the map page (label fonts,
line widths, marker radii, the controls) is in CSS pixels. So the page is rendered
with QtWebEngine's zoom factor ``dpi / 96``: the widget is exactly the requested number
of device pixels, the page lays out in ``width * 96 / dpi`` CSS pixels, and Chromium
rasterises text and vectors directly at the output resolution. An A4 sheet at 300 dpi
(3508 x 2480 px) is laid out as a 1123 x 794 CSS-px page, i.e. the map looks on paper
exactly as it looks on a 96-dpi screen of A4 size: 11 px labels print at about 8 pt.
(Half the CSS size with a zoom factor of 2 would print those labels at about 5 pt,
too small to read; zoom factor 1 at 300 dpi would print them at 2.6 pt.) Leaflet's
``zoomSnap`` is set to 0 in the snapshot page so the view fits an extent exactly,
with a fractional zoom. Overlays are sized in points and drawn at ``dpi / 72`` device
pixels per point; without a ``dpi`` (screen and custom pixel sizes) 96 dpi is assumed.

Size limits (checked by :meth:`SnapshotSpec.validate` before anything starts)
----------------------------------------------------------------------------
Measured here (software rendering, offscreen): 16384 x 16384 px renders correctly in
about 5 s (the Python process peaks at 5.7 GB); at 20000 x 20000 px the frame no
longer reaches the widget within :data:`~explorer.web.view.PRESENT_TIMEOUT_MS` (so a
stale frame would be grabbed) and the process needs 8.3 GB. Hence at most
:data:`MAX_SIDE_PX` a side (also the usual maximum texture size of GPUs, which the
hardware-accelerated compositor cannot exceed) and at most :data:`MAX_PIXELS` in all
(12,000 x 12,000, about 3.3 GB measured; an A0 sheet at 300 dpi fits).

Headless use needs ``QT_QPA_PLATFORM=offscreen`` (and, as root, Chromium needs
``QTWEBENGINE_DISABLE_SANDBOX=1``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QObject,
    QPointF,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
)

from explorer.core.checks import list_of
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import MERCATOR_MAX_LAT, Region
from explorer.io.atomic import atomic_target
from explorer.session.session import Session
from explorer.web.html_export import caveat_text, data_extent, region_entries
from explorer.web.page import (
    ATTRIBUTION,
    DEFAULT_CENTER,
    DEFAULT_ZOOM,
    MAX_ZOOM,
    PROVINCE_NOTE,
)
from explorer.web.payload import COLOR_MODES, to_json

log = logging.getLogger(__name__)

#: Largest width or height accepted (see the module docstring).
MAX_SIDE_PX = 16384
#: Largest width x height accepted (see the module docstring).
MAX_PIXELS = 144_000_000
#: Smallest width or height: the title, legend and scale bar need room.
MIN_SIDE_PX = 320
#: Resolutions accepted; QtWebEngine's zoom factor (dpi / 96) must stay within 0.25..5.
MIN_DPI, MAX_DPI = 72, 480
#: CSS reference resolution: one CSS pixel is 1/96 inch.
CSS_DPI = 96
#: Longest title accepted.
MAX_TITLE = 300
#: Fitting to sites never zooms in beyond this (a single site would fill the map).
SITES_FIT_MAX_ZOOM = 9
#: WGS84 semi-major axis and first eccentricity squared (scale bar distances).
_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.00669437999014

ProgressCallback = Callable[[int, str], None]


# =========================================================================== the spec


@dataclass(frozen=True)
class SnapshotPreset:
    """A named output size (``width_px``/``height_px`` 0 for "the current view")."""

    key: str
    label: str
    width_px: int
    height_px: int
    dpi: int | None


#: Output sizes offered by the export dialog, in menu order.
PRESETS: dict[str, SnapshotPreset] = {
    p.key: p
    for p in (
        SnapshotPreset("screen", "Screen (current view size)", 0, 0, None),
        SnapshotPreset("a4-150", "A4 landscape, 150 dpi (1754 × 1240)", 1754, 1240, 150),
        SnapshotPreset("a4-300", "A4 landscape, 300 dpi (3508 × 2480)", 3508, 2480, 300),
        SnapshotPreset("letter-150", "Letter landscape, 150 dpi (1650 × 1275)", 1650, 1275, 150),
        SnapshotPreset("letter-300", "Letter landscape, 300 dpi (3300 × 2550)", 3300, 2550, 300),
        SnapshotPreset("custom", "Custom size", 0, 0, None),
    )
}

Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class SnapshotSpec:
    """What to render: pixel size, title, extent and print resolution.

    Parameters
    ----------
    width_px, height_px : int
        Exact size of the PNG, in pixels.
    title : str
        Printed at the top left; empty: the data's own title (metadata ``title``).
    extent : (west, south, east, north) or None
        Degrees to show (all of it, fitted exactly with a fractional zoom). ``None``
        fits the regions if any, else the sites.
    dpi : int or None
        Print resolution: the page is laid out at ``dpi / 96`` device pixels per CSS
        pixel and overlays at ``dpi / 72`` per point. ``None``: screen scale (96).
    legend : bool
        Draw the legend box (title, scale bar and footer are always drawn).
    """

    width_px: int
    height_px: int
    title: str = ""
    extent: Extent | None = None
    dpi: int | None = None
    legend: bool = True

    @classmethod
    def from_preset(
        cls,
        key: str,
        *,
        title: str = "",
        extent: Extent | None = None,
        size: tuple[int, int] | None = None,
        legend: bool = True,
    ) -> SnapshotSpec:
        """A spec for one of :data:`PRESETS`.

        ``size`` is required for ``"screen"`` (the current view's size) and
        ``"custom"``, and ignored otherwise.
        """
        if key not in PRESETS:
            raise ValueError(f"snapshot preset must be one of {', '.join(PRESETS)}, got {key!r}")
        preset = PRESETS[key]
        if preset.width_px:
            w, h = preset.width_px, preset.height_px
        elif size is None:
            raise ValueError(f"snapshot preset {key!r} needs a size (width, height)")
        else:
            w, h = size
        return cls(w, h, title=title, extent=extent, dpi=preset.dpi, legend=legend)

    # ------------------------------------------------------------------ derived
    @property
    def effective_dpi(self) -> float:
        """``dpi``, or 96 (screen scale) when none was given."""
        return float(self.dpi) if self.dpi is not None else float(CSS_DPI)

    @property
    def zoom_factor(self) -> float:
        """Device pixels per CSS pixel for the page (``dpi / 96``)."""
        return self.effective_dpi / CSS_DPI

    @property
    def point_px(self) -> float:
        """Device pixels per typographic point for the overlays (``dpi / 72``)."""
        return self.effective_dpi / 72.0

    def validate(self) -> None:
        """Refuse what cannot be rendered, before any work starts.

        Raises
        ------
        ValueError
            One line quoting the bad value and the limit (see the module docstring
            for how the size limits were measured).
        """
        for name, value in (("width", self.width_px), ("height", self.height_px)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"snapshot {name} must be a whole number of pixels, got {value!r}")
            if value < MIN_SIDE_PX:
                raise ValueError(
                    f"snapshot {name} must be at least {MIN_SIDE_PX} px (room for the title, "
                    f"legend and scale bar), got {value}"
                )
            if value > MAX_SIDE_PX:
                raise ValueError(
                    f"snapshot {name} {value} px is larger than the {MAX_SIDE_PX} px the map "
                    "engine can render (its maximum texture size)"
                )
        pixels = self.width_px * self.height_px
        if pixels > MAX_PIXELS:
            raise ValueError(
                f"snapshot {self.width_px} × {self.height_px} px is {pixels / 1e6:.0f} "
                f"megapixels; at most {MAX_PIXELS / 1e6:.0f} megapixels can be rendered "
                "reliably (larger frames take too long to reach the screen buffer and "
                "need several GB of memory)"
            )
        if self.dpi is not None:
            if isinstance(self.dpi, bool) or not isinstance(self.dpi, int):
                raise ValueError(f"snapshot dpi must be a whole number, got {self.dpi!r}")
            if not MIN_DPI <= self.dpi <= MAX_DPI:
                raise ValueError(
                    f"snapshot dpi must be between {MIN_DPI} and {MAX_DPI}, got {self.dpi}"
                )
        if not isinstance(self.title, str):
            raise ValueError(f"snapshot title must be text, got {self.title!r}")
        if len(self.title) > MAX_TITLE:
            raise ValueError(
                f"snapshot title is longer than {MAX_TITLE} characters, got '{self.title[:40]}...'"
            )
        if self.extent is not None:
            check_extent(self.extent)


#: The map in a PDF report: the report's text width (480 pt: A4 less its margins) at
#: 300 dpi, so the furniture prints at its own point size; 3:2 leaves room for the
#: first region's table on the report's first page.
REPORT_MAP_SIZE = (2000, 1333)
REPORT_MAP_DPI = 300


def report_map_spec(*, with_regions: bool) -> SnapshotSpec:
    """The snapshot a PDF report shows (regions fitted when there are any)."""
    title = "Regions in this report" if with_regions else "Sites in this report"
    return SnapshotSpec(*REPORT_MAP_SIZE, title=title, dpi=REPORT_MAP_DPI)


def check_extent(extent: Any) -> Extent:
    """``extent`` as a float ``(west, south, east, north)`` box, or ValueError."""
    try:
        w, s, e, n = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise ValueError(
            f"extent must be (west, south, east, north) in degrees, got {extent!r}"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise ValueError(f"extent must be finite degrees, got {extent!r}")
    if not (-180 <= w < e <= 180):
        raise ValueError(f"extent needs -180 <= west < east <= 180, got {extent!r}")
    if not (-MERCATOR_MAX_LAT <= s < n <= MERCATOR_MAX_LAT):
        raise ValueError(
            f"extent needs {-MERCATOR_MAX_LAT:.4f} <= south < north <= {MERCATOR_MAX_LAT:.4f} "
            f"(the Web Mercator map's limits), got {extent!r}"
        )
    return w, s, e, n


# =========================================================================== map geometry


@dataclass(frozen=True)
class MapFrame:
    """Where the snapshot page's map was when it was grabbed (Leaflet's own numbers).

    Maps geographic points to image pixels exactly as Leaflet does (spherical Web
    Mercator, 256 px tiles, integer-rounded layer points).

    Attributes
    ----------
    zoom : float
        Leaflet zoom (fractional).
    pixel_origin : (x, y)
        Leaflet's pixel origin (world pixels at ``zoom``).
    pane_pos : (x, y)
        Offset of Leaflet's map pane in the container.
    css_size : (width, height)
        The map container in CSS pixels.
    scale : float
        Image pixels per CSS pixel (the page's ``devicePixelRatio``).
    """

    zoom: float
    pixel_origin: tuple[float, float]
    pane_pos: tuple[float, float]
    css_size: tuple[float, float]
    scale: float

    @property
    def world_px(self) -> float:
        """Width of the world in CSS pixels at this zoom."""
        return 256.0 * 2.0**self.zoom

    def to_image(self, lon: float, lat: float) -> tuple[float, float]:
        """Image pixel of a WGS84 point (Leaflet's ``latLngToContainerPoint`` x scale)."""
        lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
        phi = math.radians(lat)
        wx = self.world_px * (0.5 + lon / 360.0)
        wy = self.world_px * (0.5 - math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi))
        cx = _js_round(wx) - self.pixel_origin[0] + self.pane_pos[0]
        cy = _js_round(wy) - self.pixel_origin[1] + self.pane_pos[1]
        return cx * self.scale, cy * self.scale

    def latitude_at(self, image_y: float) -> float:
        """Latitude shown at image row ``image_y``."""
        wy = image_y / self.scale + self.pixel_origin[1] - self.pane_pos[1]
        t = (0.5 - wy / self.world_px) * 2 * math.pi
        return math.degrees(2 * math.atan(math.exp(t)) - math.pi / 2)

    def metres_per_pixel(self, lat: float) -> float:
        """Ground metres per image pixel along the parallel at ``lat`` (WGS84).

        A full turn of longitude spans ``world_px`` CSS pixels and, on the ellipsoid,
        ``2 pi N(lat) cos(lat)`` metres along the parallel (``N``: prime-vertical
        radius of curvature). Web Mercator is conformal, so this is also the scale in
        any direction at that latitude.
        """
        phi = math.radians(lat)
        n = _WGS84_A / math.sqrt(1.0 - _WGS84_E2 * math.sin(phi) ** 2)
        return 2 * math.pi * n * math.cos(phi) / self.world_px / self.scale


def _js_round(x: float) -> float:
    """JavaScript's ``Math.round`` (halves go up), as Leaflet rounds layer points."""
    return math.floor(x + 0.5)


def nice_length(max_metres: float) -> float:
    """The largest 1, 2 or 5 x 10^k metres that is at most ``max_metres``."""
    if not (max_metres > 0 and math.isfinite(max_metres)):
        raise ValueError(f"scale bar needs a positive length, got {max_metres!r}")
    power = 10.0 ** math.floor(math.log10(max_metres))
    for step in (5.0, 2.0, 1.0):
        if step * power <= max_metres * (1 + 1e-12):
            return step * power
    return power  # pragma: no cover - the loop always returns


def format_distance(metres: float) -> str:
    """``500 km``, ``2 km``, ``500 m``: how the scale bar labels a length."""
    if metres >= 1000:
        return f"{metres / 1000:,.0f} km" if metres % 1000 == 0 else f"{metres / 1000:g} km"
    return f"{metres:g} m"


# =========================================================================== results


@dataclass(frozen=True)
class LegendRow:
    """One colour row of the page's legend: swatch colour, label, dashed outline."""

    color: str
    text: str
    dashed: bool = False


@dataclass
class OverlayLayout:
    """Where the overlays were drawn, in image pixels (for tests and callers).

    Each box is ``(x, y, width, height)``; ``None`` when not drawn.
    """

    title: tuple[float, float, float, float] | None = None
    legend: tuple[float, float, float, float] | None = None
    scale: tuple[float, float, float, float] | None = None
    scale_bar: tuple[float, float, float, float] | None = None
    north_arrow: tuple[float, float, float, float] | None = None
    footer: tuple[float, float, float, float] | None = None
    scale_metres: float = 0.0
    scale_latitude: float = 0.0


@dataclass
class SnapshotResult:
    """A finished snapshot.

    Attributes
    ----------
    image : QImage
        The PNG's pixels: map plus overlays, exactly ``spec.width_px x height_px``.
    spec : SnapshotSpec
    frame : MapFrame
        Leaflet's view when grabbed (maps lon/lat to image pixels).
    shown_site_ids : tuple of str
        Sites whose marker centre is inside the image.
    caveat : str
        The caveat line printed (empty when none was needed).
    legend_rows : tuple of LegendRow
        Colour rows as the page's legend showed them.
    layout : OverlayLayout
    leaflet_scale : dict
        Leaflet's own scale control for the same view (``{"text", "width_css"}``),
        measured at the map's vertical centre: a check on our scale bar.
    map_image : QImage or None
        The grabbed map before overlays (only with ``keep_map_image=True``).
    """

    image: QImage
    spec: SnapshotSpec
    frame: MapFrame
    shown_site_ids: tuple[str, ...]
    caveat: str
    legend_rows: tuple[LegendRow, ...]
    layout: OverlayLayout
    leaflet_scale: dict[str, Any] = field(default_factory=dict)
    map_image: QImage | None = None


class SnapshotError(RuntimeError):
    """The map could not be rendered (the page failed, or did not finish in time)."""


# =========================================================================== page scripts
# Fixed scripts; the only data in them is JSON (to_json), never formatted user text.

_PREPARE_JS = """
(function (cfg) {
  var map = CSE.map;
  if (!document.getElementById('cse-snapshot-style')) {
    var style = document.createElement('style');
    style.id = 'cse-snapshot-style';
    /* The snapshot paints its own legend, scale and attribution at print size. */
    style.textContent = '.leaflet-control-container { display: none !important; }';
    document.head.appendChild(style);
  }
  map.options.zoomSnap = 0;
  map.invalidateSize({ animate: false, pan: false });
  if (cfg.bounds) {
    map.fitBounds(cfg.bounds, {
      animate: false,
      paddingTopLeft: cfg.padTopLeft,
      paddingBottomRight: cfg.padBottomRight,
      maxZoom: cfg.maxZoom
    });
  } else {
    map.setView(cfg.center, cfg.zoom, { animate: false });
  }
  return { dpr: window.devicePixelRatio };
})(%s)
"""

_MEASURE_JS = """
(function (ids) {
  var map = CSE.map;
  var origin = map.getPixelOrigin();
  var pane = L.DomUtil.getPosition(map.getPane('mapPane'));
  var size = map.getSize();
  var legend = document.querySelector('.cse-legend');
  var rows = [];
  var title = '';
  var note = '';
  if (legend) {
    var t = legend.querySelector('.cse-legend-title');
    title = t ? t.textContent : '';
    var n = legend.querySelector('.cse-legend-note');
    note = n ? n.textContent : '';
    legend.querySelectorAll('.cse-legend-row').forEach(function (row) {
      var sw = row.querySelector('.cse-legend-swatch');
      var label = row.querySelector('.cse-legend-label');
      rows.push({
        color: sw ? sw.style.backgroundColor : '',
        dashed: !!(sw && sw.classList.contains('cse-legend-dashed')),
        text: label ? label.textContent : ''
      });
    });
  }
  var radii = {};
  ids.forEach(function (id) {
    var m = CSE.markerState(id);
    if (m) { radii[id] = m.radius; }
  });
  var regionStyle = null;
  if (CSE.regionsState && CSE.regionState) {
    var rs = CSE.regionsState();
    if (rs.ids.length) {
      var r = CSE.regionState(rs.ids[0]);
      regionStyle = r ? { color: r.color, weight: r.weight } : null;
    }
  }
  var line = document.querySelector('.leaflet-control-scale-line');
  return {
    zoom: map.getZoom(),
    origin: [origin.x, origin.y],
    pane: [pane ? pane.x : 0, pane ? pane.y : 0],
    size: [size.x, size.y],
    dpr: window.devicePixelRatio,
    legend: { title: title, rows: rows, note: note },
    radii: radii,
    region_style: regionStyle,
    leaflet_scale: line ? { text: line.textContent, width_css: parseFloat(line.style.width) } : null
  };
})(%s)
"""


# =========================================================================== the job


class SnapshotJob(QObject):
    """One snapshot being rendered; made by :func:`render_snapshot`.

    Signals
    -------
    progress(int, str)
        Percent done and what is happening.
    finished(object)
        The :class:`SnapshotResult`.
    failed(str)
        Why no snapshot was made (one line).
    """

    progress = Signal(int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        spec: SnapshotSpec,
        *,
        sites: Sequence[Site],
        regions: Sequence[RegionEntry],
        metadata: Mapping[str, Any],
        color_mode: str,
        catalogue: ChipCatalogue,
        basemap_dir: Path | None,
        keep_map_image: bool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self._sites = list(sites)
        self._entries = list(regions)
        self._metadata = dict(metadata)
        self._color_mode = color_mode
        self._catalogue = catalogue
        self._basemap_dir = basemap_dir
        self._keep_map_image = keep_map_image
        self._view: Any = None
        self._controller: Any = None
        self._region_controller: Any = None
        self._target_seq = 0
        self._map_image: QImage | None = None
        self._done = False
        self.result: SnapshotResult | None = None
        self.error: str | None = None
        self._furniture = Furniture(spec)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    # ------------------------------------------------------------------ lifecycle
    @property
    def is_done(self) -> bool:
        """True once ``finished`` or ``failed`` was emitted."""
        return self._done

    def start(self) -> None:
        """Build the offscreen map and start rendering (returns at once)."""
        try:
            self._build_page()
        except Exception:
            self._finish()  # no offscreen page is left behind
            raise

    def _build_page(self) -> None:
        from explorer.web.controller import MapController
        from explorer.web.view import MapView

        spec = self.spec
        self._progress(5, "Loading the map")
        view = MapView(center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM, basemap_dir=self._basemap_dir)
        self._view = view
        # Rendered and grabbed without ever appearing on screen (no window flashes up).
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        screen = view.screen()
        screen_dpr = screen.devicePixelRatio() if screen is not None else 1.0
        view.resize(math.ceil(spec.width_px / screen_dpr), math.ceil(spec.height_px / screen_dpr))
        view.setZoomFactor(spec.zoom_factor / screen_dpr)
        view.page().renderProcessTerminated.connect(self._on_renderer_died)
        # The offscreen map is a view over a session of its own holding what is drawn.
        session = Session(self._catalogue, admin_areas=None)
        session.sites.reset(self._sites, self._metadata)
        session.set_color_mode(self._color_mode)
        self._controller = MapController(view, session, parent=self)
        if self._entries:
            from explorer.web.region_controller import RegionMapController

            session.regions.reset(self._entries)
            self._region_controller = RegionMapController(view, session, parent=self)
        self._controller.ready.connect(self._on_ready, Qt.ConnectionType.SingleShotConnection)
        # A safety net against a page that never answers, scaled with the work.
        self._timer.start(int(60_000 + spec.width_px * spec.height_px / 1e6 * 500))
        view.show()

    def cancel(self) -> None:
        """Stop; ``failed("cancelled")`` is emitted unless already done."""
        self._fail("cancelled")

    # ------------------------------------------------------------------ stages
    def _on_ready(self) -> None:
        if self._done:
            return
        self._progress(30, "Fitting the view")
        cfg = self._view_config()
        self._view.evaluate(_PREPARE_JS % to_json(cfg), self._on_prepared)

    def _content(self, shown: Sequence[Site]) -> OverlayContent:
        return OverlayContent(
            title=self.spec.title.strip() or str(self._metadata.get("title") or "").strip(),
            as_of=str(self._metadata.get("as_of") or "").strip(),
            shown=shown,
            total_sites=len(self._sites),
            region_count=len(self._entries),
        )

    def _view_config(self) -> dict[str, Any]:
        spec = self.spec
        box = spec.extent if spec.extent is not None else data_extent(self._sites, self._entries)
        # A lone site (or a tight cluster) is shown with its surroundings.
        max_zoom = MAX_ZOOM if spec.extent is not None or self._entries else SITES_FIT_MAX_ZOOM
        if box is None:
            return {"bounds": None, "center": list(DEFAULT_CENTER), "zoom": DEFAULT_ZOOM}
        if spec.extent is not None:
            # The caller's extent is shown whole, edge to edge.
            pad_tl, pad_br = [0, 0], [0, 0]
        else:
            # Fitted data stays clear of the title, scale bar and footer. The caveat is
            # assumed from all sites: the fit decides which are shown.
            pad_tl, pad_br = self._furniture.fit_padding(self._content(self._sites))
        w, s, e, n = box
        return {
            "bounds": [[s, w], [n, e]],
            "padTopLeft": pad_tl,
            "padBottomRight": pad_br,
            "maxZoom": max_zoom,
        }

    def _on_prepared(self, reply: Any) -> None:
        if self._done:
            return
        expected = self.spec.zoom_factor
        dpr = reply.get("dpr") if isinstance(reply, dict) else None
        if not isinstance(dpr, int | float) or abs(dpr - expected) > 0.01 * expected:
            self._fail(f"the map page did not take the print scale (device pixel ratio {dpr!r})")
            return
        self._progress(50, "Rendering the map")
        # Ask for a paint acknowledgement after the view change, then wait until the
        # widget's own pixels show that frame.
        self._target_seq = self._controller.request_frame()
        self._controller.call_when_rendered(self._on_presented, fresh_frame=False)

    def _on_presented(self) -> None:
        if self._done:
            return
        view = self._view
        if not view.shows_seq(self._target_seq):
            self._fail(
                "the map did not finish drawing in time; try a smaller size "
                f"({self.spec.width_px} × {self.spec.height_px} px requested)"
            )
            return
        image = view.grab().toImage()
        spec = self.spec
        if image.width() < spec.width_px or image.height() < spec.height_px:
            self._fail(
                f"the map engine produced {image.width()} × {image.height()} px instead of "
                f"{spec.width_px} × {spec.height_px}"
            )
            return
        if image.width() != spec.width_px or image.height() != spec.height_px:
            # A fractional screen scale rounds the widget up by a pixel: crop to size.
            image = image.copy(0, 0, spec.width_px, spec.height_px)
        image.setDevicePixelRatio(1.0)
        self._map_image = image.convertToFormat(QImage.Format.Format_RGB32)
        self._progress(75, "Drawing the legend and scale")
        # Which markers the image shows decides the legend's sizes and the caveat.
        view.evaluate(_MEASURE_JS % to_json([s.id for s in self._sites]), self._on_measured)

    def _on_measured(self, info: Any) -> None:
        if self._done:
            return
        if not isinstance(info, dict):
            self._fail("could not read the map's view from the page")
            return
        try:
            frame = MapFrame(
                zoom=float(info["zoom"]),
                pixel_origin=(float(info["origin"][0]), float(info["origin"][1])),
                pane_pos=(float(info["pane"][0]), float(info["pane"][1])),
                css_size=(float(info["size"][0]), float(info["size"][1])),
                scale=float(info["dpr"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._fail(f"the page reported an unusable map view ({exc})")
            return
        assert self._map_image is not None
        spec = self.spec
        shown = [
            s
            for s in self._sites
            if _inside(frame.to_image(s.lon, s.lat), spec.width_px, spec.height_px)
        ]
        legend_info = info.get("legend") or {}
        rows = tuple(
            LegendRow(_css_color(r.get("color", "")), str(r.get("text", "")), bool(r.get("dashed")))
            for r in legend_info.get("rows", [])
            if isinstance(r, dict)
        )
        radii = {k: float(v) for k, v in (info.get("radii") or {}).items()}
        content = self._content(shown)
        content.legend_title = str(legend_info.get("title") or "")
        content.legend_rows = rows
        content.size_samples = _size_samples(shown, radii)
        content.region_style = info.get("region_style")
        image = self._map_image.copy()
        layout = self._furniture.paint(image, frame, content, self._region_boxes(frame))
        self._progress(100, "Done")
        self.result = SnapshotResult(
            image=image,
            spec=spec,
            frame=frame,
            shown_site_ids=tuple(s.id for s in shown),
            caveat=content.caveat,
            legend_rows=rows,
            layout=layout,
            leaflet_scale=info.get("leaflet_scale") or {},
            map_image=self._map_image if self._keep_map_image else None,
        )
        self._map_image = None
        self._finish()
        self.finished.emit(self.result)

    def _region_boxes(self, frame: MapFrame) -> list[Box]:
        boxes = []
        for e in self._entries:
            w, s, east, n = e.region.bounds
            x0, y0 = frame.to_image(w, n)
            x1, y1 = frame.to_image(east, s)
            boxes.append((x0, y0, x1 - x0, y1 - y0))
        return boxes

    # ------------------------------------------------------------------ endings
    def _on_timeout(self) -> None:
        self._fail("the map did not finish rendering in time")

    def _on_renderer_died(self, *_args: Any) -> None:
        self._fail("the map page's renderer stopped while drawing the snapshot")

    def _progress(self, percent: int, message: str) -> None:
        self.progress.emit(percent, message)

    def _fail(self, message: str) -> None:
        if self._done:
            return
        self.error = message
        log.warning("snapshot failed: %s", message)
        self._finish()
        self.failed.emit(message)

    def _finish(self) -> None:
        self._done = True
        self._timer.stop()
        view, self._view = self._view, None
        if view is not None:
            if self._controller is not None:
                self._controller.detach()
            if self._region_controller is not None:
                self._region_controller.detach()
            with contextlib.suppress(RuntimeError, TypeError):  # not connected yet
                view.page().renderProcessTerminated.disconnect(self._on_renderer_died)
            view.close()
            view.deleteLater()


def _inside(point: tuple[float, float], width: int, height: int) -> bool:
    return 0 <= point[0] < width and 0 <= point[1] < height


_RGB = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)")


def _css_color(text: str) -> str:
    """``rgb(198, 40, 40)`` or ``#c62828`` as ``#c62828`` (grey if unreadable)."""
    m = _RGB.match(text.strip())
    if m:
        return "#" + "".join(f"{int(v):02x}" for v in m.groups())
    color = QColor(text.strip())
    return color.name() if color.isValid() else "#8d8d8d"


def _size_samples(shown: Sequence[Site], radii: Mapping[str, float]) -> list[tuple[int, float]]:
    """Up to three (chips, CSS radius) pairs of shown markers: largest, smallest, middle.

    Taken from markers as drawn, so the legend's circles are the map's own sizes.
    """
    drawn = sorted(
        {(s.chips, radii[s.id]) for s in shown if s.chips > 0 and s.id in radii},
        key=lambda t: t[0],
    )
    if not drawn:
        return []
    picks = [drawn[-1]]
    if drawn[0][1] < 0.8 * drawn[-1][1]:
        picks.insert(0, drawn[0])
        target = math.sqrt(drawn[0][0] * drawn[-1][0])
        middle = min(drawn, key=lambda t: abs(math.log(t[0] / target)))
        if all(abs(middle[1] - p[1]) > 0.2 * drawn[-1][1] for p in picks):
            picks.insert(1, middle)
    return picks


# =========================================================================== overlays

_INK = QColor("#1d2733")
_MUTED = QColor("#4d5966")
_PANEL = QColor(255, 255, 255, 235)
_PANEL_EDGE = QColor("#b7c0c9")
_CAVEAT_INK = QColor("#7a4100")
_CAVEAT_BG = QColor(255, 245, 225, 245)
_WHITE = QColor("#ffffff")
_FONT_FAMILIES = ["DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica"]
_CREDIT = (
    f"Basemap and towns: {ATTRIBUTION} · {PROVINCE_NOTE} · "
    "Web Mercator projection · Made with Compute Site Explorer"
)

Box = tuple[float, float, float, float]


@dataclass
class OverlayContent:
    """What the overlays say; everything but the marker sizes is known before rendering.

    Attributes
    ----------
    title : str
    as_of : str
        The data's as-of date (metadata ``as_of``), printed under the title.
    shown : sequence of Site
        Sites whose markers are in the image (decides the caveat and the counts).
    total_sites : int
    legend_title : str
        The page legend's heading (``Export control`` or ``Main chip model``).
    legend_rows : sequence of LegendRow
        The page legend's colour rows, as drawn.
    size_samples : sequence of (chips, css_radius)
        Markers whose sizes the legend shows.
    region_count : int
    region_style : mapping or None
        ``{"color", "weight"}`` of the regions as the page draws them.
    """

    title: str
    as_of: str
    shown: Sequence[Site]
    total_sites: int
    legend_title: str = ""
    legend_rows: Sequence[LegendRow] = ()
    size_samples: Sequence[tuple[int, float]] = ()
    region_count: int = 0
    region_style: Mapping[str, Any] | None = None

    @property
    def caveat(self) -> str:
        return caveat_text(self.shown)

    @property
    def facts(self) -> str:
        chips = sum(s.chips for s in self.shown)
        return " · ".join(
            (
                f"Data as of {self.as_of}" if self.as_of else "Data date not stated",
                f"{len(self.shown):,} of {self.total_sites:,} sites in view",
                f"{chips:,} chips",
            )
        )


def _font(point_px: float, size_pt: float, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(_FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPixelSize(max(1, round(size_pt * point_px)))
    font.setBold(bold)
    return font


def _wrap(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a word longer than a line stays whole)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and metrics.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _overlap(a: Box, b: Box) -> float:
    """Area shared by two ``(x, y, w, h)`` boxes."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class Furniture:
    """Sizes and paints the print furniture for one image.

    Every size is in points (``spec.point_px`` image pixels each), so title, legend
    and scale bar have the same size on paper at every resolution. Boxes are measured
    before the map is rendered, so the view can be fitted clear of them.
    """

    MARGIN_PT = 8.0
    PAD_PT = 5.0

    def __init__(self, spec: SnapshotSpec) -> None:
        self.spec = spec
        self.u = u = spec.point_px
        self.width, self.height = float(spec.width_px), float(spec.height_px)
        self.margin = self.MARGIN_PT * u
        self.pad = self.PAD_PT * u
        self.title_font = _font(u, 14, bold=True)
        self.facts_font = _font(u, 7.5)
        self.head_font = _font(u, 8, bold=True)
        self.body_font = _font(u, 7.2)
        self.small_font = _font(u, 6.5)
        self.caveat_font = _font(u, 7.2, bold=True)
        self.scale_font = _font(u, 7)
        self.note_font = _font(u, 6)
        self.north_font = _font(u, 8, bold=True)

    @staticmethod
    def _fm(font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font)

    # ------------------------------------------------------------------ measuring
    def title_lines(self, content: OverlayContent) -> tuple[list[str], list[str], Box]:
        """Title and facts lines, and the title box."""
        fm_t, fm_f = self._fm(self.title_font), self._fm(self.facts_font)
        max_w = min(self.width * 0.62, self.width - 2 * self.margin) - 2 * self.pad
        title = _wrap(content.title, fm_t, max_w) if content.title else []
        facts = _wrap(content.facts, fm_f, max_w)
        inner_w = max(
            [fm_t.horizontalAdvance(t) for t in title] + [fm_f.horizontalAdvance(t) for t in facts]
        )
        inner_h = len(title) * fm_t.lineSpacing() + len(facts) * fm_f.lineSpacing()
        box = (self.margin, self.margin, inner_w + 2 * self.pad, inner_h + 2 * self.pad)
        return title, facts, box

    def footer_lines(self, caveat: str) -> tuple[list[str], list[str], float]:
        """Caveat and credit lines, and the footer band's height."""
        fm_c, fm_s = self._fm(self.caveat_font), self._fm(self.small_font)
        text_w = self.width - 2 * self.pad
        caveat_lines = _wrap(caveat, fm_c, text_w) if caveat else []
        credit_lines = _wrap(_CREDIT, fm_s, text_w)
        height = 2 * self.pad + len(credit_lines) * fm_s.lineSpacing()
        if caveat_lines:
            height += len(caveat_lines) * fm_c.lineSpacing() + self.pad
        return caveat_lines, credit_lines, height

    def scale_box_height(self) -> float:
        fm_l, fm_n = self._fm(self.scale_font), self._fm(self.note_font)
        bar = fm_l.lineSpacing() + 4 * self.u + 2 * self.u + fm_n.lineSpacing()
        return 2 * self.pad + max(bar, 26 * self.u)

    def fit_padding(self, content: OverlayContent) -> tuple[list[int], list[int]]:
        """Fit padding in CSS pixels, ``(top_left, bottom_right)`` as Leaflet takes it:
        clear of the title box (top) and of the footer and scale bar (bottom)."""
        _, _, title = self.title_lines(content)
        _, _, footer_h = self.footer_lines(content.caveat)
        css = self.spec.zoom_factor
        side = self.margin + 16 * self.u  # room for a marker's radius at the edge
        top = title[1] + title[3] + 4 * self.u
        bottom = footer_h + self.margin + self.scale_box_height() + 4 * self.u
        return [round(side / css), round(top / css)], [round(side / css), round(bottom / css)]

    # ------------------------------------------------------------------ painting
    def paint(
        self,
        image: QImage,
        frame: MapFrame,
        content: OverlayContent,
        avoid: Sequence[Box] = (),
    ) -> OverlayLayout:
        """Draw everything onto ``image`` (in place); returns where it went.

        ``avoid`` lists image boxes (the regions') the legend should rather not hide.
        """
        layout = OverlayLayout()
        p = QPainter(image)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            self._cover_frame_marker(p, image, frame)
            footer_top = self._paint_footer(p, content, layout)
            self._paint_title(p, content, layout)
            self._paint_scale(p, frame, footer_top - self.margin, layout)
            if self.spec.legend:
                self._paint_legend(p, frame, content, footer_top - self.margin, layout, avoid)
        finally:
            p.end()
        return layout

    def _panel(self, p: QPainter, box: Box, fill: QColor = _PANEL) -> None:
        p.setPen(QPen(_PANEL_EDGE, max(1.0, 0.6 * self.u)))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(*box), 2.5 * self.u, 2.5 * self.u)

    @staticmethod
    def _cover_frame_marker(p: QPainter, image: QImage, frame: MapFrame) -> None:
        """Paint over the page's 2 x 2 CSS-px frame marker (top left) with the map
        colour beside it: it is a rendering aid, not part of the map."""
        side = math.ceil(2 * frame.scale) + 1
        if image.width() > side and image.height() > side:
            p.fillRect(0, 0, side, side, image.pixelColor(side, side))

    def _paint_footer(self, p: QPainter, content: OverlayContent, layout: OverlayLayout) -> float:
        """Caveat (if any) and attribution in a band along the bottom; returns its top."""
        caveat_lines, credit_lines, height = self.footer_lines(content.caveat)
        fm_c, fm_s = self._fm(self.caveat_font), self._fm(self.small_font)
        top = self.height - height
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_PANEL)
        p.drawRect(QRectF(0, top, self.width, height))
        y = top + self.pad
        if caveat_lines:
            band_h = 1.5 * self.pad + len(caveat_lines) * fm_c.lineSpacing()
            p.setBrush(_CAVEAT_BG)
            p.drawRect(QRectF(0, top, self.width, band_h))
            p.setFont(self.caveat_font)
            p.setPen(_CAVEAT_INK)
            for line in caveat_lines:
                p.drawText(QPointF(self.pad, y + fm_c.ascent()), line)
                y += fm_c.lineSpacing()
            y += self.pad
        p.setPen(QPen(_PANEL_EDGE, max(1.0, 0.6 * self.u)))
        p.drawLine(QPointF(0, top), QPointF(self.width, top))
        p.setFont(self.small_font)
        p.setPen(_MUTED)
        for line in credit_lines:
            p.drawText(QPointF(self.pad, y + fm_s.ascent()), line)
            y += fm_s.lineSpacing()
        layout.footer = (0.0, top, self.width, height)
        return top

    def _paint_title(self, p: QPainter, content: OverlayContent, layout: OverlayLayout) -> None:
        title, facts, box = self.title_lines(content)
        fm_t, fm_f = self._fm(self.title_font), self._fm(self.facts_font)
        self._panel(p, box)
        x, y = box[0] + self.pad, box[1] + self.pad
        p.setFont(self.title_font)
        p.setPen(_INK)
        for line in title:
            p.drawText(QPointF(x, y + fm_t.ascent()), line)
            y += fm_t.lineSpacing()
        p.setFont(self.facts_font)
        p.setPen(_MUTED)
        for line in facts:
            p.drawText(QPointF(x, y + fm_f.ascent()), line)
            y += fm_f.lineSpacing()
        layout.title = box

    def _paint_scale(
        self, p: QPainter, frame: MapFrame, bottom: float, layout: OverlayLayout
    ) -> None:
        """Scale bar, true at its own latitude, and a north arrow, bottom left."""
        u, pad = self.u, self.pad
        fm_l, fm_n = self._fm(self.scale_font), self._fm(self.note_font)
        arrow_w, arrow_h = 14 * u, 26 * u
        bar_h = 4 * u
        box_h = self.scale_box_height()
        top = bottom - box_h
        bar_x = self.margin + pad + arrow_w + 8 * u
        bar_y = top + pad + fm_l.lineSpacing()
        # Web Mercator's scale changes with latitude: measure where the bar is drawn.
        lat = frame.latitude_at(bar_y + bar_h / 2)
        mpp = frame.metres_per_pixel(lat)
        metres = nice_length(110 * u * mpp)
        bar_w = metres / mpp
        end_number, unit = format_distance(metres).split(" ")
        note = f"Scale true at {abs(lat):.1f}° {'N' if lat >= 0 else 'S'}"
        end_w = fm_l.horizontalAdvance(end_number) / 2 + fm_l.horizontalAdvance(f" {unit}")
        inner = max(bar_w + end_w, fm_n.horizontalAdvance(note))
        box = (self.margin, top, bar_x - self.margin + inner + pad, box_h)
        self._panel(p, box)

        # North arrow (north is straight up everywhere on a Web Mercator map).
        ax, ay = self.margin + pad, top + (box_h - arrow_h) / 2
        p.setFont(self.north_font)
        p.setPen(_INK)
        p.drawText(QRectF(ax, ay, arrow_w, 9 * u), Qt.AlignmentFlag.AlignCenter, "N")
        tip = QPointF(ax + arrow_w / 2, ay + 10 * u)
        notch = QPointF(ax + arrow_w / 2, ay + arrow_h - 4 * u)
        p.setPen(QPen(_INK, max(1.0, 0.7 * u)))
        p.setBrush(_INK)
        p.drawPolygon(QPolygonF([tip, notch, QPointF(ax, ay + arrow_h)]))
        p.setBrush(_WHITE)
        p.drawPolygon(QPolygonF([tip, QPointF(ax + arrow_w, ay + arrow_h), notch]))
        layout.north_arrow = (ax, ay, arrow_w, arrow_h)

        # Four alternating segments; labels at 0, half and the full length.
        seg = bar_w / 4
        p.setPen(QPen(_INK, max(1.0, 0.6 * u)))
        for i in range(4):
            p.setBrush(_INK if i % 2 == 0 else _WHITE)
            p.drawRect(QRectF(bar_x + i * seg, bar_y, seg, bar_h))
        p.setFont(self.scale_font)
        p.setPen(_INK)
        # Numbers centred on their ticks, the unit after the last; the middle number
        # only where it does not run into its neighbours.
        half = f"{(metres / 2) / (1000 if unit == 'km' else 1):g}"
        base = bar_y - 1.5 * u
        p.drawText(QPointF(bar_x - fm_l.horizontalAdvance("0") / 2, base), "0")
        end_left = bar_x + bar_w - fm_l.horizontalAdvance(end_number) / 2
        p.drawText(QPointF(end_left, base), f"{end_number} {unit}")
        half_w = fm_l.horizontalAdvance(half)
        mid_left = bar_x + bar_w / 2 - half_w / 2
        spacing = fm_l.horizontalAdvance(" ")
        if mid_left > bar_x + fm_l.horizontalAdvance("0") / 2 + spacing and (
            mid_left + half_w + spacing < end_left
        ):
            p.drawText(QPointF(mid_left, base), half)
        p.setFont(self.note_font)
        p.setPen(_MUTED)
        p.drawText(QPointF(bar_x, bar_y + bar_h + 2 * u + fm_n.ascent()), note)
        layout.scale = box
        layout.scale_bar = (bar_x, bar_y, bar_w, bar_h)
        layout.scale_metres = metres
        layout.scale_latitude = lat

    def _legend_size(self, frame: MapFrame, content: OverlayContent) -> tuple[float, float]:
        fm_h, fm_b, fm_s = (
            self._fm(self.head_font),
            self._fm(self.body_font),
            self._fm(self.small_font),
        )
        sw, gap = 8 * self.u, 4 * self.u
        row_h = max(fm_b.lineSpacing(), sw + 2 * self.u)
        widths = [fm_h.horizontalAdvance(content.legend_title)]
        widths += [sw + gap + fm_b.horizontalAdvance(r.text) for r in content.legend_rows]
        height = fm_h.lineSpacing() + len(content.legend_rows) * row_h
        if content.size_samples:
            cells, biggest = self._size_cells(frame, content)
            widths += [
                fm_b.horizontalAdvance("Circle area ∝ chips"),
                sum(cells) + gap * (len(cells) - 1),
            ]
            height += gap + fm_b.lineSpacing() + 2 * biggest + 2 * self.u + fm_s.lineSpacing()
        if content.region_count:
            widths.append(sw + gap + fm_b.horizontalAdvance(self._region_text(content)))
            height += gap + row_h
        return min(max(widths), self.width * 0.45) + 2 * self.pad, height + 2 * self.pad

    def _size_cells(self, frame: MapFrame, content: OverlayContent) -> tuple[list[float], float]:
        fm_s = self._fm(self.small_font)
        labels = self._size_labels(content)
        cells = [
            max(2 * r * frame.scale, fm_s.horizontalAdvance(t))
            for (_, r), t in zip(content.size_samples, labels, strict=True)
        ]
        return cells, max(r for _, r in content.size_samples) * frame.scale

    @staticmethod
    def _size_labels(content: OverlayContent) -> list[str]:
        n = len(content.size_samples)
        return [
            f"{c:,}" + (" chips" if i == n - 1 else "")
            for i, (c, _) in enumerate(content.size_samples)
        ]

    @staticmethod
    def _region_text(content: OverlayContent) -> str:
        n = content.region_count
        return f"Region outline ({n} region{'s' if n != 1 else ''}; totals use this shape)"

    def legend_box(
        self,
        frame: MapFrame,
        content: OverlayContent,
        bottom: float,
        avoid: Sequence[Box],
        furniture: Sequence[Box] = (),
    ) -> Box:
        """Where the legend goes: the corner that hides the fewest shown markers.

        Tried in order bottom right, top right, bottom left (above the scale bar) and
        top left (below the title); a marker under the box counts 1, a region's
        bounding box (``avoid``) by the share of the legend it would hide, and covering
        other furniture (title, scale bar) is ruled out unless every corner does.
        """
        w, h = self._legend_size(frame, content)
        m = self.margin
        _, _, title = self.title_lines(content)
        scale_top = bottom - self.scale_box_height() - 4 * self.u
        candidates = [
            (self.width - m - w, bottom - h),
            (self.width - m - w, m),
            (m, scale_top - h),
            (m, title[1] + title[3] + 4 * self.u),
        ]
        markers = []
        for s in content.shown:
            x, y = frame.to_image(s.lon, s.lat)
            markers.append((x, y))

        def cost(x: float, y: float) -> float:
            box = (x, y, w, h)
            hidden = sum(1 for mx, my in markers if x <= mx <= x + w and y <= my <= y + h)
            regions = sum(_overlap(box, a) for a in avoid) / (w * h)
            covered = sum(_overlap(box, f) for f in furniture) / (w * h)
            return 1000 * covered + hidden + regions

        best = min(candidates, key=lambda c: cost(*c))  # min keeps the first of equals
        return (best[0], best[1], w, h)

    def _paint_legend(
        self,
        p: QPainter,
        frame: MapFrame,
        content: OverlayContent,
        bottom: float,
        layout: OverlayLayout,
        avoid: Sequence[Box] = (),
    ) -> None:
        """What the marks mean: colours (as the page's legend), sizes, outlines."""
        u, pad = self.u, self.pad
        fm_h, fm_b, fm_s = (
            self._fm(self.head_font),
            self._fm(self.body_font),
            self._fm(self.small_font),
        )
        sw, gap = 8 * u, 4 * u
        row_h = max(fm_b.lineSpacing(), sw + 2 * u)
        furniture = [b for b in (layout.title, layout.scale) if b is not None]
        box = self.legend_box(frame, content, bottom, avoid, furniture)
        self._panel(p, box)
        x0, y = box[0] + pad, box[1] + pad
        p.setFont(self.head_font)
        p.setPen(_INK)
        p.drawText(QPointF(x0, y + fm_h.ascent()), content.legend_title)
        y += fm_h.lineSpacing()

        def label(text: str, top: float) -> None:
            p.setFont(self.body_font)
            p.setPen(_INK)
            p.drawText(
                QPointF(x0 + sw + gap, top + (row_h - fm_b.height()) / 2 + fm_b.ascent()), text
            )

        for row in content.legend_rows:
            centre = QPointF(x0 + sw / 2, y + row_h / 2)
            if row.dashed:  # the page's dashed outline for illustrative sites
                pen = QPen(QColor("#303030"), max(1.0, 1.1 * u))
                pen.setDashPattern([2.5, 1.8])
                p.setPen(pen)
                p.setBrush(_WHITE)
            else:
                p.setPen(QPen(_WHITE, max(1.0, 0.8 * u)))
                p.setBrush(QColor(row.color))
            p.drawEllipse(centre, sw / 2, sw / 2)
            label(row.text, y)
            y += row_h
        if content.size_samples:
            y += gap
            p.setFont(self.body_font)
            p.setPen(_INK)
            p.drawText(QPointF(x0, y + fm_b.ascent()), "Circle area ∝ chips")
            y += fm_b.lineSpacing()
            cells, biggest = self._size_cells(frame, content)
            x = x0
            for (_chips, radius), cell, text in zip(
                content.size_samples, cells, self._size_labels(content), strict=True
            ):
                r_px = radius * frame.scale  # the marker's own radius, as drawn
                cx = x + cell / 2
                p.setPen(QPen(QColor("#5b6673"), max(1.0, 0.8 * u)))
                p.setBrush(QColor(141, 141, 141, 60))
                p.drawEllipse(QPointF(cx, y + 2 * biggest - r_px), r_px, r_px)
                p.setFont(self.small_font)
                p.setPen(_MUTED)
                p.drawText(
                    QPointF(
                        cx - fm_s.horizontalAdvance(text) / 2,
                        y + 2 * biggest + 2 * u + fm_s.ascent(),
                    ),
                    text,
                )
                x += cell + gap
            y += 2 * biggest + 2 * u + fm_s.lineSpacing()
        if content.region_count:
            y += gap
            style = content.region_style or {}
            color = QColor(str(style.get("color") or "#7b1fa2"))
            fill = QColor(color)
            fill.setAlphaF(0.15)
            p.setPen(QPen(color, max(1.0, float(style.get("weight") or 2) * frame.scale)))
            p.setBrush(fill)
            p.drawRect(QRectF(x0, y + (row_h - sw) / 2, sw, sw))
            label(self._region_text(content), y)
        layout.legend = box


# =========================================================================== public API


def render_snapshot(
    spec: SnapshotSpec,
    *,
    sites: Sequence[Site],
    regions: Iterable[RegionEntry | Region] | None = None,
    metadata: Mapping[str, Any] | None = None,
    color_mode: str = "export",
    catalogue: ChipCatalogue | None = None,
    on_progress: ProgressCallback | None = None,
    done: Callable[[QImage], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    basemap_dir: Path | None = None,
    keep_map_image: bool = False,
    parent: QObject | None = None,
) -> SnapshotJob:
    """Start rendering a snapshot; returns at once (the Qt event loop does the work).

    Parameters
    ----------
    spec : SnapshotSpec
        Validated here, before anything is built.
    sites : sequence of Site
        Sites to draw (e.g. the store's current sites).
    regions : iterable of RegionEntry or Region, optional
        Regions to draw; with no ``spec.extent`` the view fits them.
    metadata : mapping, optional
        Data-set metadata: ``title`` (default title) and ``as_of`` (printed).
    color_mode : {"export", "model"}
        Marker colours, as in the app's map.
    catalogue : ChipCatalogue, optional
        Decides which chips are restricted (default: the bundled one).
    on_progress : callable(int, str), optional
        Percent and stage.
    done : callable(QImage), optional
        Called with the finished image (``job.result`` has the details).
    on_error : callable(str), optional
        Called with a one-line reason if no snapshot could be made.
    basemap_dir : Path, optional
        Basemap directory (default: the bundled one).
    keep_map_image : bool
        Keep the grabbed map without overlays in ``result.map_image``.
    parent : QObject, optional
        Parent of the returned job.

    Returns
    -------
    SnapshotJob
        Also emits ``progress``, ``finished(SnapshotResult)`` and ``failed(str)``.

    Raises
    ------
    ValueError
        The spec is refused (size, dpi, extent, title) or ``color_mode`` is unknown.
    TypeError
        A site or region has the wrong type.
    """
    spec.validate()
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    sites = list_of(sites, Site, "sites")
    entries = region_entries(regions)
    if QCoreApplication.instance() is None:
        raise RuntimeError(
            "render_snapshot needs a QApplication (see explorer.web.engine.make_application)"
        )
    job = SnapshotJob(
        spec,
        sites=sites,
        regions=entries,
        metadata=metadata or {},
        color_mode=color_mode,
        catalogue=catalogue if catalogue is not None else ChipCatalogue.bundled(),
        basemap_dir=basemap_dir,
        keep_map_image=keep_map_image,
        parent=parent,
    )
    if on_progress is not None:
        job.progress.connect(on_progress)
    if done is not None:
        job.finished.connect(lambda result: done(result.image))
    if on_error is not None:
        job.failed.connect(on_error)
    job.start()
    return job


def png_bytes(image: QImage, dpi: float | None = None) -> bytes:
    """``image`` encoded as PNG (with its print resolution recorded when ``dpi`` is given)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    if dpi is not None:
        image = QImage(image)
        dpm = round(dpi / 0.0254)
        image.setDotsPerMeterX(dpm)
        image.setDotsPerMeterY(dpm)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 takes the format as str here, whatever its type stubs say.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise OSError("could not encode the snapshot as PNG")
    buffer.close()
    return bytes(data.data())


def save_png(path: str | os.PathLike[str], image: QImage, dpi: float | None = None) -> Path:
    """Write ``image`` as a PNG at ``path`` atomically (never a half-written file)."""
    data = png_bytes(image, dpi)
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def run_snapshot(
    spec: SnapshotSpec,
    *,
    on_progress: ProgressCallback | None = None,
    **kwargs: Any,
) -> SnapshotResult:
    """Render a snapshot and wait for it (a local event loop, no sleeping).

    Takes the keyword arguments of :func:`render_snapshot`. Creates the
    QApplication if there is none.

    Raises
    ------
    ValueError
        The spec is refused (before any work).
    SnapshotError
        The map could not be rendered.
    """
    spec.validate()
    if QCoreApplication.instance() is None:
        from explorer.web.engine import make_application

        make_application([])
    loop = QEventLoop()
    job = render_snapshot(spec, on_progress=on_progress, **kwargs)
    if not job.is_done:
        job.finished.connect(loop.quit)
        job.failed.connect(loop.quit)
        loop.exec()
    # Delete the offscreen page now (before its profile), not at interpreter exit.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if job.result is None:
        raise SnapshotError(job.error or "the snapshot was not made")
    result = job.result
    job.deleteLater()
    return result


def snapshot_to_file(
    path: str | os.PathLike[str], spec: SnapshotSpec, **kwargs: Any
) -> SnapshotResult:
    """Render a snapshot and write it as a PNG, blocking until done.

    Takes the keyword arguments of :func:`render_snapshot` (``sites`` is required).
    The spec is checked and the output folder must exist before any rendering; the
    file is written atomically. Creates the QApplication if there is none (headless:
    set ``QT_QPA_PLATFORM=offscreen`` first).

    Returns
    -------
    SnapshotResult

    Raises
    ------
    ValueError
        The spec is refused.
    FileNotFoundError
        The output folder does not exist.
    SnapshotError
        The map could not be rendered.
    """
    spec.validate()
    out = Path(path)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{path}: output folder '{out.parent}' does not exist")
    result = run_snapshot(spec, **kwargs)
    save_png(out, result.image, spec.dpi)
    return result


__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE_PX",
    "PRESETS",
    "LegendRow",
    "MapFrame",
    "OverlayLayout",
    "SnapshotError",
    "SnapshotJob",
    "SnapshotPreset",
    "SnapshotResult",
    "SnapshotSpec",
    "check_extent",
    "format_distance",
    "nice_length",
    "Furniture",
    "OverlayContent",
    "png_bytes",
    "render_snapshot",
    "report_map_spec",
    "run_snapshot",
    "save_png",
    "snapshot_to_file",
]
