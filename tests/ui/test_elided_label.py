"""The status bar's labels give up width with "…" and keep their whole text."""

from __future__ import annotations

from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from explorer.ui.elided_label import ElidedLabel

LONG = "Illustrative scenario: 39 of 41 sites are not reported facts"


def test_a_narrow_label_ends_its_text_with_an_ellipsis(qtbot: QtBot) -> None:
    label = ElidedLabel(LONG)
    qtbot.addWidget(label)
    assert label.minimumSizeHint().width() < label.sizeHint().width() / 2
    label.resize(label.sizeHint())
    label.show()
    qtbot.waitExposed(label)
    assert label.shown_text() == LONG
    label.resize(label.sizeHint().width() // 2, label.sizeHint().height())
    shown = label.shown_text()
    assert shown.endswith("…") and LONG.startswith(shown[:-1]) and len(shown) < len(LONG)
    assert label.text() == LONG and label.toolTip() == LONG
    # What it draws is text: dark pixels on the left, none past the ellipsis.
    image = label.grab().toImage()
    dark = [
        x
        for x in range(image.width())
        for y in range(image.height())
        if QColor(image.pixel(x, y)).lightness() < 128
    ]
    width = label.fontMetrics().horizontalAdvance(shown)
    assert dark and max(dark) <= width + 2


def test_a_tooltip_of_the_owner_is_kept(qtbot: QtBot) -> None:
    label = ElidedLabel("first")
    qtbot.addWidget(label)
    assert label.toolTip() == "first"
    label.setToolTip("All sites\ndetails")
    label.setText("second")
    assert label.toolTip() == "All sites\ndetails"
    label.setToolTip("")  # given back: the whole text again
    assert label.toolTip() == "second"
