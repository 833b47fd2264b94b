"""The conflict dialog shows both values field by field and waits for a choice."""

from __future__ import annotations

from PySide6.QtCore import Qt

from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.database.catalogue import StaleEdit, region_json
from explorer.session.refusals import Refusal
from explorer.ui.conflict_dialog import ConflictDialog


def test_a_region_deleted_by_someone_else(qtbot) -> None:  # noqa: ANN001
    mine = region_json(RegionEntry("r1", rectangle("Hami", 92, 42, 95, 44)))
    error = StaleEdit("region", "r1", mine, None, None)
    dialog = ConflictDialog(Refusal(error, "Rename region", "do"))
    qtbot.addWidget(dialog)
    assert dialog.heading.text() == (
        "The region “Hami” was deleted by someone else since you read it."
    )
    rows = dict((field, (yours, theirs)) for field, yours, theirs in dialog.rows())
    assert rows["Shape"] == ("Polygon, 5 vertices", "(deleted)")
    assert rows["Name and radius"][1] == "(deleted)"
    assert "Hami" in rows["Name and radius"][0]
    chosen: list[str] = []
    dialog.chosen.connect(chosen.append)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # does not choose
    assert dialog.isVisible() and chosen == [] and dialog.choice == ""
    qtbot.mouseClick(dialog.theirs_button, Qt.MouseButton.LeftButton)
    assert chosen == ["theirs"] and not dialog.isVisible()


def test_an_undo_of_a_delete_against_a_changed_site(qtbot) -> None:  # noqa: ANN001
    theirs = {"id": "a", "name": "Alpha", "tenant": "T", "hardware": [
        {"chip_model": "H100", "chips": 2000, "phase": "1"}]}  # fmt: skip
    error = StaleEdit("site", "a", None, theirs, 3)
    dialog = ConflictDialog(Refusal(error, "Delete Alpha", "redo"))
    qtbot.addWidget(dialog)
    assert dialog.what_label.text() == "Your redo of: Delete Alpha"
    assert ("Hardware", "(deleted)", "2,000 × H100, phase 1") in dialog.rows()
    assert ("Tenant", "(deleted)", "T") in dialog.rows()
