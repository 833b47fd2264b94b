"""Database URLs: recognising them and showing them without secrets."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

#: The schemes that name a PostgreSQL database (libpq accepts both).
SCHEMES: tuple[str, ...] = ("postgresql", "postgres")


def is_database_url(text: object) -> bool:
    """True for ``postgresql://...`` (or ``postgres://...``)."""
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def display_url(url: str) -> str:
    """``url`` without its password, for titles, messages and recent-file lists."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}"
    # libpq also takes the password as a query parameter (``?password=...``).
    query = "&".join(
        p for p in parts.query.split("&") if p and p.split("=", 1)[0].lower() != "password"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


__all__ = ["SCHEMES", "display_url", "is_database_url"]
