"""A searchable choice of another site, for a site's ``part_of`` and ``supersedes``.

:class:`SiteNamesModel` lists every site of the store as ``Name (id)`` (sorted by name)
after a first ``(none)`` row, and follows the store (once per burst of changes).
:class:`SitePicker` is an editable combo box over it that leaves out the site being
edited; typing filters the list by any part of a name or id. The picker resolves
what was typed to an id (:meth:`SitePicker.chosen_id`); text that names no site is
returned as typed, for the panel to refuse with a message.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from explorer.core.store import SiteStore
from explorer.ui.qt_store import StoreSignals
from explorer.ui.tables import change_filter

#: The row that means "no site".
NONE_TEXT = "(none)"
#: Role holding a row's site id (``""`` on the none row).
SiteIdRole = int(Qt.ItemDataRole.UserRole) + 31


def site_choice_text(name: str, sid: str) -> str:
    """``Yiwu block A (yiwu-a)``."""
    return f"{name} ({sid})"


class SiteNamesModel(QStandardItemModel):
    """``(none)`` then every site of ``store`` as ``Name (id)``, sorted by name."""

    def __init__(self, store: SiteStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.rebuild)
        self._events = StoreSignals(store, self)
        for sig in (self._events.inserted, self._events.removed, self._events.reset_done):
            sig.connect(self._schedule)
        self._events.changed.connect(self._on_changed)
        self.rebuild()

    def rebuild(self) -> None:
        """List the store's sites now."""
        self._timer.stop()
        self.clear()
        none = QStandardItem(NONE_TEXT)
        none.setData("", SiteIdRole)
        rows = [none]
        for site in sorted(self.store, key=lambda s: (s.name.casefold(), s.id)):
            item = QStandardItem(site_choice_text(site.name, site.id))
            item.setData(site.id, SiteIdRole)
            item.setToolTip(site_choice_text(site.name, site.id))
            rows.append(item)
        self.invisibleRootItem().appendRows(rows)

    def _schedule(self, *_: object) -> None:
        self._timer.start()

    def _on_changed(self, old: object, new: object) -> None:
        if getattr(old, "name", None) != getattr(new, "name", None):
            self._schedule()


class _OtherSites(QSortFilterProxyModel):
    """Every row but the one of the site being edited."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._exclude = ""

    def set_exclude(self, sid: str) -> None:
        if sid != self._exclude:
            change_filter(self, lambda: setattr(self, "_exclude", sid))

    def filterAcceptsRow(  # noqa: N802 - Qt override
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        sid = self.sourceModel().index(source_row, 0, source_parent).data(SiteIdRole)
        return not self._exclude or sid != self._exclude


class SitePicker(QComboBox):
    """Choose another site by name or id, or none.

    Parameters
    ----------
    names : SiteNamesModel
        Shared by the pickers of a panel.
    parent : QWidget, optional
    """

    def __init__(self, names: SiteNamesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = names
        self._proxy = _OtherSites(self)
        self._proxy.setSourceModel(names)
        self.setModel(self._proxy)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        completer = QCompleter(self._proxy, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        line = self.lineEdit()
        assert line is not None
        line.setPlaceholderText("type a name or id")

    def set_site(self, own_id: str, chosen: str) -> None:
        """Edit the reference of site ``own_id`` (left out of the list), showing
        ``chosen`` (an id; ``""`` for none; an id not in the data is shown as typed)."""
        self._proxy.set_exclude(own_id)
        i = self.index_of(chosen)
        if i >= 0:
            self.setCurrentIndex(i)
            self.setEditText(self.itemText(i))
        else:
            self.setCurrentIndex(-1)
            self.setEditText(chosen)

    def index_of(self, sid: str) -> int:
        """The row of site ``sid`` (0 for ``""``), or -1."""
        for i in range(self.count()):
            if self.itemData(i, SiteIdRole) == sid:
                return i
        return -1

    def chosen_id(self) -> str:
        """The id that the text names: a row's text, ``(none)``/blank, an id, or a name
        held by exactly one site; otherwise the text itself (stripped)."""
        text = self.currentText().strip()
        if text in ("", NONE_TEXT):
            return ""
        for i in range(self.count()):
            if self.itemText(i) == text:
                return str(self.itemData(i, SiteIdRole))
        store = self.names.store
        if text in store:
            return text
        named = [s.id for s in store if s.name.casefold() == text.casefold()]
        return named[0] if len(named) == 1 else text


__all__ = ["NONE_TEXT", "SiteIdRole", "SiteNamesModel", "SitePicker", "site_choice_text"]
