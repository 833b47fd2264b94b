"""Decoding JSON text from files, where every way it can fail is one reason in words.

Every reader that takes JSON from a user's file (GeoJSON sites and regions, the JSON
cells of a CSV, the JSON values in a project's tables) decodes it here, so they all
survive what :func:`json.loads` does with hostile text: a syntax error
(:class:`json.JSONDecodeError`), nesting deeper than the interpreter's recursion limit
(:class:`RecursionError`, a traceback if uncaught), an integer of more digits than
Python converts (a bare :class:`ValueError` that does not say where) and a ``\udc80``
escape, a lone surrogate that decodes but can never be written to a UTF-8 file again.
"""

from __future__ import annotations

import json
import re
from typing import Any


class JsonTextError(ValueError):
    """JSON text that cannot be decoded.

    Attributes
    ----------
    reason : str
        What is wrong, in words (``Expecting value``, ``nested too deeply``...).
    line, column : int or None
        Where, when the decoder says (1-based).
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = f" at line {line} column {column}" if line is not None else ""
        super().__init__(f"{reason}{where}")


def decode_json(text: str | bytes) -> Any:
    """Decode ``text`` as JSON; every failure is a :class:`JsonTextError`.

    Parameters
    ----------
    text : str or bytes
        The JSON text.

    Returns
    -------
    object
        The decoded value.

    Raises
    ------
    JsonTextError
        Not JSON, nested too deeply to decode, or a number too long to convert.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonTextError("nested too deeply") from None
    except ValueError as exc:  # e.g. an integer beyond int's digit limit
        reason = str(exc).split(":", 1)[0] or "unreadable value"
        raise JsonTextError(f"a value cannot be read ({reason})") from None
    # Only a \uD800-\uDFFF escape can make a lone surrogate; look closer only then.
    if _SURROGATE_ESCAPE.search(text if isinstance(text, str) else text.decode("latin-1")):
        _refuse_lone_surrogates(value)
    return value


#: The JSON escape of a surrogate code point (half of a pair, or alone).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(value: Any) -> None:
    """Raise if a string (or key) holds a lone surrogate: no UTF-8 file can hold it, so
    the data could be read but never saved. Iterative: the value may be deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                raise JsonTextError(
                    f"text holds a lone surrogate \\u{ord(found.group()):04x}, which is not Unicode"
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


__all__ = ["JsonTextError", "decode_json"]
