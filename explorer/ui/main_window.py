"""The main window: map in the centre, site panel and site table in docks.

The window is the place where user intentions become commands: the map, table and
panel report what the user asked for, and the window pushes the matching command
onto the one :class:`QUndoStack`. Views then follow the store's events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import AddRegions, AddSites, DeleteSites, EditRegion, EditSite
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site, now_iso
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.admin import AdminAreas
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.io.boundaries import BoundaryLayer, load_boundary_layer
from explorer.io.formats import read_sites
from explorer.io.project import Project, load_project, save_project
from explorer.ui.area_totals import AreaTotalsDialog
from explorer.ui.export_dialog import ExportDialog
from explorer.ui.region_panel import RegionPanel
from explorer.ui.site_panel import SitePanel
from explorer.ui.site_table import SiteTable
from explorer.ui.undo import push
from explorer.web.controller import MapController
from explorer.web.region_controller import RegionMapController
from explorer.web.view import MapView

log = logging.getLogger(__name__)

MAX_RECENT = 8
PROJECT_FILTER = "Compute Site Explorer project (*.gpkg)"
OPEN_FILTER = "Projects and site files (*.gpkg *.geojson *.json *.csv);;All files (*)"
BOUNDARY_FILTER = "Boundary layers (*.gpkg *.geojson *.json *.shp *.zip);;All files (*)"


class MainWindow(QMainWindow):
    """Top-level window. ``path`` is the project file, or None until first saved."""

    projectOpened = Signal(str)

    def __init__(
        self,
        *,
        catalogue: ChipCatalogue | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalogue = catalogue or ChipCatalogue.bundled()
        self.settings = settings or QSettings()
        self.store = SiteStore(catalogue=self.catalogue)
        self.selection = Selection()
        self.undo_stack = QUndoStack(self)
        self.region_store = RegionStore()
        self.region_selection = Selection()
        self.live_totals = LiveTotals(self.store, self.region_store, self.catalogue)
        self.path: Path | None = None
        self.display_name = "Untitled"
        self.admin_areas = _load_admin_areas()
        self._province_lookup = self.admin_areas.province_at if self.admin_areas else None

        self.map_view = MapView(self)
        self.map = MapController(self.map_view, self.store, self.selection, self.catalogue)
        self.region_map = RegionMapController(self.map_view, self.region_store, self)
        self.setCentralWidget(self.map_view)

        self.panel = SitePanel(
            self.store,
            self.selection,
            undo_stack=self.undo_stack,
            catalogue=self.catalogue,
            province_lookup=self._province_lookup,
        )
        self.panel_dock = self._dock(
            "Site", "site_dock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.table = SiteTable(self.store, self.selection, catalogue=self.catalogue)
        self.table_dock = self._dock(
            "Sites", "table_dock", self.table, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.region_panel = RegionPanel(
            self.store,
            self.region_store,
            self.live_totals,
            self.undo_stack,
            self.selection,
            self.region_selection,
            catalogue=self.catalogue,
        )
        self.regions_dock = self._dock(
            "Regions", "regions_dock", self.region_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.table_dock, self.regions_dock)
        self.table_dock.raise_()
        self._area_dialog: AreaTotalsDialog | None = None
        self.last_error = ""
        #: The window-modal box that shows the last boundary-layer error (non-blocking).
        self.boundary_message_box: QMessageBox | None = None
        self._boundary_dir = ""

        self.provenance_label = QLabel()
        self.provenance_label.setTextFormat(Qt.TextFormat.PlainText)
        self.provenance_label.setObjectName("provenance_label")
        self.statusBar().addPermanentWidget(self.provenance_label)

        self._build_actions()
        self._build_menus()

        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.selection.changed.connect(self._on_selection_changed)
        self.store.inserted.connect(self._on_sites_counted)
        self.store.removed.connect(self._on_sites_counted)
        self.map.siteMoveRequested.connect(self._on_site_move_requested)
        self.map.placeRequested.connect(self._on_place_requested)
        self.region_map.regionCreateRequested.connect(self._on_region_create_requested)
        self.region_map.regionEditRequested.connect(self._on_region_edit_requested)
        self.region_map.areaPicked.connect(self._on_area_picked)
        self.region_map.regionClicked.connect(self.region_selection.set)
        self.region_map.drawModeChanged.connect(self._on_draw_mode_changed)
        self.region_map.drawRejected.connect(self._on_draw_rejected)
        self.region_selection.changed.connect(self._on_region_selection_changed)
        self.live_totals.updated.connect(self._on_region_totals_updated)
        self._restore_layout()
        self._update_title()
        self._on_selection_changed(None)

    # ------------------------------------------------------------------ building
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, *, name: str) -> QAction:  # noqa: ANN001
        act = QAction(text, self)
        act.setObjectName(name)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_project, K.New, name="act_new")
        self.act_open = self._action("&Open…", self._on_open, K.Open, name="act_open")
        self.act_save = self._action("&Save", self.save, K.Save, name="act_save")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs, name="act_save_as")
        self.act_export = self._action(
            "&Export…", self.show_export_dialog, "Ctrl+E", name="act_export"
        )
        self.act_quit = self._action("&Quit", self.close, K.Quit, name="act_quit")
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_delete = self._action(
            "&Delete Site…", self.delete_selected, K.Delete, name="act_delete"
        )
        self.act_find = self._action("&Find…", self._on_find, K.Find, name="act_find")
        self.act_place = self._action(
            "&Place Site on Map", self._on_place_toggled, "Ctrl+Shift+N", name="act_place"
        )
        self.act_place.setCheckable(True)
        self.color_group = QActionGroup(self)
        self.act_color_export = QAction("Colour by &Export Control", self, checkable=True)
        self.act_color_model = QAction("Colour by Chip &Model", self, checkable=True)
        for act, mode in ((self.act_color_export, "export"), (self.act_color_model, "model")):
            self.color_group.addAction(act)
            act.triggered.connect(lambda _c=False, m=mode: self.map.set_color_mode(m))
        self.act_color_export.setChecked(True)
        self.draw_group = QActionGroup(self)
        self.draw_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.draw_actions: dict[str, QAction] = {}
        for mode, text, key in (
            ("polygon", "Draw &Polygon", "Ctrl+Shift+P"),
            ("rectangle", "Draw &Rectangle", "Ctrl+Shift+R"),
            ("circle", "Draw &Circle", "Ctrl+Shift+C"),
            ("pick", "Pick &Province", "Ctrl+Shift+K"),
        ):
            act = self._action(
                text,
                lambda checked=False, m=mode: self._on_draw_action(m, checked),
                key,
                name=f"act_draw_{mode}",
            )
            act.setCheckable(True)
            self.draw_group.addAction(act)
            self.draw_actions[mode] = act
        self.act_load_boundary = self._action(
            "Load &Boundary Layer…", self._on_load_boundary, None, name="act_load_boundary"
        )
        self.act_load_boundary.setToolTip(
            "Show a GeoPackage, Shapefile or GeoJSON of areas (e.g. prefectures) on the map "
            "and pick its areas as regions"
        )
        self.act_use_provinces = self._action(
            "Use Pro&vinces for Picking",
            self.use_provinces_for_picking,
            None,
            name="act_use_provinces",
        )
        self.act_use_provinces.setEnabled(False)
        self.act_area_totals = self._action(
            "Totals by &Area…", self.show_area_totals, "Ctrl+Shift+A", name="act_area_totals"
        )
        self.act_about_data = self._action(
            "About the &Data…", self.show_data_provenance, None, name="act_about_data"
        )

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        file_menu.addAction(self.act_export)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = mb.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_place, self.act_delete])
        edit.addSeparator()
        edit.addAction(self.act_find)
        regions_menu = mb.addMenu("&Regions")
        self.regions_menu = regions_menu
        regions_menu.addActions(list(self.draw_actions.values()))
        regions_menu.addSeparator()
        regions_menu.addActions([self.act_load_boundary, self.act_use_provinces])
        regions_menu.addSeparator()
        regions_menu.addAction(self.act_area_totals)
        view = mb.addMenu("&View")
        view.addActions([self.act_color_export, self.act_color_model])
        view.addSeparator()
        view.addAction(self.panel_dock.toggleViewAction())
        view.addAction(self.table_dock.toggleViewAction())
        view.addAction(self.regions_dock.toggleViewAction())
        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self.act_about_data)

    # ------------------------------------------------------------------ title & state
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.display_name}[*] — Compute Site Explorer")
        self.setWindowModified(not self.undo_stack.isClean())

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _on_selection_changed(self, sid: str | None) -> None:
        self.act_delete.setEnabled(sid is not None and sid in self.store)

    def _on_sites_counted(self, _sites: list[Site]) -> None:
        self._update_provenance()

    def _update_provenance(self) -> None:
        illustrative = sum(1 for s in self.store if s.is_illustrative)
        scenario = str(self.store.metadata.get("scenario", ""))
        if illustrative or scenario == "illustrative":
            text = (
                f"Illustrative scenario: {illustrative} of {len(self.store)} sites "
                "are not reported facts"
            )
            self.provenance_label.setStyleSheet("color: #9a5b00; font-weight: bold;")
        else:
            text = f"{len(self.store)} sites"
            self.provenance_label.setStyleSheet("")
        self.provenance_label.setText(text)

    # ------------------------------------------------------------------ project files
    def load_project_value(self, project: Project, *, path: Path | None, display_name: str) -> None:
        """Replace the open project; raises ``ValueError`` before changing anything."""
        entries = [RegionEntry.from_feature(f, index=i) for i, f in enumerate(project.regions)]
        self.selection.clear()
        self.region_selection.clear()
        # Regions go first: otherwise the old regions are re-totalled against the new
        # sites, and then everything again for the new regions.
        self.region_store.reset([])
        self.store.reset(project.sites, project.metadata)
        self.region_store.reset(entries)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.path = path
        self.display_name = display_name
        self._update_title()
        self._update_provenance()
        self.projectOpened.emit(display_name)

    def open_path(self, path: Path | str, *, interactive: bool = True) -> bool:
        """Open a project or sites file. On failure the current project is untouched."""
        path = Path(path)
        try:
            if path.suffix.lower() == ".gpkg":
                project = load_project(path)
                project_path: Path | None = path
            else:
                loaded = read_sites(path)
                project = Project(sites=loaded.sites, metadata=loaded.metadata, regions=[])
                project_path = None  # saving writes a project, so ask where
            self.load_project_value(project, path=project_path, display_name=path.name)
        except (DataFileError, ValidationError, ValueError, OSError) as exc:
            message = str(exc) if not isinstance(exc, OSError) else f"{path}: {exc.strerror or exc}"
            log.warning("could not open %s: %s", path, message)
            if interactive:
                QMessageBox.critical(
                    self, "Could not open file", f"Could not open {path.name}:\n\n{message}"
                )
            self.last_error = message
            return False
        self._add_recent(path)
        return True

    def _on_open(self) -> None:
        if not self._maybe_save():
            return
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open", start, OPEN_FILTER)
        if name:
            self.open_path(name)

    def new_project(self) -> None:
        if not self._maybe_save():
            return
        self.load_project_value(
            Project(sites=[], metadata={}, regions=[]), path=None, display_name="Untitled"
        )

    def current_project(self) -> Project:
        meta = dict(self.store.metadata)
        meta["saved_at"] = now_iso()
        regions = [entry.to_feature() for entry in self.region_store]
        return Project(sites=self.store.sites(), metadata=meta, regions=regions)

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else str(Path.home() / "sites.gpkg")
        name, _ = QFileDialog.getSaveFileName(self, "Save Project As", start, PROJECT_FILTER)
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() != ".gpkg":
            path = path.with_suffix(".gpkg")
        return self.save_to(path)

    def save_to(self, path: Path | str, *, interactive: bool = True) -> bool:
        """Write the project atomically; on failure the previous file is intact."""
        path = Path(path)
        self.panel.commit()  # an edit still being typed belongs in the saved file
        try:
            save_project(path, self.current_project())
        except (DataFileError, OSError, ValueError) as exc:
            log.warning("could not save %s: %s", path, exc)
            if interactive:
                QMessageBox.critical(
                    self, "Could not save", f"Could not save {path.name}:\n\n{exc}"
                )
            self.last_error = str(exc)
            return False
        self.path = path
        self.display_name = path.name
        self.undo_stack.setClean()
        self._update_title()
        self._add_recent(path)
        return True

    def _ask_unsaved(self) -> QMessageBox.StandardButton:
        """Ask what to do with unsaved changes (tests replace this method)."""
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save changes to {self.display_name} before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def _maybe_save(self) -> bool:
        """True when it is fine to drop the current project."""
        if self.undo_stack.isClean():
            return True
        answer = self._ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._maybe_save():
            event.ignore()
            return
        self._save_layout()
        event.accept()

    # ------------------------------------------------------------------ recent files & layout
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        if not value:
            return []
        if not isinstance(value, Iterable):
            raise TypeError(f"recent_files setting is not a list: {value!r}")
        return [str(v) for v in value]

    def _add_recent(self, path: Path) -> None:
        entry = str(path.resolve())
        files = [f for f in self.recent_files() if f != entry]
        self.settings.setValue("recent_files", [entry, *files][:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _c=False, p=f: self._maybe_save() and self.open_path(p))

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
            self.resizeDocks([self.panel_dock], [440], Qt.Orientation.Horizontal)
            self.resizeDocks([self.table_dock], [240], Qt.Orientation.Vertical)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    # ------------------------------------------------------------------ editing
    def delete_selected(self) -> None:
        sid = self.selection.current
        if sid is None or sid not in self.store:
            return
        site = self.store.get(sid)
        if not self._confirm_delete(site):
            return
        self.selection.clear()
        push(self.undo_stack, DeleteSites(self.store, [sid], text=f"Delete {site.name}"))

    def _confirm_delete(self, site: Site) -> bool:
        """Ask before deleting (tests replace this method)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete site")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Delete the site “{site.name}”? You can undo this.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _on_find(self) -> None:
        self.table_dock.show()
        self.table_dock.raise_()
        self.table.focus_filter()

    def _on_place_toggled(self, checked: bool) -> None:
        if checked:  # placing and drawing are exclusive ways of using a map click
            self.region_map.set_draw_mode("none")
        self.map.set_place_mode(bool(checked))

    def _province_for(self, lon: float, lat: float) -> str:
        if self._province_lookup is None:
            return ""
        return self._province_lookup(lon, lat) or ""

    def _on_place_requested(self, lon: float, lat: float) -> None:
        site = Site(
            id=self.store.new_id("site"),
            name="New site",
            lon=round(lon, 5),
            lat=round(lat, 5),
            province=self._province_for(lon, lat),
            status="planned",
            confidence="low",
            updated_at=now_iso(),
        )
        self.act_place.setChecked(False)
        self.map.set_place_mode(False)
        push(self.undo_stack, AddSites(self.store, [site], text=f"Add {site.name}"))
        self.selection.set(site.id)

    def _on_site_move_requested(self, sid: str, lon: float, lat: float) -> None:
        if sid not in self.store:
            return
        old = self.store.get(sid)
        province = self._province_for(lon, lat) if self._province_lookup else old.province
        new = old.with_changes(lon=round(lon, 5), lat=round(lat, 5), province=province)
        push(self.undo_stack, EditSite(self.store, old, new, text=f"Move {old.name}"))

    # ------------------------------------------------------------------ regions
    def _on_draw_action(self, mode: str, checked: bool) -> None:
        if checked:
            self.act_place.setChecked(False)
            self.map.set_place_mode(False)
        self.region_map.set_draw_mode(mode if checked else "none")

    def _on_draw_mode_changed(self, mode: str) -> None:
        for name, act in self.draw_actions.items():
            act.setChecked(name == mode)
        if mode != "none":
            self.regions_dock.show()
            self.regions_dock.raise_()

    def _on_draw_rejected(self, reason: str) -> None:
        self.statusBar().showMessage(f"Region not added: {reason}", 8000)

    def _on_region_create_requested(self, entry: RegionEntry) -> None:
        push(self.undo_stack, AddRegions(self.region_store, [entry], text=f"Add {entry.name}"))
        self.region_selection.set(entry.id)

    def _on_region_edit_requested(self, old: RegionEntry, new: RegionEntry) -> None:
        if old.id in self.region_store:
            push(self.undo_stack, EditRegion(self.region_store, old, new, text=f"Edit {old.name}"))

    def _on_area_picked(self, lon: float, lat: float) -> None:
        layer = self.boundary_layer
        if layer is not None:
            self._add_picked_area(layer, lon, lat)
            return
        name = self._province_lookup(lon, lat) if self._province_lookup else None
        if not name or self.admin_areas is None:
            self.statusBar().showMessage("No province there: pick inside a province outline", 8000)
            return
        area = self.admin_areas.region(name)
        entry = RegionEntry(id=self.region_store.new_id(), region=area)
        push(self.undo_stack, AddRegions(self.region_store, [entry], text=f"Add {name}"))
        self.region_selection.set(entry.id)

    def _add_picked_area(self, layer: BoundaryLayer, lon: float, lat: float) -> None:
        area = layer.area_at(lon, lat)
        if area is None:
            self.statusBar().showMessage(
                f"No area of {layer.name} there: pick inside one of its outlines", 8000
            )
            return
        entry = RegionEntry(id=self.region_store.new_id(), region=area)
        push(self.undo_stack, AddRegions(self.region_store, [entry], text=f"Add {area.name}"))
        self.region_selection.set(entry.id)

    # ------------------------------------------------------------------ boundary layers
    @property
    def boundary_layer(self) -> BoundaryLayer | None:
        """The loaded boundary layer that picking uses, or None (provinces)."""
        return self.region_map.boundary_layer

    def load_boundary_layer(self, path: Path | str) -> bool:
        """Read a boundary layer, show it on the map and pick its areas from now on.

        "Totals by area" switches to the same layer. On failure (the one-line
        ``DataFileError`` message, or a layer too large for the map) the message is shown
        in a window-modal box that does not block the caller, kept in
        :attr:`last_error`, and nothing changes.
        """
        path = Path(path)
        try:
            layer = load_boundary_layer(path)
        except DataFileError as exc:
            return self._boundary_failed(path, " ".join(str(exc).split()))
        return self._use_boundary_layer(layer, path)

    def _on_dialog_layer_loaded(self, layer: BoundaryLayer) -> None:
        """A layer loaded in "Totals by area" also goes on the map and into picking."""
        self._use_boundary_layer(layer, None)

    def _sync_area_dialog(self) -> None:
        """Show the window's layer (the one the map and picking use) in "Totals by area"."""
        if self._area_dialog is None:
            return
        layer = self.boundary_layer
        if layer is None:
            self._area_dialog.widget.use_provinces()
        else:
            self._area_dialog.widget.set_layer(layer.name, layer.areas, layer.warnings)

    def _use_boundary_layer(self, layer: BoundaryLayer, path: Path | None) -> bool:
        try:
            self.region_map.set_boundary_layer(layer)
        except ValueError as exc:  # readable, but too large for the map even simplified
            self._sync_area_dialog()  # a layer the dialog loaded goes back out of it
            reason = " ".join(str(exc).split())
            where = path if path is not None else Path(layer.name)
            return self._boundary_failed(
                where, f"{where.name}: cannot show it on the map: {reason}"
            )
        if path is not None:
            self._boundary_dir = str(path.parent)
        self.act_use_provinces.setEnabled(True)
        self.draw_actions["pick"].setText(f"Pick &Area of {layer.name.replace('&', '&&')}")
        self._sync_area_dialog()
        n = len(layer.areas)
        k = len(layer.warnings)
        notes = f" ({k} note{'s' * (k != 1)}: {layer.warnings[0]})" if k else ""
        self.statusBar().showMessage(
            f"Boundary layer {layer.name}: {n:,} area{'s' * (n != 1)}{notes}; "
            "Regions → Pick adds one of them",
            10000,
        )
        return True

    def use_provinces_for_picking(self) -> None:
        """Remove the loaded boundary layer: the map and picking go back to provinces."""
        if self.boundary_layer is None:
            return
        self.region_map.set_boundary_layer(None)
        self.act_use_provinces.setEnabled(False)
        self.draw_actions["pick"].setText("Pick &Province")
        self._sync_area_dialog()
        self.statusBar().showMessage("Picking provinces again", 5000)

    def _on_load_boundary(self) -> None:
        start = self._boundary_dir or (str(self.path.parent) if self.path else str(Path.home()))
        name, _ = QFileDialog.getOpenFileName(self, "Load Boundary Layer", start, BOUNDARY_FILTER)
        if name:
            self.load_boundary_layer(name)

    def _boundary_failed(self, path: Path, message: str) -> bool:
        log.warning("could not load boundary layer %s: %s", path, message)
        self.last_error = message
        self._show_boundary_error(message)
        return False

    def _show_boundary_error(self, message: str) -> None:
        box = self.boundary_message_box
        if box is None:
            box = QMessageBox(self)
            box.setObjectName("boundary_message")
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Could not load boundary layer")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            self.boundary_message_box = box
        box.setText(message)
        box.open()

    def _on_region_selection_changed(self, rid: str | None) -> None:
        if rid is not None and rid not in self.region_store:
            rid = None
        self.region_map.select_region(rid)
        self._highlight_region_sites()

    def _on_region_totals_updated(self, rids: list[str]) -> None:
        if self.region_selection.current in rids:
            self._highlight_region_sites()

    def _highlight_region_sites(self) -> None:
        rid = self.region_selection.current
        ids = self.live_totals.site_ids(rid) if rid is not None and rid in self.region_store else []
        self.region_map.highlight_sites(list(ids))

    def show_area_totals(self) -> None:
        """Open (or raise) the non-modal "Totals by area" window."""
        if self._area_dialog is None:
            layer = self.boundary_layer  # the layer picking uses, so the two agree
            self._area_dialog = AreaTotalsDialog(
                self.store,
                self.region_store,
                self.undo_stack,
                areas=layer.areas if layer is not None else None,
                layer_name=layer.name if layer is not None else None,
                catalogue=self.catalogue,
                provinces=self.admin_areas,
                parent=self,
            )
            # The window owns the layer that the map, picking and this table share.
            self._area_dialog.widget.layerLoaded.connect(self._on_dialog_layer_loaded)
            self._area_dialog.widget.provincesChosen.connect(self.use_provinces_for_picking)
        self._area_dialog.show()
        self._area_dialog.raise_()

    # ------------------------------------------------------------------ export
    def make_export_dialog(self) -> ExportDialog:
        """The export dialog bound to what the window holds when an export starts."""
        self.panel.commit()
        dialog = ExportDialog(
            sites_provider=self.store.sites,
            regions_provider=self.region_store.entries,
            metadata=self.store.metadata,
            live_map=self.map_view,
            filtered_ids_provider=lambda: [s.id for s in self.table.proxy.visible_sites()],
            parent=self,
            selected_region_ids_provider=self.region_panel.selected_ids,
            catalogue=self.catalogue,
        )
        dialog.finished_export.connect(
            lambda path: self.statusBar().showMessage(f"Exported {path}", 10000)
        )
        return dialog

    def show_export_dialog(self) -> None:
        dialog = self.make_export_dialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # ------------------------------------------------------------------ help
    def show_data_provenance(self) -> None:
        meta = self.store.metadata
        lines = [
            str(meta.get("title", "Sites")),
            "",
            str(meta.get("description", "")),
            "",
            "Basemap: Natural Earth (public domain); towns: GeoNames (CC BY 4.0).",
            "Province boundaries are approximate (Natural Earth 10m).",
        ]
        box = QMessageBox(self)
        box.setWindowTitle("About the data")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText("\n".join(lines))
        box.exec()


def _load_admin_areas() -> AdminAreas | None:
    """The bundled province boundaries, or None (with a log line) if they are missing."""
    try:
        return AdminAreas.load()
    except (OSError, DataFileError, ValueError) as exc:
        log.warning("province lookup unavailable: %s", exc)
        return None
