"""Undoable commands. Plain Python: ``ui/`` wraps them for ``QUndoStack``.

Every user action that changes data is one of these. ``do`` may be called again
after ``undo`` (redo) and must give exactly the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.core.schema import Site, check_site
from explorer.core.store import SiteStore


class Command:
    """Base class: ``text`` is shown in the Edit menu ("Undo <text>")."""

    text: str = ""

    def do(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


@dataclass
class AddSites(Command):
    store: SiteStore
    sites: list[Site]
    text: str = "Add site"

    def __post_init__(self) -> None:
        for s in self.sites:
            check_site(s)

    def do(self) -> None:
        self.store.insert(list(self.sites))

    def undo(self) -> None:
        self.store.remove([s.id for s in self.sites])


@dataclass
class DeleteSites(Command):
    store: SiteStore
    ids: list[str]
    text: str = "Delete site"
    _removed: list[tuple[int, Site]] = field(default_factory=list, repr=False)

    def do(self) -> None:
        self._removed = self.store.remove(list(self.ids))

    def undo(self) -> None:
        self.store.insert([s for _, s in self._removed], [p for p, _ in self._removed])


@dataclass
class EditSite(Command):
    """Replace one site's value (any attribute, including its location)."""

    store: SiteStore
    old: Site
    new: Site
    text: str = "Edit site"

    def __post_init__(self) -> None:
        if self.old.id != self.new.id:
            raise ValueError("EditSite cannot change a site's id")
        check_site(self.new)

    def do(self) -> None:
        self.store.replace(self.new)

    def undo(self) -> None:
        self.store.replace(self.old)


# --------------------------------------------------------------------------- regions
# Imported here, not at the top, so site commands stay usable without geo loaded.
from explorer.core.region_store import RegionEntry, RegionStore  # noqa: E402


@dataclass
class AddRegions(Command):
    store: RegionStore
    entries: list[RegionEntry]
    text: str = "Add region"

    def do(self) -> None:
        self.store.insert(list(self.entries))

    def undo(self) -> None:
        self.store.remove([e.id for e in self.entries])


@dataclass
class DeleteRegions(Command):
    store: RegionStore
    ids: list[str]
    text: str = "Delete region"
    _removed: list[tuple[int, RegionEntry]] = field(default_factory=list, repr=False)

    def do(self) -> None:
        self._removed = self.store.remove(list(self.ids))

    def undo(self) -> None:
        self.store.insert([e for _, e in self._removed], [p for p, _ in self._removed])


@dataclass
class EditRegion(Command):
    """Replace a region's shape or name (rename, vertex drag, radius change)."""

    store: RegionStore
    old: RegionEntry
    new: RegionEntry
    text: str = "Edit region"

    def __post_init__(self) -> None:
        if self.old.id != self.new.id:
            raise ValueError("EditRegion cannot change a region's id")

    def do(self) -> None:
        self.store.replace(self.new)

    def undo(self) -> None:
        self.store.replace(self.old)
