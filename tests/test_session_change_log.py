"""A session on a file keeps its own changes as history rows (who, when, which fields,
before and after, reason), undo included as a new change; a recorded version can be
restored as a new change."""

from __future__ import annotations

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import ValidationError
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.io.changelog import os_user
from explorer.io.project_value import Project
from explorer.session.session import Session
from tests.helpers import chip_model

CAT = ChipCatalogue([chip_model("H100", tflops=1000.0, watts=700.0)])


@pytest.fixture
def session() -> Session:
    s = Session(CAT, admin_areas=None)
    s.load(
        Project(sites=[Site("a", "Alpha", 90.5, 40.5, hardware=(HardwareLine("H100", 100),))]),
        path=None,
        display_name="test",
    )
    return s


def test_each_change_is_recorded_with_its_fields_and_reason(session: Session) -> None:
    session.reason = "tender of 2025-06"
    alpha = session.sites.get("a")
    session.edit_site(alpha, alpha.with_changes(name="Alpha II", tenant="X"))
    session.reason = ""
    session.move_site("a", 91.0, 40.0)
    rows = session.site_history("a")
    assert [(r.action, r.reason) for r in rows] == [
        ("update", "tender of 2025-06"),
        ("update", ""),
    ]
    assert rows[0].fields == ("name", "tenant", "updated_at")  # it had no time stamp
    # (the move's time stamp changes too unless it falls in the same second)
    assert rows[1].fields[:2] == ("lon", "lat")
    first = rows[0]
    assert first.who == os_user() and first.at.endswith("Z")
    assert first.before is not None and first.after is not None
    assert (first.before["name"], first.after["name"]) == ("Alpha", "Alpha II")
    assert rows[1].after is not None and rows[1].after["lon"] == 91.0


def test_undo_is_a_new_change_and_regions_are_recorded_too(session: Session) -> None:
    session.delete_sites(["a"])
    session.undo()
    session.add_region(RegionEntry("r1", rectangle("Box", 90, 40, 92, 41)))
    assert [r.action for r in session.site_history("a")] == ["delete", "insert"]
    assert [(r.entity, r.entity_id, r.action) for r in session.change_log][-1] == (
        "region",
        "r1",
        "insert",
    )
    # Another project: its own history starts empty.
    session.new_project()
    assert session.change_log == []


def test_restore_a_recorded_version_as_a_new_change(session: Session) -> None:
    alpha = session.sites.get("a")
    session.edit_site(alpha, alpha.with_changes(hardware=(HardwareLine("H100", 300),)))
    first = session.site_history("a")[0]
    assert first.before is not None
    assert session.restore_site(first.before)  # back to 100 chips
    assert session.sites.get("a").chips == 100
    assert session.sites.get("a").updated_at != first.before["updated_at"]  # stamped now
    assert len(session.site_history("a")) == 2
    assert not session.restore_site(session.site_history("a")[-1].after or {})  # no change
    bad = dict(first.before, hardware=[{"chip_model": "Nope", "chips": 1}], chips=1)
    with pytest.raises(ValidationError, match="Nope"):
        session.restore_site(bad)
