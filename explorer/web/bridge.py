"""The one object the map page talks to over the QWebChannel.

Python → page: signals carrying JSON strings ``{"seq": n, "data": ...}``. The ``post_*``
methods build them, number them and hold them back until the page says it is ready.

Names and bounds are :mod:`explorer.web.protocol`'s: a signal here for every
:class:`~explorer.web.protocol.ToPage` name, a slot for every
:class:`~explorer.web.protocol.ToPython` name (Qt needs them declared by name; a test
checks the two lists agree), and the page reads the same names from its configuration.

Page → Python: slots. Every argument is checked (type, size, finite, in range, known
site id) and a bad message is dropped with a warning; good ones are re-emitted as the
``…OnMap`` / ``mapClickedAt`` / ``ready`` / ``renderedSeq`` signals for Python code.

Regions (see :mod:`explorer.web.region_payload`) follow the same rules: the page may
only name regions it was told about, vertex lists are bounded (``MAX_DRAWN_VERTICES``),
every coordinate must be finite and inside Web Mercator's world (lon -180..180, lat
within +-85.0511) and a circle's radius within 1 m..5000 km.

Why the slots are declared with ``QVariant`` parameters: QWebChannel converts a JS
argument to a ``double`` or ``int`` parameter silently and lossily — ``NaN`` arrives as
``0.0`` (a valid coordinate) and a string as an uninitialised number. With ``QVariant``
Python receives the JSON value as sent (``None``, ``str``, ``float``...) and can reject
it. The documented types (``str``, ``float``, ``int``) are what is accepted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from explorer.web.payload import to_json
from explorer.web.protocol import (
    COLOR_MODES,
    DRAW_KINDS,
    DRAW_MODES,
    MAX_ID_LENGTH,
    MODES,
    ToPage,
    ToPython,
)

log = logging.getLogger(__name__)


def _check_drawing(kind: Any, payload: Any) -> Any:
    # Imported when a shape first arrives: the checks need shapely and numpy, which the
    # map view is made without (the page starts loading before they are imported).
    from explorer.web.region_payload import check_drawing

    return check_drawing(kind, payload)


#: A reset longer than this (characters) goes to the page in parts, one after another.
#: Qt writes a signal's text into the web channel's JSON on this thread: a million
#: sites' reset (about 100 MB) took it 0.55 s in one piece, 0.2-0.3 s in parts of this
#: size (each part's copies stay small). The page joins the parts.
RESET_PART_CHARS = 4_000_000
#: Messages held for a page that is not ready; beyond this the site messages are
#: dropped and the page gets a full reset when it is ready (see ``resync_needed``).
MAX_QUEUE = 500
#: Messages that describe the site set; a queued reset makes older ones pointless.
_SITE_MESSAGES = frozenset(
    {ToPage.SITES_RESET, ToPage.SITE_UPSERTED, ToPage.SITE_REMOVED, ToPage.SITES_COUNTED}
)
#: The same for the region set.
_REGION_MESSAGES = frozenset({ToPage.REGIONS_RESET, ToPage.REGION_UPSERTED, ToPage.REGION_REMOVED})
#: Messages where only the newest queued one matters.
_LATEST_ONLY = frozenset(
    {
        ToPage.SELECTION_CHANGED,
        ToPage.MODE_CHANGED,
        ToPage.COLOR_MODE_CHANGED,
        ToPage.FLY_TO,
        ToPage.SYNC,
        ToPage.REGION_SELECTED,
        ToPage.DRAW_MODE_CHANGED,
        ToPage.SITES_HIGHLIGHTED,
        ToPage.FIT_BOUNDS,
        ToPage.BOUNDARY_LAYER_SET,
        # Each counts every site on the page: a newer one makes an older one pointless.
        ToPage.SITES_COUNTED,
    }
)


@dataclass(frozen=True)
class _Message:
    signal: ToPage
    seq: int
    #: The message's JSON, in pieces whose concatenation is the text (a reset written
    #: off the UI thread is framed, not copied into a new 100 MB string).
    pieces: tuple[str, ...]

    @property
    def json(self) -> str:
        return self.pieces[0] if len(self.pieces) == 1 else "".join(self.pieces)


def _parts(pieces: tuple[str, ...], size: int) -> list[str]:
    """``"k:n:"`` and the k-th of the n runs of ``size`` characters of the pieces'
    concatenation, cut from the pieces without building the whole text."""
    count = max(1, -(-sum(map(len, pieces)) // size))
    out: list[str] = []
    part = [f"0:{count}:"]
    room = size
    for piece in pieces:
        start = 0
        while start < len(piece):
            take = min(room, len(piece) - start)
            part.append(piece[start : start + take])
            start += take
            room -= take
            if room == 0:
                out.append("".join(part))
                part, room = [f"{len(out)}:{count}:"], size
    if len(part) > 1:
        out.append("".join(part))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_lon_lat(lon: Any, lat: Any) -> tuple[float, float] | None:
    """``(lon, lat)`` as floats if both are finite numbers in range, else ``None``."""
    if not (_is_number(lon) and _is_number(lat)):
        return None
    x, y = float(lon), float(lat)
    if not (math.isfinite(x) and math.isfinite(y) and -180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        return None
    return x, y


class MapBridge(QObject):
    """The object registered as ``bridge`` on the map page's QWebChannel.

    Signals to the page (JSON ``{"seq", "data"}``)
    ---------------------------------------------
    sitesReset(str)
        ``data = {"as_of", "as_of_day", "rules_day", "models": [{"name", "restricted"}...],
        "sites": {"n", column: ...}}`` (see :mod:`explorer.web.site_columns`).
    siteUpserted(str)
        ``data = {"n", column: ...}`` (added or changed sites, same columns).
    siteRemoved(str)
        ``data = [id...]``.
    sitesCounted(str)
        ``data = {"as_of", "as_of_day", "rules_day", "models", "sites": {"n", "id",
        "chips", "restricted", "model", "state", ["low", "high"]}}``: every site counted
        on another date.
    selectionChanged(str)
        ``data`` = the selected id, ``""`` for none.
    modeChanged(str)
        ``data = "browse" | "place"``.
    colorModeChanged(str)
        ``data = "export" | "model"``.
    flyTo(str)
        ``data = {"lon", "lat", "zoom"}`` (zoom may be null).
    sync(str)
        ``data = null``: changes nothing; the page acks it after its next paint (so a
        snapshot can wait for a fresh frame after a pan/zoom done in the page).
    regionsReset(str)
        ``data = [region...]`` (see :func:`~explorer.web.region_payload.region_payload`).
    regionUpserted(str)
        ``data = [region...]`` (added or changed regions).
    regionRemoved(str)
        ``data = [id...]``.
    regionSelected(str)
        ``data`` = the selected region id, ``""`` for none.
    drawModeChanged(str)
        ``data = "none" | "polygon" | "rectangle" | "circle" | "pick"``.
    sitesHighlighted(str)
        ``data = [site id...]`` (sites inside the selected region).
    fitBounds(str)
        ``data = {"west", "south", "east", "north"}``: show this box (no animation).
    boundaryLayerSet(str)
        ``data = {"name", "features": [{"name", "polygons"}...]}`` (a loaded boundary
        layer's display copy, see :mod:`explorer.web.boundary_payload`) or ``null``
        to remove it. Pick mode then picks among its areas instead of the provinces.

    Signals for Python (validated page events)
    ------------------------------------------
    ready()
        The page connected and can take messages (again, after a reload).
    siteClickedOnMap(str)
    siteMovedOnMap(str, float, float)
        id, lon, lat where the user dropped a dragged marker.
    mapClickedAt(float, float)
        lon, lat of a click in "place" mode.
    cursorMovedOnMap(float, float)
    renderedSeq(int)
        The page painted every message up to this seq.
    regionDrawnOnMap(str, object)
        kind, shape: a finished drawing, ``{"vertices": [(lon, lat)...]}`` or
        ``{"center": (lon, lat), "radius_m": float}`` (see ``check_drawing``).
    regionEditedOnMap(str, object)
        id of a known region, and its edited shape (same forms, matching its kind).
    regionClickedOnMap(str)
        A known region was clicked (browse mode).
    areaPickedOnMap(float, float)
        lon, lat of a click in "pick" mode.
    drawCancelledOnMap()
        The user cancelled a drawing (Esc).
    drawModeRequestedOnMap(str)
        The user chose a tool in the page's toolbar (one of ``DRAW_MODES``).
    """

    # Python -> page
    sitesReset = Signal(str)
    sitesResetPart = Signal(str)
    siteUpserted = Signal(str)
    siteRemoved = Signal(str)
    sitesCounted = Signal(str)
    selectionChanged = Signal(str)
    modeChanged = Signal(str)
    colorModeChanged = Signal(str)
    flyTo = Signal(str)
    sync = Signal(str)
    regionsReset = Signal(str)
    regionUpserted = Signal(str)
    regionRemoved = Signal(str)
    regionSelected = Signal(str)
    drawModeChanged = Signal(str)
    sitesHighlighted = Signal(str)
    fitBounds = Signal(str)
    boundaryLayerSet = Signal(str)

    # validated page events, for Python
    ready = Signal()
    siteClickedOnMap = Signal(str)
    siteMovedOnMap = Signal(str, float, float)
    mapClickedAt = Signal(float, float)
    cursorMovedOnMap = Signal(float, float)
    renderedSeq = Signal(int)
    regionDrawnOnMap = Signal(str, object)
    regionEditedOnMap = Signal(str, object)
    regionClickedOnMap = Signal(str)
    areaPickedOnMap = Signal(float, float)
    drawCancelledOnMap = Signal()
    drawModeRequestedOnMap = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page_ready = False
        self._queue: list[_Message] = []
        self._seq = 0
        self._rendered_seq = 0
        self._known_ids: set[str] = set()
        #: Region ids the page has been told about, with their kind.
        self._region_kinds: dict[str, str] = {}
        self.dropped_messages = 0
        #: Set when queued site messages were dropped: the page needs a full reset.
        self.resync_needed = False
        #: The same for queued region messages.
        self.region_resync_needed = False
        #: Hands the sending of a long reset's parts to the window's deferred work, a
        #: part per turn of the event loop (see :meth:`spread_parts`); None: at once.
        self._spread: Callable[[Callable[[], Iterator[None]]], None] | None = None
        #: A long reset's parts still to send, and the messages posted since (they
        #: follow its last part).
        self._parts_left: list[str] = []
        self._behind: list[_Message] = []

    # ------------------------------------------------------------------ state
    @property
    def is_page_ready(self) -> bool:
        """True between the page's ``pageReady()`` and the next page load."""
        return self._page_ready

    @property
    def last_sent_seq(self) -> int:
        """Seq of the newest message posted (sent or still queued)."""
        return self._seq

    @property
    def last_rendered_seq(self) -> int:
        """Highest seq the page reported as painted."""
        return self._rendered_seq

    @property
    def known_ids(self) -> frozenset[str]:
        """Site ids the page has been told about; page events may only name these."""
        return frozenset(self._known_ids)

    @property
    def known_region_ids(self) -> frozenset[str]:
        """Region ids the page has been told about; page events may only name these."""
        return frozenset(self._region_kinds)

    def page_unloaded(self) -> None:
        """Hold messages again: the page is (re)loading and has lost its state."""
        self._page_ready = False
        self._parts_left = []  # the reset they belong to is gone with the page
        behind, self._behind = self._behind, []
        for message in behind:
            self._enqueue(message)

    def spread_parts(self, schedule: Callable[[Callable[[], Iterator[None]]], None]) -> None:
        """Send a long reset's parts a part per turn of the event loop rather than all
        at once (Qt writes each into the web channel's JSON on this thread: a million
        sites' parts took 0.3-0.4 s in one go). ``schedule(steps)`` must run the
        generator ``steps()`` returns a step per turn (the window's
        :class:`~explorer.ui.idle_queue.IdleQueue`, ahead of its views' work), starting
        it over when scheduled again. The first part goes at once; messages posted
        meanwhile follow the last part; a new reset replaces the parts left."""
        self._spread = schedule

    # ------------------------------------------------------------------ posting
    def post_reset(self, data: dict[str, Any]) -> int:
        """Replace every site on the page; returns the message's seq.

        ``data`` is :func:`~explorer.web.site_columns.reset_payload`'s: the date, the
        models and ``sites`` (columns).
        """
        seq = self._post(ToPage.SITES_RESET, data)
        self._known_ids = set(data["sites"]["id"])
        return seq

    def post_reset_text(self, text: str, ids: Collection[str]) -> int:
        """:meth:`post_reset` with its data already JSON (``text``, as
        :func:`~explorer.web.payload.to_json` wrote it off the UI thread: see
        :mod:`explorer.web.reset_ahead`) and ``ids`` its sites' ids; returns the seq."""
        seq = self._send(ToPage.SITES_RESET, lambda seq: (f'{{"seq":{seq},"data":', text, "}"))
        self._known_ids = set(ids)
        return seq

    def post_upserts(self, columns: dict[str, Any]) -> int:
        """Add or update sites on the page (columns, as in a reset's ``sites``)."""
        seq = self._post(ToPage.SITE_UPSERTED, columns)
        self._known_ids.update(columns["id"])
        return seq

    def post_removals(self, ids: list[str]) -> int:
        """Remove sites from the page."""
        seq = self._post(ToPage.SITE_REMOVED, list(ids))
        self._known_ids.difference_update(ids)
        return seq

    def post_counted(self, data: dict[str, Any]) -> int:
        """Count every site on another date: ``data`` is the date part of a reset and
        ``sites``, the date-dependent columns (:func:`~explorer.web.site_columns.
        counted_columns`) of every site on the page."""
        return self._post(ToPage.SITES_COUNTED, data)

    def post_selection(self, sid: str | None) -> int:
        """Highlight ``sid`` (``None`` clears the highlight)."""
        return self._post(ToPage.SELECTION_CHANGED, sid or "")

    def post_mode(self, mode: str) -> int:
        """Switch the page between ``"browse"`` and ``"place"``."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        return self._post(ToPage.MODE_CHANGED, mode)

    def post_color_mode(self, mode: str) -> int:
        """Colour markers by ``"export"`` control status or by chip ``"model"``."""
        if mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {mode!r}")
        return self._post(ToPage.COLOR_MODE_CHANGED, mode)

    def post_fly_to(self, lon: float, lat: float, zoom: int | None = None) -> int:
        """Animate the map to ``(lon, lat)`` (and ``zoom`` if given)."""
        checked = check_lon_lat(lon, lat)
        if checked is None:
            raise ValueError(f"fly_to needs finite lon/lat in range, got ({lon!r}, {lat!r})")
        if zoom is not None and (
            isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= 20
        ):
            raise ValueError(f"zoom must be a whole number from 0 to 20, got {zoom!r}")
        return self._post(ToPage.FLY_TO, {"lon": checked[0], "lat": checked[1], "zoom": zoom})

    def post_sync(self) -> int:
        """Ask for a ``rendered`` ack after the page's next paint."""
        return self._post(ToPage.SYNC, None)

    # ------------------------------------------------------------------ posting: regions
    def post_regions_reset(self, regions: list[dict[str, Any]]) -> int:
        """Replace every region on the page (``region_payload`` dicts)."""
        seq = self._post(ToPage.REGIONS_RESET, regions)
        self._region_kinds = {r["id"]: r["kind"] for r in regions}
        return seq

    def post_region_upserts(self, regions: list[dict[str, Any]]) -> int:
        """Add or update regions on the page."""
        seq = self._post(ToPage.REGION_UPSERTED, regions)
        self._region_kinds.update((r["id"], r["kind"]) for r in regions)
        return seq

    def post_region_removals(self, ids: list[str]) -> int:
        """Remove regions from the page."""
        seq = self._post(ToPage.REGION_REMOVED, list(ids))
        for rid in ids:
            self._region_kinds.pop(rid, None)
        return seq

    def post_region_selection(self, rid: str | None) -> int:
        """Emphasise region ``rid`` and offer its handles (``None``: no region)."""
        return self._post(ToPage.REGION_SELECTED, rid or "")

    def post_draw_mode(self, mode: str) -> int:
        """Switch the page's drawing tool (``"none"`` ends drawing)."""
        if mode not in DRAW_MODES:
            raise ValueError(f"draw mode must be one of {', '.join(DRAW_MODES)}, got {mode!r}")
        return self._post(ToPage.DRAW_MODE_CHANGED, mode)

    def post_sites_highlighted(self, ids: list[str]) -> int:
        """Highlight these sites (e.g. the ones inside the selected region)."""
        if not all(isinstance(i, str) for i in ids):
            raise ValueError(f"site ids must be text, got {ids!r:.80}")
        return self._post(ToPage.SITES_HIGHLIGHTED, list(ids))

    def post_fit_bounds(self, west: float, south: float, east: float, north: float) -> int:
        """Show the box ``west..east`` x ``south..north`` (degrees), without animation."""
        sw, ne = check_lon_lat(west, south), check_lon_lat(east, north)
        if sw is None or ne is None or not (sw[0] <= ne[0] and sw[1] <= ne[1]):
            raise ValueError(
                f"fit_bounds needs west <= east and south <= north in range, "
                f"got ({west!r}, {south!r}, {east!r}, {north!r})"
            )
        return self._post(
            ToPage.FIT_BOUNDS, {"west": sw[0], "south": sw[1], "east": ne[0], "north": ne[1]}
        )

    def post_boundary_layer(self, data: dict[str, Any] | None) -> int:
        """Show a boundary layer's display copy (``None``: remove the layer).

        Raises
        ------
        ValueError
            ``data`` is not a boundary payload or is over the page's bounds
            (``MAX_BOUNDARY_FEATURES`` areas, ``MAX_BOUNDARY_VERTICES`` vertices): nothing
            is sent.
        """
        if data is not None:
            from explorer.web.boundary_payload import check_boundary_data

            check_boundary_data(data)
        return self._post(ToPage.BOUNDARY_LAYER_SET, data)

    def _post(self, signal: ToPage, data: Any) -> int:
        # to_json raises on NaN: nothing is sent then, and the seq is not used up.
        return self._send(signal, lambda seq: to_json({"seq": seq, "data": data}))

    def _send(self, signal: ToPage, message_text: Callable[[int], str | tuple[str, ...]]) -> int:
        """Send (or queue) the message ``message_text(seq)`` writes for the next seq (its
        text, or pieces of it)."""
        seq = self._seq + 1
        text = message_text(seq)
        message = _Message(signal, seq, (text,) if isinstance(text, str) else text)
        self._seq = seq
        if self._page_ready:
            self._deliver(message)
        else:
            self._enqueue(message)
        return message.seq

    def _deliver(self, message: _Message) -> None:
        """Emit ``message`` to the ready page; a long reset in parts, one after another
        (or a part per turn of the event loop, see :meth:`spread_parts`)."""
        if self._parts_left:
            if message.signal != ToPage.SITES_RESET:
                self._behind.append(message)  # after the reset on its way
                return
            # A new reset replaces the one on its way and the site messages after it;
            # the rest go first, in the order they were posted.
            self._parts_left = []
            behind, self._behind = self._behind, []
            for earlier in behind:
                if earlier.signal not in _SITE_MESSAGES:
                    self._deliver(earlier)
        pieces = message.pieces
        if message.signal != ToPage.SITES_RESET or sum(map(len, pieces)) <= RESET_PART_CHARS:
            getattr(self, message.signal).emit(message.json)
            return
        parts = _parts(pieces, RESET_PART_CHARS)
        if self._spread is None:
            for part in parts:
                self.sitesResetPart.emit(part)
            return
        self.sitesResetPart.emit(parts[0])
        self._parts_left = parts[1:]
        self._spread(self._send_parts_left)

    def _send_parts_left(self) -> Iterator[None]:
        """The parts of the reset on its way, a step each, then what was posted since."""
        while self._parts_left:  # emptied if the page goes meanwhile
            self.sitesResetPart.emit(self._parts_left.pop(0))
            if self._parts_left:
                yield None
        behind, self._behind = self._behind, []
        for message in behind:
            self._deliver(message)  # a long reset among them spreads in turn

    def _enqueue(self, message: _Message) -> None:
        # Keep the queue short: a reset supersedes earlier site messages, and only the
        # newest selection/mode/colour/flyTo matters. Order is otherwise preserved.
        if message.signal == ToPage.SITES_RESET:
            self._queue = [m for m in self._queue if m.signal not in _SITE_MESSAGES]
        elif message.signal == ToPage.REGIONS_RESET:
            self._queue = [m for m in self._queue if m.signal not in _REGION_MESSAGES]
        elif message.signal in _LATEST_ONLY:
            self._queue = [m for m in self._queue if m.signal != message.signal]
        self._queue.append(message)
        if len(self._queue) > MAX_QUEUE:
            # A page that stays unready must not make us hold every edit forever.
            dropped = _SITE_MESSAGES | _REGION_MESSAGES
            self._queue = [m for m in self._queue if m.signal not in dropped]
            self.resync_needed = True
            self.region_resync_needed = True
            log.warning(
                "map page not ready; dropped queued site and region updates (a reset will follow)"
            )

    def _flush(self) -> None:
        queued, self._queue = self._queue, []
        for message in queued:
            self._deliver(message)

    # ------------------------------------------------------------------ page → Python
    def _drop(self, what: str, *args: Any) -> None:
        self.dropped_messages += 1
        shown = ", ".join(repr(a)[:80] for a in args)
        log.warning("map page: dropped %s(%s)", what, shown)

    def _known_id(self, sid: Any) -> str | None:
        if isinstance(sid, str) and 0 < len(sid) <= MAX_ID_LENGTH and sid in self._known_ids:
            return sid
        return None

    @Slot()
    def pageReady(self) -> None:  # noqa: N802 - name seen by the page
        """The page is connected: send what was held back, then announce ``ready``."""
        self._page_ready = True
        self._flush()
        self.ready.emit()

    @Slot("QVariant")
    def siteClicked(self, sid: Any) -> None:  # noqa: N802
        """A marker was clicked (``sid``: str)."""
        checked = self._known_id(sid)
        if checked is None:
            self._drop(ToPython.SITE_CLICKED, sid)
            return
        self.siteClickedOnMap.emit(checked)

    @Slot("QVariant", "QVariant", "QVariant")
    def siteMoved(self, sid: Any, lon: Any, lat: Any) -> None:  # noqa: N802
        """A marker was dragged to ``(lon, lat)`` (str, float, float)."""
        checked = self._known_id(sid)
        where = check_lon_lat(lon, lat)
        if checked is None or where is None:
            self._drop(ToPython.SITE_MOVED, sid, lon, lat)
            return
        self.siteMovedOnMap.emit(checked, where[0], where[1])

    @Slot("QVariant", "QVariant")
    def mapClicked(self, lon: Any, lat: Any) -> None:  # noqa: N802
        """The map was clicked in "place" mode at ``(lon, lat)`` (float, float)."""
        where = check_lon_lat(lon, lat)
        if where is None:
            self._drop(ToPython.MAP_CLICKED, lon, lat)
            return
        self.mapClickedAt.emit(where[0], where[1])

    @Slot("QVariant", "QVariant")
    def cursorMoved(self, lon: Any, lat: Any) -> None:  # noqa: N802
        """The mouse is over ``(lon, lat)`` (float, float); throttled by the page."""
        where = check_lon_lat(lon, lat)
        if where is None:
            self._drop(ToPython.CURSOR_MOVED, lon, lat)
            return
        self.cursorMovedOnMap.emit(where[0], where[1])

    @Slot("QVariant")
    def rendered(self, seq: Any) -> None:
        """Everything up to ``seq`` (int) is painted."""
        if isinstance(seq, float) and seq.is_integer():
            seq = int(seq)
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq <= self._seq:
            self._drop(ToPython.RENDERED, seq)
            return
        if seq <= self._rendered_seq:
            return  # a late duplicate: nothing new is on screen
        self._rendered_seq = seq
        self.renderedSeq.emit(seq)

    # ------------------------------------------------------------------ page → Python: regions
    def _known_region(self, rid: Any) -> str | None:
        if isinstance(rid, str) and 0 < len(rid) <= MAX_ID_LENGTH and rid in self._region_kinds:
            return rid
        return None

    @Slot("QVariant", "QVariant")
    def regionDrawn(self, kind: Any, payload: Any) -> None:  # noqa: N802
        """A shape was finished: ``kind`` (``"polygon"``, ``"rectangle"``, ``"circle"``)
        and ``{vertices: [[lon, lat]...]}`` or ``{center: [lon, lat], radius_m}``."""
        shape = _check_drawing(kind, payload)
        if shape is None:
            self._drop(ToPython.REGION_DRAWN, kind, payload)
            return
        self.regionDrawnOnMap.emit(kind, shape)

    @Slot("QVariant", "QVariant")
    def regionEdited(self, rid: Any, payload: Any) -> None:  # noqa: N802
        """A region's handles were dragged: its id and new shape (same forms as
        ``regionDrawn``, matching the region's kind)."""
        checked = self._known_region(rid)
        kind = self._region_kinds.get(checked) if checked is not None else None
        shape = _check_drawing(kind, payload) if kind in DRAW_KINDS else None
        if checked is None or shape is None:
            self._drop(ToPython.REGION_EDITED, rid, payload)
            return
        self.regionEditedOnMap.emit(checked, shape)

    @Slot("QVariant")
    def regionClicked(self, rid: Any) -> None:  # noqa: N802
        """A region was clicked (``rid``: str)."""
        checked = self._known_region(rid)
        if checked is None:
            self._drop(ToPython.REGION_CLICKED, rid)
            return
        self.regionClickedOnMap.emit(checked)

    @Slot("QVariant", "QVariant")
    def areaPicked(self, lon: Any, lat: Any) -> None:  # noqa: N802
        """The map was clicked in "pick" mode at ``(lon, lat)`` (float, float)."""
        where = check_lon_lat(lon, lat)
        if where is None:
            self._drop(ToPython.AREA_PICKED, lon, lat)
            return
        self.areaPickedOnMap.emit(where[0], where[1])

    @Slot()
    def drawCancelled(self) -> None:  # noqa: N802
        """The user cancelled the shape being drawn."""
        self.drawCancelledOnMap.emit()

    @Slot("QVariant")
    def drawModeRequested(self, mode: Any) -> None:  # noqa: N802
        """A toolbar button asks for drawing ``mode`` (str, one of ``DRAW_MODES``)."""
        if not isinstance(mode, str) or mode not in DRAW_MODES:
            self._drop(ToPython.DRAW_MODE_REQUESTED, mode)
            return
        self.drawModeRequestedOnMap.emit(mode)
