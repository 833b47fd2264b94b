"""A catalogue in PostGIS against a real server: schema, round trip, versions and
conflicts, history, the read-only role, and no partial change when the server dies."""

from __future__ import annotations

import threading
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, Source
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, rectangle
from explorer.io.database.catalogue import (
    ChangeSet,
    ConnectionLost,
    DatabaseCatalogue,
    ReadOnly,
    StaleEdit,
    site_json,
)
from explorer.io.database.schema import LATEST, schema_version
from explorer.io.project_value import Project
from tests.helpers import chip_model
from tests.pg_server import PgServer

CAT = ChipCatalogue(
    [chip_model("H100", tflops=1000.0, watts=700.0), chip_model("H20", tflops=148, watts=400)]
)

SITES = [
    Site(
        "yiwu",
        "Yiwu cluster",
        94.69,
        43.25,
        operator="Op",
        province="Xinjiang",
        hardware=(
            HardwareLine("H100", 1000, 125, 8, "1", "operational", "2024-04", 900, 1100),
            HardwareLine("H20", 50),
        ),
        sources=(Source("Report", "https://example.org/r", "2025", "quote"),),
        notes="multi\nline",
        part_of="",
    ),
    Site("part", "Yiwu part", 94.7, 43.26, hardware=(HardwareLine("H100", 10),), part_of="yiwu"),
    Site("old", "Old record", 90.0, 40.0, power_mw=12.5),
]
REGIONS = [
    RegionEntry("r1", rectangle("Hami", 92, 41, 96, 44)),
    RegionEntry("r2", CircleRegion("Ring", 90.0, 40.0, 50_000.0)),
]


def _db(url: str) -> DatabaseCatalogue:
    return DatabaseCatalogue(url, catalogue=CAT)


@pytest.fixture
def filled(pg_url: str) -> str:
    db = _db(pg_url)
    db.replace_all(
        Project(
            sites=SITES,
            metadata={"title": "Team"},
            regions=[e.to_feature() for e in REGIONS],
        )
    )
    db.close()
    return pg_url


def test_an_empty_database_gets_the_schema_and_a_round_trip_is_lossless(
    pg_server: PgServer, filled: str
) -> None:
    db = _db(filled)
    loaded = db.load()
    assert loaded.problems == []
    assert loaded.project.sites == SITES
    assert loaded.project.metadata == {"title": "Team"}
    assert [RegionEntry.from_feature(f) for f in loaded.project.regions] == REGIONS
    import psycopg

    with psycopg.connect(filled) as conn:
        assert schema_version(conn) == LATEST
        # The layout of a GeoPackage project: a Point geometry in 4326 with a GiST index.
        geom = conn.execute(
            "select type, srid from geometry_columns where f_table_name = 'sites'"
        ).fetchone()
        assert geom == ("POINT", 4326)
        assert conn.execute(
            "select count(*) from pg_indexes where indexname = 'sites_geom_gist'"
        ).fetchone() == (1,)
    # Opening it again migrates nothing and reads the same.
    assert _db(filled).load().project.sites == SITES


def test_two_clients_a_stale_edit_is_refused_and_both_ways_resolve(filled: str) -> None:
    a, b = _db(filled), _db(filled)
    a.load()
    b.load()
    yiwu = SITES[0]
    mine = replace(yiwu, name="Renamed by A")
    a.write(ChangeSet(sites_put=(mine,)), reason="from the 2025 notice")
    theirs = replace(yiwu, operator="Changed by B")
    with pytest.raises(StaleEdit) as info:
        b.write(ChangeSet(sites_put=(theirs,)))
    conflict = info.value
    assert conflict.entity_id == "yiwu"
    assert conflict.theirs == site_json(mine) and conflict.mine == site_json(theirs)
    assert _db(filled).load().project.sites[0] == mine  # nothing of B's was written
    # "Take theirs": B reads the record again; its next edit is on the current version.
    sites, _ = b.fetch(["yiwu"])
    assert sites["yiwu"] == mine
    b.write(ChangeSet(sites_put=(replace(mine, tenant="T"),)))
    # "Keep mine": A overwrites whatever is there now.
    with pytest.raises(StaleEdit):
        a.write(ChangeSet(sites_put=(replace(mine, notes="A wins"),)))
    a.write(ChangeSet(sites_put=(replace(mine, notes="A wins"),)), force=True)
    assert _db(filled).load().project.sites[0].notes == "A wins"
    # A delete on a stale version is refused too.
    with pytest.raises(StaleEdit):
        b.write(ChangeSet(sites_gone=("yiwu",)))


def test_history_records_who_what_before_after_and_why(filled: str) -> None:
    db = _db(filled)
    db.load()
    edited = replace(SITES[2], power_mw=20.0, name="Renamed")
    db.write(ChangeSet(sites_put=(edited,)), reason="typo")
    db.write(ChangeSet(sites_gone=("old",)))
    records = db.history("old")
    assert [r.action for r in records] == ["insert", "update", "delete"]
    update = records[1]
    assert update.who == db.role and update.reason == "typo"
    assert set(update.fields) == {"name", "power_mw"}
    assert update.before is not None and update.before["power_mw"] == 12.5
    assert update.after is not None and update.after["name"] == "Renamed"
    assert records[2].after is None and records[2].version is None


def test_a_read_only_role_cannot_write(pg_server: PgServer, filled: str) -> None:
    name = urlsplit(filled).path.lstrip("/")
    pg_server.psql("create role reader login", database=name)
    pg_server.psql("grant select on all tables in schema public to reader", database=name)
    url = pg_server.url(name, user="reader")
    db = _db(url)
    assert db.read_only and db.load().project.sites == SITES
    with pytest.raises(ReadOnly):
        db.write(ChangeSet(sites_gone=("old",)))
    # The database refuses it anyway, whatever the client believes.
    db.read_only = False
    with pytest.raises(ReadOnly):
        db.write(ChangeSet(sites_gone=("old",)))
    assert len(_db(filled).load().project.sites) == 3


def test_killing_the_server_mid_command_leaves_no_partial_change(
    pg_server: PgServer, filled: str
) -> None:
    name = urlsplit(filled).path.lstrip("/")
    # A trigger that pauses inside the transaction after the first rows are written, so
    # the server can be killed while a multi-row command is half done.
    pg_server.psql(
        "create function pause() returns trigger language plpgsql as $$ begin "
        "if new.reason = 'pause' then perform pg_sleep(30); end if; return new; end $$; "
        "create trigger pause_history before insert on history for each row "
        "execute function pause()",
        database=name,
    )
    db = _db(filled)
    db.load()
    many = tuple(
        Site(f"n{i}", f"New {i}", 91 + i / 100, 41, hardware=(HardwareLine("H100", i),))
        for i in range(50)
    )
    errors: list[BaseException] = []

    def write() -> None:
        try:
            db.write(ChangeSet(sites_put=many, sites_gone=("old",)), reason="pause")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            errors.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    # Wait until the command is inside its transaction, paused after its first row.
    for _ in range(600):
        busy = pg_server.psql(
            "select count(*) from pg_stat_activity where wait_event = 'PgSleep'", database=name
        )
        if busy.strip() == "1":
            break
        threading.Event().wait(0.05)  # polling the server's state, not standing in for it
    else:
        pytest.fail("the write never reached the pause")
    pg_server.kill()
    worker.join(60)
    assert errors and isinstance(errors[0], ConnectionLost)
    pg_server.start()
    after = _db(filled).load().project.sites
    assert [s.id for s in after] == ["yiwu", "part", "old"]  # nothing of the command


def test_an_older_schema_is_upgraded_in_place_keeping_its_data(filled: str) -> None:
    """A catalogue written by the version-2 program (no geography index) opens, is
    upgraded through the numbered migrations, keeps its sites, and a circle's totals
    then use the new index."""
    import psycopg

    from explorer.io.database.schema import MIGRATIONS, migrate

    with psycopg.connect(filled, autocommit=True) as conn:
        conn.execute("drop index sites_geog_gist")
        conn.execute("drop index site_capacity_site_day")
        conn.execute("delete from explorer_schema where version > 2")
        assert schema_version(conn) == 2
    with psycopg.connect(filled) as conn:
        assert migrate(conn) == 2  # the version found
        conn.commit()
        assert schema_version(conn) == LATEST == MIGRATIONS[-1][0] >= 3
        assert conn.execute(
            "select count(*) from pg_indexes where indexname = 'sites_geog_gist'"
        ).fetchone() == (1,)
        conn.execute("set enable_seqscan = off")  # a tiny table: ask whether it *can* use it
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "explain select id from sites s where st_dwithin(s.geom::geography, "
                "st_setsrid(st_makepoint(93.5, 42.8), 4326)::geography, 200000, true)"
            ).fetchall()
        )
        assert "sites_geog_gist" in plan, plan
    assert _db(filled).load().project.sites == SITES


def test_rows_another_client_wrote_badly_are_problems_worded_as_record_by_record(
    filled: str,
) -> None:
    """Rows written around the application (a bad status, an unknown model, a count over
    the limit, a control character): the columnar read keeps and refuses what parsing
    each row does, worded the same."""
    import psycopg

    from explorer.io.records import SiteCollector, record_label

    with psycopg.connect(filled) as conn:
        conn.execute("update sites set status = 'Planned' where id = 'old'")
        conn.execute("update sites set name = 'bell\x07' where id = 'part'")
        conn.execute("update hardware set chip_model = 'H999' where site_id = 'yiwu'")
        conn.execute(
            "insert into sites (id, position, name, geom) values "
            "('extra', 9, 'Extra', st_setsrid(st_makepoint(91, 41), 4326)), "
            "('big', 10, 'Big', st_setsrid(st_makepoint(92, 41), 4326))"
        )
        conn.execute(
            "insert into hardware (site_id, line_no, chip_model, chips) values "
            "('extra', 0, 'H20', 5), ('big', 0, 'H100', 20000000)"
        )
    db = _db(filled)
    loaded = db.load()
    with db._conn.transaction(), db._cursor() as cur:
        rows = db._select_sites(cur, None)
    collector = SiteCollector(CAT)
    for n, (props, lon, lat, _, _) in enumerate(rows, start=1):
        collector.add(props, lon, lat, label=record_label(f"site {n}", props.get("id")))
    assert [str(p) for p in loaded.problems] == [str(p) for p in collector.problems]
    assert len(loaded.problems) >= 4
    assert loaded.project.sites == collector.sites
    assert [s.id for s in loaded.project.sites] == ["extra"]
