"""What the map page is told about a site: a small, JSON-ready dict per site.

Qt-free so it can be tested without a QApplication. The page never sees the full
site record, only what it draws: position, name, chip totals, export-control status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site


def site_payload(site: Site, catalogue: ChipCatalogue) -> dict[str, Any]:
    """The fields of ``site`` the map page draws.

    Parameters
    ----------
    site : Site
        The site to describe.
    catalogue : ChipCatalogue
        Decides which chip models are export-restricted. A model missing from the
        catalogue counts as not restricted (the store rejects unknown models, so this
        only matters for catalogues built by hand).

    Returns
    -------
    dict
        ``{id, name, lon, lat, chips, restricted_chips, restricted, models,
        primary_model, status, confidence, illustrative}``; ``models`` lists the chip
        models by descending chip count and ``primary_model`` is the first of them
        (``None`` when the site has no chips).
    """
    by_model = site.chips_by_model()
    # Stable order: most chips first, ties in hardware-line order.
    models = sorted(by_model, key=lambda m: -by_model[m])
    restricted_chips = sum(
        n for m, n in by_model.items() if m in catalogue and catalogue[m].restricted
    )
    chips = site.chips
    return {
        "id": site.id,
        "name": site.name,
        "lon": float(site.lon),
        "lat": float(site.lat),
        "chips": chips,
        "restricted_chips": restricted_chips,
        "restricted": restricted_chips > 0,
        "models": models,
        "primary_model": models[0] if models and by_model[models[0]] > 0 else None,
        "status": site.status,
        "confidence": site.confidence,
        "illustrative": site.is_illustrative,
    }


def catalogue_payload(catalogue: ChipCatalogue) -> list[dict[str, Any]]:
    """Chip models in catalogue order with their export status (drives model colours)."""
    return [{"name": m.model, "restricted": bool(m.restricted)} for m in catalogue]


def sites_payload(sites: Iterable[Site], catalogue: ChipCatalogue) -> list[dict[str, Any]]:
    """:func:`site_payload` for each site, in the given order."""
    return [site_payload(s, catalogue) for s in sites]


def to_json(value: Any) -> str:
    """Strict JSON for the page: no NaN/Infinity, UTF-8 kept as is."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


__all__ = [
    "catalogue_payload",
    "site_payload",
    "sites_payload",
    "to_json",
]
