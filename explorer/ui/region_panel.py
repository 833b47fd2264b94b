"""The region panel: every region with its live totals, its sites, and region actions.

:class:`RegionTreeModel` is a thin two-level adapter: one top-level row per region (in
region-store order, keyed by region id) with the totals that
:class:`~explorer.geo.live_totals.LiveTotals` keeps, and under it one row per site
inside the region (keyed by site id). It never changes a store; a rename typed into
the tree's editor is handed to the panel, which asks the session to rename the region
(one undoable command).

:class:`RegionPanel` adds the actions (delete, copy totals as TSV, import and export
GeoJSON) and a line with the union of the selected regions, where a site inside two
selected regions counts once. Selecting a region row sets the shared region selection;
clicking a site row selects that site.

The cell texts and the copied table come from :mod:`explorer.ui.region_format`, shared
with :mod:`explorer.ui.area_totals`; every change goes through the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QFocusEvent,
    QFont,
    QKeySequence,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import DataFileError
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.totals import Totals
from explorer.io.exports import export_regions
from explorer.session.session import Session
from explorer.ui.date_text import as_of_meaning, as_of_words
from explorer.ui.qt_store import (
    LiveTotalsSignals,
    RegionStoreSignals,
    SelectionSignals,
    SessionSignals,
    StoreSignals,
)
from explorer.ui.region_format import (
    COLUMNS,
    NUMERIC_COLUMNS,
    by_model_text,
    column_of,
    kind_text,
    totals_cells,
    totals_summary,
    totals_tooltip,
    totals_tsv,
)
from explorer.ui.tables import ILLUSTRATIVE_TEXT, RIGHT_ALIGNED, AnyIndex, row_runs

_USER = int(Qt.ItemDataRole.UserRole)
#: Role returning the region id of a top-level row (None on site rows).
RegionIdRole = _USER + 11
#: Role returning the site id of a site row (None on region rows).
SiteIdRole = _USER + 12
#: Widest the by-model column is made when the columns are fitted (pixels).
BY_MODEL_WIDTH = 300
#: Tooltip of a site row's chips when the site counts less than it records.
_COUNTED_TIP = (
    "Chips counted here at the totals' date (of those recorded): lines not online by "
    "then, cancelled lines and what a campus's parts already hold are not counted"
)

# =========================================================================== the model


def _cell(text: str = "", *, numeric: bool = False) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if numeric:
        item.setTextAlignment(RIGHT_ALIGNED)
    return item


def _set_text(item: QStandardItem | None, text: str) -> None:
    # Only a real change reaches the view (each setText is a dataChanged).
    if item is not None and item.text() != text:
        item.setText(text)


def _set_tooltip(item: QStandardItem | None, text: str) -> None:
    if item is not None and item.toolTip() != text:
        item.setToolTip(text)


class RegionTreeModel(QStandardItemModel):
    """Regions (top level) and the sites inside each (children), with live totals.

    An adapter kept in step with the region store, the site store and
    :class:`LiveTotals`, keyed by region id and site id. The cells live in C++
    (``QStandardItem``), so painting and laying out an expanded tree of thousands of
    site rows runs no Python at all; an update touches only the cells whose text
    changed. (A Python ``QAbstractItemModel`` answered every paint through several
    ``data()`` calls per visible cell, which made one repaint cost 3-5 frames.)

    The model never changes a store. :meth:`setData` on a region's name hands the
    typed text to :attr:`rename_handler` (the panel pushes an ``EditRegion``); the
    cell then shows whatever the store says.

    Parameters
    ----------
    sites : SiteStore
    regions : RegionStore
    live : LiveTotals
        Must follow the same two stores.
    parent : QObject, optional

    Attributes
    ----------
    rename_handler : callable(str, str) -> bool, optional
        Called with ``(region_id, typed_text)``; applies the rename and returns
        whether it did. Without it, typed names are ignored.
    """

    def __init__(
        self,
        sites: SiteStore,
        regions: RegionStore,
        live: LiveTotals,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels([h for _, h in COLUMNS])
        kind_header = self.horizontalHeaderItem(column_of("kind"))
        kind_header.setToolTip(
            "Region kind (circles show their radius); a site's status on site rows"
        )
        self.sites = sites
        self.regions = regions
        self.live = live
        self.rename_handler: Callable[[str, str], bool] | None = None
        self._items: dict[str, QStandardItem] = {}  # region id -> its name cell
        self._entries: dict[str, RegionEntry] = {}
        self._totals: dict[str, Totals] = {}
        self._children: dict[str, list[str]] = {}
        self._child_rows: dict[str, dict[str, int]] = {}  # region id -> site id -> row
        self._stale: set[str] = set()  # regions whose site rows show another date
        self._italic = QFont()
        self._italic.setItalic(True)
        self._load()
        self._region_events = RegionStoreSignals(regions, self)
        self._region_events.inserted.connect(self._on_regions_inserted)
        self._region_events.removed.connect(self._on_regions_removed)
        self._region_events.changed.connect(self._on_region_changed)
        self._region_events.reset_done.connect(self._on_regions_reset)
        self._site_events = StoreSignals(sites, self)
        self._site_events.changed.connect(self._on_site_changed)
        self._site_events.reset_done.connect(self._on_sites_reset)
        self._live_events = LiveTotalsSignals(live, self)
        self._live_events.updated.connect(self._on_totals_updated)

    # ------------------------------------------------------------------ lookups
    def region_ids(self) -> list[str]:
        """Region ids in row order."""
        root = self.invisibleRootItem()
        return [str(root.child(r, 0).data(RegionIdRole)) for r in range(root.rowCount())]

    def row_of(self, rid: str) -> int | None:
        """Row of region ``rid``, or None."""
        item = self._items.get(rid)
        return None if item is None else item.row()

    def region_index(self, rid: str, column: int = 0) -> QModelIndex:
        """Index of region ``rid``'s row (invalid if unknown)."""
        row = self.row_of(rid)
        return QModelIndex() if row is None else self.index(row, column)

    def totals_of(self, rid: str) -> Totals:
        """The totals the row of ``rid`` shows."""
        return self._totals[rid]

    def region_id_at(self, index: AnyIndex) -> str | None:
        """Region id of a top-level index; None for site rows and invalid indexes."""
        if not index.isValid() or index.parent().isValid():
            return None
        rid = index.sibling(index.row(), 0).data(RegionIdRole)
        return None if rid is None else str(rid)

    def site_id_at(self, index: AnyIndex) -> str | None:
        """Site id of a site row; None for region rows and invalid indexes."""
        if not index.isValid() or not index.parent().isValid():
            return None
        sid = index.sibling(index.row(), 0).data(SiteIdRole)
        return None if sid is None else str(sid)

    # ------------------------------------------------------------------ edits from the view
    def setData(  # noqa: N802
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        """Hand a typed region name to :attr:`rename_handler`; never write the cell."""
        if role != Qt.ItemDataRole.EditRole or index.column() != 0:
            return False
        rid = self.region_id_at(index)
        if rid is None or self.rename_handler is None:
            return False
        return bool(self.rename_handler(rid, "" if value is None else str(value)))

    # ------------------------------------------------------------------ building rows
    def _region_row(self, rid: str) -> list[QStandardItem]:
        entry = self._entries[rid]
        name = QStandardItem(entry.name)
        name.setEditable(True)
        name.setData(rid, RegionIdRole)
        name.setToolTip(entry.name)
        row = [name, _cell(kind_text(entry.region, entry.kind))]
        row += [_cell(numeric=key in NUMERIC_COLUMNS) for key, _ in COLUMNS[2:]]
        self._fill_totals(row, self._totals[rid])
        for sid in self._children[rid]:
            name.appendRow(self._site_row(sid))
        return row

    @staticmethod
    def _fill_totals(row: Sequence[QStandardItem | None], t: Totals) -> None:
        cells = totals_cells(t)
        tip = totals_tooltip(t)
        for col, (key, _) in enumerate(COLUMNS[2:], start=2):
            _set_text(row[col], cells[key])
            _set_tooltip(row[col], tip)

    def _site_row(self, sid: str) -> list[QStandardItem]:
        name = _cell()
        name.setData(sid, SiteIdRole)
        row = [name, _cell(), _cell(), _cell(numeric=True), _cell()]
        self._fill_site(row, sid)
        return row

    def _fill_site(
        self,
        row: Sequence[QStandardItem | None],
        sid: str,
        counted: list[tuple[str, int]] | None = None,
    ) -> None:
        """Fill a site row; ``counted`` is what the site counts at the totals' date, by
        model (looked up when not given)."""
        site: Site | None = self.sites.get(sid) if sid in self.sites else None
        if site is None:
            return
        if counted is None:
            counted = self._counted_by_model(sid)
        n = sum(c for _, c in counted)
        recorded = site.chips
        _set_text(row[0], site.name)
        _set_text(row[1], site.status)
        # What the site adds to the region at the date (online, not cancelled, not
        # what a campus's parts already hold); the recorded figure when that differs.
        _set_text(row[3], f"{n:,}" if n == recorded else f"{n:,} (of {recorded:,})")
        by_model = by_model_text(counted)
        _set_text(row[4], by_model)
        _set_tooltip(row[4], by_model if len(by_model) > 40 else "")  # may be cut short
        _set_tooltip(row[3], "" if n == recorded else _COUNTED_TIP)
        name = row[0]
        if name is not None:
            illustrative = site.is_illustrative
            if name.font().italic() != illustrative:
                name.setFont(self._italic if illustrative else QFont())
            _set_tooltip(name, ILLUSTRATIVE_TEXT if illustrative else "")

    def _counted_by_model(self, sid: str) -> list[tuple[str, int]]:
        """The chips site ``sid`` counts at the totals' date, by model (central)."""
        as_of = self.live.as_of
        ledger = self.live.ledger
        rows = ledger.site_rows(sid, as_of.toordinal() if as_of is not None else None)
        return [(m, int(c)) for m, c in zip(ledger.models, rows[1].tolist(), strict=True) if c]

    def refresh_site_rows(self, rids: Iterable[str] | None = None) -> None:
        """Refill the site rows of ``rids`` (default: every region), whose counted chips
        follow the totals' date; they are no longer stale."""
        rids = list(self._child_rows) if rids is None else [r for r in rids if r in self._items]
        if not rids:
            return
        # One snapshot of every site's contribution at the date, read row by row.
        snap = self.live.current()
        index = {sid: i for i, sid in enumerate(snap.ids.tolist())}
        chips = snap.chips
        models = snap.models
        for rid in rids:
            self._stale.discard(rid)
            parent = self._items[rid]
            for sid, row in self._child_rows[rid].items():
                i = index.get(sid)
                if i is None:
                    continue
                vec = chips[i]
                counted = [(models[j], int(vec[j])) for j in np.flatnonzero(vec)]
                self._fill_site(self._row_items(parent, row), sid, counted)

    def mark_site_rows_stale(self, rids: Iterable[str]) -> None:
        """Note that the site rows of ``rids`` show another date's figures (refilled by
        :meth:`refresh_if_stale`, e.g. when the region is expanded)."""
        self._stale.update(r for r in rids if r in self._items)

    def refresh_if_stale(self, rid: str) -> None:
        """Refill region ``rid``'s site rows if they show another date's figures."""
        if rid in self._stale:
            self.refresh_site_rows([rid])

    def _row_items(self, parent: QStandardItem, row: int) -> list[QStandardItem | None]:
        return [parent.child(row, c) for c in range(len(COLUMNS))]

    # ------------------------------------------------------------------ keeping up
    def _take_region(self, entry: RegionEntry) -> None:
        rid = entry.id
        self._entries[rid] = entry
        self._totals[rid] = self.live.totals(rid)
        self._children[rid] = list(self._totals[rid].site_ids)
        self._child_rows[rid] = {sid: i for i, sid in enumerate(self._children[rid])}

    def _load(self) -> None:
        self.setRowCount(0)
        self._items.clear()
        self._entries.clear()
        self._totals.clear()
        self._children.clear()
        self._child_rows.clear()
        self._stale.clear()
        root = self.invisibleRootItem()
        for entry in self.regions:
            self._take_region(entry)
            row = self._region_row(entry.id)
            self._items[entry.id] = row[0]
            root.appendRow(row)

    def _on_regions_inserted(self, entries: Sequence[RegionEntry]) -> None:
        # Place each new row where the store put it (undoing a delete restores positions).
        order = {rid: i for i, rid in enumerate(self.regions.ids())}
        new = sorted(
            (e for e in entries if e.id not in self._items and e.id in order),
            key=lambda e: order[e.id],
        )
        root = self.invisibleRootItem()
        for e in new:
            self._take_region(e)
            row = self._region_row(e.id)
            self._items[e.id] = row[0]
            root.insertRow(order[e.id], row)

    def _on_regions_removed(self, entries: Sequence[RegionEntry]) -> None:
        rows = sorted(self._items[e.id].row() for e in entries if e.id in self._items)
        for e in entries:
            for d in (self._items, self._entries, self._totals, self._children, self._child_rows):
                d.pop(e.id, None)
            self._stale.discard(e.id)
        for first, last in reversed(row_runs(rows)):
            self.removeRows(first, last - first + 1)

    def _on_region_changed(self, old: RegionEntry, new: RegionEntry) -> None:
        item = self._items.get(new.id)
        if item is None:
            return
        self._entries[new.id] = new
        _set_text(item, new.name)
        _set_tooltip(item, new.name)
        _set_text(self.item(item.row(), column_of("kind")), kind_text(new.region, new.kind))
        self._refresh(new.id)

    def _on_regions_reset(self) -> None:
        self._load()

    def _on_sites_reset(self) -> None:
        # Every site value may differ, not only the totals: rebuild.
        self._load()

    def _on_totals_updated(self, rids: Sequence[str]) -> None:
        for rid in rids:
            if rid in self._items:
                self._refresh(rid)

    def _on_site_changed(self, old: Site, new: Site) -> None:
        # Name, status or chips of site rows (membership changes come from LiveTotals).
        # A campus, its parts and a superseded record count differently after the edit.
        touched = {new.id, old.part_of, new.part_of, old.supersedes, new.supersedes}
        touched |= {s.id for s in self.live.ledger.parts_of(new.id)}
        touched.discard("")
        for rid, rows in self._child_rows.items():
            for sid in touched:
                row = rows.get(sid)
                if row is not None:
                    self._fill_site(self._row_items(self._items[rid], row), sid)

    def _refresh(self, rid: str) -> None:
        """Take region ``rid``'s current totals from LiveTotals; touch changed cells."""
        new = self.live.totals(rid)
        old = self._totals[rid]
        if new == old:
            return
        self._totals[rid] = new
        item = self._items[rid]
        self._fill_totals([self.item(item.row(), c) for c in range(len(COLUMNS))], new)
        if new.site_ids != old.site_ids:
            self._set_children(rid, list(new.site_ids))

    def _set_children(self, rid: str, new: list[str]) -> None:
        """Turn the site rows of ``rid`` into ``new`` with minimal row changes.

        Both lists are in store order, so removing the sites that left and then
        inserting those that arrived (ascending) yields ``new``; if the orders ever
        disagree, all rows are replaced instead.
        """
        parent = self._items[rid]
        kids = self._children[rid]
        new_set, old_set = set(new), set(kids)
        gone = [i for i, sid in enumerate(kids) if sid not in new_set]
        for first, last in reversed(row_runs(gone)):
            parent.removeRows(first, last - first + 1)
            del kids[first : last + 1]
        if kids != [sid for sid in new if sid in old_set]:
            parent.removeRows(0, len(kids))
            kids.clear()
            old_set = set()
        for i, sid in enumerate(new):
            if sid not in old_set:
                parent.insertRow(i, self._site_row(sid))
                kids.insert(i, sid)
        self._child_rows[rid] = {sid: i for i, sid in enumerate(kids)}


# =========================================================================== the panel


class _RegionTreeView(QTreeView):
    """A tree view that does not select a row just because it got the keyboard focus.

    Qt makes the first row current *and selected* when a view without a current index
    gains focus; bound to the shared region selection, that would select a region on
    the map merely by tabbing into the panel. The first row becomes current only.
    """

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        """Give the view a current row without selecting it, then let Qt continue."""
        model, sel_model = self.model(), self.selectionModel()
        if model is not None and sel_model is not None and not self.currentIndex().isValid():
            first = model.index(0, 0)
            if first.isValid():
                sel_model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
        super().focusInEvent(event)


class RegionPanel(QWidget):
    """Regions with live totals, their sites, region actions and the union line.

    Parameters
    ----------
    session : Session
        Its regions with their live totals are listed; renames, deletions and imports
        go to the session as undoable commands; selecting a region row sets the
        session's region selection (and setting it elsewhere, on the map, selects the
        row); clicking a site row selects that site.
    parent : QWidget, optional

    Attributes
    ----------
    model : RegionTreeModel
    view : QTreeView
    union_label : QLabel
        Totals of the union of the selected regions (each site once).
    delete_button, copy_button, import_button, export_button : QPushButton
    last_message : str
        Text of the last message shown to the user ("" if none yet).
    """

    #: Emitted after an import with the number of regions added.
    regionsImported = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("region_panel")
        self.session = session
        self.sites = session.sites
        self.regions = session.regions
        self.live = session.live_totals
        self.selection = session.selection
        self.region_selection = session.region_selection
        self.catalogue = session.catalogue
        self.last_message = ""
        self.message_box: QMessageBox | None = None
        self._syncing = False
        self._last_dir = ""

        self.model = RegionTreeModel(self.sites, self.regions, self.live, self)
        self.model.rename_handler = self.rename_region

        self.view = _RegionTreeView(self)
        self.view.setObjectName("region_tree")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.setAlternatingRowColors(True)
        self.view.setUniformRowHeights(True)
        self.view.setAllColumnsShowFocus(True)
        header = self.view.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self._fit_columns()

        self.delete_button = self._button("delete_region", "Delete", self.delete_selected)
        self.copy_button = self._button("copy_totals", "Copy totals", self.copy_totals)
        self.import_button = self._button("import_regions", "Import…", self._on_import_clicked)
        self.export_button = self._button("export_regions", "Export…", self._on_export_clicked)
        self.delete_button.setToolTip("Delete the selected regions (undoable)")
        self.copy_button.setToolTip(
            "Copy the totals of the selected regions (all if none is selected) "
            "as a tab-separated table"
        )
        self.import_button.setToolTip("Add the regions of a GeoJSON file")
        self.export_button.setToolTip("Save every region as GeoJSON")

        # Keyboard equivalents while the tree has focus.
        self._delete_action = self._action("Delete region", QKeySequence.StandardKey.Delete)
        self._delete_action.triggered.connect(self.delete_selected)
        self._copy_action = self._action("Copy totals", QKeySequence.StandardKey.Copy)
        self._copy_action.triggered.connect(self.copy_totals)

        self.union_label = QLabel(self)
        self.union_label.setObjectName("union_label")
        self.union_label.setTextFormat(Qt.TextFormat.PlainText)
        self.union_label.setWordWrap(True)
        self.union_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.as_of_label = QLabel(self)
        self.as_of_label.setObjectName("regions_as_of")
        self.as_of_label.setTextFormat(Qt.TextFormat.PlainText)

        bar = QHBoxLayout()
        for b in (self.delete_button, self.copy_button, self.import_button, self.export_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.as_of_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.union_label)

        self.view.expanded.connect(self._on_expanded)
        sel_model = self.view.selectionModel()
        sel_model.selectionChanged.connect(self._on_view_selection_changed)
        sel_model.currentChanged.connect(self._on_view_current_changed)
        for sig in (self.model.rowsRemoved, self.model.modelReset):
            sig.connect(self._on_model_changed)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        # Created after the model, so the model has taken the new values when these run.
        self._region_events = RegionStoreSignals(self.regions, self)
        self._region_events.changed.connect(self._on_model_changed)
        self._live_events = LiveTotalsSignals(self.live, self)
        self._live_events.updated.connect(self._on_totals_updated)
        self._region_selection_events = SelectionSignals(self.region_selection, self)
        self._region_selection_events.changed.connect(self._on_region_selection_changed)

        self._session_events = SessionSignals(session, self)
        self._session_events.asOfChanged.connect(self._on_as_of_changed)

        self._select_region(self.region_selection.current, scroll=True)
        self._update_as_of()
        self._update_union()
        self._update_actions()

    # ------------------------------------------------------------------ public API
    def selected_ids(self) -> list[str]:
        """Ids of the selected region rows, in region-store order.

        Only regions still in the store: while several rows are being removed, the
        view may report rows whose region is already gone.
        """
        chosen = {
            rid
            for idx in self.view.selectionModel().selectedRows(0)
            if (rid := self.model.region_id_at(idx)) is not None
        }
        return [rid for rid in self.regions.ids() if rid in chosen]

    def select_regions(self, rids: Sequence[str]) -> None:
        """Select exactly the region rows ``rids`` (unknown ids are ignored)."""
        selection = QItemSelection()
        last = len(COLUMNS) - 1
        for rid in rids:
            row = self.model.row_of(rid)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, last))
        self.view.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def union_totals(self) -> Totals:
        """Totals of the union of the selected regions (each site counted once)."""
        return self.live.union(self.selected_ids())

    def rename_region(self, rid: str, name: str) -> bool:
        """Rename region ``rid`` (an undoable step of the session).

        Surrounding spaces are dropped. An empty (or too long) name is refused with a
        message and changes nothing.

        Returns
        -------
        bool
            True when the region was renamed.
        """
        old_name = self.regions.get(rid).name if rid in self.regions else ""
        try:
            return self.session.rename_region(rid, name)
        except ValueError as exc:
            reason = str(exc)
            if not reason.startswith("A region needs a name"):
                reason = f"Cannot rename '{old_name}': {reason}"
            self._show_message("Rename region", reason)
            return False

    def delete_selected(self) -> int:
        """Delete the selected regions in one undoable step; returns how many."""
        return self.session.delete_regions(self.selected_ids())

    def totals_text(self, rids: Sequence[str] | None = None) -> str:
        """The TSV "Copy totals" puts on the clipboard (see :func:`totals_tsv`).

        Parameters
        ----------
        rids : sequence of str, optional
            Default: the selected regions, or every region when none is selected.
        """
        if rids is None:
            rids = self.selected_ids() or self.model.region_ids()
        rows = [self.live.totals(rid) for rid in rids]
        present = {m for t in rows for m, _ in t.by_model}
        models = [m for m in self.catalogue.names if m in present]
        models += sorted(present - set(models))
        return totals_tsv(rows, models)

    def copy_totals(self) -> str:
        """Put :meth:`totals_text` on the clipboard and return it."""
        text = self.totals_text()
        QApplication.clipboard().setText(text)
        return text

    def import_regions(self, path: str | Path) -> int:
        """Add the regions of a GeoJSON file in one undoable step.

        Features without a name get a kind-aware one (``Polygon 3``, ``Circle 1``...).
        A file that cannot be read is reported in a message box (its one-line reason)
        and nothing changes.

        Returns
        -------
        int
            Number of regions added (0 on error).
        """
        try:
            entries = self.session.import_regions(path)
        except DataFileError as exc:
            self._show_message("Could not import regions", str(exc), error=True)
            return 0
        self.select_regions([e.id for e in entries])
        self.regionsImported.emit(len(entries))
        return len(entries)

    def export_regions_to(self, path: str | Path, rids: Sequence[str] | None = None) -> int:
        """Write regions as GeoJSON (what ``explorer totals --regions`` reads).

        Parameters
        ----------
        path : path-like
            A ``.geojson`` or ``.json`` file, replaced atomically.
        rids : sequence of str, optional
            Default: every region, in store order.

        Returns
        -------
        int
            Number of regions written (0 on error, which is shown in a message box).
        """
        ids = list(rids) if rids is not None else self.regions.ids()
        try:
            return export_regions(path, [self.regions.get(rid).region for rid in ids])
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_message("Could not export regions", reason, error=True)
            return 0

    # ------------------------------------------------------------------ building
    def _button(self, name: str, text: str, slot: Callable[[], object]) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.clicked.connect(lambda _checked=False: slot())
        return b

    def _action(self, text: str, key: QKeySequence.StandardKey) -> QAction:
        a = QAction(text, self.view)
        a.setShortcut(QKeySequence(key))
        a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.view.addAction(a)
        return a

    def _fit_columns(self) -> None:
        for c in range(len(COLUMNS)):
            self.view.resizeColumnToContents(c)
        # Region and site names are what people read first: never squeeze them.
        name = [k for k, _ in COLUMNS].index("name")
        self.view.setColumnWidth(name, max(self.view.columnWidth(name), 260))
        # The by-model list can be long (and its tooltip has it all): keep the figures
        # to its right in view.
        by_model = column_of("by_model")
        self.view.setColumnWidth(by_model, min(self.view.columnWidth(by_model), BY_MODEL_WIDTH))

    def _show_message(self, title: str, text: str, *, error: bool = False) -> None:
        """Show ``text`` in a window-modal message box without blocking the caller."""
        self.last_message = text
        box = self.message_box
        if box is None:
            box = QMessageBox(self)
            box.setObjectName("region_panel_message")
            box.setTextFormat(Qt.TextFormat.PlainText)  # names and paths are user text
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            self.message_box = box
        box.setIcon(QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        box.open()

    # ------------------------------------------------------------------ dialogs
    def _on_import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import regions", self._last_dir, "GeoJSON (*.geojson *.json);;All files (*)"
        )
        if path:
            self._last_dir = str(Path(path).parent)
            self.import_regions(path)

    def _on_export_clicked(self) -> None:
        if not len(self.regions):
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export regions", self._last_dir, "GeoJSON (*.geojson *.json)"
        )
        if path:
            p = Path(path)
            if p.suffix.lower() not in (".geojson", ".json"):
                p = p.with_suffix(p.suffix + ".geojson") if p.suffix else p.with_suffix(".geojson")
            self._last_dir = str(p.parent)
            self.export_regions_to(p)

    # ------------------------------------------------------------------ view → selections
    def _on_view_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._sync_from_view()

    def _on_view_selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        self._update_union()
        self._update_actions()
        self._sync_from_view()

    def _sync_from_view(self) -> None:
        """Share the row the user chose: the current row, once it is also selected.

        A mouse click makes a row current before selecting it, the keyboard selects
        before moving the current row, so both signals lead here; a row that is only
        current (focus, ctrl-click deselect, a removed neighbour) is not a choice.
        """
        if self._syncing:
            return
        current = self.view.currentIndex()
        if not current.isValid() or not self.view.selectionModel().isSelected(current):
            return
        rid = self.model.region_id_at(current)
        sid = self.model.site_id_at(current)
        # Guarded: the echo of our own change must not collapse a multi-selection.
        self._syncing = True
        try:
            if rid is not None:
                self.region_selection.set(rid)
            elif sid is not None and sid in self.sites:
                self.selection.set(sid)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ region selection → view
    def _on_region_selection_changed(self, rid: str | None) -> None:
        if not self._syncing:
            self._select_region(rid, scroll=True)

    def _select_region(self, rid: str | None, *, scroll: bool) -> None:
        """Make ``rid`` the selected, current row without echoing back."""
        sel_model = self.view.selectionModel()
        index = self.model.region_index(rid) if rid is not None else QModelIndex()
        self._syncing = True
        try:
            if index.isValid():
                if self.selected_ids() != [rid] or sel_model.currentIndex() != index:
                    sel_model.setCurrentIndex(
                        index,
                        QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QItemSelectionModel.SelectionFlag.Rows,
                    )
                if scroll:
                    self.view.scrollTo(index)
            elif rid is None and self.selected_ids():
                sel_model.clearSelection()
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ model → panel
    def _on_rows_inserted(self, parent: QModelIndex, _first: int, _last: int) -> None:
        if not parent.isValid():
            self._fit_columns()
            # A region added (or restored by undo) may be the one selected elsewhere.
            if self.region_selection.current is not None and not self.selected_ids():
                self._select_region(self.region_selection.current, scroll=False)
            self._on_model_changed()
        # Site rows under a region change no union: that arrives with the totals update.

    def _on_model_changed(self, *_: object) -> None:
        self._update_union()
        self._update_actions()

    def _on_totals_updated(self, rids: Sequence[str]) -> None:
        if not set(rids).isdisjoint(self.selected_ids()):
            self._update_union()

    def _update_actions(self) -> None:
        has_selection = bool(self.selected_ids())
        has_regions = len(self.regions) > 0
        self.delete_button.setEnabled(has_selection)
        self._delete_action.setEnabled(has_selection)
        self.copy_button.setEnabled(has_regions)
        self._copy_action.setEnabled(has_regions)
        self.export_button.setEnabled(has_regions)

    def _update_union(self) -> None:
        rids = self.selected_ids()
        if not len(self.regions):
            self.union_label.setText(
                "No regions yet: draw one on the map or import a GeoJSON file."
            )
            self.union_label.setToolTip("")
            return
        if not rids:
            self.union_label.setText("Select regions to total them together.")
            self.union_label.setToolTip("")
            return
        t = self.live.union(rids)
        head = (
            f"Union of {len(rids)} regions"
            if len(rids) > 1
            else f"'{self.regions.get(rids[0]).name}'"
        )
        counted_once = " (each site counted once)" if len(rids) > 1 else ""
        self.union_label.setText(
            f"{head}, {as_of_words(t.as_of)}{counted_once}: {totals_summary(t)}"
        )
        self.union_label.setToolTip(totals_tooltip(t))

    def _update_as_of(self) -> None:
        as_of = self.live.as_of
        words = as_of_words(as_of)
        self.as_of_label.setText(f"Totals {words}" if as_of is not None else "Totals: all planned")
        self.as_of_label.setToolTip(as_of_meaning(as_of))

    def _on_as_of_changed(self, _as_of: object) -> None:
        # The totals themselves arrive through LiveTotals. Site rows follow too, now
        # for the regions whose rows can be seen; the others when they are expanded
        # (refilling thousands of hidden rows made each date cost a second at 10^4 sites).
        self._update_as_of()
        shown: list[str] = []
        hidden: list[str] = []
        for rid in self.model.region_ids():
            expanded = self.view.isExpanded(self.model.region_index(rid))
            (shown if expanded else hidden).append(rid)
        self.model.refresh_site_rows(shown)
        self.model.mark_site_rows_stale(hidden)
        self._update_union()
        self._fit_columns()

    def _on_expanded(self, index: QModelIndex) -> None:
        rid = self.model.region_id_at(index)
        if rid is not None:
            self.model.refresh_if_stale(rid)


__all__ = [
    "RegionIdRole",
    "RegionPanel",
    "RegionTreeModel",
    "SiteIdRole",
]
