"""Ordering many texts in C as Python orders them (:mod:`explorer.ui.text_order`): the
site table's sort ranks and the site pickers' list, against Python's own sort."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from explorer.ui.text_order import (
    FAST_FROM,
    _fast_dense_ranks,
    _fast_order,
    casefold_each,
    casefold_steps,
    dense_ranks,
    dense_ranks_steps,
    sorted_order,
    sorted_order_steps,
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
    # Above FAST_FROM rows the table's sort ranks come from Arrow (text) or numpy
    # (numbers); they must be the ranks sorted(set(keys)) gives (code-point order, equal
    # keys share a rank, 0.0 and -0.0 too).
    rng = random.Random(7)
    n = FAST_FROM + 500
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
        keys = [*_tricky_texts(rng, FAST_FROM), odd]
    elif isinstance(odd, float):
        keys = [float(rng.randint(0, 99)) for _ in range(FAST_FROM)] + [odd]
    else:
        keys = [rng.randint(0, 99) for _ in range(FAST_FROM)] + [odd]
    assert _fast_dense_ranks(keys) is None
    assert dense_ranks(keys).tolist() == _python_ranks(keys)


def test_ranks_import_arrow_only_for_large_columns_and_never_pandas() -> None:
    # Below the threshold the ranks are Python's: the demo's table must not pull Arrow
    # in; above it, text goes to Arrow through buffers (pa.array of a list would import
    # pandas, a third of a second). A fresh interpreter: this one has both loaded.
    code = (
        "import sys\n"
        "from explorer.ui.text_order import FAST_FROM, dense_ranks\n"
        "assert dense_ranks(['b', 'a', 'b']).tolist() == [1, 0, 1]\n"
        "print('pyarrow' in sys.modules)\n"
        "keys = [f'site {i % 977}' for i in range(FAST_FROM)]\n"
        "assert dense_ranks(keys)[:2].tolist() == [0, 1]\n"
        "print('pyarrow.compute' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]


def test_rows_ordered_by_arrow_as_python_sorts_them() -> None:
    # The pickers' list above FAST_FROM sites: by case-folded name, then id; trailing
    # NULs count (numpy's fixed-width text dropped them), so do "ß" and ligatures.
    rng = random.Random(5)
    n = FAST_FROM + 300
    keys = [t + rng.choice(["", "\x00", "\x00\x00", " 2"]) for t in _tricky_texts(rng, n)]
    tiebreak = [
        rng.choice(["s", "S", "s\x00", "x (1)", "é", ""]) + str(rng.randrange(50)) for _ in range(n)
    ]
    assert _fast_order(keys, tiebreak) is not None  # Arrow's route
    want = sorted(range(n), key=lambda i: (keys[i], tiebreak[i]))
    assert sorted_order(keys, tiebreak) == want


def test_rows_with_text_utf8_cannot_hold_are_ordered_by_python() -> None:
    rng = random.Random(6)
    keys = _tricky_texts(rng, FAST_FROM) + ["\udfff lone"]
    tiebreak = [str(i % 7) for i in range(len(keys))]
    assert _fast_order(keys, tiebreak) is None
    assert sorted_order(keys, tiebreak) == sorted(
        range(len(keys)), key=lambda i: (keys[i], tiebreak[i])
    )


def test_plain_ascii_text_is_ordered_and_ranked_as_python_does() -> None:
    # ASCII text goes to Arrow in one piece (a character is a byte there).
    rng = random.Random(8)
    pieces = ["a", "B", "site ", "7", "\x00", " ", "(", ")", "~", "\x7f"]
    keys = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) for _ in range(FAST_FROM)]
    tiebreak = [f"id-{rng.randrange(99)}" for _ in keys]
    assert "".join(keys).isascii() and _fast_order(keys, tiebreak) is not None
    assert sorted_order(keys, tiebreak) == sorted(
        range(len(keys)), key=lambda i: (keys[i], tiebreak[i])
    )
    assert dense_ranks(keys).tolist() == _python_ranks(keys)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [""],
        ["", ""],
        ["Straße", "ΟΔΟΣ", "ﬁne", "İ", "MiXeD\x00Case", "\x02"],
        ["a\x01b", "C"],  # the separator itself: folded one by one
        ["\x01", "\x01"],
    ],
)
def test_folding_joined_text_folds_each_value(values: list[str]) -> None:
    assert casefold_each(values) == [v.casefold() for v in values]


def _run(steps, off_thread_calls: list[str] | None = None):  # noqa: ANN001, ANN202
    """Run stepped work as the idle queue does; its answer and how many steps it took."""
    count = 0
    try:
        step = next(steps)
        while True:
            count += 1
            if step is not None:
                step.result()
            step = next(steps)
    except StopIteration as stop:
        return stop.value, count


def _off_thread(calls: list[str]):  # noqa: ANN202
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)

    def submit(call, *args):  # noqa: ANN001, ANN202
        calls.append(call.__name__)
        return pool.submit(call, *args)

    return submit


def test_work_in_steps_gives_what_the_whole_call_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.ui.text_order as text_order

    monkeypatch.setattr(text_order, "STEP_ROWS", 1_000)
    rng = random.Random(11)
    n = FAST_FROM + 2_345
    keys = _tricky_texts(rng, n)
    ids = [f"s{rng.randrange(10**6)}" for _ in range(n)]
    folded, steps = _run(casefold_steps(keys))
    assert folded == casefold_each(keys) and steps == n // 1_000
    calls: list[str] = []
    order, steps = _run(sorted_order_steps(folded, ids, _off_thread(calls)))
    assert order == sorted_order(folded, ids)
    assert steps >= 3 and calls == ["_arrow_order"]  # Arrow sorted on the helper thread
    ranks, _ = _run(dense_ranks_steps(folded, _off_thread(calls)))
    assert ranks.tolist() == dense_ranks(folded).tolist() == _python_ranks(folded)
    assert calls == ["_arrow_order", "_arrow_ranks"]
    # Below FAST_FROM, or text Arrow cannot hold: Python's way, at once.
    small, steps = _run(sorted_order_steps(folded[:50], ids[:50], _off_thread(calls)))
    assert small == sorted_order(folded[:50], ids[:50]) and steps == 0
    odd = [*folded[:-1], "\ud800"]
    assert _run(dense_ranks_steps(odd, _off_thread(calls)))[0].tolist() == _python_ranks(odd)
    assert len(calls) == 2
