"""Progress and cancellation of a long read.

A reader reports how far it got through a :data:`Progress` callback; the callback may
raise :class:`LoadCancelled` to stop the read there. Nothing a cancelled read started is
kept: readers build values and hand them back only when they finish, so a cancelled load
leaves whatever was open untouched.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(fraction, stage)``: ``fraction`` in [0, 1], ``stage`` a few words
#: ("reading", "checking 40,000 of 100,000 sites").
Progress = Callable[[float, str], None]


class LoadCancelled(Exception):
    """The user cancelled a load (raised by a progress callback, passed through readers)."""


def report(progress: Progress | None, fraction: float, stage: str) -> None:
    """Call ``progress`` if there is one (a reader's one way to report and be cancelled)."""
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), stage)


def scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback that maps a step's own 0-1 onto ``start``-``end`` of ``progress``."""
    if progress is None:
        return None
    span = end - start

    def inner(fraction: float, stage: str) -> None:
        progress(start + span * min(max(fraction, 0.0), 1.0), stage)

    return inner


__all__ = ["LoadCancelled", "Progress", "report", "scaled"]
