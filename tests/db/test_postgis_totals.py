"""Totals computed by PostGIS equal the local engine's, to the last digit: on the edge
cases that decide membership (sites on polygon edges and vertices, a metre inside and
outside a geodesic circle), at dates, with campuses and supersession, and after any mix
of edits written through."""

from __future__ import annotations

import random
from datetime import date

import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.regions import CircleRegion, PolygonRegion, rectangle
from explorer.geo.totals import totals_many
from explorer.io.database.catalogue import ChangeSet, DatabaseCatalogue
from explorer.io.project_value import Project
from tests.helpers import chip_model

CAT = ChipCatalogue(
    [
        chip_model("H100", tflops=1000.0, watts=700.0),
        chip_model("H20", tflops=148.0, watts=400.0, restricted=False),
    ]
)
TODAY = date(2026, 12, 1)
GEOD = Geod(ellps="WGS84")
CENTRE = (88.0, 43.0)
RADIUS = 50_000.0
BOX = rectangle("Box", 90, 40, 92, 41)
TRIANGLE = PolygonRegion("Triangle", Polygon([(93, 40), (95, 40), (94, 42)]))


def _at_distance(metres: float, azimuth: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(CENTRE[0], CENTRE[1], azimuth, metres)
    return lon, lat


def _edge_sites() -> list[Site]:
    def s(sid: str, lon: float, lat: float, n: int, **kw: object) -> Site:
        return Site(sid, sid, lon, lat, hardware=(HardwareLine("H100", n, online="2025"),), **kw)  # type: ignore[arg-type]

    inside = _at_distance(RADIUS - 1.0, 37.0)
    outside = _at_distance(RADIUS + 1.0, 211.0)
    return [
        s("box-edge", 91.0, 40.0, 1),  # on the box's south edge
        s("box-vertex", 92.0, 41.0, 2),  # on its north-east vertex
        s("box-out", 92.000001, 40.5, 4),  # just east of it
        s("tri-edge", 93.5, 41.0, 8),  # on the triangle's west edge (93,40)-(94,42)
        s("ring-in", inside[0], inside[1], 16),
        s("ring-out", outside[0], outside[1], 32),
        Site(
            "campus",
            "campus",
            90.5,
            40.5,
            hardware=(HardwareLine("H100", 1000, online="2024"), HardwareLine("H20", 10)),
        ),
        s("part", 91.5, 40.5, 300, part_of="campus"),
        s("old", 93.9, 40.2, 64),
        Site("new", "new", 93.95, 40.25, hardware=(HardwareLine("H20", 7),), supersedes="old"),
    ]


def _check(db: DatabaseCatalogue, sites: list[Site], as_of: date | None) -> None:
    regions = [BOX, TRIANGLE, CircleRegion("Ring", CENTRE[0], CENTRE[1], RADIUS)]
    local = totals_many(sites, regions, as_of=as_of, catalogue=CAT, today=TODAY)
    remote = db.totals(regions, as_of=as_of, today=TODAY)
    assert [t.to_json() for t in remote] == [t.to_json() for t in local]
    [everything] = db.totals(None, as_of=as_of, today=TODAY)
    assert everything.site_count == len([s for s in sites if s.id != "old"])


@pytest.mark.parametrize("as_of", [None, date(2024, 12, 31), date(2025, 12, 31)])
def test_postgis_totals_equal_the_local_engine_on_the_edge_cases(
    pg_url: str, as_of: date | None
) -> None:
    sites = _edge_sites()
    db = DatabaseCatalogue(pg_url, catalogue=CAT)
    db.replace_all(Project(sites=sites))
    _check(db, sites, as_of)
    box = db.totals([BOX], today=TODAY)[0]
    assert {"box-edge", "box-vertex", "campus", "part"} <= set(box.site_ids)
    assert "box-out" not in box.site_ids
    ring = db.totals([CircleRegion("Ring", CENTRE[0], CENTRE[1], RADIUS)], today=TODAY)[0]
    assert ring.site_ids == ("ring-in",)


def test_the_ledger_in_the_database_follows_every_edit(pg_url: str) -> None:
    rng = random.Random(5)
    sites = {s.id: s for s in _edge_sites()}
    db = DatabaseCatalogue(pg_url, catalogue=CAT)
    db.replace_all(Project(sites=list(sites.values())))
    db.load()
    years = ["", "2024", "2025-06", "2026"]
    for step in range(40):
        sid = rng.choice(sorted(sites))
        s = sites[sid]
        roll = rng.random()
        if roll < 0.3:
            new = s.with_changes(part_of=rng.choice(["", *sorted(sites)]))
        elif roll < 0.45:
            new = s.with_changes(supersedes=rng.choice(["", *sorted(sites)]))
        elif roll < 0.8:
            n = rng.randint(0, 2000)
            new = s.with_changes(
                hardware=(
                    HardwareLine(
                        rng.choice(["H100", "H20"]),
                        n,
                        online=rng.choice(years),
                        chips_low=rng.randint(0, n),
                        chips_high=n + rng.randint(0, 99),
                    ),
                )
            )
        else:
            new = s.with_changes(lon=rng.uniform(89.5, 95.5), lat=rng.uniform(39.8, 42.2))
        if new.part_of == new.id or new.supersedes == new.id:
            continue
        if step % 9 == 8:
            db.write(ChangeSet(sites_gone=(sid,)))
            del sites[sid]
        else:
            db.write(ChangeSet(sites_put=(new,)))
            sites[sid] = new
        for as_of in (None, date(2025, 12, 31)):
            regions = [BOX, TRIANGLE]
            local = totals_many(
                list(sites.values()), regions, as_of=as_of, catalogue=CAT, today=TODAY
            )
            remote = db.totals(regions, as_of=as_of, today=TODAY)
            assert [t.to_json() for t in remote] == [t.to_json() for t in local], step
