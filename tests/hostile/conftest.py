"""Hypothesis settings for the hostile suite: bounded and deterministic.

``derandomize`` makes every run generate the same examples (a failure reproduces on
the next run and on another machine); the example counts keep the whole suite within
the time ``make test`` has on a 2-core machine. ``HYPOTHESIS_PROFILE=deep`` runs many
more examples, seeded differently, for a longer hunt.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "hostile",
    derandomize=True,
    max_examples=60,
    deadline=None,  # a file read is timed by the suite's own bounds, not per example
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.register_profile(
    "deep",
    parent=settings.get_profile("hostile"),
    derandomize=False,
    max_examples=2000,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))


#: No single hostile test may take longer than this (seconds): a hang fails, loudly.
HANG_LIMIT_S = 300


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Turn a hang (a reader looping on hostile input) into a failure, not a stuck run."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"a hostile test ran past {HANG_LIMIT_S} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
