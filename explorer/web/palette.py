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
        "SELECTED_REGION_STYLE"}, "legend": {"TITLES": {mode: text}, NAME: text}}``.
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
        },
    }


__all__ = [
    "HIGHLIGHT_OUTLINE",
    "ILLUSTRATIVE_OUTLINE",
    "LABEL_HIGHLIGHTED",
    "LABEL_ILLUSTRATIVE",
    "LABEL_LICENCE_SUFFIX",
    "LABEL_NO_CHIPS",
    "LABEL_RESTRICTED",
    "LABEL_SIZE_NOTE",
    "LABEL_UNRESTRICTED",
    "LEGEND_TITLES",
    "MARKER_OUTLINE",
    "MODEL_COLORS",
    "NO_CHIPS",
    "REGION_STYLE",
    "RESTRICTED",
    "SELECTED_OUTLINE",
    "SELECTED_REGION_STYLE",
    "SWATCH_BLANK",
    "UNRESTRICTED",
    "model_color",
    "page_palette",
]
