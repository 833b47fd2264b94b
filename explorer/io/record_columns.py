"""Records (one mapping per site, as GeoJSON features and CSV rows give them) as the
raw columns the column checks read (:class:`~explorer.io.raw_sites.RawSites`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from explorer.core.errors import Problem
from explorer.io.raw_sites import (
    FLAT_LINE_KEYS,
    LINE_KEYS,
    SITE_KEYS,
    SOURCE_KEYS,
    ChildRows,
    RawSites,
)

_RECORD_KEYS = tuple(dict.fromkeys((*SITE_KEYS, *FLAT_LINE_KEYS)))


def explode(values: Sequence[Any], keys: Sequence[str], odd: np.ndarray) -> ChildRows:
    """Child rows of per-record lists of objects (hardware lines, sources).

    A record whose value is neither missing nor a list of objects is marked in ``odd``
    (the per-record path words the problem) and contributes no rows.
    """
    site: list[int] = []
    cols: dict[str, list[Any]] = {k: [] for k in keys}
    if values.count(None) == len(values) if isinstance(values, list) else False:
        return ChildRows(np.zeros(0, dtype=np.int64), dict(cols))
    for i, value in enumerate(values):
        if value is None or value == "":
            continue
        if type(value) is not list:
            odd[i] = True
            continue
        if not all(type(item) is dict for item in value):
            odd[i] = True
            continue
        for item in value:
            site.append(i)
            for k in keys:
                cols[k].append(item.get(k))
    return ChildRows(np.array(site, dtype=np.int64), dict(cols))


def raw_from_records(
    records: Sequence[dict[str, Any]],
    lon: Sequence[Any],
    lat: Sequence[Any],
    label: Callable[[int], str],
    *,
    pre: dict[int, list[Problem]],
    flat: np.ndarray,
) -> RawSites:
    """Raw columns of ``records`` (each a site's properties, ``hardware`` and ``sources``
    already decoded from JSON text where a file held them so).

    Parameters
    ----------
    records : sequence of dict
    lon, lat : sequence
        Coordinates as found.
    label : callable
        ``label(i)``: record ``i``'s position for messages.
    pre : dict
        Problems the reader found, by record.
    flat : numpy.ndarray of bool
        Records whose hardware is the flat ``chip_model``/``chips`` columns.
    """
    n = len(records)
    columns: dict[str, Any] = {}
    for key in _RECORD_KEYS:
        col = [r.get(key) for r in records]
        if key == "id" or any(v is not None for v in col):
            columns[key] = col
    odd = np.zeros(n, dtype=bool)
    hardware = [None if flat[i] else r.get("hardware") for i, r in enumerate(records)]
    sources = [r.get("sources") for r in records]
    lines = explode(hardware, LINE_KEYS, odd)
    srcs = explode(sources, SOURCE_KEYS, odd)
    return RawSites(
        n=n,
        label=label,
        columns=columns,
        lon=list(lon),
        lat=list(lat),
        flat=flat,
        lines=lines,
        sources=srcs,
        pre=pre,
        odd=odd,
        hardware_value=lambda i: hardware[i],
        sources_value=lambda i: sources[i],
    )


__all__ = ["explode", "raw_from_records"]
