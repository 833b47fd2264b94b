"""The throwaway server itself: a database per test, PostGIS in it, and a restart after a
crash (the fault tests kill it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.pg_server import PgServer


def test_a_fresh_database_has_postgis(pg_server: PgServer, pg_url: str) -> None:
    name = urlsplit(pg_url).path.lstrip("/")
    pg_server.psql("create extension postgis", database=name)
    assert pg_server.psql("select postgis_version()", database=name).startswith("3.")
    assert (
        pg_server.psql("select count(*) from pg_tables where schemaname = 'public'", name) == "1\n"
    )
