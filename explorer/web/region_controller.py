"""Keeps the map page's regions in step with the session, and runs the drawing tools.

Like :class:`~explorer.web.controller.MapController` for sites, this is a view adapter
over a :class:`~explorer.session.session.Session`:

* region-store events, the region selection, the highlighted sites, the boundary layer
  and the map mode become bridge messages (an edit is one ``regionUpserted``, never a
  page reload);
* what the user does on the page becomes a session call: a finished drawing
  :meth:`Session.add_region`, dragged handles :meth:`Session.edit_region`, a pick
  :meth:`Session.pick_area`, a click on a region the region selection, a toolbar button
  :meth:`Session.set_mode`. The session builds the undoable commands; the controller
  never changes a store.

Shapes are built here, in Python, from the checked page payloads (see
:mod:`explorer.web.region_payload`): a drawn polygon is densified along its on-screen
(Web Mercator) edges so what the user sees is what is totalled, a rectangle is a
lon/lat box, and a circle is geodesic. The page then draws the region's own geometry.

The page leaves a drawing mode by itself when a shape is finished, picked or cancelled,
and this controller puts the session back in ``browse`` before it acts on the event.
Such a page event is only honoured if the page had applied Python's latest mode change
when it sent it (its ``rendered`` ack has reached that message): one sent earlier belongs
to a mode Python has since replaced, so it is dropped and the current mode is sent
again, which keeps page and Python in step.

The session's boundary layer is drawn as a thin overlay and becomes what "pick" mode
hovers instead of the provinces. The page gets a display copy (simplified when large,
see :mod:`explorer.web.boundary_payload`); a layer too large even simplified is refused
before the session takes it (the controller registers that check with the session).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.geo.region_store import RegionEntry
from explorer.io.boundaries import BoundaryLayer
from explorer.session.session import DRAW_TOOLS, Session
from explorer.web.boundary_payload import BoundaryDisplay, layer_display
from explorer.web.bridge import MapBridge
from explorer.web.controller import Subscription, subscribe_until_destroyed, unsubscribe
from explorer.web.region_payload import DRAW_MODES, region_from_drawing, region_payload

if TYPE_CHECKING:
    from explorer.web.view import MapView

log = logging.getLogger(__name__)


class RegionMapController(QObject):
    """Binds a session's regions, region selection, highlight, boundary layer and drawing
    tools to a map view's bridge.

    Parameters
    ----------
    view : MapView
        The map view (its ``bridge`` is used).
    session : Session
    parent : QObject, optional
        Defaults to ``view``.

    Signals
    -------
    drawModeChanged(str)
        The page's drawing mode changed (the session's mode, as the page sees it): one of
        ``DRAW_MODES`` (``"none"`` outside the drawing tools).
    """

    drawModeChanged = Signal(str)

    def __init__(self, view: MapView, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else view)
        self._view = view
        self._bridge: MapBridge = view.bridge
        self._session = session
        self._regions = session.regions
        self._mode = _draw_mode(session.mode)
        #: Seq of the last drawModeChanged posted (see ``_page_in_step``).
        self._mode_seq = 0
        self._selected: str | None = session.region_selection.current
        self._highlighted: list[str] = list(session.highlighted_site_ids)
        self._edit_pending: str | None = None
        self._edit_applied = False
        self._boundary: BoundaryLayer | None = None
        self._boundary_display: BoundaryDisplay | None = None
        self._checked_display: tuple[BoundaryLayer, BoundaryDisplay] | None = None
        # Initial state sent while the page is not ready is queued and flushed by its
        # first ``ready``; any later ``ready`` is a reload that lost the regions.
        self._initial_pending = not self._bridge.is_page_ready

        self._subscriptions: list[Subscription] = [
            (self._regions.inserted, self._on_regions_inserted),
            (self._regions.removed, self._on_regions_removed),
            (self._regions.changed, self._on_region_changed),
            (self._regions.reset_done, self._on_regions_reset),
            (session.region_selection.changed, self._on_region_selection_changed),
            (session.highlight_changed, self.highlight_sites),
            (session.boundary_changed, self._on_boundary_changed),
            (session.mode_changed, self._on_session_mode_changed),
        ]
        subscribe_until_destroyed(self._bridge, self._subscriptions)
        remove_check = session.add_boundary_check(self._check_boundary)
        self._bridge.destroyed.connect(lambda *_: remove_check())

        self._bridge.ready.connect(self._on_page_ready)
        self._bridge.regionDrawnOnMap.connect(self._on_region_drawn)
        self._bridge.regionEditedOnMap.connect(self._on_region_edited)
        self._bridge.regionClickedOnMap.connect(self._on_region_clicked)
        self._bridge.areaPickedOnMap.connect(self._on_area_picked)
        self._bridge.drawCancelledOnMap.connect(self._on_draw_cancelled)
        self._bridge.drawModeRequestedOnMap.connect(self.set_draw_mode)

        if session.boundary_layer is not None:
            self._on_boundary_changed(session.boundary_layer)
        self._send_everything()

    # ------------------------------------------------------------------ state
    @property
    def draw_mode(self) -> str:
        """``"none"``, ``"polygon"``, ``"rectangle"``, ``"circle"`` or ``"pick"``."""
        return self._mode

    @property
    def selected_region(self) -> str | None:
        """The region emphasised on the map (with its handles), or ``None``."""
        return self._selected

    @property
    def boundary_layer(self) -> BoundaryLayer | None:
        """The loaded boundary layer shown on the map and picked from, or ``None``."""
        return self._boundary

    @property
    def boundary_display(self) -> BoundaryDisplay | None:
        """What the page was sent for :attr:`boundary_layer` (its display copy)."""
        return self._boundary_display

    @property
    def highlighted_sites(self) -> tuple[str, ...]:
        """Site ids currently highlighted on the map."""
        return tuple(self._highlighted)

    # ------------------------------------------------------------------ commands to the page
    def set_draw_mode(self, mode: str) -> None:
        """Ask the session for a drawing tool (``"polygon"``, ``"rectangle"``,
        ``"circle"``, ``"pick"``) or none (``"none"``: browse); a shape being drawn is
        discarded. The page's toolbar buttons come here too."""
        if mode not in DRAW_MODES:
            raise ValueError(f"draw mode must be one of {', '.join(DRAW_MODES)}, got {mode!r}")
        self._session.set_mode(mode if mode != "none" else "browse")

    def _on_session_mode_changed(self, mode: str) -> None:
        draw = _draw_mode(mode)
        if draw == self._mode:
            return
        self._mode = draw
        self._post_mode(draw)
        self.drawModeChanged.emit(draw)

    def set_boundary_layer(self, layer: BoundaryLayer | None) -> None:
        """Ask the session to use ``layer`` (``None``: the provinces again).

        Raises
        ------
        ValueError
            The layer is too large for the page even simplified (more than
            ``MAX_FEATURES`` areas or ``MAX_VERTICES`` vertices); nothing changes.
        """
        if layer is not None and not isinstance(layer, BoundaryLayer):
            raise TypeError(f"layer must be a BoundaryLayer or None, got {type(layer).__name__}")
        self._session.set_boundary_layer(layer)

    def _check_boundary(self, layer: BoundaryLayer) -> None:
        """The session's veto: raise ``ValueError`` when the page cannot show ``layer``;
        the display copy made for the check is kept for the change that follows."""
        self._checked_display = (layer, layer_display(layer))

    def _on_boundary_changed(self, layer: BoundaryLayer | None) -> None:
        if layer is self._boundary:
            return
        display: BoundaryDisplay | None = None
        if layer is not None:
            checked = self._checked_display
            display = checked[1] if checked is not None and checked[0] is layer else None
            if display is None:
                display = layer_display(layer)
        self._checked_display = None
        self._boundary, self._boundary_display = layer, display
        if display is not None and display.tolerance is not None:
            log.info(
                "boundary layer %r shown simplified at %g degrees (%d vertices)",
                layer.name if layer else "",
                display.tolerance,
                display.vertices,
            )
        self._send_boundary()

    def select_region(self, rid: str | None) -> None:
        """Select region ``rid`` in the session (emphasised, with its editing handles);
        ``None``: none."""
        if rid is not None and rid not in self._regions:
            raise KeyError(f"no region with id {rid!r}")
        self._session.region_selection.set(rid)

    def _on_region_selection_changed(self, rid: str | None) -> None:
        if rid is not None and rid not in self._regions:
            rid = None
        if rid == self._selected:
            return
        self._selected = rid
        self._bridge.post_region_selection(rid)

    def highlight_sites(self, ids: Iterable[str]) -> None:
        """Highlight these sites on the map (the session's: those inside the selected
        region)."""
        wanted = list(dict.fromkeys(ids))
        if wanted == self._highlighted:
            return
        self._highlighted = wanted
        self._bridge.post_sites_highlighted(wanted)

    def fit_regions(self) -> int | None:
        """Show every region (no animation, so a snapshot can follow at once).

        Returns
        -------
        int or None
            The message's seq (wait for it with ``MapController.call_when_rendered``),
            or ``None`` when there are no regions (the map is left as it is).
        """
        boxes = [e.region.bounds for e in self._regions]
        if not boxes:
            return None
        west = max(-180.0, min(b[0] for b in boxes))
        south = max(-90.0, min(b[1] for b in boxes))
        east = min(180.0, max(b[2] for b in boxes))
        north = min(90.0, max(b[3] for b in boxes))
        return self._bridge.post_fit_bounds(west, south, east, north)

    def resync(self) -> None:
        """Send every region, the boundary layer, the selection, highlight and mode again."""
        self._send_everything()
        if self._boundary_display is not None:
            self._send_boundary()

    def detach(self) -> None:
        """Stop following the store."""
        unsubscribe(self._subscriptions)

    # ------------------------------------------------------------------ store → page
    def _send_everything(self) -> None:
        self._bridge.post_regions_reset([region_payload(e) for e in self._regions])
        if self._selected is not None and self._selected not in self._regions:
            self._selected = None
        self._bridge.post_region_selection(self._selected)
        self._bridge.post_sites_highlighted(self._highlighted)
        self._post_mode(self._mode)

    def _send_boundary(self) -> None:
        display = self._boundary_display
        self._bridge.post_boundary_layer(display.data if display is not None else None)

    def _on_regions_inserted(self, entries: list[RegionEntry]) -> None:
        self._bridge.post_region_upserts([region_payload(e) for e in entries])
        if self._selected in {e.id for e in entries}:
            self._bridge.post_region_selection(self._selected)

    def _on_regions_removed(self, entries: list[RegionEntry]) -> None:
        ids = [e.id for e in entries]
        self._bridge.post_region_removals(ids)
        if self._selected in ids:
            self._selected = None
            self._bridge.post_region_selection(None)

    def _on_region_changed(self, old: RegionEntry, new: RegionEntry) -> None:
        if new.id == self._edit_pending:
            self._edit_applied = True
        self._bridge.post_region_upserts([region_payload(new)])

    def _on_regions_reset(self) -> None:
        self._send_everything()

    # ------------------------------------------------------------------ page → Python
    def _on_page_ready(self) -> None:
        if self._initial_pending and not self._bridge.region_resync_needed:
            self._initial_pending = False
            return
        # The page was reloaded and starts empty, or queued updates were dropped.
        self._initial_pending = False
        self._bridge.region_resync_needed = False
        log.info("map page (re)connected; sending the regions again")
        self._send_everything()
        if self._boundary_display is not None:
            self._send_boundary()  # a reloaded page starts without it

    def _post_mode(self, mode: str) -> None:
        self._mode_seq = self._bridge.post_draw_mode(mode)

    def _page_in_step(self, what: str) -> bool:
        """True if the page had applied our latest mode when it sent ``what``.

        Messages from the page arrive in the order it sent them, and it acks a message
        only after applying it, so an event that arrives before the ack of our latest
        ``drawModeChanged`` was sent in an older mode. Drop it and send our mode again
        (the page may have left its mode by itself meanwhile).
        """
        if self._bridge.last_rendered_seq >= self._mode_seq:
            return True
        log.info("map page: ignored %s sent before the page took draw mode %r", what, self._mode)
        self._post_mode(self._mode)
        return False

    def _leave_mode(self) -> None:
        """The page has left its drawing mode by itself: the session follows it."""
        self._mode = "none"
        self._post_mode("none")
        self.drawModeChanged.emit("none")
        self._session.set_mode("browse")

    def _on_region_drawn(self, kind: str, shape: Mapping[str, Any]) -> None:
        if not self._page_in_step("regionDrawn"):
            return
        if self._mode != kind:
            log.warning("map page: dropped a %s drawing in draw mode %r", kind, self._mode)
            return
        self._leave_mode()
        try:
            entry = region_from_drawing(*self._session.new_drawn_entry(kind), kind, shape)
        except ValueError as exc:
            log.warning("map page: the drawn %s is not a valid region: %s", kind, exc)
            self._session.notice.emit(
                f"Region not added: the drawn {kind} is not a valid region: {exc}"
            )
            return
        self._session.add_region(entry)

    def _on_region_edited(self, rid: str, shape: Mapping[str, Any]) -> None:
        if rid not in self._regions:
            return
        old = self._regions.get(rid)
        try:
            new = region_from_drawing(rid, old.name, old.kind, shape)
        except ValueError as exc:
            log.warning("map page: the edited region %s is not valid: %s", rid, exc)
            self._session.notice.emit(
                f"Region not changed: '{old.name}' cannot take that shape: {exc}"
            )
            new = None
        if new is not None and new != old:
            self._edit_pending, self._edit_applied = rid, False
            try:
                self._session.edit_region(old, new)
            except ValueError as exc:
                log.warning("map page: the edit of region %s was refused: %s", rid, exc)
            finally:
                applied = self._edit_applied
                self._edit_pending, self._edit_applied = None, False
            if applied:
                return
        if rid in self._regions:
            # Nobody applied the edit (no receiver, refused, or invalid): the page shows
            # the dragged shape, so put the region back as the store has it.
            self._bridge.post_region_upserts([region_payload(self._regions.get(rid))])

    def _on_region_clicked(self, rid: str) -> None:
        if self._mode != "none" or rid not in self._regions:
            return
        self._session.region_selection.set(rid)

    def _on_area_picked(self, lon: float, lat: float) -> None:
        if not self._page_in_step("areaPicked"):
            return
        if self._mode != "pick":
            log.warning("map page: dropped areaPicked outside pick mode")
            return
        self._leave_mode()
        self._session.pick_area(lon, lat)

    def _on_draw_cancelled(self) -> None:
        if self._page_in_step("drawCancelled") and self._mode != "none":
            self._leave_mode()


def _draw_mode(mode: str) -> str:
    """The page's drawing mode for a session mode (``"none"`` outside the drawing tools)."""
    return mode if mode in DRAW_TOOLS else "none"


__all__ = ["RegionMapController"]
