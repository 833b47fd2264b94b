"""Boundary layers in the main window: load a user's file, see it, pick its areas.

The layers are written here with geopandas (a GeoPackage in lon/lat, a Shapefile in
Web Mercator), loaded through ``MainWindow.load_boundary_layer`` and picked with the
real mouse on the real page. A picked area must total exactly like ``totals()`` on the
polygon written to the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from PySide6.QtCore import Qt
from shapely.geometry import Point, Polygon

from explorer.geo.regions import PolygonRegion
from explorer.geo.totals import totals
from explorer.ui.area_totals import PROVINCES_LAYER
from tests.web.driver import MapDriver

from .conftest import js, wait_rendered

# Two prefecture-like areas: one around Hami and the Yiwu complex, one around Urumqi
# and Changji. Both clear of Turpan (89.2 E) and Shihezi (86.1 E).
HAMI = Polygon([(91.8, 41.2), (96.4, 41.5), (96.2, 44.6), (93.5, 45.0), (91.6, 43.6)])
URUMQI = Polygon([(86.8, 43.0), (88.9, 43.2), (88.7, 44.4), (87.0, 44.5)])
# Click points inside them, clear of site markers and of the map's controls.
HAMI_CLICK = (95.5, 42.3)
URUMQI_CLICK = (88.4, 43.4)


def _frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"name": ["Hami", "Urumqi"], "code": [6522, 6501]},
        geometry=[HAMI, URUMQI],
        crs="EPSG:4326",
    )
    return gdf if crs == "EPSG:4326" else gdf.to_crs(crs)


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "prefectures.gpkg"
    _frame().to_file(path, driver="GPKG", layer="prefectures")
    return path


@pytest.fixture
def shapefile_3857(tmp_path: Path) -> Path:
    path = tmp_path / "prefectures_3857.shp"
    _frame("EPSG:3857").to_file(path)
    return path


def _pick(qtbot: Any, window: Any, lon: float, lat: float) -> Any:
    """Regions → Pick, then a real click at (lon, lat); returns the new entry."""
    before = len(window.region_store)
    window.draw_actions["pick"].trigger()
    wait_rendered(qtbot, window)  # the page has taken the mode before the mouse goes down
    clicked: list[bool] = []
    MapDriver(window.map_view).click_map_at(lon, lat, clicked.append)
    qtbot.waitUntil(lambda: len(window.region_store) == before + 1, timeout=10_000)
    assert clicked == [True]
    return window.region_store.entries()[-1]


def _boundary(qtbot: Any, window: Any) -> dict[str, Any]:
    wait_rendered(qtbot, window)
    return js(qtbot, MapDriver(window.map_view).boundary_state)


def test_pick_an_area_of_a_loaded_geopackage_totals_it(qtbot, make_window, gpkg: Path) -> None:  # noqa: ANN001
    window = make_window()
    assert window.load_boundary_layer(gpkg) is True
    layer = window.boundary_layer
    assert layer is not None and [a.name for a in layer.areas] == ["Hami", "Urumqi"]
    message = window.statusBar().currentMessage()
    assert "prefectures" in message and "2 areas" in message
    assert window.act_use_provinces.isEnabled()
    menu = [a.text() for a in window.regions_menu.actions()]
    assert "Load &Boundary Layer…" in menu and "Use Pro&vinces for Picking" in menu

    shown = _boundary(qtbot, window)
    assert (shown["name"], shown["features"], shown["on_map"]) == ("prefectures", 2, True)
    assert shown["control_label"] == "prefectures"

    undo_count = window.undo_stack.count()
    entry = _pick(qtbot, window, *HAMI_CLICK)
    assert (entry.name, entry.kind) == ("Hami", "polygon")
    assert window.region_selection.current == entry.id
    sites = window.store.sites()
    expected = totals(sites, PolygonRegion("Hami", HAMI), catalogue=window.catalogue)
    assert expected.site_count > 0 and any(s.startswith("xj-yiwu-") for s in expected.site_ids)
    assert window.live_totals.totals(entry.id) == expected
    # The page hovered the loaded layer's area, not the province, when it was clicked.
    sent = js(qtbot, MapDriver(window.map_view).draw_state)["sent"][-1]
    assert (sent["area"], sent["layer"], sent["province"]) == ("Hami", "boundary", "Xinjiang")

    # One undoable step.
    assert window.undo_stack.count() == undo_count + 1
    window.undo_stack.undo()
    assert len(window.region_store) == 0
    window.undo_stack.redo()
    assert [e.name for e in window.region_store] == ["Hami"]


def test_totals_by_area_offers_the_same_layer(qtbot, make_window, gpkg: Path) -> None:  # noqa: ANN001
    window = make_window()
    window.show_area_totals()
    widget = window._area_dialog.widget
    assert widget.layer_name == "Provinces"
    # Loading while the window is open switches it to the layer picking uses...
    assert window.load_boundary_layer(gpkg)
    assert widget.layer_name == "prefectures"
    assert [a.name for a in widget.model.areas] == ["Hami", "Urumqi"]
    entry = _pick(qtbot, window, *URUMQI_CLICK)
    row = [a.name for a in widget.model.areas].index(entry.name)
    assert widget.model.totals_at(row).site_ids == window.live_totals.totals(entry.id).site_ids
    # ...and going back to provinces switches both back.
    window.act_use_provinces.trigger()
    assert window.boundary_layer is None and not window.act_use_provinces.isEnabled()
    assert widget.layer_name == "Provinces"
    shown = _boundary(qtbot, window)
    assert (shown["name"], shown["features"], shown["control_label"]) == (None, 0, None)
    window.draw_actions["pick"].trigger()
    wait_rendered(qtbot, window)
    assert js(qtbot, MapDriver(window.map_view).draw_state)["pick_layer"] == "provinces"
    window.draw_actions["pick"].trigger()  # off again


def test_a_dialog_opened_after_loading_shows_the_loaded_layer(
    qtbot, make_window, gpkg: Path
) -> None:  # noqa: ANN001
    window = make_window(None)
    assert window.load_boundary_layer(gpkg)
    window.show_area_totals()
    assert window._area_dialog.widget.layer_name == "prefectures"


def test_a_shapefile_in_web_mercator_is_reprojected_and_picked(
    qtbot,
    make_window,
    shapefile_3857: Path,  # noqa: ANN001
) -> None:
    window = make_window()
    assert window.load_boundary_layer(shapefile_3857)
    layer = window.boundary_layer
    assert layer is not None and layer.source_crs == "EPSG:3857"
    assert any("reprojected from EPSG:3857" in w for w in layer.warnings)
    assert _boundary(qtbot, window)["features"] == 2

    entry = _pick(qtbot, window, *URUMQI_CLICK)
    assert entry.name == "Urumqi"
    expected = totals(
        window.store.sites(), PolygonRegion("Urumqi", URUMQI), catalogue=window.catalogue
    )
    got = window.live_totals.totals(entry.id)
    assert expected.site_count > 0
    assert (got.site_ids, got.chips, got.restricted_chips) == (
        expected.site_ids,
        expected.chips,
        expected.restricted_chips,
    )
    window.undo_stack.undo()
    assert len(window.region_store) == 0


def test_a_click_outside_every_area_adds_nothing(qtbot, make_window, gpkg: Path) -> None:  # noqa: ANN001
    window = make_window()
    assert window.load_boundary_layer(gpkg)
    window.draw_actions["pick"].trigger()
    wait_rendered(qtbot, window)
    assert not HAMI.covers(Point(82.0, 39.0)) and not URUMQI.covers(Point(82.0, 39.0))
    MapDriver(window.map_view).click_map_at(82.0, 39.0)  # Xinjiang, but in no loaded area
    qtbot.waitUntil(
        lambda: "No area of prefectures there" in window.statusBar().currentMessage(),
        timeout=10_000,
    )
    assert len(window.region_store) == 0


def test_a_bad_file_changes_nothing(qtbot, make_window, gpkg: Path, tmp_path: Path) -> None:  # noqa: ANN001
    window = make_window()
    assert window.load_boundary_layer(gpkg)
    good = window.boundary_layer
    entry = _pick(qtbot, window, *HAMI_CLICK)
    undo_count = window.undo_stack.count()

    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"this is not a GeoPackage")
    points = tmp_path / "towns.geojson"
    gpd.GeoDataFrame({"name": ["Hami"]}, geometry=[Point(93.5, 42.8)], crs="EPSG:4326").to_file(
        points, driver="GeoJSON"
    )
    for bad, start in (
        (broken, "broken.gpkg: cannot read boundary layer"),
        (points, "towns.geojson: layer 'towns' holds Point geometries"),
        (tmp_path / "missing.shp", "missing.shp: cannot read boundary layer: no such file"),
    ):
        assert window.load_boundary_layer(bad) is False
        assert window.last_error.startswith(start), window.last_error
        assert "\n" not in window.last_error
        box = window.boundary_message_box
        assert box is not None and box.isVisible() and box.text() == window.last_error
        box.accept()
        # Nothing changed: the layer, the regions, the undo history, the map.
        assert window.boundary_layer is good
        assert [e.id for e in window.region_store] == [entry.id]
        assert window.undo_stack.count() == undo_count
        shown = _boundary(qtbot, window)
        assert (shown["name"], shown["features"]) == ("prefectures", 2)


def test_layer_loaded_in_totals_by_area_goes_on_the_map(qtbot, make_window, gpkg: Path) -> None:  # noqa: ANN001
    window = make_window()
    window.show_area_totals()
    dialog = window._area_dialog
    qtbot.addWidget(dialog)
    assert dialog.widget.load_layer(gpkg) is not None
    assert window.boundary_layer is not None
    assert [a.name for a in window.boundary_layer.areas] == [
        a.name for a in dialog.widget.model.areas
    ]
    wait_rendered(qtbot, window)
    assert _boundary(qtbot, window)["features"] == len(window.boundary_layer.areas)
    # The dialog's Provinces button takes the layer off the map and out of picking too.
    qtbot.mouseClick(dialog.widget.provinces_button, Qt.MouseButton.LeftButton)
    assert window.boundary_layer is None
    assert _boundary(qtbot, window)["features"] == 0
    assert dialog.widget.layer_name == PROVINCES_LAYER
