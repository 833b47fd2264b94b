"""What each site contributes, per chip model, over time: counted once, in ranges.

The rules (all applied to the low, central and high figures alike, and at every date):

* A ``cancelled`` hardware line never counts. A line with an ``online`` date counts from
  the end of that period on; a line without one counts only in the undated total (the
  planned build-out, ``as_of=None``), never at a date.
* A superseded site (another site names it in ``supersedes``) never counts.
* Campus and parts (``part_of``) never count more than the larger of the two, per model:
  each part counts where it stands, and the campus counts only its unallocated remainder,
  ``max(0, campus lines of m - all its parts' lines of m)``, at its own point. So over the
  whole data set a campus and its parts give ``max(campus, sum of parts)`` for each model.
  A part that is superseded is not a part; a campus that is superseded leaves its parts
  standing alone; ``part_of`` naming a missing site, itself, or a site that is itself a
  part is ignored here (``explorer validate`` reports it).

The result is a *ledger*: per site, per model, the undated contribution and a list of
dated steps ``(day, delta)``. The contribution at a date is the sum of the steps up to
it, so a whole data set is evaluated at any date with one vectorised pass
(:meth:`CapacityLedger.at`), and an edit recomputes only the sites it touches
(:meth:`CapacityLedger.affected`, :meth:`CapacityLedger.site_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core.dates import period_end_ordinal
from explorer.core.schema import Site
from explorer.geo.ledger_base import LedgerBase

#: (low, central, high)
Bounds = tuple[int, int, int]
_ZERO: Bounds = (0, 0, 0)


@dataclass(frozen=True)
class SiteContribution:
    """One site's contribution after every rule.

    Attributes
    ----------
    undated : dict
        model -> (low, central, high): the planned build-out (every line that counts).
    steps : tuple of (model, day ordinal, (dlow, dcentral, dhigh))
        Dated changes in date order; the contribution at day ``d`` is the sum of the
        steps with ``day <= d``.
    """

    undated: dict[str, Bounds]
    steps: tuple[tuple[str, int, Bounds], ...]

    def at(self, day: int | None) -> dict[str, Bounds]:
        """model -> (low, central, high) at ``day`` (None: undated)."""
        if day is None:
            return dict(self.undated)
        out: dict[str, list[int]] = {}
        for model, d, delta in self.steps:
            if d <= day:
                acc = out.setdefault(model, [0, 0, 0])
                for k in range(3):
                    acc[k] += delta[k]
        return {m: (v[0], v[1], v[2]) for m, v in out.items() if v != [0, 0, 0]}


_NOTHING = SiteContribution({}, ())


def _own(site: Site) -> tuple[dict[str, Bounds], dict[str, dict[int, Bounds]]]:
    """The site's own lines: undated totals per model, and dated amounts per model/day."""
    # Called once per site when a file is loaded (100,000 times and more): sums kept as
    # tuples, no per-line accumulator objects.
    undated: dict[str, Bounds] = {}
    dated: dict[str, dict[int, Bounds]] = {}
    for line in site.hardware:
        if not line.counts:
            continue
        lo, chips, hi = line.low, line.chips, line.high
        model = line.chip_model
        u = undated.get(model)
        undated[model] = (lo, chips, hi) if u is None else (u[0] + lo, u[1] + chips, u[2] + hi)
        if line.online:
            day = period_end_ordinal(line.online)
            days = dated.get(model)
            if days is None:
                dated[model] = {day: (lo, chips, hi)}
            else:
                v = days.get(day)
                days[day] = (lo, chips, hi) if v is None else (v[0] + lo, v[1] + chips, v[2] + hi)
    return undated, dated


def _plain(site: Site) -> SiteContribution:
    undated, dated = _own(site)
    if not dated:
        return SiteContribution(undated, ())
    steps = sorted(
        ((m, d, b) for m, days in dated.items() for d, b in days.items()), key=lambda s: s[1]
    )
    return SiteContribution(undated, tuple(steps))


def _remainder(campus: Site, parts: Sequence[Site]) -> SiteContribution:
    """The campus's unallocated remainder, undated and at every date."""
    c_undated, c_dated = _own(campus)
    p_undated: dict[str, list[int]] = {}
    p_dated: dict[str, dict[int, list[int]]] = {}
    for part in parts:
        u, dd = _own(part)
        for m, b in u.items():
            acc = p_undated.setdefault(m, [0, 0, 0])
            for k in range(3):
                acc[k] += b[k]
        for m, days in dd.items():
            for d, b in days.items():
                acc = p_dated.setdefault(m, {}).setdefault(d, [0, 0, 0])
                for k in range(3):
                    acc[k] += b[k]
    undated: dict[str, Bounds] = {}
    for m, cb in c_undated.items():
        pb = p_undated.get(m, [0, 0, 0])
        r = (max(0, cb[0] - pb[0]), max(0, cb[1] - pb[1]), max(0, cb[2] - pb[2]))
        if r != _ZERO:
            undated[m] = r
    steps: list[tuple[str, int, Bounds]] = []
    for m, c_days in c_dated.items():
        p_days = p_dated.get(m, {})
        campus_sum = [0, 0, 0]
        parts_sum = [0, 0, 0]
        before = [0, 0, 0]
        for d in sorted(set(c_days) | set(p_days)):
            for k in range(3):
                campus_sum[k] += c_days.get(d, _ZERO)[k]
                parts_sum[k] += p_days.get(d, [0, 0, 0])[k]
            now = [max(0, campus_sum[k] - parts_sum[k]) for k in range(3)]
            delta = (now[0] - before[0], now[1] - before[1], now[2] - before[2])
            if delta != _ZERO:
                steps.append((m, d, delta))
            before = now
    steps.sort(key=lambda s: s[1])
    return SiteContribution(undated, tuple(steps))


class CapacityLedger:
    """Every site's contribution, kept current as sites change.

    Parameters
    ----------
    sites : iterable of Site
        In store order (ids unique).
    models : sequence of str
        Chip model columns, in this order.

    Built from sites, every contribution is computed site by site. Built with
    :meth:`from_base` (sites read as columns), the plain sites' contributions stay
    arrays and only the sites a rule ties together are held as values; an edit makes
    the edited site a held one. Both answer every question the same way.

    Raises
    ------
    ValueError
        A hardware line names a model not in ``models``.
    """

    def __init__(self, sites: Iterable[Site], models: Sequence[str]) -> None:
        self.models = tuple(models)
        self._col = {m: j for j, m in enumerate(self.models)}
        # id -> the site's value, or its row in the base when it was never built. In
        # the ledger's order (the order given, an added site last).
        self._sites: dict[str, Site | int] = {}
        # Contributions computed site by site: every held site, and base rows a rule
        # changed (a superseded one, a plain site that became a campus).
        self._contrib: dict[str, SiteContribution] = {}
        self._parts: dict[str, set[str]] = {}  # campus id -> ids naming it in part_of
        self._superseders: dict[str, set[str]] = {}  # id -> ids naming it in supersedes
        self._base: LedgerBase | None = None
        self._base_active = np.zeros(0, dtype=bool)  # base rows that count from the base
        # True while the ledger's order is the base's (nothing added or removed since).
        self._base_in_place = False
        self._base_pos: tuple[np.ndarray, np.ndarray] | None = None
        self._table: tuple[np.ndarray, ...] | None = None
        self._index: Mapping[str, int] | None = None
        self._related: list[Site] | None = None
        self.reset(sites)

    @classmethod
    def from_base(
        cls,
        base: LedgerBase,
        held: Sequence[Site],
        models: Sequence[str],
        *,
        index: Mapping[str, int] | None = None,
    ) -> CapacityLedger:
        """A ledger over the sites of ``base`` (in its order) whose plain contributions
        are its arrays.

        Parameters
        ----------
        base : LedgerBase
        held : sequence of Site
            The values of every site of the base that names a campus or a superseded
            record, or that such a site names (the rules need their values); their base
            rows are not used.
        models : sequence of str
            The base's model columns, in order.
        index : mapping of str to int, optional
            Each of the base's ids to its row, if the caller has it (the table's shared
            index: read and copied here, never changed).
        """
        if base.models != len(models):
            raise ValueError(f"base has {base.models} model columns for {len(models)} models")
        ledger = cls((), models)
        ledger._base = base
        if index is not None and len(index) == len(base):
            ledger._sites = dict(index)
            ledger._index = index  # the positions, while every site is at its base row
        else:
            ledger._sites = dict(zip(base.ids, range(len(base)), strict=True))
        if len(ledger._sites) != len(base):
            raise ValueError("base ids must be unique")
        ledger._base_active = np.ones(len(base), dtype=bool)
        ledger._base_in_place = True
        for s in held:
            ledger._check_models(s)
            row = ledger._sites.get(s.id)
            if not isinstance(row, int):
                raise ValueError(f"held site '{s.id}' is not a site of the base")
            ledger._base_active[row] = False
            ledger._sites[s.id] = s  # the same key keeps its place
            ledger._link(s)
        for s in held:
            ledger._set_contrib(s.id)
        # A site named as campus or superseded record that was not handed over is
        # still ruled on (loading its value if it turns out to be a campus).
        for sid in {*ledger._parts, *ledger._superseders}:
            if isinstance(ledger._sites.get(sid), int):
                ledger._set_contrib(sid)
        return ledger

    # ------------------------------------------------------------------ relations
    def is_superseded(self, sid: str) -> bool:
        """True when a site in the data names ``sid`` in its ``supersedes``."""
        return any(s in self._sites for s in self._superseders.get(sid, ()))

    def superseded_ids(self) -> set[str]:
        """Every site in the data that another site supersedes."""
        return {sid for sid in self._superseders if sid in self._sites and self.is_superseded(sid)}

    def _part_of(self, sid: str) -> str:
        """The campus ``sid`` names; a site never built names none (see from_base)."""
        v = self._sites.get(sid)
        return v.part_of if isinstance(v, Site) else ""

    def campus_of(self, site: Site) -> str | None:
        """The campus a site counts as a part of, or None (see the module rules)."""
        cid = site.part_of
        if not cid or cid == site.id or cid not in self._sites:
            return None
        campus_part_of = self._part_of(cid)
        if campus_part_of and campus_part_of in self._sites and campus_part_of != cid:
            return None  # a part cannot be a campus: one level deep
        if self.is_superseded(cid) or self.is_superseded(site.id):
            return None
        return cid

    def parts_of(self, cid: str) -> list[Site]:
        """The sites that count as parts of campus ``cid`` (in no particular order)."""
        parts = (self._sites.get(pid) for pid in self._parts.get(cid, ()))
        return [s for s in parts if isinstance(s, Site) and self.campus_of(s) == cid]

    def naming(self, sid: str, field: str) -> set[str]:
        """Ids of the sites in the data (``sid`` itself left out) whose ``field``
        (``"part_of"`` or ``"supersedes"``) names ``sid``, valid for the rules or not.

        Exact for every site: a site that names another is always held as a value."""
        links = {"part_of": self._parts, "supersedes": self._superseders}[field]
        return {x for x in links.get(sid, ()) if x in self._sites and x != sid}

    def campus_links(self) -> dict[str, str]:
        """part id -> campus id, for every site that counts as a part of a campus."""
        out = {}
        for cid, pids in self._parts.items():
            if cid not in self._sites:
                continue
            for pid in pids:
                part = self._sites.get(pid)
                if isinstance(part, Site) and self.campus_of(part) == cid:
                    out[pid] = cid
        return out

    def related_sites(self) -> list[Site]:
        """The held sites that name a campus or are named as one (the only ones that
        can be a part or a campus), in the ledger's order.

        Kept until the next change (a pass over every site: 0.3 s at a million, asked
        on the UI thread after each load; a file read in the background asks it first
        where it was read)."""
        if self._related is None:
            named = {cid for cid, pids in self._parts.items() if pids}
            self._related = [
                v
                for sid, v in self._sites.items()
                if isinstance(v, Site) and (v.part_of or sid in named)
            ]
        return list(self._related)

    def _compute(self, sid: str) -> SiteContribution | None:
        """The contribution of ``sid`` after the rules; None: its base row, as it is."""
        value = self._sites[sid]
        if self.is_superseded(sid):
            return _NOTHING
        parts = self.parts_of(sid) if sid in self._parts else []
        if isinstance(value, int):
            # Never built, so it names no campus: a campus if it has parts, else plain.
            if parts:
                assert self._base is not None
                return _remainder(self._base.load(value), parts)
            return None
        if parts and self.campus_of(value) is None:
            return _remainder(value, parts)
        return _plain(value)

    def _set_contrib(self, sid: str) -> None:
        c = self._compute(sid)
        row = self._sites[sid]
        if c is None:
            self._contrib.pop(sid, None)
        else:
            self._contrib[sid] = c
        if isinstance(row, int):
            self._base_active[row] = c is None

    def _check_models(self, site: Site) -> None:
        for line in site.hardware:
            if line.chip_model not in self._col:
                raise ValueError(f"site '{site.id}': unknown chip model '{line.chip_model}'")

    # ------------------------------------------------------------------ changes
    def reset(self, sites: Iterable[Site]) -> None:
        """Replace every site."""
        self._sites = {}
        self._parts = {}
        self._superseders = {}
        self._base = None
        self._base_active = np.zeros(0, dtype=bool)
        self._base_in_place = False
        for s in sites:
            self._check_models(s)
            self._sites[s.id] = s
            self._link(s)
        self._contrib = {}
        for sid in self._sites:
            c = self._compute(sid)
            assert c is not None
            self._contrib[sid] = c
        self._changed()

    def _changed(self) -> None:
        self._table = self._index = self._related = None
        self._base_pos = None

    def _link(self, s: Site) -> None:
        if s.part_of:
            self._parts.setdefault(s.part_of, set()).add(s.id)
        if s.supersedes:
            self._superseders.setdefault(s.supersedes, set()).add(s.id)

    def _unlink(self, s: Site) -> None:
        if s.part_of:
            self._parts.get(s.part_of, set()).discard(s.id)
        if s.supersedes:
            self._superseders.get(s.supersedes, set()).discard(s.id)

    def _neighbourhood(self, s: Site) -> set[str]:
        """Sites whose contribution may depend on ``s``."""
        out = {s.id}
        if s.part_of:
            out.add(s.part_of)
            out |= self._parts.get(s.part_of, set())
        if s.supersedes:
            target = s.supersedes
            out.add(target)
            target_part_of = self._part_of(target)
            if target_part_of:
                out.add(target_part_of)  # a superseded part leaves its campus's remainder
            out |= self._parts.get(target, set())  # a superseded campus frees its parts
        out |= self._parts.get(s.id, set())
        for sup in self._superseders.get(s.id, set()):
            out.add(sup)
        return out

    def update(self, removed: Iterable[Site] = (), added: Iterable[Site] = ()) -> set[str]:
        """Apply a change (an edit is removed=[old], added=[new]); returns the ids of the
        sites (still present) whose contribution may have changed."""
        touched: set[str] = set()
        removed = list(removed)
        added = list(added)
        for s in added:
            self._check_models(s)
        if removed or added:
            self._base_in_place = False  # an edit moves the site last, as an insert does
        for s in removed:
            touched |= self._neighbourhood(s)
            self._unlink(s)
            gone = self._sites.pop(s.id, None)
            if isinstance(gone, int):
                self._base_active[gone] = False
            self._contrib.pop(s.id, None)
        for s in added:
            self._sites[s.id] = s
            self._link(s)
        for s in added:
            touched |= self._neighbourhood(s)
        # Campuses of the touched sites see their parts' change; one more ring is enough
        # because relations are one level deep.
        for sid in list(touched):
            campus = self._part_of(sid)
            if campus:
                touched.add(campus)
        present = {sid for sid in touched if sid in self._sites}
        for sid in present:
            self._set_contrib(sid)
        self._changed()
        return present

    # ------------------------------------------------------------------ reading
    def contribution(self, sid: str) -> SiteContribution:
        """Site ``sid``'s contribution after every rule."""
        c = self._contrib.get(sid)
        if c is not None:
            return c
        row = self._sites[sid]
        assert isinstance(row, int) and self._base is not None
        undated = {
            self.models[j]: (int(b[0]), int(b[1]), int(b[2]))
            for j, b in enumerate(self._base.undated[:, :, row].T.tolist())
            if any(b)
        }
        cols, days, vals = self._base.steps_of(row)
        summed: dict[tuple[str, int], list[int]] = {}
        for j, d, v in zip(cols.tolist(), days.tolist(), vals.tolist(), strict=True):
            acc = summed.setdefault((self.models[j], d), [0, 0, 0])
            for k in range(3):
                acc[k] += v[k]
        steps = sorted(
            ((m, d, (v[0], v[1], v[2])) for (m, d), v in summed.items()), key=lambda t: t[1]
        )
        return SiteContribution(undated, tuple(steps))

    def site_rows(self, sid: str, day: int | None) -> np.ndarray:
        """The (3, n_models) low/central/high row of one site at ``day`` (None: undated)."""
        out = np.zeros((3, len(self.models)), dtype=np.int64)
        c = self._contrib.get(sid)
        if c is None:
            row = self._sites[sid]
            assert isinstance(row, int) and self._base is not None
            if day is None:
                out[:] = self._base.undated[:, :, row]
            else:
                cols, days, vals = self._base.steps_of(row)
                upto = days <= day
                for k in range(3):
                    np.add.at(out[k], cols[upto], vals[upto, k])
            return out
        for model, b in c.at(day).items():
            out[:, self._col[model]] = b
        return out

    def _positions(self) -> Mapping[str, int]:
        if self._index is None:
            self._index = {sid: i for i, sid in enumerate(self._sites)}
        return self._index

    def _base_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(base rows that count from the base, their positions in the ledger's order)."""
        base = self._base
        if base is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        if self._base_pos is None:
            rows = np.flatnonzero(self._base_active)
            if self._base_in_place:
                pos = rows  # nothing added or removed since: each site at its base row
            else:
                index = self._positions()
                ids = base.ids
                pos = np.fromiter(
                    (index[ids[r]] for r in rows.tolist()), dtype=np.int64, count=rows.size
                )
            self._base_pos = (rows, pos)
        return self._base_pos

    def _steps_table(self) -> tuple[np.ndarray, ...]:
        if self._table is None:
            index = self._positions()
            site_i: list[int] = []
            col: list[int] = []
            day: list[int] = []
            vals: list[Bounds] = []
            for sid, c in self._contrib.items():
                i = index[sid]
                for model, d, delta in c.steps:
                    site_i.append(i)
                    col.append(self._col[model])
                    day.append(d)
                    vals.append(delta)
            all_site = np.array(site_i, dtype=np.int64)
            all_col = np.array(col, dtype=np.int64)
            all_day = np.array(day, dtype=np.int64)
            all_vals = np.array(vals, dtype=np.int64).reshape(-1, 3)
            base = self._base
            if base is not None and base.step_site.size:
                rows, pos = self._base_positions()
                where = np.full(len(base), -1, dtype=np.int64)
                where[rows] = pos
                step_pos = where[base.step_site]
                keep = step_pos >= 0
                all_site = np.concatenate([all_site, step_pos[keep]])
                all_col = np.concatenate([all_col, base.step_col[keep]])
                all_day = np.concatenate([all_day, base.step_day[keep]])
                all_vals = np.concatenate([all_vals, base.step_vals[keep]])
            # In day order, so the steps up to a day are a prefix (see _at).
            by_day = np.argsort(all_day, kind="stable")
            self._table = (all_site[by_day], all_col[by_day], all_day[by_day], all_vals[by_day])
        return self._table

    def at(
        self,
        day: int | None,
        order: Sequence[str] | None = None,
        *,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Every site's contribution: an int64 array (3, n_sites, n_models) of low,
        central and high at ``day`` (None: undated), in the order the sites were given,
        or in ``order`` (the ids of every site, e.g. after inserts at positions), or
        for ``rows`` (from :meth:`rows_of`: the same, looked up once for many dates).

        Each ``[k]`` is Fortran-ordered (a model's column contiguous), as
        :class:`~explorer.geo.totals.SiteArrays` keeps it, so it is not copied again.
        """
        out = self._at(day)
        if rows is None and order is not None:
            rows = self.rows_of(order)
        if rows is None:
            return out
        picked = out[:, rows, :]  # (3, n, m) in C order: lay each [k] out by columns
        return np.ascontiguousarray(picked.transpose(0, 2, 1)).transpose(0, 2, 1)

    def rows_of(self, order: Sequence[str]) -> np.ndarray | None:
        """The positions of the sites ``order`` names among the sites as given; None
        when that is the order they were given in (nothing to rearrange)."""
        base = self._base
        if (
            base is not None
            and self._base_in_place
            and len(order) == len(base)
            and list(order) == base.ids
        ):
            return None  # the base's order, which is the ledger's (compared in C)
        index = self._positions()
        rows = np.fromiter((index[sid] for sid in order), dtype=np.intp, count=len(order))
        if len(rows) == len(index) and bool((rows == np.arange(len(rows))).all()):
            return None
        return rows

    def sums_at(self, days: Sequence[int | None], weight: np.ndarray) -> np.ndarray:
        """Per-model sums of the contributions of the sites ``weight`` picks, at each day.

        Parameters
        ----------
        days : sequence of int or None
            Days (ordinals; None: undated, the planned build-out).
        weight : numpy.ndarray of bool or int, shape (n_sites,)
            1 for a site to add (in the order the sites were given), 0 otherwise.

        Returns
        -------
        numpy.ndarray of int64, shape (len(days), 3, n_models)
            Low, central and high sums: what summing :meth:`at` over the picked rows
            gives, exactly (integer sums), without building a sites x models array per
            day. A chart's many dates cost one pass over the dated steps, and a binary
            search per model and day.
        """
        m = len(self.models)
        w = np.asarray(weight).astype(np.int64, copy=False)
        if w.shape != (len(self._sites),):
            raise ValueError(f"weight must have shape ({len(self._sites)},), got {w.shape}")
        out = np.zeros((len(days), 3, m), dtype=np.int64)
        if any(d is None for d in days):
            planned = self._undated_sums(w)
            for i, d in enumerate(days):
                if d is None:
                    out[i] = planned
        dated = [(i, d) for i, d in enumerate(days) if d is not None]
        if not dated:
            return out
        site_i, col, step_day, vals = self._steps_table()
        picked = w[site_i] != 0
        col, step_day, vals = col[picked], step_day[picked], vals[picked]
        targets = np.array([d for _, d in dated], dtype=np.int64)
        at = [i for i, _ in dated]
        for j in range(m):
            mine = col == j
            if not mine.any():
                continue
            # The steps are in day order (see _steps_table): the sum up to a day is a
            # running total read at the last step on or before it.
            running = np.cumsum(vals[mine], axis=0)
            upto = np.searchsorted(step_day[mine], targets, side="right")
            some = upto > 0
            out[np.asarray(at)[some], :, j] = running[upto[some] - 1]
        return out

    def _undated_fresh(self) -> np.ndarray:
        """Every site's undated contribution, (3, n_models, n_sites): a new array, the
        caller's own (not cached: at 100,000 sites each copy of it is a fresh 24 MB, and
        on this kind of machine the first touch of fresh memory is most of its cost)."""
        n, m = len(self._sites), len(self.models)
        base = self._base
        if base is not None and self._base_in_place:
            # Every site at its base row: the base as it is, the held rows cleared.
            undated = base.undated.copy()
            undated[:, :, ~self._base_active] = 0
        else:
            undated = np.zeros((3, m, n), dtype=np.int64)
            if base is not None:
                rows, pos = self._base_positions()
                undated[:, :, pos] = base.undated[:, :, rows]
        index = self._positions()
        for sid, c in self._contrib.items():
            i = index[sid]
            for model, b in c.undated.items():
                undated[:, self._col[model], i] = b
        return undated

    def _undated_sums(self, w: np.ndarray) -> np.ndarray:
        """(3, n_models): the undated contributions summed with weights ``w`` (one per
        site, in the ledger's order), read from the base and the held contributions
        without laying out the sites x models table."""
        out = np.zeros((3, len(self.models)), dtype=np.int64)
        base = self._base
        if base is not None:
            rows, pos = self._base_positions()
            if rows.size:
                weights = np.zeros(len(base), dtype=np.int64)
                weights[rows] = w[pos]
                for k in range(3):
                    out[k] = base.undated[k] @ weights
        index = self._positions() if self._contrib else {}
        for sid, c in self._contrib.items():
            weight = int(w[index[sid]])
            if weight:
                for model, b in c.undated.items():
                    out[:, self._col[model]] += np.asarray(b, dtype=np.int64) * weight
        return out

    def _at(self, day: int | None) -> np.ndarray:
        n, m = len(self._sites), len(self.models)
        if day is None:
            return self._undated_fresh().transpose(0, 2, 1)
        out = np.zeros((3, m, n), dtype=np.int64)  # by model, then site: see at()
        site_i, col, days, vals = self._steps_table()
        upto = int(np.searchsorted(days, day, side="right"))  # the steps up to ``day``
        flat = col[:upto] * n + site_i[:upto]
        for k in range(3):
            np.add.at(out[k].reshape(-1), flat, vals[:upto, k])
        return out.transpose(0, 2, 1)

    def __len__(self) -> int:
        """How many sites the ledger holds (the rows of :meth:`at`)."""
        return len(self._sites)

    def dated_days(self) -> list[int]:
        """Every day on which some contribution changes, in order."""
        _, _, days, _ = self._steps_table()
        # Sorted, each once; not np.unique, whose first call imports numpy.ma (16 ms of
        # the window's start, where an empty session's ledger asks this).
        days = np.sort(days)
        first = np.ones(days.shape[0], dtype=bool)
        first[1:] = days[1:] != days[:-1]
        return days[first].tolist()  # type: ignore[no-any-return]


__all__ = ["Bounds", "CapacityLedger", "SiteContribution"]
