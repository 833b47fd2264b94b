"""Tables of a project file that are not ours, carried across a save.

A project is a GeoPackage, so users add to it with other tools: a layer drawn in QGIS,
QGIS's ``layer_styles`` or ``qgis_projects`` tables, a tile pyramid, a view. A save
rebuilds the file from what the application holds; without this module every such
table was dropped in silence.

:func:`carry_foreign_tables` starts the new file as a consistent copy of the previous
one (SQLite's backup API, so a file another program has open is copied as committed),
removes the application's own layers from the copy with everything GeoPackage and GDAL
registered for them, and leaves the rest byte for byte: the tables, their indexes,
triggers, spatial indexes, styles, relations and metadata. The project writer then adds
its layers to that file as it would to an empty one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection
from contextlib import closing
from pathlib import Path

#: GeoPackage and GDAL bookkeeping tables that name a table in a ``table_name`` column.
_REGISTRIES = (
    "gpkg_contents",
    "gpkg_geometry_columns",
    "gpkg_extensions",
    "gpkg_data_columns",
    "gpkg_metadata_reference",
    "gpkg_tile_matrix",
    "gpkg_tile_matrix_set",
    "gpkg_ogr_contents",
)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def _is_system(name: str) -> bool:
    low = name.lower()
    return low.startswith(("gpkg_", "gpkgext_", "sqlite_", "rtree_"))


def foreign_tables(
    path: str | os.PathLike[str], own: Collection[str], *, marker: tuple[str, str]
) -> list[str]:
    """Tables and views of the project at ``path`` that are not the application's.

    Parameters
    ----------
    path : path-like
        A GeoPackage.
    own : collection of str
        The application's table names (compared without case, as SQLite does).
    marker : (str, str)
        ``(key, JSON value)`` of the ``project`` table row that marks the file as a
        project of this application. A file without it has no tables to carry: saving
        over some other GeoPackage replaces it, as the user confirmed.

    Returns
    -------
    list of str
        In the file's order; empty when the file is missing, unreadable, not a
        project, or holds nothing else.
    """
    p = Path(path)
    if not p.is_file():
        return []
    owned = {name.lower() for name in own}
    try:
        with closing(_connect_read_only(p)) as db:
            key, value = marker
            found = db.execute(
                "SELECT 1 FROM project WHERE key = ? AND value = ?", (key, value)
            ).fetchone()
            if found is None:
                return []
            rows = db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY rowid"
            ).fetchall()
    except sqlite3.Error:  # not SQLite, damaged, not a project: nothing we can carry
        return []
    return [name for (name,) in rows if name.lower() not in owned and not _is_system(name)]


def carry_foreign_tables(
    source: str | os.PathLike[str],
    dest: Path,
    own: Collection[str],
    *,
    marker: tuple[str, str],
) -> list[str]:
    """Start ``dest`` as ``source`` without the application's own layers.

    Parameters
    ----------
    source : path-like
        The project file being replaced (or the one the user opened).
    dest : Path
        The new file, not yet existing; created only when there is something to carry.
    own : collection of str
        The application's tables, removed from the copy with their registrations.
    marker : (str, str)
        As for :func:`foreign_tables`.

    Returns
    -------
    list of str
        The tables and views carried over (empty: ``dest`` was not created).

    Raises
    ------
    sqlite3.Error, OSError
        The copy failed (the caller's atomic save then leaves the old file as it was).
    """
    carried = foreign_tables(source, own, marker=marker)
    if not carried:
        return []
    with closing(_connect_read_only(Path(source))) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        _drop_own(dst, own)
        dst.commit()
        dst.execute("VACUUM")  # the dropped layers' pages, not carried into the new file
    return carried


def _drop_own(db: sqlite3.Connection, own: Collection[str]) -> None:
    """Drop the ``own`` tables from ``db`` with their spatial index and registrations."""
    present = {
        name.lower(): name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    registries = [r for r in _REGISTRIES if r in present]
    for table in own:
        real = present.get(table.lower())
        if real is None:
            continue
        if "gpkg_geometry_columns" in present:
            for (column,) in db.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = ?",
                (table.lower(),),
            ).fetchall():
                rtree = f"rtree_{real}_{column}"
                if rtree.lower() in present:
                    db.execute(f'DROP TABLE "{_quoted(present[rtree.lower()])}"')
        # The table's own triggers (GDAL's spatial-index upkeep) go with it.
        db.execute(f'DROP TABLE "{_quoted(real)}"')
        for registry in registries:
            db.execute(
                f"DELETE FROM {registry} WHERE lower(table_name) = ?",  # noqa: S608 - fixed names
                (table.lower(),),
            )


def _quoted(name: str) -> str:
    return name.replace('"', '""')


__all__ = ["carry_foreign_tables", "foreign_tables"]
