"""The table's filter and sort columns read from a file's columns equal those derived
from the built sites, for every column."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from explorer.core.schema import HardwareLine
from explorer.io.site_columns import SiteColumns
from explorer.ui.site_table_columns import DERIVED, table_column, table_column_steps
from tests.web.synthetic import synthetic_sites

if TYPE_CHECKING:
    from explorer.core.schema import Site
    from explorer.ui.idle_queue import IdleQueue
    from explorer.ui.site_table import SiteTable


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_a_column_from_the_table_equals_the_column_from_sites(name: str) -> None:
    sites = synthetic_sites(400, seed=9)
    # Blank and odd values too: no power, no lines, a repeated model, mixed case, text
    # whose folding changes its length or depends on nothing around it (ß, ﬁ, final Σ).
    sites[0] = replace(sites[0], power_mw=None, hardware=(), notes="MiXeD Case")
    sites[2] = replace(sites[2], name="STRASSE Straße ΟΔΟΣ ﬁ", operator="İstanbul")
    sites[1] = replace(
        sites[1],
        power_mw=0.0,
        hardware=(HardwareLine("H100", 5), HardwareLine("H20", 7), HardwareLine("H100", 1)),
    )
    table = SiteColumns.from_sites(sites)
    assert table_column(table, name) == [DERIVED[name](s) for s in sites]


def test_the_search_text_in_steps_equals_the_search_text_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import explorer.ui.site_table_columns as columns

    sites = synthetic_sites(1_000, seed=12)
    sites[999] = replace(sites[999], name="Last ΟΔΟΣ", notes="ﬁnal")
    table = SiteColumns.from_sites(sites)
    monkeypatch.setattr(columns, "STEP_ROWS", 128)
    steps = table_column_steps(table, "hay")
    count = 0
    try:
        while True:
            assert next(steps) is None
            count += 1
    except StopIteration as stop:
        hay = stop.value
    assert count == 7  # 1,000 rows, 128 at a time
    assert hay == table_column(table, "hay") == [DERIVED["hay"](s) for s in sites]


def test_an_unknown_column_is_refused() -> None:
    with pytest.raises(KeyError, match="no table column 'sort:bogus'"):
        table_column(SiteColumns.from_sites(synthetic_sites(3)), "sort:bogus")


def test_the_model_choices_from_the_table_equal_those_from_sites(qtbot: object) -> None:
    # The filter's chip-model choices, read from a loaded table's line column, are the
    # models the sites name in first-seen order; after an edit, from the rows as they are.
    from explorer.core.chips import ChipCatalogue
    from explorer.core.store import SiteStore
    from explorer.ui.site_table import SiteTableModel

    sites = synthetic_sites(300, seed=4)
    sites[5] = replace(sites[5], hardware=(HardwareLine("A800", 3), HardwareLine("H20", 1)))
    store = SiteStore([], catalogue=ChipCatalogue.bundled())
    model = SiteTableModel(store)
    store.reset(SiteColumns.from_sites(sites))
    first_seen = list(dict.fromkeys(h.chip_model for s in sites for h in s.hardware))
    assert model.distinct_models() == first_seen
    assert "models" not in model._cache  # read without the per-row column
    store.replace(replace(sites[0], hardware=(HardwareLine("B200", 9),)))
    edited = [store.get(s.id) for s in sites]
    assert model.distinct_models() == list(
        dict.fromkeys(h.chip_model for s in edited for h in s.hardware)
    )


def _table_counting_search_text(
    sites: list[Site], monkeypatch: pytest.MonkeyPatch
) -> tuple[SiteTable, IdleQueue, list[int]]:
    """(table widget, its idle queue, rows of search text made per call) for ``sites``
    loaded as a file's columns, the warm-up stepping 128 rows at a time."""
    import explorer.ui.site_table_columns as columns
    from explorer.core.chips import ChipCatalogue
    from explorer.core.selection import Selection
    from explorer.core.store import SiteStore
    from explorer.ui.idle_queue import IdleQueue
    from explorer.ui.site_table import SiteTable

    monkeypatch.setattr(columns, "STEP_ROWS", 128)
    made: list[int] = []
    hay = columns._hay

    def counted(t: SiteColumns, a: int, b: int) -> list[str]:
        out = hay(t, a, b)
        made.append(len(out))
        return out

    monkeypatch.setattr(columns, "_hay", counted)
    idle = IdleQueue()
    store = SiteStore([], catalogue=ChipCatalogue.bundled())
    table = SiteTable(store, Selection(), catalogue=ChipCatalogue.bundled(), idle=idle)
    store.reset(SiteColumns.from_sites(sites))
    return table, idle, made


def test_a_keystroke_during_the_warm_up_finishes_it_instead_of_starting_over(
    qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a load the table builds its search text a step at a time. A keystroke that
    # needs it before the steps are done finishes the steps left: every row's search
    # text is made once, not once for the keystroke and again by the warm-up.
    from PySide6.QtCore import QCoreApplication

    sites = synthetic_sites(1_000, seed=21)
    table, idle, made = _table_counting_search_text(sites, monkeypatch)
    while len(made) < 2:  # a step per turn of the event loop: two of eight taken
        QCoreApplication.processEvents()
    assert made == [128, 128]
    assert idle.is_pending(table.model, "warm search")
    table.filter_edit.setText(sites[700].name)
    assert not idle.is_pending(table.model, "warm search")
    shown = {table.proxy.data(table.proxy.index(r, 0)) for r in range(table.proxy.rowCount())}
    assert sites[700].name in shown
    qtbot.waitUntil(lambda: len(idle) == 0, timeout=5_000)  # type: ignore[attr-defined]
    assert sum(made) == len(sites)  # each row's search text made once
    assert table.model._cache["hay"] == [DERIVED["hay"](s) for s in sites]
    table.deleteLater()


@pytest.mark.parametrize("listed_at_once", [False, True])
def test_on_a_large_file_the_text_filter_waits_for_the_warm_up_without_stopping(
    qtbot: object, monkeypatch: pytest.MonkeyPatch, listed_at_once: bool
) -> None:
    # Above SEARCH_AT_ONCE_ROWS a keystroke typed while the search text is still being
    # built does not build the rest at once (a million rows stopped the window for up
    # to a second): the other filters apply now, the text when the warm-up is done,
    # and the footer says the search is on its way.
    import explorer.ui.site_table as site_table

    sites = synthetic_sites(1_000, seed=22)
    sites[640] = replace(sites[640], name="Needle in the rows")
    monkeypatch.setattr(site_table, "SEARCH_AT_ONCE_ROWS", 500)
    table, idle, made = _table_counting_search_text(sites, monkeypatch)
    table.filter_edit.setText("NEEDLE")
    assert sum(made) < len(sites)  # the keystroke built nothing itself
    assert table.proxy.text_waits
    assert table.proxy.rowCount() == len(sites)
    assert "(searching…)" in table.footer.text()
    if listed_at_once:  # what an export of the listed sites takes: never the waiting rows
        assert table.proxy.visible_ids() == [sites[640].id]
        assert not table.proxy.text_waits
    qtbot.waitUntil(lambda: not table.proxy.text_waits, timeout=5_000)  # type: ignore[attr-defined]
    assert table.proxy.rowCount() == 1
    assert table.proxy.data(table.proxy.index(0, 0)) == "Needle in the rows"
    assert table.footer.text().startswith("1 of 1,000 sites")
    assert sum(made) == len(sites)
    # Once built, the text applies at once.
    table.filter_edit.setText("needle in")
    assert not table.proxy.text_waits and table.proxy.rowCount() == 1
    table.deleteLater()
