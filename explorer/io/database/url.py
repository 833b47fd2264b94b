"""Database URLs: recognising them and showing them without secrets."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

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


def secrets_of(url: str) -> list[str]:
    """The password of ``url`` as written and as decoded (in the user part or in a
    ``?password=`` parameter), longest first; empty when it has none."""
    parts = urlsplit(url)
    found: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        if ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    for raw in parts.query.split("&"):
        key, _, value = raw.partition("=")
        if key.lower() == "password" and value:
            found.append(value)
    try:
        found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password" and v]
    except ValueError:
        pass
    found += [unquote(v) for v in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def redact(text: str, url: str) -> str:
    """``text`` (a message about ``url``) with the URL shown without its password and
    the password itself, wherever it is quoted (libpq quotes a badly encoded one),
    replaced by ``***``."""
    text = text.replace(url, display_url(url))
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    return text


__all__ = ["SCHEMES", "display_url", "is_database_url", "redact", "secrets_of"]
