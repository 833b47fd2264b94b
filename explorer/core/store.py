"""The evented site store: the single source of truth the views observe."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import Problem, ValidationError
from explorer.core.keyed_store import KeyedStore, Rows
from explorer.core.schema import Site, check_site, parse_site


class SiteStore(KeyedStore[Site]):
    """Ordered collection of :class:`Site` keyed by id, validated against its catalogue.

    This is the one validation door for edits. A site that enters by :meth:`insert` or
    :meth:`replace` is checked here, against :attr:`catalogue`, unless it is a value this
    store produced itself with :meth:`parse` (the site panel turns the form into a site
    that way, so an edit is parsed and validated exactly once). Commands and views do not
    validate. Sites given to the constructor or :meth:`reset` come from a reader that has
    already parsed them against the same catalogue.

    A file read into columns is held as those rows (:meth:`reset` with
    :class:`~explorer.core.keyed_store.Rows`): a :class:`Site` is built for the rows
    someone asks for, and views rebuild from :meth:`rows_as_loaded` while it is given.

    Parameters
    ----------
    sites : iterable of Site
    catalogue : ChipCatalogue
        The chip models a hardware line may name.

    Events
    ------
    inserted(list[Site]), removed(list[Site]), changed(Site, Site) ``(old, new)``,
    reset_done(): see :class:`~explorer.core.keyed_store.KeyedStore`.
    """

    _noun = "site"

    def __init__(self, sites: Iterable[Site] = (), *, catalogue: ChipCatalogue) -> None:
        super().__init__()
        if not isinstance(catalogue, ChipCatalogue):
            raise TypeError(f"catalogue must be a ChipCatalogue, got {type(catalogue).__name__}")
        self.catalogue = catalogue
        self.metadata: dict[str, Any] = {}
        # Values parse() produced: valid against this catalogue by construction. Weak, so
        # a form value nobody stored is not kept alive; equal values are equally valid.
        self._vetted: weakref.WeakSet[Site] = weakref.WeakSet()
        self._reset_items(sites)

    def parse(self, props: Mapping[str, Any], lon: Any, lat: Any, *, where: str = "") -> Site:
        """Build a site from loosely-typed values (form text, a file row) against this
        store's catalogue; raise :class:`ValidationError` listing every problem.

        The result may be inserted or stored by a command without being checked again.
        """
        site = parse_site(props, lon, lat, where=where, catalogue=self.catalogue)
        self._vetted.add(site)
        return site

    def _check(self, item: Site) -> None:
        if item not in self._vetted:
            check_site(item, self.catalogue)

    def _duplicate(self, key: str) -> Exception:
        return ValidationError(Problem("id", key, f"duplicate id '{key}'", where=key))

    def sites(self) -> list[Site]:
        """Every site, in order (building those not built yet)."""
        return list(self)

    def new_id(self, prefix: str = "site") -> str:
        """An id not yet used, ``prefix-N`` with the smallest free N."""
        prefix = re.sub(r"[^A-Za-z0-9._:-]", "-", prefix).strip("-") or "site"
        n = 1
        while f"{prefix}-{n}" in self._items:
            n += 1
        return f"{prefix}-{n}"

    def reset(
        self, sites: Iterable[Site] | Rows[Site], metadata: dict[str, Any] | None = None
    ) -> None:
        """Replace everything (duplicate ids are refused before anything changes).

        ``sites`` may be rows of a table (:class:`~explorer.core.keyed_store.Rows`):
        none is built now.
        """
        if isinstance(sites, Rows):
            self._reset_rows(sites)
        else:
            self._reset_items(sites)
        self.metadata = dict(metadata or {})
        self.reset_done.emit()
