"""Fixtures for the database tests: one throwaway PostGIS server per run, a fresh
database per test. Without a server these tests are skipped with the reason (and the
run ends with one line saying so, see tests/conftest.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.pg_server import UNAVAILABLE, PgServer, running_server

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE[0])
    try:
        with running_server() as server:
            yield server
    except RuntimeError as exc:
        UNAVAILABLE.append(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new, empty database (with PostGIS available to it); dropped afterwards."""
    name = f"explorer_test_{next(_names)}"
    pg_server.psql(f"create database {name}")
    yield pg_server.url(name)
    pg_server.psql(
        f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{name}'"
    )
    pg_server.psql(f"drop database if exists {name}")
