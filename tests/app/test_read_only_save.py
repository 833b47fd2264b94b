"""Saving over a read-only project in the window (issue 11, finding 13): refused with a
message naming the file and the way out; the file is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from explorer.core.schema import Site
from explorer.io.project import Project, save_project


def test_saving_a_read_only_project_says_so_and_keeps_it(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=[Site("a", "A", 93.5, 42.8)], metadata={"title": "T"}))
    window = make_window(path)
    path.chmod(0o444)
    before = path.read_bytes()
    assert window.save_to(path, interactive=False) is False
    assert window.last_error == (
        f"{path}: the file is read-only; save under another name or make it writable first"
    )
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".explorer-saving-")]
    # Under another name it saves.
    assert window.save_to(tmp_path / "copy.gpkg", interactive=False) is True
