"""The plain contributions of many sites as arrays: what a ledger starts from when the
sites were read as columns and not built.

A site that names no campus and supersedes nothing, and that no other site names, counts
exactly its own lines (cancelled lines never; dated lines from their online day): its
contribution is a column of sums, computed for every such site at once by whoever holds
the columns (:meth:`explorer.io.site_columns.SiteColumns.ledger`). The few sites that do
take part in a campus or a supersession are handed to the ledger as built sites, and the
campus and supersession rules of :mod:`explorer.geo.capacity` apply to them as ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from explorer.core.schema import Site


@dataclass(frozen=True, eq=False)
class LedgerBase:
    """Plain contributions of ``n`` sites (rows) over ``m`` models (columns).

    Attributes
    ----------
    ids : list of str
        The sites, in order (unique).
    undated : numpy.ndarray of int64, shape (3, m, n)
        Low, central and high chips of the lines that count, by model then site.
    step_site, step_col, step_day : numpy.ndarray of int64, shape (k,)
        One dated step per counted line that has an online date: its site row, model
        column and the day it counts from (:data:`~explorer.core.dates.NEVER` for a
        date that never comes).
    step_vals : numpy.ndarray of int64, shape (k, 3)
        The step's low, central and high chips.
    load : callable
        Builds the site of a row, when a rule needs its value (a plain site that becomes
        a campus after an edit).
    """

    ids: list[str]
    undated: np.ndarray
    step_site: np.ndarray
    step_col: np.ndarray
    step_day: np.ndarray
    step_vals: np.ndarray
    load: Callable[[int], Site]
    # The steps grouped by row (order, starts), made on the first single-row read.
    _by_site: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.undated.ndim != 3 or self.undated.shape[0] != 3 or self.undated.shape[2] != n:
            raise ValueError(f"undated must have shape (3, m, {n}), got {self.undated.shape}")
        k = self.step_site.shape[0]
        for name in ("step_col", "step_day"):
            if getattr(self, name).shape != (k,):
                raise ValueError(f"{name} must have shape ({k},), got {getattr(self, name).shape}")
        if self.step_vals.shape != (k, 3):
            raise ValueError(f"step_vals must have shape ({k}, 3), got {self.step_vals.shape}")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def models(self) -> int:
        """How many model columns."""
        return int(self.undated.shape[1])

    def steps_of(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(columns, days, values) of row ``row``'s dated steps."""
        by_site = self._by_site
        if by_site is None:
            order = np.argsort(self.step_site, kind="stable")
            starts = np.searchsorted(self.step_site[order], np.arange(len(self.ids) + 1))
            by_site = (order, starts)
            object.__setattr__(self, "_by_site", by_site)
        order, starts = by_site
        sel = order[starts[row] : starts[row + 1]]
        return self.step_col[sel], self.step_day[sel], self.step_vals[sel]


def no_load(row: int) -> Site:
    """A ``load`` for a base whose sites can never be needed (raises)."""
    raise LookupError(f"no site value for row {row}")


__all__ = ["LedgerBase", "no_load"]
