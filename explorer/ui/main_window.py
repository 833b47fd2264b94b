"""The main window: map in the centre, site panel, site table and regions in docks.

The window is a set of views over one :class:`~explorer.session.session.Session`: the
map controllers, the panels and the table read it and hand user intentions to it, and
the session turns each into a command on the window's :class:`QUndoStack` (through
:class:`~explorer.ui.undo.QtHistory`). The window itself keeps the docks, menus, dialogs
and files: it opens and saves through the session and mirrors the session's mode,
colour mode and boundary layer in its actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionStore
from explorer.io.boundaries import BoundaryLayer, load_boundary_layer
from explorer.io.layer_choice import LayerChoiceNeeded
from explorer.io.project_value import Project
from explorer.session.session import DRAW_TOOLS, Session
from explorer.ui.area_totals import AreaTotalsDialog
from explorer.ui.export_dialog import ExportDialog
from explorer.ui.load_job import LoadJob, LoadProgress
from explorer.ui.qt_store import SessionSignals
from explorer.ui.region_panel import RegionPanel
from explorer.ui.site_panel import SitePanel
from explorer.ui.site_table import SiteTable
from explorer.ui.undo import QtHistory
from explorer.web.controller import MapController
from explorer.web.region_controller import RegionMapController
from explorer.web.view import MapView

if TYPE_CHECKING:
    from explorer.io.opening import OpenedFile

log = logging.getLogger(__name__)

MAX_RECENT = 8
PROJECT_FILTER = "Compute Site Explorer project (*.gpkg)"
OPEN_FILTER = (
    "Projects and site files (*.gpkg *.geojson *.json *.csv *.parquet *.geoparquet);;All files (*)"
)
BOUNDARY_FILTER = "Boundary layers (*.gpkg *.geojson *.json *.shp *.zip);;All files (*)"


class MainWindow(QMainWindow):
    """Top-level window over a :class:`Session` (built here, on the window's undo stack).

    Parameters
    ----------
    catalogue : ChipCatalogue, optional
        The session's chip catalogue (default: the bundled one).
    settings : QSettings, optional
        Layout and recent files (default: the application's).
    parent : QWidget, optional
    """

    projectOpened = Signal(str)

    def __init__(
        self,
        *,
        catalogue: ChipCatalogue | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self.session = Session(catalogue, history=QtHistory(self.undo_stack))
        self._session_events = SessionSignals(self.session, self)

        self.map_view = MapView(self)
        self.map = MapController(self.map_view, self.session)
        self.region_map = RegionMapController(self.map_view, self.session, self)
        self.setCentralWidget(self.map_view)

        self.panel = SitePanel(self.session)
        self.panel_dock = self._dock(
            "Site", "site_dock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.table = SiteTable(self.store, self.selection, catalogue=self.catalogue)
        self.table_dock = self._dock(
            "Sites", "table_dock", self.table, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.region_panel = RegionPanel(self.session)
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

        self.load_job: LoadJob | None = None
        self.load_progress = LoadProgress(self)
        self.statusBar().addWidget(self.load_progress)

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
        self._session_events.modeChanged.connect(self._on_mode_changed)
        self._session_events.colorModeChanged.connect(self._on_color_mode_changed)
        self._session_events.boundaryChanged.connect(self._on_boundary_changed)
        self._session_events.notice.connect(self._on_notice)
        self._restore_layout()
        self._update_title()
        self._on_selection_changed(None)

    # ------------------------------------------------------------------ the session's parts
    @property
    def catalogue(self) -> ChipCatalogue:
        return self.session.catalogue

    @property
    def store(self) -> SiteStore:
        return self.session.sites

    @property
    def selection(self) -> Selection:
        return self.session.selection

    @property
    def region_store(self) -> RegionStore:
        return self.session.regions

    @property
    def region_selection(self) -> Selection:
        return self.session.region_selection

    @property
    def live_totals(self) -> LiveTotals:
        return self.session.live_totals

    @property
    def path(self) -> Path | None:
        """The project file, or None until saved as one."""
        return self.session.path

    @property
    def display_name(self) -> str:
        return self.session.display_name

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
        self.color_actions = {"export": self.act_color_export, "model": self.act_color_model}
        for mode, act in self.color_actions.items():
            self.color_group.addAction(act)
            act.triggered.connect(lambda _c=False, m=mode: self.session.set_color_mode(m))
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
        self.session.load(project, path=path, display_name=display_name)
        self._opened()

    def _opened(self) -> None:
        self.undo_stack.setClean()
        self._update_title()
        self._update_provenance()
        self.projectOpened.emit(self.display_name)

    def open_path(
        self,
        path: Path | str,
        *,
        interactive: bool = True,
        background: bool = False,
        layer: str | None = None,
    ) -> bool:
        """Open a project or sites file. On failure the current project is untouched.

        With ``background`` the file is read off the UI thread (:attr:`load_job`), with
        progress and Cancel in the status bar, and True means the load started. A
        GeoPackage with several point layers asks which one (when ``interactive``).
        """
        path = Path(path)
        if background:
            self._start_load(path, interactive=interactive, layer=layer)
            return True
        try:
            self.session.open(path, layer=layer)
        except LayerChoiceNeeded as exc:
            chosen = self._choose_layer(path, exc.layers) if interactive else None
            if chosen is None:
                return self._open_failed(path, exc, interactive)
            return self.open_path(path, interactive=interactive, layer=chosen)
        except (DataFileError, ValidationError, ValueError, OSError) as exc:
            return self._open_failed(path, exc, interactive)
        self._opened()
        self._add_recent(path)
        return True

    def _open_failed(self, path: Path, exc: BaseException, interactive: bool) -> bool:
        message = str(exc) if not isinstance(exc, OSError) else f"{path}: {exc.strerror or exc}"
        log.warning("could not open %s: %s", path, message)
        if interactive:
            QMessageBox.critical(
                self, "Could not open file", f"Could not open {path.name}:\n\n{message}"
            )
        self.last_error = message
        return False

    def _choose_layer(self, path: Path, layers: tuple[str, ...]) -> str | None:
        """Ask which point layer of ``path`` to open (tests replace this method)."""
        name, ok = QInputDialog.getItem(
            self,
            "Choose a layer",
            f"{path.name} has several point layers. Open which one as sites?",
            list(layers),
            0,
            False,
        )
        return name if ok and name else None

    # ------------------------------------------------------------------ loading off the UI thread
    def _start_load(self, path: Path, *, interactive: bool, layer: str | None) -> None:
        if self.load_job is not None:
            self.load_job.cancel()
        job = LoadJob(self.session, path, layer=layer, parent=self)
        self.load_job = job
        job.succeeded.connect(lambda opened: self._on_load_succeeded(job, opened))
        job.failed.connect(lambda exc: self._on_load_failed(job, exc, interactive))
        job.cancelled.connect(lambda: self._on_load_ended(job))
        self.load_progress.follow(job)
        job.start()

    def _on_load_ended(self, job: LoadJob) -> None:
        if self.load_job is job:
            self.load_job = None

    def _on_load_succeeded(self, job: LoadJob, opened: OpenedFile) -> None:
        self._on_load_ended(job)
        if job.is_cancelled:
            return  # cancelled after the read finished: still nothing changes
        try:
            self.session.load_opened(opened)
        except (DataFileError, ValueError) as exc:
            self._open_failed(job.path, exc, True)
            return
        self._opened()
        self._add_recent(job.path)

    def _on_load_failed(self, job: LoadJob, exc: BaseException, interactive: bool) -> None:
        self._on_load_ended(job)
        if isinstance(exc, LayerChoiceNeeded) and interactive:
            chosen = self._choose_layer(job.path, exc.layers)
            if chosen is not None:
                self._start_load(job.path, interactive=interactive, layer=chosen)
                return
        self._open_failed(job.path, exc, interactive)

    def _on_open(self) -> None:
        if not self._maybe_save():
            return
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open", start, OPEN_FILTER)
        if name:
            self.open_path(name, background=True)

    def new_project(self) -> None:
        if not self._maybe_save():
            return
        self.session.new_project()
        self._opened()

    def current_project(self) -> Project:
        return self.session.project()

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
            self.session.save(path)
        except (DataFileError, OSError, ValueError) as exc:
            log.warning("could not save %s: %s", path, exc)
            if interactive:
                QMessageBox.critical(
                    self, "Could not save", f"Could not save {path.name}:\n\n{exc}"
                )
            self.last_error = str(exc)
            return False
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
        if self.load_job is not None:
            self.load_job.cancel()
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
        if self._confirm_delete(self.store.get(sid)):
            self.session.delete_sites([sid])

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
        # Placing and drawing are one mode of the session: turning one on ends the other.
        if checked:
            self.session.set_mode("place")
        elif self.session.mode == "place":
            self.session.set_mode("browse")

    # ------------------------------------------------------------------ regions
    def _on_draw_action(self, mode: str, checked: bool) -> None:
        if checked:
            self.session.set_mode(mode)
        elif self.session.mode == mode:
            self.session.set_mode("browse")

    def _on_mode_changed(self, mode: str) -> None:
        self.act_place.setChecked(mode == "place")
        for name, act in self.draw_actions.items():
            act.setChecked(name == mode)
        if mode in DRAW_TOOLS:
            self.regions_dock.show()
            self.regions_dock.raise_()

    def _on_color_mode_changed(self, mode: str) -> None:
        self.color_actions[mode].setChecked(True)

    def _on_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # ------------------------------------------------------------------ boundary layers
    @property
    def boundary_layer(self) -> BoundaryLayer | None:
        """The session's boundary layer (map, picking, totals by area), or None."""
        return self.session.boundary_layer

    def load_boundary_layer(self, path: Path | str) -> bool:
        """Read a boundary layer and make it the session's: it is shown on the map,
        picked from and tabulated in "Totals by area" from now on.

        On failure (the one-line ``DataFileError`` message, or a layer too large for the
        map) the message is shown in a window-modal box that does not block the caller,
        kept in :attr:`last_error`, and nothing changes.
        """
        path = Path(path)
        try:
            layer = load_boundary_layer(path)
        except DataFileError as exc:
            return self._boundary_failed(path, " ".join(str(exc).split()))
        try:
            self.session.set_boundary_layer(layer)
        except ValueError as exc:  # readable, but too large for the map even simplified
            reason = " ".join(str(exc).split())
            return self._boundary_failed(path, f"{path.name}: cannot show it on the map: {reason}")
        self._boundary_dir = str(path.parent)
        return True

    def _on_boundary_changed(self, layer: BoundaryLayer | None) -> None:
        self.act_use_provinces.setEnabled(layer is not None)
        if layer is None:
            self.draw_actions["pick"].setText("Pick &Province")
            self.statusBar().showMessage("Picking provinces again", 5000)
            return
        self.draw_actions["pick"].setText(f"Pick &Area of {layer.name.replace('&', '&&')}")
        n = len(layer.areas)
        k = len(layer.warnings)
        notes = f" ({k} note{'s' * (k != 1)}: {layer.warnings[0]})" if k else ""
        self.statusBar().showMessage(
            f"Boundary layer {layer.name}: {n:,} area{'s' * (n != 1)}{notes}; "
            "Regions → Pick adds one of them",
            10000,
        )

    def use_provinces_for_picking(self) -> None:
        """Remove the loaded boundary layer: the map and picking go back to provinces."""
        self.session.set_boundary_layer(None)

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

    def show_area_totals(self) -> None:
        """Open (or raise) the non-modal "Totals by area" window."""
        if self._area_dialog is None:
            self._area_dialog = AreaTotalsDialog(self.session, parent=self)
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
            as_of_provider=lambda: self.session.as_of,
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
