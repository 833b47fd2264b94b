"""Capacity over time: totals per region at a series of dates.

Every point is exactly what :func:`explorer.geo.totals.totals` gives ``as_of`` that date,
so ``explorer timeline`` and ``explorer totals --as-of`` always agree. The sites are read
into one :class:`~explorer.geo.capacity.CapacityLedger` and each region's mask is
computed once; each date then costs one vectorised evaluation of the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import NEVER
from explorer.core.schema import Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.regions import Region
from explorer.geo.totals import PowerFactors, SiteArrays, Totals, masked_totals

#: Steps a series may take.
STEPS: tuple[str, ...] = ("quarter", "year")


@dataclass(frozen=True)
class Series:
    """One region's totals at each date, in date order."""

    name: str
    points: tuple[Totals, ...]


def step_dates(start: date, end: date, step: str) -> list[date]:
    """The ends of the quarters (or years) from the one holding ``start`` to the one
    holding ``end``."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {', '.join(STEPS)}, got {step!r}")
    if end < start:
        raise ValueError(f"the series ends ({end}) before it starts ({start})")
    out = []
    year = start.year
    quarter = (start.month - 1) // 3 if step == "quarter" else 3
    while True:
        month = 3 * quarter + 3
        last = date(year, month, 31 if month in (3, 12) else 30)
        out.append(last)
        if last >= end:
            return out
        quarter += 1 if step == "quarter" else 4
        if quarter > 3:
            quarter, year = quarter - 4, year + 1


def data_span(
    sites: Sequence[Site], *, ledger: CapacityLedger | None = None
) -> tuple[date, date] | None:
    """The first and last online dates of the lines that count, or None when none is
    dated (``ledger``: one over exactly these sites, when the caller has it)."""
    if ledger is None:
        ledger = CapacityLedger(sites, _models(sites))
    days = [d for d in ledger.dated_days() if d != NEVER]
    if not days:
        return None
    return date.fromordinal(days[0]), date.fromordinal(days[-1])


def _models(sites: Sequence[Site]) -> list[str]:
    return sorted({h.chip_model for s in sites for h in s.hardware})


def timeline(
    sites: Sequence[Site],
    regions: Sequence[Region] | None,
    dates: Sequence[date],
    *,
    catalogue: ChipCatalogue,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    ledger: CapacityLedger | None = None,
) -> list[Series]:
    """Totals of every region (or of all sites, named ``all``) at every date
    (``ledger``: one over exactly these sites with the catalogue's models, when the
    caller has it)."""
    sites = list(sites)
    if ledger is None:
        ledger = CapacityLedger(sites, catalogue.names)
    base = SiteArrays.from_ledger(sites, ledger, catalogue)
    masks: list[tuple[str, np.ndarray | None]] = (
        [(r.name, base.in_region(r)) for r in regions] if regions else [("all", None)]
    )
    points: list[list[Totals]] = [[] for _ in masks]
    for day in dates:
        arrays = base.dated(ledger, day)
        for k, (name, mask) in enumerate(masks):
            points[k].append(
                masked_totals(arrays, mask, name, catalogue=catalogue, factors=factors)
            )
    return [Series(name, tuple(p)) for (name, _), p in zip(masks, points, strict=True)]


__all__ = ["STEPS", "Series", "data_span", "step_dates", "timeline"]
