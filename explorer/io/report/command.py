"""CLI glue kept for one step of the split: ``explorer report`` still calls it. Going away."""

from __future__ import annotations

import os
from pathlib import Path

from explorer.core.errors import DataFileError, ValidationError
from explorer.geo.regions import Region
from explorer.io.report.document import ReportInfo, build_report


def report_command(
    sites_path: str | os.PathLike[str],
    regions_path: str | os.PathLike[str] | None,
    out_path: str | os.PathLike[str],
    title: str | None = None,
    map_png: str | os.PathLike[str] | bytes | None = None,
) -> ReportInfo:
    """Read a sites file and a regions file and write the PDF report (for the CLI).

    Parameters
    ----------
    sites_path : path-like
        ``.geojson``, ``.json``, ``.csv`` or ``.gpkg`` project.
    regions_path : path-like or None
        GeoJSON regions (as ``explorer totals --regions`` reads). ``None`` uses the
        regions saved in a ``.gpkg`` project, or covers all sites when there are none.
    out_path : path-like
        The PDF to write (atomically).
    title : str, optional
        Default: ``"Region report"`` followed by the data set's title when it has one.
    map_png : path-like or bytes, optional
        A map snapshot image file (or its bytes).

    Returns
    -------
    ReportInfo

    Raises
    ------
    DataFileError
        One line naming the bad input: unreadable or invalid sites, regions or map
        file, or an output folder that does not exist.
    """
    from explorer.geo.regions import region_from_feature
    from explorer.io.formats import read_sites
    from explorer.io.region_files import load_regions

    try:
        site_file = read_sites(sites_path)
    except ValidationError as exc:
        n = len(exc.problems)
        raise DataFileError(
            f"{sites_path}: {n} invalid record{'s' if n != 1 else ''}; first: {exc.problems[0]}"
        ) from None
    regions: list[Region]
    if regions_path is not None:
        regions = load_regions(regions_path)
    elif Path(sites_path).suffix.lower() == ".gpkg":
        from explorer.io.project import load_project

        feats = load_project(sites_path).regions
        try:
            regions = [region_from_feature(f, i) for i, f in enumerate(feats)]
        except ValueError as exc:
            raise DataFileError(f"{sites_path}: regions: {exc}") from None
    else:
        regions = []
    png: bytes | None
    if map_png is None or isinstance(map_png, bytes):
        png = map_png
    else:
        try:
            png = Path(map_png).read_bytes()
        except OSError as exc:
            raise DataFileError(
                f"{map_png}: cannot read map image ({exc.strerror or exc})"
            ) from None
    out = Path(out_path)
    if not out.parent.is_dir():
        raise DataFileError(f"{out_path}: output folder '{out.parent}' does not exist")
    meta = site_file.metadata
    if title is None:
        data_title = meta.get("title")
        title = (
            f"Region report: {data_title}"
            if isinstance(data_title, str) and data_title.strip()
            else "Region report"
        )
    try:
        return build_report(
            out, sites=site_file.sites, regions=regions, map_png=png, title=title, metadata=meta
        )
    except ValueError as exc:
        if isinstance(exc, DataFileError):
            raise
        where = (
            map_png
            if isinstance(map_png, str | os.PathLike) and "map_png" in str(exc)
            else sites_path
        )
        raise DataFileError(f"{where}: {exc}") from None


__all__ = ["report_command"]
