"""One door for opening what an analyst points the application at.

The window, the CLI, the snapshot and the report all open files here, so "a ``.gpkg``
with a project table is a project (sites, regions, metadata); any other ``.gpkg`` is
read from its point layer; a ``.geojson``/``.json``/``.csv``/``.parquet`` is a sites
file" is decided once and each file is read once.

What is read is kept as columns (:class:`~explorer.io.site_columns.SiteColumns`);
:class:`~explorer.core.schema.Site` values are built only when something asks for
:attr:`OpenedFile.project` (the window's store does; ``explorer totals`` does not).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.io.atomic import remove_stale_saves
from explorer.io.bulk import paused_gc
from explorer.io.formats import file_kind, read_site_columns
from explorer.io.progress import Progress, report
from explorer.io.project_value import Project
from explorer.io.site_columns import SiteColumns

#: Sites built between two progress reports.
_BUILD_STEP = 20_000


@dataclass(frozen=True)
class OpenedFile:
    """What :func:`open_file` read.

    Attributes
    ----------
    path : Path
        The file as given.
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
    """

    path: Path
    columns: SiteColumns
    metadata: dict[str, Any]
    regions: list[dict[str, Any]]
    is_project: bool
    problems: list[Problem] = field(default_factory=list)
    layer: str | None = None

    @cached_property
    def project(self) -> Project:
        """Sites, metadata and regions as a project value (the sites built on first use)."""
        return Project(sites=self.columns.sites(), metadata=self.metadata, regions=self.regions)

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
        project = Project(sites=sites, metadata=self.metadata, regions=self.regions)
        # What cached_property would store: later reads of .project get these sites.
        self.__dict__["project"] = project
        return project

    @property
    def display_name(self) -> str:
        """The file's name, and the layer read when it was one of several."""
        return self.path.name if self.layer is None else f"{self.path.name} ({self.layer})"


def open_file(
    path: str | os.PathLike[str],
    *,
    catalogue: ChipCatalogue,
    strict: bool = True,
    layer: str | None = None,
    progress: Progress | None = None,
) -> OpenedFile:
    """Read a project or sites file, once.

    Parameters
    ----------
    path : path-like
        ``.gpkg`` project or point layer, or a ``.geojson``/``.json``/``.csv``/
        ``.parquet`` sites file.
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

    Raises
    ------
    DataFileError
        Unsupported, missing, unreadable or malformed file (one line naming it);
        :class:`~explorer.io.point_layers.LayerChoiceNeeded` when a GeoPackage has
        several point layers and ``layer`` is None.
    ValidationError
        ``strict`` and at least one record is invalid.
    """
    p = Path(path)
    file_kind(p)  # an unsupported file is refused before anything is touched
    # What killed saves of this file left beside it (never a live save's files).
    remove_stale_saves(p)
    with paused_gc():
        opened = _open(p, catalogue, layer, progress)
    if strict and opened.problems:
        raise ValidationError(opened.problems)
    return opened


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


__all__ = ["OpenedFile", "open_file"]
