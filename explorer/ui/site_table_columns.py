"""What the site table filters and sorts by, per row: from built sites, or straight from
the columns a file was read into (then no site is built for rows nobody looks at).

Both give the same values for the same sites (``tests/ui/test_site_table_columns.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from explorer.core.schema import Site
from explorer.io.site_columns import SiteColumns
from explorer.ui.text_order import STEP_ROWS, Stepped, casefold_each

#: (key, header) per column of the table, in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("operator", "Operator"),
    ("tenant", "Tenant"),
    ("province", "Province"),
    ("prefecture", "Prefecture"),
    ("status", "Status"),
    ("chips", "Chips"),
    ("models", "Models"),
    ("power_mw", "Power MW"),
    ("confidence", "Confidence"),
)
#: The fields the text filter searches.
HAYSTACK_FIELDS = ("name", "operator", "tenant", "prefecture", "notes")


def models_text(site: Site) -> str:
    """Chip models of ``site`` in hardware-line order without repeats, e.g. ``"H100, H200"``."""
    return ", ".join(site.chips_by_model())


def haystack(site: Site) -> str:
    """The fields the text filter searches, case-folded once; ``"\\x00"`` never occurs
    in a typed filter, so a match cannot straddle two fields."""
    return "\x00".join(getattr(site, f) for f in HAYSTACK_FIELDS).casefold()


def sort_value(site: Site, key: str) -> Any:
    """What column ``key`` sorts ``site`` by: numbers for numeric columns, case-folded
    text otherwise."""
    if key == "chips":
        return site.chips
    if key == "power_mw":
        # Blank power sorts before every real figure (including 0 MW).
        return -1.0 if site.power_mw is None else float(site.power_mw)
    if key == "models":
        return models_text(site).casefold()
    return str(getattr(site, key)).casefold()


#: Per-row values the table filters and sorts by, derived from a site.
DERIVED: dict[str, Callable[[Site], Any]] = {
    "hay": haystack,
    "status": lambda s: s.status,
    "province": lambda s: s.province,
    "models": lambda s: tuple(s.chips_by_model()),
    **{f"sort:{key}": partial(sort_value, key=key) for key, _ in COLUMNS},
}


def _models_per_site(table: SiteColumns) -> list[tuple[str, ...]]:
    """Each site's chip models in line order without repeats."""
    models = table.lines["chip_model"].tolist()
    offsets = table.line_offsets.tolist()
    return [tuple(dict.fromkeys(models[a:b])) for a, b in zip(offsets, offsets[1:], strict=False)]


def table_column(table: SiteColumns, name: str) -> list[Any]:
    """The :data:`DERIVED` column ``name`` for every row of ``table``, read from its
    columns (what ``[DERIVED[name](site) for site in table.sites()]`` gives)."""
    text = table.text
    if name == "hay":
        return _hay(table, 0, len(table))
    if name in ("status", "province"):
        return text[name].tolist()  # type: ignore[no-any-return]
    if name == "models":
        return _models_per_site(table)  # type: ignore[return-value]
    key = name.removeprefix("sort:")
    if key == "chips":
        site_of_line = table.line_site()
        sums = np.bincount(site_of_line, weights=table.lines["chips"], minlength=len(table))
        return sums.astype(np.int64).tolist()  # type: ignore[no-any-return]
    if key == "power_mw":
        power = table.power_mw
        return np.where(np.isnan(power), -1.0, power).tolist()  # type: ignore[no-any-return]
    if key == "models":
        return [", ".join(m).casefold() for m in _models_per_site(table)]
    if name.startswith("sort:") and key in dict(COLUMNS):
        return casefold_each([str(v) for v in text[key].tolist()])
    raise KeyError(f"no table column {name!r}")


def table_column_steps(table: SiteColumns, name: str) -> Stepped:
    """:func:`table_column` in steps: the search text :data:`STEP_ROWS` rows at a time
    (joining and case-folding five fields of a million rows took 0.5-1.2 s at once)."""
    n = len(table)
    if name != "hay" or n <= STEP_ROWS:
        return table_column(table, name)
    hay: list[str] = []
    for start in range(0, n, STEP_ROWS):
        if start:
            yield None
        hay += _hay(table, start, start + STEP_ROWS)
    return hay


def _hay(table: SiteColumns, start: int, stop: int) -> list[str]:
    """The search text of rows ``start:stop``: the fields joined, case-folded."""
    fields = [table.text[f][start:stop].tolist() for f in HAYSTACK_FIELDS]
    return casefold_each(list(map("\x00".join, zip(*fields, strict=True))))


__all__ = [
    "COLUMNS",
    "DERIVED",
    "HAYSTACK_FIELDS",
    "haystack",
    "models_text",
    "sort_value",
    "table_column",
    "table_column_steps",
]
