"""Valid sites held as columns: what a reader returns before any ``Site`` is built.

A :class:`SiteColumns` holds every attribute of a file's valid sites as numpy arrays
(one per field), their hardware lines and sources as flat child tables with offsets.
It builds a :class:`~explorer.core.schema.Site` only when asked (:meth:`site`,
:meth:`sites`) and turns straight into the totals snapshot
(:meth:`site_arrays`) without building any, which is how ``explorer totals`` stays fast
on a million sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import NEVER, period_end_ordinal
from explorer.core.schema import SOURCE_FIELDS, HardwareLine, Site, Source
from explorer.geo.id_column import given, held_ids, install_ids

if TYPE_CHECKING:  # the totals snapshot loads shapely and pyproj: imported when used
    from explorer.geo.capacity import CapacityLedger
    from explorer.geo.totals import SiteArrays

#: Site text fields, in :class:`~explorer.core.schema.Site` order.
SITE_TEXT = (
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "confidence",
    "notes",
    "updated_at",
    "part_of",
    "supersedes",
)
#: Hardware-line fields held as text.
LINE_TEXT = ("chip_model", "phase", "status", "online")
#: Hardware-line fields held as whole numbers (-1 where a line leaves one out).
LINE_INTS = ("chips", "servers", "gpus_per_server", "chips_low", "chips_high")
#: Source fields.
SOURCE_TEXT = SOURCE_FIELDS
#: Rows per call where one call over every row would hold the interpreter lock for long
#: (building a dict, comparing Python strings): the load's worker builds these while
#: the window is meant to answer, and the lock can pass to it between slices.
LOCK_SLICE = 65_536


def _opt(v: int) -> int | None:
    return None if v < 0 else v


def _is_arrow(value: Any) -> bool:
    return not isinstance(value, np.ndarray)


@dataclass(frozen=True)
class TextCodes:
    """A text column as a code per row and its distinct values: row ``i`` holds
    ``values[codes[i]]`` (``""`` where missing). What is worked out per text (a chip
    model's column, a date's day) is then worked out once per distinct value."""

    codes: np.ndarray  # int64
    values: list[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextCodes:
        """The codes of a sequence of ``str`` (first seen, first coded)."""
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64)
        return cls(codes, list(index))

    def lookup(self, index: Mapping[str, int]) -> np.ndarray:
        """``index[text]`` per row (int64); ``KeyError`` naming a text not in it."""
        table = np.fromiter(map(index.__getitem__, self.values), np.int64, len(self.values))
        return table[self.codes]

    def in_order_seen(self) -> list[str]:
        """The distinct values in the order the rows first hold them."""
        first = np.full(len(self.values), len(self.codes), dtype=np.int64)
        np.minimum.at(first, self.codes, np.arange(len(self.codes), dtype=np.int64))
        return [self.values[k] for k in np.argsort(first, kind="stable").tolist()]

    def equals(self, text: str) -> np.ndarray:
        """Mask of the rows that hold ``text``."""
        if text not in self.values:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == self.values.index(text)


class Columns(Mapping[str, np.ndarray]):
    """Named columns of one table, each a numpy array or an Arrow array.

    Reading a column (``columns[name]``) gives numpy (text as an object array of
    ``str``, missing as ``""``), converted on first read and kept. Text that nothing
    reads never becomes a million Python strings: ``explorer totals`` reads ids and a
    few codes through :meth:`arrow`, and the live totals and the map read the few
    distinct values of a line's model, status and date through :meth:`codes`.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values: dict[str, Any] = dict(values)
        self._codes: dict[str, TextCodes] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        value = self._values[key]
        if _is_arrow(value):
            from explorer.io.arrow_values import to_objects

            value = to_objects(value)
            self._values[key] = value
        return value

    def codes(self, key: str) -> TextCodes:
        """The text column ``key`` as :class:`TextCodes` (kept): an Arrow column is
        coded by Arrow, its text never made Python strings row by row (at 100,000
        sites a line column's strings and their lookups took 20-30 ms each)."""
        coded = self._codes.get(key)
        if coded is None:
            value = self._values[key]
            if _is_arrow(value):
                coded = TextCodes(*_encode(self.arrow(key)))
            else:
                coded = TextCodes.of(value)
            self._codes[key] = coded
        return coded

    def value(self, key: str, i: int) -> Any:
        """``self[key][i]`` without converting an Arrow column whole (text: ``""``
        where missing): building the one site a view shows reads a few values of
        columns nothing else may ever need as Python strings."""
        value = self._values[key]
        if _is_arrow(value):
            item = value[i].as_py()
            return "" if item is None else item
        return value[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def arrow(self, key: str) -> Any:
        """The column as an Arrow array (text as ``string``; ``""`` where missing)."""
        import pyarrow as pa

        from explorer.io.arrow_buffers import text_scalar
        from explorer.io.arrow_values import decoded

        value = self._values[key]
        if _is_arrow(value):
            # A dictionary column stays one unless it has nulls to fill.
            return decoded(value).fill_null(text_scalar("")) if value.null_count else value
        if value.dtype == object:
            return pa.array(value, type=pa.string())
        return pa.array(value)

    def take(self, rows: np.ndarray) -> Columns:
        """These columns at ``rows`` (a boolean mask or row numbers)."""
        out: dict[str, Any] = {}
        for key, value in self._values.items():
            if _is_arrow(value):
                from explorer.io.arrow_buffers import from_bools, from_ints

                if rows.dtype == bool:
                    out[key] = value.filter(from_bools(rows))
                else:
                    out[key] = value.take(from_ints(rows))
            else:
                out[key] = value[rows]
        return Columns(out)


class ArrowIds:
    """Ids kept as the Arrow ``string`` array they were read into (no nulls), for
    :class:`~explorer.geo.id_column.IdColumn`: a million of them become Python strings
    only when something reads them all."""

    __slots__ = ("_arr",)

    def __init__(self, arr: Any) -> None:
        self._arr = arr

    def __len__(self) -> int:
        return len(self._arr)

    @property
    def arrow(self) -> Any:
        """The Arrow array."""
        return self._arr

    def objects(self) -> np.ndarray:
        from explorer.io.arrow_values import to_objects

        return to_objects(self._arr)

    def pick(self, rows: np.ndarray) -> list[str]:
        from explorer.io.arrow_buffers import from_ints

        return self._arr.take(from_ints(np.asarray(rows, dtype=np.int64))).to_pylist()  # type: ignore[no-any-return]


@install_ids
@dataclass(frozen=True, eq=False)
class SiteColumns:
    """Valid sites as columns, in file order.

    Attributes
    ----------
    ids : numpy.ndarray of object (str)
        May be given as :class:`ArrowIds`, made into the array on first read (the
        totals snapshot takes them as they are).
    lon, lat : numpy.ndarray of float64
    text : dict of str to numpy.ndarray of object (str)
        The fields of :data:`SITE_TEXT`.
    power_mw : numpy.ndarray of float64
        NaN where a site reports none.
    line_offsets : numpy.ndarray of int64, shape (n + 1,)
        Site ``i``'s hardware lines are rows ``line_offsets[i]:line_offsets[i + 1]`` of
        :attr:`lines`.
    lines : dict of str to numpy.ndarray
        :data:`LINE_TEXT` (object) and :data:`LINE_INTS` (int64, -1 for none).
    source_offsets : numpy.ndarray of int64, shape (n + 1,)
    sources : dict of str to numpy.ndarray of object (str)
        :data:`SOURCE_TEXT`.
    """

    ids: np.ndarray  # an IdColumn (install_ids)
    lon: np.ndarray
    lat: np.ndarray
    text: Columns
    power_mw: np.ndarray
    line_offsets: np.ndarray
    lines: Columns
    source_offsets: np.ndarray
    sources: Columns
    _row_index: dict[str, int] | None = field(default=None, init=False, repr=False)
    _names: dict[str, str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("text", "lines", "sources"):
            value = getattr(self, name)
            if not isinstance(value, Columns):
                object.__setattr__(self, name, Columns(value))

    def __len__(self) -> int:
        return int(self.lon.shape[0])

    # ------------------------------------------------------------------ sites, when asked
    def site(self, i: int) -> Site:
        """The site in row ``i`` (built now; nothing is cached). Reads one value per
        field (:meth:`Columns.value`), converting no column whole."""
        t = self.text.value
        a, b = int(self.line_offsets[i]), int(self.line_offsets[i + 1])
        ln = self.lines
        line = ln.value
        hardware = tuple(
            HardwareLine(
                line("chip_model", k),
                int(ln["chips"][k]),
                _opt(int(ln["servers"][k])),
                _opt(int(ln["gpus_per_server"][k])),
                line("phase", k),
                line("status", k),
                line("online", k),
                _opt(int(ln["chips_low"][k])),
                _opt(int(ln["chips_high"][k])),
            )
            for k in range(a, b)
        )
        c, d = int(self.source_offsets[i]), int(self.source_offsets[i + 1])
        source = self.sources.value
        sources = tuple(
            Source(source("title", k), source("url", k), source("date", k), source("quote", k))
            for k in range(c, d)
        )
        power = float(self.power_mw[i])
        ids = held_ids(self)
        return Site(
            id=ids[i] if isinstance(ids, np.ndarray) else ids.pick(np.array([i]))[0],
            name=t("name", i),
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            operator=t("operator", i),
            tenant=t("tenant", i),
            province=t("province", i),
            prefecture=t("prefecture", i),
            status=t("status", i),
            hardware=hardware,
            power_mw=None if power != power else power,
            confidence=t("confidence", i),
            sources=sources,
            notes=t("notes", i),
            updated_at=t("updated_at", i),
            part_of=t("part_of", i),
            supersedes=t("supersedes", i),
        )

    # The rows a store holds unbuilt (explorer.core.keyed_store.Rows).
    def row_ids(self) -> list[str]:
        """The id of every row, in order."""
        return self.ids.tolist()  # type: ignore[no-any-return]

    def row_index(self) -> Mapping[str, int]:
        """Each id's row: built once (on the load's worker thread, where the totals are
        prepared) and shared by everyone who indexes these rows as they are (the store
        copies it; the site table, the live totals and the capacity ledger read it).
        Never change it. At a million rows building it took 0.35-0.4 s, each time."""
        index = self._row_index
        if index is None:
            index = _dict_in_slices(self.row_ids(), range)
            object.__setattr__(self, "_row_index", index)  # a cache: still frozen
        return index

    def names_by_id(self) -> Mapping[str, str]:
        """Each id's name, in row order: built once (the load's worker asks first, a
        slice at a time; the site pickers copy it: at a million rows building it on the
        UI thread took 0.25 s). Never change it."""
        names = self._names
        if names is None:
            text = self.text["name"]
            names = _dict_in_slices(self.row_ids(), lambda a, b: text[a:b].tolist())
            object.__setattr__(self, "_names", names)  # a cache: still frozen
        return names

    def build_row(self, i: int) -> Site:
        """:meth:`site` (what a store calls to build the one row asked for)."""
        return self.site(i)

    def build_rows(self, rows: Sequence[int]) -> list[Site]:
        """The sites of ``rows``, built in one pass (over these rows alone)."""
        if len(rows) == len(self) and np.array_equal(rows, np.arange(len(self))):
            return self.sites()
        return self.take(np.asarray(rows, dtype=np.int64)).sites()

    def take(self, rows: np.ndarray) -> SiteColumns:
        """These sites at ``rows`` (row numbers), with their lines and sources."""
        rows = np.asarray(rows, dtype=np.int64)

        def children(offsets: np.ndarray, cols: Columns) -> tuple[np.ndarray, Columns]:
            starts = offsets[rows]
            counts = offsets[rows + 1] - starts
            new = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            idx = np.repeat(starts - new[:-1], counts) + np.arange(int(new[-1]), dtype=np.int64)
            return new, cols.take(idx)

        line_offsets, lines = children(self.line_offsets, self.lines)
        source_offsets, sources = children(self.source_offsets, self.sources)
        return SiteColumns(
            self.ids[rows],
            self.lon[rows],
            self.lat[rows],
            self.text.take(rows),
            self.power_mw[rows],
            line_offsets,
            lines,
            source_offsets,
            sources,
        )

    def sites(self) -> list[Site]:
        """Every site, built in one pass (see the README's load figures for the cost)."""
        from explorer.io.bulk import paused_gc

        with paused_gc():
            return list(self.iter_sites())

    def iter_sites(self) -> Iterator[Site]:
        """Every site, built one at a time."""
        # Plain lists index faster than numpy object arrays, a row at a time.
        ids = self.ids.tolist()
        lon = self.lon.tolist()
        lat = self.lat.tolist()
        power = self.power_mw.tolist()
        t = {k: v.tolist() for k, v in self.text.items()}
        lo = self.line_offsets.tolist()
        so = self.source_offsets.tolist()
        ln_text = {k: self.lines[k].tolist() for k in LINE_TEXT}
        ln_int = {
            k: [None if v < 0 else v for v in self.lines[k].tolist()]
            for k in ("servers", "gpus_per_server", "chips_low", "chips_high")
        }
        chips = self.lines["chips"].tolist()
        sr = {k: self.sources[k].tolist() for k in SOURCE_TEXT}
        names, ops, tens = t["name"], t["operator"], t["tenant"]
        provs, prefs, stats = t["province"], t["prefecture"], t["status"]
        confs, notes, upd = t["confidence"], t["notes"], t["updated_at"]
        parts, sups = t["part_of"], t["supersedes"]
        models, phases = ln_text["chip_model"], ln_text["phase"]
        lstat, online = ln_text["status"], ln_text["online"]
        servers, gps = ln_int["servers"], ln_int["gpus_per_server"]
        lows, highs = ln_int["chips_low"], ln_int["chips_high"]
        titles, urls, dates, quotes = sr["title"], sr["url"], sr["date"], sr["quote"]
        for i in range(len(ids)):
            hardware = tuple(
                HardwareLine(
                    models[k],
                    chips[k],
                    servers[k],
                    gps[k],
                    phases[k],
                    lstat[k],
                    online[k],
                    lows[k],
                    highs[k],
                )
                for k in range(lo[i], lo[i + 1])
            )
            sources = tuple(
                Source(titles[k], urls[k], dates[k], quotes[k]) for k in range(so[i], so[i + 1])
            )
            p = power[i]
            yield Site(
                ids[i],
                names[i],
                lon[i],
                lat[i],
                ops[i],
                tens[i],
                provs[i],
                prefs[i],
                stats[i],
                hardware,
                None if p != p else p,
                confs[i],
                sources,
                notes[i],
                upd[i],
                parts[i],
                sups[i],
            )

    # ------------------------------------------------------------------ from sites
    @classmethod
    def from_sites(cls, sites: Sequence[Site]) -> SiteColumns:
        """Columns of already-built sites (for writing, and for records the per-record
        parser had to build)."""
        n = len(sites)
        line_rows = [h for s in sites for h in s.hardware]
        src_rows = [c for s in sites for c in s.sources]

        def obj(values: list[str]) -> np.ndarray:
            out = np.empty(len(values), dtype=object)
            out[:] = values
            return out

        def ints(values: list[int | None]) -> np.ndarray:
            return np.array([-1 if v is None else v for v in values], dtype=np.int64)

        return cls(
            ids=obj([s.id for s in sites]),
            lon=np.array([s.lon for s in sites], dtype=np.float64).reshape(n),
            lat=np.array([s.lat for s in sites], dtype=np.float64).reshape(n),
            text=Columns({k: obj([getattr(s, k) for s in sites]) for k in SITE_TEXT}),
            power_mw=np.array(
                [np.nan if s.power_mw is None else s.power_mw for s in sites], dtype=np.float64
            ).reshape(n),
            line_offsets=np.concatenate(
                [[0], np.cumsum([len(s.hardware) for s in sites], dtype=np.int64)]
            ).astype(np.int64),
            lines=Columns(
                {
                    **{k: obj([getattr(h, k) for h in line_rows]) for k in LINE_TEXT},
                    **{k: ints([getattr(h, k) for h in line_rows]) for k in LINE_INTS},
                }
            ),
            source_offsets=np.concatenate(
                [[0], np.cumsum([len(s.sources) for s in sites], dtype=np.int64)]
            ).astype(np.int64),
            sources=Columns({k: obj([getattr(c, k) for c in src_rows]) for k in SOURCE_TEXT}),
        )

    # ------------------------------------------------------------------ reading columns
    def line_site(self) -> np.ndarray:
        """The site row of each hardware line."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.line_offsets))

    def illustrative_count(self) -> int:
        """How many sites are an illustrative scenario."""
        from explorer.io.arrow_values import is_in

        return int(is_in(self.text.arrow("confidence"), ["illustrative"]).sum())

    def site_arrays(self, catalogue: ChipCatalogue, *, as_of: date | None = None) -> SiteArrays:
        """The totals snapshot of these sites as of a date, without building sites.

        The capacity rules of :mod:`explorer.geo.capacity` apply as they do to sites: a
        cancelled line never counts, a dated line counts from its online date, and the
        sites that take part in a campus or a supersession (few, in any real file) go
        through :class:`~explorer.geo.capacity.CapacityLedger` itself.

        Raises
        ------
        ValueError
            A hardware line names a model the catalogue does not know.
        """
        from explorer.geo.capacity import CapacityLedger
        from explorer.geo.totals import SiteArrays
        from explorer.io.arrow_values import is_in

        n = len(self)
        models = catalogue.names
        m = len(models)
        col_of = {name: j for j, name in enumerate(models)}
        ln = self.lines
        codes, names = _encode(ln.arrow("chip_model"))
        for name in names:
            if name not in col_of:
                raise ValueError(f"unknown chip model '{name}'")
        line_col = np.array([col_of[u] for u in names], dtype=np.int64)[codes]
        counts = ~is_in(ln.arrow("status"), ["cancelled"])
        if as_of is not None:
            day_codes, dates = _encode(ln.arrow("online"))
            days = np.array([period_end_ordinal(d) for d in dates], dtype=np.int64)
            line_day = days[day_codes]
            counts &= (line_day != NEVER) & (line_day <= as_of.toordinal())
        line_site = self.line_site()
        chips = ln["chips"]
        ranged = bool((ln["chips_low"] >= 0).any() or (ln["chips_high"] >= 0).any())
        # Model-major flat index: the (n, m) matrices come out column-major, as the
        # snapshot keeps them (one model's counts contiguous).
        counted_site = line_site[counts]
        flat = line_col[counts] * n + counted_site
        one_each = _one_line_each(counted_site)

        def matrix(values: np.ndarray) -> np.ndarray:
            summed = np.zeros(n * m, dtype=np.int64)
            _sum_cells(summed, flat, values[counts], one_each)
            return summed.reshape(m, n).T

        central = matrix(chips)
        if ranged:
            low = matrix(np.where(ln["chips_low"] < 0, chips, ln["chips_low"]))
            high = matrix(np.where(ln["chips_high"] < 0, chips, ln["chips_high"]))
            mats = [low, central, high]
        else:
            mats = [central, central, central]
        counted = np.ones(n, dtype=bool)

        has_ref = _filled(self.text.arrow("part_of")) | _filled(self.text.arrow("supersedes"))
        if has_ref.any():
            part_of = self.text["part_of"]
            supersedes = self.text["supersedes"]
            named = set(part_of[has_ref].tolist()) | set(supersedes[has_ref].tolist())
            named.discard("")
            related = np.flatnonzero(has_ref | self._ids_in(named))
            subset = [self.site(int(i)) for i in related]
            ledger = CapacityLedger(subset, models)
            day = as_of.toordinal() if as_of is not None else None
            lo_r, mid_r, hi_r = ledger.at(day)
            if not ranged:
                mats = [central.copy(), central, central.copy()]
                ranged = True
            for mat, rows in zip(mats, (lo_r, mid_r, hi_r), strict=True):
                mat[related] = rows
            counted[related] = [not ledger.is_superseded(s.id) for s in subset]
        # Views, not copies: the snapshot marks what it is given read-only, and these
        # columns never change (a million sites: 30 ms of copying saved).
        ids = held_ids(self)
        return SiteArrays(
            given(ids.view() if isinstance(ids, np.ndarray) else ids),
            self.lon.view(),
            self.lat.view(),
            models,
            mats[1],
            self.power_mw.view(),
            catalogue,
            chips_low=mats[0] if ranged else None,
            chips_high=mats[2] if ranged else None,
            counted=counted,
            as_of=as_of,
        )

    def _ids_in(self, named: set[str]) -> np.ndarray:
        """Mask of the rows whose id is one of ``named`` (Arrow ids stay unread)."""
        ids = held_ids(self)
        if isinstance(ids, ArrowIds):
            from explorer.io.arrow_values import is_in

            return is_in(ids.arrow, sorted(named))
        # A set lookup per id: np.isin sorts object arrays (0.8 s at 100,000 sites).
        return np.fromiter(map(named.__contains__, self.ids), dtype=bool, count=len(self))

    def related_rows(self) -> np.ndarray:
        """Rows of the sites that name a campus or a superseded record, or that one
        names (the only ones the campus and supersession rules apply to)."""
        part_of, supersedes = self.text["part_of"], self.text["supersedes"]
        has_ref = (part_of != "") | (supersedes != "")
        if not has_ref.any():
            return np.zeros(0, dtype=np.int64)
        named = set(part_of[has_ref].tolist()) | set(supersedes[has_ref].tolist())
        named.discard("")
        return np.flatnonzero(has_ref | self._ids_in(named))

    def ledger(
        self, models: Sequence[str], *, load: Callable[[int], Site] | None = None
    ) -> CapacityLedger:
        """The capacity ledger of these sites, without building the plain ones.

        Numpy only (no Arrow): a window opening a small file reads it this way, and
        importing pyarrow would cost its start-up.

        Parameters
        ----------
        models : sequence of str
            Model columns (a line naming another model raises ``ValueError``).
        load : callable, optional
            Builds the site of a row when the ledger needs its value (default:
            :meth:`site`).
        """
        from explorer.geo.capacity import CapacityLedger
        from explorer.geo.ledger_base import LedgerBase

        n, m = len(self), len(models)
        ln = self.lines
        try:
            line_col = ln.codes("chip_model").lookup({name: j for j, name in enumerate(models)})
        except KeyError as exc:
            raise ValueError(f"unknown chip model {str(exc.args[0])!r}") from None
        counts = ~ln.codes("status").equals("cancelled")
        line_site = self.line_site()
        chips = ln["chips"]
        low = np.where(ln["chips_low"] < 0, chips, ln["chips_low"])
        high = np.where(ln["chips_high"] < 0, chips, ln["chips_high"])
        vals = np.stack([low, chips, high], axis=1).astype(np.int64, copy=False)
        undated = np.zeros((3, m * n), dtype=np.int64)
        counted_site = line_site[counts]
        flat = line_col[counts] * n + counted_site
        one_each = _one_line_each(counted_site)
        counted = vals[counts]
        for k in range(3):
            _sum_cells(undated[k], flat, counted[:, k], one_each)
        online = ln.codes("online")
        dated = counts & ~online.equals("")
        dated_codes = online.codes[dated]
        # The day of each date a counted line names (a date only on cancelled lines is
        # never worked out).
        day_of = np.zeros(len(online.values), dtype=np.int64)
        for code in np.flatnonzero(np.bincount(dated_codes, minlength=len(online.values))):
            day_of[code] = period_end_ordinal(online.values[code])
        days = day_of[dated_codes]
        base = LedgerBase(
            ids=self.row_ids(),
            undated=undated.reshape(3, m, n),
            step_site=line_site[dated],
            step_col=line_col[dated],
            step_day=days,
            step_vals=vals[dated],
            load=load if load is not None else self.site,
        )
        held = self.take(self.related_rows()).sites()
        return CapacityLedger.from_base(base, held, models, index=self.row_index())


def _dict_in_slices(keys: list[str], values: Callable[[int, int], Iterable[Any]]) -> dict[str, Any]:
    """``{keys[i]: value i}``, ``values(a, b)`` giving the values of rows ``a`` to
    ``b``, built a slice at a time: one ``dict(zip(...))`` of a million keys held the
    interpreter lock for 0.3 s, stopping the window while the load's worker built it."""
    out: dict[str, Any] = {}
    for a in range(0, len(keys), LOCK_SLICE):
        part = keys[a : a + LOCK_SLICE]
        out.update(zip(part, values(a, a + len(part)), strict=True))
    return out


def _one_line_each(counted_site: np.ndarray) -> bool:
    """True when no site has two of the counted lines (given in site order, as the
    lines are): the flat schema, most files. No two lines then share a cell."""
    return bool(np.all(counted_site[1:] > counted_site[:-1]))


def _sum_cells(out: np.ndarray, flat: np.ndarray, values: np.ndarray, one_each: bool) -> None:
    """Add ``values`` into the zeroed int64 ``out`` at ``flat`` in place: stored when no
    two share a cell (``one_each``), summed with ``np.add.at`` otherwise. Only the
    cells written are touched, and a zeroed table is memory the system hands over
    untouched: a float ``bincount`` per row filled and converted every cell (three
    passes over the sites x models table: 20x slower at a million sites; three rows at
    100,000 sites and ten models, in a fresh process, 0.07 s against 0.03 s)."""
    if one_each:
        out[flat] = values
    else:
        np.add.at(out, flat, values.astype(np.int64, copy=False))


def _encode(arr: Any) -> tuple[np.ndarray, list[str]]:
    """(code per value, distinct values) of an Arrow string array."""
    from explorer.io.arrow_buffers import from_bools, ints
    from explorer.io.arrow_values import is_dictionary

    enc = arr if is_dictionary(arr) else arr.dictionary_encode()
    codes = ints(enc.indices)
    values = enc.dictionary
    if is_dictionary(arr):
        # A dictionary read from a file may hold values no row uses any more (a record
        # left out) or the same value twice (once trimmed): only the used ones, once.
        used = np.bincount(codes, minlength=len(values)) > 0
        used_values = [
            "" if v is None else str(v) for v in values.filter(from_bools(used)).to_pylist()
        ]
        names = list(dict.fromkeys(used_values))
        position = {name: j for j, name in enumerate(names)}
        remap = np.zeros(len(values), dtype=np.int64)
        remap[np.flatnonzero(used)] = [position[v] for v in used_values]
        return remap[codes], names
    return codes, [str(v) for v in values.to_pylist()]


def _filled(arr: Any) -> np.ndarray:
    """Mask of non-empty values of an Arrow string array."""
    from explorer.io.arrow_values import is_blank

    return ~is_blank(arr)


def concat_rows(parts: Sequence[tuple[SiteColumns, np.ndarray]], n: int) -> SiteColumns:
    """One table of ``n`` rows from parts whose rows go to the given positions.

    ``parts`` pairs a table with the final row number of each of its rows; together they
    fill ``0 .. n-1`` exactly once. Used to put the records the per-record parser built
    back in file order among those checked in bulk.
    """
    if len(parts) == 1 and np.array_equal(parts[0][1], np.arange(n)):
        return parts[0][0]  # already in place: nothing to move
    pos = np.concatenate([p for _, p in parts]) if parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(pos, kind="stable")
    if pos.shape[0] != n or (n and not np.array_equal(pos[order], np.arange(n))):
        raise ValueError("concat_rows: positions must cover every row once")

    def cat(values: list[np.ndarray], dtype: object) -> np.ndarray:
        return np.concatenate(values) if values else np.zeros(0, dtype=dtype)  # type: ignore[call-overload]

    tables = [t for t, _ in parts]
    ids = cat([t.ids for t in tables], object)[order]
    lon = cat([t.lon for t in tables], np.float64)[order]
    lat = cat([t.lat for t in tables], np.float64)[order]
    power = cat([t.power_mw for t in tables], np.float64)[order]
    text = {k: cat([t.text[k] for t in tables], object)[order] for k in SITE_TEXT}

    def children(
        offsets: list[np.ndarray], cols: list[Columns], keys: Sequence[str]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        counts = cat([np.diff(o) for o in offsets], np.int64)
        starts = cat(
            [o[:-1] + base for o, base in zip(offsets, _bases(offsets), strict=True)], np.int64
        )
        merged = {k: cat([np.asarray(c[k]) for c in cols], object) for k in keys}
        c_sorted = counts[order]
        s_sorted = starts[order]
        new_off = np.concatenate([[0], np.cumsum(c_sorted)]).astype(np.int64)
        total = int(new_off[-1])
        idx = np.repeat(s_sorted - new_off[:-1], c_sorted) + np.arange(total, dtype=np.int64)
        return new_off, {k: v[idx] for k, v in merged.items()}

    line_off, lines = children(
        [t.line_offsets for t in tables], [t.lines for t in tables], (*LINE_TEXT, *LINE_INTS)
    )
    for k in LINE_INTS:
        lines[k] = lines[k].astype(np.int64)
    src_off, sources = children(
        [t.source_offsets for t in tables], [t.sources for t in tables], SOURCE_TEXT
    )
    return SiteColumns(
        ids, lon, lat, Columns(text), power, line_off, Columns(lines), src_off, Columns(sources)
    )


def _bases(offsets: list[np.ndarray]) -> list[int]:
    out, total = [], 0
    for o in offsets:
        out.append(total)
        total += int(o[-1]) if o.shape[0] else 0
    return out


__all__ = [
    "LINE_INTS",
    "LINE_TEXT",
    "SITE_TEXT",
    "SOURCE_TEXT",
    "ArrowIds",
    "SiteColumns",
    "concat_rows",
]
