"""The site table: an item model over the store, a filter proxy, and the widget.

:class:`SiteTableModel` is a thin adapter: it mirrors the store's order and values,
keyed by site id, and turns store events into the matching Qt model notifications. It
never changes the store. :class:`SiteTable` binds the view's row selection to the shared
:class:`~explorer.core.selection.Selection` in both directions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import PROVINCES, STATUSES, Site
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.io.site_columns import SiteColumns
from explorer.ui.idle_queue import IdleQueue, Urgency
from explorer.ui.qt_store import SelectionSignals, StoreSignals
from explorer.ui.site_table_columns import (
    COLUMNS,
    DERIVED,
    haystack,
    models_text,
    sort_value,
    table_column,
    table_column_steps,
)
from explorer.ui.tables import (
    ILLUSTRATIVE_TEXT,
    RIGHT_ALIGNED,
    AnyIndex,
    ColumnsTableModel,
    column_index,
    row_runs,
)
from explorer.ui.text_order import Stepped, dense_ranks, dense_ranks_steps

_USER = int(Qt.ItemDataRole.UserRole)
#: Role returning the site id (str) of a row, in any column.
SiteIdRole = _USER + 1
#: Role the proxy sorts by: numbers for numeric columns, case-folded text otherwise.
SortRole = _USER + 2
#: Role returning the :class:`Site` value of a row, in any column.
SiteRole = _USER + 3

_NUMERIC = frozenset({"chips", "power_mw"})


def _rank_key(column: int) -> str:
    """Where the model keeps the sort ranks of ``column``."""
    return f"rank:{COLUMNS[column][0]}"


def column_of(key: str) -> int:
    """Column number of the column ``key`` (e.g. ``"chips"``); raises ``KeyError``."""
    return column_index(COLUMNS, key)


#: The names the warm-ups after a load are requested under (see SiteTableModel).
_WARM_SEARCH = "warm search"
_WARM_NAME_RANKS = "warm name ranks"
#: The model's cached columns and ranks that a warm-up builds: asked for before it is
#: done, the warm-up is finished from where it is rather than the work begun again.
_WARMED_BY = {"hay": _WARM_SEARCH, _rank_key(column_of("name")): _WARM_NAME_RANKS}
#: Above this many rows a text filter typed while the search text is still being built
#: waits for it (the rows follow when it is done) rather than build the rest at once:
#: at a million rows that stopped the window for 0.3-0.9 s.
SEARCH_AT_ONCE_ROWS = 200_000


class SiteTableModel(ColumnsTableModel):
    """Read-only table of the store's sites, one row per site, in store order.

    Parameters
    ----------
    store : SiteStore
        The store to mirror. The model keeps its own id list and values so that it can
        answer Qt's questions consistently while it is announcing a change that the
        store has already made.
    parent : QObject, optional
    idle : IdleQueue, optional
        Where building the search text and sort ranks after a reset waits for free
        turns of the event loop (shared with the window's other views; a private one
        by default).
    """

    columns = COLUMNS

    #: The search text is built (after :meth:`search_waits` said it was not).
    searchReady = Signal()

    def __init__(
        self, store: SiteStore, parent: QObject | None = None, *, idle: IdleQueue | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._ids: list[str] = []
        # The values store events handed over since the last reset; every other row is
        # as the store holds it, read from there (and so built) only when shown.
        self._sites: dict[str, Site] = {}
        self._rows: Mapping[str, int] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        #: Counts the changes of rows: work done in steps keeps its result only if
        #: nothing changed meanwhile.
        self._version = 0
        self._load()
        self._events = StoreSignals(store, self)
        self._events.inserted.connect(self._on_inserted)
        self._events.removed.connect(self._on_removed)
        self._events.changed.connect(self._on_changed)
        self._events.reset_done.connect(self._on_reset_done)
        # Warms the filter's and the sort's columns after a reset, a piece per free turn
        # of the event loop, after what the window shows (not queued calls: those run
        # back to back with the reset that queued them, and the window would take no
        # click in between).
        self._idle = idle if idle is not None else IdleQueue(self)

    # ------------------------------------------------------------------ lookups
    def row_of(self, sid: str) -> int | None:
        """Row of site ``sid``, or None when it is not in the table."""
        return self._rows.get(sid)

    def site_id_at(self, row: int) -> str:
        """Id of the site in ``row``."""
        return self._ids[row]

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of sites (0 under a valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell values for the display, sort, font, alignment and custom roles."""
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        site = self._site(self._ids[index.row()])
        if site is None:
            return None
        key = COLUMNS[index.column()][0]
        role = int(role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(site, key)
        if role == SortRole:
            return self._sort_value(site, key)
        if role == SiteIdRole:
            return site.id
        if role == SiteRole:
            return site
        if role == Qt.ItemDataRole.FontRole and site.is_illustrative:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole and site.is_illustrative:
            return ILLUSTRATIVE_TEXT
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return int(RIGHT_ALIGNED)
        return None

    @staticmethod
    def _display(site: Site, key: str) -> str:
        if key == "chips":
            return f"{site.chips:,}"
        if key == "models":
            return models_text(site)
        if key == "power_mw":
            return "" if site.power_mw is None else f"{site.power_mw:,.6g}"
        if key == "confidence" and site.is_illustrative:
            return "illustrative"
        return str(getattr(site, key))

    @staticmethod
    def _sort_value(site: Site, key: str) -> Any:
        return sort_value(site, key)

    # ------------------------------------------------------------------ store events
    def _load(self) -> None:
        self._version += 1
        self._ids = self.store.ids()
        self._sites = {}
        self._cache: dict[str, list[Any]] = {}
        self._reindex()

    def _site(self, sid: str) -> Site | None:
        """The value the table shows for ``sid`` (None: not a site of the store; Qt
        asked in the moment between a store reset and ours)."""
        site = self._sites.get(sid)
        if site is None and sid in self.store:
            site = self.store.get(sid)
        return site

    # ------------------------------------------------------------------ columns for the proxy
    def site_at(self, row: int) -> Site:
        """The site shown in source ``row``."""
        site = self._site(self._ids[row])
        if site is None:
            raise KeyError(f"no site for row {row}")
        return site

    def _column(self, name: str) -> list[Any]:
        """A per-row list derived from the sites, cached until the model is reset (an
        edit, insert or removal updates the cached entries of its rows only).

        While the store holds a file's rows as loaded, read from those columns: no site
        is built for it."""
        cached = self._cache.get(name)
        if cached is None and name in _WARMED_BY and self._idle.finish(self, _WARMED_BY[name]):
            cached = self._cache.get(name)  # its warm-up, finished from where it was
        if cached is None:
            rows = self._rows_as_loaded()
            if rows is not None:
                cached = table_column(rows, name)
            else:
                make = DERIVED[name]
                cached = [make(self.site_at(i)) for i in range(len(self._ids))]
            self._cache[name] = cached
        return cached

    def _rows_as_loaded(self) -> SiteColumns | None:
        """The file's table the store holds, when every row shows it as read (no row
        edited, added or removed since the reset)."""
        rows = self.store.rows_as_loaded()
        if isinstance(rows, SiteColumns) and not self._sites and len(rows) == len(self._ids):
            return rows
        return None

    def distinct_models(self) -> list[str]:
        """Every chip model the rows name, each once, in the order the rows first name
        them. While the store holds a file's rows as loaded, read from the table's line
        column (lines are in row order), not from the per-row column of model tuples."""
        rows = self._rows_as_loaded()
        if "models" not in self._cache and rows is not None:
            return rows.lines.codes("chip_model").in_order_seen()
        return list(dict.fromkeys(chain.from_iterable(self._column("models"))))

    def derived(self, name: str) -> list[Any]:
        """The per-row column ``name`` of :data:`~explorer.ui.site_table_columns.DERIVED`
        (``"models"``, ``"province"``...), in source order; do not modify it."""
        return self._column(name)

    def sort_keys(self, column: int) -> list[Any]:
        """The :data:`SortRole` value of every row in ``column``, in source order."""
        return self._column(f"sort:{COLUMNS[column][0]}")

    def sort_ranks(self, column: int) -> np.ndarray:
        """Each source row's rank in ``column`` (int64; equal keys share a rank), so any
        subset of rows sorts as integers: text sorted with ``sorted()`` on every
        keystroke or header click took 60-200 ms at 100,000 rows, the ranks once."""
        name = _rank_key(column)
        ranks = self._ranks.get(name)
        if ranks is None and name in _WARMED_BY and self._idle.finish(self, _WARMED_BY[name]):
            ranks = self._ranks.get(name)  # its warm-up, finished from where it was
        if ranks is None:
            ranks = dense_ranks(self.sort_keys(column))
            self._ranks[name] = ranks
        return ranks

    def chips_array(self) -> np.ndarray:
        """Chips per source row."""
        return np.fromiter(self._column("sort:chips"), dtype=np.int64, count=len(self._ids))

    def filter_mask(self, text: str, status: str, chip_model: str, province: str) -> np.ndarray:
        """Source rows passing the filters (see :class:`SiteFilterProxy`), in one pass per
        active filter over cached columns: no per-row call into the model."""
        n = len(self._ids)
        mask = np.ones(n, dtype=bool)
        if status:
            mask &= np.fromiter((v == status for v in self._column("status")), bool, n)
        if province:
            mask &= np.fromiter((v == province for v in self._column("province")), bool, n)
        if chip_model:
            mask &= np.fromiter((chip_model in v for v in self._column("models")), bool, n)
        if text:
            mask &= np.fromiter((text in v for v in self._column("hay")), bool, n)
        return mask

    def _reindex(self) -> None:
        rows = self.store.rows_as_loaded()
        if rows is not None and len(rows) == len(self._ids):
            # The store holds a table's rows as they are: their shared index (only read).
            self._rows = rows.row_index()
        else:
            self._rows = {sid: i for i, sid in enumerate(self._ids)}
        self._ranks: dict[str, np.ndarray] = {}

    def _on_inserted(self, sites: Sequence[Site]) -> None:
        self._version += 1
        # Place each new row where the store put it (undoing a delete restores positions).
        order = {sid: i for i, sid in enumerate(self.store.ids())}
        new = sorted((s for s in sites if s.id not in self._rows), key=lambda s: order[s.id])
        by_pos = {order[s.id]: s for s in new}
        for first, last in row_runs(sorted(by_pos)):
            self.beginInsertRows(QModelIndex(), first, last)
            for pos in range(first, last + 1):
                s = by_pos[pos]
                self._ids.insert(pos, s.id)
                self._sites[s.id] = s
                for name, values in self._cache.items():
                    values.insert(pos, DERIVED[name](s))
            self._reindex()
            self.endInsertRows()

    def _on_removed(self, sites: Sequence[Site]) -> None:
        self._version += 1
        rows = sorted(self._rows[s.id] for s in sites if s.id in self._rows)
        # The store has dropped them already: keep their values until the rows go.
        self._sites.update((s.id, s) for s in sites if s.id in self._rows)
        for first, last in reversed(row_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            for sid in self._ids[first : last + 1]:
                del self._sites[sid]
            del self._ids[first : last + 1]
            for values in self._cache.values():
                del values[first : last + 1]
            self._reindex()
            self.endRemoveRows()

    def _on_changed(self, old: Site, new: Site) -> None:
        self._version += 1
        row = self._rows.get(new.id)
        if row is None:
            return
        self._sites[new.id] = new
        for name, values in self._cache.items():
            values[row] = DERIVED[name](new)
        self._ranks.clear()  # a changed key can move every rank after it
        self.announce_row_changed(row)

    def _on_reset_done(self) -> None:
        self.beginResetModel()
        self._load()
        self.endResetModel()
        # Build what the text filter searches now, while the user is still looking at
        # the new file, rather than on the first keystroke; the name column's ranks
        # next (the column people sort by first).
        self._idle.request(self, _WARM_SEARCH, self._warm_search, Urgency.WARM)
        self._idle.request(self, _WARM_NAME_RANKS, self._warm_name_ranks, Urgency.WARM)

    def _warm_search(self) -> Stepped:
        """The search text, built a few tens of milliseconds per turn of the event loop
        from a file's rows as loaded; kept unless a row changed meanwhile (it is then
        built when first searched)."""
        rows = self._rows_as_loaded()
        if "hay" in self._cache or rows is None:
            self._column("hay")
        else:
            version = self._version
            hay = yield from table_column_steps(rows, "hay")
            if self._version == version and "hay" not in self._cache:
                self._cache["hay"] = hay
        self.searchReady.emit()  # built, or (a row changed meanwhile) built when searched

    def finish_search(self) -> None:
        """Build the search text now if it is not built (its warm-up finished from where
        it is)."""
        self._column("hay")

    def search_waits(self) -> bool:
        """Whether a text filter should wait for :attr:`searchReady` instead of having
        the search text built now: it is being built after a load, and there are more
        than :data:`SEARCH_AT_ONCE_ROWS` rows. Asking makes that build the most urgent
        of the window's deferred work."""
        if "hay" in self._cache or len(self._ids) <= SEARCH_AT_ONCE_ROWS:
            return False
        return self._idle.hurry(self, _WARM_SEARCH, Urgency.SHOWN)

    def _warm_name_ranks(self) -> Stepped:
        """The name column's sort ranks, ranked by Arrow on the queue's helper thread;
        kept unless a row changed meanwhile."""
        column = column_of("name")
        name = _rank_key(column)
        if name in self._ranks:
            return
        version = self._version
        keys = self.sort_keys(column)
        yield None
        ranks = yield from dense_ranks_steps(keys, self._idle.off_thread)
        if self._version == version:
            self._ranks.setdefault(name, ranks)


class SiteFilterProxy(QAbstractProxyModel):
    """Filters and sorts the rows of a :class:`SiteTableModel`.

    Each filter is a string; ``""`` means "any". All filters must match.

    * text: case-insensitive substring of name, operator, tenant, prefecture or notes;
    * status: exact status;
    * chip model: the site has a hardware line of that model;
    * province: exact province.

    Sorting (by a column's :data:`SortRole` value) is stable: equal values keep the
    store's order, ascending or descending.

    Unlike a ``QSortFilterProxyModel``, which asks the model for every row through a
    Python call on each keystroke, this proxy keeps the displayed order as one array of
    source rows and recomputes it from the model's cached columns (one pass per active
    filter, one sort), so 100,000 rows filter and sort per keystroke without a call per
    row. Filtering resets the view (the table re-selects the shared selection); sorting
    and edits that reorder rows are layout changes that keep the view's selection.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._text_waits = False
        self._status = ""
        self._chip_model = ""
        self._province = ""
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._rows = np.zeros(0, dtype=np.int64)
        self._pos = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ the source
    def setSourceModel(self, model: QAbstractItemModel) -> None:  # noqa: N802
        """Follow ``model`` (a :class:`SiteTableModel`)."""
        old = self.sourceModel()
        if old is not None:
            for sig, slot in self._source_slots():
                getattr(old, sig).disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._rows, self._pos = self._mapping()
        self.endResetModel()
        for sig, slot in self._source_slots():
            getattr(model, sig).connect(slot)

    def _source_slots(self) -> list[tuple[str, Callable[..., None]]]:
        return [
            ("rowsInserted", self._on_source_rows),
            ("rowsRemoved", self._on_source_rows),
            ("modelReset", self._on_source_rows),
            ("layoutChanged", self._on_source_rows),
            ("dataChanged", self._on_source_data),
            ("searchReady", self._on_search_ready),
        ]

    def _on_search_ready(self) -> None:
        if self._text_waits:
            self._refilter()

    @property
    def text_waits(self) -> bool:
        """Whether the text filter is set but not yet applied (the search text of a
        large file is still being built; the rows follow when it is)."""
        return self._text_waits

    def _model(self) -> SiteTableModel:
        model = self.sourceModel()
        assert isinstance(model, SiteTableModel)
        return model

    # ------------------------------------------------------------------ filters
    @property
    def text(self) -> str:
        """Current text filter."""
        return self._text

    @property
    def status(self) -> str:
        """Current status filter."""
        return self._status

    @property
    def chip_model(self) -> str:
        """Current chip-model filter."""
        return self._chip_model

    @property
    def province(self) -> str:
        """Current province filter."""
        return self._province

    def set_text(self, text: str) -> None:
        """Show only sites whose name/operator/tenant/prefecture/notes contain ``text``."""
        self._set_filter("_text", text.strip().casefold())

    def set_status(self, status: str) -> None:
        """Show only sites with this status (``""``: any)."""
        self._set_filter("_status", status)

    def set_chip_model(self, model: str) -> None:
        """Show only sites with a hardware line of this chip model (``""``: any)."""
        self._set_filter("_chip_model", model)

    def set_province(self, province: str) -> None:
        """Show only sites in this province (``""``: any)."""
        self._set_filter("_province", province)

    def _set_filter(self, attr: str, value: str) -> None:
        if getattr(self, attr) == value:
            return
        setattr(self, attr, value)
        self._refilter()

    def accepts(self, site: Site) -> bool:
        """Whether ``site`` passes every active filter."""
        if self._status and site.status != self._status:
            return False
        if self._province and site.province != self._province:
            return False
        if self._chip_model and all(h.chip_model != self._chip_model for h in site.hardware):
            return False
        return not self._text or self._text in haystack(site)

    # ------------------------------------------------------------------ the mapping
    def _mapping(self) -> tuple[np.ndarray, np.ndarray]:
        """(source rows in display order, display row of each source row or -1)."""
        model = self.sourceModel()
        if not isinstance(model, SiteTableModel):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        n = model.rowCount()
        text = self._text
        # A large file's search text still being built: the other filters now, the text
        # when it is ready (see SiteTableModel.search_waits).
        self._text_waits = bool(text) and model.search_waits()
        if self._text_waits:
            text = ""
        if text or self._status or self._chip_model or self._province:
            rows = np.flatnonzero(
                model.filter_mask(text, self._status, self._chip_model, self._province)
            )
        else:
            rows = np.arange(n, dtype=np.int64)
        if self._sort_column >= 0 and rows.size:
            keys = model.sort_keys(self._sort_column)
            descending = self._sort_order == Qt.SortOrder.DescendingOrder
            if COLUMNS[self._sort_column][0] in _NUMERIC:
                values = np.asarray(keys, dtype=np.float64)[rows]
                if descending:
                    # Stable on the reversed rows, reversed back: ties in store order.
                    order = np.argsort(values[::-1], kind="stable")[::-1]
                    rows = rows[::-1][order]
                else:
                    rows = rows[np.argsort(values, kind="stable")]
            else:
                # Stable on ranks (negated when descending): ties keep the store's order
                # both ways, as sorted(..., reverse=True) keeps them.
                ranks = model.sort_ranks(self._sort_column)[rows]
                rows = rows[np.argsort(-ranks if descending else ranks, kind="stable")]
        pos = np.full(n, -1, dtype=np.int64)
        pos[rows] = np.arange(rows.size, dtype=np.int64)
        return rows.astype(np.int64), pos

    def _refilter(self) -> None:
        rows, pos = self._mapping()
        if np.array_equal(rows, self._rows):
            return
        self.beginResetModel()
        self._rows, self._pos = rows, pos
        self.endResetModel()

    def _relayout(self) -> None:
        """Re-sort or re-filter after a value changed, keeping the view's selection."""
        rows, pos = self._mapping()
        if np.array_equal(rows, self._rows):
            return
        if rows.size != self._rows.size or not np.array_equal(pos >= 0, self._pos >= 0):
            self.beginResetModel()
            self._rows, self._pos = rows, pos
            self.endResetModel()
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        sources = [self._rows[i.row()] if i.isValid() else -1 for i in old]
        self._rows, self._pos = rows, pos
        new = [
            self.index(int(pos[r]), i.column()) if r >= 0 else QModelIndex()
            for r, i in zip(sources, old, strict=True)
        ]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (-1: the store's order)."""
        if (column, order) == (self._sort_column, self._sort_order):
            return  # the header and the view both ask on one click
        self._sort_column = column
        self._sort_order = order
        self._relayout()

    def _on_source_rows(self, *_: object) -> None:
        self.beginResetModel()
        self._rows, self._pos = self._mapping()
        self.endResetModel()

    def _on_source_data(self, top: QModelIndex, bottom: QModelIndex, roles: Any = ()) -> None:
        filtering = self._text or self._status or self._chip_model or self._province
        if filtering or self._sort_column >= 0:
            self._relayout()
        for row in range(top.row(), bottom.row() + 1):
            if 0 <= row < self._pos.size and self._pos[row] >= 0:
                p = int(self._pos[row])
                self.dataChanged.emit(self.index(p, 0), self.index(p, len(COLUMNS) - 1))

    # ------------------------------------------------------------------ Qt proxy API
    def mapToSource(self, index: AnyIndex) -> QModelIndex:  # noqa: N802
        """The source index shown at ``index``."""
        model = self.sourceModel()
        if model is None or not index.isValid() or not (0 <= index.row() < self._rows.size):
            return QModelIndex()
        return model.index(int(self._rows[index.row()]), index.column())

    def mapFromSource(self, index: AnyIndex) -> QModelIndex:  # noqa: N802
        """Where the source ``index`` is shown (invalid when filtered out)."""
        if not index.isValid() or not (0 <= index.row() < self._pos.size):
            return QModelIndex()
        p = int(self._pos[index.row()])
        return self.index(p, index.column()) if p >= 0 else QModelIndex()

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        """The index of a displayed cell."""
        if parent.isValid() or not (0 <= row < self._rows.size and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        """Flat table: no parents."""
        return QModelIndex()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Rows shown."""
        return 0 if parent.isValid() else int(self._rows.size)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """The model's columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles from the model."""
        model = self.sourceModel()
        if orientation == Qt.Orientation.Horizontal and model is not None:
            return model.headerData(section, orientation, role)
        return None

    # ------------------------------------------------------------------ reading
    def site_id_at(self, row: int) -> str:
        """Id of the site shown in proxy ``row``."""
        return self._model().site_id_at(int(self._rows[row]))

    def visible_sites(self) -> list[Site]:  # builds every site shown
        """The sites that pass the filters, in displayed order."""
        model = self._model()
        return [model.site_at(r) for r in self._rows.tolist()]

    def visible_chips(self) -> int:
        """Chips the records shown list (each record's own lines, summed as they are)."""
        return int(self._model().chips_array()[self._rows].sum()) if self._rows.size else 0

    def visible_ids(self) -> list[str]:
        """Ids of the sites that pass the filters, in displayed order (a text filter
        still waiting for the search text is applied first: an export of the listed
        sites never takes the rows shown while it waited)."""
        if self._text_waits:
            self._model().finish_search()
            self._refilter()
        return self.shown_ids()

    def shown_ids(self) -> list[str]:
        """Ids of the rows shown now, in displayed order (while a text filter waits,
        the rows the other filters pass)."""
        model = self._model()
        return [model.site_id_at(r) for r in self._rows.tolist()]


class _SiteTableView(QTableView):
    """A table view that never moves its selection by itself.

    In single-selection mode Qt selects a neighbouring row when the selected row goes
    away (filtered out, deleted). For a view bound to the shared selection that would
    silently re-point the map and panel at another site, so the view just drops its
    selection instead; the shared selection is left alone.
    """

    def rowsAboutToBeRemoved(self, parent: AnyIndex, start: int, end: int) -> None:  # noqa: N802
        """Clear the selection first when its row is among those being removed."""
        current = self.currentIndex()
        if current.isValid() and not parent.isValid() and start <= current.row() <= end:
            sel_model = self.selectionModel()
            sel_model.clearSelection()
            sel_model.clearCurrentIndex()
        super().rowsAboutToBeRemoved(parent, start, end)


class SiteTable(QWidget):
    """Filter bar, sortable site table and footer, bound to the shared selection.

    Selecting a row sets ``selection.current``; a selection made elsewhere (map, panel)
    selects and scrolls to its row. Rows hidden by a filter are not selected, and hiding
    the selected row does not clear the shared selection.

    Parameters
    ----------
    store : SiteStore
    selection : Selection
    catalogue : ChipCatalogue, optional
        Supplies the chip-model filter choices (models present in the store are always
        offered too).
    live_totals : LiveTotals, optional
        Counts the footer's chips (see ``footer``).
    idle : IdleQueue, optional
        Shared with the window's other views (see :class:`SiteTableModel`).
    parent : QWidget, optional

    Attributes
    ----------
    model : SiteTableModel
    proxy : SiteFilterProxy
    view : QTableView
    filter_edit : QLineEdit
    status_combo, model_combo, province_combo : QComboBox
        Item data is the filter value, ``""`` for "any".
    footer : QLabel
        ``"N of M sites · X chips counted · Y listed on the records"``: counted
        once (campus rule, supersession, cancelled lines, the date) when
        ``live_totals`` is given.
    """

    def __init__(
        self,
        store: SiteStore,
        selection: Selection,
        *,
        catalogue: ChipCatalogue | None = None,
        live_totals: LiveTotals | None = None,
        idle: IdleQueue | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("site_table")
        self.store = store
        self._live_totals = live_totals
        self.selection = selection
        self._catalogue_models: tuple[str, ...] = catalogue.names if catalogue else ()
        self._syncing = False

        self.model = SiteTableModel(store, self, idle=idle)
        self.proxy = SiteFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("filter_text")
        self.filter_edit.setPlaceholderText("Filter sites…")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_combo = self._combo("filter_status", "Any status", STATUSES)
        self.model_combo = self._combo("filter_model", "Any chip model", ())
        self.province_combo = self._combo("filter_province", "Any province", ())
        self._refresh_choices()

        self.view = _SiteTableView(self)
        self.view.setObjectName("site_table_view")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Names and operators are what people scan for: give them room from the start.
        self.view.resizeColumnsToContents()
        widths = (
            ("name", 280),
            ("operator", 200),
            ("tenant", 130),
            ("prefecture", 110),
            ("status", 110),
            ("chips", 80),
            ("models", 110),
            ("power_mw", 80),
        )
        for key, width in widths:
            self.view.setColumnWidth(column_of(key), width)
        # Start in store order; clicking a header sorts by that column.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)

        self.footer = QLabel(self)
        self.footer.setObjectName("footer")
        self.footer.setTextFormat(Qt.TextFormat.PlainText)

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 2)
        bar.addWidget(self.status_combo)
        bar.addWidget(self.model_combo)
        bar.addWidget(self.province_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.footer)

        self.filter_edit.textChanged.connect(self._on_filter_text_changed)
        self.status_combo.currentIndexChanged.connect(self._on_status_filter_changed)
        self.model_combo.currentIndexChanged.connect(self._on_model_filter_changed)
        self.province_combo.currentIndexChanged.connect(self._on_province_filter_changed)

        self.view.selectionModel().selectionChanged.connect(self._on_view_selection_changed)
        for sig in (
            self.proxy.rowsInserted,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            sig.connect(self._on_proxy_rows_changed)
        # The proxy drops rows while the source is still *about* to remove them, so
        # the footer's "of M" must also follow the source model.
        for sig in (
            self.proxy.rowsRemoved,
            self.proxy.dataChanged,
            self.model.rowsRemoved,
            self.model.rowsInserted,
            self.model.searchReady,  # after the proxy's own slot: the rows are filtered
        ):
            sig.connect(self._on_model_values_changed)

        self._store_events = StoreSignals(store, self)
        for sig in (
            self._store_events.inserted,
            self._store_events.changed,
            self._store_events.reset_done,
        ):
            sig.connect(self._on_store_contents_changed)
        self._selection_events = SelectionSignals(selection, self)
        self._selection_events.changed.connect(self._on_selection_changed)

        self._update_footer()
        self._select_id(selection.current, scroll=True)

    # ------------------------------------------------------------------ public API
    def focus_filter(self) -> None:
        """Put the keyboard focus in the filter box with its text selected (Ctrl+F)."""
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def selected_id(self) -> str | None:
        """Id of the row selected in the view, or None."""
        rows = self.view.selectionModel().selectedRows()
        return str(rows[0].data(SiteIdRole)) if rows else None

    def set_filters(
        self,
        *,
        text: str | None = None,
        status: str | None = None,
        chip_model: str | None = None,
        province: str | None = None,
    ) -> None:
        """Set any of the filters through their widgets (``""``: any; None: unchanged)."""
        if text is not None:
            self.filter_edit.setText(text)
        for combo, value in (
            (self.status_combo, status),
            (self.model_combo, chip_model),
            (self.province_combo, province),
        ):
            if value is not None:
                i = combo.findData(value)
                if i < 0:
                    raise ValueError(f"no filter choice {value!r} in {combo.objectName()}")
                combo.setCurrentIndex(i)

    # ------------------------------------------------------------------ building
    def _combo(self, name: str, any_text: str, values: Iterable[str]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.addItem(any_text, "")
        for v in values:
            combo.addItem(v, v)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _refresh_choices(self) -> None:
        """Offer catalogue models / known provinces plus any value found in the store."""
        models = list(self._catalogue_models)
        provinces = list(PROVINCES)
        # From the table's columns, in row order (the model follows the store first).
        known = set(models)
        models += [m for m in self.model.distinct_models() if m not in known]
        known = set(provinces)
        provinces += [
            p for p in dict.fromkeys(self.model._column("province")) if p and p not in known
        ]
        self._set_choices(self.model_combo, models)
        self._set_choices(self.province_combo, provinces)

    @staticmethod
    def _set_choices(combo: QComboBox, values: list[str]) -> None:
        current = [combo.itemData(i) for i in range(1, combo.count())]
        if current == values:
            return
        chosen = combo.currentData() or ""
        combo.blockSignals(True)
        try:
            while combo.count() > 1:
                combo.removeItem(1)
            for v in values:
                combo.addItem(v, v)
            if chosen and chosen not in values:
                # Keep an active filter choosable even if no site uses it any more.
                combo.addItem(chosen, chosen)
            combo.setCurrentIndex(max(combo.findData(chosen), 0))
        finally:
            combo.blockSignals(False)

    # ------------------------------------------------------------------ filter handlers
    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        if self.proxy.text_waits:
            self._update_footer()  # no row changed yet: say the search is on its way

    def _on_status_filter_changed(self, _index: int) -> None:
        self.proxy.set_status(self.status_combo.currentData() or "")

    def _on_model_filter_changed(self, _index: int) -> None:
        self.proxy.set_chip_model(self.model_combo.currentData() or "")

    def _on_province_filter_changed(self, _index: int) -> None:
        self.proxy.set_province(self.province_combo.currentData() or "")

    # ------------------------------------------------------------------ model handlers
    def _on_store_contents_changed(self, *_: object) -> None:
        self._refresh_choices()

    def _on_proxy_rows_changed(self, *_: object) -> None:
        # Rows appeared or moved (filter relaxed, undo of a delete, reset, sort):
        # re-select the shared selection if its row is visible again.
        self._select_id(self.selection.current, scroll=False)
        self._update_footer()

    def _on_model_values_changed(self, *_: object) -> None:
        self._update_footer()

    def refresh_footer(self) -> None:
        """Re-count the footer (the totals' date changed)."""
        self._update_footer()

    def _update_footer(self) -> None:
        shown = self.proxy.rowCount()
        total = self.model.rowCount()
        listed = self.proxy.visible_chips()
        head = f"{shown:,} of {total:,} sites"
        if self.proxy.text_waits:
            head += " (searching…)"
        live = self._live_totals
        if live is None:
            self.footer.setText(f"{head} · {listed:,} chips listed")
            return
        # Counted, not summed: a campus and its parts, a superseded record and a
        # cancelled line would otherwise count twice (or at all) in the footer.
        low, mid, high = live.counted_chips(None if shown == total else self.proxy.shown_ids())
        spread = f" ({low:,}–{high:,})" if (low, high) != (mid, mid) else ""
        when = f" by {live.as_of.isoformat()}" if live.as_of is not None else ""
        self.footer.setText(
            f"{head} · {mid:,}{spread} chips counted{when} · {listed:,} listed on the records"
        )

    # ------------------------------------------------------------------ selection sync
    def _on_view_selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        if self._syncing:
            return
        sid = self.selected_id()
        # An empty view selection comes from filtering, removal or reset, not from the
        # user choosing "nothing": leave the shared selection alone then.
        if sid is not None:
            self.selection.set(sid)

    def _on_selection_changed(self, sid: str | None) -> None:
        self._select_id(sid, scroll=True)

    def _select_id(self, sid: str | None, *, scroll: bool) -> None:
        """Make the view show ``sid`` as its selected row without echoing back."""
        sel_model = self.view.selectionModel()
        proxy_index = QModelIndex()
        if sid is not None:
            row = self.model.row_of(sid)
            if row is not None:
                proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
        self._syncing = True
        try:
            if proxy_index.isValid():
                if self.selected_id() != sid or sel_model.currentIndex().row() != proxy_index.row():
                    sel_model.setCurrentIndex(
                        proxy_index,
                        QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QItemSelectionModel.SelectionFlag.Rows,
                    )
                if scroll:
                    self.view.scrollTo(proxy_index)
            elif sel_model.hasSelection() or sel_model.currentIndex().isValid():
                sel_model.clearSelection()
                sel_model.clearCurrentIndex()
        finally:
            self._syncing = False


__all__ = [
    "COLUMNS",
    "ILLUSTRATIVE_TEXT",
    "SiteFilterProxy",
    "SiteIdRole",
    "SiteRole",
    "SiteTable",
    "SiteTableModel",
    "SortRole",
    "column_of",
    "models_text",
]
