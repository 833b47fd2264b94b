"""Opening a file off the UI thread: progress, Cancel, problems, several layers."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.io.formats import write_sites


def _sites(n: int, seed: int = 3) -> list[Site]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(75, 100, n)
    lat = rng.uniform(34, 48, n)
    chips = rng.integers(1, 4000, n)
    models = ChipCatalogue.bundled().names[:3]
    return [
        Site(
            id=f"s{i}",
            name=f"Site {i}",
            lon=float(lon[i]),
            lat=float(lat[i]),
            hardware=(HardwareLine(models[i % 3], int(chips[i])),),
            confidence="illustrative",
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60,000 sites: long enough to read that the test can cancel half way."""
    path = tmp_path_factory.mktemp("load") / "big.geojson"
    write_sites(path, _sites(60_000), {"title": "big"})
    return path


def test_cancel_half_way_leaves_the_open_project_untouched(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from explorer.ui.load_job import LoadJob

    window = make_window()
    sites_before = window.store.sites()
    title_before = window.windowTitle()
    rows_before = window.table.model.rowCount()
    # The read waits at 20 % (on its own thread) until Cancel has been clicked: "half
    # way" is then where the read is, not where the UI thread last looked. Without it a
    # UI thread that stalled for a second or two took in 20 %, ..., 100 % and the
    # success in one turn, so the click came after the file had opened and no
    # "cancelled" ever came (seen with the UI thread stalled at random, as under load).
    clicked = threading.Event()
    seen: list[int] = []

    def hold_at_20(percent: int, _stage: str) -> None:
        if percent >= 20:
            clicked.wait(60)

    real_start = LoadJob.start

    def start(job: LoadJob) -> None:
        job.progressed.connect(lambda percent, _stage: seen.append(percent))
        job.progressed.connect(hold_at_20, Qt.ConnectionType.DirectConnection)
        real_start(job)

    monkeypatch.setattr(LoadJob, "start", start)
    assert window.open_path(big_file, background=True)
    job = window.load_job
    assert job is not None
    assert window.load_progress.isVisible()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1] >= 20, timeout=60_000)
    with qtbot.waitSignal(job.cancelled, timeout=60_000):
        QTest.mouseClick(window.load_progress.cancel_button, Qt.MouseButton.LeftButton)
        clicked.set()
    assert 20 <= seen[-1] < 100  # really half way, not at the end
    assert window.load_job is None
    assert not window.load_progress.isVisible()
    assert window.store.sites() == sites_before
    assert window.windowTitle() == title_before
    assert window.table.model.rowCount() == rows_before
    assert window.undo_stack.count() == 0


def test_background_open_keeps_the_window_responsive(qtbot, make_window, big_file: Path) -> None:  # noqa: ANN001
    window = make_window()
    ticks: list[int] = []
    timer = QTimer(window)
    timer.setInterval(0)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    assert window.open_path(big_file, background=True)
    job = window.load_job
    assert job is not None
    percents: list[int] = []
    job.progressed.connect(lambda percent, _stage: percents.append(percent))
    with qtbot.waitSignal(window.projectOpened, timeout=120_000) as opened:
        pass
    timer.stop()
    assert opened.args == ["big.geojson"]
    # The event loop kept turning while the file was read: the window could be used.
    assert len(ticks) > 20
    assert percents == sorted(percents) and percents[-1] == 100
    assert len(window.store) == 60_000
    assert window.table.model.rowCount() == 60_000
    assert window.windowTitle().startswith("big.geojson")
    assert not window.load_progress.isVisible()


def test_background_open_reports_problems_as_before(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    before = window.store.sites()
    bad = tmp_path / "sites.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [500, 40]}, '
        '"properties": {"id": "a", "name": "x"}}]}'
    )
    assert not window.open_path(bad, interactive=False)
    sync_error = window.last_error
    window.last_error = ""
    assert window.open_path(bad, interactive=False, background=True)
    # The job's signals cross threads: wait for what the window does with them.
    qtbot.waitUntil(lambda: window.load_job is None, timeout=30_000)
    assert window.last_error == sync_error
    assert "lon must be between -180 and 180, got '500'" in sync_error
    assert window.store.sites() == before


def test_several_point_layers_ask_which_one(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    import geopandas as gpd
    import shapely

    path = tmp_path / "two.gpkg"
    for layer, ids in (("planned", ["p1", "p2"]), ("permits", ["q1"])):
        gpd.GeoDataFrame(
            {"id": ids, "name": ids, "chip_model": ["H100"] * len(ids), "chips": [8] * len(ids)},
            geometry=[shapely.Point(90 + i, 40) for i in range(len(ids))],
            crs="EPSG:4326",
        ).to_file(path, layer=layer, driver="GPKG")
    window = make_window()
    asked: list[tuple[str, ...]] = []

    def choose(_path: Path, layers: tuple[str, ...]) -> str:
        asked.append(layers)
        return "permits"

    window._choose_layer = choose  # type: ignore[method-assign]
    assert window.open_path(path, interactive=True)
    assert asked == [("planned", "permits")]
    assert window.store.ids() == ["q1"]
    assert window.windowTitle().startswith("two.gpkg (permits)")
    window.last_error = ""
    assert window.open_path(path, interactive=True, background=True)
    with qtbot.waitSignal(window.projectOpened, timeout=30_000):
        pass
    assert window.store.ids() == ["q1"] and len(asked) == 2


def test_progress_follows_only_the_newest_load(qtbot) -> None:  # noqa: ANN001
    """A second open replaces the first: the first one's late reports and its end
    neither move nor hide the bar shown for the second."""
    from explorer.ui.load_job import LoadJob, LoadProgress

    progress = LoadProgress()
    qtbot.addWidget(progress)
    first = LoadJob(None, Path("first.geojson"))  # type: ignore[arg-type]  # never started
    second = LoadJob(None, Path("second.geojson"))  # type: ignore[arg-type]
    progress.follow(first)
    first.progressed.emit(40, "reading")
    assert progress.bar.value() == 40
    progress.follow(second)
    assert progress.isVisible() and progress.bar.value() == 0
    first.progressed.emit(90, "checking")
    first.succeeded.emit(object())
    assert progress.isVisible()
    assert progress.bar.value() == 0
    assert progress.label.text() == "Opening second.geojson…"
    second.progressed.emit(55, "reading")
    assert progress.label.text() == "Opening second.geojson: reading"
    second.cancelled.emit()
    assert not progress.isVisible()


def _reset_spies(window, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:  # noqa: ANN001
    """Record, by thread name, where reset messages are built and how they are posted."""
    from explorer.web import reset_ahead, site_columns

    calls: dict[str, list[str]] = {"built": [], "posted": [], "as_of": []}
    real_payload = site_columns.reset_payload

    def reset_payload(*args: object, **kwargs: object) -> object:
        calls["built"].append(threading.current_thread().name)
        return real_payload(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reset_ahead, "reset_payload", reset_payload)
    monkeypatch.setattr("explorer.web.controller.reset_payload", reset_payload)
    bridge = window.map.bridge
    real_text, real_data = bridge.post_reset_text, bridge.post_reset

    def post_reset_text(text: str, ids: object) -> int:
        calls["posted"].append("prepared")
        return real_text(text, ids)  # type: ignore[no-any-return]

    monkeypatch.setattr(bridge, "post_reset_text", post_reset_text)

    def post_reset(data: dict[str, object]) -> int:
        calls["posted"].append("built here")
        calls["as_of"].append(str(data["as_of"]))
        return real_data(data)  # type: ignore[no-any-return]

    monkeypatch.setattr(bridge, "post_reset", post_reset)
    return calls


def test_the_maps_reset_for_a_file_is_built_on_the_worker(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from explorer.web.payload import to_json

    from .conftest import js, wait_rendered

    window = make_window()
    calls = _reset_spies(window, monkeypatch)
    assert window.open_path(big_file, background=True)
    job = window.load_job
    with qtbot.waitSignal(window.projectOpened, timeout=120_000):
        pass
    wait_rendered(qtbot, window)
    # Built once, off the UI thread, and sent as it was built.
    assert calls["built"] == ["explorer-load"]
    assert calls["posted"] == ["prepared"]
    prepared = job.map_reset
    assert prepared is not None and len(prepared.ids) == 60_000
    # The page's events may name exactly the file's sites (the set built on the worker).
    assert window.map.bridge.known_ids == prepared.ids == frozenset(window.store.ids())
    # What the window would have built itself, now that the file is loaded.
    assert prepared.text == to_json(window.map._reset_data())
    assert js(qtbot, lambda cb: window.map_view.evaluate("CSE.pageState().sites", cb)) == 60_000


def test_the_site_pickers_names_are_read_on_the_worker(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from explorer.io.site_columns import SiteColumns

    built: list[tuple[int, str]] = []
    original = SiteColumns.names_by_id

    def spy(self: SiteColumns):  # noqa: ANN202
        if self._names is None:
            built.append((len(self), threading.current_thread().name))
        return original(self)

    monkeypatch.setattr(SiteColumns, "names_by_id", spy)
    window = make_window()
    built.clear()  # the demo's, opened as the window was made
    assert window.open_path(big_file, background=True)
    with qtbot.waitSignal(window.projectOpened, timeout=120_000):
        pass
    # Built once, on the load's worker; the pickers hold their own copy of it.
    assert built == [(60_000, "explorer-load")]
    rows = window.store.rows_as_loaded()
    assert isinstance(rows, SiteColumns)
    names = window.panel._site_names.names
    assert names == dict(zip(rows.ids.tolist(), rows.text["name"].tolist(), strict=True))
    assert names is not rows.names_by_id()
    # The pickers follow the store from there: the file's table stays as it was read.
    site = window.store.get(rows.ids[3])
    assert window.session.edit_site(site, replace(site, name="Renamed"))
    qtbot.waitUntil(lambda: window.panel._site_names.names[site.id] == "Renamed")
    assert rows.names_by_id()[site.id] == site.name


def test_a_prepared_reset_for_another_date_is_not_sent(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import date

    from explorer.ui.main_window import MainWindow

    from .conftest import wait_rendered

    window = make_window()
    calls = _reset_spies(window, monkeypatch)
    real_succeeded = MainWindow._on_load_succeeded

    def succeeded(self: MainWindow, job: object, opened: object) -> None:
        # The file was read for "all planned"; before it is loaded, the window is set
        # to count up to a date.
        self.session.set_as_of(date(2025, 12, 31))
        real_succeeded(self, job, opened)  # type: ignore[arg-type]

    monkeypatch.setattr(MainWindow, "_on_load_succeeded", succeeded)
    assert window.open_path(big_file, background=True)
    with qtbot.waitSignal(window.projectOpened, timeout=120_000):
        pass
    wait_rendered(qtbot, window)
    # The worker's message (all planned) was dropped; the window built the one it sent.
    assert calls["built"] == ["explorer-load", threading.current_thread().name]
    assert calls["posted"] == ["built here"]
    assert calls["as_of"] == ["2025-12-31"]
    assert len(window.store) == 60_000


def test_a_reset_that_fails_on_the_worker_is_built_by_the_window(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .conftest import wait_rendered

    def broken(*_args: object) -> None:
        raise ValueError("no message today")

    monkeypatch.setattr("explorer.ui.load_job.prepare_reset", broken)
    window = make_window()
    calls = _reset_spies(window, monkeypatch)
    assert window.open_path(big_file, background=True)
    with qtbot.waitSignal(window.projectOpened, timeout=120_000):
        pass
    wait_rendered(qtbot, window)
    # The file opened all the same; the window built the map's message itself.
    assert calls["posted"] == ["built here"]
    assert len(window.store) == 60_000 and window.last_error == ""


def test_after_a_load_the_views_rebuild_one_step_per_turn_of_the_event_loop(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The map's reset parts, then the chart, the status bar's totals, the site pickers'
    list and the table's search text and name ranks are sent or rebuilt after a load
    each on turns of the event loop of its own, a step per turn: the window paints and
    takes input in between (at a million sites they took 1.5 s back to back)."""
    from collections.abc import Generator

    from explorer.ui.capacity_panel import CapacityPanel
    from explorer.ui.main_window import MainWindow
    from explorer.ui.site_picker import SiteNamesModel
    from explorer.ui.site_table import SiteTableModel, column_of
    from explorer.web.bridge import MapBridge

    turn = [0]
    ran: list[tuple[str, int]] = []

    def spy(cls: type, name: str, label: str) -> None:
        original = getattr(cls, name)

        def each_step(steps: Generator):  # noqa: ANN202
            while True:
                ran.append((label, turn[0]))
                try:
                    step = next(steps)
                except StopIteration as stop:
                    return stop.value
                yield step

        def wrapper(self, *args):  # noqa: ANN001, ANN202
            out = original(self, *args)
            if isinstance(out, Generator):
                return each_step(out)
            ran.append((label, turn[0]))
            return out

        monkeypatch.setattr(cls, name, wrapper)

    spy(CapacityPanel, "refresh", "chart")
    spy(MainWindow, "update_status_totals", "totals")
    spy(SiteNamesModel, "_rebuild_steps", "pickers")
    spy(SiteTableModel, "_warm_search", "search text")
    spy(SiteTableModel, "_warm_name_ranks", "name ranks")
    spy(MapBridge, "_send_parts_left", "map parts")
    window = make_window()
    ticker = QTimer(window)
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turn.__setitem__(0, turn[0] + 1))
    ticker.start()
    assert window.open_path(big_file, background=True)
    with qtbot.waitSignal(window.projectOpened, timeout=120_000):
        ran.clear()
    qtbot.waitUntil(lambda: len(window.idle) == 0, timeout=60_000)
    ticker.stop()
    labels = [label for label, _ in ran]
    assert set(labels) == {"map parts", "chart", "totals", "pickers", "search text", "name ranks"}
    assert labels.count("chart") == labels.count("totals") == 1
    first = {label: labels.index(label) for label in set(labels)}
    # The map's reset (6 MB: two parts, the second a turn later) before the views.
    assert first["map parts"] == 0
    assert first["pickers"] > max(first["chart"], first["totals"])
    assert first["search text"] > first["pickers"]
    assert labels.count("pickers") > 2  # the list was built in steps
    turns = [t for _, t in ran]
    assert len(set(turns)) == len(turns), ran
    # The lists built in steps are the ones built at once.
    names = window.panel._site_names  # noqa: SLF001
    ids = names.ids
    names.rebuild()
    assert names.ids == ids
    model = window.table.model
    hay, ranks = model.derived("hay"), model.sort_ranks(column_of("name"))
    model._cache.clear()  # noqa: SLF001
    model._ranks.clear()  # noqa: SLF001
    assert model.derived("hay") == hay
    assert model.sort_ranks(column_of("name")).tolist() == ranks.tolist()
