/*
 * Compute Site Explorer — basemap helpers for the map page.
 *
 * Loaded before the folium-generated script. Provides:
 *   CSE.setupMap(map, config)      panes, metric scale bar, attribution, province note,
 *                                  cursor lat/lon readout (called right after L.map);
 *                                  sets CSE.config (below)
 *   CSE.config                     the page's settings from Python (explorer/web/page.py
 *                                  page_config): message names (toPage, toPython),
 *                                  modes, limits, colors, regions (styles), legend
 *                                  (words). Read-only; reading a name it does not have
 *                                  throws, so a misspelt name fails loudly instead of
 *                                  giving undefined. The other scripts read it when
 *                                  they start (CSE.start), never at load time.
 *   CSE.basemap.townPoint          pointToLayer for towns: dot and label from min_zoom,
 *                                  labels decluttered (bigger towns win), for towns
 *                                  near the view only; dots on one canvas
 *   CSE.pageTowns()                every town marker (tests read what each shows)
 *   CSE.basemap.physicalPoint      pointToLayer for physical labels (italic text)
 *   CSE.textElement(tag, cls, txt) DOM element whose text is set with textContent
 *   CSE.escapeHtml(text)           text as an HTML string, for the places Leaflet
 *                                  insists on one (attribution, layer-switcher names)
 * Small helpers shared by the other map scripts (this file loads first):
 *   CSE.isFiniteNumber(x)          a number, and finite
 *   CSE.clampLatLng(latlng)        wrapped, latitude clamped to Web Mercator's range
 *   CSE.polygonLatLngs(polygons)   [[exterior, hole...], ...] of [lon, lat] ->
 *                                  Leaflet multipolygon latlngs
 *
 * All basemap and user text reaches the DOM through textContent, never innerHTML;
 * where Leaflet only takes an HTML string, the text goes through CSE.escapeHtml.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var basemap = (CSE.basemap = {});

  /* Pane stacking: basemap polygons live in Leaflet's overlayPane (z 400). */
  var PANES = [
    ['cse-towns', 410],
    ['cse-labels', 420],
    ['cse-sites', 450]
  ];
  var PHYSICAL_KINDS = { desert: true, basin: true, range: true, plateau: true };
  var TOWN_LABEL_DEFAULT_MIN_ZOOM = 7;

  function textElement(tag, className, text) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    el.textContent = text === null || text === undefined ? '' : String(text);
    return el;
  }
  CSE.textElement = textElement;

  /* For the places Leaflet insists on an HTML string (attribution, layer-switcher names). */
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  }
  CSE.escapeHtml = escapeHtml;

  CSE.isFiniteNumber = function (x) {
    return typeof x === 'number' && isFinite(x);
  };

  /* A frozen copy of a parsed JSON object whose unknown names throw when read. */
  function strict(value, path) {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    if (Array.isArray(value)) {
      return Object.freeze(value.map(function (v, i) {
        return strict(v, path + '[' + i + ']');
      }));
    }
    var copy = {};
    Object.keys(value).forEach(function (key) {
      copy[key] = strict(value[key], path + '.' + key);
    });
    return new Proxy(Object.freeze(copy), {
      get: function (target, key) {
        // toJSON: JSON.stringify asks for it (tests read CSE.config as JSON).
        if (typeof key === 'string' && key !== 'toJSON' && !(key in target)) {
          throw new Error('cse: ' + path + ' has no "' + key + '"');
        }
        return target[key];
      }
    });
  }

  CSE.clampLatLng = function (latlng) {
    var maxLat = CSE.config.limits.MERCATOR_MAX_LAT; // Web Mercator's limit
    var ll = latlng.wrap();
    return L.latLng(Math.max(-maxLat, Math.min(maxLat, ll.lat)), ll.lng);
  };

  /* [[exterior, hole...], ...] of [lon, lat] -> Leaflet multipolygon latlngs. */
  CSE.polygonLatLngs = function (polygons) {
    return polygons.map(function (rings) {
      return rings.map(function (ring) {
        return ring.map(function (c) {
          return L.latLng(c[1], c[0]);
        });
      });
    });
  };

  function formatLatLng(latlng) {
    var lat = latlng.lat;
    var lng = latlng.lng;
    var ns = lat >= 0 ? 'N' : 'S';
    var ew = lng >= 0 ? 'E' : 'W';
    return Math.abs(lat).toFixed(4) + '\u00b0 ' + ns + '  ' + Math.abs(lng).toFixed(4) + '\u00b0 ' + ew;
  }
  CSE.formatLatLng = formatLatLng;

  var TextControl = L.Control.extend({
    options: { position: 'bottomleft', className: '', text: '' },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-control ' + this.options.className);
      div.textContent = this.options.text;
      this._div = div;
      return div;
    },
    setText: function (text) {
      if (this._div) {
        this._div.textContent = text;
      }
    }
  });

  CSE.setupMap = function (map, config) {
    config = config || {};
    CSE.config = strict(JSON.parse(config.settings), 'CSE.config');
    CSE.map = map;
    PANES.forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = String(p[1]);
      if (p[0] !== 'cse-sites') {
        pane.style.pointerEvents = 'none';
      }
    });
    map.attributionControl.setPrefix('Leaflet');
    if (config.attribution) {
      map.attributionControl.addAttribution(escapeHtml(config.attribution));
    }
    L.control.scale({ metric: true, imperial: false, position: 'bottomleft', maxWidth: 140 }).addTo(map);
    if (config.provinceNote) {
      new TextControl({ className: 'cse-note', text: config.provinceNote }).addTo(map);
    }
    var readout = new TextControl({ position: 'bottomright', className: 'cse-readout', text: '\u2014' });
    readout.addTo(map);
    CSE.cursorReadout = readout;
    map.on('mousemove', function (e) {
      readout.setText(formatLatLng(e.latlng.wrap()));
    });
    map.on('mouseout', function () {
      readout.setText('\u2014');
    });
  };

  /*
   * Towns. Each town is a TownMarker: a dot once the zoom reaches its min_zoom, and a
   * name label from then on too unless it would overlap a more important town's label
   * (larger population wins). One declutter pass runs once the view settles (moveend:
   * after every zoom and pan), for the towns in and around the view only: the others
   * have neither dot nor label in the page. (Putting all 3,300 towns' dots and labels in
   * the page made every zoom step of the map take hundreds of milliseconds.)
   */
  var townsOnMap = new Set();
  var declutterScheduled = false;
  var LABEL_CHAR_PX = 6.2;
  var LABEL_HEIGHT_PX = 14;
  var GRID_PX = 64;

  function scheduleDeclutter() {
    if (declutterScheduled) {
      return;
    }
    declutterScheduled = true;
    setTimeout(function () {
      declutterScheduled = false;
      declutterTowns();
    }, 0);
  }

  function declutterTowns() {
    var towns = Array.from(townsOnMap);
    if (!towns.length) {
      return;
    }
    var map = towns[0]._owner;
    var zoom = map.getZoom();
    // The view and half of it again on every side, in pixels at this zoom.
    var view = map.getPixelBounds();
    var pad = view.getSize().multiplyBy(0.5);
    var near = L.bounds(view.min.subtract(pad), view.max.add(pad));
    towns.sort(function (a, b) {
      return a._minZoom - b._minZoom || b._population - a._population;
    });
    var grid = new Map();
    function cells(r) {
      var out = [];
      for (var gx = Math.floor(r.x1 / GRID_PX); gx <= Math.floor(r.x2 / GRID_PX); gx++) {
        for (var gy = Math.floor(r.y1 / GRID_PX); gy <= Math.floor(r.y2 / GRID_PX); gy++) {
          out.push(gx + ':' + gy);
        }
      }
      return out;
    }
    function overlaps(a, b) {
      return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
    }
    towns.forEach(function (town) {
      var p = map.project(town._latlng, zoom);
      var dot = zoom >= town._minZoom && near.contains(p);
      var label = false;
      if (dot && town._townName !== '') {
        var w = town._townName.length * LABEL_CHAR_PX * (town._major ? 1.1 : 1);
        var rect = { x1: p.x - 3, y1: p.y - LABEL_HEIGHT_PX / 2, x2: p.x + 6 + w, y2: p.y + LABEL_HEIGHT_PX / 2 };
        var keys = cells(rect);
        label = keys.every(function (k) {
          var bucket = grid.get(k);
          return !bucket || bucket.every(function (other) {
            return !overlaps(rect, other);
          });
        });
        if (label) {
          keys.forEach(function (k) {
            if (!grid.has(k)) {
              grid.set(k, []);
            }
            grid.get(k).push(rect);
          });
        }
      }
      town._show(dot, label);
    });
  }
  basemap.declutterTowns = declutterTowns;
  /* Every town marker of the page (for tests: which have a dot or a label now). */
  CSE.pageTowns = function () {
    return Array.from(townsOnMap);
  };

  /* Town dots on one canvas (a thousand SVG circles made each zoom step slow), drawn at
   * the page's real device pixel ratio so print snapshots stay sharp (Leaflet's own
   * canvas renderer draws at 1x or 2x only). */
  var SharpCanvas = L.Canvas.extend({
    _update: function () {
      if (this._map._animatingZoom && this._bounds) {
        return;
      }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds;
      var container = this._container;
      var size = b.getSize();
      var m = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(container, b.min);
      container.width = Math.round(m * size.x);
      container.height = Math.round(m * size.y);
      container.style.width = size.x + 'px';
      container.style.height = size.y + 'px';
      this._ctx.setTransform(m, 0, 0, m, -b.min.x * m, -b.min.y * m);
      this.fire('update');
    }
  });
  var townCanvas = null;
  function townRenderer() {
    if (!townCanvas) {
      townCanvas = new SharpCanvas({ pane: 'cse-towns', padding: 0.1 });
    }
    return townCanvas;
  }

  var TownMarker = L.Layer.extend({
    initialize: function (latlng, props) {
      this._latlng = latlng;
      this._townName = typeof props.name === 'string' ? props.name : '';
      var mz = Number(props.min_zoom);
      this._minZoom = isFinite(mz) ? mz : TOWN_LABEL_DEFAULT_MIN_ZOOM;
      var pop = Number(props.population);
      this._population = isFinite(pop) ? pop : 0;
      this._major = this._population >= 1000000;
      this._dot = null;
      this._label = null;
      this._owner = null;
    },
    onAdd: function (map) {
      this._owner = map;
      townsOnMap.add(this);
      if (townsOnMap.size === 1) {
        map.on('moveend', scheduleDeclutter);
      }
      scheduleDeclutter();
    },
    onRemove: function (map) {
      this._show(false, false);
      townsOnMap.delete(this);
      if (townsOnMap.size === 0) {
        map.off('moveend', scheduleDeclutter);
      }
      this._owner = null;
    },
    _show: function (dot, label) {
      var map = this._owner;
      if (!map) {
        return;
      }
      if (dot && !this._dot) {
        this._dot = L.circleMarker(this._latlng, {
          pane: 'cse-towns',
          renderer: townRenderer(),
          interactive: false,
          radius: this._major ? 2.8 : 2.0,
          color: '#5d5d5d',
          weight: 0.8,
          opacity: 0.9,
          fillColor: '#ffffff',
          fillOpacity: 1
        });
      }
      if (this._dot) {
        if (dot && !map.hasLayer(this._dot)) {
          map.addLayer(this._dot);
        } else if (!dot && map.hasLayer(this._dot)) {
          map.removeLayer(this._dot);
        }
      }
      if (label && !this._label) {
        this._label = L.marker(this._latlng, {
          pane: 'cse-labels',
          interactive: false,
          keyboard: false,
          icon: L.divIcon({
            className: 'cse-town-label' + (this._major ? ' cse-town-major' : ''),
            html: textElement('span', '', this._townName),
            iconSize: null
          })
        });
      }
      if (this._label) {
        if (label && !map.hasLayer(this._label)) {
          map.addLayer(this._label);
        } else if (!label && map.hasLayer(this._label)) {
          map.removeLayer(this._label);
        }
      }
    },
    /* For tests: is the dot / label on the map now? */
    visibleParts: function () {
      var map = this._owner;
      return {
        dot: !!(map && this._dot && map.hasLayer(this._dot)),
        label: !!(map && this._label && map.hasLayer(this._label))
      };
    }
  });

  basemap.townPoint = function (feature, latlng) {
    return new TownMarker(latlng, (feature && feature.properties) || {});
  };

  basemap.physicalPoint = function (feature, latlng) {
    var props = (feature && feature.properties) || {};
    var kind = PHYSICAL_KINDS[props.kind] === true ? props.kind : 'other';
    return L.marker(latlng, {
      pane: 'cse-labels',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({
        className: 'cse-physical-label cse-kind-' + kind,
        html: textElement('span', '', typeof props.name === 'string' ? props.name : ''),
        iconSize: null
      })
    });
  };
})();
