"""The value a project holds: its sites, metadata, regions and record of changes (no file
work here, so opening a sites file or building a session never loads GDAL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer.core.schema import Site
from explorer.io.changelog import ChangeRecord


@dataclass
class Project:
    """Everything a project file holds.

    Attributes
    ----------
    sites : list of Site
        In display order.
    metadata : dict
        JSON-serialisable values (title, scenario, description, as_of...). The
        keys ``format`` and ``format_version`` are reserved for the file format.
    regions : list of dict
        GeoJSON Feature dicts (Polygon / MultiPolygon, or Point with
        ``properties.radius_m``), each with ``properties.name``.
    history : list of ChangeRecord
        The recorded changes, oldest first (a project file's ``history`` table, a
        database's history); empty for a sites file or a project that kept none.
    """

    sites: list[Site] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    regions: list[dict[str, Any]] = field(default_factory=list)
    history: list[ChangeRecord] = field(default_factory=list)


__all__ = ["Project"]
