"""Totals by area: one row per area of a whole boundary layer.

The layer is either the bundled provinces (:class:`~explorer.geo.admin.AdminAreas`) or
any polygon layer the user loads (:func:`explorer.io.boundaries.load_boundary_layer`).
Every area is totalled by :func:`~explorer.geo.totals.totals_many` over one
:class:`~explorer.geo.totals.SiteArrays` snapshot of the store; the snapshot is retaken
(once per burst of edits) whenever the sites change, so the table stays current.

Totals are as of the session's date (:attr:`Session.as_of`) and follow it. The table
has the region panel's columns and sorts by any of them; areas without sites
can be hidden. "Copy" puts the shown rows on the clipboard as the same TSV as the region
panel's "Copy totals"; "Add as region" turns the selected areas into regions in one
undoable step.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.checks import list_of
from explorer.core.errors import DataFileError
from explorer.geo.regions import PolygonRegion
from explorer.geo.totals import Totals, totals_many
from explorer.io.boundaries import BoundaryLayer, load_boundary_layer
from explorer.session.session import Session
from explorer.ui.date_text import as_of_words
from explorer.ui.qt_store import SessionSignals, StoreSignals
from explorer.ui.region_format import (
    COLUMNS,
    NUMERIC_COLUMNS,
    column_of,
    totals_cells,
    totals_sort_value,
    totals_tooltip,
    totals_tsv,
)
from explorer.ui.tables import RIGHT_ALIGNED, AnyIndex, ColumnsTableModel, change_filter

_USER = int(Qt.ItemDataRole.UserRole)
#: Role returning the row's position in the layer (int).
AreaRowRole = _USER + 21
#: Role returning the row's :class:`Totals`.
AreaTotalsRole = _USER + 22
#: Role the proxy sorts by.
AreaSortRole = _USER + 23

#: Name of the bundled layer.
PROVINCES_LAYER = "Provinces"


class AreaTotalsModel(ColumnsTableModel):
    """One row per area, in layer order, with its :class:`Totals`.

    The areas are fixed until :meth:`set_layer`; :meth:`set_totals` only updates
    numbers, so the view keeps its selection and sort across recomputations. The
    columns are the region panel's.
    """

    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._areas: list[PolygonRegion] = []
        self._totals: list[Totals] = []

    @property
    def areas(self) -> list[PolygonRegion]:
        """The areas, in layer order."""
        return list(self._areas)

    def area_at(self, row: int) -> PolygonRegion:
        """The area of source row ``row``."""
        return self._areas[row]

    def totals_at(self, row: int) -> Totals:
        """The totals of source row ``row``."""
        return self._totals[row]

    def set_layer(self, areas: Sequence[PolygonRegion], results: Sequence[Totals]) -> None:
        """Show a new layer (resets the model)."""
        if len(areas) != len(results):
            raise ValueError(f"{len(results)} totals for {len(areas)} areas")
        self.beginResetModel()
        self._areas = list(areas)
        self._totals = list(results)
        self.endResetModel()

    def set_totals(self, results: Sequence[Totals]) -> None:
        """New totals for the same areas; announces only the rows that changed."""
        if len(results) != len(self._areas):
            raise ValueError(f"{len(results)} totals for {len(self._areas)} areas")
        for row, new in enumerate(results):
            if new != self._totals[row]:
                self._totals[row] = new
                self.announce_row_changed(row)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of areas."""
        return 0 if parent.isValid() else len(self._areas)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, tooltip, alignment, and the custom roles."""
        if not index.isValid() or not 0 <= index.row() < len(self._areas):
            return None
        area, t = self._areas[index.row()], self._totals[index.row()]
        key = COLUMNS[index.column()][0]
        role = int(role)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name":
                return area.name
            if key == "kind":
                return area.kind
            return totals_cells(t)[key]
        if role == AreaSortRole:
            if key in NUMERIC_COLUMNS:
                return totals_sort_value(t, key)
            return (area.name if key == "name" else area.kind).casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return area.name if key == "name" else totals_tooltip(t)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC_COLUMNS:
            return int(RIGHT_ALIGNED)
        if role == AreaRowRole:
            return index.row()
        if role == AreaTotalsRole:
            return t
        return None


class AreaFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`AreaSortRole`; optionally hides areas without sites."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hide_empty = False
        self.setSortRole(AreaSortRole)
        self.setDynamicSortFilter(True)

    @property
    def hide_empty(self) -> bool:
        """Whether areas with zero sites are hidden."""
        return self._hide_empty

    def set_hide_empty(self, hide: bool) -> None:
        """Hide (or show again) the areas with zero sites."""
        if hide != self._hide_empty:
            change_filter(self, lambda: setattr(self, "_hide_empty", hide))

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        """Qt hook: drop empty areas when :attr:`hide_empty`."""
        if not self._hide_empty:
            return True
        model = self.sourceModel()
        t = model.data(model.index(source_row, 0, source_parent), AreaTotalsRole)
        return t is not None and t.site_count > 0


class AreaTotalsWidget(QWidget):
    """Totals for every area of a layer, live, sortable, copyable.

    Parameters
    ----------
    session : Session
        Its sites are totalled by the areas of its boundary layer (the bundled provinces
        when it has none); loading a layer here, or going back to the provinces, sets the
        session's layer, so the map and picking follow; "Add as region" adds the selected
        areas to the session's regions (one undoable step).
    hide_empty : bool, default True
        Start with the areas without sites hidden.
    parent : QWidget, optional

    Attributes
    ----------
    model : AreaTotalsModel
    proxy : AreaFilterProxy
    view : QTableView
    hide_empty_check : QCheckBox
    copy_button, add_button, load_button, provinces_button : QPushButton
    layer_label, footer : QLabel
    last_message : str
        Text of the last message shown ("" if none).
    """

    #: Emitted with the ids of the regions "Add as region" created.
    regionsAdded = Signal(object)

    def __init__(
        self, session: Session, *, hide_empty: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("area_totals")
        self.session = session
        self.sites = session.sites
        self.catalogue = session.catalogue
        self.layer_name = ""
        self.layer_warnings: list[str] = []
        self.last_message = ""
        self.message_box: QMessageBox | None = None
        self._inside_any = 0
        self._last_dir = ""

        self.model = AreaTotalsModel(self)
        self.proxy = AreaFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.set_hide_empty(hide_empty)

        self.layer_label = QLabel(self)
        self.layer_label.setObjectName("layer_label")
        self.layer_label.setTextFormat(Qt.TextFormat.PlainText)
        self.layer_label.setWordWrap(True)
        self.load_button = self._button("load_layer", "Load layer…", self._on_load_clicked)
        self.load_button.setToolTip("Total by the areas of a GeoPackage, Shapefile or GeoJSON")
        self.provinces_button = self._button(
            "use_provinces", "Provinces", self._on_provinces_clicked
        )
        self.provinces_button.setToolTip("Total by the bundled (approximate) province outlines")
        self.hide_empty_check = QCheckBox("Hide areas without sites", self)
        self.hide_empty_check.setObjectName("hide_empty")
        self.hide_empty_check.setChecked(hide_empty)
        self.hide_empty_check.toggled.connect(self._on_hide_empty_toggled)

        self.view = QTableView(self)
        self.view.setObjectName("area_table")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # layer order at first
        self.view.setSortingEnabled(True)

        self.copy_button = self._button("copy_area_totals", "Copy", self.copy_totals)
        self.copy_button.setToolTip("Copy the shown rows as a tab-separated table")
        self.add_button = self._button("add_as_region", "Add as region", self.add_selected)
        self.add_button.setToolTip("Add the selected areas to the regions (undoable)")
        self.footer = QLabel(self)
        self.footer.setObjectName("area_footer")
        self.footer.setTextFormat(Qt.TextFormat.PlainText)

        top = QHBoxLayout()
        top.addWidget(self.layer_label, 1)
        top.addWidget(self.provinces_button)
        top.addWidget(self.load_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hide_empty_check)
        bottom.addStretch(1)
        bottom.addWidget(self.copy_button)
        bottom.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.footer)
        layout.addLayout(bottom)

        # Edits come in bursts (an import, undo of a bulk delete): total once per burst.
        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(0)
        self._recompute_timer.timeout.connect(self.recompute)
        self._store_events = StoreSignals(self.sites, self)
        for sig in (
            self._store_events.inserted,
            self._store_events.removed,
            self._store_events.changed,
            self._store_events.reset_done,
        ):
            sig.connect(self._schedule_recompute)
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        for sig in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            sig.connect(self._update_actions)

        self._session_events = SessionSignals(session, self)
        self._session_events.boundaryChanged.connect(self._show_session_layer)
        self._session_events.asOfChanged.connect(self._on_as_of_changed)
        self._show_session_layer(session.boundary_layer)

    # ------------------------------------------------------------------ layers
    def set_layer(
        self, name: str, areas: Sequence[PolygonRegion], warnings: Sequence[str] = ()
    ) -> None:
        """Show totals by ``areas`` (``warnings`` are shown under the name).

        Normally driven by the session's boundary layer; the session is not changed.
        """
        areas = list_of(areas, PolygonRegion, "areas")
        self.layer_name = name
        self.layer_warnings = list(warnings)
        self.model.set_layer(areas, self._totals_for(areas))
        self.view.resizeColumnsToContents()
        n = len(warnings)
        self.layer_label.setText(
            f"{name}: {len(areas):,} areas" + (f" · {n} note{'s' * (n != 1)}" if n else "")
        )
        self.layer_label.setToolTip("\n".join(warnings))
        self._update_footer()
        self._update_actions()

    def _show_session_layer(self, layer: BoundaryLayer | None) -> None:
        if layer is not None:
            self.set_layer(layer.name, layer.areas, layer.warnings)
            return
        provinces = self.session.admin_areas
        if provinces is None:
            self._show_message(
                "Could not load provinces", "The bundled province outlines are missing.", error=True
            )
            return
        self.set_layer(PROVINCES_LAYER, [a.region for a in provinces])

    def use_provinces(self) -> None:
        """Total (and pick, and show on the map) by the bundled provinces again."""
        self.session.set_boundary_layer(None)
        if self.layer_name != PROVINCES_LAYER:
            self._show_session_layer(None)

    def load_layer(
        self, path: str | os.PathLike[str], name_field: str | None = None
    ) -> BoundaryLayer | None:
        """Read a boundary layer and make it the session's (map, picking and this table).

        Errors (one line, naming the file) are shown in a message box and leave the
        current layer in place.

        Returns
        -------
        BoundaryLayer or None
            None when the file could not be used.
        """
        try:
            layer = load_boundary_layer(path, name_field)
        except DataFileError as exc:
            self._show_message("Could not load boundary layer", str(exc), error=True)
            return None
        try:
            self.session.set_boundary_layer(layer)
        except ValueError as exc:  # readable, but a view (the map) cannot show it
            reason = " ".join(str(exc).split())
            self._show_message(
                "Could not load boundary layer",
                f"{Path(path).name}: cannot show it on the map: {reason}",
                error=True,
            )
            return None
        return layer

    # ------------------------------------------------------------------ totals
    def _totals_for(self, areas: Sequence[PolygonRegion]) -> list[Totals]:
        # The live totals' snapshot: as of the session's date, like every live total,
        # and read from the columns they keep (no site is built for it).
        arrays = self.session.live_totals.snapshot()
        results = totals_many(
            arrays, areas, catalogue=self.catalogue, factors=self.session.live_totals.factors
        )
        # Sites inside any area: the union of what totals_many already found.
        self._inside_any = len(set().union(*(t.site_ids for t in results)))
        return results

    def recompute(self) -> None:
        """Re-total every area from a fresh snapshot of the sites."""
        self._recompute_timer.stop()
        self.model.set_totals(self._totals_for(self.model.areas))
        self._update_footer()

    def _on_as_of_changed(self, _as_of: object) -> None:
        self.recompute()
        self.view.resizeColumnsToContents()

    def _schedule_recompute(self, *_: object) -> None:
        self._recompute_timer.start()

    # ------------------------------------------------------------------ reading the table
    def visible_rows(self) -> list[int]:
        """Source rows shown, in displayed (sorted, filtered) order."""
        return [
            int(self.proxy.data(self.proxy.index(r, 0), AreaRowRole))
            for r in range(self.proxy.rowCount())
        ]

    def visible_totals(self) -> list[Totals]:
        """Totals of the shown rows, in displayed order."""
        return [self.model.totals_at(r) for r in self.visible_rows()]

    def selected_rows(self) -> list[int]:
        """Source rows of the selected areas, in displayed order."""
        chosen = {int(i.data(AreaRowRole)) for i in self.view.selectionModel().selectedRows(0)}
        return [r for r in self.visible_rows() if r in chosen]

    def select_areas(self, names: Sequence[str]) -> None:
        """Select the shown rows whose area name is in ``names``."""
        wanted = set(names)
        selection = QItemSelection()
        last = len(COLUMNS) - 1
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, column_of("name")).data() in wanted:
                selection.select(self.proxy.index(r, 0), self.proxy.index(r, last))
        self.view.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    # ------------------------------------------------------------------ actions
    def totals_text(self) -> str:
        """The TSV of the shown rows (header row first), in displayed order."""
        rows = self.visible_totals()
        present = {m for t in rows for m, _ in t.by_model}
        models = [m for m in self.catalogue.names if m in present]
        return totals_tsv(rows, models + sorted(present - set(models)))

    def copy_totals(self) -> str:
        """Put :meth:`totals_text` on the clipboard and return it."""
        text = self.totals_text()
        QApplication.clipboard().setText(text)
        return text

    def add_selected(self) -> list[str]:
        """Add the selected areas as regions in one undoable step; returns their ids."""
        areas = [self.model.area_at(r) for r in self.selected_rows()]
        if not areas:
            return []
        ids = [e.id for e in self.session.add_regions(areas)]
        self.regionsAdded.emit(ids)
        return ids

    # ------------------------------------------------------------------ widgets
    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.clicked.connect(lambda _checked=False: slot())
        return b

    def _on_hide_empty_toggled(self, checked: bool) -> None:
        self.proxy.set_hide_empty(checked)
        self._update_footer()

    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Load boundary layer",
            self._last_dir,
            "Boundary layers (*.gpkg *.shp *.geojson *.json *.zip);;All files (*)",
        )
        if path:
            self._last_dir = str(Path(path).parent)
            self.load_layer(path)

    def _on_provinces_clicked(self) -> None:
        self.use_provinces()

    def _update_actions(self, *_: object) -> None:
        self.add_button.setEnabled(bool(self.view.selectionModel().selectedRows(0)))
        self.copy_button.setEnabled(self.proxy.rowCount() > 0)

    def _update_footer(self) -> None:
        n = self.model.rowCount()
        empty = sum(1 for r in range(n) if self.model.totals_at(r).site_count == 0)
        hidden = f" ({empty:,} without sites hidden)" if self.proxy.hide_empty and empty else ""
        self.footer.setText(
            f"{n:,} areas{hidden} · {self._inside_any:,} of {len(self.sites):,} sites "
            f"inside an area · totals {as_of_words(self.session.as_of)}"
        )

    def _show_message(self, title: str, text: str, *, error: bool = False) -> None:
        """Show ``text`` in a window-modal message box without blocking the caller."""
        self.last_message = text
        box = self.message_box
        if box is None:
            box = QMessageBox(self)
            box.setObjectName("area_totals_message")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            self.message_box = box
        box.setIcon(QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        box.open()


class AreaTotalsDialog(QDialog):
    """ "Totals by area" in its own window: an :class:`AreaTotalsWidget` and Close.

    Parameters are those of :class:`AreaTotalsWidget`.

    Attributes
    ----------
    widget : AreaTotalsWidget
    """

    def __init__(
        self, session: Session, *, hide_empty: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("area_totals_dialog")
        self.setWindowTitle("Totals by area")
        self.widget = AreaTotalsWidget(session, hide_empty=hide_empty, parent=self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.widget, 1)
        layout.addWidget(buttons)
        self.resize(900, 520)


__all__ = [
    "PROVINCES_LAYER",
    "AreaFilterProxy",
    "AreaRowRole",
    "AreaSortRole",
    "AreaTotalsDialog",
    "AreaTotalsModel",
    "AreaTotalsRole",
    "AreaTotalsWidget",
]
