"""The offline HTML file and the print snapshot with more sites than the grouping
threshold: both show the same groups the app's map shows, with the same sums."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.core.chips import ChipCatalogue
from explorer.geo.totals import SiteArrays
from explorer.web import palette
from explorer.web.html_export import export_html
from explorer.web.legend import LegendRow
from explorer.web.protocol import AGGREGATE_MIN_SITES
from explorer.web.snapshot import SnapshotSpec, run_snapshot
from tests.web.synthetic import synthetic_sites
from tests.web.test_html_export import OfflineViewer, open_offline

pytestmark = pytest.mark.gui

N = 5000


@pytest.fixture(scope="module")
def sites() -> list[Any]:
    return synthetic_sites(N, seed=7)


@pytest.fixture(scope="module")
def catalogue() -> ChipCatalogue:
    return ChipCatalogue.bundled()


def counted_chips(sites: list[Any], catalogue: ChipCatalogue) -> dict[str, int]:
    """Each site's chips in the planned build-out, from geo.totals' own snapshot."""
    arrays = SiteArrays.from_sites(sites, catalogue)
    return dict(
        zip(arrays.ids.tolist(), np.asarray(arrays.chips).sum(axis=1).tolist(), strict=True)
    )


@pytest.fixture
def exported(
    qtbot: Any, tmp_path: Path, sites: list[Any], catalogue: ChipCatalogue, basemap_dir: Path
) -> Iterator[OfflineViewer]:
    path = export_html(
        tmp_path / "many.html", sites=sites, catalogue=catalogue, basemap_dir=basemap_dir
    )
    viewer = open_offline(qtbot, path)
    yield viewer
    viewer.close()


def test_the_exported_file_groups_sites_like_the_app(
    qtbot: Any, exported: OfflineViewer, sites: list[Any], catalogue: ChipCatalogue
) -> None:
    assert N >= AGGREGATE_MIN_SITES
    assert exported.page.js_errors == []
    assert exported.interceptor.external_requests == []
    state = exported.js(qtbot, "CSE.pageState()")
    assert state["sites"] == N and state["aggregating"] is True and state["drawn_groups"] > 0
    chips = counted_chips(sites, catalogue)
    groups = exported.js(qtbot, "CSE.groupsState(true)")
    seen: set[str] = set()
    for g in groups:
        assert seen.isdisjoint(g["ids"])
        seen.update(g["ids"])
        assert g["chips"] == sum(chips[i] for i in g["ids"])
    assert len(seen) > N // 2
    legend = exported.js(qtbot, "document.querySelector('.cse-legend').textContent")
    assert palette.LABEL_AGGREGATE in legend


def test_a_snapshot_of_many_sites_draws_groups_and_says_so(
    qapp: Any, sites: list[Any], catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    spec = SnapshotSpec(width_px=1200, height_px=800, dpi=96, title="Many sites")
    result = run_snapshot(spec, sites=sites, catalogue=catalogue, basemap_dir=basemap_dir)
    assert result.image.width() == 1200 and result.image.height() == 800
    assert LegendRow(palette.AGGREGATE_FILL, palette.LABEL_AGGREGATE, ring=palette.RESTRICTED) in (
        result.legend_rows
    )
    # The map part of the image shows the groups' rings: restricted red is there.
    image = result.image
    red = 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - 0xC6) < 20
                and abs(c.green() - 0x28) < 20
                and abs(c.blue() - 0x28) < 20
            ):
                red += 1
    assert red > 50
