"""``kill -9`` during a save, at (seeded) random points: the file is always either the
previous version or the new one, complete; and the next save leaves no stray files.

A child process saves a project of a few thousand sites over and over (the project file
also holds a table another tool added, so the carrying of foreign tables is killed
too); the parent kills it with SIGKILL after a delay drawn from the time one save takes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from explorer.core.schema import Site
from explorer.io.atomic import TEMP_PREFIX
from explorer.io.formats import read_sites, write_sites
from explorer.io.project import Project, load_project, save_project
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
ROOT = Path(__file__).resolve().parents[2]
SEED = 20250708
KILLS = 6

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

_CHILD = textwrap.dedent(
    """
    import sys
    from explorer.core.schema import Site
    from explorer.io.formats import write_sites
    from explorer.io.project import Project, save_project

    path, n, title = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sites = [Site(f"s{i}", f"Site {i}", 80 + i % 20, 35 + i % 10, notes="n" * 50)
             for i in range(n)]
    print("ready", flush=True)
    while True:
        if path.endswith(".gpkg"):
            save_project(path, Project(sites=sites, metadata={"title": title}))
        else:
            write_sites(path, sites, {"title": title})
        print("saved", flush=True)
    """
)


def _sites(n: int) -> list[Site]:
    return [Site(f"s{i}", f"Site {i}", 80 + i % 20, 35 + i % 10, notes="n" * 50) for i in range(n)]


def _add_foreign_table(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE field_notes (site_id TEXT, note TEXT)")
        db.executemany(
            "INSERT INTO field_notes VALUES (?, ?)", [(f"s{i}", "seen") for i in range(500)]
        )


def _read(path: Path) -> tuple[int, str]:
    """(number of sites, title) of a complete file; raises on a damaged one."""
    if path.suffix == ".gpkg":
        project = load_project(path, catalogue=CAT)
        return len(project.sites), project.metadata["title"]
    site_file = read_sites(path, catalogue=CAT)
    return len(site_file.sites), site_file.metadata["title"]


def _kill_during_save(path: Path, n: int, title: str, delay: float) -> None:
    """Start saving ``n`` sites titled ``title`` to ``path``; SIGKILL after ``delay`` s."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(n), title],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)  # the point of the kill is a time, chosen at random
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, out


@pytest.mark.parametrize(("ext", "n"), [("gpkg", 4000), ("geojson", 5000)])
def test_kill_9_at_random_points_never_damages_the_file(tmp_path: Path, ext: str, n: int) -> None:
    path = tmp_path / f"project.{ext}"
    old_sites = _sites(n // 2)
    if ext == "gpkg":
        save_project(path, Project(sites=old_sites, metadata={"title": "old"}))
        _add_foreign_table(path)
    else:
        write_sites(path, old_sites, {"title": "old"})
    # How long one save takes here, so the kills fall inside saves.
    start = time.perf_counter()
    if ext == "gpkg":
        save_project(tmp_path / "timing.gpkg", Project(sites=_sites(n), metadata={"title": "t"}))
    else:
        write_sites(tmp_path / "timing.geojson", _sites(n), {"title": "t"})
    one_save = time.perf_counter() - start
    (tmp_path / f"timing.{ext}").unlink()

    rng = random.Random(SEED)
    versions = {(n // 2, "old")}
    mid_save = 0
    for k in range(KILLS):
        title = f"new {k}"
        delay = rng.uniform(0.0, 1.5 * one_save)
        _kill_during_save(path, n, title, delay)
        # A leftover folder shows the kill fell inside a save (the child saves nonstop).
        mid_save += any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())
        found = _read(path)  # never damaged: loads completely...
        versions.add((n, title))
        assert found in versions, (found, delay)  # ...as a version that was saved
        versions = {found}
    assert mid_save >= KILLS // 2, f"only {mid_save} of {KILLS} kills fell inside a save"
    # The next save cleans up what the killed ones left.
    if ext == "gpkg":
        save_project(path, Project(sites=_sites(3), metadata={"title": "last"}))
    else:
        write_sites(path, _sites(3), {"title": "last"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert _read(path) == (3, "last")
    if ext == "gpkg":
        import sqlite3

        with sqlite3.connect(path) as db:  # the other tool's table survived it all
            assert db.execute("SELECT count(*) FROM field_notes").fetchone() == (500,)
    assert not any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())
