"""What the map's site legend says: its heading and colour rows, from the palette.

Qt-free. :func:`legend_from_columns` decides the rows exactly as the page's legend does
(``Legend.render`` in ``explorer/resources/map/sites.js``), from the same columns the
page gets (:mod:`explorer.web.site_columns`) and the same palette
(:mod:`explorer.web.palette`): the snapshot paints it, and a test checks that the page
shows the same rows for the same sites on the same date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.capacity import CapacityLedger
from explorer.io.site_columns import SiteColumns
from explorer.web import palette
from explorer.web.protocol import AGGREGATE_MIN_SITES, COLOR_MODES
from explorer.web.site_columns import SITE_FLAGS, SITE_STATES, column_values, reset_payload


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
    sites: Iterable[Site] | SiteColumns,
    catalogue: ChipCatalogue,
    color_mode: str,
    *,
    highlighted: Collection[str] = (),
    as_of: date | None = None,
    today: date | None = None,
    ledger: CapacityLedger | None = None,
) -> SiteLegend:
    """The legend of a map showing ``sites`` in ``color_mode``, counted on ``as_of``.

    Parameters
    ----------
    sites : iterable of Site, or SiteColumns
        Every site on the map, in the order the page got them (a table of them is
        read as columns, building no site).
    catalogue : ChipCatalogue
        Decides which chips are restricted (on the date) and the model colours' order.
    color_mode : {"export", "model"}
    highlighted : collection of str
        Ids of highlighted sites (a ring row is added when one of them is on the map).
    as_of : date, optional
        The map's date (None: the planned build-out, today's export rules).
    today : date, optional
        The rules day when ``as_of`` is None (default: the real today).
    ledger : CapacityLedger, optional
        The ledger over exactly these sites, when the caller has one.

    Returns
    -------
    SiteLegend
        See :func:`legend_from_columns`.
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    rows = sites if isinstance(sites, SiteColumns) else list(sites)
    data = reset_payload(rows, catalogue, ledger=ledger, as_of=as_of, today=today)
    return legend_from_columns(
        data["sites"], data["models"], color_mode, highlighted=highlighted, as_of=as_of
    )


def legend_from_columns(
    columns: Mapping[str, Sequence[Any]],
    models: Sequence[Mapping[str, Any]],
    color_mode: str,
    *,
    highlighted: Collection[str] = (),
    as_of: date | None = None,
) -> SiteLegend:
    """The legend for sites as the page gets them (``sites`` columns and ``models`` of a
    :func:`~explorer.web.site_columns.reset_payload`).

    Returns
    -------
    SiteLegend
        The heading is the colour mode's, with the date when there is one. Rows:
        "export": restricted, unrestricted and no-chips, always. "model": a row per
        main chip model of the sites that count chips, in model order (a restricted
        model's label says a licence is required), then "no chips" if a site has
        none. Then, in both modes and in this order, when some site needs them: the
        hollow ring (nothing online by the date), the superseded record, the campus
        ring, the dashed outline (illustrative), the group circle (the map groups sites
        at low zoom, from :data:`~explorer.web.protocol.AGGREGATE_MIN_SITES` sites
        on), the highlight ring (a highlighted site is on the map).
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {color_mode!r}")
    values = column_values(columns)
    states = [SITE_STATES[k] for k in values["state"]]
    flags = values["flags"]
    ids = values["id"]
    rows: list[LegendRow] = []
    if color_mode == "model":
        names = [m["name"] for m in models]
        present = {
            j for j, st in zip(values["model"], states, strict=True) if st == "counted" and j >= 0
        }
        for j in sorted(present):
            suffix = palette.LABEL_LICENCE_SUFFIX if models[j]["restricted"] else ""
            rows.append(LegendRow(palette.model_color(names[j], names), names[j] + suffix))
        none = any(
            st == "none" or (st == "counted" and j < 0)
            for j, st in zip(values["model"], states, strict=True)
        )
        if none:
            rows.append(LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS))
    else:
        rows += [
            LegendRow(palette.RESTRICTED, palette.LABEL_RESTRICTED),
            LegendRow(palette.UNRESTRICTED, palette.LABEL_UNRESTRICTED),
            LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS),
        ]
    if "pending" in states:
        rows.append(
            LegendRow(palette.SWATCH_BLANK, palette.LABEL_PENDING, ring=palette.PENDING_OUTLINE)
        )
    if "superseded" in states:
        rows.append(
            LegendRow(
                palette.SUPERSEDED_FILL, palette.LABEL_SUPERSEDED, ring=palette.SUPERSEDED_OUTLINE
            )
        )
    if any(f & SITE_FLAGS["CAMPUS"] for f in flags):
        rows.append(
            LegendRow(palette.SWATCH_BLANK, palette.LABEL_CAMPUS, ring=palette.CAMPUS_OUTLINE)
        )
    if any(f & SITE_FLAGS["ILLUSTRATIVE"] for f in flags):
        rows.append(LegendRow(palette.SWATCH_BLANK, palette.LABEL_ILLUSTRATIVE, dashed=True))
    if len(ids) >= AGGREGATE_MIN_SITES:
        rows.append(
            LegendRow(palette.AGGREGATE_FILL, palette.LABEL_AGGREGATE, ring=palette.RESTRICTED)
        )
    if highlighted and any(i in highlighted for i in ids):
        rows.append(
            LegendRow(
                palette.SWATCH_BLANK, palette.LABEL_HIGHLIGHTED, ring=palette.HIGHLIGHT_OUTLINE
            )
        )
    title = palette.LEGEND_TITLES[color_mode]
    if as_of is not None:
        title = palette.LEGEND_TITLE_ON.format(title=title, date=as_of.isoformat())
    return SiteLegend(title, tuple(rows))


__all__ = ["LegendRow", "SiteLegend", "legend_from_columns", "site_legend"]
