"""The site panel: shows the selected site and edits every one of its attributes.

The form is the *desired* value of the site. On every commit (Return / focus leaving a
line edit, choosing in a combo box, removing a line, Ctrl+Return or focus leaving the
notes) the whole form is parsed by the store's validation door (:meth:`SiteStore.parse`),
which reports every problem with its field path (``lat``, ``hardware[0].chips``...). If
there is any problem nothing is changed: the reason appears beside the offending field,
which gets a red border, and the typed text stays so the user can fix it. A valid,
different value goes to :meth:`Session.edit_site`, which records one undoable command.
The panel never mutates the store itself; it redraws from the store's events (so undo
shows here too), and never writes back while redrawing.

For a role that may only read a shared catalogue, :meth:`SitePanel.set_read_only` keeps
every value readable and selectable but editable nowhere (opening a source's link and
the site's history still work).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.core.schema import (
    CONFIDENCES,
    PROVINCES,
    STATUSES,
    HardwareLine,
    Site,
    Source,
    now_iso,
)
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.session.session import Session
from explorer.ui.hardware_line_card import HardwareLineCard, line_note
from explorer.ui.idle_queue import IdleQueue
from explorer.ui.qt_store import SelectionSignals, SessionSignals, StoreSignals
from explorer.ui.site_picker import SiteNamesModel, SitePicker
from explorer.ui.site_relations import relation_note, relation_problems

ILLUSTRATIVE_BANNER = "Illustrative scenario — not a reported fact"

#: Look up the province of a WGS84 (lon, lat); None when unknown.

#: Editable site attributes, in the order a commit compares them.
EDITABLE = (
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "lon",
    "lat",
    "status",
    "confidence",
    "power_mw",
    "notes",
    "hardware",
    "sources",
    "part_of",
    "supersedes",
)
_LINE_FIELDS = ("name", "operator", "tenant", "prefecture", "lon", "lat", "power_mw")
_SRC_COLUMNS = (("title", "Title"), ("url", "URL"), ("date", "Date"), ("quote", "Quote"))
_ROW_FIELD_RE = re.compile(r"^(hardware|sources)\[(\d+)\]\.(\w+)$")

_STYLE = """
*[invalid="true"] { border: 1px solid #c62828; }
QLabel[role="error"] { color: #c62828; }
QLabel#relation_note {
    background: #eef3fb; color: #1d2f4f; border: 1px solid #b7c7e4; padding: 4px;
}
QLabel#illustrative_banner {
    background: #fff3cd; color: #5c4400; border: 1px solid #e0c068; padding: 4px;
    font-weight: bold;
}
"""


def _plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that never interprets its text as HTML (it may show user text)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def _num_text(value: float | None) -> str:
    """Shortest exact text for a float (``"150"``, ``"12.5"``), ``""`` for None."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _opt_int_text(value: int | None) -> str:
    return "" if value is None else str(value)


def is_openable_url(url: str) -> bool:
    """True for an absolute, well-formed http(s) URL with a host."""
    q = QUrl(url.strip(), QUrl.ParsingMode.StrictMode)
    return q.isValid() and q.scheme() in ("http", "https") and bool(q.host())


class SitePanel(QWidget):
    """Form showing and editing the site that the session's selection points at.

    Parameters
    ----------
    session : Session
        The panel shows ``session.selection.current`` from ``session.sites`` (nothing
        when None or unknown), offers the chip models of ``session.catalogue``, and hands
        every valid change to :meth:`Session.edit_site` (one undoable command; the
        province follows a move when the session knows the boundaries). It never changes
        the store itself.
    parent : QWidget, optional
    idle : IdleQueue, optional
        Where the site pickers' list is rebuilt after a change, on a free turn of the
        event loop (shared with the window's other views; a private one by default).

    Signals
    -------
    problemsChanged(list)
        The list of :class:`~explorer.core.errors.Problem` now shown (empty when clear).
    """

    problemsChanged = Signal(object)
    historyRequested = Signal()

    def __init__(
        self, session: Session, *, parent: QWidget | None = None, idle: IdleQueue | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("site_panel")
        self._idle = idle
        self.setStyleSheet(_STYLE)
        self.session = session
        self.store: SiteStore = session.sites
        self.selection: Selection = session.selection
        self.catalogue: ChipCatalogue = session.catalogue

        self._site: Site | None = None
        self._loading = False
        self._committing = False
        # Text each numeric field showed for the stored value: untouched text maps back
        # to the exact stored number instead of its rounded rendering.
        self._shown: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._problems: list[Problem] = []
        self._fields: dict[str, QWidget] = {}
        self._error_labels: dict[str, QLabel] = {}
        self._hw_cards: list[HardwareLineCard] = []
        self._src_rows: list[dict[str, QWidget]] = []
        self._read_only = False

        self._build()
        self._store_events = StoreSignals(self.store, self)
        self._store_events.changed.connect(self._on_store_changed)
        self._store_events.inserted.connect(self._on_store_inserted)
        self._store_events.removed.connect(self._on_store_removed)
        self._store_events.reset_done.connect(self._on_store_reset_done)
        self._selection_events = SelectionSignals(self.selection, self)
        self._selection_events.changed.connect(self._on_selection_changed)
        self._session_events = SessionSignals(session, self)
        self._session_events.asOfChanged.connect(self._on_as_of_changed)
        # The pickers' list is rebuilt when sites come, go or are renamed: show the
        # shown site's references again afterwards.
        self._site_names.rebuilt.connect(self._on_site_names_changed)
        self._load(self._lookup(self.selection.current))

    # ================================================================== public API
    @property
    def site(self) -> Site | None:
        """The stored value of the site shown (None when nothing is selected)."""
        return self._site

    def field_widget(self, name: str) -> QWidget:
        """The widget for a field path, e.g. ``"lat"``, ``"hardware[0].chips"``, ``"id"``.

        Raises ``KeyError`` for an unknown path. Widget object names are ``"field_" +
        path`` (``field_name``, ``field_hardware[0].chips``, ``field_sources[1].url``).
        """
        m = _ROW_FIELD_RE.match(name)
        if m:
            rows = (
                [card.fields for card in self._hw_cards]
                if m.group(1) == "hardware"
                else self._src_rows
            )
            i = int(m.group(2))
            if i >= len(rows) or m.group(3) not in rows[i]:
                raise KeyError(name)
            return rows[i][m.group(3)]
        return self._fields[name]

    def hardware_card(self, index: int) -> HardwareLineCard:
        """The card of hardware line ``index`` (raises ``IndexError``)."""
        return self._hw_cards[index]

    def error_text(self, field: str) -> str:
        """The validation message shown for ``field`` (``""`` when none)."""
        return self._errors.get(field, "")

    def problems(self) -> list[Problem]:
        """Problems shown since the last commit attempt."""
        return list(self._problems)

    def commit(self) -> bool:
        """Validate the whole form and request the edit if it is valid and different.

        Call it before saving so a half-typed edit is not lost. Returns False when the
        form has problems (they are shown, nothing is changed), True otherwise.
        """
        if self._loading or self._committing or self._site is None or self._read_only:
            return True
        self._committing = True
        try:
            return self._commit(self._site)
        finally:
            self._committing = False

    @property
    def read_only(self) -> bool:
        """True when the form cannot be edited (see :meth:`set_read_only`)."""
        return self._read_only

    def set_read_only(self, read_only: bool) -> None:
        """Keep every field readable but editable nowhere (a read-only role), or not."""
        if read_only != self._read_only:
            self._read_only = read_only
            self._apply_read_only()

    def show_stored(self) -> None:
        """Show the stored value of the site again, dropping what the form holds (after
        a change the shared catalogue refused)."""
        self._load(self._lookup(self.selection.current))

    def add_hardware_line(self) -> None:
        """Append an empty hardware line to the form and focus its chips cell.

        Nothing is stored until the line is committed with a valid chip count.
        """
        model = REFERENCE_MODEL if REFERENCE_MODEL in self.catalogue else self.catalogue.names[0]
        self._append_hw_card(HardwareLine(model, 0), chips_text="")
        self._hw_cards[-1].fields["chips"].setFocus()

    def add_source(self) -> None:
        """Append an empty source to the form and focus its title cell."""
        self._append_src_row(Source(""))
        self._fit_table(self._src_table)
        self._src_rows[-1]["title"].setFocus()

    def remove_hardware_line(self, index: int) -> bool:
        """Drop hardware line ``index`` from the form and commit; see :meth:`commit`."""
        self._remove_hw_card(index)
        return self.commit()

    def remove_source(self, index: int) -> bool:
        """Drop source ``index`` from the form and commit; see :meth:`commit`."""
        self._remove_row(self._src_table, self._src_rows, index, "sources")
        return self.commit()

    def open_source_url(self, index: int) -> bool:
        """Open source ``index``'s URL in the system browser (http and https only)."""
        edit = self._src_rows[index]["url"]
        assert isinstance(edit, QLineEdit)
        url = edit.text().strip()
        if not is_openable_url(url):
            return False
        return QDesktopServices.openUrl(QUrl(url, QUrl.ParsingMode.StrictMode))

    # ================================================================== building
    def _build(self) -> None:
        self.banner = _plain_label(ILLUSTRATIVE_BANNER, self)
        self.banner.setObjectName("illustrative_banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.empty_label = _plain_label("No site selected", self)
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.general_error = self._error_label("error_general")

        self.form = QWidget(self)
        self.form.setObjectName("site_form")
        form = QFormLayout(self.form)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        for key in ("id", "chips", "updated_at"):
            label = _plain_label("", self.form)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._register(key, label)
        form.addRow("Id", self._fields["id"])

        for key, title in (("name", "Name"), ("operator", "Operator"), ("tenant", "Tenant")):
            form.addRow(title, self._with_error(key, self._line_edit(key)))

        province = QComboBox(self.form)
        province.setEditable(True)
        province.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        province.addItems(list(PROVINCES))
        province.activated.connect(self._on_combo_activated)
        line = province.lineEdit()
        assert line is not None
        line.editingFinished.connect(self._on_editing_finished)
        self._register("province", province)
        form.addRow("Province", self._with_error("province", province))
        form.addRow("Prefecture", self._with_error("prefecture", self._line_edit("prefecture")))

        for key, title in (("lon", "Longitude"), ("lat", "Latitude")):
            edit = self._line_edit(key)
            edit.setPlaceholderText("degrees, WGS84")
            form.addRow(title, self._with_error(key, edit))

        for key, title, values in (
            ("status", "Status", STATUSES),
            ("confidence", "Confidence", CONFIDENCES),
        ):
            combo = QComboBox(self.form)
            for v in values:
                combo.addItem(v, v)
            combo.activated.connect(self._on_combo_activated)
            self._register(key, combo)
            form.addRow(title, self._with_error(key, combo))

        power = self._line_edit("power_mw")
        power.setPlaceholderText("blank = unknown")
        form.addRow("Power MW", self._with_error("power_mw", power))
        form.addRow("Chips (total)", self._fields["chips"])

        notes = QPlainTextEdit(self.form)
        notes.setTabChangesFocus(True)
        # The notes' own undo history would let a text undo be committed as a new edit;
        # Ctrl+Z means the window's undo stack (see explorer.ui.undo_keys).
        notes.setUndoRedoEnabled(False)
        notes.setFixedHeight(notes.fontMetrics().lineSpacing() * 5 + 12)
        notes.setPlaceholderText("Ctrl+Return or leaving the box saves")
        notes.installEventFilter(self)
        self._register("notes", notes)
        form.addRow("Notes", self._with_error("notes", notes))

        self._site_names = SiteNamesModel(self.store, self, idle=self._idle)
        for key, title, tip in (
            (
                "part_of",
                "Part of",
                "The campus this site is a project of (campus and parts count the larger "
                "of the two, per chip model)",
            ),
            (
                "supersedes",
                "Supersedes",
                "The earlier record this one replaces (it is kept, and no longer counted)",
            ),
        ):
            picker = SitePicker(self._site_names, self.form)
            picker.setToolTip(tip)
            picker.activated.connect(self._on_combo_activated)
            picker_line = picker.lineEdit()
            assert picker_line is not None
            picker_line.editingFinished.connect(self._on_editing_finished)
            self._register(key, picker)
            form.addRow(title, self._with_error(key, picker))
        self.relation_note = _plain_label("", self.form)
        self.relation_note.setObjectName("relation_note")
        self.relation_note.setWordWrap(True)
        self.relation_note.hide()
        form.addRow(self.relation_note)

        hw_box = QGroupBox("Hardware", self.form)
        self._hw_list = QWidget(hw_box)
        self._hw_list.setObjectName("field_hardware")
        self._hw_layout = QVBoxLayout(self._hw_list)
        self._hw_layout.setContentsMargins(0, 0, 0, 0)
        self._hw_layout.setSpacing(4)
        add_hw = QPushButton("Add line", hw_box)
        add_hw.setObjectName("add_hardware_line")
        add_hw.clicked.connect(self._on_add_hardware_clicked)
        self._hw_error = self._error_label("error_hardware")
        box = QVBoxLayout(hw_box)
        box.addWidget(self._hw_list)
        box.addWidget(self._hw_error)
        box.addWidget(add_hw, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow(hw_box)

        src_box = QGroupBox("Sources", self.form)
        self._src_table = self._table("field_sources", [t for _, t in _SRC_COLUMNS], (56, 32))
        add_src = QPushButton("Add source", src_box)
        add_src.setObjectName("add_source")
        add_src.clicked.connect(self._on_add_source_clicked)
        self._src_error = self._error_label("error_sources")
        box = QVBoxLayout(src_box)
        box.addWidget(self._src_table)
        box.addWidget(self._src_error)
        box.addWidget(add_src, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow(src_box)

        updated_row = QWidget(self.form)
        updated_box = QHBoxLayout(updated_row)
        updated_box.setContentsMargins(0, 0, 0, 0)
        updated_box.addWidget(self._fields["updated_at"], 1)
        self.history_button = QPushButton("History…", updated_row)
        self.history_button.setObjectName("show_history")
        self.history_button.setToolTip("Every recorded change of this site: who, when, why")
        self.history_button.clicked.connect(lambda _checked=False: self.historyRequested.emit())
        updated_box.addWidget(self.history_button)
        form.addRow("Updated", updated_row)

        # The form sits at the top of a page that takes any spare height, and the page
        # only scrolls vertically (the fields shrink to the dock's width instead).
        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.form)
        page_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        self._scroll = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.general_error)
        layout.addWidget(self.empty_label)
        layout.addWidget(scroll, 1)

    def _register(self, key: str, widget: QWidget) -> None:
        widget.setObjectName(f"field_{key}")
        self._fields[key] = widget

    def _line_edit(self, key: str, parent: QWidget | None = None) -> QLineEdit:
        edit = QLineEdit(parent or self.form)
        edit.editingFinished.connect(self._on_editing_finished)
        if parent is None:
            self._register(key, edit)
        return edit

    def _error_label(self, name: str) -> QLabel:
        label = _plain_label("", self)
        label.setObjectName(name)
        label.setProperty("role", "error")
        label.setWordWrap(True)
        label.hide()
        return label

    def _with_error(self, key: str, widget: QWidget) -> QWidget:
        """Stack ``widget`` over its (hidden until needed) error label."""
        box = QWidget(self.form)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        label = self._error_label(f"error_{key}")
        label.setParent(box)
        lay.addWidget(label)
        self._error_labels[key] = label
        return box

    def _table(self, name: str, titles: list[str], button_widths: Sequence[int]) -> QTableWidget:
        headers = titles + [""] * len(button_widths)
        table = QTableWidget(0, len(headers), self.form)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        first_button = len(headers) - len(button_widths)
        for col, width in enumerate(button_widths, start=first_button):
            # Button columns are just wide enough for their button.
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, width)
        self._fit_table(table)
        return table

    @staticmethod
    def _fit_table(table: QTableWidget) -> None:
        """Size the table to its rows so the form scrolls, not the table."""
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        for r in range(table.rowCount()):
            height += table.rowHeight(r)
        table.setFixedHeight(height + 2)

    # ------------------------------------------------------------------ table rows
    def _append_hw_card(self, line: HardwareLine, *, chips_text: str | None = None) -> None:
        card = HardwareLineCard(self.catalogue.names, self._hw_list)
        card.edited.connect(self._on_editing_finished)
        card.removeRequested.connect(self._on_remove_hardware_clicked)
        self._hw_layout.addWidget(card)
        card.show()  # a layout shows a new child of a shown widget only later
        self._hw_cards.append(card)
        card.set_index(len(self._hw_cards) - 1)
        card.fill(line, self.session.as_of, chips_text=chips_text)

    def _remove_hw_card(self, index: int) -> None:
        # Deleted later by Qt, so this is safe from the card's own remove button.
        card = self._hw_cards.pop(index)
        card.hide()
        self._hw_layout.removeWidget(card)
        card.deleteLater()
        for i, other in enumerate(self._hw_cards):
            other.set_index(i)

    def _append_src_row(self, source: Source) -> None:
        table = self._src_table
        r = table.rowCount()
        table.insertRow(r)
        row: dict[str, QWidget] = {}
        for key, _ in _SRC_COLUMNS:
            row[key] = self._line_edit(key, table)
        url = row["url"]
        assert isinstance(url, QLineEdit)
        url.setPlaceholderText("https://…")
        url.textChanged.connect(self._on_source_url_text_changed)
        open_button = QPushButton("Open", table)
        open_button.setToolTip("Open this link in the system browser")
        open_button.setEnabled(False)
        open_button.clicked.connect(self._on_open_source_clicked)
        remove = QPushButton("✕", table)
        remove.setToolTip("Remove this source")
        remove.clicked.connect(self._on_remove_source_clicked)
        row["open"] = open_button
        row["remove"] = remove
        for col, (key, _) in enumerate(_SRC_COLUMNS):
            table.setCellWidget(r, col, row[key])
        table.setCellWidget(r, len(_SRC_COLUMNS), open_button)
        table.setCellWidget(r, len(_SRC_COLUMNS) + 1, remove)
        self._src_rows.append(row)
        self._name_rows(self._src_rows, "sources")
        self._fill_src_row(row, source)

    @staticmethod
    def _fill_src_row(row: dict[str, QWidget], source: Source) -> None:
        for key, _ in _SRC_COLUMNS:
            edit = row[key]
            assert isinstance(edit, QLineEdit)
            if edit.text() != getattr(source, key):
                edit.setText(getattr(source, key))
                edit.setCursorPosition(0)
        row["open"].setEnabled(is_openable_url(source.url))

    @staticmethod
    def _name_rows(rows: list[dict[str, QWidget]], prefix: str) -> None:
        """(Re)number object names after rows were added or removed."""
        for i, row in enumerate(rows):
            for key, widget in row.items():
                if key in ("open", "remove"):
                    widget.setObjectName(f"{key}_{prefix}[{i}]")
                else:
                    widget.setObjectName(f"field_{prefix}[{i}].{key}")

    def _remove_row(
        self, table: QTableWidget, rows: list[dict[str, QWidget]], index: int, prefix: str
    ) -> None:
        # The cell widgets are deleted later by Qt, so this is safe from their own
        # signal handlers (e.g. the row's remove button).
        del rows[index]
        table.removeRow(index)
        self._name_rows(rows, prefix)
        self._fit_table(table)

    def _set_hw_rows(self, lines: Sequence[HardwareLine]) -> None:
        # Update cards in place (keeps the keyboard focus where the user is typing);
        # add or drop cards at the end only when the count differs.
        while len(self._hw_cards) > len(lines):
            self._remove_hw_card(len(self._hw_cards) - 1)
        for card, line in zip(self._hw_cards, lines, strict=False):
            card.fill(line, self.session.as_of)
        for line in lines[len(self._hw_cards) :]:
            self._append_hw_card(line)

    def _set_src_rows(self, sources: Sequence[Source]) -> None:
        while len(self._src_rows) > len(sources):
            self._remove_row(self._src_table, self._src_rows, len(self._src_rows) - 1, "sources")
        for row, source in zip(self._src_rows, sources, strict=False):
            self._fill_src_row(row, source)
        for source in sources[len(self._src_rows) :]:
            self._append_src_row(source)
        self._fit_table(self._src_table)

    # ================================================================== showing
    def _lookup(self, sid: str | None) -> Site | None:
        return self.store.get(sid) if sid is not None and sid in self.store else None

    def _load(self, site: Site | None) -> None:
        """Show ``site`` (or the empty state) without ever committing."""
        self._loading = True
        try:
            self._site = site
            self._clear_problems()
            self.form.setEnabled(site is not None)
            self._scroll.setVisible(site is not None)
            self.empty_label.setVisible(site is None)
            self.banner.setVisible(site is not None and site.is_illustrative)
            if site is None:
                self._shown = {}
                return
            self._shown = {
                "lon": f"{site.lon:.5f}",
                "lat": f"{site.lat:.5f}",
                "power_mw": _num_text(site.power_mw),
            }
            for key in ("name", "operator", "tenant", "prefecture"):
                self._line(key).setText(getattr(site, key))
            for key in ("lon", "lat", "power_mw"):
                self._line(key).setText(self._shown[key])
            self._combo("province").setCurrentText(site.province)
            for key in ("status", "confidence"):
                combo = self._combo(key)
                i = combo.findData(getattr(site, key))
                if i < 0:  # not one of ours: show it rather than a wrong value
                    combo.addItem(getattr(site, key), getattr(site, key))
                    i = combo.count() - 1
                combo.setCurrentIndex(i)
            notes = self._fields["notes"]
            assert isinstance(notes, QPlainTextEdit)
            if notes.toPlainText() != site.notes:
                notes.setPlainText(site.notes)
            self._label("id").setText(site.id)
            self._label("chips").setText(f"{site.chips:,}")
            self._label("updated_at").setText(site.updated_at or "—")
            self._set_hw_rows(site.hardware)
            self._set_src_rows(site.sources)
            self._show_relations(site)
            self._forget_text_history()
            if self._read_only:
                self._apply_read_only()
        finally:
            self._loading = False

    def _apply_read_only(self) -> None:
        """Make every editing widget of the form read-only (or editable again)."""
        ro = self._read_only
        for w in self.form.findChildren(QWidget):
            if isinstance(w, (QLineEdit, QPlainTextEdit)):
                w.setReadOnly(ro)
            elif isinstance(w, QComboBox):
                w.setEnabled(not ro)
            elif isinstance(w, QAbstractButton):
                name = w.objectName()
                if name == "show_history" or name.startswith("open_"):
                    continue  # reading: a source's link, the site's history
                w.setEnabled(not ro)

    def _forget_text_history(self) -> None:
        """Start every field's own text history at the value shown.

        A field's undo (its context menu) can then only take back typing not yet
        committed, never bring back an older value that would be committed as a new edit.
        """
        for edit in self.form.findChildren(QLineEdit):
            if edit.isUndoAvailable() or edit.isRedoAvailable():
                pos = edit.cursorPosition()
                was = edit.blockSignals(True)  # the same text: nothing to announce
                try:
                    edit.setText(edit.text())  # setText starts a fresh history
                finally:
                    edit.blockSignals(was)
                edit.setCursorPosition(pos)

    def _show_relations(self, site: Site) -> None:
        self._show_pickers(site)
        self._show_relation_note(site)

    def _show_pickers(self, site: Site) -> None:
        for key in ("part_of", "supersedes"):
            self._picker(key).set_site(site.id, getattr(site, key))

    def _show_relation_note(self, site: Site) -> None:
        text = relation_note(self.session, site)
        self.relation_note.setText(text)
        self.relation_note.setVisible(bool(text))

    def _picker(self, key: str) -> SitePicker:
        w = self._fields[key]
        assert isinstance(w, SitePicker)
        return w

    def _line(self, key: str) -> QLineEdit:
        w = self._fields[key]
        assert isinstance(w, QLineEdit)
        return w

    def _combo(self, key: str) -> QComboBox:
        w = self._fields[key]
        assert isinstance(w, QComboBox)
        return w

    def _label(self, key: str) -> QLabel:
        w = self._fields[key]
        assert isinstance(w, QLabel)
        return w

    # ================================================================== committing
    def _form_values(self, old: Site) -> tuple[dict[str, Any], Any, Any]:
        """The form as loosely-typed ``parse_site`` input: ``(props, lon, lat)``."""

        def numeric(key: str, stored: Any) -> Any:
            text = self._line(key).text()
            return stored if text == self._shown.get(key) else text

        def text_of(w: QWidget) -> str:
            if isinstance(w, QComboBox):
                return w.currentText()
            assert isinstance(w, QLineEdit)
            return w.text()

        notes = self._fields["notes"]
        assert isinstance(notes, QPlainTextEdit)
        props: dict[str, Any] = {
            "id": old.id,
            "name": self._line("name").text(),
            "operator": self._line("operator").text(),
            "tenant": self._line("tenant").text(),
            "province": self._combo("province").currentText(),
            "prefecture": self._line("prefecture").text(),
            "status": self._combo("status").currentData(),
            "confidence": self._combo("confidence").currentData(),
            "power_mw": numeric("power_mw", old.power_mw),
            "notes": notes.toPlainText(),
            "hardware": [card.values() for card in self._hw_cards],
            "sources": [
                {key: text_of(row[key]) for key, _ in _SRC_COLUMNS} for row in self._src_rows
            ],
            "updated_at": old.updated_at,
            "part_of": self._picker("part_of").chosen_id(),
            "supersedes": self._picker("supersedes").chosen_id(),
        }
        return props, numeric("lon", old.lon), numeric("lat", old.lat)

    def _commit(self, old: Site) -> bool:
        props, lon, lat = self._form_values(old)
        props["updated_at"] = now_iso()
        try:
            # The store's door: the form is parsed and validated once, against the
            # session's catalogue; the value it returns is not checked again.
            new = self.store.parse(props, lon, lat)
        except ValidationError as exc:
            self._show_problems(exc.problems)
            return False
        # References must name a site the totals can use (checked only when changed).
        relations = relation_problems(self.session, old, new)
        if relations:
            self._show_problems(relations)
            return False
        self._clear_problems()
        try:
            self.session.edit_site(old, new)
        except (ValidationError, KeyError) as exc:
            # The store disagrees (e.g. the site vanished meanwhile): nothing was recorded.
            problems = exc.problems if isinstance(exc, ValidationError) else []
            self._show_problems(problems or [Problem("", None, str(exc))])
            return False
        self._forget_text_history()
        return True

    # ------------------------------------------------------------------ problems
    def _clear_problems(self, *, notify: bool = True) -> None:
        for path in list(self._errors):
            widget = self._widget_or_none(path)
            if widget is not None:
                self._mark(widget, False)
        self._errors = {}
        for label in [*self._error_labels.values(), self._hw_error, self._src_error]:
            label.clear()
            label.hide()
        for card in self._hw_cards:
            card.set_errors([])
        self.general_error.clear()
        self.general_error.hide()
        if self._problems:
            self._problems = []
            if notify:
                self.problemsChanged.emit([])

    def _show_problems(self, problems: Sequence[Problem]) -> None:
        self._clear_problems(notify=False)
        self._problems = list(problems)
        general: list[str] = []
        table_lines: dict[str, list[str]] = {"hardware": [], "sources": []}
        card_lines: dict[int, list[str]] = {}
        for p in problems:
            self._errors[p.field] = (
                f"{self._errors[p.field]}\n{p.message}" if p.field in self._errors else p.message
            )
            widget = self._widget_or_none(p.field)
            if widget is not None:
                self._mark(widget, True)
            m = _ROW_FIELD_RE.match(p.field)
            if m and widget is not None and m.group(1) == "hardware":
                # Beside the line's fields, in its card.
                card_lines.setdefault(int(m.group(2)), []).append(p.message)
            elif m and widget is not None:
                table_lines[m.group(1)].append(f"source {int(m.group(2)) + 1}: {p.message}")
            elif p.field in self._error_labels:
                label = self._error_labels[p.field]
                label.setText(self._errors[p.field])
                label.show()
            else:
                general.append(f"{p.field}: {p.message}" if p.field else p.message)
        for label, lines in (
            (self._hw_error, table_lines["hardware"]),
            (self._src_error, table_lines["sources"]),
        ):
            if lines:
                label.setText("\n".join(lines))
                label.show()
        for i, messages in card_lines.items():
            self._hw_cards[i].set_errors(messages)
        if general:
            self.general_error.setText("\n".join(general))
            self.general_error.show()
        self.problemsChanged.emit(list(self._problems))

    def _widget_or_none(self, path: str) -> QWidget | None:
        try:
            return self.field_widget(path)
        except KeyError:
            return None

    @staticmethod
    def _mark(widget: QWidget, invalid: bool) -> None:
        widget.setProperty("invalid", invalid)
        # Escaped: Qt would render a tooltip that looks like HTML as rich text.
        msg = "" if not invalid else "Invalid value — see the message beside the field"
        widget.setToolTip(html.escape(msg))
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
        widget.update()

    # ================================================================== handlers
    def _on_editing_finished(self) -> None:
        self.commit()

    def _on_combo_activated(self, _index: int) -> None:
        self.commit()

    def _on_add_hardware_clicked(self) -> None:
        self.add_hardware_line()

    def _on_add_source_clicked(self) -> None:
        self.add_source()

    def _on_remove_hardware_clicked(self) -> None:
        sender = self.sender()
        for i, card in enumerate(self._hw_cards):
            if card is sender:
                self.remove_hardware_line(i)
                return

    def _on_remove_source_clicked(self) -> None:
        index = self._row_of_sender(self._src_rows)
        if index is not None:
            self.remove_source(index)

    def _on_open_source_clicked(self) -> None:
        index = self._row_of_sender(self._src_rows)
        if index is not None:
            self.open_source_url(index)

    def _on_source_url_text_changed(self, _text: str) -> None:
        for row in self._src_rows:
            url = row["url"]
            assert isinstance(url, QLineEdit)
            row["open"].setEnabled(is_openable_url(url.text()))

    def _row_of_sender(self, rows: list[dict[str, QWidget]]) -> int | None:
        sender = self.sender()
        for i, row in enumerate(rows):
            if any(w is sender for w in row.values()):
                return i
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Commit the notes on focus-out or Ctrl+Return (a plain Return is a newline)."""
        if watched is self._fields.get("notes"):
            if event.type() == QEvent.Type.FocusOut:
                self._on_notes_focus_out()
            elif event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                    event.modifiers() & Qt.KeyboardModifier.ControlModifier
                ):
                    self.commit()
                    return True
        return super().eventFilter(watched, event)

    def _on_notes_focus_out(self) -> None:
        self.commit()

    # ------------------------------------------------------------------ model events
    def _on_selection_changed(self, sid: str | None) -> None:
        self._load(self._lookup(sid))

    def _on_store_changed(self, _old: Site, new: Site) -> None:
        if self._site is not None and new.id == self._site.id:
            self._load(new)
        elif self._site is not None:
            # Another site's part_of or supersedes may name this one.
            self._show_relation_note(self._site)

    def _on_store_inserted(self, sites: list[Site]) -> None:
        # Undoing a delete brings back the selected site.
        if self._site is None and any(s.id == self.selection.current for s in sites):
            self._load(self._lookup(self.selection.current))
        elif self._site is not None:
            self._show_relation_note(self._site)

    def _on_store_removed(self, sites: list[Site]) -> None:
        if self._site is not None and any(s.id == self._site.id for s in sites):
            self._load(None)
        elif self._site is not None:
            self._show_relation_note(self._site)

    def _on_as_of_changed(self, as_of: object) -> None:
        # The lines' notes say which are not online yet at the date.
        if self._site is not None:
            for card, line in zip(self._hw_cards, self._site.hardware, strict=False):
                card.set_note(line_note(line, self.session.as_of))

    def _on_site_names_changed(self, *_: object) -> None:
        if self._site is not None and not self._loading:
            self._loading = True
            try:
                self._show_pickers(self._site)
            finally:
                self._loading = False

    def _on_store_reset_done(self) -> None:
        self._load(self._lookup(self.selection.current))


__all__ = ["EDITABLE", "ILLUSTRATIVE_BANNER", "SitePanel", "is_openable_url"]
