"""The "as of" strip: its stops are the data's dates, the keyboard and "All planned"
set the session's date, the date set elsewhere shows here, and the stops follow edits
and opening other data."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from explorer.core.schema import HardwareLine
from explorer.io.project_value import Project
from explorer.session.session import Session
from explorer.ui.date_strip import AsOfStrip, stop_reasons
from explorer.ui.region_panel import RegionPanel
from explorer.ui.undo import push
from tests.ui.dated import ONLINE_DATES, dated_sites

D = date.fromisoformat
#: The quarter ends from Q4 2024 (the first online date) to Q4 2027 (the last).
QUARTERS = [
    D(f"{y}-{md}") for y in (2025, 2026, 2027) for md in ("03-31", "06-30", "09-30", "12-31")
]
#: Export rules that change between those dates: the H20 needs a licence from 2025-04-09
#: and is licensed with conditions from 2025-08-08; the 2026-01-15 rule (case-by-case
#: review for H100/H200-class chips, presumption of denial above them).
RULE_DAYS = [D("2025-04-09"), D("2025-08-08"), D("2026-01-15")]


@pytest.fixture
def strip(qtbot: QtBot, dated_session: Session) -> AsOfStrip:
    s = AsOfStrip(dated_session)
    qtbot.addWidget(s)
    s.resize(900, 60)
    s.show()
    qtbot.waitExposed(s)
    return s


def test_stops_are_online_dates_quarter_ends_and_rule_changes(
    strip: AsOfStrip, dated_session: Session
) -> None:
    assert dated_session.online_dates() == [D(d) for d in ONLINE_DATES]
    expected = sorted({D("2024-12-31"), *QUARTERS, *RULE_DAYS})
    assert dated_session.date_stops() == expected
    assert strip.stops == expected
    assert strip.slider.minimum() == 0 and strip.slider.maximum() == len(expected) - 1
    assert strip.first_label.text() == "Dec 2024" and strip.last_label.text() == "Dec 2027"
    assert strip.scale.labels() == [(0, "2024"), (1, "2025"), (7, "2026"), (12, "2027")]
    assert stop_reasons(dated_session, D("2025-04-09")) == [
        "export rules change (H20: licence required)"
    ]
    assert stop_reasons(dated_session, D("2025-06-30")) == ["lines come online", "quarter end"]


def test_starts_on_all_planned(strip: AsOfStrip, dated_session: Session) -> None:
    assert dated_session.as_of is None
    assert strip.planned_button.isChecked()
    assert strip.date_label.text() == "All planned"
    assert strip.meaning_label.text().startswith("every line not cancelled, dated or not")


def test_keyboard_walks_the_stops_and_the_totals_follow(
    qtbot: QtBot, strip: AsOfStrip, dated_session: Session
) -> None:
    strip.slider.setFocus()
    qtbot.keyClick(strip.slider, Qt.Key.Key_Home)
    assert dated_session.as_of == D("2024-12-31")
    assert not strip.planned_button.isChecked()
    assert strip.date_label.text() == "31 December 2024"
    assert dated_session.live_totals.as_of == D("2024-12-31")
    qtbot.keyClick(strip.slider, Qt.Key.Key_Right)
    assert dated_session.as_of == D("2025-03-31")
    qtbot.keyClick(strip.slider, Qt.Key.Key_Right)
    assert dated_session.as_of == D("2025-04-09")
    assert "export rules change (H20: licence required)" in strip.meaning_label.text()
    assert "9 April 2025" in strip.slider.accessibleDescription()
    qtbot.keyClick(strip.slider, Qt.Key.Key_PageUp)  # four stops on
    assert dated_session.as_of == D("2025-12-31")
    qtbot.keyClick(strip.slider, Qt.Key.Key_End)
    assert dated_session.as_of == D("2027-12-31")
    # "All planned" by keyboard: Space on the button; again, back to the slider's date.
    strip.planned_button.setFocus()
    qtbot.keyClick(strip.planned_button, Qt.Key.Key_Space)
    assert dated_session.as_of is None
    assert strip.date_label.text() == "All planned"
    qtbot.keyClick(strip.planned_button, Qt.Key.Key_Space)
    assert dated_session.as_of == D("2027-12-31")


def test_the_regions_panel_follows_the_strip(
    qtbot: QtBot, strip: AsOfStrip, dated_session: Session
) -> None:
    from explorer.geo.region_store import RegionEntry
    from explorer.geo.regions import rectangle

    dated_session.regions.reset([RegionEntry("r1", rectangle("Hami", 91, 41.5, 96.5, 44.5))])
    panel = RegionPanel(dated_session)
    qtbot.addWidget(panel)

    def chips() -> str:
        return str(panel.model.index(0, 3).data())

    # All planned: campus and parts max(10,000, 5,000) + the Other 1,000; the campus's
    # remainder ranges 7,000-5,000 to 13,000-5,000, so 8,000 to 14,000 in all.
    assert chips() == "11,000 (8,000–14,000)"
    strip.slider.setFocus()
    qtbot.keyClick(strip.slider, Qt.Key.Key_Home)  # 2024-12-31: nothing in Hami yet
    assert chips() == "0"
    assert panel.as_of_label.text() == "Totals as of 31 December 2024"
    qtbot.keyClick(strip.slider, Qt.Key.Key_Right)  # 2025-03-31: yiwu-a's 3,000
    assert chips() == "3,000"
    strip.select_date(D("2025-06-30"))  # + the campus's remainder of 3,000 (range 2,000-4,000)
    assert chips() == "6,000 (5,000–7,000)"
    assert strip.slider.value() == strip.stops.index(D("2025-06-30"))


def test_a_date_set_elsewhere_shows_and_becomes_a_stop(
    strip: AsOfStrip, dated_session: Session
) -> None:
    n = len(strip.stops)
    dated_session.set_as_of(D("2025-05-17"))
    assert D("2025-05-17") in strip.stops and len(strip.stops) == n + 1
    assert strip.slider.value() == strip.stops.index(D("2025-05-17"))
    assert strip.date_label.text() == "17 May 2025"
    dated_session.set_as_of(None)
    assert strip.planned_button.isChecked()


def test_stops_follow_edits(
    qtbot: QtBot, strip: AsOfStrip, dated_session: Session, undo_stack: QUndoStack
) -> None:
    from explorer.core.commands import EditSite

    old = dated_session.sites.get("delingha")
    new = old.with_changes(hardware=(*old.hardware, HardwareLine("H200", 100, online="2029-02")))
    push(undo_stack, EditSite(dated_session.sites, old, new))
    qtbot.waitUntil(lambda: strip.stops[-1] == D("2029-03-31"), timeout=10_000)
    assert D("2029-02-28") in strip.stops
    assert strip.last_label.text() == "Mar 2029"
    undo_stack.undo()
    qtbot.waitUntil(lambda: strip.stops[-1] == D("2027-12-31"), timeout=10_000)


def test_opening_other_data_recomputes_the_stops(strip: AsOfStrip, dated_session: Session) -> None:
    strip.select_date(D("2025-06-30"))
    later = [
        s.with_changes(
            hardware=tuple(
                HardwareLine(h.chip_model, h.chips, online="2030-06" if h.online else "")
                for h in s.hardware
            )
        )
        for s in dated_sites()
    ]
    dated_session.load(Project(sites=later, metadata={}, regions=[]), path=None, display_name="b")
    # The chosen date stays (the totals there are now zero) and the new data's dates show.
    assert dated_session.as_of == D("2025-06-30")
    assert strip.stops == [D("2025-06-30"), D("2030-06-30")]
    undated = [s.with_changes(hardware=(HardwareLine("H100", 5),)) for s in dated_sites()]
    dated_session.load(Project(sites=undated, metadata={}, regions=[]), path=None, display_name="c")
    # Nothing dated: back to the planned build-out, nothing to slide over.
    assert dated_session.as_of is None
    assert strip.stops == []
    assert not strip.slider.isEnabled()
    assert strip.planned_button.isChecked()
    assert strip.meaning_label.text().startswith("no line has an online date")
    strip.planned_button.click()  # nothing dated to go to
    assert strip.planned_button.isChecked() and dated_session.as_of is None


def test_an_edit_that_dates_nothing_recounts_nothing(
    qtbot: QtBot, strip: AsOfStrip, dated_session: Session, undo_stack: QUndoStack
) -> None:
    from explorer.core.commands import EditSite

    old = dated_session.sites.get("golmud")
    push(undo_stack, EditSite(dated_session.sites, old, old.with_changes(lon=95.0, name="G")))
    assert not strip._restop_timer.isActive()  # noqa: SLF001 - the work not scheduled
    new = old.with_changes(hardware=(old.hardware[1],))  # the H20 line, the first dated, goes
    push(undo_stack, EditSite(dated_session.sites, dated_session.sites.get("golmud"), new))
    assert strip._restop_timer.isActive()  # noqa: SLF001
    qtbot.waitUntil(lambda: strip.stops[0] == D("2025-03-31"), timeout=10_000)
    assert strip.first_label.text() == "Mar 2025"
