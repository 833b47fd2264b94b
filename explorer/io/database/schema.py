"""The database schema, created on an empty database and upgraded by numbered migrations.

Each migration runs in the transaction that records it in ``explorer_schema``, so a
database is always at one whole version. A database newer than this program is refused
(opening it could lose what a newer version keeps).
"""

from __future__ import annotations

from typing import Any

from explorer.core.errors import DataFileError

#: (version, what it does, SQL). Never edit a released migration: add one. Migrations
#: that need data computed in Python (the capacity ledger of version 2) are completed by
#: :meth:`~explorer.io.database.catalogue.DatabaseCatalogue.connect` after upgrading.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "sites, hardware lines, sources, regions, project metadata, history",
        """
        create extension if not exists postgis;
        create table sites (
            id text primary key,
            position double precision not null,
            name text not null,
            operator text not null default '',
            tenant text not null default '',
            province text not null default '',
            prefecture text not null default '',
            status text not null default 'planned',
            part_of text not null default '',
            supersedes text not null default '',
            power_mw double precision,
            confidence text not null default 'low',
            notes text not null default '',
            updated_at text not null default '',
            geom geometry(Point, 4326) not null,
            version bigint not null default 1
        );
        create index sites_geom_gist on sites using gist (geom);
        create table hardware (
            site_id text not null references sites (id) on delete cascade,
            line_no integer not null,
            chip_model text not null,
            chips bigint not null,
            servers bigint,
            gpus_per_server bigint,
            phase text not null default '',
            status text not null default 'unknown',
            online text not null default '',
            chips_low bigint,
            chips_high bigint,
            primary key (site_id, line_no)
        );
        create table sources (
            site_id text not null references sites (id) on delete cascade,
            source_no integer not null,
            title text not null,
            url text not null default '',
            date text not null default '',
            quote text not null default '',
            primary key (site_id, source_no)
        );
        create table regions (
            id text primary key,
            position double precision not null,
            name text not null,
            kind text not null,
            radius_m double precision,
            feature jsonb not null,
            geom geometry(Geometry, 4326) not null,
            version bigint not null default 1
        );
        create index regions_geom_gist on regions using gist (geom);
        create table project (
            key text primary key,
            value jsonb not null
        );
        create table history (
            id bigserial primary key,
            at timestamptz not null default now(),
            who text not null default current_user,
            entity text not null check (entity in ('site', 'region', 'project')),
            entity_id text not null,
            action text not null check (action in ('insert', 'update', 'delete')),
            fields text[] not null default '{}',
            before jsonb,
            after jsonb,
            reason text not null default '',
            version bigint
        );
        create index history_entity on history (entity, entity_id, id);
        create index history_at on history (at);
        """,
    ),
    (
        2,
        "what each site counts (the capacity ledger) for totals in the database",
        """
        alter table sites add column counted boolean not null default true;
        create table site_capacity (
            site_id text not null references sites (id) on delete cascade,
            model text not null,
            day integer,
            low bigint not null,
            central bigint not null,
            high bigint not null
        );
        create index site_capacity_site on site_capacity (site_id);
        """,
    ),
    (
        3,
        "a geography index for geodesic circles (totals in the database)",
        # ST_DWithin on geography can only use an index built on the same expression:
        # without it a circle read every row (4.4 s over 10^6 sites).
        """
        create index sites_geog_gist on sites using gist ((geom::geography));
        create index site_capacity_site_day on site_capacity (site_id, day);
        """,
    ),
)

#: The version this program writes.
LATEST = MIGRATIONS[-1][0]

_VERSION_TABLE = """
create table if not exists explorer_schema (
    version integer primary key,
    description text not null,
    applied_at timestamptz not null default now()
)
"""


def schema_version(conn: Any) -> int:
    """The database's schema version (0 for a database this program never touched)."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('explorer_schema') is not null")
        row = cur.fetchone()
        if not row or not row[0]:
            return 0
        cur.execute("select coalesce(max(version), 0) from explorer_schema")
        row = cur.fetchone()
        return int(row[0]) if row else 0


def migrate(conn: Any) -> int:
    """Bring the schema to :data:`LATEST`; returns the version found before.

    Raises
    ------
    DataFileError
        The database is newer than this program, holds tables of something else, or a
        migration failed (one line, from the server's message).
    """
    import psycopg

    found = schema_version(conn)
    if found > LATEST:
        raise DataFileError(
            f"the database's schema is version {found}, newer than this program's ({LATEST}); "
            "upgrade Compute Site Explorer"
        )
    if found == 0:
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = current_schema() and table_name in "
                "('sites', 'hardware', 'sources', 'regions', 'project', 'history')"
            )
            row = cur.fetchone()
        if row and row[0]:
            raise DataFileError(
                "the database already has tables named like a catalogue's but no explorer_schema "
                "table: it is not a Compute Site Explorer catalogue"
            )
    for version, description, sql in MIGRATIONS:
        if version <= found:
            continue
        try:
            with conn.transaction():
                with conn.cursor() as cur:
                    cur.execute(_VERSION_TABLE)
                    cur.execute(sql)
                    cur.execute(
                        "insert into explorer_schema (version, description) values (%s, %s)",
                        (version, description),
                    )
        except psycopg.Error as exc:
            detail = (exc.diag.message_primary if exc.diag else None) or str(exc)
            raise DataFileError(
                f"could not upgrade the database to schema version {version}: {detail}"
            ) from None
    return found


__all__ = ["LATEST", "MIGRATIONS", "migrate", "schema_version"]
