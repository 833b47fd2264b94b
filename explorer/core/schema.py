"""The site model: immutable records plus parsing and validation.

A :class:`Site` is a frozen value. Edits create a new ``Site`` (``dataclasses.replace``)
which a command hands to the store, so undo simply puts the old value back.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.dates import is_partial_date
from explorer.core.errors import Problem, ValidationError

STATUSES: tuple[str, ...] = ("planned", "under construction", "operational", "cancelled", "unknown")
#: Where a hardware line stands. Only ``cancelled`` changes totals: a cancelled line never
#: counts; every other line counts from its online date (and in the undated total).
LINE_STATUSES: tuple[str, ...] = (
    "announced",
    "approved",
    "tendered",
    "under construction",
    "operational",
    "cancelled",
    "unknown",
)
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high", "illustrative")
PROVINCES: tuple[str, ...] = ("Xinjiang", "Qinghai")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MAX_TEXT = 10_000
MAX_CHIPS_PER_LINE = 10_000_000
#: No site plausibly holds more chips than this (the largest clusters reported hold a few
#: hundred thousand); the high end of every line's range counts towards it.
MAX_CHIPS_PER_SITE = 10_000_000


@dataclass(frozen=True)
class HardwareLine:
    """One hardware line of a site: so many chips of one model, in one phase.

    Attributes
    ----------
    chip_model : str
    chips : int
        The central estimate.
    servers, gpus_per_server : int or None
    phase : str
    status : str
        One of :data:`LINE_STATUSES`; a ``cancelled`` line never counts.
    online : str
        When the line comes online (actual or expected): ``YYYY``, ``YYYY-MM`` or
        ``YYYY-MM-DD``, a partial date meaning the end of its period
        (:mod:`explorer.core.dates`); ``""`` when unknown: the line then counts in the
        undated total (the planned build-out) only, never at a date.
    chips_low, chips_high : int or None
        The range around ``chips`` (``chips_low <= chips <= chips_high``); None means
        equal to ``chips``.
    """

    chip_model: str
    chips: int
    servers: int | None = None
    gpus_per_server: int | None = None
    phase: str = ""
    status: str = "unknown"
    online: str = ""
    chips_low: int | None = None
    chips_high: int | None = None

    @property
    def low(self) -> int:
        """The low end of the range (``chips`` when no range is given)."""
        return self.chips if self.chips_low is None else self.chips_low

    @property
    def high(self) -> int:
        """The high end of the range (``chips`` when no range is given)."""
        return self.chips if self.chips_high is None else self.chips_high

    @property
    def counts(self) -> bool:
        """False for a cancelled line."""
        return self.status != "cancelled"


@dataclass(frozen=True)
class Source:
    """A citation for a site's figures."""

    title: str
    url: str = ""
    date: str = ""
    quote: str = ""


#: A hardware line's fields and a source's, in order: the one list every format reads and
#: writes a line or a source by (project tables, the shared catalogue, Arrow columns).
LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(HardwareLine))
SOURCE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Source))


@dataclass(frozen=True)
class Site:
    """A planned or existing data centre.

    Location is WGS84 longitude/latitude in degrees. ``chips`` is derived from the
    hardware lines, never stored separately.

    ``part_of`` names the campus this site is a project of (one level deep: a campus is
    not itself a part); campus and parts never count more than the larger of the two,
    per chip model (see :mod:`explorer.geo.capacity`). ``supersedes`` names an earlier
    record this one replaces (a later report): the superseded record is kept for
    history and never counted.
    """

    id: str
    name: str
    lon: float
    lat: float
    operator: str = ""
    tenant: str = ""
    province: str = ""
    prefecture: str = ""
    status: str = "planned"
    hardware: tuple[HardwareLine, ...] = ()
    power_mw: float | None = None
    confidence: str = "low"
    sources: tuple[Source, ...] = ()
    notes: str = ""
    updated_at: str = ""
    part_of: str = ""
    supersedes: str = ""

    @property
    def chips(self) -> int:
        """Total chips over all hardware lines."""
        return sum(h.chips for h in self.hardware)

    def chips_by_model(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.hardware:
            out[h.chip_model] = out.get(h.chip_model, 0) + h.chips
        return out

    @property
    def is_illustrative(self) -> bool:
        return self.confidence == "illustrative"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the GeoJSON ``properties`` plus lon/lat).

        A hardware line's ``status``, ``online``, ``chips_low`` and ``chips_high`` are left
        out while they hold their defaults, so data without them writes as it always did.
        """
        # Field by field, not dataclasses.asdict: that deep-copies every value (all of
        # them immutable here) and was most of the time of a 100,000-site export.
        d = {name: getattr(self, name) for name in SITE_FIELDS}
        d["hardware"] = [line_dict(h) for h in self.hardware]
        d["sources"] = [{name: getattr(s, name) for name in SOURCE_FIELDS} for s in self.sources]
        d["chips"] = self.chips
        return d

    def with_changes(self, **changes: Any) -> Site:
        """A copy with ``changes`` applied and ``updated_at`` set to now (UTC)."""
        changes.setdefault("updated_at", now_iso())
        return replace(self, **changes)


#: A site's fields, in order (what :meth:`Site.to_dict` writes, before its own changes).
SITE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Site))

#: A hardware line's optional fields and the defaults :meth:`Site.to_dict` leaves out.
_LINE_DEFAULTS: dict[str, Any] = {
    "status": "unknown",
    "online": "",
    "chips_low": None,
    "chips_high": None,
}


def line_dict(line: HardwareLine) -> dict[str, Any]:
    """A hardware line as a JSON-ready dict, without optional fields at their defaults."""
    d = {name: getattr(line, name) for name in LINE_FIELDS}
    for key, default in _LINE_DEFAULTS.items():
        if d[key] == default:
            del d[key]
    return d


#: The attributes of a site an edit can change (all but its id and the time stamp), in
#: the order edits are described ("Edit name, lat of ...").
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "operator",
    "tenant",
    "province",
    "prefecture",
    "lon",
    "lat",
    "status",
    "hardware",
    "power_mw",
    "confidence",
    "sources",
    "notes",
    "part_of",
    "supersedes",
)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- parsing


#: A whole number as text: ASCII digits, optionally with a zero fraction ("2000.0", as
#: spreadsheets write counts). No signs, separators, exponents or other scripts' digits.
_WHOLE_TEXT = re.compile(r"^[0-9]+(?:\.0*)?$")
#: A decimal number as text, ASCII only ("87.3", "-1.5e2"); no "1_000", no "١٢".
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_NONZERO_DIGIT = re.compile(r"[1-9]")


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _int_or_problem(value: Any, fld: str, problems: list[Problem], *, optional: bool) -> int | None:
    """Parse a whole number >= 0; record a problem quoting ``value`` otherwise.

    Text must be plain ASCII digits (a zero fraction is allowed); a float must be whole.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if optional:
            return None
        problems.append(Problem(fld, value, f"{_leaf(fld)} is required"))
        return None
    num: int | None = None
    if isinstance(value, bool):
        problems.append(
            Problem(fld, value, f"{_leaf(fld)} must be a whole number >= 0, got {value!r}")
        )
        return None
    if isinstance(value, numbers.Integral):
        num = int(value)
    elif isinstance(value, numbers.Real):
        f = float(value)
        num = int(f) if math.isfinite(f) and f == int(f) else None
    elif isinstance(value, str) and _WHOLE_TEXT.match(value.strip()):
        num = int(value.strip().split(".", 1)[0])
    if num is None or num < 0:
        problems.append(
            Problem(fld, value, f"{_leaf(fld)} must be a whole number >= 0, got '{_shown(value)}'")
        )
        return None
    return num


def _float_or_problem(
    value: Any, fld: str, problems: list[Problem], *, lo: float, hi: float, optional: bool
) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if optional:
            return None
        problems.append(Problem(fld, value, f"{_leaf(fld)} is required"))
        return None
    num: float | None = None
    if isinstance(value, bool):
        num = None
    elif isinstance(value, numbers.Real):
        num = float(value)
    elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        text = value.strip()
        num = float(text)
        mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
        if num == 0.0 and _NONZERO_DIGIT.search(mantissa):
            # "1e-400" is not zero: it is below what a float can hold.
            problems.append(
                Problem(fld, value, f"{_leaf(fld)} is too small to represent, got '{value}'")
            )
            return None
    if num is None:
        problems.append(
            Problem(fld, value, f"{_leaf(fld)} must be a number, got '{_shown(value)}'")
        )
        return None
    if not math.isfinite(num) or num < lo or num > hi:
        problems.append(
            Problem(
                fld,
                value,
                f"{_leaf(fld)} must be between {lo:g} and {hi:g}, got '{_shown(value)}'",
            )
        )
        return None
    return num


#: Characters text fields may not hold: C0 controls but tab, line feed and carriage
#: return, and DEL. (NUL in particular would cut the text when written to a GeoPackage.)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, fld: str, problems: list[Problem], *, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple | set):
        problems.append(
            Problem(fld, value, f"{_leaf(fld)} must be text, got {type(value).__name__}")
        )
        return ""
    if not isinstance(value, str):
        value = str(value)
    bad = _CONTROL.search(value)
    if bad is not None:
        problems.append(
            Problem(
                fld,
                value[:40],
                f"{_leaf(fld)} must not contain control characters, got "
                f"U+{ord(bad.group()):04X} at position {bad.start() + 1}",
            )
        )
        return ""
    if len(value) > limit:
        problems.append(
            Problem(fld, value[:40] + "...", f"{_leaf(fld)} is longer than {limit} characters")
        )
        return value[:limit]
    return value


def _leaf(fld: str) -> str:
    return fld.rsplit(".", 1)[-1].split("[", 1)[0]


def parse_hardware(
    raw: Any, problems: list[Problem], catalogue: ChipCatalogue
) -> tuple[HardwareLine, ...]:
    if raw is None or raw == "":
        return ()
    if not isinstance(raw, list | tuple):
        problems.append(
            Problem("hardware", raw, f"hardware must be a list of lines, got {type(raw).__name__}")
        )
        return ()
    lines = []
    for i, item in enumerate(raw):
        fld = f"hardware[{i}]"
        if isinstance(item, HardwareLine):
            item = asdict(item)
        if not isinstance(item, Mapping):
            problems.append(Problem(fld, item, f"hardware line must be an object, got {item!r}"))
            continue
        model = _text(item.get("chip_model"), f"{fld}.chip_model", problems, limit=64).strip()
        if model not in catalogue:
            problems.append(
                Problem(
                    f"{fld}.chip_model",
                    model,
                    f"unknown chip model '{model}' (known: {', '.join(catalogue.names)})",
                )
            )
        chips = _int_or_problem(item.get("chips"), f"{fld}.chips", problems, optional=False)
        if chips is not None and chips > MAX_CHIPS_PER_LINE:
            problems.append(
                Problem(
                    f"{fld}.chips",
                    chips,
                    f"chips must be at most {MAX_CHIPS_PER_LINE}, got '{chips}'",
                )
            )
            chips = None
        servers = _int_or_problem(item.get("servers"), f"{fld}.servers", problems, optional=True)
        gps = _int_or_problem(
            item.get("gpus_per_server"), f"{fld}.gpus_per_server", problems, optional=True
        )
        phase = _text(item.get("phase"), f"{fld}.phase", problems, limit=64)
        status = _text(item.get("status") or "unknown", f"{fld}.status", problems, limit=40)
        status = status.strip()
        if status not in LINE_STATUSES:
            problems.append(
                Problem(
                    f"{fld}.status",
                    status,
                    f"status must be one of {', '.join(LINE_STATUSES)}; got '{status}'",
                )
            )
        online = _text(item.get("online"), f"{fld}.online", problems, limit=32).strip()
        if online and not is_partial_date(online):
            problems.append(
                Problem(
                    f"{fld}.online",
                    online,
                    f"online must be a date YYYY, YYYY-MM or YYYY-MM-DD, got '{online}'",
                )
            )
        low = _int_or_problem(item.get("chips_low"), f"{fld}.chips_low", problems, optional=True)
        high = _int_or_problem(item.get("chips_high"), f"{fld}.chips_high", problems, optional=True)
        for key, bound in (("chips_low", low), ("chips_high", high)):
            if bound is not None and bound > MAX_CHIPS_PER_LINE:
                problems.append(
                    Problem(
                        f"{fld}.{key}",
                        bound,
                        f"{key} must be at most {MAX_CHIPS_PER_LINE}, got '{bound}'",
                    )
                )
        if chips is not None:
            if low is not None and low > chips:
                problems.append(
                    Problem(
                        f"{fld}.chips_low",
                        low,
                        f"chips_low must not exceed chips ({chips}), got '{low}'",
                    )
                )
            if high is not None and high < chips:
                problems.append(
                    Problem(
                        f"{fld}.chips_high",
                        high,
                        f"chips_high must not be below chips ({chips}), got '{high}'",
                    )
                )
        if chips is not None:
            lines.append(HardwareLine(model, chips, servers, gps, phase, status, online, low, high))
    return tuple(lines)


def parse_sources(raw: Any, problems: list[Problem]) -> tuple[Source, ...]:
    if raw is None or raw == "":
        return ()
    if not isinstance(raw, list | tuple):
        problems.append(
            Problem("sources", raw, f"sources must be a list, got {type(raw).__name__}")
        )
        return ()
    out = []
    for i, item in enumerate(raw):
        fld = f"sources[{i}]"
        if isinstance(item, Source):
            item = asdict(item)
        if not isinstance(item, Mapping):
            problems.append(Problem(fld, item, f"source must be an object, got {item!r}"))
            continue
        title = _text(item.get("title"), f"{fld}.title", problems, limit=500).strip()
        if not title:
            problems.append(
                Problem(f"{fld}.title", item.get("title"), "source title must not be empty")
            )
        url = _text(item.get("url"), f"{fld}.url", problems, limit=2000).strip()
        if url and not re.match(r"^https?://", url):
            problems.append(
                Problem(
                    f"{fld}.url",
                    url,
                    f"source url must start with http:// or https://, got '{url}'",
                )
            )
        date = _text(item.get("date"), f"{fld}.date", problems, limit=32).strip()
        if date and not _DATE_RE.match(date):
            problems.append(
                Problem(
                    f"{fld}.date",
                    date,
                    f"source date must be YYYY, YYYY-MM or YYYY-MM-DD, got '{date}'",
                )
            )
        quote = _text(item.get("quote"), f"{fld}.quote", problems)
        out.append(Source(title, url, date, quote))
    return tuple(out)


def parse_site(
    props: Mapping[str, Any],
    lon: Any,
    lat: Any,
    *,
    where: str = "",
    catalogue: ChipCatalogue,
) -> Site:
    """Build a :class:`Site` from loosely-typed values; raise with *every* problem found.

    Parameters
    ----------
    props : mapping
        Attribute values as found in a file (GeoJSON properties, a CSV row...).
    lon, lat : number or str
        WGS84 degrees.
    where : str
        Label for the record in error messages (e.g. ``"feature 3"``).
    catalogue : ChipCatalogue
        The chip models a hardware line may name.
    """
    problems: list[Problem] = []
    sid = props.get("id")
    sid_s = "" if sid is None else str(sid).strip()
    if not _ID_RE.match(sid_s):
        problems.append(
            Problem(
                "id",
                sid,
                "id must be 1-64 letters, digits or . _ : - (starting with a letter or digit), "
                f"got '{sid_s}'",
            )
        )
    label = where or sid_s
    before = len(problems)
    name = _text(props.get("name"), "name", problems, limit=300).strip()
    if not name and len(problems) == before:
        problems.append(Problem("name", props.get("name"), "name must not be empty"))
    x = _float_or_problem(lon, "lon", problems, lo=-180, hi=180, optional=False)
    y = _float_or_problem(lat, "lat", problems, lo=-90, hi=90, optional=False)
    status = _text(props.get("status") or "unknown", "status", problems, limit=40).strip()
    if status not in STATUSES:
        problems.append(
            Problem(
                "status", status, f"status must be one of {', '.join(STATUSES)}; got '{status}'"
            )
        )
    confidence = _text(props.get("confidence") or "low", "confidence", problems, limit=40).strip()
    if confidence not in CONFIDENCES:
        problems.append(
            Problem(
                "confidence",
                confidence,
                f"confidence must be one of {', '.join(CONFIDENCES)}; got '{confidence}'",
            )
        )
    power = _float_or_problem(
        props.get("power_mw"), "power_mw", problems, lo=0, hi=100_000, optional=True
    )
    hardware = parse_hardware(props.get("hardware"), problems, catalogue)
    sources = parse_sources(props.get("sources"), problems)
    flat = props.get("chips")
    hardware_ok = not any(p.field.startswith("hardware") for p in problems)
    if hardware_ok:
        most = sum(h.high for h in hardware)
        if most > MAX_CHIPS_PER_SITE:
            problems.append(
                Problem(
                    "hardware",
                    most,
                    f"a site holds at most {MAX_CHIPS_PER_SITE:,} chips; its lines add up "
                    f"to {most:,}",
                )
            )
    if flat not in (None, "") and hardware_ok:
        flat_n = _int_or_problem(flat, "chips", problems, optional=True)
        total = sum(h.chips for h in hardware)
        if flat_n is not None and flat_n != total:
            problems.append(
                Problem(
                    "chips",
                    flat,
                    f"chips '{flat}' does not equal the sum of the hardware lines ({total})",
                )
            )
    # Every text field is checked before deciding: a value over its limit is a problem
    # reported with the others, never cut in silence.
    operator = _text(props.get("operator"), "operator", problems, limit=300).strip()
    tenant = _text(props.get("tenant"), "tenant", problems, limit=300).strip()
    province = _text(props.get("province"), "province", problems, limit=100).strip()
    prefecture = _text(props.get("prefecture"), "prefecture", problems, limit=100).strip()
    notes = _text(props.get("notes"), "notes", problems)
    updated_at = _text(props.get("updated_at"), "updated_at", problems, limit=40).strip()
    part_of = _site_ref(props.get("part_of"), "part_of", sid_s, problems)
    supersedes = _site_ref(props.get("supersedes"), "supersedes", sid_s, problems)
    if problems:
        raise ValidationError([replace(p, where=label) for p in problems])
    assert x is not None and y is not None
    return Site(
        id=sid_s,
        name=name,
        lon=x,
        lat=y,
        operator=operator,
        tenant=tenant,
        province=province,
        prefecture=prefecture,
        status=status,
        hardware=hardware,
        power_mw=power,
        confidence=confidence,
        sources=sources,
        notes=notes,
        updated_at=updated_at,
        part_of=part_of,
        supersedes=supersedes,
    )


def _site_ref(value: Any, fld: str, own_id: str, problems: list[Problem]) -> str:
    """A reference to another site's id (``part_of``, ``supersedes``); ``""`` for none."""
    ref = _text(value, fld, problems, limit=64).strip()
    if not ref:
        return ""
    if not _ID_RE.match(ref):
        problems.append(Problem(fld, value, f"{fld} must be a site id, got '{ref}'"))
    elif ref == own_id:
        problems.append(Problem(fld, value, f"a site cannot name itself in {fld} ('{ref}')"))
    return ref


def validate_site(site: Site, catalogue: ChipCatalogue) -> list[Problem]:
    """Problems with an already-built ``Site`` (e.g. one edited in the UI)."""
    try:
        parse_site(site.to_dict(), site.lon, site.lat, catalogue=catalogue)
    except ValidationError as exc:
        return exc.problems
    return []


def check_site(site: Site, catalogue: ChipCatalogue) -> Site:
    """Return ``site`` if valid, else raise :class:`ValidationError`."""
    problems = validate_site(site, catalogue)
    if problems:
        raise ValidationError(problems)
    return site


def duplicate_id_problems(sites: Iterable[Site]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for s in sites:
        if s.id in seen:
            problems.append(Problem("id", s.id, f"duplicate id '{s.id}'", where=s.id))
        seen.add(s.id)
    return problems


__all__ = [
    "CONFIDENCES",
    "EDITABLE_FIELDS",
    "LINE_FIELDS",
    "LINE_STATUSES",
    "SOURCE_FIELDS",
    "STATUSES",
    "HardwareLine",
    "Site",
    "Source",
    "check_site",
    "duplicate_id_problems",
    "field",
    "line_dict",
    "now_iso",
    "parse_site",
    "validate_site",
]
