"""JSON for the map page: strict, compact, no NaN.

Qt-free. What the page is told about sites is built by :mod:`explorer.web.site_columns`
(columns counted on a date); this module only turns values into the JSON text that
crosses the QWebChannel or is embedded in an exported page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: A list longer than this is written in slices of this many items. One call into the
#: C encoder holds the interpreter lock throughout: a million sites' reset, written on
#: the load's worker, stopped the window for 0.2 s; a slice takes a few milliseconds,
#: and the lock can pass to the window between slices.
SLICE = 50_000


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


#: A list of text at least this long is written by msgspec (its first use imports it,
#: 10 ms, which the demo's start does not pay).
MANY_TEXTS = 1_000


def _dumps_texts(texts: list[str]) -> str:
    """``_dumps(texts)`` for a list of ``str``: msgspec writes the same text four times
    as fast (100,000 ids and names: 5 against 21-31 ms). A lone surrogate, which msgspec
    cannot write, is left to the standard encoder."""
    import msgspec

    try:
        return msgspec.json.encode(texts).decode()
    except UnicodeEncodeError:
        return _dumps(texts)


def to_json(value: Any) -> str:
    """Strict JSON for the page: no NaN/Infinity, UTF-8 kept as is. The same text as
    one ``json.dumps``, written an object member and a list slice at a time."""
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return "{" + ",".join(_dumps(k) + ":" + to_json(v) for k, v in value.items()) + "}"
    dumps: Callable[[Any], str]
    if isinstance(value, list) and len(value) >= MANY_TEXTS and set(map(type, value)) == {str}:
        dumps = _dumps_texts
    else:
        dumps = _dumps
    if isinstance(value, list) and len(value) > SLICE:
        slices = (dumps(value[i : i + SLICE])[1:-1] for i in range(0, len(value), SLICE))
        return "[" + ",".join(slices) + "]"
    return dumps(value)


__all__ = ["MANY_TEXTS", "SLICE", "to_json"]
