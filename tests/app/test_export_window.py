"""File → Export from the main window: what the analyst drew ends up in the report."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from explorer import DEMO_SITES
from tests.web.driver import MapDriver

from .conftest import cli_totals, wait_rendered
from .test_regions_window import HAMI_BOX


def _export(qtbot, dialog) -> str:  # noqa: ANN001
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return str(blocker.args[0])


def test_report_and_snapshot_from_the_window(qtbot, make_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    window.draw_actions["rectangle"].trigger()
    wait_rendered(qtbot, window)
    MapDriver(window.map_view).draw_rectangle(HAMI_BOX[0], HAMI_BOX[1])
    qtbot.waitUntil(lambda: len(window.region_store) == 1, timeout=10_000)
    entry = window.region_store.entries()[0]
    mine = window.live_totals.totals(entry.id)

    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    dialog.set_kind("report")
    dialog.set_output_path(tmp_path / "report.pdf")
    path = _export(qtbot, dialog)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert entry.name in text
    assert f"{mine.chips:,}" in text
    assert "Bloomberg" in text  # the numbered source list

    # The same figure as a script would compute from the exported regions.
    regions_file = tmp_path / "regions.geojson"
    window.region_panel.export_regions_to(regions_file)
    assert f"{cli_totals(DEMO_SITES, regions_file)[0]['chips']:,}" in text

    dialog.set_kind("snapshot")
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("custom"))
    dialog.width_spin.setValue(1200)
    dialog.height_spin.setValue(800)
    dialog.set_output_path(tmp_path / "map.png")
    image = QImage(_export(qtbot, dialog))
    assert (image.width(), image.height()) == (1200, 800)
    # A map, not a blank page: many distinct colours.
    colours = {image.pixel(x, y) for x in range(0, 1200, 15) for y in range(0, 800, 15)}
    assert len(colours) > 50
