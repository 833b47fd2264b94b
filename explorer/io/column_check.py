"""Check a file's records column by column, and only the doubtful ones record by record.

Every reader hands its records over as :class:`~explorer.io.raw_sites.RawSites`: raw
columns (Arrow arrays or Python lists) plus, for hardware lines and sources, child rows
keyed by record. The checks here run over whole columns (Arrow compute, numpy) and are
*sufficient* conditions: a record that passes all of them is one
:func:`explorer.core.schema.parse_site` would accept, and its values are read the same
way. Every other record (a number where text belongs, a value out of range, a duplicate
id, a problem the reader already found) goes through the per-record path exactly as
before (:class:`~explorer.io.records.SiteCollector`'s steps), so the problems and their
wording do not change; only the valid bulk of a file skips the per-record work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import is_partial_date
from explorer.core.errors import Problem, ValidationError
from explorer.core.schema import (
    CONFIDENCES,
    LINE_STATUSES,
    MAX_CHIPS_PER_LINE,
    MAX_CHIPS_PER_SITE,
    STATUSES,
    Site,
    parse_site,
)
from explorer.geo.id_column import given, ids_at
from explorer.io import arrow_buffers as ab
from explorer.io import arrow_values as av
from explorer.io.distinct_text import surely_distinct
from explorer.io.on_thread import OnThread
from explorer.io.progress import Progress, report
from explorer.io.raw_sites import (
    FLAT_LINE_KEYS,
    LINE_KEYS,
    SITE_KEYS,
    SOURCE_KEYS,
    ChildRows,
    RawSites,
    single_hardware_line,
    value_at,
)
from explorer.io.records import record_label
from explorer.io.site_columns import (
    LINE_INTS,
    LINE_TEXT,
    SITE_TEXT,
    SOURCE_TEXT,
    ArrowIds,
    Columns,
    SiteColumns,
    concat_rows,
)

# RE2 spellings of the schema's patterns, narrowed to ASCII (so a match here is a match
# for Python's ``re`` too; anything else goes the per-record way).
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
#: The same rule as character sets, for :func:`~explorer.io.arrow_values.token_like`.
_ID_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ID_REST = _ID_FIRST + "._:-"
_ID_MAX = 64
_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
_URL = r"^https?://"
#: Characters no text field may hold (as ``explorer.core.schema`` refuses them).
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

#: Text fields of a site: (limit, stripped) as ``parse_site`` reads them.
_TEXT_RULES: dict[str, tuple[int, bool]] = {
    "name": (300, True),
    "operator": (300, True),
    "tenant": (300, True),
    "province": (100, True),
    "prefecture": (100, True),
    "notes": (10_000, False),
    "updated_at": (40, True),
    "part_of": (64, True),
    "supersedes": (64, True),
}


# --------------------------------------------------------------------------- the check


class _Checker:
    """The column-wise checks of one file (one instance per call)."""

    def __init__(self, raw: RawSites, catalogue: ChipCatalogue) -> None:
        self.raw = raw
        self.catalogue = catalogue
        self.n = raw.n
        self.odd = np.zeros(self.n, dtype=bool) if raw.odd is None else raw.odd.copy()
        for i in raw.pre:
            self.odd[i] = True
        for i in raw.rejected:
            self.odd[i] = True

    def col(self, key: str) -> av.Column:
        c = self.raw.columns.get(key)
        return pa.nulls(self.n, pa.null()) if c is None else c

    # ------------------------------------------------------------------ fields
    def text(self, key: str) -> pa.Array:
        limit, strip = _TEXT_RULES[key]
        arr, odd = av.as_text(self.col(key), self.n)
        if arr.null_count == self.n:  # a column the file does not have
            self.odd |= odd | (av.is_blank(arr) if key == "name" else False)
            return arr
        self.odd |= odd | av.longer_than(arr, limit) | av.has_control(arr, _CONTROL)
        if strip:
            arr = av.stripped(arr)
        if key == "name":
            self.odd |= av.is_blank(arr)
        return arr

    def choice(self, key: str, allowed: Sequence[str], default: str) -> pa.Array:
        arr, odd = av.as_text(self.col(key), self.n)
        blank = av.is_blank(arr)
        self.odd |= odd | ~(blank | av.is_in(arr, allowed))
        return av.with_default(arr, blank, default)

    def number(
        self, key: str | None, values: av.Column | None, lo: float, hi: float, *, required: bool
    ) -> np.ndarray:
        vals, present, odd = av.as_number(
            values if values is not None else self.col(key or ""), self.n
        )
        with np.errstate(invalid="ignore"):
            bad = present & ~((vals >= lo) & (vals <= hi))
        self.odd |= odd | bad | (~present if required else False)
        return np.where(present, vals, np.nan)

    def ids(self) -> tuple[np.ndarray | ArrowIds, pa.Array]:
        """(stripped ids as text for every record, the same as an Arrow array).

        The first is the reader's own strings when it made them, else the Arrow array
        itself (:class:`ArrowIds`), made into strings only if something reads them all.
        """
        arr, odd = av.as_text(self.col("id"), self.n)
        arr = av.decoded(arr)  # ids are (nearly) all distinct: no use as a dictionary
        self.odd |= odd | ~av.token_like(arr, _ID_FIRST, _ID_REST, _ID_MAX)
        stripped = av.stripped(arr)
        original = self.col("id")
        if isinstance(original, list) and stripped is arr and not arr.null_count and not odd.any():
            # Every id is a str with nothing to trim: the reader's own strings, not a
            # million new ones converted back from Arrow.
            ids = np.empty(self.n, dtype=object)
            ids[:] = original
        elif not odd.any():
            filled = stripped.fill_null(ab.text_scalar("")) if stripped.null_count else stripped
            return ArrowIds(filled), filled
        else:
            ids = av.to_objects(stripped)
        if odd.any():  # the per-record path reads str(value).strip(); so do duplicates
            c = self.col("id")
            for i in np.flatnonzero(odd):
                v = value_at(c, int(i))
                ids[i] = "" if v is None else str(v).strip()
            stripped = pa.array(ids, type=pa.string())
        if stripped.null_count:
            stripped = stripped.fill_null(ab.text_scalar(""))
        return ids, stripped

    # ------------------------------------------------------------------ children
    def child_text(
        self, cols: dict[str, av.Column], key: str, m: int, limit: int, strip: bool
    ) -> tuple[pa.Array, np.ndarray]:
        c = cols.get(key)
        arr, odd = av.as_text(pa.nulls(m, pa.null()) if c is None else c, m)
        odd = odd | av.longer_than(arr, limit) | av.has_control(arr, _CONTROL)
        return (av.stripped(arr) if strip else arr), odd

    def lines(self, rows: ChildRows) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Normalised line columns and the mask of odd lines."""
        m = len(rows)
        cols = rows.columns
        model, odd = self.child_text(cols, "chip_model", m, 64, True)
        odd |= ~av.is_in(model, self.catalogue.names)
        phase, o = self.child_text(cols, "phase", m, 64, False)
        odd |= o
        status, o = av.as_text(cols.get("status", pa.nulls(m, pa.null())), m)
        blank = av.is_blank(status)
        odd |= o | ~(blank | av.is_in(status, LINE_STATUSES))
        status_a = av.with_default(status, blank, "unknown")
        online, o = self.child_text(cols, "online", m, 32, True)
        odd |= o
        dated = ~av.is_blank(online)
        odd |= dated & ~av.matches(online, _DATE)
        if dated.any():
            # A calendar check per distinct date (a file has few), not per line.
            days = av.distinct(online)
            valid = [d for d in days if d and is_partial_date(d)]
            odd |= dated & ~av.is_in(online, valid)
        ints: dict[str, np.ndarray] = {}
        for key in LINE_INTS:
            c = cols.get(key)
            if c is None:  # a column the file does not have: no line gives one
                if key == "chips":
                    odd[:] = True
                # One -1 seen m times (read-only): not 8 bytes per line of fresh memory.
                ints[key] = np.broadcast_to(np.int64(-1), (m,))
                continue
            vals, present, o = av.as_number(c, m)
            bad = o | av.whole(vals, present)
            odd |= bad
            if key in ("chips", "chips_low", "chips_high"):
                with np.errstate(invalid="ignore"):
                    odd |= present & (vals > MAX_CHIPS_PER_LINE)
            if key == "chips":
                odd |= ~present
            if present.all() and not bad.any():  # whole numbers everywhere: cast as they are
                ints[key] = vals.astype(np.int64)
            else:
                ints[key] = np.where(present, np.nan_to_num(vals), -1).astype(np.int64)
        chips = ints["chips"]
        odd |= (ints["chips_low"] >= 0) & (ints["chips_low"] > chips)
        odd |= (ints["chips_high"] >= 0) & (ints["chips_high"] < chips)
        out: dict[str, Any] = {
            "chip_model": model,
            "phase": phase,
            "status": status_a,
            "online": online,
            **ints,
        }
        return out, odd

    def sources(self, rows: ChildRows) -> tuple[dict[str, np.ndarray], np.ndarray]:
        m = len(rows)
        cols = rows.columns
        title, odd = self.child_text(cols, "title", m, 500, True)
        odd |= av.is_blank(title)
        url, o = self.child_text(cols, "url", m, 2000, True)
        odd |= o | ~(av.is_blank(url) | av.matches(url, _URL))
        day, o = self.child_text(cols, "date", m, 32, True)
        odd |= o | ~(av.is_blank(day) | av.matches(day, _DATE))
        quote, o = self.child_text(cols, "quote", m, 10_000, False)
        odd |= o
        out: dict[str, Any] = {"title": title, "url": url, "date": day, "quote": quote}
        return out, odd


def as_array(ids: np.ndarray | ArrowIds) -> np.ndarray:
    """Ids as the numpy object array, made from Arrow ids if they are still those."""
    return ids if isinstance(ids, np.ndarray) else ids.objects()


def _flat_rows(raw: RawSites, odd: np.ndarray) -> ChildRows:
    """The flat schema's lines as child rows: one per flat record with a model or chips.

    A model or count held as Python values (GeoJSON, CSV) is converted to Arrow here once,
    not again by the line checks; a flat record with a value the conversion cannot vouch
    for is marked in ``odd`` (the per-record path reads the original value).
    """
    n = raw.n
    model_col = raw.columns.get("chip_model", pa.nulls(n, pa.null()))
    chips_col = raw.columns.get("chips", pa.nulls(n, pa.null()))
    model, model_odd = av.as_text(model_col, n)
    chips, chips_present, chips_odd = av.as_number(chips_col, n)
    has_model = model_odd | ~av.is_blank(av.stripped(model))
    # A record whose model or count is not plain (a number as the model, "n/a" chips) is
    # odd: the per-record path words the problem; here it still gets its line so the
    # record is not taken for one without hardware.
    has_line = raw.flat & (has_model | chips_present | chips_odd)
    sites = np.flatnonzero(has_line).astype(np.int64)
    source = dict(raw.columns)
    if "chip_model" in source and not isinstance(model_col, pa.Array | pa.ChunkedArray):
        source["chip_model"] = model
        odd |= raw.flat & model_odd
    if "chips" in source and not isinstance(chips_col, pa.Array | pa.ChunkedArray):
        source["chips"] = ab.from_floats(chips, chips_present)
        odd |= raw.flat & chips_odd
    cols: dict[str, av.Column] = {}
    for key in FLAT_LINE_KEYS:
        if key in source:
            c = source[key]
            target = "status" if key == "line_status" else key
            if sites.size == n:  # every record has its line: the column as it is
                cols[target] = c
            elif isinstance(c, pa.Array | pa.ChunkedArray):
                cols[target] = av.combine(c).take(ab.from_ints(sites))
            else:
                cols[target] = [c[i] for i in sites.tolist()]
    return ChildRows(sites, cols)


def check_sites(
    raw: RawSites, catalogue: ChipCatalogue, progress: Progress | None = None
) -> tuple[SiteColumns, list[Problem]]:
    """Check every record; the valid ones as columns, and every problem in file order.

    Parameters
    ----------
    raw : RawSites
    catalogue : ChipCatalogue
    progress : Progress, optional
        Told the share of the check done; may raise
        :class:`~explorer.io.progress.LoadCancelled`.

    Returns
    -------
    (SiteColumns, list of Problem)
        A record with any problem is left out, and so is one whose id repeats an
        earlier record's.
    """
    n = raw.n
    ck = _Checker(raw, catalogue)
    report(progress, 0.0, f"checking {n:,} sites")
    ids, id_arr = ck.ids()
    # Whether any id repeats, proved on another core while the rest is checked (NumPy
    # lets go of the interpreter for the folding and the sort).
    distinct = OnThread("ids distinct", surely_distinct, id_arr)
    text = {k: ck.text(k) for k in _TEXT_RULES}
    text["status"] = ck.choice("status", STATUSES, "unknown")
    text["confidence"] = ck.choice("confidence", CONFIDENCES, "low")
    for key in ("part_of", "supersedes"):
        ref = text[key]
        named = ~av.is_blank(ref)
        if named.any():
            # A record naming itself, compared on the named rows alone (the ids of the
            # rest stay unread).
            rows = np.flatnonzero(named)
            own = np.zeros(n, dtype=bool)
            own[rows] = av.to_objects(ref.take(ab.from_ints(rows))) == np.asarray(
                ids_at(ids, rows), dtype=object
            )
            ck.odd |= named & (~av.matches(ref, _ID) | own)
    lon = ck.number(None, raw.lon, -180, 180, required=True)
    lat = ck.number(None, raw.lat, -90, 90, required=True)
    power = ck.number("power_mw", None, 0, 100_000, required=False)
    report(progress, 0.3, f"checking {n:,} sites")

    # Hardware lines: the flat records' own columns, then the nested lines.
    parts: list[ChildRows] = []
    if raw.flat.any():
        parts.append(_flat_rows(raw, ck.odd))
    if raw.lines is not None and len(raw.lines):
        nested = raw.lines
        keep = ~raw.flat[nested.site]
        if not keep.all():
            idx = np.flatnonzero(keep)
            nested = ChildRows(
                nested.site[idx],
                {
                    k: (
                        av.combine(c).take(ab.from_ints(idx))
                        if isinstance(c, pa.Array | pa.ChunkedArray)
                        else [c[int(j)] for j in idx]
                    )
                    for k, c in nested.columns.items()
                },
            )
        parts.append(nested)
    line_cols, line_site = _checked_children(parts, ck.lines, ck, LINE_TEXT + LINE_INTS, LINE_KEYS)
    # A site's most: with no site holding two lines, a line within the per-line limit is
    # within the per-site one (the same number), and a line over it is odd already.
    one_each = bool(np.all(line_site[1:] > line_site[:-1]))
    if not one_each or MAX_CHIPS_PER_LINE > MAX_CHIPS_PER_SITE:
        high = np.where(line_cols["chips_high"] >= 0, line_cols["chips_high"], line_cols["chips"])
        most = np.bincount(line_site, weights=high.astype(float), minlength=n)
        ck.odd |= most > MAX_CHIPS_PER_SITE
    # A nested record's flat ``chips`` is a total that must equal its lines.
    nested_rec = ~raw.flat
    if nested_rec.any():
        line_sum = np.bincount(line_site, weights=line_cols["chips"].astype(float), minlength=n)
        total, present, odd = av.as_number(ck.col("chips"), n)
        ck.odd |= nested_rec & (odd | av.whole(total, present))
        with np.errstate(invalid="ignore"):
            ck.odd |= nested_rec & present & (total != line_sum)
    src_parts = [raw.sources] if raw.sources is not None and len(raw.sources) else []
    src_cols, src_site = _checked_children(src_parts, ck.sources, ck, SOURCE_TEXT, SOURCE_KEYS)
    report(progress, 0.6, f"checking {n:,} sites")

    # Duplicates: every later record with a non-empty id seen before.
    dup = np.zeros(n, dtype=bool)
    first = np.arange(n)
    # Proved distinct from folded bytes when they are (the usual case); otherwise the
    # exact way, through a hash table of the ids.
    if not distinct.result():
        enc = id_arr.dictionary_encode()
        if len(enc.dictionary) < n:  # some id repeats (the codes are 0 .. k-1, in first use)
            codes = ab.ints(enc.indices)
            _, first_of = np.unique(codes, return_index=True)
            first = first_of[codes]
            dup = (first != np.arange(n)) & ~av.is_blank(id_arr)
    del id_arr

    slow = ck.odd | dup
    fast_rows = np.flatnonzero(~slow)
    slow_rows = np.flatnonzero(slow)

    problems: list[Problem] = []
    slow_sites: list[Site] = []
    slow_pos: list[int] = []
    kept = np.zeros(n, dtype=bool)
    kept[fast_rows] = True
    step = max(1, len(slow_rows) // 20)
    # The per-record path reads ids by position; the fast rows' table then takes the
    # same strings (not a second conversion).
    id_objects = as_array(ids) if slow_rows.size else np.empty(0, dtype=object)
    if slow_rows.size:
        ids = id_objects
    for k, i in enumerate(slow_rows.tolist()):
        if k % step == 0:
            report(progress, 0.6 + 0.35 * k / max(1, len(slow_rows)), "checking records")
        site, found = _one_record(raw, i, catalogue, dup[i], first[i], id_objects)
        problems.extend(found)
        if site is not None:
            kept[i] = True
            slow_sites.append(site)
            slow_pos.append(i)

    fast_table = _fast_table(
        fast_rows, ids, lon, lat, text, power, line_cols, line_site, src_cols, src_site
    )
    if not slow_rows.size:  # every record passed in bulk: already in file order
        report(progress, 1.0, f"checked {n:,} sites")
        return fast_table, problems
    # Final positions: file order among the records kept.
    rank = np.cumsum(kept) - 1
    tables = [(fast_table, rank[fast_rows])]
    if slow_sites:
        tables.append((SiteColumns.from_sites(slow_sites), rank[np.array(slow_pos)]))
    report(progress, 1.0, f"checked {n:,} sites")
    return concat_rows(tables, int(kept.sum())), problems


def _checked_children(
    parts: list[ChildRows],
    check: Callable[[ChildRows], tuple[dict[str, np.ndarray], np.ndarray]],
    ck: _Checker,
    out_keys: Sequence[str],
    keys: Sequence[str],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Checked child columns of every part, ordered by record (stable), and their
    record numbers; a record with an odd child is marked odd."""
    cols: list[dict[str, Any]] = []
    sites: list[np.ndarray] = []
    for rows in parts:
        out, odd = check(rows)
        ck.odd[rows.site[odd]] = True
        cols.append(out)
        sites.append(rows.site)
    if not cols:
        empty: dict[str, np.ndarray] = {
            k: np.zeros(0, dtype=np.int64 if k in LINE_INTS else object) for k in out_keys
        }
        return empty, np.zeros(0, dtype=np.int64)
    site = np.concatenate(sites) if len(sites) > 1 else sites[0]
    # Usually already in record order (one part, rows in their records' order): then
    # nothing is sorted or moved.
    in_order = bool(np.all(site[1:] >= site[:-1]))
    order = np.arange(site.size) if in_order else np.argsort(site, kind="stable")
    merged: dict[str, Any] = {}
    for k in out_keys:
        values = [c[k] for c in cols]
        if len(values) == 1 and in_order:
            merged[k] = values[0]
        elif isinstance(values[0], np.ndarray):
            joined = np.concatenate(values)
            merged[k] = joined if in_order else joined[order]
        else:
            joined_a = pa.concat_arrays([av.decoded(av.combine(v)) for v in values])
            merged[k] = joined_a if in_order else joined_a.take(ab.from_ints(order))
    return merged, site if in_order else site[order]


def _fast_table(
    rows: np.ndarray,
    ids: np.ndarray | ArrowIds,
    lon: np.ndarray,
    lat: np.ndarray,
    text: dict[str, Any],
    power: np.ndarray,
    line_cols: dict[str, Any],
    line_site: np.ndarray,
    src_cols: dict[str, Any],
    src_site: np.ndarray,
) -> SiteColumns:
    """The records that passed every check, as columns (text stays Arrow until read)."""
    n_all = lon.shape[0]
    fast = np.zeros(n_all, dtype=bool)
    fast[rows] = True
    everyone = bool(fast.all())

    def children(cols: dict[str, Any], site: np.ndarray) -> tuple[np.ndarray, Columns]:
        table = Columns(cols)
        offsets = np.zeros(rows.shape[0] + 1, dtype=np.int64)
        if everyone:
            np.cumsum(np.bincount(site, minlength=n_all), out=offsets[1:])
            return offsets, table
        keep = fast[site]
        np.cumsum(np.bincount(site[keep], minlength=n_all)[rows], out=offsets[1:])
        return offsets, (table if keep.all() else table.take(keep))

    line_off, lines = children(line_cols, line_site)
    src_off, sources = children(src_cols, src_site)
    site_text = Columns({k: text[k] for k in SITE_TEXT})
    if everyone:  # the usual case: every record as it is, nothing copied
        return SiteColumns(
            ids=given(ids),
            lon=lon.astype(np.float64, copy=False),
            lat=lat.astype(np.float64, copy=False),
            text=site_text,
            power_mw=power,
            line_offsets=line_off,
            lines=lines,
            source_offsets=src_off,
            sources=sources,
        )
    return SiteColumns(
        ids=as_array(ids)[rows],
        lon=lon[rows].astype(np.float64),
        lat=lat[rows].astype(np.float64),
        text=site_text.take(rows),
        power_mw=power[rows],
        line_offsets=line_off,
        lines=lines,
        source_offsets=src_off,
        sources=sources,
    )


def _one_record(
    raw: RawSites, i: int, catalogue: ChipCatalogue, is_dup: bool, first: int, ids: np.ndarray
) -> tuple[Site | None, list[Problem]]:
    """The per-record path: :class:`~explorer.io.records.SiteCollector`'s steps."""
    found = list(raw.pre.get(i, ()))
    if i in raw.rejected:
        return None, found
    props = raw.props(i)
    label = record_label(raw.label(i), props.get("id"))
    site: Site | None = None
    try:
        site = parse_site(
            props,
            value_at(raw.lon, i),
            value_at(raw.lat, i),
            where=label,
            catalogue=catalogue,
        )
    except ValidationError as exc:
        found.extend(replace(p, where=label) for p in exc.problems)
    if is_dup:
        sid = str(ids[i])
        first_id = value_at(raw.columns["id"], int(first)) if "id" in raw.columns else None
        first_label = record_label(raw.label(int(first)), first_id)
        found.append(
            Problem("id", sid, f"duplicate id '{sid}' (first used by {first_label})", where=label)
        )
    if found:
        return None, found
    return site, []


__all__ = [
    "FLAT_LINE_KEYS",
    "LINE_KEYS",
    "SITE_KEYS",
    "SOURCE_KEYS",
    "ChildRows",
    "RawSites",
    "check_sites",
    "single_hardware_line",
    "value_at",
]
