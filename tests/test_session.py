"""The session (Qt-free): one owner of stores, selections, modes, boundary layer and every
command; opening files through the one door; the plain undo history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.history import UndoHistory
from explorer.core.schema import HardwareLine, Site
from explorer.geo.admin import AdminArea, AdminAreas
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.boundaries import BoundaryLayer
from explorer.io.formats import write_sites
from explorer.io.project import Project, save_project
from explorer.io.region_files import save_regions
from explorer.session.session import MODES, Session
from tests.helpers import chip_model

WEST = rectangle("West", 90, 40, 92, 41)
EAST = rectangle("East", 92, 40, 94, 41)


@pytest.fixture
def catalogue() -> ChipCatalogue:
    return ChipCatalogue([chip_model("H100", tflops=1000.0, watts=700.0)])


@pytest.fixture
def areas() -> AdminAreas:
    """Two hand-drawn 'provinces' side by side."""
    return AdminAreas(
        [
            AdminArea("Westland", "西", "China", True, True, rectangle("Westland", 90, 40, 92, 41)),
            AdminArea("Eastland", "东", "China", True, True, rectangle("Eastland", 92, 40, 94, 41)),
        ]
    )


def _site(sid: str, lon: float, lat: float, chips: int = 10, **kw: object) -> Site:
    return Site(sid, sid, lon, lat, hardware=(HardwareLine("H100", chips),), **kw)  # type: ignore[arg-type]


@pytest.fixture
def session(catalogue: ChipCatalogue, areas: AdminAreas) -> Session:
    s = Session(catalogue, admin_areas=areas)
    s.load(
        Project(sites=[_site("a", 90.5, 40.5), _site("b", 93.0, 40.5, 5)], metadata={"title": "T"}),
        path=None,
        display_name="test",
    )
    return s


def _history(session: Session) -> UndoHistory:
    assert isinstance(session.history, UndoHistory)
    return session.history


# ---------------------------------------------------------------------------- modes
def test_one_map_mode_at_a_time(session: Session) -> None:
    seen: list[str] = []
    session.mode_changed.connect(seen.append)
    session.set_mode("place")
    session.set_mode("circle")  # a drawing tool ends placing: one value, not two flags
    session.set_mode("circle")  # no event for no change
    session.set_mode("browse")
    assert seen == ["place", "circle", "browse"]
    with pytest.raises(ValueError, match="mode must be one of browse, place"):
        session.set_mode("lasso")
    assert session.mode == "browse" and "lasso" not in MODES


def test_colour_mode(session: Session) -> None:
    seen: list[str] = []
    session.color_mode_changed.connect(seen.append)
    session.set_color_mode("model")
    session.set_color_mode("model")
    assert seen == ["model"] and session.color_mode == "model"
    with pytest.raises(ValueError):
        session.set_color_mode("rainbow")


# ---------------------------------------------------------------------------- site commands
def test_place_site_is_one_undoable_command_with_the_province(session: Session) -> None:
    session.set_mode("place")
    site = session.place_site(93.123456, 40.5)
    assert (site.lon, site.province) == (93.12346, "Eastland")
    assert session.mode == "browse"
    assert session.selection.current == site.id
    assert session.sites.get(site.id) == site
    assert _history(session).undo_text == f"Add {site.name}"
    _history(session).undo()
    assert site.id not in session.sites


def test_move_site_follows_the_boundaries(session: Session) -> None:
    assert session.move_site("a", 93.5, 40.2)
    assert session.sites.get("a").province == "Eastland"
    assert session.move_site("a", 100.0, 10.0)  # outside both areas: no province
    assert session.sites.get("a").province == ""
    _history(session).undo()
    _history(session).undo()
    assert (session.sites.get("a").lon, session.sites.get("a").province) == (90.5, "")
    assert not session.move_site("nope", 1, 1)


def test_edit_site_is_validated_by_the_store_once_and_undoable(session: Session) -> None:
    old = session.sites.get("a")
    assert not session.edit_site(old, old)  # nothing changes: nothing recorded
    assert not _history(session).can_undo
    with pytest.raises(ValidationError, match="unknown chip model 'B200'"):
        session.edit_site(old, old.with_changes(hardware=(HardwareLine("B200", 1),)))
    assert session.sites.get("a") == old and not _history(session).can_undo
    new = old.with_changes(name="Renamed", lat=40.7)
    assert session.edit_site(old, new)
    assert _history(session).undo_text == "Edit name, province, lat of 'a'"
    assert session.sites.get("a").province == "Westland"


def test_delete_sites_clears_the_selection(session: Session) -> None:
    session.selection.set("a")
    assert session.delete_sites(["a", "a", "zz"]) == 1
    assert session.selection.current is None and session.sites.ids() == ["b"]
    _history(session).undo()
    assert session.sites.ids() == ["a", "b"]


# ---------------------------------------------------------------------------- regions
def test_add_region_selects_it_and_highlights_its_sites(session: Session) -> None:
    highlights: list[tuple[str, ...]] = []
    session.highlight_changed.connect(highlights.append)
    entry = session.add_region(RegionEntry("r1", WEST))
    assert session.region_selection.current == "r1"
    assert session.highlighted_site_ids == ("a",)
    # An edit that moves a site into the selected region updates the highlight.
    session.move_site("b", 91.0, 40.5)
    assert session.highlighted_site_ids == ("a", "b")
    assert highlights == [("a",), ("a", "b")]
    # Deleting the selected region clears the selection and the highlight.
    session.delete_regions([entry.id])
    assert session.region_selection.current is None
    assert session.highlighted_site_ids == ()


def test_rename_region(session: Session) -> None:
    session.add_region(RegionEntry("r1", WEST))
    assert session.rename_region("r1", "  Hami  ")
    assert session.regions.get("r1").name == "Hami"
    assert not session.rename_region("r1", "Hami")
    with pytest.raises(ValueError, match="needs a name"):
        session.rename_region("r1", "   ")
    assert _history(session).undo_text == "Rename region"


def test_import_regions_reads_the_file_once_and_names_unnamed_ones(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "r.geojson"
    save_regions(path, [WEST, CircleRegion("Ring", 91, 40.5, 50_000)])
    text = path.read_text(encoding="utf-8").replace('"name": "West"', '"name": ""')
    path.write_text(text, encoding="utf-8")
    entries = session.import_regions(path)
    assert [e.name for e in entries] == ["Rectangle 1", "Ring"]
    assert _history(session).undo_text == "Import 2 regions"
    with pytest.raises(DataFileError, match="nope.geojson"):
        session.import_regions(tmp_path / "nope.geojson")


def test_pick_area_uses_the_boundary_layer_or_the_provinces(session: Session) -> None:
    notices: list[str] = []
    session.notice.connect(notices.append)
    entry = session.pick_area(93.0, 40.5)
    assert entry is not None and entry.name == "Eastland"
    assert session.pick_area(0.0, 0.0) is None
    assert notices == ["No province there: pick inside a province outline"]
    layer = BoundaryLayer("zones", [rectangle("Zone A", 90, 40, 91, 41)])
    session.set_boundary_layer(layer)
    assert session.pick_area(90.5, 40.5).name == "Zone A"  # type: ignore[union-attr]
    assert session.pick_area(93.0, 40.5) is None
    assert notices[-1] == "No area of zones there: pick inside one of its outlines"


def test_a_view_can_refuse_a_boundary_layer_before_anything_changes(session: Session) -> None:
    changes: list[object] = []
    session.boundary_changed.connect(changes.append)

    def too_big(layer: BoundaryLayer) -> None:
        if len(layer) > 1:
            raise ValueError("too many areas for the map")

    remove = session.add_boundary_check(too_big)
    small = BoundaryLayer("small", [WEST])
    big = BoundaryLayer("big", [WEST, EAST])
    session.set_boundary_layer(small)
    with pytest.raises(ValueError, match="too many areas"):
        session.set_boundary_layer(big)
    assert session.boundary_layer is small and changes == [small]
    remove()
    session.set_boundary_layer(big)
    session.set_boundary_layer(None)
    assert changes == [small, big, None]


# ---------------------------------------------------------------------------- files
def test_open_a_sites_file_and_a_project_through_one_door(
    catalogue: ChipCatalogue, tmp_path: Path
) -> None:
    sites_path = tmp_path / "s.geojson"
    write_sites(sites_path, [_site("a", 90.5, 40.5)], {"title": "T"})
    project_path = tmp_path / "p.gpkg"
    save_project(
        project_path,
        Project(
            sites=[_site("a", 90.5, 40.5)],
            metadata={"title": "P"},
            regions=[RegionEntry("r7", WEST).to_feature()],
        ),
    )
    session = Session(catalogue, admin_areas=None)
    opened: list[str] = []
    session.opened.connect(opened.append)
    session.open(sites_path)
    assert session.path is None  # a sites file is never overwritten by a save
    assert session.display_name == "s.geojson" and len(session.sites) == 1
    session.open(project_path)
    assert session.path == project_path and session.regions.ids() == ["r7"]
    assert session.live_totals.totals("r7").site_ids == ("a",)
    assert opened == ["s.geojson", "p.gpkg"]
    # A failed open changes nothing.
    with pytest.raises(DataFileError):
        session.open(tmp_path / "missing.geojson")
    assert session.path == project_path and session.regions.ids() == ["r7"]


def test_a_file_read_ahead_brings_its_totals_snapshot_and_stale_ones_are_rebuilt(
    catalogue: ChipCatalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``read`` (the worker thread's half of a background open) builds the capacity
    ledger, so loading on the UI thread builds none; a snapshot that no longer matches
    (the date changed while the file was read) is rebuilt, never used."""
    from explorer.geo.capacity import CapacityLedger

    path = tmp_path / "s.geojson"
    lines = (HardwareLine("H100", 10, online="2025"), HardwareLine("H100", 5, online="2027"))
    write_sites(path, [Site("a", "a", 90.5, 40.5, hardware=lines)], {})
    session = Session(catalogue, admin_areas=None)
    built: list[int] = []
    real = CapacityLedger.__init__

    def counting(self: CapacityLedger, *args: object, **kwargs: object) -> None:
        built.append(1)  # every ledger, from sites or from columns, is made here
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CapacityLedger, "__init__", counting)
    read = session.read(path)
    assert len(built) == 1 and read.display_name == "s.geojson"
    session.load_opened(read)
    assert len(built) == 1  # the prepared ledger was used
    session.add_region(RegionEntry("r1", WEST))
    assert session.live_totals.totals("r1").chips == 15
    # Read at no date, loaded after the date moved to 2026: rebuilt at 2026.
    read = session.read(path)
    session.set_as_of(date(2026, 12, 31))
    built.clear()
    session.load_opened(read)
    assert len(built) == 1
    session.add_region(RegionEntry("r1", WEST))
    assert session.live_totals.totals("r1").chips == 10
    # Sites that are not the ones prepared (another read's, at the same date): rebuilt.
    fresh, other = session.read(path), session.read(path)
    built.clear()
    session.load(other.opened.project, path=None, display_name="x", prepared=fresh.prepared)
    assert len(built) == 1
    session.add_region(RegionEntry("r1", WEST))
    assert session.live_totals.totals("r1").chips == 10


def test_what_a_load_froze_is_collected_before_the_next_read(session: Session) -> None:
    """A load freezes what it built out of later collections; garbage in a cycle that
    got frozen with it is collected by collect_before_read (which open() and the
    window call on the UI thread before a read), not kept for good."""
    import gc
    import weakref

    class Node:
        pass

    gc.disable()
    try:
        node = Node()
        node.me = node  # type: ignore[attr-defined]  # a cycle: only the collector frees it
        alive = weakref.ref(node)
        del node
        session.new_project()  # a load: freezes everything alive, the cycle too
    finally:
        gc.enable()
    assert gc.get_freeze_count() > 0
    gc.collect()
    assert alive() is not None  # frozen: the collector no longer looks at it
    Session.collect_before_read()
    assert alive() is None
    assert gc.get_freeze_count() == 0


def test_save_and_reopen(session: Session, tmp_path: Path, catalogue: ChipCatalogue) -> None:
    session.add_region(RegionEntry("r1", WEST))
    path = session.save(tmp_path / "out.gpkg")
    assert session.path == path and session.display_name == "out.gpkg"
    again = Session.from_file(path, catalogue=catalogue, admin_areas=None)
    assert again.sites.sites() == session.sites.sites()
    assert [e.name for e in again.regions] == ["West"]


def test_loading_clears_history_selections_and_mode(session: Session) -> None:
    session.selection.set("a")
    session.set_mode("polygon")
    session.move_site("a", 91.0, 40.5)
    session.new_project()
    assert len(session.sites) == 0 and session.selection.current is None
    assert session.mode == "browse" and not _history(session).can_undo


# ---------------------------------------------------------------------------- history
def test_plain_history_undo_redo_and_clean_mark(session: Session) -> None:
    h = _history(session)
    assert h.is_clean
    session.move_site("a", 91.0, 40.5)
    assert not h.is_clean and h.can_undo
    h.set_clean()
    assert h.undo() and not h.is_clean
    assert h.redo() and h.is_clean
    h.undo()
    session.move_site("b", 92.5, 40.5)  # the saved state can no longer be reached
    assert not h.is_clean
    assert not h.redo()
