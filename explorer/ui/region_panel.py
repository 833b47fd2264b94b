"""The region panel: every region with its live totals, its sites, and region actions.

:class:`RegionTreeModel` is a thin two-level adapter: one top-level row per region (in
region-store order, keyed by region id) with the totals that
:class:`~explorer.geo.live_totals.LiveTotals` keeps, and under it one row per site
inside the region (keyed by site id). It never changes a store; a rename typed into
the tree's editor is handed to the panel, which pushes an
:class:`~explorer.core.commands.EditRegion`.

:class:`RegionPanel` adds the actions (delete, copy totals as TSV, import and export
GeoJSON) and a line with the union of the selected regions, where a site inside two
selected regions counts once. Selecting a region row sets the shared region selection;
clicking a site row selects that site.

The Qt-free helpers (:func:`totals_tsv`, :func:`new_region_entries`, the cell text
formatters) are shared with :mod:`explorer.ui.area_totals`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFocusEvent, QFont, QKeySequence, QUndoStack
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

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import AddRegions, DeleteRegions, EditRegion
from explorer.core.errors import DataFileError
from explorer.core.region_store import RegionEntry, RegionStore
from explorer.core.schema import Site
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.regions import CircleRegion, Region, load_regions
from explorer.geo.totals import Totals
from explorer.io.exports import export_regions
from explorer.ui.qt_store import SelectionSignals, StoreSignals, _EventBridge
from explorer.ui.undo import push

_USER = int(Qt.ItemDataRole.UserRole)
#: Role returning the region id of a top-level row (None on site rows).
RegionIdRole = _USER + 11
#: Role returning the site id of a site row (None on region rows).
SiteIdRole = _USER + 12
#: Role returning the :class:`Totals` of a region row.
TotalsRole = _USER + 13
#: Role for sorting: numbers for numeric columns, case-folded text otherwise.
SortRole = _USER + 14

ILLUSTRATIVE_TEXT = "Illustrative scenario — not a reported fact"

#: (key, header) per column, in display order; shared with the area totals table.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("kind", "Kind"),
    ("sites", "Sites"),
    ("chips", "Chips"),
    ("by_model", "By model"),
    ("restricted", "Restricted"),
    ("h100e", "H100e"),
    ("it_mw", "IT MW"),
    ("facility_mw", "Facility MW"),
)
NUMERIC_COLUMNS = frozenset({"sites", "chips", "restricted", "h100e", "it_mw", "facility_mw"})

#: Header of the TSV that "Copy totals" writes (then one column per chip model).
TSV_HEADER: tuple[str, ...] = (
    "region",
    "sites",
    "chips",
    "restricted",
    "h100e",
    "it_mw",
    "facility_mw",
)

_AnyIndex = QModelIndex | QPersistentModelIndex


def column_of(key: str) -> int:
    """Column number of the column ``key`` (e.g. ``"chips"``); raises ``KeyError``."""
    for i, (k, _) in enumerate(COLUMNS):
        if k == key:
            return i
    raise KeyError(key)


# =========================================================================== Qt-free helpers


def radius_km_text(radius_m: float) -> str:
    """A circle radius in km with sensible precision: ``"50"``, ``"12.5"``, ``"0.25"``."""
    km = radius_m / 1000.0
    decimals = 2 if km < 10 else 1 if km < 100 else 0
    text = f"{km:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def kind_text(region: Region, kind: str) -> str:
    """What the Kind column shows: ``polygon``, ``rectangle``, ``circle · 50 km``."""
    if isinstance(region, CircleRegion):
        return f"circle · {radius_km_text(region.radius_m)} km"
    return kind


def by_model_text(by_model: Iterable[tuple[str, int]]) -> str:
    """``"H100 49,040 · H200 66,960"``; empty when there are no chips."""
    return " · ".join(f"{m} {n:,}" for m, n in by_model)


def totals_cells(t: Totals) -> dict[str, Any]:
    """Display text of the numeric and by-model columns for one :class:`Totals`."""
    return {
        "sites": f"{t.site_count:,}",
        "chips": f"{t.chips:,}",
        "by_model": by_model_text(t.by_model),
        "restricted": f"{t.restricted_chips:,}",
        "h100e": f"{t.h100e:,.1f}",
        "it_mw": f"{t.it_power_mw:,.1f}",
        "facility_mw": f"{t.facility_power_mw:,.1f}",
    }


def totals_sort_value(t: Totals, key: str) -> float:
    """The number a numeric column sorts by."""
    return {
        "sites": t.site_count,
        "chips": t.chips,
        "restricted": t.restricted_chips,
        "h100e": t.h100e,
        "it_mw": t.it_power_mw,
        "facility_mw": t.facility_power_mw,
    }[key]


def totals_tooltip(t: Totals) -> str:
    """Full-precision figures and the power assumptions, for a row's tooltip."""
    f = t.factors
    lines = [
        f"{t.site_count:,} sites · {t.chips:,} chips ({t.restricted_chips:,} restricted)",
        f"H100-equivalents: {t.h100e:,.3f}",
        f"IT power: {t.it_power_mw:,.3f} MW (board power × {f.server_overhead:g} server overhead)",
        f"Facility power: {t.facility_power_mw:,.3f} MW (IT × {f.pue:g} PUE)",
    ]
    if t.reported_power_mw:
        lines.append(f"Reported power of these sites: {t.reported_power_mw:,.3f} MW")
    if t.by_model:
        lines.append("By model: " + by_model_text(t.by_model))
    return "\n".join(lines)


def _tsv_cell(text: str) -> str:
    # A tab or newline inside a name would shift every later column.
    return " ".join(text.split())


def _decimal(value: float) -> str:
    # The rounding `explorer totals --json` uses (Totals.to_json), so the two agree.
    return f"{round(value, 3):.3f}"


def totals_tsv(rows: Sequence[Totals], models: Sequence[str] | None = None) -> str:
    """Tab-separated table of ``rows`` with a header row, for the clipboard.

    Columns: :data:`TSV_HEADER`, then one per chip model. Counts are exact integers
    without thousands separators; H100e and MW are rounded to 3 decimals, as in
    ``explorer totals --json``.

    Parameters
    ----------
    rows : sequence of Totals
    models : sequence of str, optional
        Model columns, in order. Default: every model with chips in any row, in the
        order the rows list them (catalogue order).

    Returns
    -------
    str
        Lines joined by ``"\\n"``, with a trailing newline.
    """
    if models is None:
        found: list[str] = []
        for t in rows:
            found.extend(m for m, _ in t.by_model if m not in found)
        models = found
    lines = ["\t".join((*TSV_HEADER, *models))]
    for t in rows:
        counts = t.by_model_dict()
        cells = [
            _tsv_cell(t.region),
            str(t.site_count),
            str(t.chips),
            str(t.restricted_chips),
            _decimal(t.h100e),
            _decimal(t.it_power_mw),
            _decimal(t.facility_power_mw),
            *(str(counts.get(m, 0)) for m in models),
        ]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def new_region_entries(
    store: RegionStore,
    regions: Sequence[Region],
    *,
    named: Sequence[bool] | None = None,
    drawn: Sequence[tuple[tuple[float, float], ...]] | None = None,
) -> list[RegionEntry]:
    """Entries for regions about to be added: fresh ids, kind-aware default names.

    Parameters
    ----------
    store : RegionStore
        Where they will go (ids and default names must not clash with it).
    regions : sequence of Region
    named : sequence of bool, optional
        False where the region has no name of its own; it is then renamed
        ``Polygon N`` / ``Rectangle N`` / ``Circle N`` with the first N free in the store
        (:meth:`RegionStore.new_name`) and in this batch. Default: all named.
    drawn : sequence, optional
        Drawn vertices per region (see :class:`RegionEntry`).

    Returns
    -------
    list of RegionEntry
    """
    if named is not None and len(named) != len(regions):
        raise ValueError(f"named has {len(named)} values for {len(regions)} regions")
    if drawn is not None and len(drawn) != len(regions):
        raise ValueError(f"drawn has {len(drawn)} values for {len(regions)} regions")
    taken_ids = set(store.ids())
    taken_names = {e.name for e in store}
    out: list[RegionEntry] = []
    n = 1
    for i, region in enumerate(regions):
        while f"r{n}" in taken_ids:
            n += 1
        rid = f"r{n}"
        taken_ids.add(rid)
        entry = RegionEntry(rid, region, drawn[i] if drawn is not None else ())
        if named is not None and not named[i]:
            base = store.new_name(entry.kind)  # the store's own rule for the first free name
            prefix, _, num = base.rpartition(" ")
            k = int(num)
            while f"{prefix} {k}" in taken_names:
                k += 1
            entry = entry.renamed(f"{prefix} {k}")
        taken_names.add(entry.name)
        out.append(entry)
    return out


def _raw_features(path: Path) -> list[Any]:
    """The features of a GeoJSON file that :func:`load_regions` has already accepted."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    t = doc.get("type")
    if t == "FeatureCollection":
        return list(doc.get("features") or [])
    if t == "Feature":
        return [doc]
    return [{"type": "Feature", "geometry": doc, "properties": {}}]


def _has_name(feature: Any) -> bool:
    props = feature.get("properties") if isinstance(feature, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    return isinstance(name, str) and bool(name.strip())


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted row numbers into contiguous ``(first, last)`` runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


# =========================================================================== Qt adapters


class RegionStoreSignals(_EventBridge):
    """Relay a :class:`RegionStore`'s events as Qt signals.

    Signals
    -------
    inserted(list[RegionEntry]), removed(list[RegionEntry]),
    changed(RegionEntry, RegionEntry) ``(old, new)``, reset_done()
    """

    inserted = Signal(object)
    removed = Signal(object)
    changed = Signal(object, object)
    reset_done = Signal()

    def __init__(self, store: RegionStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._link(store.inserted, self._on_inserted)
        self._link(store.removed, self._on_removed)
        self._link(store.changed, self._on_changed)
        self._link(store.reset_done, self._on_reset_done)

    def _on_inserted(self, entries: list[RegionEntry]) -> None:
        self.inserted.emit(list(entries))

    def _on_removed(self, entries: list[RegionEntry]) -> None:
        self.removed.emit(list(entries))

    def _on_changed(self, old: RegionEntry, new: RegionEntry) -> None:
        self.changed.emit(old, new)

    def _on_reset_done(self) -> None:
        self.reset_done.emit()


class LiveTotalsSignals(_EventBridge):
    """Relay :attr:`LiveTotals.updated` as the Qt signal ``updated(list[str])``."""

    updated = Signal(object)

    def __init__(self, live: LiveTotals, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self._link(live.updated, self._on_updated)

    def _on_updated(self, rids: list[str]) -> None:
        self.updated.emit(list(rids))


# =========================================================================== the model


class RegionTreeModel(QAbstractItemModel):
    """Regions (top level) and the sites inside each (children), with live totals.

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
        Called with ``(region_id, typed_text)`` when the user edits a name; it applies
        the rename (through a command) and returns whether it did. Without a handler
        names are read-only.

    Notes
    -----
    Top-level indexes have internal id 0; a site row's internal id is a stable
    integer key of its region, so a child finds its parent after rows move.
    """

    def __init__(
        self,
        sites: SiteStore,
        regions: RegionStore,
        live: LiveTotals,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sites = sites
        self.regions = regions
        self.live = live
        self.rename_handler: Callable[[str, str], bool] | None = None
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._entries: dict[str, RegionEntry] = {}
        self._totals: dict[str, Totals] = {}
        self._children: dict[str, list[str]] = {}
        self._child_rows: dict[str, dict[str, int]] = {}
        self._key_of: dict[str, int] = {}
        self._rid_of_key: dict[int, str] = {}
        self._next_key = 1
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
        return list(self._ids)

    def row_of(self, rid: str) -> int | None:
        """Row of region ``rid``, or None."""
        return self._rows.get(rid)

    def region_index(self, rid: str, column: int = 0) -> QModelIndex:
        """Index of region ``rid``'s row (invalid if unknown)."""
        row = self._rows.get(rid)
        return QModelIndex() if row is None else self.createIndex(row, column, 0)

    def child_ids(self, rid: str) -> list[str]:
        """Ids of the site rows under region ``rid``."""
        return list(self._children.get(rid, ()))

    def totals_of(self, rid: str) -> Totals:
        """The totals the row of ``rid`` shows."""
        return self._totals[rid]

    def region_id_at(self, index: _AnyIndex) -> str | None:
        """Region id of a top-level index; None for site rows and invalid indexes."""
        if not index.isValid() or index.internalId() != 0:
            return None
        return self._ids[index.row()] if 0 <= index.row() < len(self._ids) else None

    def site_id_at(self, index: _AnyIndex) -> str | None:
        """Site id of a site row; None for region rows and invalid indexes."""
        if not index.isValid() or index.internalId() == 0:
            return None
        rid = self._rid_of_key.get(int(index.internalId()))
        kids = self._children.get(rid, []) if rid is not None else []
        return kids[index.row()] if 0 <= index.row() < len(kids) else None

    # ------------------------------------------------------------------ Qt model API
    def index(self, row: int, column: int, parent: _AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        """Index of a region row (no parent) or of a site row under a region."""
        if not (0 <= column < len(COLUMNS)) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._ids) else QModelIndex()
        if parent.internalId() != 0 or not (0 <= parent.row() < len(self._ids)):
            return QModelIndex()  # site rows have no children
        rid = self._ids[parent.row()]
        if row >= len(self._children[rid]):
            return QModelIndex()
        return self.createIndex(row, column, self._key_of[rid])

    def parent(self, *args: Any) -> Any:  # type: ignore[override]
        """The region row of a site row; invalid for region rows.

        Called without arguments this is :meth:`QObject.parent`.
        """
        if not args:
            return super().parent()
        child = args[0]
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        rid = self._rid_of_key.get(int(child.internalId()))
        if rid is None or rid not in self._rows:
            return QModelIndex()
        return self.createIndex(self._rows[rid], 0, 0)

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Regions at the top; a region's sites under it; nothing under a site."""
        if not parent.isValid():
            return len(self._ids)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self._children[self._ids[parent.row()]])

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of :data:`COLUMNS`."""
        return len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles (a tooltip explains the Kind column's two uses)."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section][0] == "kind":
            return "Region kind (circles show their radius); a site's status on site rows"
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        """Selectable; a region's name is editable when a rename handler is set."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if index.internalId() == 0 and index.column() == 0 and self.rename_handler is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell values for display, edit, tooltip, alignment, font and custom roles."""
        if not index.isValid():
            return None
        role = int(role)
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if key in NUMERIC_COLUMNS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if index.internalId() == 0:
            rid = self.region_id_at(index)
            return None if rid is None else self._region_data(rid, key, role)
        sid = self.site_id_at(index)
        return None if sid is None else self._site_data(sid, key, role)

    def _region_data(self, rid: str, key: str, role: int) -> Any:
        entry = self._entries[rid]
        t = self._totals[rid]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name":
                return entry.name
            if key == "kind":
                return kind_text(entry.region, entry.kind)
            return totals_cells(t)[key]
        if role == Qt.ItemDataRole.EditRole and key == "name":
            return entry.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.name if key == "name" else totals_tooltip(t)
        if role == RegionIdRole:
            return rid
        if role == TotalsRole:
            return t
        if role == SortRole:
            if key in NUMERIC_COLUMNS:
                return totals_sort_value(t, key)
            return str(self._region_data(rid, key, Qt.ItemDataRole.DisplayRole)).casefold()
        return None

    def _site_data(self, sid: str, key: str, role: int) -> Any:
        site: Site | None = self.sites.get(sid) if sid in self.sites else None
        if role == SiteIdRole:
            return sid
        if site is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name":
                return site.name
            if key == "kind":
                return site.status
            if key == "chips":
                return f"{site.chips:,}"
            if key == "by_model":
                return by_model_text(site.chips_by_model().items())
            return None
        if role == Qt.ItemDataRole.FontRole and site.is_illustrative:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole and site.is_illustrative:
            return ILLUSTRATIVE_TEXT
        if role == SortRole:
            return site.chips if key == "chips" else site.name.casefold()
        return None

    def setData(  # noqa: N802
        self, index: _AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        """Hand a typed region name to :attr:`rename_handler` (the store is not touched here)."""
        if role != Qt.ItemDataRole.EditRole or index.column() != 0:
            return False
        rid = self.region_id_at(index)
        if rid is None or self.rename_handler is None:
            return False
        return bool(self.rename_handler(rid, "" if value is None else str(value)))

    # ------------------------------------------------------------------ keeping up
    def _load(self) -> None:
        self._ids = self.regions.ids()
        self._entries = {e.id: e for e in self.regions}
        self._totals = {rid: self.live.totals(rid) for rid in self._ids}
        self._children = {rid: list(self._totals[rid].site_ids) for rid in self._ids}
        self._child_rows = {
            rid: {sid: i for i, sid in enumerate(kids)} for rid, kids in self._children.items()
        }
        self._key_of = {}
        self._rid_of_key = {}
        for rid in self._ids:
            self._assign_key(rid)
        self._reindex()

    def _assign_key(self, rid: str) -> None:
        key = self._next_key
        self._next_key += 1
        self._key_of[rid] = key
        self._rid_of_key[key] = rid

    def _reindex(self) -> None:
        self._rows = {rid: i for i, rid in enumerate(self._ids)}

    def _on_regions_inserted(self, entries: Sequence[RegionEntry]) -> None:
        # Place each new row where the store put it (undoing a delete restores positions).
        order = {rid: i for i, rid in enumerate(self.regions.ids())}
        new = [e for e in entries if e.id not in self._rows and e.id in order]
        by_pos = {order[e.id]: e for e in new}
        for first, last in _runs(sorted(by_pos)):
            self.beginInsertRows(QModelIndex(), first, last)
            for pos in range(first, last + 1):
                e = by_pos[pos]
                self._ids.insert(pos, e.id)
                self._entries[e.id] = e
                self._totals[e.id] = self.live.totals(e.id)
                kids = list(self._totals[e.id].site_ids)
                self._children[e.id] = kids
                self._child_rows[e.id] = {sid: i for i, sid in enumerate(kids)}
                self._assign_key(e.id)
            self._reindex()
            self.endInsertRows()

    def _on_regions_removed(self, entries: Sequence[RegionEntry]) -> None:
        rows = sorted(self._rows[e.id] for e in entries if e.id in self._rows)
        for first, last in reversed(_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            for rid in self._ids[first : last + 1]:
                for d in (self._entries, self._totals, self._children, self._child_rows):
                    d.pop(rid, None)
                self._rid_of_key.pop(self._key_of.pop(rid), None)
            del self._ids[first : last + 1]
            self._reindex()
            self.endRemoveRows()

    def _on_region_changed(self, old: RegionEntry, new: RegionEntry) -> None:
        row = self._rows.get(new.id)
        if row is None:
            return
        self._entries[new.id] = new
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self._refresh(new.id)

    def _on_regions_reset(self) -> None:
        self.beginResetModel()
        self._load()
        self.endResetModel()

    def _on_sites_reset(self) -> None:
        # Every site value may differ, not only the totals: rebuild.
        self._on_regions_reset()

    def _on_totals_updated(self, rids: Sequence[str]) -> None:
        for rid in rids:
            if rid in self._rows:
                self._refresh(rid)

    def _on_site_changed(self, old: Site, new: Site) -> None:
        # Name, status or chips of a site row (membership changes come from LiveTotals).
        for rid, rows in self._child_rows.items():
            row = rows.get(new.id)
            if row is not None:
                parent = self.region_index(rid)
                self.dataChanged.emit(
                    self.index(row, 0, parent), self.index(row, len(COLUMNS) - 1, parent)
                )

    def _refresh(self, rid: str) -> None:
        """Take region ``rid``'s current totals from LiveTotals and announce the change."""
        new = self.live.totals(rid)
        old = self._totals[rid]
        if new == old:
            return
        self._totals[rid] = new
        row = self._rows[rid]
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if new.site_ids != old.site_ids:
            self._set_children(rid, list(new.site_ids))

    def _set_children(self, rid: str, new: list[str]) -> None:
        """Turn the site rows of ``rid`` into ``new`` with minimal row moves.

        Both lists are in store order, so removing the sites that left and then
        inserting those that arrived (ascending) yields ``new``; if the orders ever
        disagree, all rows are replaced instead.
        """
        parent = self.region_index(rid)
        kids = self._children[rid]
        new_set, old_set = set(new), set(kids)
        gone = [i for i, sid in enumerate(kids) if sid not in new_set]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(parent, first, last)
            del kids[first : last + 1]
            self.endRemoveRows()
        if kids != [sid for sid in new if sid in old_set]:
            if kids:
                self.beginRemoveRows(parent, 0, len(kids) - 1)
                kids.clear()
                self.endRemoveRows()
            old_set = set()
        added = [i for i, sid in enumerate(new) if sid not in old_set]
        for first, last in _runs(added):
            self.beginInsertRows(parent, first, last)
            kids[first:first] = new[first : last + 1]
            self._child_rows[rid] = {sid: i for i, sid in enumerate(kids)}
            self.endInsertRows()
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
    sites : SiteStore
    regions : RegionStore
    live : LiveTotals
        Totals for ``regions`` over ``sites``.
    undo_stack : QUndoStack
        Renames, deletions and imports are pushed here.
    selection : Selection
        The shared *site* selection: clicking a site row sets it.
    region_selection : Selection
        The shared *region* selection (holds a region id): selecting a region row sets
        it, and setting it elsewhere (the map) selects the row.
    catalogue : ChipCatalogue, optional
        Chip model order for copied tables; defaults to the one ``live`` uses.
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

    def __init__(
        self,
        sites: SiteStore,
        regions: RegionStore,
        live: LiveTotals,
        undo_stack: QUndoStack,
        selection: Selection,
        region_selection: Selection,
        catalogue: ChipCatalogue | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("region_panel")
        self.sites = sites
        self.regions = regions
        self.live = live
        self.undo_stack = undo_stack
        self.selection = selection
        self.region_selection = region_selection
        self.catalogue = catalogue if catalogue is not None else live.catalogue
        self.last_message = ""
        self.message_box: QMessageBox | None = None
        self._syncing = False
        self._last_dir = ""

        self.model = RegionTreeModel(sites, regions, live, self)
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

        bar = QHBoxLayout()
        for b in (self.delete_button, self.copy_button, self.import_button, self.export_button):
            bar.addWidget(b)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.union_label)

        sel_model = self.view.selectionModel()
        sel_model.selectionChanged.connect(self._on_view_selection_changed)
        sel_model.currentChanged.connect(self._on_view_current_changed)
        for sig in (self.model.rowsRemoved, self.model.modelReset):
            sig.connect(self._on_model_changed)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        # Created after the model, so the model has taken the new values when these run.
        self._region_events = RegionStoreSignals(regions, self)
        self._region_events.removed.connect(self._on_regions_removed)
        self._region_events.changed.connect(self._on_model_changed)
        self._live_events = LiveTotalsSignals(live, self)
        self._live_events.updated.connect(self._on_totals_updated)
        self._region_selection_events = SelectionSignals(region_selection, self)
        self._region_selection_events.changed.connect(self._on_region_selection_changed)

        self._select_region(region_selection.current, scroll=True)
        self._update_union()
        self._update_actions()

    # ------------------------------------------------------------------ public API
    def selected_ids(self) -> list[str]:
        """Ids of the selected region rows, in region-store order."""
        chosen = {
            rid
            for idx in self.view.selectionModel().selectedRows(0)
            if (rid := self.model.region_id_at(idx)) is not None
        }
        return [rid for rid in self.model.region_ids() if rid in chosen]

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
        """Rename region ``rid`` through an undoable :class:`EditRegion`.

        Surrounding spaces are dropped. An empty (or too long) name is refused with a
        message and changes nothing.

        Returns
        -------
        bool
            True when a rename was pushed.
        """
        name = name.strip()
        if rid not in self.regions:
            return False
        entry = self.regions.get(rid)
        if not name:
            self._show_message("Rename region", f"A region needs a name; '{entry.name}' was kept.")
            return False
        if name == entry.name:
            return False
        try:
            new = entry.renamed(name)
        except ValueError as exc:
            self._show_message("Rename region", f"Cannot rename '{entry.name}': {exc}")
            return False
        push(self.undo_stack, EditRegion(self.regions, entry, new, text="Rename region"))
        return True

    def delete_selected(self) -> int:
        """Delete the selected regions in one undoable step; returns how many."""
        rids = self.selected_ids()
        if not rids:
            return 0
        text = "Delete region" if len(rids) == 1 else f"Delete {len(rids)} regions"
        push(self.undo_stack, DeleteRegions(self.regions, rids, text=text))
        return len(rids)

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
        p = Path(path)
        try:
            regions = load_regions(p)
            features = _raw_features(p)
        except DataFileError as exc:
            self._show_message("Could not import regions", str(exc), error=True)
            return 0
        except (OSError, ValueError) as exc:  # the file changed between the two reads
            self._show_message("Could not import regions", f"{p.name}: {exc}", error=True)
            return 0
        named = [_has_name(f) for f in features]
        if len(named) != len(regions):
            named = [True] * len(regions)
        entries = new_region_entries(self.regions, regions, named=named)
        n = len(entries)
        text = "Import region" if n == 1 else f"Import {n} regions"
        push(self.undo_stack, AddRegions(self.regions, entries, text=text))
        self.select_regions([e.id for e in entries])
        self.regionsImported.emit(n)
        return n

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

    def _on_model_changed(self, *_: object) -> None:
        self._update_union()
        self._update_actions()

    def _on_totals_updated(self, rids: Sequence[str]) -> None:
        if not set(rids).isdisjoint(self.selected_ids()):
            self._update_union()

    def _on_regions_removed(self, entries: Sequence[RegionEntry]) -> None:
        # Do not leave the shared region selection pointing at a region that is gone.
        if self.region_selection.current in {e.id for e in entries}:
            self.region_selection.clear()

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
        by_model = by_model_text(t.by_model)
        self.union_label.setText(
            f"{head}: {t.site_count:,} sites (each counted once) · {t.chips:,} chips · "
            f"{t.restricted_chips:,} restricted · {t.h100e:,.1f} H100e · "
            f"{t.it_power_mw:,.1f} IT MW · {t.facility_power_mw:,.1f} facility MW"
            + (f" · {by_model}" if by_model else "")
        )
        self.union_label.setToolTip(totals_tooltip(t))


__all__ = [
    "COLUMNS",
    "NUMERIC_COLUMNS",
    "TSV_HEADER",
    "LiveTotalsSignals",
    "RegionIdRole",
    "RegionPanel",
    "RegionStoreSignals",
    "RegionTreeModel",
    "SiteIdRole",
    "SortRole",
    "TotalsRole",
    "by_model_text",
    "column_of",
    "kind_text",
    "new_region_entries",
    "radius_km_text",
    "totals_cells",
    "totals_sort_value",
    "totals_tooltip",
    "totals_tsv",
]
