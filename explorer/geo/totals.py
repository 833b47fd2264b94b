"""Totals of chips, compute and power for the sites inside a region.

The query is split in two so that it stays fast when the analyst drags a region over a
large site list:

1. :class:`SiteArrays` takes a columnar snapshot of the sites once (ids, coordinates,
   a sites x models chip-count matrix, reported power).
2. :func:`totals` asks the region for a boolean mask over the snapshot and sums the
   selected rows; per-model catalogue figures turn chip counts into restricted chips,
   H100-equivalents and power.

A site counts once per region however many hardware lines it has, and a site on a
polygon's boundary counts as inside (see :mod:`explorer.geo.regions`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.regions import Region


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

    Both must be finite and >= 1 (a factor below 1 would mean the server or building
    draws less than the chips alone).
    """

    server_overhead: float = 1.8
    pue: float = 1.25

    def __post_init__(self) -> None:
        for name in ("server_overhead", "pue"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 1
            ):
                raise ValueError(f"{name} must be a finite number >= 1, got '{v}'")
            object.__setattr__(self, name, float(v))


def _readonly(a: np.ndarray) -> np.ndarray:
    # The snapshot is shared by every query; freezing the buffers makes an accidental
    # in-place edit fail loudly instead of silently corrupting later totals.
    a.flags.writeable = False
    return a


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
    lon, lat : numpy.ndarray of float64
        WGS84 degrees.
    models : tuple of str
        Column labels of ``chips``.
    chips : numpy.ndarray of int64, shape (n_sites, n_models)
        Stored column-major (one model's counts are contiguous).
    reported_power_mw : numpy.ndarray of float64
        Each site's reported power in MW, NaN when not reported.
    catalogue : ChipCatalogue or None
        The catalogue the snapshot was built against, used by :func:`totals` when no
        catalogue is passed.
    """

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    models: tuple[str, ...]
    chips: np.ndarray
    reported_power_mw: np.ndarray
    catalogue: ChipCatalogue | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = self.ids.shape[0]
        if self.ids.ndim != 1:
            raise ValueError(f"ids must be one-dimensional, got shape {self.ids.shape}")
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
        for a in (self.ids, self.lon, self.lat, self.chips, self.reported_power_mw):
            _readonly(a)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def from_sites(
        cls, sites: Iterable[Site], catalogue: ChipCatalogue | None = None
    ) -> SiteArrays:
        """Snapshot ``sites``; chip columns follow the catalogue's model order.

        Parameters
        ----------
        sites : iterable of Site
        catalogue : ChipCatalogue, optional
            Defaults to the bundled catalogue.

        Raises
        ------
        ValueError
            If a hardware line names a model the catalogue does not know.
        """
        catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        models = catalogue.names
        col = {m: j for j, m in enumerate(models)}
        sites = list(sites)
        n = len(sites)
        ids = np.empty(n, dtype=object)
        lon = np.empty(n, dtype=np.float64)
        lat = np.empty(n, dtype=np.float64)
        power = np.full(n, np.nan, dtype=np.float64)
        chips = np.zeros((n, len(models)), dtype=np.int64)
        for i, s in enumerate(sites):
            ids[i] = s.id
            lon[i] = s.lon
            lat[i] = s.lat
            if s.power_mw is not None:
                power[i] = s.power_mw
            for h in s.hardware:
                j = col.get(h.chip_model)
                if j is None:
                    raise ValueError(f"site '{s.id}': unknown chip model '{h.chip_model}'")
                chips[i, j] += h.chips
        return cls(ids, lon, lat, models, chips, power, catalogue)

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


@dataclass(frozen=True)
class Totals:
    """What a region holds.

    Attributes
    ----------
    region : str
        The region's name (``"all"`` when no region was given).
    site_count : int
    site_ids : tuple of str
        In snapshot order.
    chips : int
    by_model : tuple of (str, int)
        Models with at least one chip, in catalogue order.
    restricted_chips : int
        Chips of models that need a US export licence for China.
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
    """

    region: str
    site_count: int
    site_ids: tuple[str, ...]
    chips: int
    by_model: tuple[tuple[str, int], ...]
    restricted_chips: int
    h100e: float
    it_power_mw: float
    facility_power_mw: float
    reported_power_mw: float
    factors: PowerFactors

    def by_model_dict(self) -> dict[str, int]:
        """``by_model`` as an ordered dict."""
        return dict(self.by_model)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary; floats rounded to 3 decimals."""
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
        }


# --------------------------------------------------------------------------- queries


def _as_arrays(sites: Sequence[Site] | SiteArrays, catalogue: ChipCatalogue | None) -> SiteArrays:
    if isinstance(sites, SiteArrays):
        return sites
    if isinstance(sites, str | bytes) or not isinstance(sites, Iterable):
        raise TypeError(
            f"sites must be a sequence of Site or a SiteArrays, got {type(sites).__name__}"
        )
    return SiteArrays.from_sites(sites, catalogue)


def _resolve_catalogue(arrays: SiteArrays, catalogue: ChipCatalogue | None) -> ChipCatalogue:
    cat = catalogue if catalogue is not None else arrays.catalogue
    return cat if cat is not None else ChipCatalogue.bundled()


@dataclass(frozen=True, eq=False)
class _ModelFigures:
    """Per-column catalogue figures, aligned with ``SiteArrays.models``."""

    restricted: np.ndarray  # bool
    h100e: np.ndarray  # float, relative to H100 dense BF16
    board_w: np.ndarray  # float


def _model_figures(models: tuple[str, ...], catalogue: ChipCatalogue) -> _ModelFigures:
    unknown = [m for m in models if m not in catalogue]
    if unknown:
        known = ", ".join(catalogue.names)
        raise ValueError(f"chip model '{unknown[0]}' is not in the catalogue (known: {known})")
    ref = catalogue[REFERENCE_MODEL].bf16_dense_tflops
    if not ref > 0:
        raise ValueError(
            f"reference model {REFERENCE_MODEL} needs a positive bf16_dense_tflops, got '{ref}'"
        )
    return _ModelFigures(
        restricted=np.array([catalogue[m].restricted for m in models], dtype=bool),
        h100e=np.array([catalogue[m].bf16_dense_tflops / ref for m in models], dtype=np.float64),
        board_w=np.array([catalogue[m].board_power_w for m in models], dtype=np.float64),
    )


def _check_factors(factors: Any) -> PowerFactors:
    if not isinstance(factors, PowerFactors):
        raise TypeError(f"factors must be a PowerFactors, got {type(factors).__name__}")
    return factors


def _totals_from_mask(
    arrays: SiteArrays,
    mask: np.ndarray | None,
    name: str,
    catalogue: ChipCatalogue,
    figs: _ModelFigures,
    factors: PowerFactors,
) -> Totals:
    if mask is None:
        idx = np.arange(len(arrays))
    else:
        idx = np.flatnonzero(mask)
    per_model = np.array(
        [int(arrays.chips[:, j][idx].sum()) for j in range(len(arrays.models))], dtype=np.int64
    )
    it_w = float(per_model @ figs.board_w) * factors.server_overhead
    reported = arrays.reported_power_mw[idx]
    reported = reported[~np.isnan(reported)]
    count = dict(zip(arrays.models, per_model.tolist(), strict=True))
    # Catalogue order for display, whatever the snapshot's column order.
    by_model = tuple((m, count[m]) for m in catalogue.names if count.get(m, 0) > 0)
    return Totals(
        region=name,
        site_count=int(idx.size),
        site_ids=tuple(arrays.ids[idx].tolist()),
        chips=int(per_model.sum()),
        by_model=by_model,
        restricted_chips=int(per_model[figs.restricted].sum()),
        h100e=float(per_model @ figs.h100e),
        it_power_mw=it_w / 1e6,
        facility_power_mw=it_w * factors.pue / 1e6,
        reported_power_mw=float(reported.sum()),
        factors=factors,
    )


def _check_region(region: Any) -> Region:
    if not isinstance(region, Region):
        raise TypeError(f"region must be a Region, got {type(region).__name__}")
    return region


def _checked_inputs(
    sites: Sequence[Site] | SiteArrays, catalogue: ChipCatalogue | None, factors: Any
) -> tuple[SiteArrays, ChipCatalogue, _ModelFigures, PowerFactors]:
    """The checks every public totals function starts with, in this order: the sites
    (as arrays), the catalogue that covers their models, the models' figures, the
    power factors."""
    arrays = _as_arrays(sites, catalogue)
    cat = _resolve_catalogue(arrays, catalogue)
    return arrays, cat, _model_figures(arrays.models, cat), _check_factors(factors)


def totals(
    sites: Sequence[Site] | SiteArrays,
    region: Region | None = None,
    *,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    name: str | None = None,
) -> Totals:
    """Total the sites inside ``region``.

    Parameters
    ----------
    sites : sequence of Site or SiteArrays
        Pass a :class:`SiteArrays` to reuse one snapshot across many queries.
    region : Region, optional
        ``None`` totals every site (named ``"all"``).
    catalogue : ChipCatalogue, optional
        Defaults to the snapshot's catalogue, then the bundled one.
    factors : PowerFactors
        Server overhead and PUE for the power estimates.
    name : str, optional
        Overrides the name on the result (default: the region's name).

    Returns
    -------
    Totals
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors)
    if region is None:
        return _totals_from_mask(arrays, None, name or "all", cat, figs, factors)
    region = _check_region(region)
    return _totals_from_mask(
        arrays, arrays.in_region(region), name or region.name, cat, figs, factors
    )


def union_totals(
    sites: Sequence[Site] | SiteArrays,
    regions: Iterable[Region],
    name: str = "union",
    *,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008
) -> Totals:
    """Total the sites inside any of ``regions``, each site counted once.

    Parameters
    ----------
    sites : sequence of Site or SiteArrays
    regions : iterable of Region
        An empty iterable gives zero totals.
    name : str
        Name on the result.
    catalogue, factors
        As for :func:`totals`.

    Returns
    -------
    Totals
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors)
    mask = np.zeros(len(arrays), dtype=bool)
    for r in regions:
        # OR of the masks: a site in two overlapping regions is still one site.
        mask |= arrays.in_region(_check_region(r))
    return _totals_from_mask(arrays, mask, name, cat, figs, factors)


def totals_many(
    sites: Sequence[Site] | SiteArrays,
    regions: Iterable[Region],
    *,
    catalogue: ChipCatalogue | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008
) -> list[Totals]:
    """One :class:`Totals` per region, sharing a single snapshot.

    Regions may overlap; a site in two regions counts in both.
    """
    arrays, cat, figs, factors = _checked_inputs(sites, catalogue, factors)
    return [
        _totals_from_mask(arrays, arrays.in_region(_check_region(r)), r.name, cat, figs, factors)
        for r in regions
    ]


__all__ = ["PowerFactors", "SiteArrays", "Totals", "totals", "totals_many", "union_totals"]
