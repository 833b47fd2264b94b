"""Totals by area (the widget and dialog) and the boundary-layer loader behind it.

Boundary files are written in each test with geopandas through real GDAL: a
GeoPackage in EPSG:4326, a Shapefile in EPSG:3857 (reprojected on load), a points
layer and files that are not layers at all. The hand-built sites of ``conftest`` give
the expected numbers: nyocor-1 (93.5 E, 42.8 N, 2,000 H100), yiwu-1 (94.7 E, 43.25 N,
6,000 H100 + 4,000 H200), golmud-1 (94.9 E, 36.4 N, 900 H20), karamay-1 (84.87 E,
45.6 N, no chips).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from shapely.geometry import LineString, Point, Polygon, box

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import EditSite
from explorer.core.errors import DataFileError
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.geo.admin import AdminAreas
from explorer.geo.region_store import RegionStore
from explorer.geo.totals import SiteArrays, totals, totals_many
from explorer.io.boundaries import load_boundary_layer
from explorer.session.session import Session
from explorer.ui.area_totals import AreaTotalsDialog, AreaTotalsWidget
from explorer.ui.region_format import column_of
from explorer.ui.undo import QtHistory, push

#: Two boxes: "East" holds nyocor-1 and yiwu-1; "South" holds golmud-1; "Empty" nothing.
EAST = box(93.0, 42.0, 95.0, 44.0)
SOUTH = box(94.0, 36.0, 96.0, 37.0)
EMPTY = box(70.0, 30.0, 71.0, 31.0)

MakeWidget = Callable[..., AreaTotalsWidget]


@pytest.fixture
def session(sites: list[Site], catalogue: ChipCatalogue, undo_stack: QUndoStack) -> Session:
    """The hand-built sites, with the bundled province boundaries."""
    s = Session(catalogue, history=QtHistory(undo_stack), admin_areas=AdminAreas.load())
    s.sites.reset(sites)
    return s


@pytest.fixture
def regions(session: Session) -> RegionStore:
    return session.regions


@pytest.fixture
def make_widget(qtbot: QtBot, session: Session) -> MakeWidget:
    def make(**kwargs: Any) -> AreaTotalsWidget:
        w = AreaTotalsWidget(session, **kwargs)
        qtbot.addWidget(w)
        w.resize(1000, 400)
        return w

    return make


def shown(w: AreaTotalsWidget, key: str) -> list[object]:
    return [w.proxy.index(r, column_of(key)).data() for r in range(w.proxy.rowCount())]


def write_layer(path: Path, crs: str = "EPSG:4326", **columns: list[object]) -> None:
    geoms = columns.pop("geometry")
    gdf = gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326")
    gdf.to_crs(crs).to_file(path)


# ---------------------------------------------------------------------------- provinces
def test_provinces_by_default_with_empty_areas_hidden(
    make_widget: MakeWidget, store: SiteStore, catalogue: ChipCatalogue
) -> None:
    w = make_widget()
    admin = AdminAreas.load()
    assert w.layer_name == "Provinces"
    assert w.model.rowCount() == len(admin)
    assert shown(w, "name") == ["Qinghai", "Xinjiang"]  # layer order, empties hidden
    assert shown(w, "sites") == ["1", "3"]
    assert shown(w, "chips") == ["900", "12,000"]
    assert shown(w, "by_model") == ["H20 900", "H100 8,000 · H200 4,000"]
    expected = totals_many(
        SiteArrays.from_sites(store.sites(), catalogue),
        [a.region for a in admin],
        catalogue=catalogue,
    )
    assert [w.model.totals_at(r) for r in range(w.model.rowCount())] == expected
    hidden = len(admin) - 2
    assert w.footer.text() == (
        f"{len(admin)} areas ({hidden} without sites hidden) · 4 of 4 sites inside an area"
        " · totals all planned"
    )
    w.hide_empty_check.setChecked(False)
    assert w.proxy.rowCount() == len(admin)


def test_sorting_by_a_numeric_column(make_widget: MakeWidget) -> None:
    w = make_widget(hide_empty=False)
    w.view.sortByColumn(column_of("chips"), Qt.SortOrder.DescendingOrder)
    assert shown(w, "name")[:2] == ["Xinjiang", "Qinghai"]
    assert shown(w, "chips")[2] == "0"
    w.view.sortByColumn(column_of("name"), Qt.SortOrder.AscendingOrder)
    names = shown(w, "name")
    assert names == sorted(names, key=str.casefold)


def test_totals_follow_site_edits(
    make_widget: MakeWidget, store: SiteStore, undo_stack: QUndoStack, qtbot: QtBot
) -> None:
    w = make_widget()
    golmud = store.get("golmud-1")
    push(undo_stack, EditSite(store, golmud, replace(golmud, lon=88.0, lat=41.0)))  # to Xinjiang
    qtbot.waitUntil(lambda: shown(w, "name") == ["Xinjiang"])
    assert shown(w, "sites") == ["4"]
    undo_stack.undo()
    qtbot.waitUntil(lambda: shown(w, "name") == ["Qinghai", "Xinjiang"])


def test_copy_is_the_tsv_of_the_shown_rows(make_widget: MakeWidget, qtbot: QtBot) -> None:
    w = make_widget()
    qtbot.mouseClick(w.copy_button, Qt.MouseButton.LeftButton)
    h100e = f"{round(900 * 148 / 989, 3):.3f}"
    rows = [line.split("\t") for line in QApplication.clipboard().text().splitlines()]
    head = "region sites chips restricted h100e it_mw facility_mw chips_low chips_high"
    head += " restricted_low restricted_high h100e_low h100e_high facility_mw_low"
    head += " facility_mw_high restricted_h100e unknown_model_chips as_of H100 H200 H20"
    assert rows[0] == head.split()
    got = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["region"], r["chips"], r["h100e"], r["facility_mw"]) for r in got] == [
        ("Qinghai", "900", h100e, "0.810"),
        ("Xinjiang", "12000", "12000.000", "18.900"),
    ]
    # 900 H20 x 400 W = 0.36 MW and 12,000 x 700 W = 8.4 MW of boards, x 1.5 x 1.15
    # (low) and x 2.15 x 1.5 (high).
    assert [(r["facility_mw_low"], r["facility_mw_high"]) for r in got] == [
        ("0.621", "1.161"),
        ("14.490", "27.090"),
    ]
    assert [(r["H100"], r["H200"], r["H20"], r["as_of"]) for r in got] == [
        ("0", "0", "900", "all planned"),
        ("8000", "4000", "0", "all planned"),
    ]


def test_add_selected_area_as_region_is_undoable(
    make_widget: MakeWidget, regions: RegionStore, undo_stack: QUndoStack, qtbot: QtBot
) -> None:
    w = make_widget()
    assert not w.add_button.isEnabled()
    w.select_areas(["Qinghai"])
    assert w.add_button.isEnabled()
    qtbot.mouseClick(w.add_button, Qt.MouseButton.LeftButton)
    assert [e.name for e in regions] == ["Qinghai"]
    added = regions.entries()[0]
    assert added.kind == "polygon"
    assert added.region.geometry.equals(AdminAreas.load().region("Qinghai").geometry)
    assert undo_stack.undoText() == "Add region"
    undo_stack.undo()
    assert len(regions) == 0
    w.select_areas(["Qinghai", "Xinjiang"])
    assert w.add_selected() == ["r1", "r2"]
    assert undo_stack.undoText() == "Add 2 regions"


def test_dialog_wraps_the_widget(qtbot: QtBot, session: Session) -> None:
    d = AreaTotalsDialog(session)
    qtbot.addWidget(d)
    assert d.windowTitle() == "Totals by area"
    assert d.widget.proxy.rowCount() == 2


# ---------------------------------------------------------------------------- loaded layers
def test_geopackage_layer_in_the_widget(make_widget: MakeWidget, tmp_path: Path) -> None:
    path = tmp_path / "zones.gpkg"
    write_layer(path, NAME_1=["East", "South", "Empty"], geometry=[EAST, SOUTH, EMPTY])
    w = make_widget()
    layer = w.load_layer(path)
    assert layer is not None and layer.name == "zones"
    assert w.layer_name == "zones"
    assert w.session.boundary_layer is layer  # the map and picking use it too
    assert shown(w, "name") == ["East", "South"]
    assert shown(w, "chips") == ["12,000", "900"]
    assert w.footer.text() == (
        "3 areas (1 without sites hidden) · 3 of 4 sites inside an area · totals all planned"
    )


def test_bad_layer_is_reported_and_the_old_layer_kept(
    make_widget: MakeWidget, tmp_path: Path
) -> None:
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"not a geopackage")
    w = make_widget()
    assert w.load_layer(path) is None
    assert w.layer_name == "Provinces"
    assert w.last_message.startswith("broken.gpkg: cannot read boundary layer:")
    assert w.message_box is not None and w.message_box.isVisible()
    w.message_box.close()


def test_shapefile_in_web_mercator_is_reprojected(
    tmp_path: Path, store: SiteStore, catalogue: ChipCatalogue
) -> None:
    path = tmp_path / "mercator.shp"
    write_layer(path, crs="EPSG:3857", name=["East", "South"], geometry=[EAST, SOUTH])
    layer = load_boundary_layer(path)
    assert layer.source_crs == "EPSG:3857"
    assert "reprojected from EPSG:3857 to EPSG:4326" in layer.warnings
    assert [a.name for a in layer.areas] == ["East", "South"]
    minx, miny, maxx, maxy = layer.areas[0].bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((93.0, 42.0, 95.0, 44.0), abs=1e-9)
    got = [totals(store.sites(), a, catalogue=catalogue).site_ids for a in layer.areas]
    assert got == [("nyocor-1", "yiwu-1"), ("golmud-1",)]


def test_geopackage_names_empty_and_invalid_geometries(tmp_path: Path) -> None:
    bowtie = Polygon([(93, 40), (95, 42), (95, 40), (93, 42)])  # self-intersecting
    path = tmp_path / "areas.gpkg"
    write_layer(
        path,
        NAME_1=["East", None, "Bow", "Gone"],
        code=[1, 2, 3, 4],
        geometry=[EAST, SOUTH, bowtie, Polygon()],
    )
    layer = load_boundary_layer(path)
    assert layer.name_field == "NAME_1"
    assert [a.name for a in layer.areas] == ["East", "area 2", "Bow"]
    assert layer.warnings == [
        "feature 3 ('Bow'): invalid geometry (Self-intersection[94 41]) repaired",
        "skipped feature 4: empty or missing geometry",
    ]
    repaired = layer.areas[2]
    assert repaired.geometry.is_valid and repaired.geometry.area == pytest.approx(2.0)
    assert repaired.contains_point(93.2, 40.5) and not repaired.contains_point(94.0, 40.5)
    by_code = load_boundary_layer(path, name_field="code")
    assert [a.name for a in by_code.areas] == ["1", "2", "3"]
    with pytest.raises(
        DataFileError, match=r"^areas.gpkg: no field 'nom' \(fields: NAME_1, code\)$"
    ):
        load_boundary_layer(path, name_field="nom")


def test_layer_without_crs_is_taken_as_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "plain.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"title": "A"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[90, 40], [91, 40], [91, 41], [90, 40]]]}}]}',
        encoding="utf-8",
    )
    layer = load_boundary_layer(path)
    assert [a.name for a in layer.areas] == ["area 1"]  # no name-like field
    assert layer.name_field is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: write_layer(p, name=["pt"], geometry=[Point(90, 40)]),
            r"^bad\.gpkg: layer 'bad' holds Point geometries; a boundary layer needs "
            r"Polygon or MultiPolygon features$",
        ),
        (
            lambda p: write_layer(p, name=["l"], geometry=[LineString([(90, 40), (91, 41)])]),
            r"holds LineString geometries",
        ),
        (
            lambda p: p.write_text("hello", encoding="utf-8"),
            r"^bad\.gpkg: cannot read boundary layer: ",
        ),
        (lambda p: None, r"^bad\.gpkg: cannot read boundary layer: no such file$"),
    ],
)
def test_unusable_files_raise_one_line(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "bad.gpkg"
    make(path)
    with pytest.raises(DataFileError, match=message) as info:
        load_boundary_layer(path)
    assert "\n" not in str(info.value)
