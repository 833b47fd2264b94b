"""The export dialog: map snapshot (PNG), PDF report, interactive HTML, data files.

The dialog is built from plain data and callables, so it needs no main window (and
tests drive it directly)::

    dialog = ExportDialog(
        sites_provider=store.sites,                      # () -> sequence of Site
        regions_provider=region_store.entries,           # () -> sequence of RegionEntry
        metadata=metadata,                               # the data set's metadata
        live_map=map_view,                               # MapView (or None)
        filtered_ids_provider=table.proxy.visible_ids,
        selected_region_ids_provider=region_panel.selected_ids,
        as_of_provider=lambda: session.as_of,            # the date the map counts to
        parent=window,
    )
    dialog.finished_export.connect(lambda path: statusbar.showMessage(f"Exported {path}"))
    dialog.open()

``live_map`` is anything with ``width()``, ``height()`` and ``evaluate(expression,
callback)`` (:class:`~explorer.web.view.MapView` has them): the dialog reads the current
view's extent and colour mode from the page with it, and the "screen" size from its
size. Without it, "current view" is not offered. Providers are called when an export
starts, so the dialog always exports what the application holds at that moment; the
dialog never changes any store. A snapshot and a report count capacity as of the date
``as_of_provider`` gives (the session's: what the window's totals count), and say so.

Every file is written atomically (never half-written; an existing file is replaced
only when the new one is complete). Long work (rendering a map) shows progress in the
dialog and can be cancelled; errors are shown in the dialog in one line and emitted as
``failed(message)``; success emits ``finished_export(path)``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QImage, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import ValidationError
from explorer.core.schema import Site, now_iso
from explorer.geo.region_store import RegionEntry
from explorer.ui.work_job import WorkJob
from explorer.web.snapshot import (
    MAX_SIDE_PX,
    MIN_SIDE_PX,
    PRESETS,
    PreparedSites,
    SnapshotJob,
    SnapshotResult,
    SnapshotSpec,
    check_drawable,
    check_extent,
    png_bytes,
    prepare_sites,
    render_snapshot,
    report_map_spec,
    save_png,
)

log = logging.getLogger(__name__)

#: What can be exported: key -> (menu label, file suffix, file-dialog filter).
KINDS: dict[str, tuple[str, str, str]] = {
    "snapshot": ("Map snapshot (PNG)", ".png", "PNG image (*.png)"),
    "report": ("PDF report", ".pdf", "PDF document (*.pdf)"),
    "html": ("Interactive map (HTML)", ".html", "HTML page (*.html)"),
    "sites": ("Sites (data)", ".geojson", ""),
    "regions": ("Regions (GeoJSON)", ".geojson", "GeoJSON (*.geojson)"),
}
#: Site data formats: suffix -> label.
SITE_FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".parquet": "GeoParquet",
    ".csv": "CSV (no metadata)",
}
#: QSettings key of the folder last exported to.
LAST_DIR_KEY = "export/last_dir"

#: The page's view and colour mode, for "current view" (bounds clamped by the caller).
_VIEW_STATE_JS = (
    "(function () { var b = CSE.map.getBounds(); return {west: b.getWest(), "
    "south: b.getSouth(), east: b.getEast(), north: b.getNorth(), "
    "color_mode: CSE.pageState().color_mode}; })()"
)
_MERCATOR_LAT = 85.0511


class LiveMap(Protocol):
    """What the dialog needs from the application's map (``MapView`` has it)."""

    def width(self) -> int: ...

    def height(self) -> int: ...

    def evaluate(self, expression: str, callback: Callable[[Any], None]) -> None: ...


class ExportError(Exception):
    """An export cannot start: the message says what to change."""


def _clamped_extent(state: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """The page's bounds as a valid extent (a zoomed-out view can pass the poles/date line)."""
    w = max(-180.0, float(state["west"]))
    e = min(180.0, float(state["east"]))
    s = max(-_MERCATOR_LAT, float(state["south"]))
    n = min(_MERCATOR_LAT, float(state["north"]))
    return check_extent((w, s, e, n))


class ExportDialog(QDialog):
    """Choose what to export and where; run it with progress; report the outcome.

    Parameters
    ----------
    sites_provider : callable() -> sequence of Site
        The sites to export (all of them; filters are chosen in the dialog).
    regions_provider : callable() -> sequence of RegionEntry
    metadata : mapping
        The data set's metadata (``title``, ``as_of``...), written with data exports
        and printed on maps and reports.
    live_map : LiveMap, optional
        The application's map: offers "current view" and the screen size.
    filtered_ids_provider : callable() -> collection of str or None, optional
        Ids of the sites the site table shows under its filter; ``None`` (or no
        provider) when nothing is filtered, and the option is then not offered.
    parent : QWidget, optional
    selected_region_ids_provider : callable() -> sequence of str, optional
        Region ids selected in the regions panel (offers "selected regions").
    catalogue : ChipCatalogue, optional
    basemap_dir : Path, optional
    as_of_provider : callable() -> date or None, optional
        The date snapshots and reports count capacity up to (the session's
        ``as_of``); None, or no provider: the planned build-out.
    sites_later_provider : callable() -> callable() -> sequence of Site, optional
        The sites as they are now, to be built when the returned function is called
        on the writing thread (:meth:`KeyedStore.items_later
        <explorer.core.keyed_store.KeyedStore.items_later>`); without it the sites
        are built on the UI thread when the export starts.
    site_count_provider : callable() -> int, optional
        How many sites there are, without building them (default: the length of
        what ``sites_provider`` gives).

    Signals
    -------
    finished_export(str)
        The file was written (its path).
    failed(str)
        Nothing was written; the message is also shown in the dialog.
    progress(int, str)
        Percent done and what is happening.
    """

    finished_export = Signal(str)
    failed = Signal(str)
    progress = Signal(int, str)

    def __init__(
        self,
        sites_provider: Callable[[], Sequence[Site]],
        regions_provider: Callable[[], Sequence[RegionEntry]],
        metadata: Mapping[str, Any],
        live_map: LiveMap | None = None,
        filtered_ids_provider: Callable[[], Collection[str] | None] | None = None,
        parent: QWidget | None = None,
        *,
        selected_region_ids_provider: Callable[[], Sequence[str]] | None = None,
        catalogue: ChipCatalogue | None = None,
        basemap_dir: Path | None = None,
        as_of_provider: Callable[[], date | None] | None = None,
        sites_later_provider: Callable[[], Callable[[], Sequence[Site]]] | None = None,
        site_count_provider: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._as_of_provider = as_of_provider
        self._sites_provider = sites_provider
        self._sites_later_provider = sites_later_provider
        self._site_count_provider = site_count_provider
        self._file_job: WorkJob | None = None
        self._preparing: WorkJob | None = None
        #: The sites the last map was rendered from (a report's tables count them).
        self._map_sites: list[Site] = []
        self._regions_provider = regions_provider
        self._metadata = dict(metadata)
        self._live_map = live_map
        self._filtered_ids_provider = filtered_ids_provider
        self._selected_regions_provider = selected_region_ids_provider
        self._catalogue = catalogue
        self._basemap_dir = basemap_dir
        self._job: SnapshotJob | None = None
        #: The last map rendered (snapshot or report map), for callers and tests.
        self.last_snapshot: SnapshotResult | None = None
        self._busy = False
        self._title_edited = False
        self._suggested_path = ""

        self._build()
        self._refresh_choices()
        self._on_kind_changed()
        if live_map is not None:
            # Start from the colours the user is looking at.
            live_map.evaluate(_VIEW_STATE_JS, self._on_initial_view_state)

    # ================================================================== building
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.kind_combo = QComboBox()
        for key, (label, _, _) in KINDS.items():
            self.kind_combo.addItem(label, key)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        form.addRow("&Export:", self.kind_combo)
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(300)
        self.title_edit.textEdited.connect(self._on_title_edited)
        form.addRow("&Title:", self.title_edit)
        # What a snapshot or report counts: the window's date, stated before exporting.
        self.as_of_label = QLabel("")
        self.as_of_label.setWordWrap(True)
        self.as_of_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Counted:", self.as_of_label)
        layout.addLayout(form)

        self.pages = QStackedWidget()
        self._page_index: dict[str, int] = {}
        for key, page in (
            ("snapshot", self._build_snapshot_page()),
            ("report", self._build_report_page()),
            ("html", self._build_html_page()),
            ("sites", self._build_sites_page()),
            ("regions", self._build_regions_page()),
        ):
            self._page_index[key] = self.pages.addWidget(page)
        layout.addWidget(self.pages)

        out = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Output file")
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.clicked.connect(self._on_browse)
        out.addWidget(self.path_edit, 1)
        out.addWidget(self.browse_button)
        out_label = QLabel("Save &to:")
        out_label.setBuddy(self.path_edit)
        layout.addWidget(out_label)
        layout.addLayout(out)

        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setVisible(False)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setVisible(False)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "E&xport", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self._on_close_clicked)
        layout.addWidget(self.buttons)
        self.resize(520, 0)

    def _build_snapshot_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.preset_combo = QComboBox()
        for key, preset in PRESETS.items():
            self.preset_combo.addItem(preset.label, key)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        form.addRow("&Size:", self.preset_combo)
        size = QHBoxLayout()
        self.width_spin = QSpinBox()
        self.height_spin = QSpinBox()
        for spin, value in ((self.width_spin, 1600), (self.height_spin, 1000)):
            spin.setRange(MIN_SIDE_PX, MAX_SIDE_PX)
            spin.setSuffix(" px")
            spin.setValue(value)
        size.addWidget(self.width_spin)
        size.addWidget(QLabel("×"))
        size.addWidget(self.height_spin)
        size.addStretch(1)
        form.addRow("Custom size:", size)
        extent_box = QGroupBox("Area shown")
        extent_layout = QVBoxLayout(extent_box)
        self.extent_view = QRadioButton("&Current map view")
        self.extent_regions = QRadioButton("Fit the &regions")
        self.extent_sites = QRadioButton("Fit all &sites")
        self.extent_group = self._radio_group(
            extent_layout, self.extent_view, self.extent_regions, self.extent_sites
        )
        form.addRow(extent_box)
        self.snapshot_color_combo = self._color_combo()
        form.addRow("&Colour markers by:", self.snapshot_color_combo)
        return page

    def _build_report_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        group = QGroupBox("Regions in the report")
        inner = QVBoxLayout(group)
        self.report_all = QRadioButton("All regions")
        self.report_selected = QRadioButton("Selected regions")
        self.report_group = self._radio_group(inner, self.report_all, self.report_selected)
        self.report_note = QLabel("")
        self.report_note.setWordWrap(True)
        inner.addWidget(self.report_note)
        box.addWidget(group)
        box.addWidget(
            QLabel("The report opens with a map of its regions (drawn at print resolution).")
        )
        box.addStretch(1)
        return page

    def _build_html_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.html_color_combo = self._color_combo()
        form.addRow("Colour markers &by:", self.html_color_combo)
        note = QLabel(
            "One self-contained file with every site and region: it opens in any browser, "
            "offline, and loads nothing from the network."
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    def _build_sites_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        group = QGroupBox("Sites")
        inner = QVBoxLayout(group)
        self.sites_all = QRadioButton("All sites")
        self.sites_filtered = QRadioButton("Sites shown by the table's filter")
        self.sites_in_region = QRadioButton("Sites inside a region:")
        self.sites_group = self._radio_group(
            inner, self.sites_all, self.sites_filtered, self.sites_in_region
        )
        self.region_combo = QComboBox()
        # Picking a region means exporting the sites inside it.
        self.region_combo.activated.connect(lambda _i: self.sites_in_region.setChecked(True))
        inner.addWidget(self.region_combo)
        form.addRow(group)
        self.format_combo = QComboBox()
        for suffix, label in SITE_FORMATS.items():
            self.format_combo.addItem(label, suffix)
        self.format_combo.currentIndexChanged.connect(self._sync_suffix)
        form.addRow("&Format:", self.format_combo)
        self.keep_formulas = QCheckBox("Keep spreadsheet formulas (= + - @) as written")
        self.keep_formulas.setObjectName("keep_formulas")
        self.keep_formulas.setToolTip(
            "CSV only. Unchecked, a text cell starting with = + - @ gets a leading ' so a "
            "spreadsheet shows it as text instead of running it"
        )
        form.addRow(self.keep_formulas)
        return page

    def _build_regions_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        group = QGroupBox("Regions")
        inner = QVBoxLayout(group)
        self.regions_all = QRadioButton("All regions")
        self.regions_selected = QRadioButton("Selected regions")
        self.regions_group = self._radio_group(inner, self.regions_all, self.regions_selected)
        box.addWidget(group)
        box.addWidget(QLabel("As GeoJSON that 'explorer totals --regions' reads back."))
        box.addStretch(1)
        return page

    def _radio_group(self, layout: QVBoxLayout, *buttons: QRadioButton) -> QButtonGroup:
        """Put ``buttons`` in ``layout``, one exclusive group (owned by the dialog)."""
        group = QButtonGroup(self)
        for button in buttons:
            group.addButton(button)
            layout.addWidget(button)
        return group

    @staticmethod
    def _color_combo() -> QComboBox:
        combo = QComboBox()
        combo.addItem("Export-control status", "export")
        combo.addItem("Main chip model", "model")
        return combo

    # ================================================================== state
    @property
    def kind(self) -> str:
        """The chosen export: one of :data:`KINDS`."""
        return str(self.kind_combo.currentData())

    def set_kind(self, kind: str) -> None:
        """Choose what to export (``"snapshot"``, ``"report"``, ``"html"``, ``"sites"``,
        ``"regions"``)."""
        index = self.kind_combo.findData(kind)
        if index < 0:
            raise ValueError(f"export kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.kind_combo.setCurrentIndex(index)

    @property
    def is_busy(self) -> bool:
        """True while an export runs."""
        return self._busy

    def as_of(self) -> date | None:
        """The date a snapshot or report counts up to (None: the planned build-out)."""
        return self._as_of_provider() if self._as_of_provider is not None else None

    def _as_of_text(self) -> str:
        day = self.as_of()
        if day is None:
            return "the planned build-out (every hardware line not cancelled), today's export rules"
        return f"capacity as of {day.isoformat()} (lines online by then), export rules of that date"

    def _selected_region_ids(self) -> list[str]:
        if self._selected_regions_provider is None:
            return []
        return list(self._selected_regions_provider())

    def _filtered_ids(self) -> Collection[str] | None:
        if self._filtered_ids_provider is None:
            return None
        return self._filtered_ids_provider()

    def _refresh_choices(self) -> None:
        """Offer only what applies to the data as it is now."""
        entries = list(self._regions_provider())
        selected = self._selected_region_ids()
        n_regions, n_selected = len(entries), len(selected)
        self.extent_view.setEnabled(self._live_map is not None)
        self.extent_regions.setEnabled(n_regions > 0)
        self.extent_regions.setText(f"Fit the &regions ({n_regions})")
        default = (
            self.extent_view
            if self._live_map is not None
            else self.extent_regions
            if n_regions
            else self.extent_sites
        )
        default.setChecked(True)
        if self._live_map is None:
            model = self.preset_combo.model()
            assert isinstance(model, QStandardItemModel)  # a QComboBox's own model
            item = model.item(self.preset_combo.findData("screen"))
            item.setEnabled(False)
            self.preset_combo.setCurrentIndex(self.preset_combo.findData("a4-150"))

        for all_button, sel_button in (
            (self.report_all, self.report_selected),
            (self.regions_all, self.regions_selected),
        ):
            all_button.setText(f"All regions ({n_regions})")
            sel_button.setText(f"Selected regions ({n_selected})")
            sel_button.setEnabled(n_selected > 0)
            all_button.setChecked(True)
        self.regions_all.setEnabled(n_regions > 0)
        self.report_note.setText(
            "" if n_regions else "There are no regions: the report covers all sites."
        )
        self.report_all.setEnabled(n_regions > 0)

        filtered = self._filtered_ids()
        self.sites_all.setText(f"All sites ({self._site_count():,})")
        self.sites_filtered.setEnabled(filtered is not None)
        if filtered is not None:
            self.sites_filtered.setText(f"Sites shown by the table's filter ({len(filtered):,})")
        self.region_combo.blockSignals(True)
        self.region_combo.clear()
        for e in entries:
            self.region_combo.addItem(e.name, e.id)
        self.region_combo.blockSignals(False)
        self.sites_in_region.setEnabled(n_regions > 0)
        self.region_combo.setEnabled(n_regions > 0)
        self.sites_all.setChecked(True)

    def _default_title(self, kind: str) -> str:
        data_title = str(self._metadata.get("title") or "").strip()
        if kind == "report":
            return f"Region report: {data_title}" if data_title else "Region report"
        return data_title

    def _on_title_edited(self, _text: str) -> None:
        self._title_edited = True

    def _on_kind_changed(self, *_args: Any) -> None:
        kind = self.kind
        self.pages.setCurrentIndex(self._page_index[kind])
        titled = kind in ("snapshot", "report", "html")
        self.title_edit.setEnabled(titled)
        dated = kind in ("snapshot", "report")
        self.as_of_label.setText(self._as_of_text() if dated else "")
        self.as_of_label.setEnabled(dated)
        if not self._title_edited:
            self.title_edit.setText(self._default_title(kind) if titled else "")
            self.title_edit.setCursorPosition(0)  # show the start of a long title
        self._on_preset_changed()
        self._sync_suffix()
        self._clear_messages()

    def _on_preset_changed(self, *_args: Any) -> None:
        custom = self.preset_combo.currentData() == "custom"
        self.width_spin.setEnabled(custom)
        self.height_spin.setEnabled(custom)

    def _on_initial_view_state(self, state: Any) -> None:
        mode = state.get("color_mode") if isinstance(state, dict) else None
        for combo in (self.snapshot_color_combo, self.html_color_combo):
            index = combo.findData(mode)
            if index >= 0:
                combo.setCurrentIndex(index)

    # ------------------------------------------------------------------ output path
    def _suffix(self) -> str:
        if self.kind == "sites":
            return str(self.format_combo.currentData())
        return KINDS[self.kind][1]

    def _sync_suffix(self, *_args: Any) -> None:
        """Keep the output file's extension in step with what is exported."""
        suffix = self._suffix()
        text = self.path_edit.text().strip()
        if not text or text == self._suggested_path:
            # Nothing typed yet (or only our suggestion): suggest a name for this kind.
            folder = Path(str(QSettings().value(LAST_DIR_KEY, str(Path.home()))))
            if text:
                folder = Path(text).parent
            stem = {"snapshot": "map", "report": "report", "html": "map"}.get(self.kind, self.kind)
            self._suggested_path = str(folder / f"{stem}{suffix}")
            self.path_edit.setText(self._suggested_path)
            return
        path = Path(text)
        if path.suffix.lower() != suffix:
            self.path_edit.setText(str(path.with_suffix(suffix)))

    def set_output_path(self, path: str | os.PathLike[str]) -> None:
        """Set where to write (as if typed)."""
        self.path_edit.setText(os.fspath(path))

    def _on_browse(self) -> None:
        suffix = self._suffix()
        name_filter = KINDS[self.kind][2] or f"{SITE_FORMATS[suffix]} (*{suffix})"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), name_filter)
        if path:
            if Path(path).suffix.lower() != suffix:
                path = str(Path(path).with_suffix(suffix))
            self.path_edit.setText(path)

    # ================================================================== running
    def export(self) -> None:
        """Start the chosen export (what the Export button does)."""
        if self._busy:
            return
        self._clear_messages()
        try:
            path = self._checked_path()
            kind = self.kind
            if kind == "snapshot":
                self._start_snapshot(path)
            elif kind == "report":
                self._start_report(path)
            elif kind == "html":
                self._run_file_job(path, self._html_writer(path))
            elif kind == "sites":
                self._run_file_job(path, self._sites_writer(path))
            else:
                self._run_file_job(path, self._regions_writer(path))
        except (ExportError, ValueError, TypeError, OSError) as exc:
            self._fail(_message(exc))

    def _checked_path(self) -> Path:
        text = self.path_edit.text().strip()
        if not text:
            raise ExportError("choose a file to export to")
        path = Path(text).expanduser()
        suffix = self._suffix()
        if path.suffix.lower() != suffix:
            raise ExportError(f"{path.name}: a {KINDS[self.kind][0]} is saved as a {suffix} file")
        if not path.parent.is_dir():
            raise ExportError(f"{path}: the folder '{path.parent}' does not exist")
        if path.is_dir():
            raise ExportError(f"{path} is a folder")
        return path

    def _title(self) -> str:
        return self.title_edit.text().strip()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.export_button.setEnabled(not busy)
        for w in (self.kind_combo, self.pages, self.path_edit, self.browse_button):
            w.setEnabled(not busy)
        self.title_edit.setEnabled(not busy and self.kind in ("snapshot", "report", "html"))
        self.close_button.setText("Cancel" if busy else "Close")
        self.progress_bar.setVisible(busy)

    def _on_progress(self, percent: int, message: str) -> None:
        self.progress_bar.setValue(percent)
        self.status_label.setText(message)
        self.progress.emit(percent, message)

    def _clear_messages(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)
        self.status_label.clear()

    def _succeed(self, path: Path) -> None:
        self._job = None
        self._set_busy(False)
        self.status_label.setText(f"Exported to {path}")
        QSettings().setValue(LAST_DIR_KEY, str(path.parent))
        self.finished_export.emit(str(path))

    def _fail(self, message: str) -> None:
        self._job = None
        self._set_busy(False)
        self.status_label.clear()
        self.error_label.setText(f"Nothing was exported: {message}")
        self.error_label.setVisible(True)
        log.warning("export failed: %s", message)
        self.failed.emit(message)

    def _on_close_clicked(self) -> None:
        if self._busy and self._preparing is not None:
            self._cancel_preparing()
            return
        if self._busy and self._job is not None:
            self._job.cancel()
            return
        self.reject()

    def _cancel_preparing(self) -> WorkJob | None:
        """Drop the map's preparation under way (it ends on its thread, unused)."""
        job, self._preparing = self._preparing, None
        if job is not None:
            job.cancel()
            self._fail("cancelled")
        return job

    def reject(self) -> None:
        """Close (cancelling a running map export first). A file being written is
        finished first: the dialog stays open until it is (the writers are atomic, and
        one cut short would leave the user not knowing which file they have)."""
        if self._file_job is not None:
            return
        preparing = self._cancel_preparing()
        if preparing is not None:
            preparing.wait()  # its thread ends before the dialog may go
        if self._busy and self._job is not None:
            self._job.cancel()
        super().reject()

    # ------------------------------------------------------------------ file kinds
    def _run_file_job(self, path: Path, write: Callable[[], None]) -> None:
        """Write on a worker thread (``write`` holds everything it needs, taken here on
        the UI thread); the window stays usable, the dialog busy until it ends."""
        self._set_busy(True)
        self.close_button.setEnabled(False)  # finished, not cut short: see reject()
        self.progress_bar.setRange(0, 0)  # no measure of a writer's progress: a busy bar
        self._on_progress(0, "Writing…")
        job = WorkJob(write, parent=self)
        self._file_job = job
        job.succeeded.connect(lambda: self._file_job_ended(job, path, None))
        job.failed.connect(lambda exc: self._file_job_ended(job, path, exc))
        job.start()

    def _file_job_ended(self, job: WorkJob, path: Path, exc: BaseException | None) -> None:
        job.wait()
        if self._file_job is job:
            self._file_job = None
        self.close_button.setEnabled(True)
        self.progress_bar.setRange(0, 100)
        if exc is not None:
            self._fail(_message(exc))
            return
        self._on_progress(100, "Done")
        self._succeed(path)

    def wait_for_file(self, timeout: float | None = None) -> bool:
        """Block until a file being written is done (for shutdown and tests)."""
        return self._file_job is None or self._file_job.wait(timeout)

    def _site_count(self) -> int:
        if self._site_count_provider is not None:
            return self._site_count_provider()
        return len(self._sites_provider())

    def _sites_later(self) -> Callable[[], Sequence[Site]]:
        if self._sites_later_provider is not None:
            return self._sites_later_provider()
        sites = list(self._sites_provider())
        return lambda: sites

    def _html_writer(self, path: Path) -> Callable[[], None]:
        from explorer.web.html_export import export_html

        sites = self._sites_later()
        regions = list(self._regions_provider())
        metadata = dict(self._metadata)
        title = self._title()
        color_mode = str(self.html_color_combo.currentData())
        catalogue, basemap_dir = self._catalogue, self._basemap_dir

        def write() -> None:
            export_html(
                path,
                sites=list(sites()),
                regions=regions,
                metadata=metadata,
                title=title,
                catalogue=catalogue,
                color_mode=color_mode,
                basemap_dir=basemap_dir,
            )

        return write

    def _sites_writer(self, path: Path) -> Callable[[], None]:
        from explorer.io.exports import FILTER_KEY, export_sites

        sites_later = self._sites_later()
        meta = dict(self._metadata)
        keep = self.keep_formulas.isChecked()
        region = None
        ids: set[str] | None = None
        if self.sites_filtered.isChecked():
            ids = set(self._filtered_ids() or ())
        elif self.sites_in_region.isChecked():
            region = self._entry(str(self.region_combo.currentData())).region
        exported_at = now_iso()

        def write() -> None:
            sites = list(sites_later())
            if ids is None:
                export_sites(path, sites, region=region, metadata=meta, keep_formulas=keep)
                return
            chosen = [s for s in sites if s.id in ids]
            meta[FILTER_KEY] = {
                "kind": "table filter",
                "site_count": len(chosen),
                "unfiltered_site_count": len(sites),
                "exported_at": exported_at,
            }
            export_sites(path, chosen, metadata=meta, keep_formulas=keep)

        return write

    def _regions_writer(self, path: Path) -> Callable[[], None]:
        from explorer.io.exports import export_regions

        entries = self._chosen_entries(self.regions_selected.isChecked())
        if not entries:
            raise ExportError("there are no regions to export")
        regions = [e.region for e in entries]

        def write() -> None:
            export_regions(path, regions)

        return write

    def _entry(self, rid: str) -> RegionEntry:
        for e in self._regions_provider():
            if e.id == rid:
                return e
        raise ExportError(f"the region chosen is gone (id {rid!r})")

    def _chosen_entries(self, selected_only: bool) -> list[RegionEntry]:
        entries = list(self._regions_provider())
        if not selected_only:
            return entries
        wanted = set(self._selected_region_ids())
        return [e for e in entries if e.id in wanted]

    # ------------------------------------------------------------------ map kinds
    def _snapshot_spec(self, extent: tuple[float, float, float, float] | None) -> SnapshotSpec:
        key = str(self.preset_combo.currentData())
        size = None
        if key == "screen":
            if self._live_map is None:
                raise ExportError("there is no map view to take the screen size from")
            size = (self._live_map.width(), self._live_map.height())
        elif key == "custom":
            size = (self.width_spin.value(), self.height_spin.value())
        spec = SnapshotSpec.from_preset(key, title=self._title(), extent=extent, size=size)
        spec.validate()
        return spec

    def _start_snapshot(self, path: Path) -> None:
        entries = list(self._regions_provider())
        check_drawable(entries)  # refused before the page is asked anything
        if self.extent_view.isChecked():
            self._snapshot_spec(None)  # refuse a bad size before asking the page anything
            self._set_busy(True)
            self._on_progress(2, "Reading the current view")
            assert self._live_map is not None
            self._live_map.evaluate(
                _VIEW_STATE_JS, lambda state: self._snapshot_with_view(path, entries, state)
            )
            return
        self._render(path, self._snapshot_spec(None), entries, self._save_snapshot)

    def _snapshot_with_view(self, path: Path, entries: list[RegionEntry], state: Any) -> None:
        try:
            if not isinstance(state, dict):
                raise ExportError("could not read the current map view")
            spec = self._snapshot_spec(_clamped_extent(state))
        except (ExportError, ValueError, KeyError, TypeError) as exc:
            self._fail(_message(exc))
            return
        self._render(path, spec, entries, self._save_snapshot)

    def _start_report(self, path: Path) -> None:
        from explorer.io.report import check_report_request

        selected = self.report_selected.isChecked()
        entries = self._chosen_entries(selected)
        if selected and not entries:
            raise ExportError("no region is selected")
        # Refused before the map is drawn, not after.
        check_report_request(
            title=self._title() or self._default_title("report"), region_count=len(entries)
        )
        spec = report_map_spec(with_regions=bool(entries))
        self._render(path, spec, entries, self._write_report)

    def _render(
        self,
        path: Path,
        spec: SnapshotSpec,
        entries: Sequence[RegionEntry],
        then: Callable[[Path, SnapshotResult, Sequence[RegionEntry]], None],
    ) -> None:
        """Build what the map reads of the sites (every site, its table and legend:
        about 1.5 s at 100,000 sites) on a worker thread, then render on this one."""
        self._set_busy(True)
        self._on_progress(1, "Reading the sites")
        color = (
            str(self.snapshot_color_combo.currentData()) if self.kind == "snapshot" else "export"
        )
        as_of = self.as_of()
        sites = self._sites_later()
        catalogue = self._catalogue if self._catalogue is not None else ChipCatalogue.bundled()
        metadata = dict(self._metadata)
        box: list[PreparedSites] = []

        def prepare() -> None:
            box.append(prepare_sites(sites(), catalogue, color, as_of=as_of, metadata=metadata))

        job = WorkJob(prepare, parent=self)
        self._preparing = job
        job.succeeded.connect(
            lambda: self._start_render(job, spec, entries, box[0], (color, as_of), then, path)
        )
        job.failed.connect(lambda exc: self._preparing_failed(job, exc))
        job.start()

    def _prepared(self, job: WorkJob) -> bool:
        """The preparation ``job`` ended: True when it is still wanted (then no longer
        under way); False when it was cancelled or replaced."""
        job.wait()
        if job.is_cancelled or self._preparing is not job:
            return False
        self._preparing = None
        return True

    def _preparing_failed(self, job: WorkJob, exc: BaseException) -> None:
        if self._prepared(job):
            self._fail(_message(exc))

    def _start_render(
        self,
        job: WorkJob,
        spec: SnapshotSpec,
        entries: Sequence[RegionEntry],
        prepared: PreparedSites,
        drawn_as: tuple[str, date | None],
        then: Callable[[Path, SnapshotResult, Sequence[RegionEntry]], None],
        path: Path,
    ) -> None:
        """Render the map of the sites ``prepared`` (``drawn_as``: the colour mode and
        date they were prepared for)."""
        if not self._prepared(job):
            return  # cancelled meanwhile: nothing is rendered
        # The report's tables count the very sites its map shows (not built again).
        self._map_sites = prepared.sites
        try:
            snapshot = render_snapshot(
                spec,
                sites=prepared.sites,
                regions=entries,
                metadata=self._metadata,
                color_mode=drawn_as[0],
                catalogue=self._catalogue,
                basemap_dir=self._basemap_dir,
                on_progress=lambda p, m: self._on_progress(round(p * 0.9), m),
                as_of=drawn_as[1],
                parent=self,
                prepared=prepared,
            )
        except (ExportError, ValueError, TypeError, OSError) as exc:
            self._fail(_message(exc))
            return
        self._job = snapshot
        snapshot.failed.connect(self._fail)
        snapshot.finished.connect(lambda result: self._after_render(path, result, entries, then))

    def _after_render(
        self,
        path: Path,
        result: SnapshotResult,
        entries: Sequence[RegionEntry],
        then: Callable[[Path, SnapshotResult, Sequence[RegionEntry]], None],
    ) -> None:
        self.last_snapshot = result
        self._on_progress(92, "Writing the file")
        try:
            then(path, result, entries)
        except (ExportError, ValueError, TypeError, OSError) as exc:
            self._fail(_message(exc))
            return
        if self._file_job is not None:
            return  # written on a worker thread, which says when it is done
        self._on_progress(100, "Done")
        self._succeed(path)

    @staticmethod
    def _save_snapshot(path: Path, result: SnapshotResult, _entries: Sequence[RegionEntry]) -> None:
        save_png(path, result.image, result.spec.dpi)

    def _write_report(
        self, path: Path, result: SnapshotResult, entries: Sequence[RegionEntry]
    ) -> None:
        """Encode the map, build and write the PDF on a worker thread (at 100,000 sites
        its tables and series take seconds)."""
        from explorer.io.report import build_report

        # A copy shares the pixels (Qt's images are implicitly shared, safe to read on
        # another thread); the dialog keeps the result meanwhile.
        image, dpi = QImage(result.image), result.spec.dpi
        sites = self._map_sites
        regions = [e.region for e in entries]
        title = self._title() or self._default_title("report")
        metadata, catalogue = dict(self._metadata), self._catalogue
        as_of = result.as_of  # the map's date: map and tables count the same

        def write() -> None:
            build_report(
                path,
                sites=sites,
                regions=regions,
                map_png=png_bytes(image, dpi),
                title=title,
                metadata=metadata,
                catalogue=catalogue,
                as_of=as_of,
            )

        self._run_file_job(path, write)


def _message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.problems[0] if exc.problems else "invalid data"
        return str(first)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


__all__ = ["KINDS", "SITE_FORMATS", "ExportDialog", "ExportError", "LiveMap"]
