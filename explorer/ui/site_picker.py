"""A searchable choice of another site, for a site's ``part_of`` and ``supersedes``.

:class:`SiteNamesModel` lists every site of the store as ``Name (id)`` (sorted by name)
after a first ``(none)`` row, and follows the store (once per burst of changes).
:class:`SitePicker` is an editable combo box over it that leaves out the site being
edited (its model reads the shared lists; no Qt item per site); typing filters the list
by any part of a name or id. The picker resolves what was typed to an id
(:meth:`SitePicker.chosen_id`); text that names no site is returned as typed, for the
panel to refuse with a message.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.io.site_columns import SiteColumns
from explorer.ui.idle_queue import IdleQueue, Steps, Urgency, run_steps
from explorer.ui.qt_store import StoreSignals
from explorer.ui.text_order import STEP_ROWS, casefold_steps, sorted_order_steps

#: The row that means "no site".
NONE_TEXT = "(none)"
#: Role holding a row's site id (``""`` on the none row).
SiteIdRole = int(Qt.ItemDataRole.UserRole) + 31


def site_choice_text(name: str, sid: str) -> str:
    """``Yiwu block A (yiwu-a)``."""
    return f"{name} ({sid})"


class SiteNamesModel(QObject):
    """``(none)`` then every site of ``store`` as ``Name (id)``, sorted by name: the
    list the pickers of a panel share, kept as plain lists.

    A Qt item per site cost 1.5 s of the UI thread at 100,000 sites (and a Python
    filter call per row for each picker); the pickers' models
    (:class:`_OtherSites`) read these lists instead, a row at a time as the view asks.

    Parameters
    ----------
    store : SiteStore
    parent : QObject, optional
    idle : IdleQueue, optional
        Where a rebuild waits for a free turn of the event loop (shared with the
        window's other views; a private one by default).

    Signals
    -------
    rebuilt()
        The lists were rebuilt (sites came, went or were renamed).
    """

    rebuilt = Signal()

    def __init__(
        self, store: SiteStore, parent: QObject | None = None, *, idle: IdleQueue | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.ids: list[str] = []
        self._row_of: dict[str, int] | None = None
        #: id -> name of every site of the store, kept by its events (reading the names
        #: from the store again would build every site of a file held as rows).
        self.names: dict[str, str] = {}
        # Rebuilt when the event loop is free, after what is shown (see IdleQueue).
        self._idle = idle if idle is not None else IdleQueue(self)
        self._events = StoreSignals(store, self)
        self._events.inserted.connect(self._on_inserted)
        self._events.removed.connect(self._on_removed)
        self._events.reset_done.connect(self._on_reset)
        self._events.changed.connect(self._on_changed)
        self._read_names()
        self.rebuild()

    def _read_names(self) -> None:
        rows = self.store.rows_as_loaded()
        if isinstance(rows, SiteColumns):
            self.names = dict(rows.names_by_id())  # a copy: this one follows the store
        else:
            self.names = {s.id: s.name for s in self.store}

    def rebuild(self) -> None:
        """List the store's sites now: by name (case folded), then id."""
        self._idle.cancel(self, "rebuild")
        run_steps(self._rebuild_steps())

    def _rebuild_steps(self) -> Steps:
        """:meth:`rebuild` in steps of a few tens of milliseconds, Arrow's sort on the
        queue's helper thread (at a million sites, 0.3-0.9 s at once). A change of the
        names meanwhile asks for a rebuild again, which starts over."""
        sids = list(self.names)
        names = list(self.names.values())
        folded = yield from casefold_steps(names)
        # By Arrow from FAST_FROM sites (a tuple per site and Python comparisons took
        # 2 s at a million sites), in the order Python's sort gives.
        order = yield from sorted_order_steps(folded, sids, self._idle.off_thread)
        ids = [""]
        for start in range(0, len(order), STEP_ROWS):
            if start:
                yield None
            ids += [sids[i] for i in order[start : start + STEP_ROWS]]
        self.ids = ids
        self._row_of = None
        self.rebuilt.emit()

    @property
    def row_of(self) -> dict[str, int]:
        """Each listed site's row (``""``: 0), built when first asked after a rebuild
        (a picker showing a site), not with the list (0.6 s at a million sites)."""
        if self._row_of is None:
            self._row_of = {sid: i for i, sid in enumerate(self.ids)}
        return self._row_of

    def text(self, row: int) -> str:
        """Row ``row``'s text: ``(none)`` or ``Name (id)``, made when shown, not kept (a
        site renamed or removed since the last rebuild, which follows on the next turn of
        the event loop, shows its current name, or none)."""
        sid = self.ids[row]
        return site_choice_text(self.names.get(sid, ""), sid) if sid else NONE_TEXT

    def id_of_text(self, text: str) -> str | None:
        """The id of the site of the store whose row text is exactly ``text``, or None
        (read from the names, without the row index)."""
        if text == NONE_TEXT:
            return ""
        if not text.endswith(")"):
            return None
        # The id is in the last brackets that make the whole text a row's text (a name
        # or an id may hold brackets of its own: try each opening bracket).
        start = text.rfind(" (")
        while start >= 0:
            sid = text[start + 2 : -1]
            if sid in self.names and site_choice_text(self.names[sid], sid) == text:
                return sid
            start = text.rfind(" (", 0, start)
        return None

    def _schedule(self, *_: object) -> None:
        self._idle.request(self, "rebuild", self._rebuild_steps, Urgency.LIST)

    def _on_reset(self) -> None:
        self._read_names()
        self._schedule()

    def _on_inserted(self, sites: list[Site]) -> None:
        self.names.update((s.id, s.name) for s in sites)
        self._schedule()

    def _on_removed(self, sites: list[Site]) -> None:
        for s in sites:
            self.names.pop(s.id, None)
        self._schedule()

    def _on_changed(self, old: Site, new: Site) -> None:
        if old.name != new.name:
            self.names[new.id] = new.name
            self._schedule()


class _OtherSites(QAbstractListModel):
    """The shared list but the row of the site being edited."""

    def __init__(self, names: SiteNamesModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.names = names
        self._exclude = ""
        self._skip: int | None = None  # the shared row left out
        names.rebuilt.connect(lambda: self._reset(self._exclude))

    def set_exclude(self, sid: str) -> None:
        if sid != self._exclude:
            self._reset(sid)

    def _reset(self, sid: str) -> None:
        self.beginResetModel()
        self._exclude = sid
        self._skip = self.names.row_of.get(sid) if sid else None
        self.endResetModel()

    def shared_row(self, row: int) -> int:
        return row + 1 if self._skip is not None and row >= self._skip else row

    def row_for(self, sid: str) -> int:
        """This model's row of site ``sid`` (0 for ``""``), or -1."""
        shared = self.names.row_of.get(sid)
        if shared is None or shared == self._skip:
            return -1
        return shared - 1 if self._skip is not None and shared > self._skip else shared

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        if parent.isValid():
            return 0
        return len(self.names.ids) - (1 if self._skip is not None else 0)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        r = self.shared_row(index.row())
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.EditRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return self.names.text(r)
        if role == SiteIdRole:
            return self.names.ids[r]
        return None


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
        self._proxy = _OtherSites(names, self)
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
        return self._proxy.row_for(sid)

    def chosen_id(self) -> str:
        """The id that the text names: a row's text, ``(none)``/blank, an id, or a name
        held by exactly one site; otherwise the text itself (stripped)."""
        text = self.currentText().strip()
        if text in ("", NONE_TEXT):
            return ""
        sid = self.names.id_of_text(text)
        if sid and self._proxy.row_for(sid) >= 0:
            return sid
        store = self.names.store
        if text in store:
            return text
        wanted = text.casefold()
        named = [sid for sid, name in self.names.names.items() if name.casefold() == wanted]
        return named[0] if len(named) == 1 else text


__all__ = ["NONE_TEXT", "SiteIdRole", "SiteNamesModel", "SitePicker", "site_choice_text"]
