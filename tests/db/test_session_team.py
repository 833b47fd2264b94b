"""Two sessions on one shared catalogue (Qt-free): edits write through, undo is a new
change, a stale edit is refused and changes nothing locally, other clients' changes
arrive through a listener within about a second, a read-only role cannot edit."""

from __future__ import annotations

import queue
from urllib.parse import urlsplit

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.history import UndoHistory
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.database.catalogue import DatabaseCatalogue, ReadOnly, StaleEdit
from explorer.io.database.listener import Listener, Notice
from explorer.io.project_value import Project
from explorer.session.session import Session
from tests.helpers import chip_model
from tests.pg_server import PgServer

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


def _session(url: str) -> Session:
    s = Session(CAT, admin_areas=None)
    s.open(url)
    return s


def test_edits_write_through_and_undo_is_a_new_change(url: str) -> None:
    a = _session(url)
    assert a.database is not None and a.display_name.startswith("postgresql://")
    a.reason = "corrected from the tender"
    assert a.move_site("a", 90.7, 40.6)
    a.add_region(RegionEntry("r1", BOX))
    fresh = _session(url)
    assert fresh.sites.get("a").lon == 90.7 and fresh.regions.ids() == ["r1"]
    assert fresh.live_totals.totals("r1").chips == 150
    assert a.undo()  # the region goes: a new change in the database
    assert a.undo()  # the move goes back: another new change
    again = _session(url)
    assert again.sites.get("a").lon == 90.5 and again.regions.ids() == []
    assert a.database is not None
    actions = [(r.action, r.reason) for r in a.database.history("a")]
    assert actions == [
        ("insert", ""),
        ("update", "corrected from the tender"),
        ("update", "corrected from the tender"),
    ]
    assert a.redo() and _session(url).sites.get("a").lon == 90.7


def test_a_stale_edit_is_refused_and_changes_nothing_here(url: str) -> None:
    a, b = _session(url), _session(url)
    a.edit_site(a.sites.get("b"), a.sites.get("b").with_changes(name="A's name"))
    before = b.sites.get("b")
    with pytest.raises(StaleEdit) as info:
        b.edit_site(before, before.with_changes(name="B's name"))
    assert b.sites.get("b") == before
    assert isinstance(b.history, UndoHistory) and not b.history.can_undo
    assert info.value.theirs is not None and info.value.theirs["name"] == "A's name"
    # Take theirs: pull the record; the next edit is on the current version.
    b.pull(["b"])
    assert b.sites.get("b").name == "A's name"
    b.edit_site(b.sites.get("b"), b.sites.get("b").with_changes(tenant="B"))
    assert _session(url).sites.get("b").tenant == "B"


def test_other_clients_changes_arrive_within_a_second(url: str) -> None:
    a, b = _session(url), _session(url)
    assert b.database is not None
    heard: queue.Queue[Notice] = queue.Queue()
    listener = Listener(url, b.database.backend_pid, heard.put)
    listener.start()
    try:
        a.edit_site(a.sites.get("a"), a.sites.get("a").with_changes(name="Seen by B"))
        notice = heard.get(timeout=1.0)  # "within about a second"
        assert notice.sites == ("a",)
        b.pull(notice.sites, notice.regions)
        assert b.sites.get("a").name == "Seen by B"
        # B's own change is not echoed back to B: the next notice B hears is A's later
        # one (notices arrive in commit order, so an echo of B's would come first).
        b.delete_sites(["b"])
        a.edit_site(a.sites.get("a"), a.sites.get("a").with_changes(name="Seen again"))
        notice = heard.get(timeout=10.0)
        assert notice.sites == ("a",)
        assert heard.empty()
    finally:
        listener.stop()


def test_a_read_only_role_cannot_edit(pg_server: PgServer, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    pg_server.psql("create role viewer login", database=name)
    pg_server.psql("grant select on all tables in schema public to viewer", database=name)
    viewer = _session(pg_server.url(name, user="viewer"))
    assert viewer.read_only
    with pytest.raises(ReadOnly):
        viewer.move_site("a", 91.0, 40.0)
    assert viewer.sites.get("a").lon == 90.5
    # A read-only analyst still draws regions and totals them; they stay local.
    viewer.add_region(RegionEntry("r9", BOX))
    assert viewer.live_totals.totals("r9").chips == 150
    assert _session(url).regions.ids() == []
    assert viewer.sites.get("a") == SITES[0]
