"""The History view: every recorded change of the selected site, and "Restore this version".

It reads a list of :class:`~explorer.io.changelog.ChangeRecord` from
:meth:`Session.site_history <explorer.session.session.Session.site_history>`: the shared
catalogue's history in team mode (who is the database role); on a file, the changes its
history table recorded before it was opened, then the session's own (who is the OS user).
Newest first: when (UTC), who, what, which fields, the reason; selecting a row lists its
fields before → after. *Restore this version* makes the site hold the value that change
left, as a new (undoable) change through the session.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ValidationError
from explorer.core.schema import Site
from explorer.io.changelog import ChangeRecord
from explorer.io.database.catalogue import DatabaseError
from explorer.session.session import Session
from explorer.ui.change_text import field_rows, field_title
from explorer.ui.qt_store import SelectionSignals, SessionSignals, StoreSignals

#: Columns of the list of changes.
CHANGE_COLUMNS: tuple[str, ...] = ("When (UTC)", "Who", "Change", "Fields", "Reason")
#: Columns of the selected change's fields.
FIELD_COLUMNS: tuple[str, ...] = ("Field", "Before", "After")

_ACTIONS = {"insert": "added", "update": "edited", "delete": "deleted"}


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _same_version(value: dict[str, Any] | None, site: Site | None) -> bool:
    """True when ``value`` is what ``site`` holds (its time stamp aside)."""
    if value is None or site is None:
        return False
    now = site.to_dict()
    return {k: v for k, v in value.items() if k != "updated_at"} == {
        k: v for k, v in now.items() if k != "updated_at"
    }


class HistoryPanel(QWidget):
    """The recorded changes of the site the session's selection points at.

    Parameters
    ----------
    session : Session
    parent : QWidget, optional

    Signals
    -------
    restored(str)
        A site was restored to an earlier version (its id).
    """

    restored = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_panel")
        self.session = session
        self._records: list[ChangeRecord] = []
        self._sid: str | None = None
        self._stale = True
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_if_stale)

        self.heading = _plain("No site selected", self)
        self.heading.setObjectName("history_heading")
        self.note = _plain("", self)
        self.note.setObjectName("history_note")
        self.changes = QTreeWidget(self)
        self.changes.setObjectName("history_changes")
        self.changes.setHeaderLabels(list(CHANGE_COLUMNS))
        self.changes.setRootIsDecorated(False)
        self.changes.setUniformRowHeights(True)
        self.changes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.changes.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.changes.header().setStretchLastSection(True)
        self.changes.currentItemChanged.connect(self._on_current_changed)
        self.fields = QTableWidget(0, len(FIELD_COLUMNS), self)
        self.fields.setObjectName("history_fields")
        self.fields.setHorizontalHeaderLabels(list(FIELD_COLUMNS))
        self.fields.verticalHeader().hide()
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(True)
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.restore_button = QPushButton("Restore this version", self)
        self.restore_button.setObjectName("restore_version")
        self.restore_button.setToolTip(
            "Make the site hold the value this change left, as a new change (undoable)"
        )
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(lambda _checked=False: self.restore_selected())

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.changes)
        split.addWidget(self.fields)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        layout.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)

        self._selection_events = SelectionSignals(session.selection, self)
        self._selection_events.changed.connect(self._on_selection_changed)
        self._store_events = StoreSignals(session.sites, self)
        self._store_events.changed.connect(self._on_site_changed)
        self._store_events.inserted.connect(self._on_sites_came_or_went)
        self._store_events.removed.connect(self._on_sites_came_or_went)
        self._store_events.reset_done.connect(self.refresh_later)
        self._session_events = SessionSignals(session, self)
        self._session_events.opened.connect(self.refresh_later)
        self._sid = session.selection.current

    # ------------------------------------------------------------------ public
    @property
    def records(self) -> list[ChangeRecord]:
        """The changes shown, newest first."""
        return list(self._records)

    def rows(self) -> list[tuple[str, ...]]:
        """The list as shown: one tuple of the :data:`CHANGE_COLUMNS` per change."""
        out = []
        for i in range(self.changes.topLevelItemCount()):
            item = self.changes.topLevelItem(i)
            if item is not None:
                out.append(tuple(item.text(c) for c in range(len(CHANGE_COLUMNS))))
        return out

    def field_rows(self) -> list[tuple[str, str, str]]:
        """The selected change's fields as shown: ``(field, before, after)``."""
        out = []
        for r in range(self.fields.rowCount()):
            cells = [self.fields.item(r, c) for c in range(3)]
            a, b, c = (x.text() if x is not None else "" for x in cells)
            out.append((a, b, c))
        return out

    def select_row(self, row: int) -> None:
        """Select change ``row`` of the list (0: the newest)."""
        item = self.changes.topLevelItem(row)
        if item is None:
            raise IndexError(f"no change in row {row} (there are {len(self._records)})")
        self.changes.setCurrentItem(item)

    def refresh(self) -> None:
        """Read the selected site's history again and show it."""
        self._stale = False
        sid = self._sid = self.session.selection.current
        self.changes.clear()
        self.fields.setRowCount(0)
        self._records = []
        self.restore_button.setEnabled(False)
        site = self._site()
        if sid is None:
            self.heading.setText("No site selected")
            self.note.setText("")
            return
        self.heading.setText(f"History of “{site.name if site else sid}”")
        try:
            records = self.session.site_history(sid)
        except DatabaseError as exc:
            self.note.setText(f"History unavailable: {exc}")
            return
        if self.session.database is None:
            saved = sum(
                1 for r in self.session.file_history if r.entity == "site" and r.entity_id == sid
            )
            where = "this window's own changes to the file since it was opened"
            if saved:
                # A project file keeps its history table: those changes come first.
                where = f"{saved} recorded in the file before it was opened, then {where}"
        else:
            where = f"every change recorded in {self.session.database.shown}"
        count = len(records)
        self.note.setText(f"{count} change{'s' * (count != 1)}: {where}.")
        self._records = list(reversed(records))
        for record in self._records:
            fields = ", ".join(field_title(f) for f in record.fields if f != "updated_at")
            item = QTreeWidgetItem(
                [
                    record.at.replace("T", " ").rstrip("Z"),
                    record.who,
                    _ACTIONS.get(record.action, record.action),
                    fields if record.action == "update" else "all",
                    record.reason,
                ]
            )
            item.setToolTip(4, record.reason)
            self.changes.addTopLevelItem(item)
        if self._records:
            self.select_row(0)

    def refresh_later(self, *_: object) -> None:
        """Refresh once the current change is complete (its history row written) when
        shown, else when next shown."""
        self._stale = True
        if self.isVisible():
            self._refresh_timer.start()

    def _refresh_if_stale(self) -> None:
        if self._stale and self.isVisible():
            self.refresh()

    def restore_selected(self) -> bool:
        """Restore the site to the value the selected change left (a new change).

        Returns True when the site changed; a value that cannot be restored is
        explained in the note.
        """
        record = self._current_record()
        if record is None or record.after is None:
            return False
        try:
            changed = self.session.restore_site(record.after)
        except (ValidationError, KeyError) as exc:
            self.note.setText(f"Cannot restore this version: {exc}")
            return False
        if changed:
            self.restored.emit(record.entity_id)
        return changed

    # ------------------------------------------------------------------ internals
    def _site(self) -> Site | None:
        sid = self._sid
        return (
            self.session.sites.get(sid) if sid is not None and sid in self.session.sites else None
        )

    def _current_record(self) -> ChangeRecord | None:
        item = self.changes.currentItem()
        if item is None:
            return None
        row = self.changes.indexOfTopLevelItem(item)
        return self._records[row] if 0 <= row < len(self._records) else None

    def _on_current_changed(self, *_: object) -> None:
        record = self._current_record()
        self.fields.setRowCount(0)
        if record is None:
            self.restore_button.setEnabled(False)
            return
        rows = field_rows(record.before, record.after)
        self.fields.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.fields.setItem(r, c, cell)
        self.fields.resizeRowsToContents()
        self.restore_button.setEnabled(
            record.after is not None
            and not self.session.read_only
            and self._site() is not None
            and not _same_version(record.after, self._site())
        )

    def _on_selection_changed(self, _sid: str | None) -> None:
        self.refresh_later()

    def _on_site_changed(self, _old: Site, new: Site) -> None:
        if new.id == self._sid:
            self.refresh_later()

    def _on_sites_came_or_went(self, sites: list[Site]) -> None:
        if any(s.id == self._sid for s in sites):
            self.refresh_later()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale or self._sid != self.session.selection.current:
            self.refresh()


__all__ = ["CHANGE_COLUMNS", "FIELD_COLUMNS", "HistoryPanel"]
