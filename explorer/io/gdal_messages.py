"""GDAL's warnings kept off the user's terminal.

pyogrio turns GDAL's warnings into Python :class:`RuntimeWarning` s, which Python prints
to stderr with a source line (``pyogrio/core.py:169: RuntimeWarning: geometry column
type ... is not consistent ...``), so a command that then fails printed three lines of
GDAL internals before its one-line error. The project reader validates every record
itself and says what is wrong in its own words; GDAL's remarks about a file's
bookkeeping go to the log instead.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def _from_gdal(message: warnings.WarningMessage) -> bool:
    return issubclass(message.category, RuntimeWarning) and "pyogrio" in message.filename


def gdal_warnings_logged(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with GDAL's warnings logged (at INFO) rather than printed.

    Warnings from anything else are passed on unchanged.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always")
                try:
                    return func(*args, **kwargs)
                finally:
                    caught = list(recorded)
        finally:
            # Outside the recording block, so other warnings meet the caller's filters.
            for m in caught:
                if _from_gdal(m):
                    log.info("GDAL: %s", m.message)
                else:
                    warnings.warn_explicit(
                        m.message, m.category, m.filename, m.lineno, source=m.source
                    )

    return wrapper


__all__ = ["gdal_warnings_logged"]
