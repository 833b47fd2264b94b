"""The map's reset message for a file, built where the file was read.

After a file is read on the load's worker thread the map gets every site in one
``sitesReset`` message: at 100,000 sites building its columns and their JSON took
0.15-0.25 s of the UI thread, at a million about a second. :func:`prepare_reset` builds
both on the worker from what the read prepared for the live totals (the same ledger,
matrices and columns the session takes over when it loads the file), and the map
controller sends that text (:meth:`~explorer.web.controller.MapController.expect_reset`)
when the store is reset to that very table with that very ledger, on the same date and
day; otherwise it builds the message itself, as for any other reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from explorer.core.chips import ChipCatalogue
from explorer.geo.capacity import CapacityLedger
from explorer.geo.totals import SiteArrays
from explorer.io.site_columns import LOCK_SLICE, SiteColumns
from explorer.session.session import ReadFile
from explorer.web.payload import to_json
from explorer.web.site_columns import reset_payload


@dataclass(frozen=True)
class PreparedReset:
    """A ``sitesReset`` message's data as JSON text, and what it was built from.

    Attributes
    ----------
    table : SiteColumns
        The sites, as the store will hold them after the load.
    ledger : CapacityLedger
        The capacity ledger the live totals will hold.
    as_of : date or None
        The date it counts up to.
    today : date
        The day it was built on (what is planned or online is reckoned from it).
    text : str
        The message's data, as :func:`~explorer.web.payload.to_json` writes it.
    ids : frozenset of str
        The sites' ids (the map's bridge copies them: copying a set of a million is a
        third of building it, which the UI thread would do otherwise).
    """

    table: SiteColumns
    ledger: CapacityLedger
    as_of: date | None
    today: date
    text: str
    ids: frozenset[str]


def prepare_reset(read: ReadFile, catalogue: ChipCatalogue) -> PreparedReset | None:
    """The reset message for the sites of ``read`` (a file read against ``catalogue``),
    from its prepared totals; None when its sites are not a table (then the map builds
    the message when the store is reset, as before)."""
    prepared = read.prepared
    table = prepared.sites
    if not isinstance(table, SiteColumns):
        return None
    ids, lon, lat, power = prepared.columns
    low, mid, high = prepared.matrices
    arrays = SiteArrays(
        ids,
        lon,
        lat,
        catalogue.names,
        mid,
        power,
        catalogue,
        chips_low=low,
        chips_high=high,
        counted=prepared.counted,
        as_of=prepared.as_of,
    )
    today = date.today()
    data = reset_payload(
        table, catalogue, ledger=prepared.ledger, as_of=prepared.as_of, today=today, arrays=arrays
    )
    ids = data["sites"]["id"]
    known: set[str] = set()
    for a in range(0, len(ids), LOCK_SLICE):  # a slice at a time: see LOCK_SLICE
        known.update(ids[a : a + LOCK_SLICE])
    return PreparedReset(
        table, prepared.ledger, prepared.as_of, today, to_json(data), frozenset(known)
    )


__all__ = ["PreparedReset", "prepare_reset"]
