"""Atomic file replacement: a failed save never corrupts the file it was replacing.

Every writer in ``explorer.io`` writes into a private temporary directory created
next to the target (so the final ``os.replace`` stays on one file system and is
atomic), then moves the finished file over the target. Using a directory rather
than a single temp file matters for GeoPackage: SQLite may create ``-journal`` /
``-wal`` side files, and they must be cleaned up with it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Prefix of the temporary directories; tests and users can recognise leftovers.
TEMP_PREFIX = ".explorer-saving-"


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success move it over ``path``.

    Parameters
    ----------
    path : path-like
        The file to create or replace. A symlink is followed, so the link keeps
        pointing at the replaced file.

    Yields
    ------
    pathlib.Path
        A path (not yet existing) with the same file name as ``path`` inside a
        fresh temporary directory in the same folder.

    Notes
    -----
    If the ``with`` body raises, the temporary directory is removed, the
    exception propagates, and ``path`` is left exactly as it was. An existing
    file's permission bits are copied to the new file.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    if target.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    tmpdir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=target.parent))
    try:
        tmp = tmpdir / target.name
        yield tmp
        if not tmp.is_file():
            raise RuntimeError(f"writer produced no file for {path}")
        if target.exists():
            shutil.copymode(target, tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    # Flush the data before the rename so a crash cannot leave an empty file behind.
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    # Persist the rename itself; not possible (nor needed) on every platform.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
