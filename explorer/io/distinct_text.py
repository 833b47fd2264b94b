"""Proof that no value of a text column repeats, without a hash table of the values.

Looking for repeated ids in a million records through Arrow's ``dictionary_encode`` builds
a hash table and a new array of every distinct value: 0.16-0.35 s of CPU, for a file
whose ids almost always are all distinct. Here each value's bytes are folded into one
64-bit number (every byte counts, and so does the length), the numbers are sorted, and
no two equal neighbours means no two equal values: equal values always fold to equal
numbers. Equal numbers prove nothing (two values may fold alike), so the caller then
looks for repeats the exact way; :func:`surely_distinct` only ever answers "surely" or
"look".
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from explorer.io.arrow_buffers import text_parts

#: Longest value folded (in bytes): ids are at most 64 characters; a longer value makes
#: the answer "look".
MAX_BYTES = 64

_PRIME = np.uint64(0x100000001B3)
_SEED = np.uint64(0x9E3779B97F4A7C15)


def surely_distinct(arr: pa.Array) -> bool:
    """True when no two values of ``arr`` (a ``string``/``large_string`` array without
    nulls) are equal; False when some may be (then check the exact way).

    Each value is read as 8-byte words starting at 0, 8, 16... (the last one ending at
    the value's end, so every byte is in some word), the bytes past a short value's end
    masked off; the words and the length are folded by xor and multiplication by an odd
    constant, and the folded numbers sorted.
    """
    n = len(arr)
    if n < 2:
        return True
    if arr.null_count:
        return False
    offsets, data = text_parts(arr)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if longest > MAX_BYTES:
        return False
    lo, hi = int(offsets[0]), int(offsets[-1])
    span = hi - lo
    # Words are read in place, as (unaligned) little-endian words at every byte of the
    # values' bytes: no copy of a million values' bytes. Only a value under 8 bytes near
    # the end can have a word running past the last byte; those come from a padded copy
    # of the last 8 bytes. Every array below is made once and worked on in place: fresh
    # memory is what costs most here (page faults, on a virtual machine above all).
    body = max(span - 7, 0)
    words = np.ndarray((body,), dtype="<u8", buffer=data, offset=lo, strides=(1,))
    tail_at = max(span - 8, 0)
    tail = np.zeros(16, dtype=np.uint8)
    tail[: span - tail_at] = data[lo + tail_at : hi]
    tail_words = np.ndarray((9,), dtype="<u8", buffer=tail, strides=(1,))
    starts = offsets[:-1] - lo if lo else offsets[:-1]
    last = lengths - 8  # where a value's last word starts (0 for a short value)
    np.maximum(last, 0, out=last)
    short = np.flatnonzero(lengths < 8)
    if short.size:
        # A value under 8 bytes: the bytes after its end belong to the next value and
        # are masked off (little-endian: the value's bytes are the low ones).
        keep = np.left_shift(np.uint64(1), (8 * lengths[short]).astype(np.uint64))
        keep -= np.uint64(1)
    pos = np.empty(n, dtype=np.int64)
    folded = lengths.astype(np.uint64)
    with np.errstate(over="ignore"):
        folded *= _SEED
        for k in range(max(1, (longest + 7) // 8)):
            # Word k of each value: from byte 8k, or ending at the value's end when the
            # value is shorter than 8k + 8 (overlapping word k-1: still every byte).
            np.minimum(last, 8 * k, out=pos)
            pos += starts
            past = np.flatnonzero(pos >= body)
            if past.size:
                from_tail = tail_words[pos[past] - tail_at]
                pos[past] = 0
            # Indexing, not np.take: take copies the byte-strided words aligned first.
            word = words[pos] if body else np.zeros(n, dtype=np.uint64)
            if past.size:
                word[past] = from_tail
            if short.size:
                word[short] &= keep
            folded ^= word
            folded *= _PRIME
        folded ^= folded >> np.uint64(29)
    folded.sort()
    return not bool((folded[1:] == folded[:-1]).any())


__all__ = ["MAX_BYTES", "surely_distinct"]
