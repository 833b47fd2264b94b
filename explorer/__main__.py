"""Entry point: ``explorer`` opens the window; ``explorer <command> ...`` runs headless."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from explorer.command_names import SUBCOMMANDS

    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        from explorer.cli import run_cli
        from explorer.cli.freed_memory import keep_freed_memory

        keep_freed_memory()
        return run_cli(argv)
    from explorer.app import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
