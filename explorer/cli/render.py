"""The sub-commands that render the map: ``snapshot`` (PNG) and ``report`` (PDF).

Both run QtWebEngine, so they create a QApplication; see the package notes for a
headless run."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from explorer.cli.common import (
    CliError,
    CliFailure,
    add_layer,
    date_arg,
    display_name,
    open_sites,
    plural,
    regions_for,
)

#: ``explorer snapshot`` size when neither a preset nor a size is given.
DEFAULT_SNAPSHOT_SIZE = (1600, 1000)


def add_snapshot(sub: Any) -> None:
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
    add_layer(p)
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
        type=date_arg,
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
    opened = open_sites(args.sites, args.catalogue, layer=args.layer)
    sites = opened.project.sites
    regions = regions_for(opened, args.regions, name=display_name(args.sites))
    _refuse(check_drawable, regions, name=args.regions or display_name(args.sites))
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
        f"{plural(shown, 'site')} of {len(sites)} in view, "
        f"{plural(len(regions), 'region')}, {_dated(args.as_of)}"
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


def add_report(sub: Any) -> None:
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
    add_layer(p)
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
    opened = open_sites(args.sites, args.catalogue, layer=args.layer)
    sites, metadata = opened.project.sites, opened.project.metadata
    regions = regions_for(opened, args.regions, name=display_name(args.sites))
    title = args.title if args.title is not None else default_title(metadata)
    # Everything that would refuse the PDF or its map is checked before the map is drawn.
    _refuse(
        lambda: check_report_request(title=title, region_count=len(regions)),
        name=args.regions or display_name(args.sites),
    )
    _refuse(check_drawable, regions, name=args.regions or display_name(args.sites))
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
        raise CliError(f"{display_name(args.sites)}: {exc}") from None
    print(
        f"{args.out}: {plural(info.pages, 'page')}, {plural(len(info.region_names), 'region')}, "
        f"{plural(info.source_count, 'source')}, {_dated(args.as_of)}"
    )
    return 0
