"""Where outputs may go (issue 11, findings 3, 6 and 13): only to regular files or new
paths, never over a read-only file, and killed saves leave nothing behind for long.

Before the fixes, a write through a symlink to a device or pipe replaced the device
with a regular file, a read-only project was replaced on save, and the hidden
``.explorer-saving-*`` folders of killed saves stayed for ever.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from explorer.cli import run_cli
from explorer.core.schema import Site
from explorer.io.atomic import (
    LOCK_NAME,
    TEMP_PREFIX,
    UnsafeTargetError,
    atomic_target,
    remove_stale_saves,
    temp_dir_prefix,
)
from explorer.io.formats import read_sites, write_sites
from explorer.io.opening import open_file
from explorer.io.project import Project, load_project, save_project
from explorer.io.region_files import save_regions
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
SITES = [Site("a", "A", 90.0, 40.0), Site("b", "B", 91.0, 41.0)]
ROOT = Path(__file__).resolve().parents[2]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


def _special_files(tmp_path: Path) -> list[tuple[str, Path]]:
    """A named pipe always; a character device too where we may make one (root)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    found = [("a named pipe", fifo)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        dev = tmp_path / "null-like"
        # The same device numbers as /dev/null, in a scratch folder: replacing it (the
        # bug) would only turn this node into a regular file.
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found.append(("a character device", dev))
    return found


# ----------------------------------------------------------------------- finding 3


@pytest.mark.parametrize("ext", ["geojson", "csv", "gpkg"])
def test_a_link_to_a_device_or_pipe_is_refused_and_left_alone(tmp_path: Path, ext: str) -> None:
    for kind, special in _special_files(tmp_path):
        link = tmp_path / f"out-{special.name}.{ext}"
        link.symlink_to(special)
        mode = special.lstat().st_mode
        with pytest.raises(UnsafeTargetError) as info:
            write_sites(link, SITES)
        assert str(info.value) == (
            f"{link} -> {special}: is {kind}, not a regular file; outputs are written "
            "only to regular files or new paths"
        )
        assert special.lstat().st_mode == mode  # still the device or pipe
        assert link.is_symlink()
    assert _leftovers(tmp_path) == []


def test_a_device_given_directly_is_refused(tmp_path: Path) -> None:
    _, fifo = _special_files(tmp_path)[0]
    with pytest.raises(UnsafeTargetError, match="is a named pipe, not a regular file"):
        save_regions(fifo, [])
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_link_to_a_regular_file_still_replaces_that_file(tmp_path: Path) -> None:
    real = tmp_path / "real.geojson"
    write_sites(real, [])
    link = tmp_path / "link.geojson"
    link.symlink_to(real)
    write_sites(link, SITES)
    assert link.is_symlink()
    assert read_sites(real, catalogue=CAT).sites == SITES


def test_cli_refuses_a_special_out_before_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, fifo = _special_files(tmp_path)[0]
    link = tmp_path / "map.png"
    link.symlink_to(fifo)
    sites = tmp_path / "s.geojson"
    write_sites(sites, SITES)
    # The refusal comes before Qt is touched: no display setting is needed here.
    assert run_cli(["snapshot", str(sites), "--out", str(link)], catalogue=CAT) == 2
    err = capsys.readouterr().err
    assert err == (
        f"explorer: error: {link} -> {fifo}: is a named pipe, not a regular file; outputs "
        "are written only to regular files or new paths\n"
    )
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ----------------------------------------------------------------------- finding 13


@pytest.mark.parametrize("ext", ["gpkg", "geojson", "csv"])
def test_a_read_only_file_is_not_replaced(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"p.{ext}"
    write_sites(path, SITES[:1])
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(UnsafeTargetError) as info:
        write_sites(path, SITES)
    assert str(info.value) == (
        f"{path}: the file is read-only; save under another name or make it writable first"
    )
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert _leftovers(tmp_path) == []


def test_cli_names_the_read_only_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "s.geojson"
    write_sites(src, SITES)
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    out.chmod(0o400)
    assert run_cli(["convert", str(src), str(out)], catalogue=CAT) == 2
    assert capsys.readouterr().err == (
        f"explorer: error: {out}: the file is read-only; save under another name or make "
        "it writable first\n"
    )
    assert out.read_text() == "keep me\n"


# ----------------------------------------------------------------------- finding 6


_KILLED_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from explorer.io.atomic import atomic_target
    with atomic_target(sys.argv[1]) as tmp:
        tmp.write_bytes(b"half a project" * 1000)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _killed_save(target: Path) -> None:
    """A save of ``target`` that dies (SIGKILL) with its file half written."""
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_SAVE, str(target)],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_the_next_save_removes_what_killed_saves_left(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES))
    for _ in range(3):
        _killed_save(path)
        # Each save (killed later) first removed the leftover of the one before it.
        assert len(_leftovers(tmp_path)) == 1
    save_project(path, Project(sites=SITES[:1]))
    assert _leftovers(tmp_path) == []
    assert load_project(path, catalogue=CAT).sites == SITES[:1]


def test_the_next_open_removes_them_too(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES))
    _killed_save(path)
    assert len(_leftovers(tmp_path)) == 1
    assert open_file(path, catalogue=CAT).project.sites == SITES
    assert _leftovers(tmp_path) == []


def test_only_that_targets_and_only_dead_saves_are_removed(tmp_path: Path) -> None:
    path, other = tmp_path / "p.gpkg", tmp_path / "other.gpkg"
    _killed_save(other)  # another file's leftover: not this open's business
    stranger = tmp_path / f"{TEMP_PREFIX}someone-else"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("not ours")
    with atomic_target(path) as tmp:
        tmp.write_bytes(b"in progress")
        live = tmp.parent
        assert remove_stale_saves(path) == []  # its lock is held: a live save
        assert live.exists() and (live / LOCK_NAME).exists()
    assert path.read_bytes() == b"in progress"
    left = _leftovers(tmp_path)
    assert stranger.name in left and len(left) == 2  # the other file's and the stranger
    removed = remove_stale_saves(other)
    assert len(removed) == 1 and removed[0].name.startswith(temp_dir_prefix(other.resolve()))
    assert _leftovers(tmp_path) == [stranger.name]


def test_a_leftover_of_an_older_version_is_recognised_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    old = tmp_path / f"{TEMP_PREFIX}k2j4h1"  # no target tag, no lock
    old.mkdir()
    (old / "p.gpkg").write_bytes(b"partial")
    (old / "p.gpkg-journal").write_bytes(b"partial")
    young_time = old.stat().st_mtime
    # Without a lock to test, only an old enough folder counts as dead.
    assert remove_stale_saves(path) == []
    os.utime(old, (young_time - 7200, young_time - 7200))
    assert remove_stale_saves(path) == [old]


def test_a_save_that_cannot_take_its_lock_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import explorer.io.atomic as atomic

    if atomic.fcntl is None:
        pytest.skip("no POSIX locks here")

    def no_lock(_fd: int, _op: int) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr(atomic.fcntl, "flock", no_lock)
    with pytest.raises(OSError, match="No locks available"):
        write_sites(tmp_path / "s.geojson", SITES)
    assert list(tmp_path.iterdir()) == []
