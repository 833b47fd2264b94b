"""Drive the live map page the way a user does, and read back what it drew (tests only).

:class:`MapDriver` wraps a :class:`~explorer.web.view.MapView`: ``click_marker`` /
``drag_marker`` / ``click_map_at`` / ``hover_map_at`` send real mouse events (through
Chromium and Leaflet) at a marker's or a point's pixel; ``draw_polygon`` /
``draw_rectangle`` / ``draw_circle`` / ``drag_region_handle`` / ``click_region`` /
``click_draw_tool`` / ``press_escape`` do the same for the drawing tools; and
``page_state`` / ``marker_state`` / ``region_state`` / ``draw_state`` /
``boundary_state`` read the page's state through its ``CSE.*State`` functions. For many
sites: ``groups_state``, ``click_group``, ``group_list_state`` and
``click_group_list_item`` read and click the groups drawn at low zoom; ``hover_marker``
and ``tooltip_state`` show and read a tooltip as the user sees it.

Every method is callback-style, like :meth:`MapView.evaluate`: ``tests.web.conftest.
call_js`` waits for the callback (on the event loop, never a sleep).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from explorer.web.legend import LegendRow, SiteLegend
from explorer.web.payload import to_json
from explorer.web.view import MapView

JsCallback = Callable[[Any], None]
DoneCallback = Callable[[bool], None]
#: How a test polygon is finished (see :meth:`MapDriver.draw_polygon`).
POLYGON_FINISHES = ("first", "double", "escape", "none")

#: The page's site legend as the browser draws it (computed colours); any page that
#: runs our scripts, the app's or an exported file. See :func:`page_legend`.
LEGEND_JS = """(function () {
  var legend = document.querySelector('.cse-legend');
  if (!legend) { return null; }
  var text = function (el) { return el ? el.textContent : null; };
  return {
    title: text(legend.querySelector('.cse-legend-title')),
    note: text(legend.querySelector('.cse-legend-note')),
    rows: Array.from(legend.querySelectorAll('.cse-legend-row')).map(function (row) {
      var sw = row.querySelector('.cse-legend-swatch');
      var css = getComputedStyle(sw);
      return {
        text: text(row.querySelector('.cse-legend-label')),
        color: css.backgroundColor,
        border_style: css.borderTopStyle,
        border_color: css.borderTopColor,
        ring: sw.style.borderTopStyle === 'solid'
      };
    })
  };
})()"""


#: The open site/group tooltip as the browser draws it (see :meth:`MapDriver.tooltip_state`).
TOOLTIP_JS = """(function () {
  var tip = document.querySelector('.cse-site-tooltip');
  if (!tip) { return null; }
  return Array.from(tip.querySelectorAll('.cse-tip > div')).map(function (el) {
    var css = getComputedStyle(el);
    return {
      text: el.textContent,
      cls: el.className,
      color: css.color,
      struck: css.textDecorationLine.indexOf('line-through') >= 0
    };
  });
})()"""


def rgb_hex(css: str) -> str:
    """``rgb(198, 40, 40)`` as ``#c62828`` (a computed CSS colour as the palette spells it)."""
    m = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", css.strip())
    if m is None:
        raise ValueError(f"not a computed CSS colour: {css!r}")
    return "#" + "".join(f"{int(v):02x}" for v in m.groups())


def page_legend(value: dict[str, Any]) -> SiteLegend:
    """What :data:`LEGEND_JS` read, as a :class:`SiteLegend` to compare with Python's."""
    rows = tuple(
        LegendRow(
            color=rgb_hex(r["color"]),
            text=r["text"],
            dashed=r["border_style"] == "dashed",
            ring=rgb_hex(r["border_color"]) if r["ring"] else None,
        )
        for r in value["rows"]
    )
    return SiteLegend(title=value["title"], rows=rows, note=value["note"])


class MapDriver:
    """Real mouse and keyboard input for one map view, and readers of its page state.

    Parameters
    ----------
    view : MapView
        A shown view whose page has loaded.
    """

    def __init__(self, view: MapView) -> None:
        self.view = view

    def page_state(self, callback: JsCallback) -> None:
        """``callback`` gets a dict: connected, sites, selected, mode, color_mode, zoom,
        as_of, rules_day, aggregating, groups, drawn_groups, drawn_sites, paints,
        last_paint_ms, dropped_rows, basemap ({key: {features, on_map}}), layer_control
        (labels), town_dots, town_labels, readout, legend, load_id."""
        self.view.evaluate("CSE.pageState()", callback)

    def legend_state(self, callback: JsCallback) -> None:
        """``callback`` gets the legend as drawn (see :data:`LEGEND_JS`), or ``None``."""
        self.view.evaluate(LEGEND_JS, callback)

    def marker_state(self, sid: str, callback: JsCallback) -> None:
        """``callback`` gets the marker of ``sid`` as the page holds and drew it, or
        ``None`` for a site the page does not have.

        The dict has ``lat, lon, radius, tooltip_text, tooltip_lines`` (``[{text, off,
        cls}]``, ``off``: greyed, the line does not count on the date), ``selected,
        highlighted, state`` (``counted``, ``pending``, ``none``, ``superseded``,
        ``covered``), ``chips, low, high, restricted_chips, planned``, ``color`` (fill,
        ``None`` when hollow), ``hollow, outline, dashed, campus_ring, alpha``,
        ``on_map``, ``drawn`` (painted on its own in the last paint), ``group`` (index of
        the group holding it, -1 for none), ``links`` (campus lines drawn to or from it)
        and ``painted_fill`` / ``painted_outline`` (the canvas pixel at its centre and
        on its outline, ``rgb(r, g, b)``, or ``None``).
        """
        self.view.evaluate(f"CSE.markerState({to_json(sid)})", callback)

    def groups_state(self, callback: JsCallback, *, with_ids: bool = False) -> None:
        """``callback`` gets the groups of the current zoom: ``[{index, count, chips,
        restricted, label, lat, lon, drawn, highlighted, splits}]`` (and ``ids``, the
        member site ids, when ``with_ids``)."""
        self.view.evaluate(f"CSE.groupsState({to_json(with_ids)})", callback)

    def click_group(self, index: int, done: DoneCallback | None = None) -> None:
        """Left-click group ``index`` (see :meth:`groups_state`) at its centre."""
        self._click_point(f"CSE.groupPoint({to_json(int(index))})", done)

    def group_list_state(self, callback: JsCallback) -> None:
        """``callback`` gets the open list of a group's sites: ``{title, items: [{id,
        text}], more}``, or ``None`` when no list is open."""
        self.view.evaluate("CSE.groupListState()", callback)

    def click_group_list_item(self, sid: str, done: DoneCallback | None = None) -> None:
        """Left-click the entry of ``sid`` in the open list of a group's sites."""
        self._click_point(f"CSE.groupListItemPoint({to_json(sid)})", done)

    def hover_marker(self, sid: str, done: DoneCallback | None = None) -> None:
        """Move the mouse onto the marker of ``sid`` (a visible point of it), no click."""

        def hover(target: QWidget, pos: QPoint) -> None:
            QTest.mouseMove(target, QPoint(max(0, pos.x() - 1), pos.y()))
            QTest.mouseMove(target, pos)

        self._at_point(f"CSE.markerPoint({to_json(sid)})", hover, done)

    def tooltip_state(self, callback: JsCallback) -> None:
        """``callback`` gets the site or group tooltip as shown: ``[{text, cls, color,
        struck}]`` per line (``color``: computed, ``struck``: line-through), or ``None``
        when no tooltip is open."""
        self.view.evaluate(TOOLTIP_JS, callback)

    def _widget_point(self, point: dict[str, float] | None) -> QPoint | None:
        if not point:
            return None
        z = self.view.zoomFactor()
        x, y = float(point["x"]) * z, float(point["y"]) * z
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        if not (0 <= x < self.view.width() and 0 <= y < self.view.height()):
            return None
        return QPoint(round(x), round(y))

    def _input_widget(self) -> QWidget:
        return self.view.focusProxy() or self.view

    def _at_point(
        self,
        script: str,
        act: Callable[[QWidget, QPoint], None],
        done: DoneCallback | None,
    ) -> None:
        """Evaluate ``script`` (a point in viewport pixels), then ``act(target, pos)``
        with the real mouse at that point; ``done(False)`` if it is missing or off
        screen (nothing sent), else ``done(True)`` after ``act``."""

        def at(point: dict[str, float] | None) -> None:
            pos = self._widget_point(point)
            if pos is not None:
                act(self._input_widget(), pos)
            if done is not None:
                done(pos is not None)

        self.view.evaluate(script, at)

    def _click_point(self, script: str, done: DoneCallback | None) -> None:
        """A real left click at the point ``script`` evaluates to (see :meth:`_at_point`)."""

        def click(target: QWidget, pos: QPoint) -> None:
            QTest.mouseMove(target, pos)
            QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)

        self._at_point(script, click, done)

    def click_marker(self, sid: str, done: Callable[[bool], None] | None = None) -> None:
        """Click the marker of ``sid`` with a real left click at its pixel.

        The click goes through Chromium and Leaflet like a user's. ``done(False)`` if the
        marker is unknown or off screen, else ``done(True)`` after the click was sent.
        """
        self._click_point(f"CSE.markerPoint({to_json(sid)})", done)

    def click_map_at(
        self, lon: float, lat: float, done: Callable[[bool], None] | None = None
    ) -> None:
        """Left-click the map at a geographic point (e.g. in place mode)."""
        self._click_point(f"CSE.viewportPoint({to_json(lat)}, {to_json(lon)})", done)

    def hover_map_at(
        self, lon: float, lat: float, done: Callable[[bool], None] | None = None
    ) -> None:
        """Move the mouse over the map at a geographic point (no click).

        The mouse comes from one pixel to the left, so the page sees a move even when
        the mouse was already there. ``done(False)`` if the point is off screen or
        under a map control.
        """

        def hover(target: QWidget, pos: QPoint) -> None:
            QTest.mouseMove(target, QPoint(max(0, pos.x() - 1), pos.y()))
            QTest.mouseMove(target, pos)

        self._at_point(f"CSE.mapPoint({to_json(float(lat))}, {to_json(float(lon))})", hover, done)

    def drag_marker(
        self,
        sid: str,
        lon: float,
        lat: float,
        done: Callable[[bool], None] | None = None,
        steps: int = 8,
    ) -> None:
        """Press on the marker of ``sid``, move the mouse to ``(lon, lat)`` and release."""
        script = (
            f"[CSE.markerPoint({to_json(sid)}), CSE.viewportPoint({to_json(lat)}, {to_json(lon)})]"
        )
        self._press_drag_release(script, done, steps)

    # ------------------------------------------------------------------ regions
    def region_state(self, rid: str, callback: JsCallback) -> None:
        """``callback`` gets region ``rid`` as drawn by the page, or ``None``.

        The dict has ``name, kind``, ``drawn`` (its SVG path is painted), ``on_map``,
        ``latlngs`` (vertex count of the drawn outline), ``selected``, ``label_text``,
        ``label_shown``, ``label_dom_text`` (the label element's text in the page),
        ``handles`` (editing handles shown), ``color``, ``weight``.
        """
        self.view.evaluate(f"CSE.regionState({to_json(rid)})", callback)

    def draw_state(self, callback: JsCallback) -> None:
        """``callback`` gets the drawing tools' state.

        The dict has ``mode``, ``vertices`` (polygon vertices placed), ``vertex_list``,
        ``pressing``, ``press`` (``{start, current}`` as ``[lon, lat]`` during a
        rectangle/circle drag), ``preview_layers``, ``dragging``, ``double_click_zoom``,
        ``tip`` (the live label), ``hint``, ``pick_layer`` (``"boundary"`` or
        ``"provinces"``: what pick mode picks from), ``hovered`` (the area name under the
        mouse in pick mode), ``active_tool`` and ``sent`` (the page's last few drawing
        messages to Python).
        """
        self.view.evaluate("CSE.drawState()", callback)

    def boundary_state(self, callback: JsCallback) -> None:
        """``callback`` gets the loaded boundary layer as the page shows it.

        The dict has ``name`` (``None`` when no layer is loaded), ``features`` (areas
        in the layer), ``drawn`` (areas projected into the current view), ``vertices``,
        ``on_map``, ``pane``, ``dash``, ``color``, ``control_label`` (its item's text in
        the layer switcher, ``None`` if not listed), ``control_label_elements``
        (elements inside that item: 3 for Leaflet's own) and ``dropped`` (payloads the
        page refused).
        """
        self.view.evaluate("CSE.boundaryState()", callback)

    def _press_drag_release(self, script: str, done: DoneCallback | None, steps: int) -> None:
        """Evaluate ``script`` (``[startPoint, endPoint]`` in viewport pixels), then press
        at the start, move in ``steps`` real mouse moves to the end and release there."""

        def at(points: list[dict[str, float]] | None) -> None:
            start = self._widget_point(points[0]) if points else None
            end = self._widget_point(points[1]) if points else None
            ok = start is not None and end is not None
            if ok:
                assert start is not None and end is not None
                target = self._input_widget()
                left = Qt.MouseButton.LeftButton
                none = Qt.KeyboardModifier.NoModifier
                QTest.mouseMove(target, start)
                QTest.mousePress(target, left, none, start)
                self._move_mouse(start, end, steps, from_first=False)
                QTest.mouseRelease(target, left, none, end)
            if done is not None:
                done(ok)

        self.view.evaluate(script, at)

    def _move_mouse(self, start: QPoint, end: QPoint, steps: int, *, from_first: bool) -> None:
        """Real mouse moves from ``start`` to ``end`` (inclusive), ``steps`` of them."""
        target = self._input_widget()
        n = max(1, steps)
        for i in range(0 if from_first else 1, n + 1):
            QTest.mouseMove(
                target,
                QPoint(
                    round(start.x() + (end.x() - start.x()) * i / n),
                    round(start.y() + (end.y() - start.y()) * i / n),
                ),
            )

    @staticmethod
    def _points_script(lonlats: Sequence[Sequence[float]]) -> str:
        # mapPoint: null where a control (legend, toolbar...) would take the click.
        calls = [f"CSE.mapPoint({to_json(float(p[1]))}, {to_json(float(p[0]))})" for p in lonlats]
        return "[" + ", ".join(calls) + "]"

    def draw_polygon(
        self,
        vertices_lonlat: Sequence[Sequence[float]],
        done: DoneCallback | None = None,
        *,
        finish: str = "first",
        steps: int = 4,
    ) -> None:
        """Click a polygon's vertices with the real mouse (polygon tool on).

        Parameters
        ----------
        vertices_lonlat : sequence of (lon, lat)
        done : callable, optional
            ``done(True)`` once every event was sent; ``done(False)`` (nothing sent) if
            a vertex is off screen or under a map control (the legend...).
        finish : {"first", "double", "escape", "none"}
            Click the first vertex again; double-click the last vertex; press Esc
            after the last vertex; or leave the polygon open.
        steps : int
            Mouse moves between vertices (the rubber band follows them).
        """
        if finish not in POLYGON_FINISHES:
            raise ValueError(f"finish must be one of {', '.join(POLYGON_FINISHES)}, got {finish!r}")

        def at(points: list[dict[str, float]] | None) -> None:
            pts = [self._widget_point(p) for p in points or []]
            ok = bool(pts) and all(p is not None for p in pts)
            if ok:
                target = self._input_widget()
                left = Qt.MouseButton.LeftButton
                none = Qt.KeyboardModifier.NoModifier
                path: list[QPoint] = [p for p in pts if p is not None]
                QTest.mouseMove(target, path[0])
                for i, p in enumerate(path):
                    if i:
                        self._move_mouse(path[i - 1], p, steps, from_first=False)
                    if finish == "double" and i == len(path) - 1:
                        self._double_click(p)
                    else:
                        QTest.mouseClick(target, left, none, p)
                if finish == "first":
                    self._move_mouse(path[-1], path[0], steps, from_first=False)
                    QTest.mouseClick(target, left, none, path[0])
                elif finish == "escape":
                    self.press_escape()
            if done is not None:
                done(ok)

        self.view.evaluate(self._points_script(vertices_lonlat), at)

    def draw_rectangle(
        self,
        corner1: Sequence[float],
        corner2: Sequence[float],
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Press at ``corner1`` (lon, lat), drag to ``corner2`` and release (rectangle tool)."""
        self._press_drag_release(self._points_script([corner1, corner2]), done, steps)

    def draw_circle(
        self,
        center: Sequence[float],
        edge_point: Sequence[float],
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Press at ``center`` (lon, lat), drag to ``edge_point`` and release (circle tool)."""
        self._press_drag_release(self._points_script([center, edge_point]), done, steps)

    def drag_region_handle(
        self,
        rid: str,
        handle_index: int,
        lon: float,
        lat: float,
        done: DoneCallback | None = None,
        steps: int = 8,
    ) -> None:
        """Drag editing handle ``handle_index`` of the selected region ``rid`` to
        ``(lon, lat)``; ``done(False)`` if that handle is not shown."""
        script = (
            f"[CSE.regionHandlePoint({to_json(rid)}, {to_json(int(handle_index))}),"
            f" CSE.mapPoint({to_json(float(lat))}, {to_json(float(lon))})]"
        )
        self._press_drag_release(script, done, steps)

    def click_region(self, rid: str, done: DoneCallback | None = None) -> None:
        """Left-click the middle of region ``rid`` (Leaflet's centre of its outline)."""
        self._click_point(f"CSE.regionPoint({to_json(rid)})", done)

    def click_draw_tool(self, mode: str, done: DoneCallback | None = None) -> None:
        """Click the toolbar button of drawing tool ``mode`` (``"polygon"``...)."""
        self._click_point(f"CSE.drawToolPoint({to_json(mode)})", done)

    def _double_click(self, pos: QPoint) -> None:
        """A left double-click at ``pos`` as a user makes it: press, release, press,
        release, 20 ms apart.

        Not ``QTest.mouseDClick``: QtWebEngine counts clicks itself from the presses'
        timestamps and ignores Qt's synthetic double-click event, and QTest spaces its
        presses a double-click interval apart (so two ``mouseClick`` never make one).
        """
        target = self._input_widget()
        left = Qt.MouseButton.LeftButton
        stamp = int(time.monotonic() * 1000)
        sequence = (
            (QEvent.Type.MouseButtonPress, left),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
            (QEvent.Type.MouseButtonPress, left),
            (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
        )
        for i, (kind, buttons) in enumerate(sequence):
            event = QMouseEvent(
                kind,
                QPointF(pos),
                QPointF(target.mapToGlobal(pos)),
                left,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            )
            event.setTimestamp(stamp + 20 * i)
            QApplication.sendEvent(target, event)

    def press_escape(self) -> None:
        """Press and release Esc in the page (cancels a drawing or a handle drag)."""
        target = self._input_widget()
        target.setFocus()
        QTest.keyClick(target, Qt.Key.Key_Escape)


__all__ = [
    "LEGEND_JS",
    "POLYGON_FINISHES",
    "TOOLTIP_JS",
    "MapDriver",
    "page_legend",
    "rgb_hex",
]
