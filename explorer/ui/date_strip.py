"""The "as of" strip above the map: the date every live total counts up to.

A slider walks through the data's dates (:meth:`Session.date_stops`: the lines' online
dates, the quarter ends between them and the days the export rules changed), and
"All planned" counts every line that is not cancelled, dated or not, with today's
export rules. Choosing either calls :meth:`Session.set_as_of`; the regions panel, the
union line, Totals by area, the chart, the status line and the map follow the
session's ``as_of_changed`` event, and so does this strip (a date set elsewhere shows
here too).

The stops are recomputed when the sites change (once per burst of edits) and when
another file is opened. A date the stops do not hold (set from elsewhere, or kept from
the previous file) is added to them, so the slider can always show it; data without a
single dated line leaves only "All planned", and opening such a file goes back to it.

Keyboard: Alt+A focuses the slider; Left/Right step one stop, Page Up/Down four (about
a year of quarters), Home/End go to the first/last; Space on "All planned" toggles it.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.schema import Site
from explorer.session.session import Session
from explorer.ui.date_text import ALL_PLANNED, as_of_meaning, date_words, month_text
from explorer.ui.qt_store import SessionSignals, StoreSignals

#: Most ticks drawn under the slider (more stops share ticks).
MAX_TICKS = 48
#: Stops one Page Up/Down moves (four quarters: about a year).
PAGE_STOPS = 4


def stop_reasons(session: Session, day: date) -> list[str]:
    """Why ``day`` is a stop, in words: lines coming online, export rules changing
    (naming the models and their new status), a quarter end."""
    reasons = []
    if day in set(session.online_dates()):
        reasons.append("lines come online")
    rules = session.catalogue.rules
    changed = [
        f"{model}: {rule.status}"
        for model in rules.models
        for prev, rule in zip(rules.rows(model), rules.rows(model)[1:], strict=False)
        if rule.effective == day and rule.status != prev.status
    ]
    if changed:
        reasons.append("export rules change (" + "; ".join(changed) + ")")
    if (day.month, day.day) in ((3, 31), (6, 30), (9, 30), (12, 31)):
        reasons.append("quarter end")
    return reasons


def _dating(site: Site) -> tuple[object, ...]:
    """What a site's contribution to the stops depends on."""
    return (
        tuple((h.online, h.counts, h.chip_model) for h in site.hardware),
        site.part_of,
        site.supersedes,
    )


class _YearScale(QWidget):
    """Year labels under the slider, each under the first stop of its year."""

    def __init__(self, slider: QSlider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._slider = slider
        self._stops: list[date] = []
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_stops(self, stops: list[date]) -> None:
        self._stops = list(stops)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(100, self.fontMetrics().height() + 2)

    def labels(self) -> list[tuple[int, str]]:
        """``(stop index, year)`` of each label drawn."""
        out: list[tuple[int, str]] = []
        for i, d in enumerate(self._stops):
            if not out or self._stops[out[-1][0]].year != d.year:
                out.append((i, str(d.year)))
        return out

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self._stops:
            return
        s = self._slider
        opt = QStyleOptionSlider()
        s.initStyleOption(opt)
        style = s.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, s
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, s
        )
        span = groove.width() - handle.width()
        # The slider is a sibling, not an ancestor: map through the screen.
        offset = self.mapFromGlobal(s.mapToGlobal(groove.topLeft())).x() + handle.width() // 2
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        metrics = self.fontMetrics()
        placed: list[tuple[int, int, str]] = []
        # From the last year back: when two labels would touch, the earlier (a year
        # the data only starts in) gives way.
        for index, text in reversed(self.labels()):
            x = offset + QStyle.sliderPositionFromValue(s.minimum(), s.maximum(), index, span)
            width = metrics.horizontalAdvance(text)
            left = max(0, min(self.width() - width, x - width // 2))
            if placed and left + width + 4 > placed[-1][0]:
                continue
            placed.append((left, width, text))
        for left, width, text in placed:
            painter.drawText(QRect(left, 0, width, self.height()), 0, text)
        painter.end()


class AsOfStrip(QWidget):
    """Choose the date the live totals (and the map) count up to.

    Parameters
    ----------
    session : Session
        Read for its stops and date; :meth:`Session.set_as_of` is the only thing this
        strip changes.
    parent : QWidget, optional

    Attributes
    ----------
    slider : QSlider
        One position per stop (:attr:`stops`).
    planned_button : QToolButton
        "All planned", checked while the session is undated.
    date_label, meaning_label : QLabel
        The chosen date in words, and what it counts (and why it is a stop).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("as_of_strip")
        self.session = session
        self._stops: list[date] = []
        self._syncing = False

        title = QLabel("&As of", self)
        title.setObjectName("as_of_title")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("as_of_slider")
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(PAGE_STOPS)
        self.slider.setAccessibleName("As of date")
        self.slider.setMinimumWidth(200)
        title.setBuddy(self.slider)

        self.planned_button = QToolButton(self)
        self.planned_button.setObjectName("as_of_all_planned")
        self.planned_button.setText(ALL_PLANNED)
        self.planned_button.setCheckable(True)
        self.planned_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.planned_button.setToolTip(
            "Count every hardware line that is not cancelled, with or without an online "
            "date, under today's export rules"
        )

        self.first_label = QLabel(self)
        self.last_label = QLabel(self)
        for label in (self.first_label, self.last_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.date_label = QLabel(self)
        self.date_label.setObjectName("as_of_date")
        self.date_label.setTextFormat(Qt.TextFormat.PlainText)
        self.date_label.setFont(bold)
        self.date_label.setMinimumWidth(
            self.date_label.fontMetrics().horizontalAdvance("30 September 2026") + 8
        )
        self.meaning_label = QLabel(self)
        self.meaning_label.setObjectName("as_of_meaning")
        self.meaning_label.setTextFormat(Qt.TextFormat.PlainText)
        self.meaning_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.scale = _YearScale(self.slider, self)

        track = QVBoxLayout()
        track.setContentsMargins(0, 0, 0, 0)
        track.setSpacing(0)
        track.addWidget(self.slider)
        track.addWidget(self.scale)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(title)
        row.addWidget(self.planned_button)
        row.addWidget(self.first_label)
        row.addLayout(track, 1)
        row.addWidget(self.last_label)
        row.addSpacing(12)
        row.addWidget(self.date_label)
        small = QFont(self.meaning_label.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.9))
        self.meaning_label.setFont(small)
        self.meaning_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 3, 8, 2)
        column.setSpacing(0)
        column.addLayout(row)
        column.addWidget(self.meaning_label)

        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.actionTriggered.connect(self._on_slider_action)
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.planned_button.toggled.connect(self._on_planned_toggled)

        # The stops follow the data, once per burst of edits.
        self._restop_timer = QTimer(self)
        self._restop_timer.setSingleShot(True)
        self._restop_timer.setInterval(0)
        self._restop_timer.timeout.connect(self.refresh_stops)
        self._store_events = StoreSignals(session.sites, self)
        for sig in (
            self._store_events.inserted,
            self._store_events.removed,
            self._store_events.reset_done,
        ):
            sig.connect(self._schedule_restop)
        self._store_events.changed.connect(self._on_site_changed)
        self._session_events = SessionSignals(session, self)
        self._session_events.asOfChanged.connect(self._on_as_of_changed)
        self._session_events.opened.connect(self._on_opened)
        self.refresh_stops()

    # ------------------------------------------------------------------ public API
    @property
    def stops(self) -> list[date]:
        """The dates the slider stops at, in order."""
        return list(self._stops)

    def select_date(self, day: date) -> None:
        """Count as of ``day`` (added to the stops if it is not one)."""
        self.session.set_as_of(day)

    def select_all_planned(self) -> None:
        """Count the planned build-out (every line not cancelled, today's rules)."""
        self.session.set_as_of(None)

    def refresh_stops(self) -> None:
        """Recompute the stops from the data (and the chosen date) and show them."""
        self._restop_timer.stop()
        stops = set(self.session.date_stops())
        if self.session.as_of is not None:
            stops.add(self.session.as_of)
        self._stops = sorted(stops)
        self._show()

    # ------------------------------------------------------------------ showing
    def _show(self) -> None:
        stops = self._stops
        as_of = self.session.as_of
        self._syncing = True
        try:
            self.slider.setEnabled(bool(stops))
            self.slider.setRange(0, max(0, len(stops) - 1))
            self.slider.setTickInterval(max(1, -(-len(stops) // MAX_TICKS)))
            if as_of is not None:
                self.slider.setValue(stops.index(as_of))
            elif self.slider.value() > self.slider.maximum():
                self.slider.setValue(self.slider.maximum())
            self.planned_button.setChecked(as_of is None)
        finally:
            self._syncing = False
        self.scale.set_stops(stops)
        self.first_label.setText(month_text(stops[0]) if stops else "")
        self.last_label.setText(month_text(stops[-1]) if stops else "")
        if as_of is None:
            self.date_label.setText(ALL_PLANNED)
            meaning = as_of_meaning(None)
            if not stops:
                meaning = "no line has an online date · " + meaning
        else:
            self.date_label.setText(date_words(as_of))
            reasons = stop_reasons(self.session, as_of)
            meaning = as_of_meaning(as_of) + (f" · {', '.join(reasons)}" if reasons else "")
        self.meaning_label.setText(meaning)
        self.meaning_label.setToolTip(meaning)
        # What a screen reader says for the slider: the date it stands for.
        self.slider.setAccessibleDescription(
            f"{self.date_label.text()}: {meaning}" if stops else "No dated lines"
        )
        self.slider.setToolTip(
            "Lines online by the chosen date, export rules in force then"
            if stops
            else "No hardware line has an online date: only the planned build-out"
        )
        # A slider standing for an undated total looks idle until it is used.
        self.slider.setProperty("idle", as_of is None)

    def _schedule_restop(self, *_: object) -> None:
        self._restop_timer.start()

    def _on_site_changed(self, old: Site, new: Site) -> None:
        # Most edits (a move, a name, a chip count) cannot change the dates: recounting
        # the online dates walks every line, so skip it for them.
        if _dating(old) != _dating(new):
            self._restop_timer.start()

    # ------------------------------------------------------------------ user → session
    def _on_slider_value_changed(self, value: int) -> None:
        if not self._syncing and 0 <= value < len(self._stops):
            self.session.set_as_of(self._stops[value])

    def _on_slider_action(self, _action: int) -> None:
        # A key or click on the slider chooses a date even where the value does not
        # change (Home on the first stop, from "All planned").
        self._on_slider_value_changed(self.slider.sliderPosition())

    def _on_slider_pressed(self) -> None:
        # Pressing the handle where it stands also chooses its date (from "All planned").
        self._on_slider_value_changed(self.slider.value())

    def _on_planned_toggled(self, checked: bool) -> None:
        if self._syncing:
            return
        if checked:
            self.session.set_as_of(None)
        elif self._stops:
            self.session.set_as_of(self._stops[self.slider.value()])
        else:
            self._show()  # nothing dated to go to: stay on "All planned"

    # ------------------------------------------------------------------ session → strip
    def _on_as_of_changed(self, as_of: object) -> None:
        if as_of is not None and as_of not in self._stops:
            self.refresh_stops()
        else:
            self._show()

    def _on_opened(self, _name: str) -> None:
        if self.session.as_of is not None and not self.session.date_stops():
            self.session.set_as_of(None)  # nothing in the new data is dated
        self.refresh_stops()


__all__ = ["MAX_TICKS", "PAGE_STOPS", "AsOfStrip", "stop_reasons"]
