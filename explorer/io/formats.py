"""Read and write site files: GeoJSON (the canonical format), CSV, GeoParquet and
GeoPackage.

The format is chosen by file extension:

``.geojson`` / ``.json``
    A FeatureCollection of Point features; ``properties`` hold the site attributes
    with ``hardware`` and ``sources`` as nested lists (JSON-encoded strings are
    accepted too, as other GIS tools write them). A flat ``chips`` property is
    written for GIS users and, when present on reading, must equal the sum of
    the hardware lines. Top-level ``metadata`` is kept.
``.csv``
    One row per site, columns :data:`CSV_COLUMNS`; ``hardware`` and ``sources``
    are JSON strings. CSV has nowhere to keep file metadata: it is not written, and
    reads as ``{}``.
``.parquet`` / ``.geoparquet``
    GeoParquet (see :mod:`explorer.io.geoparquet`).
``.gpkg``
    A project file (see :mod:`explorer.io.project`), or any GeoPackage with a point
    layer (see :mod:`explorer.io.point_layers`).

**The flat schema**, in every format: a record without ``hardware`` but with
``chip_model`` and ``chips`` (and optionally ``servers``, ``gpus_per_server``,
``phase``, ``online``, ``chips_low``, ``chips_high`` and ``line_status``) is read as one
hardware line; its ``chips`` is that line's count, not a separate total. This is the
simplest file a spreadsheet or QGIS user exports.

Every format is read into columns and checked column by column
(:mod:`explorer.io.column_check`); only doubtful records are parsed one by one, so the
problems are worded as they always were. A small file (a few thousand records) is parsed
record by record instead (:mod:`explorer.io.record_check`), the same way, without loading
Arrow.

Records are numbered from 1 in messages: ``feature 1`` is the first feature; ``row 2``
is the first data row of a CSV file (the header is row 1, as in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem, ValidationError
from explorer.core.schema import Site
from explorer.io.atomic import atomic_target
from explorer.io.csv_cells import neutralise_cell, restore_cell
from explorer.io.progress import Progress, report, scaled
from explorer.io.records import decode_json_list, record_label, refuse_unwritable

if TYPE_CHECKING:  # the readers load Arrow; writing a file and start-up do not need it
    from explorer.io.raw_sites import RawSites
    from explorer.io.site_columns import SiteColumns

GEOJSON_SUFFIXES = (".geojson", ".json")
CSV_SUFFIXES = (".csv",)
GPKG_SUFFIXES = (".gpkg",)
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
SUPPORTED_SUFFIXES = GEOJSON_SUFFIXES + GPKG_SUFFIXES + CSV_SUFFIXES + PARQUET_SUFFIXES

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


class SiteFile:
    """What a site file holds.

    Attributes
    ----------
    columns : SiteColumns
        The valid sites as columns, in file order.
    metadata : dict
        File-level metadata (title, scenario, description, as_of...).
    problems : list of Problem
        Problems found (always empty after a strict read).
    """

    def __init__(
        self,
        columns: SiteColumns,
        metadata: dict[str, Any] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.columns = columns
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.problems: list[Problem] = list(problems or [])

    @cached_property
    def sites(self) -> list[Site]:
        """The valid sites, built on first use (in file order)."""
        return self.columns.sites()


# --------------------------------------------------------------------------- public API


def read_sites(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    catalogue: ChipCatalogue | None = None,
    layer: str | None = None,
    progress: Progress | None = None,
) -> SiteFile:
    """Read a sites file (``.geojson``, ``.json``, ``.gpkg``, ``.parquet`` or ``.csv``).

    Parameters
    ----------
    path : path-like
        The file; its extension selects the format.
    strict : bool, default True
        Raise :class:`ValidationError` listing every problem if any record is
        invalid. With ``False``, return the valid sites and the problems.
    catalogue : ChipCatalogue, optional
        Chip catalogue for validating models (default: the bundled one).
    layer : str, optional
        The GeoPackage layer to read (a project's sites otherwise, or a file's only
        point layer).
    progress : Progress, optional
        Told how far the read got; may raise
        :class:`~explorer.io.progress.LoadCancelled` to stop it.

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
    cat = catalogue if catalogue is not None else ChipCatalogue.bundled()
    kind = file_kind(path)
    if layer is not None and kind != "gpkg":
        raise DataFileError(f"{path}: only a GeoPackage has layers, got --layer '{layer}'")
    if kind == "gpkg":
        from explorer.io.geopackage import read_geopackage

        read = read_geopackage(path, cat, layer=layer, progress=progress)
        result = SiteFile(read.columns, read.metadata, read.problems)
    else:
        result = read_site_columns(path, kind, cat, progress)
    if strict and result.problems:
        raise ValidationError(result.problems)
    return result


def read_site_columns(
    path: str | os.PathLike[str],
    kind: str,
    catalogue: ChipCatalogue,
    progress: Progress | None = None,
) -> SiteFile:
    """Read a GeoJSON, CSV or GeoParquet sites file (``kind`` from :func:`file_kind`)."""
    from explorer.io.record_check import check_raw

    if kind == "parquet":
        from explorer.io.column_check import check_sites
        from explorer.io.geoparquet import read_geoparquet_raw

        # Arrow is loaded already and the columns are Arrow: always checked in bulk.
        raw, metadata, file_problems = read_geoparquet_raw(path, scaled(progress, 0.0, 0.5))
        columns, problems = check_sites(raw, catalogue, scaled(progress, 0.5, 1.0))
        return SiteFile(columns, metadata, file_problems + problems)
    data = _read_bytes(path)
    report(progress, 0.05, "reading")
    read_share = scaled(progress, 0.05, 0.5)
    if kind == "geojson":
        from explorer.io.geojson_read import read_geojson_raw

        raw, metadata, file_problems = read_geojson_raw(path, data, read_share)
    else:
        raw, metadata, file_problems = _read_csv(path, data, read_share)
    # A small file is checked record by record, without loading Arrow (issue 10).
    columns, problems = check_raw(raw, catalogue, scaled(progress, 0.5, 1.0))
    if problems and raw.approximate_words:
        # Read through Arrow's JSON parser, and something is wrong: read again the
        # general way, so every problem quotes its value as the file writes it.
        raw, metadata, file_problems = read_geojson_raw(path, data, read_share, arrow=False)
        columns, problems = check_raw(raw, catalogue, scaled(progress, 0.5, 1.0))
    return SiteFile(columns, metadata, file_problems + problems)


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
    if kind == "parquet":
        from explorer.io.geoparquet import write_geoparquet

        write_geoparquet(path, sites, meta)
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
    """``"geojson"``, ``"gpkg"``, ``"csv"`` or ``"parquet"`` by the file's extension.

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
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    shown = suffix or "no extension"
    raise DataFileError(
        f"{path}: unsupported file type '{shown}' (expected {', '.join(SUPPORTED_SUFFIXES)})"
    )


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of ``path``; failures as one-line DataFileError."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a directory, not a file") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _decode(path: str | os.PathLike[str], data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); undecodable bytes as a one-line DataFileError."""
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
    """``doc`` as JSON with one feature per line: the collection's other members on the
    first line, then each feature compact on its own line.

    A change to one site is a change to one line (diffs stay readable), and the file is
    about half the size of an indented one (a 100,000-site file: 60 MB, not 107 MB),
    quicker to write (the C encoder, which ``indent`` turns off) and to read back.
    allow_nan=False: NaN is not JSON; better to fail (atomically) than write a file
    other tools reject.
    """
    dumps = partial(json.dumps, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    head = [f"{dumps(key)}:{dumps(value)}" for key, value in doc.items() if key != "features"]
    fh.write("{" + ",".join(head) + (",\n" if head else "\n") + '"features":[\n')
    features = doc.get("features") or []
    for k, feature in enumerate(features):
        fh.write(dumps(feature))
        fh.write(",\n" if k + 1 < len(features) else "\n")
    fh.write("]}\n")


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


def _read_csv(
    path: str | os.PathLike[str], data: bytes, progress: Progress | None
) -> tuple[RawSites, dict[str, Any], list[Problem]]:
    from explorer.io.record_columns import raw_from_records

    text = _decode(path, data)
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
        records: list[dict[str, Any]] = []
        lons: list[Any] = []
        lats: list[Any] = []
        numbers: list[int] = []
        pre: dict[int, list[Problem]] = {}
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank line, e.g. at the end of a hand-edited file
            row = dict(zip(columns, map(restore_cell, cells), strict=False))
            label = record_label(f"row {n}", row.get("id"))
            found: list[Problem] = []
            if len(cells) > len(columns):
                found.append(
                    Problem(
                        "row",
                        cells,
                        f"row has {len(cells)} cells but the header has {len(columns)}",
                        where=label,
                    )
                )
            props: dict[str, Any] = dict(row)
            if not single_line:
                props["hardware"] = decode_json_list(
                    props.get("hardware"), "hardware", found, label
                )
            props["sources"] = decode_json_list(props.get("sources"), "sources", found, label)
            if found:
                pre[len(records)] = found
            records.append(props)
            lons.append(row.get("lon"))
            lats.append(row.get("lat"))
            numbers.append(n)
    except csv.Error as exc:
        raise DataFileError(f"{path}: unreadable CSV at line {reader.line_num}: {exc}") from None
    report(progress, 1.0, "reading")
    flat = np.full(len(records), single_line, dtype=bool)
    raw = raw_from_records(records, lons, lats, lambda i: f"row {numbers[i]}", pre=pre, flat=flat)
    return raw, {}, []


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
