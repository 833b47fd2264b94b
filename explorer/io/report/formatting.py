"""How the report writes numbers, coordinates, distances and region descriptions.

Chosen so a reader, or a test extracting the text, sees exact values:

* site and chip counts are exact whole numbers with comma thousands separators,
  never abbreviated: ``116,000``;
* H100-equivalents and megawatts are rounded to one decimal with thousands
  separators, as ``explorer totals`` prints them: ``81,200.0``;
* catalogue figures lose trailing zeros (``989``, ``2.5``); degrees keep four
  significant digits and a hemisphere letter; kilometres lose trailing zeros.

Plain text only: callers escape it for mark-up.
"""

from __future__ import annotations

from datetime import date

from explorer.geo.regions import CircleRegion, PolygonRegion, Region


def fmt_int(n: int) -> str:
    """Exact whole number with comma thousands separators: ``116000`` -> ``116,000``."""
    return f"{int(n):,}"


def fmt_dec(x: float) -> str:
    """One decimal with thousands separators, as ``explorer totals`` prints H100e and MW."""
    return f"{x:,.1f}"


def fmt_int_range(low: int, high: int) -> str:
    """A whole-number range with an en dash: ``(19688, 24176)`` -> ``19,688–24,176``."""
    return f"{fmt_int(low)}–{fmt_int(high)}"


def fmt_dec_range(low: float, high: float) -> str:
    """A one-decimal range with an en dash: ``(22.4, 46.1)`` -> ``22.4–46.1``."""
    return f"{fmt_dec(low)}–{fmt_dec(high)}"


def capacity_basis(as_of: date | None, rules_day: date | None) -> str:
    """What the figures count, in one sentence (plain text).

    Parameters
    ----------
    as_of : datetime.date or None
        The date counted up to; None for the planned build-out.
    rules_day : datetime.date or None
        The date whose export rules decide what is restricted.

    Returns
    -------
    str
        ``"Capacity as of 2026-06-30: hardware lines online by then, export rules in
        force on 2026-06-30."`` or ``"Capacity: the planned build-out (every hardware
        line not cancelled, dated or not), export rules in force on 2026-12-01."``
    """
    rules = f"export rules in force on {rules_day.isoformat()}" if rules_day else "today's rules"
    if as_of is None:
        return (
            "Capacity: the planned build-out (every hardware line not cancelled, dated or "
            f"not), {rules}."
        )
    return f"Capacity as of {as_of.isoformat()}: hardware lines online by then, {rules}."


def fmt_num(x: float) -> str:
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


__all__ = [
    "capacity_basis",
    "describe_region",
    "fmt_dec",
    "fmt_dec_range",
    "fmt_int",
    "fmt_int_range",
    "fmt_num",
]
