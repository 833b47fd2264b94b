"""The capacity-over-time chart: chips by model at each date, drawn with QPainter.

One bar per date of a :class:`~explorer.ui.capacity_series.CapacitySeries`, stacked by
chip model (catalogue order, the map's model colours), then, set apart, the planned
build-out. A segment is solid when its model needed a US export licence for China on
that date and hatched (lighter) when it did not, so the restricted share reads off each
bar; a whisker spans the low-high range of the bar's chips. A dashed line marks the
session's date (or, when it counts everything planned, a frame marks that bar).
Hovering a bar shows its figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from explorer.ui.capacity_series import CapacitySeries, SeriesPoint
from explorer.ui.date_text import ALL_PLANNED, date_words, quarter_text
from explorer.ui.region_format import (
    by_model_text,
    chips_text,
    restricted_text,
    unknown_model_text,
)
from explorer.web.palette import model_color

#: Each bar's point and the x of its centre.
Columns = list[tuple[SeriesPoint, float]]

#: Words of the legend's two fills and the whisker.
LEGEND_RESTRICTED = "solid: needs a US export licence then"
LEGEND_UNRESTRICTED = "hatched: does not"
LEGEND_RANGE = "whisker: low–high"


def nice_step(top: float, ticks: int = 5) -> float:
    """A 1-2-5 step that divides ``[0, top]`` into about ``ticks`` intervals."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def compact_number(value: float) -> str:
    """Axis labels: ``0``, ``500``, ``12k``, ``1.5M``."""
    if value >= 1e6:
        text = f"{value / 1e6:.1f}".rstrip("0").rstrip(".")
        return f"{text}M"
    if value >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if value >= 1e3:
        text = f"{value / 1e3:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:,.0f}"


@dataclass(frozen=True)
class _Bar:
    """Where a point is drawn."""

    point: SeriesPoint
    rect: QRectF  # the bar's column (full plot height)


class CapacityChart(QWidget):
    """Draws a :class:`CapacitySeries` (see the module docstring).

    Attributes
    ----------
    series : CapacitySeries or None
        What is drawn (None: nothing yet).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("capacity_chart")
        self.series: CapacitySeries | None = None
        self._bars: list[_Bar] = []
        self._all_models: tuple[str, ...] = ()
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Short enough for its dock on a 1366x768 screen with the note under it (at 180
        # the layout ran out of room and the note was drawn over the chart's axis);
        # below a plot of 30 px the chart draws its legend only.
        self.setMinimumSize(280, 120)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(440, 260)

    def set_series(self, series: CapacitySeries | None, models: tuple[str, ...]) -> None:
        """Draw ``series``; ``models`` is the catalogue's order (it fixes the colours)."""
        self.series = series
        self._all_models = models
        self.update()

    def bar_at(self, x: float) -> SeriesPoint | None:
        """The point whose bar column holds the widget x coordinate, or None."""
        for bar in self._bars:
            if bar.rect.left() <= x <= bar.rect.right():
                return bar.point
        return None

    def bar_rects(self) -> list[tuple[date | None, QRectF]]:
        """Each drawn bar's date (None: all planned) and column, for tests."""
        return [(b.point.day, QRectF(b.rect)) for b in self._bars]

    # ------------------------------------------------------------------ colours
    def _color(self, model: str) -> QColor:
        return QColor(model_color(model, self._all_models))

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, p: QPainter) -> None:
        self._bars = []
        s = self.series
        text_color = self.palette().color(QPalette.ColorRole.Text)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        metrics = self.fontMetrics()
        line = metrics.height()
        if s is None:
            return
        points = [*s.points, s.planned]
        top_value = max((pt.totals.chips_range[1] for pt in points), default=0)
        legend_h = self._paint_legend(p, s, QRect(6, 2, self.width() - 12, line + 4))
        if top_value <= 0:
            p.setPen(muted)
            p.drawText(
                self.rect().adjusted(10, legend_h + 4, -10, -10),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                f"No chips counted in {s.name}",
            )
            return
        step = nice_step(top_value)
        y_max = math.ceil(top_value / step) * step
        label_w = max(metrics.horizontalAdvance(compact_number(y_max)), 24) + 8
        plot = QRectF(label_w + 4, legend_h + line * 0.6 + 4, self.width() - label_w - 12, 0)
        plot.setBottom(self.height() - line * 2 - 6)
        if plot.height() < 30 or plot.width() < 40:
            return

        def y_of(v: float) -> float:
            return plot.bottom() - v / y_max * plot.height()

        # Grid and y labels.
        grid = QPen(QColor(0, 0, 0, 28))
        v = 0.0
        while v <= y_max + 1e-9:
            y = y_of(v)
            p.setPen(grid)
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(muted)
            p.drawText(
                QRectF(0, y - line / 2, label_w, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                compact_number(v),
            )
            v += step

        # Columns: the dated points, a gap, the planned build-out.
        n = len(s.points)
        slots = n + (1.6 if n else 1.0)
        slot = plot.width() / slots
        bar_w = max(2.0, min(slot * 0.72, 46.0))
        columns: Columns = [(pt, plot.left() + slot * (i + 0.5)) for i, pt in enumerate(s.points)]
        columns.append((s.planned, plot.right() - slot * 0.5))
        for pt, cx in columns:
            self._paint_bar(p, pt, cx, bar_w, y_of)
            self._bars.append(_Bar(pt, QRectF(cx - slot / 2, plot.top(), slot, plot.height())))

        # Axis and x labels.
        p.setPen(QPen(text_color, 1))
        p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        self._paint_x_labels(p, s, columns, plot, muted)

        # The session's date.
        self._paint_as_of(p, s, columns, plot, bar_w)

    def _paint_bar(
        self, p: QPainter, pt: SeriesPoint, cx: float, w: float, y_of: Callable[[float], float]
    ) -> None:
        base = 0
        for model, chips, restricted in pt.stack():
            color = self._color(model)
            rect = QRectF(cx - w / 2, y_of(base + chips), w, y_of(base) - y_of(base + chips))
            if restricted:
                p.fillRect(rect, color)
            else:
                light = QColor(color)
                light.setAlpha(70)
                p.fillRect(rect, light)
                p.fillRect(rect, QBrush(color, Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(color.darker(140), 0.8))
            p.drawRect(rect)
            base += chips
        low, high = pt.totals.chips_range
        if (low, high) != (pt.totals.chips, pt.totals.chips):
            p.setPen(QPen(QColor(30, 30, 30), 1.3))
            x = cx
            cap = min(w * 0.3, 6.0)
            p.drawLine(QPointF(x, y_of(low)), QPointF(x, y_of(high)))
            for v in (low, high):
                p.drawLine(QPointF(x - cap, y_of(v)), QPointF(x + cap, y_of(v)))

    def _paint_x_labels(
        self, p: QPainter, s: CapacitySeries, columns: Columns, plot: QRectF, muted: QColor
    ) -> None:
        """Quarters under their bars, each year once under its quarters (or the year
        under each bar of a yearly series), and "All planned" under its bar."""
        metrics = self.fontMetrics()
        h = metrics.height()
        y1, y2 = plot.bottom() + 2, plot.bottom() + 2 + h
        p.setPen(muted)

        def draw(text: str, cx: float, y: float, taken: list[tuple[float, float]]) -> None:
            width = metrics.horizontalAdvance(text)
            left = min(max(cx - width / 2, 0.0), self.width() - width - 1.0)
            if any(left < r + 4 and left + width + 4 > lft for lft, r in taken):
                return  # no room: the neighbours say enough
            p.drawText(QRectF(left, y, width + 1, h), Qt.AlignmentFlag.AlignLeft, text)
            taken.append((left, left + width))

        row1: list[tuple[float, float]] = []
        row2: list[tuple[float, float]] = []
        draw(ALL_PLANNED, columns[-1][1], y1, row1)
        dated = [(pt.day, cx) for pt, cx in columns if pt.day is not None]
        if s.step == "year":
            for day, cx in dated:
                draw(str(day.year), cx, y1, row1)
            return
        for day, cx in dated:
            draw(quarter_text(day).split()[0], cx, y1, row1)
        years: dict[int, list[float]] = {}
        for day, cx in dated:
            years.setdefault(day.year, []).append(cx)
        for year, xs in years.items():
            draw(str(year), (xs[0] + xs[-1]) / 2, y2, row2)

    def _paint_as_of(
        self, p: QPainter, s: CapacitySeries, columns: Columns, plot: QRectF, bar_w: float
    ) -> None:
        marker = QColor("#ff8f00")
        if s.as_of is None:
            _pt, cx = columns[-1]
            p.setPen(QPen(marker, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(cx - bar_w / 2 - 3, plot.top(), bar_w + 6, plot.height()))
            return
        x = self._x_of(s.as_of, columns)
        if x is None:
            return
        p.setPen(QPen(marker, 1.6, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        label = f"as of {date_words(s.as_of)}"
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        width = p.fontMetrics().horizontalAdvance(label)
        left = x + 4 if x + 4 + width < plot.right() else x - 4 - width
        p.setPen(marker.darker(130))
        p.drawText(QPointF(left, plot.top() + p.fontMetrics().ascent()), label)
        p.setFont(self.font())

    @staticmethod
    def _x_of(day: date, columns: Columns) -> float | None:
        """x of ``day`` between the bars of the dates around it (by days)."""
        dated = [(pt.day, cx) for pt, cx in columns if pt.day is not None]
        if not dated:
            return None
        if day <= dated[0][0]:
            return dated[0][1]
        for (d0, x0), (d1, x1) in zip(dated, dated[1:], strict=False):
            if d0 <= day <= d1:
                frac = (day - d0).days / max(1, (d1 - d0).days)
                return x0 + frac * (x1 - x0)
        return dated[-1][1]

    def _paint_legend(self, p: QPainter, s: CapacitySeries, area: QRect) -> int:
        """Model swatches and what solid, hatched and the whisker mean; returns height."""
        metrics = self.fontMetrics()
        x, y = area.left(), area.top()
        row_h = metrics.height() + 2
        box = metrics.height() - 4
        p.setPen(self.palette().color(QPalette.ColorRole.Text))
        items: list[tuple[str, QColor | None, bool]] = [(m, self._color(m), True) for m in s.models]
        items += [
            (LEGEND_RESTRICTED, QColor(90, 90, 90), True),
            (LEGEND_UNRESTRICTED, QColor(90, 90, 90), False),
            (LEGEND_RANGE, None, True),
        ]
        for text, color, solid in items:
            width = box + 4 + metrics.horizontalAdvance(text) + 12
            if x + width > area.right() and x > area.left():
                x = area.left()
                y += row_h
            swatch = QRectF(x, y + (row_h - box) / 2, box, box)
            if color is None:
                p.setPen(QPen(QColor(30, 30, 30), 1.3))
                cx = swatch.center().x()
                p.drawLine(QPointF(cx, swatch.top()), QPointF(cx, swatch.bottom()))
                p.drawLine(QPointF(cx - 3, swatch.top()), QPointF(cx + 3, swatch.top()))
                p.drawLine(QPointF(cx - 3, swatch.bottom()), QPointF(cx + 3, swatch.bottom()))
            elif solid:
                p.fillRect(swatch, color)
            else:
                light = QColor(color)
                light.setAlpha(70)
                p.fillRect(swatch, light)
                p.fillRect(swatch, QBrush(color, Qt.BrushStyle.BDiagPattern))
                p.setPen(QPen(color, 0.8))
                p.drawRect(swatch)
            p.setPen(self.palette().color(QPalette.ColorRole.Text))
            p.drawText(QPointF(x + box + 4, y + (row_h + metrics.ascent()) / 2 - 2), text)
            x += width
        return y + row_h - area.top()

    # ------------------------------------------------------------------ hover
    def event(self, event: QEvent) -> bool:  # Qt override
        """Show the hovered bar's figures as a tooltip."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            pt = self.bar_at(event.pos().x())
            if pt is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), point_tooltip(pt), self)
            return True
        return super().event(event)


def point_tooltip(pt: SeriesPoint) -> str:
    """A bar's figures in words."""
    t = pt.totals
    head = ALL_PLANNED if pt.day is None else f"As of {date_words(pt.day)}"
    lines = [
        head,
        f"{chips_text(t)} chips, {restricted_text(t)} restricted",
    ]
    stack = pt.stack()
    if stack:
        lines.append(
            "By model: "
            + by_model_text((m, n) for m, n, _ in stack)
            + (
                " (not restricted then: " + ", ".join(m for m, _, r in stack if not r) + ")"
                if any(not r for _, _, r in stack)
                else ""
            )
        )
    unknown = unknown_model_text(t)
    if unknown:
        lines.append(unknown[0].upper() + unknown[1:])
    return "\n".join(lines)


__all__ = [
    "LEGEND_RANGE",
    "LEGEND_RESTRICTED",
    "LEGEND_UNRESTRICTED",
    "CapacityChart",
    "compact_number",
    "nice_step",
    "point_tooltip",
]
