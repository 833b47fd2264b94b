"""US export-control status for China, per chip model and date of effect.

The table lives in ``explorer/geodata/export_rules.csv`` with a source for every row
(see its section in ``explorer/geodata/PROVENANCE.md``). A chip is *restricted* on a
date when a licence was required to export it to China on that date, that is, when the
status in force is anything but ``no licence required``. Before a model's first row,
its first row applies.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from explorer import GEODATA

RULES_FILE = GEODATA / "export_rules.csv"

#: The statuses a row may have, from least to most restrictive in practice.
RULE_STATUSES: tuple[str, ...] = (
    "no licence required",
    "licensed with conditions",
    "case-by-case review",
    "licence required",
    "presumption of denial",
)
#: The one status under which a chip is not restricted.
UNRESTRICTED = "no licence required"


@dataclass(frozen=True)
class ExportRule:
    """One row: from ``effective`` on, ``model`` had ``status`` for exports to China."""

    model: str
    effective: date
    status: str
    rule: str = ""
    source_title: str = ""
    source_url: str = ""
    notes: str = ""

    @property
    def restricted(self) -> bool:
        return self.status != UNRESTRICTED


class ExportRules:
    """The rules of every model, in date order, with lookup by date.

    Raises
    ------
    ValueError
        An unknown status, or two rows of one model on the same date.
    """

    def __init__(self, rules: Iterable[ExportRule]) -> None:
        by_model: dict[str, list[ExportRule]] = {}
        for r in rules:
            if r.status not in RULE_STATUSES:
                raise ValueError(
                    f"export rule for {r.model!r} on {r.effective}: status must be one of "
                    f"{', '.join(RULE_STATUSES)}, got '{r.status}'"
                )
            by_model.setdefault(r.model, []).append(r)
        for model, rows in by_model.items():
            rows.sort(key=lambda r: r.effective)
            for a, b in zip(rows, rows[1:], strict=False):
                if a.effective == b.effective:
                    raise ValueError(f"export rules for {model!r}: two rows on {a.effective}")
        self._rows = by_model
        self._days = {m: [r.effective.toordinal() for r in rows] for m, rows in by_model.items()}

    @classmethod
    def load(cls, path: Path | str = RULES_FILE) -> ExportRules:
        """Read a rules CSV (columns ``model, effective_date, status, rule, source_title,
        source_url, notes``)."""
        path = Path(path)
        rows = []
        with path.open(newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    effective = date.fromisoformat(row["effective_date"].strip())
                except (KeyError, ValueError):
                    raise ValueError(
                        f"{path.name}: row {n}: effective_date must be YYYY-MM-DD, "
                        f"got {row.get('effective_date')!r}"
                    ) from None
                rows.append(
                    ExportRule(
                        model=row["model"].strip(),
                        effective=effective,
                        status=row["status"].strip(),
                        rule=(row.get("rule") or "").strip(),
                        source_title=(row.get("source_title") or "").strip(),
                        source_url=(row.get("source_url") or "").strip(),
                        notes=(row.get("notes") or "").strip(),
                    )
                )
        return cls(rows)

    def __contains__(self, model: object) -> bool:
        return model in self._rows

    def __iter__(self) -> Iterator[ExportRule]:
        for rows in self._rows.values():
            yield from rows

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self._rows)

    def rows(self, model: str) -> tuple[ExportRule, ...]:
        """The rows of ``model`` in date order (empty when it has none)."""
        return tuple(self._rows.get(model, ()))

    def rule_on(self, model: str, day: date) -> ExportRule | None:
        """The row in force for ``model`` on ``day`` (its first row before that row's
        date), or None when the model has no rows."""
        rows = self._rows.get(model)
        if not rows:
            return None
        i = bisect_right(self._days[model], day.toordinal()) - 1
        return rows[max(i, 0)]

    def change_days(self) -> list[date]:
        """Every date on which some model's status changed, in order."""
        days: set[date] = set()
        for rows in self._rows.values():
            for a, b in zip(rows, rows[1:], strict=False):
                if a.status != b.status:
                    days.add(b.effective)
        return sorted(days)


__all__ = ["RULES_FILE", "RULE_STATUSES", "UNRESTRICTED", "ExportRule", "ExportRules"]
