"""The report's capacity-over-time chart, drawn with reportlab graphics (vector, real text).

One chart per region (or for all sites): one bar per quarter end (or year end), the
central chips online by then stacked by chip model. Each model's segment is solid when
that model needed a US export licence for China on that date and pale when it did not,
and restricted segments are stacked first, so the top of the solid part is the
restricted total. A grey band and dashed steps show the low-high range of all chips;
a vertical line marks the report's as-of date (or, for the planned build-out, the day
whose rules were used).

Every figure is a point of :func:`explorer.geo.timeline.timeline`, i.e. exactly what
``explorer totals --as-of`` gives for that date. No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.colors import Color

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.timeline import Series, data_span, step_dates
from explorer.io.report.fonts import ReportFonts
from explorer.io.report.formatting import fmt_int
from explorer.io.report.styles import INK, MUTED, RULE

#: More quarter ends than this and the chart steps by year instead.
MAX_QUARTERS = 40
#: Height of the plot area, in points (the legend goes below it).
PLOT_H = 150.0

#: Model colours, in catalogue order (the i-th model takes the i-th, cycling). The map's
#: palette lives in the web layer, which the report (io) may not import; these are
#: colour-blind-safe hues that stay distinct when paled.
CHART_COLORS: tuple[str, ...] = (
    "#c0392b",
    "#1f5fa8",
    "#d68910",
    "#7d3c98",
    "#148f77",
    "#a04000",
    "#2e86c1",
    "#b7950b",
    "#6c3483",
    "#117a65",
)
#: Colour of chips of a model without catalogue figures ("Other").
UNKNOWN_COLOR = "#7f8c8d"
#: How much of the colour a pale (not restricted) segment keeps.
PALE = 0.32

_BAND = colors.HexColor("#dde3ea")
_RANGE_INK = colors.HexColor("#3b4652")
_MARK_INK = colors.HexColor("#b03a2e")


def chart_dates(
    sites: Sequence[Site],
    as_of: date | None,
    marker: date | None,
    *,
    ledger: CapacityLedger | None = None,
) -> tuple[list[date], str] | None:
    """The chart's dates and step: quarter (or, for a long span, year) ends from the
    first online date to the last, widened to include ``as_of``; None when no counted
    line has an online date.

    ``marker`` (the as-of date or the rules date) widens the span only when it falls
    inside the data's years, so an undated report made years later does not stretch
    the axis.
    """
    span = data_span(sites, ledger=ledger)
    if span is None:
        return None
    start, end = span
    if as_of is not None:
        start, end = min(start, as_of), max(end, as_of)
    elif marker is not None and start <= marker <= date(end.year + 1, 12, 31):
        end = max(end, marker)
    dates = step_dates(start, end, "quarter")
    if len(dates) <= MAX_QUARTERS:
        return dates, "quarter"
    return step_dates(start, end, "year"), "year"


def model_colour(cat: ChipCatalogue, model: str) -> Color:
    """The chart colour of ``model`` (grey for a model without catalogue figures)."""
    if model in cat and not cat[model].has_figures:
        return colors.HexColor(UNKNOWN_COLOR)
    names = cat.names
    i = names.index(model) if model in names else len(names)
    return colors.HexColor(CHART_COLORS[i % len(CHART_COLORS)])


def pale(colour: Color) -> Color:
    """``colour`` mixed with white (the fill of a segment that needed no licence)."""
    return Color(
        1 - PALE * (1 - colour.red),
        1 - PALE * (1 - colour.green),
        1 - PALE * (1 - colour.blue),
    )


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and its tick step (1, 2, 2.5 or 5 x 10^k)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if step < 1:
        step = 1.0
    return step * math.ceil(value / step), step


@dataclass(frozen=True)
class _Segment:
    model: str
    chips: int
    restricted: bool


def _segments(by_model: Sequence[tuple[str, int]], cat: ChipCatalogue, day: date) -> list[_Segment]:
    """One bar's segments: restricted models first (so the solid part sits at the bottom),
    each group in catalogue order."""
    segs = [_Segment(m, n, cat.restricted_on(m, day)) for m, n in by_model if n > 0]
    return [s for s in segs if s.restricted] + [s for s in segs if not s.restricted]


def _short(day: date, step: str) -> str:
    return str(day.year) if step == "year" else f"Q{(day.month - 1) // 3 + 1}"


def timeline_chart(
    series: Series,
    cat: ChipCatalogue,
    *,
    step: str,
    marker: date | None,
    marker_label: str,
    fonts: ReportFonts,
    width: float,
) -> Drawing:
    """The chart of one series as a reportlab :class:`Drawing`.

    Parameters
    ----------
    series : Series
        One region's totals at each date (:func:`explorer.geo.timeline.timeline`).
    cat : ChipCatalogue
        Decides each model's colour and whether it was restricted on each date.
    step : {"quarter", "year"}
        What each bar is (labels only: the dates are the series').
    marker : datetime.date or None
        Where the vertical line goes (not drawn outside the chart's dates).
    marker_label : str
        The line's label, e.g. ``"as of 2026-06-30"``.
    fonts : ReportFonts
    width : float
        Width in points (the drawing's height follows from the legend).

    Returns
    -------
    Drawing
    """
    points = series.points
    days = [p.as_of for p in points]
    if not points or any(d is None for d in days):
        raise ValueError("a timeline chart needs a series of dated totals")
    models = [m for m in cat.names if any(dict(p.by_model).get(m, 0) for p in points)]
    left, right, top, bottom = 52.0, 10.0, 16.0, 28.0
    legend_rows = _legend_rows(models, width - left - right, fonts)
    height = top + PLOT_H + bottom + 12.0 * len(legend_rows)
    d = Drawing(width, height)
    plot_w = width - left - right
    y0 = height - top - PLOT_H  # bottom of the plot area
    y_top, y_step = nice_ceiling(max(max(p.chips_range[1] for p in points), 1))
    slot = plot_w / len(points)

    def y(v: float) -> float:
        return y0 + PLOT_H * v / y_top

    # Grid lines and y labels (chips).
    v = 0.0
    while v <= y_top + 1e-9:
        d.add(Line(left, y(v), left + plot_w, y(v), strokeColor=RULE, strokeWidth=0.4))
        d.add(
            String(left - 4, y(v) - 2.6, fmt_int(round(v)), fontName=fonts.regular,
                   fontSize=7, fillColor=MUTED, textAnchor="end")
        )  # fmt: skip
        v += y_step
    d.add(String(4, y0 + PLOT_H + 6, "chips", fontName=fonts.regular, fontSize=7, fillColor=MUTED))

    # Low-high band behind the bars, one step per slot.
    for i, p in enumerate(points):
        low, high = p.chips_range
        if high > low:
            d.add(
                Rect(left + i * slot, y(low), slot, y(high) - y(low),
                     fillColor=_BAND, strokeColor=None)
            )  # fmt: skip

    # Stacked bars of the central figure.
    bar_w = slot * 0.64
    for i, p in enumerate(points):
        x = left + i * slot + (slot - bar_w) / 2
        base = 0
        day = days[i]
        assert day is not None
        for seg in _segments(p.by_model, cat, day):
            colour = model_colour(cat, seg.model)
            d.add(
                Rect(x, y(base), bar_w, y(base + seg.chips) - y(base),
                     fillColor=colour if seg.restricted else pale(colour),
                     strokeColor=colour, strokeWidth=0.35)
            )  # fmt: skip
            base += seg.chips

    # Low and high as dashed steps over the bars.
    for k in (0, 1):
        pts: list[float] = []
        for i, p in enumerate(points):
            v = p.chips_range[k]
            pts += [left + i * slot, y(v), left + (i + 1) * slot, y(v)]
        d.add(PolyLine(pts, strokeColor=_RANGE_INK, strokeWidth=0.6, strokeDashArray=[2, 1.6]))

    # Axes and x labels: each bar's quarter (or year); the year under its quarters.
    d.add(Line(left, y0, left + plot_w, y0, strokeColor=INK, strokeWidth=0.6))
    d.add(Line(left, y0, left, y0 + PLOT_H, strokeColor=INK, strokeWidth=0.6))
    every = max(1, math.ceil(len(points) / (plot_w / 16)))
    for i, day in enumerate(days):
        assert day is not None
        cx = left + (i + 0.5) * slot
        if step == "quarter" and i % every == 0:
            d.add(
                String(cx, y0 - 9, _short(day, step), fontName=fonts.regular, fontSize=6.2,
                       fillColor=MUTED, textAnchor="middle")
            )  # fmt: skip
    if step == "quarter":
        years = sorted({day.year for day in days if day is not None})
        for year in years:
            idx = [i for i, day in enumerate(days) if day is not None and day.year == year]
            cx = left + (idx[0] + idx[-1] + 1) / 2 * slot
            d.add(
                String(cx, y0 - 19, str(year), fontName=fonts.bold, fontSize=7.2,
                       fillColor=INK, textAnchor="middle")
            )  # fmt: skip
            if idx[0] > 0:
                xb = left + idx[0] * slot
                d.add(Line(xb, y0, xb, y0 - 21, strokeColor=RULE, strokeWidth=0.5))
    else:
        for i, day in enumerate(days):
            assert day is not None
            if i % every == 0:
                d.add(
                    String(left + (i + 0.5) * slot, y0 - 12, str(day.year), fontName=fonts.bold,
                           fontSize=7.2, fillColor=INK, textAnchor="middle")
                )  # fmt: skip

    # The as-of (or rules) date.
    mx = _date_x(marker, days, left, slot) if marker is not None else None
    if mx is not None:
        d.add(Line(mx, y0, mx, y0 + PLOT_H + 4, strokeColor=_MARK_INK, strokeWidth=1.1))
        anchor = "end" if mx > left + plot_w * 0.7 else "start"
        dx = -3 if anchor == "end" else 3
        d.add(
            String(mx + dx, y0 + PLOT_H + 1, marker_label, fontName=fonts.bold, fontSize=7,
                   fillColor=_MARK_INK, textAnchor=anchor)
        )  # fmt: skip

    _draw_legend(d, legend_rows, cat, left, y0 - bottom, fonts)
    return d


def _date_x(day: date, days: Sequence[date | None], left: float, slot: float) -> float | None:
    """Where ``day`` falls on the axis: inside the slot of the period that holds it."""
    ends = [d for d in days if d is not None]
    for i, end in enumerate(ends):
        if day <= end:
            prev = ends[i - 1] if i > 0 else None
            if prev is None:
                # The first bar's period: as long as the second's.
                length = (ends[1] - end).days if len(ends) > 1 else 91
                start_ord = end.toordinal() - length
            else:
                start_ord = prev.toordinal()
            if day.toordinal() < start_ord:
                return None
            frac = (day.toordinal() - start_ord) / max(1, end.toordinal() - start_ord)
            return left + (i + frac) * slot
    return None


_Entry = tuple[str, str]  # (kind, label)


def _legend_rows(models: Sequence[str], width: float, fonts: ReportFonts) -> list[list[_Entry]]:
    """Legend entries wrapped into rows that fit ``width``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    entries: list[_Entry] = [("model", m) for m in models]
    entries += [
        ("key", "solid: needed a US licence for China on that date; pale: did not"),
        ("band", "low–high range of all chips"),
    ]
    rows: list[list[_Entry]] = [[]]
    used = 0.0
    for kind, label in entries:
        w = 14 + stringWidth(label, fonts.regular, 7) + 12
        if rows[-1] and used + w > width:
            rows.append([])
            used = 0.0
        rows[-1].append((kind, label))
        used += w
    return rows


def _draw_legend(
    d: Drawing,
    rows: Sequence[Sequence[_Entry]],
    cat: ChipCatalogue,
    left: float,
    top: float,
    fonts: ReportFonts,
) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    y = top - 9
    for row in rows:
        x = left
        for kind, label in row:
            if kind == "model":
                colour = model_colour(cat, label)
                d.add(Rect(x, y, 5, 7, fillColor=colour, strokeColor=colour, strokeWidth=0.35))
                d.add(
                    Rect(x + 5, y, 5, 7, fillColor=pale(colour), strokeColor=colour,
                         strokeWidth=0.35)
                )  # fmt: skip
            elif kind == "band":
                d.add(Rect(x, y, 10, 7, fillColor=_BAND, strokeColor=None))
                d.add(
                    Line(x, y + 7, x + 10, y + 7, strokeColor=_RANGE_INK, strokeWidth=0.6,
                         strokeDashArray=[2, 1.6])
                )  # fmt: skip
            else:
                grey = colors.HexColor("#5d6d7e")
                d.add(Rect(x, y, 5, 7, fillColor=grey, strokeColor=grey, strokeWidth=0.35))
                d.add(
                    Rect(x + 5, y, 5, 7, fillColor=pale(grey), strokeColor=grey, strokeWidth=0.35)
                )
            d.add(String(x + 14, y + 1, label, fontName=fonts.regular, fontSize=7, fillColor=INK))
            x += 14 + stringWidth(label, fonts.regular, 7) + 12
        y -= 12


__all__ = [
    "CHART_COLORS",
    "MAX_QUARTERS",
    "UNKNOWN_COLOR",
    "chart_dates",
    "model_colour",
    "nice_ceiling",
    "pale",
    "timeline_chart",
]
