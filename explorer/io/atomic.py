"""Atomic file replacement: a failed save never corrupts the file it was replacing.

Every writer in ``explorer.io`` writes into a private temporary directory created
next to the target (so the final ``os.replace`` stays on one file system and is
atomic), then moves the finished file over the target. Using a directory rather
than a single temp file matters for GeoPackage: SQLite may create ``-journal`` /
``-wal`` side files, and they must be cleaned up with it.

What a target may be: a new path, or an existing *regular* file the user may write
(a symlink is followed to what it names). Anything else (a device, a pipe, a socket,
a folder, a read-only file) is refused with one line before anything is written:
``os.replace`` would otherwise swap a character device such as ``/dev/null`` for a
regular file, or replace a file its owner made read-only.

A save that is killed (power cut, ``kill -9``) cannot remove its temporary directory.
Each directory is named after its target and holds a lock for as long as its save
runs, so the next save of that target (and the next open of it, see
:func:`remove_stale_saves`) removes the leftovers of dead saves, and only those.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

try:  # POSIX advisory locks: released by the kernel when the saving process dies.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Prefix of the temporary directories; tests and users can recognise leftovers.
TEMP_PREFIX = ".explorer-saving-"

#: The file inside a temporary directory that its live save holds locked.
LOCK_NAME = ".lock"

#: Without a lock to test (a platform without ``fcntl``, or a directory whose save died
#: before taking its lock), a leftover counts as stale once it is this old (seconds).
STALE_AFTER_S = 3600.0

#: SQLite's side files of a database being written (they live next to it).
_SIDE_SUFFIXES = ("", "-journal", "-wal", "-shm")

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafeTargetError(PermissionError):
    """An output path that must not be replaced (not a regular file, or read-only).

    ``str()`` is one line naming the path, for a dialog or ``explorer: error:``.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(errno.EPERM, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def check_target(path: str | os.PathLike[str]) -> Path:
    """The file ``path`` names (symlinks followed), if a writer may replace or create it.

    Parameters
    ----------
    path : path-like
        Where an output is to be written.

    Returns
    -------
    pathlib.Path
        The resolved target: a path that does not exist yet, or an existing regular
        file with a write permission bit set.

    Raises
    ------
    IsADirectoryError
        ``path`` is a folder.
    UnsafeTargetError
        ``path`` is (or links to) a device, pipe or socket, or is a read-only file.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{path} is a directory")
    for test, kind in _KINDS:
        if test(st.st_mode):
            shown = f"{path}" if os.fspath(path) == os.fspath(target) else f"{path} -> {target}"
            raise UnsafeTargetError(
                shown,
                f"is {kind}, not a regular file; outputs are written only to regular "
                "files or new paths",
            )
    # The mode bits, not os.access: root may write anything, yet a file its owner made
    # read-only says "do not replace me" to every user.
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        target, os.W_OK
    ):
        raise UnsafeTargetError(
            path, "the file is read-only; save under another name or make it writable first"
        )
    return target


def temp_dir_prefix(target: Path) -> str:
    """Prefix of the temporary directories of saves to ``target`` (a resolved path).

    The file name is hashed so the prefix is short and safe whatever the name.
    """
    tag = hashlib.sha1(target.name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{TEMP_PREFIX}{tag}-"


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

    Raises
    ------
    IsADirectoryError, UnsafeTargetError
        As for :func:`check_target`; raised before anything is written.

    Notes
    -----
    If the ``with`` body raises, the temporary directory is removed, the
    exception propagates, and ``path`` is left exactly as it was. An existing
    file's permission bits are copied to the new file. Leftovers of earlier saves
    of the same target that were killed are removed first.
    """
    target = check_target(path)
    remove_stale_saves(target)
    tmpdir = Path(tempfile.mkdtemp(prefix=temp_dir_prefix(target), dir=target.parent))
    lock: IO[bytes] | None = None
    try:
        lock = _hold_lock(tmpdir)
        tmp = tmpdir / target.name
        yield tmp
        if not tmp.is_file():
            raise RuntimeError(f"writer produced no file for {path}")
        # Checked again: the target may have changed while the file was being written.
        check_target(target)
        if target.exists():
            shutil.copymode(target, tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
        if lock is not None:
            lock.close()


def remove_stale_saves(path: str | os.PathLike[str]) -> list[Path]:
    """Remove what killed saves to ``path`` left behind; never a live save's files.

    A temporary directory belongs to ``path`` when its name carries the target's tag
    (:func:`temp_dir_prefix`) or, for one left by an older version without a tag, when
    every file in it is ``path``'s name or one of SQLite's side files of it. It is
    stale when no process holds its lock (the kernel releases a dead process's lock);
    where locks cannot be tested, when it is older than :data:`STALE_AFTER_S`.

    Parameters
    ----------
    path : path-like
        The file a save writes (symlinks are followed).

    Returns
    -------
    list of Path
        The directories removed. Failures to list or remove are ignored: cleaning up
        must never stop an open or a save.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    tagged = temp_dir_prefix(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            folder = Path(entry.path)
            if not (entry.name.startswith(tagged) or _holds_only(folder, target.name)):
                continue
            if _is_live(folder, entry.stat(follow_symlinks=False).st_mtime):
                continue
            shutil.rmtree(folder)
            removed.append(folder)
        except OSError:
            continue
    return removed


def _holds_only(folder: Path, name: str) -> bool:
    """True if ``folder`` holds ``name`` and nothing but its side files and a lock."""
    allowed = {name + s for s in _SIDE_SUFFIXES} | {LOCK_NAME, LOCK_NAME + ".new"}
    names = set(os.listdir(folder))
    return name in names and names <= allowed


def _is_live(folder: Path, mtime: float) -> bool:
    """Whether a save may still be writing into ``folder``."""
    lock = folder / LOCK_NAME
    if fcntl is None or not lock.exists():
        return time.time() - mtime < STALE_AFTER_S
    try:
        fh = open(lock, "rb")  # noqa: SIM115 - closed below, whatever happens
    except OSError:
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True  # held: its save is running
    finally:
        fh.close()
    return False


def _hold_lock(folder: Path) -> IO[bytes] | None:
    """Create and lock ``folder``'s lock file for the life of the save (POSIX)."""
    if fcntl is None:
        return None
    # Locked under another name, then renamed: a lock file that can be seen is always
    # already held, so a concurrent clean-up can never take a starting save for dead.
    pending = folder / (LOCK_NAME + ".new")
    fh = open(pending, "wb")  # noqa: SIM115 - closed when the save ends
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(pending, folder / LOCK_NAME)
    except OSError:
        fh.close()
        raise
    return fh


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


__all__ = [
    "LOCK_NAME",
    "STALE_AFTER_S",
    "TEMP_PREFIX",
    "UnsafeTargetError",
    "atomic_target",
    "check_target",
    "remove_stale_saves",
    "temp_dir_prefix",
]
