"""A catalogue as it was at an earlier time, rebuilt from its record of changes.

Every :class:`~explorer.io.changelog.ChangeRecord` holds the whole record before and after
the change, so undoing the changes made after a moment, newest first, by putting back
each one's ``before`` (or removing the record when it did not exist before) gives the
catalogue exactly as it was then, whatever happened since. Used for a shared catalogue
(:meth:`~explorer.io.database.catalogue.DatabaseCatalogue.project_at`) and for a project
file with a history table alike.

What the record does not keep cannot be rebuilt: the metadata is today's (no change of it
is recorded), and a site (or region) deleted since comes back after those still there,
as the display order of a deleted record is not recorded. Changes made before the record
began (a project's sites as first opened from a sites file) are not in it, so the
catalogue cannot be taken back past them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem
from explorer.core.schema import Site
from explorer.geo.region_store import RegionEntry
from explorer.io.changelog import ChangeRecord
from explorer.io.project_value import Project
from explorer.io.records import SiteCollector


def instant(text: str) -> datetime:
    """A recorded time (ISO 8601) as an aware datetime; a time without zone is UTC.

    Raises
    ------
    ValueError
        ``text`` is not an ISO 8601 time (quoted in the message).
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time, got '{text}'") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def changes_after(records: Sequence[ChangeRecord], when: datetime) -> list[ChangeRecord]:
    """The records of changes made after ``when`` (aware), in their order.

    Raises
    ------
    ValueError
        A record's time is not ISO 8601.
    """
    return [r for r in records if instant(r.at) > when]


def site_from_json(
    value: dict[str, Any], catalogue: ChipCatalogue
) -> tuple[Site | None, list[Problem]]:
    """The site a recorded value (:meth:`Site.to_dict <explorer.core.schema.Site.to_dict>`)
    describes, or None and the reasons it is not valid against ``catalogue``."""
    props = dict(value)
    lon, lat = props.pop("lon", None), props.pop("lat", None)
    props.pop("chips", None)  # the total of the lines, derived again from them
    collector = SiteCollector(catalogue)
    label = f"recorded site '{props.get('id', '')}'"
    site = collector.add(props, lon, lat, label=label, problems=[])
    return site, list(collector.problems)


def rewind(
    project: Project, undone: Sequence[ChangeRecord], catalogue: ChipCatalogue
) -> tuple[Project, list[Problem]]:
    """``project`` with the changes of ``undone`` taken back, newest first.

    Parameters
    ----------
    project : Project
        The catalogue now; its ``history`` may hold ``undone`` (they are left out of the
        result's history).
    undone : sequence of ChangeRecord
        The changes to take back, oldest first (those made after the moment wanted).
    catalogue : ChipCatalogue
        For reading recorded site values back as sites.

    Returns
    -------
    Project
        The catalogue before those changes: sites and regions in today's order, those
        brought back after them; metadata as today; the history without ``undone``.
    list of Problem
        Recorded values that are not valid sites against ``catalogue`` (such a site is
        left out).
    """
    sites: dict[str, Site] = {s.id: s for s in project.sites}
    regions: dict[str, dict[str, Any]] = {
        RegionEntry.from_feature(f, index=i).id: f for i, f in enumerate(project.regions)
    }
    problems: list[Problem] = []
    for record in reversed(undone):
        before = record.before
        if record.entity == "site":
            if before is None:
                sites.pop(record.entity_id, None)
                continue
            site, found = site_from_json(before, catalogue)
            problems.extend(found)
            if site is None:
                sites.pop(record.entity_id, None)
            else:
                sites[record.entity_id] = site
        elif record.entity == "region":
            if before is None:
                regions.pop(record.entity_id, None)
            else:
                regions[record.entity_id] = before
        # "project" records: no writer records a metadata change; the metadata is today's.
    gone = {id(r) for r in undone}
    kept = [r for r in project.history if id(r) not in gone]
    return (
        Project(
            sites=list(sites.values()),
            metadata=dict(project.metadata),
            regions=list(regions.values()),
            history=kept,
        ),
        problems,
    )


__all__ = ["changes_after", "instant", "rewind", "site_from_json"]
