"""The QUndoStack wrapper: push applies, undo/redo delegate, failures push nothing."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from explorer.core.commands import AddSites, DeleteSites, EditSite
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.ui.undo import UndoCommand, push


def test_push_applies_once_and_undo_redo_delegate(store: SiteStore, undo_stack: QUndoStack) -> None:
    old = store.get("golmud-1")
    new = old.with_changes(name="Golmud renamed")
    calls: list[str] = []
    store.changed.connect(lambda o, n: calls.append(n.name))

    wrapper = push(undo_stack, EditSite(store, old, new, text="Rename"))

    assert isinstance(wrapper, UndoCommand)
    assert calls == ["Golmud renamed"]  # applied exactly once by push
    assert undo_stack.count() == 1
    assert undo_stack.undoText() == "Rename"
    undo_stack.undo()
    assert store.get("golmud-1") == old
    undo_stack.redo()
    assert store.get("golmud-1") == new
    assert calls == ["Golmud renamed", "Golmud solar DC", "Golmud renamed"]


def test_failing_command_raises_and_pushes_nothing(
    store: SiteStore, undo_stack: QUndoStack
) -> None:
    with pytest.raises(KeyError):
        push(undo_stack, DeleteSites(store, ["no-such-site"]))
    assert undo_stack.count() == 0
    assert len(store) == 4


def test_add_delete_round_trip(store: SiteStore, undo_stack: QUndoStack) -> None:
    site = Site(id="new-1", name="New", lon=90.0, lat=40.0)
    push(undo_stack, AddSites(store, [site]))
    push(undo_stack, DeleteSites(store, ["nyocor-1"]))
    assert store.ids() == ["yiwu-1", "golmud-1", "karamay-1", "new-1"]
    undo_stack.undo()
    assert store.ids() == ["nyocor-1", "yiwu-1", "golmud-1", "karamay-1", "new-1"]
    undo_stack.undo()
    assert "new-1" not in store
    assert undo_stack.index() == 0
