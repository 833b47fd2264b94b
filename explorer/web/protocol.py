"""What crosses between Python and the map page: message names, modes and bounds.

Qt-free. Each name and bound is defined here once (the colour modes are the
session's, :data:`explorer.session.session.COLOR_MODES`, re-exported). :class:`~explorer.web.bridge.
MapBridge` declares a signal for every :class:`ToPage` name and a slot for every
:class:`ToPython` name and uses these constants when it posts and checks; the page gets
:func:`page_protocol` in its start configuration (see :func:`explorer.web.page.
page_config`) and reads names and bounds from it instead of spelling them itself. Tests
check that the bridge, the page and this module agree.

In the page the constants keep their Python names: ``CSE.config.toPage.SITES_RESET``,
``CSE.config.limits.MAX_DRAWN_VERTICES``...
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from explorer.core.schema import LINE_STATUSES
from explorer.geo.limits import MAX_NAME, MERCATOR_MAX_LAT
from explorer.session.modes import COLOR_MODES
from explorer.web.site_codes import SITE_FLAGS, SITE_STATES


class ToPage(StrEnum):
    """Python → page: one :class:`MapBridge` signal each, carrying ``{"seq", "data"}``
    (a reset's parts carry pieces of that text)."""

    SITES_RESET = "sitesReset"
    #: A long reset in parts, in order: ``"k:n:"`` and the k-th of n pieces of the
    #: reset's text (see ``MapBridge``).
    SITES_RESET_PART = "sitesResetPart"
    SITE_UPSERTED = "siteUpserted"
    SITE_REMOVED = "siteRemoved"
    SITES_COUNTED = "sitesCounted"
    SELECTION_CHANGED = "selectionChanged"
    MODE_CHANGED = "modeChanged"
    COLOR_MODE_CHANGED = "colorModeChanged"
    FLY_TO = "flyTo"
    SYNC = "sync"
    REGIONS_RESET = "regionsReset"
    REGION_UPSERTED = "regionUpserted"
    REGION_REMOVED = "regionRemoved"
    REGION_SELECTED = "regionSelected"
    DRAW_MODE_CHANGED = "drawModeChanged"
    SITES_HIGHLIGHTED = "sitesHighlighted"
    FIT_BOUNDS = "fitBounds"
    BOUNDARY_LAYER_SET = "boundaryLayerSet"


class ToPython(StrEnum):
    """Page → Python: one :class:`MapBridge` slot each."""

    PAGE_READY = "pageReady"
    SITE_CLICKED = "siteClicked"
    SITE_MOVED = "siteMoved"
    MAP_CLICKED = "mapClicked"
    CURSOR_MOVED = "cursorMoved"
    RENDERED = "rendered"
    REGION_DRAWN = "regionDrawn"
    REGION_EDITED = "regionEdited"
    REGION_CLICKED = "regionClicked"
    AREA_PICKED = "areaPicked"
    DRAW_CANCELLED = "drawCancelled"
    DRAW_MODE_REQUESTED = "drawModeRequested"


#: Interaction modes the page understands.
MODES: tuple[str, ...] = ("browse", "place")
# COLOR_MODES (what marker colours mean) is the session's: the page shows its choice.
#: Shapes the drawing tools make.
DRAW_KINDS: tuple[str, ...] = ("polygon", "rectangle", "circle")
#: Modes of the page's drawing tools ("pick" picks an area of a layer).
DRAW_MODES: tuple[str, ...] = ("none", *DRAW_KINDS, "pick")

#: Longest site or region id the page may name.
MAX_ID_LENGTH = 64
#: Most vertices of a drawn (or edited) polygon.
MAX_DRAWN_VERTICES = 5000
#: A drawn circle's radius bounds, in metres.
MIN_RADIUS_M = 1.0
MAX_RADIUS_M = 5_000_000.0
#: Most regions a map snapshot draws (checked before any work). Each region is an
#: outline with a permanent name label that the page lays out again whenever the view
#: changes; measured offscreen on 2 cores: 1,000 regions render in about 9 s, 2,000 did
#: not finish fitting the view within a minute.
MAX_SNAPSHOT_REGIONS = 1000
#: Most areas in a boundary layer's display copy.
MAX_BOUNDARY_FEATURES = 20_000
#: Most vertices (all rings of all areas, rings left open) in a boundary layer's copy.
MAX_BOUNDARY_VERTICES = 2_000_000

#: Sites on the map from which the page aggregates sites at low zoom (fewer are always
#: drawn one by one, as the demo's 39 are).
AGGREGATE_MIN_SITES = 1000
#: Side of the square screen cells sites are grouped by, in CSS pixels.
AGGREGATE_CELL_PX = 56
#: Groups in neighbouring cells closer than this (CSS pixels) are merged.
AGGREGATE_MERGE_PX = 40
#: From this zoom on every site is drawn on its own.
AGGREGATE_MAX_ZOOM = 13
#: Most sites a group's list shows when clicking it cannot split it any further.
AGGREGATE_LIST_MAX = 50

#: How the page groups sites (names as here).
AGGREGATE: dict[str, float] = {
    "MIN_SITES": AGGREGATE_MIN_SITES,
    "CELL_PX": AGGREGATE_CELL_PX,
    "MERGE_PX": AGGREGATE_MERGE_PX,
    "MAX_ZOOM": AGGREGATE_MAX_ZOOM,
    "LIST_MAX": AGGREGATE_LIST_MAX,
}

#: The bounds as the page gets them (names as here).
LIMITS: dict[str, float] = {
    "MAX_ID_LENGTH": MAX_ID_LENGTH,
    "MAX_DRAWN_VERTICES": MAX_DRAWN_VERTICES,
    "MIN_RADIUS_M": MIN_RADIUS_M,
    "MAX_RADIUS_M": MAX_RADIUS_M,
    "MAX_BOUNDARY_FEATURES": MAX_BOUNDARY_FEATURES,
    "MAX_BOUNDARY_VERTICES": MAX_BOUNDARY_VERTICES,
    "MAX_NAME": MAX_NAME,
    "MERCATOR_MAX_LAT": MERCATOR_MAX_LAT,
}


def page_protocol() -> dict[str, Any]:
    """The protocol as the page's start configuration carries it (JSON-ready).

    Returns
    -------
    dict
        ``{"toPage": {NAME: name}, "toPython": {NAME: name}, "modes": {"MODES": [...],
        "COLOR_MODES": [...], "DRAW_KINDS": [...], "DRAW_MODES": [...]}, "limits":
        {NAME: number}, "aggregate": {NAME: number}, "sites": {"STATES": [...],
        "FLAGS": {NAME: bit}, "LINE_STATUSES": [...]}}``.
    """
    return {
        "toPage": {m.name: m.value for m in ToPage},
        "toPython": {m.name: m.value for m in ToPython},
        "modes": {
            "MODES": list(MODES),
            "COLOR_MODES": list(COLOR_MODES),
            "DRAW_KINDS": list(DRAW_KINDS),
            "DRAW_MODES": list(DRAW_MODES),
        },
        "limits": dict(LIMITS),
        "aggregate": dict(AGGREGATE),
        "sites": {
            "STATES": list(SITE_STATES),
            "FLAGS": dict(SITE_FLAGS),
            "LINE_STATUSES": list(LINE_STATUSES),
        },
    }


__all__ = [
    "AGGREGATE",
    "AGGREGATE_CELL_PX",
    "AGGREGATE_LIST_MAX",
    "AGGREGATE_MAX_ZOOM",
    "AGGREGATE_MERGE_PX",
    "AGGREGATE_MIN_SITES",
    "COLOR_MODES",
    "DRAW_KINDS",
    "DRAW_MODES",
    "LIMITS",
    "MAX_BOUNDARY_FEATURES",
    "MAX_BOUNDARY_VERTICES",
    "MAX_DRAWN_VERTICES",
    "MAX_ID_LENGTH",
    "MAX_RADIUS_M",
    "MAX_SNAPSHOT_REGIONS",
    "MIN_RADIUS_M",
    "MODES",
    "ToPage",
    "ToPython",
    "page_protocol",
]
