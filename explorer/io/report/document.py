"""The PDF document: input checks, the figures, the story of sections, the page template
with its outline and footer, and the atomic write (:func:`build_report`).

Every figure comes from :func:`explorer.geo.totals.totals` /
:func:`~explorer.geo.totals.union_totals` with the caller's catalogue and factors, so
the report shows exactly what ``explorer totals`` prints for the same inputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from explorer.core.checks import list_of
from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.regions import Region
from explorer.geo.timeline import timeline
from explorer.geo.totals import PowerFactors, SiteArrays, totals, union_totals
from explorer.io.atomic import atomic_target
from explorer.io.report.citations import SourceIndex
from explorer.io.report.fonts import ReportFonts, load_fonts
from explorer.io.report.sections import (
    ALL_SITES_LABEL,
    UNION_LABEL,
    Dating,
    Section,
    assumptions_flowables,
    front_matter,
    map_flowables,
    region_flowables,
    site_order,
    sources_flowables,
    union_flowable,
)
from explorer.io.report.styles import (
    FRAME_PAD,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE,
    RULE,
    make_styles,
)
from explorer.io.report.timeline_chart import chart_dates

#: Title when the caller gives none and the data set has no title.
DEFAULT_TITLE = "Region report"
#: Longest title accepted (as for a map snapshot): a title is one heading, not a document.
MAX_TITLE = 300
#: Most regions one report covers. Each has its own section (totals, chart, sites), so
#: 100 regions already make a report of 100-odd pages; a table of more regions is what
#: ``explorer totals --regions`` (or its --json) is for.
MAX_REPORT_REGIONS = 100


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


def default_title(metadata: Mapping[str, Any]) -> str:
    """``"Region report: <data set title>"``, or ``"Region report"`` without a title.

    Parameters
    ----------
    metadata : mapping
        The sites file's or project's metadata; its ``title`` is used when it is
        non-blank text.
    """
    data_title = metadata.get("title")
    if isinstance(data_title, str) and data_title.strip():
        return f"{DEFAULT_TITLE}: {data_title}"
    return DEFAULT_TITLE


def check_report_request(*, title: Any, region_count: int) -> None:
    """Refuse, before any work, a report that cannot or should not be made.

    Callers that render a map first (the CLI, the export dialog) call this before
    rendering; :func:`build_report` calls it again.

    Raises
    ------
    ValueError
        A title that is not text, blank or longer than :data:`MAX_TITLE`; more regions
        than :data:`MAX_REPORT_REGIONS`. One line quoting the value.
    """
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"title must be non-empty text, got {title!r}")
    if len(title) > MAX_TITLE:
        raise ValueError(
            f"report title is longer than {MAX_TITLE} characters ({len(title):,}), "
            f"got '{title[:40]}...'"
        )
    if region_count > MAX_REPORT_REGIONS:
        raise ValueError(
            f"a report covers at most {MAX_REPORT_REGIONS} regions (one section each), got "
            f"{region_count:,}; report a selection of them, or list their totals with "
            "'explorer totals --regions'"
        )


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
    check_report_request(title=title, region_count=len(regions))
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
    as_of: date | None = None,
    today: date | None = None,
    timeline_charts: bool = True,
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
    as_of : datetime.date, optional
        Count only hardware lines online by this date, with the export rules in force
        then (as ``explorer totals --as-of``). None: the planned build-out (every line
        not cancelled) with the rules of ``today``. Stated on the first page.
    today : datetime.date, optional
        The date whose rules an undated report uses (default: the real today).
    timeline_charts : bool
        Draw each section's capacity-over-time chart (when any line has an online date).

    Returns
    -------
    ReportInfo

    Raises
    ------
    TypeError
        ``sites``, ``regions``, ``map_png``, ``metadata`` or ``as_of`` has the wrong type.
    ValueError
        Empty or over-long title, more than :data:`MAX_REPORT_REGIONS` regions,
        duplicate site ids, a chip model the catalogue lacks, an unreadable ``map_png``
        or an unusable ``cjk_font``.
    OSError
        The file cannot be written.
    """
    sites, regions = _check_inputs(sites, regions, map_png, title, metadata)
    cat = catalogue if catalogue is not None else ChipCatalogue.bundled()
    fonts = load_fonts(None if cjk_font is None else os.fspath(cjk_font))
    st = make_styles(fonts)
    stamp = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    if as_of is not None and not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date or None, got {type(as_of).__name__}")
    rules_day = as_of if as_of is not None else (today or date.today())

    # ---- figures: one snapshot, the same functions `explorer totals` uses
    site_list = list(sites)
    ledger = CapacityLedger(site_list, cat.names)  # one, for the figures and the series
    arrays = SiteArrays.from_ledger(site_list, ledger, cat, as_of=as_of)
    by_id = {s.id: s for s in sites}
    sections: list[Section] = []
    kw: dict[str, Any] = {"catalogue": cat, "factors": factors, "today": rules_day}
    if regions:
        for i, r in enumerate(regions, start=1):
            t = totals(arrays, r, **kw)
            sections.append(Section(i, r, t, site_order(by_id[k] for k in t.site_ids)))
    else:
        t = totals(arrays, None, name=ALL_SITES_LABEL, **kw)
        sections.append(Section(1, None, t, site_order(sites)))
    union = union_totals(arrays, regions, UNION_LABEL, **kw) if regions else sections[0].totals
    report_sites = [by_id[k] for k in union.site_ids]
    dating = Dating(as_of, rules_day)
    if timeline_charts:
        sections, dating = _with_series(sections, sites, regions, cat, factors, dating, ledger)
    index = SourceIndex()
    counted = _counted_chips(arrays)
    models = [
        m for m in cat.names if any(h.chip_model == m for s in report_sites for h in s.hardware)
    ]

    story = [
        *front_matter(
            title, stamp, metadata, sections, report_sites, len(sites), dating, st, fonts
        ),
        *(map_flowables(bytes(map_png), st) if map_png is not None else []),
    ]
    for sec in sections:
        story.extend(
            region_flowables(
                sec,
                numbered=bool(regions),
                cat=cat,
                counted=counted,
                dating=dating,
                index=index,
                st=st,
                fonts=fonts,
            )
        )
    if len(regions) > 1:
        story.append(union_flowable(sections, union, st, fonts))
    story.extend(sources_flowables(index, st, fonts))
    story.extend(assumptions_flowables(models, cat, factors, dating, st, fonts))

    # ---- write
    pages: list[int] = []
    with atomic_target(path) as tmp:
        doc = _Doc(
            str(tmp),
            pagesize=PAGE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
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


def _counted_chips(arrays: SiteArrays) -> dict[str, int]:
    """Each site's central contribution to the totals (0 for a superseded record)."""
    per_site = np.asarray(arrays.chips.sum(axis=1), dtype=np.int64)
    if arrays.counted is not None:
        per_site = np.where(arrays.counted, per_site, 0)
    return dict(zip(arrays.ids.tolist(), per_site.tolist(), strict=True))


def _with_series(
    sections: list[Section],
    sites: Sequence[Site],
    regions: Sequence[Region],
    cat: ChipCatalogue,
    factors: PowerFactors,
    dating: Dating,
    ledger: CapacityLedger,
) -> tuple[list[Section], Dating]:
    """The sections with their capacity-over-time series (one evaluation for all of
    them) and their undated chips, and the dating with the charts' step; unchanged when
    no line is dated."""
    # The report's one ledger (over exactly these sites, the catalogue's models) for the
    # span, the series and the undated chips: each was a pass over every site, seconds
    # at 100,000.
    found = chart_dates(sites, dating.as_of, dating.rules_day, ledger=ledger)
    if found is None:
        return sections, dating
    dates, step = found
    series = timeline(
        sites, list(regions) or None, dates, catalogue=cat, factors=factors, ledger=ledger
    )
    # Chips that count in the planned build-out but at no date (no online date), per site.
    planned = ledger.at(None)[1].sum(axis=1)
    ever = ledger.at(date.max.toordinal())[1].sum(axis=1)
    gone = ledger.superseded_ids()
    superseded = np.fromiter((s.id in gone for s in sites), dtype=bool, count=len(sites))
    undated = dict(
        zip((s.id for s in sites), np.where(superseded, 0, planned - ever).tolist(), strict=True)
    )
    sections = [
        replace(
            sec,
            series=s,
            undated_chips=max(0, sum(undated[k] for k in sec.totals.site_ids)),
        )
        for sec, s in zip(sections, series, strict=True)
    ]
    return sections, replace(dating, step=step)


class _Doc(SimpleDocTemplate):
    """Adds a PDF outline entry for every heading tagged by ``sections.outlined``."""

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
    y = MARGIN_BOTTOM - 9 * mm
    left = MARGIN_X + FRAME_PAD  # aligned with the text column
    right = PAGE[0] - left
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, y + 10, right, y + 10)
    canvas.setFont(fonts.regular, 7.5)
    canvas.setFillColor(MUTED)
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
            self.setFillColor(MUTED)
            self.drawString(0, 0, str(total))
            self.endForm()
            pages_out.append(total)
            super().save()

    return _NumberedCanvas


__all__ = [
    "DEFAULT_TITLE",
    "MAX_REPORT_REGIONS",
    "MAX_TITLE",
    "ReportInfo",
    "build_report",
    "check_report_request",
    "default_title",
]
