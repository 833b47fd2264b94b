"""Helpers shared by the test modules (not fixtures: import them where needed)."""

from __future__ import annotations

from typing import Any

from explorer.core.chips import ChipCatalogue, ChipModel


def chip_model(
    model: str,
    *,
    restricted: bool = True,
    tflops: float = 989.0,
    watts: float = 700.0,
    **fields: Any,
) -> ChipModel:
    """A hand-built catalogue row, so tests need not depend on ``explorer/geodata/chips.csv``.

    ``fields`` override the other :class:`ChipModel` fields, which default to a
    "test" vendor, 80 GB of HBM3 and empty provenance.
    """
    values: dict[str, Any] = {
        "vendor": "test",
        "memory_gb": 80.0,
        "memory_type": "HBM3",
        "licence_required_since": "",
        "rule": "",
        "source_perf": "",
        "source_power": "",
        "source_export": "",
    }
    values.update(fields)
    return ChipModel(
        model=model,
        bf16_dense_tflops=tflops,
        board_power_w=watts,
        restricted=restricted,
        **values,
    )


def totals_catalogue() -> ChipCatalogue:
    """Figures chosen for easy arithmetic (H100e: H100 1, H20 0.15, Ascend 0.8)."""
    return ChipCatalogue(
        [
            chip_model("H100", tflops=1000, watts=700),
            chip_model("H20", tflops=150, watts=400),
            chip_model("Ascend 910C", restricted=False, tflops=800, watts=600),
        ]
    )


class SiteBuilds:
    """Sites built from columns while attached (by id, in order): one row at a time
    (``SiteColumns.site``), or a pass over a table (``SiteColumns.iter_sites``: all of a
    file's rows, or a few taken out of it), recorded through ``monkeypatch``.

    Attributes
    ----------
    ids : list of str
        Every site built, in order.
    passes : list of int
        The rows of each pass.
    """

    def __init__(self, monkeypatch: Any) -> None:
        from explorer.io.site_columns import SiteColumns

        self.ids: list[str] = []
        self.passes: list[int] = []
        site, iter_sites = SiteColumns.site, SiteColumns.iter_sites

        def counted_site(columns: SiteColumns, i: int) -> Any:
            self.ids.append(str(columns.ids[i]))
            return site(columns, i)

        def counted_iter(columns: SiteColumns) -> Any:
            self.passes.append(len(columns))
            self.ids.extend(columns.ids.tolist())
            return iter_sites(columns)

        monkeypatch.setattr(SiteColumns, "site", counted_site)
        monkeypatch.setattr(SiteColumns, "iter_sites", counted_iter)
