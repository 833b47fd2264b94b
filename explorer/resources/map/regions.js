/*
 * Compute Site Explorer — the analyst's regions on the map, and editing them.
 *
 * Plugs into sites.js through CSE.plugins. Python is the authority: the page draws what
 * the region store holds and reports what the user does; it never keeps an edit that
 * Python did not send back.
 *
 * Python -> page (JSON {"seq", "data"}):
 *   regionsReset      data = [region...]   every region (replaces what is drawn)
 *   regionUpserted    data = [region...]   added or changed regions
 *   regionRemoved     data = [id...]
 *   regionSelected    data = id, or "" for none: emphasised, with editing handles
 *   sitesHighlighted  data = [site id...]  passed to CSE.highlightSites (sites.js)
 *   fitBounds         data = {west, south, east, north}: show them (no animation)
 *   region = {id, name, kind, polygons: [[exterior, hole...], ...] of [lon, lat],
 *             handles: [[lon, lat]...], center: [lon, lat]|null, radius_m|null}
 *   The polygons are the region's own geometry (the densified polygon, the geodesic
 *   circle's outline): what is drawn is what is totalled.
 *
 * Page -> Python: regionClicked(id)            a click on a region (draw mode "none")
 *                 regionEdited(id, shape)      after a handle drag: {vertices: [...]}
 *                                              or {center: [lon, lat], radius_m}
 *
 * Handles (selected region only, draw mode "none"): polygon vertices; rectangle
 * corners SW, SE, NE, NW (a corner drags its two edges); circle centre (moves the
 * circle) and radius handle (its length shows live, in km). Esc during a drag puts
 * the region back. Names are shown with textContent only. Message names, the radius
 * range and the region outline styles are Python's, read from CSE.config (basemap.js)
 * when the plug-in starts.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  // basemap.js
  var isFiniteNumber = CSE.isFiniteNumber;
  var clampLatLng = CSE.clampLatLng;
  var polygonLatLngs = CSE.polygonLatLngs;
  var DRAG_THRESHOLD_PX = 3;
  // From CSE.config when the plug-in starts (the config does not exist at load time).
  var LIMITS = null; // CSE.config.limits
  var TO_PAGE = null; // CSE.config.toPage
  var TO_PYTHON = null; // CSE.config.toPython
  var STYLE = {
    region: null, // CSE.config.regions.REGION_STYLE
    selected: null, // CSE.config.regions.SELECTED_REGION_STYLE
    // Handles are outlined in the selected region's colour (set when the plug-in starts).
    handle: { pane: 'cse-handles', radius: 6, color: null, weight: 2, fillColor: '#ffffff', fillOpacity: 1, bubblingMouseEvents: false },
    centreHandle: { pane: 'cse-handles', radius: 6, color: null, weight: 2, fillColor: '#ce93d8', fillOpacity: 1, bubblingMouseEvents: false }
  };

  var R = {
    map: null,
    bridge: null,
    connected: false,
    regions: new Map(), // id -> {data, layer, label}
    selected: null,
    drawMode: 'none',
    handles: [], // L.CircleMarker, for the selected region
    drag: null
  };

  function toLatLng(v) {
    return L.latLng(v[1], v[0]);
  }

  function validRegion(r) {
    return r && typeof r.id === 'string' && r.id !== '' && typeof r.name === 'string' && Array.isArray(r.polygons) && Array.isArray(r.handles);
  }

  /* ------------------------------------------------------------------ drawing regions */
  function styleFor(id) {
    return L.extend({}, id === R.selected ? STYLE.selected : STYLE.region);
  }

  function removeRegion(id) {
    var entry = R.regions.get(id);
    if (!entry) {
      return;
    }
    if (R.drag && R.drag.id === id) {
      endDrag(null, false);
    }
    R.map.removeLayer(entry.layer);
    R.regions.delete(id);
    if (R.selected === id) {
      showHandles();
    }
  }

  function upsert(data) {
    if (!validRegion(data)) {
      console.warn('cse: ignoring a malformed region');
      return;
    }
    removeRegion(data.id);
    var layer = L.polygon(polygonLatLngs(data.polygons), L.extend({ pane: 'cse-regions' }, styleFor(data.id)));
    var label = CSE.textElement('span', 'cse-region-name', data.name);
    layer.bindTooltip(label, {
      permanent: true,
      direction: 'bottom',
      offset: [0, 2],
      interactive: false,
      className: 'cse-region-label',
      opacity: 1
    });
    layer.on('click', function (e) {
      onRegionClick(data.id, e);
    });
    layer.addTo(R.map);
    // Name below the shape's southern edge, not in its middle, so the label never
    // hides the sites the region is about (above it, a print title would cover it).
    var b = layer.getBounds();
    layer.openTooltip(L.latLng(b.getSouth(), b.getCenter().lng));
    R.regions.set(data.id, { data: data, layer: layer, label: label });
    if (R.selected === data.id) {
      layer.bringToFront();
      showHandles();
    }
  }

  function reset(list) {
    Array.from(R.regions.keys()).forEach(removeRegion);
    (Array.isArray(list) ? list : []).forEach(upsert);
  }

  function upsertMany(list) {
    (Array.isArray(list) ? list : []).forEach(upsert);
  }

  function removeMany(ids) {
    (Array.isArray(ids) ? ids : []).forEach(function (id) {
      if (typeof id === 'string') {
        removeRegion(id);
      }
    });
  }

  function select(id) {
    var previous = R.selected;
    R.selected = typeof id === 'string' && id !== '' ? id : null;
    if (previous && previous !== R.selected && R.regions.has(previous)) {
      R.regions.get(previous).layer.setStyle(styleFor(previous));
    }
    var entry = R.selected ? R.regions.get(R.selected) : null;
    if (entry) {
      entry.layer.setStyle(styleFor(R.selected));
      entry.layer.bringToFront();
    }
    showHandles();
  }

  function fitBounds(box) {
    if (!box || !isFiniteNumber(box.west) || !isFiniteNumber(box.south) || !isFiniteNumber(box.east) || !isFiniteNumber(box.north)) {
      console.warn('cse: ignoring malformed fitBounds');
      return;
    }
    R.map.fitBounds([[box.south, box.west], [box.north, box.east]], { padding: [30, 30], animate: false });
  }

  function onRegionClick(id, e) {
    if (R.drawMode !== 'none' || !R.connected) {
      return;
    }
    if (e && e.originalEvent) {
      L.DomEvent.stopPropagation(e.originalEvent);
    }
    R.bridge[TO_PYTHON.REGION_CLICKED](id);
  }

  /* ------------------------------------------------------------------ handles */
  function clearHandles() {
    R.handles.forEach(function (h) {
      R.map.removeLayer(h);
    });
    R.handles = [];
  }

  function showHandles() {
    clearHandles();
    var entry = R.selected ? R.regions.get(R.selected) : null;
    if (!entry || R.drawMode !== 'none') {
      return;
    }
    var data = entry.data;
    data.handles.forEach(function (v, i) {
      var centre = data.kind === 'circle' && i === 0;
      var handle = L.circleMarker(toLatLng(v), centre ? STYLE.centreHandle : STYLE.handle);
      handle.on('mousedown', function (e) {
        startDrag(data.id, i, e);
      });
      handle.addTo(R.map);
      R.handles.push(handle);
    });
  }

  function startDrag(id, index, e) {
    var ev = e.originalEvent;
    if (!R.connected || R.drawMode !== 'none' || (ev && ev.button !== 0)) {
      return;
    }
    var entry = R.regions.get(id);
    if (!entry) {
      return;
    }
    // As with site markers: no map panning while a handle moves.
    R.map.dragging.disable();
    R.drag = {
      id: id,
      index: index,
      kind: entry.data.kind,
      x: ev.clientX,
      y: ev.clientY,
      moved: false,
      points: entry.data.handles.map(toLatLng),
      radius: entry.data.radius_m
    };
    document.addEventListener('mousemove', onDragMove, true);
    document.addEventListener('mouseup', onDragUp, true);
    L.DomEvent.preventDefault(ev);
  }

  /* Move handle drag.index to ll and reshape the preview; returns the shape to send. */
  function reshape(drag, ll) {
    var pts = drag.points;
    var i = drag.index;
    var entry = R.regions.get(drag.id);
    if (drag.kind === 'circle') {
      var g = CSE.geodesy;
      if (i === 0) {
        pts[0] = ll;
        var east = g.direct(ll.lng, ll.lat, 90, drag.radius);
        pts[1] = L.latLng(east[1], east[0]);
      } else {
        pts[1] = ll;
        drag.radius = Math.max(LIMITS.MIN_RADIUS_M, Math.min(LIMITS.MAX_RADIUS_M, g.inverse(pts[0].lng, pts[0].lat, ll.lng, ll.lat)));
        CSE.showDrawTip(ll, 'Radius ' + g.formatKm(drag.radius));
      }
      entry.layer.setLatLngs(g.ring(pts[0].lng, pts[0].lat, drag.radius));
      return { center: [pts[0].lng, pts[0].lat], radius_m: drag.radius };
    }
    pts[i] = ll;
    if (drag.kind === 'rectangle') {
      // Corners SW, SE, NE, NW: i ^ 1 shares this corner's latitude, 3 - i its longitude.
      pts[i ^ 1] = L.latLng(ll.lat, pts[i ^ 1].lng);
      pts[3 - i] = L.latLng(pts[3 - i].lat, ll.lng);
    }
    entry.layer.setLatLngs(pts);
    return {
      vertices: pts.map(function (p) {
        return [p.lng, p.lat];
      })
    };
  }

  function onDragMove(ev) {
    var drag = R.drag;
    if (!drag) {
      return;
    }
    if (!drag.moved && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < DRAG_THRESHOLD_PX) {
      return;
    }
    drag.moved = true;
    drag.shape = reshape(drag, clampLatLng(R.map.mouseEventToLatLng(ev)));
    drag.points.forEach(function (p, i) {
      if (R.handles[i]) {
        R.handles[i].setLatLng(p);
      }
    });
    ev.preventDefault();
  }

  function onDragUp(ev) {
    if (R.drag && R.drag.moved) {
      onDragMove(ev);
    }
    endDrag(ev, true);
  }

  function endDrag(ev, report) {
    var drag = R.drag;
    document.removeEventListener('mousemove', onDragMove, true);
    document.removeEventListener('mouseup', onDragUp, true);
    if (R.drawMode === 'none') {
      R.map.dragging.enable();
    }
    R.drag = null;
    if (CSE.hideDrawTip) {
      CSE.hideDrawTip();
    }
    if (!drag) {
      return;
    }
    var entry = R.regions.get(drag.id);
    if (!drag.moved || !report || !entry || !R.connected) {
      if (entry) {
        upsert(entry.data); // put back what Python sent
      }
      return;
    }
    // The preview stays until Python answers: regionUpserted with the edited region,
    // or with the old one if the edit was refused.
    R.bridge[TO_PYTHON.REGION_EDITED](drag.id, drag.shape);
  }

  function onKeyDown(ev) {
    if ((ev.key === 'Escape' || ev.key === 'Esc') && R.drag) {
      endDrag(null, false);
    }
  }

  function onDrawMode(e) {
    R.drawMode = e.mode;
    if (R.drag) {
      endDrag(null, false);
    }
    showHandles();
  }

  /* ------------------------------------------------------------------ plug-in */
  (CSE.plugins = CSE.plugins || []).push({
    start: function (map) {
      LIMITS = CSE.config.limits;
      TO_PAGE = CSE.config.toPage;
      TO_PYTHON = CSE.config.toPython;
      // Plain objects: Leaflet copies its options from them with for..in.
      STYLE.region = L.extend({ dashArray: null }, CSE.config.regions.REGION_STYLE);
      STYLE.selected = L.extend({ dashArray: null }, CSE.config.regions.SELECTED_REGION_STYLE);
      STYLE.handle.color = STYLE.selected.color;
      STYLE.centreHandle.color = STYLE.selected.color;
      R.map = map;
      // Regions sit above the basemap (400) and below town dots, labels and sites, so
      // markers stay clickable; handles sit above the sites.
      map.createPane('cse-regions').style.zIndex = '405';
      map.createPane('cse-handles').style.zIndex = '460';
      map.on('cse:drawmode', onDrawMode);
      document.addEventListener('keydown', onKeyDown, true);
    },
    connect: function (bridge, listen) {
      R.bridge = bridge;
      listen(TO_PAGE.REGIONS_RESET, reset);
      listen(TO_PAGE.REGION_UPSERTED, upsertMany);
      listen(TO_PAGE.REGION_REMOVED, removeMany);
      listen(TO_PAGE.REGION_SELECTED, select);
      listen(TO_PAGE.SITES_HIGHLIGHTED, CSE.highlightSites);
      listen(TO_PAGE.FIT_BOUNDS, fitBounds);
      R.connected = true;
    }
  });

  /* ------------------------------------------------------------------ inspection */
  function countLatLngs(latlngs) {
    if (!Array.isArray(latlngs)) {
      return 1;
    }
    return latlngs.reduce(function (n, x) {
      return n + countLatLngs(x);
    }, 0);
  }

  CSE.regionState = function (id) {
    var entry = R.regions.get(id);
    if (!entry) {
      return null;
    }
    var el = entry.layer.getElement ? entry.layer.getElement() : null;
    var tooltip = entry.layer.getTooltip();
    var tipEl = tooltip ? tooltip.getElement() : null;
    var o = entry.layer.options;
    return {
      name: entry.data.name,
      kind: entry.data.kind,
      drawn: !!(el && el.getAttribute('d') && el.getAttribute('d') !== 'M0 0'),
      on_map: R.map.hasLayer(entry.layer),
      latlngs: countLatLngs(entry.layer.getLatLngs()),
      selected: R.selected === id,
      label_text: entry.label.textContent,
      label_shown: !!(tipEl && tipEl.isConnected && tooltip.isOpen()),
      label_dom_text: tipEl ? tipEl.textContent : null,
      handles: R.selected === id ? R.handles.length : 0,
      color: o.color,
      weight: o.weight
    };
  };

  CSE.regionsState = function () {
    return { ids: Array.from(R.regions.keys()), selected: R.selected, draw_mode: R.drawMode, dragging_handle: !!R.drag };
  };

  CSE.regionHandlePoint = function (id, index) {
    if (id !== R.selected || !R.handles[index]) {
      return null;
    }
    var ll = R.handles[index].getLatLng();
    return CSE.viewportPoint(ll.lat, ll.lng);
  };

  CSE.regionPoint = function (id) {
    var entry = R.regions.get(id);
    if (!entry) {
      return null;
    }
    var c = entry.layer.getCenter();
    return CSE.viewportPoint(c.lat, c.lng);
  };

  /* Is (lon, lat) inside the region as drawn? Leaflet's own pixel test on the
   * projected path, and the browser's fill test on the SVG path element. */
  CSE.regionContainsPoint = function (id, lon, lat) {
    var entry = R.regions.get(id);
    if (!entry) {
      return null;
    }
    var p = R.map.latLngToLayerPoint([lat, lon]);
    var el = entry.layer.getElement();
    var svgFill = null;
    if (el && el.isPointInFill && window.DOMPoint) {
      svgFill = el.isPointInFill(new DOMPoint(p.x, p.y));
    }
    return { leaflet: entry.layer._containsPoint(p), svg_fill: svgFill };
  };
})();
