"""Capacity over time in the real window: the date control above the map drives every
live total, and the figures are those of ``explorer totals --as-of`` and
``explorer timeline`` run on the same saved file (issue 9, "Done when")."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer.core.schema import HardwareLine
from explorer.io.formats import write_sites
from explorer.ui.date_text import date_words
from tests.ui.dated import dated_sites

from .conftest import wait_rendered

D = date.fromisoformat
EVERYWHERE = "Everywhere"  # a region around every site: the status line's figure


def _cli(*args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    sites = tmp_path / "dated.geojson"
    write_sites(sites, dated_sites(), {"title": "Dated test data"})
    regions = tmp_path / "regions.geojson"
    square = [[[91, 41.5], [96.5, 41.5], [96.5, 44.5], [91, 44.5], [91, 41.5]]]
    qinghai = [[[90, 35], [99, 35], [99, 39], [90, 39], [90, 35]]]
    world = [[[70, 30], [110, 30], [110, 50], [70, 50], [70, 30]]]
    features = [
        {"type": "Feature", "properties": {"name": name}, "geometry": geometry}
        for name, geometry in (
            ("Hami", {"type": "Polygon", "coordinates": square}),
            ("Qinghai west", {"type": "Polygon", "coordinates": qinghai}),
            ("Changji", {"type": "Point", "coordinates": [87.3, 44.0]}),
            (EVERYWHERE, {"type": "Polygon", "coordinates": world}),
        )
    ]
    features[2]["properties"]["radius_m"] = 60_000
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return sites, regions


def _press_until(qtbot, window, day: date) -> None:  # noqa: ANN001
    """Walk the slider with the keyboard (Home, then Right) until it shows ``day``."""
    strip = window.as_of_strip
    strip.slider.setFocus()
    qtbot.keyClick(strip.slider, Qt.Key.Key_Home)
    for _ in range(len(strip.stops)):
        if window.session.as_of == day:
            return
        qtbot.keyClick(strip.slider, Qt.Key.Key_Right)
    raise AssertionError(f"{day} is not a stop: {strip.stops}")


def _panel_json(window) -> list[dict[str, Any]]:  # noqa: ANN001
    model = window.region_panel.model
    return [model.totals_of(rid).to_json() for rid in model.region_ids()]


def test_date_control_drives_the_panels_as_the_cli_counts(
    qtbot,
    make_window,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    sites, regions = _files(tmp_path)
    window = make_window(sites)
    assert window.region_panel.import_regions(regions) == 4
    window.regions_dock.raise_()
    wait_rendered(qtbot, window)
    strip = window.as_of_strip
    assert strip.stops == window.session.date_stops() and len(strip.stops) == 16

    for day in (D("2025-03-31"), D("2025-04-09"), D("2026-06-30"), D("2027-12-31")):
        _press_until(qtbot, window, day)
        assert strip.date_label.text() == date_words(day)
        cli = _cli(
            "totals", str(sites), "--regions", str(regions), "--as-of", day.isoformat(), "--json"
        )
        assert _panel_json(window) == cli["regions"], day
        # The cells say the same, with their ranges.
        model = window.region_panel.model
        hami = cli["regions"][0]
        lo, hi = hami["range"]["chips"]
        shown = f"{hami['chips']:,}" + ("" if lo == hi == hami["chips"] else f" ({lo:,}–{hi:,})")
        assert model.index(0, 3).data() == shown
        # The copied table carries the ranges too.
        rows = [r.split("\t") for r in window.region_panel.totals_text().splitlines()]
        copied = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
        for got, want in zip(copied, cli["regions"], strict=True):
            assert got["as_of"] == day.isoformat()
            assert [int(got["chips_low"]), int(got["chips"]), int(got["chips_high"])] == [
                want["range"]["chips"][0],
                want["chips"],
                want["range"]["chips"][1],
            ]
            assert float(got["restricted_h100e"]) == want["restricted_h100e"]
            assert int(got["unknown_model_chips"]) == want["unknown_model_chips"]
        # The status line is every site's total at the date.
        qtbot.waitUntil(lambda d=day: window.status_totals().as_of == d, timeout=10_000)
        everywhere = cli["regions"][3]
        assert window.status_totals().chips == everywhere["chips"]
        text = f"As of {date_words(day)}: {everywhere['chips']:,}"
        qtbot.waitUntil(lambda t=text: window.totals_label.text().startswith(t), timeout=10_000)
        # So does the site table's footer: counted once, not the column's sum.
        footer = window.table.footer.text()
        assert f"· {everywhere['chips']:,}" in footer, footer
        assert f"chips counted by {day.isoformat()}" in footer, footer

    # H20 becomes restricted on 2025-04-09: Qinghai west's restricted chips jump then.
    before = _cli(
        "totals", str(sites), "--regions", str(regions), "--as-of", "2025-03-31", "--json"
    )
    after = _cli("totals", str(sites), "--regions", str(regions), "--as-of", "2025-04-09", "--json")
    assert before["regions"][1]["restricted_chips"] == 0
    assert after["regions"][1]["restricted_chips"] == 900

    # "All planned" is plain `explorer totals` (no date, today's rules).
    strip.planned_button.setFocus()
    qtbot.keyClick(strip.planned_button, Qt.Key.Key_Space)
    assert window.session.as_of is None
    cli = _cli("totals", str(sites), "--regions", str(regions), "--json")
    assert _panel_json(window) == cli["regions"]
    assert window.region_panel.as_of_label.text() == "Totals: all planned"
    assert all(r["as_of"] is None for r in cli["regions"])


def test_chart_is_the_cli_timeline_of_the_selected_region(
    qtbot,
    make_window,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    sites, regions = _files(tmp_path)
    window = make_window(sites)
    window.region_panel.import_regions(regions)
    timeline = _cli("timeline", str(sites), "--regions", str(regions), "--json")
    panel = window.chart_panel
    for rid, expected in zip(window.region_store.ids(), timeline["regions"], strict=True):
        window.region_selection.set(rid)
        qtbot.waitUntil(
            lambda rid=rid: panel.series is not None and panel.series.region_id == rid,
            timeout=5_000,
        )
        assert [p.totals.to_json() for p in panel.series.points] == expected["points"]
    # The date moves the chart's marker.
    _press_until(qtbot, window, D("2025-06-30"))
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.as_of == D("2025-06-30"), timeout=5_000
    )
    window.chart_dock.raise_()
    image = window.grab()
    image.save(str(tmp_path / "window.png"))
    assert not image.isNull()


def test_opening_another_file_recomputes_the_dates(
    qtbot,
    make_window,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    sites, regions = _files(tmp_path)
    window = make_window(sites)
    _press_until(qtbot, window, D("2025-06-30"))
    later = tmp_path / "later.geojson"
    shifted = [
        s.with_changes(
            hardware=tuple(
                HardwareLine(h.chip_model, h.chips, online="2026-09" if h.online else "")
                for h in s.hardware
            )
        )
        for s in dated_sites()
    ]
    write_sites(later, shifted, {"title": "Later"})
    assert window.open_path(later, interactive=False)
    strip = window.as_of_strip
    # The date is kept; the new data's dates are the stops.
    assert window.session.as_of == D("2025-06-30")
    assert strip.stops == [D("2025-06-30"), D("2026-09-30")]
    window.region_panel.import_regions(regions)
    cli = _cli("totals", str(later), "--regions", str(regions), "--as-of", "2025-06-30", "--json")
    assert _panel_json(window) == cli["regions"]
    assert all(r["chips"] == 0 for r in cli["regions"])
    qtbot.keyClick(strip.slider, Qt.Key.Key_End)
    assert window.session.as_of == D("2026-09-30")
    cli = _cli("totals", str(later), "--regions", str(regions), "--as-of", "2026-09-30", "--json")
    assert _panel_json(window) == cli["regions"]
    # A file with no dated line goes back to "All planned".
    undated = tmp_path / "undated.geojson"
    write_sites(
        undated, [s.with_changes(hardware=(HardwareLine("H100", 5),)) for s in dated_sites()]
    )
    assert window.open_path(undated, interactive=False)
    assert window.session.as_of is None and strip.stops == []
    assert strip.planned_button.isChecked()
    QApplication.processEvents()


@pytest.mark.parametrize("as_of", [None, "2025-06-30"])
def test_totals_by_area_follow_the_date(qtbot, make_window, tmp_path: Path, as_of) -> None:  # noqa: ANN001
    sites, _ = _files(tmp_path)
    window = make_window(sites)
    if as_of is not None:
        _press_until(qtbot, window, D(as_of))
    window.show_area_totals()
    widget = window._area_dialog.widget  # noqa: SLF001
    rows = {t.region: t for t in widget.visible_totals()}
    args = ["totals", str(sites), "--json"] + (["--as-of", as_of] if as_of else [])
    everything = _cli(*args)["regions"][0]
    assert sum(t.chips for t in rows.values()) == everything["chips"]
    assert (
        f"totals {'all planned' if as_of is None else 'as of 30 June 2025'}" in widget.footer.text()
    )
