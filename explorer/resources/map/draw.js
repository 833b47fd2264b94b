/*
 * Compute Site Explorer — drawing tools: polygon, rectangle, geodesic circle, pick area.
 *
 * Built on Leaflet core only (L.Polyline, L.Polygon, L.Rectangle, L.CircleMarker, map
 * mouse events). Plugs into sites.js through CSE.plugins.
 *
 * Python -> page:  drawModeChanged  data = "none" | "polygon" | "rectangle" | "circle" | "pick"
 * Page -> Python:  regionDrawn(kind, {vertices: [[lon, lat]...]})     polygon, rectangle
 *                  regionDrawn("circle", {center: [lon, lat], radius_m})
 *                  areaPicked(lon, lat)       a click in "pick" mode
 *                  drawCancelled()            Esc while a tool is on
 *                  drawModeRequested(mode)    a toolbar button (Python decides and
 *                                             answers with drawModeChanged)
 * A finished, picked or cancelled drawing puts the page back in mode "none" at once;
 * Python follows (as with the site "place" mode).
 *
 * Tools:
 *   polygon    click vertices (a dashed rubber band follows the mouse); finish by
 *              clicking the first vertex or double-clicking; Esc cancels.
 *   rectangle  press, drag, release.
 *   circle     press at the centre, drag the radius (its length shows live, in km).
 *              The outline is the geodesic circle on WGS84 (CSE.geodesy), drawn as a
 *              polygon: an L.Circle would be a circle in Mercator pixels instead.
 *   pick       hovering shows the area under the mouse: an area of the boundary layer
 *              the user loaded (boundary.js, CSE.boundary) when there is one, else a
 *              basemap province; a click reports lon/lat (Python looks the area up).
 * Map dragging and double-click zoom are off while polygon/rectangle/circle are on.
 * Message names, the modes and the bounds (most vertices, radius range) are Python's,
 * read from CSE.config (basemap.js) when the plug-in starts.
 * The map fires 'cse:drawmode' {mode} when the mode changes (regions.js listens).
 *
 * CSE.geodesy: Vincenty's direct and inverse formulae on the WGS84 ellipsoid (the same
 * ellipsoid Python's pyproj Geod uses), good to well under a metre at these distances.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var clampLatLng = CSE.clampLatLng; // basemap.js
  // From CSE.config when the plug-in starts (the config does not exist at load time).
  var MODES = null; // the draw modes
  var SHAPE_MODES = null; // the draw kinds: {kind: true}
  var LIMITS = null; // CSE.config.limits
  var TO_PAGE = null; // CSE.config.toPage
  var TO_PYTHON = null; // CSE.config.toPython
  var TOOLS = [
    { mode: 'polygon', label: 'Polygon', title: 'Draw a polygon: click the corners' },
    { mode: 'rectangle', label: 'Rectangle', title: 'Draw a rectangle: press and drag' },
    { mode: 'circle', label: 'Circle', title: 'Draw a circle: press at the centre and drag' },
    { mode: 'pick', label: 'Pick area', title: 'Pick a province as a region' }
  ];
  var HINTS = {
    polygon: 'Click to add corners \u00b7 click the first corner or double-click to finish \u00b7 Esc cancels',
    rectangle: 'Press and drag to draw \u00b7 Esc cancels',
    circle: 'Press at the centre and drag the radius \u00b7 Esc cancels',
    pick: 'Click a province \u00b7 Esc cancels'
  };
  var PICK_TITLE = { provinces: 'Pick a province as a region', boundary: 'Pick an area of the loaded boundary layer as a region' };
  var CLOSE_PX = 8; // a click this near the first vertex closes the polygon
  var SAME_PX = 3; // a click this near the last vertex adds nothing (double-click)
  var MIN_DRAG_PX = 3;
  var RING_VERTICES = 128;
  var STYLE = {
    shape: { pane: 'cse-draw', interactive: false, color: '#6a1b9a', weight: 2, opacity: 0.95, fillColor: '#8e24aa', fillOpacity: 0.12 },
    line: { pane: 'cse-draw', interactive: false, color: '#6a1b9a', weight: 2, opacity: 0.95, fill: false },
    guide: { pane: 'cse-draw', interactive: false, color: '#6a1b9a', weight: 1.5, opacity: 0.8, dashArray: '5 5', fill: false },
    vertex: { pane: 'cse-draw', interactive: false, radius: 4, color: '#6a1b9a', weight: 2, fillColor: '#ffffff', fillOpacity: 1 },
    firstVertex: { pane: 'cse-draw', interactive: false, radius: 6, color: '#6a1b9a', weight: 2.5, fillColor: '#f3e5f5', fillOpacity: 1 },
    pick: { pane: 'cse-draw', interactive: false, color: '#1565c0', weight: 2.5, fillColor: '#1e88e5', fillOpacity: 0.18 }
  };

  /* ------------------------------------------------------------------ geodesy */
  var A = 6378137.0;
  var F = 1 / 298.257223563;
  var B = A * (1 - F);
  var MEAN_RADIUS = 6371008.8;
  var RAD = Math.PI / 180;

  function reducedLatitude(latDeg) {
    var tanU = (1 - F) * Math.tan(latDeg * RAD);
    var cosU = 1 / Math.sqrt(1 + tanU * tanU);
    return { tan: tanU, cos: cosU, sin: tanU * cosU };
  }

  function seriesAB(cosSqAlpha) {
    var uSq = (cosSqAlpha * (A * A - B * B)) / (B * B);
    return {
      A: 1 + (uSq / 16384) * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq))),
      B: (uSq / 1024) * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)))
    };
  }

  function deltaSigma(Bc, sinS, cosS, cos2Sm) {
    var c2 = cos2Sm * cos2Sm;
    return Bc * sinS * (cos2Sm + (Bc / 4) * (cosS * (-1 + 2 * c2) - (Bc / 6) * cos2Sm * (-3 + 4 * sinS * sinS) * (-3 + 4 * c2)));
  }

  function haversine(lon1, lat1, lon2, lat2) {
    var dLat = (lat2 - lat1) * RAD;
    var dLon = (lon2 - lon1) * RAD;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * MEAN_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  /* Geodesic distance in metres between two lon/lat points on WGS84. */
  function inverse(lon1, lat1, lon2, lat2) {
    var L0 = (lon2 - lon1) * RAD;
    var u1 = reducedLatitude(lat1);
    var u2 = reducedLatitude(lat2);
    var lambda = L0;
    var sinS, cosS, sigma, cosSqAlpha, cos2Sm;
    for (var iter = 0; iter < 200; iter++) {
      var sinL = Math.sin(lambda);
      var cosL = Math.cos(lambda);
      var t1 = u2.cos * sinL;
      var t2 = u1.cos * u2.sin - u1.sin * u2.cos * cosL;
      sinS = Math.sqrt(t1 * t1 + t2 * t2);
      if (sinS === 0) {
        return 0; // the same point
      }
      cosS = u1.sin * u2.sin + u1.cos * u2.cos * cosL;
      sigma = Math.atan2(sinS, cosS);
      var sinAlpha = (u1.cos * u2.cos * sinL) / sinS;
      cosSqAlpha = 1 - sinAlpha * sinAlpha;
      cos2Sm = cosSqAlpha !== 0 ? cosS - (2 * u1.sin * u2.sin) / cosSqAlpha : 0;
      var C = (F / 16) * cosSqAlpha * (4 + F * (4 - 3 * cosSqAlpha));
      var previous = lambda;
      lambda = L0 + (1 - C) * F * sinAlpha * (sigma + C * sinS * (cos2Sm + C * cosS * (-1 + 2 * cos2Sm * cos2Sm)));
      if (Math.abs(lambda - previous) < 1e-12) {
        var ab = seriesAB(cosSqAlpha);
        return B * ab.A * (sigma - deltaSigma(ab.B, sinS, cosS, cos2Sm));
      }
    }
    // Vincenty fails to converge only for nearly antipodal points (not drawable here).
    return haversine(lon1, lat1, lon2, lat2);
  }

  /* The point [lon, lat] at distance s (m) along azimuth azDeg from (lon1, lat1). */
  function direct(lon1, lat1, azDeg, s) {
    var alpha1 = azDeg * RAD;
    var sinA1 = Math.sin(alpha1);
    var cosA1 = Math.cos(alpha1);
    var u1 = reducedLatitude(lat1);
    var sigma1 = Math.atan2(u1.tan, cosA1);
    var sinAlpha = u1.cos * sinA1;
    var cosSqAlpha = 1 - sinAlpha * sinAlpha;
    var ab = seriesAB(cosSqAlpha);
    var sigma = s / (B * ab.A);
    var sinS, cosS, cos2Sm;
    for (var iter = 0; iter < 100; iter++) {
      cos2Sm = Math.cos(2 * sigma1 + sigma);
      sinS = Math.sin(sigma);
      cosS = Math.cos(sigma);
      var next = s / (B * ab.A) + deltaSigma(ab.B, sinS, cosS, cos2Sm);
      var done = Math.abs(next - sigma) < 1e-12;
      sigma = next;
      if (done) {
        break;
      }
    }
    cos2Sm = Math.cos(2 * sigma1 + sigma);
    sinS = Math.sin(sigma);
    cosS = Math.cos(sigma);
    var x = u1.sin * sinS - u1.cos * cosS * cosA1;
    var lat2 = Math.atan2(u1.sin * cosS + u1.cos * sinS * cosA1, (1 - F) * Math.sqrt(sinAlpha * sinAlpha + x * x));
    var lambda = Math.atan2(sinS * sinA1, u1.cos * cosS - u1.sin * sinS * cosA1);
    var C = (F / 16) * cosSqAlpha * (4 + F * (4 - 3 * cosSqAlpha));
    var L0 = lambda - (1 - C) * F * sinAlpha * (sigma + C * sinS * (cos2Sm + C * cosS * (-1 + 2 * cos2Sm * cos2Sm)));
    return [lon1 + L0 / RAD, lat2 / RAD];
  }

  /* The geodesic circle as Leaflet latlngs (longitudes kept continuous around lon). */
  function ring(lon, lat, radiusM, n) {
    n = n || RING_VERTICES;
    var out = [];
    for (var i = 0; i < n; i++) {
      var p = direct(lon, lat, (360 * i) / n, radiusM);
      var dLon = ((((p[0] - lon + 180) % 360) + 360) % 360) - 180;
      out.push(L.latLng(p[1], lon + dLon));
    }
    return out;
  }

  function formatKm(metres) {
    var km = metres / 1000;
    return (km < 10 ? km.toFixed(2) : km.toFixed(1)) + ' km';
  }

  CSE.geodesy = { inverse: inverse, direct: direct, ring: ring, formatKm: formatKm };

  /* ------------------------------------------------------------------ state */
  var D = {
    map: null,
    bridge: null,
    connected: false,
    mode: 'none',
    layer: null, // preview layers (pane cse-draw)
    vertices: [], // polygon: L.LatLng placed so far
    cursor: null, // polygon: last mouse position
    press: null, // rectangle/circle: {start, startPoint, current}
    tip: null, // live label (circle radius, picked province)
    provinces: null, // the basemap provinces layer, if any
    hovered: null, // pick: area (province or boundary-layer area) under the mouse
    toolbar: null,
    disabledDragging: false,
    disabledDblClick: false,
    sent: [] // for tests: the last few messages sent, newest last
  };

  function lonLat(ll) {
    return [ll.lng, ll.lat];
  }

  function record(what) {
    D.sent.push(what);
    if (D.sent.length > 20) {
      D.sent.shift();
    }
  }

  /* ------------------------------------------------------------------ toolbar */
  var Toolbar = L.Control.extend({
    options: { position: 'topleft' },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-control leaflet-bar cse-draw-toolbar');
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this._buttons = {};
      var self = this;
      TOOLS.forEach(function (tool) {
        var button = L.DomUtil.create('button', 'cse-draw-tool', div);
        button.type = 'button';
        button.textContent = tool.label;
        button.title = tool.title;
        button.setAttribute('data-mode', tool.mode);
        button.setAttribute('aria-pressed', 'false');
        L.DomEvent.on(button, 'click', function (ev) {
          L.DomEvent.stop(ev);
          if (D.connected) {
            D.bridge[TO_PYTHON.DRAW_MODE_REQUESTED](D.mode === tool.mode ? 'none' : tool.mode);
          }
        });
        self._buttons[tool.mode] = button;
      });
      this._hint = CSE.textElement('div', 'cse-draw-hint', '');
      div.appendChild(this._hint);
      this.update();
      return div;
    },
    update: function () {
      var buttons = this._buttons || {};
      Object.keys(buttons).forEach(function (mode) {
        var on = mode === D.mode;
        buttons[mode].setAttribute('aria-pressed', on ? 'true' : 'false');
        if (on) {
          L.DomUtil.addClass(buttons[mode], 'cse-active');
        } else {
          L.DomUtil.removeClass(buttons[mode], 'cse-active');
        }
      });
      if (buttons.pick) {
        buttons.pick.title = boundaryLoaded() ? PICK_TITLE.boundary : PICK_TITLE.provinces;
      }
      this.setHint(hintFor(D.mode));
    },
    setHint: function (text) {
      if (this._hint) {
        this._hint.textContent = text;
        this._hint.style.display = text ? '' : 'none';
      }
    }
  });

  /* Is a boundary layer loaded (boundary.js)? Pick mode then picks its areas. */
  function boundaryLoaded() {
    return !!(CSE.boundary && CSE.boundary.pickLayer());
  }

  function hintFor(mode) {
    if (mode === 'pick' && boundaryLoaded()) {
      return 'Click an area of ' + (CSE.boundary.name() || 'the loaded layer') + ' \u00b7 Esc cancels';
    }
    return HINTS[mode] || '';
  }

  /* ------------------------------------------------------------------ modes */
  function clearPreview() {
    if (D.layer) {
      D.layer.clearLayers();
    }
    if (D.tip) {
      D.map.removeLayer(D.tip);
      D.tip = null;
    }
    D.vertices = [];
    D.cursor = null;
    D.hovered = null;
    endPress();
  }

  function setMode(mode) {
    if (MODES.indexOf(mode) < 0) {
      console.warn('cse: unknown draw mode');
      return;
    }
    clearPreview();
    var map = D.map;
    D.mode = mode;
    var shape = SHAPE_MODES[mode] === true;
    // Panning or zooming with a double-click would fight the tools for the mouse.
    if (shape && map.dragging.enabled()) {
      map.dragging.disable();
      D.disabledDragging = true;
    } else if (!shape && D.disabledDragging) {
      map.dragging.enable();
      D.disabledDragging = false;
    }
    if (shape && map.doubleClickZoom.enabled()) {
      map.doubleClickZoom.disable();
      D.disabledDblClick = true;
    } else if (!shape && D.disabledDblClick) {
      map.doubleClickZoom.enable();
      D.disabledDblClick = false;
    }
    var container = map.getContainer();
    if (mode === 'none') {
      L.DomUtil.removeClass(container, 'cse-drawing');
    } else {
      L.DomUtil.addClass(container, 'cse-drawing');
    }
    if (D.toolbar) {
      D.toolbar.update();
    }
    map.fire('cse:drawmode', { mode: mode });
  }

  /* The page leaves its tool by itself after a shape, a pick or Esc. */
  function finish(send) {
    setMode('none');
    if (D.connected) {
      send();
    }
  }

  function cancel() {
    if (D.mode === 'none') {
      return;
    }
    record({ type: TO_PYTHON.DRAW_CANCELLED });
    finish(function () {
      D.bridge[TO_PYTHON.DRAW_CANCELLED]();
    });
  }

  function sendShape(kind, payload) {
    record({ type: TO_PYTHON.REGION_DRAWN, kind: kind, payload: payload });
    finish(function () {
      D.bridge[TO_PYTHON.REGION_DRAWN](kind, payload);
    });
  }

  /* ------------------------------------------------------------------ live label */
  function showTip(latlng, text) {
    if (!D.tip) {
      D.tip = L.tooltip({ permanent: true, direction: 'right', offset: [12, 0], className: 'cse-draw-tip', interactive: false });
      D.tip.setContent(CSE.textElement('span', '', text));
      D.tip.setLatLng(latlng);
      D.tip.addTo(D.map);
      return;
    }
    D.tip.setLatLng(latlng);
    var el = D.tip.getElement();
    if (el && el.firstChild) {
      el.firstChild.textContent = text;
    }
  }

  CSE.showDrawTip = showTip;
  CSE.hideDrawTip = function () {
    if (D.tip) {
      D.map.removeLayer(D.tip);
      D.tip = null;
    }
  };

  /* ------------------------------------------------------------------ polygon */
  function redrawPolygon() {
    D.layer.clearLayers();
    var v = D.vertices;
    if (!v.length) {
      return;
    }
    if (v.length >= 3) {
      L.polygon(v, L.extend({}, STYLE.shape, { stroke: false })).addTo(D.layer);
    }
    L.polyline(v, STYLE.line).addTo(D.layer);
    if (D.cursor) {
      L.polyline([v[v.length - 1], D.cursor], STYLE.guide).addTo(D.layer);
    }
    v.forEach(function (ll, i) {
      L.circleMarker(ll, i === 0 ? STYLE.firstVertex : STYLE.vertex).addTo(D.layer);
    });
  }

  function polygonClick(e) {
    var map = D.map;
    var v = D.vertices;
    var p = e.containerPoint;
    if (v.length >= 3 && p.distanceTo(map.latLngToContainerPoint(v[0])) <= CLOSE_PX) {
      finishPolygon();
      return;
    }
    if (v.length && p.distanceTo(map.latLngToContainerPoint(v[v.length - 1])) <= SAME_PX) {
      return; // the second click of a double-click, or a nervous finger
    }
    if (v.length >= LIMITS.MAX_DRAWN_VERTICES) {
      return;
    }
    v.push(clampLatLng(e.latlng));
    redrawPolygon();
  }

  function finishPolygon() {
    if (D.vertices.length < 3) {
      return;
    }
    sendShape('polygon', { vertices: D.vertices.map(lonLat) });
  }

  /* ------------------------------------------------------------------ rectangle / circle */
  function startPress(e) {
    var ev = e.originalEvent;
    if (ev && ev.button !== 0) {
      return;
    }
    var start = clampLatLng(e.latlng);
    D.press = { start: start, startPoint: e.containerPoint, current: start, moved: false };
    document.addEventListener('mousemove', onPressMove, true);
    document.addEventListener('mouseup', onPressUp, true);
    if (ev) {
      L.DomEvent.preventDefault(ev);
    }
  }

  function endPress() {
    document.removeEventListener('mousemove', onPressMove, true);
    document.removeEventListener('mouseup', onPressUp, true);
    D.press = null;
  }

  function circleRadius(press) {
    var r = inverse(press.start.lng, press.start.lat, press.current.lng, press.current.lat);
    return Math.max(LIMITS.MIN_RADIUS_M, Math.min(LIMITS.MAX_RADIUS_M, r));
  }

  function onPressMove(ev) {
    var press = D.press;
    if (!press) {
      return;
    }
    var point = D.map.mouseEventToContainerPoint(ev);
    press.current = clampLatLng(D.map.containerPointToLatLng(point));
    press.moved = press.moved || point.distanceTo(press.startPoint) >= MIN_DRAG_PX;
    D.layer.clearLayers();
    if (D.mode === 'rectangle') {
      L.rectangle(L.latLngBounds(press.start, press.current), STYLE.shape).addTo(D.layer);
    } else if (D.mode === 'circle') {
      var r = circleRadius(press);
      L.polygon(ring(press.start.lng, press.start.lat, r), STYLE.shape).addTo(D.layer);
      L.polyline([press.start, press.current], STYLE.guide).addTo(D.layer);
      L.circleMarker(press.start, STYLE.vertex).addTo(D.layer);
      showTip(press.current, 'Radius ' + formatKm(r));
    }
    ev.preventDefault();
  }

  function onPressUp(ev) {
    var press = D.press;
    if (!press) {
      return;
    }
    onPressMove(ev);
    endPress();
    var point = D.map.mouseEventToContainerPoint(ev);
    var dx = Math.abs(point.x - press.startPoint.x);
    var dy = Math.abs(point.y - press.startPoint.y);
    if (D.mode === 'rectangle') {
      if (dx < MIN_DRAG_PX || dy < MIN_DRAG_PX) {
        D.layer.clearLayers(); // a click, not a drag: keep the tool on
        return;
      }
      var b = L.latLngBounds(press.start, press.current);
      sendShape('rectangle', {
        vertices: [b.getSouthWest(), b.getSouthEast(), b.getNorthEast(), b.getNorthWest()].map(lonLat)
      });
    } else if (D.mode === 'circle') {
      if (!press.moved) {
        D.layer.clearLayers();
        CSE.hideDrawTip();
        return;
      }
      sendShape('circle', { center: lonLat(press.start), radius_m: circleRadius(press) });
    }
  }

  /* ------------------------------------------------------------------ pick */
  function ringContains(ring, lng, lat) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i];
      var b = ring[j];
      if ((a.lat > lat) !== (b.lat > lat) && lng < ((b.lng - a.lng) * (lat - a.lat)) / (b.lat - a.lat) + a.lng) {
        inside = !inside;
      }
    }
    return inside;
  }

  /* latlngs of an L.Polygon: [ring, hole...] or [[ring, hole...], ...]. */
  function polygonContains(latlngs, lng, lat) {
    if (!latlngs.length) {
      return false;
    }
    if (Array.isArray(latlngs[0][0])) {
      return latlngs.some(function (part) {
        return polygonContains(part, lng, lat);
      });
    }
    if (!ringContains(latlngs[0], lng, lat)) {
      return false;
    }
    return !latlngs.slice(1).some(function (hole) {
      return ringContains(hole, lng, lat);
    });
  }

  /* What pick mode picks from: the loaded boundary layer, else the provinces. */
  function pickLayer() {
    var boundary = CSE.boundary ? CSE.boundary.pickLayer() : null;
    return boundary || D.provinces;
  }

  function areaAt(group, latlng) {
    var found = null;
    if (!group) {
      return null;
    }
    group.eachLayer(function (layer) {
      if (!found && layer.getBounds && layer.getBounds().contains(latlng) && polygonContains(layer.getLatLngs(), latlng.lng, latlng.lat)) {
        found = layer;
      }
    });
    return found;
  }

  function areaName(layer) {
    var props = (layer && layer.feature && layer.feature.properties) || {};
    return typeof props.name === 'string' ? props.name : '';
  }

  function pickHover(e) {
    var layer = areaAt(pickLayer(), e.latlng);
    if (layer !== D.hovered) {
      D.hovered = layer;
      D.layer.clearLayers();
      if (layer) {
        L.polygon(layer.getLatLngs(), STYLE.pick).addTo(D.layer);
      }
    }
    if (layer) {
      showTip(e.latlng, areaName(layer));
    } else {
      CSE.hideDrawTip();
    }
    // The hint repeats the name: the label by the cursor can go under a control.
    if (D.toolbar) {
      D.toolbar.setHint(layer ? areaName(layer) + ' \u2014 click to add it \u00b7 Esc cancels' : hintFor('pick'));
    }
  }

  /* The boundary layer was replaced or removed: what was hovered may be gone. */
  function onBoundaryLayer() {
    if (D.mode === 'pick') {
      D.hovered = null;
      D.layer.clearLayers();
      CSE.hideDrawTip();
    }
    if (D.toolbar) {
      D.toolbar.update();
    }
  }

  function pickAt(e) {
    var ll = e.latlng.wrap();
    record({
      type: TO_PYTHON.AREA_PICKED,
      lon: ll.lng,
      lat: ll.lat,
      area: areaName(areaAt(pickLayer(), ll)),
      layer: boundaryLoaded() ? 'boundary' : 'provinces',
      province: areaName(areaAt(D.provinces, ll))
    });
    finish(function () {
      D.bridge[TO_PYTHON.AREA_PICKED](ll.lng, ll.lat);
    });
  }

  /* ------------------------------------------------------------------ map events */
  function onClick(e) {
    if (D.mode === 'polygon') {
      polygonClick(e);
    } else if (D.mode === 'pick') {
      pickAt(e);
    }
  }

  function onDoubleClick(e) {
    if (D.mode === 'polygon') {
      L.DomEvent.stop(e.originalEvent);
      finishPolygon();
    }
  }

  function onMouseMove(e) {
    if (D.mode === 'polygon' && D.vertices.length) {
      D.cursor = e.latlng;
      redrawPolygon();
    } else if (D.mode === 'pick') {
      pickHover(e);
    }
  }

  function onMouseDown(e) {
    if (D.mode === 'rectangle' || D.mode === 'circle') {
      startPress(e);
    }
  }

  function onKeyDown(ev) {
    if (ev.key === 'Escape' || ev.key === 'Esc') {
      cancel();
    }
  }

  /* ------------------------------------------------------------------ plug-in */
  function receive(data) {
    setMode(data);
  }

  (CSE.plugins = CSE.plugins || []).push({
    start: function (map, config) {
      MODES = CSE.config.modes.DRAW_MODES;
      SHAPE_MODES = {};
      CSE.config.modes.DRAW_KINDS.forEach(function (kind) {
        SHAPE_MODES[kind] = true;
      });
      LIMITS = CSE.config.limits;
      TO_PAGE = CSE.config.toPage;
      TO_PYTHON = CSE.config.toPython;
      D.map = map;
      map.createPane('cse-draw').style.zIndex = '455';
      map.getPane('cse-draw').style.pointerEvents = 'none';
      D.layer = L.layerGroup().addTo(map);
      (CSE.basemapLayers || []).forEach(function (ref) {
        if (ref.key === 'provinces') {
          D.provinces = ref.layer;
        }
      });
      D.toolbar = new Toolbar();
      D.toolbar.addTo(map);
      map.on('click', onClick);
      map.on('dblclick', onDoubleClick);
      map.on('mousemove', onMouseMove);
      map.on('mousedown', onMouseDown);
      map.on('cse:boundarylayer', onBoundaryLayer);
      document.addEventListener('keydown', onKeyDown, true);
    },
    connect: function (bridge, listen) {
      D.bridge = bridge;
      listen(TO_PAGE.DRAW_MODE_CHANGED, receive);
      D.connected = true;
    }
  });

  /* ------------------------------------------------------------------ inspection */
  CSE.drawState = function () {
    var map = D.map;
    return {
      mode: D.mode,
      vertices: D.vertices.length,
      vertex_list: D.vertices.map(lonLat),
      pressing: !!D.press,
      press: D.press ? { start: lonLat(D.press.start), current: lonLat(D.press.current) } : null,
      preview_layers: D.layer ? D.layer.getLayers().length : 0,
      dragging: map.dragging.enabled(),
      double_click_zoom: map.doubleClickZoom.enabled(),
      tip: D.tip && D.tip.getElement() ? D.tip.getElement().textContent : null,
      hint: D.toolbar && D.toolbar._hint ? D.toolbar._hint.textContent : null,
      pick_layer: boundaryLoaded() ? 'boundary' : D.provinces ? 'provinces' : null,
      hovered: D.hovered ? areaName(D.hovered) : null,
      active_tool: (function () {
        var el = document.querySelector('.cse-draw-tool.cse-active');
        return el ? el.getAttribute('data-mode') : null;
      })(),
      sent: D.sent.slice()
    };
  };

  /* CSE.viewportPoint, or null where a click would not reach the map: outside it, or
   * on one of its controls (legend, toolbar, layer switcher...). */
  CSE.mapPoint = function (lat, lon) {
    var p = CSE.viewportPoint(lat, lon);
    var el = document.elementFromPoint(p.x, p.y);
    if (!el || !D.map.getContainer().contains(el) || el.closest('.leaflet-control')) {
      return null;
    }
    return p;
  };

  CSE.drawToolPoint = function (mode) {
    var el = document.querySelector('.cse-draw-tool[data-mode="' + String(mode).replace(/[^a-z]/g, '') + '"]');
    if (!el) {
      return null;
    }
    var r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };
})();
