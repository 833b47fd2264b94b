"""Partial dates as analysts write them: ``2025``, ``2025-06`` or ``2025-06-30``.

A partial date means the *last* day of its period: a line "online in 2026" is counted
from 2026-12-31, one "online 2025-06" from 2025-06-30. So a total "as of 2026" (also the
last day of 2026) includes both, and a total "as of 2026-06" includes neither of a line
that comes "2026". Dates are compared as proleptic Gregorian ordinals (``date.toordinal``).
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: The ordinal of "no date": later than every real date (a line with no online date is
#: never counted at a date).
NEVER = date.max.toordinal() + 1


def period_end(text: str) -> date:
    """The last day of the period a partial date names.

    Raises
    ------
    ValueError
        Not ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, or not a real calendar date; the
        message quotes the text.
    """
    m = _PARTIAL_DATE.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"a date must be YYYY, YYYY-MM or YYYY-MM-DD, got '{text}'")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else 12
    if not 1 <= month <= 12 or year < 1:
        raise ValueError(f"'{text}' is not a calendar date")
    if m.group(3) is None:
        return date(year, month, calendar.monthrange(year, month)[1])
    try:
        return date(year, month, int(m.group(3)))
    except ValueError:
        raise ValueError(f"'{text}' is not a calendar date") from None


@functools.lru_cache(maxsize=4096)
def period_end_ordinal(text: str) -> int:
    """:func:`period_end` as an ordinal; :data:`NEVER` for ``""`` (no date).

    Cached: a data set names few distinct dates, and the capacity ledger asks for one
    per hardware line (170,000 times for 100,000 sites).
    """
    if text == "":
        return NEVER
    return period_end(text).toordinal()


def is_partial_date(text: str) -> bool:
    """True when ``text`` is a valid ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date."""
    try:
        period_end(text)
    except ValueError:
        return False
    return True


__all__ = ["NEVER", "is_partial_date", "period_end", "period_end_ordinal"]
