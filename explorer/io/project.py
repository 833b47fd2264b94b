"""The project file: a real GeoPackage written and read through GDAL (pyogrio).

Layout (all written by GDAL, so QGIS and ogr2ogr read it as they would any GPKG):

``sites``
    Point layer, EPSG:4326: id, name, operator, tenant, province, prefecture,
    status, part_of, supersedes, chips (the flat total, for GIS users), power_mw,
    confidence, notes, updated_at. Feature order is site order.
``hardware``
    Attribute table: site_id, line_no, chip_model, chips, servers,
    gpus_per_server, phase, status, online, chips_low, chips_high (projects written
    before the last four existed read them as their defaults).
``sources``
    Attribute table: site_id, source_no, title, url, date, quote.
``project``
    Attribute table of key / value, the value as JSON text: the metadata plus
    the marker ``format = "compute-site-explorer"`` and ``format_version``.
``regions`` (only when there are regions)
    Geometry layer (Polygon, MultiPolygon, or Point with ``radius_m``): name,
    kind, radius_m, and ``extra`` (JSON text of any other feature properties; its
    ``name``/``kind``/``radius_m``, if someone wrote them there, are ignored).
``history`` (only when changes were recorded)
    Attribute table of the recorded changes, oldest first, with the columns of a shared
    catalogue's history (see :mod:`explorer.io.project_history`). Projects without it
    read as having no recorded changes.

Any other table in the file (a layer added in QGIS, its styles) is the user's: a save
keeps it (:mod:`explorer.io.project_tables`).

Regions are exchanged as plain GeoJSON feature dicts so that ``io`` does not
depend on ``geo``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyogrio
import pyogrio.raw
import shapely
import shapely.geometry

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem, ValidationError
from explorer.core.schema import LINE_FIELDS, Site
from explorer.io.atomic import atomic_target
from explorer.io.changelog import ChangeRecord
from explorer.io.column_check import ChildRows, check_sites
from explorer.io.gdal_messages import gdal_warnings_logged
from explorer.io.json_text import JsonTextError, decode_json
from explorer.io.point_layers import LayerInfo, raw_from_table, read_arrow_layer
from explorer.io.progress import Progress, report, scaled
from explorer.io.project_history import HISTORY_COLUMNS, HISTORY_TABLE, history_values
from explorer.io.project_history import records_from_rows as _history_records
from explorer.io.project_tables import carry_foreign_tables
from explorer.io.project_value import Project
from explorer.io.records import refuse_unwritable
from explorer.io.site_columns import SiteColumns

FORMAT = "compute-site-explorer"
FORMAT_VERSION = 1
CRS = "EPSG:4326"
SITES_LAYER = "sites"
HARDWARE_TABLE = "hardware"
SOURCES_TABLE = "sources"
PROJECT_TABLE = "project"
REGIONS_LAYER = "regions"

#: The application's tables; any other table in a project file is the user's and is kept.
OWN_TABLES = (
    SITES_LAYER,
    HARDWARE_TABLE,
    SOURCES_TABLE,
    PROJECT_TABLE,
    REGIONS_LAYER,
    HISTORY_TABLE,
)
#: The ``project`` table row that makes a GeoPackage one of our projects.
_MARKER = ("format", json.dumps(FORMAT))

#: Keys of the ``project`` table that belong to the file format, not the metadata.
RESERVED_KEYS = ("format", "format_version")
REGION_GEOMETRY_TYPES = ("Polygon", "MultiPolygon", "Point")
#: Region properties stored in columns of their own (never taken from ``extra``).
_REGION_COLUMNS = frozenset({"name", "kind", "radius_m"})

_SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite header bytes 68-71 hold the application id; GeoPackage sets "GPKG"
# (1.2+) or "GP10"/"GP11" (older versions).
_GPKG_APP_IDS = (b"GPKG", b"GP10", b"GP11")
#: Columns of the hardware table read back (older projects lack the last four: a missing
#: column reads as the field's default).
HARDWARE_FIELDS = LINE_FIELDS

_SITE_TEXT_COLUMNS = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "part_of",
    "supersedes",
)


# --------------------------------------------------------------------------- saving


Columns = dict[str, tuple[np.ndarray, np.ndarray | None]]


@gdal_warnings_logged
def save_project(
    path: str | os.PathLike[str],
    project: Project,
    *,
    keep_tables_from: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Write ``project`` to a GeoPackage at ``path``, atomically.

    Everything is checked before anything is written; the file is then built
    under a temporary name in the same folder and moved over ``path`` only when
    complete. On any failure the previous file is untouched and the temporary
    file is removed.

    Tables the application does not know (a layer added in QGIS, its styles...) are
    carried over from the project file being replaced, or from ``keep_tables_from``
    (see :mod:`explorer.io.project_tables`).

    Parameters
    ----------
    path : path-like
        Target ``.gpkg`` file.
    project : Project
        What to save.
    keep_tables_from : path-like, optional
        The project file whose other tables the saved file keeps (default: ``path``
        itself; give the opened file when saving it under a new name).

    Returns
    -------
    list of str
        The names of the other tables kept.

    Raises
    ------
    ValidationError
        Two sites share an id.
    ValueError
        A site has a NaN or infinite coordinate or power, metadata is not
        JSON-serialisable, or a region is not a usable feature.
    """
    sites = list(project.sites)
    refuse_unwritable(sites)
    project_rows = _project_rows(project.metadata)
    region_rows = [_region_row(i, f) for i, f in enumerate(project.regions, start=1)]
    history = history_values(project.history)
    source = path if keep_tables_from is None else keep_tables_from
    with atomic_target(path) as tmp:
        kept = carry_foreign_tables(source, tmp, OWN_TABLES, marker=_MARKER)
        _write_project(tmp, sites, project_rows, region_rows)
        if project.history:
            _write_history(tmp, history)
    return kept


def _write_history(tmp: Path, values: dict[str, list[Any]]) -> None:
    """The ``history`` table: text columns, JSON as text, the version as an integer."""
    columns: Columns = {
        c: (_int_col(values[c]) if c == "version" else _text_col(values[c]))
        for c in HISTORY_COLUMNS
    }
    _write_layer(tmp, HISTORY_TABLE, None, columns)


def _write_project(
    tmp: Path,
    sites: list[Site],
    project_rows: list[tuple[str, str]],
    region_rows: list[tuple[Any, str | None, str | None, float | None, str]],
) -> None:
    """Write all layers into the fresh file ``tmp``."""
    _write_layer(
        tmp,
        SITES_LAYER,
        shapely.to_wkb(shapely.points([s.lon for s in sites], [s.lat for s in sites])),
        {
            **{c: _text_col([getattr(s, c) for s in sites]) for c in _SITE_TEXT_COLUMNS},
            "chips": _int_col([s.chips for s in sites]),
            "power_mw": _float_col([s.power_mw for s in sites]),
            "confidence": _text_col([s.confidence for s in sites]),
            "notes": _text_col([s.notes for s in sites]),
            "updated_at": _text_col([s.updated_at for s in sites]),
        },
        geometry_type="Point",
    )
    hw = [(s.id, n, h) for s in sites for n, h in enumerate(s.hardware)]
    _write_layer(
        tmp,
        HARDWARE_TABLE,
        None,
        {
            "site_id": _text_col([sid for sid, _, _ in hw]),
            "line_no": _int_col([n for _, n, _ in hw]),
            "chip_model": _text_col([h.chip_model for _, _, h in hw]),
            "chips": _int_col([h.chips for _, _, h in hw]),
            "servers": _int_col([h.servers for _, _, h in hw]),
            "gpus_per_server": _int_col([h.gpus_per_server for _, _, h in hw]),
            "phase": _text_col([h.phase for _, _, h in hw]),
            "status": _text_col([h.status for _, _, h in hw]),
            "online": _text_col([h.online for _, _, h in hw]),
            "chips_low": _int_col([h.chips_low for _, _, h in hw]),
            "chips_high": _int_col([h.chips_high for _, _, h in hw]),
        },
    )
    src = [(s.id, n, c) for s in sites for n, c in enumerate(s.sources)]
    _write_layer(
        tmp,
        SOURCES_TABLE,
        None,
        {
            "site_id": _text_col([sid for sid, _, _ in src]),
            "source_no": _int_col([n for _, n, _ in src]),
            "title": _text_col([c.title for _, _, c in src]),
            "url": _text_col([c.url for _, _, c in src]),
            "date": _text_col([c.date for _, _, c in src]),
            "quote": _text_col([c.quote for _, _, c in src]),
        },
    )
    if region_rows:
        _write_layer(
            tmp,
            REGIONS_LAYER,
            shapely.to_wkb(np.array([r[0] for r in region_rows], dtype=object)),
            {
                "name": _text_col([r[1] for r in region_rows]),
                "kind": _text_col([r[2] for r in region_rows]),
                "radius_m": _float_col([r[3] for r in region_rows]),
                "extra": _text_col([r[4] for r in region_rows]),
            },
            # Mixed Polygon / MultiPolygon / Point: a generic geometry column, and
            # no promotion, so a Point stays a Point.
            geometry_type="Unknown",
        )
    _write_layer(
        tmp,
        PROJECT_TABLE,
        None,
        {
            "key": _text_col([k for k, _ in project_rows]),
            "value": _text_col([v for _, v in project_rows]),
        },
    )


def _write_layer(
    path: Path,
    layer: str,
    geometry: np.ndarray | None,
    columns: Columns,
    *,
    geometry_type: str | None = None,
) -> None:
    """Add one layer (or attribute table when ``geometry`` is None) via GDAL; an
    attribute table in parts of :data:`WRITE_ROWS` rows (the first creates it, the
    others append)."""
    names = list(columns)
    kwargs: dict[str, Any] = {}
    if geometry is not None:
        kwargs.update(geometry_type=geometry_type, crs=CRS, promote_to_multi=False)
    n = len(columns[names[0]][0]) if names else 0
    # A layer with points in one call: appending to it costs GDAL its spatial index
    # again each time (a 100,000-site save 3.8 s -> 5.7 s in parts of 20,000).
    step = max(n, 1) if geometry is not None else WRITE_ROWS
    masks = [columns[c][1] for c in names]
    for start in range(0, max(n, 1), step):
        part = slice(start, start + step)
        pyogrio.raw.write(
            str(path),
            None if geometry is None else geometry[part],
            [columns[c][0][part] for c in names],
            names,
            field_mask=[None if m is None else m[part] for m in masks],
            layer=layer,
            driver="GPKG",
            append=path.exists(),
            **kwargs,
        )


#: Rows of an attribute table written per GDAL call. pyogrio holds the GIL while it
#: writes a table without geometry, so a 250,000-line hardware table in one call
#: stopped the window for 0.9 s during a background save; in parts, the window runs
#: between them.
WRITE_ROWS = 50_000


def _text_col(values: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray | None]:
    arr = np.array(["" if v is None else v for v in values], dtype=object)
    mask = np.array([v is None for v in values], dtype=bool)
    return arr, (mask if mask.any() else None)


def _int_col(values: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray | None]:
    arr = np.array([0 if v is None else int(v) for v in values], dtype=np.int64)
    mask = np.array([v is None for v in values], dtype=bool)
    return arr, (mask if mask.any() else None)


def _float_col(values: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray | None]:
    arr = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    mask = np.array([v is None for v in values], dtype=bool)
    return arr, (mask if mask.any() else None)


def _project_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("format", json.dumps(FORMAT)), ("format_version", json.dumps(FORMAT_VERSION))]
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"metadata keys must be text, got {key!r}")
        if key in RESERVED_KEYS:
            continue  # the file format's own marker wins
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata '{key}' cannot be saved as JSON: {exc}") from None
        rows.append((key, text))
    return rows


def _region_row(n: int, feature: Any) -> tuple[Any, str | None, str | None, float | None, str]:
    """Validate one region feature and split it into (geometry, name, kind, radius, extra)."""
    if not isinstance(feature, Mapping):
        raise ValueError(
            f"region {n}: must be a GeoJSON Feature dict, got {type(feature).__name__}"
        )
    geom = feature.get("geometry")
    gtype = geom.get("type") if isinstance(geom, Mapping) else None
    if gtype not in REGION_GEOMETRY_TYPES:
        raise ValueError(
            f"region {n}: geometry must be one of {', '.join(REGION_GEOMETRY_TYPES)}, got '{gtype}'"
        )
    try:
        shape = shapely.geometry.shape(geom)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValueError(f"region {n}: unusable {gtype} geometry ({exc})") from None
    props = dict(feature.get("properties") or {})
    name = props.pop("name", None)
    kind = props.pop("kind", None)
    radius = props.pop("radius_m", None)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"region {n}: name must be text, got {name!r}")
    if kind is not None and not isinstance(kind, str):
        raise ValueError(f"region {n}: kind must be text, got {kind!r}")
    if radius is not None:
        if isinstance(radius, bool) or not isinstance(radius, int | float):
            raise ValueError(f"region {n}: radius_m must be a number, got {radius!r}")
        radius = float(radius)
    try:
        extra = json.dumps(props, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"region {n}: properties cannot be saved as JSON: {exc}") from None
    return shape, name, kind, radius, extra


# --------------------------------------------------------------------------- loading


def load_project(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    catalogue: ChipCatalogue | None = None,
) -> Project:
    """Read a project GeoPackage.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.
    strict : bool, default True
        Raise :class:`ValidationError` if any site record is invalid; with
        ``False`` the invalid records are left out (use :func:`read_project` to
        get the problems as well).
    catalogue : ChipCatalogue, optional
        Chip catalogue for validating models (default: the bundled one).

    Raises
    ------
    DataFileError
        Missing, unreadable or corrupt file, not a GeoPackage, or a GeoPackage
        that is not a Compute Site Explorer project.
    ValidationError
        ``strict`` and a site record is invalid.
    """
    project, problems = read_project(path, catalogue=catalogue)
    if strict and problems:
        raise ValidationError(problems)
    return project


@gdal_warnings_logged
def read_project(
    path: str | os.PathLike[str],
    *,
    catalogue: ChipCatalogue | None = None,
    progress: Progress | None = None,
) -> tuple[Project, list[Problem]]:
    """Read a project GeoPackage, returning the valid content and every problem.

    Raises
    ------
    DataFileError
        As for :func:`load_project`.
    """
    columns, metadata, regions, problems = read_project_columns(
        path, catalogue=catalogue, progress=progress
    )
    history, history_problems = read_history(path)
    project = Project(sites=columns.sites(), metadata=metadata, regions=regions, history=history)
    return project, [*problems, *history_problems]


@gdal_warnings_logged
def read_history(
    path: str | os.PathLike[str], *, layers: set[str] | None = None
) -> tuple[list[ChangeRecord], list[Problem]]:
    """The recorded changes of a project GeoPackage, oldest first, and a problem per row
    that cannot be read (left out). A project without a ``history`` table (saved before
    it existed, or never edited) has none.

    ``layers`` are the file's layer names when the caller has listed them already.

    Raises
    ------
    DataFileError
        Missing, unreadable or corrupt file.
    """
    if layers is None:
        layers = _open_layers(path)
    if HISTORY_TABLE not in layers:
        return [], []
    _, _, rows = _read_layer(path, HISTORY_TABLE)
    return _history_records(rows)


def read_project_columns(
    path: str | os.PathLike[str],
    *,
    catalogue: ChipCatalogue | None = None,
    progress: Progress | None = None,
    layers: set[str] | None = None,
) -> tuple[SiteColumns, dict[str, Any], list[dict[str, Any]], list[Problem]]:
    """(valid sites as columns, metadata, regions, every problem) of a project GeoPackage.

    ``layers`` are the file's layer names when the caller has listed them already.

    Raises
    ------
    DataFileError
        As for :func:`load_project`.
    """
    cat = catalogue if catalogue is not None else ChipCatalogue.bundled()
    if layers is None:
        layers = _open_layers(path)
    if SITES_LAYER not in layers:
        raise DataFileError(f"{path} is not a Compute Site Explorer project (no 'sites' layer)")
    if PROJECT_TABLE not in layers:
        raise DataFileError(f"{path} is not a Compute Site Explorer project (no 'project' table)")
    for table in (HARDWARE_TABLE, SOURCES_TABLE):
        if table not in layers:
            raise DataFileError(f"{path}: damaged project, the '{table}' table is missing")

    problems: list[Problem] = []
    metadata = _read_metadata(path, problems)
    report(progress, 0.05, "reading sites")
    meta, table = read_arrow_layer(path, SITES_LAYER)
    geometry = meta.get("geometry_name") or None
    if geometry is not None and geometry not in table.column_names:
        geometry = None
    raw = raw_from_table(path, table, geometry, meta.get("crs"))
    report(progress, 0.3, "reading hardware and sources")
    # A record's hardware lines and sources are the child rows with its id; the first
    # record with an id takes them (a later duplicate is refused anyway).
    id_col = table.column("id") if "id" in table.column_names else None
    first: dict[str, int] = {}
    if id_col is not None:
        for i, v in enumerate(id_col.to_pylist()):
            first.setdefault("" if v is None else str(v).strip(), i)
    raw.flat = np.zeros(raw.n, dtype=bool)
    raw.hardware_value = raw.sources_value = None
    raw.lines, orphans_hw = _child_rows(path, HARDWARE_TABLE, "line_no", HARDWARE_FIELDS, first)
    raw.sources, orphans_src = _child_rows(
        path, SOURCES_TABLE, "source_no", ("title", "url", "date", "quote"), first
    )
    report(progress, 0.45, "checking sites")
    columns, found = check_sites(raw, cat, scaled(progress, 0.45, 0.95))
    problems.extend(found)
    for table_name, orphans in ((HARDWARE_TABLE, orphans_hw), (SOURCES_TABLE, orphans_src)):
        for sid in orphans:
            problems.append(
                Problem(
                    "site_id",
                    sid,
                    f"{table_name} rows refer to site id '{sid}', "
                    "which is not in the 'sites' layer",
                    where=f"{table_name} table",
                )
            )

    regions: list[dict[str, Any]] = []
    if REGIONS_LAYER in layers:
        regions = _read_regions(path, problems)
    report(progress, 1.0, "read")
    return columns, metadata, regions, problems


def _child_rows(
    path: str | os.PathLike[str],
    table: str,
    order_col: str,
    fields: tuple[str, ...],
    first: dict[str, int],
) -> tuple[ChildRows, list[str]]:
    """The rows of a child table as child rows of the records, and the site ids that
    name no record (in the order they first appear)."""
    _, data = read_arrow_layer(path, table)
    m = data.num_rows
    sids = [
        "" if v is None else str(v).strip()
        for v in (
            data.column("site_id").to_pylist() if "site_id" in data.column_names else [None] * m
        )
    ]
    site = np.array([first.get(s, -1) for s in sids], dtype=np.int64)
    orphans = list(dict.fromkeys(s for s, i in zip(sids, site.tolist(), strict=True) if i < 0))
    if order_col in data.column_names:
        order = data.column(order_col).to_pylist()
        key = np.array(
            [o if isinstance(o, int) else i for i, o in enumerate(order)], dtype=np.int64
        )
    else:
        key = np.arange(m, dtype=np.int64)
    keep = np.flatnonzero(site >= 0)
    # In record order, then the order column (the row's position where it has none),
    # then the row's position: as the rows were always grouped.
    idx = keep[np.lexsort((keep, key[keep], site[keep]))]
    taken = pa.array(idx, type=pa.int64())
    cols = {f: data.column(f).take(taken) for f in fields if f in data.column_names}
    return ChildRows(site[idx], cols), orphans


def _open_layers(path: str | os.PathLike[str]) -> set[str]:
    """Layer names of ``path`` after checking it is an SQLite file GDAL can open."""
    return {info.name for info in list_layers(path)}


def list_layers(path: str | os.PathLike[str]) -> list[LayerInfo]:
    """The layers of a GeoPackage (name and geometry type), after checking it is an
    SQLite file GDAL can open.

    Raises
    ------
    DataFileError
        Missing, unreadable, not a GeoPackage, or corrupt.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            header = fh.read(100)
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a directory, not a file") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    # Check the signature ourselves: GDAL would otherwise try every driver and
    # might open a stray text file as something else.
    if not header.startswith(_SQLITE_MAGIC):
        raise DataFileError(f"{path} is not a GeoPackage (not an SQLite database)")
    if header[68:72] not in _GPKG_APP_IDS:
        raise DataFileError(f"{path} is not a GeoPackage (an SQLite database of another kind)")
    try:
        listed = pyogrio.list_layers(str(p))
    except Exception as exc:  # GDAL reports corruption through several error types
        raise DataFileError(f"{path} is not a readable GeoPackage ({_one_line(exc)})") from None
    return [LayerInfo(str(name), str(gtype) if gtype else None) for name, gtype in listed]


def _read_layer(
    path: str | os.PathLike[str], layer: str
) -> tuple[dict[str, Any], list[Any], list[dict[str, Any]]]:
    """(layer info, WKB geometries or Nones, records as plain Python dicts) in fid order."""
    try:
        meta, fids, geometry, data = pyogrio.raw.read(str(path), layer=layer, return_fids=True)
    except Exception as exc:  # corrupt pages, bad geometry blobs...
        raise DataFileError(f"{path}: cannot read layer '{layer}' ({_one_line(exc)})") from None
    names = [str(f) for f in meta["fields"]]
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for i in np.argsort(fids, kind="stable"):
        records.append({n: _py(col[i]) for n, col in zip(names, data, strict=True)})
        geoms.append(None if geometry is None else geometry[i])
    return dict(meta), geoms, records


def _py(value: Any) -> Any:
    """A numpy scalar as plain Python; NaN (GDAL's NULL in numeric columns) as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _read_children(
    path: str | os.PathLike[str], table: str, order_col: str, fields: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``table`` grouped by site_id, each group in ``order_col`` order."""
    _, _, rows = _read_layer(path, table)
    groups: dict[str, list[tuple[Any, int, dict[str, Any]]]] = {}
    for i, row in enumerate(rows):
        sid = "" if row.get("site_id") is None else str(row["site_id"]).strip()
        order = row.get(order_col)
        key = order if isinstance(order, int) else i
        groups.setdefault(sid, []).append((key, i, {f: row.get(f) for f in fields}))
    return {
        sid: [r for _, _, r in sorted(items, key=lambda t: (t[0], t[1]))]
        for sid, items in groups.items()
    }


def _read_metadata(path: str | os.PathLike[str], problems: list[Problem]) -> dict[str, Any]:
    _, _, rows = _read_layer(path, PROJECT_TABLE)
    values: dict[str, Any] = {}
    for n, row in enumerate(rows, start=1):
        key, text = row.get("key"), row.get("value")
        if not isinstance(key, str):
            continue
        try:
            values[key] = decode_json(text) if isinstance(text, str) else None
        except JsonTextError:
            problems.append(
                Problem(
                    key,
                    text,
                    f"value is not JSON, got '{str(text)[:60]}'",
                    where=f"project table row {n}",
                )
            )
    fmt = values.pop("format", None)
    version = values.pop("format_version", None)
    if fmt != FORMAT:
        raise DataFileError(
            f"{path} is not a Compute Site Explorer project "
            f"(format is {fmt!r}, expected {FORMAT!r})"
        )
    if isinstance(version, bool) or not isinstance(version, int):
        raise DataFileError(f"{path}: damaged project, format_version is {version!r}")
    if version > FORMAT_VERSION:
        raise DataFileError(
            f"{path} was saved by a newer Compute Site Explorer "
            f"(format_version {version}; this version reads up to {FORMAT_VERSION})"
        )
    return values


def _read_regions(path: str | os.PathLike[str], problems: list[Problem]) -> list[dict[str, Any]]:
    _, geoms, rows = _read_layer(path, REGIONS_LAYER)
    out = []
    for n, (wkb, row) in enumerate(zip(geoms, rows, strict=True), start=1):
        where = f"region {n}"
        try:
            geom = shapely.from_wkb(wkb) if wkb is not None else None
        except Exception:  # a corrupt blob in an otherwise readable file
            problems.append(
                Problem("geometry", None, "region geometry is not readable", where=where)
            )
            continue
        if geom is None or geom.is_empty or geom.geom_type not in REGION_GEOMETRY_TYPES:
            shown = "missing" if geom is None else geom.geom_type
            problems.append(
                Problem(
                    "geometry",
                    shown,
                    f"region geometry must be a polygon or point, got '{shown}'",
                    where=where,
                )
            )
            continue
        props: dict[str, Any] = {"name": row.get("name")}
        if row.get("kind") is not None:
            props["kind"] = row["kind"]
        if row.get("radius_m") is not None:
            props["radius_m"] = row["radius_m"]
        extra_text = row.get("extra")
        if extra_text:
            try:
                extra = decode_json(extra_text)
            except JsonTextError:
                extra = None
            if isinstance(extra, dict):
                # The columns are the region; a hand-edited ``extra`` must not override
                # them (the writer never puts these keys there).
                props.update((k, v) for k, v in extra.items() if k not in _REGION_COLUMNS)
            else:
                problems.append(
                    Problem("extra", extra_text, "extra must be a JSON object", where=where)
                )
        out.append(
            {
                "type": "Feature",
                "geometry": _lists(shapely.geometry.mapping(geom)),
                "properties": props,
            }
        )
    return out


def _lists(value: Any) -> Any:
    """shapely's ``mapping`` uses tuples; GeoJSON dicts elsewhere use lists."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Project",
    "load_project",
    "list_layers",
    "read_history",
    "read_project",
    "read_project_columns",
    "save_project",
]
