"""The names of the headless sub-commands, kept apart from their code.

``explorer NAME ...`` runs the command NAME; anything else opens the window. The entry
point decides from these names alone, so opening the window does not first import the
commands' code (argparse, the readers' front doors, the chip catalogue: 0.02-0.03 s
before Qt could start).
"""

from __future__ import annotations

#: Sub-command names; :func:`explorer.cli.build_parser` registers one parser for each.
SUBCOMMANDS: tuple[str, ...] = (
    "totals",
    "timeline",
    "validate",
    "convert",
    "snapshot",
    "report",
    "history",
    "diff",
    "copy",
)

__all__ = ["SUBCOMMANDS"]
