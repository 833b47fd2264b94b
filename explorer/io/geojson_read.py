"""Read a sites GeoJSON file into raw columns, fast when the file is well formed.

The fast path decodes the FeatureCollection with msgspec straight into typed records
(only the attributes a site has; anything else in ``properties`` is skipped without
being built) and gathers them into columns. Whenever the file is not plainly a
FeatureCollection of Feature objects (malformed JSON, a feature that is not an object,
``properties`` that are not an object...), the file is read again the generic way
(:func:`json.loads`, one feature at a time), which words every problem as it always
has.
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

import msgspec
import numpy as np

from explorer.core.errors import DataFileError, Problem
from explorer.io.json_text import JsonTextError, decode_json
from explorer.io.progress import Progress, report
from explorer.io.raw_sites import LINE_KEYS, SOURCE_KEYS, RawSites
from explorer.io.record_check import GEOJSON_ARROW_BYTES
from explorer.io.record_columns import explode, raw_from_records
from explorer.io.records import decode_json_list, record_label, shorten


class _Props(msgspec.Struct, gc=False):
    """The attributes a site record may have (unknown ones are skipped).

    ``gc=False`` (here and below): decoded JSON holds no reference cycles, and a million
    records the garbage collector need not track keep it from scanning them again and
    again while the file is read.
    """

    id: Any = None
    name: Any = None
    operator: Any = None
    tenant: Any = None
    province: Any = None
    prefecture: Any = None
    status: Any = None
    hardware: Any = None
    chips: Any = None
    power_mw: Any = None
    confidence: Any = None
    sources: Any = None
    notes: Any = None
    updated_at: Any = None
    part_of: Any = None
    supersedes: Any = None
    chip_model: Any = None
    servers: Any = None
    gpus_per_server: Any = None
    phase: Any = None
    online: Any = None
    chips_low: Any = None
    chips_high: Any = None
    line_status: Any = None


class _Geometry(msgspec.Struct, gc=False):
    type: Any = None
    coordinates: Any = None


class _Feature(msgspec.Struct, gc=False):
    type: Any = None
    id: Any = None
    properties: _Props | None = None
    geometry: _Geometry | None = None


class _Collection(msgspec.Struct, gc=False):
    type: Any = None
    features: list[_Feature] | None = None
    metadata: dict[str, Any] | None = None


_DECODER = msgspec.json.Decoder(_Collection)
_PROP_KEYS = tuple(_Props.__struct_fields__)
_TYPE = attrgetter("type")
_PROPERTIES = attrgetter("properties")
_GEOMETRY = attrgetter("geometry")
_COORDINATES = attrgetter("coordinates")


def _is_none(values: Sequence[Any]) -> np.ndarray:
    """Mask of the values that are None (one pass in C)."""
    return np.fromiter(map(operator.is_, values, repeat(None)), dtype=bool, count=len(values))


def _plain_points(feats: list[_Feature]) -> tuple[list[Any], list[Any]] | None:
    """(lon, lat) values of every feature when each has a Point geometry with a list of
    at least two coordinates; None otherwise (then each feature is looked at in turn)."""
    geoms = list(map(_GEOMETRY, feats))
    if _is_none(geoms).any() or list(map(_TYPE, geoms)).count("Point") != len(geoms):
        return None
    coords = list(map(_COORDINATES, geoms))
    if set(map(type, coords)) - {list} or (coords and min(map(len, coords)) < 2):
        return None
    return list(map(itemgetter(0), coords)), list(map(itemgetter(1), coords))


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
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


def read_geojson_raw(
    path: str | os.PathLike[str],
    data: bytes,
    progress: Progress | None = None,
    *,
    arrow: bool = True,
) -> tuple[RawSites, dict[str, Any], list[Problem]]:
    """(records as raw columns, metadata, file-level problems) of a sites GeoJSON.

    A large plain file is read through Arrow's JSON parser
    (:mod:`explorer.io.geojson_arrow`) unless ``arrow`` is False; any other the
    general way.

    Raises
    ------
    DataFileError
        Not JSON, or not a FeatureCollection with a list of features.
    """
    report(progress, 0.0, "reading")
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if arrow and len(body) >= GEOJSON_ARROW_BYTES:
        from explorer.io.geojson_arrow import read_with_arrow

        fast = read_with_arrow(str(path), body)
        if fast is not None:
            report(progress, 1.0, "reading")
            return fast
    try:
        # msgspec refuses what decode_json refuses (lone surrogates, integers beyond
        # 64 bits, runaway nesting); the generic reading then words it.
        doc = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        doc = None
    if (
        doc is None
        or doc.type != "FeatureCollection"
        or doc.features is None
        or list(map(_TYPE, doc.features)).count("Feature") != len(doc.features)
    ):
        return _generic(path, data, progress)
    report(progress, 0.5, "reading")
    feats = doc.features
    n = len(feats)
    # Whole-list operations (map, count, zip) run in C; a Python loop over a million
    # features cost seconds. The loops below run only over the features that need them.
    props = list(map(_PROPERTIES, feats))
    if _is_none(props).any():
        empty = _Props()
        props = [p if p is not None else empty for p in props]
    # Records to columns in C: each record as a tuple, then transposed.
    by_key = (
        dict(zip(_PROP_KEYS, zip(*map(msgspec.structs.astuple, props), strict=True), strict=True))
        if n
        else {k: () for k in _PROP_KEYS}
    )
    columns: dict[str, Any] = {}
    # A key no feature has is a column of None only: compared with a tuple of None item
    # by item, by identity (``count(None)`` compares every present value with None the
    # slow way, and a present column is told at its first value here).
    nones = (None,) * n
    for key in _PROP_KEYS:
        if key in ("hardware", "sources"):
            continue
        col = by_key[key]
        if key == "id" or col != nones:
            columns[key] = list(col)
    ids = columns["id"]
    if _is_none(ids).any() or "" in ids:
        for i, f in enumerate(feats):
            if (ids[i] is None or ids[i] == "") and f.id is not None and f.id != "":
                ids[i] = f.id
    models = by_key["chip_model"]
    hardware = list(by_key["hardware"])
    flat = _is_none(hardware) & ~_is_none(models)
    pre: dict[int, list[Problem]] = {}
    sources = list(by_key["sources"])
    for values, key in ((hardware, "hardware"), (sources, "sources")):
        if str not in set(map(type, values)):
            continue
        for i, v in enumerate(values):
            if isinstance(v, str):  # a JSON list written as text, as GIS tools do
                found: list[Problem] = []
                values[i] = decode_json_list(
                    v, key, found, record_label(f"feature {i + 1}", ids[i])
                )
                if found:
                    pre.setdefault(i, []).extend(found)
    plain = _plain_points(feats)
    lon: list[Any] = [0] * n if plain is None else plain[0]
    lat: list[Any] = [0] * n if plain is None else plain[1]
    for i, f in enumerate(feats) if plain is None else ():
        g = f.geometry
        c = g.coordinates if g is not None else None
        if g is not None and g.type == "Point" and type(c) is list and len(c) >= 2:
            lon[i], lat[i] = c[0], c[1]
            continue
        found = []
        geometry = None if g is None else {"type": g.type, "coordinates": g.coordinates}
        lon[i], lat[i] = point_coordinates(
            geometry, found, record_label(f"feature {i + 1}", ids[i])
        )
        pre.setdefault(i, []).extend(found)
    odd = np.zeros(n, dtype=bool)
    raw = RawSites(
        n=n,
        label=lambda i: f"feature {i + 1}",
        columns=columns,
        lon=lon,
        lat=lat,
        flat=flat,
        lines=explode(hardware, LINE_KEYS, odd),
        sources=explode(sources, SOURCE_KEYS, odd),
        pre=pre,
        odd=odd,
        hardware_value=lambda i: hardware[i],
        sources_value=lambda i: sources[i],
    )
    metadata = doc.metadata if doc.metadata is not None else {}
    report(progress, 1.0, "reading")
    return raw, metadata, []


def _generic(
    path: str | os.PathLike[str], data: bytes, progress: Progress | None
) -> tuple[RawSites, dict[str, Any], list[Problem]]:
    """The feature-by-feature reading, for files the fast path does not take."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path} is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from None
    try:
        doc = decode_json(text)
    except JsonTextError as exc:
        kind = "valid" if exc.line is not None else "usable"
        raise DataFileError(f"{path} is not {kind} JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DataFileError(
            f"{path} is not a GeoJSON FeatureCollection (top level is a {json_type(doc)})"
        )
    if doc.get("type") != "FeatureCollection":
        raise DataFileError(
            f"{path} is not a GeoJSON FeatureCollection (type is {shorten(repr(doc.get('type')))})"
        )
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataFileError(f"{path}: GeoJSON 'features' must be a list, got {json_type(features)}")

    file_problems: list[Problem] = []
    metadata = doc.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        file_problems.append(
            Problem(
                "metadata",
                metadata,
                f"metadata must be an object, got {json_type(metadata)}",
                where="file",
            )
        )
        metadata = {}

    records: list[dict[str, Any]] = []
    lons: list[Any] = []
    lats: list[Any] = []
    pre: dict[int, list[Problem]] = {}
    flat: list[bool] = []
    rejected: set[int] = set()
    for n, feat in enumerate(features, start=1):
        base = f"feature {n}"
        if not isinstance(feat, dict):
            # Not a record at all: one problem, in its place among the others.
            rejected.add(n - 1)
            pre[n - 1] = [
                Problem(
                    "feature",
                    feat,
                    f"feature must be a GeoJSON Feature object, got {json_type(feat)}",
                    where=base,
                )
            ]
            records.append({})
            lons.append(0)
            lats.append(0)
            flat.append(False)
            continue
        props_raw = feat.get("properties")
        props: dict[str, Any] = dict(props_raw) if isinstance(props_raw, dict) else {}
        if props.get("id") in (None, "") and feat.get("id") not in (None, ""):
            props["id"] = feat["id"]
        label = record_label(base, props.get("id"))
        found: list[Problem] = []
        if feat.get("type") != "Feature":
            found.append(
                Problem(
                    "type",
                    feat.get("type"),
                    f"type must be 'Feature', got {shorten(repr(feat.get('type')))}",
                    where=label,
                )
            )
        if props_raw is not None and not isinstance(props_raw, dict):
            found.append(
                Problem(
                    "properties",
                    props_raw,
                    f"properties must be an object, got {json_type(props_raw)}",
                    where=label,
                )
            )
        is_flat = props.get("hardware") is None and props.get("chip_model") is not None
        for key in ("hardware", "sources"):
            if key in props and not (is_flat and key == "hardware"):
                props[key] = decode_json_list(props[key], key, found, label)
        lon, lat = point_coordinates(feat.get("geometry"), found, label)
        if found:
            pre[n - 1] = found
        records.append(props)
        lons.append(lon)
        lats.append(lat)
        flat.append(is_flat)
    raw = raw_from_records(
        records,
        lons,
        lats,
        lambda i: f"feature {i + 1}",
        pre=pre,
        flat=np.array(flat, dtype=bool),
    )
    raw.rejected = frozenset(rejected)
    report(progress, 1.0, "reading")
    return raw, metadata, file_problems


def point_coordinates(geometry: Any, problems: list[Problem], where: str) -> tuple[Any, Any]:
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
                f"geometry must be a GeoJSON object, got {json_type(geometry)}",
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


__all__ = ["json_type", "point_coordinates", "read_geojson_raw"]
