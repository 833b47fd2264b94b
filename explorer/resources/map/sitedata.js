/*
 * Compute Site Explorer — the page's copy of the sites, as columns.
 *
 * CSE.SiteData holds what Python sent (explorer/web/site_columns.py): numbers in typed
 * arrays (binary columns arrive as [dtype, base64] and are read without parsing a
 * number at a time), text in plain arrays, and an id -> row index. Messages:
 *   reset(data)     data = {as_of, as_of_day, rules_day, models, sites: columns}
 *   upsert(columns) the same columns for a few sites (added or changed)
 *   remove(ids)
 *   counted(data)   data = {as_of, as_of_day, rules_day, models, sites: {n, id, chips,
 *                   restricted, model, state, [low, high]}}: every site on another date
 * Columns are checked (types, lengths) and rows too (id, finite lon/lat in range); a
 * bad column drops the message, a bad row is skipped, both with a warning. A removed
 * row is replaced by the last one (row order carries no meaning: the drawing order is
 * decided when drawing). Every change bumps `version`, which the drawing caches
 * (groups, campus lines) are keyed on.
 *
 * Each site is also kept projected to Web Mercator pixels at zoom 0 (x, y), as
 * Leaflet's EPSG3857 projects at zoom 0, so drawing at zoom z is one multiply.
 *
 * Hardware lines live in their own columns (model, chips, low, high, status, online
 * date); a site points at its lines with lineStart/lineCount. An upsert appends the
 * site's new lines (the old ones stay unused until the next reset).
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var isFiniteNumber = CSE.isFiniteNumber; // basemap.js

  var TYPES = { f8: Float64Array, i4: Int32Array, i2: Int16Array, u2: Uint16Array, u1: Uint8Array };
  var LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  var GETTERS = { f8: 'getFloat64', i4: 'getInt32', i2: 'getInt16', u2: 'getUint16', u1: 'getUint8' };

  /* Base64 text as bytes (throws if it is not base64): in the engine where it can
   * (Chromium 140 on, Qt WebEngine 6.10), ten times the speed of atob and a loop over
   * its characters (0.6 against 6 ms for 800 KB; 100,000 sites bring about 5 MB). */
  function base64Bytes(text) {
    if (typeof Uint8Array.fromBase64 === 'function') {
      return Uint8Array.fromBase64(text);
    }
    var bin = atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) {
      bytes[k] = bin.charCodeAt(k);
    }
    return bytes;
  }

  /* A [dtype, base64] column as a typed array, or null if it is not one. */
  function decode(column) {
    if (!Array.isArray(column) || column.length !== 2 || !TYPES[column[0]] || typeof column[1] !== 'string') {
      return null;
    }
    var bytes;
    try {
      bytes = base64Bytes(column[1]);
    } catch (err) {
      return null;
    }
    var T = TYPES[column[0]];
    var size = T.BYTES_PER_ELEMENT;
    if (bytes.length % size) {
      return null;
    }
    if (LITTLE_ENDIAN) {
      return new T(bytes.buffer, bytes.byteOffset, bytes.length / size);
    }
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    var out = new T(bytes.length / size);
    for (var j = 0; j < out.length; j++) {
      out[j] = view[GETTERS[column[0]]](j * size, true);
    }
    return out;
  }
  CSE.decodeColumn = decode;

  /* Web Mercator at zoom 0 (0..256 px), Leaflet's EPSG3857 formula. */
  var MAX_LAT = L.Projection.SphericalMercator.MAX_LATITUDE;
  var D = Math.PI / 180;
  function projectX(lon) {
    return 256 * (lon / 360 + 0.5);
  }
  function projectY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * D);
    return 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }

  // Per-site numeric columns and their array types; per-line ones likewise.
  var SITE_NUMBERS = {
    lon: Float64Array,
    lat: Float64Array,
    x: Float64Array,
    y: Float64Array,
    chips: Int32Array,
    low: Int32Array,
    high: Int32Array,
    restricted: Int32Array,
    planned: Int32Array,
    model: Int16Array,
    state: Uint8Array,
    flags: Uint8Array,
    lineStart: Int32Array,
    lineCount: Uint16Array
  };
  var SITE_TEXTS = ['id', 'name', 'partOf', 'supersedes'];
  var LINE_NUMBERS = {
    lineModel: Int16Array,
    lineChips: Int32Array,
    lineLow: Int32Array,
    lineHigh: Int32Array,
    lineStatus: Uint8Array,
    lineOnline: Int32Array
  };

  function SiteData(limits, states) {
    this._maxId = limits.MAX_ID_LENGTH;
    this._stateCount = states.length;
    this.models = [];
    this.asOf = null;
    this.asOfDay = null;
    this.rulesDay = null;
    this.version = 0;
    this.dropped = 0;
    this._clear();
  }

  SiteData.prototype._clear = function () {
    var self = this;
    this.n = 0;
    this.cap = 0;
    this.index = new Map();
    Object.keys(SITE_NUMBERS).forEach(function (k) {
      self[k] = new SITE_NUMBERS[k](0);
    });
    SITE_TEXTS.forEach(function (k) {
      self[k] = [];
    });
    this.lineN = 0;
    this.lineCap = 0;
    Object.keys(LINE_NUMBERS).forEach(function (k) {
      self[k] = new LINE_NUMBERS[k](0);
    });
    // Online dates as written ("2026-06"), and the day ordinal each counts from.
    this.onlineTexts = [''];
    this.onlineDays = [null];
    this._onlineIndex = new Map([['', 0]]);
  };

  function grow(self, spec, capName, need) {
    if (self[capName] >= need) {
      return;
    }
    var cap = Math.max(need, Math.ceil(self[capName] * 1.5), 16);
    Object.keys(spec).forEach(function (k) {
      var next = new spec[k](cap);
      next.set(self[k].subarray(0, Math.min(self[k].length, cap)));
      self[k] = next;
    });
    self[capName] = cap;
  }

  SiteData.prototype._setDate = function (data) {
    this.asOf = typeof data.as_of === 'string' ? data.as_of : null;
    this.asOfDay = isFiniteNumber(data.as_of_day) ? data.as_of_day : null;
    this.rulesDay = typeof data.rules_day === 'string' ? data.rules_day : null;
    var models = [];
    (Array.isArray(data.models) ? data.models : []).forEach(function (m) {
      if (m && typeof m.name === 'string') {
        models.push({ name: m.name, restricted: !!m.restricted });
      }
    });
    this.models = models;
  };

  /* The columns of a message, decoded and checked: {n, numbers..., texts...} or null. */
  function readColumns(c, required) {
    if (!c || typeof c !== 'object' || !isFiniteNumber(c.n) || c.n < 0 || !Array.isArray(c.id) || c.id.length !== c.n) {
      console.warn('cse: ignoring malformed site columns');
      return null;
    }
    var out = { n: c.n, id: c.id };
    var ok = true;
    required.forEach(function (key) {
      var col = decode(c[key]);
      if (!col || col.length !== c.n) {
        ok = false;
      }
      out[key] = col;
    });
    ['low', 'high'].forEach(function (key) {
      if (c[key] !== undefined) {
        var col = decode(c[key]);
        ok = ok && !!col && col.length === c.n;
        out[key] = col;
      } else {
        out[key] = out.chips;
      }
    });
    if (!ok) {
      console.warn('cse: ignoring site columns of the wrong type or length');
      return null;
    }
    return out;
  }

  var COUNTED = ['chips', 'restricted', 'model', 'state'];
  var ALL = COUNTED.concat(['lon', 'lat', 'planned', 'flags']);

  SiteData.prototype.reset = function (data) {
    this._clear();
    this._setDate(data || {});
    var columns = data ? data.sites : null;
    if (!this._adopt(columns)) {
      this.upsert(columns);
    }
  };

  /* A reset's columns taken over as they are (the decoded arrays become ours) when every
   * row is sound and every id distinct: no per-site copying, which is most of the cost
   * of 100,000 sites. False (nothing changed) otherwise: upsert then checks row by row. */
  SiteData.prototype._adopt = function (columns) {
    var c = readColumns(columns, ALL);
    if (!c || !Array.isArray(columns.name) || columns.name.length !== c.n) {
      return false;
    }
    var lines = this._readLines(columns.lines, c);
    if (!lines) {
      return false;
    }
    var n = c.n;
    var ids = c.id;
    var names = columns.name;
    var lon = c.lon;
    var lat = c.lat;
    var index = new Map();
    var maxId = this._maxId;
    for (var i = 0; i < n; i++) {
      var id = ids[i];
      if (
        typeof id !== 'string' || id.length === 0 || id.length > maxId || index.has(id) ||
        typeof names[i] !== 'string' ||
        !(lon[i] >= -180 && lon[i] <= 180 && lat[i] >= -90 && lat[i] <= 90)
      ) {
        return false;
      }
      index.set(id, i);
    }
    var x = new Float64Array(n);
    var y = new Float64Array(n);
    var model = c.model;
    var state = c.state;
    var nModels = this.models.length;
    var nStates = this._stateCount;
    for (var j = 0; j < n; j++) {
      x[j] = projectX(lon[j]);
      y[j] = projectY(lat[j]);
      if (!(model[j] >= 0 && model[j] < nModels)) {
        model[j] = -1;
      }
      if (state[j] >= nStates) {
        state[j] = 0;
      }
    }
    var partOf = new Array(n).fill('');
    var supersedes = new Array(n).fill('');
    var rel = columns.relations || {};
    if (Array.isArray(rel.row)) {
      rel.row.forEach(function (row, k) {
        if (row >= 0 && row < n) {
          partOf[row] = typeof rel.part_of[k] === 'string' ? rel.part_of[k] : '';
          supersedes[row] = typeof rel.supersedes[k] === 'string' ? rel.supersedes[k] : '';
        }
      });
    }
    var lineStart = new Int32Array(n);
    var at = 0;
    for (var k = 0; k < n; k++) {
      lineStart[k] = at;
      at += lines.count[k];
    }
    // Typed as SITE_NUMBERS / LINE_NUMBERS say (a narrower type sent is widened here).
    function as(T, a) {
      return a instanceof T ? a : new T(a);
    }
    this.index = index;
    this.id = ids;
    this.name = names;
    this.partOf = partOf;
    this.supersedes = supersedes;
    this.lon = lon;
    this.lat = lat;
    this.x = x;
    this.y = y;
    this.chips = as(Int32Array, c.chips);
    // low and high are written apart from chips on a new date: never the same array.
    this.low = c.low === c.chips ? new Int32Array(c.chips) : as(Int32Array, c.low);
    this.high = c.high === c.chips ? new Int32Array(c.chips) : as(Int32Array, c.high);
    this.restricted = as(Int32Array, c.restricted);
    this.planned = as(Int32Array, c.planned);
    this.model = as(Int16Array, model);
    this.state = as(Uint8Array, state);
    this.flags = as(Uint8Array, c.flags);
    this.lineStart = lineStart;
    this.lineCount = as(Uint16Array, lines.count);
    this.lineModel = as(Int16Array, lines.model);
    this.lineChips = as(Int32Array, lines.chips);
    this.lineLow = lines.low === lines.chips ? new Int32Array(lines.chips) : as(Int32Array, lines.low);
    this.lineHigh = lines.high === lines.chips ? new Int32Array(lines.chips) : as(Int32Array, lines.high);
    this.lineStatus = as(Uint8Array, lines.status);
    this.lineOnline = lines.online;
    this.n = n;
    this.cap = n;
    this.lineN = lines.total;
    this.lineCap = lines.total;
    this.version += 1;
    return true;
  };

  /* Add or replace the sites in `columns`; returns the ids applied. */
  SiteData.prototype.upsert = function (columns) {
    this.version += 1;
    var c = readColumns(columns, ALL);
    if (!c) {
      return [];
    }
    if (!Array.isArray(columns.name) || columns.name.length !== c.n) {
      console.warn('cse: ignoring site columns without names');
      return [];
    }
    var lines = this._readLines(columns.lines, c);
    if (!lines) {
      return [];
    }
    var rel = columns.relations || {};
    var partOf = new Map();
    var supersedes = new Map();
    if (Array.isArray(rel.row)) {
      rel.row.forEach(function (row, k) {
        partOf.set(row, typeof rel.part_of[k] === 'string' ? rel.part_of[k] : '');
        supersedes.set(row, typeof rel.supersedes[k] === 'string' ? rel.supersedes[k] : '');
      });
    }
    grow(this, SITE_NUMBERS, 'cap', this.n + c.n);
    grow(this, LINE_NUMBERS, 'lineCap', this.lineN + lines.total);
    var applied = [];
    var lineAt = 0;
    // Columns in locals: the loop runs once per site (100,000 and more).
    var index = this.index;
    var ids = this.id;
    var names = this.name;
    var partOfs = this.partOf;
    var supersedeses = this.supersedes;
    var lonA = this.lon;
    var latA = this.lat;
    var xA = this.x;
    var yA = this.y;
    var chipsA = this.chips;
    var lowA = this.low;
    var highA = this.high;
    var restrictedA = this.restricted;
    var plannedA = this.planned;
    var modelA = this.model;
    var stateA = this.state;
    var flagsA = this.flags;
    var startA = this.lineStart;
    var countA = this.lineCount;
    var lModel = this.lineModel;
    var lChips = this.lineChips;
    var lLow = this.lineLow;
    var lHigh = this.lineHigh;
    var lStatus = this.lineStatus;
    var lOnline = this.lineOnline;
    var nModels = this.models.length;
    var nStates = this._stateCount;
    var maxId = this._maxId;
    var textNames = columns.name;
    var lineN = this.lineN;
    var n = this.n;
    var dropped = 0;
    var inCount = lines.count;
    var inModel = lines.model;
    var inChips = lines.chips;
    var inLow = lines.low;
    var inHigh = lines.high;
    var inStatus = lines.status;
    var inOnline = lines.online;
    for (var i = 0; i < c.n; i++) {
      var count = inCount[i];
      var first = lineAt;
      lineAt += count;
      var id = c.id[i];
      var lon = c.lon[i];
      var lat = c.lat[i];
      if (
        typeof id !== 'string' || id.length === 0 || id.length > maxId ||
        !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)
      ) {
        dropped += 1;
        continue;
      }
      var row = index.get(id);
      if (row === undefined) {
        row = n;
        n += 1;
        index.set(id, row);
      }
      ids[row] = id;
      var name = textNames[i];
      names[row] = typeof name === 'string' ? name : '';
      lonA[row] = lon;
      latA[row] = lat;
      xA[row] = projectX(lon);
      yA[row] = projectY(lat);
      chipsA[row] = c.chips[i];
      lowA[row] = c.low[i];
      highA[row] = c.high[i];
      restrictedA[row] = c.restricted[i];
      var model = c.model[i];
      modelA[row] = model >= 0 && model < nModels ? model : -1;
      var state = c.state[i];
      stateA[row] = state < nStates ? state : 0;
      plannedA[row] = c.planned[i];
      flagsA[row] = c.flags[i];
      partOfs[row] = partOf.size ? partOf.get(i) || '' : '';
      supersedeses[row] = supersedes.size ? supersedes.get(i) || '' : '';
      startA[row] = lineN;
      countA[row] = count;
      for (var k = 0; k < count; k++) {
        var from = first + k;
        lModel[lineN] = inModel[from];
        lChips[lineN] = inChips[from];
        lLow[lineN] = inLow[from];
        lHigh[lineN] = inHigh[from];
        lStatus[lineN] = inStatus[from];
        lOnline[lineN] = inOnline[from];
        lineN += 1;
      }
      applied.push(id);
    }
    this.n = n;
    this.lineN = lineN;
    this.dropped += dropped;

    if (this.dropped) {
      console.warn('cse: ignored ' + this.dropped + ' malformed site rows so far');
    }
    return applied;
  };

  SiteData.prototype._writeCounts = function (row, c, i) {
    this.chips[row] = c.chips[i];
    this.low[row] = c.low[i];
    this.high[row] = c.high[i];
    this.restricted[row] = c.restricted[i];
    var model = c.model[i];
    this.model[row] = model >= 0 && model < this.models.length ? model : -1;
    var state = c.state[i];
    this.state[row] = state < this._stateCount ? state : 0;
  };

  /* The lines of a message, decoded, with online dates mapped to this page's table. */
  SiteData.prototype._readLines = function (l, c) {
    var self = this;
    if (!l || typeof l !== 'object') {
      console.warn('cse: ignoring site columns without lines');
      return null;
    }
    var count = decode(l.count);
    if (!count || count.length !== c.n) {
      console.warn('cse: ignoring site columns with malformed lines');
      return null;
    }
    var total = 0;
    for (var i = 0; i < count.length; i++) {
      total += count[i];
    }
    var out = { count: count, total: total };
    var ok = true;
    ['model', 'chips', 'status', 'online'].forEach(function (key) {
      out[key] = decode(l[key]);
      ok = ok && !!out[key] && out[key].length === total;
    });
    // Ranges come for the lines that have one: ranged (line indices), low, high.
    out.low = out.high = out.chips;
    if (ok && l.ranged !== undefined) {
      var ranged = decode(l.ranged);
      var lows = decode(l.low);
      var highs = decode(l.high);
      ok = !!ranged && !!lows && !!highs && lows.length === ranged.length && highs.length === ranged.length;
      if (ok) {
        out.low = new Int32Array(out.chips);
        out.high = new Int32Array(out.chips);
        for (var r = 0; r < ranged.length; r++) {
          var at = ranged[r];
          ok = ok && at >= 0 && at < total;
          out.low[at] = lows[r];
          out.high[at] = highs[r];
        }
      }
    }
    var texts = Array.isArray(l.online_texts) ? l.online_texts : [];
    var days = Array.isArray(l.online_days) ? l.online_days : [];
    ok = ok && texts.length === days.length;
    if (!ok) {
      console.warn('cse: ignoring site columns with malformed lines');
      return null;
    }
    // Message-local date indices -> this page's table.
    var local = texts.map(function (text, k) {
      var key = typeof text === 'string' ? text : '';
      if (!self._onlineIndex.has(key)) {
        self._onlineIndex.set(key, self.onlineTexts.length);
        self.onlineTexts.push(key);
        self.onlineDays.push(isFiniteNumber(days[k]) ? days[k] : null);
      }
      return self._onlineIndex.get(key);
    });
    var online = new Int32Array(total);
    for (var j = 0; j < total; j++) {
      var m = local[out.online[j]];
      online[j] = m === undefined ? 0 : m;
    }
    out.online = online;
    return out;
  };

  SiteData.prototype.remove = function (ids) {
    var self = this;
    var keys = Object.keys(SITE_NUMBERS);
    (Array.isArray(ids) ? ids : []).forEach(function (id) {
      var row = typeof id === 'string' ? self.index.get(id) : undefined;
      if (row === undefined) {
        return;
      }
      var last = self.n - 1;
      if (row !== last) {
        keys.forEach(function (k) {
          self[k][row] = self[k][last];
        });
        SITE_TEXTS.forEach(function (k) {
          self[k][row] = self[k][last];
        });
        self.index.set(self.id[row], row);
      }
      SITE_TEXTS.forEach(function (k) {
        self[k].length = last;
      });
      self.index.delete(id);
      self.n = last;
    });
    this.version += 1;
  };

  SiteData.prototype.counted = function (data) {
    this.version += 1;
    if (!data || typeof data !== 'object') {
      return;
    }
    var c = readColumns(data.sites, COUNTED);
    if (!c) {
      return;
    }
    this._setDate(data);
    for (var i = 0; i < c.n; i++) {
      var row = this.index.get(c.id[i]);
      if (row !== undefined) {
        this._writeCounts(row, c, i);
      }
    }
  };

  /* Show row `row` at another place (a marker dropped, until Python answers). */
  SiteData.prototype.place = function (row, lon, lat) {
    this.lon[row] = lon;
    this.lat[row] = lat;
    this.x[row] = projectX(lon);
    this.y[row] = projectY(lat);
    this.version += 1;
  };

  SiteData.prototype.row = function (id) {
    var row = this.index.get(id);
    return row === undefined ? -1 : row;
  };

  /* The lines of row i: [{model, chips, low, high, status, online, day}]. */
  SiteData.prototype.linesOf = function (i) {
    var out = [];
    var start = this.lineStart[i];
    for (var k = 0; k < this.lineCount[i]; k++) {
      var j = start + k;
      out.push({
        model: this.lineModel[j],
        chips: this.lineChips[j],
        low: this.lineLow[j],
        high: this.lineHigh[j],
        status: this.lineStatus[j],
        online: this.onlineTexts[this.lineOnline[j]],
        day: this.onlineDays[this.lineOnline[j]]
      });
    }
    return out;
  };

  /* Campus row -> rows of its parts (the sites flagged PART whose part_of is present). */
  SiteData.prototype.campusParts = function (partBit) {
    if (this._campusVersion === this.version) {
      return this._campusParts;
    }
    var out = new Map();
    for (var i = 0; i < this.n; i++) {
      if (this.flags[i] & partBit) {
        var c = this.index.get(this.partOf[i]);
        if (c !== undefined) {
          if (!out.has(c)) {
            out.set(c, []);
          }
          out.get(c).push(i);
        }
      }
    }
    this._campusParts = out;
    this._campusVersion = this.version;
    return out;
  };

  /* Superseded id -> row of the site that supersedes it. */
  SiteData.prototype.supersededBy = function () {
    if (this._supVersion === this.version) {
      return this._sup;
    }
    var out = new Map();
    for (var i = 0; i < this.n; i++) {
      if (this.supersedes[i]) {
        out.set(this.supersedes[i], i);
      }
    }
    this._sup = out;
    this._supVersion = this.version;
    return out;
  };

  CSE.SiteData = SiteData;
})();
