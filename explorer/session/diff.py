"""What differs between two catalogues: sites added, removed and changed field by field,
and the change in each region's totals.

Qt-free, so the window's *File → Compare With File…* and ``explorer diff`` say the same
thing. ``a`` is the baseline and ``b`` the catalogue compared with it: a site only in
``b`` is *added*, one only in ``a`` is *removed*. Sites are matched by id and compared
on their JSON (:meth:`~explorer.core.schema.Site.to_dict`, the shape history keeps), so
a change to any attribute, a hardware line or a source shows, with its before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.geo.regions import Region
from explorer.geo.totals import PowerFactors, Totals, totals
from explorer.io.changelog import changed_fields
from explorer.io.project_value import Project


@dataclass(frozen=True)
class FieldChange:
    """One attribute of a site that differs: its JSON value in ``a`` and in ``b``."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class SiteChange:
    """A site in both catalogues whose value differs.

    Attributes
    ----------
    id : str
    name : str
        Its name in ``b``.
    fields : tuple of FieldChange
        In the order of the site's attributes.
    """

    id: str
    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RegionChange:
    """A region's totals over ``a`` and over ``b`` (same region, same date and rules)."""

    name: str
    before: Totals
    after: Totals

    @property
    def chips(self) -> int:
        """Chips gained (negative: lost), central estimate."""
        return self.after.chips - self.before.chips

    @property
    def restricted_chips(self) -> int:
        return self.after.restricted_chips - self.before.restricted_chips

    @property
    def h100e(self) -> float:
        return self.after.h100e - self.before.h100e

    @property
    def facility_power_mw(self) -> float:
        return self.after.facility_power_mw - self.before.facility_power_mw

    @property
    def site_count(self) -> int:
        return self.after.site_count - self.before.site_count


@dataclass(frozen=True)
class Diff:
    """What :func:`diff_projects` found.

    Attributes
    ----------
    added : tuple of Site
        In ``b`` only, in ``b``'s order.
    removed : tuple of Site
        In ``a`` only, in ``a``'s order.
    changed : tuple of SiteChange
        In both with different values, in ``b``'s order.
    regions : tuple of RegionChange
        ``all`` (every site) first, then each region given, in order.
    """

    added: tuple[Site, ...]
    removed: tuple[Site, ...]
    changed: tuple[SiteChange, ...]
    regions: tuple[RegionChange, ...]

    @property
    def same_sites(self) -> bool:
        """True when no site was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


def site_changes(before: Site, after: Site) -> tuple[FieldChange, ...]:
    """The attributes that differ between two values of one site, field by field."""
    a, b = before.to_dict(), after.to_dict()
    return tuple(FieldChange(f, a.get(f), b.get(f)) for f in changed_fields(a, b))


def diff_projects(
    a: Project,
    b: Project,
    regions: Sequence[Region] = (),
    catalogue: ChipCatalogue | None = None,
    *,
    as_of: date | None = None,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    today: date | None = None,
) -> Diff:
    """Compare two catalogues' sites, and their totals in ``regions``.

    Parameters
    ----------
    a, b : Project
        The baseline and the catalogue compared with it (only their sites are
        compared; their own regions and metadata are not).
    regions : sequence of Region
        The regions whose totals are compared (besides ``all``).
    catalogue : ChipCatalogue, optional
        For the totals (default: the bundled one).
    as_of : datetime.date, optional
        Count up to this date (None: the planned build-out), as :func:`~explorer.geo.
        totals.totals`.
    factors : PowerFactors
    today : datetime.date, optional
        The date whose export rules an undated total uses (default: the real today).

    Returns
    -------
    Diff
    """
    in_a = {s.id: s for s in a.sites}
    in_b = {s.id: s for s in b.sites}
    added = tuple(s for s in b.sites if s.id not in in_a)
    removed = tuple(s for s in a.sites if s.id not in in_b)
    changed = []
    for s in b.sites:
        if s.id in in_a and in_a[s.id] != s:
            fields = site_changes(in_a[s.id], s)
            if fields:
                changed.append(SiteChange(s.id, s.name, fields))
    out = []
    for region in [None, *regions]:
        kwargs: dict[str, Any] = {
            "as_of": as_of,
            "catalogue": catalogue,
            "factors": factors,
            "today": today,
        }
        before = totals(a.sites, region, **kwargs)
        after = totals(b.sites, region, **kwargs)
        out.append(RegionChange(after.region, before, after))
    return Diff(added, removed, tuple(changed), tuple(out))


__all__ = ["Diff", "FieldChange", "RegionChange", "SiteChange", "diff_projects", "site_changes"]
