"""Fixtures for the team-mode window tests: the real main window and map page (as in
tests/app) on a shared catalogue in the throwaway server's fresh database, and another
client (a Qt-free session) that edits the same catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, Source
from explorer.io.database.catalogue import DatabaseCatalogue
from explorer.io.project_value import Project
from explorer.session.session import Session
from tests.app.conftest import js, make_window, settings, wait_rendered  # noqa: F401 - fixtures
from tests.pg_server import PgServer

#: Three sites: two in the Hami box below (1,000 H100 + 500 H200), one outside.
TEAM_SITES = [
    Site(
        "alpha",
        "Alpha compute centre",
        93.5,
        42.8,
        operator="Op A",
        province="Xinjiang",
        prefecture="Hami",
        hardware=(HardwareLine("H100", 1000),),
        confidence="medium",
        sources=(Source("Tender notice", "https://example.org/a", "2025-06"),),
    ),
    Site(
        "beta",
        "Beta cluster",
        94.7,
        43.25,
        province="Xinjiang",
        prefecture="Hami",
        hardware=(HardwareLine("H200", 500),),
        confidence="low",
    ),
    Site(
        "gamma",
        "Gamma DC",
        87.3,
        44.0,
        province="Xinjiang",
        prefecture="Changji",
        hardware=(HardwareLine("H100", 200),),
        confidence="low",
    ),
]
#: Around Hami: holds alpha and beta.
HAMI_BOX = ((92.6, 42.3), (95.6, 44.2))


@pytest.fixture
def team_url(pg_url: str) -> str:
    """A catalogue holding :data:`TEAM_SITES`."""
    db = DatabaseCatalogue(pg_url, catalogue=ChipCatalogue.bundled())
    db.replace_all(Project(sites=TEAM_SITES, metadata={"title": "Team catalogue"}))
    db.close()
    return pg_url


@pytest.fixture
def other_client(team_url: str) -> Iterator[Callable[[], Session]]:
    """Open another client on the catalogue (a Qt-free session, as a script would)."""
    sessions: list[Session] = []

    def open_one() -> Session:
        s = Session(ChipCatalogue.bundled(), admin_areas=None)
        s.open(team_url)
        sessions.append(s)
        return s

    yield open_one
    for s in sessions:
        if s.database is not None:
            s.database.close()


@pytest.fixture
def viewer_url(pg_server: PgServer, team_url: str) -> str:
    """The catalogue as a role that may only read it."""
    name = urlsplit(team_url).path.lstrip("/")
    exists = pg_server.psql("select 1 from pg_roles where rolname = 'viewer'")
    if not exists.strip():
        pg_server.psql("create role viewer login")
    pg_server.psql("grant select on all tables in schema public to viewer", database=name)
    return pg_server.url(name, user="viewer")


def fresh(url: str) -> Session:
    """The catalogue as a new client reads it now."""
    s = Session(ChipCatalogue.bundled(), admin_areas=None)
    s.open(url)
    assert s.database is not None
    s.database.close()
    return s
