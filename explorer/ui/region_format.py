"""Text of region totals, shared by the regions panel and "Totals by area": the columns,
cell texts, sort values, tooltips and the tab-separated table that "Copy totals" writes.

Qt-free presentation: the panels put these strings in their cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from explorer.geo.regions import CircleRegion, Region
from explorer.geo.totals import Totals

#: (key, header) per column, in display order; shared with the area totals table.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("kind", "Kind"),
    ("sites", "Sites"),
    ("chips", "Chips"),
    ("by_model", "By model"),
    ("restricted", "Restricted"),
    ("h100e", "H100e"),
    ("it_mw", "IT MW"),
    ("facility_mw", "Facility MW"),
)
NUMERIC_COLUMNS = frozenset({"sites", "chips", "restricted", "h100e", "it_mw", "facility_mw"})

#: Header of the TSV that "Copy totals" writes (then one column per chip model).
TSV_HEADER: tuple[str, ...] = (
    "region",
    "sites",
    "chips",
    "restricted",
    "h100e",
    "it_mw",
    "facility_mw",
)


def column_of(key: str) -> int:
    """Column number of the column ``key`` (e.g. ``"chips"``); raises ``KeyError``."""
    for i, (k, _) in enumerate(COLUMNS):
        if k == key:
            return i
    raise KeyError(key)


# =========================================================================== Qt-free helpers


def radius_km_text(radius_m: float) -> str:
    """A circle radius in km with sensible precision: ``"50"``, ``"12.5"``, ``"0.25"``."""
    km = radius_m / 1000.0
    decimals = 2 if km < 10 else 1 if km < 100 else 0
    text = f"{km:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def kind_text(region: Region, kind: str) -> str:
    """What the Kind column shows: ``polygon``, ``rectangle``, ``circle · 50 km``."""
    if isinstance(region, CircleRegion):
        return f"circle · {radius_km_text(region.radius_m)} km"
    return kind


def by_model_text(by_model: Iterable[tuple[str, int]]) -> str:
    """``"H100 49,040 · H200 66,960"``; empty when there are no chips."""
    return " · ".join(f"{m} {n:,}" for m, n in by_model)


def totals_cells(t: Totals) -> dict[str, Any]:
    """Display text of the numeric and by-model columns for one :class:`Totals`."""
    return {
        "sites": f"{t.site_count:,}",
        "chips": f"{t.chips:,}",
        "by_model": by_model_text(t.by_model),
        "restricted": f"{t.restricted_chips:,}",
        "h100e": f"{t.h100e:,.1f}",
        "it_mw": f"{t.it_power_mw:,.1f}",
        "facility_mw": f"{t.facility_power_mw:,.1f}",
    }


def totals_sort_value(t: Totals, key: str) -> float:
    """The number a numeric column sorts by."""
    return {
        "sites": t.site_count,
        "chips": t.chips,
        "restricted": t.restricted_chips,
        "h100e": t.h100e,
        "it_mw": t.it_power_mw,
        "facility_mw": t.facility_power_mw,
    }[key]


def totals_tooltip(t: Totals) -> str:
    """Full-precision figures and the power assumptions, for a row's tooltip."""
    f = t.factors
    lines = [
        f"{t.site_count:,} sites · {t.chips:,} chips ({t.restricted_chips:,} restricted)",
        f"H100-equivalents: {t.h100e:,.3f}",
        f"IT power: {t.it_power_mw:,.3f} MW (board power × {f.server_overhead:g} server overhead)",
        f"Facility power: {t.facility_power_mw:,.3f} MW (IT × {f.pue:g} PUE)",
    ]
    if t.reported_power_mw:
        lines.append(f"Reported power of these sites: {t.reported_power_mw:,.3f} MW")
    if t.by_model:
        lines.append("By model: " + by_model_text(t.by_model))
    return "\n".join(lines)


def _tsv_cell(text: str) -> str:
    # A tab or newline inside a name would shift every later column.
    return " ".join(text.split())


def _decimal(value: float) -> str:
    # The rounding `explorer totals --json` uses (Totals.to_json), so the two agree.
    return f"{round(value, 3):.3f}"


def totals_tsv(rows: Sequence[Totals], models: Sequence[str] | None = None) -> str:
    """Tab-separated table of ``rows`` with a header row, for the clipboard.

    Columns: :data:`TSV_HEADER`, then one per chip model. Counts are exact integers
    without thousands separators; H100e and MW are rounded to 3 decimals, as in
    ``explorer totals --json``.

    Parameters
    ----------
    rows : sequence of Totals
    models : sequence of str, optional
        Model columns, in order. Default: every model with chips in any row, in the
        order the rows list them (catalogue order).

    Returns
    -------
    str
        Lines joined by ``"\\n"``, with a trailing newline.
    """
    if models is None:
        found: list[str] = []
        for t in rows:
            found.extend(m for m, _ in t.by_model if m not in found)
        models = found
    lines = ["\t".join((*TSV_HEADER, *models))]
    for t in rows:
        counts = t.by_model_dict()
        cells = [
            _tsv_cell(t.region),
            str(t.site_count),
            str(t.chips),
            str(t.restricted_chips),
            _decimal(t.h100e),
            _decimal(t.it_power_mw),
            _decimal(t.facility_power_mw),
            *(str(counts.get(m, 0)) for m in models),
        ]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
