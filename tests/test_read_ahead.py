"""Reading a GeoParquet file ahead on a thread (explorer.io.parquet_table), the thread
helper under it, and the command process keeping freed memory."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError
from explorer.core.schema import HardwareLine, Site
from explorer.io import geoparquet, parquet_table
from explorer.io.formats import read_sites, write_sites
from explorer.io.on_thread import OnThread
from tests.helpers import chip_model


@pytest.fixture
def cat() -> ChipCatalogue:
    return ChipCatalogue([chip_model("H100")])


@pytest.fixture(autouse=True)
def nothing_ahead() -> Any:
    """No read ahead is left over from (or for) another test."""
    parquet_table.take_ahead("")
    yield
    parquet_table.take_ahead("")


def _sites(n: int, chips: int) -> list[Site]:
    return [
        Site(
            id=f"s{i}",
            name=f"Site {i}",
            lon=80.0 + i / 100,
            lat=40.0,
            hardware=(HardwareLine(chip_model="H100", chips=chips),),
        )
        for i in range(n)
    ]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a table, by the thread that made it."""
    seen: list[str] = []
    real = parquet_table.read_table

    def counted(path: Any) -> Any:
        seen.append(threading.current_thread().name)
        return real(path)

    monkeypatch.setattr(parquet_table, "read_table", counted)
    monkeypatch.setattr(geoparquet, "read_table", counted)
    return seen


def test_a_file_read_ahead_is_read_once_on_its_thread(
    cat: ChipCatalogue, tmp_path: Path, reads: list[str]
) -> None:
    path = tmp_path / "sites.parquet"
    write_sites(path, _sites(50, 8))
    plain = read_sites(path, catalogue=cat)
    assert reads == ["MainThread"]
    assert parquet_table.read_ahead(path)
    assert not parquet_table.read_ahead(path)  # the same file: not started twice
    ahead = read_sites(path, catalogue=cat)
    assert reads == ["MainThread", "parquet read ahead"]
    assert ahead.sites == plain.sites
    read_sites(path, catalogue=cat)  # taken once: the next open reads again
    assert reads[-1] == "MainThread"


def test_a_file_changed_since_its_read_ahead_is_read_again(
    cat: ChipCatalogue, tmp_path: Path, reads: list[str]
) -> None:
    path = tmp_path / "sites.parquet"
    write_sites(path, _sites(50, 8))
    assert parquet_table.read_ahead(path)
    parquet_table._ahead[1].result()  # type: ignore[index]  # the old file is read
    write_sites(path, _sites(60, 16))
    got = read_sites(path, catalogue=cat)
    assert len(got.sites) == 60 and got.sites[0].chips == 16
    assert reads[-1] == "MainThread"


def test_a_read_ahead_of_another_file_is_not_taken(
    cat: ChipCatalogue, tmp_path: Path, reads: list[str]
) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_sites(a, _sites(5, 8))
    write_sites(b, _sites(7, 8))
    assert parquet_table.read_ahead(a)
    assert len(read_sites(b, catalogue=cat).sites) == 7
    assert reads[-1] == "MainThread"


def test_a_failed_read_ahead_says_what_a_plain_read_says(tmp_path: Path) -> None:
    path = tmp_path / "not.parquet"
    path.write_text("not parquet at all")
    with pytest.raises(DataFileError) as plain:
        parquet_table.read_table(path)
    assert parquet_table.read_ahead(path)
    with pytest.raises(DataFileError) as ahead:
        geoparquet.read_geoparquet_raw(path)
    assert str(ahead.value) == str(plain.value)
    assert "not a readable Parquet file" in str(ahead.value)


def test_nothing_is_read_ahead_for_what_is_not_a_file(tmp_path: Path) -> None:
    assert not parquet_table.read_ahead(tmp_path / "missing.parquet")
    assert not parquet_table.read_ahead(tmp_path)
    with pytest.raises(DataFileError, match="no such file"):
        geoparquet.read_geoparquet_raw(tmp_path / "missing.parquet")


def test_totals_reads_a_geoparquet_file_ahead(
    tmp_path: Path, reads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from explorer.cli import run_cli

    path = tmp_path / "sites.parquet"
    write_sites(path, _sites(30, 8))
    assert run_cli(["totals", str(path), "--json"]) == 0
    assert reads == ["parquet read ahead"]
    assert '"chips": 240' in capsys.readouterr().out.replace("\n", "").replace("  ", "")
    csv = tmp_path / "sites.csv"
    write_sites(csv, _sites(3, 8))
    assert run_cli(["validate", str(csv)]) == 0
    assert reads == ["parquet read ahead"] and parquet_table._ahead is None


def test_on_thread_answers_or_raises_where_taken() -> None:
    names: list[str] = []

    def work(a: int, b: int) -> int:
        names.append(threading.current_thread().name)
        return a + b

    assert OnThread("adder", work, 2, 3).result() == 5
    assert names == ["adder"]

    def fail() -> None:
        raise ValueError("bad value")

    call = OnThread("failing", fail)
    with pytest.raises(ValueError, match="bad value"):
        call.result()


def test_a_command_keeps_freed_memory_and_the_window_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import explorer.app
    import explorer.cli
    from explorer import __main__ as entry
    from explorer.cli import freed_memory

    calls: list[str] = []

    def called(name: str, answer: Any = 0) -> Any:
        def call(*args: Any) -> Any:
            calls.append(name)
            return answer

        return call

    monkeypatch.setattr(freed_memory, "keep_freed_memory", called("kept", True))
    monkeypatch.setattr(explorer.cli, "run_cli", called("cli"))
    monkeypatch.setattr(explorer.app, "run_gui", called("gui"))
    assert entry.main(["totals", "x.geojson"]) == 0
    assert calls == ["kept", "cli"]
    assert entry.main(["demo.geojson"]) == 0
    assert calls == ["kept", "cli", "gui"]


@pytest.mark.skipif(
    not __import__("sys").platform.startswith("linux")
    or __import__("platform").libc_ver()[0] != "glibc",
    reason="glibc's malloc only",
)
def test_glibc_takes_the_thresholds() -> None:
    import subprocess
    import sys

    # In a process of its own: the test run keeps glibc's defaults.
    code = "from explorer.cli.freed_memory import keep_freed_memory as k; print(k())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_a_call_not_taken_still_finishes_before_the_process_exits(tmp_path: Path) -> None:
    import subprocess
    import sys

    # The call outlives the main code; the process must not exit under it (a read left
    # running in Arrow's threads crashed a failed command at exit).
    done = tmp_path / "done"
    code = (
        "import time, pathlib\n"
        "from explorer.io.on_thread import OnThread\n"
        "def slow(path):\n"
        "    time.sleep(0.3)  # work still running when the main code ends\n"
        "    pathlib.Path(path).write_text('finished')\n"
        f"OnThread('slow', slow, {str(done)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert done.read_text() == "finished"


def test_a_command_that_fails_while_its_file_is_read_ahead_exits_cleanly(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    path = tmp_path / "sites.parquet"
    write_sites(path, _sites(20_000, 8))
    for _ in range(3):
        run = subprocess.run(
            [sys.executable, "-m", "explorer", "totals", str(path), "--layer", "x"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2, run.stderr
        assert "only a GeoPackage has layers" in run.stderr
