"""The project file, as other tools and hand edits leave it (issue 11, findings 5 and 13).

Before the fixes: a save dropped every table the application did not write (a layer
added in QGIS, its styles) without a word; a regions row's ``extra`` JSON overrode the
real ``name``/``radius_m`` columns; and GDAL's warnings were printed by Python before
the command's one-line error.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from explorer.core.schema import Site
from explorer.io.opening import open_file
from explorer.io.project import Project, load_project, save_project
from explorer.session.session import Session
from tests.helpers import totals_catalogue

CAT = totals_catalogue()
SITES = [Site("a", "A", 90.0, 40.0), Site("b", "B", 91.0, 41.0)]
CIRCLE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [90.0, 40.0]},
    "properties": {"name": "Hami 50 km", "kind": "circle", "radius_m": 50_000.0, "colour": "red"},
}
ROOT = Path(__file__).resolve().parents[2]


def _sql(path: Path, *statements: str) -> None:
    """Run SQL on a GeoPackage outside GDAL (its triggers call GDAL's functions)."""
    with sqlite3.connect(path) as db:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(name, 1, lambda _blob: 0)
        for statement in statements:
            db.execute(statement)


def _add_user_layers(path: Path) -> None:
    """What a QGIS user adds: a point layer of their own, a styles table, a view."""
    pts = shapely.to_wkb(np.array([shapely.Point(87.6, 43.8), shapely.Point(101.8, 36.6)]))
    pyogrio.raw.write(
        str(path),
        pts,
        [np.array(["Urumqi substation", "Xining line"], dtype=object), np.array([330, 750])],
        ["label", "kv"],
        layer="grid_nodes",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
        append=True,
    )
    pyogrio.raw.write(
        str(path),
        None,
        [np.array(["grid_nodes"], dtype=object), np.array(["<qml/>"], dtype=object)],
        ["f_table_name", "styleQML"],
        layer="layer_styles",
        driver="GPKG",
        append=True,
    )
    _sql(path, "CREATE VIEW high_voltage AS SELECT label FROM grid_nodes WHERE kv > 500")


def _layers(path: Path) -> set[str]:
    return {str(name) for name, _ in pyogrio.list_layers(str(path))}


def _grid_nodes(path: Path) -> list[tuple[str, int, tuple[float, float]]]:
    _, _, geoms, (labels, kvs) = pyogrio.raw.read(str(path), layer="grid_nodes")
    points = [shapely.from_wkb(g) for g in geoms]
    return [(str(lbl), int(kv), (p.x, p.y)) for lbl, kv, p in zip(labels, kvs, points, strict=True)]


# ----------------------------------------------------------------------- finding 5


def test_a_save_keeps_the_tables_a_user_added(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES, metadata={"title": "T"}, regions=[CIRCLE]))
    _add_user_layers(path)
    nodes = _grid_nodes(path)
    kept = save_project(path, Project(sites=SITES[:1], metadata={"title": "T2"}, regions=[]))
    assert kept == ["grid_nodes", "layer_styles", "high_voltage"]
    assert _layers(path) >= {"grid_nodes", "layer_styles", "sites", "hardware", "project"}
    assert "regions" not in _layers(path)  # ours, and there are none now
    assert _grid_nodes(path) == nodes
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT label FROM high_voltage").fetchall() == [("Xining line",)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    project = load_project(path, catalogue=CAT)
    assert (project.sites, project.metadata["title"], project.regions) == (SITES[:1], "T2", [])
    # And again, with regions back: still one of each, nothing doubled.
    save_project(path, Project(sites=SITES, metadata={}, regions=[CIRCLE]))
    assert _grid_nodes(path) == nodes
    assert load_project(path, catalogue=CAT).regions[0]["properties"]["name"] == "Hami 50 km"


def test_save_as_from_the_session_keeps_them_too(tmp_path: Path) -> None:
    opened = tmp_path / "p.gpkg"
    save_project(opened, Project(sites=SITES))
    _add_user_layers(opened)
    session = Session.from_file(opened, catalogue=CAT)
    copy = tmp_path / "copy.gpkg"
    session.save(copy)
    assert _grid_nodes(copy) == _grid_nodes(opened)
    assert load_project(copy, catalogue=CAT).sites == SITES


def test_another_geopackage_saved_over_is_replaced_not_merged(tmp_path: Path) -> None:
    """Only a project's tables are the user's to keep; another GeoPackage is replaced."""
    path = tmp_path / "boundaries.gpkg"
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array([shapely.Point(1, 2)])),
        [np.array(["x"], dtype=object)],
        ["label"],
        layer="grid_nodes",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    assert save_project(path, Project(sites=SITES)) == []
    assert "grid_nodes" not in _layers(path)


def test_a_failed_save_with_user_tables_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import explorer.io.project as project_module

    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES))
    _add_user_layers(path)
    before = path.read_bytes()

    def full_disk(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_module, "_write_layer", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_project(path, Project(sites=SITES[:1]))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.gpkg"]


# ----------------------------------------------------------------------- finding 13


def test_extra_json_cannot_override_the_region_columns(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES, regions=[CIRCLE]))
    forged = json.dumps({"name": "forged", "radius_m": 1, "kind": "polygon", "colour": "red"})
    _sql(path, f"UPDATE regions SET extra = '{forged}'")
    (region,) = load_project(path, catalogue=CAT).regions
    assert region["properties"] == {
        "name": "Hami 50 km",
        "kind": "circle",
        "radius_m": 50_000.0,
        "colour": "red",
    }


def _explorer(*argv: Any) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("explorer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]
    return subprocess.run(
        [*cmd, *map(str, argv)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (  # GDAL warns about the geometry type, then the file is refused
            lambda p: _sql(
                p,
                "UPDATE gpkg_geometry_columns SET geometry_type_name = 'BOGUS'",
                "DELETE FROM project WHERE key = 'format'",
            ),
            "explorer: error: {path} is not a Compute Site Explorer project "
            "(format is None, expected 'compute-site-explorer')\n",
        ),
        (  # GDAL warns, and the file is fine otherwise: nothing on stderr
            lambda p: _sql(p, "UPDATE gpkg_geometry_columns SET geometry_type_name = 'BOGUS'"),
            "",
        ),
    ],
)
def test_gdal_warnings_do_not_reach_stderr(
    tmp_path: Path, damage: Callable[[Path], None], expected: str
) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES))
    damage(path)
    proc = _explorer("totals", path)
    assert proc.stderr == expected.format(path=path)
    assert "RuntimeWarning" not in proc.stdout


def test_opening_does_not_need_the_warnings_either(tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    save_project(path, Project(sites=SITES))
    _sql(path, "UPDATE gpkg_geometry_columns SET geometry_type_name = 'BOGUS'")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping the reader fails here
        assert open_file(path, catalogue=CAT).project.sites == SITES
