"""The built map page, kept on disk between runs and keyed by what it is built from.

Building the page (:func:`explorer.web.page.build_map_html`) means importing folium
(with pandas, jinja2 and branca under it: about a second on the project's 2-core
machine) and rendering 1.3 MB of basemap through it: at every start, for a page that
changes only when the code, a dependency or the bundled data changes. So the finished
page is written to the user's cache directory under a key that hashes every input of
the build (see :func:`page_key`); a later start with the same inputs reads it back
instead, and any change of an input gives a new key, so the page is built again.
folium stays the page's only source: the cache only ever holds what it rendered.

The cache is a convenience, never a requirement: a directory that cannot be created,
read or written is logged and the page is built as before.

Where: ``$EXPLORER_CACHE_DIR`` if set (the tests point it at a temporary directory),
else the platform's user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache`` on
Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows), then
``compute-site-explorer/map-page``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

#: Overrides the cache directory (the map page goes in its ``map-page`` folder).
CACHE_DIR_ENV = "EXPLORER_CACHE_DIR"
#: The application's folder in the user cache directory.
APP_CACHE_NAME = "compute-site-explorer"
#: Pages kept (one per distinct set of inputs); older ones are removed on write.
MAX_PAGES = 4
_SUFFIX = ".html"


def user_cache_dir() -> Path:
    """The application's cache directory (not created here).

    Returns
    -------
    Path
        ``$EXPLORER_CACHE_DIR`` when set, else the platform's user cache directory
        joined with ``compute-site-explorer``.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / APP_CACHE_NAME


def page_cache_dir() -> Path:
    """Where built map pages are kept: ``user_cache_dir() / "map-page"``."""
    return user_cache_dir() / "map-page"


def page_key(parts: Iterable[tuple[str, bytes]]) -> str:
    """A hex digest naming one set of build inputs.

    Parameters
    ----------
    parts : iterable of (name, bytes)
        Every input of the build, each with a name so two inputs cannot run into each
        other (``("a", b"bc")`` and ``("ab", b"c")`` give different keys).

    Returns
    -------
    str
        SHA-256, hex.
    """
    digest = hashlib.sha256()
    for name, data in parts:
        label = name.encode("utf-8")
        digest.update(len(label).to_bytes(8, "little") + label)
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def read_page(directory: Path, key: str) -> str | None:
    """The page stored under ``key``, or None (not there, or unreadable: logged)."""
    path = Path(directory) / f"{key}{_SUFFIX}"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("map page cache: cannot read %s (%s); building the page", path, exc)
        return None


def write_page(directory: Path, key: str, html: str) -> Path | None:
    """Store ``html`` under ``key`` (atomically: a reader sees the whole page or none).

    Older pages beyond :data:`MAX_PAGES` are removed. A failure is logged and None
    returned: the caller has the page in hand and goes on without the cache.
    """
    directory = Path(directory)
    target = directory / f"{key}{_SUFFIX}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".page-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(html)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("map page cache: cannot write %s (%s); the page is not kept", target, exc)
        return None
    _prune(directory, keep=target)
    return target


def _prune(directory: Path, keep: Path) -> None:
    """Remove all but the newest :data:`MAX_PAGES` pages (``keep`` always stays)."""
    try:
        pages = [p for p in directory.iterdir() if p.suffix == _SUFFIX and p != keep]
        pages.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in pages[MAX_PAGES - 1 :]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # another process pruning at the same time, say
        log.info("map page cache: could not prune %s (%s)", directory, exc)


__all__ = [
    "APP_CACHE_NAME",
    "CACHE_DIR_ENV",
    "MAX_PAGES",
    "page_cache_dir",
    "page_key",
    "read_page",
    "user_cache_dir",
    "write_page",
]
