"""An ordered, evented collection of immutable items keyed by a stable id.

:class:`~explorer.core.store.SiteStore` and :class:`~explorer.geo.region_store.RegionStore`
are both this: views follow the same four events, and the undoable commands in
:mod:`explorer.core.commands` work on either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from explorer.core.events import Event


class Keyed(Protocol):
    """Anything with a stable string ``id``."""

    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Keyed)


class KeyedStore(Generic[T]):
    """Ordered items keyed by ``item.id``.

    Subclasses say what a valid item is (:meth:`_check`) and how a clash of ids is
    reported (:meth:`_duplicate`); every change goes through :meth:`insert`,
    :meth:`remove`, :meth:`replace` or :meth:`_reset_items`.

    Events
    ------
    inserted(list[T])
        Items were added (appended, or at given positions on undo).
    removed(list[T])
        Items were removed (the removed values, in store order).
    changed(T, T)
        One item's value changed ``(old, new)``; only emitted when the value differs.
    reset_done()
        Everything was replaced (a file opened, a new project).
    """

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self.inserted = Event("inserted")
        self.removed = Event("removed")
        self.changed = Event("changed")
        self.reset_done = Event("reset")

    # ------------------------------------------------------------------ hooks
    def _check(self, item: T) -> None:
        """Raise if ``item`` may not enter the store (the one validation of an edit)."""

    def _duplicate(self, key: str) -> Exception:
        return ValueError(f"duplicate id '{key}'")

    # ------------------------------------------------------------------ reading
    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str) -> T:
        return self._items[key]

    def ids(self) -> list[str]:
        return list(self._items)

    # ------------------------------------------------------------------ writing
    def _reset_items(self, items: Iterable[T]) -> None:
        """Replace every item (duplicate ids are refused before anything changes)."""
        new: dict[str, T] = {}
        for item in items:
            if item.id in new:
                raise self._duplicate(item.id)
            new[item.id] = item
        self._items = new

    def insert(self, items: list[T], positions: list[int] | None = None) -> None:
        """Add items after checking each; ``positions`` (ascending) restores order on undo."""
        for item in items:
            self._check(item)
            if item.id in self._items:
                raise self._duplicate(item.id)
        if positions is None:
            self._items.update((item.id, item) for item in items)
        else:
            pairs = list(self._items.items())
            for pos, item in sorted(zip(positions, items, strict=True), key=lambda t: t[0]):
                pairs.insert(pos, (item.id, item))
            self._items = dict(pairs)
        self.inserted.emit(list(items))

    def remove(self, ids: list[str]) -> list[tuple[int, T]]:
        """Remove items (an id given twice is removed once); returns (position, item)
        pairs for undo. An unknown id raises ``KeyError`` before anything changes."""
        ids = list(dict.fromkeys(ids))
        for key in ids:
            if key not in self._items:
                raise KeyError(f"no {self._noun} with id {key!r}")
        position = {key: n for n, key in enumerate(self._items)}
        removed = sorted(((position[key], self._items[key]) for key in ids), key=lambda t: t[0])
        for _, item in removed:
            del self._items[item.id]
        self.removed.emit([item for _, item in removed])
        return removed

    def replace(self, item: T) -> bool:
        """Replace the item with the same id; returns False when nothing changed."""
        old = self._items[item.id]
        if old == item:
            return False
        self._check(item)
        self._items[item.id] = item
        self.changed.emit(old, item)
        return True

    _noun = "item"


__all__ = ["Keyed", "KeyedStore"]
