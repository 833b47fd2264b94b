"""Text for a terminal: control characters are shown, never obeyed.

A region name, a site's notes or a quoted bad value come from files anyone can write.
Printed as they are, ``ESC ] 0 ; ... BEL`` retitles the terminal, ``ESC [ 2 J`` clears
it, a carriage return overwrites the line already printed, and the bidirectional
overrides reorder what is shown. :func:`escape_controls` writes each such character as
a ``\\uXXXX`` escape instead, which reads the same in plain text and is the JSON escape
for the same character, so ``--json`` output stays valid JSON meaning the same thing.

:func:`escaped_output` applies it to everything a command prints (results, tables,
notes, errors, argparse's usage messages), so no output path can forget it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: Shown escaped: C0 controls but tab and line feed, DEL, C1 controls, the Unicode line
#: and paragraph separators, the bidirectional embeddings, overrides and isolates, and
#: lone surrogates (undecodable bytes of a file name, which no terminal can encode).
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def escape_controls(text: str) -> str:
    """``text`` with every :data:`UNSAFE` character written as ``\\uXXXX``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        The same text when it holds no such character.
    """
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class EscapingStream:
    """A text stream that writes through :func:`escape_controls` to another.

    Parameters
    ----------
    stream : TextIO
        Where the escaped text goes (``sys.stdout``, ``sys.stderr``).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` escaped; returns the length of ``text`` as given."""
        self._stream.write(escape_controls(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line escaped."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        # flush, fileno, isatty, encoding... are the wrapped stream's.
        return getattr(self._stream, name)


@contextmanager
def escaped_output() -> Iterator[None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`EscapingStream` meanwhile."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = EscapingStream(out)  # type: ignore[assignment]
    sys.stderr = EscapingStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


__all__ = ["UNSAFE", "EscapingStream", "escape_controls", "escaped_output"]
