"""Read and write site files: GeoJSON (the canonical format), CSV and GeoPackage.

The format is chosen by file extension:

``.geojson`` / ``.json``
    A FeatureCollection of Point features; ``properties`` hold the site attributes
    with ``hardware`` and ``sources`` as nested lists (JSON-encoded strings are
    accepted too, as other GIS tools write them). A flat ``chips`` property is
    written for GIS users and, when present on reading, must equal the sum of
    the hardware lines. Top-level ``metadata`` is kept.
``.csv``
    One row per site, columns :data:`CSV_COLUMNS`; ``hardware`` and ``sources``
    are JSON strings. A CSV with ``chip_model`` and ``chips`` columns instead of
    ``hardware`` is read as one hardware line per row. CSV has nowhere to keep
    file metadata: it is not written, and reads as ``{}``.
``.gpkg``
    The project file; see :mod:`explorer.io.project`.

Records are numbered from 1 in messages: ``feature 1`` is the first feature; ``row 2``
is the first data row of a CSV file (the header is row 1, as in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem, ValidationError
from explorer.core.schema import Site
from explorer.io.atomic import atomic_target
from explorer.io.csv_cells import neutralise_cell, restore_cell
from explorer.io.json_text import JsonTextError, decode_json
from explorer.io.records import (
    SiteCollector,
    decode_json_list,
    record_label,
    refuse_unwritable,
    shorten,
)

GEOJSON_SUFFIXES = (".geojson", ".json")
CSV_SUFFIXES = (".csv",)
GPKG_SUFFIXES = (".gpkg",)
SUPPORTED_SUFFIXES = GEOJSON_SUFFIXES + GPKG_SUFFIXES + CSV_SUFFIXES

#: Column order of written CSV files.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "lon",
    "lat",
    "chips",
    "power_mw",
    "confidence",
    "notes",
    "updated_at",
    "part_of",
    "supersedes",
    "hardware",
    "sources",
)

#: Site attributes in the order they are written to GeoJSON ``properties``.
PROPERTY_ORDER: tuple[str, ...] = (
    "id",
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "status",
    "hardware",
    "chips",
    "power_mw",
    "confidence",
    "sources",
    "notes",
    "updated_at",
    "part_of",
    "supersedes",
)


#: Site properties written only when set.
_OPTIONAL_REFS = frozenset({"part_of", "supersedes"})


@dataclass
class SiteFile:
    """What a site file holds.

    Attributes
    ----------
    sites : list of Site
        Valid sites in file order.
    metadata : dict
        File-level metadata (title, scenario, description, as_of...).
    problems : list of Problem
        Problems found (always empty after a strict read).
    """

    sites: list[Site]
    metadata: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------- public API


def read_sites(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    catalogue: ChipCatalogue | None = None,
) -> SiteFile:
    """Read a sites file (``.geojson``, ``.json``, ``.gpkg`` or ``.csv``).

    Parameters
    ----------
    path : path-like
        The file; its extension selects the format.
    strict : bool, default True
        Raise :class:`ValidationError` listing every problem if any record is
        invalid. With ``False``, return the valid sites and the problems.
    catalogue : ChipCatalogue, optional
        Chip catalogue for validating models (default: the bundled one).

    Returns
    -------
    SiteFile

    Raises
    ------
    DataFileError
        The file is missing, unreadable, or not in the expected format (one line,
        naming the file).
    ValidationError
        ``strict`` and at least one record is invalid; ``.problems`` lists all.
    """
    kind = file_kind(path)
    if kind == "gpkg":
        # Imported here: the project module pulls in GDAL, which a GeoJSON user does not need.
        from explorer.io.project import read_project

        project, problems = read_project(path, catalogue=catalogue)
        result = SiteFile(project.sites, project.metadata, problems)
    elif kind == "geojson":
        result = _read_geojson(path, catalogue)
    else:
        result = _read_csv(path, catalogue)
    if strict and result.problems:
        raise ValidationError(result.problems)
    return result


def write_sites(
    path: str | os.PathLike[str],
    sites: Iterable[Site],
    metadata: Mapping[str, Any] | None = None,
    *,
    keep_formulas: bool = False,
) -> None:
    """Write sites to ``path`` atomically, in the format its extension names.

    Parameters
    ----------
    path : path-like
        Target file; an existing file is replaced only once the new one is
        complete, so a failure leaves it untouched.
    sites : iterable of Site
        The sites, written in this order.
    metadata : mapping, optional
        File metadata (GeoJSON ``metadata`` member, GeoPackage ``project`` table;
        not stored in CSV).
    keep_formulas : bool, default False
        CSV only: write text cells that a spreadsheet would run as formulas (``=...``,
        ``+...``, ``-...``, ``@...``) as they are, instead of with a leading quote
        (see :mod:`explorer.io.csv_cells`; the reader takes the quote off again).

    Raises
    ------
    DataFileError
        Unsupported extension.
    ValidationError
        Two sites share an id (such a file could not be read back).
    ValueError
        A coordinate or power value is NaN or infinite, or a metadata value cannot be
        stored as JSON (the message names the key).

    Notes
    -----
    Writing a ``.gpkg`` writes a whole project file holding these sites and no
    regions; use :func:`explorer.io.project.save_project` to keep regions.
    """
    kind = file_kind(path)
    sites = list(sites)
    refuse_unwritable(sites)
    meta = dict(metadata or {})
    if kind == "geojson":
        _check_metadata(meta)
    if kind == "gpkg":
        from explorer.io.project import Project, save_project

        save_project(path, Project(sites=sites, metadata=meta))
        return
    with atomic_target(path) as tmp:
        # newline="" lets the csv module write its own line endings (and keeps
        # newlines inside quoted notes intact); harmless for JSON.
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            if kind == "geojson":
                _dump_geojson(sites_to_geojson(sites, meta), fh)
            elif keep_formulas:
                _dump_csv(sites, fh, keep_formulas=True)
            else:
                _dump_csv(sites, fh)


def check_file(
    path: str | os.PathLike[str], *, catalogue: ChipCatalogue | None = None
) -> list[Problem]:
    """Every problem in a sites file (an empty list when it is valid).

    Raises
    ------
    DataFileError
        The file cannot be read at all.
    """
    return read_sites(path, strict=False, catalogue=catalogue).problems


def site_to_feature(site: Site) -> dict[str, Any]:
    """The GeoJSON Feature for one site (flat ``chips`` plus nested lists)."""
    d = site.to_dict()
    # A site that is no campus's part and supersedes nothing is written as before.
    props = {k: d[k] for k in PROPERTY_ORDER if k not in _OPTIONAL_REFS or d[k]}
    return {
        "type": "Feature",
        "id": site.id,
        "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
        "properties": props,
    }


def sites_to_geojson(
    sites: Iterable[Site], metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A FeatureCollection dict for ``sites`` with a top-level ``metadata`` member."""
    return {
        "type": "FeatureCollection",
        "metadata": dict(metadata or {}),
        "features": [site_to_feature(s) for s in sites],
    }


# --------------------------------------------------------------------------- helpers


def file_kind(path: str | os.PathLike[str]) -> str:
    """``"geojson"``, ``"gpkg"`` or ``"csv"`` by the file's extension.

    The one place that decides what a file is: a ``.gpkg`` is a project (sites, regions
    and metadata), the others are sites files.

    Raises
    ------
    DataFileError
        An extension the application does not read.
    """
    suffix = Path(path).suffix.lower()
    if suffix in GEOJSON_SUFFIXES:
        return "geojson"
    if suffix in GPKG_SUFFIXES:
        return "gpkg"
    if suffix in CSV_SUFFIXES:
        return "csv"
    shown = suffix or "no extension"
    raise DataFileError(
        f"{path}: unsupported file type '{shown}' (expected {', '.join(SUPPORTED_SUFFIXES)})"
    )


def _read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of ``path`` (a BOM is dropped); failures as one-line DataFileError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a directory, not a file") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path} is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from None


# --------------------------------------------------------------------------- GeoJSON


def _check_metadata(meta: Mapping[str, Any]) -> None:
    """Refuse, naming the key, metadata that JSON cannot hold (NaN, which a lenient JSON
    reader accepted; objects that are not JSON at all), before anything is written."""
    for key, value in meta.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata '{key}' cannot be saved as JSON: {exc}") from None


def _dump_geojson(doc: dict[str, Any], fh: TextIO) -> None:
    # allow_nan=False: NaN is not JSON; better to fail (atomically) than write a
    # file other tools reject.
    json.dump(doc, fh, ensure_ascii=False, indent=2, allow_nan=False)
    fh.write("\n")


def _read_geojson(path: str | os.PathLike[str], catalogue: ChipCatalogue | None) -> SiteFile:
    text = _read_text(path)
    try:
        doc = decode_json(text)
    except JsonTextError as exc:
        kind = "valid" if exc.line is not None else "usable"
        raise DataFileError(f"{path} is not {kind} JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DataFileError(
            f"{path} is not a GeoJSON FeatureCollection (top level is a {_json_type(doc)})"
        )
    if doc.get("type") != "FeatureCollection":
        raise DataFileError(
            f"{path} is not a GeoJSON FeatureCollection (type is {shorten(repr(doc.get('type')))})"
        )
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataFileError(
            f"{path}: GeoJSON 'features' must be a list, got {_json_type(features)}"
        )

    collector = SiteCollector(catalogue)
    file_problems: list[Problem] = []
    metadata = doc.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        file_problems.append(
            Problem(
                "metadata",
                metadata,
                f"metadata must be an object, got {_json_type(metadata)}",
                where="file",
            )
        )
        metadata = {}
    collector.problems.extend(file_problems)

    for n, feat in enumerate(features, start=1):
        base = f"feature {n}"
        if not isinstance(feat, dict):
            collector.problems.append(
                Problem(
                    "feature",
                    feat,
                    f"feature must be a GeoJSON Feature object, got {_json_type(feat)}",
                    where=base,
                )
            )
            continue
        props_raw = feat.get("properties")
        props: dict[str, Any] = dict(props_raw) if isinstance(props_raw, dict) else {}
        if props.get("id") in (None, "") and feat.get("id") not in (None, ""):
            props["id"] = feat["id"]
        label = record_label(base, props.get("id"))
        pre: list[Problem] = []
        if feat.get("type") != "Feature":
            pre.append(
                Problem(
                    "type",
                    feat.get("type"),
                    f"type must be 'Feature', got {shorten(repr(feat.get('type')))}",
                    where=label,
                )
            )
        if props_raw is not None and not isinstance(props_raw, dict):
            pre.append(
                Problem(
                    "properties",
                    props_raw,
                    f"properties must be an object, got {_json_type(props_raw)}",
                    where=label,
                )
            )
        for key in ("hardware", "sources"):
            if key in props:
                props[key] = decode_json_list(props[key], key, pre, label)
        lon, lat = _point_coordinates(feat.get("geometry"), pre, label)
        collector.add(props, lon, lat, label=label, problems=pre)
    return SiteFile(collector.sites, metadata, collector.problems)


def _point_coordinates(geometry: Any, problems: list[Problem], where: str) -> tuple[Any, Any]:
    """(lon, lat) of a Point geometry; otherwise record why and return (0, 0).

    Returning placeholder coordinates lets the caller still validate the other
    attributes, so one pass reports everything wrong with the record.
    """
    if geometry is None:
        problems.append(
            Problem("geometry", None, "geometry is missing (a site needs a Point)", where=where)
        )
        return 0, 0
    if not isinstance(geometry, dict):
        problems.append(
            Problem(
                "geometry",
                geometry,
                f"geometry must be a GeoJSON object, got {_json_type(geometry)}",
                where=where,
            )
        )
        return 0, 0
    gtype = geometry.get("type")
    if gtype != "Point":
        problems.append(
            Problem(
                "geometry.type",
                gtype,
                f"geometry must be a Point, got '{shorten(str(gtype))}'",
                where=where,
            )
        )
        return 0, 0
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        problems.append(
            Problem(
                "geometry.coordinates",
                coords,
                f"coordinates must be [lon, lat], got '{shorten(json.dumps(coords))}'",
                where=where,
            )
        )
        return 0, 0
    return coords[0], coords[1]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


# --------------------------------------------------------------------------- CSV


def _fmt_number(value: float | int | None) -> str:
    # repr gives the shortest text that reads back to the identical float.
    return "" if value is None else repr(value)


#: CSV columns holding numbers or JSON lists: never formula-quoted.
_CSV_NOT_TEXT = frozenset({"lon", "lat", "chips", "power_mw", "hardware", "sources"})


def _dump_csv(sites: list[Site], fh: TextIO, *, keep_formulas: bool = False) -> None:
    # CRLF, as RFC 4180 has it: the csv module quotes only cells holding a character of
    # the line terminator, and a notes cell with a bare CR left unquoted read back as
    # two rows.
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    text_cell = (lambda v: v) if keep_formulas else neutralise_cell
    for s in sites:
        d = s.to_dict()
        row = {
            **{k: d[k] for k in CSV_COLUMNS if k in d},
            "lon": _fmt_number(s.lon),
            "lat": _fmt_number(s.lat),
            "chips": str(s.chips),
            "power_mw": _fmt_number(s.power_mw),
            "hardware": json.dumps(d["hardware"], ensure_ascii=False),
            "sources": json.dumps(d["sources"], ensure_ascii=False),
        }
        writer.writerow([row[c] if c in _CSV_NOT_TEXT else text_cell(row[c]) for c in CSV_COLUMNS])


def _read_csv(path: str | os.PathLike[str], catalogue: ChipCatalogue | None) -> SiteFile:
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise DataFileError(f"{path} is empty (no header row)")
        columns = [h.strip() for h in header]
        missing = [c for c in ("id", "name", "lon", "lat") if c not in columns]
        if missing:
            raise DataFileError(
                f"{path}: CSV lacks the column(s) {', '.join(missing)} "
                f"(expected {','.join(CSV_COLUMNS)})"
            )
        single_line = "hardware" not in columns and "chip_model" in columns
        collector = SiteCollector(catalogue)
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank line, e.g. at the end of a hand-edited file
            row = dict(zip(columns, map(restore_cell, cells), strict=False))
            label = record_label(f"row {n}", row.get("id"))
            pre: list[Problem] = []
            if len(cells) > len(columns):
                pre.append(
                    Problem(
                        "row",
                        cells,
                        f"row has {len(cells)} cells but the header has {len(columns)}",
                        where=label,
                    )
                )
            props: dict[str, Any] = dict(row)
            if single_line:
                props["hardware"] = _single_hardware_line(props)
                props.pop("chips", None)  # it is the line's count, not a separate total
            else:
                props["hardware"] = decode_json_list(props.get("hardware"), "hardware", pre, label)
            props["sources"] = decode_json_list(props.get("sources"), "sources", pre, label)
            collector.add(props, row.get("lon"), row.get("lat"), label=label, problems=pre)
    except csv.Error as exc:
        raise DataFileError(f"{path}: unreadable CSV at line {reader.line_num}: {exc}") from None
    return SiteFile(collector.sites, {}, collector.problems)


def _single_hardware_line(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    model = (props.get("chip_model") or "").strip()
    chips = (props.get("chips") or "").strip()
    if not model and not chips:
        return []
    line: dict[str, Any] = {"chip_model": model, "chips": chips}
    for key in ("servers", "gpus_per_server", "phase", "online", "chips_low", "chips_high"):
        if key in props:
            line[key] = props[key]
    # ``status`` is the site's; the line's own status has a column of its own.
    if "line_status" in props:
        line["status"] = props["line_status"]
    return [line]


__all__ = [
    "CSV_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "SiteFile",
    "check_file",
    "read_sites",
    "site_to_feature",
    "sites_to_geojson",
    "write_sites",
]
