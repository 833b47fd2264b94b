"""The session: one Qt-free object for everything the analyst is working on.

Views (the main window's panels, the site table, the map controllers, the export dialog)
read the session and follow its events; user intentions arrive as method calls
(:meth:`Session.move_site`, :meth:`Session.add_region`, :meth:`Session.set_mode`...) and
the session turns each into one command on its :class:`~explorer.core.history.History`.
Nothing else builds commands. The CLI, the snapshot and the report open files through
:meth:`Session.open` too, so a project means the same thing everywhere.

Events (plain :class:`~explorer.core.events.Event`, emitted only on a real change):

``mode_changed(str)``
    The map mode: ``browse``, ``place`` (the next map click adds a site), or one of the
    drawing tools ``polygon``, ``rectangle``, ``circle``, ``pick``. One mode at a time,
    by construction.
``color_mode_changed(str)``
    ``export`` or ``model``: what marker colours mean.
``boundary_changed(BoundaryLayer | None)``
    The boundary layer that the map shows, picking uses and "Totals by area" tabulates
    (``None``: the bundled provinces).
``highlight_changed(tuple[str, ...])``
    The sites highlighted on the map: those inside the selected region.
``as_of_changed(date | None)``
    The date the live totals (and the map) count up to; None: the planned build-out.
``opened(str)``
    Another project replaced the content (its display name).
``notice(str)``
    A one-line message for the user (a pick that found no area, a refused drawing).

Team mode (a shared catalogue, :meth:`Session.open_database`): every command is written
through first; a refused write raises, or, when :attr:`Session.refusal_handler` is set (the
window), is handed to it as a :class:`~explorer.session.refusals.Refusal`. On a file, each
command's changes are kept in :attr:`Session.change_log`, after those the project file
recorded before (:attr:`Session.file_history`); saving writes both to the file's history
table, and the History view reads both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import (
    AddRegions,
    AddSites,
    Command,
    DeleteRegions,
    DeleteSites,
    EditRegion,
    EditSite,
)
from explorer.core.dates import NEVER
from explorer.core.errors import DataFileError, ValidationError
from explorer.core.events import Event
from explorer.core.history import History, UndoHistory
from explorer.core.keyed_store import Rows
from explorer.core.schema import EDITABLE_FIELDS, Site, now_iso
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.live_totals import LiveTotals, PreparedSites
from explorer.geo.region_store import RegionEntry, RegionStore
from explorer.geo.regions import Region
from explorer.geo.timeline import step_dates
from explorer.geo.totals import PowerFactors
from explorer.io.bulk import paused_gc
from explorer.io.changelog import ChangeRecord, os_user
from explorer.io.database.catalogue import DatabaseError, ReadOnly
from explorer.session.change_log import LoggedCommand
from explorer.session.modes import COLOR_MODES, DRAW_TOOLS, MODES
from explorer.session.refusals import Refusal
from explorer.session.write_through import WriteThrough

if TYPE_CHECKING:
    from explorer.geo.admin import AdminAreas
    from explorer.io.boundaries import BoundaryLayer
    from explorer.io.database.catalogue import DatabaseCatalogue
    from explorer.io.opening import OpenedFile
    from explorer.io.progress import Progress
    from explorer.io.project_value import Project


#: Longest site name quoted in an undo text before it is shortened.
_UNDO_NAME = 40

BoundaryCheck = Callable[["BoundaryLayer"], None]


class _Unloaded:
    """Marker: the province boundaries have not been read yet."""


@dataclass(frozen=True)
class ReadFile:
    """A file read by :meth:`Session.read`, ready to load.

    Attributes
    ----------
    opened : OpenedFile
        What was read (its sites as columns, not built).
    prepared : PreparedSites
        The live totals' snapshot of those sites (capacity ledger, columns, matrices),
        built where the file was read (a worker thread), not on the UI thread.
    """

    opened: OpenedFile
    prepared: PreparedSites

    @property
    def display_name(self) -> str:
        return self.opened.display_name


_NOT_LOADED = _Unloaded()


class Session:
    """What the analyst is working on: a project's sites and regions and how they are seen.

    Parameters
    ----------
    catalogue : ChipCatalogue, optional
        The chip models sites may use, and their figures (default: the bundled one).
    history : History, optional
        Where commands go (default: a plain :class:`~explorer.core.history.UndoHistory`;
        the window passes its ``QUndoStack``).
    admin_areas : AdminAreas or None, optional
        Province boundaries for picking and for filling in a site's province. Default:
        the bundled ones, read when first needed (so a CLI total never reads them).
        ``None``: no province lookup.
    factors : PowerFactors
        Server overhead and PUE for the power estimates.
    incremental_totals : bool, default True
        Patch the live totals on each edit; ``False`` recomputes everything (see
        :class:`~explorer.geo.live_totals.LiveTotals`; for the benchmark).

    Attributes
    ----------
    sites : SiteStore
    regions : RegionStore
    selection : Selection
        The selected site id.
    region_selection : Selection
        The selected region id.
    live_totals : LiveTotals
        Per-region totals that follow every edit.
    path : Path or None
        The project file, or None until saved as one (a sites file is never overwritten).
    display_name : str
    """

    def __init__(
        self,
        catalogue: ChipCatalogue | None = None,
        *,
        history: History | None = None,
        admin_areas: AdminAreas | None | _Unloaded = _NOT_LOADED,
        factors: PowerFactors = PowerFactors(),  # noqa: B008 - frozen, so sharing is safe
        incremental_totals: bool = True,
    ) -> None:
        self.catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        self.history: History = history if history is not None else UndoHistory()
        self.sites = SiteStore(catalogue=self.catalogue)
        self.regions = RegionStore()
        self.selection = Selection()
        self.region_selection = Selection()
        self.live_totals = LiveTotals(
            self.sites, self.regions, self.catalogue, factors, incremental=incremental_totals
        )
        self.path: Path | None = None
        self.display_name = "Untitled"
        #: The shared catalogue in team mode (None: a file or nothing).
        self.database: DatabaseCatalogue | None = None
        #: The analyst's reason for the changes that follow (kept in history).
        self.reason = ""
        #: In team mode, where refused changes go instead of being raised (the window
        #: sets it); None: a refused change raises.
        self.refusal_handler: Callable[[Refusal], None] | None = None
        #: A stale edit handed to :attr:`refusal_handler` that waits for
        #: :meth:`keep_mine` or :meth:`take_theirs`; no other change is made meanwhile.
        self.pending_refusal: Refusal | None = None
        #: On a file: the changes this session made, oldest first (who is the OS user).
        self.change_log: list[ChangeRecord] = []
        #: On a file: the changes the project recorded before it was opened, oldest first.
        self.file_history: list[ChangeRecord] = []
        self._admin: AdminAreas | None | _Unloaded = admin_areas
        self._mode = "browse"
        self._color_mode = "export"
        self._boundary: BoundaryLayer | None = None
        self._boundary_checks: list[BoundaryCheck] = []
        self._highlight: tuple[str, ...] = ()

        self.as_of_changed = Event("as_of_changed")
        self.mode_changed = Event("mode_changed")
        self.color_mode_changed = Event("color_mode_changed")
        self.boundary_changed = Event("boundary_changed")
        self.highlight_changed = Event("highlight_changed")
        self.opened = Event("opened")
        self.notice = Event("notice")

        self.region_selection.changed.connect(self._on_region_selection_changed)
        self.regions.removed.connect(self._on_regions_removed)
        self.live_totals.updated.connect(self._on_totals_updated)

    # ================================================================== opening and saving
    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kwargs: Any) -> Session:
        """A new session on a project or sites file (see :meth:`open`)."""
        session = cls(**kwargs)
        session.open(path)
        return session

    def open(
        self,
        path: str | os.PathLike[str],
        *,
        layer: str | None = None,
        progress: Progress | None = None,
    ) -> OpenedFile | None:
        """Replace the content with a project (``.gpkg``) or sites file, or a shared
        catalogue when ``path`` is a database URL (:meth:`open_database`; returns None).

        The file is read once, through :func:`explorer.io.opening.open_file`. On any
        error (or a cancelled read) nothing changes.

        Parameters
        ----------
        path : path-like
        layer : str, optional
            The GeoPackage point layer to read as sites.
        progress : Progress, optional
            Told how far the read got; may raise
            :class:`~explorer.io.progress.LoadCancelled`.

        Raises
        ------
        DataFileError
            Unreadable or malformed file, or a project whose regions are not valid;
            :class:`~explorer.io.point_layers.LayerChoiceNeeded` when a GeoPackage has
            several point layers and none was named.
        ValidationError
            A site record is invalid (every problem is listed).
        """
        from explorer.io.database.url import is_database_url

        if is_database_url(path):
            self.open_database(str(path))
            return None
        self.collect_before_read()
        read = self.read(path, layer=layer, progress=progress)
        self.load_opened(read)
        return read.opened

    @staticmethod
    def collect_before_read() -> None:
        """Collect what earlier loads froze (see :meth:`load`) and has since become
        garbage held in a cycle (a closed window's objects, say), before a new file's
        objects exist: otherwise the freeze at the end of the next read would keep it
        for good. Call it on the UI thread before :meth:`read` runs elsewhere
        (:meth:`open` does): a collection runs finalizers on the thread that collects,
        and a Qt object must go on its own thread. Nothing to do, and no cost, when
        nothing was frozen."""
        import gc

        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()

    def read(
        self,
        path: str | os.PathLike[str],
        *,
        layer: str | None = None,
        progress: Progress | None = None,
    ) -> ReadFile:
        """Read a file against this session's catalogue without changing anything, and
        prepare the totals' snapshot of its sites, ready for :meth:`load_opened`. The
        sites stay columns: none is built (the store builds the ones asked for). Safe
        to call off the UI thread: it touches no state of the session.

        Raises
        ------
        DataFileError, ValidationError, LoadCancelled
            As for :meth:`open`.
        """
        from explorer.io.opening import open_file
        from explorer.io.progress import report, scaled

        # One pause for the whole read, and what it built frozen at the end (it is
        # about to be loaded): re-enabling collection between the steps set off a full
        # collection over the new values each time.
        with paused_gc(keep=True):
            opened = open_file(
                path,
                catalogue=self.catalogue,
                layer=layer,
                progress=scaled(progress, 0.0, 0.9),
                history=True,
            )
            n = len(opened.columns)
            report(progress, 0.9, f"totalling {n:,} sites")
            prepared = self.live_totals.prepare(opened.sites_source(), self.as_of)
            report(progress, 1.0, f"totalled {n:,} sites")
        return ReadFile(opened, prepared)

    def load_opened(self, opened: OpenedFile | ReadFile) -> None:
        """Replace the content with what :meth:`read` (or ``open_file``) read."""
        from explorer.io.project_value import Project

        if isinstance(opened, ReadFile):
            file, prepared = opened.opened, opened.prepared
        else:
            file, prepared = opened, None
        self.load(
            Project(metadata=file.metadata, regions=file.regions, history=list(file.history)),
            path=file.path if file.is_project else None,
            display_name=file.display_name,
            prepared=prepared,
            sites=file.sites_source(),
        )

    def open_database(self, url: str, *, connect_timeout: int = 5) -> None:
        """Open a shared catalogue (team mode): edits then write through, one transaction
        per command, and other clients' changes arrive through :meth:`pull`.

        Raises
        ------
        DataFileError
            The server cannot be reached or the schema cannot be brought up to date (one
            line, without the password); nothing changes.
        ValidationError
            A site in the database fails validation (every problem is listed).
        """
        from explorer.io.database.catalogue import DatabaseCatalogue

        self.collect_before_read()
        db = DatabaseCatalogue(url, catalogue=self.catalogue, connect_timeout=connect_timeout)
        try:
            loaded = db.load()
            if loaded.problems:
                raise ValidationError(loaded.problems)
            self.load(loaded.project, path=None, display_name=db.shown)
        except BaseException:
            db.close()
            raise
        self.database = db

    @property
    def read_only(self) -> bool:
        """True when the catalogue may be read but not changed (a read-only role)."""
        return self.database is not None and self.database.read_only

    def load(
        self,
        project: Project,
        *,
        path: Path | None,
        display_name: str,
        prepared: PreparedSites | None = None,
        sites: Sequence[Site] | Rows[Site] | None = None,
    ) -> None:
        """Replace the content with ``project``; raises before changing anything.

        ``prepared`` is the totals' snapshot of the sites built ahead (:meth:`read`);
        without it (or when it no longer matches) it is built here. ``sites``, when
        given, stand for ``project.sites``: rows of a table are held unbuilt.
        """
        try:
            entries = [RegionEntry.from_feature(f, index=i) for i, f in enumerate(project.regions)]
        except ValueError as exc:
            raise DataFileError(f"{display_name}: regions: {exc}") from None
        self.selection.clear()
        self.region_selection.clear()
        # Every listener rebuilds from the new sites now (capacity ledger, totals,
        # table): hundreds of thousands of small values that live on. Collections
        # triggered by their allocation would scan every site again and again (half of
        # a 100,000-site load's time on the UI thread), and none of it holds a cycle.
        self.live_totals.expect(prepared)
        with paused_gc(keep=True):
            # Regions go first: otherwise the old regions are re-totalled against the
            # new sites, and then everything again for the new regions.
            self.regions.reset([])
            self.sites.reset(project.sites if sites is None else sites, project.metadata)
            self.regions.reset(entries)
        self.history.clear()
        self.change_log = []
        self.file_history = list(project.history)
        self.pending_refusal = None
        if self.database is not None:
            self.database.close()
            self.database = None
        self.path = path
        self.display_name = display_name
        self.set_mode("browse")
        self.opened.emit(display_name)

    def new_project(self) -> None:
        """Empty the session (no sites, no regions, no file)."""
        from explorer.io.project_value import Project

        self.load(Project(sites=[], metadata={}, regions=[]), path=None, display_name="Untitled")

    def project(self) -> Project:
        """The content as a project value, stamped with the time it is taken.

        On a file its history is what the project recorded before it was opened, then
        this session's changes (:attr:`change_log`); a shared catalogue keeps its own
        history in the database, so none is carried here.
        """
        return self.project_later()()

    def project_later(self) -> Callable[[], Project]:
        """:meth:`project` as it is now, its sites built when the returned function is
        called, on any thread (a background save builds them on its worker: a
        100,000-site file's rows take about a second to build)."""
        from explorer.io.project_value import Project

        meta = dict(self.sites.metadata)
        meta["saved_at"] = now_iso()
        regions = [entry.to_feature() for entry in self.regions]
        history = [*self.file_history, *self.change_log] if self.database is None else []
        sites = self.sites.items_later()
        return lambda: Project(sites=sites(), metadata=meta, regions=regions, history=history)

    def illustrative_count(self) -> int:
        """How many sites are an illustrative scenario (read from the file's columns
        while the store holds just them: no site is built to count)."""
        from explorer.io.site_columns import SiteColumns

        rows = self.sites.rows_as_loaded()
        if isinstance(rows, SiteColumns):
            return int(rows.text.codes("confidence").equals("illustrative").sum())
        return sum(1 for s in self.sites if s.is_illustrative)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the project to ``path`` atomically (a failed save leaves the old file);
        the session then belongs to that file. Its history table holds the changes the
        project recorded before and those of this session.

        Raises
        ------
        DataFileError, OSError, ValueError
            The project could not be written; nothing changed.
        """
        from explorer.io.project import save_project

        target = Path(path)
        # "Save As" keeps the tables other tools added to the opened project, as "Save" does.
        save_project(target, self.project(), keep_tables_from=self.path)
        self.saved_to(target)
        return target

    def saved_to(self, path: Path) -> None:
        """The project was written to ``path`` (here, or by a job that wrote a
        :meth:`project` value): the session now belongs to that file."""
        self.path = path
        self.display_name = path.name

    # ================================================================== commands and undo
    def _push(self, command: Command) -> bool:
        """Apply ``command`` and record it: in team mode written through first, on a
        file logged in :attr:`change_log`. Returns False when the change was refused and
        handed to :attr:`refusal_handler` (nothing changed)."""
        if self._waiting():
            return False
        db = self.database
        if db is None:
            command = LoggedCommand(
                command, self.change_log, self.sites, os_user(), lambda: self.reason
            )
        elif not db.read_only:
            command = WriteThrough(command, db, self.sites, self.reason)
        elif getattr(command, "store", None) is self.sites:
            error = ReadOnly(f"{db.shown}: role '{db.role}' may only read this catalogue")
            return self._refuse(Refusal(error, command.text, "do"))
        # A read-only analyst still draws regions: they stay in this session.
        try:
            self.history.push(command)
        except DatabaseError as exc:
            if not isinstance(command, WriteThrough):
                raise
            return self._refuse(Refusal(exc, command.text, "do", command))
        return True

    def undo(self) -> bool:
        """Undo the last command (in team mode: write its undo as a new change first).

        Returns False when there is nothing to undo, or the undo was refused and handed
        to :attr:`refusal_handler`; otherwise raises as the write does (a
        :class:`~explorer.io.database.catalogue.StaleEdit` too when someone else changed
        the record since: undoing would silently undo their change as well).
        """
        return self._step("undo")

    def redo(self) -> bool:
        """Redo the last undone command (written through first in team mode)."""
        return self._step("redo")

    def _step(self, step: str) -> bool:
        undoing = step == "undo"
        command = self.history.next_undo() if undoing else self.history.next_redo()
        if command is None or self._waiting():
            return False
        if isinstance(command, WriteThrough):
            command.reason = self.reason  # the reason given now goes with this change
            try:
                command.write(undoing=undoing)
            except DatabaseError as exc:
                return self._refuse(Refusal(exc, command.text, step, command))
        if undoing:
            self.history.undo()
        else:
            self.history.redo()
        return True

    def _refuse(self, refusal: Refusal) -> bool:
        """Hand a refused change to :attr:`refusal_handler` (or raise its error)."""
        if self.refusal_handler is None:
            raise refusal.error
        if refusal.can_keep_mine:
            self.pending_refusal = refusal
        self.refusal_handler(refusal)
        return False

    def _waiting(self) -> bool:
        """True (with a notice) while a conflict waits for the analyst's choice."""
        if self.pending_refusal is None:
            return False
        self.notice.emit("A conflict is waiting for your choice: keep yours or take theirs")
        return True

    # ================================================================== conflicts
    def keep_mine(self) -> bool:
        """Resolve the pending conflict by writing this client's change over theirs.

        The refused command (or undo, or redo) is written again with ``force=True`` and
        then applied here, as a new change in the database. A refused new change is first
        based on the records as they are now (taken in from the database), so undoing it
        later puts back their value. Returns False when nothing was pending or the forced
        write was refused again (handed to the handler).
        """
        refusal, self.pending_refusal = self.pending_refusal, None
        if refusal is None or refusal.command is None:
            return False
        command = refusal.command
        step = refusal.step
        undoing = step == "undo"
        if step != "do":
            expected = self.history.next_undo() if undoing else self.history.next_redo()
            if expected is not command:
                raise RuntimeError(f"the {step} of '{command.text}' is no longer the next {step}")
        try:
            if step == "do":
                # Take in the records as they are now and base my change on them, so
                # that undoing it later goes back to their value.
                self.pull(*refusal.record_ids())
                command.rebase()
            command.write(undoing=undoing, force=True)
        except DatabaseError as exc:
            return self._refuse(Refusal(exc, refusal.text, step, command))
        command.prepare_local(undoing=undoing)
        if step == "do":
            self.history.push(command)  # written: do() only applies it here
        elif undoing:
            self.history.undo()
        else:
            self.history.redo()
        return True

    def take_theirs(self) -> None:
        """Resolve the pending conflict by dropping this client's change and taking the
        records as they are in the database now (not undoable).

        Raises
        ------
        ConnectionLost
            The server went away; the change stays dropped.
        """
        refusal, self.pending_refusal = self.pending_refusal, None
        if refusal is None:
            return
        site_ids, region_ids = refusal.record_ids()
        self.pull(site_ids, region_ids)

    # ================================================================== team mode
    def apply_remote(
        self,
        sites: Mapping[str, Site | None],
        regions: Mapping[str, RegionEntry | None] = {},  # noqa: B006 - read only
    ) -> None:
        """Take other clients' changes (id -> current value, None: deleted) into the stores,
        as they are: not commands, not undoable."""
        for sid, site in sites.items():
            if site is None:
                if sid in self.sites:
                    if self.selection.current == sid:
                        self.selection.clear()
                    self.sites.remove([sid])
            elif sid in self.sites:
                self.sites.replace(site)
            else:
                self.sites.insert([site])
        for rid, entry in regions.items():
            if entry is None:
                if rid in self.regions:
                    self.regions.remove([rid])
            elif rid in self.regions:
                self.regions.replace(entry)
            else:
                self.regions.insert([entry])

    def pull(self, site_ids: Sequence[str] = (), region_ids: Sequence[str] = ()) -> None:
        """Read the current values of these records from the shared catalogue and take
        them in (what a change notification names). Raises ``ConnectionLost``."""
        if self.database is None:
            return
        sites, regions = self.database.fetch(site_ids, region_ids)
        self.apply_remote(sites, regions)

    def reconnect(self) -> None:
        """Connect again to the shared catalogue after the server went away (then call
        :meth:`catch_up`). Raises ``ConnectionLost`` while it cannot be reached."""
        if self.database is not None:
            self.database.connect()

    def catch_up(self) -> tuple[int, int]:
        """Read the whole shared catalogue again and take in what differs from here (what
        others changed while this client was not listening), not undoable.

        A read-only session keeps the regions it drew (they were never in the
        database): it takes in regions added or changed there, and drops none.

        Returns
        -------
        (int, int)
            How many sites and regions changed here.

        Raises
        ------
        ConnectionLost
        """
        db = self.database
        if db is None:
            return 0, 0
        loaded = db.load()
        remote_sites = {s.id: s for s in loaded.project.sites}
        sites: dict[str, Site | None] = {}
        for site in self.sites:
            if remote_sites.get(site.id) != site:
                sites[site.id] = remote_sites.get(site.id)
        for sid, site in remote_sites.items():
            if sid not in self.sites:
                sites[sid] = site
        remote_regions = {}
        for n, feature in enumerate(loaded.project.regions):
            entry = RegionEntry.from_feature(feature, index=n)
            remote_regions[entry.id] = entry
        regions: dict[str, RegionEntry | None] = {}
        for entry in self.regions:
            there = remote_regions.get(entry.id)
            if there != entry and (there is not None or not db.read_only):
                regions[entry.id] = there
        for rid, entry in remote_regions.items():
            if rid not in self.regions:
                regions[rid] = entry
        self.apply_remote(sites, regions)
        if loaded.problems:
            self.notice.emit(
                f"{len(loaded.problems)} record(s) in the catalogue fail validation and were "
                f"not taken in: {loaded.problems[0]}"
            )
        return len(sites), len(regions)

    # ================================================================== history
    def site_history(self, sid: str) -> list[ChangeRecord]:
        """Every recorded change of site ``sid``, oldest first: the shared catalogue's
        history in team mode; on a file, those the project recorded before it was opened,
        then this session's own.

        Raises
        ------
        ConnectionLost
            Team mode, and the server cannot be reached.
        """
        if self.database is not None:
            return self.database.history(sid)
        return [
            r
            for r in (*self.file_history, *self.change_log)
            if r.entity == "site" and r.entity_id == sid
        ]

    def restore_site(self, value: Mapping[str, Any]) -> bool:
        """Make a site hold a version recorded in its history (a :class:`ChangeRecord`'s
        ``after``), as a new undoable change through :meth:`edit_site`; its time stamp is
        now. Returns False when that is what the site holds already (or refused).

        Raises
        ------
        ValidationError
            The recorded value is not valid against this session's chip catalogue.
        KeyError
            The site is not in the store (deleted).
        """
        props = dict(value)
        lon, lat = props.pop("lon", None), props.pop("lat", None)
        props.pop("chips", None)  # derived from the lines
        props["updated_at"] = now_iso()
        new = self.sites.parse(props, lon, lat, where=str(props.get("id", "")))
        return self.edit_site(self.sites.get(new.id), new)

    # ================================================================== the date
    @property
    def as_of(self) -> date | None:
        """The date totals count up to (None: every line not cancelled, today's rules)."""
        return self.live_totals.as_of

    def set_as_of(self, as_of: date | None) -> None:
        """Count up to ``as_of``: lines online by then, export rules in force then."""
        if as_of == self.live_totals.as_of:
            return
        self.live_totals.set_as_of(as_of)
        self.as_of_changed.emit(as_of)

    def online_dates(self) -> list[date]:
        """The days on which what the data counts changes, in order: the online dates
        of the lines that count (not cancelled, not superseded), as the campus rule
        turns them into steps. Empty when no such line is dated."""
        return [date.fromordinal(d) for d in self.live_totals.ledger.dated_days() if d != NEVER]

    def date_stops(self) -> list[date]:
        """The dates worth stopping at to see the data over time, in order.

        The online dates (:meth:`online_dates`), the quarter ends from the first one's
        quarter to the last one's, and the days the export rules changed in that span.
        Empty when no line that counts is dated.
        """
        online = self.online_dates()
        if not online:
            return []
        quarters = step_dates(online[0], online[-1], "quarter")
        first, last = online[0], max(online[-1], quarters[-1])
        rules = [d for d in self.catalogue.rules.change_days() if first <= d <= last]
        return sorted({*online, *quarters, *rules})

    # ================================================================== modes
    @property
    def mode(self) -> str:
        """The map mode (see :data:`MODES`)."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Switch the map mode; placing a site and each drawing tool exclude each other."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode == self._mode:
            return
        self._mode = mode
        self.mode_changed.emit(mode)

    @property
    def color_mode(self) -> str:
        """What marker colours mean: ``export`` (export-control status) or ``model``."""
        return self._color_mode

    def set_color_mode(self, mode: str) -> None:
        if mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, got {mode!r}")
        if mode == self._color_mode:
            return
        self._color_mode = mode
        self.color_mode_changed.emit(mode)

    # ================================================================== provinces, boundary layers
    @property
    def admin_areas(self) -> AdminAreas | None:
        """The bundled province boundaries (read on first use), or None if unavailable."""
        if isinstance(self._admin, _Unloaded):
            from explorer.geo.admin import load_bundled_provinces

            self._admin = load_bundled_provinces()
        return self._admin

    def province_at(self, lon: float, lat: float) -> str | None:
        """The province at a point, or None (outside them all, or no boundaries)."""
        areas = self.admin_areas
        return areas.province_at(lon, lat) if areas is not None else None

    @property
    def boundary_layer(self) -> BoundaryLayer | None:
        """The loaded boundary layer, or None (picking and area totals use provinces)."""
        return self._boundary

    def add_boundary_check(self, check: BoundaryCheck) -> Callable[[], None]:
        """Let a view refuse a layer it cannot show: ``check(layer)`` raises ``ValueError``
        with the reason. Returns a function that removes the check."""
        self._boundary_checks.append(check)

        def remove() -> None:
            if check in self._boundary_checks:
                self._boundary_checks.remove(check)

        return remove

    def set_boundary_layer(self, layer: BoundaryLayer | None) -> None:
        """Use ``layer`` for the map overlay, picking and totals by area (None: provinces).

        Raises
        ------
        ValueError
            A view cannot show the layer (e.g. too large for the map); nothing changes.
        """
        if layer is self._boundary:
            return
        if layer is not None:
            for check in list(self._boundary_checks):
                check(layer)
        self._boundary = layer
        self.boundary_changed.emit(layer)

    # ================================================================== highlighting
    @property
    def highlighted_site_ids(self) -> tuple[str, ...]:
        """The sites inside the selected region (highlighted on the map)."""
        return self._highlight

    def _update_highlight(self) -> None:
        rid = self.region_selection.current
        ids = self.live_totals.site_ids(rid) if rid is not None and rid in self.regions else ()
        ids = tuple(ids)
        if ids != self._highlight:
            self._highlight = ids
            self.highlight_changed.emit(ids)

    def _on_region_selection_changed(self, _rid: str | None) -> None:
        self._update_highlight()

    def _on_totals_updated(self, rids: list[str]) -> None:
        if self.region_selection.current in rids:
            self._update_highlight()

    def _on_regions_removed(self, entries: list[RegionEntry]) -> None:
        # Never leave the region selection pointing at a region that is gone.
        if self.region_selection.current in {e.id for e in entries}:
            self.region_selection.clear()

    # ================================================================== site commands
    def place_site(self, lon: float, lat: float) -> Site:
        """Add a new site at a map click (undoable), select it, and leave place mode.

        Returns the site built (not in the store when the change was refused)."""
        site = Site(
            id=self.sites.new_id("site"),
            name="New site",
            lon=round(lon, 5),
            lat=round(lat, 5),
            province=self.province_at(lon, lat) or "",
            status="planned",
            confidence="low",
            updated_at=now_iso(),
        )
        self.set_mode("browse")
        if self._push(AddSites(self.sites, [site], text=f"Add {site.name}")):
            self.selection.set(site.id)
        return site

    def move_site(self, sid: str, lon: float, lat: float) -> bool:
        """Move a site (a marker dragged on the map); the province follows the location
        when the boundaries know it. Returns False for an unknown site or a refused change."""
        if sid not in self.sites:
            return False
        old = self.sites.get(sid)
        known = self.admin_areas is not None
        province = (self.province_at(lon, lat) or "") if known else old.province
        new = old.with_changes(lon=round(lon, 5), lat=round(lat, 5), province=province)
        return self._push(EditSite(self.sites, old, new, text=f"Move {old.name}"))

    def edit_site(self, old: Site, new: Site) -> bool:
        """Replace a site's value (an edit in the site panel), as one undoable step.

        When the edit moves the site and the boundaries know the new place, the province
        follows in the same step. Returns False when nothing would change (or the change
        was refused and handed to :attr:`refusal_handler`).

        Raises
        ------
        ValidationError
            The new value is invalid (the store's one check); nothing changes.
        KeyError
            The site is no longer in the store.
        """
        if (new.lon, new.lat) != (old.lon, old.lat):
            province = self.province_at(new.lon, new.lat)
            if province:
                new = replace(new, province=province)
        if replace(new, updated_at=old.updated_at) == old:
            return False
        changed = [f for f in EDITABLE_FIELDS if getattr(old, f) != getattr(new, f)]
        name = old.name if len(old.name) <= _UNDO_NAME else old.name[: _UNDO_NAME - 1] + "…"
        text = f"Edit {', '.join(changed)} of '{name}'"
        return self._push(EditSite(self.sites, old, new, text=text))

    def delete_sites(self, ids: Sequence[str]) -> int:
        """Delete sites in one undoable step; returns how many (0: none, or refused)."""
        ids = [sid for sid in dict.fromkeys(ids) if sid in self.sites]
        if not ids:
            return 0
        if self.selection.current in ids:
            self.selection.clear()
        text = (
            f"Delete {self.sites.get(ids[0]).name}" if len(ids) == 1 else f"Delete {len(ids)} sites"
        )
        return len(ids) if self._push(DeleteSites(self.sites, ids, text=text)) else 0

    # ================================================================== region commands
    def add_region(self, entry: RegionEntry, *, text: str | None = None) -> RegionEntry:
        """Add one region (drawn or picked) as an undoable step and select it (not when the
        change was refused)."""
        if self._push(AddRegions(self.regions, [entry], text=text or f"Add {entry.name}")):
            self.region_selection.set(entry.id)
        return entry

    def add_regions(
        self,
        regions: Sequence[Region],
        *,
        named: Sequence[bool] | None = None,
        text: str | None = None,
    ) -> list[RegionEntry]:
        """Add regions (imported, or areas of a layer) in one undoable step.

        Each gets a fresh id; a region its source left unnamed (``named[i]`` False) gets
        a kind-aware name (``Polygon 3``, ``Circle 1``).
        """
        entries = new_region_entries(self.regions, regions, named=named)
        if not entries:
            return []
        n = len(entries)
        added = self._push(
            AddRegions(
                self.regions, entries, text=text or ("Add region" if n == 1 else f"Add {n} regions")
            )
        )
        return entries if added else []

    def import_regions(self, path: str | os.PathLike[str]) -> list[RegionEntry]:
        """Add the regions of a GeoJSON file (read once) in one undoable step.

        Raises
        ------
        DataFileError
            The file cannot be read as regions; nothing changes.
        """
        from explorer.io.region_files import read_region_file

        found = read_region_file(path)
        n = len(found.regions)
        return self.add_regions(
            found.regions,
            named=found.named,
            text="Import region" if n == 1 else f"Import {n} regions",
        )

    def new_drawn_entry(self, kind: str) -> tuple[str, str]:
        """The id and default name a region drawn as ``kind`` will get."""
        return self.regions.new_id(), self.regions.new_name(kind)

    def edit_region(self, old: RegionEntry, new: RegionEntry, *, text: str | None = None) -> bool:
        """Replace a region's shape (handles dragged on the map); False if unchanged or gone."""
        if old.id not in self.regions or new == self.regions.get(old.id):
            return False
        return self._push(EditRegion(self.regions, old, new, text=text or f"Edit {old.name}"))

    def rename_region(self, rid: str, name: str) -> bool:
        """Rename a region (surrounding spaces dropped); False when nothing changes.

        Raises
        ------
        ValueError
            An empty or too long name; nothing changes.
        """
        if rid not in self.regions:
            return False
        entry = self.regions.get(rid)
        name = name.strip()
        if not name:
            raise ValueError(f"A region needs a name; '{entry.name}' was kept.")
        if name == entry.name:
            return False
        return self.edit_region(entry, entry.renamed(name), text="Rename region")

    def delete_regions(self, rids: Sequence[str]) -> int:
        """Delete regions in one undoable step; returns how many (0: none, or refused)."""
        rids = [rid for rid in dict.fromkeys(rids) if rid in self.regions]
        if not rids:
            return 0
        text = "Delete region" if len(rids) == 1 else f"Delete {len(rids)} regions"
        return len(rids) if self._push(DeleteRegions(self.regions, rids, text=text)) else 0

    def pick_area(self, lon: float, lat: float) -> RegionEntry | None:
        """Add the area under a click in pick mode: an area of the boundary layer when one
        is loaded, else the province. None (with a notice) when nothing is there."""
        layer = self._boundary
        if layer is not None:
            area = layer.area_at(lon, lat)
            if area is None:
                self.notice.emit(f"No area of {layer.name} there: pick inside one of its outlines")
                return None
            region: Region = area
        else:
            name = self.province_at(lon, lat)
            areas = self.admin_areas
            if not name or areas is None:
                self.notice.emit("No province there: pick inside a province outline")
                return None
            region = areas.region(name)
        entry = RegionEntry(id=self.regions.new_id(), region=region)
        self.add_region(entry, text=f"Add {region.name}")
        return entry if entry.id in self.regions else None


def new_region_entries(
    store: RegionStore,
    regions: Sequence[Region],
    *,
    named: Sequence[bool] | None = None,
    drawn: Sequence[tuple[tuple[float, float], ...]] | None = None,
) -> list[RegionEntry]:
    """Entries for regions about to be added: fresh ids, kind-aware default names.

    Parameters
    ----------
    store : RegionStore
        Where they will go (ids and default names must not clash with it).
    regions : sequence of Region
    named : sequence of bool, optional
        False where the region has no name of its own; it is then renamed
        ``Polygon N`` / ``Rectangle N`` / ``Circle N`` with the first N free in the store
        (:meth:`RegionStore.new_name`) and in this batch. Default: all named.
    drawn : sequence, optional
        Drawn vertices per region (see :class:`RegionEntry`).
    """
    if named is not None and len(named) != len(regions):
        raise ValueError(f"named has {len(named)} values for {len(regions)} regions")
    if drawn is not None and len(drawn) != len(regions):
        raise ValueError(f"drawn has {len(drawn)} values for {len(regions)} regions")
    taken_ids = set(store.ids())
    taken_names = {e.name for e in store}
    out: list[RegionEntry] = []
    n = 1
    for i, region in enumerate(regions):
        while f"r{n}" in taken_ids:
            n += 1
        rid = f"r{n}"
        taken_ids.add(rid)
        entry = RegionEntry(rid, region, drawn[i] if drawn is not None else ())
        if named is not None and not named[i]:
            base = store.new_name(entry.kind)  # the store's own rule for the first free name
            prefix, _, num = base.rpartition(" ")
            k = int(num)
            while f"{prefix} {k}" in taken_names:
                k += 1
            entry = entry.renamed(f"{prefix} {k}")
        taken_names.add(entry.name)
        out.append(entry)
    return out


__all__ = [
    "COLOR_MODES",
    "DRAW_TOOLS",
    "MODES",
    "ReadFile",
    "Session",
    "new_region_entries",
]
