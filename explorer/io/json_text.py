"""Decoding JSON text from files, where every way it can fail is one reason in words.

Every reader that takes JSON from a user's file (GeoJSON sites and regions, the JSON
cells of a CSV, the JSON values in a project's tables) decodes it here, so they all
survive what :func:`json.loads` does with hostile text: a syntax error
(:class:`json.JSONDecodeError`), nesting deeper than the interpreter's recursion limit
(:class:`RecursionError`, a traceback if uncaught) and an integer of more digits than
Python converts (a bare :class:`ValueError` that does not say where).
"""

from __future__ import annotations

import json
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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonTextError("nested too deeply") from None
    except ValueError as exc:  # e.g. an integer beyond int's digit limit
        reason = str(exc).split(":", 1)[0] or "unreadable value"
        raise JsonTextError(f"a value cannot be read ({reason})") from None


__all__ = ["JsonTextError", "decode_json"]
