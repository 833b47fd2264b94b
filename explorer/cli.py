"""Headless sub-commands: ``explorer totals``, ``timeline``, ``validate``, ``convert``,
``snapshot``, ``report``, and for team work ``history``, ``diff`` and ``copy``.

Each sub-command is one ``_add_<name>`` function that registers its arguments and
handler on the argparse sub-parsers, so adding a command (snapshot, report...) is
one function plus one entry in :data:`SUBCOMMANDS`.

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
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from explorer import __version__
from explorer.core.chips import ChipCatalogue
from explorer.core.errors import DataFileError, Problem, ValidationError
from explorer.terminal_text import escape_controls, escaped_output

if TYPE_CHECKING:  # imported when used: `explorer --version` need not load GDAL
    from explorer.geo.regions import Region
    from explorer.io.opening import OpenedFile

#: Sub-command names; ``explorer/__main__.py`` sends these to :func:`run_cli`.
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


# --------------------------------------------------------------------------- entry point


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
        _add_totals,
        _add_timeline,
        _add_validate,
        _add_convert,
        _add_snapshot,
        _add_report,
        _add_history,
        _add_diff,
        _add_copy,
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


def _name(source: str) -> str:
    """A SITES argument as output names it (a database URL without its password)."""
    from explorer.io.opening import shown_name

    return shown_name(source)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc) or type(exc).__name__


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def one_line(text: str) -> str:
    """``text`` with line breaks shown as ``\\n`` so a message stays on one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _validation_summary(problems: Sequence[Problem]) -> str:
    # Fallback for a ValidationError a handler did not turn into a CliError itself.
    first = str(problems[0]) if problems else "invalid input"
    more = f" (and {_plural(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
    return f"{first}{more}"


def _open(
    path: str, catalogue: ChipCatalogue, *, strict: bool = True, layer: str | None = None
) -> OpenedFile:
    """Open a command's sites file or project, once, through the one door.

    With ``strict``, invalid sites become one CliError line; without, they are left out
    and listed in ``problems`` (for ``validate``). ``layer`` names a GeoPackage's point
    layer (``--layer``).
    """
    from explorer.io.opening import open_file

    try:
        return open_file(path, catalogue=catalogue, strict=strict, layer=layer)
    except ValidationError as exc:
        n = len(exc.problems)
        shown = _name(path)
        more = f" (run '{PROG} validate {shown}' to list them all)" if n > 1 else ""
        raise CliError(
            f"{shown}: {_plural(n, 'problem')}; first: {exc.problems[0]}{more}"
        ) from None


def _regions(opened: OpenedFile, regions_path: str | None, *, name: str) -> list[Region]:
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


def _add_layer(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layer",
        metavar="LAYER",
        help="the GeoPackage point layer to read as sites (needed when a .gpkg that is "
        "not a project has several)",
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- totals


def _add_totals(sub: Any) -> None:
    p = sub.add_parser(
        "totals",
        help="total chips, H100-equivalents and power per region",
        description=(
            "Total the sites in SITES, per region of REGIONS (or over all sites). "
            "A site on a region's boundary counts as inside."
        ),
    )
    p.add_argument("sites", metavar="SITES", help=SITES_HELP)
    _add_layer(p)
    p.add_argument(
        "--regions",
        metavar="REGIONS",
        help="GeoJSON FeatureCollection of Polygon/MultiPolygon, or Point features with radius_m",
    )
    p.add_argument(
        "--in-database",
        action="store_true",
        help="SITES is a database URL: compute the totals in PostGIS over the shared "
        "catalogue instead of reading every site here (the same answer, the same output)",
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        type=_date_arg,
        help="count only lines online by DATE (YYYY, YYYY-MM or YYYY-MM-DD: the end of that "
        "period), with the export rules in force then; default: the planned build-out "
        "(every line not cancelled) with today's rules",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_cmd_totals)


def _date_arg(text: str) -> date:
    """argparse type for a partial date: the end of its period."""
    from explorer.core.dates import period_end

    try:
        return period_end(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _print_json(doc: object) -> None:
    """Print ``doc`` as indented JSON (UTF-8 text, not ``\\u`` escapes).

    msgspec writes the same text as ``json.dumps(doc, ensure_ascii=False, indent=2)``
    (a NaN or infinity becomes ``null``, which JSON has, instead of ``NaN``, which it
    has not) several times faster: for a region listing 138,000 site ids, 5-9 ms
    against 33-68 ms (the standard library's indenting encoder is pure Python).
    """
    import msgspec

    text = msgspec.json.format(msgspec.json.encode(doc), indent=2).decode("utf-8")
    print(text)


def _cmd_totals(args: argparse.Namespace) -> int:
    from explorer.geo.totals import totals, totals_many
    from explorer.io.region_files import load_regions

    if args.in_database:
        results, illustrative, count = _totals_in_database(args)
    else:
        columns = _open(args.sites, args.catalogue, layer=args.layer).columns
        # Straight from the columns to the totals snapshot: no Site is built.
        sites = columns.site_arrays(args.catalogue, as_of=args.as_of)
        if args.regions:
            regions = load_regions(args.regions)
            results = totals_many(sites, regions, catalogue=args.catalogue)
        else:
            results = [totals(sites, name="all", catalogue=args.catalogue)]
        illustrative, count = columns.illustrative_count(), len(columns)
    note = (
        f"note: {illustrative} of {count} sites in {_name(args.sites)} are an illustrative "
        "scenario, not reported facts"
        if illustrative
        else ""
    )
    if args.json:
        doc = {"regions": [t.to_json() for t in results]}
        _print_json(doc)
        if note:
            print(note, file=sys.stderr)
    else:
        print(as_of_line(results[0]))
        print()
        print(format_totals_table(results))
        factors = results[0].factors
        print(
            f"\nIT and facility power are estimates: board power x {factors.server_overhead:g} "
            f"server overhead, x {factors.pue:g} PUE (ranges: x {factors.server_overhead_low:g}"
            f"-{factors.server_overhead_high:g}, x {factors.pue_low:g}-{factors.pue_high:g})."
        )
        if note:
            print(note)
    return 0


def _totals_in_database(args: argparse.Namespace) -> tuple[list[Any], int, int]:
    """``totals --in-database``: the totals PostGIS computes, and how many of how many
    sites are illustrative (for the note)."""
    from explorer.io.opening import is_database, open_database
    from explorer.io.region_files import load_regions

    if not is_database(args.sites):
        raise CliError(
            f"--in-database: SITES must be a database URL (postgresql://...), got '{args.sites}'"
        )
    if args.layer is not None:
        raise CliError(f"--layer {args.layer!r}: a database has no layers")
    regions = load_regions(args.regions) if args.regions else None
    db = open_database(args.sites, catalogue=args.catalogue)
    try:
        results = db.totals(regions, as_of=args.as_of)
        illustrative, count = db.illustrative_count()
    finally:
        db.close()
    return results, illustrative, count


def as_of_line(t: Any) -> str:
    """What a total counts, in words: the date, or the planned build-out."""
    rules = t.rules_day.isoformat() if t.rules_day is not None else "today"
    if t.as_of is None:
        return (
            "planned build-out: every hardware line not cancelled, dated or not; "
            f"export rules as of {rules}"
        )
    return f"as of {t.as_of.isoformat()}: lines online by then; export rules in force then"


def format_totals_table(results: Sequence[Any]) -> str:
    """Aligned text table of :class:`~explorer.geo.totals.Totals`, then a by-model table.

    Parameters
    ----------
    results : sequence of Totals

    Returns
    -------
    str
        Two tables separated by a blank line (no trailing newline).
    """
    head = ("region", "sites", "chips", "restricted", "H100e", "IT MW", "facility MW")
    rows = [
        (
            t.region,
            f"{t.site_count:,}",
            f"{t.chips:,}",
            f"{t.restricted_chips:,}",
            f"{t.h100e:,.1f}",
            f"{t.it_power_mw:,.1f}",
            f"{t.facility_power_mw:,.1f}",
        )
        for t in results
    ]
    out = [_align(head, rows)]
    out.append("")
    out.append("ranges (low-high)")
    range_rows = [
        (
            t.region,
            f"{t.chips_range[0]:,}-{t.chips_range[1]:,}",
            f"{t.restricted_range[0]:,}-{t.restricted_range[1]:,}",
            f"{t.h100e_range[0]:,.1f}-{t.h100e_range[1]:,.1f}",
            f"{t.facility_power_range[0]:,.1f}-{t.facility_power_range[1]:,.1f}",
        )
        for t in results
    ]
    out.append(_align(("region", "chips", "restricted", "H100e", "facility MW"), range_rows))
    unknown = [t for t in results if t.unknown_model_chips]
    for t in unknown:
        out.append(
            f"{t.region}: {t.unknown_model_chips:,} chips of unknown model: not in H100e or power"
        )
    models: list[str] = []
    for t in results:
        models.extend(m for m in t.by_model_dict() if m not in models)
    out.append("")
    if models:
        out.append("chips by model")
        by_rows = [
            (t.region, *(f"{t.by_model_dict().get(m, 0):,}" for m in models)) for t in results
        ]
        out.append(_align(("region", *models), by_rows))
    else:
        out.append("chips by model: none")
    return "\n".join(out)


def _align(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
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


# --------------------------------------------------------------------------- validate


def _add_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="list every problem in a sites file",
        description=(
            "Check every record of FILE and list each problem on its own line. "
            "Exit status 0 when valid, 1 when there are problems."
        ),
    )
    p.add_argument("file", metavar="FILE", help=SITES_HELP)
    _add_layer(p)
    p.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    from explorer.geo.admin import load_bundled_provinces
    from explorer.geo.consistency import consistency_problems

    opened = _open(args.file, args.catalogue, strict=False, layer=args.layer)
    path = _name(args.file)
    out: TextIO = sys.stdout
    for problem in opened.problems:
        print(f"{path}: {one_line(str(problem))}", file=out)
    warnings = consistency_problems(
        opened.project.sites,
        opened.project.metadata,
        args.catalogue,
        provinces=load_bundled_provinces(),
    )
    for problem in warnings:
        print(f"{path}: warning: {one_line(str(problem))}", file=out)
    if opened.problems:
        print(f"{path}: {_plural(len(opened.problems), 'problem')}", file=sys.stderr)
        return 1
    noted = f", {_plural(len(warnings), 'warning')}" if warnings else ""
    print(f"{path}: {_plural(len(opened.project.sites), 'site')}, no problems{noted}", file=out)
    return 0


# --------------------------------------------------------------------------- timeline


def _add_timeline(sub: Any) -> None:
    p = sub.add_parser(
        "timeline",
        help="chips and restricted chips per region over time (low, central, high)",
        description=(
            "For each region of REGIONS (or all sites) and each quarter or year end from "
            "--from to --to, the chips and restricted chips online by then (low, central "
            "and high), exactly as 'explorer totals --as-of' counts them. Without --from/--to "
            "the series spans the data's online dates."
        ),
    )
    p.add_argument("sites", metavar="SITES", help=SITES_HELP)
    _add_layer(p)
    p.add_argument("--regions", metavar="REGIONS", help="GeoJSON regions (default: all sites)")
    p.add_argument("--from", dest="start", metavar="DATE", type=_date_arg, help="first date")
    p.add_argument("--to", dest="end", metavar="DATE", type=_date_arg, help="last date")
    p.add_argument("--step", choices=("quarter", "year"), default="quarter")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    p.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: print region names starting with = + - @ as they are (default: with a "
        "leading ' so a spreadsheet shows them as text)",
    )
    p.set_defaults(handler=_cmd_timeline)


def _cmd_timeline(args: argparse.Namespace) -> int:
    from explorer.geo.timeline import data_span, step_dates, timeline
    from explorer.io.region_files import load_regions

    sites = _open(args.sites, args.catalogue, layer=args.layer).project.sites
    regions = load_regions(args.regions) if args.regions else None
    span = data_span(sites)
    start = args.start or (span[0] if span else None)
    end = args.end or (span[1] if span else None)
    if start is None or end is None:
        raise CliError(
            f"{_name(args.sites)}: no hardware line has an online date; give --from and --to"
        )
    if end < start:
        raise CliError(f"--to {end} is before --from {start}")
    dates = step_dates(start, end, args.step)
    series = timeline(sites, regions, dates, catalogue=args.catalogue)
    if args.json:
        doc = {
            "step": args.step,
            "regions": [
                {"name": s.name, "points": [t.to_json() for t in s.points]} for s in series
            ],
        }
        _print_json(doc)
    elif args.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(TIMELINE_COLUMNS)
        from explorer.io.csv_cells import neutralise_cell

        for s in series:
            name = s.name if args.keep_formulas else neutralise_cell(s.name)
            for t in s.points:
                w.writerow(_timeline_row(name, t, raw=True))
    else:
        rows = [_timeline_row(s.name, t, raw=False) for s in series for t in s.points]
        print(_align(TIMELINE_COLUMNS, rows))
    return 0


#: Columns of ``explorer timeline`` (table and CSV).
TIMELINE_COLUMNS: tuple[str, ...] = (
    "region",
    "date",
    "chips_low",
    "chips",
    "chips_high",
    "restricted_low",
    "restricted",
    "restricted_high",
)


def _timeline_row(name: str, t: Any, *, raw: bool) -> tuple[str, ...]:
    values = (
        t.chips_range[0],
        t.chips,
        t.chips_range[1],
        t.restricted_range[0],
        t.restricted_chips,
        t.restricted_range[1],
    )
    shown = tuple(str(v) if raw else f"{v:,}" for v in values)
    return (name, t.as_of.isoformat(), *shown)


# --------------------------------------------------------------------------- convert


def _add_convert(sub: Any) -> None:
    p = sub.add_parser(
        "convert",
        help="write a sites file or project in another format (the window's exports)",
        description=(
            "Read IN (a sites file or .gpkg project) and write OUT in the format its "
            "extension names: .geojson/.json or .csv (the sites), .gpkg (a project: the "
            "sites, the regions and the metadata). The regions are IN's own (a project) or "
            "those of --regions; --regions-out writes them as GeoJSON. The same exporters "
            "as File > Export in the window; OUT is replaced atomically."
        ),
    )
    p.add_argument(
        "input",
        metavar="IN",
        help="sites file (.geojson, .json, .csv, .parquet) or .gpkg, or a database URL",
    )
    p.add_argument("output", metavar="OUT", help="file to write (.geojson, .json, .csv, .gpkg)")
    p.add_argument(
        "--regions", metavar="REGIONS", help="GeoJSON regions (default: IN's own, if a project)"
    )
    p.add_argument(
        "--inside",
        metavar="NAME",
        help="write only the sites inside the region of that name (a boundary counts as inside)",
    )
    p.add_argument(
        "--regions-out", metavar="FILE", help="also write the regions to FILE (.geojson/.json)"
    )
    p.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: write text starting with = + - @ as it is (default: with a leading ' so "
        "a spreadsheet shows it as text, never runs it; the reader takes it off again)",
    )
    p.set_defaults(handler=_cmd_convert)


def _writable(path: str, suffixes: Sequence[str], what: str) -> None:
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


def _cmd_convert(args: argparse.Namespace) -> int:
    from explorer.io.exports import REGION_SUFFIXES, export_regions, export_sites
    from explorer.io.formats import SUPPORTED_SUFFIXES, file_kind

    _writable(args.output, SUPPORTED_SUFFIXES, "sites")
    if args.regions_out is not None:
        _writable(args.regions_out, REGION_SUFFIXES, "regions")
    opened = _open(args.input, args.catalogue)
    regions = _regions(opened, args.regions, name=_name(args.input))
    if args.regions_out is not None and not regions:
        raise CliError(f"--regions-out: {_name(args.input)} has no regions to write")
    region = None
    if args.inside is not None:
        matches = [r for r in regions if r.name == args.inside]
        if not matches:
            names = ", ".join(repr(r.name) for r in regions[:10]) or "none"
            raise CliError(f"--inside {args.inside!r}: no region of that name (regions: {names})")
        if len(matches) > 1:
            raise CliError(f"--inside {args.inside!r}: {len(matches)} regions have that name")
        region = matches[0]
    to_project = file_kind(args.output) == "gpkg"
    written = export_sites(
        args.output,
        opened.project.sites,
        region=region,
        metadata=opened.project.metadata,
        regions=regions if to_project else (),
        keep_tables_from=args.input if opened.is_project else None,
        keep_formulas=args.keep_formulas,
    )
    inside = f" inside '{args.inside}'" if region is not None else ""
    kept = f", {_plural(len(regions), 'region')}" if to_project else ""
    print(f"{args.output}: {_plural(written, 'site')}{inside}{kept}")
    if args.regions_out is not None:
        n = export_regions(args.regions_out, regions)
        print(f"{args.regions_out}: {_plural(n, 'region')}")
    elif regions and not to_project:
        # Not silent: the sites formats have no place for them.
        print(
            f"note: {_plural(len(regions), 'region')} not written ({file_kind(args.output)} "
            "holds sites only); add --regions-out FILE.geojson",
            file=sys.stderr,
        )
    return 0


# --------------------------------------------------------------------------- snapshot

#: ``explorer snapshot`` size when neither a preset nor a size is given.
DEFAULT_SNAPSHOT_SIZE = (1600, 1000)


def _add_snapshot(sub: Any) -> None:
    presets = ("a4-150", "a4-300", "letter-150", "letter-300")
    p = sub.add_parser(
        "snapshot",
        help="render the map of a sites file or project as a PNG",
        description=(
            "Render the map of SITES_OR_PROJECT as a PNG at an exact pixel size, with "
            "title, legend, scale bar, north arrow, the data's as-of date, a caveat for "
            "illustrative sites and the attribution. With regions, they "
            "are drawn and the view fits them; otherwise it fits the sites. Headless: set "
            "QT_QPA_PLATFORM=offscreen."
        ),
    )
    p.add_argument(
        "sites", metavar="SITES_OR_PROJECT", help="sites file, .gpkg project or database URL"
    )
    _add_layer(p)
    p.add_argument("--out", required=True, metavar="FILE.png", help="PNG to write")
    p.add_argument("--width", type=int, metavar="W", help="width in pixels (default 1600)")
    p.add_argument("--height", type=int, metavar="H", help="height in pixels (default 1000)")
    p.add_argument(
        "--preset", choices=presets, help="paper size and resolution instead of --width/--height"
    )
    p.add_argument(
        "--dpi", type=int, help="print resolution: labels and overlays at their point size"
    )
    p.add_argument(
        "--regions",
        metavar="REGIONS",
        help="GeoJSON regions to draw and fit (default: a .gpkg project's own regions)",
    )
    p.add_argument("--title", help="title (default: the data set's title)")
    _add_as_of(p, "the title box states it")
    p.add_argument(
        "--color-by",
        choices=("export", "model"),
        default="export",
        help="marker colour: export-control status (default) or main chip model",
    )
    p.set_defaults(handler=_cmd_snapshot)


def _add_as_of(p: argparse.ArgumentParser, where: str) -> None:
    """``--as-of DATE`` for ``snapshot`` and ``report``, as ``totals`` takes it."""
    p.add_argument(
        "--as-of",
        metavar="DATE",
        type=_date_arg,
        help="count only lines online by DATE (YYYY, YYYY-MM or YYYY-MM-DD: the end of that "
        "period), with the export rules in force then, as 'explorer totals --as-of' does; "
        f"{where}; default: the planned build-out with today's rules",
    )


def _snapshot_spec(args: argparse.Namespace) -> Any:
    from explorer.web.snapshot import SnapshotSpec

    if args.preset and (args.width is not None or args.height is not None):
        raise CliError("give either --preset or --width/--height, not both")
    if args.preset:
        spec = SnapshotSpec.from_preset(args.preset, title=args.title or "")
        if args.dpi is not None:
            raise CliError(f"--preset {args.preset} sets the dpi ({spec.dpi}); drop --dpi")
    else:
        width = args.width if args.width is not None else DEFAULT_SNAPSHOT_SIZE[0]
        height = args.height if args.height is not None else DEFAULT_SNAPSHOT_SIZE[1]
        spec = SnapshotSpec(width, height, title=args.title or "", dpi=args.dpi)
    try:
        spec.validate()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return spec


def _check_output(path: str, suffix: str) -> None:
    from pathlib import Path

    out = Path(path)
    if out.suffix.lower() != suffix:
        raise CliError(f"{path}: the output must be a {suffix} file")
    if not out.parent.is_dir():
        raise CliError(f"{path}: output folder '{out.parent}' does not exist")


def _check_can_render() -> None:
    """Refuse, with the fix, what would make Qt or Chromium abort without a message."""
    from explorer.web.engine import environment_problem

    problem = environment_problem()
    if problem is not None:
        raise CliError(problem)


def _render(spec: Any, **kwargs: Any) -> Any:
    """Render a snapshot in a QApplication made here; failures become CliFailure.

    What the map page and its view log while rendering (a frame late to reach the
    widget, a page error) is kept off stderr: a failure is reported once, as the error
    line, with the reason the snapshot job gives.
    """
    from explorer.web.engine import make_application
    from explorer.web.snapshot import SnapshotError, run_snapshot

    _check_can_render()
    make_application([])
    with _quiet_logs("explorer.web"):
        try:
            return run_snapshot(spec, **kwargs)
        except SnapshotError as exc:
            raise CliFailure(f"could not render the map: {exc}") from None


@contextlib.contextmanager
def _quiet_logs(name: str) -> Iterator[None]:
    """Handle the records of logger ``name`` (and below) by dropping them, for the
    duration: without a handler Python prints warnings bare on stderr."""
    logger = logging.getLogger(name)
    handler = logging.NullHandler()
    logger.addHandler(handler)
    before = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = before


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from explorer.web.snapshot import check_drawable, save_png

    spec = _snapshot_spec(args)
    _check_output(args.out, ".png")
    opened = _open(args.sites, args.catalogue, layer=args.layer)
    sites = opened.project.sites
    regions = _regions(opened, args.regions, name=_name(args.sites))
    _refuse(check_drawable, regions, name=args.regions or _name(args.sites))
    result = _render(
        spec,
        sites=sites,
        regions=regions,
        metadata=opened.project.metadata,
        color_mode=args.color_by,
        catalogue=args.catalogue,
        as_of=args.as_of,
    )
    save_png(args.out, result.image, spec.dpi)
    shown = len(result.shown_site_ids)
    print(
        f"{args.out}: {spec.width_px} × {spec.height_px} px, "
        f"{_plural(shown, 'site')} of {len(sites)} in view, "
        f"{_plural(len(regions), 'region')}, {_dated(args.as_of)}"
    )
    if result.caveat:
        print(f"note: {result.caveat}")
    return 0


def _refuse(check: Callable[..., None], *args: Any, name: str) -> None:
    """Run a check that raises ValueError; its message becomes one error line naming
    ``name`` (the file the refused input came from)."""
    try:
        check(*args)
    except ValueError as exc:
        raise CliError(f"{name}: {exc}") from None


def _dated(as_of: date | None) -> str:
    return f"as of {as_of.isoformat()}" if as_of is not None else "planned build-out"


# --------------------------------------------------------------------------- report


def _add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="PDF report of the sites in regions, with a map",
        description=(
            "Write a PDF report for the regions of REGIONS (default: a .gpkg project's own "
            "regions; without any, all sites): a map snapshot with the regions drawn, then "
            "per-region totals exactly as 'explorer totals' computes them, the sites, their "
            "sources and the assumptions. Headless: set QT_QPA_PLATFORM=offscreen."
        ),
    )
    p.add_argument(
        "sites", metavar="SITES_OR_PROJECT", help="sites file, .gpkg project or database URL"
    )
    _add_layer(p)
    p.add_argument("--regions", metavar="REGIONS", help="GeoJSON regions to report on")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="PDF to write")
    p.add_argument(
        "--title", help="report title, at most 300 characters (default: from the data set's title)"
    )
    _add_as_of(p, "the report and its map state it and each chart marks it")
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from explorer.io.report import build_report, check_report_request, default_title
    from explorer.web.snapshot import check_drawable, png_bytes, report_map_spec

    _check_output(args.out, ".pdf")
    if args.title is not None:
        try:
            check_report_request(title=args.title, region_count=0)
        except ValueError as exc:
            raise CliError(f"--title: {exc}") from None
    opened = _open(args.sites, args.catalogue, layer=args.layer)
    sites, metadata = opened.project.sites, opened.project.metadata
    regions = _regions(opened, args.regions, name=_name(args.sites))
    title = args.title if args.title is not None else default_title(metadata)
    # Everything that would refuse the PDF or its map is checked before the map is drawn.
    _refuse(
        lambda: check_report_request(title=title, region_count=len(regions)),
        name=args.regions or _name(args.sites),
    )
    _refuse(check_drawable, regions, name=args.regions or _name(args.sites))
    # The map and the PDF get the very same sites, regions, metadata, catalogue and date.
    spec = report_map_spec(with_regions=bool(regions))
    result = _render(
        spec,
        sites=sites,
        regions=regions,
        metadata=metadata,
        catalogue=args.catalogue,
        as_of=args.as_of,
    )
    try:
        info = build_report(
            args.out,
            sites=sites,
            regions=regions,
            map_png=png_bytes(result.image, spec.dpi),
            title=title,
            metadata=metadata,
            catalogue=args.catalogue,
            as_of=args.as_of,
        )
    except ValueError as exc:  # the data cannot be reported (OSError: run_cli names the file)
        raise CliError(f"{_name(args.sites)}: {exc}") from None
    print(
        f"{args.out}: {_plural(info.pages, 'page')}, {_plural(len(info.region_names), 'region')}, "
        f"{_plural(info.source_count, 'source')}, {_dated(args.as_of)}"
    )
    return 0


# --------------------------------------------------------------------------- history


def _add_history(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="every recorded change of a site: when, who, what, before and after, why",
        description=(
            "List every recorded change of site SITE_ID in FILE_OR_URL (a .gpkg project's "
            "history table, or a shared catalogue's history), oldest first: when (UTC), who "
            "(the database role, or the OS user who saved the project), the action, each "
            "field's value before and after, and the reason given. The table shortens long "
            "values; --json prints them whole."
        ),
    )
    p.add_argument("source", metavar="FILE_OR_URL", help=".gpkg project or database URL")
    p.add_argument("site_id", metavar="SITE_ID", help="the site's id")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_cmd_history)


#: Longest value the history and diff tables show before shortening it with "…".
_SHOWN_VALUE = 60


def _value_text(value: Any) -> str:
    """A field's JSON value, compact and on one line, shortened for a table."""
    text = "" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = one_line(text)
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 1] + "…"


def _cmd_history(args: argparse.Namespace) -> int:
    from explorer.io.opening import read_history

    records = read_history(args.source, catalogue=args.catalogue, entity_id=args.site_id)
    if args.json:
        doc = {
            "source": _name(args.source),
            "site": args.site_id,
            "changes": [r.to_json() for r in records],
        }
        _print_json(doc)
        return 0
    if not records:
        print(f"{_name(args.source)}: no recorded change of site {args.site_id!r}")
        return 0
    print(format_history_table(records))
    print(f"\n{_plural(len(records), 'change')} of site {args.site_id!r}, oldest first")
    return 0


def format_history_table(records: Sequence[Any]) -> str:
    """Aligned table of :class:`~explorer.io.changelog.ChangeRecord`, one row per changed
    field (an insert or delete is one row naming the whole record).

    Parameters
    ----------
    records : sequence of ChangeRecord

    Returns
    -------
    str
        The table (no trailing newline).
    """
    rows: list[tuple[str, ...]] = []
    for r in records:
        head = (r.at, r.who, r.action)
        if r.action == "update":
            cells = [
                (
                    f,
                    _value_text((r.before or {}).get(f)),
                    _value_text((r.after or {}).get(f)),
                )
                for f in r.fields
            ] or [("", "", "")]
        else:
            value = r.after if r.action == "insert" else r.before
            name = _value_text((value or {}).get("name"))
            whole = f"(the record: {_plural(len(r.fields), 'field')}, name {name})"
            cells = [
                ("*", "" if r.action == "insert" else whole, whole if r.action == "insert" else "")
            ]
        for i, (field_name, before, after) in enumerate(cells):
            first = i == 0
            rows.append(
                (
                    *(head if first else ("", "", "")),
                    field_name,
                    before,
                    "→" if (before or after) else "",
                    after,
                    r.reason if first else "",
                )
            )
    head_row = ("when", "who", "action", "field", "before", "", "after", "reason")
    return _align_left(head_row, rows)


def _align_left(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Every column left-aligned (text, not figures)."""
    head = [escape_controls(c) for c in head]
    rows = [[escape_controls(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in (head, *rows)
    )


# --------------------------------------------------------------------------- diff


def _add_diff(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="sites added, removed and changed between two catalogues, and the totals' change",
        description=(
            "Compare catalogue B with catalogue A (the baseline): the sites added (in B "
            "only), removed (in A only) and changed field by field, then each region's "
            "totals in A and in B. A and B are sites files, .gpkg projects or database "
            "URLs. With --at TIME, A is taken as it was at TIME, rebuilt from its recorded "
            "history (a database, or a .gpkg project with a history table), and B defaults "
            "to A as it is now: 'explorer diff postgresql://... --at 2026-01-01T00:00Z' "
            "lists what changed in the shared catalogue since then."
        ),
    )
    p.add_argument("a", metavar="A", help="the baseline: sites file, .gpkg project or database URL")
    p.add_argument(
        "b",
        metavar="B",
        nargs="?",
        help="the catalogue compared with A (default with --at: A as it is now)",
    )
    p.add_argument(
        "--at",
        metavar="TIME",
        type=_time_arg,
        help="take A as it was at TIME (ISO 8601, e.g. 2026-01-01T00:00Z or 2026-01-01; a "
        "time without zone is UTC; compared to the second, as history shows times)",
    )
    p.add_argument(
        "--regions",
        metavar="REGIONS",
        help="GeoJSON regions whose totals are compared (default: A's own, if a project or "
        "database)",
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        type=_date_arg,
        help="compare the totals of lines online by DATE, as 'explorer totals --as-of' "
        "counts them (default: the planned build-out)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_cmd_diff)


def _time_arg(text: str) -> Any:
    """argparse type for an instant: ISO 8601, UTC when no zone is given."""
    from explorer.io.rewind import instant

    try:
        return instant(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _cmd_diff(args: argparse.Namespace) -> int:
    from explorer.io.opening import open_at
    from explorer.session.diff import diff_projects

    if args.b is None and args.at is None:
        raise CliError("give B, or --at TIME to compare A then with A now")
    b_source = args.b if args.b is not None else args.a
    if args.at is not None:
        try:
            a = open_at(args.a, args.at, catalogue=args.catalogue)
        except ValidationError as exc:
            raise CliError(
                f"{_name(args.a)} at {_when(args.at)}: {_plural(len(exc.problems), 'problem')}; "
                f"first: {exc.problems[0]}"
            ) from None
    else:
        a = _open(args.a, args.catalogue)
    b = _open(b_source, args.catalogue)
    regions = _regions(a, args.regions, name=_name(args.a))
    found = diff_projects(a.project, b.project, regions, args.catalogue, as_of=args.as_of)
    a_name = _name(args.a) + (f" at {_when(args.at)}" if args.at is not None else "")
    b_name = _name(b_source) + (" now" if args.b is None else "")
    if args.json:
        _print_json(_diff_json(found, a_name, b_name, args.as_of))
    else:
        print(format_diff(found, a_name, b_name))
    return 0


def _when(t: Any) -> str:
    from datetime import UTC

    return str(t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _diff_json(found: Any, a_name: str, b_name: str, as_of: date | None) -> dict[str, Any]:
    return {
        "a": a_name,
        "b": b_name,
        "as_of": as_of.isoformat() if as_of is not None else None,
        "added": [s.to_dict() for s in found.added],
        "removed": [s.to_dict() for s in found.removed],
        "changed": [
            {
                "id": c.id,
                "name": c.name,
                "fields": [
                    {"field": f.field, "before": f.before, "after": f.after} for f in c.fields
                ],
            }
            for c in found.changed
        ],
        "regions": [
            {"region": r.name, "before": r.before.to_json(), "after": r.after.to_json()}
            for r in found.regions
        ],
    }


def format_diff(found: Any, a_name: str, b_name: str) -> str:
    """A :class:`~explorer.session.diff.Diff` as text: the two catalogues, the sites
    added (``+``), removed (``-``) and changed (``~``, then each field before → after),
    and a table of each region's totals in A and B.

    Returns
    -------
    str
        The text (no trailing newline).
    """
    out = [f"A: {a_name}", f"B: {b_name}", ""]
    out.append(
        f"{_plural(len(found.added), 'site')} added, {len(found.removed)} removed, "
        f"{len(found.changed)} changed"
    )
    for sign, sites in (("+", found.added), ("-", found.removed)):
        for s in sites:
            out.append(escape_controls(f"{sign} {s.id}  {s.name}"))
    for c in found.changed:
        out.append(escape_controls(f"~ {c.id}  {c.name}"))
        for f in c.fields:
            out.append(
                escape_controls(f"    {f.field}: {_value_text(f.before)} → {_value_text(f.after)}")
            )
    out.append("")
    out.append(as_of_line(found.regions[0].after))
    rows = []
    for r in found.regions:
        rows.append(
            (
                r.name,
                f"{r.before.site_count:,} → {r.after.site_count:,}",
                f"{r.before.chips:,} → {r.after.chips:,}",
                f"{r.chips:+,}",
                f"{r.before.restricted_chips:,} → {r.after.restricted_chips:,}",
                f"{r.restricted_chips:+,}",
                f"{r.h100e:+,.1f}",
                f"{r.facility_power_mw:+,.1f}",
            )
        )
    head = (
        "region",
        "sites",
        "chips",
        "Δ chips",
        "restricted",
        "Δ restricted",
        "Δ H100e",
        "Δ facility MW",
    )
    out.append(_align(head, rows))
    return "\n".join(out)


# --------------------------------------------------------------------------- copy


def _add_copy(sub: Any) -> None:
    p = sub.add_parser(
        "copy",
        help="copy a whole catalogue (sites, regions, metadata, history) to a file or database",
        description=(
            "Copy the catalogue SRC holds (sites with their hardware lines and sources, "
            "regions, metadata and recorded history) to DST, losslessly: between a .gpkg "
            "project and a shared catalogue (postgresql://...) in either direction, or "
            "between two of either. SRC may also be a sites file (no regions or history). "
            "DST that already holds a catalogue (a non-empty database, an existing file) is "
            "refused unless --replace is given. The history is copied as recorded; the "
            "copy itself is not a recorded change."
        ),
    )
    p.add_argument("source", metavar="SRC", help=SITES_HELP)
    p.add_argument("target", metavar="DST", help=".gpkg project to write, or a database URL")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace what DST holds (a non-empty database, an existing file)",
    )
    p.set_defaults(handler=_cmd_copy)


def _cmd_copy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from explorer.io.opening import is_database, open_database, open_file

    src, dst = args.source, args.target
    to_database = is_database(dst)
    if to_database:
        if is_database(src) and src == dst:
            raise CliError(f"{_name(dst)}: SRC and DST are the same catalogue")
    else:
        _writable(dst, (".gpkg",), "catalogues (sites, regions, metadata and history)")
        if not is_database(src) and Path(src).resolve() == Path(dst).resolve():
            raise CliError(f"{dst}: SRC and DST are the same file")
        if Path(dst).exists() and not args.replace:
            raise CliError(f"{dst}: the file exists; replace it with --replace")
    try:
        opened = open_file(src, catalogue=args.catalogue, history=True)
    except ValidationError as exc:
        raise CliError(
            f"{_name(src)}: {_plural(len(exc.problems), 'problem')}; first: {exc.problems[0]}"
        ) from None
    project = opened.project
    if to_database:
        db = open_database(dst, catalogue=args.catalogue)
        try:
            db.copy_in(project, replace=args.replace)
        finally:
            db.close()
    else:
        from explorer.io.project import save_project

        save_project(dst, project, keep_tables_from=src if opened.is_project else None)
    print(
        f"{_name(dst)}: {_plural(len(project.sites), 'site')}, "
        f"{_plural(len(project.regions), 'region')}, "
        f"{_plural(len(project.history), 'recorded change')} copied from {_name(src)}"
    )
    return 0


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
