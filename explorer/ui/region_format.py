"""Text of region totals, shared by the regions panel and "Totals by area": the columns,
cell texts, sort values, tooltips and the tab-separated table that "Copy totals" writes.

Qt-free presentation: the panels put these strings in their cells. A figure with a
range reads ``central (low–high)``: ``12,000 (9,000–15,000)``; one without (every line's
range is its count) reads as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from explorer.geo.regions import CircleRegion, Region
from explorer.geo.totals import Totals
from explorer.ui.date_text import date_words

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
    "chips_low",
    "chips_high",
    "restricted_low",
    "restricted_high",
    "h100e_low",
    "h100e_high",
    "facility_mw_low",
    "facility_mw_high",
    "restricted_h100e",
    "unknown_model_chips",
    "as_of",
)
#: What the ``as_of`` column holds for the planned build-out (an undated total).
TSV_ALL_PLANNED = "all planned"


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


def unknown_model_text(t: Totals) -> str:
    """``"1,000 chips of unknown model: not in H100e or power"``; empty when none."""
    n = t.unknown_model_chips
    if not n:
        return ""
    return f"{n:,} chip{'s' * (n != 1)} of unknown model: not in H100e or power"


def ranged_text(central: float, low: float, high: float, spec: str = ",d") -> str:
    """The central figure with its range when the range says more: ``12,000 (9,000–15,000)``.

    ``spec`` is the format of each number (``",d"`` for counts, ``",.1f"`` for H100e
    and MW); a range that prints as the central figure is left out.
    """
    text = format(central, spec)
    lo, hi = format(low, spec), format(high, spec)
    return text if lo == text == hi else f"{text} ({lo}–{hi})"


def chips_text(t: Totals) -> str:
    """Chips, central (low–high)."""
    return ranged_text(t.chips, *t.chips_range)


def restricted_text(t: Totals) -> str:
    """Restricted chips, central (low–high)."""
    return ranged_text(t.restricted_chips, *t.restricted_range)


def h100e_text(t: Totals) -> str:
    """H100-equivalents, central (low–high), one decimal."""
    return ranged_text(t.h100e, *t.h100e_range, spec=",.1f")


def facility_text(t: Totals) -> str:
    """Facility power in MW, central (low–high: low and high factors), one decimal."""
    return ranged_text(t.facility_power_mw, *t.facility_power_range, spec=",.1f")


def totals_cells(t: Totals) -> dict[str, Any]:
    """Display text of the numeric and by-model columns for one :class:`Totals`.

    Chips, restricted chips, H100e and facility power show the central figure with the
    low–high range; the by-model cell says when chips of unknown model are left out of
    H100e and power.
    """
    by_model = by_model_text(t.by_model)
    if t.unknown_model_chips:
        # Short in the cell (the row's tooltip and the union line say it in full).
        by_model += " (unknown model: not in H100e or power)"
    return {
        "sites": f"{t.site_count:,}",
        "chips": chips_text(t),
        "by_model": by_model,
        "restricted": restricted_text(t),
        "h100e": h100e_text(t),
        "it_mw": f"{t.it_power_mw:,.1f}",
        "facility_mw": facility_text(t),
    }


def totals_sort_value(t: Totals, key: str) -> float:
    """The number a numeric column sorts by (the central figure)."""
    return {
        "sites": t.site_count,
        "chips": t.chips,
        "restricted": t.restricted_chips,
        "h100e": t.h100e,
        "it_mw": t.it_power_mw,
        "facility_mw": t.facility_power_mw,
    }[key]


def totals_summary(t: Totals) -> str:
    """One line of every figure, for the union line and the status bar: sites, chips,
    restricted chips, H100e, IT and facility power, by model, unknown-model chips."""
    parts = [
        f"{t.site_count:,} site{'s' * (t.site_count != 1)}",
        f"{chips_text(t)} chips",
        f"{restricted_text(t)} restricted",
        f"{h100e_text(t)} H100e",
        f"{t.it_power_mw:,.1f} IT MW",
        f"{facility_text(t)} facility MW",
    ]
    by_model = by_model_text(t.by_model)
    if by_model:
        parts.append(by_model)
    unknown = unknown_model_text(t)
    if unknown:
        parts.append(unknown)
    return " · ".join(parts)


def totals_tooltip(t: Totals) -> str:
    """Full-precision figures with their ranges, the date and the power assumptions, for
    a row's tooltip."""
    f = t.factors
    when = (
        f"As of {date_words(t.as_of)}: lines online by then, export rules in force then"
        if t.as_of is not None
        else "All planned: every line not cancelled"
        + (f", export rules of {date_words(t.rules_day)}" if t.rules_day is not None else "")
    )
    lo, hi = t.chips_range
    rlo, rhi = t.restricted_range
    hlo, hhi = t.h100e_range
    flo, fhi = t.facility_power_range
    lines = [
        when,
        f"{t.site_count:,} sites · {t.chips:,} chips (range {lo:,}–{hi:,})",
        f"Restricted: {t.restricted_chips:,} chips (range {rlo:,}–{rhi:,}), "
        f"{t.restricted_h100e:,.3f} H100e",
        f"H100-equivalents: {t.h100e:,.3f} (range {hlo:,.3f}–{hhi:,.3f})",
        f"IT power: {t.it_power_mw:,.3f} MW (board power × {f.server_overhead:g} server overhead)",
        f"Facility power: {t.facility_power_mw:,.3f} MW (IT × {f.pue:g} PUE; range "
        f"{flo:,.3f}–{fhi:,.3f} MW with overhead {f.server_overhead_low:g}–"
        f"{f.server_overhead_high:g} and PUE {f.pue_low:g}–{f.pue_high:g})",
    ]
    if t.reported_power_mw:
        lines.append(f"Reported power of these sites: {t.reported_power_mw:,.3f} MW")
    if t.by_model:
        lines.append("By model: " + by_model_text(t.by_model))
    unknown = unknown_model_text(t)
    if unknown:
        lines.append(unknown[0].upper() + unknown[1:])
    return "\n".join(lines)


def _tsv_cell(text: str) -> str:
    # A tab or newline inside a name would shift every later column.
    return " ".join(text.split())


def _decimal(value: float) -> str:
    # The rounding `explorer totals --json` uses (Totals.to_json), so the two agree.
    return f"{round(value, 3):.3f}"


def totals_tsv(rows: Sequence[Totals], models: Sequence[str] | None = None) -> str:
    """Tab-separated table of ``rows`` with a header row, for the clipboard.

    Columns: :data:`TSV_HEADER`, then one per chip model (central figures). The first
    seven columns are those of earlier versions, with their meaning (central figures);
    then the low and high ends of the ranges, restricted H100e, chips of unknown model
    and the date counted up to (``YYYY-MM-DD``, or :data:`TSV_ALL_PLANNED`). Counts are
    exact integers without thousands separators; H100e and MW are rounded to 3
    decimals, as in ``explorer totals --json``.

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
            str(t.chips_range[0]),
            str(t.chips_range[1]),
            str(t.restricted_range[0]),
            str(t.restricted_range[1]),
            _decimal(t.h100e_range[0]),
            _decimal(t.h100e_range[1]),
            _decimal(t.facility_power_range[0]),
            _decimal(t.facility_power_range[1]),
            _decimal(t.restricted_h100e),
            str(t.unknown_model_chips),
            t.as_of.isoformat() if t.as_of is not None else TSV_ALL_PLANNED,
            *(str(counts.get(m, 0)) for m in models),
        ]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
