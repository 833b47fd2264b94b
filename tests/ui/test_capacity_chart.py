"""The capacity-over-time dock: its series is what ``explorer timeline`` computes; it
follows the region selection, edits, undo and the date; the chart draws restricted
models solid and the others hatched, with the range and the date marked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QUndoStack
from pytestqt.qtbot import QtBot

from explorer.core.commands import EditSite
from explorer.core.schema import HardwareLine
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, rectangle
from explorer.geo.timeline import timeline
from explorer.session.session import Session
from explorer.ui.capacity_chart import CapacityChart, compact_number, nice_step, point_tooltip
from explorer.ui.capacity_panel import CapacityPanel
from explorer.ui.capacity_series import ALL_SITES, capacity_series, series_dates
from explorer.ui.undo import push
from explorer.web.palette import model_color

D = date.fromisoformat
HAMI = rectangle("Hami", 91, 41.5, 96.5, 44.5)
QINGHAI = rectangle("Qinghai west", 90, 35, 99, 39)


@pytest.fixture
def session(dated_session: Session) -> Session:
    dated_session.regions.reset(
        [
            RegionEntry("r1", HAMI),
            RegionEntry("r2", QINGHAI),
            RegionEntry("r3", CircleRegion("Changji", 87.3, 44.0, 60_000)),
        ]
    )
    return dated_session


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> CapacityPanel:
    p = CapacityPanel(session)
    qtbot.addWidget(p)
    p.resize(520, 340)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_series_is_the_timeline_of_the_cli(session: Session) -> None:
    dates, step = series_dates(session)
    assert step == "quarter"
    assert dates[0] == D("2024-12-31") and dates[-1] == D("2027-12-31") and len(dates) == 13
    sites = session.sites.sites()
    for rid, region in (("r1", HAMI), ("r2", QINGHAI), (None, None)):
        series = capacity_series(session, rid)
        expected = timeline(
            sites, [region] if region else None, dates, catalogue=session.catalogue
        )[0]
        name = region.name if region else "all"  # `explorer timeline` says "all"
        assert [replace(p.totals, region=name) for p in series.points] == list(expected.points)
        assert series.dates == dates
        if rid is not None:  # the undated bar is the regions panel's figure
            assert series.planned.totals == session.live_totals.totals(rid)
    # Worked by hand (tests/ui/dated.py): every site, chips by date.
    every = capacity_series(session, None)
    assert every.name == ALL_SITES
    assert [p.totals.chips for p in every.points] == [
        900,
        3_900,
        8_900,
        9_400,
        9_400,
        10_400,
        10_400,
        10_400,
        14_400,
        14_400,
        14_400,
        14_400,
        17_400,
    ]
    assert every.planned.totals.chips == 18_200
    assert every.models == ("H100", "H200", "H20", "Ascend 910C", "Other")


def test_restricted_share_follows_the_rules_of_each_date(session: Session) -> None:
    q = capacity_series(session, "r2")  # Qinghai west: golmud (H20, Ascend) and delingha
    first, second = q.points[0], q.points[2]  # 2024-12-31, 2025-06-30
    assert first.stack() == [("H20", 900, False)]  # no licence needed before 2025-04-09
    assert first.totals.restricted_chips == 0
    assert second.stack() == [("H20", 900, True)]
    assert q.points[3].stack() == [("H20", 900, True), ("Ascend 910C", 500, False)]
    assert q.planned.stack() == [
        ("H200", 800, True),
        ("H20", 900, True),
        ("Ascend 910C", 500, False),
    ]


def test_panel_follows_region_selection(
    panel: CapacityPanel, session: Session, qtbot: QtBot
) -> None:
    assert panel.series is not None and panel.series.name == ALL_SITES
    assert panel.title_label.text() == "All sites: chips by model over time · marked all planned"
    session.region_selection.set("r1")
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id == "r1", timeout=10_000
    )
    assert panel.series.name == "Hami"
    assert panel.title_label.text().startswith("Hami: ")
    assert "1,000 chips of unknown model: not in H100e or power" in panel.note_label.text()
    session.region_selection.set("r3")
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id == "r3", timeout=10_000
    )
    assert [p.totals.chips for p in panel.series.points][:3] == [0, 0, 2_000]
    session.regions.reset([])  # the selected region goes: every site again
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id is None, timeout=10_000
    )


def test_panel_follows_edits_and_undo(
    panel: CapacityPanel, session: Session, undo_stack: QUndoStack, qtbot: QtBot
) -> None:
    session.region_selection.set("r1")
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id == "r1", timeout=10_000
    )
    before = panel.series
    assert before is not None and before.points[-1].totals.chips == 11_000
    # A line online in 2027 at a Hami site: only the last bars and the planned one grow.
    old = session.sites.get("mystery")
    new = old.with_changes(hardware=(*old.hardware, HardwareLine("H200", 4000, online="2027-06")))
    push(undo_stack, EditSite(session.sites, old, new))
    qtbot.waitUntil(lambda: panel.series is not before, timeout=10_000)
    after = panel.series
    assert after is not None
    grown = [
        b.totals.chips - a.totals.chips for a, b in zip(before.points, after.points, strict=True)
    ]
    assert grown == [0] * 10 + [4_000] * 3
    assert after.planned.totals.chips == before.planned.totals.chips + 4_000
    undo_stack.undo()
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.points == before.points, timeout=10_000
    )


def test_panel_marks_the_date_and_widens_to_it(
    panel: CapacityPanel, session: Session, qtbot: QtBot
) -> None:
    series = panel.series
    session.set_as_of(D("2025-06-30"))
    assert panel.series is not None and panel.series.as_of == D("2025-06-30")
    assert panel.series.points is series.points  # only the marker moved
    assert panel.title_label.text().endswith("marked as of 30 June 2025")
    session.set_as_of(D("2029-05-01"))  # past the data: the series reaches it
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.dates[-1] == D("2029-06-30"),
        timeout=10_000,
    )
    assert panel.series.points[-1].totals.chips == 17_400


def test_hidden_panel_waits_until_shown(
    panel: CapacityPanel, session: Session, qtbot: QtBot
) -> None:
    panel.hide()
    series = panel.series
    session.region_selection.set("r2")
    # No work while nobody can see it: none done, none scheduled (not a wait that a
    # slow machine could end before the work would have come).
    assert not panel._idle.is_pending(panel, "refresh")  # noqa: SLF001
    assert panel.series is series
    panel.show()
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id == "r2", timeout=10_000
    )


# ---------------------------------------------------------------------------- drawing
def _color_at(image, x: float, y: float) -> QColor:  # noqa: ANN001
    return QColor(image.pixel(int(x), int(y)))


def test_chart_draws_solid_restricted_and_hatched_unrestricted(
    panel: CapacityPanel, session: Session, qtbot: QtBot, tmp_path: Path
) -> None:
    session.region_selection.set("r2")
    session.set_as_of(D("2025-06-30"))
    qtbot.waitUntil(
        lambda: panel.series is not None and panel.series.region_id == "r2", timeout=10_000
    )
    chart: CapacityChart = panel.chart
    image = chart.grab().toImage()
    image.save(str(tmp_path / "chart.png"))
    bars = chart.bar_rects()
    assert [d for d, _ in bars] == [*panel.series.dates, None]
    models = session.catalogue.names
    h20 = QColor(model_color("H20", models))

    def samples(day: date) -> list[QColor]:
        rect = dict(bars)[day]
        # Inside the bar, right of its centre (the date's dashed line may run there),
        # just above the axis: H20, 900 chips high on a 2,500-chip axis.
        return [
            _color_at(image, rect.center().x() + dx, rect.bottom() - dy)
            for dx in range(3, 10)
            for dy in range(10, 18)
        ]

    solid = samples(D("2025-06-30"))
    assert all(c == h20 for c in solid)  # restricted then: solid model colour
    hatched = samples(D("2024-12-31"))
    assert any(c == h20 for c in hatched)  # the hatch lines
    assert any(c != h20 and c.lightness() > h20.lightness() for c in hatched)  # the lighter fill
    assert point_tooltip(panel.series.points[0]).splitlines() == [
        "As of 31 December 2024",
        "900 chips, 0 restricted",
        "By model: H20 900 (not restricted then: H20)",
    ]


def test_axis_helpers() -> None:
    assert [nice_step(v) for v in (0, 9, 18_200, 1_000_000)] == [1.0, 2.0, 5_000.0, 200_000.0]
    assert [compact_number(v) for v in (0, 500, 2_500, 15_000, 1_500_000)] == [
        "0",
        "500",
        "2.5k",
        "15k",
        "1.5M",
    ]


def test_an_edit_that_changes_no_figure_costs_no_recount(
    panel: CapacityPanel, session: Session, undo_stack: QUndoStack, qtbot: QtBot
) -> None:
    series = panel.series
    old = session.sites.get("golmud")
    push(undo_stack, EditSite(session.sites, old, old.with_changes(name="Golmud (renamed)")))
    assert not panel._idle.is_pending(panel, "refresh")  # noqa: SLF001 - no recount scheduled
    assert panel.series is series


def test_a_short_dock_keeps_the_note_clear_of_the_chart(panel: CapacityPanel, qtbot: QtBot) -> None:
    # The dock's height on a 1366x768 screen (the window's default layout): the chart
    # gives up height to its note below rather than running under it.
    panel.resize(380, 235)
    qtbot.waitUntil(lambda: panel.note_label.text() != "")
    panel.layout().activate()
    chart, note = panel.chart.geometry(), panel.note_label.geometry()
    assert note.height() >= panel.note_label.heightForWidth(note.width())  # all its lines
    assert chart.bottom() < note.top(), (chart, note)
    assert note.bottom() < panel.height()
