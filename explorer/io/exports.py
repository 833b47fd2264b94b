"""Exports: the sites inside a region, and regions as GeoJSON.

:func:`export_sites` writes the sites (optionally only those inside a region) in any
format :func:`explorer.io.formats.write_sites` knows, choosing by extension, and records
in the file's metadata which filter produced the subset. :func:`export_regions` writes
regions in the GeoJSON form ``explorer totals --regions`` reads back.

Membership uses the region's own test (:meth:`explorer.geo.regions.Region.mask`), the
one :func:`explorer.geo.totals.totals` uses, so an exported subset holds exactly the
sites the region's totals count (a site on the boundary is inside; circles are
geodesic).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.checks import list_of
from explorer.core.errors import DataFileError
from explorer.core.schema import Site, now_iso
from explorer.geo.regions import Region
from explorer.io.formats import file_kind, write_sites
from explorer.io.region_files import save_regions

#: Metadata key under which an export records the filter it applied.
FILTER_KEY = "export_filter"

#: Extensions :func:`export_regions` writes (GeoJSON only).
REGION_SUFFIXES = (".geojson", ".json")

#: Membership rule, recorded in the metadata so a reader knows what "inside" meant.
PREDICATE = (
    "covers: a site on the boundary is inside; polygons have straight edges in "
    "lon/lat; circles are geodesic on the WGS84 ellipsoid"
)


def sites_in_region(sites: Iterable[Site], region: Region) -> list[Site]:
    """The sites inside ``region``, in their given order.

    Parameters
    ----------
    sites : iterable of Site
    region : Region

    Returns
    -------
    list of Site
    """
    if not isinstance(region, Region):
        raise TypeError(f"region must be a Region, got {type(region).__name__}")
    sites = list_of(sites, Site, "sites")
    if not sites:
        return []
    lon = np.fromiter((s.lon for s in sites), dtype=np.float64, count=len(sites))
    lat = np.fromiter((s.lat for s in sites), dtype=np.float64, count=len(sites))
    mask = region.mask(lon, lat)
    return [s for s, inside in zip(sites, mask.tolist(), strict=True) if inside]


def export_sites(
    path: str | os.PathLike[str],
    sites: Iterable[Site],
    *,
    region: Region | None = None,
    metadata: Mapping[str, Any] | None = None,
    regions: Iterable[Region] = (),
    keep_tables_from: str | os.PathLike[str] | None = None,
    keep_formulas: bool = False,
) -> int:
    """Write ``sites`` (or only those inside ``region``) to ``path``, atomically.

    Parameters
    ----------
    path : path-like
        ``.geojson``/``.json``, ``.gpkg``, ``.parquet``/``.geoparquet`` or ``.csv``; the
        extension picks the format.
    sites : iterable of Site
    region : Region, optional
        Export only the sites inside it.
    metadata : mapping, optional
        File metadata to carry over (e.g. the source file's). With a region, the
        copy gains an ``export_filter`` entry (region name, kind, its GeoJSON
        feature, the membership rule, how many of how many sites were kept, when);
        a ``totals`` entry describing the unfiltered data is moved into
        ``export_filter.unfiltered_totals`` so it is not read as the subset's totals.
        CSV files have no place for metadata (see :mod:`explorer.io.formats`).
    regions : iterable of Region, optional
        GeoPackage only: regions the written project holds (the other formats hold
        sites only).
    keep_tables_from : path-like, optional
        GeoPackage only: the project whose other tables (added by other tools) the
        written file keeps (default: the file being replaced; see
        :func:`explorer.io.project.save_project`).
    keep_formulas : bool, default False
        CSV only: write cells a spreadsheet would run as formulas as they are, instead
        of neutralised with a leading quote (:mod:`explorer.io.csv_cells`).

    Returns
    -------
    int
        Number of sites written.

    Raises
    ------
    DataFileError
        Unsupported extension.
    TypeError
        A site is not a :class:`~explorer.core.schema.Site`, or ``region`` is not a
        :class:`~explorer.geo.regions.Region`.
    ValidationError, ValueError
        As for :func:`~explorer.io.formats.write_sites` (duplicate ids, NaN values,
        metadata that cannot be stored).
    """
    all_sites = list_of(sites, Site, "sites")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    meta: dict[str, Any] = dict(metadata or {})
    if region is None:
        chosen = all_sites
    else:
        chosen = sites_in_region(all_sites, region)
        # Through JSON once: plain lists instead of shapely's tuples, so the record
        # reads back equal from every format that stores metadata.
        feature = json.loads(json.dumps(region.to_feature(), allow_nan=False))
        record: dict[str, Any] = {
            "kind": "region",
            "region_name": region.name,
            "region_kind": feature["properties"].get("kind", "polygon"),
            "region": feature,
            "predicate": PREDICATE,
            "site_count": len(chosen),
            "unfiltered_site_count": len(all_sites),
            "exported_at": now_iso(),
        }
        if "totals" in meta:
            record["unfiltered_totals"] = meta.pop("totals")
        meta[FILTER_KEY] = record
    if file_kind(path) == "gpkg":
        from explorer.io.project import Project, save_project  # GDAL, only when needed

        features = [r.to_feature() for r in list_of(regions, Region, "regions")]
        project = Project(sites=chosen, metadata=meta, regions=features)
        save_project(path, project, keep_tables_from=keep_tables_from)
    else:
        write_sites(path, chosen, meta, keep_formulas=keep_formulas)
    return len(chosen)


def export_regions(path: str | os.PathLike[str], regions: Iterable[Region]) -> int:
    """Write ``regions`` as a GeoJSON FeatureCollection, atomically.

    The file is what ``explorer totals --regions`` and
    :func:`explorer.io.region_files.load_regions` read: polygons and rectangles as
    Polygon/MultiPolygon features, circles as Point features with ``radius_m``.

    Parameters
    ----------
    path : path-like
        A ``.geojson`` or ``.json`` file.
    regions : iterable of Region
        At least one (a file with no regions could not be read back).

    Returns
    -------
    int
        Number of regions written.

    Raises
    ------
    DataFileError
        The extension is not ``.geojson``/``.json``.
    TypeError
        An item is not a :class:`~explorer.geo.regions.Region`.
    ValueError
        No regions.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in REGION_SUFFIXES:
        shown = suffix or "no extension"
        raise DataFileError(
            f"{path}: regions are exported as GeoJSON, got '{shown}' "
            f"(expected {', '.join(REGION_SUFFIXES)})"
        )
    regions = list_of(regions, Region, "regions")
    if not regions:
        raise ValueError("no regions to export (a regions file needs at least one)")
    save_regions(path, regions)
    return len(regions)


__all__ = ["FILTER_KEY", "PREDICATE", "export_regions", "export_sites", "sites_in_region"]
