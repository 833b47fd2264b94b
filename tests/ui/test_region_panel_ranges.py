"""The regions panel shows low–central–high and what each site counts at the date;
chips of unknown model are named; the union line follows the date."""

from __future__ import annotations

from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.session.session import Session
from explorer.ui.region_format import ranged_text, totals_cells, totals_tooltip
from explorer.ui.region_panel import RegionPanel
from tests.ui.test_region_panel import cell, child_cells, select_rows

D = date.fromisoformat


@pytest.fixture
def panel(qtbot: QtBot, dated_session: Session) -> RegionPanel:
    dated_session.regions.reset(
        [
            RegionEntry("r1", rectangle("Hami", 91, 41.5, 96.5, 44.5)),
            RegionEntry("r2", rectangle("Qinghai west", 90, 35, 99, 39)),
        ]
    )
    p = RegionPanel(dated_session)
    qtbot.addWidget(p)
    p.resize(1200, 300)
    p.show()
    return p


def test_ranged_text() -> None:
    assert ranged_text(12_000, 9_000, 15_000) == "12,000 (9,000–15,000)"
    assert ranged_text(12_000, 12_000, 12_000) == "12,000"
    assert ranged_text(18.9, 14.49, 27.09, ",.1f") == "18.9 (14.5–27.1)"
    assert ranged_text(2.0, 2.04, 1.96, ",.1f") == "2.0"  # a range that prints as its centre


def test_cells_show_ranges_and_unknown_model_chips(
    panel: RegionPanel, dated_session: Session
) -> None:
    m = panel.model
    # Hami, all planned: campus and parts max(10,000, 5,000) H100 + 1,000 Other.
    assert cell(m, "r1", "chips") == "11,000 (8,000–14,000)"
    assert cell(m, "r1", "restricted") == "10,000 (7,000–13,000)"
    assert cell(m, "r1", "h100e") == "10,000.0 (7,000.0–13,000.0)"
    assert cell(m, "r1", "by_model") == (
        "H100 10,000 · Other 1,000 (unknown model: not in H100e or power)"
    )
    tip = totals_tooltip(m.totals_of("r1"))
    assert "1,000 chips of unknown model: not in H100e or power" in tip
    assert tip.startswith("All planned: every line not cancelled, export rules of ")
    # Site rows: what each site counts here, and what it records when that differs.
    assert child_cells(m, "r1", "name") == [
        "Yiwu computing cluster",
        "Yiwu block A",
        "Yiwu block B",
        "Unnamed Hami project",
    ]
    assert child_cells(m, "r1", "chips") == ["5,000 (of 10,000)", "3,000", "2,000", "1,000"]
    assert "what a campus's parts already hold are not counted" in str(
        m.index(0, 3, m.region_index("r1")).data(3)  # ToolTipRole
    )


def test_site_rows_and_totals_follow_the_date(panel: RegionPanel, dated_session: Session) -> None:
    m = panel.model
    panel.view.expand(m.region_index("r1"))  # the rows one can see follow at once
    dated_session.set_as_of(D("2025-06-30"))
    assert cell(m, "r1", "chips") == "6,000 (5,000–7,000)"
    # The campus's own 6,000 is online, its part A's 3,000 too: the campus counts 3,000.
    assert child_cells(m, "r1", "chips") == [
        "3,000 (of 10,000)",
        "3,000",
        "0 (of 2,000)",
        "0 (of 1,000)",
    ]
    assert child_cells(m, "r1", "by_model") == ["H100 3,000", "H100 3,000", "", ""]
    assert panel.as_of_label.text() == "Totals as of 30 June 2025"
    assert cell(m, "r2", "restricted") == "900"  # the H20 needs a licence by then
    dated_session.set_as_of(D("2025-03-31"))
    assert cell(m, "r2", "restricted") == "0"
    assert cell(m, "r2", "chips") == "900"
    assert child_cells(m, "r1", "chips")[:2] == ["0 (of 10,000)", "3,000"]


def test_collapsed_rows_catch_up_when_expanded(panel: RegionPanel, dated_session: Session) -> None:
    m = panel.model
    dated_session.set_as_of(D("2025-06-30"))
    panel.view.expand(m.region_index("r1"))
    assert child_cells(m, "r1", "chips")[0] == "3,000 (of 10,000)"
    panel.view.collapse(m.region_index("r1"))
    dated_session.set_as_of(None)
    panel.view.expand(m.region_index("r1"))
    assert child_cells(m, "r1", "chips")[0] == "5,000 (of 10,000)"


def test_union_line_shows_the_date_and_ranges(panel: RegionPanel, dated_session: Session) -> None:
    select_rows(panel, "r1", "r2")
    text = panel.union_label.text()
    assert text.startswith("Union of 2 regions, all planned (each site counted once): 6 sites")
    t = panel.union_totals()
    assert f"{t.chips:,} ({t.chips_range[0]:,}–{t.chips_range[1]:,}) chips" in text
    assert "1,000 chips of unknown model: not in H100e or power" in text
    dated_session.set_as_of(D("2025-06-30"))
    text = panel.union_label.text()
    assert text.startswith("Union of 2 regions, as of 30 June 2025 (each site counted once)")
    assert "6,900 (5,900–7,900) chips" in text
    assert "unknown model" not in text
    assert totals_cells(panel.union_totals())["chips"] == "6,900 (5,900–7,900)"
