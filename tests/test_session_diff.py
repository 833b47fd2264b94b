"""diff_projects: sites added, removed and changed field by field, and each region's
totals before and after, on hand-built catalogues whose answers are known."""

from __future__ import annotations

from datetime import date

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site, Source
from explorer.geo.regions import rectangle
from explorer.io.project_value import Project
from explorer.session.diff import diff_projects
from tests.helpers import chip_model

CAT = ChipCatalogue(
    [
        chip_model("H100", tflops=1000.0, watts=700.0),
        chip_model("Ascend 910C", restricted=False, tflops=800.0, watts=600.0),
    ]
)
WEST = rectangle("West", 90, 40, 92, 41)
EAST = rectangle("East", 92, 40, 94, 41)
TODAY = date(2026, 1, 1)


def _site(sid: str, lon: float, chips: int, model: str = "H100", **kw: object) -> Site:
    return Site(sid, sid.title(), lon, 40.5, hardware=(HardwareLine(model, chips),), **kw)  # type: ignore[arg-type]


def test_added_removed_and_changed_sites_field_by_field() -> None:
    a = Project(sites=[_site("a", 90.5, 100), _site("b", 91.5, 50), _site("c", 93.0, 10)])
    b = Project(
        sites=[
            _site("a", 90.5, 100),  # the same
            _site("b", 92.5, 80, tenant="X", sources=(Source("Tender", "", "2025-06"),)),
            _site("d", 93.5, 7, model="Ascend 910C"),
        ]
    )
    diff = diff_projects(a, b, [WEST, EAST], CAT, today=TODAY)
    assert [s.id for s in diff.added] == ["d"]
    assert [s.id for s in diff.removed] == ["c"]
    assert [c.id for c in diff.changed] == ["b"]
    fields = {f.field: (f.before, f.after) for f in diff.changed[0].fields}
    assert set(fields) == {"lon", "tenant", "hardware", "sources", "chips"}
    assert fields["lon"] == (91.5, 92.5)
    assert fields["tenant"] == ("", "X")
    assert fields["chips"] == (50, 80)
    line = {"chip_model": "H100", "servers": None, "gpus_per_server": None, "phase": ""}
    assert fields["hardware"] == ([{**line, "chips": 50}], [{**line, "chips": 80}])
    assert fields["sources"][0] == []
    assert not diff.same_sites


def test_each_regions_totals_before_and_after() -> None:
    a = Project(sites=[_site("a", 90.5, 100), _site("b", 91.5, 50), _site("c", 93.0, 10)])
    b = Project(
        sites=[_site("a", 90.5, 100), _site("b", 92.5, 80), _site("d", 93.5, 7, "Ascend 910C")]
    )
    diff = diff_projects(a, b, [WEST, EAST], CAT, today=TODAY)
    by_name = {r.name: r for r in diff.regions}
    assert [r.name for r in diff.regions] == ["all", "West", "East"]
    # all: 160 -> 187 chips; restricted 160 -> 180 (the Ascend is not restricted).
    assert (by_name["all"].before.chips, by_name["all"].after.chips) == (160, 187)
    assert by_name["all"].chips == 27 and by_name["all"].restricted_chips == 20
    # West lost b (moved east): 150 -> 100; East: c (10) -> b + d (87).
    assert (by_name["West"].chips, by_name["West"].site_count) == (-50, -1)
    assert (by_name["East"].before.chips, by_name["East"].after.chips) == (10, 87)
    assert by_name["East"].h100e == (80 + 7 * 0.8) - 10


def test_the_same_catalogue_has_no_differences() -> None:
    a = Project(sites=[_site("a", 90.5, 100)])
    diff = diff_projects(a, Project(sites=[_site("a", 90.5, 100)]), [WEST], CAT, today=TODAY)
    assert diff.same_sites and all(r.chips == 0 for r in diff.regions)
