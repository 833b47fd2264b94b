"""Count the files code opens, at the boundary to the OS.

Python raises an ``open`` audit event for every ``open()``, ``io.open``, ``Path.open``
/ ``read_text`` / ``read_bytes`` and ``os.open``, whoever calls it, so a test can show a
command read an input file exactly once without knowing which reader it used. (GDAL
opens files from C, unseen; but the project reader checks a ``.gpkg``'s SQLite header
with Python's ``open`` first, once per read, so project reads are counted too.)

Audit hooks cannot be removed: the hook is installed once and counts only inside
:func:`counting_opens`.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_active: list[FileOpens] = []
_installed = False


class FileOpens(Counter[str]):
    """Opens per real path."""

    def of(self, path: str | os.PathLike[str]) -> int:
        """How many times ``path`` was opened."""
        return self[os.path.realpath(path)]


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _active or not args:
        return
    path = args[0]
    if isinstance(path, str | bytes | os.PathLike):
        real = os.path.realpath(os.fsdecode(path))
        for counts in _active:
            counts[real] += 1


@contextmanager
def counting_opens() -> Iterator[FileOpens]:
    """Count every file opened inside the ``with`` block."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    counts = FileOpens()
    _active.append(counts)
    try:
        yield counts
    finally:
        _active.remove(counts)
