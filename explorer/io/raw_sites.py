"""A file's records as raw columns (:class:`RawSites`), as every reader hands them over.

The columns are Arrow arrays or Python lists: the column checks
(:mod:`explorer.io.column_check`) read them in bulk, the per-record path
(:mod:`explorer.io.record_check`) one record at a time. Nothing here loads pyarrow, so a
small file read the per-record way never does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.core.errors import Problem
from explorer.core.schema import LINE_FIELDS, SOURCE_FIELDS

if TYPE_CHECKING:
    from explorer.io.arrow_values import Column

#: Site attributes a record may carry (what ``parse_site`` reads, besides the lists).
SITE_KEYS = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "chips",
    "power_mw",
    "confidence",
    "notes",
    "updated_at",
    "part_of",
    "supersedes",
)
#: The flat schema: one hardware line spelt as columns of the record itself.
FLAT_LINE_KEYS = (
    "chip_model",
    "chips",
    "servers",
    "gpus_per_server",
    "phase",
    "online",
    "chips_low",
    "chips_high",
    "line_status",
)
#: Keys of a hardware line as ``parse_hardware`` reads them.
LINE_KEYS = LINE_FIELDS
SOURCE_KEYS = SOURCE_FIELDS


@dataclass
class ChildRows:
    """Rows of a child table (hardware lines or sources) keyed by their record.

    Attributes
    ----------
    site : numpy.ndarray of int64
        The record (0-based) each row belongs to; rows of one record in their order.
    columns : dict of str to column
        Raw values per key (:data:`LINE_KEYS` or :data:`SOURCE_KEYS`; a key left out
        reads as missing).
    """

    site: np.ndarray
    columns: dict[str, Column]
    _order: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.site.shape[0])

    def rows_of(self, i: int) -> np.ndarray:
        """The rows of record ``i``, in their order."""
        if self._order is None:
            self._order = np.argsort(self.site, kind="stable")
        ordered = self.site[self._order]
        a, b = np.searchsorted(ordered, i, "left"), np.searchsorted(ordered, i, "right")
        return self._order[a:b]


@dataclass
class RawSites:
    """A file's records as raw columns, for :func:`check_sites`.

    Attributes
    ----------
    n : int
        Number of records.
    label : callable
        ``label(i)`` is record ``i``'s position in messages (``"feature 3"``).
    columns : dict of str to column
        Raw site attributes (:data:`SITE_KEYS`, and :data:`FLAT_LINE_KEYS` for the flat
        schema).
    lon, lat : column
        Coordinates as found (placeholders where the reader found a problem).
    flat : numpy.ndarray of bool
        Records whose hardware is the flat columns (one line) rather than ``lines``.
    lines, sources : ChildRows or None
        Nested hardware lines and sources.
    pre : dict of int to list of Problem
        Problems the reader already found in a record (bad geometry, bad JSON); such a
        record is rejected with them.
    odd : numpy.ndarray of bool
        Records the reader wants checked the per-record way (e.g. its hardware is not a
        list of objects).
    hardware_value, sources_value : callable, optional
        ``f(i)``: the raw ``hardware`` / ``sources`` value of record ``i`` for the
        per-record path, when it is not to be rebuilt from ``lines`` / ``sources``.
    rejected : frozenset of int
        Records that are not records at all (a feature that is not an object): left out
        with their ``pre`` problems only, never parsed, their id never registered.
    approximate_words : bool
        True when values may be typed differently from the file's literal text (Arrow's
        JSON reader reads the integer 1 as 1.0 in a column that also holds 2.5): the
        values are the same, but a problem message would quote them differently, so a
        file with problems is read again the general way.
    """

    n: int
    label: Callable[[int], str]
    columns: dict[str, Column]
    lon: Column
    lat: Column
    flat: np.ndarray
    lines: ChildRows | None = None
    sources: ChildRows | None = None
    pre: dict[int, list[Problem]] = field(default_factory=dict)
    odd: np.ndarray | None = None
    hardware_value: Callable[[int], Any] | None = None
    sources_value: Callable[[int], Any] | None = None
    rejected: frozenset[int] = frozenset()
    approximate_words: bool = False

    # ------------------------------------------------------------------ per record
    def props(self, i: int) -> dict[str, Any]:
        """Record ``i`` as the mapping ``parse_site`` reads (the per-record path)."""
        props = {k: value_at(c, i) for k, c in self.columns.items()}
        if self.flat[i]:
            props["hardware"] = single_hardware_line(props)
            props.pop("chips", None)  # it is the line's count, not a separate total
        elif self.hardware_value is not None:
            props["hardware"] = self.hardware_value(i)
        else:
            props["hardware"] = _child_dicts(self.lines, i, LINE_KEYS)
        if self.sources_value is not None:
            props["sources"] = self.sources_value(i)
        else:
            props["sources"] = _child_dicts(self.sources, i, SOURCE_KEYS)
        return props


def value_at(col: Column, i: int) -> Any:
    """One raw value: a Python value, with Arrow nulls and NaN numbers as None."""
    # A column can only be Arrow once pyarrow is loaded: a small file read record by
    # record never loads it (issue 10, cold start), so it is not imported here.
    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(col, pa.Array | pa.ChunkedArray):
        v = col[i].as_py()
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return v
    return col[i]


def _child_dicts(rows: ChildRows | None, i: int, keys: Sequence[str]) -> list[dict[str, Any]]:
    if rows is None:
        return []
    idx = rows.rows_of(i)
    return [{k: value_at(rows.columns[k], int(j)) for k in keys if k in rows.columns} for j in idx]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _plain(v: Any) -> Any:
    """Text stripped, missing as ``""`` (as a CSV cell reads); other values as they are."""
    if v is None:
        return ""
    return v.strip() if isinstance(v, str) else v


def single_hardware_line(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat schema's one hardware line (none when model and chips are both blank).

    ``chip_model`` and ``chips`` name the line, with the optional ``servers``,
    ``gpus_per_server``, ``phase``, ``online``, ``chips_low``, ``chips_high`` and
    ``line_status`` (``status`` is the site's own).
    """
    model, chips = props.get("chip_model"), props.get("chips")
    if _blank(model) and _blank(chips):
        return []
    line: dict[str, Any] = {"chip_model": _plain(model), "chips": _plain(chips)}
    for key in ("servers", "gpus_per_server", "phase", "online", "chips_low", "chips_high"):
        if key in props:
            line[key] = props[key]
    if "line_status" in props:
        line["status"] = props["line_status"]
    return [line]


__all__ = [
    "FLAT_LINE_KEYS",
    "LINE_KEYS",
    "SITE_KEYS",
    "SOURCE_KEYS",
    "ChildRows",
    "RawSites",
    "single_hardware_line",
    "value_at",
]
