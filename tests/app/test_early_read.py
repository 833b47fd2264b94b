"""A file read started with the application, before the window exists
(:mod:`explorer.session.early_read`), and the window's load adopting it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from explorer import DEMO_SITES
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError
from explorer.io.formats import write_sites
from explorer.io.progress import LoadCancelled
from explorer.session import early_read
from explorer.session.early_read import EarlyRead
from explorer.session.session import Session
from tests.helpers import scattered_sites


class Gate:
    """Early reads stop at their first report of 20 % or more (``held`` is set) until
    ``release`` is set: "half way" is then where the read is, whatever the machine."""

    def __init__(self) -> None:
        self.held = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Gate:
    gate = Gate()
    real = early_read.read_file

    def read_file(path: Path, catalogue: ChipCatalogue, **kwargs: Any) -> Any:
        report = kwargs.pop("progress")

        def progress(fraction: float, stage: str) -> None:
            report(fraction, stage)
            if fraction >= 0.2 and not gate.held.is_set():
                gate.held.set()
                assert gate.release.wait(60)

        return real(path, catalogue, progress=progress, **kwargs)

    monkeypatch.setattr(early_read, "read_file", read_file)
    return gate


def test_an_early_read_reads_what_the_session_reads() -> None:
    catalogue = ChipCatalogue.bundled()
    early = EarlyRead(DEMO_SITES, catalogue)
    got = early.join()
    want = Session(catalogue, admin_areas=None).read(DEMO_SITES)
    assert early.done
    assert list(got.opened.columns.ids) == list(want.opened.columns.ids)
    assert len(got.opened.columns) == 41
    for a, b in zip(got.prepared.matrices, want.prepared.matrices, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(got.prepared.counted, want.prepared.counted)


def test_an_early_read_raises_what_the_read_raised(tmp_path: Path) -> None:
    early = EarlyRead(tmp_path / "gone.geojson", ChipCatalogue.bundled())
    with pytest.raises(DataFileError, match="no such file"):
        early.join()
    with pytest.raises(DataFileError):  # again, for whoever asks again
        early.join()


def test_only_a_load_of_that_file_into_that_catalogue_claims_it_and_only_once() -> None:
    catalogue = ChipCatalogue.bundled()
    early = EarlyRead(DEMO_SITES, catalogue)
    assert not early.claim(DEMO_SITES, layer=None, catalogue=ChipCatalogue.bundled())
    assert not early.claim(DEMO_SITES.with_name("x.geojson"), layer=None, catalogue=catalogue)
    assert not early.claim(DEMO_SITES, layer="sites", catalogue=catalogue)
    assert early.claim(Path(str(DEMO_SITES)), layer=None, catalogue=catalogue)
    assert not early.claim(DEMO_SITES, layer=None, catalogue=catalogue)
    early.join()


def test_whoever_joins_hears_the_progress_from_then_on_and_can_stop_it(
    big_file: Path,
    gated: Gate,
) -> None:
    early = EarlyRead(big_file, ChipCatalogue.bundled())
    assert gated.held.wait(60)
    heard: list[float] = []
    first = threading.Event()
    stopped: list[BaseException] = []

    def progress(fraction: float, _stage: str) -> None:
        heard.append(fraction)
        first.set()
        if len(heard) == 2:
            raise LoadCancelled(str(big_file))

    def join() -> None:
        try:
            early.join(progress)
        except LoadCancelled as exc:
            stopped.append(exc)

    # The read is held at 20 %: the first report heard is that one (the latest), the
    # second stops the read there.
    waiter = threading.Thread(target=join, daemon=True)
    waiter.start()
    assert first.wait(60)
    assert 0.2 <= heard[0] < 1.0
    gated.release.set()
    waiter.join(60)
    assert early.done and len(stopped) == 1
    assert len(heard) == 2 and heard[1] < 1.0
    with pytest.raises(LoadCancelled):
        early.join()


def test_the_window_adopts_the_read_instead_of_reading_again(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(None)
    early = EarlyRead(big_file, window.session.catalogue)

    def read_again(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the window read the file again")

    monkeypatch.setattr(Session, "read", read_again)
    window.offer_read(early)
    assert window.open_path(big_file, background=True)
    assert window.load_job is not None and window.load_job.early is early
    with qtbot.waitSignal(window.projectOpened, timeout=120_000) as opened:
        pass
    assert opened.args == ["big.geojson"]
    assert len(window.store) == 60_000
    assert window.table.model.rowCount() == 60_000
    assert window.store.get("s7").name == "Site 7"


def test_another_file_or_catalogue_is_read_by_the_window_itself(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    window = make_window(None)
    other = tmp_path / "other.geojson"
    write_sites(other, scattered_sites(5), {"title": "other"})
    early = EarlyRead(DEMO_SITES, window.session.catalogue)
    window.offer_read(early)
    assert window.open_path(other, background=True)
    assert window.load_job is not None and window.load_job.early is None
    with qtbot.waitSignal(window.projectOpened, timeout=60_000):
        pass
    assert sorted(window.store.ids()) == [f"s{i}" for i in range(5)]
    # The offer was for the next load only: the demo opened now is read again.
    assert window.open_path(DEMO_SITES, background=True)
    assert window.load_job is not None and window.load_job.early is None
    with qtbot.waitSignal(window.projectOpened, timeout=60_000):
        pass
    assert len(window.store) == 41
    early.join()


def test_cancel_on_an_adopted_read_leaves_the_open_project_untouched(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    gated: Gate,
) -> None:
    window = make_window()
    sites_before = window.store.sites()
    title_before = window.windowTitle()
    early = EarlyRead(big_file, window.session.catalogue)
    assert gated.held.wait(60)
    window.offer_read(early)
    assert window.open_path(big_file, background=True)
    job = window.load_job
    assert job is not None and job.early is early
    # The job hears the read from where it is held (the window's bar follows the job
    # from before it starts).
    bar = window.load_progress.bar
    qtbot.waitUntil(lambda: bar.value() >= 20, timeout=60_000)
    assert window.load_progress.isVisible()
    with qtbot.waitSignal(job.cancelled, timeout=60_000):
        QTest.mouseClick(window.load_progress.cancel_button, Qt.MouseButton.LeftButton)
        gated.release.set()
    assert 20 <= bar.value() < 100
    qtbot.waitUntil(lambda: early.done, timeout=60_000)
    with pytest.raises(LoadCancelled):  # the read itself stopped, not only the job
        early.join()
    assert window.load_job is None
    assert not window.load_progress.isVisible()
    assert window.store.sites() == sites_before
    assert window.windowTitle() == title_before
    assert window.undo_stack.count() == 0
