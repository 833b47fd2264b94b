"""The "Capacity over time" dock: the chart of the selected region, kept current.

It shows :func:`~explorer.ui.capacity_series.capacity_series` of the session's selected
region (every site when none is selected) and follows the region selection, every edit
of sites and regions (undo included), opening another file and the session's date: a
date change only moves the marker, unless the date falls outside the series' dates,
which are then widened. Work is done once per burst of changes, and not at all while
the dock is hidden (it catches up when shown).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.schema import Site
from explorer.session.session import Session
from explorer.ui.capacity_chart import CapacityChart
from explorer.ui.capacity_series import CapacitySeries, capacity_series
from explorer.ui.date_text import as_of_words
from explorer.ui.idle_queue import IdleQueue, Urgency
from explorer.ui.qt_store import (
    RegionStoreSignals,
    SelectionSignals,
    SessionSignals,
    StoreSignals,
)
from explorer.ui.region_format import unknown_model_text


def _counting(site: Site) -> tuple[object, ...]:
    """What a site's figures in the chart depend on."""
    return (site.lon, site.lat, site.hardware, site.part_of, site.supersedes)


class CapacityPanel(QWidget):
    """Title, chart and note for the selected region's capacity over time.

    Parameters
    ----------
    session : Session
    parent : QWidget, optional
    idle : IdleQueue, optional
        Where the chart's refresh waits for a free turn of the event loop (shared with
        the window's other views; a private one by default).

    Attributes
    ----------
    chart : CapacityChart
    title_label, note_label : QLabel
    """

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, idle: IdleQueue | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("capacity_panel")
        self.session = session
        self._dirty = True

        self.title_label = QLabel(self)
        self.title_label.setObjectName("capacity_title")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)  # region names are user text
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.chart = CapacityChart(self)
        self.note_label = QLabel(self)
        self.note_label.setObjectName("capacity_note")
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.note_label)

        self._idle = idle if idle is not None else IdleQueue(self)
        self._site_events = StoreSignals(session.sites, self)
        for sig in (
            self._site_events.inserted,
            self._site_events.removed,
            self._site_events.reset_done,
        ):
            sig.connect(self._schedule)
        self._site_events.changed.connect(self._on_site_changed)
        self._region_events = RegionStoreSignals(session.regions, self)
        for sig in (
            self._region_events.inserted,
            self._region_events.removed,
            self._region_events.changed,
            self._region_events.reset_done,
        ):
            sig.connect(self._schedule)
        self._selection_events = SelectionSignals(session.region_selection, self)
        self._selection_events.changed.connect(self._schedule)
        self._session_events = SessionSignals(session, self)
        self._session_events.asOfChanged.connect(self._on_as_of_changed)
        self._session_events.opened.connect(self._schedule)
        self.refresh()

    # ------------------------------------------------------------------ public API
    @property
    def series(self) -> CapacitySeries | None:
        """What the chart shows now."""
        return self.chart.series

    def refresh(self) -> None:
        """Recompute the series of the selected region (or every site) and draw it."""
        self._idle.cancel(self, "refresh")
        rid = self.session.region_selection.current
        if rid is not None and rid not in self.session.regions:
            rid = None
        self._show(capacity_series(self.session, rid))
        self._dirty = False

    # ------------------------------------------------------------------ showing
    def _show(self, series: CapacitySeries) -> None:
        self.chart.set_series(series, self.session.catalogue.names)
        self.title_label.setText(
            f"{series.name}: chips by model over time · marked {as_of_words(series.as_of)}"
        )
        notes = []
        if not series.points:
            notes.append("No line that counts has an online date: only the planned build-out.")
        unknown = unknown_model_text(series.planned.totals)
        if unknown:
            notes.append(f"Planned: {unknown}.")
        notes.append(
            "Each bar counts the lines online by that date; cancelled lines, superseded "
            "records and what a campus's parts already hold are not counted."
        )
        self.note_label.setText(" ".join(notes))

    def _schedule(self, *_: object) -> None:
        self._dirty = True
        if self.isVisible():
            self._idle.request(self, "refresh", self.refresh, Urgency.SHOWN)

    def _on_site_changed(self, old: Site, new: Site) -> None:
        # A name, status or notes edit changes no figure.
        if _counting(old) != _counting(new):
            self._schedule()

    def _on_as_of_changed(self, _as_of: object) -> None:
        as_of = self.session.as_of
        series = self.chart.series
        if series is None or self._dirty or not series.covers(as_of):
            self._schedule()  # the dates must reach the new one
        else:
            self._show(series.with_as_of(as_of))  # only the marker moves

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Catch up with what changed while hidden."""
        super().showEvent(event)
        if self._dirty:
            self._idle.request(self, "refresh", self.refresh, Urgency.SHOWN)


__all__ = ["CapacityPanel"]
