"""Where the snapshot's map is, and how long things are on it (Web Mercator maths).

Qt-free. :class:`MapFrame` holds Leaflet's own numbers for the rendered view and maps
WGS84 points to image pixels exactly as Leaflet does; :meth:`MapFrame.metres_per_pixel`
gives the ground scale on the WGS84 ellipsoid at a latitude (the scale bar is true at
its own latitude); :func:`nice_length` and :func:`format_distance` choose and label the
scale bar's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.geo.limits import MERCATOR_MAX_LAT

#: WGS84 semi-major axis and first eccentricity squared (scale bar distances).
_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.00669437999014


@dataclass(frozen=True)
class MapFrame:
    """Where the snapshot page's map was when it was grabbed (Leaflet's own numbers).

    Maps geographic points to image pixels exactly as Leaflet does (spherical Web
    Mercator, 256 px tiles, integer-rounded layer points).

    Attributes
    ----------
    zoom : float
        Leaflet zoom (fractional).
    pixel_origin : (x, y)
        Leaflet's pixel origin (world pixels at ``zoom``).
    pane_pos : (x, y)
        Offset of Leaflet's map pane in the container.
    css_size : (width, height)
        The map container in CSS pixels.
    scale : float
        Image pixels per CSS pixel (the page's ``devicePixelRatio``).
    """

    zoom: float
    pixel_origin: tuple[float, float]
    pane_pos: tuple[float, float]
    css_size: tuple[float, float]
    scale: float

    @property
    def world_px(self) -> float:
        """Width of the world in CSS pixels at this zoom."""
        return 256.0 * 2.0**self.zoom

    def to_image(self, lon: float, lat: float) -> tuple[float, float]:
        """Image pixel of a WGS84 point (Leaflet's ``latLngToContainerPoint`` x scale)."""
        lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
        phi = math.radians(lat)
        wx = self.world_px * (0.5 + lon / 360.0)
        wy = self.world_px * (0.5 - math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi))
        cx = _js_round(wx) - self.pixel_origin[0] + self.pane_pos[0]
        cy = _js_round(wy) - self.pixel_origin[1] + self.pane_pos[1]
        return cx * self.scale, cy * self.scale

    def to_image_many(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`to_image` of many points at once (arrays of image x and y)."""
        phi = np.radians(np.clip(lat, -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT))
        wx = self.world_px * (0.5 + lon / 360.0)
        wy = self.world_px * (0.5 - np.log(np.tan(np.pi / 4 + phi / 2)) / (2 * np.pi))
        # Math.round: halves go up.
        cx = np.floor(wx + 0.5) - self.pixel_origin[0] + self.pane_pos[0]
        cy = np.floor(wy + 0.5) - self.pixel_origin[1] + self.pane_pos[1]
        return cx * self.scale, cy * self.scale

    def latitude_at(self, image_y: float) -> float:
        """Latitude shown at image row ``image_y``."""
        wy = image_y / self.scale + self.pixel_origin[1] - self.pane_pos[1]
        t = (0.5 - wy / self.world_px) * 2 * math.pi
        return math.degrees(2 * math.atan(math.exp(t)) - math.pi / 2)

    def metres_per_pixel(self, lat: float) -> float:
        """Ground metres per image pixel along the parallel at ``lat`` (WGS84).

        A full turn of longitude spans ``world_px`` CSS pixels and, on the ellipsoid,
        ``2 pi N(lat) cos(lat)`` metres along the parallel (``N``: prime-vertical
        radius of curvature). Web Mercator is conformal, so this is also the scale in
        any direction at that latitude.
        """
        phi = math.radians(lat)
        n = _WGS84_A / math.sqrt(1.0 - _WGS84_E2 * math.sin(phi) ** 2)
        return 2 * math.pi * n * math.cos(phi) / self.world_px / self.scale


def _js_round(x: float) -> float:
    """JavaScript's ``Math.round`` (halves go up), as Leaflet rounds layer points."""
    return math.floor(x + 0.5)


def nice_length(max_metres: float) -> float:
    """The largest 1, 2 or 5 x 10^k metres that is at most ``max_metres``."""
    if not (max_metres > 0 and math.isfinite(max_metres)):
        raise ValueError(f"scale bar needs a positive length, got {max_metres!r}")
    power = 10.0 ** math.floor(math.log10(max_metres))
    for step in (5.0, 2.0, 1.0):
        if step * power <= max_metres * (1 + 1e-12):
            return step * power
    return power  # pragma: no cover - the loop always returns


def format_distance(metres: float) -> str:
    """``500 km``, ``2 km``, ``500 m``: how the scale bar labels a length."""
    if metres >= 1000:
        return f"{metres / 1000:,.0f} km" if metres % 1000 == 0 else f"{metres / 1000:g} km"
    return f"{metres:g} m"


__all__ = ["MapFrame", "format_distance", "nice_length"]
