"""The map's colours for sites and regions, and the words of its legend.

Qt-free. Defined once here: the page gets :func:`page_palette` in its start
configuration (see :func:`explorer.web.page.page_config`) and colours markers, regions
and its legend from it; the snapshot paints its legend from the same definitions (see
:mod:`explorer.web.legend`). Tests check that the page's markers, regions and legend
show exactly these values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

# ---------------------------------------------------------------------- markers
#: Fill of a site with chips that need a US export licence ("export" colour mode).
RESTRICTED = "#c62828"
#: Fill of a site whose chips need no licence.
UNRESTRICTED = "#1f5fa8"
#: Fill of a site with no chips recorded (both colour modes).
NO_CHIPS = "#8d8d8d"
#: Marker outlines: plain, illustrative site (dashed), selected, highlighted (e.g.
#: inside the selected region).
MARKER_OUTLINE = "#ffffff"
ILLUSTRATIVE_OUTLINE = "#303030"
SELECTED_OUTLINE = "#000000"
HIGHLIGHT_OUTLINE = "#ff8f00"
#: Fill of a legend swatch that shows an outline rather than a fill.
SWATCH_BLANK = "#ffffff"
#: Ring of a site with nothing online by the map's date (drawn hollow, as planned).
PENDING_OUTLINE = "#6f6f6f"
#: A superseded record: faded fill and dotted outline (it never counts).
SUPERSEDED_FILL = "#c4c4c4"
SUPERSEDED_OUTLINE = "#8a8a8a"
#: A campus's extra ring and the lines from its parts to it.
CAMPUS_OUTLINE = "#7b4a12"
#: A group of sites at low zoom: inner disc, its outline and its chip-sum label. Its ring
#: shows the restricted share in RESTRICTED, the rest in UNRESTRICTED (NO_CHIPS: none).
AGGREGATE_FILL = "#ffffff"
AGGREGATE_OUTLINE = "#37474f"
AGGREGATE_TEXT = "#1d2733"
#: A hardware line that does not count on the map's date (tooltip text).
LINE_OFF = "#9a9a9a"
#: Fills by main chip model ("model" colour mode), in catalogue order, repeating.
MODEL_COLORS: tuple[str, ...] = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#b15928",
    "#6a3d9a",
    "#17becf",
    "#999933",
)

# ---------------------------------------------------------------------- regions
#: Leaflet path options of a region outline, and of the selected region.
REGION_STYLE: Mapping[str, Any] = MappingProxyType(
    {
        "color": "#7b1fa2",
        "weight": 2,
        "opacity": 0.9,
        "fillColor": "#9c27b0",
        "fillOpacity": 0.08,
    }
)
SELECTED_REGION_STYLE: Mapping[str, Any] = MappingProxyType(
    {
        "color": "#4a0072",
        "weight": 3.5,
        "opacity": 1,
        "fillColor": "#9c27b0",
        "fillOpacity": 0.18,
    }
)

# ---------------------------------------------------------------------- legend words
#: Legend headings by colour mode.
LEGEND_TITLES: Mapping[str, str] = MappingProxyType(
    {"export": "Export control", "model": "Main chip model"}
)
LABEL_RESTRICTED = "Has chips needing a US export licence"
LABEL_UNRESTRICTED = "No licence-restricted chips"
LABEL_NO_CHIPS = "No chips recorded"
#: Appended to a restricted model's name in "model" mode.
LABEL_LICENCE_SUFFIX = " (licence required)"
LABEL_ILLUSTRATIVE = "Dashed outline: illustrative site"
LABEL_HIGHLIGHTED = "Orange ring: in the selected region"
#: The note under the colour rows (marker area grows with chips).
LABEL_SIZE_NOTE = "Circle area \u221d chips"
LABEL_PENDING = "Hollow ring: nothing online by the date (size as planned)"
LABEL_SUPERSEDED = "Faded, dotted: superseded record (not counted)"
LABEL_CAMPUS = "Brown ring and lines: a campus and its parts"
LABEL_AGGREGATE = "Numbered circle: sites grouped, chips summed (red arc: restricted share)"
#: The legend's heading on a date: ``{title}`` is the colour mode's heading.
LEGEND_TITLE_ON = "{title} on {date}"

# ---------------------------------------------------------------------- tooltip words
#: Words of site and group tooltips; ``{...}`` are filled in by the page.
TIP_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "CHIPS": "{n} chips",
        "RANGE": "range {low}\u2013{high}",
        "NEED_LICENCE": "{n} need a US export licence",
        "NEED_LICENCE_ON": "{n} need a US export licence on {date}",
        "NOTHING_ONLINE": "Nothing online by {date} ({n} planned)",
        "COVERED": "Campus: its parts record all it holds",
        "CAMPUS": "Campus of {n} parts: counts here only what they do not record",
        "PART_OF": "Part of {name}",
        "SUPERSEDED_BY": "Superseded by {name}: not counted",
        "SUPERSEDES": "Supersedes {name}",
        "LINE": "{model} \u00d7 {n}",
        "LINE_ONLINE": "online {date}",
        "LINE_NO_DATE": "no online date",
        "MORE_LINES": "+{n} more lines",
        "ILLUSTRATIVE": "Illustrative \u2014 not a reported site",
        "GROUP": "{n} sites",
        "GROUP_ZOOM": "Click to zoom in",
        "GROUP_LIST": "Click to list them",
        "LIST_MORE": "\u2026 and {n} more",
    }
)


def model_color(model: str | None, models: Sequence[str]) -> str:
    """The fill of a site whose main chip model is ``model`` in "model" colour mode.

    Parameters
    ----------
    model : str or None
        The main chip model (``None``: no chips, :data:`NO_CHIPS`).
    models : sequence of str
        The catalogue's models in order; the i-th takes ``MODEL_COLORS[i % 12]``. A
        model missing from it takes the colour after the last catalogue model.
    """
    if not model:
        return NO_CHIPS
    index = models.index(model) if model in models else len(models)
    return MODEL_COLORS[index % len(MODEL_COLORS)]


def page_palette() -> dict[str, Any]:
    """The palette as the page's start configuration carries it (JSON-ready).

    Returns
    -------
    dict
        ``{"colors": {NAME: colour, "MODEL_COLORS": [...]}, "regions": {"REGION_STYLE",
        "SELECTED_REGION_STYLE"}, "legend": {"TITLES": {mode: text}, NAME: text},
        "tip": {NAME: text}}``.
    """
    return {
        "colors": {
            "RESTRICTED": RESTRICTED,
            "UNRESTRICTED": UNRESTRICTED,
            "NO_CHIPS": NO_CHIPS,
            "MARKER_OUTLINE": MARKER_OUTLINE,
            "ILLUSTRATIVE_OUTLINE": ILLUSTRATIVE_OUTLINE,
            "SELECTED_OUTLINE": SELECTED_OUTLINE,
            "HIGHLIGHT_OUTLINE": HIGHLIGHT_OUTLINE,
            "SWATCH_BLANK": SWATCH_BLANK,
            "PENDING_OUTLINE": PENDING_OUTLINE,
            "SUPERSEDED_FILL": SUPERSEDED_FILL,
            "SUPERSEDED_OUTLINE": SUPERSEDED_OUTLINE,
            "CAMPUS_OUTLINE": CAMPUS_OUTLINE,
            "AGGREGATE_FILL": AGGREGATE_FILL,
            "AGGREGATE_OUTLINE": AGGREGATE_OUTLINE,
            "AGGREGATE_TEXT": AGGREGATE_TEXT,
            "LINE_OFF": LINE_OFF,
            "MODEL_COLORS": list(MODEL_COLORS),
        },
        "regions": {
            "REGION_STYLE": dict(REGION_STYLE),
            "SELECTED_REGION_STYLE": dict(SELECTED_REGION_STYLE),
        },
        "legend": {
            "TITLES": dict(LEGEND_TITLES),
            "RESTRICTED": LABEL_RESTRICTED,
            "UNRESTRICTED": LABEL_UNRESTRICTED,
            "NO_CHIPS": LABEL_NO_CHIPS,
            "LICENCE_SUFFIX": LABEL_LICENCE_SUFFIX,
            "ILLUSTRATIVE": LABEL_ILLUSTRATIVE,
            "HIGHLIGHTED": LABEL_HIGHLIGHTED,
            "SIZE_NOTE": LABEL_SIZE_NOTE,
            "PENDING": LABEL_PENDING,
            "SUPERSEDED": LABEL_SUPERSEDED,
            "CAMPUS": LABEL_CAMPUS,
            "AGGREGATE": LABEL_AGGREGATE,
            "TITLE_ON": LEGEND_TITLE_ON,
        },
        "tip": dict(TIP_WORDS),
    }


__all__ = [
    "AGGREGATE_FILL",
    "AGGREGATE_OUTLINE",
    "AGGREGATE_TEXT",
    "CAMPUS_OUTLINE",
    "HIGHLIGHT_OUTLINE",
    "ILLUSTRATIVE_OUTLINE",
    "LABEL_AGGREGATE",
    "LABEL_CAMPUS",
    "LABEL_HIGHLIGHTED",
    "LABEL_ILLUSTRATIVE",
    "LABEL_LICENCE_SUFFIX",
    "LABEL_NO_CHIPS",
    "LABEL_PENDING",
    "LABEL_RESTRICTED",
    "LABEL_SIZE_NOTE",
    "LABEL_SUPERSEDED",
    "LABEL_UNRESTRICTED",
    "LEGEND_TITLES",
    "LEGEND_TITLE_ON",
    "LINE_OFF",
    "MARKER_OUTLINE",
    "MODEL_COLORS",
    "NO_CHIPS",
    "PENDING_OUTLINE",
    "REGION_STYLE",
    "RESTRICTED",
    "SELECTED_OUTLINE",
    "SELECTED_REGION_STYLE",
    "SUPERSEDED_FILL",
    "SUPERSEDED_OUTLINE",
    "SWATCH_BLANK",
    "TIP_WORDS",
    "UNRESTRICTED",
    "model_color",
    "page_palette",
]
