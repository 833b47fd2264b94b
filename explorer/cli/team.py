"""The team sub-commands, over a shared catalogue or a project's history: ``history``,
``diff`` and ``copy``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from explorer.cli.common import (
    SITES_HELP,
    CliError,
    align,
    date_arg,
    display_name,
    one_line,
    open_sites,
    plural,
    print_json,
    regions_for,
    writable,
)
from explorer.cli.data import as_of_line
from explorer.core.errors import ValidationError
from explorer.terminal_text import escape_controls


def add_history(sub: Any) -> None:
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
            "source": display_name(args.source),
            "site": args.site_id,
            "changes": [r.to_json() for r in records],
        }
        print_json(doc)
        return 0
    if not records:
        print(f"{display_name(args.source)}: no recorded change of site {args.site_id!r}")
        return 0
    print(format_history_table(records))
    print(f"\n{plural(len(records), 'change')} of site {args.site_id!r}, oldest first")
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
            whole = f"(the record: {plural(len(r.fields), 'field')}, name {name})"
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


def add_diff(sub: Any) -> None:
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
        type=date_arg,
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
                f"{display_name(args.a)} at {_when(args.at)}: "
                f"{plural(len(exc.problems), 'problem')}; first: {exc.problems[0]}"
            ) from None
    else:
        a = open_sites(args.a, args.catalogue)
    b = open_sites(b_source, args.catalogue)
    regions = regions_for(a, args.regions, name=display_name(args.a))
    found = diff_projects(a.project, b.project, regions, args.catalogue, as_of=args.as_of)
    a_name = display_name(args.a) + (f" at {_when(args.at)}" if args.at is not None else "")
    b_name = display_name(b_source) + (" now" if args.b is None else "")
    if args.json:
        print_json(_diff_json(found, a_name, b_name, args.as_of))
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
        f"{plural(len(found.added), 'site')} added, {len(found.removed)} removed, "
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
    out.append(align(head, rows))
    return "\n".join(out)


def add_copy(sub: Any) -> None:
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
            raise CliError(f"{display_name(dst)}: SRC and DST are the same catalogue")
    else:
        writable(dst, (".gpkg",), "catalogues (sites, regions, metadata and history)")
        if not is_database(src) and Path(src).resolve() == Path(dst).resolve():
            raise CliError(f"{dst}: SRC and DST are the same file")
        if Path(dst).exists() and not args.replace:
            raise CliError(f"{dst}: the file exists; replace it with --replace")
    try:
        opened = open_file(src, catalogue=args.catalogue, history=True)
    except ValidationError as exc:
        raise CliError(
            f"{display_name(src)}: {plural(len(exc.problems), 'problem')}; first: {exc.problems[0]}"
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
        f"{display_name(dst)}: {plural(len(project.sites), 'site')}, "
        f"{plural(len(project.regions), 'region')}, "
        f"{plural(len(project.history), 'recorded change')} copied from {display_name(src)}"
    )
    return 0
