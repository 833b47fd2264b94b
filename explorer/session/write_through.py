"""Commands that write through to a shared catalogue before they change anything here.

In team mode every command the session builds is wrapped in :class:`WriteThrough`: its
``do`` (and ``undo``, which is a new change in the database, never a rewind) first writes
the change in one transaction, naming the versions it was based on; only when the
database has taken it does the local store change. A refused write (a stale edit, a
read-only role, a lost connection) raises and changes nothing here.

Two checks come before the database is asked:

* the values to write are validated against the chip catalogue (a value the local store
  would refuse must never reach the database first);
* the local store must still hold what the command expects to find: an undo puts back the
  value from before *my* edit, so when another client's change has been taken in since
  (:meth:`~explorer.session.session.Session.pull`), writing it would silently undo theirs
  too. That is refused as a :class:`StaleEdit` naming the record, like a stale version.

After the analyst chose "keep mine", :meth:`WriteThrough.write` is called with
``force=True`` and :meth:`WriteThrough.prepare_local` makes the local store hold what the
command expects, so applying it locally cannot fail on what others changed meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.core.commands import AddItems, Command, DeleteItems, ReplaceItem
from explorer.core.keyed_store import KeyedStore
from explorer.core.schema import Site, check_site
from explorer.core.store import SiteStore
from explorer.geo.region_store import RegionEntry
from explorer.io.database.catalogue import ChangeSet, StaleEdit, region_json, site_json

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


def record_json(item: Site | RegionEntry | None) -> dict[str, Any] | None:
    """A site's or region's JSON as history keeps it (None for an absent record)."""
    if item is None:
        return None
    if isinstance(item, Site):
        return site_json(item)
    return region_json(item)


def expected_before(command: Command, *, undoing: bool) -> dict[str, Any]:
    """What the local store must hold, per id, for ``command`` (or its undo) to apply
    as recorded: the value, or None where the record must be absent."""
    if isinstance(command, AddItems):
        return {i.id: (i if undoing else None) for i in command.items}
    if isinstance(command, DeleteItems):
        if undoing:
            return {item.id: None for _, item in command._removed}
        if command._removed:  # a redo: the records must still be as they were deleted
            return {item.id: item for _, item in command._removed}
        return {}  # a first delete is built from the store as it is now
    if isinstance(command, ReplaceItem):
        value = command.new if undoing else command.old
        return {value.id: value}
    raise TypeError(f"cannot write a {type(command).__name__} to a database")


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
        The analyst's reason, kept in history (the session sets it again before an undo
        or redo is written, so those carry the reason given at that time).
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

    @property
    def store(self) -> KeyedStore[Any]:
        """The store the command changes (the session's sites or regions)."""
        store = getattr(self.inner, "store", None)
        assert isinstance(store, KeyedStore)
        return store

    @property
    def entity(self) -> str:
        """``site`` or ``region``: what the command changes, as history names it."""
        return "site" if self.store is self.sites else "region"

    def record_ids(self, *, undoing: bool) -> list[str]:
        """The ids of the records the command (or its undo) writes."""
        change = change_of(self.inner, self.sites, undoing=undoing)
        puts: list[Site | RegionEntry] = [*change.sites_put, *change.regions_put]
        return [*(x.id for x in puts), *change.sites_gone, *change.regions_gone]

    def local_conflict(self, *, undoing: bool) -> StaleEdit | None:
        """A :class:`StaleEdit` when the local store no longer holds what the command
        expects (someone else's change was taken in since), else None."""
        store = self.store
        change = change_of(self.inner, self.sites, undoing=undoing)
        puts: list[Site | RegionEntry] = [*change.sites_put, *change.regions_put]
        mine: dict[str, Any] = {x.id: x for x in puts}
        for key, want in expected_before(self.inner, undoing=undoing).items():
            now = store.get(key) if key in store else None
            if now != want:
                return StaleEdit(
                    self.entity,
                    key,
                    record_json(mine.get(key)),
                    record_json(now),
                    self.database.version(self.entity, key),
                )
        return None

    def write(self, *, undoing: bool, force: bool = False) -> None:
        """Write the change (or its undo) now; :meth:`do`/:meth:`undo` will not write it
        again. Raises :class:`StaleEdit` (a local or a database conflict, unless
        ``force``), ``ValidationError`` (a value the store would refuse), or as
        :meth:`DatabaseCatalogue.write`."""
        change = change_of(self.inner, self.sites, undoing=undoing)
        for site in change.sites_put:
            check_site(site, self.sites.catalogue)
        if not force:
            conflict = self.local_conflict(undoing=undoing)
            if conflict is not None:
                raise conflict
        self.database.write(change, reason=self.reason, force=force)
        self._written = undoing

    def rebase(self) -> None:
        """Base a new edit on what the local store holds now (after taking in the
        records as they are in the database), so that its undo goes back to *their*
        value, not to the one this client held when it was refused.

        An edit of a record someone else deleted becomes an add of my value (its undo
        deletes it again).
        """
        inner = self.inner
        if isinstance(inner, ReplaceItem):
            store = self.store
            key = inner.new.id
            if key in store:
                inner.old = store.get(key)
            else:
                self.inner = AddItems(store, [inner.new], text=inner.text)

    def prepare_local(self, *, undoing: bool) -> None:
        """Make the local store hold what the command (or its undo) expects to find.

        Used after a forced write ("keep mine"): records others changed, deleted or added
        meanwhile are first set to the state the command was recorded against, so the
        command then applies as it would have, and the store ends up as the database.
        """
        store = self.store
        inner = self.inner
        if isinstance(inner, DeleteItems) and not undoing and not inner._removed:
            # A first delete of records someone else deleted meanwhile: delete the rest.
            inner.ids = [key for key in inner.ids if key in store]
        for key, want in expected_before(inner, undoing=undoing).items():
            if want is None:
                if key in store:
                    store.remove([key])
            elif key in store:
                store.replace(want)
            else:
                store.insert([want])

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


__all__ = ["WriteThrough", "change_of", "expected_before", "record_json"]
