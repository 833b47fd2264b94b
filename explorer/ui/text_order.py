"""Ordering and case-folding many texts quickly, exactly as Python does: the site
table's sort ranks and search text, and the site pickers' list.

Python compares text by code point; Arrow compares UTF-8 bytes, which order the same
way, keeps every character (numpy's fixed-width text drops trailing NULs) and needs
memory for the bytes alone (numpy's needs the longest text's width for every row: a
million sites with one 300-character name made a 1.2 GB array). At a million names
Arrow ranks them in 0.1 s where ``sorted()`` and a dict took 1.3 s.

Below :data:`FAST_FROM` rows, or for text UTF-8 cannot hold (a lone surrogate), Python
sorts: importing Arrow's compute functions for the demo's forty sites would cost more
than it saves. The arrays reach Arrow through their buffers, never ``pa.array`` of a
list, which imports pandas (see :mod:`explorer.io.arrow_buffers`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future

import numpy as np

#: From this many rows the order comes from a sort in C.
FAST_FROM = 20_000

#: Rows folded per step by the stepped functions (a few tens of milliseconds).
STEP_ROWS = 65_536

#: Runs a call elsewhere (a helper thread) and hands back its future: how the stepped
#: functions wait for a sort that lets go of the interpreter (see
#: :meth:`explorer.ui.idle_queue.IdleQueue.off_thread`).
OffThread = Callable[..., "Future[Any]"]

#: A function done in steps: each ``next`` does a part and yields None (a turn of the
#: event loop for the caller) or a future to wait for; its return value is the answer.
Stepped = Generator["Future[Any] | None", None, Any]


def dense_ranks(keys: Sequence[Any]) -> np.ndarray:
    """Each key's rank among the distinct keys in ascending order (int64 from 0; equal
    keys share a rank): the position of the key in ``sorted(set(keys))``.

    Keys are all text or all numbers (Arrow ranks text, numpy numbers); text UTF-8
    cannot hold, integers past 64 bits, NaN or a mixture go the Python way."""
    n = len(keys)
    if n >= FAST_FROM:
        ranks = _fast_dense_ranks(keys)
        if ranks is not None:
            return ranks
    rank_of = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.fromiter(map(rank_of.__getitem__, keys), dtype=np.int64, count=n)


def sorted_order(keys: Sequence[str], tiebreak: Sequence[str]) -> list[int]:
    """The row numbers in the order ``sorted(range(n), key=lambda i: (keys[i],
    tiebreak[i]))`` gives (rows equal in both keep their order)."""
    n = len(keys)
    if n >= FAST_FROM:
        order = _fast_order(keys, tiebreak)
        if order is not None:
            return order
    return sorted(range(n), key=lambda i: (keys[i], tiebreak[i]))


#: Joins the texts :func:`casefold_each` folds in one piece (a control character no
#: name or note is expected to hold; text that holds one is folded a value at a time).
_SEPARATOR = "\x01"


def casefold_each(values: list[str]) -> list[str]:
    """``[v.casefold() for v in values]``, folded as one joined text and split again:
    a million values in a third of the time. Case folding maps each character on its
    own (no context, unlike ``lower``'s final sigma) and never makes the separator, so
    the pieces are the values folded."""
    if not values:
        return []
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) != len(values) - 1:  # some value holds the separator
        return [v.casefold() for v in values]
    return joined.casefold().split(_SEPARATOR)


def casefold_steps(values: list[str]) -> Stepped:
    """:func:`casefold_each` in steps of :data:`STEP_ROWS` values."""
    if len(values) <= STEP_ROWS:
        return casefold_each(values)
    folded: list[str] = []
    for start in range(0, len(values), STEP_ROWS):
        if start:
            yield None
        folded += casefold_each(values[start : start + STEP_ROWS])
    return folded


def dense_ranks_steps(keys: Sequence[Any], off_thread: OffThread) -> Stepped:
    """:func:`dense_ranks` in steps: Arrow ranks text on ``off_thread``."""
    text = _arrow_text(keys) if len(keys) >= FAST_FROM and isinstance(keys[0], str) else None
    if text is None:
        return dense_ranks(keys)
    yield None
    from explorer.io.arrow_buffers import ints

    future = off_thread(_arrow_ranks, text)
    yield future
    return ints(future.result()) - 1


def sorted_order_steps(
    keys: Sequence[str], tiebreak: Sequence[str], off_thread: OffThread
) -> Stepped:
    """:func:`sorted_order` in steps: Arrow sorts on ``off_thread``."""
    n = len(keys)
    first = _arrow_text(keys) if n >= FAST_FROM else None
    if first is None:
        return sorted_order(keys, tiebreak)
    yield None
    second = _arrow_text(tiebreak)
    if second is None:
        return sorted_order(keys, tiebreak)
    yield None
    from explorer.io.arrow_buffers import ints

    future = off_thread(_arrow_order, first, second)
    yield future
    return ints(future.result()).tolist()


def _arrow_ranks(text: Any) -> Any:
    import pyarrow.compute as pc

    return pc.rank(text, sort_keys="ascending", tiebreaker="dense")


def _arrow_order(first: Any, second: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.table({"key": first, "tiebreak": second})
    return pc.sort_indices(table, sort_keys=[("key", "ascending"), ("tiebreak", "ascending")])


def _fast_dense_ranks(keys: Sequence[Any]) -> np.ndarray | None:
    """:func:`dense_ranks` sorted in C, or None where Python's order might differ."""
    n = len(keys)
    if not isinstance(keys[0], str):
        values = np.asarray(keys)
        if values.ndim != 1 or values.dtype.kind not in "iuf":
            return None
        if values.dtype.kind == "f" and np.isnan(values).any():
            return None
        # Equal values (0.0 and -0.0 too, as for a set) share a rank.
        _, inverse = np.unique(values, return_inverse=True)
        return np.asarray(inverse, dtype=np.int64).reshape(n)
    text = _arrow_text(keys)
    if text is None:
        return None
    from explorer.io.arrow_buffers import ints

    return ints(_arrow_ranks(text)) - 1


def _fast_order(keys: Sequence[str], tiebreak: Sequence[str]) -> list[int] | None:
    """:func:`sorted_order` sorted by Arrow, or None for text UTF-8 cannot hold."""
    first = _arrow_text(keys)
    second = _arrow_text(tiebreak) if first is not None else None
    if first is None or second is None:
        return None
    from explorer.io.arrow_buffers import ints

    return ints(_arrow_order(first, second)).tolist()  # type: ignore[no-any-return]


def _arrow_text(values: Sequence[Any]) -> Any:
    """A ``large_string`` Arrow array of ``values``, or None when one is not text or
    UTF-8 cannot hold it."""
    n = len(values)
    try:
        joined = "".join(values)
        if joined.isascii():
            # Plain ASCII (most names and ids): a character is a byte, and one encode
            # of the joined text is several times quicker than one per value.
            data = joined.encode("ascii")
            lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
        else:
            encoded = [v.encode("utf-8") for v in values]
            data = b"".join(encoded)
            lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    except (TypeError, UnicodeEncodeError):
        return None
    import pyarrow as pa

    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


__all__ = [
    "FAST_FROM",
    "STEP_ROWS",
    "OffThread",
    "Stepped",
    "casefold_each",
    "casefold_steps",
    "dense_ranks",
    "dense_ranks_steps",
    "sorted_order",
    "sorted_order_steps",
]
