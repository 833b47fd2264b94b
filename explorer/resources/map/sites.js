/*
 * Compute Site Explorer — the sites layer and the Qt WebChannel client.
 *
 * CSE.start(map, config) is called at the end of the folium script. It connects to the
 * Python object registered as "bridge" and, once connected, calls bridge.pageReady().
 * Nothing is sent to Python before that.
 *
 * Message names, modes, colours, legend and tooltip words are Python's
 * (explorer/web/protocol.py, explorer/web/palette.py), read from CSE.config
 * (basemap.js): the names below are their current values, for the reader.
 *
 * Python -> page (signals, each a JSON string {"seq": n, "data": ...}):
 *   sitesReset        data = {as_of, as_of_day, rules_day, models, sites: columns}
 *   siteUpserted      data = columns of the added or changed sites
 *   siteRemoved       data = [id...]
 *   sitesCounted      data = {as_of, as_of_day, rules_day, models, sites: {id, chips,
 *                     restricted, model, state, [low, high]}} (a new date)
 *   selectionChanged  data = id, or "" for none
 *   modeChanged       data = "browse" | "place"
 *   colorModeChanged  data = "export" | "model"
 *   flyTo             data = {lon, lat, zoom|null}
 *   sync              data = null (nothing to apply: just ack after the next paint)
 * (columns: see explorer/web/site_columns.py and sitedata.js.)
 * After a batch of messages is applied and painted the page calls bridge.rendered(seq)
 * with the highest seq applied.
 *
 * Page -> Python (slots): pageReady(), siteClicked(id), siteMoved(id, lon, lat),
 *   mapClicked(lon, lat), cursorMoved(lon, lat), rendered(seq).
 *
 * Drawing: every site, group and campus line is painted on one canvas (sitecanvas.js)
 * from the columns (sitedata.js). A marker shows what its site counts on the map's
 * date: area by counted chips, fill by export control on that date (or by main chip
 * model); a site with nothing online by the date is a hollow grey ring of its planned
 * size; a superseded record is faded and dotted; a campus has a brown outer ring and a
 * line to each of its parts (all of them while every site is drawn on its own, else
 * those of the selected site's campus). From CSE.config.aggregate.MIN_SITES sites on,
 * sites are grouped below zoom MAX_ZOOM (aggregate.js): a group is a circle labelled
 * with its chip sum, its ring red for the restricted share. Clicking a group zooms to
 * its sites, or lists them when zooming would not split it. The selected site is
 * never grouped (so it can be seen and dragged at any zoom).
 *
 * Mouse: the canvas takes no pointer events; presses, clicks and moves are looked at on
 * their way down (capture phase on the map's container) and hit-tested against what was
 * drawn. One over a marker or group, unless a control, popup or region handle (above
 * the sites) is there, is the sites layer's; every other goes on to regions and the
 * map. Drawing tools (the .cse-drawing class) and place mode let every click through.
 *
 * Other page scripts (draw.js, regions.js) plug in by pushing {start(map, config),
 * connect(bridge, listen)} onto CSE.plugins before CSE.start runs: start() right
 * after the sites layer exists, connect() with the channel's bridge and listen(name,
 * apply), which connects apply to the message called name (acked like ours), before
 * pageReady(). CSE.highlightSites(ids) gives the listed sites a highlight ring (the
 * selection outline still wins); a group holding one of them gets the ring too.
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
  var TIP = null; // CSE.config.tip
  var MODES = null; // CSE.config.modes
  var AGG = null; // CSE.config.aggregate
  var TO_PAGE = null; // CSE.config.toPage
  var TO_PYTHON = null; // CSE.config.toPython
  var STATE = {}; // CSE.config.sites.STATES: name -> index
  var FLAG = null; // CSE.config.sites.FLAGS
  var LINE_STATUSES = null; // CSE.config.sites.LINE_STATUSES
  var RADIUS = { min: 4, max: 26, base: 3, perSqrtChip: 0.075 };
  var GROUP_RADIUS = { min: 12, max: 30, ring: 4 };
  var GROUP_CACHE = 6;
  var PREWARM_MAX_SITES = 200000;
  var HIT_TOLERANCE_PX = 2;
  var DRAG_THRESHOLD_PX = 3;
  var CURSOR_INTERVAL_MS = 100;
  var ACK_FALLBACK_MS = 1000;
  var MAX_TIP_LINES = 6;

  var S = {
    map: null,
    layer: null,
    canvas: null,
    basemap: {},
    bridge: null,
    connected: false,
    data: null,
    selected: null,
    highlighted: new Set(),
    highlightVersion: 0,
    mode: 'browse',
    colorMode: 'export',
    ackSeq: 0,
    ackPending: false,
    drag: null,
    dragEndedAt: 0,
    legend: null,
    tooltip: null,
    hover: null,
    popup: null,
    lastCursorSent: 0,
    groups: null, // the grouping of the last paint: {key, zoom, groups, singles, of}
    groupCache: [], // the last GROUP_CACHE groupings, newest first (S.groups among them)
    prewarm: null, // the idle callback that groups the next levels (schedulePrewarm)
    drawn: new Map(), // site id -> how it was drawn in the last paint ({x, y, style})
    links: new Map() // site id -> campus lines drawn to or from it in the last paint
  };

  /* ------------------------------------------------------------------ helpers */
  function validLonLat(lon, lat) {
    return isFiniteNumber(lon) && isFiniteNumber(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;
  }

  function formatCount(n) {
    return Number(n).toLocaleString('en-US');
  }

  /* 960, 1.2k, 12k, 1.2M */
  function compactCount(n) {
    if (n < 1000) {
      return String(n);
    }
    var units = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var k = 0; k < units.length; k++) {
      if (n >= units[k][0]) {
        var v = n / units[k][0];
        return (v < 10 ? (Math.floor(v * 10) / 10).toFixed(1) : String(Math.floor(v))) + units[k][1];
      }
    }
    return String(n);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function radiusFor(chips) {
    if (!(chips > 0)) {
      return RADIUS.min;
    }
    var r = RADIUS.base + RADIUS.perSqrtChip * Math.sqrt(chips);
    return Math.max(RADIUS.min, Math.min(RADIUS.max, r));
  }

  /* As palette.model_color in Python: the i-th model takes MODEL_COLORS[i % n]. */
  function modelColor(index) {
    if (index < 0) {
      return COLORS.NO_CHIPS;
    }
    return COLORS.MODEL_COLORS[index % COLORS.MODEL_COLORS.length];
  }

  function has(i, flag) {
    return (S.data.flags[i] & FLAG[flag]) !== 0;
  }

  /* ------------------------------------------------------------------ marker styles */
  function styleFor(i) {
    var d = S.data;
    var st = d.state[i];
    var id = d.id[i];
    var style = {
      r: radiusFor(d.chips[i]),
      fill: null,
      fillAlpha: 0.82,
      stroke: COLORS.MARKER_OUTLINE,
      weight: 1.5,
      dash: null,
      alpha: 1,
      campus: has(i, 'CAMPUS')
    };
    if (st === STATE.counted) {
      if (S.colorMode === 'model') {
        style.fill = modelColor(d.model[i]);
      } else {
        style.fill = d.restricted[i] > 0 ? COLORS.RESTRICTED : COLORS.UNRESTRICTED;
      }
    } else if (st === STATE.pending) {
      style.r = radiusFor(d.planned[i]);
      style.stroke = COLORS.PENDING_OUTLINE;
      style.weight = 2;
    } else if (st === STATE.superseded) {
      style.r = RADIUS.min + 1;
      style.fill = COLORS.SUPERSEDED_FILL;
      style.fillAlpha = 0.6;
      style.stroke = COLORS.SUPERSEDED_OUTLINE;
      style.dash = [1.5, 2.5];
      style.alpha = 0.75;
    } else if (st === STATE.covered) {
      style.r = RADIUS.min + 2;
      style.stroke = COLORS.CAMPUS_OUTLINE;
      style.weight = 2;
    } else {
      style.r = RADIUS.min;
      style.fill = COLORS.NO_CHIPS;
    }
    if (has(i, 'ILLUSTRATIVE') && st !== STATE.superseded) {
      if (st === STATE.counted || st === STATE.none) {
        style.stroke = COLORS.ILLUSTRATIVE_OUTLINE;
        style.weight = 1.3;
      }
      style.dash = [3, 2];
    }
    if (S.highlighted.has(id)) {
      style.stroke = COLORS.HIGHLIGHT_OUTLINE;
      style.weight = 3;
      style.dash = null;
      style.alpha = 1;
    }
    if (S.selected === id) {
      style.stroke = COLORS.SELECTED_OUTLINE;
      style.weight = 3.5;
      style.dash = null;
      style.fillAlpha = 0.95;
      style.alpha = 1;
    }
    return style;
  }

  /* ------------------------------------------------------------------ grouping */
  function aggregating(zoom) {
    return S.data.n >= AGG.MIN_SITES && zoom < AGG.MAX_ZOOM;
  }

  /* The grouping for a view ({minX, minY, maxX, maxY} in world pixels at `zoom`): kept
   * while the data, zoom and selection are the same and the view stays inside the
   * window it was made for (the view and as much again on every side), so a pan
   * regroups only when it goes far. */
  function grouping(zoom, scale, view) {
    S.groups = groupingFor(zoom, scale, view);
    return S.groups;
  }

  /* The grouping for a view, from the last few kept (S.groupCache) or made and kept. */
  function groupingFor(zoom, scale, view) {
    var d = S.data;
    var sel = S.selected !== null ? d.row(S.selected) : -1;
    var key = d.version + '|' + zoom + '|' + sel;
    function covers(old) {
      return old.key === key &&
        (!old.window || (view.minX >= old.window.minX && view.maxX <= old.window.maxX &&
          view.minY >= old.window.minY && view.maxY <= old.window.maxY));
    }
    // The last few groupings (zooming back to a level seen a moment ago regroups
    // nothing); any made before the data last changed are dropped.
    S.groupCache = S.groupCache.filter(function (old) {
      return old.version === d.version;
    });
    var hit = S.groupCache.filter(covers)[0];
    if (hit) {
      return hit;
    }
    var result;
    var win = null;
    if (aggregating(zoom)) {
      var w = view.maxX - view.minX;
      var h = view.maxY - view.minY;
      win = { minX: view.minX - w, minY: view.minY - h, maxX: view.maxX + w, maxY: view.maxY + h };
      result = CSE.aggregate(d, scale, { cellPx: AGG.CELL_PX, mergePx: AGG.MERGE_PX, exclude: sel, window: win });
    } else {
      var singles = new Array(d.n);
      for (var i = 0; i < d.n; i++) {
        singles[i] = i;
      }
      result = { groups: [], singles: singles };
    }
    var of = new Int32Array(d.n).fill(-1); // row -> group index
    var maxChips = 0;
    result.groups.forEach(function (g, k) {
      for (var j = 0; j < g.rows.length; j++) {
        of[g.rows[j]] = k;
      }
      maxChips = Math.max(maxChips, g.chips);
    });
    var made = {
      key: key,
      version: d.version,
      zoom: zoom,
      scale: scale,
      window: win,
      groups: result.groups,
      singles: result.singles,
      of: of,
      maxChips: maxChips,
      highlightVersion: -1
    };
    S.groupCache = [made].concat(S.groupCache).slice(0, GROUP_CACHE);
    return made;
  }

  /* In idle time, the groupings the next frames may need are made one per idle
   * callback: while a zoom animates, the level it is going to (Leaflet's target zoom
   * and centre); once the map is still, the levels one step in and one step out, for
   * the view around the centre (that window takes in any view a one-step zoom can
   * reach, wherever the mouse is). The last frame of a zoom step then only paints.
   * Not above PREWARM_MAX_SITES sites, where one grouping is long enough to be felt. */
  function schedulePrewarm() {
    if (S.prewarm !== null || !S.data || S.data.n < AGG.MIN_SITES || S.data.n > PREWARM_MAX_SITES) {
      return;
    }
    var run = function () {
      S.prewarm = null;
      if (prewarmOne()) {
        schedulePrewarm();
      }
    };
    S.prewarm = window.requestIdleCallback ? requestIdleCallback(run, { timeout: 1000 }) : setTimeout(run, 50);
  }

  /* Makes one missing grouping; true when one was made (there may be more). */
  function prewarmOne() {
    var map = S.map;
    if (!map || !S.data || !S.canvas || !S.canvas._map) {
      return false;
    }
    var animating = !!map._animatingZoom;
    var zoom = animating ? map._animateToZoom : map.getZoom();
    var center = animating ? map._animateToCenter : map.getCenter();
    var half = map.getSize().multiplyBy(0.5 + S.canvas.options.padding);
    var levels = animating ? [zoom, zoom + 1, zoom - 1] : [zoom + 1, zoom - 1];
    for (var k = 0; k < levels.length; k++) {
      var z = levels[k];
      if (z !== Math.round(z) || z < map.getMinZoom() || z > map.getMaxZoom() || !aggregating(z)) {
        continue;
      }
      var c = map.project(center, z);
      var newest = S.groupCache[0];
      groupingFor(z, map.getZoomScale(z, 0), {
        minX: c.x - half.x,
        minY: c.y - half.y,
        maxX: c.x + half.x,
        maxY: c.y + half.y
      });
      if (S.groupCache[0] !== newest) {
        return true; // one made: the rest in the next idle callback
      }
    }
    return false;
  }

  function markHighlightedGroups(g) {
    if (g.highlightVersion === S.highlightVersion) {
      return;
    }
    g.groups.forEach(function (group) {
      group.highlighted = false;
    });
    S.highlighted.forEach(function (id) {
      var row = S.data.row(id);
      if (row >= 0 && g.of[row] >= 0) {
        g.groups[g.of[row]].highlighted = true;
      }
    });
    g.highlightVersion = S.highlightVersion;
  }

  function groupRadius(g, group) {
    var share = g.maxChips > 0 ? Math.sqrt(group.chips / g.maxChips) : 0;
    return GROUP_RADIUS.min + (GROUP_RADIUS.max - GROUP_RADIUS.min) * share;
  }

  /* ------------------------------------------------------------------ painting */
  function paint(ctx, view) {
    var d = S.data;
    var draw = CSE.paint;
    var items = [];
    S.drawn = new Map();
    S.links = new Map();
    if (!d || !d.n) {
      return items;
    }
    var ox = view.origin.x;
    var oy = view.origin.y;
    var s = view.scale;
    var b = view.bounds;
    var g = grouping(view.zoom, view.scale, {
      minX: b.min.x + ox,
      minY: b.min.y + oy,
      maxX: b.max.x + ox,
      maxY: b.max.y + oy
    });
    markHighlightedGroups(g);
    var margin = GROUP_RADIUS.max + 6;
    function inView(x, y, r) {
      return x + r >= b.min.x && x - r <= b.max.x && y + r >= b.min.y && y - r <= b.max.y;
    }
    var drag = S.drag && S.drag.moved ? S.drag : null;
    function pos(i) {
      if (drag && d.id[i] === drag.id) {
        return [drag.layerX, drag.layerY];
      }
      return [d.x[i] * s - ox, d.y[i] * s - oy];
    }

    // Campus lines under everything: every campus while no site is grouped, else only
    // the selected site's campus.
    var parts = d.campusParts(FLAG.PART);
    var selRow = S.selected !== null ? d.row(S.selected) : -1;
    var focusCampus = -1;
    if (selRow >= 0) {
      focusCampus = parts.has(selRow) ? selRow : d.row(d.partOf[selRow]);
    }
    var grouped = g.groups.length > 0;
    parts.forEach(function (rows, campus) {
      var strong = campus === focusCampus;
      if (grouped && !strong) {
        return;
      }
      var c = pos(campus);
      rows.forEach(function (r) {
        var p = pos(r);
        // Skip a line whose box misses the view.
        if (
          Math.max(c[0], p[0]) < b.min.x || Math.min(c[0], p[0]) > b.max.x ||
          Math.max(c[1], p[1]) < b.min.y || Math.min(c[1], p[1]) > b.max.y
        ) {
          return;
        }
        draw.line(ctx, c[0], c[1], p[0], p[1], COLORS.CAMPUS_OUTLINE, strong ? 2.5 : 1.5, strong ? null : [5, 3], strong ? 0.95 : 0.7);
        [d.id[campus], d.id[r]].forEach(function (id) {
          S.links.set(id, (S.links.get(id) || 0) + 1);
        });
      });
    });

    // Groups.
    var font = '600 11px "Helvetica Neue", Arial, sans-serif';
    ctx.font = font;
    g.groups.forEach(function (group, k) {
      var x = group.x - ox;
      var y = group.y - oy;
      if (!inView(x, y, margin)) {
        return;
      }
      var label = compactCount(group.chips);
      // Never smaller than its label.
      var r = Math.max(groupRadius(g, group), ctx.measureText(label).width / 2 + GROUP_RADIUS.ring + 2);
      var share = group.chips > 0 ? group.restricted / group.chips : 0;
      draw.circle(ctx, x, y, r, { fill: COLORS.AGGREGATE_FILL, fillAlpha: 0.94, stroke: COLORS.AGGREGATE_OUTLINE, weight: 1 });
      if (group.chips > 0) {
        draw.donut(ctx, x, y, r, GROUP_RADIUS.ring, [
          { share: share, color: COLORS.RESTRICTED },
          { share: 1 - share, color: COLORS.UNRESTRICTED }
        ]);
      } else {
        draw.donut(ctx, x, y, r, GROUP_RADIUS.ring, [{ share: 1, color: COLORS.NO_CHIPS }]);
      }
      if (group.highlighted) {
        draw.ring(ctx, x, y, r + 2.5, COLORS.HIGHLIGHT_OUTLINE, 3);
      }
      draw.text(ctx, x, y, label, font, COLORS.AGGREGATE_TEXT);
      items.push({ kind: 'group', key: k, x: x, y: y, r: r + (group.highlighted ? 2.5 : 0) });
    });

    // Single sites: superseded records under the rest, then big under small; the
    // selected site last, on top. Out-of-view sites are skipped before any styling
    // (at the highest zoom every one of 100,000 sites is a single).
    var singles = [];
    var reach = RADIUS.max + 10; // the largest marker, its campus ring and a margin
    var dragRow = drag ? d.row(drag.id) : -1;
    var xs = d.x;
    var ys = d.y;
    var minX = b.min.x - reach;
    var maxX = b.max.x + reach;
    var minY = b.min.y - reach;
    var maxY = b.max.y + reach;
    var list = g.singles;
    for (var k = 0; k < list.length; k++) {
      var i = list[k];
      if (i === selRow) {
        continue;
      }
      var px = i === dragRow ? drag.layerX : xs[i] * s - ox;
      var py = i === dragRow ? drag.layerY : ys[i] * s - oy;
      if (px < minX || px > maxX || py < minY || py > maxY) {
        continue;
      }
      singles.push({ i: i, x: px, y: py, style: styleFor(i) });
    }
    singles.sort(function (a, b2) {
      var sa = S.data.state[a.i] === STATE.superseded ? 1 : 0;
      var sb = S.data.state[b2.i] === STATE.superseded ? 1 : 0;
      return sb - sa || b2.style.r - a.style.r;
    });
    if (selRow >= 0) {
      var sp = pos(selRow);
      singles.push({ i: selRow, x: sp[0], y: sp[1], style: styleFor(selRow) });
    }
    singles.forEach(function (m) {
      var st2 = m.style;
      if (st2.campus) {
        draw.ring(ctx, m.x, m.y, st2.r + 3, COLORS.CAMPUS_OUTLINE, 2);
      }
      draw.circle(ctx, m.x, m.y, st2.r, st2);
      var id = S.data.id[m.i];
      S.drawn.set(id, { x: m.x, y: m.y, style: st2 });
      items.push({ kind: 'site', key: id, x: m.x, y: m.y, r: st2.r + (st2.campus ? 4 : 0) });
    });
    schedulePrewarm();
    return items;
  }

  function repaint() {
    if (S.canvas) {
      S.canvas.requestPaint(false);
    }
  }

  /* ------------------------------------------------------------------ tooltip text */
  function lineCounts(line, row) {
    var d = S.data;
    if (LINE_STATUSES[line.status] === 'cancelled' || d.state[row] === STATE.superseded) {
      return false;
    }
    if (d.asOfDay === null) {
      return true;
    }
    return isFiniteNumber(line.day) && line.day <= d.asOfDay;
  }

  function modelName(index) {
    var m = S.data.models[index];
    return m ? m.name : '?';
  }

  function nameOf(id) {
    var row = S.data.row(id);
    return row >= 0 && S.data.name[row] ? S.data.name[row] : id;
  }

  /* [{cls, text, off}] for site row i, in the order they are shown. */
  function tooltipLines(i) {
    var d = S.data;
    var st = d.state[i];
    var lines = [{ cls: 'cse-tip-name', text: d.name[i] }];
    var dated = d.asOf !== null;
    var own = d.linesOf(i);
    if (st === STATE.counted) {
      var byModel = new Map();
      own.forEach(function (line) {
        if (lineCounts(line, i)) {
          byModel.set(line.model, (byModel.get(line.model) || 0) + line.chips);
        }
      });
      var models = Array.from(byModel.keys()).sort(function (a, b) {
        return byModel.get(b) - byModel.get(a) || a - b;
      });
      var text = fill(TIP.CHIPS, { n: formatCount(d.chips[i]) });
      if (models.length) {
        text += ' (' + models.map(modelName).join(', ') + ')';
      }
      lines.push({ cls: 'cse-tip-chips', text: text });
      if (d.low[i] !== d.chips[i] || d.high[i] !== d.chips[i]) {
        lines.push({ cls: 'cse-tip-range', text: fill(TIP.RANGE, { low: formatCount(d.low[i]), high: formatCount(d.high[i]) }) });
      }
    } else if (st === STATE.pending) {
      lines.push({ cls: 'cse-tip-chips', text: fill(TIP.NOTHING_ONLINE, { date: d.asOf, n: formatCount(d.planned[i]) }) });
    } else if (st === STATE.covered) {
      lines.push({ cls: 'cse-tip-chips', text: TIP.COVERED });
    } else if (st === STATE.superseded) {
      var by = d.supersededBy().get(d.id[i]);
      lines.push({ cls: 'cse-tip-chips', text: fill(TIP.SUPERSEDED_BY, { name: by !== undefined ? d.name[by] : '?' }) });
    } else {
      lines.push({ cls: 'cse-tip-chips', text: WORDS.NO_CHIPS });
    }
    if (d.restricted[i] > 0 && st === STATE.counted) {
      var words = dated ? TIP.NEED_LICENCE_ON : TIP.NEED_LICENCE;
      lines.push({ cls: 'cse-tip-restricted', text: fill(words, { n: formatCount(d.restricted[i]), date: d.asOf }) });
    }
    if (has(i, 'CAMPUS')) {
      var parts = d.campusParts(FLAG.PART).get(i) || [];
      lines.push({ cls: 'cse-tip-relation', text: fill(TIP.CAMPUS, { n: parts.length }) });
    }
    if (has(i, 'PART')) {
      lines.push({ cls: 'cse-tip-relation', text: fill(TIP.PART_OF, { name: nameOf(d.partOf[i]) }) });
    }
    if (d.supersedes[i] && d.row(d.supersedes[i]) >= 0) {
      lines.push({ cls: 'cse-tip-relation', text: fill(TIP.SUPERSEDES, { name: nameOf(d.supersedes[i]) }) });
    }
    // The hardware lines, when they say more than the count above: a line that does
    // not count on the date (cancelled, or not online by then) is greyed.
    var detailed = own.length > 1 || own.some(function (line) {
      return line.online || LINE_STATUSES[line.status] !== 'unknown' || line.low !== line.chips || line.high !== line.chips || !lineCounts(line, i);
    });
    if (detailed) {
      own.slice(0, MAX_TIP_LINES).forEach(function (line) {
        var parts2 = [fill(TIP.LINE, { model: modelName(line.model), n: formatCount(line.chips) })];
        if (line.low !== line.chips || line.high !== line.chips) {
          parts2.push(fill(TIP.RANGE, { low: formatCount(line.low), high: formatCount(line.high) }));
        }
        parts2.push(line.online ? fill(TIP.LINE_ONLINE, { date: line.online }) : TIP.LINE_NO_DATE);
        var status = LINE_STATUSES[line.status];
        if (status && status !== 'unknown') {
          parts2.push(status);
        }
        lines.push({ cls: 'cse-tip-line', text: parts2.join(' \u00b7 '), off: !lineCounts(line, i) });
      });
      if (own.length > MAX_TIP_LINES) {
        lines.push({ cls: 'cse-tip-line', text: fill(TIP.MORE_LINES, { n: own.length - MAX_TIP_LINES }) });
      }
    }
    if (has(i, 'ILLUSTRATIVE')) {
      lines.push({ cls: 'cse-tip-illustrative', text: TIP.ILLUSTRATIVE });
    }
    return lines;
  }

  function groupTooltipLines(group) {
    var lines = [{ cls: 'cse-tip-name', text: fill(TIP.GROUP, { n: formatCount(group.count) }) }];
    lines.push({ cls: 'cse-tip-chips', text: fill(TIP.CHIPS, { n: formatCount(group.chips) }) });
    if (group.restricted > 0) {
      var words = S.data.asOf !== null ? TIP.NEED_LICENCE_ON : TIP.NEED_LICENCE;
      var pct = Math.round((100 * group.restricted) / group.chips);
      lines.push({ cls: 'cse-tip-restricted', text: fill(words, { n: formatCount(group.restricted), date: S.data.asOf }) + ' (' + pct + '%)' });
    }
    lines.push({ cls: 'cse-tip-hint', text: groupSplits(group) ? TIP.GROUP_ZOOM : TIP.GROUP_LIST });
    return lines;
  }

  function fillTooltip(el, lines) {
    while (el.firstChild) {
      el.removeChild(el.firstChild);
    }
    lines.forEach(function (line) {
      var div = CSE.textElement('div', line.cls, line.text);
      if (line.off) {
        div.style.color = COLORS.LINE_OFF;
        div.className += ' cse-tip-off';
      }
      el.appendChild(div);
    });
  }

  function joinLines(lines) {
    return lines.map(function (l) {
      return l.text;
    }).join('\n');
  }

  /* ------------------------------------------------------------------ hover */
  function hideTooltip() {
    if (S.tooltip && S.map.hasLayer(S.tooltip)) {
      S.map.closeTooltip(S.tooltip);
    }
    S.hover = null;
  }

  function showTooltip(item) {
    var el = document.createElement('div');
    el.className = 'cse-tip';
    var latlng;
    if (item.kind === 'site') {
      var row = S.data.row(item.key);
      if (row < 0) {
        return;
      }
      fillTooltip(el, tooltipLines(row));
    } else {
      var group = S.groups.groups[item.key];
      fillTooltip(el, groupTooltipLines(group));
    }
    latlng = S.map.layerPointToLatLng([item.x, item.y]);
    if (!S.tooltip) {
      S.tooltip = L.tooltip({ direction: 'top', className: 'cse-site-tooltip', opacity: 0.96 });
    }
    S.tooltip.options.offset = L.point(0, -item.r);
    S.tooltip.setLatLng(latlng).setContent(el);
    if (!S.map.hasLayer(S.tooltip)) {
      S.map.openTooltip(S.tooltip);
    } else {
      S.tooltip.update();
    }
    S.hover = { kind: item.kind, key: item.key };
  }

  function itemAt(containerPoint) {
    if (!S.canvas || !S.map.hasLayer(S.canvas)) {
      return null;
    }
    var lp = S.map.containerPointToLayerPoint(containerPoint);
    return S.canvas.hit(lp, HIT_TOLERANCE_PX);
  }

  function drawingTool() {
    return L.DomUtil.hasClass(S.map.getContainer(), 'cse-drawing');
  }

  /* Is the element under the mouse drawn below the sites (a region, the basemap, the
   * map itself), so that a marker painted there is on top of it? Controls, popups,
   * tooltips and panes above the sites' (region handles) are not. */
  function belowSites(target) {
    var container = S.map.getContainer();
    if (!target || !container.contains(target) || target.closest('.leaflet-control-container')) {
      return false;
    }
    var sitesZ = parseInt(getComputedStyle(S.map.getPane('cse-sites')).zIndex, 10);
    for (var pane = target.closest('.leaflet-pane'); pane; pane = pane.parentElement.closest('.leaflet-pane')) {
      var z = parseInt(getComputedStyle(pane).zIndex, 10);
      if (!isNaN(z)) {
        return z <= sitesZ; // the nearest pane with a stacking order decides
      }
    }
    return true;
  }

  /* What a mouse event is on, among the sites and groups drawn: null when something
   * above them (a control, a popup, a region handle) takes it, or a drawing tool is on. */
  function itemUnder(ev) {
    if (drawingTool() || !belowSites(ev.target)) {
      return null;
    }
    return itemAt(S.map.mouseEventToContainerPoint(ev));
  }

  function onContainerMouseMove(ev) {
    if (S.drag) {
      return;
    }
    var item = itemUnder(ev);
    // The canvas itself never takes the mouse (clicks are caught on the way down, see
    // onContainerClick): a class on the map gives the pointer cursor.
    L.DomUtil[item ? 'addClass' : 'removeClass'](S.map.getContainer(), 'cse-over-site');
    if (!item) {
      if (S.hover) {
        hideTooltip();
      }
      return;
    }
    if (!S.hover || S.hover.kind !== item.kind || S.hover.key !== item.key) {
      showTooltip(item);
    }
  }

  function onContainerMouseOut(ev) {
    if (!ev.relatedTarget || !S.map.getContainer().contains(ev.relatedTarget)) {
      L.DomUtil.removeClass(S.map.getContainer(), 'cse-over-site');
      hideTooltip();
    }
  }

  /* ------------------------------------------------------------------ legend
   * The rows are decided as explorer/web/legend.py's legend_from_columns decides them
   * (the snapshot paints that one); a test checks that both give the same rows. */
  function legendRows() {
    var d = S.data;
    var rows = [];
    var present = new Set();
    var seen = {};
    var none = false;
    var campus = false;
    var illustrative = false;
    for (var i = 0; i < d.n; i++) {
      var st = d.state[i];
      seen[st] = true;
      if (st === STATE.counted && d.model[i] >= 0) {
        present.add(d.model[i]);
      }
      if (st === STATE.none || (st === STATE.counted && d.model[i] < 0)) {
        none = true;
      }
      campus = campus || (d.flags[i] & FLAG.CAMPUS) !== 0;
      illustrative = illustrative || (d.flags[i] & FLAG.ILLUSTRATIVE) !== 0;
    }
    if (S.colorMode === 'model') {
      Array.from(present).sort(function (a, b) {
        return a - b;
      }).forEach(function (m) {
        var model = d.models[m];
        rows.push({ color: modelColor(m), text: model.name + (model.restricted ? WORDS.LICENCE_SUFFIX : '') });
      });
      if (none) {
        rows.push({ color: COLORS.NO_CHIPS, text: WORDS.NO_CHIPS });
      }
    } else {
      rows.push({ color: COLORS.RESTRICTED, text: WORDS.RESTRICTED });
      rows.push({ color: COLORS.UNRESTRICTED, text: WORDS.UNRESTRICTED });
      rows.push({ color: COLORS.NO_CHIPS, text: WORDS.NO_CHIPS });
    }
    if (seen[STATE.pending]) {
      rows.push({ color: COLORS.SWATCH_BLANK, ring: COLORS.PENDING_OUTLINE, text: WORDS.PENDING });
    }
    if (seen[STATE.superseded]) {
      rows.push({ color: COLORS.SUPERSEDED_FILL, ring: COLORS.SUPERSEDED_OUTLINE, text: WORDS.SUPERSEDED });
    }
    if (campus) {
      rows.push({ color: COLORS.SWATCH_BLANK, ring: COLORS.CAMPUS_OUTLINE, text: WORDS.CAMPUS });
    }
    if (illustrative) {
      rows.push({ color: COLORS.SWATCH_BLANK, dashed: true, text: WORDS.ILLUSTRATIVE });
    }
    if (d.n >= AGG.MIN_SITES) {
      rows.push({ color: COLORS.AGGREGATE_FILL, ring: COLORS.RESTRICTED, text: WORDS.AGGREGATE });
    }
    var anyHighlighted = false;
    S.highlighted.forEach(function (id) {
      anyHighlighted = anyHighlighted || d.row(id) >= 0;
    });
    if (anyHighlighted) {
      rows.push({ color: COLORS.SWATCH_BLANK, ring: COLORS.HIGHLIGHT_OUTLINE, text: WORDS.HIGHLIGHTED });
    }
    return rows;
  }

  function legendTitle() {
    var title = WORDS.TITLES[S.colorMode];
    if (S.data && S.data.asOf !== null) {
      title = fill(WORDS.TITLE_ON, { title: title, date: S.data.asOf });
    }
    return title;
  }

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
      if (!div || !S.data) {
        return;
      }
      while (div.firstChild) {
        div.removeChild(div.firstChild);
      }
      div.appendChild(CSE.textElement('div', 'cse-legend-title', legendTitle()));
      legendRows().forEach(function (row) {
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

  /* ------------------------------------------------------------------ messages */
  function afterDataChange() {
    if (S.drag && S.data.row(S.drag.id) < 0) {
      endDrag(null, false);
    }
    if (S.selected !== null && S.data.row(S.selected) < 0) {
      S.selected = null;
    }
    if (S.hover) {
      hideTooltip();
    }
    renderLegend();
    repaint();
  }

  function reset(data) {
    if (S.drag) {
      endDrag(null, false);
    }
    closePopup();
    S.data.reset(data || {});
    afterDataChange();
  }

  function upsertMany(columns) {
    S.data.upsert(columns);
    afterDataChange();
  }

  function removeMany(ids) {
    S.data.remove(ids);
    afterDataChange();
  }

  function counted(data) {
    S.data.counted(data);
    afterDataChange();
  }

  function setSelected(id) {
    S.selected = typeof id === 'string' && id !== '' ? id : null;
    var row = S.selected !== null ? S.data.row(S.selected) : -1;
    if (row >= 0) {
      var ll = L.latLng(S.data.lat[row], S.data.lon[row]);
      if (!S.map.getBounds().pad(-0.05).contains(ll)) {
        S.map.panTo(ll);
      }
    }
    repaint();
  }

  /* Highlight hook: a ring on the listed sites (e.g. those inside the selected region). */
  function setHighlighted(ids) {
    var next = new Set((Array.isArray(ids) ? ids : []).filter(function (id) {
      return typeof id === 'string';
    }));
    var same = next.size === S.highlighted.size;
    if (same) {
      next.forEach(function (id) {
        same = same && S.highlighted.has(id);
      });
    }
    if (same) {
      return;
    }
    S.highlighted = next;
    S.highlightVersion += 1;
    renderLegend();
    repaint();
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
    renderLegend();
    repaint();
  }

  function flyTo(target) {
    if (!target || !validLonLat(target.lon, target.lat)) {
      console.warn('cse: ignoring malformed flyTo');
      return;
    }
    var zoom = isFiniteNumber(target.zoom) ? target.zoom : S.map.getZoom();
    S.map.flyTo([target.lat, target.lon], zoom, { duration: 0.6 });
  }

  /* ------------------------------------------------------------------ groups: click */
  function groupBounds(group) {
    var d = S.data;
    var south = 90;
    var north = -90;
    var west = 180;
    var east = -180;
    group.rows.forEach(function (r) {
      south = Math.min(south, d.lat[r]);
      north = Math.max(north, d.lat[r]);
      west = Math.min(west, d.lon[r]);
      east = Math.max(east, d.lon[r]);
    });
    return L.latLngBounds([south, west], [north, east]);
  }

  var GROUP_FIT_PADDING = L.point(40, 40);

  /* Does zooming to the group's sites get closer (so it splits, at least partly)? */
  function groupSplits(group) {
    var bounds = groupBounds(group);
    if (bounds.getSouthWest().equals(bounds.getNorthEast())) {
      return false;
    }
    var zoom = Math.min(S.map.getBoundsZoom(bounds, false, GROUP_FIT_PADDING), S.map.getMaxZoom());
    return zoom > S.map.getZoom();
  }

  function closePopup() {
    if (S.popup && S.map.hasLayer(S.popup)) {
      S.map.closePopup(S.popup);
    }
  }

  function listGroup(group, latlng) {
    var d = S.data;
    var rows = Array.from(group.rows).sort(function (a, b) {
      return d.chips[b] - d.chips[a] || (d.name[a] < d.name[b] ? -1 : d.name[a] > d.name[b] ? 1 : 0);
    });
    var box = CSE.textElement('div', 'cse-group-list', '');
    box.appendChild(CSE.textElement('div', 'cse-group-title', fill(TIP.GROUP, { n: formatCount(group.count) })));
    rows.slice(0, AGG.LIST_MAX).forEach(function (r) {
      var id = d.id[r];
      var button = CSE.textElement('button', 'cse-group-item', d.name[r] + ' \u00b7 ' + formatCount(d.chips[r]));
      button.type = 'button';
      button.setAttribute('data-site', id);
      L.DomEvent.on(button, 'click', function (e) {
        L.DomEvent.stop(e);
        closePopup();
        if (S.connected && d.row(id) >= 0) {
          S.bridge[TO_PYTHON.SITE_CLICKED](id);
        }
      });
      box.appendChild(button);
    });
    if (rows.length > AGG.LIST_MAX) {
      box.appendChild(CSE.textElement('div', 'cse-group-more', fill(TIP.LIST_MORE, { n: formatCount(rows.length - AGG.LIST_MAX) })));
    }
    S.popup = L.popup({ className: 'cse-group-popup', maxHeight: 260, autoPanPadding: L.point(20, 20) });
    S.popup.setLatLng(latlng).setContent(box);
    S.map.openPopup(S.popup);
  }

  function onGroupClick(key) {
    var group = S.groups && S.groups.groups[key];
    if (!group) {
      return;
    }
    hideTooltip();
    if (groupSplits(group)) {
      S.map.fitBounds(groupBounds(group), { padding: GROUP_FIT_PADDING, maxZoom: S.map.getMaxZoom() });
    } else {
      listGroup(group, groupLatLng(group));
    }
  }

  function groupLatLng(group) {
    return S.map.unproject(L.point(group.x, group.y), S.groups.zoom);
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

  /* Clicks, presses and double-clicks are looked at on their way down to whatever is
   * under the mouse (capture phase on the map's container): one over a marker or a group
   * is ours, and goes no further (no region under it is clicked, the map does not pan).
   * The canvas takes no pointer events, so this does not depend on where the mouse was
   * before. In place mode clicks go on to the map, which places the site. */
  function onContainerClick(ev) {
    if (S.mode === 'place' || ev.button !== 0) {
      return;
    }
    var item = itemUnder(ev);
    if (!item) {
      return;
    }
    L.DomEvent.stop(ev);
    if (Date.now() - S.dragEndedAt < 400 || (S.map.dragging && S.map.dragging.moved())) {
      return; // the click that ends a marker drag, or a pan of the map, selects nothing
    }
    if (item.kind === 'group') {
      onGroupClick(item.key);
    } else if (S.connected) {
      S.bridge[TO_PYTHON.SITE_CLICKED](item.key);
    }
  }

  function onContainerDoubleClick(ev) {
    if (S.mode !== 'place' && itemUnder(ev)) {
      L.DomEvent.stop(ev); // a double click on a marker does not zoom the map
    }
  }

  function onContainerMouseDown(ev) {
    if (S.mode !== 'browse' || !S.connected || ev.button !== 0) {
      return;
    }
    var item = itemUnder(ev);
    if (!item || item.kind !== 'site' || S.selected !== item.key) {
      return; // the map may still pan from here
    }
    // Move the marker ourselves, with map panning off, and report the drop to Python
    // (which decides, through a command).
    L.DomEvent.stop(ev);
    hideTooltip();
    S.drag = { id: item.key, x: ev.clientX, y: ev.clientY, moved: false, layerX: item.x, layerY: item.y };
    document.addEventListener('mousemove', onDragMove, true);
    document.addEventListener('mouseup', onDragUp, true);
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
    var lp = S.map.mouseEventToLayerPoint(ev);
    drag.layerX = lp.x;
    drag.layerY = lp.y;
    repaint();
    if (CSE.cursorReadout) {
      CSE.cursorReadout.setText(CSE.formatLatLng(S.map.layerPointToLatLng(lp).wrap()));
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
    var row = S.data.row(drag.id);
    if (row < 0 || !drag.moved || !report) {
      repaint();
      return;
    }
    S.dragEndedAt = Date.now();
    var ll = (ev ? S.map.mouseEventToLatLng(ev) : S.map.layerPointToLatLng([drag.layerX, drag.layerY])).wrap();
    if (validLonLat(ll.lng, ll.lat) && S.connected) {
      // Shown at the drop until Python answers (an upsert, or the old place back).
      S.data.place(row, ll.lng, ll.lat);
      S.bridge[TO_PYTHON.SITE_MOVED](drag.id, ll.lng, ll.lat);
    }
    repaint();
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
   *   painted the canvas and the DOM with the change (the page cannot see further);
   * - the frame marker: a 2x2 px element in the top-left corner whose colour encodes
   *   the newest seq applied, changed in the same task as the change itself. When
   *   the Qt widget's pixels show that colour, that frame (and everything before it)
   *   has reached the widget; MapView.present_frame waits for it.
   * The canvas repaint a message asks for is queued (requestAnimationFrame) before the
   * ack's frame callback, so the ack normally follows the paint; when it would not (the
   * fallback timer fired first, or a message came after that frame's callbacks), the
   * ack paints the canvas itself before it is sent.
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
      // Hidden pages get no animation frames; the canvas paints from a task queued
      // before this one.
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
      // The canvas paint a message asked for normally ran in the frame before this, but
      // not when the fallback timer fired first (no frame for a second: a busy machine,
      // a blocked UI thread) or when a message came after this frame's callbacks: paint
      // it now, so "rendered" never reports a seq whose markers are not on the canvas.
      if (S.canvas) {
        S.canvas.flushPaint();
      }
      CSE.basemap.flushPaints();
      if (S.connected) {
        S.bridge[TO_PYTHON.RENDERED](S.ackSeq);
      }
    });
  }

  /* How long the last message of each name took to parse and apply (ms), for
   * benchmarks: {name: {parse, apply, bytes}}. */
  CSE.timings = {};

  function receiver(name, apply) {
    return function (json) {
      var msg;
      var t0 = performance.now();
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
      var t1 = performance.now();
      try {
        apply(msg.data);
      } catch (err) {
        console.error('cse: applying ' + name + ' failed: ' + ((err && err.stack) || err));
      }
      CSE.timings[name] = { parse: t1 - t0, apply: performance.now() - t1, bytes: json.length };
      if (isFiniteNumber(msg.seq) && msg.seq > 0) {
        scheduleAck(msg.seq);
      }
    };
  }

  /* A long reset comes in parts, in order: "k:n:" then the k-th of n pieces of its
   * text; the whole text goes to the reset's receiver once the last part is in. A part
   * out of order (or without its header) drops what was gathered; a first part starts
   * again. */
  function resetParts(whole) {
    var gathered = null;
    return function (part) {
      var head = typeof part === 'string' ? /^(\d{1,9}):(\d{1,9}):/.exec(part.slice(0, 24)) : null;
      if (!head) {
        console.error('cse: a reset part without its header; dropped');
        gathered = null;
        return;
      }
      var k = Number(head[1]);
      var n = Number(head[2]);
      if (k === 0) {
        gathered = { n: n, pieces: [] };
      }
      if (!gathered || gathered.n !== n || gathered.pieces.length !== k || k >= n) {
        console.error('cse: reset part ' + k + ' of ' + n + ' out of order; dropped');
        gathered = null;
        return;
      }
      gathered.pieces.push(part.slice(head[0].length));
      if (gathered.pieces.length === n) {
        var text = gathered.pieces.join('');
        gathered = null;
        whole(text);
      }
    };
  }

  /* The basemap's layers (made by CSE.setupBasemap, not by folium) at the head of the
   * layer switcher, in their own order, before the overlays folium listed (Sites...). */
  function listBasemapFirst(control, layers) {
    if (!control || !control.addOverlay || !layers.length) {
      return;
    }
    var listed = (control._layers || []).slice();
    listed.forEach(function (entry) {
      control.removeLayer(entry.layer);
    });
    layers.forEach(function (ref) {
      control.addOverlay(ref.layer, CSE.escapeHtml(ref.label));
    });
    listed.forEach(function (entry) {
      if (entry.overlay) {
        control.addOverlay(entry.layer, entry.name);
      } else {
        control.addBaseLayer(entry.layer, entry.name);
      }
    });
  }

  /* ------------------------------------------------------------------ start */
  CSE.start = function (map, config) {
    config = config || {};
    COLORS = CSE.config.colors;
    WORDS = CSE.config.legend;
    TIP = CSE.config.tip;
    MODES = CSE.config.modes;
    AGG = CSE.config.aggregate;
    TO_PAGE = CSE.config.toPage;
    TO_PYTHON = CSE.config.toPython;
    FLAG = CSE.config.sites.FLAGS;
    LINE_STATUSES = CSE.config.sites.LINE_STATUSES;
    CSE.config.sites.STATES.forEach(function (name, k) {
      STATE[name] = k;
    });
    S.map = map;
    S.data = new CSE.SiteData(CSE.config.limits, CSE.config.sites.STATES);
    S.layer = config.sitesLayer || L.featureGroup().addTo(map);
    S.canvas = new CSE.SiteCanvas({ pane: 'cse-sites', paint: paint });
    S.layer.addLayer(S.canvas);
    S.canvas.on('remove', function () {
      // Switched off in the layer switcher: nothing of it is drawn any more.
      S.drawn = new Map();
      S.links = new Map();
      hideTooltip();
    });
    var container = map.getContainer();
    container.addEventListener('mousemove', onContainerMouseMove, true);
    container.addEventListener('mouseout', onContainerMouseOut, true);
    container.addEventListener('click', onContainerClick, true);
    container.addEventListener('dblclick', onContainerDoubleClick, true);
    container.addEventListener('mousedown', onContainerMouseDown, true);
    map.on('zoomstart movestart', hideTooltip);
    map.on('zoomanim', schedulePrewarm);
    S.basemap = {};
    (CSE.basemapLayers || []).forEach(function (ref) {
      S.basemap[ref.key] = ref.layer;
    });
    listBasemapFirst(config.layerControl, CSE.basemapLayers || []);
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
      bridge[TO_PAGE.SITES_RESET_PART].connect(resetParts(receiver(TO_PAGE.SITES_RESET, reset)));
      listen(TO_PAGE.SITE_UPSERTED, upsertMany);
      listen(TO_PAGE.SITE_REMOVED, removeMany);
      listen(TO_PAGE.SITES_COUNTED, counted);
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
   * Read-only views of the page state for tests, snapshots and automation (Python's
   * MapView calls them with runJavaScript). */
  function rgb(px) {
    return px && px[3] > 0 ? 'rgb(' + px[0] + ', ' + px[1] + ', ' + px[2] + ')' : null;
  }

  CSE.markerState = function (id) {
    var d = S.data;
    var row = d ? d.row(id) : -1;
    if (row < 0) {
      return null;
    }
    var style = styleFor(row);
    var drawn = S.drawn.get(id) || null;
    var g = S.groups;
    var group = g && g.of && row < g.of.length ? g.of[row] : -1;
    var lines = tooltipLines(row);
    var painted = null;
    var paintedOutline = null;
    if (drawn && S.canvas) {
      painted = rgb(S.canvas.pixel(L.point(drawn.x, drawn.y)));
      paintedOutline = rgb(S.canvas.pixel(L.point(drawn.x + drawn.style.r, drawn.y)));
    }
    return {
      lat: d.lat[row],
      lon: d.lon[row],
      radius: style.r,
      tooltip_text: joinLines(lines),
      tooltip_lines: lines.map(function (l) {
        return { text: l.text, off: !!l.off, cls: l.cls };
      }),
      selected: S.selected === id,
      highlighted: S.highlighted.has(id),
      state: CSE.config.sites.STATES[d.state[row]],
      chips: d.chips[row],
      low: d.low[row],
      high: d.high[row],
      restricted_chips: d.restricted[row],
      planned: d.planned[row],
      color: style.fill,
      hollow: style.fill === null,
      outline: style.stroke,
      dashed: !!style.dash,
      campus_ring: style.campus,
      alpha: style.alpha,
      on_map: S.map.hasLayer(S.canvas),
      drawn: !!drawn,
      group: group,
      links: S.links.get(id) || 0,
      // What the browser painted at the marker's centre and on its outline, right of
      // the centre (null where nothing was): thin outlines blend with what is under.
      painted_fill: painted,
      painted_outline: paintedOutline
    };
  };

  /* {id: [chips, radius]} of the markers drawn on their own that stand for chips (the
   * snapshot's size legend): what a marker counts on the date, or what a hollow ring
   * (nothing online yet) will hold, as its size shows. */
  CSE.drawnSizes = function () {
    var out = {};
    S.drawn.forEach(function (v, id) {
      var row = S.data.row(id);
      var st = row >= 0 ? S.data.state[row] : -1;
      if (st === STATE.counted && S.data.chips[row] > 0) {
        out[id] = [S.data.chips[row], v.style.r];
      } else if (st === STATE.pending && S.data.planned[row] > 0) {
        out[id] = [S.data.planned[row], v.style.r];
      }
    });
    return out;
  };

  /* The zoom levels whose grouping is kept for the data as they are now (tests). */
  CSE.groupingsKept = function () {
    return S.groupCache
      .filter(function (g) {
        return S.data && g.version === S.data.version;
      })
      .map(function (g) {
        return g.zoom;
      });
  };

  /* The groups of the current zoom: [{index, ids, count, chips, restricted, label, lat,
   * lon, drawn, highlighted}] (ids only when withIds). */
  CSE.groupsState = function (withIds) {
    var g = S.groups;
    if (!g) {
      return [];
    }
    var drawn = new Set();
    S.canvas.items().forEach(function (it) {
      if (it.kind === 'group') {
        drawn.add(it.key);
      }
    });
    return g.groups.map(function (group, k) {
      var ll = S.map.unproject(L.point(group.x, group.y), g.zoom);
      var out = {
        index: k,
        count: group.count,
        chips: group.chips,
        restricted: group.restricted,
        label: compactCount(group.chips),
        lat: ll.lat,
        lon: ll.lng,
        drawn: drawn.has(k),
        highlighted: !!group.highlighted,
        splits: groupSplits(group)
      };
      if (withIds) {
        out.ids = Array.from(group.rows, function (r) {
          return S.data.id[r];
        });
      }
      return out;
    });
  };

  /* The centre of group `index`, or null when it is not drawn or a control covers it. */
  CSE.groupPoint = function (index) {
    var g = S.groups;
    var group = g && g.groups[index];
    if (!group) {
      return null;
    }
    var ll = S.map.unproject(L.point(group.x, group.y), g.zoom);
    if (!reachable(S.map.latLngToLayerPoint(ll))) {
      return null;
    }
    return CSE.viewportPoint(ll.lat, ll.lng);
  };

  CSE.groupListState = function () {
    if (!S.popup || !S.map.hasLayer(S.popup)) {
      return null;
    }
    var el = S.popup.getElement();
    var items = el ? el.querySelectorAll('.cse-group-item') : [];
    return {
      title: el ? el.querySelector('.cse-group-title').textContent : null,
      items: Array.prototype.map.call(items, function (b) {
        return { id: b.getAttribute('data-site'), text: b.textContent };
      }),
      more: el && el.querySelector('.cse-group-more') ? el.querySelector('.cse-group-more').textContent : null
    };
  };

  CSE.groupListItemPoint = function (id) {
    if (!S.popup || !S.map.hasLayer(S.popup)) {
      return null;
    }
    var el = S.popup.getElement();
    var buttons = el ? el.querySelectorAll('.cse-group-item') : [];
    for (var k = 0; k < buttons.length; k++) {
      if (buttons[k].getAttribute('data-site') === id) {
        var r = buttons[k].getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2, width: window.innerWidth, height: window.innerHeight };
      }
    }
    return null;
  };

  /* The sites' canvas pixel at a place, 'rgb(r, g, b)', or null where it is clear. */
  CSE.sitesPixelAt = function (lat, lon) {
    return rgb(S.canvas.pixel(S.map.latLngToLayerPoint([lat, lon])));
  };

  CSE.viewportPoint = function (lat, lon) {
    var p = S.map.latLngToContainerPoint([lat, lon]);
    var r = S.map.getContainer().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y, width: window.innerWidth, height: window.innerHeight };
  };

  /* Does a click at this layer point reach the map (not a control over it)? */
  function reachable(lp) {
    var cp = S.map.layerPointToContainerPoint(lp);
    var r = S.map.getContainer().getBoundingClientRect();
    var el = document.elementFromPoint(r.left + cp.x, r.top + cp.y);
    return !!el && S.map.getContainer().contains(el) && !el.closest('.leaflet-control');
  }

  /* A point of a drawn marker that is not covered by another one or by a control (where
   * a user would click it), as a whole container pixel: its centre if that is free, else
   * the first free point on two rings around it; null when it is covered all over. */
  function visiblePoint(id, drawn) {
    var r = drawn.style.r;
    var tries = [[0, 0]];
    [0.5, 0.8].forEach(function (f) {
      for (var a = 0; a < 8; a++) {
        tries.push([Math.cos((a * Math.PI) / 4) * f * r, Math.sin((a * Math.PI) / 4) * f * r]);
      }
    });
    for (var k = 0; k < tries.length; k++) {
      // The whole pixel a click there lands on, tested as a click is (itemAt).
      var cp = S.map.layerPointToContainerPoint(L.point(drawn.x + tries[k][0], drawn.y + tries[k][1])).round();
      var lp = S.map.containerPointToLayerPoint(cp);
      var hit = S.canvas.hit(lp, HIT_TOLERANCE_PX);
      if (hit && hit.kind === 'site' && hit.key === id && reachable(lp)) {
        return cp;
      }
    }
    return null;
  }

  /* Where a user would click a site's marker (see visiblePoint), or null when it is not
   * drawn on its own (grouped, or out of view) or cannot be clicked. */
  CSE.markerPoint = function (id) {
    var drawn = S.drawn.get(id);
    var cp = drawn ? visiblePoint(id, drawn) : null;
    if (!cp) {
      return null;
    }
    var r = S.map.getContainer().getBoundingClientRect();
    return { x: r.left + cp.x, y: r.top + cp.y, width: window.innerWidth, height: window.innerHeight };
  };

  CSE.pageState = function () {
    var basemap = {};
    Object.keys(S.basemap).forEach(function (key) {
      var layer = S.basemap[key];
      basemap[key] = { features: layer.featureCount(), on_map: S.map.hasLayer(layer) };
    });
    var labels = [];
    var spans = document.querySelectorAll('.leaflet-control-layers-overlays label span span');
    for (var i = 0; i < spans.length; i++) {
      labels.push(spans[i].textContent.trim());
    }
    var townLabels = 0;
    var townDots = 0;
    CSE.pageTowns().forEach(function (t) {
      var v = t.visibleParts();
      townLabels += v.label ? 1 : 0;
      townDots += v.dot ? 1 : 0;
    });
    var drawnSites = 0;
    var drawnGroups = 0;
    if (S.canvas) {
      S.canvas.items().forEach(function (it) {
        if (it.kind === 'group') {
          drawnGroups += 1;
        } else {
          drawnSites += 1;
        }
      });
    }
    return {
      connected: S.connected,
      sites: S.data ? S.data.n : 0,
      selected: S.selected,
      mode: S.mode,
      color_mode: S.colorMode,
      zoom: S.map.getZoom(),
      as_of: S.data ? S.data.asOf : null,
      rules_day: S.data ? S.data.rulesDay : null,
      aggregating: S.data ? aggregating(S.map.getZoom()) : false,
      groups: S.groups ? S.groups.groups.length : 0,
      drawn_groups: drawnGroups,
      drawn_sites: drawnSites,
      paints: S.canvas ? S.canvas.paints : 0,
      last_paint_ms: S.canvas ? S.canvas.lastPaintMs : 0,
      dropped_rows: S.data ? S.data.dropped : 0,
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
