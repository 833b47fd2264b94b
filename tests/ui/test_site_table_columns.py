"""The table's filter and sort columns read from a file's columns equal those derived
from the built sites, for every column."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from explorer.core.schema import HardwareLine
from explorer.io.site_columns import SiteColumns
from explorer.ui.site_table_columns import (
    DERIVED,
    FAST_RANKS_FROM,
    _fast_dense_ranks,
    dense_ranks,
    table_column,
)
from tests.web.synthetic import synthetic_sites


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_a_column_from_the_table_equals_the_column_from_sites(name: str) -> None:
    sites = synthetic_sites(400, seed=9)
    # Blank and odd values too: no power, no lines, a repeated model, mixed case.
    sites[0] = replace(sites[0], power_mw=None, hardware=(), notes="MiXeD Case")
    sites[1] = replace(
        sites[1],
        power_mw=0.0,
        hardware=(HardwareLine("H100", 5), HardwareLine("H20", 7), HardwareLine("H100", 1)),
    )
    table = SiteColumns.from_sites(sites)
    assert table_column(table, name) == [DERIVED[name](s) for s in sites]


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


def _python_ranks(keys: list[object]) -> list[int]:
    """Each key's position in sorted(set(keys))."""
    rank_of = {k: i for i, k in enumerate(sorted(set(keys)))}  # type: ignore[type-var]
    return [rank_of[k] for k in keys]


def _tricky_texts(rng: random.Random, n: int) -> list[str]:
    pieces = ["a", "A", "b", "z", "é", "É", "ß", "ss", "ﬁ", "Ω", "ω", "中", "😀", "\x00", " ", ""]
    out = []
    for _ in range(n):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        out.append(text.casefold() if rng.random() < 0.7 else text)
    return out


@pytest.mark.parametrize("kind", ["text", "ints", "floats"])
def test_ranks_from_arrow_equal_ranks_from_sorted(kind: str) -> None:
    # Above FAST_RANKS_FROM rows the table's sort ranks come from Arrow (text) or numpy
    # (numbers); they must be the ranks sorted(set(keys)) gives (code-point order, equal
    # keys share a rank, 0.0 and -0.0 too).
    rng = random.Random(7)
    n = FAST_RANKS_FROM + 500
    keys: list[object]
    if kind == "text":
        keys = list(_tricky_texts(rng, n))
    elif kind == "ints":
        keys = [
            rng.randint(-(2**40), 2**40) if rng.random() < 0.5 else rng.randint(0, 30)
            for _ in range(n)
        ]
    else:
        keys = [
            rng.choice([-1.0, 0.0, -0.0, 0.5, 1e-300, 2.5e9])
            if rng.random() < 0.5
            else rng.uniform(-5, 5)
            for _ in range(n)
        ]
    assert _fast_dense_ranks(keys) is not None  # the fast route, not the fallback
    ranks = dense_ranks(keys)
    assert ranks.dtype == np.int64
    assert ranks.tolist() == _python_ranks(keys)


@pytest.mark.parametrize("odd", ["lone \ud800 surrogate", float("nan"), 2**70])
def test_keys_c_cannot_sort_alike_are_ranked_the_python_way(odd: object) -> None:
    # A lone surrogate (UTF-8 cannot hold it), NaN, an integer past 64 bits.
    rng = random.Random(3)
    keys: list[object]
    if isinstance(odd, str):
        keys = [*_tricky_texts(rng, FAST_RANKS_FROM), odd]
    elif isinstance(odd, float):
        keys = [float(rng.randint(0, 99)) for _ in range(FAST_RANKS_FROM)] + [odd]
    else:
        keys = [rng.randint(0, 99) for _ in range(FAST_RANKS_FROM)] + [odd]
    assert _fast_dense_ranks(keys) is None
    assert dense_ranks(keys).tolist() == _python_ranks(keys)


def test_ranks_import_arrow_only_for_large_columns_and_never_pandas() -> None:
    # Below the threshold the ranks are Python's: the demo's table must not pull Arrow
    # in; above it, text goes to Arrow through buffers (pa.array of a list would import
    # pandas, a third of a second). A fresh interpreter: this one has both loaded.
    code = (
        "import sys\n"
        "from explorer.ui.site_table_columns import FAST_RANKS_FROM, dense_ranks\n"
        "assert dense_ranks(['b', 'a', 'b']).tolist() == [1, 0, 1]\n"
        "print('pyarrow' in sys.modules)\n"
        "keys = [f'site {i % 977}' for i in range(FAST_RANKS_FROM)]\n"
        "assert dense_ranks(keys)[:2].tolist() == [0, 1]\n"
        "print('pyarrow.compute' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]
