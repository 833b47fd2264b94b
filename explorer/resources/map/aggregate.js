/*
 * Compute Site Explorer — grouping many sites at low zoom.
 *
 * CSE.aggregate(data, scale, options) groups the sites of a CSE.SiteData for one zoom
 * (scale = 2^zoom) inside a window of the world (options.window: {minX, minY, maxX,
 * maxY} in world pixels at that zoom; sites outside it are left out, neither grouped
 * nor single). Each site falls in a square cell of options.cellPx screen pixels (cells
 * are fixed in world pixels, so a pan never regroups what stays in the window); then,
 * biggest cell first, a cell takes in the neighbouring cells whose centre of sites lies
 * within options.mergePx of its own (each cell is taken in at most once, and a cell that
 * has taken others is never taken in itself: groups stay about three cells wide). A
 * cell left with one site is drawn as that site; two or more make a group.
 *
 * It returns {groups: [{rows, x, y, chips, restricted, count}], singles: [row...]}:
 * rows are the group's sites (an Int32Array), x, y its centre of sites in world pixels
 * at that zoom, chips and restricted the sums of its sites' counted chips (what their
 * markers would show). options.exclude (a row: the selected site) is always a single.
 *
 * The cells of the window are dense typed arrays and the sites are ordered by cell with
 * a counting sort, so the cost is one pass over the sites and one over the cells: no
 * hashing, no object per site.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});

  CSE.aggregate = function (data, scale, options) {
    var cellPx = options.cellPx;
    var mergePx2 = options.mergePx * options.mergePx;
    var exclude = typeof options.exclude === 'number' ? options.exclude : -1;
    var win = options.window;
    // One spare cell around the window: its edge cells still see their neighbours.
    var cx0 = Math.floor(win.minX / cellPx) - 1;
    var cy0 = Math.floor(win.minY / cellPx) - 1;
    var w = Math.floor(win.maxX / cellPx) + 2 - cx0;
    var h = Math.floor(win.maxY / cellPx) + 2 - cy0;
    var nCells = w * h;
    var n = data.n;
    var xs = data.x;
    var ys = data.y;
    var count = new Int32Array(nCells);
    var sx = new Float64Array(nCells);
    var sy = new Float64Array(nCells);
    var cellOf = new Int32Array(n);
    var singles = [];
    var placed = 0;
    for (var i = 0; i < n; i++) {
      cellOf[i] = -1;
      var px = xs[i] * scale;
      var py = ys[i] * scale;
      var cx = Math.floor(px / cellPx) - cx0;
      var cy = Math.floor(py / cellPx) - cy0;
      if (cx < 0 || cy < 0 || cx >= w || cy >= h) {
        continue;
      }
      if (i === exclude) {
        singles.push(i);
        continue;
      }
      var k = cy * w + cx;
      cellOf[i] = k;
      count[k] += 1;
      sx[k] += px;
      sy[k] += py;
      placed += 1;
    }
    // Sites ordered by cell (counting sort): cell k holds order[start[k] .. start[k + 1]).
    var start = new Int32Array(nCells + 1);
    for (var c = 0; c < nCells; c++) {
      start[c + 1] = start[c] + count[c];
    }
    var next = start.slice(0, nCells);
    var order = new Int32Array(placed);
    for (var j = 0; j < n; j++) {
      if (cellOf[j] >= 0) {
        order[next[cellOf[j]]++] = j;
      }
    }
    var cells = [];
    for (var e = 0; e < nCells; e++) {
      if (count[e]) {
        cells.push(e);
      }
    }
    // Biggest first; ties by position, so the result does not depend on row order.
    cells.sort(function (a, b) {
      return count[b] - count[a] || a - b;
    });
    var state = new Uint8Array(nCells); // 0 open, 1 done, 2 taken in
    var rows = new Int32Array(placed);
    var at = 0;
    var groups = [];
    var chips = data.chips;
    var restricted = data.restricted;
    cells.forEach(function (k) {
      if (state[k] === 2) {
        return;
      }
      state[k] = 1;
      var mx = sx[k] / count[k];
      var my = sy[k] / count[k];
      var members = [k];
      var kx = k % w;
      var ky = (k - kx) / w;
      for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
          var ox = kx + dx;
          var oy = ky + dy;
          if ((!dx && !dy) || ox < 0 || oy < 0 || ox >= w || oy >= h) {
            continue;
          }
          var o = oy * w + ox;
          if (!count[o] || state[o] !== 0) {
            continue;
          }
          var ddx = sx[o] / count[o] - mx;
          var ddy = sy[o] / count[o] - my;
          if (ddx * ddx + ddy * ddy < mergePx2) {
            state[o] = 2;
            members.push(o);
          }
        }
      }
      var total = 0;
      var gx = 0;
      var gy = 0;
      members.forEach(function (m) {
        total += count[m];
        gx += sx[m];
        gy += sy[m];
      });
      if (total === 1) {
        singles.push(order[start[k]]);
        return;
      }
      var first = at;
      var sumChips = 0;
      var sumRestricted = 0;
      members.forEach(function (m) {
        for (var r = start[m]; r < start[m + 1]; r++) {
          var row = order[r];
          rows[at++] = row;
          sumChips += chips[row];
          sumRestricted += restricted[row];
        }
      });
      groups.push({
        rows: rows.subarray(first, at),
        x: gx / total,
        y: gy / total,
        chips: sumChips,
        restricted: sumRestricted,
        count: total
      });
    });
    return { groups: groups, singles: singles };
  };
})();
