"""Qt-free geospatial core: regions, region totals and admin-area lookup.

Boundary rule: a site on a polygon's edge or vertex is inside (``covers``). Circles are
geodesic on WGS84 (pyproj ``Geod``), never circles in degrees.
"""
