"""Which of many points a polygon covers: an exact test, vectorised in numpy.

A polygon region is asked about every site at once (a million of them for a national
list), so the test must be fast, and it must give exactly the answer of the ``covers``
predicate (GEOS's, as ``shapely.covers``/``shapely.intersects_xy`` give it): a point on
an edge or a vertex is inside, holes and multipolygon parts count, nothing is decided
by a tolerance.

How (:class:`PolygonMask`):

1. **Bounding box.** Points outside the polygon's bounding box are out; NaN compares
   False and drops out here too.
2. **Cell grid.** The box is cut into roughly square cells. A cell that no edge comes
   near (within a margin far larger than any rounding error in the cell arithmetic)
   lies wholly inside or wholly outside; its state is decided once, when the grid is
   built, by a scan line through the row's centre. A point in such a cell is answered
   by one table look-up. This decides most points.
3. **Edge buckets.** The cells an edge comes near are *marked*; in each row, a maximal
   run of marked cells gets the edges that pass through it. A point in a marked cell
   is tested against its run's edges only: the parity of the run's edges crossing the
   horizontal ray to its right, started from the known state of the unmarked cell just
   after the run (or "outside" past the box). Any edge crossing that ray between the
   point and that cell passes through the run, so nothing is missed. (A run holding
   more than 48 edges, a boundary that runs along a row for a long way, hands its
   points to GEOS instead: every edge costs a pass.)
4. **Exact arithmetic where it matters.** Each crossing is decided by the sign of an
   orientation determinant (the rule GEOS's ray-crossing counter uses: an edge counts
   when ``ylo <= y < yhi`` and the point lies left of it, going up). Its floating-point
   value is trusted only when it exceeds Shewchuk's error bound for that very
   expression, which proves the sign. A point where some determinant of its run is
   within the bound (it lies on, or within about 1e-15 relative of, an edge or vertex)
   is handed to GEOS, whose robust predicate decides it. So the fast answers are
   proved, and the rest are GEOS's own.

Building the grid costs about as much as testing a few thousand points, so small
queries go straight to GEOS until a large one has paid for the grid (it is kept).

No Qt here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

#: Unit roundoff of float64 (half an ulp of 1.0).
_U = 2.0**-53
#: Shewchuk's bound on the rounding error of orient2d's determinant,
#: ``(3 + 16u) u * (|detleft| + |detright|)``, doubled for good measure.
_ORIENT_ERR = 2.0 * (3.0 + 16.0 * _U) * _U
#: Below this a product may have lost bits to underflow, where the relative bound no
#: longer holds; such determinants are never trusted.
_ORIENT_FLOOR = 1e-250

#: Fewer bounding-box candidates than this, plus :data:`GRID_CANDIDATES_PER_CELL` per
#: planned cell, go to GEOS unless the grid already exists. Measured: GEOS tests a
#: point against a prepared polygon in about 0.1 us (30 vertices) to 0.15 us (1,500);
#: the grid costs about 0.3 ms plus 35 ns per cell to build, then about 10 ns a point.
GRID_MIN_CANDIDATES = 3_000
GRID_CANDIDATES_PER_CELL = 1 / 3

#: Cells in the grid: about this many per vertex, within the bounds below. Finer grids
#: leave fewer points in marked cells but cost more to build.
_CELLS_PER_VERTEX = 32
_MIN_CELLS = 16_384
_MAX_CELLS = 1 << 18

#: Points in a run of marked cells with more edges than this go to GEOS: each edge of
#: a run costs one vectorised pass over the points still being tested.
_MAX_RUN_EDGES = 48

# The state of a cell: what a point in it is, or "test it against the edges".
_OUT, _IN, _MARKED = 0, 1, 2


@dataclass(frozen=True, eq=False)
class _Edges:
    """Every edge of every ring, with its lower endpoint first.

    ``(ax, ay)`` is the endpoint with the smaller latitude (either one for a horizontal
    edge) and ``yhi`` the other's latitude, exactly; ``ex = bx - ax`` and
    ``ey = yhi - ay >= 0`` as float64 computes them (the same rounded differences the
    error bound accounts for). ``ay + ey`` need not equal ``yhi``: never use it.
    """

    ax: np.ndarray
    ay: np.ndarray
    yhi: np.ndarray
    ex: np.ndarray
    ey: np.ndarray

    @property
    def ylo(self) -> np.ndarray:
        return self.ay


def polygon_edges(geom: Polygon | MultiPolygon) -> tuple[np.ndarray, np.ndarray]:
    """Start and end vertices of every edge of every ring (zero-length edges dropped).

    Returns
    -------
    (p, q) : tuple of numpy.ndarray, shape (n_edges, 2)
    """
    rings = shapely.get_rings(shapely.get_parts(geom))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[1:] == ring_of[:-1]
    p, q = coords[:-1][same_ring], coords[1:][same_ring]
    keep = (p != q).any(axis=1)
    return p[keep], q[keep]


def _edges(geom: Polygon | MultiPolygon) -> _Edges:
    p, q = polygon_edges(geom)
    up = q[:, 1] >= p[:, 1]
    lo = np.where(up[:, None], p, q)
    hi = np.where(up[:, None], q, p)
    return _Edges(
        lo[:, 0].copy(), lo[:, 1].copy(), hi[:, 1].copy(), hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]
    )


@dataclass(frozen=True, eq=False)
class _Grid:
    """The cell grid and the edge buckets of its marked runs.

    The grid has ``nx + 1`` columns and ``ny + 1`` rows: the last column and row hold
    points whose index rounds to ``nx`` or ``ny`` (on the box's east or north side)
    and are always marked.
    """

    minx: float
    miny: float
    sx: float
    sy: float
    nx: int
    ny: int
    state: np.ndarray  # uint8, (ny + 1) * (nx + 1): _OUT, _IN or _MARKED
    run_of: np.ndarray  # int64, same size: the run of a marked cell (else -1)
    run_start: np.ndarray  # uint8 per run: the state just right of the run (_OUT/_IN)
    run_edges: np.ndarray  # int64 per run: how many edges its bucket holds
    run_first: np.ndarray  # int64 per run: where its bucket starts in the arrays below
    slots: int  # the largest bucket
    # The buckets, one after the other (run 0's edges, then run 1's...): edge parameters.
    ylo: np.ndarray
    yhi: np.ndarray
    ax: np.ndarray
    ay: np.ndarray
    ex: np.ndarray
    ey: np.ndarray


def _planned_cells(vertices: int) -> int:
    return min(max(_CELLS_PER_VERTEX * vertices, _MIN_CELLS), _MAX_CELLS)


def _vertex_count(geom: Polygon | MultiPolygon) -> int:
    return int(shapely.get_num_coordinates(geom))


def _grid_shape(
    width: float, height: float, vertices: int, margin: float, cells: int | None
) -> tuple[int, int]:
    """Columns and rows for about ``cells`` roughly square cells (default: by the
    vertex count).

    Cells are kept at least 10^4 margins wide so the margin never swamps a cell.
    """
    if cells is None:
        cells = _planned_cells(vertices)
    nx = round(math.sqrt(cells * width / height))
    nx = min(max(nx, 1), cells)
    ny = min(max(round(cells / nx), 1), cells)
    smallest = 1e4 * margin
    nx = max(1, min(nx, int(width / smallest)))
    ny = max(1, min(ny, int(height / smallest)))
    return nx, ny


def _build_grid(geom: Polygon | MultiPolygon, edges: _Edges, cells: int | None) -> _Grid:
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    width, height = maxx - minx, maxy - miny
    # The margin by which every "is an edge near this cell" question is widened: far
    # larger than the rounding error of any cell index or interpolated crossing here
    # (a few ulps of the coordinates), far smaller than a cell.
    margin = 2.0**-40 * max(1.0, abs(minx), abs(maxx), abs(miny), abs(maxy))
    nx, ny = _grid_shape(width, height, edges.ax.size, margin, cells)
    dy = height / ny
    sx, sy = nx / width, ny / height
    ncol = nx + 1

    # (edge, row) pairs: every row whose margin-widened band an edge may reach.
    ylo, yhi = edges.ylo, edges.yhi
    r0 = np.clip(np.floor((ylo - margin - miny) * sy), 0, ny).astype(np.int64)
    r1 = np.clip(np.floor((yhi + margin - miny) * sy), 0, ny).astype(np.int64)
    per_edge = r1 - r0 + 1
    e = np.repeat(np.arange(ylo.size), per_edge)
    first = np.cumsum(per_edge) - per_edge
    r = r0[e] + (np.arange(e.size) - first[e])

    # The x extent of each edge within its row's widened band.
    ax, ay, ex, ey = edges.ax[e], edges.ay[e], edges.ex[e], edges.ey[e]
    band_lo = miny + r * dy - margin
    band_hi = miny + (r + 1) * dy + margin
    ya = np.maximum(ylo[e], band_lo)
    yb = np.minimum(yhi[e], band_hi)
    real = ya <= yb
    slanted = ey > 0
    slope = np.divide(ex, ey, out=np.zeros_like(ex), where=slanted)
    xa = np.where(slanted, ax + (ya - ay) * slope, ax + np.minimum(ex, 0.0))
    xb = np.where(slanted, ax + (yb - ay) * slope, ax + np.maximum(ex, 0.0))
    c0 = np.clip(np.floor((np.minimum(xa, xb) - margin - minx) * sx), 0, nx).astype(np.int64)
    c1 = np.clip(np.floor((np.maximum(xa, xb) + margin - minx) * sx), 0, nx).astype(np.int64)
    e, r, c0, c1 = e[real], r[real], c0[real], c1[real]

    # Mark cells c0..c1 of each pair's row (a difference array summed along rows); the
    # extra column and row are always marked.
    wide = ncol + 1
    diff = np.bincount(r * wide + c0, minlength=(ny + 1) * wide)
    diff -= np.bincount(r * wide + c1 + 1, minlength=(ny + 1) * wide)
    marked = np.cumsum(diff.reshape(ny + 1, wide), axis=1)[:, :ncol] > 0
    marked[:, nx] = True
    marked[ny, :] = True

    # The state of unmarked cells: the parity of the edges crossing each row's centre
    # line to the right of the cell's centre (GEOS's half-open rule ylo <= y < yhi).
    # Every crossing lies in a marked cell, at least half a cell from the centre of an
    # unmarked one, so rounding cannot move it across that centre.
    yc = miny + (np.arange(ny + 1) + 0.5) * dy
    ycr = yc[r]
    crosses = (ylo[e] <= ycr) & (ycr < yhi[e]) & (r < ny)
    ce, cr = e[crosses], r[crosses]
    x_cross = edges.ax[ce] + (ycr[crosses] - edges.ay[ce]) * (edges.ex[ce] / edges.ey[ce])
    # Crossing in [minx + (k - 1/2) dx, minx + (k + 1/2) dx) -> slot k; it lies right of
    # cell c's centre iff k >= c + 1.
    k = np.clip(np.floor((x_cross - minx) * sx + 0.5), 0, ncol).astype(np.int64)
    count = np.bincount(cr * wide + k, minlength=(ny + 1) * wide).reshape(ny + 1, wide)
    right = np.cumsum(count[:, ::-1], axis=1)[:, ::-1]  # right[r, k] = sum over j >= k
    inside = (right[:, 1:] & 1).astype(bool)
    state = np.where(marked, _MARKED, np.where(inside, _IN, _OUT)).astype(np.uint8)

    # Runs of marked cells along each row (a sentinel unmarked column ends every row).
    padded = np.zeros((ny + 1, wide), dtype=bool)
    padded[:, :ncol] = marked
    flat = padded.ravel()
    prev = np.concatenate(([False], flat[:-1]))
    starts = flat & ~prev
    run_id = np.cumsum(starts) - 1
    run_of = np.where(flat, run_id, -1).reshape(ny + 1, wide)[:, :ncol].ravel()
    ends = np.flatnonzero(flat & ~np.concatenate((flat[1:], [False])))
    after = ends + 1  # the cell right of each run, in the padded layout
    after_col = after % wide
    after_state = np.where(
        after_col < ncol,
        np.concatenate(
            (state.reshape(ny + 1, ncol), np.zeros((ny + 1, 1), np.uint8)), axis=1
        ).ravel()[np.minimum(after, flat.size - 1)],
        _OUT,
    )
    runs = int(starts.sum())

    # Bucket each (edge, row) pair into its run; all its cells c0..c1 are marked and
    # adjacent, so they are in one run.
    pair_run = run_of[r * ncol + c0]
    order = np.argsort(pair_run, kind="stable")
    pair_run, pe = pair_run[order], e[order]
    per_run = np.bincount(pair_run, minlength=runs)
    slots = int(per_run.max()) if per_run.size else 0
    return _Grid(
        minx=minx,
        miny=miny,
        sx=sx,
        sy=sy,
        nx=nx,
        ny=ny,
        state=state.ravel(),
        run_of=run_of.astype(np.int64),
        run_start=after_state.astype(np.uint8),
        run_edges=per_run,
        run_first=np.cumsum(per_run) - per_run,
        slots=slots,
        ylo=ylo[pe],
        yhi=yhi[pe],
        ax=edges.ax[pe],
        ay=edges.ay[pe],
        ex=edges.ex[pe],
        ey=edges.ey[pe],
    )


class PolygonMask:
    """The exact ``covers`` test of one (valid) polygon or multipolygon, vectorised.

    Parameters
    ----------
    geom : shapely.Polygon or shapely.MultiPolygon
        Valid, finite and 2D (as :class:`~explorer.geo.regions.PolygonRegion` checks).
        It should be prepared (``shapely.prepare``): the few points handed to GEOS are
        tested against it.
    cells : int, optional
        About how many grid cells to use (default: about 32 per vertex, 16,384 to
        262,144). Any number gives the same answers; tests use it to reach extremes.
    min_grid_candidates : int, optional
        Build the grid on the first query with at least this many points in the
        bounding box (default: :data:`GRID_MIN_CANDIDATES` plus
        :data:`GRID_CANDIDATES_PER_CELL` per planned cell); smaller queries go to GEOS
        until then.

    Notes
    -----
    The grid is built on the first query with at least ``min_grid_candidates`` points
    in the bounding box, and kept. Not thread-safe while that happens (two
    threads may both build it; both get the same answer).
    """

    def __init__(
        self,
        geom: Polygon | MultiPolygon,
        *,
        cells: int | None = None,
        min_grid_candidates: int | None = None,
    ) -> None:
        if cells is not None and cells < 1:
            raise ValueError(f"cells must be a whole number >= 1, got '{cells}'")
        self._geom = geom
        self._cells = cells
        if min_grid_candidates is None:
            planned = cells if cells is not None else _planned_cells(_vertex_count(geom))
            min_grid_candidates = GRID_MIN_CANDIDATES + int(planned * GRID_CANDIDATES_PER_CELL)
        self._min_grid = min_grid_candidates
        minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
        self._box = (minx, miny, maxx, maxy)
        self._grid: _Grid | None = None

    @property
    def has_grid(self) -> bool:
        """Whether the cell grid has been built."""
        return self._grid is not None

    def grid(self) -> _Grid:
        """The cell grid, built on first use."""
        if self._grid is None:
            self._grid = _build_grid(self._geom, _edges(self._geom), self._cells)
        return self._grid

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which points the polygon covers.

        Parameters
        ----------
        x, y : numpy.ndarray of float64
            One-dimensional, same length; longitude and latitude.

        Returns
        -------
        numpy.ndarray of bool
        """
        minx, miny, maxx, maxy = self._box
        out = np.zeros(x.shape, dtype=bool)
        box = x >= minx
        box &= x <= maxx
        box &= y >= miny
        box &= y <= maxy
        cand = np.flatnonzero(box)
        if not cand.size:
            return out
        cx, cy = x[cand], y[cand]
        if self._grid is None and cand.size < self._min_grid:
            out[cand] = shapely.intersects_xy(self._geom, cx, cy)
            return out
        out[cand] = self._in_box(self.grid(), cx, cy)
        return out

    def _in_box(self, g: _Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The answer for points inside the bounding box."""
        # Truncation is a floor here: both differences are >= 0 inside the box, and
        # the products stay <= nx, ny (see the extra column and row).
        ix = ((x - g.minx) * g.sx).astype(np.int64)
        iy = ((y - g.miny) * g.sy).astype(np.int64)
        cell = iy
        cell *= g.nx + 1
        cell += ix
        state = g.state[cell]
        inside = state == _IN
        near = np.flatnonzero(state == _MARKED)
        if near.size:
            inside[near] = self._near_edges(g, x[near], y[near], g.run_of[cell[near]])
        return inside

    def _near_edges(self, g: _Grid, px: np.ndarray, py: np.ndarray, run: np.ndarray) -> np.ndarray:
        """Points in marked cells: their run's edges, then GEOS for the unproven."""
        # Most runs hold one to three edges, a few dozens: order the points by their
        # run's edge count, most first, so the points still to test against the k-th
        # edge of their run are a prefix (a view, no copy). A point in a run with more
        # than _MAX_RUN_EDGES edges (a boundary running along a row for a long way) goes
        # to GEOS instead, which bounds the loop.
        count = g.run_edges[run]
        crowded = count > _MAX_RUN_EDGES
        count[crowded] = 0
        order = np.argsort(-count, kind="stable")
        x, y, run = px[order], py[order], run[order]
        slots = min(g.slots, _MAX_RUN_EDGES)
        active = np.searchsorted(-count[order], -np.arange(slots), side="left")
        parity = g.run_start[run].astype(bool)
        unsure = crowded[order]
        first = g.run_first[run]
        for k in range(slots):
            n = int(active[k])
            if not n:
                break
            j = first[:n] + k
            xs, ys = x[:n], y[:n]
            ylo, yhi = g.ylo[j], g.yhi[j]
            ax, ay, ex, ey = g.ax[j], g.ay[j], g.ex[j], g.ey[j]
            left = ex * (ys - ay)
            right = ey * (xs - ax)
            det = left - right
            bound = np.abs(left)
            bound += np.abs(right)
            bound *= _ORIENT_ERR
            bound += _ORIENT_FLOOR
            in_band = ylo <= ys
            in_band &= ys <= yhi
            unsure[:n] |= in_band & (np.abs(det) <= bound)
            in_band &= ys < yhi
            in_band &= det > 0
            parity[:n] ^= in_band
        result = np.empty(px.size, dtype=bool)
        result[order] = parity
        doubt = order[unsure]
        if doubt.size:
            result[doubt] = shapely.intersects_xy(self._geom, px[doubt], py[doubt])
        return result


__all__ = ["GRID_CANDIDATES_PER_CELL", "GRID_MIN_CANDIDATES", "PolygonMask", "polygon_edges"]
