"""The data sub-commands: ``totals``, ``validate``, ``timeline`` and ``convert``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from explorer.cli.common import (
    SITES_HELP,
    CliError,
    add_layer,
    align,
    date_arg,
    display_name,
    one_line,
    open_sites,
    plural,
    print_json,
    read_ahead,
    regions_for,
    writable,
)


def add_totals(sub: Any) -> None:
    p = sub.add_parser(
        "totals",
        help="total chips, H100-equivalents and power per region",
        description=(
            "Total the sites in SITES, per region of REGIONS (or over all sites). "
            "A site on a region's boundary counts as inside."
        ),
    )
    p.add_argument("sites", metavar="SITES", help=SITES_HELP)
    add_layer(p)
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
        type=date_arg,
        help="count only lines online by DATE (YYYY, YYYY-MM or YYYY-MM-DD: the end of that "
        "period), with the export rules in force then; default: the planned build-out "
        "(every line not cancelled) with today's rules",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_cmd_totals)


def _cmd_totals(args: argparse.Namespace) -> int:
    if not args.in_database:
        read_ahead(args.sites)
    from explorer.geo.totals import totals, totals_many
    from explorer.io.region_files import load_regions

    if args.in_database:
        results, illustrative, count = _totals_in_database(args)
    else:
        columns = open_sites(args.sites, args.catalogue, layer=args.layer).columns
        # Straight from the columns to the totals snapshot: no Site is built.
        sites = columns.site_arrays(args.catalogue, as_of=args.as_of)
        if args.regions:
            regions = load_regions(args.regions)
            results = totals_many(sites, regions, catalogue=args.catalogue)
        else:
            results = [totals(sites, name="all", catalogue=args.catalogue)]
        illustrative, count = columns.illustrative_count(), len(columns)
    note = (
        f"note: {illustrative} of {count} sites in {display_name(args.sites)} are an illustrative "
        "scenario, not reported facts"
        if illustrative
        else ""
    )
    if args.json:
        doc = {"regions": [t.to_json() for t in results]}
        print_json(doc)
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
    out = [align(head, rows)]
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
    out.append(align(("region", "chips", "restricted", "H100e", "facility MW"), range_rows))
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
        out.append(align(("region", *models), by_rows))
    else:
        out.append("chips by model: none")
    return "\n".join(out)


def add_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="list every problem in a sites file",
        description=(
            "Check every record of FILE and list each problem on its own line. "
            "Exit status 0 when valid, 1 when there are problems."
        ),
    )
    p.add_argument("file", metavar="FILE", help=SITES_HELP)
    add_layer(p)
    p.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    from explorer.geo.admin import load_bundled_provinces
    from explorer.geo.consistency import consistency_problems

    opened = open_sites(args.file, args.catalogue, strict=False, layer=args.layer)
    path = display_name(args.file)
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
        print(f"{path}: {plural(len(opened.problems), 'problem')}", file=sys.stderr)
        return 1
    noted = f", {plural(len(warnings), 'warning')}" if warnings else ""
    print(f"{path}: {plural(len(opened.project.sites), 'site')}, no problems{noted}", file=out)
    return 0


def add_timeline(sub: Any) -> None:
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
    add_layer(p)
    p.add_argument("--regions", metavar="REGIONS", help="GeoJSON regions (default: all sites)")
    p.add_argument("--from", dest="start", metavar="DATE", type=date_arg, help="first date")
    p.add_argument("--to", dest="end", metavar="DATE", type=date_arg, help="last date")
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

    sites = open_sites(args.sites, args.catalogue, layer=args.layer).project.sites
    regions = load_regions(args.regions) if args.regions else None
    span = data_span(sites)
    start = args.start or (span[0] if span else None)
    end = args.end or (span[1] if span else None)
    if start is None or end is None:
        raise CliError(
            f"{display_name(args.sites)}: no hardware line has an online date; give --from and --to"
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
        print_json(doc)
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
        print(align(TIMELINE_COLUMNS, rows))
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


def add_convert(sub: Any) -> None:
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


def _cmd_convert(args: argparse.Namespace) -> int:
    from explorer.io.exports import REGION_SUFFIXES, export_regions, export_sites
    from explorer.io.formats import SUPPORTED_SUFFIXES, file_kind

    writable(args.output, SUPPORTED_SUFFIXES, "sites")
    if args.regions_out is not None:
        writable(args.regions_out, REGION_SUFFIXES, "regions")
    opened = open_sites(args.input, args.catalogue)
    regions = regions_for(opened, args.regions, name=display_name(args.input))
    if args.regions_out is not None and not regions:
        raise CliError(f"--regions-out: {display_name(args.input)} has no regions to write")
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
    kept = f", {plural(len(regions), 'region')}" if to_project else ""
    print(f"{args.output}: {plural(written, 'site')}{inside}{kept}")
    if args.regions_out is not None:
        n = export_regions(args.regions_out, regions)
        print(f"{args.regions_out}: {plural(n, 'region')}")
    elif regions and not to_project:
        # Not silent: the sites formats have no place for them.
        print(
            f"note: {plural(len(regions), 'region')} not written ({file_kind(args.output)} "
            "holds sites only); add --regions-out FILE.geojson",
            file=sys.stderr,
        )
    return 0
