"""The site panel edits what capacity over time needs: each line's status, online date
and low-high range, and the site's part_of and supersedes (with a picker); every edit
is one undoable command through the store's validation door, and bad input is refused
with the reason beside the field."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from explorer.session.session import Session
from explorer.ui.site_panel import SitePanel
from explorer.ui.site_picker import NONE_TEXT, SiteIdRole, SitePicker


@pytest.fixture
def panel(qtbot: QtBot, dated_session: Session) -> SitePanel:
    p = SitePanel(dated_session)
    qtbot.addWidget(p)
    p.resize(480, 1000)
    p.show()
    qtbot.waitExposed(p)
    return p


def line(panel: SitePanel, name: str) -> QLineEdit:
    w = panel.field_widget(name)
    assert isinstance(w, QLineEdit)
    return w


def picker(panel: SitePanel, name: str) -> SitePicker:
    w = panel.field_widget(name)
    assert isinstance(w, SitePicker)
    return w


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def type_into_picker(qtbot: QtBot, p: SitePicker, text: str) -> None:
    edit = p.lineEdit()
    assert edit is not None
    p.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    p.completer().popup().hide()
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def card_error(panel: SitePanel, index: int) -> QLabel:
    label = panel.findChild(QLabel, f"error_hardware[{index}]")
    assert label is not None
    return label


# ---------------------------------------------------------------------------- line fields
def test_line_status_is_a_combo_of_the_line_statuses_and_undoable(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("golmud")
    status = panel.field_widget("hardware[0].status")
    assert isinstance(status, QComboBox)
    assert [status.itemText(i) for i in range(status.count())] == [
        "announced",
        "approved",
        "tendered",
        "under construction",
        "operational",
        "cancelled",
        "unknown",
    ]
    assert status.currentText() == "operational"
    status.setFocus()
    qtbot.keyClick(status, Qt.Key.Key_Down)  # operational -> cancelled, emits activated
    site = dated_session.sites.get("golmud")
    assert site.hardware[0].status == "cancelled"
    assert undo_stack.count() == 1
    assert undo_stack.undoText() == "Edit hardware of 'Golmud solar DC'"
    # The line says how it counts now, and the totals stop counting it.
    note = panel.findChild(QLabel, "note_hardware[0]")
    assert note is not None and note.isVisible() and note.text() == "Cancelled: never counted."
    assert dated_session.live_totals.ledger.contribution("golmud").undated == {
        "Ascend 910C": (500, 500, 500)
    }
    undo_stack.undo()
    assert dated_session.sites.get("golmud").hardware[0].status == "operational"
    assert status.currentText() == "operational"
    assert note.isHidden()


def test_online_date_is_validated_beside_the_field(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("golmud")
    online = line(panel, "hardware[0].online")
    assert online.text() == "2024-12"
    for bad in ("June 2026", "2026-13", "2026-02-30"):
        retype(qtbot, online, bad)
        assert undo_stack.count() == 0, bad
        assert f"got '{bad}'" in panel.error_text("hardware[0].online"), bad
        assert online.property("invalid") is True
        assert card_error(panel, 0).isVisible()
        assert f"'{bad}'" in card_error(panel, 0).text()
        assert card_error(panel, 1).isHidden()  # beside the line that is wrong only
    for good, stored in (("2026-06", "2026-06"), ("2027", "2027"), ("2026-02-28", "2026-02-28")):
        retype(qtbot, online, good)
        assert dated_session.sites.get("golmud").hardware[0].online == stored
        assert panel.error_text("hardware[0].online") == ""
    assert undo_stack.count() == 3
    retype(qtbot, online, "")  # blank: no online date
    assert dated_session.sites.get("golmud").hardware[0].online == ""
    note = panel.findChild(QLabel, "note_hardware[0]")
    assert note is not None and "counted in “All planned” only" in note.text()
    while undo_stack.canUndo():
        undo_stack.undo()
    assert online.text() == "2024-12"


def test_range_is_edited_and_checked_against_the_chips(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("yiwu-a")  # one H100 line of 3,000
    low, high = line(panel, "hardware[0].chips_low"), line(panel, "hardware[0].chips_high")
    assert (low.text(), high.text()) == ("", "")
    assert low.placeholderText() == "= chips"
    retype(qtbot, low, "2500")
    retype(qtbot, high, "4000")
    h = dated_session.sites.get("yiwu-a").hardware[0]
    assert (h.chips_low, h.chips, h.chips_high) == (2500, 3000, 4000)
    assert undo_stack.count() == 2
    retype(qtbot, low, "3500")
    assert "chips_low must not exceed chips (3000), got '3500'" in panel.error_text(
        "hardware[0].chips_low"
    )
    assert dated_session.sites.get("yiwu-a").hardware[0].chips_low == 2500
    retype(qtbot, low, "2500")
    retype(qtbot, high, "2000")
    assert "chips_high must not be below chips (3000), got '2000'" in panel.error_text(
        "hardware[0].chips_high"
    )
    assert undo_stack.count() == 2
    undo_stack.undo()
    assert dated_session.sites.get("yiwu-a").hardware[0].chips_high is None
    assert high.text() == ""


def test_line_notes_follow_the_date(panel: SitePanel, dated_session: Session) -> None:
    dated_session.selection.set("yiwu")
    notes = [panel.findChild(QLabel, f"note_hardware[{i}]") for i in (0, 1)]
    assert all(n is not None and n.isHidden() for n in notes)
    dated_session.set_as_of(date(2025, 6, 30))
    assert notes[0] is not None and notes[0].isHidden()  # online 2025-06: counted
    assert notes[1] is not None and notes[1].text() == (
        "Online 31 December 2026: not counted as of 30 June 2025."
    )
    dated_session.selection.set("delingha")
    texts = [panel.findChild(QLabel, f"note_hardware[{i}]").text() for i in (0, 1)]  # type: ignore[union-attr]
    assert texts == [
        "Cancelled: never counted.",
        "No online date: counted in “All planned” only, never at a date.",
    ]


# ---------------------------------------------------------------------------- relations
def test_picker_lists_the_other_sites_by_name_and_id(
    panel: SitePanel, dated_session: Session
) -> None:
    dated_session.selection.set("yiwu-a")
    p = picker(panel, "part_of")
    ids = [p.itemData(i, SiteIdRole) for i in range(p.count())]
    assert ids[0] == "" and p.itemText(0) == NONE_TEXT
    assert "yiwu-a" not in ids  # not itself
    assert sorted(ids[1:]) == sorted(s.id for s in dated_session.sites if s.id != "yiwu-a")
    assert p.currentText() == "Yiwu computing cluster (yiwu)"
    assert picker(panel, "supersedes").currentText() == NONE_TEXT
    completer = p.completer()
    assert completer.filterMode() == Qt.MatchFlag.MatchContains
    assert completer.caseSensitivity() == Qt.CaseSensitivity.CaseInsensitive


def test_picker_rows_and_ids_agree_around_the_left_out_site(
    panel: SitePanel, dated_session: Session
) -> None:
    for own in ("mystery", "yiwu-a", "yiwu"):
        dated_session.selection.set(own)
        p = picker(panel, "supersedes")
        rows = {p.itemData(i, SiteIdRole): i for i in range(p.count())}
        assert own not in rows and p.index_of(own) == -1
        assert all(p.index_of(sid) == i for sid, i in rows.items())
        others = sorted(
            (s for s in dated_session.sites if s.id != own), key=lambda s: (s.name.casefold(), s.id)
        )
        assert [p.itemText(i) for i in range(p.count())][1:] == [
            f"{s.name} ({s.id})" for s in others
        ]


def test_part_of_by_typing_a_name_is_one_undoable_edit(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("mystery")
    type_into_picker(qtbot, picker(panel, "part_of"), "yiwu computing cluster")
    assert dated_session.sites.get("mystery").part_of == "yiwu"
    assert undo_stack.count() == 1
    assert undo_stack.undoText() == "Edit part_of of 'Unnamed Hami project'"
    assert picker(panel, "part_of").currentText() == "Yiwu computing cluster (yiwu)"
    assert panel.relation_note.isVisible()
    assert panel.relation_note.text().startswith(
        "Part of the campus 'Yiwu computing cluster' (yiwu): counts where it stands"
    )
    undo_stack.undo()
    assert dated_session.sites.get("mystery").part_of == ""
    assert picker(panel, "part_of").currentText() == NONE_TEXT
    assert panel.relation_note.isHidden()
    undo_stack.redo()
    assert dated_session.sites.get("mystery").part_of == "yiwu"


def test_choosing_none_in_the_list_clears_the_reference(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("yiwu-b")
    p = picker(panel, "part_of")
    type_into_picker(qtbot, p, NONE_TEXT)
    assert dated_session.sites.get("yiwu-b").part_of == ""
    assert undo_stack.count() == 1
    assert p.currentText() == NONE_TEXT
    undo_stack.undo()
    # Choosing the row from the list (as from the drop-down) does the same.
    p.setCurrentIndex(0)
    p.activated.emit(0)
    assert dated_session.sites.get("yiwu-b").part_of == ""
    assert undo_stack.count() == 1


@pytest.mark.parametrize(
    ("sid", "field", "typed", "message"),
    [
        ("mystery", "part_of", "nowhere", "part_of: no site has the id or name 'nowhere'"),
        (
            "golmud",
            "part_of",
            "yiwu-a",
            "'Yiwu block A' (yiwu-a) is itself part of 'Yiwu computing cluster' (yiwu): "
            "parts are one level deep",
        ),
        (
            "yiwu",
            "part_of",
            "golmud",
            "this site is the campus of 2 parts: a campus cannot be a part",
        ),
        ("golmud", "supersedes", "nowhere", "supersedes: no site has the id or name 'nowhere'"),
        (
            "nyocor-old",
            "supersedes",
            "nyocor-new",
            "'Nyocor compute centre' (nyocor-new) already leads back to this site through "
            "supersedes: that would be a cycle",
        ),
        ("golmud", "part_of", "bad id!", "part_of must be a site id, got 'bad id!'"),
    ],
)
def test_references_the_totals_cannot_use_are_refused(
    qtbot: QtBot,
    panel: SitePanel,
    dated_session: Session,
    undo_stack: QUndoStack,
    sid: str,
    field: str,
    typed: str,
    message: str,
) -> None:
    dated_session.selection.set(sid)
    before = dated_session.sites.get(sid)
    p = picker(panel, field)
    type_into_picker(qtbot, p, typed)
    assert dated_session.sites.get(sid) == before
    assert undo_stack.count() == 0
    assert message in panel.error_text(field)
    label = panel.findChild(QLabel, f"error_{field}")
    assert label is not None and label.isVisible() and message in label.text()
    assert p.property("invalid") is True
    assert p.currentText() == typed  # left to be fixed


def test_supersession_is_explained_on_both_records(
    qtbot: QtBot, panel: SitePanel, dated_session: Session, undo_stack: QUndoStack
) -> None:
    dated_session.selection.set("nyocor-old")
    assert panel.relation_note.text() == (
        "Superseded by 'Nyocor compute centre' (nyocor-new): kept for history, never counted."
    )
    dated_session.selection.set("golmud")
    type_into_picker(qtbot, picker(panel, "supersedes"), "delingha")
    assert dated_session.sites.get("golmud").supersedes == "delingha"
    assert panel.relation_note.text() == (
        "Replaces the earlier record 'Delingha green DC' (delingha), which is no longer counted."
    )
    # The superseded record no longer counts anywhere.
    assert dated_session.live_totals.ledger.is_superseded("delingha")
    dated_session.selection.set("delingha")
    assert panel.relation_note.text().startswith("Superseded by 'Golmud solar DC' (golmud)")
    undo_stack.undo()
    assert not dated_session.live_totals.ledger.is_superseded("delingha")
    assert panel.relation_note.isHidden()


def test_campus_note_says_what_counts_and_follows_its_parts(
    qtbot: QtBot, panel: SitePanel, dated_session: Session
) -> None:
    dated_session.selection.set("yiwu")
    text = panel.relation_note.text()
    # Campus 10,000 H100, parts 3,000 + 2,000: the campus counts 5,000 at its point.
    assert text.startswith("Campus of 2 parts ('Yiwu block A' (yiwu-a), 'Yiwu block B' (yiwu-b)).")
    assert text.endswith("(all planned: H100 5,000).")
    # A part edited elsewhere (undoable, from another view) changes the campus's note.
    part = dated_session.sites.get("yiwu-b")
    new = part.with_changes(hardware=(part.hardware[0].__class__("H100", 4000),))
    dated_session.edit_site(part, new)
    assert panel.relation_note.text().endswith("(all planned: H100 3,000).")
