"""Region report: a PDF summary of the sites inside one or more regions.

:func:`build_report` writes, in this order: the title, when the report was generated,
the data's as-of date and what the figures count (capacity as of a date, or the planned
build-out, and the date of the export rules used); a caveat when any site in the report
is illustrative or low-confidence; the map snapshot (if given); one section per region
(totals table with low-central-high ranges, the capacity-over-time chart when lines are
dated, site list with citation numbers); a comparison table ending with the union of
all regions (when there are several); the numbered sources; and the assumptions (chip
figures with the catalogue's own citations, the export rules used with their sources,
power factors and their ranges, definitions, attribution).

The package, one concept per module:

* :mod:`~explorer.io.report.fonts`: TrueType/CJK font discovery and registration,
  rich text with CJK runs;
* :mod:`~explorer.io.report.formatting`: number, degree, distance and region wording;
* :mod:`~explorer.io.report.caveats`: when and how the report warns about
  illustrative and low-confidence sites;
* :mod:`~explorer.io.report.styles`: page geometry, palette, paragraph styles, the
  grid table;
* :mod:`~explorer.io.report.citations`: numbered sources, catalogue citations, links;
* :mod:`~explorer.io.report.tables`: totals, sites, comparison, chip-figure and
  export-rule tables;
* :mod:`~explorer.io.report.timeline_chart`: the capacity-over-time chart (reportlab
  graphics);
* :mod:`~explorer.io.report.sections`: the report's parts in reading order;
* :mod:`~explorer.io.report.document`: :func:`build_report`, the page template,
  outline and footer.

The report takes values, not files: callers (the export dialog, ``explorer report``)
open their inputs themselves (:func:`explorer.io.opening.open_file`) and hand over the
very sites, regions and metadata they drew on the map. No Qt here: the package runs
headless and in tests.
"""

from __future__ import annotations

from explorer.io.report.document import (
    DEFAULT_TITLE,
    MAX_REPORT_REGIONS,
    MAX_TITLE,
    ReportInfo,
    build_report,
    check_report_request,
    default_title,
)
from explorer.io.report.fonts import CID_FALLBACK, CJK_FONT_ENV, ReportFonts, load_fonts, rich
from explorer.io.report.formatting import describe_region, fmt_dec, fmt_int
from explorer.io.report.sections import ALL_SITES_LABEL, MAX_LISTED_SITES, UNION_LABEL

__all__ = [
    "ALL_SITES_LABEL",
    "CID_FALLBACK",
    "CJK_FONT_ENV",
    "DEFAULT_TITLE",
    "MAX_LISTED_SITES",
    "MAX_REPORT_REGIONS",
    "MAX_TITLE",
    "UNION_LABEL",
    "ReportFonts",
    "ReportInfo",
    "build_report",
    "check_report_request",
    "default_title",
    "describe_region",
    "fmt_dec",
    "fmt_int",
    "load_fonts",
    "rich",
]
