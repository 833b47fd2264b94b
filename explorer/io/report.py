"""Region report: a PDF summary of the sites inside one or more regions.

:func:`build_report` writes, in this order: the title, when the report was generated
and the data's as-of date; a caveat when any site in the report is illustrative or
low-confidence; the map snapshot (if given); one section per region (totals table and
site list with citation numbers); a comparison table ending with the union of all
regions (when there are several); the numbered sources; and the assumptions (chip
figures with the catalogue's own citations, power factors, definitions, attribution).

Every figure comes from :func:`explorer.geo.totals.totals` /
:func:`~explorer.geo.totals.union_totals` with the caller's catalogue and factors, so
the report shows exactly what ``explorer totals`` prints for the same inputs.

Number formats (chosen so a reader, or a test extracting the text, sees exact values):

* site and chip counts are exact whole numbers with comma thousands separators,
  never abbreviated: ``116,000``;
* H100-equivalents and megawatts are rounded to one decimal with thousands
  separators, as ``explorer totals`` prints them: ``81,200.0``.

Fonts: all text is real, extractable text. Latin text uses DejaVu Sans (or another
TrueType sans found on the system, else reportlab's bundled Vera), embedded. Characters
that font lacks (Chinese site names) switch to a CJK TrueType font when one is found
(``cjk_font`` argument, ``EXPLORER_CJK_FONT``, common system paths, ``fc-list``) and is
then embedded; otherwise to Adobe's ``STSong-Light`` CID font, which needs no file but is
not embedded, so a viewer must supply the glyphs (Acrobat, macOS Preview and browsers do;
poppler needs a Chinese font installed). User text is escaped for reportlab's paragraph
mark-up, so ``<b>x</b> & y`` prints literally.

No Qt here: the module runs headless (``explorer report``) and in tests.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from explorer.core.checks import list_of
from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue, ChipModel
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site, Source
from explorer.geo.regions import CircleRegion, PolygonRegion, Region
from explorer.geo.totals import PowerFactors, SiteArrays, Totals, totals, union_totals
from explorer.io.atomic import atomic_target

#: Heading of the comparison table's last row (and of its section).
UNION_LABEL = "Union of all regions"
#: Section name used when the report is given no region.
ALL_SITES_LABEL = "All sites"
#: Environment variable naming a TrueType/TrueType-collection font with Chinese glyphs.
CJK_FONT_ENV = "EXPLORER_CJK_FONT"
#: Adobe CID font used for CJK text when no TrueType CJK font is found (not embedded).
CID_FALLBACK = "STSong-Light"

_PAGE = A4
_MARGIN_X = 18 * mm
_MARGIN_TOP = 16 * mm
_MARGIN_BOTTOM = 18 * mm
#: SimpleDocTemplate's frame pads its content by 6 pt on every side.
_FRAME_PAD = 6.0
#: Width and height available to flowables (tables are sized to exactly this width).
_FRAME_W = _PAGE[0] - 2 * _MARGIN_X - 2 * _FRAME_PAD
_FRAME_H = _PAGE[1] - _MARGIN_TOP - _MARGIN_BOTTOM - 2 * _FRAME_PAD
#: The map never takes more than this share of the frame height.
_MAP_MAX_H = 0.62 * _FRAME_H

_INK = colors.HexColor("#1d2733")
_MUTED = colors.HexColor("#5b6673")
_RULE = colors.HexColor("#c9d1da")
_HEAD_BG = colors.HexColor("#e9eef3")
_ZEBRA = colors.HexColor("#f7f9fb")
_CAVEAT_BG = colors.HexColor("#fff5e1")
_CAVEAT_EDGE = colors.HexColor("#d69a2d")
_LINK = colors.HexColor("#1f5fa8")


@dataclass(frozen=True)
class ReportInfo:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The PDF file.
    pages : int
        Number of pages.
    region_names : tuple of str
        Names of the regions reported, in order (empty when the report covers all
        sites because no region was given).
    source_count : int
        Distinct sources listed (distinct by title, URL and date).
    """

    path: Path
    pages: int
    region_names: tuple[str, ...]
    source_count: int


# =========================================================================== fonts

_SANS_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    os.path.expanduser("~/Library/Fonts"),
    os.path.expanduser("~/.local/share/fonts"),
)
_SANS_FILES = (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),)
_WINDOWS_FONTS = os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts")

# TrueType-outline fonts only: reportlab cannot embed CFF/PostScript-outline fonts
# (such as the .otf/.ttc Noto CJK files); those are tried and skipped if found by fc-list.
_CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",
    os.path.join(_WINDOWS_FONTS, "msyh.ttc"),
    os.path.join(_WINDOWS_FONTS, "simhei.ttf"),
    os.path.join(_WINDOWS_FONTS, "simsun.ttc"),
)

# Unicode blocks the STSong-Light CID font (Adobe-GB1, UCS-2 encoding) covers for our
# purpose: CJK punctuation, kana, unified ideographs, compatibility forms, full-width.
_CID_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x30FF),
    (0x3100, 0x31BF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)


@dataclass(frozen=True)
class ReportFonts:
    """Registered reportlab font names and which characters each can draw.

    Attributes
    ----------
    regular, bold : str
        The text face (embedded TrueType).
    cjk : str
        Face for characters the text face lacks (Chinese names).
    cjk_embedded : bool
        False for the ``STSong-Light`` CID fallback, which viewers must supply.
    regular_chars : frozenset of int
        Code points the text face has glyphs for.
    cjk_chars : frozenset of int or None
        Code points the CJK face has; ``None`` for the CID fallback (see
        :data:`_CID_RANGES`).
    """

    regular: str
    bold: str
    cjk: str
    cjk_embedded: bool
    regular_chars: frozenset[int]
    cjk_chars: frozenset[int] | None

    def cjk_has(self, code: int) -> bool:
        """Whether the CJK face can draw code point ``code``."""
        if self.cjk_chars is not None:
            return code in self.cjk_chars
        return any(lo <= code <= hi for lo, hi in _CID_RANGES)


def _register_ttf(path: str, subfont: int = 0) -> tuple[str, frozenset[int]]:
    """Register a TrueType font (once per file) and return its name and coverage."""
    from reportlab.pdfbase.ttfonts import TTFont

    digest = hashlib.sha1(f"{os.path.realpath(path)}#{subfont}".encode()).hexdigest()[:10]
    name = f"XS-{Path(path).stem[:24]}-{digest}".replace(" ", "_")
    try:
        font = pdfmetrics.getFont(name)
    except KeyError:
        font = (
            TTFont(name, path, subfontIndex=subfont)
            if path.lower().endswith(".ttc")
            else TTFont(name, path)
        )
        pdfmetrics.registerFont(font)
    return name, frozenset(font.face.charToGlyph)


def _sans_pair() -> tuple[str, str]:
    """Paths of a regular and a bold TrueType sans font, reportlab's Vera as last resort."""
    for d in _SANS_DIRS:
        for regular, bold in _SANS_FILES:
            r, b = os.path.join(d, regular), os.path.join(d, bold)
            if os.path.isfile(r) and os.path.isfile(b):
                return r, b
    win_r, win_b = (
        os.path.join(_WINDOWS_FONTS, "arial.ttf"),
        os.path.join(_WINDOWS_FONTS, "arialbd.ttf"),
    )
    if os.path.isfile(win_r) and os.path.isfile(win_b):
        return win_r, win_b
    rl_fonts = Path(reportlab.__file__).parent / "fonts"
    return str(rl_fonts / "Vera.ttf"), str(rl_fonts / "VeraBd.ttf")


def _fc_list_cjk() -> list[str]:
    """TrueType files fontconfig says cover Chinese (empty when fc-list is missing)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = sorted({line.strip().rstrip(":") for line in out.splitlines() if line.strip()})
    return [p for p in paths if p.lower().endswith((".ttf", ".ttc"))][:8]


@lru_cache(maxsize=8)
def load_fonts(cjk_font: str | None = None) -> ReportFonts:
    """Find, register and describe the report's fonts (cached per ``cjk_font``).

    Parameters
    ----------
    cjk_font : str, optional
        Path of a TrueType (``.ttf``) or TrueType-collection (``.ttc``) font with
        Chinese glyphs. Tried first; then ``$EXPLORER_CJK_FONT``, common system paths
        and ``fc-list :lang=zh``; then the non-embedded ``STSong-Light`` CID font.

    Returns
    -------
    ReportFonts

    Raises
    ------
    ValueError
        ``cjk_font`` was given but cannot be used as a TrueType font.
    """
    regular_path, bold_path = _sans_pair()
    regular, regular_chars = _register_ttf(regular_path)
    bold, _ = _register_ttf(bold_path)
    pdfmetrics.registerFontFamily(
        regular, normal=regular, bold=bold, italic=regular, boldItalic=bold
    )

    candidates: list[str] = []
    if cjk_font is not None:
        try:
            name, chars = _register_ttf(os.fspath(cjk_font))
        except Exception as exc:  # reportlab raises TTFError, OSError, struct errors...
            raise ValueError(
                f"cjk_font '{cjk_font}' is not a usable TrueType font: {exc}"
            ) from None
        return _with_cjk(regular, bold, regular_chars, name, chars)
    env = os.environ.get(CJK_FONT_ENV, "").strip()
    if env:
        candidates.append(env)
    candidates.extend(p for p in _CJK_CANDIDATES if os.path.isfile(p))
    candidates.extend(_fc_list_cjk())
    seen: set[str] = set()
    for path in candidates:
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        try:
            name, chars = _register_ttf(path)
        except Exception:  # noqa: BLE001 - a CFF-outline or damaged font: try the next
            continue
        if 0x4E2D in chars:  # 中: the font really has Chinese glyphs
            return _with_cjk(regular, bold, regular_chars, name, chars)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    pdfmetrics.registerFontFamily(
        CID_FALLBACK,
        normal=CID_FALLBACK,
        bold=CID_FALLBACK,
        italic=CID_FALLBACK,
        boldItalic=CID_FALLBACK,
    )
    return ReportFonts(regular, bold, CID_FALLBACK, False, regular_chars, None)


def _with_cjk(
    regular: str, bold: str, regular_chars: frozenset[int], cjk: str, cjk_chars: frozenset[int]
) -> ReportFonts:
    # The CJK face has no bold: map every style to it so <b> inside a CJK run still works.
    pdfmetrics.registerFontFamily(cjk, normal=cjk, bold=cjk, italic=cjk, boldItalic=cjk)
    return ReportFonts(regular, bold, cjk, True, regular_chars, cjk_chars)


def rich(text: str, fonts: ReportFonts) -> str:
    """``text`` as reportlab paragraph mark-up: escaped, CJK runs in the CJK font.

    Parameters
    ----------
    text : str
        Plain user text (site names, titles...). Mark-up characters print literally;
        control characters become spaces.
    fonts : ReportFonts

    Returns
    -------
    str
        Mark-up safe to embed in a :class:`~reportlab.platypus.Paragraph`.
    """
    out: list[str] = []
    run: list[str] = []
    run_cjk = False

    def flush() -> None:
        if run:
            chunk = escape("".join(run))
            out.append(f'<font name="{fonts.cjk}">{chunk}</font>' if run_cjk else chunk)
            run.clear()

    for ch in str(text):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            ch, code = " ", 0x20
        use_cjk = code not in fonts.regular_chars and fonts.cjk_has(code)
        if use_cjk != run_cjk:
            flush()
            run_cjk = use_cjk
        run.append(ch)
    flush()
    return "".join(out)


# =========================================================================== formatting


def fmt_int(n: int) -> str:
    """Exact whole number with comma thousands separators: ``116000`` -> ``116,000``."""
    return f"{int(n):,}"


def fmt_dec(x: float) -> str:
    """One decimal with thousands separators, as ``explorer totals`` prints H100e and MW."""
    return f"{x:,.1f}"


def _fmt_num(x: float) -> str:
    """A catalogue figure without trailing zeros: ``989.0`` -> ``989``, ``2.5`` -> ``2.5``."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def _fmt_deg(value: float, pos: str, neg: str) -> str:
    return f"{abs(value):.4g}° {pos if value >= 0 else neg}"


def _fmt_km(metres: float) -> str:
    km = metres / 1000.0
    return f"{km:,.0f}" if abs(km - round(km)) < 1e-9 else f"{km:,.2f}".rstrip("0").rstrip(".")


def describe_region(region: Region) -> str:
    """One line saying what kind of region this is and where (plain text).

    Parameters
    ----------
    region : Region

    Returns
    -------
    str
        E.g. ``"Geodesic circle, radius 200 km, centre 101.78° E, 36.62° N"``.
    """
    if isinstance(region, CircleRegion):
        return (
            f"Geodesic circle, radius {_fmt_km(region.radius_m)} km, centre "
            f"{_fmt_deg(region.lon, 'E', 'W')}, {_fmt_deg(region.lat, 'N', 'S')}"
        )
    w, s, e, n = region.bounds
    box = (
        f"lon {_fmt_deg(w, 'E', 'W')} to {_fmt_deg(e, 'E', 'W')}, "
        f"lat {_fmt_deg(s, 'N', 'S')} to {_fmt_deg(n, 'N', 'S')}"
    )
    if isinstance(region, PolygonRegion) and region.kind == "rectangle":
        return f"Rectangle, {box}"
    return f"Polygon, bounding box {box}"


# =========================================================================== styles


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
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


def _styles(fonts: ReportFonts) -> _Styles:
    r, b = fonts.regular, fonts.bold
    body = ParagraphStyle("body", fontName=r, fontSize=9.5, leading=13, textColor=_INK)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.3, leading=10.4)
    head = ParagraphStyle("head", parent=cell, fontName=b, textColor=_INK)
    return _Styles(
        title=ParagraphStyle(
            "title", parent=body, fontName=b, fontSize=20, leading=24, spaceAfter=4
        ),
        subtitle=ParagraphStyle(
            "subtitle", parent=body, textColor=_MUTED, fontSize=9.5, leading=13
        ),
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
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=_MUTED),
        caption=ParagraphStyle(
            "caption", parent=body, fontSize=7.8, leading=10, textColor=_MUTED, spaceBefore=3
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
            textColor=_MUTED,
            leftIndent=18,
            bulletIndent=8,
            spaceAfter=1.5,
        ),
    )


def _table(
    rows: list[list[Any]], widths: Sequence[float], *, right_from: int, bold_last: bool = False
) -> Table:
    """A light grid table with a shaded header row repeated on every page."""
    t = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, _RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if right_from < len(widths):
        style.append(("ALIGN", (right_from, 0), (-1, -1), "RIGHT"))
    for i in range(2, len(rows), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), _ZEBRA))
    if bold_last:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 0.9, _INK))
    t.setStyle(TableStyle(style))
    return t


# =========================================================================== content


@dataclass(frozen=True)
class _Section:
    """One region section's data."""

    number: int
    region: Region | None
    totals: Totals
    sites: tuple[Site, ...]


class _SourceIndex:
    """Numbers sources by first citation, distinct by (title, url, date)."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str, str], int] = {}
        self.sources: list[Source] = []

    def cite(self, source: Source) -> int:
        key = (source.title, source.url, source.date)
        n = self._numbers.get(key)
        if n is None:
            n = len(self.sources) + 1
            self._numbers[key] = n
            self.sources.append(source)
        return n

    def numbers(self, site: Site) -> list[int]:
        return sorted({self.cite(s) for s in site.sources})


def _site_order(sites: Iterable[Site]) -> tuple[Site, ...]:
    # Biggest first: that is what an analyst scans a region for.
    return tuple(sorted(sites, key=lambda s: (-s.chips, s.name.casefold(), s.id)))


def _totals_table(
    t: Totals, section_sites: Sequence[Site], cat: ChipCatalogue, st: _Styles, fonts: ReportFonts
) -> Table:
    f = t.factors
    ref = _fmt_num(cat[REFERENCE_MODEL].bf16_dense_tflops)
    reporting = sum(1 for s in section_sites if s.power_mw is not None)

    def row(
        label: str, value: str, how: str, *, indent: bool = False, bold: bool = False
    ) -> list[Any]:
        lab = ("&nbsp;&nbsp;&nbsp;&nbsp;" if indent else "") + label
        return [
            Paragraph(lab, st.cell_bold if bold else st.cell),
            Paragraph(value, st.cell_right_bold if bold else st.cell_right),
            Paragraph(how, st.small),
        ]

    rows: list[list[Any]] = [
        [
            Paragraph("Measure", st.head),
            Paragraph("Value", st.head_right),
            Paragraph("How it is computed", st.head),
        ],
        row("Sites", fmt_int(t.site_count), "sites inside the region (boundary counts as inside)"),
        row("Chips", fmt_int(t.chips), "sum of the sites' hardware lines", bold=True),
    ]
    for model, n in t.by_model:
        rows.append(
            row(rich(model, fonts), fmt_int(n), f"chips of model {rich(model, fonts)}", indent=True)
        )
    rows += [
        row(
            "Restricted chips",
            fmt_int(t.restricted_chips),
            "models that need a US export licence for China",
            bold=True,
        ),
        row("H100-equivalents", fmt_dec(t.h100e), f"chips × dense BF16 TFLOP/s ÷ {ref} (H100)"),
        row(
            "IT power, MW (estimate)",
            fmt_dec(t.it_power_mw),
            f"chips × board power × {f.server_overhead:g} server overhead",
        ),
        row(
            "Facility power, MW (estimate)",
            fmt_dec(t.facility_power_mw),
            f"IT power × PUE {f.pue:g}",
        ),
        row(
            "Reported power, MW",
            fmt_dec(t.reported_power_mw) if reporting else "–",
            f"sum of the figures {reporting} of {len(section_sites)} sites give"
            if reporting
            else "no site here gives a power figure",
        ),
    ]
    return _table(rows, (0.33 * _FRAME_W, 0.17 * _FRAME_W, 0.50 * _FRAME_W), right_from=1)


def _sites_table(
    sites: Sequence[Site], index: _SourceIndex, st: _Styles, fonts: ReportFonts
) -> Table:
    head = ["Site", "Province", "Status", "Chips", "Models", "Confidence", "Sources"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if h == "Chips" else st.head) for h in head]
    ]
    for s in sites:
        models = "<br/>".join(
            f"{rich(m, fonts)} × {fmt_int(n)}" for m, n in s.chips_by_model().items()
        )
        nums = [f"[{n}]" for n in index.numbers(s)]
        # Groups of four keep "[1][3]" compact yet let a long list wrap between groups.
        cites = " ".join("".join(nums[i : i + 4]) for i in range(0, len(nums), 4))
        rows.append(
            [
                Paragraph(rich(s.name, fonts), st.cell),
                Paragraph(rich(s.province, fonts), st.cell),
                Paragraph(rich(s.status, fonts), st.cell),
                Paragraph(fmt_int(s.chips), st.cell_right),
                Paragraph(models or "–", st.cell),
                Paragraph(rich(s.confidence, fonts), st.cell),
                Paragraph(cites or "–", st.cell),
            ]
        )
    w = _FRAME_W
    widths = (0.32 * w, 0.105 * w, 0.09 * w, 0.09 * w, 0.155 * w, 0.13 * w, 0.11 * w)
    return _table(rows, widths, right_from=len(widths))


def _comparison_table(
    sections: Sequence[_Section], union: Totals, st: _Styles, fonts: ReportFonts
) -> Table:
    head = ["Region", "Sites", "Chips", "Restricted", "H100e", "IT MW", "Facility MW"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head if i == 0 else st.head_right) for i, h in enumerate(head)]
    ]

    def values(t: Totals) -> list[str]:
        return [
            fmt_int(t.site_count),
            fmt_int(t.chips),
            fmt_int(t.restricted_chips),
            fmt_dec(t.h100e),
            fmt_dec(t.it_power_mw),
            fmt_dec(t.facility_power_mw),
        ]

    for sec in sections:
        rows.append(
            [Paragraph(f"{sec.number}. {rich(sec.totals.region, fonts)}", st.cell)]
            + [Paragraph(v, st.cell_right) for v in values(sec.totals)]
        )
    rows.append(
        [Paragraph(UNION_LABEL, st.cell_bold)]
        + [Paragraph(v, st.cell_right_bold) for v in values(union)]
    )
    w = _FRAME_W
    widths = (0.31 * w, 0.08 * w, 0.12 * w, 0.12 * w, 0.12 * w, 0.11 * w, 0.14 * w)
    return _table(rows, widths, right_from=1, bold_last=True)


def _caveat(
    report_sites: Sequence[Site], metadata: Mapping[str, Any], st: _Styles
) -> Flowable | None:
    n = len(report_sites)
    ill = sum(1 for s in report_sites if s.is_illustrative)
    low = sum(1 for s in report_sites if s.confidence == "low")
    if not (ill or low):
        return None
    parts = []
    if ill:
        parts.append(
            f"{fmt_int(ill)} of the {fmt_int(n)} sites in this report are <b>illustrative</b>"
        )
    if low:
        lead = "and " if ill else ""
        verb = "has" if low == 1 else "have"
        of_all = "" if ill else f" of the {fmt_int(n)} sites"
        parts.append(f"{lead}{fmt_int(low)}{of_all} {verb} <b>low confidence</b>")
    text = "<b>Caveat.</b> " + " ".join(parts) + "."
    if ill:
        text += (
            " Illustrative figures are not reported facts: they were made up for a scenario, and"
            " totals that include them describe that scenario, not real projects."
        )
    if low:
        text += " Low-confidence figures rest on weak or indirect sources; check them before use."
    if metadata.get("scenario") == "illustrative":
        text += " The data set describes itself as an illustrative scenario."
    box = Table([[Paragraph(text, st.caveat)]], colWidths=[_FRAME_W])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _CAVEAT_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 3, _CAVEAT_EDGE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return box


def _map_flowables(map_png: bytes, st: _Styles) -> list[Flowable]:
    try:
        w_px, h_px = ImageReader(io.BytesIO(map_png)).getSize()
    except Exception as exc:  # PIL raises several types for bad data
        raise ValueError(f"map_png is not a readable image ({type(exc).__name__}: {exc})") from None
    if w_px <= 0 or h_px <= 0:
        raise ValueError(f"map_png has no pixels, got {w_px}x{h_px}")
    border = 0.6
    width = _FRAME_W - 2 * border
    height = width * h_px / w_px
    if height > _MAP_MAX_H:  # a tall snapshot: keep the aspect, shrink to fit
        width, height = width * _MAP_MAX_H / height, _MAP_MAX_H
    img = Image(io.BytesIO(map_png), width=width, height=height)
    framed = Table([[img]], colWidths=[width + 2 * border], hAlign="CENTER")
    framed.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), border, _RULE),
                *[
                    (k, (0, 0), (-1, -1), 0)
                    for k in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")
                ],
            ]
        )
    )
    caption = Paragraph(
        "Map snapshot from Compute Site Explorer. Basemap: Natural Earth (public domain). "
        "Town data © GeoNames (geonames.org), CC BY 4.0. Province boundaries are approximate.",
        st.caption,
    )
    return [Spacer(1, 8), framed, caption]


_CITATION = re.compile(r"\s*(?P<title>.+?)\s+\|\s+(?P<url>\S+)\s*(?:;|$)")


def _split_citations(text: str) -> list[tuple[str, str]]:
    """``"Title | URL; Title | URL"`` (the chips.csv form) -> ``[(title, url), ...]``.

    Titles may themselves contain ``"; "``, so entries are found as "text up to
    ``" | "``, then a space-free URL", not by splitting on the separator.
    """
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _CITATION.match(text, pos)
        if m is None:  # no "| URL" left: the rest is one title without a URL
            rest = text[pos:].strip().strip(";").strip()
            if rest:
                out.append((rest, ""))
            break
        out.append((m["title"].strip(), m["url"].strip()))
        pos = m.end()
    return out


def _link(url: str, fonts: ReportFonts) -> str:
    if url.startswith(("http://", "https://")):
        href = escape(url, {'"': "&quot;"})
        return f'<a href="{href}" color="{_LINK.hexval()}">{rich(url, fonts)}</a>'
    return rich(url, fonts)


def _catalogue_flowables(
    models: Sequence[ChipModel], st: _Styles, fonts: ReportFonts
) -> list[Flowable]:
    head = [
        "Model",
        "Vendor",
        "BF16 TFLOP/s (dense)",
        "Board power (W)",
        "US licence",
        "Since",
        "Rule",
    ]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if 2 <= i <= 3 else st.head) for i, h in enumerate(head)]
    ]
    for m in models:
        rows.append(
            [
                Paragraph(rich(m.model, fonts), st.cell_bold),
                Paragraph(rich(m.vendor, fonts), st.cell),
                Paragraph(_fmt_num(m.bf16_dense_tflops), st.cell_right),
                Paragraph(_fmt_num(m.board_power_w), st.cell_right),
                Paragraph("yes" if m.restricted else "no", st.cell),
                Paragraph(rich(m.licence_required_since or "–", fonts), st.cell),
                Paragraph(rich(m.rule or "–", fonts), st.small),
            ]
        )
    w = _FRAME_W
    widths = (0.145 * w, 0.10 * w, 0.10 * w, 0.09 * w, 0.09 * w, 0.12 * w, 0.355 * w)
    out: list[Flowable] = [
        _table(rows, widths, right_from=len(widths)),
        Spacer(1, 6),
        Paragraph("Catalogue sources, as the catalogue cites them:", st.body),
        Spacer(1, 2),
    ]
    for m in models:
        roles: dict[tuple[str, str], list[str]] = {}
        for role, text in (
            ("performance", m.source_perf),
            ("power", m.source_power),
            ("export status", m.source_export),
        ):
            for cit in _split_citations(text):
                roles.setdefault(cit, []).append(role)
        block: list[Flowable] = [Paragraph(f"<b>{rich(m.model, fonts)}</b>", st.cell)]
        for (title, url), r in roles.items():
            link = f" {_link(url, fonts)}" if url else ""
            block.append(
                Paragraph(
                    f"{rich(title, fonts)}.{link} <i>({', '.join(r)})</i>", st.cite, bulletText="–"
                )
            )
        if not roles:
            block.append(Paragraph("No source given.", st.cite, bulletText="–"))
        if m.notes:
            block.append(Paragraph(f"Note: {rich(m.notes, fonts)}", st.cite, bulletText="–"))
        block.append(Spacer(1, 4))
        out.append(KeepTogether(block))
    return out


def _assumption_bullets(cat: ChipCatalogue, factors: PowerFactors, st: _Styles) -> list[Flowable]:
    ref = _fmt_num(cat[REFERENCE_MODEL].bf16_dense_tflops)
    f = factors
    items = [
        f"<b>H100-equivalents (H100e)</b> = chips × the model's dense BF16 TFLOP/s ÷ {ref}, the "
        f"{REFERENCE_MODEL}'s dense BF16 TFLOP/s (SXM board, no sparsity). It compares throughput "
        "only; memory, interconnect and software are ignored.",
        "<b>Restricted chips</b> are chips of models whose export from the US (or under US "
        "jurisdiction) to China needs a US licence, per the catalogue's 'US licence for China' "
        "column. Chinese-made chips (Huawei Ascend) need no US export licence and are not counted "
        "as restricted.",
        "<b>IT power</b> (estimate) = chips × board power × server overhead "
        f"<b>{f.server_overhead:g}</b>: "
        "the whole-server power per watt of accelerator board power (host CPUs, memory, network, "
        "fans). The default 1.8 follows Nvidia's DGX H100 (10.2 kW maximum for 8 × 700 W GPUs).",
        f"<b>Facility power</b> (estimate) = IT power × PUE <b>{f.pue:g}</b>. PUE (power usage "
        "effectiveness) is facility power ÷ IT power: cooling, power conversion and other "
        "building loads. The default 1.25 is an assumption (China's target for new large data "
        "centres in the western computing hubs); real sites may be better or worse.",
        "<b>Reported power</b> is the sum of the power figures the site records give; sites "
        "without one are left out, so it is not comparable with the estimates.",
        "<b>Region membership</b>: a site on a region's boundary counts as inside. Polygons and "
        "rectangles have straight edges in longitude/latitude; circles are geodesic on the "
        "WGS84 ellipsoid. The union counts each site once, even where regions overlap. All "
        "figures equal what <i>explorer totals</i> prints for the same sites, regions, "
        "catalogue and factors.",
        "<b>Number formats</b>: site and chip counts are exact whole numbers with comma "
        "thousands separators (116,000 means one hundred and sixteen thousand); H100e and "
        "MW are rounded to one decimal.",
        "<b>Provinces</b>: province names come from the site records. Province boundaries on "
        "the map (Natural Earth 1:10m admin-1 lines) are approximate and can be tens of "
        "kilometres off; use them for orientation, not for legal attribution of a site to a "
        "province.",
        "<b>Map data</b>: Natural Earth (naturalearthdata.com, public domain). Town data © "
        "GeoNames (geonames.org), CC BY 4.0.",
    ]
    return [Paragraph(t, st.bullet, bulletText="•") for t in items]


def _front_matter(
    title: str,
    stamp: str,
    metadata: Mapping[str, Any],
    sections: Sequence[_Section],
    report_sites: Sequence[Site],
    n_sites: int,
    st: _Styles,
    fonts: ReportFonts,
) -> list[Flowable]:
    """Title, dates, data set, coverage line and (when needed) the caveat box."""
    out: list[Flowable] = [_outlined(Paragraph(rich(title, fonts), st.title), title, 0)]
    lines = [f"Generated {rich(stamp, fonts)}"]
    as_of = metadata.get("as_of")
    if as_of not in (None, ""):
        lines.append(f"Data as of {rich(str(as_of), fonts)}")
    out.append(Paragraph(" · ".join(lines), st.subtitle))
    data_title = metadata.get("title")
    if isinstance(data_title, str) and data_title.strip():
        out.append(Paragraph(f"Data set: {rich(data_title, fonts)}", st.subtitle))
    names = ", ".join(rich(s.totals.region, fonts) for s in sections)
    out.append(
        Paragraph(
            f"{fmt_int(len(report_sites))} of {fmt_int(n_sites)} sites lie in the "
            f"{'region' if len(sections) == 1 else 'regions'} reported here ({names}).",
            st.subtitle,
        )
    )
    out.append(Spacer(1, 8))
    caveat = _caveat(report_sites, metadata, st)
    if caveat is not None:
        out.append(caveat)
    return out


def _region_flowables(
    sec: _Section,
    *,
    numbered: bool,
    cat: ChipCatalogue,
    index: _SourceIndex,
    st: _Styles,
    fonts: ReportFonts,
) -> list[Flowable]:
    """Heading, kind line and totals table (kept together), then the site list."""
    label = f"{sec.number}. {sec.totals.region}" if numbered else sec.totals.region
    kind = describe_region(sec.region) if sec.region is not None else "Every site in the data set"
    out: list[Flowable] = [
        KeepTogether(
            [
                _outlined(Paragraph(rich(label, fonts), st.h1), label, 0),
                Paragraph(rich(kind, fonts), st.small),
                Spacer(1, 5),
                _totals_table(sec.totals, sec.sites, cat, st, fonts),
            ]
        ),
        Paragraph(f"Sites inside ({fmt_int(len(sec.sites))})", st.h2),
    ]
    if sec.sites:
        out.append(_sites_table(sec.sites, index, st, fonts))
    else:
        out.append(Paragraph("No site lies inside this region.", st.body))
    return out


def _union_flowable(
    sections: Sequence[_Section], union: Totals, st: _Styles, fonts: ReportFonts
) -> Flowable:
    """The comparison table whose last row is the union of all regions."""
    seen = Counter(k for sec in sections for k in sec.totals.site_ids)
    shared = sum(1 for c in seen.values() if c > 1)
    note = "Each site is counted once, even where regions overlap"
    if shared:
        lie = "site lies" if shared == 1 else "sites lie"
        note += f" ({fmt_int(shared)} {lie} in more than one region)"
    by_model = "; ".join(f"{rich(m, fonts)} {fmt_int(n)}" for m, n in union.by_model) or "none"
    return KeepTogether(
        [
            _outlined(Paragraph(UNION_LABEL, st.h1), UNION_LABEL, 0),
            Paragraph(note + ".", st.small),
            Spacer(1, 5),
            _comparison_table(sections, union, st, fonts),
            Spacer(1, 4),
            Paragraph(f"Union chips by model: {by_model}.", st.small),
        ]
    )


def _sources_flowables(index: _SourceIndex, st: _Styles, fonts: ReportFonts) -> list[Flowable]:
    """The numbered source list, in order of first citation."""
    out: list[Flowable] = [_outlined(Paragraph("Sources", st.h1), "Sources", 0)]
    if not index.sources:
        out.append(Paragraph("No site in this report cites a source.", st.body))
    for n, src in enumerate(index.sources, start=1):
        parts = [f"<b>[{n}]</b>&nbsp;&nbsp;{rich(src.title, fonts)}."]
        parts.append(f"{_link(src.url, fonts)}." if src.url else "No URL given.")
        if src.date:
            parts.append(f"{rich(src.date, fonts)}.")
        out.append(Paragraph(" ".join(parts), st.ref))
    return out


def _assumptions_flowables(
    union: Totals, cat: ChipCatalogue, factors: PowerFactors, st: _Styles, fonts: ReportFonts
) -> list[Flowable]:
    """Chip figures for the models present, then factors, definitions, attribution."""
    out: list[Flowable] = [_outlined(Paragraph("Assumptions", st.h1), "Assumptions", 0)]
    present = [cat[m] for m, _ in union.by_model]
    if present:
        lead = "Chip figures used for the models in this report, from the chip catalogue:"
        out += [Paragraph(lead, st.body), Spacer(1, 4), *_catalogue_flowables(present, st, fonts)]
    else:
        lead = "No chips lie in the reported regions, so no chip figures were used."
        out.append(Paragraph(lead, st.body))
    out.append(Spacer(1, 4))
    out.extend(_assumption_bullets(cat, factors, st))
    return out


# =========================================================================== document


class _Doc(SimpleDocTemplate):
    """Adds a PDF outline entry for every paragraph tagged with ``_outline``."""

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab hook name
        entry = getattr(flowable, "_outline", None)
        if entry is not None:
            title, level = entry
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(title, key, level=level, closed=False)


#: Name of the PDF form XObject holding the page count, defined once all pages exist.
_PAGE_COUNT_FORM = "explorerPageCount"
#: Room kept at the right of the footer for the page count (up to four digits).
_COUNT_ROOM = 20.0


def _footer(canvas: Canvas, page: int, fonts: ReportFonts, stamp: str) -> None:
    """Draw the footer rule, the generator line and ``Page n of N``.

    ``N`` is not known while pages are drawn; it is a form XObject that every page
    references and :class:`_NumberedCanvas` defines when the document is saved (PDF
    allows the forward reference), so pages are emitted in order and links and
    outline entries point at the right page.
    """
    canvas.saveState()
    y = _MARGIN_BOTTOM - 9 * mm
    left = _MARGIN_X + _FRAME_PAD  # aligned with the text column
    right = _PAGE[0] - left
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, y + 10, right, y + 10)
    canvas.setFont(fonts.regular, 7.5)
    canvas.setFillColor(_MUTED)
    canvas.drawString(left, y, f"Compute Site Explorer · region report · generated {stamp}")
    canvas.drawRightString(right - _COUNT_ROOM, y, f"Page {page} of")
    canvas.translate(right - _COUNT_ROOM + canvas.stringWidth(" ", fonts.regular, 7.5), y)
    canvas.doForm(_PAGE_COUNT_FORM)
    canvas.restoreState()


def _canvas_class(fonts: ReportFonts, stamp: str, pages_out: list[int]) -> type[Canvas]:
    """A canvas that draws the footer on every page and the page count at the end."""

    class _NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Start in our embedded font so the PDF does not reference Helvetica.
            kwargs.setdefault("initialFontName", fonts.regular)
            super().__init__(*args, **kwargs)

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            _footer(self, self.getPageNumber(), fonts, stamp)
            super().showPage()

        def save(self) -> None:
            total = self.getPageNumber() - 1
            self.beginForm(_PAGE_COUNT_FORM)
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(_MUTED)
            self.drawString(0, 0, str(total))
            self.endForm()
            pages_out.append(total)
            super().save()

    return _NumberedCanvas


def _outlined(p: Paragraph, title: str, level: int) -> Paragraph:
    p._outline = (title, level)  # type: ignore[attr-defined]
    return p


def _check_inputs(
    sites: Any, regions: Any, map_png: Any, title: Any, metadata: Any
) -> tuple[list[Site], list[Region]]:
    sites = list_of(sites, Site, "sites")
    seen: set[str] = set()
    for s in sites:
        if s.id in seen:
            raise ValueError(f"duplicate site id '{s.id}': each site must be counted once")
        seen.add(s.id)
    regions = list_of(regions, Region, "regions")
    if map_png is not None and not isinstance(map_png, bytes | bytearray | memoryview):
        raise TypeError(f"map_png must be PNG bytes or None, got {type(map_png).__name__}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"title must be non-empty text, got {title!r}")
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    return sites, regions


def build_report(
    path: str | os.PathLike[str],
    *,
    sites: Sequence[Site],
    regions: Sequence[Region],
    map_png: bytes | None,
    title: str,
    metadata: Mapping[str, Any],
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    generated_at: str | None = None,
    cjk_font: str | os.PathLike[str] | None = None,
) -> ReportInfo:
    """Write a PDF report of the sites inside ``regions`` to ``path``, atomically.

    Parameters
    ----------
    path : path-like
        The PDF to create or replace. It is written to a temporary file next to it
        and moved into place only when complete: on any failure an existing file is
        left untouched.
    sites : sequence of Site
        All sites; each region section lists those inside it. Ids must be unique.
    regions : sequence of Region
        One section each, in this order, then the union when there are several. With
        no region the report covers every site in one "All sites" section.
    map_png : bytes or None
        A map snapshot (PNG, or any format Pillow reads), scaled to the page width
        with its aspect ratio kept (and shrunk if it would be taller than about
        60 % of the page).
    title : str
        Report title (printed literally, mark-up characters included).
    metadata : mapping
        The sites file's metadata. ``as_of`` (data as-of date), ``title`` (data set
        name) and ``scenario`` are shown when present.
    catalogue : ChipCatalogue, optional
        Chip figures (default: the bundled catalogue), as for
        :func:`explorer.geo.totals.totals`.
    factors : PowerFactors
        Server overhead and PUE for the power estimates.
    generated_at : str, optional
        Text for the "Generated" line and footer (default: now, UTC).
    cjk_font : path-like, optional
        TrueType font with Chinese glyphs to embed; see :func:`load_fonts`.

    Returns
    -------
    ReportInfo

    Raises
    ------
    TypeError
        ``sites``, ``regions``, ``map_png`` or ``metadata`` has the wrong type.
    ValueError
        Empty title, duplicate site ids, a chip model the catalogue lacks, an
        unreadable ``map_png`` or an unusable ``cjk_font``.
    OSError
        The file cannot be written.
    """
    sites, regions = _check_inputs(sites, regions, map_png, title, metadata)
    cat = catalogue if catalogue is not None else ChipCatalogue.bundled()
    fonts = load_fonts(None if cjk_font is None else os.fspath(cjk_font))
    st = _styles(fonts)
    stamp = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    # ---- figures: one snapshot, the same functions `explorer totals` uses
    arrays = SiteArrays.from_sites(sites, cat)
    by_id = {s.id: s for s in sites}
    sections: list[_Section] = []
    if regions:
        for i, r in enumerate(regions, start=1):
            t = totals(arrays, r, catalogue=cat, factors=factors)
            sections.append(_Section(i, r, t, _site_order(by_id[k] for k in t.site_ids)))
    else:
        t = totals(arrays, None, catalogue=cat, factors=factors, name=ALL_SITES_LABEL)
        sections.append(_Section(1, None, t, _site_order(sites)))
    union = (
        union_totals(arrays, regions, UNION_LABEL, catalogue=cat, factors=factors)
        if regions
        else sections[0].totals
    )
    report_sites = [by_id[k] for k in union.site_ids]
    index = _SourceIndex()

    story = [
        *_front_matter(title, stamp, metadata, sections, report_sites, len(sites), st, fonts),
        *(_map_flowables(bytes(map_png), st) if map_png is not None else []),
    ]
    for sec in sections:
        story.extend(
            _region_flowables(sec, numbered=bool(regions), cat=cat, index=index, st=st, fonts=fonts)
        )
    if len(regions) > 1:
        story.append(_union_flowable(sections, union, st, fonts))
    story.extend(_sources_flowables(index, st, fonts))
    story.extend(_assumptions_flowables(union, cat, factors, st, fonts))

    # ---- write
    pages: list[int] = []
    with atomic_target(path) as tmp:
        doc = _Doc(
            str(tmp),
            pagesize=_PAGE,
            leftMargin=_MARGIN_X,
            rightMargin=_MARGIN_X,
            topMargin=_MARGIN_TOP,
            bottomMargin=_MARGIN_BOTTOM,
            title=title,
            author="Compute Site Explorer",
            subject="Region report: " + ", ".join(s.totals.region for s in sections),
            creator="Compute Site Explorer",
        )
        doc.build(story, canvasmaker=_canvas_class(fonts, stamp, pages))
    return ReportInfo(
        path=Path(path),
        pages=pages[-1] if pages else 0,
        region_names=tuple(r.name for r in regions),
        source_count=len(index.sources),
    )


# =========================================================================== command


def report_command(
    sites_path: str | os.PathLike[str],
    regions_path: str | os.PathLike[str] | None,
    out_path: str | os.PathLike[str],
    title: str | None = None,
    map_png: str | os.PathLike[str] | bytes | None = None,
) -> ReportInfo:
    """Read a sites file and a regions file and write the PDF report (for the CLI).

    Parameters
    ----------
    sites_path : path-like
        ``.geojson``, ``.json``, ``.csv`` or ``.gpkg`` project.
    regions_path : path-like or None
        GeoJSON regions (as ``explorer totals --regions`` reads). ``None`` uses the
        regions saved in a ``.gpkg`` project, or covers all sites when there are none.
    out_path : path-like
        The PDF to write (atomically).
    title : str, optional
        Default: ``"Region report"`` followed by the data set's title when it has one.
    map_png : path-like or bytes, optional
        A map snapshot image file (or its bytes).

    Returns
    -------
    ReportInfo

    Raises
    ------
    DataFileError
        One line naming the bad input: unreadable or invalid sites, regions or map
        file, or an output folder that does not exist.
    """
    from explorer.geo.regions import region_from_feature
    from explorer.io.formats import read_sites
    from explorer.io.region_files import load_regions

    try:
        site_file = read_sites(sites_path)
    except ValidationError as exc:
        n = len(exc.problems)
        raise DataFileError(
            f"{sites_path}: {n} invalid record{'s' if n != 1 else ''}; first: {exc.problems[0]}"
        ) from None
    regions: list[Region]
    if regions_path is not None:
        regions = load_regions(regions_path)
    elif Path(sites_path).suffix.lower() == ".gpkg":
        from explorer.io.project import load_project

        feats = load_project(sites_path).regions
        try:
            regions = [region_from_feature(f, i) for i, f in enumerate(feats)]
        except ValueError as exc:
            raise DataFileError(f"{sites_path}: regions: {exc}") from None
    else:
        regions = []
    png: bytes | None
    if map_png is None or isinstance(map_png, bytes):
        png = map_png
    else:
        try:
            png = Path(map_png).read_bytes()
        except OSError as exc:
            raise DataFileError(
                f"{map_png}: cannot read map image ({exc.strerror or exc})"
            ) from None
    out = Path(out_path)
    if not out.parent.is_dir():
        raise DataFileError(f"{out_path}: output folder '{out.parent}' does not exist")
    meta = site_file.metadata
    if title is None:
        data_title = meta.get("title")
        title = (
            f"Region report: {data_title}"
            if isinstance(data_title, str) and data_title.strip()
            else "Region report"
        )
    try:
        return build_report(
            out, sites=site_file.sites, regions=regions, map_png=png, title=title, metadata=meta
        )
    except ValueError as exc:
        if isinstance(exc, DataFileError):
            raise
        where = (
            map_png
            if isinstance(map_png, str | os.PathLike) and "map_png" in str(exc)
            else sites_path
        )
        raise DataFileError(f"{where}: {exc}") from None


__all__ = [
    "ALL_SITES_LABEL",
    "UNION_LABEL",
    "ReportFonts",
    "ReportInfo",
    "build_report",
    "describe_region",
    "fmt_dec",
    "fmt_int",
    "load_fonts",
    "report_command",
    "rich",
]
