"""What the map's site legend says: its heading and colour rows, from the palette.

Qt-free. :func:`site_legend` decides the rows exactly as the page's legend does
(``Legend.render`` in ``explorer/resources/map/sites.js``), from the same palette
(:mod:`explorer.web.palette`): the snapshot paints it, and a test checks that the page
shows the same rows for the same sites.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.web import palette
from explorer.web.payload import catalogue_payload, site_payload
from explorer.web.protocol import COLOR_MODES


@dataclass(frozen=True)
class LegendRow:
    """One colour row of the legend.

    Attributes
    ----------
    color : str
        Swatch fill, ``#rrggbb``.
    text : str
    dashed : bool
        The swatch has the dashed outline of an illustrative site.
    ring : str or None
        Colour of the swatch's ring (highlighted sites), ``None`` for none.
    """

    color: str
    text: str
    dashed: bool = False
    ring: str | None = None


@dataclass(frozen=True)
class SiteLegend:
    """The legend's heading, colour rows (in order) and the note under them."""

    title: str
    rows: tuple[LegendRow, ...]
    note: str = palette.LABEL_SIZE_NOTE


def site_legend(
    sites: Iterable[Site],
    catalogue: ChipCatalogue,
    color_mode: str,
    *,
    highlighted: Collection[str] = (),
) -> SiteLegend:
    """The legend of a map showing ``sites`` in ``color_mode``.

    Parameters
    ----------
    sites : iterable of Site
        Every site on the map, in the order the page got them.
    catalogue : ChipCatalogue
        Decides which chips are restricted and the model colours' order.
    color_mode : {"export", "model"}
    highlighted : collection of str
        Ids of highlighted sites (a ring row is added when one of them is on the map).

    Returns
    -------
    SiteLegend
        "export": restricted, unrestricted and no-chips rows, always. "model": a row
        per main chip model present, in catalogue order (a restricted model's label
        says a licence is required), then models missing from the catalogue, then
        "no chips" if a site has none. Then, in both modes, the dashed-outline row if
        a site is illustrative and the ring row if a highlighted site is on the map.
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    payloads = [site_payload(s, catalogue) for s in sites]
    rows: list[LegendRow] = []
    if color_mode == "model":
        models = [m["name"] for m in catalogue_payload(catalogue)]
        restricted = {m["name"] for m in catalogue_payload(catalogue) if m["restricted"]}
        # First appearance order, as the page's Set keeps it.
        present = list(dict.fromkeys(p["primary_model"] for p in payloads if p["primary_model"]))
        for name in [m for m in models if m in present] + [m for m in present if m not in models]:
            suffix = palette.LABEL_LICENCE_SUFFIX if name in restricted else ""
            rows.append(LegendRow(palette.model_color(name, models), name + suffix))
        if any(not p["primary_model"] for p in payloads):
            rows.append(LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS))
    else:
        rows += [
            LegendRow(palette.RESTRICTED, palette.LABEL_RESTRICTED),
            LegendRow(palette.UNRESTRICTED, palette.LABEL_UNRESTRICTED),
            LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS),
        ]
    if any(p["illustrative"] for p in payloads):
        rows.append(LegendRow(palette.SWATCH_BLANK, palette.LABEL_ILLUSTRATIVE, dashed=True))
    if any(p["id"] in highlighted for p in payloads):
        rows.append(
            LegendRow(
                palette.SWATCH_BLANK, palette.LABEL_HIGHLIGHTED, ring=palette.HIGHLIGHT_OUTLINE
            )
        )
    return SiteLegend(palette.LEGEND_TITLES[color_mode], tuple(rows))


__all__ = ["LegendRow", "SiteLegend", "site_legend"]
