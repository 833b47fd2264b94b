"""The report's fonts: TrueType discovery and registration, and CJK runs in rich text.

All text is real, extractable text. Latin text uses DejaVu Sans (or another TrueType
sans found on the system, else reportlab's bundled Vera), embedded. Characters that font
lacks (Chinese site names) switch to a CJK TrueType font when one is found (``cjk_font``
argument, ``EXPLORER_CJK_FONT``, common system paths, ``fc-list``) and is then embedded;
otherwise to Adobe's ``STSong-Light`` CID font, which needs no file but is not embedded,
so a viewer must supply the glyphs (Acrobat, macOS Preview and browsers do; poppler
needs a Chinese font installed). User text is escaped for reportlab's paragraph mark-up,
so ``<b>x</b> & y`` prints literally.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

#: Environment variable naming a TrueType/TrueType-collection font with Chinese glyphs.
CJK_FONT_ENV = "EXPLORER_CJK_FONT"
#: Adobe CID font used for CJK text when no TrueType CJK font is found (not embedded).
CID_FALLBACK = "STSong-Light"


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


__all__ = ["CID_FALLBACK", "CJK_FONT_ENV", "ReportFonts", "load_fonts", "rich"]
