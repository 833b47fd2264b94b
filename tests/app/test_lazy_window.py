"""The window on 100,000 sites builds a site only for the rows it shows (issue 10).

The file's rows stay columns in the store; the table shows a screenful of them, the map
draws every marker from the columns, and selecting a site builds it (and the rows the
table scrolls into view), nothing else. What is built is counted by recording every
``SiteColumns.site`` (one row) and ``SiteColumns.iter_sites`` (every row) call.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from explorer.io.formats import write_sites
from explorer.io.site_columns import SiteColumns
from tests.helpers import SiteBuilds
from tests.web.synthetic import synthetic_sites

N = 100_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lazy") / "big.geojson"
    write_sites(path, synthetic_sites(N, seed=5))
    return path


def _shown_ids(window) -> set[str]:  # noqa: ANN001
    """Ids of the table rows on screen."""
    view = window.table.view
    top = view.rowAt(0)
    bottom = view.rowAt(view.viewport().height() - 1)
    bottom = window.table.proxy.rowCount() - 1 if bottom < 0 else bottom
    return {window.table.proxy.site_id_at(r) for r in range(top, bottom + 1)}


def test_the_window_builds_only_the_sites_it_shows(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds = SiteBuilds(monkeypatch)
    built_ids, passes = builds.ids, builds.passes

    window = make_window(big_file)
    store = window.store
    assert len(store) == N
    assert window.table.model.rowCount() == N
    assert window.table.footer.text().startswith(f"{N:,} of {N:,} sites")
    table_rows = store.rows_as_loaded()
    assert isinstance(table_rows, SiteColumns)
    related = set(table_rows.ids[table_rows.related_rows()].tolist())
    assert N not in passes  # nothing built every site
    shown = _shown_ids(window)
    assert 5 <= len(shown) < 200
    built = set(built_ids)
    # What the ledger needs (the campus and supersession sites) and the rows on screen.
    assert built <= related | shown
    assert store.built_count() <= len(shown)

    # Selecting a site far down the table: the panel shows it, the table scrolls to it.
    sid = "syn-077777"
    before = len(built_ids)
    window.session.selection.set(sid)
    qtbot.waitUntil(
        lambda: window.panel.field_widget("name").text() == store.get(sid).name, timeout=10_000
    )
    shown_now = _shown_ids(window)
    assert sid in shown_now
    newly = set(built_ids[before:])
    assert sid in newly
    assert newly <= shown_now | related
    assert N not in passes
    assert store.built_count() <= len(shown) + len(shown_now)


def test_export_counts_without_building_and_builds_on_its_worker(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # File -> Export at 100,000 sites: the dialog counts the sites without building
    # one, and the export builds them all once, on its writing thread, not the window's.
    import threading

    from PySide6.QtCore import Qt

    window = make_window(big_file)
    passes: list[tuple[int, bool]] = []
    iter_sites = SiteColumns.iter_sites

    def counted(columns: SiteColumns) -> Any:
        passes.append((len(columns), threading.current_thread() is threading.main_thread()))
        return iter_sites(columns)

    monkeypatch.setattr(SiteColumns, "iter_sites", counted)
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    assert dialog.sites_all.text() == f"All sites ({N:,})"
    dialog.set_kind("sites")
    dialog.set_output_path(tmp_path / "all.geojson")
    assert passes == []
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    # One pass over the rows not built yet (the rows on screen were built already).
    assert len(passes) == 1 and passes[0][0] > N - 200 and passes[0][1] is False
    assert (tmp_path / "all.geojson").read_text(encoding="utf-8").count("\n") > N


def test_the_views_share_one_index_of_the_files_rows_until_it_changes(
    qtbot,  # noqa: ANN001
    make_window,  # noqa: ANN001
    big_file: Path,
) -> None:
    window = make_window(big_file)
    rows = window.store.rows_as_loaded()
    assert isinstance(rows, SiteColumns)
    index = rows.row_index()
    live = window.session.live_totals
    # Built once for the file (at a million rows each copy of it took 0.35-0.4 s to
    # build): the site table and the live totals read it, the store holds its own copy.
    assert window.table.model._rows is index
    assert live._row is index
    assert window.store._items is not index and list(window.store._items) == list(index)
    sid = rows.ids[7]
    site = window.store.get(sid)  # built now, and held by the store only
    assert index[sid] == 7
    # An edit goes through the store's own entry; the shared index is untouched.
    assert window.session.edit_site(site, replace(site, name="Renamed"))
    assert window.store.get(sid).name == "Renamed" and site.name != "Renamed"
    assert index[sid] == 7
    # Once the rows change (a site added), each view indexes the store's rows itself.
    new = window.session.place_site(88.0, 43.0)
    assert window.store.ids()[-1] == new.id
    assert window.table.model._rows is not index and live._row is not index
    assert window.table.model._rows[new.id] == N and live._row[new.id] == N
    assert len(index) == N and new.id not in index
