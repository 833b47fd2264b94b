"""The shared list of sites the part-of and supersedes pickers choose from
(:class:`~explorer.ui.site_picker.SiteNamesModel`): its order and how a row's text maps
back to its site."""

from __future__ import annotations

import random

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import Site
from explorer.core.store import SiteStore
from explorer.ui.site_picker import NONE_TEXT, SiteNamesModel, site_choice_text
from explorer.ui.text_order import FAST_FROM

CAT = ChipCatalogue.bundled()

TRICKY_NAMES = [
    "Hami",
    "hami",
    "HAMI",
    "Ürümqi",
    "urumqi",
    "Straße",
    "STRASSE",
    "",
    "Hami\x00",
    "Hami\x00\x00",
    "a (b)",
    "a (b) (c)",
    "ﬁ block",
    "Fi block",
    "\ud800 lone",
    "Zhongwei 中卫",
]


def _sites(rng: random.Random) -> list[Site]:
    out = []
    for i in range(400):
        name = rng.choice(TRICKY_NAMES) + rng.choice(["", "", " 2", "\x00"])
        sid = rng.choice(["s", "S", "s\x00", "x (1)", "é"]) + str(rng.randrange(60))
        out.append(Site(f"{sid}-{i}", name, 90.0, 40.0))
    return out


def test_sites_are_listed_as_python_sorts_them(qapp: object) -> None:
    rng = random.Random(7)
    for _ in range(5):
        sites = _sites(rng)
        model = SiteNamesModel(SiteStore(sites, catalogue=CAT))
        want = sorted(sites, key=lambda s: (s.name.casefold(), s.id, s.name))
        assert model.ids == ["", *(s.id for s in want)]
        assert model.text(0) == NONE_TEXT
        assert [model.row_of[s.id] for s in want] == list(range(1, len(want) + 1))


def test_many_sites_are_listed_as_python_sorts_them(qapp: object) -> None:
    # From FAST_FROM sites the list is ordered by Arrow: the same order, trailing NULs,
    # "ß" and ligatures included.
    rng = random.Random(11)
    names = [n for n in TRICKY_NAMES if "\ud800" not in n]
    prefixes = ["s", "S", "é", "s\x00"]
    sites = [
        Site(rng.choice(prefixes) + str(i), rng.choice(names), 90.0, 40.0)
        for i in range(FAST_FROM + 100)
    ]
    model = SiteNamesModel(SiteStore(sites, catalogue=CAT))
    want = sorted(sites, key=lambda s: (s.name.casefold(), s.id))
    assert model.ids == ["", *(s.id for s in want)]


def test_each_rows_text_leads_back_to_its_site(qapp: object) -> None:
    sites = [
        Site("a", "a (b)", 90.0, 40.0),
        Site("b", "a", 90.0, 40.0),
        Site("x (1)", "Hami", 90.0, 40.0),
        Site("c", "Hami (x (1))", 90.0, 40.0),
    ]
    model = SiteNamesModel(SiteStore(sites, catalogue=CAT))
    for row, sid in enumerate(model.ids):
        assert model.id_of_text(model.text(row)) == sid
    assert model.id_of_text(site_choice_text("a", "b")) == "b"
    assert model.id_of_text("a (b) (a)") == "a"
    assert model.id_of_text("Hami (x (1))") == "x (1)"
    assert model.id_of_text("Hami (nobody)") is None
    assert model.id_of_text("a (b") is None
    assert model.id_of_text(NONE_TEXT) == ""


def test_a_row_asked_for_before_the_next_rebuild_shows_what_the_store_now_holds(
    qapp: object,
) -> None:
    from dataclasses import replace

    from explorer.core.commands import DeleteSites, EditSite

    store = SiteStore(
        [Site("a", "Alpha", 90.0, 40.0), Site("b", "Beta", 90.0, 40.0)], catalogue=CAT
    )
    model = SiteNamesModel(store)
    assert [model.text(r) for r in range(3)] == [NONE_TEXT, "Alpha (a)", "Beta (b)"]
    # Changes reach the list on the next turn of the event loop; a view may ask first.
    EditSite(store, store.get("a"), replace(store.get("a"), name="Aleph")).do()
    DeleteSites(store, ["b"]).do()
    assert [model.text(r) for r in range(3)] == [NONE_TEXT, "Aleph (a)", " (b)"]
    assert model.id_of_text("Aleph (a)") == "a"
    assert model.id_of_text("Beta (b)") is None
    model.rebuild()
    assert [model.text(r) for r in range(len(model.ids))] == [NONE_TEXT, "Aleph (a)"]
