"""Headless sub-commands: ``explorer totals``, ``timeline``, ``validate``, ``convert``,
``snapshot``, ``report``, and for team work ``history``, ``diff`` and ``copy``.

Each sub-command is one ``add_<name>`` function that registers its arguments and
handler on the argparse sub-parsers, so adding a command is one function plus one entry
in :data:`SUBCOMMANDS`. They live by kind: :mod:`explorer.cli.data` (totals, validate,
timeline, convert), :mod:`explorer.cli.render` (snapshot, report) and
:mod:`explorer.cli.team` (history, diff, copy); :mod:`explorer.cli.common` holds what
they share (the errors, opening the SITES argument, naming it in output). This module
is the entry point: the parser and :func:`run_cli`.

Exit status: 0 success; 1 ``validate`` found problems, or the map could not be
rendered (``snapshot``/``report``); 2 bad input (missing or unreadable file, invalid
sites or regions, bad arguments, a size the map engine cannot render, no display).
Errors are reported as one line on stderr, ``explorer: error: <what, naming the
file>``, never a traceback.

Every command opens its SITES (or SITES_OR_PROJECT) argument once, through
:func:`explorer.io.opening.open_file`, the one place that decides a ``.gpkg`` is a
project and ``postgresql://...`` a shared catalogue (messages name a database by its
URL without the password); ``snapshot`` and ``report`` then hand the very sites, regions
and metadata they read to both the map and the PDF, and the chip catalogue given to
:func:`run_cli` to every step.

``snapshot`` and ``report`` render the map with QtWebEngine, so they create a
QApplication. Headless (no display), run them with ``QT_QPA_PLATFORM=offscreen``; as
root, Chromium also needs ``QTWEBENGINE_DISABLE_SANDBOX=1``. The commands check both
before starting and say so instead of letting Qt abort.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from explorer import __version__
from explorer.cli.common import PROG, CliError, CliFailure, Handler, one_line, plural
from explorer.cli.data import (
    add_convert,
    add_timeline,
    add_totals,
    add_validate,
    format_totals_table,
)
from explorer.cli.render import add_report, add_snapshot
from explorer.cli.team import add_copy, add_diff, add_history, format_diff, format_history_table
from explorer.command_names import SUBCOMMANDS
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.terminal_text import escaped_output


class _Parser(argparse.ArgumentParser):
    """argparse with its error on one line (a bad value quoted may hold a line break)."""

    def error(self, message: str) -> NoReturn:
        super().error(one_line(message))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = _Parser(
        prog=PROG,
        description=(
            "Compute Site Explorer: planned AI data centres and their GPUs. "
            "Run without a command to open the window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        add_totals,
        add_timeline,
        add_validate,
        add_convert,
        add_snapshot,
        add_report,
        add_history,
        add_diff,
        add_copy,
    ):
        add(sub)
    return parser


def run_cli(argv: Sequence[str] | None = None, *, catalogue: ChipCatalogue | None = None) -> int:
    """Run one sub-command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    catalogue : ChipCatalogue, optional
        The chip catalogue to read and total with (default: the bundled one).

    Returns
    -------
    int
        The exit status (see the module docstring).
    """
    # Everything printed (results, notes, errors, argparse's own messages) shows control
    # characters from the data escaped: a name in a file must not drive the terminal.
    with escaped_output():
        return _run(list(sys.argv[1:] if argv is None else argv), catalogue)


def _run(argv: list[str], catalogue: ChipCatalogue | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has printed
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler: Handler = args.handler
    # A database URL given may hold a password: no error line quotes it, whoever wrote it.
    from explorer.io.database.url import is_database_url

    urls = [a for a in argv if is_database_url(a)]
    try:
        args.catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        return handler(args)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        _silence_stdout()
        return 0
    except CliError as exc:
        _error(str(exc), urls)
        return 2
    except CliFailure as exc:
        _error(str(exc), urls)
        return 1
    except ValidationError as exc:
        _error(_validation_summary(exc.problems), urls)
        return 2
    except (ValueError, OSError) as exc:  # DataFileError is a ValueError
        _error(_reason(exc), urls)
        return 2


def _error(message: str, urls: Sequence[str] = ()) -> None:
    from explorer.io.database.url import redact

    for url in urls:
        message = redact(message, url)
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc) or type(exc).__name__


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _validation_summary(problems: Sequence[Problem]) -> str:
    # Fallback for a ValidationError a handler did not turn into a CliError itself.
    first = str(problems[0]) if problems else "invalid input"
    more = f" (and {plural(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
    return f"{first}{more}"


__all__ = [
    "SUBCOMMANDS",
    "CliError",
    "CliFailure",
    "build_parser",
    "format_diff",
    "format_history_table",
    "format_totals_table",
    "one_line",
    "run_cli",
]
