"""Pausing the garbage collector while a file's records are built in bulk.

Reading a large file allocates millions of objects that all live on (decoded values,
strings, sites). Each allocation burst triggers a collection that scans everything
alive so far, so the work grows faster than the file. Pausing collection for the read
is what bulk loaders do; the values built hold no reference cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block (re-enabled after, if it
    was enabled; nested use is harmless)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["paused_gc"]
