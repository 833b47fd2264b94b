"""What the flat table models share: column lookup, headers, row runs, filter changes.

The site table (:mod:`explorer.ui.site_table`) and the totals-by-area table
(:mod:`explorer.ui.area_totals`) are read-only tables whose columns are a
``(key, header)`` tuple; the region tree (:mod:`explorer.ui.region_panel`) uses the
same column lookup and row runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

#: Tooltip of a row that shows an illustrative (not reported) site.
ILLUSTRATIVE_TEXT = "Illustrative scenario — not a reported fact"

#: Alignment of numeric cells.
RIGHT_ALIGNED = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

#: ``(key, header)`` per column, in display order.
Columns = tuple[tuple[str, str], ...]

AnyIndex = QModelIndex | QPersistentModelIndex


def column_index(columns: Columns, key: str) -> int:
    """Column number of the column ``key`` in ``columns``; raises ``KeyError``."""
    for i, (k, _) in enumerate(columns):
        if k == key:
            return i
    raise KeyError(key)


def row_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted row numbers into contiguous ``(first, last)`` runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def change_filter(proxy: QSortFilterProxyModel, apply: Callable[[], None]) -> None:
    """Run ``apply`` (which changes what ``proxy`` filters by) and refilter the rows."""
    # beginFilterChange/endFilterChange (Qt >= 6.9) replace invalidateFilter().
    if hasattr(proxy, "beginFilterChange"):
        proxy.beginFilterChange()
        apply()
        proxy.endFilterChange(QSortFilterProxyModel.Direction.Rows)
    else:  # pragma: no cover - older Qt
        apply()
        proxy.invalidateFilter()


class ColumnsTableModel(QAbstractTableModel):
    """A flat, read-only table whose columns are :attr:`columns`.

    Subclasses set :attr:`columns` and answer ``rowCount`` and ``data``.
    """

    #: ``(key, header)`` per column, in display order.
    columns: ClassVar[Columns] = ()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of columns (0 under a valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self.columns)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles; row headers are not shown."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.columns):
                return self.columns[section][1]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Selectable and enabled, never editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled

    def announce_row_changed(self, row: int) -> None:
        """Tell the views that every cell of ``row`` may have changed."""
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))


__all__ = [
    "ILLUSTRATIVE_TEXT",
    "RIGHT_ALIGNED",
    "AnyIndex",
    "Columns",
    "ColumnsTableModel",
    "change_filter",
    "column_index",
    "row_runs",
]
