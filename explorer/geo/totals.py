"""Totals of chips, compute and power for the sites inside a region, as of a date.

The query is split in two so that it stays fast when the analyst drags a region over a
large site list:

1. :class:`SiteArrays` takes a columnar snapshot of the sites once, *as of* a date (ids,
   coordinates, sites x models low/central/high chip matrices after the campus,
   supersession, cancellation and online-date rules of :mod:`explorer.geo.capacity`,
   reported power).
2. :func:`totals` asks the region for a boolean mask over the snapshot and sums the
   selected rows; per-model catalogue figures turn chip counts into restricted chips
   (by the export rules in force on the date), H100-equivalents and power.

Without a date (``as_of=None``) a snapshot holds the planned build-out (every line that
is not cancelled) and chips are restricted by the rules in force today. Every total
carries a low-high range around its central figure; facility power's range also uses
the low and high server-overhead and PUE factors of :class:`PowerFactors`. Chips of a
model with no catalogue figures (``Other``) are counted and reported as such
(``unknown_model_chips``), never silently as zero compute or power.

A site counts once per region however many hardware lines it has, and a site on a
polygon's boundary counts as inside (see :mod:`explorer.geo.regions`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.id_column import DeferredIds, given, held_ids, id_count, ids_at, install_ids
from explorer.geo.regions import Region

#: Documented ranges of the power factors (see :class:`PowerFactors`).
SERVER_OVERHEAD_RANGE = (1.5, 2.15)
PUE_RANGE = (1.15, 1.5)


@dataclass(frozen=True)
class PowerFactors:
    """How chip board power becomes IT and facility power.

    ``IT power = chips x board power (W) x server_overhead`` and
    ``facility power = IT power x pue``.

    Attributes
    ----------
    server_overhead : float
        Whole-server power per watt of accelerator board power: the host CPUs, memory,
        NICs, switches and fans around the GPUs. Default 1.8, from Nvidia's DGX H100
        (10.2 kW maximum system power for 8 x 700 W GPUs = 1.82).
    pue : float
        Power usage effectiveness (facility power / IT power): cooling, conversion
        losses, lighting. Default 1.25 is an *assumption*: China's stated target for
        new large data centres in the national computing hub nodes in the west. Real
        sites may be better (cool desert air) or worse; users can override it.

    server_overhead_low, server_overhead_high : float, optional
        The range used for the low and high facility power. Default 1.5 (servers
        drawing below their maximum rating in service) and 2.15 (SemiAnalysis's
        estimate of about 1.5 kW per 700 W H100 with networking and storage), widened
        to include ``server_overhead`` when it lies outside.
    pue_low, pue_high : float, optional
        Default 1.15 (a well-run site in a cool desert climate) and 1.5 (a typical
        average of Chinese data centres), widened to include ``pue``.

    All must be finite and >= 1 (a factor below 1 would mean the server or building
    draws less than the chips alone), and low <= central <= high.
    """

    server_overhead: float = 1.8
    pue: float = 1.25
    server_overhead_low: float | None = None
    server_overhead_high: float | None = None
    pue_low: float | None = None
    pue_high: float | None = None

    def __post_init__(self) -> None:
        defaults = {
            "server_overhead_low": lambda: min(SERVER_OVERHEAD_RANGE[0], self.server_overhead),
            "server_overhead_high": lambda: max(SERVER_OVERHEAD_RANGE[1], self.server_overhead),
            "pue_low": lambda: min(PUE_RANGE[0], self.pue),
            "pue_high": lambda: max(PUE_RANGE[1], self.pue),
        }
        for name in ("server_overhead", "pue", *defaults):
            v = getattr(self, name)
            if v is None:
                v = defaults[name]()
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 1
            ):
                raise ValueError(f"{name} must be a finite number >= 1, got '{v}'")
            object.__setattr__(self, name, float(v))
        for name in ("server_overhead", "pue"):
            low, mid, high = (
                getattr(self, f"{name}_low"),
                getattr(self, name),
                getattr(self, f"{name}_high"),
            )
            if not low <= mid <= high:
                raise ValueError(
                    f"{name} range must satisfy low <= central <= high, "
                    f"got {low:g}, {mid:g}, {high:g}"
                )


def _readonly(a: np.ndarray) -> np.ndarray:
    # The snapshot is shared by every query; freezing the buffers makes an accidental
    # in-place edit fail loudly instead of silently corrupting later totals.
    a.flags.writeable = False
    return a


@install_ids
@dataclass(frozen=True, eq=False)
class SiteArrays:
    """A columnar, read-only snapshot of sites for fast region totals.

    Build with :meth:`from_sites` (from :class:`~explorer.core.schema.Site` records) or
    :meth:`from_arrays` (for benchmarks and bulk data). Ids are assumed unique (the
    store guarantees it); they are not re-checked here because that would dominate the
    cost of a snapshot of a million sites. The constructor marks the arrays it is given
    read-only in place; ``from_arrays`` copies its inputs first.

    Attributes
    ----------
    ids : numpy.ndarray of object (str)
        May be given as :class:`~explorer.geo.id_column.DeferredIds` (made into the
        array on first read; a total lists its sites' ids without that).
    lon, lat : numpy.ndarray of float64
        WGS84 degrees.
    models : tuple of str
        Column labels of ``chips``.
    chips : numpy.ndarray of int64, shape (n_sites, n_models)
        The central contribution of each site, after the rules of
        :mod:`explorer.geo.capacity`. Stored column-major (one model's counts are
        contiguous).
    reported_power_mw : numpy.ndarray of float64
        Each site's reported power in MW, NaN when not reported.
    catalogue : ChipCatalogue or None
        The catalogue the snapshot was built against, used by :func:`totals` when no
        catalogue is passed.
    chips_low, chips_high : numpy.ndarray of int64, optional
        The low and high contributions (default: equal to ``chips``).
    counted : numpy.ndarray of bool, optional
        False for a superseded site: it is never counted, not even in ``site_count``
        (default: all True).
    as_of : datetime.date or None
        The date the snapshot counts up to (None: the planned build-out).
    """

    ids: np.ndarray  # an IdColumn (install_ids)
    lon: np.ndarray
    lat: np.ndarray
    models: tuple[str, ...]
    chips: np.ndarray
    reported_power_mw: np.ndarray
    catalogue: ChipCatalogue | None = field(default=None, repr=False)
    chips_low: np.ndarray | None = field(default=None, repr=False)
    chips_high: np.ndarray | None = field(default=None, repr=False)
    counted: np.ndarray | None = field(default=None, repr=False)
    as_of: date | None = None

    def __post_init__(self) -> None:
        ids = held_ids(self)
        n = id_count(ids)
        if isinstance(ids, np.ndarray) and ids.ndim != 1:
            raise ValueError(f"ids must be one-dimensional, got shape {ids.shape}")
        for name in ("lon", "lat", "reported_power_mw"):
            a = getattr(self, name)
            if a.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
        if self.chips.shape != (n, len(self.models)):
            raise ValueError(
                f"chips must have shape ({n}, {len(self.models)}), got {self.chips.shape}"
            )
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"models must be distinct, got {self.models!r}")
        if self.chips.size and self.chips.min() < 0:
            raise ValueError(f"chips must be whole numbers >= 0, got '{int(self.chips.min())}'")
        if not self.chips.flags.f_contiguous:
            # Column-major: each model's counts are contiguous, so summing the selected
            # sites one model at a time is a fast gather (about 3x faster than gathering
            # whole rows of a row-major matrix at a million sites).
            object.__setattr__(self, "chips", np.asfortranarray(self.chips))
        for name in ("chips_low", "chips_high"):
            a = getattr(self, name)
            if a is None:
                object.__setattr__(self, name, self.chips)
            elif a.shape != self.chips.shape:
                raise ValueError(f"{name} must have shape {self.chips.shape}, got {a.shape}")
            elif not a.flags.f_contiguous:
                object.__setattr__(self, name, np.asfortranarray(a))
        if self.counted is None:
            object.__setattr__(self, "counted", np.ones(n, dtype=bool))
        elif self.counted.shape != (n,):
            raise ValueError(f"counted must have shape ({n},), got {self.counted.shape}")
        for a in (
            ids if isinstance(ids, np.ndarray) else None,
            self.lon,
            self.lat,
            self.chips,
            self.chips_low,
            self.chips_high,
            self.counted,
            self.reported_power_mw,
        ):
            if a is not None:
                _readonly(a)

    def __len__(self) -> int:
        return int(self.lon.shape[0])

    @classmethod
    def from_sites(
        cls,
        sites: Iterable[Site],
        catalogue: ChipCatalogue | None = None,
        *,
        as_of: date | None = None,
    ) -> SiteArrays:
        """Snapshot ``sites`` as of a date; chip columns follow the catalogue's model order.

        Parameters
        ----------
        sites : iterable of Site
        catalogue : ChipCatalogue, optional
            Defaults to the bundled catalogue.
        as_of : datetime.date, optional
            Count only the lines online by then; None: the planned build-out.

        Raises
        ------
        ValueError
            If a hardware line names a model the catalogue does not know.
        """
        catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        sites = list(sites)
        ledger = CapacityLedger(sites, catalogue.names)
        return cls.from_ledger(sites, ledger, catalogue, as_of=as_of)

    @classmethod
    def from_ledger(
        cls,
        sites: Sequence[Site],
        ledger: CapacityLedger,
        catalogue: ChipCatalogue,
        *,
        as_of: date | None = None,
    ) -> SiteArrays:
        """Snapshot from a :class:`~explorer.geo.capacity.CapacityLedger` of ``sites``
        (same order)."""
        n = len(sites)
        ids = np.empty(n, dtype=object)
        ids[:] = [s.id for s in sites]
        lon = np.fromiter((s.lon for s in sites), dtype=np.float64, count=n)
        lat = np.fromiter((s.lat for s in sites), dtype=np.float64, count=n)
        power = np.fromiter(
            (math.nan if s.power_mw is None else s.power_mw for s in sites),
            dtype=np.float64,
            count=n,
        )
        # The superseded records once, as a set (not a ledger look-up per site).
        superseded = ledger.superseded_ids()
        counted = np.fromiter((s.id not in superseded for s in sites), dtype=bool, count=n)
        low, chips, high = ledger.at(as_of.toordinal() if as_of is not None else None)
        return cls(
            ids,
            lon,
            lat,
            ledger.models,
            chips,
            power,
            catalogue,
            chips_low=low,
            chips_high=high,
            counted=counted,
            as_of=as_of,
        )

    def dated(self, ledger: CapacityLedger, as_of: date | None) -> SiteArrays:
        """These sites counted by ``ledger`` (the ledger over the same sites, in this
        order) as of ``as_of``: ids, coordinates, power and superseded records shared
        (read-only), the chip matrices the ledger's on that date. A series of dates
        costs one ledger evaluation each, not a pass over the sites."""
        low, chips, high = ledger.at(as_of.toordinal() if as_of is not None else None)
        return SiteArrays(
            given(held_ids(self)),
            self.lon,
            self.lat,
            ledger.models,
            chips,
            self.reported_power_mw,
            self.catalogue,
            chips_low=low,
            chips_high=high,
            counted=self.counted,
            as_of=as_of,
        )

    @classmethod
    def from_arrays(
        cls,
        ids: Sequence[str] | np.ndarray,
        lon: Sequence[float] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        chips_matrix: Sequence[Sequence[int]] | np.ndarray,
        models: Sequence[str],
        reported_power_mw: Sequence[float] | np.ndarray | None = None,
        catalogue: ChipCatalogue | None = None,
    ) -> SiteArrays:
        """Snapshot from plain arrays (copied, so later edits to the inputs are harmless).

        Parameters
        ----------
        ids : sequence of str, length n
        lon, lat : sequence of float, length n
        chips_matrix : array_like of int, shape (n, len(models))
        models : sequence of str
            Chip model keys labelling the columns.
        reported_power_mw : sequence of float, optional
            NaN (or omitted) where not reported.
        catalogue : ChipCatalogue, optional
        """
        ids_a = np.array(ids, dtype=object)
        chips_in = np.asarray(chips_matrix)
        if chips_in.size and not np.issubdtype(chips_in.dtype, np.integer):
            # Refuse 12.5 chips rather than truncating it.
            as_float = chips_in.astype(np.float64)
            if not (np.isfinite(as_float).all() and (as_float == np.round(as_float)).all()):
                raise ValueError("chips must be whole numbers")
        chips = np.array(chips_in, dtype=np.int64)
        if len(ids_a) == 0 and chips.size == 0:
            chips = chips.reshape(0, len(models))  # [] has shape (0,), not (0, n_models)
        power = (
            np.full(len(ids_a), np.nan)
            if reported_power_mw is None
            else np.array(reported_power_mw, dtype=np.float64)
        )
        return cls(
            ids_a,
            np.array(lon, dtype=np.float64),
            np.array(lat, dtype=np.float64),
            tuple(models),
            chips,
            power,
            catalogue,
        )

    def in_region(self, region: Region) -> np.ndarray:
        """Boolean mask of the sites inside ``region``."""
        return region.mask(self.lon, self.lat)


class SiteIdsAt:
    """The ids of some rows of a snapshot, made into a tuple only when read.

    A region's total is asked for after every edit (live totals), and turning a hundred
    thousand ids into a tuple of ``str`` costs more than the total itself (about 13 ms
    for 140,000 of 10^6 sites, against a 5 ms budget); most totals are shown as numbers
    and their ids never read. :class:`Totals` accepts one of these for ``site_ids`` and
    builds the tuple on first read.
    """

    __slots__ = ("_ids", "_rows")

    def __init__(self, ids: np.ndarray | DeferredIds, rows: np.ndarray) -> None:
        self._ids = ids
        self._rows = rows

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    def build(self) -> tuple[str, ...]:
        """The ids, in snapshot order (only these rows read, when the snapshot's ids
        are still deferred)."""
        return tuple(ids_at(self._ids, self._rows))


class _SiteIdsField:
    """``Totals.site_ids``: stored as given, a :class:`SiteIdsAt` built into its tuple on
    first read (and kept), so equality, hashing, repr and ``replace`` see the tuple."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> tuple[str, ...]:
        if obj is None:
            # No class-level default: for the dataclass, a field that must be given.
            raise AttributeError(self._slot[1:])
        value = obj.__dict__[self._slot]
        if isinstance(value, SiteIdsAt):
            value = value.build()
            obj.__dict__[self._slot] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: tuple[str, ...] | SiteIdsAt) -> None:
        obj.__dict__[self._slot] = value


@dataclass(frozen=True)
class Totals:
    """What a region holds, as of a date.

    Attributes
    ----------
    region : str
        The region's name (``"all"`` when no region was given).
    site_count : int
        Sites inside the region that count (superseded ones do not).
    site_ids : tuple of str
        In snapshot order (given as a tuple, or as :class:`SiteIdsAt` to be built on
        first read).
    chips : int
        The central estimate.
    by_model : tuple of (str, int)
        Models with at least one chip, in catalogue order (central).
    restricted_chips : int
        Chips of models that needed a US export licence for China on :attr:`rules_day`.
    h100e : float
        H100-equivalents: chips x model dense BF16 TFLOPS / H100 dense BF16 TFLOPS.
    it_power_mw : float
        Estimated IT power (see :class:`PowerFactors`).
    facility_power_mw : float
        Estimated facility power (IT x PUE).
    reported_power_mw : float
        Sum of the sites' own reported power, ignoring sites that report none.
    factors : PowerFactors
        The factors used for the power estimates.
    as_of : datetime.date or None
        The date counted up to; None for the planned build-out.
    rules_day : datetime.date or None
        The date whose export rules decided what is restricted (``as_of``, or the day
        the total was made when undated).
    restricted_h100e : float
        H100-equivalents of the restricted chips.
    unknown_model_chips : int
        Chips of models with no catalogue figures (``Other``): in ``chips``, not in
        H100e or power.
    chips_range, restricted_range : (int, int)
        Low and high.
    h100e_range, facility_power_range : (float, float)
        Low and high (facility power with the low and high power factors).
    """

    region: str
    site_count: int
    site_ids: tuple[str, ...]  # read through _SiteIdsField (installed below)
    chips: int
    by_model: tuple[tuple[str, int], ...]
    restricted_chips: int
    h100e: float
    it_power_mw: float
    facility_power_mw: float
    reported_power_mw: float
    factors: PowerFactors
    as_of: date | None = None
    rules_day: date | None = None
    restricted_h100e: float = 0.0
    unknown_model_chips: int = 0
    chips_range: tuple[int, int] = (0, 0)
    restricted_range: tuple[int, int] = (0, 0)
    h100e_range: tuple[float, float] = (0.0, 0.0)
    facility_power_range: tuple[float, float] = (0.0, 0.0)

    def by_model_dict(self) -> dict[str, int]:
        """``by_model`` as an ordered dict."""
        return dict(self.by_model)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary; floats rounded to 3 decimals.

        The keys of earlier versions are kept with their meaning (central estimates);
        ``as_of``, ``rules_as_of``, ``restricted_h100e``, ``unknown_model_chips`` and the
        low-high ``range`` were added with dated, ranged totals.
        """
        return {
            "name": self.region,
            "site_count": self.site_count,
            "site_ids": list(self.site_ids),
            "chips": self.chips,
            "restricted_chips": self.restricted_chips,
            "h100e": round(self.h100e, 3),
            "it_power_mw": round(self.it_power_mw, 3),
            "facility_power_mw": round(self.facility_power_mw, 3),
            "by_model": self.by_model_dict(),
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "rules_as_of": self.rules_day.isoformat() if self.rules_day is not None else None,
            "restricted_h100e": round(self.restricted_h100e, 3),
            "unknown_model_chips": self.unknown_model_chips,
            "range": {
                "chips": list(self.chips_range),
                "restricted_chips": list(self.restricted_range),
                "h100e": [round(v, 3) for v in self.h100e_range],
                "facility_power_mw": [round(v, 3) for v in self.facility_power_range],
            },
        }


# The descriptor goes on after the dataclass is made, so the field stays one without a
# default (the generated __init__, __eq__ and __repr__ read and write through it).
_site_ids_field = _SiteIdsField()
_site_ids_field.__set_name__(Totals, "site_ids")
setattr(Totals, "site_ids", _site_ids_field)  # noqa: B010 - a descriptor, not a value


# --------------------------------------------------------------------------- queries


def _as_arrays(
    sites: Sequence[Site] | SiteArrays, catalogue: ChipCatalogue | None, as_of: date | None
) -> SiteArrays:
    if isinstance(sites, SiteArrays):
        if as_of is not None and as_of != sites.as_of:
            raise ValueError(
                f"as_of {as_of} differs from the snapshot's ({sites.as_of}); "
                "take a snapshot as of that date"
            )
        return sites
    if isinstance(sites, str | bytes) or not isinstance(sites, Iterable):
        raise TypeError(
            f"sites must be a sequence of Site or a SiteArrays, got {type(sites).__name__}"
        )
    return SiteArrays.from_sites(sites, catalogue, as_of=as_of)


def _resolve_catalogue(arrays: SiteArrays, catalogue: ChipCatalogue | None) -> ChipCatalogue:
    cat = catalogue if catalogue is not None else arrays.catalogue
    return cat if cat is not None else ChipCatalogue.bundled()


@dataclass(frozen=True, eq=False)
class ModelFigures:
    """Per-column catalogue figures on one date, aligned with ``SiteArrays.models``."""

    day: date
    restricted: np.ndarray  # bool: needed a licence for China on ``day``
    h100e: np.ndarray  # float, relative to H100 dense BF16
    board_w: np.ndarray  # float
    unknown: np.ndarray  # bool: no catalogue figures


def model_figures(models: tuple[str, ...], catalogue: ChipCatalogue, day: date) -> ModelFigures:
    """The catalogue's figures for ``models`` and their export status on ``day``."""
    unknown = [m for m in models if m not in catalogue]
    if unknown:
        known = ", ".join(catalogue.names)
        raise ValueError(f"chip model '{unknown[0]}' is not in the catalogue (known: {known})")
    ref = catalogue[REFERENCE_MODEL].bf16_dense_tflops
    if not ref > 0:
        raise ValueError(
            f"reference model {REFERENCE_MODEL} needs a positive bf16_dense_tflops, got '{ref}'"
        )
    return ModelFigures(
        day=day,
        restricted=np.array([catalogue.restricted_on(m, day) for m in models], dtype=bool),
        h100e=np.array([catalogue[m].bf16_dense_tflops / ref for m in models], dtype=np.float64),
        board_w=np.array([catalogue[m].board_power_w for m in models], dtype=np.float64),
        unknown=np.array([not catalogue[m].has_figures for m in models], dtype=bool),
    )


def _check_factors(factors: Any) -> PowerFactors:
    if not isinstance(factors, PowerFactors):
        raise TypeError(f"factors must be a PowerFactors, got {type(factors).__name__}")
    return factors


def _sum_columns(matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.array([int(matrix[:, j][idx].sum()) for j in range(matrix.shape[1])], dtype=np.int64)


def _totals_from_mask(
    arrays: SiteArrays,
    mask: np.ndarray | None,
    name: str,
    catalogue: ChipCatalogue,
    figs: ModelFigures,
    factors: PowerFactors,
) -> Totals:
    counted = arrays.counted
    assert counted is not None and arrays.chips_low is not None and arrays.chips_high is not None
    idx = np.flatnonzero(counted if mask is None else (mask & counted))
    per_model = _sum_columns(arrays.chips, idx)
    low = per_model if arrays.chips_low is arrays.chips else _sum_columns(arrays.chips_low, idx)
    high = per_model if arrays.chips_high is arrays.chips else _sum_columns(arrays.chips_high, idx)
    reported = arrays.reported_power_mw[idx]
    reported = reported[~np.isnan(reported)]
    return totals_from_sums(
        name,
        SiteIdsAt(held_ids(arrays), idx),
        arrays.models,
        (low, per_model, high),
        float(reported.sum()),
        catalogue=catalogue,
        figures=figs,
        factors=factors,
        as_of=arrays.as_of,
    )


def totals_from_sums(
    name: str,
    site_ids: tuple[str, ...] | SiteIdsAt,
    models: tuple[str, ...],
    sums: tuple[np.ndarray, np.ndarray, np.ndarray],
    reported_power_mw: float,
    *,
    catalogue: ChipCatalogue,
    figures: ModelFigures,
    factors: PowerFactors,
    as_of: date | None,
) -> Totals:
    """Assemble :class:`Totals` from per-model low, central and high chip sums.

    The one place the arithmetic lives: the local engine and the database (which sums in
    SQL what the same ledger says each site contributes) both end here, so both give the
    same numbers to the last digit.
    """
    low, per_model, high = (np.asarray(s, dtype=np.int64) for s in sums)
    it_w = float(per_model @ figures.board_w) * factors.server_overhead
    facility_low = float(low @ figures.board_w) * factors.server_overhead_low * factors.pue_low  # type: ignore[operator]
    facility_high = float(high @ figures.board_w) * factors.server_overhead_high * factors.pue_high  # type: ignore[operator]
    count = dict(zip(models, per_model.tolist(), strict=True))
    # Catalogue order for display, whatever the snapshot's column order.
    by_model = tuple((m, count[m]) for m in catalogue.names if count.get(m, 0) > 0)
    restricted = figures.restricted
    restricted_h100e = figures.h100e * restricted
    return Totals(
        region=name,
        site_count=len(site_ids),
        site_ids=site_ids,  # type: ignore[arg-type]
        chips=int(per_model.sum()),
        by_model=by_model,
        restricted_chips=int(per_model[restricted].sum()),
        h100e=float(per_model @ figures.h100e),
        it_power_mw=it_w / 1e6,
        facility_power_mw=it_w * factors.pue / 1e6,
        reported_power_mw=reported_power_mw,
        factors=factors,
        as_of=as_of,
        rules_day=figures.day,
        restricted_h100e=float(per_model @ restricted_h100e),
        unknown_model_chips=int(per_model[figures.unknown].sum()),
        chips_range=(int(low.sum()), int(high.sum())),
        restricted_range=(int(low[restricted].sum()), int(high[restricted].sum())),
        h100e_range=(float(low @ figures.h100e), float(high @ figures.h100e)),
        facility_power_range=(facility_low / 1e6, facility_high / 1e6),
    )


def _check_region(region: Any) -> Region:
    if not isinstance(region, Region):
        raise TypeError(f"region must be a Region, got {type(region).__name__}")
    return region


def _checked_inputs(
    sites: Sequence[Site] | SiteArrays,
    catalogue: ChipCatalogue | None,
    factors: Any,
    as_of: date | None,
    today: date | None,
) -> tuple[SiteArrays, ChipCatalogue, ModelFigures, PowerFactors]:
    """The checks every public totals function starts with, in this order: the date, the
    sites (as arrays as of that date), the catalogue that covers their models, the
    models' figures on the rules' date, the power factors."""
    if as_of is not None and not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date or None, got {type(as_of).__name__}")
    arrays = _as_arrays(sites, catalogue, as_of)
    cat = _resolve_catalogue(arrays, catalogue)
    day = arrays.as_of if arrays.as_of is not None else (today or date.today())
    return arrays, cat, model_figures(arrays.models, cat, day), _check_factors(factors)


def totals(
    sites: Sequence[Site] | SiteArrays,
    region: Region | None = None,
    *,
    as_of: date | None = None,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    name: str | None = None,
    today: date | None = None,
) -> Totals:
    """Total the sites inside ``region``, as of a date.

    Parameters
    ----------
    sites : sequence of Site or SiteArrays
        Pass a :class:`SiteArrays` to reuse one snapshot across many queries (its
        ``as_of`` is the date counted to).
    region : Region, optional
        ``None`` totals every site (named ``"all"``).
    as_of : datetime.date, optional
        Count only lines online by this date, with the export rules in force on it.
        None: every line that is not cancelled (the planned build-out), with today's
        rules.
    catalogue : ChipCatalogue, optional
        Defaults to the snapshot's catalogue, then the bundled one.
    factors : PowerFactors
        Server overhead and PUE for the power estimates.
    name : str, optional
        Overrides the name on the result (default: the region's name).
    today : datetime.date, optional
        The date whose rules an undated total uses (default: the real today).

    Returns
    -------
    Totals
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors, as_of, today)
    if region is None:
        return _totals_from_mask(arrays, None, name or "all", cat, figs, factors)
    region = _check_region(region)
    return _totals_from_mask(
        arrays, arrays.in_region(region), name or region.name, cat, figs, factors
    )


def masked_totals(
    arrays: SiteArrays,
    mask: np.ndarray | None,
    name: str,
    *,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008
    today: date | None = None,
) -> Totals:
    """Total the rows of a snapshot selected by a mask computed earlier (None: all).

    For callers that keep each region's mask across many snapshots of the same sites
    (a series of dates); the arithmetic is that of :func:`totals`.
    """
    arrays, cat, figs, factors = _checked_inputs(arrays, catalogue, factors, None, today)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(arrays),):
            raise ValueError(f"mask must have shape ({len(arrays)},), got {mask.shape}")
    return _totals_from_mask(arrays, mask, name, cat, figs, factors)


def union_totals(
    sites: Sequence[Site] | SiteArrays,
    regions: Iterable[Region],
    name: str = "union",
    *,
    as_of: date | None = None,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008
    today: date | None = None,
) -> Totals:
    """Total the sites inside any of ``regions``, each site counted once.

    Parameters
    ----------
    sites : sequence of Site or SiteArrays
    regions : iterable of Region
        An empty iterable gives zero totals.
    name : str
        Name on the result.
    as_of, catalogue, factors, today
        As for :func:`totals`.

    Returns
    -------
    Totals
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors, as_of, today)
    mask = np.zeros(len(arrays), dtype=bool)
    for r in regions:
        # OR of the masks: a site in two overlapping regions is still one site.
        mask |= arrays.in_region(_check_region(r))
    return _totals_from_mask(arrays, mask, name, cat, figs, factors)


def totals_many(
    sites: Sequence[Site] | SiteArrays,
    regions: Iterable[Region],
    *,
    as_of: date | None = None,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008
    today: date | None = None,
) -> list[Totals]:
    """One :class:`Totals` per region, sharing a single snapshot.

    Regions may overlap; a site in two regions counts in both.
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors, as_of, today)
    return [
        _totals_from_mask(arrays, arrays.in_region(_check_region(r)), r.name, cat, figs, factors)
        for r in regions
    ]


__all__ = [
    "ModelFigures",
    "masked_totals",
    "totals_from_sums",
    "PowerFactors",
    "SiteArrays",
    "SiteIdsAt",
    "Totals",
    "model_figures",
    "totals",
    "totals_many",
    "union_totals",
]
