"""Database URLs shown (titles, messages, the recent list) never carry a password."""

from __future__ import annotations

from explorer.io.database.url import display_url, is_database_url


def test_display_url_drops_the_password_wherever_it_is() -> None:
    assert display_url("postgresql://ana:s3cret@db.example:5432/cat") == (
        "postgresql://ana@db.example:5432/cat"
    )
    assert display_url("postgresql://ana@/cat?host=/tmp/pg&password=s3cret&sslmode=off") == (
        "postgresql://ana@/cat?host=/tmp/pg&sslmode=off"
    )
    assert display_url("postgres://h/cat?PASSWORD=x") == "postgres://h/cat"
    assert is_database_url("postgresql://h/cat") and not is_database_url("/tmp/a.gpkg")
