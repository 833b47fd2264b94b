"""Undoable commands. Plain Python: ``ui/`` wraps them for ``QUndoStack``.

Every user action that changes data is one of these, and only the session
(:class:`explorer.session.Session`) builds them. ``do`` may be called again after
``undo`` (redo) and must give exactly the same result. Commands do not validate: the
store they act on checks every value once, before anything changes.

The three shapes (add, delete, replace one) work on any
:class:`~explorer.core.keyed_store.KeyedStore`; the site and region names below only
set the default menu text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic

from explorer.core.keyed_store import KeyedStore, T


class Command:
    """Base class: ``text`` is shown in the Edit menu ("Undo <text>")."""

    text: str = ""

    def do(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


@dataclass
class AddItems(Command, Generic[T]):
    """Add items at the end; undo removes them."""

    store: KeyedStore[T]
    items: list[T]
    text: str = "Add"

    def do(self) -> None:
        self.store.insert(list(self.items))

    def undo(self) -> None:
        self.store.remove([item.id for item in self.items])


@dataclass
class DeleteItems(Command, Generic[T]):
    """Remove items by id; undo puts them back where they were."""

    store: KeyedStore[T]
    ids: list[str]
    text: str = "Delete"
    _removed: list[tuple[int, Any]] = field(default_factory=list, repr=False)

    def do(self) -> None:
        self._removed = self.store.remove(list(self.ids))

    def undo(self) -> None:
        self.store.insert([item for _, item in self._removed], [p for p, _ in self._removed])


@dataclass
class ReplaceItem(Command, Generic[T]):
    """Replace one item's value (an edit of any attribute, never of its id)."""

    store: KeyedStore[T]
    old: T
    new: T
    text: str = "Edit"

    def __post_init__(self) -> None:
        if self.old.id != self.new.id:
            raise ValueError(f"an edit cannot change an id ('{self.old.id}' -> '{self.new.id}')")

    def do(self) -> None:
        self.store.replace(self.new)

    def undo(self) -> None:
        self.store.replace(self.old)


@dataclass
class AddSites(AddItems[Any]):
    text: str = "Add site"


@dataclass
class DeleteSites(DeleteItems[Any]):
    text: str = "Delete site"


@dataclass
class EditSite(ReplaceItem[Any]):
    text: str = "Edit site"


@dataclass
class AddRegions(AddItems[Any]):
    text: str = "Add region"


@dataclass
class DeleteRegions(DeleteItems[Any]):
    text: str = "Delete region"


@dataclass
class EditRegion(ReplaceItem[Any]):
    """Replace a region's shape or name (rename, vertex drag, radius change)."""

    text: str = "Edit region"


__all__ = [
    "AddItems",
    "AddRegions",
    "AddSites",
    "Command",
    "DeleteItems",
    "DeleteRegions",
    "DeleteSites",
    "EditRegion",
    "EditSite",
    "ReplaceItem",
]
