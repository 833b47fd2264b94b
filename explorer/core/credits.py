"""Credits the bundled map data asks for, worded once for every place that shows it.

GeoNames data is CC BY 4.0: credit, a link to the licence and a note that the data
was changed (explorer/geodata/PROVENANCE.md lists the changes). Natural Earth is in
the public domain; it is credited anyway. The map's attribution line, the print
snapshot's credit line, the report and the window's "About the data" all read these.
"""

from __future__ import annotations

#: Where the CC BY 4.0 licence text lives.
CC_BY_4_URL = "https://creativecommons.org/licenses/by/4.0/"

#: One line for tight spots (the map's attribution control, the snapshot's credit).
MAP_DATA_SHORT = "Natural Earth (public domain) · GeoNames (CC BY 4.0, changed)"

#: What was changed in the GeoNames towns, in a phrase.
GEONAMES_CHANGES = (
    "towns selected by population, some names replaced by their familiar English forms, "
    "a duplicate dropped, display zoom levels added and coordinates rounded"
)

#: The full credit, with the licence link and the note of changes.
MAP_DATA_CREDIT = (
    "Basemap: Natural Earth (naturalearthdata.com, public domain). Towns: © GeoNames "
    f"(geonames.org), licensed under CC BY 4.0 ({CC_BY_4_URL}); changed by this project: "
    f"{GEONAMES_CHANGES}."
)

__all__ = ["CC_BY_4_URL", "GEONAMES_CHANGES", "MAP_DATA_CREDIT", "MAP_DATA_SHORT"]
