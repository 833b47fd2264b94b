"""The evented store of the analyst's regions (drawn, imported or admin areas).

Each entry pairs a stable id with a :class:`explorer.geo.regions.Region` (the shape
that totals use) and, for shapes drawn on the map, the vertices the user placed
(``drawn``) so the map can offer them as handles for editing. The region itself is
the densified lon/lat polygon (see :func:`explorer.geo.regions.mercator_polygon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from explorer.core.keyed_store import KeyedStore
from explorer.geo.regions import CircleRegion, PolygonRegion, Region, region_from_feature

Vertex = tuple[float, float]

_REGION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


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


class RegionStore(KeyedStore[RegionEntry]):
    """Ordered regions keyed by id.

    Events: ``inserted(list[RegionEntry])``, ``removed(list[RegionEntry])``,
    ``changed(old, new)`` (only on a real change), ``reset_done()``; see
    :class:`~explorer.core.keyed_store.KeyedStore`.
    """

    _noun = "region"

    def _check(self, item: RegionEntry) -> None:
        if not _REGION_ID.match(item.id):
            raise ValueError(f"bad region id '{item.id}'")

    def _duplicate(self, key: str) -> Exception:
        return ValueError(f"duplicate region id '{key}'")

    def entries(self) -> list[RegionEntry]:
        return list(self)

    def regions(self) -> list[Region]:
        return [e.region for e in self]

    def new_id(self) -> str:
        n = 1
        while f"r{n}" in self._items:
            n += 1
        return f"r{n}"

    def new_name(self, kind: str) -> str:
        """``Polygon 1``, ``Circle 2``...: the first unused name for ``kind``."""
        base = kind.capitalize()
        names = {e.name for e in self}
        n = 1
        while f"{base} {n}" in names:
            n += 1
        return f"{base} {n}"

    def reset(self, entries: list[RegionEntry]) -> None:
        """Replace every region (duplicate ids are refused before anything changes)."""
        self._reset_items(entries)
        self.reset_done.emit()
