"""The record of a file project's own changes: who, when, which fields, before and after.

A shared catalogue records every change in its ``history`` table; a session on a file
keeps the same :class:`~explorer.io.changelog.ChangeRecord` rows for the commands it
runs, so the History view reads one shape either way. Each command the session builds is
wrapped in :class:`LoggedCommand`; its ``do`` and its ``undo`` each append the rows of the
records they changed (an undo is a new change, as in the database). ``who`` is the OS
user. The rows live as long as the session holds the project (the GeoPackage history
table is where a saved project keeps them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explorer.core.commands import Command
from explorer.core.keyed_store import KeyedStore
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.geo.region_store import RegionEntry
from explorer.io.changelog import ChangeRecord, changed_fields, now_utc
from explorer.session.write_through import change_of, record_json


class LoggedCommand(Command):
    """A command that appends a :class:`ChangeRecord` per record it changes.

    Parameters
    ----------
    inner : Command
        The command as the session built it.
    log : list of ChangeRecord
        Where the rows go (the session's :attr:`~explorer.session.session.Session.
        change_log`).
    sites : SiteStore
        The session's site store (to tell site changes from region changes).
    who : str
        Who is editing (the OS user).
    reason : callable returning str
        The analyst's reason at the time each change is made.
    """

    def __init__(
        self,
        inner: Command,
        log: list[ChangeRecord],
        sites: SiteStore,
        who: str,
        reason: Callable[[], str],
    ) -> None:
        self.inner = inner
        self.text = inner.text
        self._log = log
        self._sites = sites
        self._who = who
        self._reason = reason

    def do(self) -> None:
        self._run(undoing=False)

    def undo(self) -> None:
        self._run(undoing=True)

    def _run(self, *, undoing: bool) -> None:
        store: KeyedStore[Any] = getattr(self.inner, "store")  # noqa: B009 - typed here
        entity = "site" if store is self._sites else "region"
        change = change_of(self.inner, self._sites, undoing=undoing)
        puts: list[Site | RegionEntry] = [*change.sites_put, *change.regions_put]
        ids = [*(x.id for x in puts), *change.sites_gone, *change.regions_gone]
        before = {key: record_json(store.get(key) if key in store else None) for key in ids}
        if undoing:
            self.inner.undo()
        else:
            self.inner.do()
        at = now_utc()
        reason = self._reason()
        for key in ids:
            after = record_json(store.get(key) if key in store else None)
            if after == before[key]:
                continue
            action = "insert" if before[key] is None else "delete" if after is None else "update"
            self._log.append(
                ChangeRecord(
                    at,
                    self._who,
                    entity,
                    key,
                    action,
                    changed_fields(before[key], after),
                    before[key],
                    after,
                    reason,
                )
            )


__all__ = ["LoggedCommand"]
