"""CSV cells a spreadsheet would run as formulas, neutralised (and read back as they were).

A spreadsheet opening a CSV treats a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, in some, a tab or carriage return) as a formula: ``=HYPERLINK("http://...")`` in
a site's name becomes a live link, and older spreadsheets ran commands the same way.
Following OWASP's advice, such a text cell is written with a leading single quote,
which spreadsheets show as text. Cells the user may read back are unambiguous:

* written: a text cell made of zero or more quotes then a trigger character gains one
  quote (``=x`` -> ``'=x``; ``'=x`` -> ``''=x``);
* read: a cell made of one or more quotes then a trigger character loses one.

So every value reads back exactly as it was written, and a CSV from elsewhere changes
only where a spreadsheet itself would have shown the cell without its quote.
Numbers are never touched (``-3.5`` is a longitude, not a formula).
"""

from __future__ import annotations

import re

#: Characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_TRIGGERS = "=+-@\t\r"

_WRITE = re.compile(r"'*[=+\-@\t\r]")
_READ = re.compile(r"'+[=+\-@\t\r]")


def neutralise_cell(text: str) -> str:
    """``text`` with a leading quote if a spreadsheet would take it as a formula.

    Parameters
    ----------
    text : str
        A text cell (never a number).

    Returns
    -------
    str
    """
    return "'" + text if _WRITE.match(text) else text


def restore_cell(text: str) -> str:
    """The value :func:`neutralise_cell` was given (inverse on its results)."""
    return text[1:] if _READ.match(text) else text


__all__ = ["FORMULA_TRIGGERS", "neutralise_cell", "restore_cell"]
