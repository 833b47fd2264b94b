"""A project file's record of changes: :class:`ChangeRecord` rows as the ``history`` table.

The table has the columns of a shared catalogue's ``history`` (at, who, entity, entity_id,
action, fields, before, after, reason, version), so a catalogue copied between a file and
a database keeps its history as it was. Text columns hold text; ``fields`` is a JSON list
and ``before``/``after`` are JSON objects (NULL for the side that does not exist);
``version`` is an integer or NULL. Rows are in the order the changes were made.

This module turns records into column values and rows back into records, checking each
row; the GeoPackage reading and writing is :mod:`explorer.io.project`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from explorer.core.errors import Problem
from explorer.io.changelog import ACTIONS, ENTITIES, ChangeRecord
from explorer.io.json_text import JsonTextError, decode_json

#: The table's name in a project file.
HISTORY_TABLE = "history"
#: Its columns, in order (those of the database's ``history`` table but its row id).
HISTORY_COLUMNS: tuple[str, ...] = (
    "at",
    "who",
    "entity",
    "entity_id",
    "action",
    "fields",
    "before",
    "after",
    "reason",
    "version",
)
#: The columns a row cannot do without.
_REQUIRED = ("at", "who", "entity", "entity_id", "action")


def history_values(records: Sequence[ChangeRecord]) -> dict[str, list[Any]]:
    """Column name -> the values of ``records`` (None for NULL), ready to be written.

    Raises
    ------
    ValueError
        A record's ``before`` or ``after`` cannot be written as JSON (quoted in the
        message with the record it belongs to).
    """
    import json

    def as_json(value: Any, what: str, r: ChangeRecord) -> str | None:
        if value is None:
            return None
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"history of {r.entity} '{r.entity_id}' at {r.at}: {what} cannot be saved as "
                f"JSON: {exc}"
            ) from None

    return {
        "at": [r.at for r in records],
        "who": [r.who for r in records],
        "entity": [r.entity for r in records],
        "entity_id": [r.entity_id for r in records],
        "action": [r.action for r in records],
        "fields": [as_json(list(r.fields), "fields", r) for r in records],
        "before": [as_json(r.before, "before", r) for r in records],
        "after": [as_json(r.after, "after", r) for r in records],
        "reason": [r.reason for r in records],
        "version": [r.version for r in records],
    }


def records_from_rows(
    rows: Sequence[Mapping[str, Any]], *, where: str = HISTORY_TABLE
) -> tuple[list[ChangeRecord], list[Problem]]:
    """The change records of the table's rows (in row order), and a problem per bad row.

    A row that cannot be read as a record (a missing column, an unknown entity or action,
    a time that is not ISO 8601, JSON that does not parse) is left out and reported; the
    others are kept.
    """
    records: list[ChangeRecord] = []
    problems: list[Problem] = []
    for n, row in enumerate(rows, start=1):
        label = f"{where} table row {n}"
        try:
            records.append(_record(row))
        except _BadRow as bad:
            problems.append(Problem(bad.column, bad.value, bad.message, where=label))
    return records, problems


class _BadRow(Exception):
    def __init__(self, column: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.column, self.value, self.message = column, value, message


def _record(row: Mapping[str, Any]) -> ChangeRecord:
    for col in _REQUIRED:
        value = row.get(col)
        if not isinstance(value, str) or not value.strip():
            raise _BadRow(col, value, f"{col} must be non-empty text, got {value!r}")
    at = str(row["at"])
    try:
        datetime.fromisoformat(at)
    except ValueError:
        raise _BadRow("at", at, f"at must be an ISO 8601 time, got '{at[:60]}'") from None
    entity, action = str(row["entity"]), str(row["action"])
    if entity not in ENTITIES:
        raise _BadRow(
            "entity", entity, f"entity must be one of {', '.join(ENTITIES)}, got '{entity}'"
        )
    if action not in ACTIONS:
        raise _BadRow(
            "action", action, f"action must be one of {', '.join(ACTIONS)}, got '{action}'"
        )
    fields = _json(row, "fields", list)
    if fields is None:
        fields = []
    if not all(isinstance(f, str) for f in fields):
        raise _BadRow("fields", row.get("fields"), "fields must be a JSON list of names")
    version = row.get("version")
    # A column with NULLs may come back as floats (1.0): whole ones are the integers written.
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise _BadRow("version", version, f"version must be a whole number, got {version!r}")
    reason = row.get("reason")
    return ChangeRecord(
        at=at,
        who=str(row["who"]),
        entity=entity,
        entity_id=str(row["entity_id"]),
        action=action,
        fields=tuple(fields),
        before=_json(row, "before", dict),
        after=_json(row, "after", dict),
        reason="" if reason is None else str(reason),
        version=version,
    )


def _json(row: Mapping[str, Any], column: str, kind: type) -> Any:
    text = row.get(column)
    if text is None:
        return None
    if not isinstance(text, str):
        raise _BadRow(column, text, f"{column} must be JSON text, got {text!r}")
    try:
        value = decode_json(text)
    except JsonTextError:
        raise _BadRow(column, text, f"{column} is not JSON, got '{text[:60]}'") from None
    if value is not None and not isinstance(value, kind):
        shown = "a list" if kind is list else "an object"
        raise _BadRow(column, text, f"{column} must be JSON {shown} or null, got '{text[:60]}'")
    return value


__all__ = ["HISTORY_COLUMNS", "HISTORY_TABLE", "history_values", "records_from_rows"]
