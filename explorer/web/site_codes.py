"""What the map page's site columns code: marker states and flag bits (names only,
importable without numpy; see :mod:`explorer.web.site_columns`)."""

from collections.abc import Mapping

#: What a marker stands for on the date, in the page's ``state`` column.
#: counted: it counts chips; pending: nothing online by the date, chips planned;
#: none: no chips recorded (or all cancelled); superseded: replaced by a later record,
#: never counted; covered: a campus whose parts record everything it holds.
SITE_STATES: tuple[str, ...] = ("counted", "pending", "none", "superseded", "covered")
#: Bits of the ``flags`` column.
SITE_FLAGS: Mapping[str, int] = {"ILLUSTRATIVE": 1, "CAMPUS": 2, "PART": 4}

__all__ = ["SITE_FLAGS", "SITE_STATES"]
