"""The report's data tables: a region's totals, its sites, the regions compared, and the
chip figures used.

Every value is a figure computed elsewhere (:mod:`explorer.geo.totals`, the chip
catalogue), written with :mod:`~explorer.io.report.formatting`; user text goes
through :func:`~explorer.io.report.fonts.rich`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Paragraph, Table

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue, ChipModel
from explorer.core.schema import Site
from explorer.geo.totals import Totals
from explorer.io.report.citations import SourceIndex
from explorer.io.report.fonts import ReportFonts, rich
from explorer.io.report.formatting import fmt_dec, fmt_int, fmt_num
from explorer.io.report.styles import FRAME_W, Styles, grid_table


def totals_table(
    t: Totals, section_sites: Sequence[Site], cat: ChipCatalogue, st: Styles, fonts: ReportFonts
) -> Table:
    """Measure / value / how-computed rows for one region's totals, by model indented."""
    f = t.factors
    ref = fmt_num(cat[REFERENCE_MODEL].bf16_dense_tflops)
    reporting = sum(1 for s in section_sites if s.power_mw is not None)

    def row(
        label: str, value: str, how: str, *, indent: bool = False, bold: bool = False
    ) -> list[Any]:
        lab = ("&nbsp;&nbsp;&nbsp;&nbsp;" if indent else "") + label
        return [
            Paragraph(lab, st.cell_bold if bold else st.cell),
            Paragraph(value, st.cell_right_bold if bold else st.cell_right),
            Paragraph(how, st.small),
        ]

    rows: list[list[Any]] = [
        [
            Paragraph("Measure", st.head),
            Paragraph("Value", st.head_right),
            Paragraph("How it is computed", st.head),
        ],
        row("Sites", fmt_int(t.site_count), "sites inside the region (boundary counts as inside)"),
        row("Chips", fmt_int(t.chips), "sum of the sites' hardware lines", bold=True),
    ]
    for model, n in t.by_model:
        rows.append(
            row(rich(model, fonts), fmt_int(n), f"chips of model {rich(model, fonts)}", indent=True)
        )
    rows += [
        row(
            "Restricted chips",
            fmt_int(t.restricted_chips),
            "models that need a US export licence for China",
            bold=True,
        ),
        row("H100-equivalents", fmt_dec(t.h100e), f"chips × dense BF16 TFLOP/s ÷ {ref} (H100)"),
        row(
            "IT power, MW (estimate)",
            fmt_dec(t.it_power_mw),
            f"chips × board power × {f.server_overhead:g} server overhead",
        ),
        row(
            "Facility power, MW (estimate)",
            fmt_dec(t.facility_power_mw),
            f"IT power × PUE {f.pue:g}",
        ),
        row(
            "Reported power, MW",
            fmt_dec(t.reported_power_mw) if reporting else "–",
            f"sum of the figures {reporting} of {len(section_sites)} sites give"
            if reporting
            else "no site here gives a power figure",
        ),
    ]
    return grid_table(rows, (0.33 * FRAME_W, 0.17 * FRAME_W, 0.50 * FRAME_W), right_from=1)


def sites_table(sites: Sequence[Site], index: SourceIndex, st: Styles, fonts: ReportFonts) -> Table:
    """One row per site: name, province, status, chips, models, confidence, citations."""
    head = ["Site", "Province", "Status", "Chips", "Models", "Confidence", "Sources"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if h == "Chips" else st.head) for h in head]
    ]
    for s in sites:
        models = "<br/>".join(
            f"{rich(m, fonts)} × {fmt_int(n)}" for m, n in s.chips_by_model().items()
        )
        nums = [f"[{n}]" for n in index.numbers(s)]
        # Groups of four keep "[1][3]" compact yet let a long list wrap between groups.
        cites = " ".join("".join(nums[i : i + 4]) for i in range(0, len(nums), 4))
        rows.append(
            [
                Paragraph(rich(s.name, fonts), st.cell),
                Paragraph(rich(s.province, fonts), st.cell),
                Paragraph(rich(s.status, fonts), st.cell),
                Paragraph(fmt_int(s.chips), st.cell_right),
                Paragraph(models or "–", st.cell),
                Paragraph(rich(s.confidence, fonts), st.cell),
                Paragraph(cites or "–", st.cell),
            ]
        )
    w = FRAME_W
    widths = (0.32 * w, 0.105 * w, 0.09 * w, 0.09 * w, 0.155 * w, 0.13 * w, 0.11 * w)
    return grid_table(rows, widths, right_from=len(widths))


def comparison_table(
    region_totals: Sequence[Totals], union: Totals, st: Styles, fonts: ReportFonts
) -> Table:
    """One row per region, numbered from 1 in order, then the union's row in bold."""
    head = ["Region", "Sites", "Chips", "Restricted", "H100e", "IT MW", "Facility MW"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head if i == 0 else st.head_right) for i, h in enumerate(head)]
    ]

    def values(t: Totals) -> list[str]:
        return [
            fmt_int(t.site_count),
            fmt_int(t.chips),
            fmt_int(t.restricted_chips),
            fmt_dec(t.h100e),
            fmt_dec(t.it_power_mw),
            fmt_dec(t.facility_power_mw),
        ]

    for number, t in enumerate(region_totals, start=1):
        rows.append(
            [Paragraph(f"{number}. {rich(t.region, fonts)}", st.cell)]
            + [Paragraph(v, st.cell_right) for v in values(t)]
        )
    rows.append(
        [Paragraph(rich(union.region, fonts), st.cell_bold)]
        + [Paragraph(v, st.cell_right_bold) for v in values(union)]
    )
    w = FRAME_W
    widths = (0.31 * w, 0.08 * w, 0.12 * w, 0.12 * w, 0.12 * w, 0.11 * w, 0.14 * w)
    return grid_table(rows, widths, right_from=1, bold_last=True)


def catalogue_table(models: Sequence[ChipModel], st: Styles, fonts: ReportFonts) -> Table:
    """The catalogue's figures for ``models``: TFLOP/s, board power, US licence status."""
    head = [
        "Model",
        "Vendor",
        "BF16 TFLOP/s (dense)",
        "Board power (W)",
        "US licence",
        "Since",
        "Rule",
    ]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if 2 <= i <= 3 else st.head) for i, h in enumerate(head)]
    ]
    for m in models:
        rows.append(
            [
                Paragraph(rich(m.model, fonts), st.cell_bold),
                Paragraph(rich(m.vendor, fonts), st.cell),
                Paragraph(fmt_num(m.bf16_dense_tflops), st.cell_right),
                Paragraph(fmt_num(m.board_power_w), st.cell_right),
                Paragraph("yes" if m.restricted else "no", st.cell),
                Paragraph(rich(m.licence_required_since or "–", fonts), st.cell),
                Paragraph(rich(m.rule or "–", fonts), st.small),
            ]
        )
    w = FRAME_W
    widths = (0.145 * w, 0.10 * w, 0.10 * w, 0.09 * w, 0.09 * w, 0.12 * w, 0.355 * w)
    return grid_table(rows, widths, right_from=len(widths))


__all__ = ["catalogue_table", "comparison_table", "sites_table", "totals_table"]
