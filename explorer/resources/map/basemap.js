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
 *   CSE.setupBasemap(map, cfg)     the basemap's layers (countries, provinces, lakes,
 *                                  towns, physical labels) from one JSON string,
 *                                  drawn on canvases (below); CSE.basemapLayers lists
 *                                  them for the layer switcher and the pick tool
 *   CSE.pageTowns()                every town (tests read which show a dot or a name)
 *   CSE.basemap.polygonCanvas      the polygons' canvas (lastDrawn: what its last
 *                                  paint drew, for tests)
 *   CSE.textElement(tag, cls, txt) DOM element whose text is set with textContent
 *   CSE.escapeHtml(text)           text as an HTML string, for the places Leaflet
 *                                  insists on one (attribution, layer-switcher names)
 * Small helpers shared by the other map scripts (this file loads first):
 *   CSE.isFiniteNumber(x)          a number, and finite
 *   CSE.clampLatLng(latlng)        wrapped, latitude clamped to Web Mercator's range
 *   CSE.polygonLatLngs(polygons)   [[exterior, hole...], ...] of [lon, lat] ->
 *                                  Leaflet multipolygon latlngs
 *   CSE.placeCanvas(canvas, b)     a renderer's canvas over its bounds, in device pixels
 *
 * Town names are drawn on a canvas (fillText: text, never markup); all other basemap
 * and user text reaches the DOM through textContent, never innerHTML;
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
   * The basemap's own layers, drawn on canvases from data Python puts in the page once
   * (CSE.setupBasemap; one JSON string, parsed here): no Leaflet layer, SVG path or DOM
   * element per feature. A canvas is repainted whole when the view settles (moveend,
   * resize) and is scaled by CSS while a zoom animates, like Leaflet's own renderers;
   * it is sized in device pixels (window.devicePixelRatio), so print snapshots, which
   * raise the ratio, are drawn sharp.
   *
   * DeviceCanvas     a Leaflet renderer that paints nothing of Leaflet's: on each paint
   *                  it calls its _draw(ctx) with the canvas in layer pixels
   * PolygonCanvas    the shared canvas of the polygon layers (countries, provinces,
   *                  lakes), in the overlay pane. Each feature is a Path2D made once, in
   *                  world pixels at zoom 0 relative to its own corner, and drawn at
   *                  any zoom by a transform (no per-vertex work in script after start)
   * PolygonLayer     one layer of the switcher; adds itself to / removes itself from
   *                  the shared canvas
   * TownsLayer       towns: a dot once the zoom reaches the town's min_zoom, and its name
   *                  unless that would overlap a more important town's name (smaller
   *                  min_zoom first, then larger population), for towns in and around
   *                  the view only; names in a white halo
   * Physical labels (deserts, basins, ranges: a dozen) stay DOM markers.
   */
  var PAINT_PAD = 0.1;
  var isFiniteNumber = CSE.isFiniteNumber;

  /* Put a renderer's canvas over its bounds (layer pixels) and size it in device pixels
   * (window.devicePixelRatio: print snapshots raise it, so they are drawn sharp); a new
   * backing store only when the size changes. Returns the ratio used. */
  CSE.placeCanvas = function (canvas, bounds) {
    var size = bounds.getSize();
    var dpr = window.devicePixelRatio || 1;
    L.DomUtil.setPosition(canvas, bounds.min);
    var w = Math.max(1, Math.round(size.x * dpr));
    var h = Math.max(1, Math.round(size.y * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    canvas.style.width = size.x + 'px';
    canvas.style.height = size.y + 'px';
    return dpr;
  };

  var DeviceCanvas = L.Renderer.extend({
    /* settleFrames: repaint that many frames after the view settles rather than in the
     * same frame (until then Leaflet keeps showing the last picture, scaled): the last
     * frame of a zoom step repaints the sites, the next the polygons, the one after the
     * towns, so no one frame rasterises all three. The page runs a pending repaint
     * before it tells Python a message is on screen (CSE.basemap.flushPaints).
     * deferFirstPaint: the first paint waits its settleFrames too (the towns: their
     * names are the page's costliest paint, and the page's first frame, which the map's
     * connection to Python waits behind, is then drawn without them). */
    options: { padding: PAINT_PAD, settleFrames: 0, deferFirstPaint: false },

    _initContainer: function () {
      var canvas = (this._container = document.createElement('canvas'));
      canvas.className = 'cse-basemap-canvas';
      this._ctx = canvas.getContext('2d');
      this.paints = 0;
    },

    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      delete this._container;
      delete this._ctx;
    },

    /* Leaflet's renderer calls this on 'update'; this renderer holds no Leaflet paths. */
    _updatePaths: function () {},

    /* A zoom or move before a deferred first paint: nothing drawn yet, nothing to move
     * (Leaflet's own would read the centre of a paint that has not happened). */
    _updateTransform: function (center, zoom) {
      if (this._center) {
        L.Renderer.prototype._updateTransform.call(this, center, zoom);
      }
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) {
        return;
      }
      var first = !this._bounds;
      if (!this.options.settleFrames || (first && !this.options.deferFirstPaint)) {
        this._updateNow();
        return;
      }
      if (this._pending) {
        return;
      }
      var self = this;
      var left = this.options.settleFrames;
      var pending = (this._pending = {
        run: function () {
          self._pending = null;
          if (self._map) {
            self._updateNow();
          }
        },
        tick: function () {
          left -= 1;
          if (left > 0) {
            pending.id = requestAnimationFrame(pending.tick);
          } else {
            pending.run();
          }
        }
      });
      pending.id = requestAnimationFrame(pending.tick);
    },

    flushPaint: function () {
      if (this._pending) {
        cancelAnimationFrame(this._pending.id);
        this._pending.run();
      }
    },

    onRemove: function (map) {
      if (this._pending) {
        cancelAnimationFrame(this._pending.id);
        this._pending = null;
      }
      L.Renderer.prototype.onRemove.call(this, map);
    },

    _updateNow: function () {
      L.Renderer.prototype._update.call(this);
      this._dpr = CSE.placeCanvas(this._container, this._bounds);
      this.redraw();
    },

    redraw: function () {
      if (!this._map || !this._bounds || !this._ctx) {
        return;
      }
      var ctx = this._ctx;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._container.width, this._container.height);
      this._draw(ctx, this._dpr, this._bounds);
      this.paints += 1;
    }
  });

  /* World pixels at zoom 0 (Web Mercator, 256 across) of a [lon, lat] pair: Leaflet's
   * CRS.latLngToPoint(latLng, 0), the same arithmetic in the same order (so the same
   * numbers), written into out[k], out[k + 1] without making a LatLng and two Points per
   * vertex (tens of thousands of them while the page loads). */
  var CRS = L.CRS.EPSG3857;
  var MERCATOR = L.Projection.SphericalMercator;
  var TO_WORLD = 0.5 / (Math.PI * MERCATOR.R);
  var WORLD_SIZE = CRS.scale(0);
  var RADIANS = Math.PI / 180;
  function projectInto(out, k, lon, lat) {
    var max = MERCATOR.MAX_LATITUDE;
    var sin = Math.sin(Math.max(Math.min(max, lat), -max) * RADIANS);
    out[k] = WORLD_SIZE * (TO_WORLD * (MERCATOR.R * lon * RADIANS) + 0.5);
    out[k + 1] = WORLD_SIZE * (-TO_WORLD * ((MERCATOR.R * Math.log((1 + sin) / (1 - sin))) / 2) + 0.5);
  }

  /* A feature's polygons ([[exterior, hole...], ...] of [lon, lat]) as one Path2D
   * relative to the corner of its box, with the box (world pixels at zoom 0). */
  function polygonShape(polygons) {
    var pts = [];
    var minX = Infinity;
    var minY = Infinity;
    var maxX = -Infinity;
    var maxY = -Infinity;
    polygons.forEach(function (rings) {
      rings.forEach(function (ring) {
        var out = new Float64Array(ring.length * 2);
        for (var i = 0; i < ring.length; i++) {
          projectInto(out, 2 * i, ring[i][0], ring[i][1]);
          var x = out[2 * i];
          var y = out[2 * i + 1];
          minX = x < minX ? x : minX;
          maxX = x > maxX ? x : maxX;
          minY = y < minY ? y : minY;
          maxY = y > maxY ? y : maxY;
        }
        pts.push(out);
      });
    });
    var path = new Path2D();
    pts.forEach(function (ring) {
      for (var i = 0; i < ring.length; i += 2) {
        if (i === 0) {
          path.moveTo(ring[i] - minX, ring[i + 1] - minY);
        } else {
          path.lineTo(ring[i] - minX, ring[i + 1] - minY);
        }
      }
      path.closePath();
    });
    return { path: path, x0: minX, y0: minY, x1: maxX, y1: maxY };
  }

  var PolygonCanvas = DeviceCanvas.extend({
    initialize: function (options) {
      DeviceCanvas.prototype.initialize.call(this, options);
      this._shown = [];
      this.lastDrawn = [];
    },

    show: function (layer, map) {
      if (this._shown.indexOf(layer) < 0) {
        this._shown.push(layer);
        this._shown.sort(function (a, b) {
          return a.order - b.order;
        });
      }
      if (!this._map) {
        map.addLayer(this);
      } else {
        this.redraw();
      }
    },

    hide: function (layer) {
      this._shown = this._shown.filter(function (l) {
        return l !== layer;
      });
      if (this._map) {
        this.redraw();
      }
    },

    _draw: function (ctx, dpr, b) {
      var map = this._map;
      var scale = map.getZoomScale(this._zoom, 0); // world pixels at zoom 0 -> at this zoom
      var origin = map.getPixelOrigin();
      // The canvas' area in world pixels at zoom 0, to skip features outside it.
      var vx0 = (origin.x + b.min.x) / scale;
      var vy0 = (origin.y + b.min.y) / scale;
      var vx1 = (origin.x + b.max.x) / scale;
      var vy1 = (origin.y + b.max.y) / scale;
      var drawn = [];
      ctx.lineJoin = 'round';
      ctx.lineCap = 'round';
      this._shown.forEach(function (layer) {
        layer.features.forEach(function (f) {
          var s = f.shape;
          if (s.x1 < vx0 || s.x0 > vx1 || s.y1 < vy0 || s.y0 > vy1) {
            return;
          }
          var st = f.style;
          var k = dpr * scale;
          ctx.setTransform(k, 0, 0, k, dpr * (s.x0 * scale - origin.x - b.min.x), dpr * (s.y0 * scale - origin.y - b.min.y));
          if (st.fillOpacity > 0) {
            ctx.globalAlpha = st.fillOpacity;
            ctx.fillStyle = st.fillColor;
            ctx.fill(s.path, 'evenodd');
          }
          if (st.weight > 0) {
            ctx.globalAlpha = st.opacity;
            ctx.strokeStyle = st.color;
            ctx.lineWidth = st.weight / scale;
            ctx.setLineDash(st.dash.map(function (d) {
              return d / scale;
            }));
            ctx.stroke(s.path);
          }
          drawn.push({ layer: layer.key, weight: st.weight, color: st.color });
        });
      });
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);
      this.lastDrawn = drawn;
    }
  });

  /* A style from Python (Leaflet path option names) with the defaults Leaflet uses. */
  function pathStyle(style) {
    var dash = typeof style.dashArray === 'string' ? style.dashArray.split(/[ ,]+/).map(Number) : [];
    return {
      color: String(style.color || '#3388ff'),
      weight: isFiniteNumber(style.weight) ? style.weight : 3,
      opacity: isFiniteNumber(style.opacity) ? style.opacity : 1,
      fillColor: String(style.fillColor || style.color || '#3388ff'),
      fillOpacity: isFiniteNumber(style.fillOpacity) ? style.fillOpacity : 0.2,
      dash: dash.every(isFinite) ? dash : []
    };
  }

  var PolygonLayer = L.Layer.extend({
    initialize: function (spec, order, canvas) {
      var styles = {};
      Object.keys(spec.styles).forEach(function (name) {
        styles[name] = pathStyle(spec.styles[name]);
      });
      this.key = spec.key;
      this.order = order;
      this._canvas = canvas;
      this.features = spec.features.map(function (f) {
        return {
          shape: polygonShape(f.polygons),
          style: styles[f.style] || styles['default'],
          name: typeof f.name === 'string' ? f.name : '',
          polygons: f.polygons
        };
      });
      this._areas = null;
    },
    /* Each feature as an area the pick tool reads like a Leaflet polygon (getBounds,
     * getLatLngs, feature.properties.name); made on first use. */
    eachLayer: function (fn) {
      if (!this._areas) {
        this._areas = this.features.map(function (f) {
          var latlngs = null;
          var bounds = L.latLngBounds(
            CRS.pointToLatLng(L.point(f.shape.x0, f.shape.y1), 0),
            CRS.pointToLatLng(L.point(f.shape.x1, f.shape.y0), 0)
          );
          return {
            feature: { properties: { name: f.name } },
            getBounds: function () {
              return bounds;
            },
            getLatLngs: function () {
              latlngs = latlngs || CSE.polygonLatLngs(f.polygons);
              return latlngs;
            }
          };
        });
      }
      this._areas.forEach(fn);
    },
    onAdd: function (map) {
      this._canvas.show(this, map);
    },
    onRemove: function () {
      this._canvas.hide(this);
    },
    featureCount: function () {
      return this.features.length;
    }
  });

  var LABEL_HEIGHT_PX = 14;
  var GRID_PX = 64;
  var TOWN_FONT = '10.5px "Helvetica Neue", "Segoe UI", Arial, sans-serif';
  var HALO = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]];
  var MAJOR_TOWN_FONT = '600 11.5px "Helvetica Neue", "Segoe UI", Arial, sans-serif';

  var TownsLayer = DeviceCanvas.extend({
    /* columns: {name, lon, lat, population, min_zoom}, one entry per town. */
    initialize: function (spec, options) {
      DeviceCanvas.prototype.initialize.call(this, options);
      var c = spec.columns;
      var n = c.name.length;
      this.key = spec.key;
      this._n = n;
      this._names = c.name.map(function (v) {
        return typeof v === 'string' ? v : '';
      });
      this._wx = new Float64Array(n);
      this._wy = new Float64Array(n);
      this._minZoom = new Float64Array(n);
      this._major = new Uint8Array(n);
      this._width = new Float64Array(n).fill(NaN); // label widths, measured on first use
      this._dot = new Uint8Array(n);
      this._label = new Uint8Array(n);
      var population = new Float64Array(n);
      var q = new Float64Array(2);
      for (var i = 0; i < n; i++) {
        projectInto(q, 0, c.lon[i], c.lat[i]);
        this._wx[i] = q[0];
        this._wy[i] = q[1];
        var mz = Number(c.min_zoom[i]);
        this._minZoom[i] = c.min_zoom[i] !== null && isFinite(mz) ? mz : TOWN_LABEL_DEFAULT_MIN_ZOOM;
        var pop = Number(c.population[i]);
        population[i] = c.population[i] !== null && isFinite(pop) ? pop : 0;
        this._major[i] = population[i] >= 1000000 ? 1 : 0;
      }
      this._lat = c.lat;
      this._lon = c.lon;
      // The order names claim space in: smaller min_zoom first, then larger population.
      var minZoom = this._minZoom;
      this._rank = Array.from({ length: n }, function (_, i) {
        return i;
      }).sort(function (a, b) {
        return minZoom[a] - minZoom[b] || population[b] - population[a] || a - b;
      });
    },

    featureCount: function () {
      return this._n;
    },

    _labelWidth: function (ctx, i) {
      if (isNaN(this._width[i])) {
        ctx.font = this._major[i] ? MAJOR_TOWN_FONT : TOWN_FONT;
        this._width[i] = ctx.measureText(this._names[i]).width;
      }
      return this._width[i];
    },

    /* Which towns get a dot and a name at this view (this._dot, this._label). */
    _declutter: function (ctx, scale) {
      var zoom = this._zoom;
      var view = this._map.getPixelBounds();
      var pad = view.getSize().multiplyBy(0.5); // the view and half of it again each side
      var x0 = view.min.x - pad.x;
      var y0 = view.min.y - pad.y;
      var x1 = view.max.x + pad.x;
      var y1 = view.max.y + pad.y;
      var grid = new Map();
      this._dot.fill(0);
      this._label.fill(0);
      for (var r = 0; r < this._n; r++) {
        var i = this._rank[r];
        if (zoom < this._minZoom[i]) {
          continue;
        }
        var px = this._wx[i] * scale;
        var py = this._wy[i] * scale;
        if (px < x0 || px > x1 || py < y0 || py > y1) {
          continue;
        }
        this._dot[i] = 1;
        if (this._names[i] === '') {
          continue;
        }
        var rect = {
          x1: px - 3,
          y1: py - LABEL_HEIGHT_PX / 2,
          x2: px + 6 + this._labelWidth(ctx, i),
          y2: py + LABEL_HEIGHT_PX / 2
        };
        var keys = [];
        for (var gx = Math.floor(rect.x1 / GRID_PX); gx <= Math.floor(rect.x2 / GRID_PX); gx++) {
          for (var gy = Math.floor(rect.y1 / GRID_PX); gy <= Math.floor(rect.y2 / GRID_PX); gy++) {
            keys.push(gx + ':' + gy);
          }
        }
        var free = keys.every(function (k) {
          var bucket = grid.get(k);
          return !bucket || bucket.every(function (o) {
            return !(rect.x1 < o.x2 && o.x1 < rect.x2 && rect.y1 < o.y2 && o.y1 < rect.y2);
          });
        });
        if (free) {
          this._label[i] = 1;
          keys.forEach(function (k) {
            if (!grid.has(k)) {
              grid.set(k, []);
            }
            grid.get(k).push(rect);
          });
        }
      }
    },

    _draw: function (ctx, dpr, b) {
      var map = this._map;
      var scale = map.getZoomScale(this._zoom, 0);
      var origin = map.getPixelOrigin();
      ctx.setTransform(dpr, 0, 0, dpr, -dpr * (origin.x + b.min.x), -dpr * (origin.y + b.min.y));
      this._declutter(ctx, scale);
      var i;
      // Dots (in absolute pixels at this zoom; the transform takes them to the canvas).
      ctx.strokeStyle = '#5d5d5d';
      ctx.fillStyle = '#ffffff';
      ctx.lineWidth = 0.8;
      ctx.globalAlpha = 1;
      for (i = 0; i < this._n; i++) {
        if (this._dot[i]) {
          ctx.beginPath();
          ctx.arc(this._wx[i] * scale, this._wy[i] * scale, this._major[i] ? 2.8 : 2.0, 0, 2 * Math.PI);
          ctx.fill();
          ctx.globalAlpha = 0.9;
          ctx.stroke();
          ctx.globalAlpha = 1;
        }
      }
      // Names above every dot, each in a white halo: the name filled in white at eight
      // one-pixel offsets, then in grey (glyphs drawn from the font cache; stroking
      // the text made every glyph a path and was most of a zoom step's last frame).
      // Minor towns first, then major: the font is set once per pass.
      ctx.textBaseline = 'middle';
      for (var major = 0; major <= 1; major++) {
        ctx.font = major ? MAJOR_TOWN_FONT : TOWN_FONT;
        for (var pass = 0; pass < 2; pass++) {
          ctx.fillStyle = pass === 0 ? 'rgba(255, 255, 255, 0.85)' : major ? '#3a3a3a' : '#4a4a4a';
          for (i = 0; i < this._n; i++) {
            if (!this._label[i] || this._major[i] !== major) {
              continue;
            }
            var x = this._wx[i] * scale + 4;
            var y = this._wy[i] * scale - 2;
            if (pass === 0) {
              for (var k = 0; k < HALO.length; k++) {
                ctx.fillText(this._names[i], x + HALO[k][0], y + HALO[k][1]);
              }
            } else {
              ctx.fillText(this._names[i], x, y);
            }
          }
        }
      }
    },

    /* Every town as {_latlng, name, visibleParts()} (tests: which have a dot or a name). */
    towns: function () {
      var self = this;
      return this._names.map(function (name, i) {
        return {
          _latlng: L.latLng(self._lat[i], self._lon[i]),
          name: name,
          visibleParts: function () {
            var on = !!self._map;
            return { dot: on && self._dot[i] === 1, label: on && self._label[i] === 1 };
          }
        };
      });
    }
  });

  function physicalLabels(spec) {
    var c = spec.columns;
    var group = L.layerGroup();
    c.name.forEach(function (name, i) {
      var kind = PHYSICAL_KINDS[c.kind[i]] === true ? c.kind[i] : 'other';
      L.marker([c.lat[i], c.lon[i]], {
        pane: 'cse-labels',
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: 'cse-physical-label cse-kind-' + kind,
          html: textElement('span', '', typeof name === 'string' ? name : ''),
          iconSize: null
        })
      }).addTo(group);
    });
    group.featureCount = function () {
      return group.getLayers().length;
    };
    return group;
  }

  /*
   * CSE.setupBasemap(map, {layers}): layers is one JSON string from Python
   * (explorer/web/page.py basemap_page_data): [{key, label, draw, ...}] in the layer
   * switcher's order, draw = 'polygons' ({styles, features: [{style, polygons}]}),
   * 'towns' or 'labels' ({columns}). Every layer is shown; CSE.basemapLayers lists them
   * as [{key, label, layer}] for CSE.start (the layer switcher, the page state).
   */
  CSE.basemapLayers = [];
  CSE.setupBasemap = function (map, config) {
    var specs = JSON.parse(config.layers);
    var polygons = new PolygonCanvas({ pane: 'overlayPane', settleFrames: 1 });
    CSE.basemap.polygonCanvas = polygons;
    specs.forEach(function (spec, order) {
      var layer = null;
      if (spec.draw === 'polygons') {
        layer = new PolygonLayer(spec, order, polygons);
      } else if (spec.draw === 'towns') {
        layer = new TownsLayer(spec, { pane: 'cse-towns', settleFrames: 2, deferFirstPaint: true });
        CSE.basemap.towns = layer;
      } else if (spec.draw === 'labels') {
        layer = physicalLabels(spec);
      } else {
        console.warn('cse: unknown basemap layer kind ' + String(spec.draw));
        return;
      }
      layer.addTo(map);
      CSE.basemapLayers.push({ key: String(spec.key), label: String(spec.label), layer: layer });
    });
  };

  /* Run the basemap canvases' pending repaints now (see DeviceCanvas settleFrames). */
  basemap.flushPaints = function () {
    [basemap.polygonCanvas, basemap.towns].forEach(function (c) {
      if (c) {
        c.flushPaint();
      }
    });
  };

  /* Every town (tests read which have a dot or a name now). */
  CSE.pageTowns = function () {
    return basemap.towns ? basemap.towns.towns() : [];
  };
})();
