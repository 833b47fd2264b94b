"""Check a small file's records one by one, without loading Arrow (issue 10, cold start).

The column checks (:mod:`explorer.io.column_check`) pay off on large files: they load
pyarrow (and pyarrow loads pandas the first time it converts a Python list), which costs
more at start-up than parsing a few thousand records one by one. A file of at most
:data:`SMALL_FILE_RECORDS` records is therefore read through the reference path,
:class:`~explorer.io.records.SiteCollector` (every problem worded as it always was), and
gives the same sites, problems and order as the column checks would.
"""

from __future__ import annotations

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem
from explorer.io.progress import Progress, report
from explorer.io.raw_sites import RawSites, value_at
from explorer.io.records import SiteCollector, record_label
from explorer.io.site_columns import SiteColumns

#: Files with at most this many records are checked record by record. Measured with
#: benchmarks/small_read.py (synthetic GeoJSON, a fresh interpreter per read, import +
#: read + check, medians of 5, 2 busy cores): per record / in columns, 41 records
#: 51 / 730 ms, 1,000: 229 / 612 ms, 5,000: 570 / 704 ms, 10,000: 1,297 / 915 ms. The
#: crossover lies between 5,000 and 10,000: the threshold is the largest size measured at
#: which the per-record route still won.
SMALL_FILE_RECORDS = 5_000
#: A sites GeoJSON at least this large tries the Arrow route first
#: (:mod:`explorer.io.geojson_arrow`, imported only then); a smaller one holds about
#: :data:`SMALL_FILE_RECORDS` records or fewer.
GEOJSON_ARROW_BYTES = 1 << 20

_STEP = 500


def check_records(
    raw: RawSites, catalogue: ChipCatalogue, progress: Progress | None = None
) -> tuple[SiteColumns, list[Problem]]:
    """Check every record the per-record way; the valid ones as columns, and every
    problem in file order.

    Parameters
    ----------
    raw : RawSites
    catalogue : ChipCatalogue
    progress : Progress, optional
        Told the share of the check done; may raise
        :class:`~explorer.io.progress.LoadCancelled`.

    Returns
    -------
    (SiteColumns, list of Problem)
        What :func:`explorer.io.column_check.check_sites` returns for the same records:
        a record with any problem is left out, and so is one whose id repeats an
        earlier record's.
    """
    n = raw.n
    report(progress, 0.0, f"checking {n:,} sites")
    collector = SiteCollector(catalogue)
    for i in range(n):
        if i % _STEP == 0 and i:
            report(progress, i / n, f"checking {n:,} sites")
        found = list(raw.pre.get(i, ()))
        if i in raw.rejected:
            # Not a record at all (a feature that is not an object): its problem only,
            # its id never registered, as the column checks have it.
            collector.problems.extend(found)
            continue
        props = raw.props(i)
        collector.add(
            props,
            value_at(raw.lon, i),
            value_at(raw.lat, i),
            label=record_label(raw.label(i), props.get("id")),
            problems=found,
        )
    report(progress, 1.0, f"checked {n:,} sites")
    return SiteColumns.from_sites(collector.sites), collector.problems


def check_raw(
    raw: RawSites, catalogue: ChipCatalogue, progress: Progress | None = None
) -> tuple[SiteColumns, list[Problem]]:
    """Check a file's records the way that is faster for their number.

    At most :data:`SMALL_FILE_RECORDS` records: :func:`check_records` (no Arrow);
    more: :func:`explorer.io.column_check.check_sites`. Both give the same result.
    """
    if raw.n <= SMALL_FILE_RECORDS:
        return check_records(raw, catalogue, progress)
    from explorer.io.column_check import check_sites  # loads pyarrow

    return check_sites(raw, catalogue, progress)


__all__ = ["GEOJSON_ARROW_BYTES", "SMALL_FILE_RECORDS", "check_raw", "check_records"]
