"""The map: a folium/Leaflet page with local assets only, its QWebChannel bridge, and the
QtWebEngine view that shows it.

- :mod:`explorer.web.protocol` — message names both ways, modes and bounds (no Qt)
- :mod:`explorer.web.palette` — marker, model and region colours, legend words (no Qt)
- :mod:`explorer.web.legend` — the site legend's rows, from the palette (no Qt)
- :mod:`explorer.web.page` — ``build_map_html`` / ``write_map_page``, and the page's
  start configuration (``page_config``: protocol and palette) (no Qt)
- :mod:`explorer.web.page_cache` — the built page kept between runs, keyed by a hash of
  its inputs (no Qt)
- :mod:`explorer.web.payload` — strict JSON for the page (no Qt)
- :mod:`explorer.web.site_columns` — what the page is told about sites: typed columns,
  counted on the session's date (campus remainder, supersession, export rules then)
  (no Qt)
- :mod:`explorer.web.bridge` — ``MapBridge``, the one object on the web channel
- :mod:`explorer.web.controller` — ``MapController``: store + date + selection ⇄ bridge
- :mod:`explorer.web.region_payload` — what the page is told about a region, and the
  region built from a drawing (no Qt)
- :mod:`explorer.web.region_controller` — ``RegionMapController``: region store ⇄
  bridge, drawing tools (polygon, rectangle, geodesic circle, pick area)
- :mod:`explorer.web.view` — ``MapView``, ``MapPage``, ``LocalOnlyInterceptor``,
  ``prepare_application``
- :mod:`explorer.web.html_export` — the map as one offline HTML file (no Qt)
- :mod:`explorer.web.snapshot` — the map as a PNG at print size (spec, scale,
  furniture, job, png)

Nothing here changes the store: drags, placements and drawings are emitted as requests
(``MapController.siteMoveRequested`` / ``placeRequested``,
``RegionMapController.regionCreateRequested`` / ``regionEditRequested`` / ``areaPicked``)
for the main window to turn into commands.
"""
