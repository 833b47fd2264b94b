"""A one-line label that gives up width by cutting its text with "…" at the end.

A plain ``QLabel`` asks for its whole text's width as its minimum: in the status bar,
on a window narrower than its labels (a 1366 x 768 laptop with the side docks open),
the bar cut them at its edge in the middle of a word ("… are not repc"), with nothing
to say that text was missing. :class:`ElidedLabel` can be made as narrow as a few
characters; what it cannot show ends in "…", and the whole text is in its tooltip
unless the owner sets a tooltip of its own. :meth:`text` is always the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QWidget

#: Characters the label keeps room for at its narrowest (then "…").
MIN_CHARS = 8


class ElidedLabel(QLabel):
    """A plain-text, one-line :class:`QLabel` that elides at its right end.

    Parameters
    ----------
    text : str
    parent : QWidget, optional
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._own_tip = False
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        if not self._own_tip:
            super().setToolTip(text)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt override
        """A tooltip of the owner's (the whole text is no longer put there)."""
        self._own_tip = bool(tip)
        super().setToolTip(tip if tip else self.text())

    def shown_text(self) -> str:
        """What the label draws at its present width (the text, or its start and "…")."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width())
        )

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        narrow = self.fontMetrics().horizontalAdvance("x" * MIN_CHARS + "…")
        margins = self.contentsMargins()
        return QSize(min(hint.width(), narrow + margins.left() + margins.right()), hint.height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        try:
            self.style().drawItemText(
                painter,
                self.contentsRect(),
                int(self.alignment()),
                self.palette(),
                self.isEnabled(),
                self.shown_text(),
                self.foregroundRole(),
            )
        finally:
            painter.end()


__all__ = ["MIN_CHARS", "ElidedLabel"]
