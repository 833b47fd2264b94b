"""Turn file records into validated sites, collecting every problem in a file.

All readers (GeoJSON, CSV, GeoPackage) funnel their records through
:class:`SiteCollector`, so problems are labelled the same way everywhere:
``feature 3 (dc-07): hardware[0].chips: chips must be a whole number >= 0, got '12.5'``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.core.schema import Site, duplicate_id_problems, parse_site
from explorer.io.json_text import JsonTextError, decode_json

_MAX_LABEL_ID = 64


def record_label(base: str, raw_id: Any) -> str:
    """``"feature 3 (dc-07)"``: the record position plus its id when it has one.

    Parameters
    ----------
    base : str
        Position of the record, e.g. ``"feature 3"`` or ``"row 12"``.
    raw_id : object
        The id as found in the file (may be missing or invalid).
    """
    sid = "" if raw_id is None else str(raw_id).strip()
    if not sid:
        return base
    if len(sid) > _MAX_LABEL_ID:
        sid = sid[:_MAX_LABEL_ID] + "..."
    return f"{base} ({sid})"


def shorten(value: str, limit: int = 60) -> str:
    """``value`` cut to ``limit`` characters for quoting in a message."""
    return value if len(value) <= limit else value[:limit] + "..."


def decode_json_list(value: Any, fld: str, problems: list[Problem], where: str) -> Any:
    """Accept a list, or a list encoded as a JSON string (as GIS tools write it).

    Returns the decoded value (``None`` for an empty string); on undecodable
    text, records a problem quoting the text and returns ``None``.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return decode_json(text)
    except JsonTextError as exc:
        problems.append(
            Problem(
                fld,
                value,
                f"{fld} must be a JSON list ({exc.reason}), got '{shorten(text)}'",
                where=where,
            )
        )
        return None


class SiteCollector:
    """Parse records one by one; keep the valid sites and every problem.

    Parameters
    ----------
    catalogue : ChipCatalogue or None
        Chip catalogue to validate models against (``None``: the bundled one).

    Attributes
    ----------
    sites : list of Site
        Valid sites in file order. A site whose id repeats an earlier record's id
        is reported and left out, so ``sites`` can always be loaded into a store.
    problems : list of Problem
        Every problem found, in file order.
    """

    def __init__(self, catalogue: ChipCatalogue | None = None) -> None:
        self.catalogue = catalogue if catalogue is not None else ChipCatalogue.bundled()
        self.sites: list[Site] = []
        self.problems: list[Problem] = []
        self._first_seen: dict[str, str] = {}

    def add(
        self,
        props: Mapping[str, Any],
        lon: Any,
        lat: Any,
        *,
        label: str,
        problems: list[Problem] | None = None,
    ) -> Site | None:
        """Parse one record.

        Parameters
        ----------
        props : mapping
            The record's attributes (see :func:`explorer.core.schema.parse_site`).
        lon, lat : object
            Coordinates as found in the file.
        label : str
            The record's label for messages (see :func:`record_label`).
        problems : list of Problem, optional
            Problems the reader already found in this record (bad geometry, bad
            JSON). The record is rejected if there are any.

        Returns
        -------
        Site or None
            The site, or ``None`` when the record has a problem.
        """
        found = list(problems or [])
        site: Site | None = None
        try:
            site = parse_site(props, lon, lat, where=label, catalogue=self.catalogue)
        except ValidationError as exc:
            found.extend(replace(p, where=label) for p in exc.problems)
        raw_id = props.get("id")
        sid = "" if raw_id is None else str(raw_id).strip()
        if sid:
            first = self._first_seen.get(sid)
            if first is None:
                self._first_seen[sid] = label
            else:
                found.append(
                    Problem("id", sid, f"duplicate id '{sid}' (first used by {first})", where=label)
                )
        self.problems.extend(found)
        if found or site is None:
            return None
        self.sites.append(site)
        return site


def refuse_unwritable(sites: list[Site]) -> None:
    """Raise before writing ``sites`` that could not be read back.

    Raises
    ------
    ValidationError
        Two sites share an id.
    ValueError
        A coordinate or the power is NaN or infinite (no format can hold it
        faithfully: JSON has no NaN, and GeoPackage would store NULL).
    """
    problems = duplicate_id_problems(sites)
    if problems:
        raise ValidationError(problems)
    for s in sites:
        for name in ("lon", "lat", "power_mw"):
            value = getattr(s, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{s.id}: {name} must be a finite number, got '{value}'")
