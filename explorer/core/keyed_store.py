"""An ordered, evented collection of immutable items keyed by a stable id.

:class:`~explorer.core.store.SiteStore` and :class:`~explorer.geo.region_store.RegionStore`
are both this: views follow the same four events, and the undoable commands in
:mod:`explorer.core.commands` work on either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

from explorer.core.events import Event


class Keyed(Protocol):
    """Anything with a stable string ``id``."""

    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Keyed)
T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class Rows(Protocol[T_co]):
    """Items held as rows of a table, built one by one when asked for (a file read into
    columns: :class:`~explorer.io.site_columns.SiteColumns`)."""

    def __len__(self) -> int: ...

    def row_ids(self) -> list[str]:
        """The id of every row, in order."""
        ...

    def row_index(self) -> Mapping[str, int]:
        """Each id's row (one entry per distinct id): built once and shared by whoever
        indexes the rows as they are, never changed (copy it to change it)."""
        ...

    def build_row(self, i: int) -> T_co:
        """The item in row ``i``, built now."""
        ...

    def build_rows(self, rows: Sequence[int]) -> Sequence[T_co]:
        """The items in ``rows``, built now (in one pass when that is cheaper)."""
        ...


class KeyedStore(Generic[T]):
    """Ordered items keyed by ``item.id``.

    Subclasses say what a valid item is (:meth:`_check`) and how a clash of ids is
    reported (:meth:`_duplicate`); every change goes through :meth:`insert`,
    :meth:`remove`, :meth:`replace`, :meth:`_reset_items` or :meth:`_reset_rows`.

    Reset from :class:`Rows` (:meth:`_reset_rows`), the store builds an item only when
    it is asked for (:meth:`get`, a change that replaces or removes it, iterating the
    whole store) and keeps it once built; until the first change it also hands out
    those rows (:meth:`rows_as_loaded`), so views can rebuild from the table instead of
    from every item.

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
        # id -> the item, or its row in ``_rows`` while it has not been built.
        self._items: dict[str, T | int] = {}
        self._rows: Rows[T] | None = None
        self._unchanged = False  # no change since the reset from ``_rows``
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
        self._build_all()
        return iter(self._items.values())  # type: ignore[arg-type]  # all built now

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str) -> T:
        """The item ``key`` (built now if it was not; ``KeyError`` if there is none)."""
        value = self._items[key]
        if type(value) is int:  # an item is never an int: a row not built yet
            assert self._rows is not None
            value = self._rows.build_row(value)
            self._items[key] = value
        return value  # type: ignore[return-value]

    def ids(self) -> list[str]:
        return list(self._items)

    def items_later(self) -> Callable[[], list[T]]:
        """The items as they are now, in order, to be built when the returned function
        is called, on any thread: items built already are taken as they are, rows not
        built yet are built from their table then, and the store itself is not touched
        (a save takes this on the UI thread and builds it on its worker)."""
        values: list[T | int] = list(self._items.values())
        rows = self._rows

        def build() -> list[T]:
            pending = [i for i, v in enumerate(values) if type(v) is int]
            if pending:
                assert rows is not None
                built = rows.build_rows([values[i] for i in pending])  # type: ignore[misc]
                for i, item in zip(pending, built, strict=True):
                    values[i] = item
            return values  # type: ignore[return-value]  # every row built now

        return build

    def rows_as_loaded(self) -> Rows[T] | None:
        """The rows the store was last reset from while it holds exactly them (nothing
        inserted, removed or changed since); None otherwise."""
        return self._rows if self._unchanged else None

    def built_count(self) -> int:
        """How many items are held built (the rest are rows not asked for yet)."""
        return sum(type(v) is not int for v in self._items.values())

    def _build_all(self) -> None:
        if self._rows is None:
            return
        pending = [(k, v) for k, v in self._items.items() if type(v) is int]
        if pending:
            built = self._rows.build_rows([v for _, v in pending])  # type: ignore[misc]
            for (key, _), item in zip(pending, built, strict=True):
                self._items[key] = item
        if not self._unchanged:
            self._rows = None  # every row is built: the table is not needed any more

    # ------------------------------------------------------------------ writing
    def _reset_items(self, items: Iterable[T]) -> None:
        """Replace every item (duplicate ids are refused before anything changes)."""
        new: dict[str, T | int] = {}
        for item in items:
            if item.id in new:
                raise self._duplicate(item.id)
            new[item.id] = item
        self._items = new
        self._rows = None
        self._unchanged = False

    def _reset_rows(self, rows: Rows[T]) -> None:
        """Replace every item by the rows of a table, none built yet (duplicate ids are
        refused before anything changes)."""
        # A copy of the table's shared index (a tenth of the time of building one).
        new: dict[str, T | int] = dict(rows.row_index())
        if len(new) != len(rows):
            seen: set[str] = set()
            for key in rows.row_ids():
                if key in seen:
                    raise self._duplicate(key)
                seen.add(key)
        self._items = new
        self._rows = rows
        self._unchanged = True

    def insert(self, items: list[T], positions: list[int] | None = None) -> None:
        """Add items after checking each; ``positions`` (ascending) restores order on undo."""
        for item in items:
            self._check(item)
            if item.id in self._items:
                raise self._duplicate(item.id)
        self._unchanged = False
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
        removed = sorted(((position[key], self.get(key)) for key in ids), key=lambda t: t[0])
        self._unchanged = False
        for _, item in removed:
            del self._items[item.id]
        self.removed.emit([item for _, item in removed])
        return removed

    def replace(self, item: T) -> bool:
        """Replace the item with the same id; returns False when nothing changed."""
        old = self.get(item.id)
        if old == item:
            return False
        self._check(item)
        self._unchanged = False
        self._items[item.id] = item
        self.changed.emit(old, item)
        return True

    _noun = "item"


__all__ = ["Keyed", "KeyedStore", "Rows"]
