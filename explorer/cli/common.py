"""What every sub-command shares: the errors that end a command, how a file or
database is named in output, opening the SITES argument once through the one door,
and the ``--layer``, date and JSON helpers."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, ValidationError
from explorer.terminal_text import escape_controls

if TYPE_CHECKING:  # imported when used: `explorer --version` need not load GDAL
    from explorer.geo.regions import Region
    from explorer.io.opening import OpenedFile


#: What a SITES argument may be, for the commands' help.
SITES_HELP = (
    "sites file (.geojson, .json, .gpkg, .csv or .parquet), or a shared catalogue's "
    "postgresql://user@host:port/db URL"
)


PROG = "explorer"


Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """Bad input: reported as one ``explorer: error:`` line, exit status 2."""


class CliFailure(Exception):
    """The command could not do its work (not the input's fault): one line, exit 1."""


def display_name(source: str) -> str:
    """A SITES argument as output names it (a database URL without its password)."""
    from explorer.io.opening import shown_name

    return shown_name(source)


def one_line(text: str) -> str:
    """``text`` with line breaks shown as ``\\n`` so a message stays on one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def open_sites(
    path: str, catalogue: ChipCatalogue, *, strict: bool = True, layer: str | None = None
) -> OpenedFile:
    """Open a command's sites file or project, once, through the one door.

    With ``strict``, invalid sites become one CliError line; without, they are left out
    and listed in ``problems`` (for ``validate``). ``layer`` names a GeoPackage's point
    layer (``--layer``).
    """
    read_ahead(path)
    from explorer.io.opening import open_file

    try:
        return open_file(path, catalogue=catalogue, strict=strict, layer=layer)
    except ValidationError as exc:
        n = len(exc.problems)
        shown = display_name(path)
        more = f" (run '{PROG} validate {shown}' to list them all)" if n > 1 else ""
        raise CliError(f"{shown}: {plural(n, 'problem')}; first: {exc.problems[0]}{more}") from None


def read_ahead(path: str) -> None:
    """Start reading a GeoParquet sites file on a thread of Arrow's own while the command
    imports what else it needs (see :mod:`explorer.io.parquet_table`); nothing for other
    formats, whose readers need the interpreter themselves."""
    from explorer.io.formats import file_kind

    try:
        kind = file_kind(path)
    except DataFileError:
        return
    if kind == "parquet":
        from explorer.io.parquet_table import read_ahead as start

        start(path)


def regions_for(opened: OpenedFile, regions_path: str | None, *, name: str) -> list[Region]:
    """``--regions`` if given, else the opened project's own regions (a sites file has none).

    ``name`` is the SITES argument as typed, for messages.
    """
    if regions_path is not None:
        from explorer.io.region_files import load_regions

        return load_regions(regions_path)
    from explorer.geo.regions import region_from_feature

    try:
        return [region_from_feature(f, i) for i, f in enumerate(opened.project.regions)]
    except ValueError as exc:
        raise DataFileError(f"{name}: regions: {exc}") from None


def add_layer(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layer",
        metavar="LAYER",
        help="the GeoPackage point layer to read as sites (needed when a .gpkg that is "
        "not a project has several)",
    )


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def date_arg(text: str) -> date:
    """argparse type for a partial date: the end of its period."""
    from explorer.core.dates import period_end

    try:
        return period_end(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def print_json(doc: object) -> None:
    """Print ``doc`` as indented JSON (UTF-8 text, not ``\\u`` escapes).

    msgspec writes the same text as ``json.dumps(doc, ensure_ascii=False, indent=2)``
    (a NaN or infinity becomes ``null``, which JSON has, instead of ``NaN``, which it
    has not) several times faster: for a region listing 138,000 site ids, 5-9 ms
    against 33-68 ms (the standard library's indenting encoder is pure Python).
    """
    import msgspec

    text = msgspec.json.format(msgspec.json.encode(doc), indent=2).decode("utf-8")
    print(text)


def align(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """First column left-aligned, the (numeric) rest right-aligned."""
    # Escaped before measuring, so a name holding control characters keeps the columns.
    head = [escape_controls(c) for c in head]
    rows = [[escape_controls(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]

    def fmt(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return "\n".join(fmt(r) for r in (head, *rows))


def writable(path: str, suffixes: Sequence[str], what: str) -> None:
    """Refuse an output path up front: wrong extension, no folder, or unsafe to replace."""
    from pathlib import Path

    from explorer.io.atomic import check_target

    out = Path(path)
    if out.suffix.lower() not in suffixes:
        shown = out.suffix or "no extension"
        raise CliError(f"{path}: {what} are written as {', '.join(suffixes)}, got '{shown}'")
    if not out.parent.is_dir():
        raise CliError(f"{path}: output folder '{out.parent}' does not exist")
    check_target(out)
