"""File → Open Database…: a catalogue URL, the recent databases, a one-line error.

The recent list holds URLs *without* their passwords (:func:`~explorer.io.database.url.
display_url`): a password is never written to the settings. Picking a recent database
fills the URL field; libpq then finds the password where it keeps them (``~/.pgpass``,
``PGPASSWORD``), or the analyst types it into the URL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.io.database.url import is_database_url

#: An example URL, shown in the empty field.
URL_EXAMPLE = "postgresql://user@host:5432/catalogue"

#: Opens a URL; returns None on success or the one-line reason it could not.
Opener = Callable[[str], "str | None"]


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class OpenDatabaseDialog(QDialog):
    """Ask for a shared catalogue's URL and open it.

    Parameters
    ----------
    recent : sequence of str
        Recent databases, newest first, already without passwords.
    opener : callable(str) -> str or None
        Opens the URL (the window's door); the dialog closes when it returns None and
        shows the returned message otherwise.
    parent : QWidget, optional
    """

    def __init__(
        self, recent: Sequence[str], opener: Opener, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("open_database_dialog")
        self.setWindowTitle("Open Database")
        self._opener = opener
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("database_url")
        self.url_edit.setPlaceholderText(URL_EXAMPLE)
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.returnPressed.connect(self.try_open)
        self.recent_list = QListWidget(self)
        self.recent_list.setObjectName("recent_databases")
        for url in recent:
            QListWidgetItem(url, self.recent_list)
        if not recent:
            none = QListWidgetItem("(none yet)", self.recent_list)
            none.setFlags(Qt.ItemFlag.NoItemFlags)
        self.recent_list.currentItemChanged.connect(self._on_recent_chosen)
        self.recent_list.itemDoubleClicked.connect(lambda _item: self.try_open())
        self.error_label = _plain("", self)
        self.error_label.setObjectName("database_error")
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        buttons.accepted.connect(self.try_open)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(
            _plain(
                "A shared catalogue on PostgreSQL/PostGIS. Edits are written to it at once "
                "and every change is kept in its history.",
                self,
            )
        )
        layout.addWidget(_plain("URL", self))
        layout.addWidget(self.url_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(_plain("Recent databases (passwords are never kept)", self))
        layout.addWidget(self.recent_list, 1)
        layout.addWidget(buttons)
        self.resize(560, 340)

    @property
    def error(self) -> str:
        """The message shown for the last attempt (empty when none)."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def try_open(self) -> bool:
        """Open the URL in the field; close on success, else show why (one line)."""
        url = self.url_edit.text().strip()
        if not is_database_url(url):
            shown = url if len(url) <= 80 else url[:79] + "…"
            return self._fail(f"Not a database URL: '{shown}' (e.g. {URL_EXAMPLE})")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            problem = self._opener(url)
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problem:
            return self._fail(problem)
        self.error_label.hide()
        self.accept()
        return True

    def _fail(self, message: str) -> bool:
        self.error_label.setText(" ".join(message.split()))
        self.error_label.show()
        return False

    def _on_recent_chosen(self, item: QListWidgetItem | None, _old: object = None) -> None:
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.url_edit.setText(item.text())


__all__ = ["URL_EXAMPLE", "OpenDatabaseDialog"]
