"""One door for opening what an analyst points the application at.

The window, the CLI, the snapshot and the report all open files here, so "a ``.gpkg``
with a project table is a project (sites, regions, metadata, history); any other
``.gpkg`` is read from its point layer; a ``.geojson``/``.json``/``.csv``/``.parquet``
is a sites file; ``postgresql://...`` is a shared catalogue" is decided once and each
file is read once. Messages name a database by its URL without the password.

What is read is kept as columns (:class:`~explorer.io.site_columns.SiteColumns`);
:class:`~explorer.core.schema.Site` values are built only when something asks for
:attr:`OpenedFile.project`; a session's store takes the columns
(:meth:`OpenedFile.sites_source`) and builds only the sites asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem, ValidationError
from explorer.core.schema import Site
from explorer.io.atomic import remove_stale_saves
from explorer.io.bulk import paused_gc
from explorer.io.changelog import ChangeRecord
from explorer.io.database.url import display_url, is_database_url, redact
from explorer.io.formats import file_kind, read_site_columns
from explorer.io.progress import Progress, report
from explorer.io.project_value import Project
from explorer.io.site_columns import SiteColumns

if TYPE_CHECKING:
    from explorer.io.database.catalogue import DatabaseCatalogue

#: Sites built between two progress reports.
_BUILD_STEP = 20_000


@dataclass(frozen=True)
class OpenedFile:
    """What :func:`open_file` read.

    Attributes
    ----------
    path : Path or None
        The file as given (None for a database).
    columns : SiteColumns
        The valid sites, as columns.
    metadata : dict
    regions : list of dict
        A project's regions (GeoJSON features); none for a sites file.
    is_project : bool
        True for a project file: saving may write back to :attr:`path`. A sites file is
        never overwritten by a save (the user is asked where the project goes).
    problems : list of Problem
        Records left out (only with ``strict=False``).
    layer : str or None
        The GeoPackage point layer read as sites (None for a project or another format).
    history : list of ChangeRecord
        The recorded changes, oldest first, when asked for (``open_file(...,
        history=True)``); a sites file has none.
    url : str or None
        The database's URL, for a shared catalogue (None for a file).
    """

    path: Path | None
    columns: SiteColumns
    metadata: dict[str, Any]
    regions: list[dict[str, Any]]
    is_project: bool
    problems: list[Problem] = field(default_factory=list)
    layer: str | None = None
    history: list[ChangeRecord] = field(default_factory=list)
    url: str | None = None

    @cached_property
    def project(self) -> Project:
        """Sites, metadata, regions and history as a project value (the sites built on
        first use)."""
        return Project(
            sites=self.columns.sites(),
            metadata=self.metadata,
            regions=self.regions,
            history=list(self.history),
        )

    def sites_source(self) -> list[Site] | SiteColumns:
        """The sites as a store should take them: the built ones when
        :attr:`project` was built already (a database's), else the columns, unbuilt."""
        if "project" in self.__dict__:
            return self.project.sites
        return self.columns

    def build_project(self, progress: Progress | None = None) -> Project:
        """:attr:`project`, its sites built now with progress reported (and cancellable)."""
        if "project" in self.__dict__:
            return self.project
        n = len(self.columns)
        sites = []
        with paused_gc():
            for i, site in enumerate(self.columns.iter_sites()):
                if i % _BUILD_STEP == 0:
                    report(progress, i / max(n, 1), f"building {n:,} sites")
                sites.append(site)
        report(progress, 1.0, f"built {n:,} sites")
        project = Project(
            sites=sites, metadata=self.metadata, regions=self.regions, history=list(self.history)
        )
        # What cached_property would store: later reads of .project get these sites.
        self.__dict__["project"] = project
        return project

    @property
    def display_name(self) -> str:
        """The file's name, and the layer read when it was one of several; a database's
        URL without its password."""
        if self.url is not None:
            return display_url(self.url)
        name = self.path.name if self.path is not None else ""
        return name if self.layer is None else f"{name} ({self.layer})"


def is_database(source: object) -> bool:
    """True when ``source`` names a shared catalogue (``postgresql://...``), not a file."""
    return is_database_url(source)


def shown_name(source: str | os.PathLike[str]) -> str:
    """``source`` as messages and titles name it: a file as given, a database URL without
    its password."""
    return display_url(str(source)) if is_database_url(source) else str(source)


@contextmanager
def _redacted(url: str) -> Iterator[None]:
    """Any error raised inside names the database without its password."""
    try:
        yield
    except DataFileError as exc:
        # The catalogue names itself without the password already; this also covers
        # whatever a driver's message might quote.
        exc.args = (redact(str(exc), url),)
        raise


def open_database(url: str, *, catalogue: ChipCatalogue) -> DatabaseCatalogue:
    """Connect to a shared catalogue without reading it (the caller closes it): for
    totals computed in the database, its history, its past and copies into it.

    Raises
    ------
    DataFileError
        ``url`` is not a database URL, the server cannot be reached or the schema cannot
        be brought up to date (one line, without the password).
    """
    if not is_database_url(url):
        raise DataFileError(f"a database URL (postgresql://...) is needed, got '{url}'")
    from explorer.io.database.catalogue import DatabaseCatalogue

    with _redacted(url):
        return DatabaseCatalogue(url, catalogue=catalogue)


def open_file(
    path: str | os.PathLike[str],
    *,
    catalogue: ChipCatalogue,
    strict: bool = True,
    layer: str | None = None,
    progress: Progress | None = None,
    history: bool = False,
) -> OpenedFile:
    """Read a project or sites file, or a shared catalogue, once.

    Parameters
    ----------
    path : path-like or str
        ``.gpkg`` project or point layer, or a ``.geojson``/``.json``/``.csv``/
        ``.parquet`` sites file, or a ``postgresql://`` URL (a shared catalogue, read in
        one snapshot; ``layer`` does not apply).
    catalogue : ChipCatalogue
        The chip models hardware lines may name.
    strict : bool, default True
        Raise :class:`ValidationError` listing every invalid record; with ``False`` the
        valid records are kept and the problems returned.
    layer : str, optional
        The GeoPackage point layer to read as sites (needed when a file that is not a
        project has several).
    progress : Progress, optional
        Told how far the read got; may raise
        :class:`~explorer.io.progress.LoadCancelled` to stop it (nothing is kept).
    history : bool, default False
        Read the recorded changes too (a project's ``history`` table, a database's
        history); rows of a project's table that cannot be read are problems.

    Raises
    ------
    DataFileError
        Unsupported, missing, unreadable or malformed file (one line naming it);
        :class:`~explorer.io.point_layers.LayerChoiceNeeded` when a GeoPackage has
        several point layers and ``layer`` is None; a database that cannot be reached
        (one line, without the password).
    ValidationError
        ``strict`` and at least one record is invalid.
    """
    if is_database_url(path):
        opened = _open_database(str(path), catalogue, layer, history)
        if strict and opened.problems:
            raise ValidationError(opened.problems)
        return opened
    p = Path(path)
    file_kind(p)  # an unsupported file is refused before anything is touched
    # What killed saves of this file left beside it (never a live save's files).
    remove_stale_saves(p)
    with paused_gc():
        opened = _open(p, catalogue, layer, progress)
        if history and opened.is_project:
            from explorer.io.project import read_history

            records, problems = read_history(p)
            opened = _with_history(opened, records, problems)
    if strict and opened.problems:
        raise ValidationError(opened.problems)
    return opened


def _with_history(
    opened: OpenedFile, records: list[ChangeRecord], problems: list[Problem]
) -> OpenedFile:
    from dataclasses import replace

    return replace(opened, history=records, problems=[*opened.problems, *problems])


def _open_database(
    url: str, catalogue: ChipCatalogue, layer: str | None, history: bool
) -> OpenedFile:
    if layer is not None:
        raise DataFileError(
            f"{display_url(url)}: only a GeoPackage has layers, got layer '{layer}'"
        )
    db = open_database(url, catalogue=catalogue)
    try:
        with _redacted(url), paused_gc():
            loaded = db.load()
            records = db.history() if history else []
    finally:
        db.close()
    project = loaded.project
    project.history = records
    opened = OpenedFile(
        None,
        SiteColumns.from_sites(project.sites),
        project.metadata,
        project.regions,
        False,
        list(loaded.problems),
        history=records,
        url=url,
    )
    # The sites are built already: later reads of .project get these.
    opened.__dict__["project"] = project
    return opened


def open_at(
    source: str | os.PathLike[str], when: datetime, *, catalogue: ChipCatalogue
) -> OpenedFile:
    """A catalogue as it was at ``when``: a database, or a project file with a history
    table, rebuilt from its recorded changes (see :mod:`explorer.io.rewind`).

    Parameters
    ----------
    source : path-like or str
    when : datetime.datetime
        An aware time.
    catalogue : ChipCatalogue

    Raises
    ------
    DataFileError
        As for :func:`open_file`; a sites file, which keeps no history.
    ValidationError
        A site (now, or as recorded) is invalid.
    """
    from explorer.io.rewind import changes_after, rewind

    if is_database_url(source):
        url = str(source)
        db = open_database(url, catalogue=catalogue)
        try:
            with _redacted(url), paused_gc():
                loaded = db.project_at(when)
        finally:
            db.close()
        project, problems = loaded.project, loaded.problems
        path, shown = None, url
    else:
        now = open_file(source, catalogue=catalogue, history=True)
        if not now.is_project:
            raise DataFileError(
                f"{source}: a sites file keeps no history; only a project (.gpkg) or a "
                "database can be taken back to a time"
            )
        try:
            undone = changes_after(now.history, when)
        except ValueError as exc:
            raise DataFileError(f"{source}: history: {exc}") from None
        project, problems = rewind(now.project, undone, catalogue)
        path, shown = now.path, None
    if problems:
        raise ValidationError(problems)
    opened = OpenedFile(
        path,
        SiteColumns.from_sites(project.sites),
        project.metadata,
        project.regions,
        path is not None,
        [],
        history=list(project.history),
        url=shown,
    )
    opened.__dict__["project"] = project
    return opened


def read_history(
    source: str | os.PathLike[str],
    *,
    catalogue: ChipCatalogue,
    entity_id: str | None = None,
    entity: str = "site",
) -> list[ChangeRecord]:
    """The recorded changes of a project file or a database, oldest first: of one record
    (``entity``/``entity_id``) or all. Only the history is read (a database is asked for
    that record's rows alone).

    Raises
    ------
    DataFileError
        As for :func:`open_file`; a sites file (it keeps no history); a row of a
        project's history table that cannot be read.
    """
    if is_database_url(source):
        url = str(source)
        db = open_database(url, catalogue=catalogue)
        try:
            with _redacted(url):
                return db.history(entity_id, entity=entity)
        finally:
            db.close()
    from explorer.io.project import PROJECT_TABLE, list_layers
    from explorer.io.project import read_history as read_table

    p = Path(source)
    kind = file_kind(p)
    names = {i.name for i in list_layers(p)} if kind == "gpkg" else set()
    if PROJECT_TABLE not in names:
        raise DataFileError(
            f"{source}: a sites file keeps no history; only a project (.gpkg) or a database does"
        )
    records, problems = read_table(p, layers=names)
    if problems:
        raise DataFileError(f"{source}: {problems[0]}")
    if entity_id is None:
        return records
    return [r for r in records if r.entity == entity and r.entity_id == entity_id]


def _open(
    p: Path, catalogue: ChipCatalogue, layer: str | None, progress: Progress | None
) -> OpenedFile:
    kind = file_kind(p)
    if kind == "gpkg":
        # Imported here: GDAL is loaded only once a GeoPackage is touched.
        from explorer.io.geopackage import read_geopackage

        read = read_geopackage(p, catalogue, layer=layer, progress=progress)
        opened = OpenedFile(
            p,
            read.columns,
            read.metadata,
            read.regions,
            read.is_project,
            read.problems,
            layer=read.layer,
        )
    else:
        if layer is not None:
            from explorer.core.errors import DataFileError

            raise DataFileError(f"{p}: only a GeoPackage has layers, got layer '{layer}'")
        site_file = read_site_columns(p, kind, catalogue, progress)
        opened = OpenedFile(
            p, site_file.columns, site_file.metadata, [], False, list(site_file.problems)
        )
    return opened


__all__ = [
    "OpenedFile",
    "is_database",
    "open_at",
    "open_database",
    "open_file",
    "read_history",
    "shown_name",
]
