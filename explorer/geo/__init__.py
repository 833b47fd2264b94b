"""Qt-free geospatial core: regions, region totals and admin-area lookup.

Boundary rule: a site on a polygon's edge or vertex is inside (``covers``). Circles are
geodesic on WGS84 (pyproj ``Geod``), never circles in degrees.
"""

from explorer.geo.admin import AdminArea, AdminAreas
from explorer.geo.regions import (
    CircleRegion,
    PolygonRegion,
    Region,
    densify_mercator_ring,
    load_regions,
    mercator_polygon,
    rectangle,
    region_from_feature,
    regions_to_feature_collection,
    save_regions,
)
from explorer.geo.totals import PowerFactors, SiteArrays, Totals, totals, totals_many, union_totals

__all__ = [
    "AdminArea",
    "AdminAreas",
    "CircleRegion",
    "PolygonRegion",
    "PowerFactors",
    "Region",
    "SiteArrays",
    "Totals",
    "densify_mercator_ring",
    "load_regions",
    "mercator_polygon",
    "rectangle",
    "region_from_feature",
    "regions_to_feature_collection",
    "save_regions",
    "totals",
    "totals_many",
    "union_totals",
]
