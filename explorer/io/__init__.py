"""Qt-free file formats: the project GeoPackage and site import/export.

``explorer.io.formats`` reads and writes sites files by extension (GeoJSON, CSV,
GeoPackage); ``explorer.io.project`` is the GeoPackage project file. GDAL is only
imported when a GeoPackage is actually touched.
"""
