"""One door for opening what an analyst points the application at.

The window, the CLI, the snapshot and the report all open files here, so "a ``.gpkg``
is a project (sites, regions, metadata); a ``.geojson``/``.json``/``.csv`` is a sites
file" is decided once (:func:`explorer.io.formats.file_kind`) and each file is read
once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.io.atomic import remove_stale_saves
from explorer.io.formats import file_kind, read_sites
from explorer.io.project_value import Project


@dataclass(frozen=True)
class OpenedFile:
    """What :func:`open_file` read.

    Attributes
    ----------
    path : Path
        The file as given.
    project : Project
        Its sites, metadata and (for a project file) regions.
    is_project : bool
        True for a project file: saving may write back to :attr:`path`. A sites file is
        never overwritten by a save (the user is asked where the project goes).
    problems : list of Problem
        Records left out (only with ``strict=False``).
    """

    path: Path
    project: Project
    is_project: bool
    problems: list[Problem] = field(default_factory=list)


def open_file(
    path: str | os.PathLike[str], *, catalogue: ChipCatalogue, strict: bool = True
) -> OpenedFile:
    """Read a project or sites file, once.

    Parameters
    ----------
    path : path-like
        ``.gpkg`` project, or a ``.geojson``/``.json``/``.csv`` sites file.
    catalogue : ChipCatalogue
        The chip models hardware lines may name.
    strict : bool, default True
        Raise :class:`ValidationError` listing every invalid record; with ``False`` the
        valid records are kept and the problems returned.

    Raises
    ------
    DataFileError
        Unsupported, missing, unreadable or malformed file (one line naming it).
    ValidationError
        ``strict`` and at least one record is invalid.
    """
    p = Path(path)
    kind = file_kind(p)
    # What killed saves of this file left beside it (never a live save's files).
    remove_stale_saves(p)
    if kind == "gpkg":
        # Imported here: the project reader pulls in GDAL, which a GeoJSON user never needs.
        from explorer.io.project import read_project

        project, problems = read_project(p, catalogue=catalogue)
        if strict and problems:
            raise ValidationError(problems)
        return OpenedFile(p, project, True, list(problems))
    site_file = read_sites(p, strict=strict, catalogue=catalogue)
    project = Project(sites=site_file.sites, metadata=site_file.metadata, regions=[])
    return OpenedFile(p, project, False, list(site_file.problems))


__all__ = ["OpenedFile", "open_file"]
