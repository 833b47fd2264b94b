"""The record of changes a catalogue keeps: who changed what, when, before and after.

Both kinds of catalogue keep the same table: a PostgreSQL catalogue writes a row in the
transaction of every change (who is the database role); a GeoPackage project keeps the
rows of its session's commands and writes them with the project (who is the OS user).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: What a record is about.
ENTITIES: tuple[str, ...] = ("site", "region", "project")
#: What happened to it.
ACTIONS: tuple[str, ...] = ("insert", "update", "delete")


@dataclass(frozen=True)
class ChangeRecord:
    """One change of one record.

    Attributes
    ----------
    at : str
        When, ISO 8601 in UTC (``2026-12-01T21:30:50Z``).
    who : str
        The database role, or the OS user for a GeoPackage project.
    entity, entity_id : str
        ``site``/``region``/``project`` and the record's id.
    action : str
        ``insert``, ``update`` or ``delete``.
    fields : tuple of str
        The attributes that changed (every attribute for an insert or delete).
    before, after : dict or None
        The record's JSON before and after (None for the side that does not exist).
    reason : str
        The reason the analyst gave, if any.
    version : int or None
        The record's version after the change (None after a delete).
    """

    at: str
    who: str
    entity: str
    entity_id: str
    action: str
    fields: tuple[str, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""
    version: int | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "who": self.who,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "fields": list(self.fields),
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ChangeRecord:
        return cls(
            at=str(d["at"]),
            who=str(d["who"]),
            entity=str(d["entity"]),
            entity_id=str(d["entity_id"]),
            action=str(d["action"]),
            fields=tuple(d.get("fields") or ()),
            before=d.get("before"),
            after=d.get("after"),
            reason=str(d.get("reason") or ""),
            version=d.get("version"),
        )


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[str, ...]:
    """The keys whose values differ (all keys of the side that exists for insert/delete)."""
    if before is None or after is None:
        return tuple((after or before or {}).keys())
    keys = list(before) + [k for k in after if k not in before]
    return tuple(k for k in keys if before.get(k) != after.get(k))


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def os_user() -> str:
    """Who is editing a file project: the OS user (``unknown`` when it cannot be told)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def dumps(records: Sequence[ChangeRecord]) -> list[str]:
    """Each record as compact JSON text (for a GeoPackage ``history`` table)."""
    return [json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) for r in records]


__all__ = ["ACTIONS", "ENTITIES", "ChangeRecord", "changed_fields", "dumps", "now_utc", "os_user"]
