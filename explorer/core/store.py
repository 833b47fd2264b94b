"""The evented site store: the single source of truth the views observe."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from explorer.core.errors import Problem, ValidationError
from explorer.core.events import Event
from explorer.core.schema import Site, check_site


class SiteStore:
    """Ordered collection of :class:`Site` keyed by id.

    Events
    ------
    inserted(list[Site])
        Sites were added (in store order, appended at the end or at given positions).
    removed(list[Site])
        Sites were removed (the removed values).
    changed(Site, Site)
        One site's value changed (old, new). Only emitted when the value differs.
    reset()
        Everything was replaced (open a file, new project).
    """

    def __init__(self, sites: Iterable[Site] = ()) -> None:
        self._sites: dict[str, Site] = {}
        self.metadata: dict[str, Any] = {}
        self.inserted = Event("inserted")
        self.removed = Event("removed")
        self.changed = Event("changed")
        self.reset_done = Event("reset")
        self._load(sites)

    # ------------------------------------------------------------------ reading
    def __iter__(self) -> Iterator[Site]:
        return iter(self._sites.values())

    def __len__(self) -> int:
        return len(self._sites)

    def __contains__(self, sid: object) -> bool:
        return sid in self._sites

    def get(self, sid: str) -> Site:
        return self._sites[sid]

    def ids(self) -> list[str]:
        return list(self._sites)

    def sites(self) -> list[Site]:
        return list(self._sites.values())

    def new_id(self, prefix: str = "site") -> str:
        """An id not yet used, ``prefix-N`` with the smallest free N."""
        prefix = re.sub(r"[^A-Za-z0-9._:-]", "-", prefix).strip("-") or "site"
        n = 1
        while f"{prefix}-{n}" in self._sites:
            n += 1
        return f"{prefix}-{n}"

    # ------------------------------------------------------------------ writing
    def _load(self, sites: Iterable[Site]) -> None:
        new: dict[str, Site] = {}
        for s in sites:
            if s.id in new:
                raise ValidationError(Problem("id", s.id, f"duplicate id '{s.id}'", where=s.id))
            new[s.id] = s
        self._sites = new

    def reset(self, sites: Iterable[Site], metadata: dict[str, Any] | None = None) -> None:
        """Replace everything (validation of ids happens before anything changes)."""
        self._load(sites)
        self.metadata = dict(metadata or {})
        self.reset_done.emit()

    def insert(self, sites: list[Site], positions: list[int] | None = None) -> None:
        """Add validated sites; ``positions`` (ascending) restores order on undo."""
        for s in sites:
            check_site(s)
            if s.id in self._sites:
                raise ValidationError(Problem("id", s.id, f"duplicate id '{s.id}'", where=s.id))
        if positions is None:
            self._sites.update((s.id, s) for s in sites)
        else:
            items = list(self._sites.items())
            for pos, s in sorted(zip(positions, sites, strict=True), key=lambda t: t[0]):
                items.insert(pos, (s.id, s))
            self._sites = dict(items)
        self.inserted.emit(list(sites))

    def remove(self, ids: list[str]) -> list[tuple[int, Site]]:
        """Remove sites; returns (position, site) pairs for undo."""
        missing = [i for i in ids if i not in self._sites]
        if missing:
            raise KeyError(f"no site with id {missing[0]!r}")
        position = {sid: n for n, sid in enumerate(self._sites)}
        removed = sorted((position[i], self._sites[i]) for i in dict.fromkeys(ids))
        for _, s in removed:
            del self._sites[s.id]
        self.removed.emit([s for _, s in removed])
        return removed

    def replace(self, site: Site) -> bool:
        """Replace the site with the same id; returns False when nothing changed."""
        old = self._sites[site.id]
        if old == site:
            return False
        check_site(site)
        self._sites[site.id] = site
        self.changed.emit(old, site)
        return True
