"""The report's parts, in reading order: front matter (with the caveat box), map, one
section per region, the union of all regions, the numbered sources and the
assumptions.

Each function returns reportlab flowables. Headings that belong in the PDF outline are
tagged with :func:`outlined`; the document template turns the tags into bookmarks.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue, ChipModel
from explorer.core.credits import MAP_DATA_CREDIT
from explorer.core.schema import Site
from explorer.geo.regions import Region
from explorer.geo.timeline import Series
from explorer.geo.totals import PowerFactors, Totals
from explorer.io.report.caveats import caveat_markup
from explorer.io.report.citations import SourceIndex, link, split_citations
from explorer.io.report.fonts import ReportFonts, rich
from explorer.io.report.formatting import capacity_basis, describe_region, fmt_int, fmt_num
from explorer.io.report.styles import (
    CAVEAT_BG,
    CAVEAT_EDGE,
    FRAME_W,
    MAP_MAX_H,
    RULE,
    Styles,
)
from explorer.io.report.tables import (
    catalogue_table,
    comparison_table,
    rules_table,
    sites_table,
    totals_table,
)
from explorer.io.report.timeline_chart import timeline_chart

#: Most sites listed in one region's site table (the biggest first); the totals always
#: count every site. A 4,000-page list helps no reader and takes reportlab minutes.
MAX_LISTED_SITES = 500

#: Heading of the comparison table's last row (and of its section).
UNION_LABEL = "Union of all regions"
#: Section name used when the report is given no region.
ALL_SITES_LABEL = "All sites"


@dataclass(frozen=True)
class Section:
    """One region section's data: its totals, its sites (in listing order), and, when
    lines are dated, its capacity-over-time series and the chips (central) of its lines
    with no online date (they count in the planned build-out, never at a date)."""

    number: int
    region: Region | None
    totals: Totals
    sites: tuple[Site, ...]
    series: Series | None = None
    undated_chips: int = 0


@dataclass(frozen=True)
class Dating:
    """What the report counts up to, and how its timeline charts are drawn.

    Attributes
    ----------
    as_of : datetime.date or None
        The date counted up to; None for the planned build-out.
    rules_day : datetime.date
        The date whose export rules decide what is restricted.
    step : str
        ``"quarter"`` or ``"year"``: what each bar of the charts is ("" without charts).
    """

    as_of: date | None
    rules_day: date
    step: str = ""


def site_order(sites: Iterable[Site]) -> tuple[Site, ...]:
    """Sites in the order a section lists them: most chips first, then by name and id."""
    # Biggest first: that is what an analyst scans a region for.
    return tuple(sorted(sites, key=lambda s: (-s.chips, s.name.casefold(), s.id)))


def outlined(p: Paragraph, title: str, level: int) -> Paragraph:
    """Tag heading ``p`` for a PDF outline entry ``title`` at ``level``."""
    p._outline = (title, level)  # type: ignore[attr-defined]
    return p


def front_matter(
    title: str,
    stamp: str,
    metadata: Mapping[str, Any],
    sections: Sequence[Section],
    report_sites: Sequence[Site],
    n_sites: int,
    dating: Dating,
    st: Styles,
    fonts: ReportFonts,
) -> list[Flowable]:
    """Title, dates, what the figures count (as of a date or the planned build-out, and
    the export rules' date), data set, coverage line and (when needed) the caveat box."""
    out: list[Flowable] = [outlined(Paragraph(rich(title, fonts), st.title), title, 0)]
    lines = [f"Generated {rich(stamp, fonts)}"]
    as_of = metadata.get("as_of")
    if as_of not in (None, ""):
        lines.append(f"Data as of {rich(str(as_of), fonts)}")
    out.append(Paragraph(" · ".join(lines), st.subtitle))
    out.append(Paragraph(f"<b>{capacity_basis(dating.as_of, dating.rules_day)}</b>", st.basis))
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
    caveat = _caveat_box(report_sites, metadata, st)
    if caveat is not None:
        out.append(caveat)
    return out


def _caveat_box(
    report_sites: Sequence[Site], metadata: Mapping[str, Any], st: Styles
) -> Flowable | None:
    """The caveat (see :mod:`~explorer.io.report.caveats`) in a shaded, edged box."""
    text = caveat_markup(report_sites, metadata)
    if text is None:
        return None
    box = Table([[Paragraph(text, st.caveat)]], colWidths=[FRAME_W])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), CAVEAT_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 3, CAVEAT_EDGE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return box


def map_flowables(map_png: bytes, st: Styles) -> list[Flowable]:
    """The map snapshot at the text width (shrunk if too tall), framed, with its credits."""
    try:
        w_px, h_px = ImageReader(io.BytesIO(map_png)).getSize()
    except Exception as exc:  # PIL raises several types for bad data
        raise ValueError(f"map_png is not a readable image ({type(exc).__name__}: {exc})") from None
    if w_px <= 0 or h_px <= 0:
        raise ValueError(f"map_png has no pixels, got {w_px}x{h_px}")
    border = 0.6
    width = FRAME_W - 2 * border
    height = width * h_px / w_px
    if height > MAP_MAX_H:  # a tall snapshot: keep the aspect, shrink to fit
        width, height = width * MAP_MAX_H / height, MAP_MAX_H
    img = Image(io.BytesIO(map_png), width=width, height=height)
    framed = Table([[img]], colWidths=[width + 2 * border], hAlign="CENTER")
    framed.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), border, RULE),
                *[
                    (k, (0, 0), (-1, -1), 0)
                    for k in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")
                ],
            ]
        )
    )
    caption = Paragraph(
        "Map snapshot from Compute Site Explorer. "
        f"{escape(MAP_DATA_CREDIT)} Province boundaries are approximate.",
        st.caption,
    )
    return [Spacer(1, 8), framed, caption]


def region_flowables(
    sec: Section,
    *,
    numbered: bool,
    cat: ChipCatalogue,
    counted: Mapping[str, int],
    dating: Dating,
    index: SourceIndex,
    st: Styles,
    fonts: ReportFonts,
) -> list[Flowable]:
    """Heading, kind line and totals table (kept together), the capacity-over-time chart
    (when lines are dated), then the site list (the biggest :data:`MAX_LISTED_SITES`)."""
    label = f"{sec.number}. {sec.totals.region}" if numbered else sec.totals.region
    kind = describe_region(sec.region) if sec.region is not None else "Every site in the data set"
    out: list[Flowable] = [
        KeepTogether(
            [
                outlined(Paragraph(rich(label, fonts), st.h1), label, 0),
                Paragraph(rich(kind, fonts), st.small),
                Spacer(1, 5),
                totals_table(sec.totals, sec.sites, cat, st, fonts),
            ]
        ),
    ]
    if sec.series is not None:
        out.append(chart_flowable(sec, label, cat, dating, st, fonts))
    listed = sec.sites[:MAX_LISTED_SITES]
    heading = f"Sites inside ({fmt_int(len(sec.sites))})"
    if len(listed) < len(sec.sites):
        heading += f": the {fmt_int(len(listed))} with the most chips"
    out.append(Paragraph(heading, st.h2))
    if listed:
        out.append(sites_table(listed, counted, index, st, fonts))
        out.append(Paragraph(_counted_note(dating), st.small))
        if len(listed) < len(sec.sites):
            rest = len(sec.sites) - len(listed)
            out.append(
                Paragraph(
                    f"{fmt_int(rest)} more {'site lies' if rest == 1 else 'sites lie'} in this "
                    "region and count in its totals; they are not listed here (export the "
                    "region's sites to list them all).",
                    st.small,
                )
            )
    else:
        out.append(Paragraph("No site lies inside this region.", st.body))
    return out


def _counted_note(dating: Dating) -> str:
    when = (
        f"its hardware lines online by {dating.as_of.isoformat()}"
        if dating.as_of is not None
        else "its hardware lines that are not cancelled"
    )
    return (
        f"<i>Chips</i>: the site's recorded hardware. <i>Counted</i>: what it adds to the "
        f"totals ({when}; a campus only what its parts do not hold; a superseded record "
        "nothing)."
    )


def chart_flowable(
    sec: Section, label: str, cat: ChipCatalogue, dating: Dating, st: Styles, fonts: ReportFonts
) -> Flowable:
    """The capacity-over-time chart of one section, with its heading and notes."""
    series = sec.series
    assert series is not None
    unit = "quarter" if dating.step == "quarter" else "year"
    if dating.as_of is not None:
        marker, marker_label = dating.as_of, f"as of {dating.as_of.isoformat()}"
    else:
        marker, marker_label = dating.rules_day, f"rules of {dating.rules_day.isoformat()}"
    drawing = timeline_chart(
        series,
        cat,
        step=dating.step,
        marker=marker,
        marker_label=marker_label,
        fonts=fonts,
        width=FRAME_W,
    )
    first, last = series.points[0].as_of, series.points[-1].as_of
    assert first is not None and last is not None
    notes = [
        f"Chips online at each {unit} end, {first.isoformat()} to {last.isoformat()} "
        "(central estimate, stacked by chip model; export rules in force on each date), "
        "exactly as <i>explorer timeline</i> counts them."
    ]
    if sec.undated_chips:
        notes.append(
            f"{fmt_int(sec.undated_chips)} chips here have no online date: they count in the "
            "planned build-out only, never at a date."
        )
    return KeepTogether(
        [
            Paragraph(f"Capacity over time: {rich(label, fonts)}", st.h2),
            drawing,
            Paragraph(" ".join(notes), st.small),
        ]
    )


def union_flowable(
    sections: Sequence[Section], union: Totals, st: Styles, fonts: ReportFonts
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
            outlined(Paragraph(UNION_LABEL, st.h1), UNION_LABEL, 0),
            Paragraph(note + ".", st.small),
            Spacer(1, 5),
            comparison_table([sec.totals for sec in sections], union, st, fonts),
            Spacer(1, 4),
            Paragraph(f"Union chips by model: {by_model}.", st.small),
        ]
    )


def sources_flowables(index: SourceIndex, st: Styles, fonts: ReportFonts) -> list[Flowable]:
    """The numbered source list, in order of first citation."""
    out: list[Flowable] = [outlined(Paragraph("Sources", st.h1), "Sources", 0)]
    if not index.sources:
        out.append(Paragraph("No site in this report cites a source.", st.body))
    for n, src in enumerate(index.sources, start=1):
        parts = [f"<b>[{n}]</b>&nbsp;&nbsp;{rich(src.title, fonts)}."]
        parts.append(f"{link(src.url, fonts)}." if src.url else "No URL given.")
        if src.date:
            parts.append(f"{rich(src.date, fonts)}.")
        out.append(Paragraph(" ".join(parts), st.ref))
    return out


def assumptions_flowables(
    models: Sequence[str],
    cat: ChipCatalogue,
    factors: PowerFactors,
    dating: Dating,
    st: Styles,
    fonts: ReportFonts,
) -> list[Flowable]:
    """Chip figures and export rules for the models in the report, then factors and their
    ranges, definitions, attribution.

    ``models`` are those of the reported sites' hardware lines (dated or not), so the
    rules behind every chart date are listed too.
    """
    out: list[Flowable] = [outlined(Paragraph("Assumptions", st.h1), "Assumptions", 0)]
    present = [cat[m] for m in models]
    if present:
        lead = "Chip figures used for the models in this report, from the chip catalogue:"
        out += [
            Paragraph(lead, st.body),
            Spacer(1, 4),
            *_catalogue_flowables(present, cat, dating.rules_day, st, fonts),
        ]
        rules = rules_table(models, cat, dating.rules_day, st, fonts)
        if rules is not None:
            table, rule_sources = rules
            out += [
                Paragraph("Export rules used", st.h2),
                Paragraph(
                    "US export-control status for China of each model, by date (the "
                    "project's rules table, <i>export_rules.csv</i>). A chip counts as "
                    "restricted on a date when the status in force then is anything but "
                    "'no licence required'. The first row of a model applies to every date "
                    "before the next. The totals above use the rules in force on "
                    f"{dating.rules_day.isoformat()}; each chart date uses its own.",
                    st.body,
                ),
                Spacer(1, 4),
                table,
                Spacer(1, 4),
            ]
            for n, (title, url) in enumerate(rule_sources, start=1):
                parts = [f"<b>R{n}</b>&nbsp;&nbsp;{rich(title, fonts) or 'Untitled'}."]
                if url:
                    parts.append(f"{link(url, fonts)}.")
                out.append(Paragraph(" ".join(parts), st.ref))
    else:
        lead = "No chips lie in the reported regions, so no chip figures were used."
        out.append(Paragraph(lead, st.body))
    out.append(Spacer(1, 6))
    out.extend(_assumption_bullets(cat, factors, dating, st))
    return out


def _catalogue_flowables(
    models: Sequence[ChipModel], cat: ChipCatalogue, day: date, st: Styles, fonts: ReportFonts
) -> list[Flowable]:
    """The chip-figures table, then each model's sources as the catalogue cites them."""
    out: list[Flowable] = [
        catalogue_table(models, cat, day, st, fonts),
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
            for cit in split_citations(text):
                roles.setdefault(cit, []).append(role)
        block: list[Flowable] = [Paragraph(f"<b>{rich(m.model, fonts)}</b>", st.cell)]
        for (title, url), r in roles.items():
            linked = f" {link(url, fonts)}" if url else ""
            block.append(
                Paragraph(
                    f"{rich(title, fonts)}.{linked} <i>({', '.join(r)})</i>",
                    st.cite,
                    bulletText="–",
                )
            )
        if not roles:
            block.append(Paragraph("No source given.", st.cite, bulletText="–"))
        if m.notes:
            block.append(Paragraph(f"Note: {rich(m.notes, fonts)}", st.cite, bulletText="–"))
        block.append(Spacer(1, 4))
        out.append(KeepTogether(block))
    return out


def _assumption_bullets(
    cat: ChipCatalogue, factors: PowerFactors, dating: Dating, st: Styles
) -> list[Flowable]:
    """Definitions of every figure, the factors used and their ranges, number formats and
    attribution."""
    ref = fmt_num(cat[REFERENCE_MODEL].bf16_dense_tflops)
    f = factors
    items = [
        f"<b>H100-equivalents (H100e)</b> = chips × the model's dense BF16 TFLOP/s ÷ {ref}, the "
        f"{REFERENCE_MODEL}'s dense BF16 TFLOP/s (SXM board, no sparsity). It compares throughput "
        "only; memory, interconnect and software are ignored.",
        "<b>Restricted chips</b> are chips of models whose export from the US (or under US "
        "jurisdiction) to China needed a US licence on the date that counts, per the export "
        f"rules listed above: {dating.rules_day.isoformat()} for the totals, each chart's own "
        "date for the charts. Chinese-made chips (Huawei Ascend) need no US export licence "
        "and are not counted as restricted. <b>Restricted H100e</b> are the H100-equivalents "
        "of the restricted chips.",
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
        "<b>Dates</b>: a hardware line counts from its online date; a partial date means the "
        "end of its period ('2026-06' from 2026-06-30, '2026' from 2026-12-31). As of a date, "
        "only lines online by then count; the planned build-out counts every line that is "
        "not cancelled, dated or not. Cancelled lines and superseded records never count. A "
        "campus and its parts never count more than the larger of the two per chip model; "
        "each part counts where it stands and the campus's unallocated remainder at the "
        "campus.",
        "<b>Low and high</b>: each hardware line's low and high chip counts (its central "
        "count when no range is given), summed through the same rules. H100e follow the "
        "chips. <b>Facility power</b> low = low chips × board power × server overhead "
        f"<b>{f.server_overhead_low:g}</b> × PUE <b>{f.pue_low:g}</b>; high = high chips × "
        f"board power × <b>{f.server_overhead_high:g}</b> × PUE <b>{f.pue_high:g}</b> (by "
        "default 1.5 for servers drawing below their rating in service, 2.15 for about "
        "1.5 kW per 700 W H100 with networking and storage as SemiAnalysis estimates; PUE "
        "1.15 for a well-run site in a cool desert climate, 1.5 for a typical Chinese data "
        "centre). Chips of a model without catalogue figures are counted as chips, never in "
        "H100e or power.",
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
        f"<b>Map data</b>: {escape(MAP_DATA_CREDIT)}",
    ]
    return [Paragraph(t, st.bullet, bulletText="•") for t in items]


__all__ = [
    "ALL_SITES_LABEL",
    "MAX_LISTED_SITES",
    "UNION_LABEL",
    "Dating",
    "Section",
    "chart_flowable",
    "assumptions_flowables",
    "front_matter",
    "map_flowables",
    "outlined",
    "region_flowables",
    "site_order",
    "sources_flowables",
    "union_flowable",
]
