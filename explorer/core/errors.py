"""Validation errors that name the field and quote the bad value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a site record.

    Attributes
    ----------
    field : str
        Dotted path of the offending field, e.g. ``hardware[0].chips``.
    value : object
        The value as given.
    message : str
        Human-readable reason, quoting the value.
    where : str
        Which record: a site id, or ``feature 3`` when the id itself is bad.
    """

    field: str
    value: object
    message: str
    where: str = ""

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.field}: {self.message}"


class ValidationError(ValueError):
    """Raised when a site (or a set of sites) is invalid.

    ``problems`` lists every problem found, not just the first.
    """

    def __init__(self, problems: list[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class DataFileError(ValueError):
    """A file could not be read as the expected format; message is one clear line."""
