"""Dates as the window writes them: ``31 March 2026``, ``Mar 2026``, ``Q1 2026``.

Month names are spelt here rather than by ``strftime``: Qt sets the C library's locale
from the environment, so ``%B`` would change language with the user's settings while
every other word of the window is English.

Qt-free presentation, shared by the date strip, the regions panel, the chart and the
status line.
"""

from __future__ import annotations

from datetime import date

MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

#: What an undated total counts, in a few words.
ALL_PLANNED = "All planned"


def date_words(day: date) -> str:
    """``31 March 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_text(day: date) -> str:
    """``Mar 2026``."""
    return f"{MONTHS[day.month - 1][:3]} {day.year}"


def quarter_text(day: date) -> str:
    """``Q1 2026``: the calendar quarter holding ``day``."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def as_of_words(as_of: date | None) -> str:
    """``as of 31 March 2026``, or ``all planned`` for the undated total."""
    return ALL_PLANNED.lower() if as_of is None else f"as of {date_words(as_of)}"


def as_of_meaning(as_of: date | None) -> str:
    """What a total at ``as_of`` counts, in one line."""
    if as_of is None:
        return "every line not cancelled, dated or not · export rules in force today"
    return "lines online by then · export rules in force then"


__all__ = [
    "ALL_PLANNED",
    "MONTHS",
    "as_of_meaning",
    "as_of_words",
    "date_words",
    "month_text",
    "quarter_text",
]
