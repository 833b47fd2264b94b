"""Team mode: a shared catalogue on PostgreSQL/PostGIS (Qt-free).

The database holds what a GeoPackage project holds, in the same shape (sites with a
``geometry(Point, 4326)`` column and a GiST index, hardware lines, sources, regions,
project metadata) plus a version on every record and a history of every change. The app
creates the schema on an empty database and upgrades older ones through numbered
migrations (:mod:`~explorer.io.database.schema`). :class:`~explorer.io.database.catalogue.
DatabaseCatalogue` reads it and writes one transaction per command, refusing an edit made
on a stale version; other clients hear of each change through LISTEN/NOTIFY
(:mod:`~explorer.io.database.listener`). Driver: psycopg 3.
"""
