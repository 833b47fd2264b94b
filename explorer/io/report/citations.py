"""Citations: the report's numbered source list, the catalogue's citation strings, links.

Sites cite :class:`~explorer.core.schema.Source` records; the report numbers them by
first citation (:class:`SourceIndex`). The chip catalogue cites its figures as
``"Title | URL; Title | URL"`` text (:func:`split_citations`). URLs become links only
for ``http``/``https`` (:func:`link`).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from explorer.core.schema import Site, Source
from explorer.io.report.fonts import ReportFonts, rich
from explorer.io.report.styles import LINK


class SourceIndex:
    """Numbers sources by first citation, distinct by (title, url, date)."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str, str], int] = {}
        self.sources: list[Source] = []

    def cite(self, source: Source) -> int:
        """The number of ``source``, numbering it now if it is new."""
        key = (source.title, source.url, source.date)
        n = self._numbers.get(key)
        if n is None:
            n = len(self.sources) + 1
            self._numbers[key] = n
            self.sources.append(source)
        return n

    def numbers(self, site: Site) -> list[int]:
        """The numbers of every source ``site`` cites, ascending."""
        return sorted({self.cite(s) for s in site.sources})


_CITATION = re.compile(r"\s*(?P<title>.+?)\s+\|\s+(?P<url>\S+)\s*(?:;|$)")


def split_citations(text: str) -> list[tuple[str, str]]:
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


def link(url: str, fonts: ReportFonts) -> str:
    """``url`` as mark-up: a coloured link for http(s), plain (escaped) text otherwise."""
    if url.startswith(("http://", "https://")):
        href = escape(url, {'"': "&quot;"})
        return f'<a href="{href}" color="{LINK.hexval()}">{rich(url, fonts)}</a>'
    return rich(url, fonts)


__all__ = ["SourceIndex", "link", "split_citations"]
