"""The evented store of the analyst's regions (drawn, imported or admin areas).

Each entry pairs a stable id with a :class:`explorer.geo.regions.Region` (the shape
that totals use) and, for shapes drawn on the map, the vertices the user placed
(``drawn``) so the map can offer them as handles for editing. The region itself is
the densified lon/lat polygon (see :func:`explorer.geo.regions.mercator_polygon`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from explorer.core.events import Event
from explorer.geo.regions import CircleRegion, PolygonRegion, Region, region_from_feature

Vertex = tuple[float, float]


@dataclass(frozen=True)
class RegionEntry:
    """One region of the project.

    Attributes
    ----------
    id : str
        Stable key (``r1``, ``r2``...), never shown as the name.
    region : Region
        The shape used for totals and exports; ``region.name`` is the display name.
    drawn : tuple of (lon, lat)
        Vertices as the user placed them on the Web Mercator map (polygon and
        rectangle); empty for circles and imported regions.
    """

    id: str
    region: Region
    drawn: tuple[Vertex, ...] = ()

    @property
    def name(self) -> str:
        return self.region.name

    @property
    def kind(self) -> str:
        if isinstance(self.region, CircleRegion):
            return "circle"
        if isinstance(self.region, PolygonRegion):
            return self.region.kind
        return "region"

    def renamed(self, name: str) -> RegionEntry:
        return replace(self, region=replace(self.region, name=name))  # type: ignore[type-var]

    def to_feature(self) -> dict[str, Any]:
        """GeoJSON feature of the region, with ``id`` and the drawn vertices kept."""
        feature = self.region.to_feature()
        feature["id"] = self.id
        feature["properties"]["id"] = self.id  # files that drop feature ids keep this
        if self.drawn:
            feature["properties"]["drawn"] = [list(v) for v in self.drawn]
        return feature

    @classmethod
    def from_feature(
        cls, feature: dict[str, Any], *, index: int = 0, rid: str | None = None
    ) -> RegionEntry:
        region = region_from_feature(feature, index)
        props = feature.get("properties") or {}
        drawn_raw = props.get("drawn") or ()
        drawn: tuple[Vertex, ...] = ()
        if isinstance(drawn_raw, list | tuple):
            drawn = tuple(
                (float(v[0]), float(v[1]))
                for v in drawn_raw
                if isinstance(v, list | tuple) and len(v) >= 2
            )
        rid = rid or feature.get("id") or props.get("id") or f"r{index + 1}"
        return cls(id=str(rid), region=region, drawn=drawn)


class RegionStore:
    """Ordered regions keyed by id.

    Events: ``inserted(list[RegionEntry])``, ``removed(list[RegionEntry])``,
    ``changed(old, new)`` (only on a real change), ``reset_done()``.
    """

    def __init__(self) -> None:
        self._entries: dict[str, RegionEntry] = {}
        self.inserted = Event("regions_inserted")
        self.removed = Event("regions_removed")
        self.changed = Event("region_changed")
        self.reset_done = Event("regions_reset")

    def __iter__(self) -> Iterator[RegionEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, rid: object) -> bool:
        return rid in self._entries

    def get(self, rid: str) -> RegionEntry:
        return self._entries[rid]

    def ids(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[RegionEntry]:
        return list(self._entries.values())

    def regions(self) -> list[Region]:
        return [e.region for e in self._entries.values()]

    def new_id(self) -> str:
        n = 1
        while f"r{n}" in self._entries:
            n += 1
        return f"r{n}"

    def new_name(self, kind: str) -> str:
        """``Polygon 1``, ``Circle 2``...: the first unused name for ``kind``."""
        base = kind.capitalize()
        names = {e.name for e in self._entries.values()}
        n = 1
        while f"{base} {n}" in names:
            n += 1
        return f"{base} {n}"

    def reset(self, entries: list[RegionEntry]) -> None:
        ids = [e.id for e in entries]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate region ids")
        self._entries = {e.id: e for e in entries}
        self.reset_done.emit()

    def insert(self, entries: list[RegionEntry], positions: list[int] | None = None) -> None:
        for e in entries:
            if e.id in self._entries:
                raise ValueError(f"duplicate region id '{e.id}'")
            if not re.match(r"^[A-Za-z0-9._:-]{1,64}$", e.id):
                raise ValueError(f"bad region id '{e.id}'")
        if positions is None:
            self._entries.update((e.id, e) for e in entries)
        else:
            items = list(self._entries.items())
            for pos, e in sorted(zip(positions, entries, strict=True), key=lambda t: t[0]):
                items.insert(pos, (e.id, e))
            self._entries = dict(items)
        self.inserted.emit(list(entries))

    def remove(self, ids: list[str]) -> list[tuple[int, RegionEntry]]:
        ids = list(dict.fromkeys(ids))  # the same id twice means remove it once
        for rid in ids:
            if rid not in self._entries:
                raise KeyError(f"no region with id {rid!r}")
        position = {rid: n for n, rid in enumerate(self._entries)}
        removed = sorted((position[rid], self._entries[rid]) for rid in ids)
        for _, e in removed:
            del self._entries[e.id]
        self.removed.emit([e for _, e in removed])
        return removed

    def replace(self, entry: RegionEntry) -> bool:
        old = self._entries[entry.id]
        if old == entry:
            return False
        self._entries[entry.id] = entry
        self.changed.emit(old, entry)
        return True
