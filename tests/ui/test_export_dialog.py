"""The export dialog, driven through its widgets with plain data (no main window)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pypdf  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401 - must precede the QApplication
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from explorer.core.schema import Site  # noqa: E402
from explorer.geo.region_store import RegionEntry  # noqa: E402
from explorer.geo.regions import CircleRegion, rectangle  # noqa: E402
from explorer.io.atomic import TEMP_PREFIX  # noqa: E402
from explorer.io.exports import FILTER_KEY  # noqa: E402
from explorer.io.formats import read_sites  # noqa: E402
from explorer.io.region_files import load_regions  # noqa: E402
from explorer.session.session import Session  # noqa: E402
from explorer.ui import export_dialog as dialog_module  # noqa: E402
from explorer.ui.export_dialog import ExportDialog  # noqa: E402
from explorer.web.view import prepare_application  # noqa: E402

prepare_application()

pytestmark = pytest.mark.gui

METADATA = {"title": "Test data", "as_of": "2025-12-15"}
HAMI = RegionEntry("r1", rectangle("Hami box", 93.0, 42.5, 95.0, 43.5))
GOLMUD = RegionEntry("r2", CircleRegion("Golmud 100 km", 94.9, 36.4, 100_000))
RENDER_TIMEOUT = 60_000


class FakeMap:
    """A stand-in for MapView: a size, and a page that answers ``evaluate`` later."""

    def __init__(self, bounds: tuple[float, float, float, float], mode: str = "model") -> None:
        self.bounds = bounds
        self.mode = mode
        self.asked: list[str] = []

    def width(self) -> int:
        return 800

    def height(self) -> int:
        return 560

    def evaluate(self, expression: str, callback: Callable[[Any], None]) -> None:
        self.asked.append(expression)
        w, s, e, n = self.bounds
        state = {"west": w, "south": s, "east": e, "north": n, "color_mode": self.mode}
        QTimer.singleShot(0, lambda: callback(state))  # asynchronous, like the page


@pytest.fixture
def make_dialog(qtbot: Any, sites: list[Site]) -> Iterator[Callable[..., ExportDialog]]:
    made: list[ExportDialog] = []

    def make(
        *,
        live_map: Any = None,
        regions: list[RegionEntry] | None = None,
        selected: list[str] | None = None,
        filtered: list[str] | None = None,
        sites: list[Site] = sites,
    ) -> ExportDialog:
        entries = [HAMI, GOLMUD] if regions is None else regions
        d = ExportDialog(
            lambda: sites,
            lambda: entries,
            METADATA,
            live_map,
            (lambda: filtered) if filtered is not None else None,
            selected_region_ids_provider=(lambda: selected or []),
        )
        qtbot.addWidget(d)
        d.show()
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def export(qtbot: Any, d: ExportDialog, timeout: int = RENDER_TIMEOUT) -> str:
    """Click Export and wait for the file; fail with the dialog's error otherwise."""
    errors: list[str] = []
    d.failed.connect(errors.append)
    with qtbot.waitSignal(d.finished_export, timeout=timeout, raising=False) as blocker:
        qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    assert not errors, errors
    assert blocker.signal_triggered, "export did not finish"
    return str(blocker.args[0])


def fitted_snapshot(make_dialog: Any, path: Path) -> ExportDialog:
    """A dialog set to export a snapshot fitted to all sites to ``path``."""
    d: ExportDialog = make_dialog()
    d.set_kind("snapshot")
    d.extent_sites.setChecked(True)
    d.set_output_path(path)
    return d


def refused(qtbot: Any, d: ExportDialog) -> str:
    with qtbot.waitSignal(d.failed, timeout=RENDER_TIMEOUT) as blocker:
        qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    assert d.error_label.isVisible()
    assert d.error_label.text().startswith("Nothing was exported: ")
    assert not d.is_busy and d.export_button.isEnabled()
    return str(blocker.args[0])


def no_temp_left(folder: Path) -> bool:
    return not any(p.name.startswith(TEMP_PREFIX) for p in folder.iterdir())


# ---------------------------------------------------------------------- snapshot
def test_custom_size_snapshot(qtbot: Any, make_dialog: Any, tmp_path: Path) -> None:
    d = make_dialog()
    d.set_kind("snapshot")
    d.preset_combo.setCurrentIndex(d.preset_combo.findData("custom"))
    assert d.width_spin.isEnabled()
    d.width_spin.setValue(900)
    d.height_spin.setValue(640)
    d.title_edit.clear()
    qtbot.keyClicks(d.title_edit, "Snapshot <b>test</b>")
    assert not d.extent_view.isEnabled()  # no live map to take a view from
    d.extent_sites.setChecked(True)
    d.set_output_path(tmp_path / "map.png")
    progress: list[int] = []
    d.progress.connect(lambda p, _m: progress.append(p))
    path = export(qtbot, d)
    assert path == str(tmp_path / "map.png")
    image = QImage(path)
    assert (image.width(), image.height()) == (900, 640)
    assert progress[-1] == 100 and progress == sorted(progress)
    assert not d.progress_bar.isVisible() and d.status_label.text() == f"Exported to {path}"
    assert d.last_snapshot is not None and d.last_snapshot.spec.title == "Snapshot <b>test</b>"
    assert no_temp_left(tmp_path)


def test_current_view_and_screen_size(qtbot: Any, make_dialog: Any, tmp_path: Path) -> None:
    live = FakeMap((90.0, 40.0, 96.0, 44.0), mode="model")
    d = make_dialog(live_map=live)
    # The colour the user sees is the default.
    qtbot.waitUntil(lambda: d.snapshot_color_combo.currentData() == "model")
    d.set_kind("snapshot")
    assert d.extent_view.isChecked()
    d.preset_combo.setCurrentIndex(d.preset_combo.findData("screen"))
    d.set_output_path(tmp_path / "view.png")
    export(qtbot, d)
    image = QImage(str(tmp_path / "view.png"))
    assert (image.width(), image.height()) == (800, 560)
    result = d.last_snapshot
    assert result is not None and result.spec.extent == (90.0, 40.0, 96.0, 44.0)
    # The view's area is all in the picture.
    x0, y0 = result.frame.to_image(90.0, 44.0)
    x1, y1 = result.frame.to_image(96.0, 40.0)
    assert -1 <= x0 and x1 <= 801 and -1 <= y0 and y1 <= 561
    legend = [r.text for r in result.legend_rows]
    assert any("H100" in t for t in legend)  # coloured by chip model, as on screen


def test_current_view_from_a_real_map(
    qtbot: Any, make_dialog: Any, tmp_path: Path, session: Session
) -> None:
    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    view = MapView(center=(42.0, 93.0), zoom=6)
    view.resize(700, 500)
    controller = MapController(view, session)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(controller.ready, timeout=RENDER_TIMEOUT):
        pass
    box: list[Any] = []
    view.evaluate("CSE.map.getBounds().toBBoxString()", box.append)
    qtbot.waitUntil(lambda: bool(box))
    w, s, e, n = (float(v) for v in box[0].split(","))
    d = make_dialog(live_map=view)
    d.set_kind("snapshot")
    d.preset_combo.setCurrentIndex(d.preset_combo.findData("screen"))
    d.set_output_path(tmp_path / "real.png")
    export(qtbot, d)
    assert QImage(str(tmp_path / "real.png")).size() == view.size()
    assert d.last_snapshot.spec.extent == pytest.approx((w, s, e, n))
    controller.detach()
    view.close()


def test_oversize_is_refused_before_any_work(
    qtbot: Any, make_dialog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_render(*_a: Any, **_k: Any) -> None:
        raise AssertionError("rendering started for a refused size")

    monkeypatch.setattr(dialog_module, "render_snapshot", no_render)
    d = make_dialog()
    d.set_kind("snapshot")
    d.preset_combo.setCurrentIndex(d.preset_combo.findData("custom"))
    d.width_spin.setValue(16384)
    d.height_spin.setValue(16384)
    d.set_output_path(tmp_path / "huge.png")
    message = refused(qtbot, d)
    assert "megapixels" in message
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_the_render_and_writes_nothing(
    qtbot: Any, make_dialog: Any, tmp_path: Path
) -> None:
    d = fitted_snapshot(make_dialog, tmp_path / "cancelled.png")
    with qtbot.waitSignal(d.failed, timeout=RENDER_TIMEOUT) as blocker:
        qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
        assert d.is_busy and d.close_button.text() == "Cancel"
        assert not d.export_button.isEnabled()
        qtbot.mouseClick(d.close_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["cancelled"]
    assert d.isVisible()  # cancelling does not close the dialog
    assert list(tmp_path.iterdir()) == []


def test_cancel_while_the_map_loads_stops_it_and_writes_nothing(
    qtbot: Any, make_dialog: Any, tmp_path: Path
) -> None:
    # The sites are prepared first (on a worker); Cancel once the map itself is loading.
    d = fitted_snapshot(make_dialog, tmp_path / "cancelled.png")
    loading = lambda _percent, message: message == "Loading the map"  # noqa: E731
    with qtbot.waitSignal(d.progress, timeout=RENDER_TIMEOUT, check_params_cb=loading):
        qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(d.failed, timeout=RENDER_TIMEOUT) as blocker:
        qtbot.mouseClick(d.close_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["cancelled"]
    assert d.isVisible() and not d.is_busy
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file(
    qtbot: Any, make_dialog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "map.png"
    out.write_bytes(b"old")

    def full_disk(*_a: Any, **_k: Any) -> None:
        raise OSError(28, "No space left on device", str(out))

    monkeypatch.setattr(dialog_module, "save_png", full_disk)
    d = fitted_snapshot(make_dialog, out)
    message = refused(qtbot, d)
    assert message == f"{out}: No space left on device"
    assert out.read_bytes() == b"old"


# ---------------------------------------------------------------------- report
def test_report_of_the_selected_regions(qtbot: Any, make_dialog: Any, tmp_path: Path) -> None:
    d = make_dialog(selected=["r2"])
    d.set_kind("report")
    assert d.title_edit.text() == "Region report: Test data"
    assert d.report_selected.isEnabled()
    d.report_selected.setChecked(True)
    d.set_output_path(tmp_path / "report.pdf")
    path = export(qtbot, d)
    reader = pypdf.PdfReader(path)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Golmud 100 km" in text and "Hami box" not in text
    assert "Region report: Test data" in text
    assert len(list(reader.pages[0].images)) == 1
    # The report's map fitted that region.
    assert d.last_snapshot is not None and d.last_snapshot.layout.legend is not None
    x, y = d.last_snapshot.frame.to_image(94.9, 36.4)
    assert 0 < x < 2000 and 0 < y < 1333


def test_report_without_regions_covers_all_sites(
    qtbot: Any, make_dialog: Any, tmp_path: Path
) -> None:
    d = make_dialog(regions=[])
    d.set_kind("report")
    assert not d.report_all.isEnabled() and not d.report_selected.isEnabled()
    assert "covers all sites" in d.report_note.text()
    d.set_output_path(tmp_path / "all.pdf")
    path = export(qtbot, d)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
    assert "All sites" in text


# ---------------------------------------------------------------------- HTML and data
def test_interactive_html(qtbot: Any, make_dialog: Any, tmp_path: Path) -> None:
    d = make_dialog()
    d.set_kind("html")
    d.set_output_path(tmp_path / "map.html")
    path = export(qtbot, d, timeout=20_000)
    html = Path(path).read_text(encoding="utf-8")
    assert 'id="cse-export-state"' in html and "<script src=" not in html
    assert "Test data" in html


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".csv"])
def test_sites_all_filtered_and_in_a_region(
    qtbot: Any, make_dialog: Any, tmp_path: Path, suffix: str, sites: list[Site]
) -> None:
    d = make_dialog(filtered=["golmud-1", "karamay-1"])
    d.set_kind("sites")
    d.format_combo.setCurrentIndex(d.format_combo.findData(suffix))
    assert d.path_edit.text().endswith(suffix)

    d.set_output_path(tmp_path / f"all{suffix}")
    export(qtbot, d)
    assert [s.id for s in read_sites(tmp_path / f"all{suffix}").sites] == [s.id for s in sites]

    d.sites_filtered.setChecked(True)
    d.set_output_path(tmp_path / f"filtered{suffix}")
    export(qtbot, d)
    got = read_sites(tmp_path / f"filtered{suffix}")
    assert [s.id for s in got.sites] == ["golmud-1", "karamay-1"]
    if suffix != ".csv":
        assert got.metadata[FILTER_KEY]["kind"] == "table filter"
        assert got.metadata["title"] == "Test data"

    # On the indicator: a radio button's row is wider than what it reacts to.
    at = QPoint(6, d.sites_in_region.height() // 2)
    qtbot.mouseClick(d.sites_in_region, Qt.MouseButton.LeftButton, pos=at)
    d.region_combo.setCurrentIndex(d.region_combo.findData("r1"))
    assert d.sites_in_region.isChecked()
    d.set_output_path(tmp_path / f"hami{suffix}")
    export(qtbot, d)
    inside = {s.id for s in sites if HAMI.region.contains_point(s.lon, s.lat)}
    assert {s.id for s in read_sites(tmp_path / f"hami{suffix}").sites} == inside
    assert inside == {"nyocor-1", "yiwu-1"}
    assert no_temp_left(tmp_path)


def test_csv_formulas_are_neutralised_unless_kept(
    qtbot: Any, make_dialog: Any, tmp_path: Path, sites: list[Site]
) -> None:
    """Issue 11 finding 4, from the window: a cell a spreadsheet would run as a formula is
    written as text, unless the analyst asks for it raw."""
    formula = '=HYPERLINK("http://evil.example","x")'
    evil = replace(sites[0], operator=formula)
    d = make_dialog(sites=[evil])
    d.set_kind("sites")
    d.format_combo.setCurrentIndex(d.format_combo.findData(".csv"))
    assert not d.keep_formulas.isChecked()
    d.set_output_path(tmp_path / "safe.csv")
    export(qtbot, d)
    text = (tmp_path / "safe.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert read_sites(tmp_path / "safe.csv").sites[0].operator == formula  # reads back as typed
    d.keep_formulas.setChecked(True)
    d.set_output_path(tmp_path / "raw.csv")
    export(qtbot, d)
    raw = (tmp_path / "raw.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" not in raw and ",=HYPERLINK" in raw.replace('"', "")


def test_regions_as_geojson(qtbot: Any, make_dialog: Any, tmp_path: Path) -> None:
    d = make_dialog(selected=["r1"])
    d.set_kind("regions")
    d.set_output_path(tmp_path / "regions.geojson")
    export(qtbot, d)
    assert [r.name for r in load_regions(tmp_path / "regions.geojson")] == [
        "Hami box",
        "Golmud 100 km",
    ]
    d.regions_selected.setChecked(True)
    d.set_output_path(tmp_path / "selected.geojson")
    export(qtbot, d)
    assert [r.name for r in load_regions(tmp_path / "selected.geojson")] == ["Hami box"]


# ---------------------------------------------------------------------- choices and errors
def test_only_applicable_choices_are_offered(make_dialog: Any) -> None:
    d = make_dialog(regions=[])
    assert not d.extent_view.isEnabled() and not d.extent_regions.isEnabled()
    assert d.extent_sites.isChecked()
    assert not d.sites_filtered.isEnabled() and not d.sites_in_region.isEnabled()
    assert not d.regions_selected.isEnabled()
    screen = d.preset_combo.model().item(d.preset_combo.findData("screen"))
    assert not screen.isEnabled()
    d2 = make_dialog(live_map=FakeMap((90, 40, 96, 44)), filtered=["golmud-1"])
    assert d2.extent_view.isChecked() and d2.extent_regions.isEnabled()
    assert d2.sites_filtered.isEnabled() and "(1)" in d2.sites_filtered.text()


def test_extension_follows_the_choice(make_dialog: Any, tmp_path: Path) -> None:
    d = make_dialog()
    d.set_output_path(tmp_path / "out.png")
    d.set_kind("report")
    assert d.path_edit.text() == str(tmp_path / "out.pdf")
    d.set_kind("html")
    assert d.path_edit.text() == str(tmp_path / "out.html")
    d.set_kind("sites")
    d.format_combo.setCurrentIndex(d.format_combo.findData(".csv"))
    assert d.path_edit.text() == str(tmp_path / "out.csv")
    # A title the user typed is kept across kinds; the data kinds have none.
    d.set_kind("snapshot")
    d.title_edit.setText("Mine")
    d.title_edit.textEdited.emit("Mine")
    d.set_kind("report")
    assert d.title_edit.text() == "Mine"
    d.set_kind("regions")
    assert not d.title_edit.isEnabled()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing-folder/map.png", "does not exist"),
        ("map.jpg", "saved as a .png file"),
        ("", "choose a file"),
    ],
)
def test_bad_output_paths_are_refused(
    qtbot: Any, make_dialog: Any, tmp_path: Path, path: str, message: str
) -> None:
    d = make_dialog()
    d.set_kind("snapshot")
    d.set_output_path(str(tmp_path / path) if path else "")
    assert message in refused(qtbot, d)
    assert list(tmp_path.iterdir()) == []


def test_suggested_file_names_follow_the_kind(make_dialog: Any) -> None:
    d = make_dialog()
    d.set_kind("snapshot")
    assert Path(d.path_edit.text()).name == "map.png"
    d.set_kind("report")
    assert Path(d.path_edit.text()).name == "report.pdf"
    d.set_kind("sites")
    assert Path(d.path_edit.text()).name == "sites.geojson"
    d.set_kind("regions")
    assert Path(d.path_edit.text()).name == "regions.geojson"


# ---------------------------------------------------------------------- the session's date
def test_snapshot_and_report_count_to_the_sessions_date(qtbot: Any, tmp_path: Path) -> None:
    """The window hands the dialog the session's date: the dialog says what it counts,
    the map and the PDF are made as of that date, and the PDF's figures are the ones the
    window's live totals show."""
    from datetime import date

    from explorer.core.chips import ChipCatalogue
    from tests.test_report import dated_sites, row_values, section

    cat = ChipCatalogue.bundled()
    session = Session(cat, admin_areas=None)
    session.sites.reset(dated_sites(), {"title": "Dated", "as_of": "2025-07-01"})
    session.regions.reset([RegionEntry("h", rectangle("Hami / Yiwu box", 93.0, 42.0, 96.0, 44.5))])
    d = ExportDialog(
        session.sites.sites,
        session.regions.entries,
        session.sites.metadata,
        catalogue=cat,
        as_of_provider=lambda: session.as_of,
    )
    qtbot.addWidget(d)
    d.show()
    d.set_kind("report")
    assert d.as_of_label.text().startswith("the planned build-out")
    session.set_as_of(date(2025, 6, 30))
    d.set_kind("snapshot")  # the label is read again when the choice changes
    assert d.as_of_label.text() == (
        "capacity as of 2025-06-30 (lines online by then), export rules of that date"
    )
    d.set_kind("report")
    d.set_output_path(tmp_path / "dated.pdf")
    path = export(qtbot, d)
    assert d.last_snapshot is not None and d.last_snapshot.as_of == date(2025, 6, 30)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
    assert "Capacity as of 2025-06-30" in " ".join(text.split())
    live = session.live_totals.totals("h")
    body = section(text, "Hami / Yiwu box", "Sites inside")
    assert row_values(body, "Chips") == [f"{v:,}" for v in (6_000, 7_500, 9_000)]
    assert (live.chips_range[0], live.chips, live.chips_range[1]) == (6_000, 7_500, 9_000)
    # The map's title box says the same date.
    assert "Capacity as of 2025-06-30 (hardware lines online by then)" in " ".join(
        d.last_snapshot.layout.lines
    )


def test_too_many_regions_are_refused_before_rendering(
    qtbot: Any, make_dialog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_render(*_a: Any, **_k: Any) -> None:
        raise AssertionError("rendering started for refused regions")

    monkeypatch.setattr(dialog_module, "render_snapshot", no_render)
    many = [
        RegionEntry(f"r{i}", CircleRegion(f"R{i}", 80 + (i % 50) * 0.4, 35 + i // 50 * 0.4, 5000))
        for i in range(1001)
    ]
    d = make_dialog(regions=many)
    d.set_kind("report")
    d.set_output_path(tmp_path / "many.pdf")
    assert refused(qtbot, d).startswith("a report covers at most 100 regions")
    d.set_kind("snapshot")
    d.extent_regions.setChecked(True)
    d.set_output_path(tmp_path / "many.png")
    message = refused(qtbot, d)
    assert message.startswith("1,001 regions are more than the 1,000 a map snapshot draws")
    assert list(tmp_path.iterdir()) == []
