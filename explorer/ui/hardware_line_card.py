"""One hardware line of the site panel, as a small card of fields.

A line has more fields than fit across the panel's dock as table columns (model,
chips, its low-high range, status, online date, servers, GPUs per server, phase), so
each line is a card: a grid of labelled fields, a remove button, the line's error
messages beside its fields, and a note saying how the line counts (cancelled, undated,
not online yet at the chosen date).

The card holds text, never a value: the panel reads :meth:`HardwareLineCard.values`
into the form it hands to the store's validation door, and fills the card back from
the stored line. Finishing an edit (Return, focus leaving a field) or choosing in a
combo emits :attr:`HardwareLineCard.edited`; the remove button emits
:attr:`HardwareLineCard.removeRequested`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.dates import period_end
from explorer.core.schema import LINE_STATUSES, HardwareLine
from explorer.ui.date_text import date_words

#: The fields of a line, in the order the form hands them to the parser.
LINE_FIELDS: tuple[str, ...] = (
    "chip_model",
    "chips",
    "chips_low",
    "chips_high",
    "status",
    "online",
    "servers",
    "gpus_per_server",
    "phase",
)


def _opt_int_text(value: int | None) -> str:
    return "" if value is None else str(value)


def line_note(line: HardwareLine, as_of: date | None) -> str:
    """How ``line`` counts, in words, when that needs saying (``""`` otherwise)."""
    if not line.counts:
        return "Cancelled: never counted."
    if not line.online:
        return "No online date: counted in “All planned” only, never at a date."
    try:
        online = period_end(line.online)
    except ValueError:
        return ""
    if as_of is not None and online > as_of:
        return f"Online {date_words(online)}: not counted as of {date_words(as_of)}."
    return ""


class HardwareLineCard(QFrame):
    """The fields of one hardware line.

    Parameters
    ----------
    models : sequence of str
        The chip models to offer (the catalogue's).
    parent : QWidget, optional

    Attributes
    ----------
    fields : dict
        Field name (:data:`LINE_FIELDS`) -> its widget, plus ``"remove"``.
    error_label, note_label : QLabel
    """

    edited = Signal()
    removeRequested = Signal()

    def __init__(self, models: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.fields: dict[str, QWidget] = {}

        model = QComboBox(self)
        model.addItems(list(models))
        model.activated.connect(self._on_activated)
        status = QComboBox(self)
        for s in LINE_STATUSES:
            status.addItem(s, s)
        status.activated.connect(self._on_activated)
        status.setToolTip("Where the line stands; a cancelled line never counts")
        for combo in (model, status):
            # Narrow by default: the dock is narrow, and the range needs the room.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(6)
        self.fields["chip_model"] = model
        self.fields["status"] = status
        for key, hint, tip in (
            ("chips", "", "The central estimate"),
            ("chips_low", "= chips", "Low end of the range (blank: the chips figure)"),
            ("chips_high", "= chips", "High end of the range (blank: the chips figure)"),
            (
                "online",
                "YYYY[-MM[-DD]]",
                "When the line comes online, actual or expected: YYYY, YYYY-MM or "
                "YYYY-MM-DD (a year or month means its last day); blank: unknown",
            ),
            ("servers", "", "Servers in this line"),
            ("gpus_per_server", "", "GPUs per server"),
            ("phase", "", "The project phase this line belongs to"),
        ):
            edit = QLineEdit(self)
            edit.setPlaceholderText(hint)
            edit.setToolTip(tip)
            edit.editingFinished.connect(self.edited)
            self.fields[key] = edit
        remove = QPushButton("✕", self)
        remove.setToolTip("Remove this hardware line")
        remove.setFixedWidth(32)
        remove.clicked.connect(self.removeRequested)
        self.fields["remove"] = remove

        self.error_label = QLabel(self)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.note_label = QLabel(self)
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.setWordWrap(True)
        self.note_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note_label.hide()

        range_box = QWidget(self)
        range_row = QHBoxLayout(range_box)
        range_row.setContentsMargins(0, 0, 0, 0)
        range_row.setSpacing(3)
        range_row.addWidget(self.fields["chips_low"])
        range_row.addWidget(QLabel("–", range_box))
        range_row.addWidget(self.fields["chips_high"])
        digits = self.fontMetrics().horizontalAdvance("000000") + 10
        for key in ("chips_low", "chips_high"):
            self.fields[key].setMinimumWidth(digits)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        rows: list[tuple[str, QWidget, str, QWidget]] = [
            ("Model", model, "Phase", self.fields["phase"]),
            ("Chips", self.fields["chips"], "Range", range_box),
            ("Status", status, "Online", self.fields["online"]),
            ("Servers", self.fields["servers"], "GPUs/server", self.fields["gpus_per_server"]),
        ]
        for r, (t1, w1, t2, w2) in enumerate(rows):
            grid.addWidget(QLabel(t1, self), r, 0)
            grid.addWidget(w1, r, 1)
            grid.addWidget(QLabel(t2, self), r, 2)
            grid.addWidget(w2, r, 3)
        grid.addWidget(remove, 0, 4)
        # The second column holds the range's two numbers: give it the larger share.
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 3)
        # The messages go under the grid, in a column layout (which gives wrapped text
        # the height it needs; a cell spanning the grid does not).
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 4, 4)
        column.setSpacing(2)
        column.addLayout(grid)
        column.addWidget(self.note_label)
        column.addWidget(self.error_label)

    # ------------------------------------------------------------------ naming
    def set_index(self, index: int) -> None:
        """Name the card and its widgets for line ``index`` (``field_hardware[i].chips``)."""
        self.setObjectName(f"hardware_line[{index}]")
        for key, widget in self.fields.items():
            name = (
                f"remove_hardware[{index}]" if key == "remove" else f"field_hardware[{index}].{key}"
            )
            widget.setObjectName(name)
        self.error_label.setObjectName(f"error_hardware[{index}]")
        self.note_label.setObjectName(f"note_hardware[{index}]")

    # ------------------------------------------------------------------ values
    def fill(
        self, line: HardwareLine, as_of: date | None, *, chips_text: str | None = None
    ) -> None:
        """Show ``line`` (only the fields whose text differs are touched, so the field
        being typed in keeps its cursor)."""
        model = self.fields["chip_model"]
        assert isinstance(model, QComboBox)
        if model.findText(line.chip_model) < 0:  # not in the catalogue: show, don't hide it
            model.addItem(line.chip_model)
        model.setCurrentText(line.chip_model)
        status = self.fields["status"]
        assert isinstance(status, QComboBox)
        i = status.findData(line.status)
        if i < 0:  # not one of ours: show it rather than a wrong value
            status.addItem(line.status, line.status)
            i = status.count() - 1
        status.setCurrentIndex(i)
        texts = {
            "chips": str(line.chips) if chips_text is None else chips_text,
            "chips_low": _opt_int_text(line.chips_low),
            "chips_high": _opt_int_text(line.chips_high),
            "online": line.online,
            "servers": _opt_int_text(line.servers),
            "gpus_per_server": _opt_int_text(line.gpus_per_server),
            "phase": line.phase,
        }
        for key, text in texts.items():
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            if edit.text() != text:
                edit.setText(text)
                edit.setCursorPosition(0)  # narrow fields show the start, not the end
        self.set_note(line_note(line, as_of))

    def values(self) -> dict[str, str]:
        """The fields' text, as the parser takes it."""
        out: dict[str, str] = {}
        for key in LINE_FIELDS:
            w = self.fields[key]
            if isinstance(w, QComboBox):
                data = w.currentData()
                out[key] = data if isinstance(data, str) else w.currentText()
            else:
                assert isinstance(w, QLineEdit)
                out[key] = w.text()
        return out

    def set_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def set_errors(self, messages: Sequence[str]) -> None:
        """Show ``messages`` under the fields (none: hide the label)."""
        self.error_label.setText("\n".join(messages))
        self.error_label.setVisible(bool(messages))

    def _on_activated(self, _index: int) -> None:
        self.edited.emit()


__all__ = ["LINE_FIELDS", "HardwareLineCard", "line_note"]
