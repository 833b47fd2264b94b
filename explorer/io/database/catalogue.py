"""A catalogue in PostgreSQL/PostGIS: read it, write through one transaction per change.

Every site and region row carries a ``version``. The client remembers the version of
each record it holds; a write names the versions it was based on and the database
refuses it (:class:`StaleEdit`, nothing written) when any record has moved on since —
someone else changed or deleted it. Each write records a :class:`ChangeRecord` per
record in ``history`` (who is the database role) and announces the ids it touched on the
``explorer_changes`` channel, delivered to listeners when the transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem
from explorer.core.schema import LINE_FIELDS, SOURCE_FIELDS, Site
from explorer.geo.capacity import CapacityLedger
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import CircleRegion, Region
from explorer.geo.totals import PowerFactors, Totals, model_figures, totals_from_sums
from explorer.io.changelog import ChangeRecord, changed_fields
from explorer.io.database.schema import migrate
from explorer.io.database.url import display_url, redact
from explorer.io.project_value import Project
from explorer.io.records import SiteCollector, refuse_unwritable

if TYPE_CHECKING:  # the column checks load Arrow: imported when a catalogue is read
    from explorer.io.column_check import ChildRows, RawSites

#: The channel changes are announced on.
CHANNEL = "explorer_changes"

_SITE_COLUMNS = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "part_of",
    "supersedes",
    "power_mw",
    "confidence",
    "notes",
    "updated_at",
)
_HARDWARE_COLUMNS = LINE_FIELDS
_SOURCE_COLUMNS = SOURCE_FIELDS


@dataclass
class _Tables:
    """The whole catalogue as plain rows, read in one snapshot."""

    sites: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    sources: list[tuple[Any, ...]]
    regions: list[tuple[Any, ...]]
    metadata: dict[str, Any]


def _fetch_tables(cur: Any) -> _Tables:
    """Every table in one query each, as rows of plain values: no dict per site or line,
    and no list of every id sent back to pick the lines."""
    cur.execute(
        f"select {', '.join(_SITE_COLUMNS)}, st_x(geom), st_y(geom), version, "  # noqa: S608
        "position from sites order by position, id"
    )
    sites = cur.fetchall()
    cur.execute(
        f"select site_id, {', '.join(_HARDWARE_COLUMNS)} from hardware "  # noqa: S608
        "order by site_id, line_no"
    )
    lines = cur.fetchall()
    cur.execute(
        f"select site_id, {', '.join(_SOURCE_COLUMNS)} from sources "  # noqa: S608
        "order by site_id, source_no"
    )
    sources = cur.fetchall()
    cur.execute("select id, position, feature, version from regions order by position, id")
    regions = cur.fetchall()
    cur.execute("select key, value from project order by key")
    metadata = {str(k): v for k, v in cur.fetchall()}
    return _Tables(sites, lines, sources, regions, metadata)


def _raw_catalogue(
    site_rows: Sequence[tuple[Any, ...]],
    line_rows: Sequence[tuple[Any, ...]],
    source_rows: Sequence[tuple[Any, ...]],
) -> RawSites:
    """The catalogue's tables as raw columns for the column checks: one record per site
    row (:data:`_SITE_COLUMNS`, then x, y, version, position), its hardware lines and
    sources as child rows (each row led by its site's id)."""
    from explorer.io.column_check import ChildRows, RawSites

    n = len(site_rows)
    k = len(_SITE_COLUMNS)
    by_col = list(zip(*site_rows, strict=True)) if n else [()] * (k + 4)
    row_of = {sid: i for i, sid in enumerate(by_col[0])}

    def children(rows: Sequence[tuple[Any, ...]], keys: Sequence[str]) -> ChildRows:
        if not rows:
            return ChildRows(np.zeros(0, dtype=np.int64), {})
        cols = list(zip(*rows, strict=True))
        site = np.fromiter(map(row_of.__getitem__, cols[0]), dtype=np.int64, count=len(rows))
        return ChildRows(site, {key: list(cols[j + 1]) for j, key in enumerate(keys)})

    return RawSites(
        n=n,
        label=_site_label,
        columns={key: list(by_col[j]) for j, key in enumerate(_SITE_COLUMNS)},
        lon=list(by_col[k]),
        lat=list(by_col[k + 1]),
        flat=np.zeros(n, dtype=bool),
        lines=children(line_rows, _HARDWARE_COLUMNS),
        sources=children(source_rows, _SOURCE_COLUMNS),
        odd=np.zeros(n, dtype=bool),
    )


def _site_label(i: int) -> str:
    """Row ``i`` (0-based) of a catalogue read, as messages name it."""
    return f"site {i + 1}"


class DatabaseError(DataFileError):
    """The database could not be used; the message is one line."""


class ConnectionLost(DatabaseError):
    """The server went away (or could not be reached); nothing was written."""


class ReadOnly(DatabaseError):
    """The role may read the catalogue but not change it; nothing was written."""


@dataclass
class StaleEdit(DatabaseError):
    """A record changed (or vanished, or appeared) since this client read it.

    Attributes
    ----------
    entity, entity_id : str
    mine : dict or None
        The value this client tried to write (None: a delete).
    theirs : dict or None
        The value in the database now (None: deleted there).
    their_version : int or None
    """

    entity: str
    entity_id: str
    mine: dict[str, Any] | None
    theirs: dict[str, Any] | None
    their_version: int | None

    def __post_init__(self) -> None:
        what = "deleted" if self.theirs is None else "changed"
        super().__init__(
            f"{self.entity} '{self.entity_id}' was {what} by someone else since you read it"
        )


@dataclass(frozen=True)
class ChangeSet:
    """What one command does to a catalogue: records put (inserted or replaced) and gone.

    ``site_positions``/``region_positions`` give the display position of a record put
    back where it was (an undone delete); others go to the end.
    """

    sites_put: tuple[Site, ...] = ()
    sites_gone: tuple[str, ...] = ()
    regions_put: tuple[RegionEntry, ...] = ()
    regions_gone: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.sites_put or self.sites_gone or self.regions_put or self.regions_gone)


@dataclass
class Loaded:
    """What :meth:`DatabaseCatalogue.load` read."""

    project: Project
    problems: list[Problem] = field(default_factory=list)


def site_json(site: Site) -> dict[str, Any]:
    """A site as the JSON kept in history (and compared field by field)."""
    return site.to_dict()


def region_json(entry: RegionEntry) -> dict[str, Any]:
    return entry.to_feature()


def _one_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    text = (getattr(diag, "message_primary", None) if diag is not None else None) or str(exc)
    return " ".join(text.split()) or type(exc).__name__


class DatabaseCatalogue:
    """One client's connection to a shared catalogue.

    Parameters
    ----------
    url : str
        ``postgresql://user@host:port/db`` (libpq's URL syntax).
    catalogue : ChipCatalogue
        The chip models sites are validated against on reading.
    connect_timeout : int
        Seconds to wait for the server.

    Raises
    ------
    ConnectionLost
        The server cannot be reached (one line naming it, without the password).
    DatabaseError
        The schema cannot be created or upgraded.
    """

    def __init__(self, url: str, *, catalogue: ChipCatalogue, connect_timeout: int = 5) -> None:
        self.url = url
        self.shown = display_url(url)
        self.catalogue = catalogue
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self._versions: dict[tuple[str, str], int] = {}
        self._positions: dict[tuple[str, str], float] = {}
        self.connect()

    # ------------------------------------------------------------------ connection
    def connect(self) -> None:
        """(Re)connect and bring the schema up to date."""
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout)
        except psycopg.Error as exc:
            # libpq may quote part of the URL (a badly encoded password): never shown.
            detail = redact(_one_line(exc), self.url)
            raise ConnectionLost(f"{self.shown}: cannot connect: {detail}") from None
        try:
            found = migrate(conn)
            if 0 < found < 2:
                # Schema 2 added the capacity ledger: fill it for the sites already there.
                with conn.transaction(), conn.cursor() as cur:
                    self._rebuild_capacity(cur)
            with conn.cursor() as cur:
                cur.execute(
                    "select current_user, pg_backend_pid(), "
                    "has_table_privilege(current_user, 'sites', 'UPDATE')"
                )
                row = cur.fetchone()
                assert row is not None
                role, pid, can_write = row
        except DataFileError as exc:
            conn.close()
            raise DatabaseError(f"{self.shown}: {redact(str(exc), self.url)}") from None
        except psycopg.Error as exc:
            conn.close()
            raise DatabaseError(f"{self.shown}: {redact(_one_line(exc), self.url)}") from None
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close
                pass
        self._conn = conn
        self.role: str = str(role)
        self.backend_pid: int = int(pid)
        self.read_only: bool = not bool(can_write)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def _cursor(self) -> Any:
        if not self.connected:
            raise ConnectionLost(f"{self.shown}: not connected")
        return self._conn.cursor()

    @contextmanager
    def _server_errors(self) -> Iterator[None]:
        """The driver's errors as ours, in one line naming the database (no password): a
        lost or refused connection as :class:`ConnectionLost`, the rest as
        :class:`DatabaseError`."""
        import psycopg

        try:
            yield
        except psycopg.OperationalError as exc:
            raise ConnectionLost(f"{self.shown}: {_one_line(exc)}") from None
        except psycopg.Error as exc:
            raise DatabaseError(f"{self.shown}: {_one_line(exc)}") from None

    # ------------------------------------------------------------------ reading
    def load(self) -> Loaded:
        """Read the whole catalogue (sites validated against the chip catalogue)."""
        with self._server_errors():
            with self._conn.transaction(), self._cursor() as cur:
                cur.execute("set transaction isolation level repeatable read read only")
                tables = _fetch_tables(cur)
        project, problems = self._checked(tables)
        self._versions.clear()
        self._positions.clear()
        k = len(_SITE_COLUMNS)
        for row in tables.sites:
            self._versions[("site", row[0])] = int(row[k + 2])
            self._positions[("site", row[0])] = float(row[k + 3])
        for rid, position, _, version in tables.regions:
            self._versions[("region", rid)] = version
            self._positions[("region", rid)] = position
        return Loaded(project, problems)

    def _checked(self, tables: _Tables) -> tuple[Project, list[Problem]]:
        """The tables as a project, sites checked column by column as a file's are (only
        doubtful rows one by one, worded as SiteCollector words them): a million rows
        one parse_site at a time took a minute."""
        from explorer.io.column_check import check_sites

        raw = _raw_catalogue(tables.sites, tables.lines, tables.sources)
        columns, problems = check_sites(raw, self.catalogue)
        regions = [feature for _, _, feature, _ in tables.regions]
        return Project(sites=columns.sites(), metadata=tables.metadata, regions=regions), problems

    def _select_sites(
        self, cur: Any, ids: Sequence[str] | None
    ) -> list[tuple[dict[str, Any], float, float, int, float]]:
        cols = ", ".join(f"s.{c}" for c in _SITE_COLUMNS)
        where = "" if ids is None else "where s.id = any(%s)"
        cur.execute(
            f"select {cols}, st_x(s.geom), st_y(s.geom), s.version, s.position "  # noqa: S608
            f"from sites s {where} order by s.position, s.id",
            () if ids is None else (list(ids),),
        )
        rows = cur.fetchall()
        wanted = [r[0] for r in rows]
        hw: dict[str, list[dict[str, Any]]] = {}
        src: dict[str, list[dict[str, Any]]] = {}
        if wanted:
            cur.execute(
                f"select site_id, {', '.join(_HARDWARE_COLUMNS)} from hardware "  # noqa: S608
                "where site_id = any(%s) order by site_id, line_no",
                (wanted,),
            )
            for r in cur.fetchall():
                hw.setdefault(r[0], []).append(dict(zip(_HARDWARE_COLUMNS, r[1:], strict=True)))
            cur.execute(
                f"select site_id, {', '.join(_SOURCE_COLUMNS)} from sources "  # noqa: S608
                "where site_id = any(%s) order by site_id, source_no",
                (wanted,),
            )
            for r in cur.fetchall():
                src.setdefault(r[0], []).append(dict(zip(_SOURCE_COLUMNS, r[1:], strict=True)))
        out = []
        n = len(_SITE_COLUMNS)
        for r in rows:
            props = dict(zip(_SITE_COLUMNS, r[:n], strict=True))
            props["hardware"] = hw.get(props["id"], [])
            props["sources"] = src.get(props["id"], [])
            out.append((props, r[n], r[n + 1], int(r[n + 2]), float(r[n + 3])))
        return out

    def fetch(
        self, site_ids: Iterable[str] = (), region_ids: Iterable[str] = ()
    ) -> tuple[dict[str, Site | None], dict[str, RegionEntry | None]]:
        """The current values of some records (None where deleted), remembering their
        versions: what another client's change left."""
        import psycopg

        site_ids = list(dict.fromkeys(site_ids))
        region_ids = list(dict.fromkeys(region_ids))
        sites: dict[str, Site | None] = dict.fromkeys(site_ids)
        regions: dict[str, RegionEntry | None] = dict.fromkeys(region_ids)
        try:
            with self._conn.transaction(), self._cursor() as cur:
                rows = self._select_sites(cur, site_ids) if site_ids else []
                region_rows = []
                if region_ids:
                    cur.execute(
                        "select id, position, feature, version from regions where id = any(%s)",
                        (region_ids,),
                    )
                    region_rows = cur.fetchall()
        except psycopg.OperationalError as exc:
            raise ConnectionLost(f"{self.shown}: {_one_line(exc)}") from None
        collector = SiteCollector(self.catalogue)
        for props, lon, lat, version, position in rows:
            collector.add(props, lon, lat, label=str(props["id"]), problems=[])
            self._versions[("site", props["id"])] = version
            self._positions[("site", props["id"])] = position
        for s in collector.sites:
            sites[s.id] = s
        for sid in site_ids:
            if sites[sid] is None:
                self._versions.pop(("site", sid), None)
        for rid, position, feature, version in region_rows:
            regions[rid] = RegionEntry.from_feature(feature, rid=rid)
            self._versions[("region", rid)] = version
            self._positions[("region", rid)] = position
        for rid in region_ids:
            if regions[rid] is None:
                self._versions.pop(("region", rid), None)
        return sites, regions

    def version(self, entity: str, entity_id: str) -> int | None:
        """The version of a record as this client last saw it (None: not known to exist)."""
        return self._versions.get((entity, entity_id))

    # ------------------------------------------------------------------ writing
    def write(
        self, change: ChangeSet, *, reason: str = "", force: bool = False
    ) -> list[ChangeRecord]:
        """Apply ``change`` in one transaction; returns what it recorded in history.

        Parameters
        ----------
        change : ChangeSet
        reason : str
            Kept with every history row of this change.
        force : bool
            Write over whatever is there now (the user chose "keep mine" after a
            :class:`StaleEdit`).

        Raises
        ------
        StaleEdit
            A record changed since this client read it; nothing was written.
        ReadOnly
            The role cannot write; nothing was written.
        ConnectionLost
            The server went away; nothing was written (the transaction never committed).
        """
        import psycopg

        if change.is_empty():
            return []
        if self.read_only:
            raise ReadOnly(f"{self.shown}: role '{self.role}' may only read this catalogue")
        records: list[ChangeRecord] = []
        versions: dict[tuple[str, str], int | None] = {}
        try:
            with self._conn.transaction(), self._cursor() as cur:
                done = [
                    *(self._put_site(cur, s, reason, force, versions) for s in change.sites_put),
                    *(
                        self._delete(cur, "site", sid, reason, force, versions)
                        for sid in change.sites_gone
                    ),
                    *(
                        self._put_region(cur, e, reason, force, versions)
                        for e in change.regions_put
                    ),
                    *(
                        self._delete(cur, "region", rid, reason, force, versions)
                        for rid in change.regions_gone
                    ),
                ]
                records = [r for r in done if r is not None]
                self._refresh_capacity(cur, _seeds(records))
                payload = {
                    "pid": self.backend_pid,
                    "sites": [r.entity_id for r in records if r.entity == "site"],
                    "regions": [r.entity_id for r in records if r.entity == "region"],
                }
                cur.execute("select pg_notify(%s, %s)", (CHANNEL, json.dumps(payload)))
        except StaleEdit:
            raise
        except psycopg.errors.InsufficientPrivilege as exc:
            self.read_only = True
            raise ReadOnly(f"{self.shown}: {_one_line(exc)}") from None
        except psycopg.OperationalError as exc:
            raise ConnectionLost(f"{self.shown}: {_one_line(exc)}") from None
        except psycopg.Error as exc:
            raise DatabaseError(f"{self.shown}: {_one_line(exc)}") from None
        for key, version in versions.items():
            if version is None:
                self._versions.pop(key, None)
            else:
                self._versions[key] = version
        return records

    def _lock(self, cur: Any, entity: str, key: str) -> tuple[int | None, dict[str, Any] | None]:
        """The row's version and JSON now, locked for this transaction."""
        if entity == "site":
            rows = self._select_sites_for_update(cur, key)
            if rows is None:
                return None, None
            props, lon, lat, version = rows
            try:
                site = SiteCollector(self.catalogue)
                site.add(props, lon, lat, label=key, problems=[])
                value = (
                    site_json(site.sites[0]) if site.sites else {**props, "lon": lon, "lat": lat}
                )
            except Exception:  # noqa: BLE001 - an unreadable row is still "theirs"
                value = {**props, "lon": lon, "lat": lat}
            return version, value
        cur.execute("select version, feature from regions where id = %s for update", (key,))
        row = cur.fetchone()
        return (None, None) if row is None else (int(row[0]), row[1])

    def _select_sites_for_update(
        self, cur: Any, sid: str
    ) -> tuple[dict[str, Any], float, float, int] | None:
        cur.execute("select version from sites where id = %s for update", (sid,))
        if cur.fetchone() is None:
            return None
        [(props, lon, lat, version, _)] = self._select_sites(cur, [sid])
        return props, lon, lat, version

    def _check(
        self,
        entity: str,
        key: str,
        expected: int | None,
        now: int | None,
        theirs: dict[str, Any] | None,
        mine: dict[str, Any] | None,
        force: bool,
    ) -> None:
        if force or expected == now:
            return
        raise StaleEdit(entity, key, mine, theirs, now)

    def _next_position(self, cur: Any, table: str, key: tuple[str, str]) -> float:
        known = self._positions.get(key)
        if known is not None:
            return known
        cur.execute(f"select coalesce(max(position), 0) + 1 from {table}")  # noqa: S608
        return float(cur.fetchone()[0])

    def _history(
        self,
        cur: Any,
        entity: str,
        key: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str,
        version: int | None,
    ) -> ChangeRecord:
        fields = changed_fields(before, after)
        cur.execute(
            "insert into history "
            "(entity, entity_id, action, fields, before, after, reason, version) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s) returning to_char(at at time zone 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), who',
            (
                entity,
                key,
                action,
                list(fields),
                _jsonb(before),
                _jsonb(after),
                reason,
                version,
            ),
        )
        at, who = cur.fetchone()
        return ChangeRecord(at, who, entity, key, action, fields, before, after, reason, version)

    def _put_site(
        self,
        cur: Any,
        site: Site,
        reason: str,
        force: bool,
        versions: dict[tuple[str, str], int | None],
    ) -> ChangeRecord | None:
        key = ("site", site.id)
        now, theirs = self._lock(cur, "site", site.id)
        mine = site_json(site)
        self._check("site", site.id, self._versions.get(key), now, theirs, mine, force)
        if theirs == mine:
            # Already so (e.g. the same edit from two clients): nothing to record.
            versions[key] = now
            return None
        values = [getattr(site, c) for c in _SITE_COLUMNS]
        if now is None:
            position = self._next_position(cur, "sites", key)
            cur.execute(
                f"insert into sites ({', '.join(_SITE_COLUMNS)}, geom, position, version) "  # noqa: S608
                f"values ({', '.join(['%s'] * len(_SITE_COLUMNS))}, "
                "st_setsrid(st_makepoint(%s, %s), 4326), %s, 1)",
                (*values, site.lon, site.lat, position),
            )
            version = 1
            action = "insert"
        else:
            assigns = ", ".join(f"{c} = %s" for c in _SITE_COLUMNS[1:])
            cur.execute(
                f"update sites set {assigns}, geom = st_setsrid(st_makepoint(%s, %s), 4326), "  # noqa: S608
                "version = version + 1 where id = %s returning version",
                (*values[1:], site.lon, site.lat, site.id),
            )
            version = int(cur.fetchone()[0])
            cur.execute("delete from hardware where site_id = %s", (site.id,))
            cur.execute("delete from sources where site_id = %s", (site.id,))
            action = "update"
        for n, line in enumerate(site.hardware):
            cur.execute(
                f"insert into hardware (site_id, line_no, {', '.join(_HARDWARE_COLUMNS)}) "  # noqa: S608
                f"values (%s, %s, {', '.join(['%s'] * len(_HARDWARE_COLUMNS))})",
                (site.id, n, *(getattr(line, c) for c in _HARDWARE_COLUMNS)),
            )
        for n, src in enumerate(site.sources):
            cur.execute(
                "insert into sources (site_id, source_no, title, url, date, quote) "
                "values (%s, %s, %s, %s, %s, %s)",
                (site.id, n, src.title, src.url, src.date, src.quote),
            )
        versions[key] = version
        return self._history(cur, "site", site.id, action, theirs, mine, reason, version)

    def _put_region(
        self,
        cur: Any,
        entry: RegionEntry,
        reason: str,
        force: bool,
        versions: dict[tuple[str, str], int | None],
    ) -> ChangeRecord:
        key = ("region", entry.id)
        now, theirs = self._lock(cur, "region", entry.id)
        mine = region_json(entry)
        self._check("region", entry.id, self._versions.get(key), now, theirs, mine, force)
        radius = getattr(entry.region, "radius_m", None)
        geometry = json.dumps(mine["geometry"])
        if now is None:
            position = self._next_position(cur, "regions", key)
            cur.execute(
                "insert into regions (id, position, name, kind, radius_m, feature, geom, version) "
                "values (%s, %s, %s, %s, %s, %s, st_setsrid(st_geomfromgeojson(%s), 4326), 1)",
                (entry.id, position, entry.name, entry.kind, radius, _jsonb(mine), geometry),
            )
            version, action = 1, "insert"
        else:
            cur.execute(
                "update regions set name = %s, kind = %s, radius_m = %s, feature = %s, "
                "geom = st_setsrid(st_geomfromgeojson(%s), 4326), version = version + 1 "
                "where id = %s returning version",
                (entry.name, entry.kind, radius, _jsonb(mine), geometry, entry.id),
            )
            version, action = int(cur.fetchone()[0]), "update"
        versions[key] = version
        return self._history(cur, "region", entry.id, action, theirs, mine, reason, version)

    def _delete(
        self,
        cur: Any,
        entity: str,
        key: str,
        reason: str,
        force: bool,
        versions: dict[tuple[str, str], int | None],
    ) -> ChangeRecord:
        now, theirs = self._lock(cur, entity, key)
        self._check(entity, key, self._versions.get((entity, key)), now, theirs, None, force)
        if now is not None:
            table = "sites" if entity == "site" else "regions"
            cur.execute(f"delete from {table} where id = %s", (key,))  # noqa: S608
        versions[(entity, key)] = None
        return self._history(cur, entity, key, "delete", theirs, None, reason, None)

    def replace_all(
        self, project: Project, history: Sequence[ChangeRecord] = (), *, reason: str = ""
    ) -> None:
        """Replace the whole content with ``project`` (and append ``history``), in one
        transaction: for ``explorer copy`` into a database."""

        if self.read_only:
            raise ReadOnly(f"{self.shown}: role '{self.role}' may only read this catalogue")
        entries = [RegionEntry.from_feature(f, index=i) for i, f in enumerate(project.regions)]
        with self._server_errors():
            with self._conn.transaction(), self._cursor() as cur:
                cur.execute("delete from hardware; delete from sources; delete from sites")
                cur.execute("delete from regions; delete from project")
                self._versions.clear()
                self._positions.clear()
                for n, site in enumerate(project.sites, start=1):
                    self._positions[("site", site.id)] = float(n)
                for n, entry in enumerate(entries, start=1):
                    self._positions[("region", entry.id)] = float(n)
                for rec in history:
                    cur.execute(
                        "insert into history (at, who, entity, entity_id, action, fields, before, "
                        "after, reason, version) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (
                            rec.at,
                            rec.who,
                            rec.entity,
                            rec.entity_id,
                            rec.action,
                            list(rec.fields),
                            _jsonb(rec.before),
                            _jsonb(rec.after),
                            rec.reason,
                            rec.version,
                        ),
                    )
                versions: dict[tuple[str, str], int | None] = {}
                for site in project.sites:
                    self._put_site(cur, site, reason, True, versions)
                for entry in entries:
                    self._put_region(cur, entry, reason, True, versions)
                for k, v in project.metadata.items():
                    cur.execute(
                        "insert into project (key, value) values (%s, %s)", (str(k), _jsonb(v))
                    )
                self._rebuild_capacity(cur)
        self._versions.update({k: v for k, v in versions.items() if v is not None})

    # ------------------------------------------------------------------ copies
    def is_empty(self) -> bool:
        """True when the catalogue holds no site, region, metadata or history row."""

        with self._server_errors():
            with self._cursor() as cur:
                cur.execute(
                    "select exists (select 1 from sites) or exists (select 1 from regions) "
                    "or exists (select 1 from project) or exists (select 1 from history)"
                )
                row = cur.fetchone()
        return not (row and row[0])

    def copy_in(self, project: Project, *, replace: bool = False) -> None:
        """Make the catalogue hold ``project`` exactly, its history included, in one
        transaction: for ``explorer copy`` into a database.

        Unlike :meth:`replace_all`, the copy is not itself recorded as changes: the
        database's history becomes ``project.history``, row for row (who, when, before,
        after, reason and version as recorded), so a catalogue copied out again is the
        one copied in. Regions keep their features as given, with the region's id as the
        Feature's ``id`` (as the database's own features have it). Each record's version is
        the last one its history names (1 when none does), so later edits number on.

        Parameters
        ----------
        project : Project
        replace : bool
            Replace a catalogue that is not empty (sites, regions, metadata and history
            alike); without it such a catalogue is refused and nothing is written.

        Raises
        ------
        ReadOnly
            The role may not write (nothing written).
        DatabaseError
            The catalogue is not empty and ``replace`` is False, or the server refused
            the copy (nothing written).
        ValueError
            A region feature is not a usable region (nothing written).
        """
        import psycopg

        if self.read_only:
            raise ReadOnly(f"{self.shown}: role '{self.role}' may only read this catalogue")
        refuse_unwritable(list(project.sites))
        entries = [RegionEntry.from_feature(f, index=i) for i, f in enumerate(project.regions)]
        last: dict[tuple[str, str], int] = {}
        for rec in project.history:
            if rec.version is not None:
                last[(rec.entity, rec.entity_id)] = rec.version
        try:
            with self._conn.transaction(), self._cursor() as cur:
                # Taken first, so two copies into one catalogue cannot interleave.
                cur.execute("lock table sites, regions, project, history in exclusive mode")
                if not replace:
                    cur.execute(
                        "select exists (select 1 from sites) or exists (select 1 from regions) "
                        "or exists (select 1 from project) or exists (select 1 from history)"
                    )
                    row = cur.fetchone()
                    if row and row[0]:
                        raise DatabaseError(
                            f"{self.shown}: the catalogue is not empty; replace it with --replace"
                        )
                cur.execute("delete from hardware; delete from sources; delete from sites")
                cur.execute("delete from regions; delete from project; delete from history")
                self._copy_sites(cur, project.sites, last)
                for n, (entry, feature) in enumerate(
                    zip(entries, project.regions, strict=True), start=1
                ):
                    radius = getattr(entry.region, "radius_m", None)
                    geometry = json.dumps(region_json(entry)["geometry"])
                    cur.execute(
                        "insert into regions (id, position, name, kind, radius_m, feature, geom, "
                        "version) values (%s, %s, %s, %s, %s, %s, "
                        "st_setsrid(st_geomfromgeojson(%s), 4326), %s)",
                        (
                            entry.id,
                            float(n),
                            entry.name,
                            entry.kind,
                            radius,
                            # A file keeps the id in the properties only; the
                            # database's features carry it as the Feature's id too.
                            _jsonb({**feature, "id": entry.id}),
                            geometry,
                            last.get(("region", entry.id), 1),
                        ),
                    )
                for k, v in project.metadata.items():
                    cur.execute(
                        "insert into project (key, value) values (%s, %s)", (str(k), _jsonb(v))
                    )
                # What each site counts, from the sites in hand (reading a million back
                # would take longer than writing them).
                cur.execute("delete from site_capacity")
                ledger = CapacityLedger(list(project.sites), self.catalogue.names)
                self._write_capacity(cur, ledger, [s.id for s in project.sites])
                with cur.copy(
                    "copy history (at, who, entity, entity_id, action, fields, before, after, "
                    "reason, version) from stdin"
                ) as copy:
                    for rec in project.history:
                        copy.write_row(
                            (
                                rec.at,
                                rec.who,
                                rec.entity,
                                rec.entity_id,
                                rec.action,
                                list(rec.fields),
                                _json_text(rec.before),
                                _json_text(rec.after),
                                rec.reason,
                                rec.version,
                            )
                        )
        except DatabaseError:
            raise
        except psycopg.errors.InsufficientPrivilege as exc:
            self.read_only = True
            raise ReadOnly(f"{self.shown}: {_one_line(exc)}") from None
        except psycopg.OperationalError as exc:
            raise ConnectionLost(f"{self.shown}: {_one_line(exc)}") from None
        except psycopg.Error as exc:
            raise DatabaseError(f"{self.shown}: {_one_line(exc)}") from None
        self._versions.clear()
        self._positions.clear()

    def _copy_sites(
        self, cur: Any, sites: Sequence[Site], last: Mapping[tuple[str, str], int]
    ) -> None:
        """Insert ``sites`` in order with COPY (positions 1, 2, ...)."""
        with cur.copy(
            f"copy sites ({', '.join(_SITE_COLUMNS)}, geom, position, version) "  # noqa: S608
            "from stdin"
        ) as copy:
            for n, site in enumerate(sites, start=1):
                copy.write_row(
                    (
                        *(getattr(site, c) for c in _SITE_COLUMNS),
                        f"SRID=4326;POINT({site.lon!r} {site.lat!r})",
                        float(n),
                        last.get(("site", site.id), 1),
                    )
                )
        with cur.copy(
            f"copy hardware (site_id, line_no, {', '.join(_HARDWARE_COLUMNS)}) from stdin"  # noqa: S608
        ) as copy:
            for site in sites:
                for n, line in enumerate(site.hardware):
                    copy.write_row((site.id, n, *(getattr(line, c) for c in _HARDWARE_COLUMNS)))
        with cur.copy(
            "copy sources (site_id, source_no, title, url, date, quote) from stdin"
        ) as copy:
            for site in sites:
                for n, src in enumerate(site.sources):
                    copy.write_row((site.id, n, src.title, src.url, src.date, src.quote))

    # ------------------------------------------------------------------ the capacity ledger
    def _rebuild_capacity(self, cur: Any) -> None:
        """Compute what every site counts (the rules of :mod:`explorer.geo.capacity`)."""
        rows = self._select_sites(cur, None)
        sites = _sites_of(rows, self.catalogue)
        ledger = CapacityLedger(sites, self.catalogue.names)
        cur.execute("delete from site_capacity")
        self._write_capacity(cur, ledger, [s.id for s in sites])

    def _refresh_capacity(self, cur: Any, seeds: set[str]) -> None:
        """Recompute what the sites around ``seeds`` count, after a change to them.

        A change can alter the contribution of the site itself, its campus and the
        campus's other parts, and the records it supersedes (or that supersede it). Those
        (two links out along part_of and supersedes, both ways) are recomputed, from a
        ledger over them and two more links of context, so the remainder of a campus
        sees every part and every supersession.
        """
        if not seeds:
            return
        affected = _closure(cur, seeds, rounds=2)
        context = _closure(cur, affected, rounds=2)
        rows = self._select_sites(cur, sorted(context))
        sites = _sites_of(rows, self.catalogue)
        ledger = CapacityLedger(sites, self.catalogue.names)
        present = [s.id for s in sites if s.id in affected]
        cur.execute("delete from site_capacity where site_id = any(%s)", (sorted(affected),))
        self._write_capacity(cur, ledger, present)

    def _write_capacity(self, cur: Any, ledger: CapacityLedger, ids: Sequence[str]) -> None:
        with cur.copy(
            "copy site_capacity (site_id, model, day, low, central, high) from stdin"
        ) as copy:
            for sid in ids:
                c = ledger.contribution(sid)
                for model, b in c.undated.items():
                    copy.write_row((sid, model, None, *b))
                for model, day, delta in c.steps:
                    copy.write_row((sid, model, day, *delta))
        superseded = [sid for sid in ids if ledger.is_superseded(sid)]
        cur.execute(
            "update sites set counted = not (id = any(%s)) where id = any(%s)",
            (superseded, list(ids)),
        )

    # ------------------------------------------------------------------ totals in the database
    def totals(
        self,
        regions: Sequence[Region] | None,
        *,
        as_of: date | None = None,
        factors: PowerFactors | None = None,
        today: date | None = None,
    ) -> list[Totals]:
        """Region totals computed by PostGIS over the whole shared catalogue.

        Membership is decided in the database (``ST_Covers`` for polygons, a geodesic
        ``ST_DWithin`` on ``geography`` for circles) and each site's contribution comes from
        the ``site_capacity`` ledger; the arithmetic is :func:`~explorer.geo.totals.
        totals_from_sums`, so the answer is the local engine's.
        """

        factors = factors if factors is not None else PowerFactors()
        models = self.catalogue.names
        day = as_of or today or date.today()
        figures = model_figures(models, self.catalogue, day)
        col = {m: j for j, m in enumerate(models)}
        out = []
        targets: list[tuple[str, str, tuple[Any, ...]]] = []
        for region in regions if regions is not None else [None]:
            if region is None:
                targets.append(("all", "true", ()))
            elif isinstance(region, CircleRegion):
                targets.append(
                    (
                        region.name,
                        "st_dwithin(s.geom::geography, "
                        "st_setsrid(st_makepoint(%s, %s), 4326)::geography, %s, true)",
                        (region.lon, region.lat, region.radius_m),
                    )
                )
            else:
                targets.append(
                    (
                        region.name,
                        "st_covers(st_setsrid(st_geomfromwkb(%s), 4326), s.geom)",
                        (region.geometry.wkb,),
                    )
                )
        dated = as_of is not None
        when = "c.day is not null and c.day <= %s" if dated else "c.day is null"
        when_args: tuple[Any, ...] = (as_of.toordinal(),) if as_of is not None else ()
        with self._server_errors():
            with self._conn.transaction(), self._cursor() as cur:
                cur.execute("set transaction isolation level repeatable read read only")
                for name, predicate, args in targets:
                    cur.execute(
                        f"select s.id, s.power_mw from sites s where s.counted and {predicate} "  # noqa: S608
                        "order by s.position, s.id",
                        args,
                    )
                    inside = cur.fetchall()
                    cur.execute(
                        "select c.model, sum(c.low), sum(c.central), sum(c.high) "  # noqa: S608
                        "from site_capacity c join sites s on s.id = c.site_id "
                        f"where s.counted and {predicate} and {when} group by c.model",
                        (*args, *when_args),
                    )
                    sums = np.zeros((3, len(models)), dtype=np.int64)
                    for model, lo, mid, hi in cur.fetchall():
                        sums[:, col[model]] = (int(lo), int(mid), int(hi))
                    reported = [p for _, p in inside if p is not None]
                    out.append(
                        totals_from_sums(
                            name,
                            tuple(r[0] for r in inside),
                            models,
                            (sums[0], sums[1], sums[2]),
                            float(np.sum(np.array(reported, dtype=np.float64))),
                            catalogue=self.catalogue,
                            figures=figures,
                            factors=factors,
                            as_of=as_of,
                        )
                    )
        return out

    def illustrative_count(self) -> tuple[int, int]:
        """How many sites are an illustrative scenario (confidence ``illustrative``), and
        how many sites there are: what ``explorer totals`` notes, without reading them."""

        with self._server_errors():
            with self._cursor() as cur:
                cur.execute(
                    "select count(*) filter (where confidence = 'illustrative'), count(*) "
                    "from sites"
                )
                row = cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # ------------------------------------------------------------------ history
    def history(
        self, entity_id: str | None = None, *, entity: str = "site", since: datetime | None = None
    ) -> list[ChangeRecord]:
        """The recorded changes, oldest first (of one record, or all; only those made
        after ``since``, an aware datetime, when given)."""

        with self._server_errors():
            with self._cursor() as cur:
                return _select_history(cur, entity_id, entity, since)

    # ------------------------------------------------------------------ the past
    def project_at(self, when: datetime) -> Loaded:
        """The catalogue as it was at ``when``, rebuilt from its history.

        The content now and the changes recorded after ``when`` are read in one snapshot;
        the changes are then taken back, newest first (:func:`explorer.io.rewind.rewind`):
        each record's ``before`` is put back, a record inserted since is removed. Times are
        compared in the database to the whole second, as records show them, so the
        catalogue at a change's shown time includes that change. Nothing here is changed,
        and the
        versions this client remembers are left alone.

        Parameters
        ----------
        when : datetime.datetime
            An aware time (a naive one is refused: the database compares instants).

        Returns
        -------
        Loaded
            ``project.history`` holds the changes up to ``when``; ``problems`` the sites
            now, or recorded, that fail validation (left out).

        Raises
        ------
        ValueError
            ``when`` has no time zone.
        ConnectionLost, DatabaseError
            As for :meth:`load`.
        """

        from explorer.io.rewind import rewind

        if when.tzinfo is None:
            raise ValueError(f"a time with its zone is needed, got '{when.isoformat()}'")
        with self._server_errors():
            with self._conn.transaction(), self._cursor() as cur:
                cur.execute("set transaction isolation level repeatable read read only")
                tables = _fetch_tables(cur)
                undone = _select_history(cur, None, None, when, whole_seconds=True)
                kept = _select_history(cur, None, None, None, until=when, whole_seconds=True)
        now, problems_now = self._checked(tables)
        then, problems = rewind(now, undone, self.catalogue)
        then.history = kept
        return Loaded(then, [*problems_now, *problems])


_HISTORY_SELECT = (
    "select to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), who, "
    "entity, entity_id, action, fields, before, after, reason, version from history"
)


def _select_history(
    cur: Any,
    entity_id: str | None,
    entity: str | None,
    since: datetime | None,
    *,
    until: datetime | None = None,
    whole_seconds: bool = False,
) -> list[ChangeRecord]:
    """History rows, oldest first: of one record (``entity``/``entity_id``) or all, made
    after ``since`` and at or before ``until`` when given (``whole_seconds``: their time
    cut to the second, as a record shows it, is compared)."""
    at = "date_trunc('second', at)" if whole_seconds else "at"
    where = ["true"]
    args: list[Any] = []
    if entity_id is not None:
        where.append("entity = %s and entity_id = %s")
        args += [entity or "site", entity_id]
    if since is not None:
        where.append(f"{at} > %s")
        args.append(since)
    if until is not None:
        where.append(f"{at} <= %s")
        args.append(until)
    cur.execute(
        f"{_HISTORY_SELECT} where {' and '.join(where)} order by id",  # noqa: S608
        args,
    )
    return [
        ChangeRecord(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), r[6], r[7], r[8], r[9])
        for r in cur.fetchall()
    ]


def _seeds(records: Iterable[ChangeRecord]) -> set[str]:
    """The sites a change touched, and those their old and new links name."""
    out: set[str] = set()
    for r in records:
        if r.entity != "site":
            continue
        out.add(r.entity_id)
        for side in (r.before, r.after):
            if side:
                out |= {v for v in (side.get("part_of"), side.get("supersedes")) if v}
    return out


def _closure(cur: Any, ids: set[str], *, rounds: int) -> set[str]:
    """``ids`` and the sites ``rounds`` links away along part_of and supersedes, both ways."""
    found = set(ids)
    for _ in range(rounds):
        cur.execute(
            "select id, part_of, supersedes from sites "
            "where id = any(%s) or part_of = any(%s) or supersedes = any(%s)",
            (list(found),) * 3,
        )
        more = {v for row in cur.fetchall() for v in row if v} - found
        if not more:
            break
        found |= more
    return found


def _sites_of(
    rows: Sequence[tuple[dict[str, Any], float, float, int, float]], catalogue: ChipCatalogue
) -> list[Site]:
    collector = SiteCollector(catalogue)
    for props, lon, lat, _, _ in rows:
        collector.add(props, lon, lat, label=str(props["id"]), problems=[])
    return collector.sites


def _json_text(value: Any) -> str | None:
    """A JSON value as text for COPY into a jsonb column (None: NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return None if value is None else Jsonb(value)


def records_by_entity(
    records: Iterable[ChangeRecord],
) -> Mapping[tuple[str, str], list[ChangeRecord]]:
    out: dict[tuple[str, str], list[ChangeRecord]] = {}
    for r in records:
        out.setdefault((r.entity, r.entity_id), []).append(r)
    return out


__all__ = [
    "CHANNEL",
    "ChangeSet",
    "ConnectionLost",
    "DatabaseCatalogue",
    "DatabaseError",
    "Loaded",
    "ReadOnly",
    "StaleEdit",
    "region_json",
    "site_json",
]
