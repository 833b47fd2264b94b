"""What the map page is told about sites: compact columns, counted on a date.

Qt-free. The page draws from columns, so 100,000 sites cross the QWebChannel as one
message of a few arrays instead of 100,000 objects. Numbers travel as typed binary
columns (little-endian, base64: ``[dtype, text]``, dtype one of :data:`DTYPES`), which
the page turns into typed arrays without parsing a number at a time; text travels as
JSON arrays of strings.

What a marker shows is what the site *counts* on the map's date, after every rule of
:mod:`explorer.geo.capacity` (cancelled lines, online dates, the campus remainder,
supersession), read from the session's :class:`~explorer.geo.capacity.CapacityLedger`
(or the live totals' snapshot of it); which chips are restricted is decided by the
export rules in force on that date (:meth:`ChipCatalogue.restricted_on`; the rules of
today when there is no date, as :func:`explorer.geo.totals.totals` does).

Columns (``sites`` in a message; one entry per site unless said otherwise):

``id``, ``name`` (text)
``lon``, ``lat`` (f8)
``chips``
    Central chips counted on the date (the campus remainder for a campus).
``low``, ``high``
    The counted range; left out when it equals ``chips`` for every site.
``restricted``
    Central counted chips that need a US export licence on the date.
``planned``
    Central chips counted in the planned build-out (no date): what a site that has
    nothing online yet will hold.
``model`` (i2)
    Index (in ``models``) of the model with most counted chips; -1 for none.
``state`` (u1)
    Index in :data:`SITE_STATES`.
``flags`` (u1)
    Bits of :data:`SITE_FLAGS` (illustrative, campus, part).
``relations``
    Only the sites that have one: ``{"row": [...], "part_of": [...], "supersedes":
    [...]}`` (``part_of`` only where the site counts as a part of that campus).
``lines``
    Every hardware line, site after site: ``count`` (u2, per site), and per line
    ``model`` (i2), ``chips``, ``status`` (u1, index in
    :data:`~explorer.core.schema.LINE_STATUSES`), ``online`` (u2, index in
    ``online_texts``; 0 is ``""``, no date); ``ranged`` (i4, the lines that have a
    range) with their ``low`` and ``high``, only when some line has one;
    ``online_texts`` (text) and ``online_days`` (the day ordinal each counts from, null
    for none). The page greys a line that does not count on the date (cancelled, or not
    online by then).

Chip counts (``chips``, ``low``, ``high``, ``restricted``, ``planned`` and the lines')
travel in the narrowest of u1, u2 and i4 that holds them.

:func:`counted_columns` gives only the columns that depend on the date (for a change of
date: the page keeps names, places and lines).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import NEVER, period_end_ordinal
from explorer.core.schema import LINE_STATUSES, Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.totals import SiteArrays
from explorer.io.site_columns import SiteColumns, TextCodes
from explorer.web.site_codes import SITE_FLAGS, SITE_STATES

#: Binary column types: numpy's little-endian codes, as the page reads them.
DTYPES: Mapping[str, str] = {
    "f8": "<f8",
    "i4": "<i4",
    "i2": "<i2",
    "u2": "<u2",
    "u1": "u1",
}

_COUNTED, _PENDING, _NONE, _SUPERSEDED, _COVERED = range(len(SITE_STATES))
_STATUS_INDEX = {s: i for i, s in enumerate(LINE_STATUSES)}
_I4_MAX = np.iinfo(np.int32).max


def _field(items: Sequence[Any], name: str) -> list[Any]:
    # map(attrgetter) runs in C: a few ms per 100,000 items (zip(*rows) took 0.5 s).
    return list(map(attrgetter(name), items))


# ---------------------------------------------------------------------- binary columns
def encode(values: Any, dtype: str) -> list[str]:
    """``[dtype, base64 of the little-endian values]`` (see :data:`DTYPES`).

    Raises
    ------
    ValueError
        A value does not fit the type (e.g. chips above 2,147,483,647 for ``i4``).
    """
    a = np.asarray(values)
    out = a.astype(DTYPES[dtype])
    if a.size and not np.array_equal(out, a):
        raise ValueError(f"map column values do not fit {dtype}, got {a.max()!r}")
    return [dtype, base64.b64encode(out.tobytes()).decode("ascii")]


def decode(column: Sequence[str]) -> np.ndarray:
    """The values of an :func:`encode`\\ d column."""
    dtype, text = column
    return np.frombuffer(base64.b64decode(text), dtype=DTYPES[dtype])


def _counts(values: np.ndarray) -> list[str]:
    """Chip counts in the narrowest type that holds them (u1, u2 or i4: the store caps a
    site at 10,000,000 chips; a hand-built value beyond i4 is refused, never wrapped)."""
    a = np.asarray(values)
    low, high = (int(a.min()), int(a.max())) if a.size else (0, 0)
    if low >= 0 and high < 256:
        return encode(a, "u1")
    if low >= 0 and high < 65536:
        return encode(a, "u2")
    return encode(a, "i4")


# ---------------------------------------------------------------------- the date
def rules_day(as_of: date | None, today: date | None = None) -> date:
    """The date whose export rules decide what is restricted: ``as_of``, else today."""
    if as_of is not None:
        return as_of
    return today if today is not None else date.today()


def ledger_for(sites: Sequence[Site], catalogue: ChipCatalogue) -> CapacityLedger:
    """A ledger over ``sites`` with the catalogue's models as columns (and, after them,
    any model a site names that the catalogue lacks, so a hand-built catalogue never
    stops the map)."""
    models = list(catalogue.names)
    known = set(models)
    for s in sites:
        for line in s.hardware:
            if line.chip_model not in known:
                known.add(line.chip_model)
                models.append(line.chip_model)
    return CapacityLedger(sites, models)


def restricted_models(models: Sequence[str], catalogue: ChipCatalogue, day: date) -> np.ndarray:
    """Boolean per model: a licence was needed for China on ``day`` (False for a model
    the catalogue does not know)."""
    return np.array([m in catalogue and catalogue.restricted_on(m, day) for m in models], bool)


def models_payload(
    models: Sequence[str], catalogue: ChipCatalogue, day: date
) -> list[dict[str, Any]]:
    """``[{"name", "restricted"}]`` in column order, restricted as of ``day``: the page's
    model colours (by position) and the legend's "(licence required)" suffix."""
    flags = restricted_models(models, catalogue, day)
    return [{"name": m, "restricted": bool(f)} for m, f in zip(models, flags, strict=True)]


def date_payload(
    models: Sequence[str],
    catalogue: ChipCatalogue,
    as_of: date | None,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """The date part of a message: ``as_of`` (ISO or null), ``as_of_day`` (ordinal or
    null), ``rules_day`` (ISO) and ``models`` (restricted on that day)."""
    day = rules_day(as_of, today)
    return {
        "as_of": as_of.isoformat() if as_of is not None else None,
        "as_of_day": as_of.toordinal() if as_of is not None else None,
        "rules_day": day.isoformat(),
        "models": models_payload(models, catalogue, day),
    }


# ---------------------------------------------------------------------- counting
def _matching(arrays: SiteArrays | None, ids: Sequence[str], as_of: date | None) -> bool:
    """True when ``arrays`` is a snapshot of exactly these sites, in this order, on
    ``as_of`` (so its counts and places can be used as they are)."""
    return (
        arrays is not None
        and arrays.as_of == as_of
        and len(arrays) == len(ids)
        and np.array_equal(arrays.ids, np.asarray(ids, dtype=object))
    )


class _Counts:
    """Counted chips of some sites: (n, m) low, central and high matrices and whether
    each site is superseded, from the live totals' snapshot or from the ledger."""

    def __init__(
        self,
        ids: Sequence[str],
        ledger: CapacityLedger,
        as_of: date | None,
        arrays: SiteArrays | None,
    ) -> None:
        day = as_of.toordinal() if as_of is not None else None
        self.low: np.ndarray
        self.mid: np.ndarray
        self.high: np.ndarray
        if _matching(arrays, ids, as_of):
            assert arrays is not None
            # The live totals already hold every site's counts in store order.
            assert arrays.chips_low is not None and arrays.chips_high is not None
            assert arrays.counted is not None
            self.low, self.mid, self.high = arrays.chips_low, arrays.chips, arrays.chips_high
            self.superseded = ~arrays.counted
        else:
            rows = _rows(ids, ledger, day)
            self.low, self.mid, self.high = rows[0], rows[1], rows[2]
            self.superseded = np.array([ledger.is_superseded(i) for i in ids], dtype=bool)
        if day is None:
            self.planned_mid, self.planned_high = self.mid.sum(axis=1), self.high.sum(axis=1)
        else:
            planned = _rows(ids, ledger, None)
            self.planned_mid, self.planned_high = planned[1].sum(axis=1), planned[2].sum(axis=1)


def _rows(ids: Sequence[str], ledger: CapacityLedger, day: int | None) -> np.ndarray:
    """(3, n, m) counted rows of ``ids`` at ``day``: in one vectorised pass for many
    sites, site by site for a few (an edit)."""
    m = len(ledger.models)
    if not ids:
        return np.zeros((3, 0, m), dtype=np.int64)
    if len(ids) > 64:
        return ledger.at(day, order=list(ids))
    return np.stack([ledger.site_rows(sid, day) for sid in ids], axis=1)


def _relations(
    ids: Sequence[str], ledger: CapacityLedger, index: Mapping[str, int] | None = None
) -> tuple[np.ndarray, dict[int, str]]:
    """(campus/part flags, row -> campus id for counted parts) for the sites ``ids``
    (``index``: each of them to its row, if the caller has it).

    Asked of the ledger, which holds every site that names a campus: only the few that
    take part in one are looked at, never every site.
    """
    flags = np.zeros(len(ids), dtype=np.int64)
    part_of: dict[int, str] = {}
    links = ledger.campus_links()
    if not links:
        return flags, part_of
    campus_bit, part_bit = SITE_FLAGS["CAMPUS"], SITE_FLAGS["PART"]
    campuses = set(links.values())
    wanted = set(links) | campuses
    if index is None:
        rows: Iterable[tuple[int, str]] = enumerate(ids)
    else:  # the few taking part, by their rows (not a pass over 100,000 ids: 10 ms)
        rows = sorted((index[sid], sid) for sid in wanted if sid in index)
    for i, sid in rows:
        if sid not in wanted or ledger.is_superseded(sid):
            continue
        if sid in links:
            flags[i] |= part_bit
            part_of[i] = links[sid]
        else:
            flags[i] |= campus_bit
    return flags, part_of


def _counted(
    counts: _Counts, campus: np.ndarray, restricted: np.ndarray, dated: bool
) -> dict[str, Any]:
    """The date-dependent columns."""
    low, mid, high = counts.low.sum(axis=1), counts.mid.sum(axis=1), counts.high.sum(axis=1)
    if restricted.any():
        restricted_chips = counts.mid[:, restricted].sum(axis=1)
    else:
        restricted_chips = np.zeros_like(mid)
    n_models = counts.mid.shape[1]
    has_mid = counts.mid.max(axis=1, initial=0) > 0
    model = np.where(has_mid, counts.mid.argmax(axis=1) if n_models else 0, -1)
    state = np.full(len(mid), _NONE, dtype=np.int64)
    state[campus] = _COVERED
    if dated:
        state[counts.planned_high > 0] = _PENDING
    state[high > 0] = _COUNTED
    state[counts.superseded] = _SUPERSEDED
    out: dict[str, Any] = {
        "chips": _counts(mid),
        "restricted": _counts(restricted_chips),
        "model": encode(model, "i2"),
        "state": encode(state, "u1"),
    }
    # The range only when some site has one: most data has none, and it is two columns.
    if not np.array_equal(low, mid):
        out["low"] = _counts(low)
    if not np.array_equal(high, mid):
        out["high"] = _counts(high)
    return out


def counted_columns(
    sites: Sequence[Site] | Sequence[str],
    ledger: CapacityLedger,
    catalogue: ChipCatalogue,
    as_of: date | None,
    *,
    today: date | None = None,
    arrays: SiteArrays | None = None,
) -> dict[str, Any]:
    """The columns that depend on the date (``id`` and ``n`` included, so the page can
    match rows).

    Parameters
    ----------
    sites : sequence of Site, or of str
        Sites the ledger holds (in the order the columns should have), or their ids.
    ledger : CapacityLedger
        What each site contributes (the session's ``live_totals.ledger``).
    catalogue : ChipCatalogue
        Decides which models are restricted on the date.
    as_of : date or None
        Count lines online by then (None: the planned build-out).
    today : date, optional
        The rules day when ``as_of`` is None (default: the real today).
    arrays : SiteArrays, optional
        The live totals' snapshot of exactly ``sites`` (same order) on ``as_of``: its
        counts are used instead of asking the ledger again.

    Returns
    -------
    dict
        ``n, id, chips, restricted, model, state`` (and ``low``/``high`` when a range
        differs).
    """
    ids = [s if isinstance(s, str) else s.id for s in sites]
    counts = _Counts(ids, ledger, as_of, arrays)
    flags, _ = _relations(ids, ledger)
    campus = (flags & SITE_FLAGS["CAMPUS"]) > 0
    restricted = restricted_models(ledger.models, catalogue, rules_day(as_of, today))
    out: dict[str, Any] = {"n": len(ids), "id": ids}
    out.update(_counted(counts, campus, restricted, as_of is not None))
    return out


@functools.lru_cache(maxsize=4096)
def _online_day(text: str) -> int | None:
    """The ordinal an online date counts from (None: no date). Data repeats the same few
    dates over and over, so each is worked out once."""
    day = period_end_ordinal(text)
    return day if day != NEVER else None


def _or_chips(values: Sequence[int | None], chips: np.ndarray) -> np.ndarray:
    """A range end per line: the value, or the line's chips where there is none."""
    as_float = np.array(values, dtype=np.float64)  # None -> NaN, in C
    return np.where(np.isnan(as_float), chips, as_float).astype(np.int64)


@dataclass(frozen=True)
class _Fields:
    """What the page is told of some sites beyond their counts: per site ``ids``,
    ``names``, ``supersedes``, ``confidence`` (lists), ``lon``, ``lat``; per line, site
    after site, ``count`` (lines per site) and the line fields (``low``/``high`` the
    range ends, the chips where a line has none)."""

    ids: list[str]
    names: list[str]
    supersedes: list[str]
    confidence: TextCodes
    lon: Any
    lat: Any
    count: Any
    models: TextCodes
    chips: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    onlines: TextCodes
    statuses: TextCodes

    @classmethod
    def of_sites(cls, sites: Sequence[Site]) -> _Fields:
        lines = [h for s in sites for h in s.hardware]
        models, chips, lows, highs, onlines, statuses = (
            _field(lines, f)
            for f in ("chip_model", "chips", "chips_low", "chips_high", "online", "status")
        )
        chips_a = np.asarray(chips, dtype=np.int64)
        ids, names, supersedes, confidence, lon, lat = (
            _field(sites, f) for f in ("id", "name", "supersedes", "confidence", "lon", "lat")
        )
        return cls(
            ids,
            names,
            supersedes,
            TextCodes.of(confidence),
            lon,
            lat,
            count=[len(s.hardware) for s in sites],
            models=TextCodes.of(models),
            chips=chips_a,
            lows=_or_chips(lows, chips_a),
            highs=_or_chips(highs, chips_a),
            onlines=TextCodes.of(onlines),
            statuses=TextCodes.of(statuses),
        )

    @classmethod
    def of_table(cls, table: SiteColumns) -> _Fields:
        ln = table.lines
        chips = np.asarray(ln["chips"], dtype=np.int64)
        return cls(
            table.row_ids(),
            table.text["name"].tolist(),
            table.text["supersedes"].tolist(),
            table.text.codes("confidence"),
            table.lon,
            table.lat,
            count=np.diff(table.line_offsets),
            models=ln.codes("chip_model"),
            chips=chips,
            lows=np.where(ln["chips_low"] < 0, chips, ln["chips_low"]),
            highs=np.where(ln["chips_high"] < 0, chips, ln["chips_high"]),
            onlines=ln.codes("online"),
            statuses=ln.codes("status"),
        )


def _line_columns(fields: _Fields, model_index: Mapping[str, int]) -> dict[str, Any]:
    onlines, statuses = fields.onlines, fields.statuses
    texts = {"": 0}
    for t in onlines.values:
        texts.setdefault(t, len(texts))
    status_index = dict(_STATUS_INDEX)
    for s in statuses.values:
        status_index.setdefault(s, _STATUS_INDEX["unknown"])
    chips_a, low_a, high_a = fields.chips, fields.lows, fields.highs
    out: dict[str, Any] = {
        "count": encode(fields.count, "u2"),
        "model": encode(fields.models.lookup(model_index), "i2"),
        "chips": _counts(chips_a),
        "status": encode(statuses.lookup(status_index), "u1"),
        "online": encode(onlines.lookup(texts), "u2"),
        "online_texts": list(texts),
        "online_days": [_online_day(t) for t in texts],
    }
    # Ranges only for the lines that have one (most lines have none).
    ranged = np.flatnonzero((low_a != chips_a) | (high_a != chips_a))
    if ranged.size:
        out["ranged"] = encode(ranged, "i4")
        out["low"] = _counts(low_a[ranged])
        out["high"] = _counts(high_a[ranged])
    return out


def site_columns(
    sites: Sequence[Site] | SiteColumns,
    ledger: CapacityLedger,
    catalogue: ChipCatalogue,
    as_of: date | None,
    *,
    today: date | None = None,
    arrays: SiteArrays | None = None,
) -> dict[str, Any]:
    """Every column of ``sites`` (see the module docstring), counted on ``as_of``.

    ``sites`` may be a table of them (:class:`~explorer.io.site_columns.SiteColumns`,
    e.g. a store's rows as loaded): read as columns, no site is built. The other
    parameters are those of :func:`counted_columns`.
    """
    fields = _Fields.of_table(sites) if isinstance(sites, SiteColumns) else _Fields.of_sites(sites)
    ids, supersedes = fields.ids, fields.supersedes
    n = len(ids)
    lon: Any
    lat: Any
    if _matching(arrays, ids, as_of):
        assert arrays is not None
        lon, lat = arrays.lon, arrays.lat  # the live totals' snapshot has them as arrays
    else:
        lon, lat = fields.lon, fields.lat
    counts = _Counts(ids, ledger, as_of, arrays)
    index = sites.row_index() if isinstance(sites, SiteColumns) else None
    flags, part_of = _relations(ids, ledger, index)
    illustrative = fields.confidence.equals("illustrative")
    flags[illustrative] |= SITE_FLAGS["ILLUSTRATIVE"]
    campus = (flags & SITE_FLAGS["CAMPUS"]) > 0
    restricted = restricted_models(ledger.models, catalogue, rules_day(as_of, today))
    related = sorted(set(part_of) | {i for i, t in enumerate(supersedes) if t})
    out: dict[str, Any] = {
        "n": n,
        "id": ids,
        "name": fields.names,
        "lon": encode(np.asarray(lon, dtype=np.float64), "f8"),
        "lat": encode(np.asarray(lat, dtype=np.float64), "f8"),
    }
    out.update(_counted(counts, campus, restricted, as_of is not None))
    out["planned"] = _counts(counts.planned_mid)
    out["flags"] = encode(flags, "u1")
    out["relations"] = {
        "row": related,
        "part_of": [part_of.get(i, "") for i in related],
        "supersedes": [supersedes[i] for i in related],
    }
    out["lines"] = _line_columns(fields, {m: j for j, m in enumerate(ledger.models)})
    return out


def reset_payload(
    sites: Sequence[Site] | SiteColumns,
    catalogue: ChipCatalogue,
    *,
    ledger: CapacityLedger | None = None,
    as_of: date | None = None,
    today: date | None = None,
    arrays: SiteArrays | None = None,
) -> dict[str, Any]:
    """The ``sitesReset`` message's data: :func:`date_payload` plus ``sites`` (columns).

    Parameters
    ----------
    sites : sequence of Site, or SiteColumns
        Every site, in the order the page gets them (a table of them is read as
        columns).
    catalogue : ChipCatalogue
    ledger : CapacityLedger, optional
        The ledger over exactly these sites (a session's); built here when not given.
    as_of, today, arrays
        See :func:`counted_columns`.
    """
    if not isinstance(sites, SiteColumns):
        sites = list(sites)
    if ledger is not None:
        led = ledger
    elif isinstance(sites, SiteColumns):
        led = sites.ledger(catalogue.names)
    else:
        led = ledger_for(sites, catalogue)
    data = date_payload(led.models, catalogue, as_of, today=today)
    data["sites"] = site_columns(sites, led, catalogue, as_of, today=today, arrays=arrays)
    return data


# ---------------------------------------------------------------------- reading back
def column_values(columns: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Per-site columns as plain lists (binary ones decoded; ``low``/``high`` filled in
    from ``chips``; ``part_of``/``supersedes`` spread from ``relations``): for Python
    readers such as the legend and tests."""
    n = int(columns["n"])
    out: dict[str, list[Any]] = {}
    for key, value in columns.items():
        if key in ("n", "relations", "lines"):
            continue
        if isinstance(value, list) and len(value) == 2 and value[0] in DTYPES:
            out[key] = decode(value).tolist()
        else:
            out[key] = list(value)
    out.setdefault("low", list(out["chips"]))
    out.setdefault("high", list(out["chips"]))
    rel = columns.get("relations")
    if rel is not None:
        part_of, supersedes = [""] * n, [""] * n
        for row, p, s in zip(rel["row"], rel["part_of"], rel["supersedes"], strict=True):
            part_of[row], supersedes[row] = p, s
        out["part_of"], out["supersedes"] = part_of, supersedes
    return out


# ---------------------------------------------------------------------- relations
class RelationIndex:
    """Which sites name which as their campus (kept current by the map controller).

    The ledger keeps the same relation privately; the map needs it to know which other
    markers an edit changes (see :func:`relation_neighbours`).
    """

    def __init__(self, sites: Iterable[Site] = ()) -> None:
        self._parts: dict[str, set[str]] = {}
        self._part_of: dict[str, str] = {}
        self.reset(sites)

    def reset(self, sites: Iterable[Site]) -> None:
        """Forget everything; index ``sites``."""
        self._parts = {}
        self._part_of = {}
        for s in sites:
            self.add(s)

    def add(self, site: Site) -> None:
        """Index ``site``'s ``part_of``."""
        if site.part_of:
            self._parts.setdefault(site.part_of, set()).add(site.id)
            self._part_of[site.id] = site.part_of

    def discard(self, site: Site) -> None:
        """Forget ``site``'s ``part_of``."""
        if site.part_of:
            self._parts.get(site.part_of, set()).discard(site.id)
            self._part_of.pop(site.id, None)

    def parts(self, sid: str) -> set[str]:
        """Ids of the sites that name ``sid`` as their campus."""
        return set(self._parts.get(sid, ()))

    def campus_named_by(self, sid: str) -> str:
        """The campus ``sid`` names (``""`` for none)."""
        return self._part_of.get(sid, "")


def relation_neighbours(site: Site, index: RelationIndex) -> set[str]:
    """Ids whose map state may change when ``site`` is added, removed or edited.

    The site itself; its campus (remainder and campus flag); the sites naming it as
    their campus (their part flag: a site stops being a campus when it becomes a part
    or is superseded); the record it supersedes, that record's campus and parts.
    """
    out = {site.id}
    out |= index.parts(site.id)
    if site.part_of:
        out.add(site.part_of)
    target = site.supersedes
    if target:
        out.add(target)
        out |= index.parts(target)
        campus = index.campus_named_by(target)
        if campus:
            out.add(campus)
    return out


__all__ = [
    "DTYPES",
    "SITE_FLAGS",
    "SITE_STATES",
    "RelationIndex",
    "column_values",
    "counted_columns",
    "date_payload",
    "decode",
    "encode",
    "ledger_for",
    "models_payload",
    "relation_neighbours",
    "reset_payload",
    "restricted_models",
    "rules_day",
    "site_columns",
]
