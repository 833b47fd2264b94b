"""The report's look: A4 page geometry, palette, paragraph styles and the grid table.

Tables are sized to exactly :data:`FRAME_W`, the width the page frame leaves to
flowables, so every table lines up with the text column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from explorer.io.report.fonts import ReportFonts

#: A4 portrait, with the margins below.
PAGE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 18 * mm
#: SimpleDocTemplate's frame pads its content by 6 pt on every side.
FRAME_PAD = 6.0
#: Width and height available to flowables (tables are sized to exactly this width).
FRAME_W = PAGE[0] - 2 * MARGIN_X - 2 * FRAME_PAD
FRAME_H = PAGE[1] - MARGIN_TOP - MARGIN_BOTTOM - 2 * FRAME_PAD
#: The map never takes more than this share of the frame height.
MAP_MAX_H = 0.62 * FRAME_H

# Palette: text, secondary text, rules, table header and zebra rows, caveat box, links.
INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5b6673")
RULE = colors.HexColor("#c9d1da")
HEAD_BG = colors.HexColor("#e9eef3")
ZEBRA = colors.HexColor("#f7f9fb")
CAVEAT_BG = colors.HexColor("#fff5e1")
CAVEAT_EDGE = colors.HexColor("#d69a2d")
LINK = colors.HexColor("#1f5fa8")


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of one report (they name its registered fonts)."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    basis: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    caption: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_right: ParagraphStyle
    cell_right_bold: ParagraphStyle
    head: ParagraphStyle
    head_right: ParagraphStyle
    caveat: ParagraphStyle
    ref: ParagraphStyle
    bullet: ParagraphStyle
    cite: ParagraphStyle


def make_styles(fonts: ReportFonts) -> Styles:
    """Paragraph styles in ``fonts`` (body 9.5 pt, table cells 8.3 pt)."""
    r, b = fonts.regular, fonts.bold
    body = ParagraphStyle("body", fontName=r, fontSize=9.5, leading=13, textColor=INK)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.3, leading=10.4)
    head = ParagraphStyle("head", parent=cell, fontName=b, textColor=INK)
    return Styles(
        title=ParagraphStyle(
            "title", parent=body, fontName=b, fontSize=20, leading=24, spaceAfter=4
        ),
        subtitle=ParagraphStyle("subtitle", parent=body, textColor=MUTED, fontSize=9.5, leading=13),
        basis=ParagraphStyle("basis", parent=body, fontSize=9.5, leading=13, spaceBefore=1),
        h1=ParagraphStyle(
            "h1",
            parent=body,
            fontName=b,
            fontSize=14,
            leading=18,
            spaceBefore=14,
            spaceAfter=2,
            keepWithNext=1,
        ),
        h2=ParagraphStyle(
            "h2",
            parent=body,
            fontName=b,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
        caption=ParagraphStyle(
            "caption", parent=body, fontSize=7.8, leading=10, textColor=MUTED, spaceBefore=3
        ),
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=b),
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        cell_right_bold=ParagraphStyle(
            "cell_right_bold", parent=cell, fontName=b, alignment=TA_RIGHT
        ),
        head=head,
        head_right=ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT),
        caveat=ParagraphStyle("caveat", parent=body, fontSize=9, leading=12.5),
        ref=ParagraphStyle(
            "ref",
            parent=body,
            fontSize=8.5,
            leading=11.5,
            leftIndent=22,
            firstLineIndent=-22,
            spaceAfter=3,
        ),
        bullet=ParagraphStyle(
            "bullet",
            parent=body,
            fontSize=8.8,
            leading=12,
            leftIndent=10,
            bulletIndent=0,
            spaceAfter=3,
        ),
        cite=ParagraphStyle(
            "cite",
            parent=body,
            fontSize=7.8,
            leading=10,
            textColor=MUTED,
            leftIndent=18,
            bulletIndent=8,
            spaceAfter=1.5,
        ),
    )


def grid_table(
    rows: list[list[Any]], widths: Sequence[float], *, right_from: int, bold_last: bool = False
) -> Table:
    """A light grid table with a shaded header row repeated on every page."""
    t = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if right_from < len(widths):
        style.append(("ALIGN", (right_from, 0), (-1, -1), "RIGHT"))
    for i in range(2, len(rows), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
    if bold_last:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 0.9, INK))
    t.setStyle(TableStyle(style))
    return t


__all__ = ["FRAME_H", "FRAME_W", "PAGE", "Styles", "grid_table", "make_styles"]
