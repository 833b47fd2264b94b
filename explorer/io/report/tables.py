"""The report's data tables: a region's totals, its sites, the regions compared, the chip
figures and the export rules used.

Every value is a figure computed elsewhere (:mod:`explorer.geo.totals`, the chip
catalogue), written with :mod:`~explorer.io.report.formatting`; user text goes
through :func:`~explorer.io.report.fonts.rich`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from reportlab.platypus import Paragraph, Table

from explorer.core.chips import REFERENCE_MODEL, ChipCatalogue, ChipModel
from explorer.core.rules import ExportRule
from explorer.core.schema import Site
from explorer.geo.totals import Totals
from explorer.io.report.citations import SourceIndex
from explorer.io.report.fonts import ReportFonts, rich
from explorer.io.report.formatting import fmt_dec, fmt_int, fmt_num
from explorer.io.report.styles import FRAME_W, MUTED, Styles, grid_table


def totals_table(
    t: Totals, section_sites: Sequence[Site], cat: ChipCatalogue, st: Styles, fonts: ReportFonts
) -> Table:
    """Measure / low / central / high / how-computed rows for one region's totals.

    Chips, restricted chips, H100-equivalents and facility power carry their low-high
    range; the other rows have one figure (in the central column). Chips by model are
    indented under the chips; restricted H100e and chips of unknown model appear when
    they are not zero.
    """
    f = t.factors
    ref = fmt_num(cat[REFERENCE_MODEL].bf16_dense_tflops)
    reporting = sum(1 for s in section_sites if s.power_mw is not None)
    day = t.rules_day.isoformat() if t.rules_day is not None else "today"

    def row(
        label: str,
        value: str,
        how: str,
        *,
        low: str = "",
        high: str = "",
        indent: bool = False,
        bold: bool = False,
    ) -> list[Any]:
        lab = ("&nbsp;&nbsp;&nbsp;&nbsp;" if indent else "") + label
        num = st.cell_right_bold if bold else st.cell_right
        return [
            Paragraph(lab, st.cell_bold if bold else st.cell),
            Paragraph(low, st.cell_right),
            Paragraph(value, num),
            Paragraph(high, st.cell_right),
            Paragraph(how, st.small),
        ]

    rows: list[list[Any]] = [
        [
            Paragraph("Measure", st.head),
            Paragraph("Low", st.head_right),
            Paragraph("Central", st.head_right),
            Paragraph("High", st.head_right),
            Paragraph("How it is computed", st.head),
        ],
        row("Sites", fmt_int(t.site_count), "sites inside the region (boundary counts as inside)"),
        row(
            "Chips",
            fmt_int(t.chips),
            "hardware lines counted (a campus and its parts once; superseded records and "
            "cancelled lines never)",
            low=fmt_int(t.chips_range[0]),
            high=fmt_int(t.chips_range[1]),
            bold=True,
        ),
    ]
    for model, n in t.by_model:
        rows.append(
            row(rich(model, fonts), fmt_int(n), f"chips of model {rich(model, fonts)}", indent=True)
        )
    if t.unknown_model_chips:
        rows.append(
            row(
                "Chips of unknown model",
                fmt_int(t.unknown_model_chips),
                "no catalogue figures: counted in the chips, not in H100e or power",
            )
        )
    rows += [
        row(
            "Restricted chips",
            fmt_int(t.restricted_chips),
            f"models that needed a US export licence for China on {day}",
            low=fmt_int(t.restricted_range[0]),
            high=fmt_int(t.restricted_range[1]),
            bold=True,
        ),
        row(
            "H100-equivalents",
            fmt_dec(t.h100e),
            f"chips × dense BF16 TFLOP/s ÷ {ref} (H100)",
            low=fmt_dec(t.h100e_range[0]),
            high=fmt_dec(t.h100e_range[1]),
        ),
    ]
    if t.restricted_h100e:
        rows.append(
            row(
                "Restricted H100e",
                fmt_dec(t.restricted_h100e),
                "H100-equivalents of the restricted chips",
            )
        )
    rows += [
        row(
            "IT power, MW",
            fmt_dec(t.it_power_mw),
            f"estimate: chips × board power × {f.server_overhead:g} server overhead",
        ),
        row(
            "Facility power, MW",
            fmt_dec(t.facility_power_mw),
            f"estimate: IT power × PUE {f.pue:g}; low: low chips × {f.server_overhead_low:g} × PUE "
            f"{f.pue_low:g}; high: high chips × {f.server_overhead_high:g} × PUE {f.pue_high:g}",
            low=fmt_dec(t.facility_power_range[0]),
            high=fmt_dec(t.facility_power_range[1]),
        ),
        row(
            "Reported power, MW",
            fmt_dec(t.reported_power_mw) if reporting else "–",
            f"sum of the figures {reporting} of {len(section_sites)} sites give"
            if reporting
            else "no site here gives a power figure",
        ),
    ]
    w = FRAME_W
    widths = (0.25 * w, 0.105 * w, 0.115 * w, 0.105 * w, 0.425 * w)
    return grid_table(rows, widths, right_from=len(widths))


def sites_table(
    sites: Sequence[Site],
    counted: Mapping[str, int],
    index: SourceIndex,
    st: Styles,
    fonts: ReportFonts,
) -> Table:
    """One row per site: name (province under it), status, chips, chips counted, models,
    confidence, citations.

    ``counted`` maps a site id to the chips it adds to the totals (central): its lines
    online by the report's date, a campus only what its parts do not hold, a
    superseded record nothing.
    """
    head = ["Site", "Status", "Chips", "Counted", "Models", "Confidence", "Sources"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if h in ("Chips", "Counted") else st.head) for h in head]
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
                Paragraph(_name_and_province(s, fonts), st.cell),
                Paragraph(rich(s.status, fonts), st.cell),
                Paragraph(fmt_int(s.chips), st.cell_right),
                Paragraph(fmt_int(counted.get(s.id, 0)), st.cell_right),
                Paragraph(models or "–", st.cell),
                Paragraph(rich(s.confidence, fonts), st.cell),
                Paragraph(cites or "–", st.cell),
            ]
        )
    w = FRAME_W
    widths = (0.26 * w, 0.13 * w, 0.085 * w, 0.10 * w, 0.16 * w, 0.13 * w, 0.135 * w)
    return grid_table(rows, widths, right_from=len(widths))


def _name_and_province(site: Site, fonts: ReportFonts) -> str:
    name = rich(site.name, fonts)
    if not site.province:
        return name
    return f'{name}<br/><font size="7" color="{MUTED.hexval()}">{rich(site.province, fonts)}</font>'


def _with_range(central: str, low_high: tuple[str, str], st: Styles, *, bold: bool) -> Paragraph:
    """A central figure with its low-high range on a second, smaller line (when it differs)."""
    style = st.cell_right_bold if bold else st.cell_right
    low, high = low_high
    if low == central == high:
        return Paragraph(central, style)
    small = f'name="{st.cell_right.fontName}" size="6.8" color="{MUTED.hexval()}"'
    return Paragraph(f"{central}<br/><font {small}>{low}–{high}</font>", style)


def comparison_table(
    region_totals: Sequence[Totals], union: Totals, st: Styles, fonts: ReportFonts
) -> Table:
    """One row per region, numbered from 1 in order, then the union's row in bold.

    Chips, restricted chips, H100e (in whole numbers) and facility power show their
    low-high range under the central figure when the range is not a single value.
    """
    head = ["Region", "Sites", "Chips", "Restricted", "H100e", "IT MW", "Facility MW"]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head if i == 0 else st.head_right) for i, h in enumerate(head)]
    ]

    def values(t: Totals, bold: bool) -> list[Paragraph]:
        plain = st.cell_right_bold if bold else st.cell_right

        def ints(pair: tuple[int, int]) -> tuple[str, str]:
            return fmt_int(pair[0]), fmt_int(pair[1])

        def decs(pair: tuple[float, float]) -> tuple[str, str]:
            return fmt_dec(pair[0]), fmt_dec(pair[1])

        def whole(pair: tuple[float, float]) -> tuple[str, str]:
            return fmt_int(round(pair[0])), fmt_int(round(pair[1]))

        return [
            Paragraph(fmt_int(t.site_count), plain),
            _with_range(fmt_int(t.chips), ints(t.chips_range), st, bold=bold),
            _with_range(fmt_int(t.restricted_chips), ints(t.restricted_range), st, bold=bold),
            # A whole-number range keeps the cell narrow; the region's table has decimals.
            _with_range(fmt_dec(t.h100e), whole(t.h100e_range), st, bold=bold),
            Paragraph(fmt_dec(t.it_power_mw), plain),
            _with_range(fmt_dec(t.facility_power_mw), decs(t.facility_power_range), st, bold=bold),
        ]

    for number, t in enumerate(region_totals, start=1):
        rows.append(
            [Paragraph(f"{number}. {rich(t.region, fonts)}", st.cell), *values(t, bold=False)]
        )
    rows.append([Paragraph(rich(union.region, fonts), st.cell_bold), *values(union, bold=True)])
    w = FRAME_W
    widths = (0.22 * w, 0.07 * w, 0.15 * w, 0.15 * w, 0.15 * w, 0.10 * w, 0.16 * w)
    return grid_table(rows, widths, right_from=1, bold_last=True)


def licence_status(cat: ChipCatalogue, model: str, day: date) -> str:
    """The US licence status for exports of ``model`` to China on ``day``, in words.

    From the export rules (``catalogue.rules``); a model without rules falls back to
    the catalogue's yes/no flag, as :meth:`ChipCatalogue.restricted_on` does.
    """
    rule = cat.rules.rule_on(model, day)
    if rule is not None:
        return rule.status
    return "licence required" if cat[model].restricted else "no licence required"


def catalogue_table(
    models: Sequence[ChipModel], cat: ChipCatalogue, day: date, st: Styles, fonts: ReportFonts
) -> Table:
    """The catalogue's figures for ``models`` and each one's US licence status on ``day``."""
    head = [
        "Model",
        "Vendor",
        "BF16 TFLOP/s (dense)",
        "Board power (W)",
        f"US licence for China on {day.isoformat()}",
    ]
    rows: list[list[Any]] = [
        [Paragraph(h, st.head_right if 2 <= i <= 3 else st.head) for i, h in enumerate(head)]
    ]
    for m in models:
        rows.append(
            [
                Paragraph(rich(m.model, fonts), st.cell_bold),
                Paragraph(rich(m.vendor, fonts), st.cell),
                Paragraph(fmt_num(m.bf16_dense_tflops) if m.has_figures else "–", st.cell_right),
                Paragraph(fmt_num(m.board_power_w) if m.has_figures else "–", st.cell_right),
                Paragraph(rich(licence_status(cat, m.model, day), fonts), st.cell),
            ]
        )
    w = FRAME_W
    widths = (0.17 * w, 0.14 * w, 0.15 * w, 0.13 * w, 0.41 * w)
    return grid_table(rows, widths, right_from=len(widths))


def _period(rows: Sequence[ExportRule], i: int) -> str:
    """When row ``i`` of one model's rules applied, as the rules table says it.

    The first row applies to every date before the second (its own date is a project
    convention, not a claim that the product existed then), the last from its date on.
    """
    if len(rows) == 1:
        return "all dates"
    if i == 0:
        return f"before {rows[1].effective.isoformat()}"
    start = rows[i].effective.isoformat()
    if i == len(rows) - 1:
        return f"from {start}"
    return f"{start} to {(rows[i + 1].effective - timedelta(days=1)).isoformat()}"


def rules_table(
    models: Sequence[str], cat: ChipCatalogue, day: date, st: Styles, fonts: ReportFonts
) -> tuple[Table, list[tuple[str, str]]] | None:
    """Every export rule of ``models`` (``catalogue.rules``), the one in force on ``day``
    marked; None when none of the models has rules.

    Returns
    -------
    (Table, list of (title, url)) or None
        The table, whose source column cites ``R1``, ``R2``... and the sources so
        numbered (distinct by title and URL, in order of first citation).
    """
    head = ["Model", "Period", "Status", "Rule", "Source"]
    rows: list[list[Any]] = [[Paragraph(h, st.head) for h in head]]
    numbers: dict[tuple[str, str], int] = {}
    for model in models:
        history = cat.rules.rows(model)
        in_force = cat.rules.rule_on(model, day)
        for i, r in enumerate(history):
            status = rich(r.status, fonts)
            if r is in_force:
                status = f"<b>{status}</b> (in force on {day.isoformat()})"
            if r.source_title or r.source_url:
                n = numbers.setdefault((r.source_title, r.source_url), len(numbers) + 1)
                source = f"R{n}"
            else:
                source = "none given"
            rows.append(
                [
                    Paragraph(rich(model, fonts) if i == 0 else "", st.cell_bold),
                    Paragraph(_period(history, i), st.cell),
                    Paragraph(status, st.cell),
                    Paragraph(rich(r.rule, fonts) or "–", st.small),
                    Paragraph(source, st.cell),
                ]
            )
    if len(rows) == 1:
        return None
    w = FRAME_W
    widths = (0.12 * w, 0.17 * w, 0.18 * w, 0.43 * w, 0.10 * w)
    return grid_table(rows, widths, right_from=len(widths)), list(numbers)


__all__ = [
    "catalogue_table",
    "comparison_table",
    "licence_status",
    "rules_table",
    "sites_table",
    "totals_table",
]
