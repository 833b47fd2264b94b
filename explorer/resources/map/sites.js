/*
 * Compute Site Explorer — the sites layer and the Qt WebChannel client.
 *
 * CSE.start(map, config) is called at the end of the folium script. It connects to the
 * Python object registered as "bridge" and, once connected, calls bridge.pageReady().
 * Nothing is sent to Python before that.
 *
 * Message names, modes, colours and legend words are Python's (explorer/web/protocol.py,
 * explorer/web/palette.py), read from CSE.config (basemap.js): the names below are
 * their current values, for the reader.
 *
 * Python -> page (signals, each a JSON string {"seq": n, "data": ...}):
 *   sitesReset        data = {sites: [site...], models: [{name, restricted}...]}
 *   siteUpserted      data = [site...]
 *   siteRemoved       data = [id...]
 *   selectionChanged  data = id, or "" for none
 *   modeChanged       data = "browse" | "place"
 *   colorModeChanged  data = "export" | "model"
 *   flyTo             data = {lon, lat, zoom|null}
 *   sync              data = null (nothing to apply: just ack after the next paint)
 * After a batch of messages is applied and painted the page calls bridge.rendered(seq)
 * with the highest seq applied.
 *
 * Page -> Python (slots): pageReady(), siteClicked(id), siteMoved(id, lon, lat),
 *   mapClicked(lon, lat), cursorMoved(lon, lat), rendered(seq).
 *
 * Other page scripts (draw.js, regions.js) plug in by pushing {start(map, config),
 * connect(bridge, listen)} onto CSE.plugins before CSE.start runs: start() right
 * after the sites layer exists, connect() with the channel's bridge and listen(name,
 * apply), which connects apply to the message called name (acked like ours), before
 * pageReady(). CSE.highlightSites(ids) gives
 * the listed sites a highlight ring (the selection outline still wins).
 *
 * Site text (names) is only ever set with textContent.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var isFiniteNumber = CSE.isFiniteNumber; // basemap.js

  // From CSE.config when CSE.start runs (the config does not exist at load time).
  var COLORS = null; // CSE.config.colors
  var WORDS = null; // CSE.config.legend
  var MODES = null; // CSE.config.modes
  var TO_PAGE = null; // CSE.config.toPage
  var TO_PYTHON = null; // CSE.config.toPython
  var RADIUS = { min: 4, max: 26, base: 3, perSqrtChip: 0.075 };
  var DRAG_THRESHOLD_PX = 3;
  var CURSOR_INTERVAL_MS = 100;
  var ACK_FALLBACK_MS = 1000;

  var S = {
    map: null,
    layer: null,
    basemap: {},
    bridge: null,
    connected: false,
    markers: new Map(), // id -> {marker, tip, site}
    models: [],
    modelIndex: new Map(),
    selected: null,
    highlighted: new Set(),
    mode: 'browse',
    colorMode: 'export',
    ackSeq: 0,
    ackPending: false,
    drag: null,
    dragEndedAt: 0,
    legend: null,
    lastCursorSent: 0
  };

  /* ------------------------------------------------------------------ helpers */
  function validLonLat(lon, lat) {
    return isFiniteNumber(lon) && isFiniteNumber(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;
  }

  function formatCount(n) {
    return Number(n).toLocaleString('en-US');
  }

  function radiusFor(chips) {
    if (!(chips > 0)) {
      return RADIUS.min;
    }
    var r = RADIUS.base + RADIUS.perSqrtChip * Math.sqrt(chips);
    return Math.max(RADIUS.min, Math.min(RADIUS.max, r));
  }

  /* As palette.model_color in Python. */
  function modelColor(model) {
    if (!model) {
      return COLORS.NO_CHIPS;
    }
    var i = S.modelIndex.get(model);
    if (i === undefined) {
      i = S.models.length;
    }
    return COLORS.MODEL_COLORS[i % COLORS.MODEL_COLORS.length];
  }

  function fillFor(site) {
    if (S.colorMode === 'model') {
      return modelColor(site.primary_model);
    }
    if (!(site.chips > 0)) {
      return COLORS.NO_CHIPS;
    }
    return site.restricted ? COLORS.RESTRICTED : COLORS.UNRESTRICTED;
  }

  function styleFor(entry) {
    var site = entry.site;
    var selected = S.selected === site.id;
    var style = {
      radius: radiusFor(site.chips),
      fillColor: fillFor(site),
      fillOpacity: 0.82,
      color: COLORS.MARKER_OUTLINE,
      weight: 1.5,
      opacity: 1,
      dashArray: null
    };
    if (site.illustrative) {
      style.color = COLORS.ILLUSTRATIVE_OUTLINE;
      style.weight = 1.3;
      style.dashArray = '3 2';
    }
    if (S.highlighted.has(site.id)) {
      style.color = COLORS.HIGHLIGHT_OUTLINE;
      style.weight = 3;
      style.dashArray = null;
    }
    if (selected) {
      style.color = COLORS.SELECTED_OUTLINE;
      style.weight = 3.5;
      style.dashArray = null;
      style.fillOpacity = 0.95;
    }
    return style;
  }

  function applyStyle(entry) {
    var style = styleFor(entry);
    entry.marker.setRadius(style.radius);
    entry.marker.setStyle(style);
    var tooltip = entry.marker.getTooltip();
    if (tooltip) {
      tooltip.options.offset = L.point(0, -style.radius);
    }
  }

  /* ------------------------------------------------------------------ tooltip */
  function tooltipLines(site) {
    var lines = [{ cls: 'cse-tip-name', text: site.name }];
    var chips = site.chips > 0 ? formatCount(site.chips) + ' chips' : WORDS.NO_CHIPS;
    if (site.models && site.models.length) {
      chips += ' (' + site.models.join(', ') + ')';
    }
    lines.push({ cls: 'cse-tip-chips', text: chips });
    if (site.restricted_chips > 0) {
      lines.push({ cls: 'cse-tip-restricted', text: formatCount(site.restricted_chips) + ' need a US export licence' });
    }
    if (site.illustrative) {
      lines.push({ cls: 'cse-tip-illustrative', text: 'Illustrative \u2014 not a reported site' });
    }
    return lines;
  }

  function fillTooltip(el, site) {
    while (el.firstChild) {
      el.removeChild(el.firstChild);
    }
    tooltipLines(site).forEach(function (line) {
      el.appendChild(CSE.textElement('div', line.cls, line.text));
    });
  }

  function tooltipText(el) {
    var parts = [];
    for (var i = 0; i < el.children.length; i++) {
      parts.push(el.children[i].textContent);
    }
    return parts.join('\n');
  }

  /* ------------------------------------------------------------------ legend
   * The rows are decided as explorer/web/legend.py's site_legend decides them (the
   * snapshot paints that one); a test checks that both give the same rows. */
  var Legend = L.Control.extend({
    options: { position: 'bottomright' },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-control cse-legend');
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this._div = div;
      this.render();
      return div;
    },
    render: function () {
      var div = this._div;
      if (!div) {
        return;
      }
      while (div.firstChild) {
        div.removeChild(div.firstChild);
      }
      var rows = [];
      var anyIllustrative = false;
      S.markers.forEach(function (e) {
        anyIllustrative = anyIllustrative || !!e.site.illustrative;
      });
      div.appendChild(CSE.textElement('div', 'cse-legend-title', WORDS.TITLES[S.colorMode]));
      if (S.colorMode === 'model') {
        var present = new Set();
        var none = false;
        S.markers.forEach(function (e) {
          if (e.site.primary_model) {
            present.add(e.site.primary_model);
          } else {
            none = true;
          }
        });
        S.models.forEach(function (m) {
          if (present.has(m.name)) {
            rows.push({ color: modelColor(m.name), text: m.name + (m.restricted ? WORDS.LICENCE_SUFFIX : '') });
            present.delete(m.name);
          }
        });
        present.forEach(function (name) {
          rows.push({ color: modelColor(name), text: name });
        });
        if (none) {
          rows.push({ color: COLORS.NO_CHIPS, text: WORDS.NO_CHIPS });
        }
      } else {
        rows.push({ color: COLORS.RESTRICTED, text: WORDS.RESTRICTED });
        rows.push({ color: COLORS.UNRESTRICTED, text: WORDS.UNRESTRICTED });
        rows.push({ color: COLORS.NO_CHIPS, text: WORDS.NO_CHIPS });
      }
      if (anyIllustrative) {
        rows.push({ color: COLORS.SWATCH_BLANK, dashed: true, text: WORDS.ILLUSTRATIVE });
      }
      var anyHighlighted = false;
      S.highlighted.forEach(function (id) {
        anyHighlighted = anyHighlighted || S.markers.has(id);
      });
      if (anyHighlighted) {
        rows.push({ color: COLORS.SWATCH_BLANK, ring: COLORS.HIGHLIGHT_OUTLINE, text: WORDS.HIGHLIGHTED });
      }
      rows.forEach(function (row) {
        var line = L.DomUtil.create('div', 'cse-legend-row', div);
        var swatch = L.DomUtil.create('span', 'cse-legend-swatch' + (row.dashed ? ' cse-legend-dashed' : ''), line);
        swatch.style.backgroundColor = row.color;
        if (row.dashed) {
          swatch.style.borderColor = COLORS.ILLUSTRATIVE_OUTLINE;
        }
        if (row.ring) {
          swatch.style.border = '2px solid ' + row.ring;
        }
        line.appendChild(CSE.textElement('span', 'cse-legend-label', row.text));
      });
      div.appendChild(CSE.textElement('div', 'cse-legend-note', WORDS.SIZE_NOTE));
    }
  });

  function renderLegend() {
    if (S.legend) {
      S.legend.render();
    }
  }

  /* ------------------------------------------------------------------ sites */
  function validSite(site) {
    return (
      site !== null &&
      typeof site === 'object' &&
      typeof site.id === 'string' &&
      site.id.length > 0 &&
      typeof site.name === 'string' &&
      validLonLat(site.lon, site.lat)
    );
  }

  function upsert(site) {
    if (!validSite(site)) {
      console.warn('cse: ignoring malformed site payload');
      return;
    }
    var entry = S.markers.get(site.id);
    if (!entry) {
      var tip = document.createElement('div');
      tip.className = 'cse-tip';
      var marker = L.circleMarker([site.lat, site.lon], {
        pane: 'cse-sites',
        bubblingMouseEvents: false
      });
      marker.bindTooltip(tip, { direction: 'top', className: 'cse-site-tooltip', opacity: 0.96 });
      entry = { marker: marker, tip: tip, site: site };
      var id = site.id;
      marker.on('click', function (e) {
        onMarkerClick(id, e);
      });
      marker.on('mousedown', function (e) {
        onMarkerMouseDown(id, e);
      });
      S.markers.set(id, entry);
      S.layer.addLayer(marker);
    } else {
      entry.site = site;
      if (!(S.drag && S.drag.id === site.id)) {
        entry.marker.setLatLng([site.lat, site.lon]);
      }
    }
    fillTooltip(entry.tip, site);
    applyStyle(entry);
    if (S.selected === site.id) {
      entry.marker.bringToFront();
    }
  }

  function removeSite(id) {
    var entry = S.markers.get(id);
    if (!entry) {
      return;
    }
    if (S.drag && S.drag.id === id) {
      endDrag(null, false);
    }
    S.layer.removeLayer(entry.marker);
    S.markers.delete(id);
    if (S.selected === id) {
      S.selected = null;
    }
  }

  function reset(data) {
    if (S.drag) {
      endDrag(null, false);
    }
    S.markers.forEach(function (entry) {
      S.layer.removeLayer(entry.marker);
    });
    S.markers.clear();
    S.models = [];
    S.modelIndex = new Map();
    ((data && data.models) || []).forEach(function (m) {
      if (m && typeof m.name === 'string' && !S.modelIndex.has(m.name)) {
        S.modelIndex.set(m.name, S.models.length);
        S.models.push({ name: m.name, restricted: !!m.restricted });
      }
    });
    ((data && data.sites) || []).forEach(upsert);
    renderLegend();
  }

  function upsertMany(list) {
    (Array.isArray(list) ? list : []).forEach(upsert);
    renderLegend();
  }

  function removeMany(ids) {
    (Array.isArray(ids) ? ids : []).forEach(function (id) {
      if (typeof id === 'string') {
        removeSite(id);
      }
    });
    renderLegend();
  }

  function setSelected(id) {
    var previous = S.selected;
    S.selected = typeof id === 'string' && id !== '' ? id : null;
    if (previous && previous !== S.selected && S.markers.has(previous)) {
      applyStyle(S.markers.get(previous));
    }
    var entry = S.selected ? S.markers.get(S.selected) : null;
    if (entry) {
      applyStyle(entry);
      entry.marker.bringToFront();
      var ll = entry.marker.getLatLng();
      if (!S.map.getBounds().pad(-0.05).contains(ll)) {
        S.map.panTo(ll);
      }
    }
  }

  /* Highlight hook: a ring on the listed sites (e.g. those inside the selected region). */
  function setHighlighted(ids) {
    var next = new Set((Array.isArray(ids) ? ids : []).filter(function (id) {
      return typeof id === 'string';
    }));
    var changed = [];
    S.highlighted.forEach(function (id) {
      if (!next.has(id)) {
        changed.push(id);
      }
    });
    next.forEach(function (id) {
      if (!S.highlighted.has(id)) {
        changed.push(id);
      }
    });
    S.highlighted = next;
    changed.forEach(function (id) {
      var entry = S.markers.get(id);
      if (entry) {
        applyStyle(entry);
      }
    });
    if (changed.length) {
      renderLegend();
    }
  }
  CSE.highlightSites = setHighlighted;

  function setMode(mode) {
    if (MODES.MODES.indexOf(mode) < 0) {
      console.warn('cse: unknown mode');
      return;
    }
    S.mode = mode;
    if (mode === 'place' && S.drag) {
      endDrag(null, false);
    }
    var container = S.map.getContainer();
    if (mode === 'place') {
      L.DomUtil.addClass(container, 'cse-place-mode');
    } else {
      L.DomUtil.removeClass(container, 'cse-place-mode');
    }
  }

  function setColorMode(mode) {
    if (MODES.COLOR_MODES.indexOf(mode) < 0) {
      console.warn('cse: unknown colour mode');
      return;
    }
    S.colorMode = mode;
    S.markers.forEach(applyStyle);
    renderLegend();
  }

  function flyTo(target) {
    if (!target || !validLonLat(target.lon, target.lat)) {
      console.warn('cse: ignoring malformed flyTo');
      return;
    }
    var zoom = isFiniteNumber(target.zoom) ? target.zoom : S.map.getZoom();
    S.map.flyTo([target.lat, target.lon], zoom, { duration: 0.6 });
  }

  /* ------------------------------------------------------------------ user input */
  function placeAt(latlng) {
    var ll = latlng.wrap();
    if (!S.connected || !validLonLat(ll.lng, ll.lat)) {
      return;
    }
    // One placement per "place" request; Python confirms with modeChanged("browse").
    setMode('browse');
    S.bridge[TO_PYTHON.MAP_CLICKED](ll.lng, ll.lat);
  }

  function onMarkerClick(id, e) {
    if (S.mode === 'place') {
      placeAt(e.latlng);
      return;
    }
    if (Date.now() - S.dragEndedAt < 400) {
      return; // the click that ends a marker drag is not a selection click
    }
    if (S.connected) {
      S.bridge[TO_PYTHON.SITE_CLICKED](id);
    }
  }

  function onMarkerMouseDown(id, e) {
    var ev = e.originalEvent;
    if (S.mode !== 'browse' || S.selected !== id || !S.connected || (ev && ev.button !== 0)) {
      return;
    }
    // Circle markers are not draggable in Leaflet: move it ourselves, with map panning
    // off, and report the drop to Python (which decides, through a command).
    S.map.dragging.disable();
    S.drag = { id: id, x: ev.clientX, y: ev.clientY, moved: false };
    document.addEventListener('mousemove', onDragMove, true);
    document.addEventListener('mouseup', onDragUp, true);
    L.DomEvent.preventDefault(ev);
  }

  function onDragMove(ev) {
    var drag = S.drag;
    if (!drag) {
      return;
    }
    if (!drag.moved && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < DRAG_THRESHOLD_PX) {
      return;
    }
    drag.moved = true;
    var entry = S.markers.get(drag.id);
    if (entry) {
      var ll = S.map.mouseEventToLatLng(ev);
      entry.marker.setLatLng(ll);
      if (CSE.cursorReadout) {
        CSE.cursorReadout.setText(CSE.formatLatLng(ll.wrap()));
      }
    }
    ev.preventDefault();
  }

  function onDragUp(ev) {
    endDrag(ev, true);
  }

  function endDrag(ev, report) {
    var drag = S.drag;
    document.removeEventListener('mousemove', onDragMove, true);
    document.removeEventListener('mouseup', onDragUp, true);
    S.map.dragging.enable();
    S.drag = null;
    if (!drag) {
      return;
    }
    var entry = S.markers.get(drag.id);
    if (!entry) {
      return;
    }
    if (!drag.moved || !report) {
      entry.marker.setLatLng([entry.site.lat, entry.site.lon]);
      return;
    }
    S.dragEndedAt = Date.now();
    var ll = (ev ? S.map.mouseEventToLatLng(ev) : entry.marker.getLatLng()).wrap();
    if (validLonLat(ll.lng, ll.lat) && S.connected) {
      entry.marker.setLatLng(ll);
      S.bridge[TO_PYTHON.SITE_MOVED](drag.id, ll.lng, ll.lat);
    } else {
      entry.marker.setLatLng([entry.site.lat, entry.site.lon]);
    }
  }

  function onMapClick(e) {
    if (S.mode === 'place') {
      placeAt(e.latlng);
    }
  }

  function onMapMouseMove(e) {
    if (!S.connected) {
      return;
    }
    var now = Date.now();
    if (now - S.lastCursorSent < CURSOR_INTERVAL_MS) {
      return;
    }
    S.lastCursorSent = now;
    var ll = e.latlng.wrap();
    if (validLonLat(ll.lng, ll.lat)) {
      S.bridge[TO_PYTHON.CURSOR_MOVED](ll.lng, ll.lat);
    }
  }

  /* ------------------------------------------------------------------ acks
   * Two signals that a message is on screen:
   * - bridge.rendered(seq): after the next animation frame, i.e. the renderer has
   *   painted the DOM with the change (the page cannot see further than that);
   * - the frame marker: a 2x2 px element in the top-left corner whose colour encodes
   *   the newest seq applied, changed in the same task as the change itself. When
   *   the Qt widget's pixels show that colour, that frame (and everything before it)
   *   has reached the widget; MapView.present_frame waits for it.
   */
  var frameMarker = null;

  function markFrame(seq) {
    if (!frameMarker) {
      frameMarker = document.createElement('div');
      frameMarker.id = 'cse-frame-seq';
      document.body.appendChild(frameMarker);
    }
    var s = seq % 4096;
    frameMarker.style.backgroundColor =
      'rgb(' + ((s >> 8) & 15) * 17 + ',' + ((s >> 4) & 15) * 17 + ',' + (s & 15) * 17 + ')';
  }

  function afterPaint(callback) {
    var done = false;
    function run() {
      if (!done) {
        done = true;
        callback();
      }
    }
    if (document.visibilityState === 'hidden') {
      // Hidden pages get no animation frames; the DOM is up to date now.
      setTimeout(run, 0);
      return;
    }
    // rAF runs just before the frame with our changes is painted; the task queued
    // from it runs once that paint is done.
    requestAnimationFrame(function () {
      setTimeout(run, 0);
    });
    setTimeout(run, ACK_FALLBACK_MS);
  }

  function scheduleAck(seq) {
    if (seq > S.ackSeq) {
      S.ackSeq = seq;
      markFrame(seq);
    }
    if (S.ackPending) {
      return;
    }
    S.ackPending = true;
    afterPaint(function () {
      S.ackPending = false;
      if (S.connected) {
        S.bridge[TO_PYTHON.RENDERED](S.ackSeq);
      }
    });
  }

  function receiver(name, apply) {
    return function (json) {
      var msg;
      try {
        msg = JSON.parse(json);
      } catch (err) {
        console.error('cse: ' + name + ' message is not JSON');
        return;
      }
      if (!msg || typeof msg !== 'object') {
        console.error('cse: ' + name + ' message is not an object');
        return;
      }
      try {
        apply(msg.data);
      } catch (err) {
        console.error('cse: applying ' + name + ' failed: ' + ((err && err.stack) || err));
      }
      if (isFiniteNumber(msg.seq) && msg.seq > 0) {
        scheduleAck(msg.seq);
      }
    };
  }

  /* ------------------------------------------------------------------ start */
  CSE.start = function (map, config) {
    config = config || {};
    COLORS = CSE.config.colors;
    WORDS = CSE.config.legend;
    MODES = CSE.config.modes;
    TO_PAGE = CSE.config.toPage;
    TO_PYTHON = CSE.config.toPython;
    S.map = map;
    S.layer = config.sitesLayer || L.featureGroup().addTo(map);
    S.basemap = {};
    (config.basemap || []).forEach(function (ref) {
      S.basemap[ref.key] = ref.layer;
    });
    S.legend = new Legend();
    S.legend.addTo(map);
    map.on('click', onMapClick);
    map.on('mousemove', onMapMouseMove);
    var plugins = CSE.plugins || [];
    plugins.forEach(function (p) {
      if (p.start) {
        p.start(map, config);
      }
    });
    // Set once per page load: tests check it to prove edits did not reload the page.
    window.CSE_LOAD_ID = String(Date.now()) + '-' + String(Math.random()).slice(2);

    if (typeof QWebChannel === 'undefined' || !window.qt || !window.qt.webChannelTransport) {
      console.warn('cse: no Qt WebChannel transport; the map is display-only');
      return;
    }
    new QWebChannel(window.qt.webChannelTransport, function (channel) {
      var bridge = channel.objects.bridge;
      if (!bridge) {
        console.error('cse: the "bridge" object is not registered on the web channel');
        return;
      }
      S.bridge = bridge;
      function listen(name, apply) {
        bridge[name].connect(receiver(name, apply));
      }
      listen(TO_PAGE.SITES_RESET, reset);
      listen(TO_PAGE.SITE_UPSERTED, upsertMany);
      listen(TO_PAGE.SITE_REMOVED, removeMany);
      listen(TO_PAGE.SELECTION_CHANGED, setSelected);
      listen(TO_PAGE.MODE_CHANGED, setMode);
      listen(TO_PAGE.COLOR_MODE_CHANGED, setColorMode);
      listen(TO_PAGE.FLY_TO, flyTo);
      listen(TO_PAGE.SYNC, function () {});
      plugins.forEach(function (p) {
        if (p.connect) {
          p.connect(bridge, listen);
        }
      });
      S.connected = true;
      bridge[TO_PYTHON.PAGE_READY]();
    });
  };

  /* ------------------------------------------------------------------ inspection
   * Read-only views of the page state for tests and automation (Python's MapView
   * calls them with runJavaScript). */
  CSE.markerState = function (id) {
    var entry = S.markers.get(id);
    if (!entry) {
      return null;
    }
    var ll = entry.marker.getLatLng();
    var o = entry.marker.options;
    var el = entry.marker.getElement ? entry.marker.getElement() : null;
    return {
      lat: ll.lat,
      lon: ll.lng,
      radius: entry.marker.getRadius(),
      tooltip_text: tooltipText(entry.tip),
      selected: S.selected === id,
      highlighted: S.highlighted.has(id),
      color: o.fillColor,
      outline: o.color,
      dashed: !!o.dashArray,
      on_map: S.map.hasLayer(entry.marker),
      drawn: !!(el && el.getAttribute('d')),
      // What the browser paints (rgb(...)), not just what Leaflet was told.
      computed_fill: el ? getComputedStyle(el).fill : null,
      computed_stroke: el ? getComputedStyle(el).stroke : null
    };
  };

  CSE.viewportPoint = function (lat, lon) {
    var p = S.map.latLngToContainerPoint([lat, lon]);
    var r = S.map.getContainer().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y, width: window.innerWidth, height: window.innerHeight };
  };

  CSE.markerPoint = function (id) {
    var entry = S.markers.get(id);
    if (!entry) {
      return null;
    }
    var ll = entry.marker.getLatLng();
    return CSE.viewportPoint(ll.lat, ll.lng);
  };

  CSE.pageState = function () {
    var basemap = {};
    Object.keys(S.basemap).forEach(function (key) {
      var layer = S.basemap[key];
      basemap[key] = { features: layer.getLayers().length, on_map: S.map.hasLayer(layer) };
    });
    var labels = [];
    var spans = document.querySelectorAll('.leaflet-control-layers-overlays label span span');
    for (var i = 0; i < spans.length; i++) {
      labels.push(spans[i].textContent.trim());
    }
    var townLabels = 0;
    var townDots = 0;
    if (S.basemap.towns) {
      S.basemap.towns.eachLayer(function (t) {
        if (t.visibleParts) {
          var v = t.visibleParts();
          townLabels += v.label ? 1 : 0;
          townDots += v.dot ? 1 : 0;
        }
      });
    }
    return {
      connected: S.connected,
      sites: S.markers.size,
      selected: S.selected,
      mode: S.mode,
      color_mode: S.colorMode,
      zoom: S.map.getZoom(),
      basemap: basemap,
      layer_control: labels,
      town_dots: townDots,
      town_labels: townLabels,
      readout: CSE.cursorReadout ? CSE.cursorReadout._div.textContent : null,
      legend: S.legend && S.legend._div ? S.legend._div.textContent : null,
      load_id: window.CSE_LOAD_ID
    };
  };
})();
