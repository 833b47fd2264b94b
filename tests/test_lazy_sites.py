"""A file opened in a session is held as columns: a site is built only for the rows
someone asks for (issue 10), and everything else reads the columns.

100,000 synthetic sites (with campuses, parts and superseded records) are opened through
the session's own door; what is built is counted, not timed: every call of
``SiteColumns.site`` (one row) and ``SiteColumns.iter_sites`` (all rows) is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, rectangle
from explorer.geo.totals import totals
from explorer.io.formats import write_sites
from explorer.io.site_columns import SiteColumns
from explorer.session.session import Session
from tests.helpers import SiteBuilds
from tests.web.synthetic import synthetic_sites

N = 100_000
CATALOGUE = ChipCatalogue.bundled()
REGIONS = (
    RegionEntry("r1", rectangle("Urumqi box", 86.5, 43.0, 88.5, 45.0)),
    RegionEntry("r2", CircleRegion("Xining 100 km", 101.78, 36.62, 100_000)),
)


@pytest.fixture(scope="module")
def sites() -> list[Site]:
    return synthetic_sites(N, seed=11)


@pytest.fixture(scope="module")
def sites_file(tmp_path_factory: pytest.TempPathFactory, sites: list[Site]) -> Path:
    path = tmp_path_factory.mktemp("lazy") / "sites.geojson"
    write_sites(path, sites)
    return path


def _opened(path: Path) -> Session:
    session = Session(CATALOGUE, admin_areas=None)
    session.open(path)
    return session


def _fresh(session: Session, entry: RegionEntry, as_of: date | None) -> tuple[Any, ...]:
    t = totals(session.sites.sites(), entry.region, as_of=as_of, catalogue=CATALOGUE)
    return (t.site_ids, t.chips, t.chips_range, t.by_model, t.restricted_h100e)


def _live(session: Session, rid: str) -> tuple[Any, ...]:
    t = session.live_totals.totals(rid)
    return (t.site_ids, t.chips, t.chips_range, t.by_model, t.restricted_h100e)


def test_opening_builds_only_the_sites_a_campus_or_supersession_ties_together(
    sites_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = SiteBuilds(monkeypatch)
    session = _opened(sites_file)
    assert len(session.sites) == N
    assert session.sites.built_count() == 0  # the store holds rows, none built
    assert N not in builds.passes  # nothing built every row
    # The live totals' ledger needs the values of the sites the campus and supersession
    # rules tie together (a campus, its parts, a superseded record and its successor),
    # and of those alone.
    rows = session.sites.rows_as_loaded()
    assert isinstance(rows, SiteColumns)
    related = set(rows.ids[rows.related_rows()].tolist())
    assert 0 < len(related) < N // 20
    assert set(builds.ids) == related
    assert len(builds.ids) == len(related)
    # Regions are totalled from the columns: still nothing built.
    for entry in REGIONS:
        session.add_region(entry)
    assert session.live_totals.totals("r1").chips > 0
    session.set_as_of(date(2026, 6, 30))
    assert session.sites.built_count() == 0 and N not in builds.passes
    # Asking for one site builds that one, once.
    before = len(builds.ids)
    sid = "syn-012345"
    site = session.sites.get(sid)
    assert session.sites.get(sid) is site
    assert session.sites.built_count() == 1
    assert builds.ids[before:] == [sid]


def test_an_edit_and_its_undo_on_unbuilt_rows_keep_totals_exact(
    sites_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _opened(sites_file)
    for entry in REGIONS:
        session.add_region(entry)
    builds = SiteBuilds(monkeypatch)
    r1 = session.live_totals.totals("r1")
    inside = r1.site_ids[len(r1.site_ids) // 2]
    old = session.sites.get(inside)
    new = replace(old, hardware=(HardwareLine("H100", 777, online="2025"),))
    assert session.edit_site(old, new)
    assert session.sites.get(inside) == new
    assert session.sites.rows_as_loaded() is None  # changed: no longer the file's rows
    assert session.sites.built_count() == 1
    assert builds.ids == [inside]
    edited = session.live_totals.totals("r1")
    assert edited.chips == r1.chips - sum(h.chips for h in old.hardware if h.counts) + 777
    session.undo()
    assert session.sites.get(inside) == old
    assert _live(session, "r1") == (
        r1.site_ids,
        r1.chips,
        r1.chips_range,
        r1.by_model,
        r1.restricted_h100e,
    )
    session.redo()
    for as_of in (None, date(2025, 12, 31), date(2027, 6, 30)):
        session.set_as_of(as_of)
        for entry in REGIONS:
            assert _live(session, entry.id) == _fresh(session, entry, as_of)


def test_totals_from_columns_equal_totals_from_built_sites(
    sites_file: Path, sites: list[Site]
) -> None:
    session = _opened(sites_file)
    for entry in REGIONS:
        session.add_region(entry)
    for as_of in (None, date(2024, 12, 31), date(2026, 6, 30)):
        session.set_as_of(as_of)
        for entry in REGIONS:
            t = totals(sites, entry.region, as_of=as_of, catalogue=CATALOGUE)
            assert _live(session, entry.id) == (
                t.site_ids,
                t.chips,
                t.chips_range,
                t.by_model,
                t.restricted_h100e,
            )
    assert session.online_dates() == Session.from_file(sites_file, admin_areas=None).online_dates()


def test_save_and_reopen_give_the_file_back(
    sites_file: Path, sites: list[Site], tmp_path: Path
) -> None:
    session = _opened(sites_file)
    target = tmp_path / "project.gpkg"
    session.save(target)
    again = _opened(target)
    assert again.sites.sites() == sites


def test_geoparquet_ids_stay_arrow_until_read_and_totals_list_theirs(
    sites: list[Site], tmp_path: Path
) -> None:
    # `explorer totals` on a GeoParquet file: the ids stay the Arrow array they were read
    # into; a region's total reads only its own sites' ids, and they are the right ones.
    from explorer.geo.id_column import held_ids
    from explorer.io.formats import read_sites

    path = tmp_path / "sites.parquet"
    write_sites(path, sites)
    columns = read_sites(path, catalogue=CATALOGUE).columns
    assert not isinstance(held_ids(columns), np.ndarray)
    arrays = columns.site_arrays(CATALOGUE)
    assert not isinstance(held_ids(arrays), np.ndarray)
    for entry in REGIONS:
        got = totals(arrays, entry.region, catalogue=CATALOGUE)
        want = totals(sites, entry.region, catalogue=CATALOGUE)
        assert got.site_ids == want.site_ids and len(got.site_ids) > 100
        assert (got.chips, got.by_model) == (want.chips, want.by_model)
    assert not isinstance(held_ids(arrays), np.ndarray)  # still not converted whole
    # Read whole when asked: every id, in file order, read-only like the snapshot.
    assert columns.ids.tolist() == [s.id for s in sites]
    assert arrays.ids.tolist() == [s.id for s in sites]
    assert not arrays.ids.flags.writeable


def test_row_index_and_counted_lines_built_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    # Built a slice at a time (so the load's worker lets the window have the
    # interpreter); the same index and the same ledger as in one piece.
    from explorer.io import site_columns
    from explorer.io.site_columns import SiteColumns
    from tests.web.synthetic import synthetic_sites

    sites = synthetic_sites(300, seed=4)
    whole = SiteColumns.from_sites(sites)
    models = ChipCatalogue.bundled().names
    one_piece = whole.ledger(models)
    monkeypatch.setattr(site_columns, "LOCK_SLICE", 7)
    sliced = SiteColumns.from_sites(sites)
    index = sliced.row_index()
    assert index == {s.id: i for i, s in enumerate(sites)}
    assert list(index) == [s.id for s in sites]
    ledger = sliced.ledger(models)
    for day in (None, 738_000, 740_000):
        assert np.array_equal(ledger.at(day), one_piece.at(day))
