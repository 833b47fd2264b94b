"""The chip catalogue: per-model throughput, power and export-control status.

The figures live in ``explorer/geodata/chips.csv`` with a citation for each; this module
only loads and serves them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from explorer import GEODATA
from explorer.core.rules import RULES_FILE, ExportRules

CATALOGUE_FILE = GEODATA / "chips.csv"

#: The reference chip for "H100-equivalents".
REFERENCE_MODEL = "H100"


@dataclass(frozen=True)
class ChipModel:
    """One row of the chip catalogue."""

    model: str
    vendor: str
    bf16_dense_tflops: float
    board_power_w: float
    memory_gb: float
    memory_type: str
    restricted: bool
    licence_required_since: str
    rule: str
    source_perf: str
    source_power: str
    source_export: str
    notes: str = ""

    @property
    def has_figures(self) -> bool:
        """False for a model with no throughput or power figures (``Other``, unknown):
        its chips are reported as such and never silently counted as zero."""
        return self.bf16_dense_tflops > 0 and self.board_power_w > 0


class ChipCatalogue:
    """Lookup of chip models by their exact key (``"H100"``, ``"Ascend 910C"``...).

    Parameters
    ----------
    models : list of ChipModel
    rules : ExportRules, optional
        Export-control status by date. A model without rows falls back to its
        catalogue flag (``restricted``) on every date.
    """

    def __init__(self, models: list[ChipModel], rules: ExportRules | None = None):
        if not models:
            raise ValueError("chip catalogue is empty")
        self._models = {m.model: m for m in models}
        if len(self._models) != len(models):
            raise ValueError("chip catalogue has duplicate model keys")
        if REFERENCE_MODEL not in self._models:
            raise ValueError(f"chip catalogue lacks the reference model {REFERENCE_MODEL!r}")
        self.rules = rules if rules is not None else ExportRules([])

    @classmethod
    def bundled(cls) -> ChipCatalogue:
        """The catalogue that ships with the application, read afresh.

        There is deliberately no process-wide instance: whoever opens a session, a file
        or a total is handed (or reads) its own catalogue and passes it on.
        """
        return cls.load(CATALOGUE_FILE, rules=ExportRules.load(RULES_FILE))

    @classmethod
    def load(
        cls, path: Path | str = CATALOGUE_FILE, *, rules: ExportRules | None = None
    ) -> ChipCatalogue:
        """Read a catalogue CSV (see ``explorer/geodata/PROVENANCE.md`` for the columns)."""
        path = Path(path)
        models = []
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                licence = row["export_licence_required_china"].strip().lower()
                if licence not in ("yes", "no"):
                    raise ValueError(
                        f"{path.name}: export_licence_required_china must be yes or no, "
                        f"got {licence!r} for {row['model']!r}"
                    )
                models.append(
                    ChipModel(
                        model=row["model"].strip(),
                        vendor=row["vendor"].strip(),
                        bf16_dense_tflops=float(row["bf16_dense_tflops"] or 0),
                        board_power_w=float(row["board_power_w"] or 0),
                        memory_gb=float(row["memory_gb"] or 0),
                        memory_type=row.get("memory_type", "").strip(),
                        restricted=licence == "yes",
                        licence_required_since=row.get("licence_required_since", "").strip(),
                        rule=row.get("rule", "").strip(),
                        source_perf=row.get("source_perf", "").strip(),
                        source_power=row.get("source_power", "").strip(),
                        source_export=row.get("source_export", "").strip(),
                        notes=row.get("notes", "").strip(),
                    )
                )
        return cls(models, rules)

    def __contains__(self, model: object) -> bool:
        return model in self._models

    def __getitem__(self, model: str) -> ChipModel:
        return self._models[model]

    def __iter__(self) -> Iterator[ChipModel]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    @property
    def names(self) -> tuple[str, ...]:
        """Model keys in catalogue order."""
        return tuple(self._models)

    def restricted_on(self, model: str, day: date) -> bool:
        """Whether a licence was required to export ``model`` to China on ``day``."""
        rule = self.rules.rule_on(model, day)
        if rule is None:
            return self._models[model].restricted
        return rule.restricted
