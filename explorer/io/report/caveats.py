"""The report's caveat policy: when to warn, what to count, and how to say it.

A report warns, above everything else, when any site it covers is *illustrative*
(made up for a scenario) or has *low confidence*: it says how many of the report's
sites are each, what that means for the totals, and whether the data set calls itself
an illustrative scenario. Sites outside every reported region do not count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from explorer.core.schema import Site
from explorer.io.report.formatting import fmt_int


def caveat_markup(report_sites: Sequence[Site], metadata: Mapping[str, Any]) -> str | None:
    """The caveat for the sites a report covers, as paragraph mark-up.

    Parameters
    ----------
    report_sites : sequence of Site
        The sites inside the reported regions (each once).
    metadata : mapping
        The data set's metadata; ``scenario == "illustrative"`` adds a sentence.

    Returns
    -------
    str or None
        Mark-up for a :class:`~reportlab.platypus.Paragraph` (only ``<b>`` tags and
        numbers: no user text), or ``None`` when no site is illustrative or low
        confidence.
    """
    n = len(report_sites)
    ill = sum(1 for s in report_sites if s.is_illustrative)
    low = sum(1 for s in report_sites if s.confidence == "low")
    if not (ill or low):
        return None
    parts = []
    if ill:
        parts.append(
            f"{fmt_int(ill)} of the {fmt_int(n)} sites in this report are <b>illustrative</b>"
        )
    if low:
        lead = "and " if ill else ""
        verb = "has" if low == 1 else "have"
        of_all = "" if ill else f" of the {fmt_int(n)} sites"
        parts.append(f"{lead}{fmt_int(low)}{of_all} {verb} <b>low confidence</b>")
    text = "<b>Caveat.</b> " + " ".join(parts) + "."
    if ill:
        text += (
            " Illustrative figures are not reported facts: they were made up for a scenario, and"
            " totals that include them describe that scenario, not real projects."
        )
    if low:
        text += " Low-confidence figures rest on weak or indirect sources; check them before use."
    if metadata.get("scenario") == "illustrative":
        text += " The data set describes itself as an illustrative scenario."
    return text


__all__ = ["caveat_markup"]
