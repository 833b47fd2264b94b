"""Consistency checks across a data set: things that parse but do not add up.

Each finding is a :class:`~explorer.core.errors.Problem` naming the site and field, for
``explorer validate`` to list as a warning: the data is usable (totals apply their
rules), but an analyst should look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import Point
from shapely.ops import nearest_points

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import is_partial_date, period_end
from explorer.core.errors import Problem
from explorer.core.schema import Site
from explorer.geo.admin import AdminAreas
from explorer.geo.regions import GEOD
from explorer.geo.totals import PowerFactors

#: Reported power is "far outside" the estimate when below this fraction of the low end
#: or above this multiple of the high end.
POWER_SLACK = 2.0
#: A site further than this outside its stated province is flagged (the bundled outlines
#: are approximate to tens of kilometres, see PROVENANCE.md).
PROVINCE_SLACK_KM = 100.0


def consistency_problems(
    sites: Sequence[Site],
    metadata: Mapping[str, Any],
    catalogue: ChipCatalogue,
    factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
    *,
    provinces: AdminAreas | None = None,
) -> list[Problem]:
    """Every consistency finding, site by site in data order, then data-set wide ones.

    Checks: chips against servers x GPUs per server; reported power far outside the
    estimate's range; ``part_of`` and ``supersedes`` naming no site, forming a cycle, or
    (``part_of``) naming a site that is itself a part; parts holding more than their
    campus, per model; ``updated_at`` later than the data set's ``as_of``; with
    ``provinces``, a site lying far outside the province it names (swapped lon/lat put a
    "Xinjiang" site in the Arctic).
    """
    by_id = {s.id: s for s in sites}
    out: list[Problem] = []
    as_of = _data_as_of(metadata)
    for s in sites:
        out.extend(_line_checks(s))
        out.extend(_power_check(s, catalogue, factors))
        out.extend(_reference_checks(s, by_id))
        if provinces is not None:
            out.extend(_province_check(s, provinces))
        if as_of is not None and is_partial_date(s.updated_at[:10]):
            if period_end(s.updated_at[:10]) > as_of:
                out.append(
                    Problem(
                        "updated_at",
                        s.updated_at,
                        f"{s.updated_at} is after the data set's as_of ({as_of.isoformat()})",
                        where=s.id,
                    )
                )
    out.extend(_campus_checks(sites, by_id))
    return out


def _data_as_of(metadata: Mapping[str, Any]) -> Any:
    raw = metadata.get("as_of")
    if isinstance(raw, str) and is_partial_date(raw[:10]):
        return period_end(raw[:10])
    return None


def _line_checks(s: Site) -> list[Problem]:
    out = []
    for i, h in enumerate(s.hardware):
        if h.servers is not None and h.gpus_per_server is not None:
            expected = h.servers * h.gpus_per_server
            if expected != h.chips:
                out.append(
                    Problem(
                        f"hardware[{i}].chips",
                        h.chips,
                        f"chips {h.chips:,} differ from servers x GPUs per server "
                        f"({h.servers:,} x {h.gpus_per_server} = {expected:,})",
                        where=s.id,
                    )
                )
    return out


def _power_check(s: Site, catalogue: ChipCatalogue, factors: PowerFactors) -> list[Problem]:
    if s.power_mw is None:
        return []
    low_w = high_w = 0.0
    for h in s.hardware:
        if not h.counts or h.chip_model not in catalogue:
            continue
        model = catalogue[h.chip_model]
        if not model.has_figures:
            return []  # an estimate without figures for every chip would mislead
        low_w += h.low * model.board_power_w
        high_w += h.high * model.board_power_w
    if high_w == 0:
        return []
    low = low_w * factors.server_overhead_low * factors.pue_low / 1e6  # type: ignore[operator]
    high = high_w * factors.server_overhead_high * factors.pue_high / 1e6  # type: ignore[operator]
    if s.power_mw < low / POWER_SLACK or s.power_mw > high * POWER_SLACK:
        return [
            Problem(
                "power_mw",
                s.power_mw,
                f"reported power {s.power_mw:g} MW is far outside the estimate for its chips "
                f"({low:,.2f}-{high:,.2f} MW facility power)",
                where=s.id,
            )
        ]
    return []


def _province_check(s: Site, provinces: AdminAreas) -> list[Problem]:
    if s.province not in provinces:
        return []
    area = provinces[s.province].region
    if area.contains_point(s.lon, s.lat):
        return []
    _, nearest = nearest_points(Point(s.lon, s.lat), area.geometry)
    _, _, metres = GEOD.inv(s.lon, s.lat, nearest.x, nearest.y)
    km = metres / 1000.0
    if km <= PROVINCE_SLACK_KM:
        return []
    return [
        Problem(
            "province",
            s.province,
            f"the site lies about {km:,.0f} km outside {s.province} "
            f"(at {s.lon:g}, {s.lat:g}: lon and lat swapped?)",
            where=s.id,
        )
    ]


def _reference_checks(s: Site, by_id: Mapping[str, Site]) -> list[Problem]:
    out = []
    for fld in ("part_of", "supersedes"):
        ref = getattr(s, fld)
        if not ref:
            continue
        if ref not in by_id:
            out.append(Problem(fld, ref, f"{fld} names '{ref}', which is not in the data", s.id))
            continue
        # Follow the chain: back to this site is a cycle.
        seen = {s.id}
        cur = ref
        while cur and cur in by_id and cur not in seen:
            seen.add(cur)
            cur = getattr(by_id[cur], fld)
        if cur == s.id:
            out.append(Problem(fld, ref, f"{fld} forms a cycle through '{ref}'", s.id))
        elif fld == "part_of" and by_id[ref].part_of:
            out.append(
                Problem(
                    fld,
                    ref,
                    f"'{ref}' is itself part of '{by_id[ref].part_of}': parts are one level "
                    "deep, so this site is counted on its own",
                    s.id,
                )
            )
    return out


def _campus_checks(sites: Sequence[Site], by_id: Mapping[str, Site]) -> list[Problem]:
    parts: dict[str, list[Site]] = {}
    for s in sites:
        if s.part_of and s.part_of in by_id and s.part_of != s.id:
            parts.setdefault(s.part_of, []).append(s)
    out = []
    for cid, members in parts.items():
        campus = by_id[cid]
        own = _chips_by_model(campus)
        inside: dict[str, int] = {}
        for p in members:
            for m, n in _chips_by_model(p).items():
                inside[m] = inside.get(m, 0) + n
        for m, n in inside.items():
            if n > own.get(m, 0):
                out.append(
                    Problem(
                        "part_of",
                        cid,
                        f"its parts hold {n:,} {m} chips, more than the campus records "
                        f"({own.get(m, 0):,}): the parts' figure counts",
                        where=cid,
                    )
                )
    return out


def _chips_by_model(s: Site) -> dict[str, int]:
    out: dict[str, int] = {}
    for h in s.hardware:
        if h.counts:
            out[h.chip_model] = out.get(h.chip_model, 0) + h.chips
    return out


__all__ = ["POWER_SLACK", "consistency_problems"]
