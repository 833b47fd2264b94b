"""The table's filter and sort columns read from a file's columns equal those derived
from the built sites, for every column."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explorer.core.schema import HardwareLine
from explorer.io.site_columns import SiteColumns
from explorer.ui.site_table_columns import DERIVED, table_column, table_column_steps
from tests.web.synthetic import synthetic_sites


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
