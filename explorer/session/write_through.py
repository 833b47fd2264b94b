"""Commands that write through to a shared catalogue before they change anything here.

In team mode every command the session builds is wrapped in :class:`WriteThrough`: its
``do`` (and ``undo``, which is a new change in the database, never a rewind) first writes
the change in one transaction, naming the versions it was based on; only when the
database has taken it does the local store change. A refused write (a stale edit, a
read-only role, a lost connection) raises and changes nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.core.commands import AddItems, Command, DeleteItems, ReplaceItem
from explorer.core.store import SiteStore
from explorer.io.database.catalogue import ChangeSet

if TYPE_CHECKING:
    from explorer.io.database.catalogue import DatabaseCatalogue


def change_of(command: Command, sites: SiteStore, *, undoing: bool) -> ChangeSet:
    """What ``command`` does to the catalogue (or its undo does).

    ``sites`` tells the site store from the region store.
    """
    store = getattr(command, "store", None)
    is_site = store is sites
    put: tuple[Any, ...] = ()
    gone: tuple[str, ...] = ()
    if isinstance(command, AddItems):
        if undoing:
            gone = tuple(item.id for item in command.items)
        else:
            put = tuple(command.items)
    elif isinstance(command, DeleteItems):
        if undoing:
            put = tuple(item for _, item in command._removed)
        else:
            gone = tuple(dict.fromkeys(command.ids))
    elif isinstance(command, ReplaceItem):
        put = (command.old if undoing else command.new,)
    else:
        raise TypeError(f"cannot write a {type(command).__name__} to a database")
    if is_site:
        return ChangeSet(sites_put=put, sites_gone=gone)
    return ChangeSet(regions_put=put, regions_gone=gone)


class WriteThrough(Command):
    """A command that writes to ``database`` before changing the local store.

    Parameters
    ----------
    inner : Command
        The command as the session built it.
    database : DatabaseCatalogue
    sites : SiteStore
        The session's site store (to tell site changes from region changes).
    reason : str
        The analyst's reason, kept in history.
    """

    def __init__(
        self, inner: Command, database: DatabaseCatalogue, sites: SiteStore, reason: str = ""
    ) -> None:
        self.inner = inner
        self.text = inner.text
        self.database = database
        self.sites = sites
        self.reason = reason
        self._written: bool | None = None  # which way was written ahead, if any

    def write(self, *, undoing: bool, force: bool = False) -> None:
        """Write the change (or its undo) now; :meth:`do`/:meth:`undo` will not write it
        again. Raises as :meth:`DatabaseCatalogue.write`."""
        change = change_of(self.inner, self.sites, undoing=undoing)
        self.database.write(change, reason=self.reason, force=force)
        self._written = undoing

    def do(self) -> None:
        if self._written is not False:
            self.write(undoing=False)
        self._written = None
        self.inner.do()

    def undo(self) -> None:
        if self._written is not True:
            self.write(undoing=True)
        self._written = None
        self.inner.undo()


__all__ = ["WriteThrough", "change_of"]
