"""A GeoPackage, whatever it holds: a project (sites, regions, metadata) when it has the
project table, otherwise the point layer to read as sites (see
:mod:`explorer.io.point_layers`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem
from explorer.io.column_check import check_sites
from explorer.io.gdal_messages import gdal_warnings_logged
from explorer.io.point_layers import choose_point_layer, read_point_layer_raw
from explorer.io.progress import Progress, scaled
from explorer.io.project import PROJECT_TABLE, list_layers, read_project_columns
from explorer.io.site_columns import SiteColumns


@dataclass
class GeoPackageRead:
    """What :func:`read_geopackage` read.

    Attributes
    ----------
    columns : SiteColumns
    metadata : dict
    regions : list of dict
    is_project : bool
    problems : list of Problem
    layer : str or None
        The point layer read, when the file has several or one was named.
    """

    columns: SiteColumns
    metadata: dict[str, Any]
    regions: list[dict[str, Any]]
    is_project: bool
    problems: list[Problem] = field(default_factory=list)
    layer: str | None = None


@gdal_warnings_logged
def read_geopackage(
    path: str | os.PathLike[str],
    catalogue: ChipCatalogue,
    *,
    layer: str | None = None,
    progress: Progress | None = None,
) -> GeoPackageRead:
    """Read a project, or a point layer as sites (``layer``, or the only one).

    Raises
    ------
    DataFileError
        Not a readable GeoPackage, no such layer, no point layer; ``LayerChoiceNeeded``
        when several point layers and no ``layer``.
    """
    infos = list_layers(path)
    names = {i.name for i in infos}
    if PROJECT_TABLE in names and layer is None:
        columns, metadata, regions, problems = read_project_columns(
            path, catalogue=catalogue, progress=progress, layers=names
        )
        return GeoPackageRead(columns, metadata, regions, True, list(problems))
    chosen = choose_point_layer(path, infos, layer)
    raw = read_point_layer_raw(path, chosen, scaled(progress, 0.0, 0.5))
    columns, problems = check_sites(raw, catalogue, scaled(progress, 0.5, 1.0))
    shown = chosen if sum(i.is_points for i in infos) > 1 or layer is not None else None
    return GeoPackageRead(columns, {}, [], False, list(problems), layer=shown)


__all__ = ["GeoPackageRead", "read_geopackage"]
