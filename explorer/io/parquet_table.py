"""A Parquet file's table, read at once or ahead of time on a thread.

The bytes-to-columns part of reading GeoParquet, kept apart from the checks
(:mod:`explorer.io.geoparquet`) so that it needs nothing but Arrow: a command that knows
its file from the command line starts the read (:func:`read_ahead`) and imports the
rest of what it needs - NumPy's and Arrow's compute functions, shapely, the checks, a
tenth of a second - while Arrow reads, decompresses and decodes on its own threads (it
lets go of the interpreter for all of that). The reader then takes the table read ahead
(:func:`take_ahead`) instead of reading again.

A read ahead is taken at most once, and only for the same file unchanged since (path,
size, modification time); anything else reads afresh. Its failure is raised where the
table is taken, as if it were read there.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pyarrow as pa

from explorer.core.errors import DataFileError
from explorer.io.on_thread import OnThread

#: Text columns taking less than this many bytes of the file per row are read as
#: dictionaries (a few distinct values, stored once, and a small index per row).
DICTIONARY_BYTES_PER_ROW = 0.5


def read_table(path: str | os.PathLike[str]) -> pa.Table:
    """The whole table of the Parquet file at ``path``, its few-valued text columns as
    dictionaries (:func:`few_values`).

    Raises
    ------
    DataFileError
        Missing or unreadable file, a directory, or not Parquet.
    """
    import pyarrow.parquet as pq

    if not os.path.exists(path):
        raise DataFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataFileError(f"{path} is a directory, not a file")
    try:
        # ParquetFile, not read_table: the dataset layer read_table goes through imports
        # pandas, a third of a second before the first byte is read.
        parquet = pq.ParquetFile(str(path))
        few = few_values(parquet)
        if few:
            parquet = pq.ParquetFile(str(path), read_dictionary=few)
        return parquet.read()
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    except (pa.ArrowException, OSError) as exc:
        text = " ".join(str(exc).split())[:200]
        raise DataFileError(f"{path} is not a readable Parquet file ({text})") from None


def few_values(parquet: Any) -> list[str]:
    """The top-level text columns of ``parquet`` (a ``pyarrow.parquet.ParquetFile``) to
    read as dictionaries: those stored in under half a byte per row.

    Such a column can only hold a few distinct values (status, province, chip model...):
    read as a dictionary, it is not decoded into a string per row (a tenth of a second
    for five such columns at a million rows) and the checks run on its distinct values.
    The choice only changes how fast the file is read, never what is read.
    """
    meta = parquet.metadata
    rows = meta.num_rows
    if rows == 0:
        return []
    schema = parquet.schema_arrow
    text = {
        f.name
        for f in schema
        if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) and f.name != "id"
    }
    size: dict[str, int] = {}
    for r in range(meta.num_row_groups):
        group = meta.row_group(r)
        for j in range(group.num_columns):
            column = group.column(j)
            name = column.path_in_schema
            if name in text:
                size[name] = size.get(name, 0) + column.total_compressed_size
    return [name for name, total in size.items() if total < rows * DICTIONARY_BYTES_PER_ROW]


_lock = threading.Lock()
#: The read ahead not taken yet: (the file's key, the read).
_ahead: tuple[tuple[str, int, int], OnThread[pa.Table]] | None = None


def _key(path: str | os.PathLike[str]) -> tuple[str, int, int] | None:
    """(absolute path, size, modification time) of a regular file, else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def read_ahead(path: str | os.PathLike[str]) -> bool:
    """Start reading the Parquet file at ``path`` on a thread; True if started.

    Nothing is started for a path that is not a regular file (the reader then says what
    is wrong, as always), nor again for the file being read ahead already. A read ahead
    of another file, not taken yet, is replaced (its thread runs out and its table is
    dropped).
    """
    global _ahead
    key = _key(path)
    if key is None:
        return False
    with _lock:
        if _ahead is not None and _ahead[0] == key:
            return False
        _ahead = (key, OnThread("parquet read ahead", read_table, str(path)))
    return True


def take_ahead(path: str | os.PathLike[str]) -> pa.Table | None:
    """The table read ahead for ``path``, waiting for the read to finish; None when no
    read ahead is for this file as it is now (then read it yourself).

    Raises
    ------
    DataFileError
        The read ahead failed (as :func:`read_table` would have).
    """
    global _ahead
    with _lock:
        ahead, _ahead = _ahead, None
    if ahead is None or ahead[0] != _key(path):
        return None
    table = ahead[1].result()
    if ahead[0] != _key(path):  # changed while it was read
        return None
    return table


__all__ = ["DICTIONARY_BYTES_PER_ROW", "few_values", "read_ahead", "read_table", "take_ahead"]
