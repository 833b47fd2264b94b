"""Conflicts, undo after someone else's change, catching up after an outage (Qt-free):
the session's side of the window's team mode, against a real server."""

from __future__ import annotations

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.database.catalogue import DatabaseCatalogue, StaleEdit
from explorer.io.project_value import Project
from explorer.session.refusals import Refusal
from explorer.session.session import Session
from tests.helpers import chip_model

CAT = ChipCatalogue([chip_model("H100", tflops=1000.0, watts=700.0)])
SITES = [
    Site("a", "Alpha", 90.5, 40.5, hardware=(HardwareLine("H100", 100),)),
    Site("b", "Beta", 91.5, 40.5, hardware=(HardwareLine("H100", 50),)),
]
BOX = rectangle("Box", 90, 40, 92, 41)


@pytest.fixture
def url(pg_url: str) -> str:
    db = DatabaseCatalogue(pg_url, catalogue=CAT)
    db.replace_all(Project(sites=SITES, metadata={"title": "Team"}))
    db.close()
    return pg_url


def _session(url: str, refusals: list[Refusal] | None = None) -> Session:
    s = Session(CAT, admin_areas=None)
    s.open(url)
    if refusals is not None:
        s.refusal_handler = refusals.append
    return s


def test_a_refused_edit_goes_to_the_handler_and_waits_for_a_choice(url: str) -> None:
    a = _session(url)
    refusals: list[Refusal] = []
    b = _session(url, refusals)
    a.edit_site(a.sites.get("a"), a.sites.get("a").with_changes(name="A's"))
    before = b.sites.get("a")
    assert not b.edit_site(before, before.with_changes(name="B's"))
    assert b.sites.get("a") == before
    [refusal] = refusals
    assert refusal.conflict is not None and refusal.step == "do" and refusal.can_keep_mine
    assert refusal.conflict.theirs is not None and refusal.conflict.theirs["name"] == "A's"
    assert refusal.conflict.mine is not None and refusal.conflict.mine["name"] == "B's"
    assert b.pending_refusal is refusal
    # Nothing else changes until the analyst chooses.
    notices: list[str] = []
    b.notice.connect(notices.append)
    assert not b.move_site("b", 91.6, 40.5) and not b.undo()
    assert b.sites.get("b") == SITES[1] and "waiting for your choice" in notices[0]
    # Keep mine: written over theirs, as a new change, and undoable.
    assert b.keep_mine() and b.pending_refusal is None
    assert b.sites.get("a").name == "B's"
    assert _session(url).sites.get("a").name == "B's"
    assert b.database is not None
    assert [r.after["name"] for r in b.database.history("a") if r.after] == ["Alpha", "A's", "B's"]
    assert b.undo() and _session(url).sites.get("a").name == "A's"


def test_take_theirs_drops_mine_and_pulls_the_record(url: str) -> None:
    a = _session(url)
    refusals: list[Refusal] = []
    b = _session(url, refusals)
    a.delete_sites(["b"])
    assert b.delete_sites(["b"]) == 0  # refused: nothing deleted here
    assert "b" in b.sites and refusals[0].conflict is not None
    assert refusals[0].conflict.theirs is None  # deleted there
    b.take_theirs()
    assert "b" not in b.sites and b.pending_refusal is None
    assert not b.history.next_undo()  # the refused change was dropped


def test_undo_after_someone_elses_change_is_a_conflict(url: str) -> None:
    refusals: list[Refusal] = []
    a, b = _session(url, refusals), _session(url)
    a.edit_site(a.sites.get("a"), a.sites.get("a").with_changes(name="A's"))
    b.pull(["a"])
    b.edit_site(b.sites.get("a"), b.sites.get("a").with_changes(tenant="B's tenant"))
    a.pull(["a"])  # A now holds B's change too
    assert not a.undo()  # undoing would put back A's old value and erase B's tenant
    [refusal] = refusals
    assert refusal.step == "undo" and refusal.conflict is not None
    assert refusal.conflict.mine is not None and refusal.conflict.mine["name"] == "Alpha"
    assert refusal.conflict.theirs is not None
    assert refusal.conflict.theirs["tenant"] == "B's tenant"
    assert a.sites.get("a").tenant == "B's tenant"
    # Keep mine: the undo is written (forced) as a new change and applied here.
    assert a.keep_mine()
    assert a.sites.get("a").name == "Alpha" and a.sites.get("a").tenant == ""
    assert _session(url).sites.get("a") == a.sites.get("a")
    assert a.redo() and _session(url).sites.get("a").name == "A's"


def test_a_forced_undo_of_an_add_that_someone_deleted(url: str) -> None:
    refusals: list[Refusal] = []
    a, b = _session(url, refusals), _session(url)
    a.add_region(RegionEntry("r1", BOX))
    b.pull([], ["r1"])
    b.delete_regions(["r1"])
    a.pull([], ["r1"])
    assert "r1" not in a.regions
    assert not a.undo() and refusals[0].conflict is not None
    assert a.keep_mine()  # nothing to remove any more; the undo is recorded
    assert "r1" not in a.regions and a.history.next_redo() is not None
    assert a.redo() and "r1" in a.regions and _session(url).regions.ids() == ["r1"]


def test_catch_up_takes_in_what_changed_while_away(url: str) -> None:
    a, b = _session(url), _session(url)
    b.edit_site(b.sites.get("a"), b.sites.get("a").with_changes(name="Changed"))
    b.delete_sites(["b"])
    b.add_region(RegionEntry("r1", BOX))
    assert a.catch_up() == (2, 1)
    assert a.sites.get("a").name == "Changed" and "b" not in a.sites
    assert a.regions.ids() == ["r1"] and a.live_totals.totals("r1").chips == 100
    assert a.catch_up() == (0, 0)
    # The versions are current: A's next edit is not stale.
    assert a.move_site("a", 90.6, 40.5)


def test_a_stale_edit_raises_without_a_handler(url: str) -> None:
    a, b = _session(url), _session(url)
    a.move_site("a", 90.6, 40.5)
    with pytest.raises(StaleEdit):
        b.move_site("a", 90.7, 40.5)
    assert b.pending_refusal is None


def test_history_and_restore_in_the_database(url: str) -> None:
    a = _session(url)
    a.reason = "site visit"
    a.edit_site(a.sites.get("a"), a.sites.get("a").with_changes(name="Renamed"))
    rows = a.site_history("a")
    assert [(r.action, r.reason) for r in rows] == [("insert", ""), ("update", "site visit")]
    assert a.database is not None and rows[1].who == a.database.role
    assert rows[0].after is not None and a.restore_site(rows[0].after)
    assert _session(url).sites.get("a").name == "Alpha"
    assert [r.action for r in a.site_history("a")] == ["insert", "update", "update"]
