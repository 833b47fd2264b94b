"""Region totals kept up to date as sites and regions change.

:class:`LiveTotals` listens to a :class:`~explorer.core.store.SiteStore` and a
:class:`~explorer.geo.region_store.RegionStore` and keeps one
:class:`~explorer.geo.totals.Totals` per region. Views (the region panel, the map)
read the cache instead of re-totalling, and redraw on :attr:`LiveTotals.updated`.

How the cache is kept current (all in the caller's thread, synchronously, so a view
sees new totals before the store call that caused them returns):

* It holds its own columnar copy of the sites (ids, lon, lat, sites x models low,
  central and high chip matrices in catalogue order *as of* its date, reported power),
  in store order, and one boolean mask per region over those rows. The matrices hold
  what each site contributes after the campus, supersession, cancellation and
  online-date rules (a :class:`~explorer.geo.capacity.CapacityLedger` kept alongside).
* A site edit patches the rows of the sites whose contribution it can change (the site,
  and its campus, parts or superseded record when it has any). Only if the site moved
  is each region asked about that one point (a 1-point ``mask`` call); the regions that
  hold a patched row before or after the edit are re-totalled from their masks. Other
  edits (name, status, notes...) cost a tuple comparison.
* Changing the date (:meth:`LiveTotals.set_as_of`) re-evaluates every row in one
  vectorised pass and re-totals every region.
* Inserting or removing sites splices rows into or out of the arrays and masks; only
  the new rows are tested against the regions.
* A region edit recomputes that region's mask over all sites, except a pure rename
  (same shape), which keeps the mask.
* Either store's ``reset`` rebuilds everything.

Totals are computed by :func:`explorer.geo.totals.masked_totals` (the arithmetic of
:func:`~explorer.geo.totals.totals`) over the cache's own buffers and the region's
mask, so the numbers (and the ``site_ids`` order: store order) are exactly what
``totals(SiteArrays.from_sites(store), region)`` gives.

No Qt here: the Qt side re-emits :attr:`LiveTotals.updated` as a signal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.events import Event
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.geo.capacity import CapacityLedger
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.regions import CircleRegion, PolygonRegion, Region
from explorer.geo.totals import PowerFactors, SiteArrays, Totals, masked_totals

#: Name on the result of :meth:`LiveTotals.union`.
UNION_NAME = "union"


def _matrices_at(
    ledger: CapacityLedger, ids: np.ndarray, day: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The low, central and high sites x models matrices at ``day``, rows as ``ids``."""
    low, mid, high = ledger.at(day, order=ids.tolist())
    return np.asfortranarray(low), np.asfortranarray(mid), np.asfortranarray(high)


@runtime_checkable
class SiteTable(Protocol):
    """Sites held as columns (:class:`~explorer.io.site_columns.SiteColumns`): what the
    totals read instead of building every site."""

    @property
    def ids(self) -> np.ndarray: ...

    @property
    def lon(self) -> np.ndarray: ...

    @property
    def lat(self) -> np.ndarray: ...

    @property
    def power_mw(self) -> np.ndarray:
        """NaN where a site reports none."""
        ...

    def __len__(self) -> int: ...

    def ledger(self, models: Sequence[str]) -> CapacityLedger:
        """The capacity ledger of the rows, in row order."""
        ...

    def row_index(self) -> Mapping[str, int]:
        """Each id's row, shared: never changed."""
        ...


@dataclass(frozen=True)
class PreparedSites:
    """A site snapshot built ahead of a reset (:meth:`LiveTotals.prepare`).

    Building the capacity ledger and the columns for 100,000 sites takes about a second
    of Python from built sites (a tenth of that from columns); a file opened in the
    background builds them on its worker thread, so the UI thread only checks they
    still match what it loads.

    ``sites`` is what it was prepared from: a list of sites, or a table of them.
    """

    sites: list[Site] | SiteTable
    as_of: date | None
    ledger: CapacityLedger
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    matrices: tuple[np.ndarray, np.ndarray, np.ndarray]
    counted: np.ndarray


@dataclass
class _RegionCache:
    """What the cache holds for one region.

    ``entry`` is the value the mask and totals were computed for; comparing it (by
    identity) with the store's current entry tells whether the cache is current.
    """

    entry: RegionEntry
    mask: np.ndarray
    totals: Totals


def same_shape(a: Region, b: Region) -> bool:
    """True when ``a`` and ``b`` contain exactly the same points (names may differ).

    Used to keep a region's mask across a rename. Cheap: a rename keeps the very same
    geometry object, so the identity test usually decides.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, CircleRegion) and isinstance(b, CircleRegion):
        return (a.lon, a.lat, a.radius_m) == (b.lon, b.lat, b.radius_m)
    if isinstance(a, PolygonRegion) and isinstance(b, PolygonRegion):
        return a.geometry is b.geometry or bool(a.geometry.equals_exact(b.geometry, 0.0))
    return a == b


def _site_key(site: Site) -> tuple[object, ...]:
    """The attributes of a site that totals depend on."""
    return (site.lon, site.lat, site.hardware, site.power_mw, site.part_of, site.supersedes)


class LiveTotals:
    """Per-region totals that follow the site and region stores.

    Parameters
    ----------
    sites : SiteStore
    regions : RegionStore
    catalogue : ChipCatalogue, optional
        Chip figures; defaults to the bundled catalogue (resolved once, here).
    factors : PowerFactors
        Server overhead and PUE for the power estimates.
    incremental : bool, default True
        Patch the cache on each change (see the module docstring). ``False`` rebuilds
        the snapshot and every mask on every site change; it exists so the benchmark
        can measure what patching saves.

    Events
    ------
    updated(list[str])
        Ids of the regions whose :class:`Totals` changed (any field, the name included),
        in region-store order. Fired after the cache is current; never fired with an
        empty list, nor for a change that leaves every region's totals as they were.
        A region that was just inserted is reported; a removed one is not (listen to
        the region store for removals).

    Raises
    ------
    ValueError
        If a site uses a chip model the catalogue does not know.
    """

    def __init__(
        self,
        sites: SiteStore,
        regions: RegionStore,
        catalogue: ChipCatalogue | None = None,
        factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
        *,
        incremental: bool = True,
    ) -> None:
        if not isinstance(factors, PowerFactors):
            raise TypeError(f"factors must be a PowerFactors, got {type(factors).__name__}")
        self._sites = sites
        self._regions = regions
        self._catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        self._factors = factors
        self._models: tuple[str, ...] = self._catalogue.names
        self.incremental = incremental
        self._as_of: date | None = None
        self.updated = Event("totals_updated")
        self._cache: dict[str, _RegionCache] = {}
        self._view: SiteArrays | None = None
        # The totals last announced per region: `updated` reports a difference from
        # these, so a cache entry refreshed early by a read (see _current) still counts.
        self._reported: dict[str, Totals] = {}
        self._prepared: PreparedSites | None = None
        self._rebuild_sites()
        for entry in regions:
            c = self._compute(entry)
            self._cache[entry.id] = c
            self._reported[entry.id] = c.totals
        self._links: list[tuple[Event, Callable[..., object]]] = [
            (sites.inserted, self._on_sites_inserted),
            (sites.removed, self._on_sites_removed),
            (sites.changed, self._on_site_changed),
            (sites.reset_done, self._on_sites_reset),
            (regions.inserted, self._on_regions_inserted),
            (regions.removed, self._on_regions_removed),
            (regions.changed, self._on_region_changed),
            (regions.reset_done, self._on_regions_reset),
        ]
        for event, callback in self._links:
            event.connect(callback)

    # ------------------------------------------------------------------ public API
    @property
    def catalogue(self) -> ChipCatalogue:
        """The catalogue the totals use."""
        return self._catalogue

    @property
    def factors(self) -> PowerFactors:
        """The power factors the totals use."""
        return self._factors

    @property
    def models(self) -> tuple[str, ...]:
        """Chip models in catalogue order (the ``by_model`` order of every result)."""
        return self._models

    @property
    def as_of(self) -> date | None:
        """The date the totals count up to (None: the planned build-out)."""
        return self._as_of

    def set_as_of(self, as_of: date | None) -> None:
        """Count up to ``as_of`` (None: every line that is not cancelled); re-totals every
        region and reports the changes."""
        if as_of is not None and not isinstance(as_of, date):
            raise TypeError(f"as_of must be a date or None, got {type(as_of).__name__}")
        if as_of == self._as_of:
            return
        self._as_of = as_of
        self._low, self._chips, self._high = self._matrices()
        self._buffers_replaced()
        self._retotal(list(self._cache))
        self._announce(self._cache)

    @property
    def ledger(self) -> CapacityLedger:
        """What each site contributes (kept in step with the store)."""
        return self._ledger

    def totals(self, rid: str) -> Totals:
        """Totals of region ``rid``.

        Raises
        ------
        KeyError
            No region with that id in the region store.
        """
        return self._current(rid).totals

    def site_ids(self, rid: str) -> tuple[str, ...]:
        """Ids of the sites inside region ``rid``, in store order."""
        return self._current(rid).totals.site_ids

    def union(self, rids: Iterable[str], name: str = UNION_NAME) -> Totals:
        """Totals of the sites inside any of ``rids``, each site counted once.

        Parameters
        ----------
        rids : iterable of str
            Region ids; an empty iterable gives zero totals.
        name : str
            Name on the result.
        """
        mask = np.zeros(len(self._ids), dtype=bool)
        for rid in rids:
            # OR of the masks: a site in two overlapping regions is still one site.
            mask |= self._current(rid).mask
        return self._totals_of(mask, name)

    def counted_chips(self, ids: Iterable[str] | None = None) -> tuple[int, int, int]:
        """Low, central and high chips that the sites ``ids`` count at the date.

        Each record counts what it adds to a total: a superseded record nothing, a
        campus only what its parts do not already hold, a cancelled line nothing. The
        sum over any set of sites is therefore never a double count, unlike summing the
        chips each record lists.

        Parameters
        ----------
        ids : iterable of str, optional
            Site ids; unknown ids are skipped. None: every site.
        """
        matrices = (self._low, self._chips, self._high)
        if ids is None:
            # Each site's row summed first (a pass over the matrix, one number per
            # site), then the counted ones: picking the counted rows of the matrices
            # themselves copied three sites x models matrices (0.27 s at a million).
            counted = self._counted
            low, mid, high = (int(m.sum(axis=1)[counted].sum()) for m in matrices)
            return low, mid, high
        found = (self._row.get(sid) for sid in ids)
        rows = np.fromiter((r for r in found if r is not None), dtype=np.int64)
        counted = self._counted[rows]
        low, mid, high = (int(m[rows][counted].sum()) for m in matrices)
        return low, mid, high

    def current(self) -> SiteArrays:
        """The sites as they stand, over the totals' own buffers (no copy): for reading
        at once (a payload, a series, one total), never to keep: the next change of the
        sites, the date or the factors may change or drop what it shows. Use
        :meth:`snapshot` for a copy to hold on to."""
        return self._live_arrays()

    def snapshot(self) -> SiteArrays:
        """A read-only copy of the sites as a :class:`SiteArrays` (store order)."""
        # Copies laid out by column as SiteArrays keeps them (a row gather would come out
        # row-major and be laid out again: twice the copying, 60 ms at 100,000 sites).
        return SiteArrays(
            self._ids.copy(),
            self._lon.copy(),
            self._lat.copy(),
            self._models,
            self._chips.copy(order="F"),
            self._power.copy(),
            self._catalogue,
            chips_low=self._low.copy(order="F"),
            chips_high=self._high.copy(order="F"),
            counted=self._counted.copy(),
            as_of=self._as_of,
        )

    def set_factors(self, factors: PowerFactors) -> None:
        """Use other power factors; re-totals every region and reports the changes."""
        if not isinstance(factors, PowerFactors):
            raise TypeError(f"factors must be a PowerFactors, got {type(factors).__name__}")
        if factors == self._factors:
            return
        self._factors = factors
        self._retotal(list(self._cache))
        self._announce(self._cache)

    def detach(self) -> None:
        """Stop following the stores (the cache then stays as it is)."""
        for event, callback in self._links:
            event.disconnect(callback)
        self._links.clear()

    # ------------------------------------------------------------------ the snapshot
    def _day(self) -> int | None:
        return self._as_of.toordinal() if self._as_of is not None else None

    def _matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _matrices_at(self._ledger, self._ids, self._day())

    def _columns(self, sites: Sequence[Site]) -> tuple[np.ndarray, ...]:
        """(ids, lon, lat, power) for ``sites``."""
        n = len(sites)
        ids = np.empty(n, dtype=object)
        lon = np.empty(n, dtype=np.float64)
        lat = np.empty(n, dtype=np.float64)
        power = np.full(n, np.nan, dtype=np.float64)
        for i, s in enumerate(sites):
            ids[i] = s.id
            lon[i] = s.lon
            lat[i] = s.lat
            if s.power_mw is not None:
                power[i] = s.power_mw
        return ids, lon, lat, power

    def prepare(self, sites: Sequence[Site] | SiteTable, as_of: date | None) -> PreparedSites:
        """What a reset to ``sites`` (built, or a table of them) at ``as_of`` rebuilds,
        computed now (see :class:`PreparedSites`).

        Reads nothing of this object's state but its chip models (fixed at
        construction), so it may run on another thread while this object is in use;
        hand the result to :meth:`expect` on the owning thread before the reset.
        """
        day = as_of.toordinal() if as_of is not None else None
        if isinstance(sites, SiteTable):
            table = sites
            ledger = table.ledger(self._models)
            ids = table.ids.astype(object, copy=True)
            matrices = _matrices_at(ledger, ids, day)
            superseded = ledger.superseded_ids()
            # A set lookup per id: np.isin sorts object arrays (0.7 s at 100,000 sites).
            counted = ~np.fromiter(map(superseded.__contains__, ids), dtype=bool, count=len(ids))
            ledger.dated_days()  # builds its table of dated steps now, for the views
            ledger.related_sites()  # and the map's campus links (kept until a change)
            columns = (ids, table.lon.copy(), table.lat.copy(), table.power_mw.copy())
            return PreparedSites(table, as_of, ledger, columns, matrices, counted)
        sites = list(sites)
        ledger = CapacityLedger(sites, self._models)
        ids, lon, lat, power = self._columns(sites)
        matrices = _matrices_at(ledger, ids, day)
        counted = np.array([not ledger.is_superseded(s.id) for s in sites], dtype=bool)
        ledger.dated_days()  # builds its table of dated steps now, for the views that ask
        return PreparedSites(
            sites,
            as_of,
            ledger,
            (ids, lon, lat, power),
            matrices,
            counted,
        )

    def expect(self, prepared: PreparedSites | None) -> None:
        """Use ``prepared`` for the next rebuild of the sites if it is still what the
        store holds then (the very same table, untouched, or the very same site values
        in the same order, and the same date); otherwise it is dropped and the rebuild
        computes everything itself."""
        self._prepared = prepared

    def _take_prepared(self, sites: list[Site] | SiteTable) -> PreparedSites | None:
        prepared, self._prepared = self._prepared, None
        if prepared is None or prepared.as_of != self._as_of:
            return None
        if isinstance(sites, SiteTable) or isinstance(prepared.sites, SiteTable):
            return prepared if prepared.sites is sites else None
        if len(prepared.sites) != len(sites) or not all(map(operator.is_, prepared.sites, sites)):
            return None
        return prepared

    def _store_sites(self) -> list[Site] | SiteTable:
        """The store's sites: the table it was loaded from while it holds just that (no
        site is built), else every site."""
        rows = self._sites.rows_as_loaded()
        if isinstance(rows, SiteTable):
            return rows
        return self._sites.sites()

    def _rebuild_sites(self) -> None:
        sites = self._store_sites()
        prepared = self._take_prepared(sites)
        if prepared is None:
            prepared = self.prepare(sites, self._as_of)
        self._ledger = prepared.ledger
        self._ids, self._lon, self._lat, self._power = prepared.columns
        self._low, self._chips, self._high = prepared.matrices
        self._counted = prepared.counted
        self._buffers_replaced()
        self._reindex()

    def _reindex(self) -> None:
        rows = self._sites.rows_as_loaded()
        self._row: Mapping[str, int]
        if isinstance(rows, SiteTable) and len(rows) == len(self._ids):
            # The store holds a table's rows as they are, in that order: the table's
            # shared index (only read here).
            self._row = rows.row_index()
        else:
            self._row = {sid: i for i, sid in enumerate(self._ids.tolist())}

    def _patch_rows(self, sids: Iterable[str]) -> list[int]:
        """Re-evaluate the rows of ``sids`` from the ledger; returns the rows."""
        rows = []
        day = self._day()
        for sid in sids:
            row = self._row.get(sid)
            if row is None:
                continue
            low, mid, high = self._ledger.site_rows(sid, day)
            self._low[row], self._chips[row], self._high[row] = low, mid, high
            self._counted[row] = not self._ledger.is_superseded(sid)
            rows.append(row)
        return rows

    def _regions_holding(self, rows: Sequence[int]) -> list[str]:
        if not rows:
            return []
        r = np.array(rows, dtype=np.int64)
        return [rid for rid, c in self._cache.items() if c.mask[r].any()]

    def _live_arrays(self) -> SiteArrays:
        """The whole cache as a :class:`SiteArrays`, over views of its own buffers.

        No copy: building a snapshot of the rows inside a region (a gather of every
        column) cost more than the totals themselves at 10^5 sites. The views are
        read-only; the buffers behind them are patched in place by site edits (the
        views see it) and replaced by inserts, removals, a rebuild or a new date, which
        drop this object (:meth:`_buffers_replaced`).
        """
        if self._view is None:
            self._view = SiteArrays(
                self._ids.view(),
                self._lon.view(),
                self._lat.view(),
                self._models,
                self._chips.view(),
                self._power.view(),
                self._catalogue,
                chips_low=self._low.view(),
                chips_high=self._high.view(),
                counted=self._counted.view(),
                as_of=self._as_of,
            )
        return self._view

    def _buffers_replaced(self) -> None:
        self._view = None

    def _totals_of(self, mask: np.ndarray, name: str) -> Totals:
        # The rows inside, in store order, totalled by the public masked_totals(): the
        # arithmetic (and rounding) of totals(), i.e. exactly that of `explorer totals`.
        return masked_totals(
            self._live_arrays(), mask, name, catalogue=self._catalogue, factors=self._factors
        )

    # ------------------------------------------------------------------ the cache
    def _compute(self, entry: RegionEntry) -> _RegionCache:
        mask = np.asarray(entry.region.mask(self._lon, self._lat), dtype=bool)
        return _RegionCache(entry, mask, self._totals_of(mask, entry.name))

    def _current(self, rid: str) -> _RegionCache:
        """The cache of ``rid``, recomputed first if the store holds another value.

        Normally the event handlers keep the cache current; this also makes reads
        correct from inside a region-store callback that runs before ours.
        """
        entry = self._regions.get(rid)  # KeyError for an unknown id
        c = self._cache.get(rid)
        if c is None or c.entry is not entry:
            c = self._recompute_entry(entry, c)
            self._cache[rid] = c
        return c

    def _recompute_entry(self, entry: RegionEntry, old: _RegionCache | None) -> _RegionCache:
        if old is not None and same_shape(old.entry.region, entry.region):
            t = old.totals
            if t.region != entry.name:
                t = replace(t, region=entry.name)
            return _RegionCache(entry, old.mask, t)
        return self._compute(entry)

    def _announce(self, candidates: Iterable[str]) -> None:
        """Fire ``updated`` for the candidates whose totals differ from those last told."""
        changed = set()
        for rid in candidates:
            c = self._cache.get(rid)
            if c is not None and self._reported.get(rid) != c.totals:
                self._reported[rid] = c.totals
                changed.add(rid)
        if changed:
            self.updated.emit([rid for rid in self._regions.ids() if rid in changed])

    def _retotal(self, rids: Iterable[str]) -> list[str]:
        """Re-total ``rids`` from their masks; return them."""
        done = []
        for rid in rids:
            c = self._cache[rid]
            c.totals = self._totals_of(c.mask, c.entry.name)
            done.append(rid)
        return done

    def _rebuild_all(self) -> None:
        """Rebuild the snapshot and every region; report what changed."""
        self._rebuild_sites()
        self._cache = {e.id: self._compute(e) for e in self._regions}
        self._announce(self._cache)

    # ------------------------------------------------------------------ site events
    def _on_site_changed(self, old: Site, new: Site) -> None:
        if _site_key(old) == _site_key(new):
            return  # a name, status or notes edit: no total can change
        row = self._row.get(new.id)
        if not self.incremental or row is None:
            self._rebuild_all()
            return
        touched = self._ledger.update(removed=[old], added=[new])
        self._power[row] = np.nan if new.power_mw is None else new.power_mw
        affected = set(self._regions_holding(self._patch_rows(touched | {new.id})))
        if (old.lon, old.lat) != (new.lon, new.lat):
            self._lon[row] = new.lon
            self._lat[row] = new.lat
            x = self._lon[row : row + 1]
            y = self._lat[row : row + 1]
            for rid, c in self._cache.items():
                was = bool(c.mask[row])
                now = bool(c.entry.region.mask(x, y)[0])
                if was or now:
                    affected.add(rid)
                c.mask[row] = now
        self._announce(self._retotal([rid for rid in self._cache if rid in affected]))

    def _on_sites_inserted(self, sites: list[Site]) -> None:
        if not self.incremental or not sites:
            self._rebuild_all()
            return
        order = {sid: i for i, sid in enumerate(self._sites.ids())}
        new = sorted(sites, key=lambda s: order[s.id])
        final = np.array([order[s.id] for s in new], dtype=np.int64)
        # np.insert takes positions in the *old* array: the k-th new row (ascending
        # final position p_k) goes before old row p_k - k.
        at = final - np.arange(len(new))
        touched = self._ledger.update(added=new)
        # The ledger keeps its own order; rows are patched by id below.
        ids, lon, lat, power = self._columns(new)
        zeros = np.zeros((len(new), len(self._models)), dtype=np.int64)
        self._ids = np.insert(self._ids, at, ids)
        self._lon = np.insert(self._lon, at, lon)
        self._lat = np.insert(self._lat, at, lat)
        self._low = np.asfortranarray(np.insert(self._low, at, zeros, axis=0))
        self._chips = np.asfortranarray(np.insert(self._chips, at, zeros, axis=0))
        self._high = np.asfortranarray(np.insert(self._high, at, zeros, axis=0))
        self._counted = np.insert(self._counted, at, np.ones(len(new), dtype=bool))
        self._power = np.insert(self._power, at, power)
        self._buffers_replaced()
        self._reindex()
        affected = set()
        for rid, c in self._cache.items():
            inside = np.asarray(c.entry.region.mask(lon, lat), dtype=bool)
            c.mask = np.insert(c.mask, at, inside)
            if inside.any():
                affected.add(rid)
        affected |= set(self._regions_holding(self._patch_rows(touched)))
        self._announce(self._retotal([rid for rid in self._cache if rid in affected]))

    def _on_sites_removed(self, sites: list[Site]) -> None:
        rows = [self._row[s.id] for s in sites if s.id in self._row]
        if not self.incremental or len(rows) != len(sites):
            self._rebuild_all()
            return
        touched = self._ledger.update(removed=sites)
        gone = np.array(sorted(rows), dtype=np.int64)
        affected = set(self._regions_holding(list(gone)))
        self._ids = np.delete(self._ids, gone)
        self._lon = np.delete(self._lon, gone)
        self._lat = np.delete(self._lat, gone)
        self._low = np.asfortranarray(np.delete(self._low, gone, axis=0))
        self._chips = np.asfortranarray(np.delete(self._chips, gone, axis=0))
        self._high = np.asfortranarray(np.delete(self._high, gone, axis=0))
        self._counted = np.delete(self._counted, gone)
        self._power = np.delete(self._power, gone)
        self._buffers_replaced()
        self._reindex()
        for c in self._cache.values():
            c.mask = np.delete(c.mask, gone)
        affected |= set(self._regions_holding(self._patch_rows(touched)))
        self._announce(self._retotal([rid for rid in self._cache if rid in affected]))

    def _on_sites_reset(self) -> None:
        self._rebuild_all()

    # ------------------------------------------------------------------ region events
    def _on_regions_inserted(self, entries: list[RegionEntry]) -> None:
        for e in entries:
            c = self._cache.get(e.id)
            if c is None or c.entry is not e:  # not already computed by an early read
                self._cache[e.id] = self._compute(e)
        self._announce(e.id for e in entries)

    def _on_regions_removed(self, entries: list[RegionEntry]) -> None:
        for e in entries:
            self._cache.pop(e.id, None)
            self._reported.pop(e.id, None)

    def _on_region_changed(self, old: RegionEntry, new: RegionEntry) -> None:
        self._current(new.id)
        self._announce([new.id])

    def _on_regions_reset(self) -> None:
        self._cache = {e.id: self._compute(e) for e in self._regions}
        self._reported = {rid: t for rid, t in self._reported.items() if rid in self._cache}
        self._announce(self._cache)


__all__ = ["UNION_NAME", "LiveTotals", "PreparedSites", "SiteTable", "same_shape"]
