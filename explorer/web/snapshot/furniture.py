"""The print furniture painted over a snapshot's map with QPainter.

Title and facts (what the capacity is counted as of, the export rules' date, the sites
in view with their totals and low–high ranges, the data's date), legend, scale bar and
north arrow, the caveat and the attribution, and where each goes
(:meth:`Furniture.legend_box` picks the corner that hides the fewest shown markers).
Every size is in typographic points, drawn at the spec's ``dpi / 72`` image pixels per
point, so the furniture has the same size on paper at every resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPolygonF

from explorer.core.schema import Site
from explorer.geo.totals import Totals
from explorer.web import palette
from explorer.web.html_export import caveat_text
from explorer.web.legend import LegendRow
from explorer.web.page import ATTRIBUTION, PROVINCE_NOTE
from explorer.web.snapshot.scale import MapFrame, format_distance, nice_length
from explorer.web.snapshot.spec import SnapshotSpec


@dataclass
class OverlayLayout:
    """Where the overlays were drawn, in image pixels (for tests and callers).

    Each box is ``(x, y, width, height)``; ``None`` when not drawn.
    """

    title: tuple[float, float, float, float] | None = None
    legend: tuple[float, float, float, float] | None = None
    scale: tuple[float, float, float, float] | None = None
    scale_bar: tuple[float, float, float, float] | None = None
    north_arrow: tuple[float, float, float, float] | None = None
    footer: tuple[float, float, float, float] | None = None
    scale_metres: float = 0.0
    scale_latitude: float = 0.0
    #: Every line of text painted in the title box and the footer, top to bottom.
    lines: list[str] = field(default_factory=list)


_INK = QColor("#1d2733")
_MUTED = QColor("#4d5966")
_PANEL = QColor(255, 255, 255, 235)
_PANEL_EDGE = QColor("#b7c0c9")
_CAVEAT_INK = QColor("#7a4100")
_CAVEAT_BG = QColor(255, 245, 225, 245)
_WHITE = QColor("#ffffff")
_FONT_FAMILIES = ["DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica"]
_CREDIT = (
    f"Basemap and towns: {ATTRIBUTION} · {PROVINCE_NOTE} · "
    "Web Mercator projection · Made with Compute Site Explorer"
)

Box = tuple[float, float, float, float]


@dataclass
class OverlayContent:
    """What the overlays say; everything but the marker sizes is known before rendering.

    Attributes
    ----------
    title : str
    data_as_of : str
        The data set's own date (metadata ``as_of``), printed with the facts.
    shown : sequence of Site
        Sites whose markers are in the image (decides the caveat and the counts).
    total_sites : int
    legend_title : str
        The legend's heading (``Export control`` or ``Main chip model``).
    legend_rows : sequence of LegendRow
        The legend's colour rows (:func:`~explorer.web.legend.site_legend`).
    size_samples : sequence of (chips, css_radius)
        Markers whose sizes the legend shows.
    region_count : int
    as_of : datetime.date or None
        The date the capacity is counted up to; None for the planned build-out.
    rules_day : datetime.date or None
        The date whose export rules decide what is restricted.
    totals : Totals or None
        The sites in view totalled as ``explorer totals`` does on that date (ranges
        included); None until the view is known, when the facts line counts the
        recorded chips.
    """

    title: str
    data_as_of: str
    shown: Sequence[Site]
    total_sites: int
    legend_title: str = ""
    legend_rows: Sequence[LegendRow] = ()
    size_samples: Sequence[tuple[int, float]] = ()
    region_count: int = 0
    as_of: date | None = None
    rules_day: date | None = None
    totals: Totals | None = None

    @property
    def caveat(self) -> str:
        return caveat_text(self.shown)

    @property
    def basis(self) -> str:
        """What the figures count: the as-of date or the planned build-out, and the
        export rules' date."""
        rules = f"export rules of {self.rules_day.isoformat()}" if self.rules_day else ""
        if self.as_of is None:
            head = "Planned build-out (every hardware line not cancelled)"
        else:
            head = f"Capacity as of {self.as_of.isoformat()} (hardware lines online by then)"
        return " · ".join(p for p in (head, rules) if p)

    @property
    def facts(self) -> str:
        """The sites in view and their totals (with low–high ranges), and the data's date."""
        in_view = f"{len(self.shown):,} of {self.total_sites:,} sites in view"
        t = self.totals
        if t is None:
            figures = f"{sum(s.chips for s in self.shown):,} chips recorded"
        else:
            figures = (
                f"{_ranged(t.chips, t.chips_range, 'chips')}, "
                f"{_ranged(t.restricted_chips, t.restricted_range, 'restricted')}"
            )
            if t.unknown_model_chips:
                figures += f", {t.unknown_model_chips:,} of unknown model"
        dated = f"data as of {self.data_as_of}" if self.data_as_of else "data date not stated"
        return f"{in_view}: {figures} · {dated}"


def _ranged(central: int, low_high: tuple[int, int], noun: str) -> str:
    """``20,816 chips (19,688–24,176)``, without the range when it is one value."""
    low, high = low_high
    if low == central == high:
        return f"{central:,} {noun}"
    return f"{central:,} {noun} ({low:,}–{high:,})"


def _font(point_px: float, size_pt: float, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(_FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPixelSize(max(1, round(size_pt * point_px)))
    font.setBold(bold)
    return font


def _wrap(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a word longer than a line stays whole)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and metrics.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _overlap(a: Box, b: Box) -> float:
    """Area shared by two ``(x, y, w, h)`` boxes."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class Furniture:
    """Sizes and paints the print furniture for one image.

    Every size is in points (``spec.point_px`` image pixels each), so title, legend
    and scale bar have the same size on paper at every resolution. Boxes are measured
    before the map is rendered, so the view can be fitted clear of them.
    """

    MARGIN_PT = 8.0
    PAD_PT = 5.0

    def __init__(self, spec: SnapshotSpec) -> None:
        self.spec = spec
        self.u = u = spec.point_px
        self.width, self.height = float(spec.width_px), float(spec.height_px)
        self.margin = self.MARGIN_PT * u
        self.pad = self.PAD_PT * u
        self.title_font = _font(u, 14, bold=True)
        self.facts_font = _font(u, 7.5)
        self.basis_font = _font(u, 7.5, bold=True)
        self.head_font = _font(u, 8, bold=True)
        self.body_font = _font(u, 7.2)
        self.small_font = _font(u, 6.5)
        self.caveat_font = _font(u, 7.2, bold=True)
        self.scale_font = _font(u, 7)
        self.note_font = _font(u, 6)
        self.north_font = _font(u, 8, bold=True)

    @staticmethod
    def _fm(font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font)

    # ------------------------------------------------------------------ measuring
    def title_lines(self, content: OverlayContent) -> tuple[list[str], list[str], list[str], Box]:
        """Title, basis (bold) and facts lines, and the title box."""
        fm_t, fm_b, fm_f = (
            self._fm(self.title_font),
            self._fm(self.basis_font),
            self._fm(self.facts_font),
        )
        # At most about half the width, so a legend fits beside the box in the top right.
        max_w = min(self.width * 0.52, self.width - 2 * self.margin) - 2 * self.pad
        title = _wrap(content.title, fm_t, max_w) if content.title else []
        basis = _wrap(content.basis, fm_b, max_w)
        facts = _wrap(content.facts, fm_f, max_w)
        inner_w = max(
            [fm_t.horizontalAdvance(t) for t in title]
            + [fm_b.horizontalAdvance(t) for t in basis]
            + [fm_f.horizontalAdvance(t) for t in facts]
        )
        inner_h = (
            len(title) * fm_t.lineSpacing()
            + len(basis) * fm_b.lineSpacing()
            + len(facts) * fm_f.lineSpacing()
        )
        box = (self.margin, self.margin, inner_w + 2 * self.pad, inner_h + 2 * self.pad)
        return title, basis, facts, box

    def footer_lines(self, caveat: str) -> tuple[list[str], list[str], float]:
        """Caveat and credit lines, and the footer band's height."""
        fm_c, fm_s = self._fm(self.caveat_font), self._fm(self.small_font)
        text_w = self.width - 2 * self.pad
        caveat_lines = _wrap(caveat, fm_c, text_w) if caveat else []
        credit_lines = _wrap(_CREDIT, fm_s, text_w)
        height = 2 * self.pad + len(credit_lines) * fm_s.lineSpacing()
        if caveat_lines:
            height += len(caveat_lines) * fm_c.lineSpacing() + self.pad
        return caveat_lines, credit_lines, height

    def scale_box_height(self) -> float:
        fm_l, fm_n = self._fm(self.scale_font), self._fm(self.note_font)
        bar = fm_l.lineSpacing() + 4 * self.u + 2 * self.u + fm_n.lineSpacing()
        return 2 * self.pad + max(bar, 26 * self.u)

    def fit_padding(self, content: OverlayContent) -> tuple[list[int], list[int]]:
        """Fit padding in CSS pixels, ``(top_left, bottom_right)`` as Leaflet takes it:
        clear of the title box (top) and of the footer and scale bar (bottom)."""
        *_, title = self.title_lines(content)
        _, _, footer_h = self.footer_lines(content.caveat)
        css = self.spec.zoom_factor
        side = self.margin + 16 * self.u  # room for a marker's radius at the edge
        top = title[1] + title[3] + 4 * self.u
        bottom = footer_h + self.margin + self.scale_box_height() + 4 * self.u
        return [round(side / css), round(top / css)], [round(side / css), round(bottom / css)]

    # ------------------------------------------------------------------ painting
    def paint(
        self,
        image: QImage,
        frame: MapFrame,
        content: OverlayContent,
        avoid: Sequence[Box] = (),
    ) -> OverlayLayout:
        """Draw everything onto ``image`` (in place); returns where it went.

        ``avoid`` lists image boxes (the regions') the legend should rather not hide.
        """
        layout = OverlayLayout()
        p = QPainter(image)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            self._cover_frame_marker(p, image, frame)
            footer_top = self._paint_footer(p, content, layout)
            self._paint_title(p, content, layout)
            self._paint_scale(p, frame, footer_top - self.margin, layout)
            if self.spec.legend:
                self._paint_legend(p, frame, content, footer_top - self.margin, layout, avoid)
        finally:
            p.end()
        return layout

    def _panel(self, p: QPainter, box: Box, fill: QColor = _PANEL) -> None:
        p.setPen(QPen(_PANEL_EDGE, max(1.0, 0.6 * self.u)))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(*box), 2.5 * self.u, 2.5 * self.u)

    @staticmethod
    def _cover_frame_marker(p: QPainter, image: QImage, frame: MapFrame) -> None:
        """Paint over the page's 2 x 2 CSS-px frame marker (top left) with the map
        colour beside it: it is a rendering aid, not part of the map."""
        side = math.ceil(2 * frame.scale) + 1
        if image.width() > side and image.height() > side:
            p.fillRect(0, 0, side, side, image.pixelColor(side, side))

    def _paint_footer(self, p: QPainter, content: OverlayContent, layout: OverlayLayout) -> float:
        """Caveat (if any) and attribution in a band along the bottom; returns its top."""
        caveat_lines, credit_lines, height = self.footer_lines(content.caveat)
        fm_c, fm_s = self._fm(self.caveat_font), self._fm(self.small_font)
        top = self.height - height
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_PANEL)
        p.drawRect(QRectF(0, top, self.width, height))
        y = top + self.pad
        if caveat_lines:
            band_h = 1.5 * self.pad + len(caveat_lines) * fm_c.lineSpacing()
            p.setBrush(_CAVEAT_BG)
            p.drawRect(QRectF(0, top, self.width, band_h))
            p.setFont(self.caveat_font)
            p.setPen(_CAVEAT_INK)
            for line in caveat_lines:
                p.drawText(QPointF(self.pad, y + fm_c.ascent()), line)
                y += fm_c.lineSpacing()
            y += self.pad
        p.setPen(QPen(_PANEL_EDGE, max(1.0, 0.6 * self.u)))
        p.drawLine(QPointF(0, top), QPointF(self.width, top))
        p.setFont(self.small_font)
        p.setPen(_MUTED)
        for line in credit_lines:
            p.drawText(QPointF(self.pad, y + fm_s.ascent()), line)
            y += fm_s.lineSpacing()
        layout.footer = (0.0, top, self.width, height)
        layout.lines += [*caveat_lines, *credit_lines]
        return top

    def _paint_title(self, p: QPainter, content: OverlayContent, layout: OverlayLayout) -> None:
        title, basis, facts, box = self.title_lines(content)
        self._panel(p, box)
        x, y = box[0] + self.pad, box[1] + self.pad
        for lines, font, ink in (
            (title, self.title_font, _INK),
            (basis, self.basis_font, _INK),
            (facts, self.facts_font, _MUTED),
        ):
            fm = self._fm(font)
            p.setFont(font)
            p.setPen(ink)
            for line in lines:
                p.drawText(QPointF(x, y + fm.ascent()), line)
                y += fm.lineSpacing()
        layout.title = box
        layout.lines[:0] = [*title, *basis, *facts]

    def _paint_scale(
        self, p: QPainter, frame: MapFrame, bottom: float, layout: OverlayLayout
    ) -> None:
        """Scale bar, true at its own latitude, and a north arrow, bottom left."""
        u, pad = self.u, self.pad
        fm_l, fm_n = self._fm(self.scale_font), self._fm(self.note_font)
        arrow_w, arrow_h = 14 * u, 26 * u
        bar_h = 4 * u
        box_h = self.scale_box_height()
        top = bottom - box_h
        bar_x = self.margin + pad + arrow_w + 8 * u
        bar_y = top + pad + fm_l.lineSpacing()
        # Web Mercator's scale changes with latitude: measure where the bar is drawn.
        lat = frame.latitude_at(bar_y + bar_h / 2)
        mpp = frame.metres_per_pixel(lat)
        metres = nice_length(110 * u * mpp)
        bar_w = metres / mpp
        end_number, unit = format_distance(metres).split(" ")
        note = f"Scale true at {abs(lat):.1f}° {'N' if lat >= 0 else 'S'}"
        end_w = fm_l.horizontalAdvance(end_number) / 2 + fm_l.horizontalAdvance(f" {unit}")
        inner = max(bar_w + end_w, fm_n.horizontalAdvance(note))
        box = (self.margin, top, bar_x - self.margin + inner + pad, box_h)
        self._panel(p, box)

        # North arrow (north is straight up everywhere on a Web Mercator map).
        ax, ay = self.margin + pad, top + (box_h - arrow_h) / 2
        p.setFont(self.north_font)
        p.setPen(_INK)
        p.drawText(QRectF(ax, ay, arrow_w, 9 * u), Qt.AlignmentFlag.AlignCenter, "N")
        tip = QPointF(ax + arrow_w / 2, ay + 10 * u)
        notch = QPointF(ax + arrow_w / 2, ay + arrow_h - 4 * u)
        p.setPen(QPen(_INK, max(1.0, 0.7 * u)))
        p.setBrush(_INK)
        p.drawPolygon(QPolygonF([tip, notch, QPointF(ax, ay + arrow_h)]))
        p.setBrush(_WHITE)
        p.drawPolygon(QPolygonF([tip, QPointF(ax + arrow_w, ay + arrow_h), notch]))
        layout.north_arrow = (ax, ay, arrow_w, arrow_h)

        # Four alternating segments; labels at 0, half and the full length.
        seg = bar_w / 4
        p.setPen(QPen(_INK, max(1.0, 0.6 * u)))
        for i in range(4):
            p.setBrush(_INK if i % 2 == 0 else _WHITE)
            p.drawRect(QRectF(bar_x + i * seg, bar_y, seg, bar_h))
        p.setFont(self.scale_font)
        p.setPen(_INK)
        # Numbers centred on their ticks, the unit after the last; the middle number
        # only where it does not run into its neighbours.
        half = f"{(metres / 2) / (1000 if unit == 'km' else 1):g}"
        base = bar_y - 1.5 * u
        p.drawText(QPointF(bar_x - fm_l.horizontalAdvance("0") / 2, base), "0")
        end_left = bar_x + bar_w - fm_l.horizontalAdvance(end_number) / 2
        p.drawText(QPointF(end_left, base), f"{end_number} {unit}")
        half_w = fm_l.horizontalAdvance(half)
        mid_left = bar_x + bar_w / 2 - half_w / 2
        spacing = fm_l.horizontalAdvance(" ")
        if mid_left > bar_x + fm_l.horizontalAdvance("0") / 2 + spacing and (
            mid_left + half_w + spacing < end_left
        ):
            p.drawText(QPointF(mid_left, base), half)
        p.setFont(self.note_font)
        p.setPen(_MUTED)
        p.drawText(QPointF(bar_x, bar_y + bar_h + 2 * u + fm_n.ascent()), note)
        layout.scale = box
        layout.scale_bar = (bar_x, bar_y, bar_w, bar_h)
        layout.scale_metres = metres
        layout.scale_latitude = lat

    def _legend_size(self, frame: MapFrame, content: OverlayContent) -> tuple[float, float]:
        fm_h, fm_b, fm_s = (
            self._fm(self.head_font),
            self._fm(self.body_font),
            self._fm(self.small_font),
        )
        sw, gap = 8 * self.u, 4 * self.u
        row_h = max(fm_b.lineSpacing(), sw + 2 * self.u)
        widths = [fm_h.horizontalAdvance(content.legend_title)]
        widths += [sw + gap + fm_b.horizontalAdvance(r.text) for r in content.legend_rows]
        height = fm_h.lineSpacing() + len(content.legend_rows) * row_h
        if content.size_samples:
            cells, biggest = self._size_cells(frame, content)
            widths += [
                fm_b.horizontalAdvance(palette.LABEL_SIZE_NOTE),
                sum(cells) + gap * (len(cells) - 1),
            ]
            height += gap + fm_b.lineSpacing() + 2 * biggest + 2 * self.u + fm_s.lineSpacing()
        if content.region_count:
            widths.append(sw + gap + fm_b.horizontalAdvance(self._region_text(content)))
            height += gap + row_h
        return min(max(widths), self.width * 0.45) + 2 * self.pad, height + 2 * self.pad

    def _size_cells(self, frame: MapFrame, content: OverlayContent) -> tuple[list[float], float]:
        fm_s = self._fm(self.small_font)
        labels = self._size_labels(content)
        cells = [
            max(2 * r * frame.scale, fm_s.horizontalAdvance(t))
            for (_, r), t in zip(content.size_samples, labels, strict=True)
        ]
        return cells, max(r for _, r in content.size_samples) * frame.scale

    @staticmethod
    def _size_labels(content: OverlayContent) -> list[str]:
        n = len(content.size_samples)
        return [
            f"{c:,}" + (" chips" if i == n - 1 else "")
            for i, (c, _) in enumerate(content.size_samples)
        ]

    @staticmethod
    def _region_text(content: OverlayContent) -> str:
        n = content.region_count
        return f"Region outline ({n} region{'s' if n != 1 else ''}; totals use this shape)"

    def legend_box(
        self,
        frame: MapFrame,
        content: OverlayContent,
        bottom: float,
        avoid: Sequence[Box],
        furniture: Sequence[Box] = (),
    ) -> Box:
        """Where the legend goes: the corner that hides the fewest shown markers.

        Tried in order bottom right, top right, bottom left (above the scale bar) and
        top left (below the title); a marker under the box counts 1, a region's
        bounding box (``avoid``) by the share of the legend it would hide, and covering
        other furniture (title, scale bar) is ruled out unless every corner does.
        """
        w, h = self._legend_size(frame, content)
        m = self.margin
        *_, title = self.title_lines(content)
        scale_top = bottom - self.scale_box_height() - 4 * self.u
        candidates = [
            (self.width - m - w, bottom - h),
            (self.width - m - w, m),
            (m, scale_top - h),
            (m, title[1] + title[3] + 4 * self.u),
        ]
        n = len(content.shown)
        mx, my = frame.to_image_many(
            np.fromiter((s.lon for s in content.shown), dtype=np.float64, count=n),
            np.fromiter((s.lat for s in content.shown), dtype=np.float64, count=n),
        )

        def cost(x: float, y: float) -> float:
            box = (x, y, w, h)
            hidden = int(np.count_nonzero((mx >= x) & (mx <= x + w) & (my >= y) & (my <= y + h)))
            regions = sum(_overlap(box, a) for a in avoid) / (w * h)
            covered = sum(_overlap(box, f) for f in furniture) / (w * h)
            return 1000 * covered + hidden + regions

        best = min(candidates, key=lambda c: cost(*c))  # min keeps the first of equals
        return (best[0], best[1], w, h)

    def _paint_legend(
        self,
        p: QPainter,
        frame: MapFrame,
        content: OverlayContent,
        bottom: float,
        layout: OverlayLayout,
        avoid: Sequence[Box] = (),
    ) -> None:
        """What the marks mean: colours (as the page's legend), sizes, outlines."""
        u, pad = self.u, self.pad
        fm_h, fm_b, fm_s = (
            self._fm(self.head_font),
            self._fm(self.body_font),
            self._fm(self.small_font),
        )
        sw, gap = 8 * u, 4 * u
        row_h = max(fm_b.lineSpacing(), sw + 2 * u)
        furniture = [b for b in (layout.title, layout.scale) if b is not None]
        box = self.legend_box(frame, content, bottom, avoid, furniture)
        self._panel(p, box)
        x0, y = box[0] + pad, box[1] + pad
        p.setFont(self.head_font)
        p.setPen(_INK)
        p.drawText(QPointF(x0, y + fm_h.ascent()), content.legend_title)
        y += fm_h.lineSpacing()

        def label(text: str, top: float) -> None:
            p.setFont(self.body_font)
            p.setPen(_INK)
            p.drawText(
                QPointF(x0 + sw + gap, top + (row_h - fm_b.height()) / 2 + fm_b.ascent()), text
            )

        for row in content.legend_rows:
            centre = QPointF(x0 + sw / 2, y + row_h / 2)
            if row.dashed:  # the page's dashed outline for illustrative sites
                pen = QPen(QColor(palette.ILLUSTRATIVE_OUTLINE), max(1.0, 1.1 * u))
                pen.setDashPattern([2.5, 1.8])
                p.setPen(pen)
                p.setBrush(QColor(row.color))
            elif row.ring:  # the page's ring for highlighted sites
                p.setPen(QPen(QColor(row.ring), max(1.0, 1.6 * u)))
                p.setBrush(QColor(row.color))
            else:
                p.setPen(QPen(_WHITE, max(1.0, 0.8 * u)))
                p.setBrush(QColor(row.color))
            p.drawEllipse(centre, sw / 2, sw / 2)
            label(row.text, y)
            y += row_h
        if content.size_samples:
            y += gap
            p.setFont(self.body_font)
            p.setPen(_INK)
            p.drawText(QPointF(x0, y + fm_b.ascent()), palette.LABEL_SIZE_NOTE)
            y += fm_b.lineSpacing()
            cells, biggest = self._size_cells(frame, content)
            x = x0
            for (_chips, radius), cell, text in zip(
                content.size_samples, cells, self._size_labels(content), strict=True
            ):
                r_px = radius * frame.scale  # the marker's own radius, as drawn
                cx = x + cell / 2
                p.setPen(QPen(QColor("#5b6673"), max(1.0, 0.8 * u)))
                p.setBrush(QColor(141, 141, 141, 60))
                p.drawEllipse(QPointF(cx, y + 2 * biggest - r_px), r_px, r_px)
                p.setFont(self.small_font)
                p.setPen(_MUTED)
                p.drawText(
                    QPointF(
                        cx - fm_s.horizontalAdvance(text) / 2,
                        y + 2 * biggest + 2 * u + fm_s.ascent(),
                    ),
                    text,
                )
                x += cell + gap
            y += 2 * biggest + 2 * u + fm_s.lineSpacing()
        if content.region_count:
            y += gap
            style = palette.REGION_STYLE  # as the page draws a region
            color = QColor(style["color"])
            fill = QColor(color)
            fill.setAlphaF(0.15)
            p.setPen(QPen(color, max(1.0, float(style["weight"]) * frame.scale)))
            p.setBrush(fill)
            p.drawRect(QRectF(x0, y + (row_h - sw) / 2, sw, sw))
            label(self._region_text(content), y)
        layout.legend = box


__all__ = ["Box", "Furniture", "OverlayContent", "OverlayLayout"]
