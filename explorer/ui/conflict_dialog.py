"""The choice after a stale edit: someone else changed the record first.

Shown (window-modal, without blocking the caller) when the shared catalogue refuses a
change because the record moved on since this client read it. It lists both values field
by field and offers two choices; nothing else changes until one is made (the session
refuses other changes meanwhile, and the window holds back other clients' changes).
Escape and the close button do not choose.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.session.refusals import Refusal
from explorer.ui.change_text import field_rows, record_name

#: The column titles of the field table.
COLUMNS: tuple[str, ...] = ("Field", "Yours", "Theirs (in the catalogue now)")


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class ConflictDialog(QDialog):
    """Keep mine or take theirs, for one refused change.

    Parameters
    ----------
    refusal : Refusal
        A refusal whose :attr:`~Refusal.conflict` is set.
    parent : QWidget, optional

    Signals
    -------
    chosen(str)
        ``"mine"`` or ``"theirs"``, once; the dialog then closes.
    """

    chosen = Signal(str)

    def __init__(self, refusal: Refusal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        conflict = refusal.conflict
        if conflict is None:
            raise ValueError(f"not a conflict: {refusal.error}")
        self.refusal = refusal
        self.setObjectName("conflict_dialog")
        self.setWindowTitle("Someone else changed this record")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        noun = "site" if conflict.entity == "site" else "region"
        name = record_name(conflict.theirs or conflict.mine, conflict.entity_id)
        what = "deleted" if conflict.theirs is None else "changed"
        self.heading = _plain(
            f"The {noun} “{name}” was {what} by someone else since you read it.", self
        )
        self.heading.setObjectName("conflict_heading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        step = {"do": "Your change", "undo": "Your undo of", "redo": "Your redo of"}
        self.what_label = _plain(f"{step[refusal.step]}: {refusal.text}", self)
        self.what_label.setObjectName("conflict_change")

        rows = field_rows(conflict.theirs, conflict.mine)
        self.table = QTableWidget(len(rows), len(COLUMNS), self)
        self.table.setObjectName("conflict_fields")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        for r, (title, theirs, mine) in enumerate(rows):
            for c, text in enumerate((title, mine, theirs)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()

        self.help_label = _plain(
            "Keep mine writes your value over theirs (a new change in the history; "
            "theirs stays in the history too). Take theirs drops your change and shows "
            "the record as it is in the catalogue now.",
            self,
        )
        buttons = QDialogButtonBox(self)
        self.keep_button = QPushButton("Keep mine", self)
        self.keep_button.setObjectName("keep_mine")
        self.theirs_button = QPushButton("Take theirs", self)
        self.theirs_button.setObjectName("take_theirs")
        self.theirs_button.setDefault(True)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.theirs_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_button.clicked.connect(lambda: self._choose("mine"))
        self.theirs_button.clicked.connect(lambda: self._choose("theirs"))

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.what_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.help_label)
        layout.addWidget(buttons)
        self.resize(720, 380)
        self._choice = ""

    @property
    def choice(self) -> str:
        """``"mine"``, ``"theirs"``, or ``""`` before a choice."""
        return self._choice

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as shown: ``(field, yours, theirs)`` per row."""
        out = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(3)]
            field, mine, theirs = (c.text() if c is not None else "" for c in cells)
            out.append((field, mine, theirs))
        return out

    def _choose(self, choice: str) -> None:
        if self._choice:
            return
        self._choice = choice
        self.done(QDialog.DialogCode.Accepted)
        self.chosen.emit(choice)

    def reject(self) -> None:
        """Escape and the close button do not choose: the change waits for a choice."""


__all__ = ["COLUMNS", "ConflictDialog"]
