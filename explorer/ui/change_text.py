"""Recorded values as the window writes them: one line per field of a site or region.

History rows, conflicts and comparisons hold a record's JSON (:meth:`Site.to_dict
<explorer.core.schema.Site.to_dict>` for a site, a GeoJSON feature for a region); the
History view, the conflict dialog and the comparison show it field by field with these
words. Qt-free presentation; every result is plain text for plain-text widgets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.io.changelog import changed_fields

#: Field names as the window shows them.
FIELD_TITLES: dict[str, str] = {
    "id": "Id",
    "name": "Name",
    "operator": "Operator",
    "tenant": "Tenant",
    "province": "Province",
    "prefecture": "Prefecture",
    "lon": "Longitude",
    "lat": "Latitude",
    "status": "Status",
    "hardware": "Hardware",
    "power_mw": "Power MW",
    "confidence": "Confidence",
    "sources": "Sources",
    "notes": "Notes",
    "updated_at": "Updated",
    "part_of": "Part of",
    "supersedes": "Supersedes",
    "chips": "Chips (total)",
    "geometry": "Shape",
    "properties": "Name and radius",
}

#: How a record that does not exist (deleted, or not yet added) is shown.
ABSENT = "(deleted)"
#: An empty text value.
EMPTY = "(empty)"
#: Longest value shown before it is cut (the tooltip of a cell holds it whole).
MAX_CHARS = 300


def field_title(name: str) -> str:
    """The window's name for a record field (the field itself when unknown)."""
    return FIELD_TITLES.get(name, name)


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_text(line: Mapping[str, Any]) -> str:
    chips = line.get("chips")
    text = f"{chips:,} × {line.get('chip_model', '?')}" if isinstance(chips, int) else "?"
    low, high = line.get("chips_low"), line.get("chips_high")
    if isinstance(low, int) and isinstance(high, int):
        text += f" ({low:,}–{high:,})"
    extras = [
        f"phase {line['phase']}" if line.get("phase") else "",
        str(line.get("status") or ""),
        f"online {line['online']}" if line.get("online") else "",
    ]
    extras = [e for e in extras if e]
    return f"{text}, {', '.join(extras)}" if extras else text


def _source_text(source: Mapping[str, Any]) -> str:
    title = str(source.get("title") or "untitled")
    date = str(source.get("date") or "")
    return f"{title} ({date})" if date else title


def _geometry_text(geometry: Mapping[str, Any]) -> str:
    kind = str(geometry.get("type", "?"))
    coords = geometry.get("coordinates")
    if kind == "Point" and isinstance(coords, Sequence) and len(coords) == 2:
        return f"point {coords[0]:.4f}, {coords[1]:.4f}"
    count = 0

    def walk(value: Any) -> None:
        nonlocal count
        if isinstance(value, Sequence) and value and isinstance(value[0], (int, float)):
            count += 1
        elif isinstance(value, Sequence):
            for v in value:
                walk(v)

    walk(coords)
    return f"{kind}, {count:,} vertices"


def value_text(field: str, value: Any) -> str:
    """One field's value in words (``2,000 × H100, phase 1``; ``(empty)``; ``—``)."""
    if value is None:
        return "—"
    if field == "hardware" and isinstance(value, list):
        return _cut("; ".join(_line_text(v) for v in value if isinstance(v, Mapping)) or "none")
    if field == "sources" and isinstance(value, list):
        return _cut("; ".join(_source_text(v) for v in value if isinstance(v, Mapping)) or "none")
    if field == "geometry" and isinstance(value, Mapping):
        return _geometry_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.5f}".rstrip("0").rstrip(".") if field in ("lon", "lat") else f"{value:g}"
    if isinstance(value, str):
        return _cut(" ".join(value.split())) if value.strip() else EMPTY
    if isinstance(value, Mapping):
        shown = {k: v for k, v in value.items() if k != "drawn"}
        return _cut(", ".join(f"{k} {value_text(k, v)}" for k, v in shown.items()))
    return _cut(json.dumps(value, ensure_ascii=False, default=str))


def field_rows(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[tuple[str, str, str]]:
    """``(field title, before, after)`` for every field that differs.

    A record that does not exist on one side shows :data:`ABSENT` there, beside every
    field of the other side.
    """
    rows = []
    for name in changed_fields(before, after):
        old = ABSENT if before is None else value_text(name, before.get(name))
        new = ABSENT if after is None else value_text(name, after.get(name))
        rows.append((field_title(name), old, new))
    return rows


def record_name(value: Mapping[str, Any] | None, fallback: str) -> str:
    """A record's name (a site's ``name``, a region's ``properties.name``)."""
    if value is None:
        return fallback
    name = value.get("name")
    if not name and isinstance(value.get("properties"), Mapping):
        name = value["properties"].get("name")
    return str(name) if name else fallback


__all__ = [
    "ABSENT",
    "EMPTY",
    "FIELD_TITLES",
    "field_rows",
    "field_title",
    "record_name",
    "value_text",
]
