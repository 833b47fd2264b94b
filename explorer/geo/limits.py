"""Bounds of the map and of region names: plain numbers, importable without numpy or
shapely (the map page's protocol reads them before the window is built)."""

#: Web Mercator cannot show latitudes beyond this (EPSG:3857's square world).
MERCATOR_MAX_LAT = 85.0511287798066

#: Longest region name kept in files and shown in the UI.
MAX_NAME = 300

__all__ = ["MAX_NAME", "MERCATOR_MAX_LAT"]
