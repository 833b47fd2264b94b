"""What the map page is told about a loaded boundary layer (display only).

Qt-free, so it can be tested without a QApplication.

A boundary layer (see :func:`explorer.io.boundaries.load_boundary_layer`) can be far
more detailed than a map at zoom 5-8 can show: a prefecture layer from a national
statistics office easily has a million vertices. The page gets a *display* copy:

* below :data:`SIMPLIFY_ABOVE_VERTICES` the areas are sent as they are;
* above it, every area is simplified with ``shapely.simplify(preserve_topology=True)``
  at :data:`DISPLAY_TOLERANCE_DEG` (about one screen pixel at zoom 8, a tenth of one at
  zoom 5), and at the next coarser tolerance of :data:`FALLBACK_TOLERANCES_DEG` while
  the total is still over :data:`~explorer.web.protocol.MAX_BOUNDARY_VERTICES`;
* coordinates are rounded to :data:`COORD_DECIMALS` places (about a metre).

The simplified shapes are only drawn and hovered. Totals and picking always use the
layer's own, full geometry in Python: the page's hover is a hint, Python decides.

Bounds (also checked by the bridge and again by the page; defined in
:mod:`explorer.web.protocol`): at most ``MAX_BOUNDARY_FEATURES`` areas and
``MAX_BOUNDARY_VERTICES`` vertices in all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from explorer.geo.regions import MAX_NAME, PolygonRegion
from explorer.io.boundaries import BoundaryLayer
from explorer.web.protocol import MAX_BOUNDARY_FEATURES, MAX_BOUNDARY_VERTICES

#: Layers with more vertices than this are simplified for display.
SIMPLIFY_ABOVE_VERTICES = 200_000
#: Display tolerance in degrees: ~1 px at zoom 8 (0.0055 deg/px), ~0.1 px at zoom 5.
DISPLAY_TOLERANCE_DEG = 0.005
#: Coarser tolerances tried, in order, while the layer is still over the vertex bound.
FALLBACK_TOLERANCES_DEG: tuple[float, ...] = (0.01, 0.02, 0.05)
#: Decimal places kept in display coordinates (1e-5 deg is about 1 m).
COORD_DECIMALS = 5


@dataclass(frozen=True)
class BoundaryDisplay:
    """The display copy of a boundary layer.

    Attributes
    ----------
    data : dict
        ``{"name": str, "features": [{"name": str, "polygons": [[exterior, hole...],
        ...]}...]}`` with ``[lon, lat]`` vertices and open rings: the JSON the page gets.
    vertices : int
        Vertices in ``data``.
    tolerance : float or None
        Simplification tolerance used (degrees), ``None`` when sent as is.
    """

    data: dict[str, Any]
    vertices: int
    tolerance: float | None

    @property
    def features(self) -> int:
        """Number of areas in ``data``."""
        return len(self.data["features"])


def _open_vertex_count(geoms: np.ndarray) -> int:
    """Vertices of ``geoms`` with each ring's closing vertex left out (as sent)."""
    if not len(geoms):
        return 0
    coords = int(shapely.get_num_coordinates(geoms).sum())
    parts = shapely.get_parts(geoms)
    rings = int(len(parts) + shapely.get_num_interior_rings(parts).sum())
    return coords - rings


def _rings(geom: Polygon | MultiPolygon) -> list[list[list[list[float]]]]:
    parts = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    out = []
    for part in parts:
        rings = [part.exterior, *part.interiors]
        # Shapely closes rings; Leaflet closes them itself.
        out.append(
            [
                np.round(np.asarray(r.coords)[:-1, :2], COORD_DECIMALS).tolist()
                for r in rings
                if len(r.coords) >= 4
            ]
        )
    return [p for p in out if p]


def _simplified(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    # An area that simplification emptied (never expected with preserve_topology) is
    # shown as it is rather than vanishing from the map.
    empty = shapely.is_empty(out) | ~np.isin(shapely.get_type_id(out), (3, 6))
    out[empty] = geoms[empty]
    return out


def boundary_display(
    name: str,
    areas: Sequence[PolygonRegion],
    *,
    simplify_above: int = SIMPLIFY_ABOVE_VERTICES,
    max_vertices: int = MAX_BOUNDARY_VERTICES,
    max_features: int = MAX_BOUNDARY_FEATURES,
) -> BoundaryDisplay:
    """Build the page's copy of a layer, simplified when large.

    Parameters
    ----------
    name : str
        The layer's name (shown in the layer switcher; at most ``MAX_NAME``
        characters are kept).
    areas : sequence of PolygonRegion
        The layer's areas (their names are shown when hovered in pick mode).
    simplify_above, max_vertices, max_features : int
        The page's bounds (:mod:`explorer.web.protocol`) and when to simplify;
        smaller values are for tests.

    Returns
    -------
    BoundaryDisplay

    Raises
    ------
    ValueError
        More than ``max_features`` areas, or more than ``max_vertices`` vertices even
        at the coarsest tolerance; the message gives the numbers.
    """
    if len(areas) > max_features:
        raise ValueError(
            f"layer '{name[:60]}' has {len(areas):,} areas; the map shows at most {max_features:,}"
        )
    for i, a in enumerate(areas):
        if not isinstance(a, PolygonRegion):
            raise TypeError(f"areas[{i}] must be a PolygonRegion, got {type(a).__name__}")
    geoms = np.array([a.geometry for a in areas], dtype=object)
    vertices = _open_vertex_count(geoms)
    tolerance: float | None = None
    if vertices > simplify_above:
        for tol in (DISPLAY_TOLERANCE_DEG, *FALLBACK_TOLERANCES_DEG):
            tolerance = tol
            geoms = _simplified(np.array([a.geometry for a in areas], dtype=object), tol)
            vertices = _open_vertex_count(geoms)
            if vertices <= max_vertices:
                break
    if vertices > max_vertices:
        raise ValueError(
            f"layer '{name[:60]}' has {vertices:,} vertices even simplified at "
            f"{tolerance} degrees; the map shows at most {max_vertices:,}"
        )
    features = [{"name": a.name, "polygons": _rings(g)} for a, g in zip(areas, geoms, strict=True)]
    data = {"name": str(name)[:MAX_NAME], "features": features}
    return BoundaryDisplay(data=data, vertices=vertices, tolerance=tolerance)


def layer_display(layer: BoundaryLayer, **bounds: int) -> BoundaryDisplay:
    """:func:`boundary_display` of a loaded :class:`BoundaryLayer`."""
    return boundary_display(layer.name, layer.areas, **bounds)


def check_boundary_data(data: Any) -> tuple[int, int]:
    """Check a page payload's shape and bounds; returns ``(features, vertices)``.

    Raises
    ------
    ValueError
        Not ``{"name": str, "features": [{"name": str, "polygons": [...]}, ...]}``, or
        over ``MAX_BOUNDARY_FEATURES`` / ``MAX_BOUNDARY_VERTICES``.
    """
    if not isinstance(data, dict) or set(data) != {"name", "features"}:
        raise ValueError("a boundary layer must be {name, features}")
    if not isinstance(data["name"], str) or not isinstance(data["features"], list):
        raise ValueError("a boundary layer needs a text name and a list of features")
    feats = data["features"]
    if len(feats) > MAX_BOUNDARY_FEATURES:
        raise ValueError(
            f"{len(feats):,} features; the map takes at most {MAX_BOUNDARY_FEATURES:,}"
        )
    vertices = 0
    for i, f in enumerate(feats):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise ValueError(f"feature {i} must be {{name, polygons}}")
        polygons = f.get("polygons")
        if not isinstance(polygons, list):
            raise ValueError(f"feature {i} must be {{name, polygons}}")
        vertices += sum(len(ring) for rings in polygons for ring in rings)
        if vertices > MAX_BOUNDARY_VERTICES:
            raise ValueError(f"over {MAX_BOUNDARY_VERTICES:,} vertices; the map takes no more")
    return len(feats), vertices


__all__ = [
    "COORD_DECIMALS",
    "DISPLAY_TOLERANCE_DEG",
    "FALLBACK_TOLERANCES_DEG",
    "SIMPLIFY_ABOVE_VERTICES",
    "BoundaryDisplay",
    "boundary_display",
    "check_boundary_data",
    "layer_display",
]
