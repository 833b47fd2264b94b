"""The main window: map in the centre, site panel, site table and regions in docks.

The window is a set of views over one :class:`~explorer.session.session.Session`: the
map controllers, the panels and the table read it and hand user intentions to it, and
the session turns each into a command on the window's :class:`QUndoStack` (through
:class:`~explorer.ui.undo.QtHistory`). The window itself keeps the docks, menus, dialogs
and files: it opens and saves through the session and mirrors the session's mode,
colour mode and boundary layer in its actions.

Team mode (a shared catalogue, *File → Open Database…* or ``explorer postgresql://...``):
the title names the database and the role, the status bar says whether the window is
connected, and a :class:`~explorer.ui.catalogue_link.CatalogueLink` takes in other
clients' changes and reconnects after an outage. Every change the catalogue refuses
reaches :meth:`MainWindow._on_refused` (the session's refusal handler), whichever view
made it: a conflict opens the :class:`~explorer.ui.conflict_dialog.ConflictDialog`, a
lost connection or a read-only role is explained and the change dropped. Undo and redo
go through the session (in team mode each is a new change in the database). The reason
typed in the status bar goes with every change until it is cleared.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from explorer.core.chips import ChipCatalogue
from explorer.core.credits import MAP_DATA_CREDIT
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.schema import Site
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals
from explorer.geo.region_store import RegionStore
from explorer.geo.totals import Totals, totals
from explorer.io.boundaries import BoundaryLayer, load_boundary_layer
from explorer.io.database.catalogue import DatabaseError
from explorer.io.database.url import display_url, is_database_url
from explorer.io.layer_choice import LayerChoiceNeeded
from explorer.io.project_value import Project
from explorer.session.diff import diff_projects
from explorer.session.refusals import Refusal
from explorer.session.session import DRAW_TOOLS, Session
from explorer.ui.area_totals import AreaTotalsDialog
from explorer.ui.capacity_panel import CapacityPanel
from explorer.ui.catalogue_link import CatalogueLink
from explorer.ui.compare_dialog import CompareDialog
from explorer.ui.conflict_dialog import ConflictDialog
from explorer.ui.date_strip import AsOfStrip
from explorer.ui.date_text import as_of_words
from explorer.ui.elided_label import ElidedLabel
from explorer.ui.history_panel import HistoryPanel
from explorer.ui.idle_queue import IdleQueue, Urgency
from explorer.ui.load_job import LoadJob, LoadProgress
from explorer.ui.open_database_dialog import OpenDatabaseDialog
from explorer.ui.qt_store import SessionSignals, StoreSignals
from explorer.ui.region_format import chips_text, restricted_text, totals_tooltip
from explorer.ui.region_panel import RegionPanel
from explorer.ui.save_job import SaveJob, SaveProgress
from explorer.ui.site_panel import SitePanel
from explorer.ui.site_table import SiteTable
from explorer.ui.undo import QtHistory
from explorer.ui.undo_keys import WindowUndoKeys
from explorer.web.controller import MapController
from explorer.web.region_controller import RegionMapController
from explorer.web.view import MapView

if TYPE_CHECKING:
    from explorer.session.session import ReadFile
    from explorer.ui.export_dialog import ExportDialog

log = logging.getLogger(__name__)

MAX_RECENT = 8
PROJECT_FILTER = "Compute Site Explorer project (*.gpkg)"
OPEN_FILTER = (
    "Projects and site files (*.gpkg *.geojson *.json *.csv *.parquet *.geoparquet);;All files (*)"
)
COMPARE_FILTER = OPEN_FILTER
BOUNDARY_FILTER = "Boundary layers (*.gpkg *.geojson *.json *.shp *.zip);;All files (*)"


#: From this many sites on, the menu's Save writes the project on a worker thread (a
#: GeoPackage of 100,000 sites takes 2.4-3.0 s to write on the project's machine).
BACKGROUND_SAVE_SITES = 20_000


#: The window's size on its first start (no saved layout), screen permitting.
FIRST_SIZE = (1400, 900)


class MainWindow(QMainWindow):
    """Top-level window over a :class:`Session` (built here, on the window's undo stack).

    Parameters
    ----------
    catalogue : ChipCatalogue, optional
        The session's chip catalogue (default: the bundled one).
    settings : QSettings, optional
        Layout and recent files (default: the application's).
    parent : QWidget, optional
    map_view : MapView, optional
        The map, if it was made before the window (``explorer`` makes it first, so
        Chromium loads the page while the rest of the window is imported and built);
        by default the window makes its own.
    """

    projectOpened = Signal(str)

    def __init__(
        self,
        *,
        catalogue: ChipCatalogue | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        map_view: MapView | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self.session = Session(catalogue, history=QtHistory(self.undo_stack))
        # Every change a shared catalogue refuses comes here, whichever view made it.
        self.session.refusal_handler = self._on_refused
        self._session_events = SessionSignals(self.session, self)
        self.link = CatalogueLink(self.session, self)

        self.map_view = MapView(self) if map_view is None else map_view
        self.map = MapController(self.map_view, self.session)
        # The views' deferred rebuilds, one per turn of the event loop (see IdleQueue);
        # a long reset of the map's sites goes first, a part per turn.
        self.idle = IdleQueue(self)
        bridge = self.map_view.bridge
        bridge.spread_parts(
            lambda steps: self.idle.request(bridge, "reset parts", steps, Urgency.PAGE)
        )
        self.region_map = RegionMapController(self.map_view, self.session, self)
        # The date every live total counts up to sits above the map it also drives.
        self.as_of_strip = AsOfStrip(self.session)
        central = QWidget(self)
        central.setObjectName("central")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        # Team mode: a read-only role, or a lost connection, said above everything.
        self.team_banner = QLabel(central)
        self.team_banner.setObjectName("team_banner")
        self.team_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.team_banner.setWordWrap(True)
        self.team_banner.hide()
        column.addWidget(self.team_banner)
        column.addWidget(self.as_of_strip)
        column.addWidget(self.map_view, 1)
        self.setCentralWidget(central)

        self.panel = SitePanel(self.session, idle=self.idle)
        self.panel_dock = self._dock(
            "Site", "site_dock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.chart_panel = CapacityPanel(self.session, idle=self.idle)
        self.chart_dock = self._dock(
            "Capacity over time",
            "chart_dock",
            self.chart_panel,
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self.splitDockWidget(self.panel_dock, self.chart_dock, Qt.Orientation.Vertical)
        self.history_panel = HistoryPanel(self.session)
        self.history_dock = self._dock(
            "History", "history_dock", self.history_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.chart_dock, self.history_dock)
        self.chart_dock.raise_()
        self.history_dock.hide()
        self.panel.historyRequested.connect(self.show_history)
        self.table = SiteTable(
            self.store,
            self.selection,
            catalogue=self.catalogue,
            live_totals=self.live_totals,
            idle=self.idle,
        )
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
        #: The window-modal box that says why a change was not saved (non-blocking).
        self.refusal_message_box: QMessageBox | None = None
        #: The conflict dialog waiting for a choice (None: none).
        self.conflict_dialog: ConflictDialog | None = None
        self.compare_dialog: CompareDialog | None = None

        self.load_job: LoadJob | None = None
        self.load_progress = LoadProgress(self)
        self.statusBar().addWidget(self.load_progress)
        self.save_job: SaveJob | None = None
        self.save_progress = SaveProgress(self)
        self.statusBar().addWidget(self.save_progress)
        self._opened_count = 0  # projects opened so far (a save's result is for its own)

        # The reason goes with every change until cleared (kept in the history).
        self.reason_field = QLineEdit()
        self.reason_field.setObjectName("reason_field")
        self.reason_field.setPlaceholderText("Reason for changes (kept in the history)")
        self.reason_field.setToolTip(
            "Goes with every change you make, undo and redo included, until you clear it; "
            "the history keeps it with who made the change and when"
        )
        self.reason_field.setClearButtonEnabled(True)
        self.reason_field.setMinimumWidth(260)
        self.reason_field.textChanged.connect(self._on_reason_changed)
        self.reason_label = QLabel("Reason:")
        self.reason_label.setBuddy(self.reason_field)
        self.statusBar().addPermanentWidget(self.reason_label)
        self.statusBar().addPermanentWidget(self.reason_field)
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connection_status")
        self.connection_label.setTextFormat(Qt.TextFormat.PlainText)
        self.connection_label.hide()
        self.statusBar().addPermanentWidget(self.connection_label)
        # The two texts give up width with "…" (whole in their tooltips) rather than
        # being cut mid-word at the bar's edge on a narrow window.
        self.provenance_label = ElidedLabel()
        self.provenance_label.setObjectName("provenance_label")
        self.statusBar().addPermanentWidget(self.provenance_label)
        # All sites, as of the session's date: the one total that needs no region.
        self.totals_label = ElidedLabel()
        self.totals_label.setObjectName("status_totals")
        # It takes the room the others leave: the provenance warning is cut last (the
        # totals are in the table's footer and this label's tooltip too).
        self.totals_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addPermanentWidget(self.totals_label, 1)

        self._build_actions()
        self._build_menus()

        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # Every undo, redo or new change: a background save compares the count (an
        # index alone can come back to the same number with other changes behind it).
        self._undo_moves = 0
        self.undo_stack.indexChanged.connect(self._count_undo_move)
        self.selection.changed.connect(self._on_selection_changed)
        # How many sites are illustrative, kept by the store's events (counting the
        # whole store after each edit would build every site of a file held as rows).
        self._illustrative = self.session.illustrative_count()
        self.store.inserted.connect(self._on_sites_inserted)
        self.store.removed.connect(self._on_sites_removed)
        self.store.changed.connect(self._on_site_changed)
        self.store.reset_done.connect(self._on_sites_reset)
        self._store_events = StoreSignals(self.store, self)
        for sig in (
            self._store_events.inserted,
            self._store_events.removed,
            self._store_events.changed,
            self._store_events.reset_done,
        ):
            sig.connect(self._schedule_status_totals)
        self._session_events.asOfChanged.connect(self._schedule_status_totals)
        self._session_events.asOfChanged.connect(self.table.refresh_footer)
        self._session_events.modeChanged.connect(self._on_mode_changed)
        self._session_events.colorModeChanged.connect(self._on_color_mode_changed)
        self._session_events.boundaryChanged.connect(self._on_boundary_changed)
        self._session_events.notice.connect(self._on_notice)
        self.undo_stack.canUndoChanged.connect(self.act_undo.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.act_redo.setEnabled)
        self.undo_stack.undoTextChanged.connect(self._on_undo_text_changed)
        self.undo_stack.redoTextChanged.connect(self._on_redo_text_changed)
        self.link.stateChanged.connect(self._update_team_state)
        self.link.message.connect(self._on_link_message)
        self._restore_layout()
        self._update_title()
        self._on_selection_changed(None)
        self._update_team_state()
        self.update_status_totals()

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
        self.act_open_database = self._action(
            "Open &Database…", self.show_open_database, "Ctrl+Shift+O", name="act_open_database"
        )
        self.act_compare = self._action(
            "&Compare With File…", self._on_compare, None, name="act_compare"
        )
        self.act_compare.setToolTip(
            "List the sites added, removed and changed since a file, and each region's change"
        )
        self.act_save = self._action(
            "&Save", lambda *_: self.save(background=True), K.Save, name="act_save"
        )
        self.act_save_as = self._action(
            "Save &As…", lambda *_: self.save_as(background=True), K.SaveAs, name="act_save_as"
        )
        self.act_export = self._action(
            "&Export…", self.show_export_dialog, "Ctrl+E", name="act_export"
        )
        self.act_quit = self._action("&Quit", self.close, K.Quit, name="act_quit")
        # Undo and redo go through the session: in team mode each is written as a new
        # change first, and a refusal is reported like any other (never raised inside
        # the undo stack, where an exception cannot reach anyone).
        self.act_undo = self._action("&Undo", self.undo, "Ctrl+Z", name="act_undo")
        self.act_redo = self._action("&Redo", self.redo, None, name="act_redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_undo.setEnabled(False)
        self.act_redo.setEnabled(False)
        # Ctrl+Z means the undo stack wherever the focus is, a panel field included.
        self.undo_keys = WindowUndoKeys(
            self, [*self.act_undo.shortcuts(), *self.act_redo.shortcuts()]
        )
        self.act_delete = self._action(
            "&Delete Site…", self.delete_selected, K.Delete, name="act_delete"
        )
        self.act_find = self._action("&Find…", self._on_find, K.Find, name="act_find")
        self.act_history = self._action(
            "Site &History", self.show_history, "Ctrl+H", name="act_history"
        )
        self.act_history.setToolTip("Every recorded change of the selected site")
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
        file_menu.addActions([self.act_new, self.act_open, self.act_open_database])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.act_compare, self.act_export])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = mb.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_place, self.act_delete])
        edit.addSeparator()
        edit.addActions([self.act_history, self.act_find])
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
        view.addAction(self.history_dock.toggleViewAction())
        view.addAction(self.table_dock.toggleViewAction())
        view.addAction(self.regions_dock.toggleViewAction())
        view.addAction(self.chart_dock.toggleViewAction())
        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self.act_about_data)

    # ------------------------------------------------------------------ title & state
    def _update_title(self) -> None:
        db = self.session.database
        if db is not None:
            role = f"{db.role}, read-only" if db.read_only else db.role
            self.setWindowTitle(f"{db.shown} ({role})[*] — Compute Site Explorer")
            # Changes are in the database as soon as they are made; only the regions a
            # read-only role draws are this window's own.
            self.setWindowModified(db.read_only and not self.undo_stack.isClean())
            return
        self.setWindowTitle(f"{self.display_name}[*] — Compute Site Explorer")
        self.setWindowModified(not self.undo_stack.isClean())

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _on_selection_changed(self, sid: str | None) -> None:
        self.act_delete.setEnabled(
            sid is not None and sid in self.store and not self.session.read_only
        )

    def _on_sites_inserted(self, sites: list[Site]) -> None:
        self._illustrative += sum(s.is_illustrative for s in sites)
        self._update_provenance()

    def _on_sites_removed(self, sites: list[Site]) -> None:
        self._illustrative -= sum(s.is_illustrative for s in sites)
        self._update_provenance()

    def _on_site_changed(self, old: Site, new: Site) -> None:
        if old.is_illustrative != new.is_illustrative:
            self._illustrative += 1 if new.is_illustrative else -1
            self._update_provenance()

    def _on_sites_reset(self) -> None:
        self._illustrative = self.session.illustrative_count()

    def _update_provenance(self) -> None:
        illustrative = self._illustrative
        scenario = str(self.store.metadata.get("scenario", ""))
        if illustrative or scenario == "illustrative":
            text = (
                f"Illustrative scenario: {illustrative:,} of {len(self.store):,} sites "
                "are not reported facts"
            )
            self.provenance_label.setStyleSheet("color: #9a5b00; font-weight: bold;")
        else:
            text = f"{len(self.store):,} sites"
            self.provenance_label.setStyleSheet("")
        self.provenance_label.setText(text)

    def status_totals(self) -> Totals:
        """Every site's totals as of the session's date (what the status line shows)."""
        live = self.live_totals
        return totals(live.current(), None, catalogue=self.catalogue, factors=live.factors)

    def update_status_totals(self) -> None:
        """Show :meth:`status_totals` in the status bar."""
        self.idle.cancel(self, "status totals")
        t = self.status_totals()
        when = as_of_words(t.as_of)
        text = (
            f"{when[0].upper()}{when[1:]}: {chips_text(t)} chips, {restricted_text(t)} restricted"
        )
        self.totals_label.setText(text)
        self.totals_label.setToolTip(f"All sites\n{totals_tooltip(t)}")

    def _schedule_status_totals(self, *_: object) -> None:
        self.idle.request(self, "status totals", self.update_status_totals, Urgency.SHOWN)

    # ------------------------------------------------------------------ project files
    def load_project_value(self, project: Project, *, path: Path | None, display_name: str) -> None:
        """Replace the open project; raises ``ValueError`` before changing anything."""
        self.session.load(project, path=path, display_name=display_name)
        self._opened()

    def _opened(self) -> None:
        self.undo_stack.setClean()
        self.link.start()  # follows a shared catalogue; stops following the last one
        self._update_title()
        self._update_team_state()
        self._update_provenance()
        self._opened_count += 1
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
        GeoPackage with several point layers asks which one (when ``interactive``). A
        ``postgresql://`` URL opens a shared catalogue (:meth:`open_database`).
        """
        if isinstance(path, str) and is_database_url(path):
            return self.open_database(path, interactive=interactive)
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
        self.session.collect_before_read()  # here, on the UI thread: see its notes
        job = LoadJob(self.session, path, layer=layer, parent=self)
        self.load_job = job
        job.succeeded.connect(lambda opened: self._on_load_succeeded(job, opened))
        job.failed.connect(lambda exc: self._on_load_failed(job, exc, interactive))
        job.cancelled.connect(lambda: self._on_load_ended(job))
        self.load_progress.follow(job)
        job.start()

    def _on_load_ended(self, job: LoadJob) -> None:
        # The job's signals reach the UI thread as one queued call per slot: hide the
        # bar here, before the window announces anything, not in a later call.
        self.load_progress.end(job)
        if self.load_job is job:
            self.load_job = None

    def _on_load_succeeded(self, job: LoadJob, opened: ReadFile) -> None:
        self._on_load_ended(job)
        if job.is_cancelled:
            return  # cancelled after the read finished: still nothing changes
        self.map.expect_reset(job.map_reset)  # sent when the store is reset to the file
        try:
            self.session.load_opened(opened)
        except (DataFileError, ValueError) as exc:
            self._open_failed(job.path, exc, True)
            return
        finally:
            self.map.expect_reset(None)
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

    def open_database(self, url: str, *, interactive: bool = True) -> bool:
        """Open a shared catalogue; on failure say why in one line (kept in
        :attr:`last_error`) and leave the current project untouched."""
        problem = self.try_open_database(url)
        if problem is None:
            return True
        if interactive:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("Could not open database")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(problem)
            box.exec()
        return False

    def try_open_database(self, url: str) -> str | None:
        """Open a shared catalogue; None on success, else the one-line reason (nothing
        changed). The URL joins the recent databases without its password."""
        try:
            self.session.open(url)
        except (DataFileError, ValidationError, ValueError, OSError) as exc:
            message = " ".join(str(exc).split())
            log.warning("could not open %s: %s", display_url(url), message)
            self.last_error = message
            return message
        self._opened()
        self._add_recent_database(url)
        return None

    def show_open_database(self) -> OpenDatabaseDialog | None:
        """File → Open Database…: ask for a URL (after the unsaved-changes question)."""
        if not self._maybe_save():
            return None
        dialog = OpenDatabaseDialog(self.recent_databases(), self.try_open_database, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.open_database_dialog = dialog
        dialog.open()
        return dialog

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

    def save(self, *, background: bool = False) -> bool:
        if self.path is None or self.session.database is not None:
            return self.save_as(background=background)
        return self.save_to(self.path, background=background)

    def save_as(self, *, background: bool = False) -> bool:
        start = str(self.path) if self.path else str(Path.home() / "sites.gpkg")
        name, _ = QFileDialog.getSaveFileName(self, "Save Project As", start, PROJECT_FILTER)
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() != ".gpkg":
            path = path.with_suffix(".gpkg")
        return self.save_to(path, background=background)

    def save_to(
        self, path: Path | str, *, interactive: bool = True, background: bool = False
    ) -> bool:
        """Write the project atomically; on failure the previous file is intact.

        In team mode this writes a copy of the catalogue (with this window's regions)
        and the window stays on the database. With ``background`` (the menu's Save and
        Save As), a project of :data:`BACKGROUND_SAVE_SITES` sites or more is written
        on a worker thread while the window stays usable: True then means the save
        started, and its end is shown when it comes (:class:`SaveJob`)."""
        path = Path(path)
        self.panel.commit()  # an edit still being typed belongs in the saved file
        if self.save_job is not None:
            self.statusBar().showMessage(
                f"Still saving {self.save_job.target.name}: try again when it is done", 5000
            )
            return False
        if (
            background
            and self.session.database is None
            and len(self.session.sites) >= BACKGROUND_SAVE_SITES
        ):
            return self._save_in_background(path, interactive=interactive)
        try:
            if self.session.database is not None:
                from explorer.io.project import save_project

                save_project(path, self.session.project())
                self.undo_stack.setClean()
                self._update_title()
                self.statusBar().showMessage(f"Saved a copy of the catalogue to {path}", 10000)
                return True
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

    def _save_in_background(self, path: Path, *, interactive: bool) -> bool:
        job = SaveJob(
            self.session.project_later(), path, keep_tables_from=self.session.path, parent=self
        )
        moves, opened = self._undo_moves, self._opened_count
        job.succeeded.connect(lambda *_: self._on_save_succeeded(job, moves, opened))
        job.failed.connect(lambda exc: self._on_save_failed(job, exc, interactive))
        self.save_job = job
        self.act_save.setEnabled(False)
        self.act_save_as.setEnabled(False)
        self.save_progress.follow(job)
        job.start()
        return True

    def _count_undo_move(self, *_: object) -> None:
        self._undo_moves += 1

    def _end_save(self, job: SaveJob) -> None:
        if self.save_job is job:
            self.save_job = None
        self.save_progress.end()
        self.act_save.setEnabled(True)
        self.act_save_as.setEnabled(True)

    def _on_save_succeeded(self, job: SaveJob, moves: int, opened: int) -> None:
        self._end_save(job)
        self.statusBar().showMessage(f"Saved {job.target.name}", 10000)
        if opened != self._opened_count:
            return  # another project was opened meanwhile: the file is written, that is all
        self.session.saved_to(job.target)
        if self._undo_moves == moves:
            self.undo_stack.setClean()  # else: what changed since is not in the file
        self._update_title()
        self._add_recent(job.target)

    def _on_save_failed(self, job: SaveJob, exc: BaseException, interactive: bool) -> None:
        self._end_save(job)
        log.warning("could not save %s: %s", job.target, exc)
        self.last_error = str(exc)
        if interactive:
            QMessageBox.critical(
                self, "Could not save", f"Could not save {job.target.name}:\n\n{exc}"
            )

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
        db = self.session.database
        if self.undo_stack.isClean() or (db is not None and not db.read_only):
            return True  # a shared catalogue has every change already
        answer = self._ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.save_job is not None:
            # A save under way ends first, and its result is taken in (the project may
            # then be saved: no question to ask).
            self.save_job.wait()
            QCoreApplication.sendPostedEvents(self.save_job)
        if not self._maybe_save():
            event.ignore()
            return
        if self.load_job is not None:
            self.load_job.cancel()
        exports = sys.modules.get("explorer.ui.export_dialog")
        if exports is not None:  # an export file being written is finished, not cut short
            for dialog in self.findChildren(exports.ExportDialog):
                dialog.wait_for_file()
        self.link.stop()
        if self.session.database is not None:
            self.session.database.close()  # the server frees this client's connection
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

    def recent_databases(self) -> list[str]:
        """Recently opened shared catalogues, newest first, without passwords."""
        value = self.settings.value("recent_databases", [])
        if isinstance(value, str):
            value = [value]
        if not value:
            return []
        if not isinstance(value, Iterable):
            raise TypeError(f"recent_databases setting is not a list: {value!r}")
        return [display_url(str(v)) for v in value]

    def _add_recent_database(self, url: str) -> None:
        entry = display_url(url)  # never keep a password in the settings
        urls = [u for u in self.recent_databases() if u != entry]
        self.settings.setValue("recent_databases", [entry, *urls][:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _c=False, p=f: self._maybe_save() and self.open_path(p))
        databases = self.recent_databases()
        if databases:
            self.recent_menu.addSeparator()
        for url in databases:
            act = self.recent_menu.addAction(url.replace("&", "&&"))
            act.setToolTip(f"{url} (a shared catalogue; libpq finds its password)")
            act.triggered.connect(
                lambda _c=False, u=url: self._maybe_save() and self.open_database(u)
            )

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            # 1400 x 900, or what of it the screen has room for (a 1366 x 768 laptop
            # leaves about 1366 x 730): the window's first layout is never larger than
            # its screen.
            screen = self.screen()
            room = screen.availableGeometry().size() if screen is not None else None
            width, height = FIRST_SIZE
            if room is not None and room.width() > 0 and room.height() > 0:
                width, height = min(width, room.width()), min(height, room.height())
            self.resize(width, height)
            self.resizeDocks([self.panel_dock], [440], Qt.Orientation.Horizontal)
            self.resizeDocks([self.table_dock], [240], Qt.Orientation.Vertical)
            # A shorter window shares its side column evenly (on a 1366 x 768 laptop
            # the 520:330 split left the chart too short to draw its bars).
            split = [520, 330] if height >= FIRST_SIZE[1] else [1, 1]
            self.resizeDocks([self.panel_dock, self.chart_dock], split, Qt.Orientation.Vertical)
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

    # ------------------------------------------------------------------ undo and redo
    def undo(self) -> bool:
        """Edit → Undo: through the session (in team mode a new change in the database)."""
        return self.session.undo()

    def redo(self) -> bool:
        """Edit → Redo: through the session."""
        return self.session.redo()

    def _on_undo_text_changed(self, text: str) -> None:
        self.act_undo.setText(f"&Undo {text}" if text else "&Undo")

    def _on_redo_text_changed(self, text: str) -> None:
        self.act_redo.setText(f"&Redo {text}" if text else "&Redo")

    # ------------------------------------------------------------------ team mode
    def _on_reason_changed(self, text: str) -> None:
        self.session.reason = " ".join(text.split())

    def _update_team_state(self, *_: object) -> None:
        """Mirror the shared catalogue's state: status, banner, what may be edited."""
        db = self.session.database
        read_only = self.session.read_only
        self.panel.set_read_only(read_only)
        self.act_place.setEnabled(not read_only)
        if read_only and self.session.mode == "place":
            self.session.set_mode("browse")
        self._on_selection_changed(self.selection.current)
        # A read-only role changes nothing that is recorded: no reason to give.
        self.reason_label.setVisible(not read_only)
        self.reason_field.setVisible(not read_only)
        self.act_save.setEnabled(db is None)
        self.act_save_as.setText("Save a &Copy As…" if db is not None else "Save &As…")
        if db is None:
            self.connection_label.hide()
            self.team_banner.hide()
            return
        state = self.link.state
        lines = []
        if state in ("lost", "reconnecting"):
            retry = self.link.next_retry_ms
            status = (
                "Reconnecting…"
                if state == "reconnecting"
                else f"Connection lost · retrying in {retry / 1000:g} s"
            )
            colour = "#c62828"
            reason = self.link.reason
            reason = reason if len(reason) <= 120 else reason[:119] + "…"
            lines.append(
                f"Connection to {db.shown} lost ({reason}). Edits are refused until it is "
                "back; the window reconnects by itself."
            )
        else:
            status = f"Connected as {db.role}" + (" · read-only" if read_only else "")
            colour = "#1b5e20"
        if read_only:
            lines.append(
                f"Read-only: role '{db.role}' can read this catalogue, draw regions and "
                "export, but not edit sites. Regions you draw stay in this window."
            )
        self.connection_label.setText(status)
        self.connection_label.setStyleSheet(f"color: {colour};")
        self.connection_label.show()
        self.team_banner.setText("\n".join(lines))
        lost = state in ("lost", "reconnecting")
        self.team_banner.setStyleSheet(
            "QLabel#team_banner { padding: 4px 8px; font-weight: bold; "
            + (
                "background: #fdecea; color: #8e1c1c; border-bottom: 1px solid #e6a5a5; }"
                if lost
                else "background: #fff3cd; color: #5c4400; border-bottom: 1px solid #e0c068; }"
            )
        )
        self.team_banner.setVisible(bool(lines))

    def _on_link_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)
        self._update_team_state()

    def _on_refused(self, refusal: Refusal) -> None:
        """The session's refusal handler: a change the shared catalogue refused."""
        if refusal.can_keep_mine:
            self._show_conflict(refusal)
            return
        # The form may hold the refused value: show what is stored.
        self.panel.show_stored()
        if refusal.connection_lost:
            self.link.connection_lost(str(refusal.error))
            text = (
                f"Not saved: {refusal.description}. The connection to the catalogue is lost, so "
                "this change was dropped; the window reconnects by itself. Changes it "
                "reported before were saved."
            )
        elif refusal.read_only:
            db = self.session.database
            role = db.role if db is not None else "?"
            text = f"Not saved: {refusal.description}. Role '{role}' may only read this catalogue."
        else:
            text = f"Not saved: {refusal.description}. {refusal.error}"
        self._tell_refused(text)

    def _tell_refused(self, text: str) -> None:
        log.warning("%s", text)
        self.last_error = text
        self.statusBar().showMessage(text, 15000)
        if self.refusal_message_box is None:
            self.refusal_message_box = self._warning_box("refusal_message", "Change not saved")
        self.refusal_message_box.setText(text)
        self.refusal_message_box.open()

    def _warning_box(self, name: str, title: str) -> QMessageBox:
        """A non-modal warning box kept for reuse (plain text: messages quote data)."""
        box = QMessageBox(self)
        box.setObjectName(name)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        return box

    def _show_conflict(self, refusal: Refusal) -> None:
        dialog = ConflictDialog(refusal, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self._on_conflict_chosen)
        self.conflict_dialog = dialog
        dialog.open()

    def _on_conflict_chosen(self, choice: str) -> None:
        self.conflict_dialog = None
        try:
            if choice == "mine":
                self.session.keep_mine()
            else:
                self.session.take_theirs()
        except DatabaseError as exc:  # the server went away meanwhile
            self.link.connection_lost(str(exc))
            self._tell_refused(f"Not resolved: {exc}")
        self.panel.show_stored()
        self.link.flush()  # other clients' changes held back meanwhile

    # ------------------------------------------------------------------ history
    def show_history(self) -> None:
        """Show (and raise) the History view of the selected site."""
        self.history_dock.show()
        self.history_dock.raise_()
        self.history_panel.refresh()

    # ------------------------------------------------------------------ comparing
    def _on_compare(self) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Compare With File", start, COMPARE_FILTER)
        if name:
            self.compare_with_file(name)

    def compare_with_file(self, path: Path | str) -> CompareDialog | None:
        """Show what differs between the open catalogue and a file (the file is the
        baseline): sites added, removed and changed field by field, and each region's
        totals as of the window's date. None (with a message) if the file is unreadable.
        """
        from explorer.io.opening import open_file

        path = Path(path)
        self.panel.commit()
        try:
            opened = open_file(path, catalogue=self.catalogue)
        except (DataFileError, ValidationError, ValueError, OSError) as exc:
            message = str(exc) if not isinstance(exc, OSError) else f"{path}: {exc.strerror}"
            self.last_error = message
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Could not compare")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(f"Could not read {path.name}:\n\n{message}")
            box.open()
            return None
        diff = diff_projects(
            opened.project,
            self.session.project(),
            [entry.region for entry in self.region_store],
            self.catalogue,
            as_of=self.session.as_of,
            factors=self.live_totals.factors,
        )
        dialog = CompareDialog(diff, path.name, self.display_name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.compare_dialog = dialog
        dialog.show()
        return dialog

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
        if self.boundary_message_box is None:
            self.boundary_message_box = self._warning_box(
                "boundary_message", "Could not load boundary layer"
            )
        self.boundary_message_box.setText(message)
        self.boundary_message_box.open()

    def show_area_totals(self) -> None:
        """Open (or raise) the non-modal "Totals by area" window."""
        if self._area_dialog is None:
            self._area_dialog = AreaTotalsDialog(self.session, parent=self)
        self._area_dialog.show()
        self._area_dialog.raise_()

    # ------------------------------------------------------------------ export
    def make_export_dialog(self) -> ExportDialog:
        """The export dialog bound to what the window holds when an export starts."""
        # Imported on first export: its snapshot, report and HTML writers are not
        # needed to start the window.
        from explorer.ui.export_dialog import ExportDialog

        self.panel.commit()
        dialog = ExportDialog(
            sites_provider=self.store.sites,
            regions_provider=self.region_store.entries,
            metadata=self.store.metadata,
            live_map=self.map_view,
            filtered_ids_provider=self.table.proxy.visible_ids,
            parent=self,
            selected_region_ids_provider=self.region_panel.selected_ids,
            catalogue=self.catalogue,
            as_of_provider=lambda: self.session.as_of,
            sites_later_provider=self.store.items_later,
            site_count_provider=lambda: len(self.store),
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
            MAP_DATA_CREDIT,
            "Province boundaries are approximate (Natural Earth 10m).",
        ]
        box = QMessageBox(self)
        box.setWindowTitle("About the data")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText("\n".join(lines))
        box.exec()
