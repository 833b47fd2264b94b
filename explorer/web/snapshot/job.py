"""Rendering one snapshot: an offscreen map page, grabbed when rendered, then furniture.

:func:`render_snapshot` builds a private, offscreen :class:`~explorer.web.view.MapView`
showing the given sites (and regions) with the given colour mode, sizes it to the
requested pixels, fits the view, waits for the page's ``rendered`` acknowledgement and
the widget's frame marker (:meth:`MapController.call_when_rendered`, never a delay),
grabs it, and paints the print furniture (:mod:`explorer.web.snapshot.furniture`).
:func:`run_snapshot` waits for it in a local :class:`QEventLoop`;
:func:`snapshot_to_file` also writes the PNG (the CLI uses it).

Headless use needs ``QT_QPA_PLATFORM=offscreen`` (and, as root, Chromium needs
``QTWEBENGINE_DISABLE_SANDBOX=1``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from explorer.core.checks import list_of
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import Region
from explorer.geo.totals import SiteArrays, Totals, masked_totals
from explorer.io.site_columns import SiteColumns
from explorer.session.session import Session
from explorer.web.html_export import data_extent, points_extent, region_entries
from explorer.web.legend import LegendRow, SiteLegend, site_legend
from explorer.web.page import DEFAULT_CENTER, DEFAULT_ZOOM, MAX_ZOOM
from explorer.web.payload import to_json
from explorer.web.protocol import COLOR_MODES
from explorer.web.snapshot.furniture import (
    Box,
    Furniture,
    OverlayContent,
    OverlayLayout,
)
from explorer.web.snapshot.png import save_png
from explorer.web.snapshot.scale import MapFrame
from explorer.web.snapshot.spec import SnapshotSpec, check_drawable

log = logging.getLogger(__name__)

#: Fitting to sites never zooms in beyond this (a single site would fill the map).
SITES_FIT_MAX_ZOOM = 9

ProgressCallback = Callable[[int, str], None]


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
        The legend's colour rows (:func:`~explorer.web.legend.site_legend`: the rows
        the page's own legend shows for these sites).
    layout : OverlayLayout
    leaflet_scale : dict
        Leaflet's own scale control for the same view (``{"text", "width_css"}``),
        measured at the map's vertical centre: a check on our scale bar.
    map_image : QImage or None
        The grabbed map before overlays (only with ``keep_map_image=True``).
    as_of : datetime.date or None
        The date the capacity was counted up to (None: the planned build-out).
    totals : Totals or None
        The sites in view, totalled as ``explorer totals`` does on that date: the
        figures the facts line prints.
    size_samples : tuple of (int, float)
        The (chips, CSS radius) markers the legend's size key shows (empty: none).
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
    as_of: date | None = None
    totals: Totals | None = None
    size_samples: tuple[tuple[int, float], ...] = ()


class SnapshotError(RuntimeError):
    """The map could not be rendered (the page failed, or did not finish in time)."""


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
(function () {
  var map = CSE.map;
  var origin = map.getPixelOrigin();
  var pane = L.DomUtil.getPosition(map.getPane('mapPane'));
  var size = map.getSize();
  var line = document.querySelector('.leaflet-control-scale-line');
  return {
    zoom: map.getZoom(),
    origin: [origin.x, origin.y],
    pane: [pane ? pane.x : 0, pane ? pane.y : 0],
    size: [size.x, size.y],
    dpr: window.devicePixelRatio,
    leaflet_scale: line ? { text: line.textContent, width_css: parseFloat(line.style.width) } : null
  };
})()
"""

# The legend's size key: a page that lists the markers it drew with the chips each
# stands for (CSE.drawnSizes) is taken at its word; otherwise a few candidate markers
# only are asked for their radius (asking for every site's state costs seconds per ten
# thousand sites). A page that says what a marker is sized by is believed over the
# figure worked out here, and a marker it did not draw on its own (e.g. inside a group
# of sites) shows no size.
_SIZES_JS = """
(function (ids) {
  if (typeof CSE.drawnSizes === 'function') {
    return { drawn: CSE.drawnSizes() };
  }
  var out = {};
  ids.forEach(function (id) {
    var m = CSE.markerState(id);
    if (m) {
      out[id] = {
        radius: m.radius, chips: m.chips, planned: m.planned, state: m.state, drawn: m.drawn
      };
    }
  });
  return { markers: out };
})(%s)
"""

# Wraps an expression so a thrown error comes back as a value, never as a log line
# quoting the script (see SnapshotJob._evaluate).
_GUARDED_JS = (
    "(function () { try { return JSON.stringify({ok: true, value: (%s)}); }"
    " catch (e) { return JSON.stringify({ok: false, error: String(e)}); } })()"
)

#: Stages of a snapshot, as a timeout names them.
_STAGES = {
    "loading": "loading the map",
    "fitting": "fitting the view",
    "drawing": "drawing the map",
    "measuring": "reading back its view",
}


def _safety_budget_ms(spec: SnapshotSpec, n_sites: int, n_regions: int) -> int:
    """How long a snapshot may take before it is given up, scaled with the work.

    A safety net against a page that never answers, not a delay: every stage waits on a
    signal. Measured here (2 cores, software rendering): 1,000 regions take about 9 s,
    a 16384 px side about 5 s; the per-site term leaves room for a page that draws
    large site lists more slowly than the bundled one.
    """
    pixels = spec.width_px * spec.height_px / 1e6
    return int(60_000 + pixels * 500 + n_sites * 0.1 + n_regions * 20)


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
        as_of: date | None = None,
        today: date | None = None,
        parent: QObject | None = None,
        prepared: PreparedSites | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.as_of = as_of
        #: The date whose export rules decide what is restricted.
        self.rules_day = as_of if as_of is not None else (today or date.today())
        if prepared is None:
            prepared = prepare_sites(
                sites, catalogue, color_mode, as_of=as_of, today=today, metadata=metadata
            )
        self._sites = prepared.sites
        self._prepared_session: Session | None = prepared.session
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
        self._session: Session | None = None
        self._stage = "loading"
        self._started = 0.0
        self.result: SnapshotResult | None = None
        self.error: str | None = None
        self._furniture = Furniture(spec)
        self._table = prepared.table
        self._legend = prepared.legend
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
        session = self._prepared_session
        if session is None:
            raise RuntimeError("a snapshot job is started once")
        self._prepared_session = None  # the job's from now on
        self._session = session
        self._controller = MapController(view, session, parent=self)
        if self._entries:
            from explorer.web.region_controller import RegionMapController

            session.regions.reset(self._entries)
            self._region_controller = RegionMapController(view, session, parent=self)
        self._controller.ready.connect(self._on_ready, Qt.ConnectionType.SingleShotConnection)
        self._started = time.monotonic()
        self._timer.start(_safety_budget_ms(spec, len(self._sites), len(self._entries)))
        view.show()

    def cancel(self) -> None:
        """Stop; ``failed("cancelled")`` is emitted unless already done."""
        self._fail("cancelled")

    # ------------------------------------------------------------------ stages
    def _on_ready(self) -> None:
        if self._done:
            return
        self._stage = "fitting"
        self._progress(30, "Fitting the view")
        cfg = self._view_config()
        self._evaluate(_PREPARE_JS % to_json(cfg), self._on_prepared)

    def _evaluate(self, expression: str, callback: Callable[[Any], None]) -> None:
        """Evaluate ``expression`` in the page and pass its value to ``callback``.

        A reply that comes after the job ended is dropped, and a script error ends the
        job with the error in one line, never a log line quoting the script.
        """
        if self._view is None:
            return

        def reply(raw: Any) -> None:
            if self._done:
                return
            try:
                parsed = json.loads(raw) if isinstance(raw, str) else None
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) or not parsed.get("ok"):
                error = parsed.get("error") if isinstance(parsed, dict) else None
                self._fail(f"the map page failed while {_STAGES[self._stage]} ({error})")
                return
            callback(parsed.get("value"))

        self._view.run_js(_GUARDED_JS % expression, reply)

    def _content(self, shown: Sequence[Site], totals: Totals | None = None) -> OverlayContent:
        return OverlayContent(
            title=self.spec.title.strip() or str(self._metadata.get("title") or "").strip(),
            data_as_of=str(self._metadata.get("as_of") or "").strip(),
            shown=shown,
            total_sites=len(self._sites),
            legend_title=self._legend.title,
            legend_rows=self._legend.rows,
            region_count=len(self._entries),
            as_of=self.as_of,
            rules_day=self.rules_day,
            totals=totals,
        )

    def _shown_totals(self, shown_mask: np.ndarray | None) -> Totals:
        """The sites in view totalled as of the job's date, on the session's snapshot
        (a campus and its parts, supersession and ranges as everywhere else)."""
        assert self._session is not None
        arrays = self._session.live_totals.snapshot()
        return masked_totals(
            arrays, shown_mask, "in view", catalogue=self._catalogue, today=self.rules_day
        )

    def _view_config(self) -> dict[str, Any]:
        spec = self.spec
        box = spec.extent if spec.extent is not None else self._data_extent()
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
            # Totals of every site stand in for those in view (known only after the fit):
            # the facts line is about as long.
            every = self._content(self._sites, self._shown_totals(None))
            pad_tl, pad_br = self._furniture.fit_padding(every)
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
        self._stage = "drawing"
        self._progress(50, "Rendering the map")
        self._wait_for_frame()

    def _wait_for_frame(self) -> None:
        """Ask for a paint acknowledgement after the view change, then wait until the
        widget's own pixels show that frame."""
        self._target_seq = self._controller.request_frame()
        self._controller.call_when_rendered(self._on_presented, fresh_frame=False)

    def _on_presented(self) -> None:
        if self._done:
            return
        view = self._view
        if not view.shows_seq(self._target_seq):
            # A heavy page can take longer than one wait for its frame to reach the
            # widget: wait again (the safety timer ends a page that never gets there).
            self._wait_for_frame()
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
        self._stage = "measuring"
        self._progress(75, "Drawing the legend and scale")
        # Which markers the image shows decides the legend's sizes, the totals and the
        # caveat.
        self._evaluate(_MEASURE_JS, self._on_measured)

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
        spec = self.spec
        x, y = frame.to_image_many(*self._coordinates())
        inside = (x >= 0) & (x < spec.width_px) & (y >= 0) & (y < spec.height_px)
        shown = [s for s, keep in zip(self._sites, inside, strict=True) if keep]
        totals = self._shown_totals(inside)
        figures = self._size_figures(inside)
        candidates = _size_candidates(figures)
        self._evaluate(
            _SIZES_JS % to_json(candidates),
            lambda sizes: self._on_sizes(frame, info, shown, totals, figures, sizes),
        )

    def _data_extent(self) -> tuple[float, float, float, float] | None:
        """:func:`~explorer.web.html_export.data_extent`, the sites read as arrays."""
        if self._entries or not self._sites:
            return data_extent(self._sites, self._entries)
        return points_extent(*self._coordinates())

    def _coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Every site's longitude and latitude, in order (the table's, when there is one)."""
        if self._table is not None:
            return self._table.lon, self._table.lat
        n = len(self._sites)
        lon = np.fromiter((s.lon for s in self._sites), dtype=np.float64, count=n)
        lat = np.fromiter((s.lat for s in self._sites), dtype=np.float64, count=n)
        return lon, lat

    def _size_figures(self, shown_mask: np.ndarray) -> dict[str, int]:
        """The chips each shown marker stands for on the job's date: what the site counts
        then, or, when nothing of it is online yet, what it will count once built (a
        superseded record stands for nothing)."""
        assert self._session is not None
        live = self._session.live_totals
        arrays = live.snapshot()
        counted = np.asarray(arrays.chips.sum(axis=1), dtype=np.int64)
        if self.as_of is None:
            planned = counted
        else:
            undated = SiteArrays.from_ledger(self._sites, live.ledger, self._catalogue)
            planned = np.asarray(undated.chips.sum(axis=1), dtype=np.int64)
        figure = np.where(counted > 0, counted, planned)
        if arrays.counted is not None:
            figure = np.where(arrays.counted, figure, 0)
        index = {sid: i for i, sid in enumerate(arrays.ids.tolist())}
        return {
            s.id: int(figure[index[s.id]])
            for s, keep in zip(self._sites, shown_mask, strict=True)
            if keep and figure[index[s.id]] > 0
        }

    def _on_sizes(
        self,
        frame: MapFrame,
        info: dict[str, Any],
        shown: list[Site],
        totals: Totals,
        figures: Mapping[str, int],
        sizes: Any,
    ) -> None:
        if self._done:
            return
        assert self._map_image is not None
        spec = self.spec
        content = self._content(shown, totals)
        content.size_samples = _size_samples(_drawn_sizes(figures, sizes))
        image = self._map_image.copy()
        layout = self._furniture.paint(image, frame, content, self._region_boxes(frame))
        self._progress(100, "Done")
        self.result = SnapshotResult(
            image=image,
            spec=spec,
            frame=frame,
            shown_site_ids=tuple(s.id for s in shown),
            caveat=content.caveat,
            legend_rows=self._legend.rows,
            layout=layout,
            leaflet_scale=info.get("leaflet_scale") or {},
            map_image=self._map_image if self._keep_map_image else None,
            as_of=self.as_of,
            totals=totals,
            size_samples=tuple(content.size_samples),
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
        spent = time.monotonic() - self._started
        work = [f"{len(self._sites):,} site{'s' if len(self._sites) != 1 else ''}"]
        if self._entries:
            work.append(f"{len(self._entries):,} region{'s' if len(self._entries) != 1 else ''}")
        work.append(f"{self.spec.width_px} × {self.spec.height_px} px")
        self._fail(
            f"the map page was still {_STAGES[self._stage]} after {spent:.0f} s ({', '.join(work)})"
        )

    def _on_renderer_died(self, *_args: Any) -> None:
        self._fail("the map page's renderer stopped while drawing the snapshot")

    def _progress(self, percent: int, message: str) -> None:
        self.progress.emit(percent, message)

    def _fail(self, message: str) -> None:
        if self._done:
            return
        self.error = message
        # The caller reports the failure (the dialog shows it, the CLI prints it once).
        log.info("snapshot failed: %s", message)
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


def _size_candidates(figures: Mapping[str, int]) -> list[str]:
    """The shown markers the legend's sizes may show: the most and fewest chips, and the
    one nearest their geometric mean (the page is asked for these radii only)."""
    if not figures:
        return []
    # Ends and middle in passes over the markers, not a sort of them (100,000 shown).
    by_chips = lambda sid: (figures[sid], sid)  # noqa: E731
    low, high = min(figures, key=by_chips), max(figures, key=by_chips)
    target = math.sqrt(figures[low] * figures[high])
    middle = min(figures, key=lambda sid: (abs(math.log(figures[sid] / target)), sid))
    return list(dict.fromkeys((low, middle, high)))


def _drawn_sizes(figures: Mapping[str, int], reply: Any) -> list[tuple[int, float]]:
    """(chips, CSS radius) of shown markers as the page drew them (see ``_SIZES_JS``).

    ``reply["drawn"]`` (id -> [chips, radius], every marker the page drew on its own)
    is used for the shown sites; else ``reply["markers"]`` (the candidates' states),
    whose chips are what the page says a marker is sized by when it says so.
    """
    if not isinstance(reply, dict):
        return []
    out = []
    drawn = reply.get("drawn")
    if isinstance(drawn, dict):
        for sid, pair in drawn.items():
            if sid in figures and isinstance(pair, list) and len(pair) == 2:
                chips, radius = pair
                if isinstance(chips, int | float) and isinstance(radius, int | float):
                    out.append((int(chips), float(radius)))
        return out
    for sid, m in (reply.get("markers") or {}).items():
        radius = m.get("radius") if isinstance(m, dict) else None
        if sid not in figures or not isinstance(radius, int | float) or m.get("drawn") is False:
            continue
        key = "planned" if m.get("state") == "pending" else "chips"
        page = m.get(key)
        chips = int(page) if isinstance(page, int | float) and page > 0 else figures[sid]
        out.append((chips, float(radius)))
    return out


def _size_samples(drawn: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Up to three (chips, CSS radius) pairs of shown markers: largest, smallest, middle.

    Taken from markers as drawn, so the legend's circles are the map's own sizes.
    """
    pairs = sorted(set(drawn), key=lambda t: t[0])
    if not pairs:
        return []
    picks = [pairs[-1]]
    if pairs[0][1] < 0.8 * pairs[-1][1]:
        picks.insert(0, pairs[0])
        target = math.sqrt(pairs[0][0] * pairs[-1][0])
        middle = min(pairs, key=lambda t: abs(math.log(t[0] / target)))
        if all(abs(middle[1] - p[1]) > 0.2 * pairs[-1][1] for p in picks):
            picks.insert(1, middle)
    return picks


@dataclass(frozen=True, eq=False)
class PreparedSites:
    """What a snapshot reads of its sites before it renders, made by
    :func:`prepare_sites` once and on any thread (no Qt): a window hands this work to a
    worker thread at 100,000 sites (about 1.5 s).

    Attributes
    ----------
    sites : list of Site
    table : SiteColumns or None
        The same sites as a table (the map's own session, its ledger, totals and page
        payload read it as columns); None when a model is not the catalogue's.
    legend : SiteLegend
        The palette's rows for these sites on the map's date, as the page's own legend
        shows them.
    session : Session
        The offscreen map's own session, holding what is drawn (the sites, the colour
        mode, the date: its live totals made); the job takes it over.
    """

    sites: list[Site]
    table: SiteColumns | None
    legend: SiteLegend
    session: Session


def prepare_sites(
    sites: Iterable[Site],
    catalogue: ChipCatalogue,
    color_mode: str,
    *,
    as_of: date | None = None,
    today: date | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> PreparedSites:
    """:class:`PreparedSites` for a snapshot of ``sites`` in ``color_mode`` on ``as_of``
    (``today``: the rules day when ``as_of`` is None; ``metadata``: the data set's)."""
    sites = list(sites)
    table = _as_table(sites, catalogue)
    legend = site_legend(
        table if table is not None else sites, catalogue, color_mode, as_of=as_of, today=today
    )
    # The offscreen map is a view over a session of its own holding what is drawn.
    session = Session(catalogue, admin_areas=None)
    session.sites.reset(table if table is not None else sites, dict(metadata or {}))
    session.set_color_mode(color_mode)
    # The date is the session's: a map that follows it shows what is counted then.
    session.set_as_of(as_of)
    return PreparedSites(sites, table, legend, session)


def _as_table(sites: Sequence[Site], catalogue: ChipCatalogue) -> SiteColumns | None:
    """``sites`` as a table, when every chip model they name is the catalogue's (a
    hand-made catalogue lacking one keeps the sites, whose ledger adds the model)."""
    table = SiteColumns.from_sites(sites)
    known = set(catalogue.names)
    if all(m in known for m in set(table.lines["chip_model"].tolist())):
        return table
    return None


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
    as_of: date | None = None,
    today: date | None = None,
    parent: QObject | None = None,
    prepared: PreparedSites | None = None,
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
    as_of : datetime.date, optional
        Count capacity up to this date (lines online by then, export rules in force
        then), as ``explorer totals --as-of``; the offscreen map's session is set to it.
        None: the planned build-out with today's rules. Printed under the title.
    today : datetime.date, optional
        The date whose rules an undated snapshot uses (default: the real today).
    parent : QObject, optional
        Parent of the returned job.
    prepared : PreparedSites, optional
        :func:`prepare_sites` of these same sites, colour mode and date, made earlier
        (e.g. on a worker thread); made here otherwise.

    Returns
    -------
    SnapshotJob
        Also emits ``progress``, ``finished(SnapshotResult)`` and ``failed(str)``.

    Raises
    ------
    ValueError
        The spec is refused (size, dpi, extent, title), ``color_mode`` is unknown, or
        there are more regions than a snapshot draws (:func:`check_drawable`).
    TypeError
        A site or region, or ``as_of``, has the wrong type.
    """
    spec.validate()
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    for name, value in (("as_of", as_of), ("today", today)):
        if value is not None and not isinstance(value, date):
            raise TypeError(f"{name} must be a date or None, got {type(value).__name__}")
    sites = list_of(sites, Site, "sites")
    if prepared is not None and len(prepared.sites) != len(sites):
        raise ValueError("prepared sites are not the sites given")
    regions = list(regions) if regions is not None else []
    check_drawable(regions)
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
        as_of=as_of,
        today=today,
        parent=parent,
        prepared=prepared,
    )
    if on_progress is not None:
        job.progress.connect(on_progress)
    if done is not None:
        job.finished.connect(lambda result: done(result.image))
    if on_error is not None:
        job.failed.connect(on_error)
    job.start()
    return job


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
    "PreparedSites",
    "ProgressCallback",
    "SnapshotError",
    "SnapshotJob",
    "SnapshotResult",
    "prepare_sites",
    "render_snapshot",
    "run_snapshot",
    "snapshot_to_file",
]
