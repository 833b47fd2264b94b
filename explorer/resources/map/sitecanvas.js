/*
 * Compute Site Explorer — one canvas for every site marker, group and campus line.
 *
 * CSE.SiteCanvas is a Leaflet renderer (L.Renderer: it is placed, scaled during zoom
 * animations and sized like Leaflet's own canvas renderer) that draws no Leaflet
 * layers: on every paint it calls options.paint(ctx, view), which draws whatever it
 * wants in layer pixels and returns the items it drew ([{kind, key, x, y, r}...], in
 * drawing order). Those items are indexed on a grid of screen cells, so finding what
 * is under the mouse (hit) costs a few comparisons however many sites there are.
 *
 * A paint happens when the view settles (moveend, zoomend), while the map is panned
 * in the frame where the view leaves the area last painted (the view and a tenth of it
 * again on every side; the new paint is around the view as it is then), and on
 * requestPaint() after a data change (coalesced to one per frame). While a zoom
 * animates, the last picture is scaled by CSS like Leaflet's renderers do. The canvas
 * is sized in device pixels (window.devicePixelRatio), so print snapshots, which raise
 * the ratio, are drawn sharp.
 *
 * The canvas takes no pointer events (map.css): sites.js hit-tests the mouse events
 * on their way down, so regions under it stay clickable wherever nothing is drawn.
 *
 * CSE.paint holds the drawing primitives (circle, ring, donut arcs, text, line).
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var HIT_CELL = 32;

  var SiteCanvas = L.Renderer.extend({
    options: { padding: 0.1 },

    initialize: function (options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._paintFn = options.paint;
      this._items = [];
      this._grid = new Map();
      this._frame = null;
      this._frameReposition = false;
      this.paints = 0;
      this.lastPaintMs = 0;
    },

    getEvents: function () {
      var events = L.Renderer.prototype.getEvents.call(this);
      events.move = this._onMove;
      return events;
    },

    /* A new canvas each time the layer is added (Leaflet drops it on removal). */
    _initContainer: function () {
      var canvas = (this._container = document.createElement('canvas'));
      canvas.className = 'cse-site-canvas';
      this._ctx = canvas.getContext('2d');
    },

    _destroyContainer: function () {
      this._cancelFrame();
      L.DomUtil.remove(this._container);
      delete this._container;
      delete this._ctx;
    },

    _cancelFrame: function () {
      if (this._frame !== null) {
        if (this._frame.raf) {
          cancelAnimationFrame(this._frame.id);
        } else {
          clearTimeout(this._frame.id);
        }
        this._frame = null;
      }
    },

    /* A pan at the same zoom: once the view leaves the area last painted, paint around
     * it in the next frame. */
    _onMove: function () {
      var map = this._map;
      if (!map || map._animatingZoom || map.getZoom() !== this._zoom || !this._bounds) {
        return;
      }
      // Nothing to do while the view is still inside the area last painted.
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      if (this._bounds.contains(L.bounds(topLeft, topLeft.add(map.getSize())))) {
        return;
      }
      this.requestPaint(true);
    },

    /* Paint in the next animation frame (at once in a hidden page, which has none). */
    requestPaint: function (reposition) {
      if (!this._map) {
        return;
      }
      this._frameReposition = this._frameReposition || !!reposition;
      if (this._frame !== null) {
        return;
      }
      var self = this;
      var run = function () {
        var again = self._frameReposition;
        self._frame = null;
        self._frameReposition = false;
        if (!self._map) {
          return;
        }
        if (again) {
          self._update();
        } else {
          self._paint();
        }
      };
      if (document.visibilityState === 'hidden') {
        this._frame = { raf: false, id: setTimeout(run, 0), run: run };
      } else {
        this._frame = { raf: true, id: requestAnimationFrame(run), run: run };
      }
    },

    /* Run the paint requested for the next frame now, if one is pending. The page calls
     * this before it says a message is rendered: that ack can come before the frame
     * (its fallback timer when no frame comes for a while, or a message applied after
     * the ack's frame callback), and what it reports must be on the canvas by then. */
    flushPaint: function () {
      if (this._frame === null) {
        return;
      }
      var run = this._frame.run;
      this._cancelFrame();
      run();
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) {
        return;
      }
      L.Renderer.prototype._update.call(this);
      this._dpr = CSE.placeCanvas(this._container, this._bounds); // basemap.js
      this._paint();
    },

    _paint: function () {
      if (!this._bounds || !this._ctx) {
        return;
      }
      var started = performance.now();
      var ctx = this._ctx;
      var b = this._bounds;
      var dpr = this._dpr;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._container.width, this._container.height);
      ctx.setTransform(dpr, 0, 0, dpr, -b.min.x * dpr, -b.min.y * dpr);
      var map = this._map;
      var items = this._paintFn(ctx, {
        bounds: b,
        zoom: this._zoom,
        scale: map.getZoomScale(this._zoom, 0),
        origin: map.getPixelOrigin()
      });
      this._items = items || [];
      this._index();
      this.paints += 1;
      this.lastPaintMs = performance.now() - started;
    },

    _index: function () {
      var grid = new Map();
      var items = this._items;
      for (var k = 0; k < items.length; k++) {
        var it = items[k];
        var x0 = Math.floor((it.x - it.r) / HIT_CELL);
        var x1 = Math.floor((it.x + it.r) / HIT_CELL);
        var y0 = Math.floor((it.y - it.r) / HIT_CELL);
        var y1 = Math.floor((it.y + it.r) / HIT_CELL);
        for (var gx = x0; gx <= x1; gx++) {
          for (var gy = y0; gy <= y1; gy++) {
            var key = gx + ':' + gy;
            var cell = grid.get(key);
            if (!cell) {
              grid.set(key, (cell = []));
            }
            cell.push(k);
          }
        }
      }
      this._grid = grid;
    },

    /* The topmost item drawn at a layer point, or null; failing that, the topmost within
     * `tolerance` px of its edge (a near miss never beats a marker really under the
     * mouse). Items later in the drawing order are on top. */
    hit: function (layerPoint, tolerance) {
      var cell = this._grid.get(Math.floor(layerPoint.x / HIT_CELL) + ':' + Math.floor(layerPoint.y / HIT_CELL));
      if (!cell) {
        return null;
      }
      var near = null;
      var tol = tolerance || 0;
      for (var k = cell.length - 1; k >= 0; k--) {
        var it = this._items[cell[k]];
        var dx = layerPoint.x - it.x;
        var dy = layerPoint.y - it.y;
        var d2 = dx * dx + dy * dy;
        if (d2 <= it.r * it.r) {
          return it;
        }
        var r = it.r + tol;
        if (near === null && d2 <= r * r) {
          near = it;
        }
      }
      return near;
    },

    items: function () {
      return this._items;
    },

    /* [r, g, b, a] of the canvas at a layer point (what the browser painted), or null. */
    pixel: function (layerPoint) {
      if (!this._bounds || !this._ctx) {
        return null;
      }
      var px = Math.floor((layerPoint.x - this._bounds.min.x) * this._dpr);
      var py = Math.floor((layerPoint.y - this._bounds.min.y) * this._dpr);
      if (px < 0 || py < 0 || px >= this._container.width || py >= this._container.height) {
        return null;
      }
      var d = this._ctx.getImageData(px, py, 1, 1).data;
      return [d[0], d[1], d[2], d[3]];
    },

    getContainer: function () {
      return this._container;
    }
  });

  CSE.SiteCanvas = SiteCanvas;

  /* ------------------------------------------------------------------ primitives */
  function circlePath(ctx, x, y, r) {
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
  }

  CSE.paint = {
    /* style: {fill|null, fillAlpha, stroke|null, weight, dash|null, alpha} */
    circle: function (ctx, x, y, r, style) {
      ctx.globalAlpha = style.alpha === undefined ? 1 : style.alpha;
      circlePath(ctx, x, y, r);
      if (style.fill) {
        ctx.globalAlpha *= style.fillAlpha === undefined ? 1 : style.fillAlpha;
        ctx.fillStyle = style.fill;
        ctx.fill();
        ctx.globalAlpha = style.alpha === undefined ? 1 : style.alpha;
      }
      if (style.stroke && style.weight > 0) {
        ctx.setLineDash(style.dash || []);
        ctx.lineWidth = style.weight;
        ctx.strokeStyle = style.stroke;
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.globalAlpha = 1;
    },

    ring: function (ctx, x, y, r, color, weight) {
      circlePath(ctx, x, y, r);
      ctx.lineWidth = weight;
      ctx.strokeStyle = color;
      ctx.stroke();
    },

    /* A ring of `width` px outside radius r - width: parts [{share, color}] clockwise
     * from twelve o'clock. */
    donut: function (ctx, x, y, r, width, parts) {
      var start = -Math.PI / 2;
      ctx.lineWidth = width;
      parts.forEach(function (part) {
        if (!(part.share > 0)) {
          return;
        }
        var end = start + part.share * Math.PI * 2;
        ctx.beginPath();
        ctx.arc(x, y, r - width / 2, start, end);
        ctx.strokeStyle = part.color;
        ctx.stroke();
        start = end;
      });
    },

    text: function (ctx, x, y, text, font, color) {
      ctx.font = font;
      ctx.fillStyle = color;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, x, y);
    },

    line: function (ctx, x1, y1, x2, y2, color, weight, dash, alpha) {
      ctx.globalAlpha = alpha === undefined ? 1 : alpha;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      ctx.setLineDash(dash || []);
      ctx.lineWidth = weight;
      ctx.strokeStyle = color;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
  };
})();
