"""What the capacity-over-time chart draws: one region's totals at a series of dates.

Qt-free. Every point is a :class:`~explorer.geo.totals.Totals` computed by the same
arithmetic as ``explorer timeline`` and ``explorer totals --as-of`` (each date's
snapshot of the session's live :class:`~explorer.geo.capacity.CapacityLedger`, totalled
by :func:`~explorer.geo.totals.masked_totals` over the region's sites), so the chart,
the panels and the command line agree. The dates are the quarter ends (or, over more
than :data:`MAX_QUARTERS` quarters, the year ends) from the first online date in the
data to the last, widened to hold the session's date; the planned build-out (every line
not cancelled, today's rules) is one more, undated point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from explorer.geo.timeline import step_dates
from explorer.geo.totals import SiteIdsAt, Totals, model_figures, totals_from_sums
from explorer.session.session import Session

#: Above this many quarters, the series steps by year.
MAX_QUARTERS = 40
#: Name of the series when no region is selected.
ALL_SITES = "All sites"


@dataclass(frozen=True)
class SeriesPoint:
    """One bar of the chart.

    Attributes
    ----------
    day : datetime.date or None
        The date counted up to; None for the planned build-out.
    totals : Totals
    restricted : dict
        model -> whether it needed a US export licence for China on the point's rules
        day, for every model in ``totals.by_model``.
    """

    day: date | None
    totals: Totals
    restricted: dict[str, bool]

    def stack(self) -> list[tuple[str, int, bool]]:
        """``(model, chips, restricted)`` from the bottom of the bar up (catalogue
        order), models with chips only."""
        return [(m, n, self.restricted[m]) for m, n in self.totals.by_model]


@dataclass(frozen=True)
class CapacitySeries:
    """A region's capacity over time.

    Attributes
    ----------
    name : str
        The region's name, or :data:`ALL_SITES`.
    region_id : str or None
    points : tuple of SeriesPoint
        The dated points, in date order (empty when no line is dated).
    planned : SeriesPoint
        The planned build-out.
    models : tuple of str
        Models with chips in any point, in catalogue order (the legend).
    as_of : datetime.date or None
        The session's date (the chart marks it).
    step : str
        ``quarter`` or ``year``.
    """

    name: str
    region_id: str | None
    points: tuple[SeriesPoint, ...]
    planned: SeriesPoint
    models: tuple[str, ...]
    as_of: date | None
    step: str

    @property
    def dates(self) -> list[date]:
        """The dates of the dated points."""
        return [p.day for p in self.points if p.day is not None]

    def with_as_of(self, as_of: date | None) -> CapacitySeries:
        """The same series marked at another date (the points do not depend on it)."""
        return CapacitySeries(
            self.name, self.region_id, self.points, self.planned, self.models, as_of, self.step
        )

    def covers(self, as_of: date | None) -> bool:
        """True when the series' dates reach ``as_of`` (None always is)."""
        dates = self.dates
        return as_of is None or (bool(dates) and dates[0] <= as_of <= dates[-1])


def series_dates(session: Session) -> tuple[list[date], str]:
    """The chart's dates and step: quarter ends (year ends past :data:`MAX_QUARTERS`)
    from the first online date to the last, widened to the session's date."""
    online = session.online_dates()
    if not online:
        return [], "quarter"
    first, last = online[0], online[-1]
    if session.as_of is not None:
        first, last = min(first, session.as_of), max(last, session.as_of)
    quarters = step_dates(first, last, "quarter")
    if len(quarters) <= MAX_QUARTERS:
        return quarters, "quarter"
    return step_dates(first, last, "year"), "year"


def capacity_series(session: Session, region_id: str | None) -> CapacitySeries:
    """The series of region ``region_id`` (None: every site) at :func:`series_dates`.

    Raises
    ------
    KeyError
        ``region_id`` is not in the session's regions.
    """
    live = session.live_totals
    catalogue = session.catalogue
    base = live.current()
    if region_id is None:
        name = ALL_SITES
        rows = np.arange(len(base))
    else:
        name = session.regions.get(region_id).name
        # The sites the region counts (store order); the others add nothing to it.
        inside = set(live.site_ids(region_id))
        rows = np.flatnonzero([sid in inside for sid in base.ids.tolist()])
    ids = base.ids[rows]
    power = base.reported_power_mw[rows]
    assert base.counted is not None
    counted = base.counted[rows]
    ledger = live.ledger
    # The sites the series adds up, by their place in the ledger (once, not per date).
    positions = ledger.rows_of(ids.tolist())
    weight = np.zeros(len(ledger), dtype=np.int64)
    weight[np.arange(len(ids)) if positions is None else positions] = counted
    dates, step = series_dates(session)
    days = [d.toordinal() for d in dates] + [None]
    sums = ledger.sums_at(days, weight)
    # What every date shares: the sites counted and the power they report.
    idx = np.flatnonzero(counted)
    site_ids = SiteIdsAt(ids, idx)
    reported = power[idx]
    reported_mw = float(reported[~np.isnan(reported)].sum())

    def point(day: date | None, low: np.ndarray, mid: np.ndarray, high: np.ndarray) -> SeriesPoint:
        # The arithmetic of masked_totals over the region's sites at ``day``, from the
        # ledger's sums instead of a sites x models array per date.
        rules_day = day if day is not None else date.today()
        t = totals_from_sums(
            name,
            site_ids,
            ledger.models,
            (low, mid, high),
            reported_mw,
            catalogue=catalogue,
            figures=model_figures(ledger.models, catalogue, rules_day),
            factors=live.factors,
            as_of=day,
        )
        restricted = {m: catalogue.restricted_on(m, rules_day) for m, _ in t.by_model}
        return SeriesPoint(day, t, restricted)

    points = tuple(point(d, *sums[i]) for i, d in enumerate(dates))
    planned = point(None, *sums[-1])
    present = {m for p in (*points, planned) for m, _ in p.totals.by_model}
    models = tuple(m for m in catalogue.names if m in present)
    return CapacitySeries(name, region_id, points, planned, models, session.as_of, step)


__all__ = [
    "ALL_SITES",
    "MAX_QUARTERS",
    "CapacitySeries",
    "SeriesPoint",
    "capacity_series",
    "series_dates",
]
