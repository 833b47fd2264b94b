"""The map on a date (issue 9): markers show what each site counts then, on the real page.

A hand-built data set whose answers are worked out by hand: a site whose lines come
online in phases (one cancelled), an "H20" that needs a licence only from 2025-04-09,
a campus of two parts, and a record superseded by a later one. The session's date is
changed as the window's date control does (``session.set_as_of``); what the page drew
is read back from its canvas, its tooltips (hovered with the real mouse) and legend.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.rules import ExportRule, ExportRules
from explorer.core.schema import HardwareLine, Site
from explorer.web import palette
from explorer.web.legend import site_legend
from explorer.web.site_columns import column_values
from tests.helpers import chip_model
from tests.web.conftest import MapEnv, call_js, make_session, open_map, wait_rendered
from tests.web.driver import MapDriver, page_legend, rgb_hex

pytestmark = pytest.mark.gui

BEFORE = date(2025, 3, 31)  # nothing of "phased" online; H20 needs no licence yet
MIDDLE = date(2025, 6, 30)  # phase one online ("2025-06" = end of June); H20 restricted
LATER = date(2027, 1, 1)  # both phases online


def dated_catalogue() -> ChipCatalogue:
    """H100 always restricted; "H20" from 2025-04-09 (its real date); Ascend 910B never."""
    rules = ExportRules(
        [
            ExportRule("H20", date(2023, 10, 23), "no licence required"),
            ExportRule("H20", date(2025, 4, 9), "licence required"),
        ]
    )
    return ChipCatalogue(
        [chip_model("H100"), chip_model("H20"), chip_model("Ascend 910B", restricted=False)],
        rules,
    )


def dated_sites() -> list[Site]:
    hw = HardwareLine
    return [
        Site(
            id="phased",
            name="Phased centre",
            lon=84.0,
            lat=41.0,
            hardware=(
                hw("H100", 2000, online="2025-06", status="operational"),
                hw(
                    "H100",
                    3000,
                    online="2026-12",
                    status="under construction",
                    chips_low=2000,
                    chips_high=4000,
                ),
                hw("H100", 500, online="2024", status="cancelled"),
            ),
        ),
        Site(
            id="h20",
            name="H20 hall",
            lon=80.0,
            lat=39.0,
            hardware=(hw("H20", 800, online="2024-06"),),
        ),
        Site(
            id="yiwu",
            name="Yiwu campus",
            lon=94.7,
            lat=43.3,
            hardware=(hw("H100", 10000, online="2025-01"),),
        ),
        Site(
            id="yiwu-a",
            name="Yiwu block A",
            lon=93.0,
            lat=44.6,
            hardware=(hw("H100", 4000, online="2025-01"),),
            part_of="yiwu",
        ),
        Site(
            id="yiwu-b",
            name="Yiwu block B",
            lon=96.4,
            lat=42.0,
            hardware=(hw("H100", 6000, online="2026-01"),),
            part_of="yiwu",
        ),
        Site(id="old", name="Old report", lon=88.0, lat=38.0, hardware=(hw("H100", 900),)),
        Site(
            id="new",
            name="New report",
            lon=89.6,
            lat=38.0,
            hardware=(hw("H100", 1200, online="2025-01"),),
            supersedes="old",
        ),
    ]


@pytest.fixture(scope="module")
def env(qapp: Any, basemap_dir: Path) -> Iterator[MapEnv]:
    session = make_session(dated_catalogue(), dated_sites())
    env = open_map(None, session, basemap_dir)
    yield env
    from PySide6.QtCore import QCoreApplication, QEvent

    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def m(env: MapEnv, qtbot: Any) -> Iterator[MapEnv]:
    """The shared map, back to no date, "export" colours, nothing selected."""
    yield env
    env.session.set_as_of(None)
    env.session.set_color_mode("export")
    env.selection.clear()
    call_js(qtbot, env.view.evaluate, "CSE.map.setView([41.0, 88.0], 5, {animate: false}) && true")
    wait_rendered(qtbot, env.controller)


def marker(qtbot: Any, env: MapEnv, sid: str) -> dict[str, Any]:
    state = call_js(qtbot, MapDriver(env.view).marker_state, sid)
    assert state is not None, sid
    return state


def close_to(css: str | None, hex_colour: str, tolerance: int = 4) -> bool:
    assert css is not None, "nothing painted there"
    got = rgb_hex(css)
    return all(
        abs(int(got[k : k + 2], 16) - int(hex_colour[k : k + 2], 16)) <= tolerance
        for k in (1, 3, 5)
    )


def on_date(qtbot: Any, env: MapEnv, day: date | None) -> list[tuple[str, dict[str, Any]]]:
    """Set the session's date and wait for the page; returns the site messages sent."""
    sent: list[tuple[str, dict[str, Any]]] = []
    bridge = env.view.bridge
    hooks = {
        name: (lambda text, _n=name: sent.append((_n, json.loads(text)["data"])))
        for name in ("sitesReset", "siteUpserted", "sitesCounted")
    }
    for name, hook in hooks.items():
        getattr(bridge, name).connect(hook)
    try:
        env.session.set_as_of(day)
        wait_rendered(qtbot, env.controller)
    finally:
        for name, hook in hooks.items():
            getattr(bridge, name).disconnect(hook)
    return sent


def test_a_new_date_is_one_message_and_markers_follow_it(qtbot: Any, m: MapEnv) -> None:
    sent = on_date(qtbot, m, BEFORE)
    assert [name for name, _ in sent] == ["sitesCounted"]
    assert sent[0][1]["as_of"] == "2025-03-31"
    assert call_js(qtbot, MapDriver(m.view).page_state)["as_of"] == "2025-03-31"
    before = marker(qtbot, m, "phased")
    # Nothing online by 31 March: a hollow ring of the planned size (cancelled left out).
    assert (before["state"], before["chips"], before["planned"]) == ("pending", 0, 5000)
    assert before["hollow"] is True and before["color"] is None
    assert before["outline"] == palette.PENDING_OUTLINE
    assert before["painted_fill"] is None  # the centre of a ring is clear
    assert before["tooltip_text"].split("\n")[1] == "Nothing online by 2025-03-31 (5,000 planned)"

    on_date(qtbot, m, MIDDLE)
    middle = marker(qtbot, m, "phased")
    assert (middle["state"], middle["chips"], middle["restricted_chips"]) == ("counted", 2000, 2000)
    assert middle["color"] == palette.RESTRICTED
    assert close_to(middle["painted_fill"], palette.RESTRICTED)
    assert middle["radius"] < before["radius"]  # 2,000 counted < 5,000 planned

    on_date(qtbot, m, LATER)
    later = marker(qtbot, m, "phased")
    assert later["chips"] == 5000 and later["radius"] == pytest.approx(before["radius"])

    on_date(qtbot, m, None)
    assert marker(qtbot, m, "phased")["chips"] == 5000  # undated: every line not cancelled
    assert call_js(qtbot, MapDriver(m.view).page_state)["as_of"] is None


def test_lines_not_online_are_greyed_in_the_tooltip(qtbot: Any, m: MapEnv) -> None:
    on_date(qtbot, m, MIDDLE)
    assert call_js(qtbot, MapDriver(m.view).hover_marker, "phased") is True

    def first_line() -> str | None:
        state = call_js(qtbot, MapDriver(m.view).tooltip_state)
        return state[0]["text"] if state else None

    # This marker's tooltip, not one an earlier test left open.
    qtbot.waitUntil(lambda: first_line() == "Phased centre", timeout=5000)
    lines = call_js(qtbot, MapDriver(m.view).tooltip_state)
    assert lines[1]["text"] == "2,000 chips (H100)"
    hw = {
        line["text"].split(" \u00b7 ")[0]: line for line in lines if "cse-tip-line" in line["cls"]
    }
    assert set(hw) == {"H100 \u00d7 2,000", "H100 \u00d7 3,000", "H100 \u00d7 500"}
    online = hw["H100 \u00d7 2,000"]
    assert not online["struck"] and rgb_hex(online["color"]) != palette.LINE_OFF
    for waiting in ("H100 \u00d7 3,000", "H100 \u00d7 500"):  # later, and cancelled
        assert hw[waiting]["struck"] and rgb_hex(hw[waiting]["color"]) == palette.LINE_OFF
    assert "online 2026-12" in hw["H100 \u00d7 3,000"]["text"]
    assert "range 2,000\u20134,000" in hw["H100 \u00d7 3,000"]["text"]
    assert "cancelled" in hw["H100 \u00d7 500"]["text"]


def test_export_colours_follow_the_rules_on_the_date(qtbot: Any, m: MapEnv) -> None:
    on_date(qtbot, m, BEFORE)
    h20 = marker(qtbot, m, "h20")
    assert (h20["chips"], h20["restricted_chips"]) == (800, 0)
    assert h20["color"] == palette.UNRESTRICTED
    assert close_to(h20["painted_fill"], palette.UNRESTRICTED)
    on_date(qtbot, m, MIDDLE)
    h20 = marker(qtbot, m, "h20")
    assert h20["restricted_chips"] == 800 and h20["color"] == palette.RESTRICTED
    assert close_to(h20["painted_fill"], palette.RESTRICTED)
    assert "800 need a US export licence on 2025-06-30" in h20["tooltip_text"]


def test_a_superseded_record_is_drawn_faded_and_never_counts(qtbot: Any, m: MapEnv) -> None:
    old = marker(qtbot, m, "old")
    assert old["state"] == "superseded"
    assert (old["chips"], old["restricted_chips"], old["planned"]) == (0, 0, 0)
    assert old["dashed"] is True and old["alpha"] < 1
    assert old["color"] == palette.SUPERSEDED_FILL
    assert close_to(old["painted_fill"], palette.SUPERSEDED_FILL, tolerance=6)
    assert "Superseded by New report: not counted" in old["tooltip_text"]
    new = marker(qtbot, m, "new")
    assert new["chips"] == 1200 and "Supersedes Old report" in new["tooltip_text"]


def test_a_campus_and_its_parts_are_linked_and_counted_once(qtbot: Any, m: MapEnv) -> None:
    campus = marker(qtbot, m, "yiwu")
    # Undated, the parts record all 10,000 chips: the campus counts nothing more.
    assert (campus["state"], campus["chips"], campus["campus_ring"]) == ("covered", 0, True)
    assert campus["links"] == 2
    assert marker(qtbot, m, "yiwu-a")["links"] == 1 and marker(qtbot, m, "yiwu-b")["links"] == 1
    assert "Part of Yiwu campus" in marker(qtbot, m, "yiwu-a")["tooltip_text"]
    # Mid-2025 block B is not online: the campus counts the remainder, 10,000 - 4,000.
    on_date(qtbot, m, MIDDLE)
    campus = marker(qtbot, m, "yiwu")
    assert (campus["state"], campus["chips"]) == ("counted", 6000)
    assert "Campus of 2 parts" in campus["tooltip_text"]
    # The line from a selected part to its campus is painted in the campus colour.
    m.selection.set("yiwu-a")
    wait_rendered(qtbot, m.controller)
    lat = 43.3 + 0.4 * (44.6 - 43.3)
    lon = 94.7 + 0.4 * (93.0 - 94.7)
    pixel = call_js(qtbot, m.view.evaluate, f"CSE.sitesPixelAt({lat}, {lon})")
    assert close_to(pixel, palette.CAMPUS_OUTLINE, tolerance=6), pixel
    # Away from the line, the canvas is clear.
    assert call_js(qtbot, m.view.evaluate, f"CSE.sitesPixelAt({lat + 0.8}, {lon})") is None


def test_an_edit_sends_the_site_and_the_markers_it_changes(qtbot: Any, m: MapEnv) -> None:
    on_date(qtbot, m, MIDDLE)
    sent: list[dict[str, Any]] = []

    def hook(text: str) -> None:
        sent.append(json.loads(text)["data"])

    m.view.bridge.siteUpserted.connect(hook)
    old = m.store.get("yiwu-a")
    try:
        m.session.edit_site(
            old, old.with_changes(hardware=(HardwareLine("H100", 5000, online="2025-01"),))
        )
        wait_rendered(qtbot, m.controller)
    finally:
        m.view.bridge.siteUpserted.disconnect(hook)
    assert len(sent) == 1
    assert sorted(sent[0]["id"]) == ["yiwu", "yiwu-a"]  # the part and its campus's remainder
    assert len(json.dumps(sent[0])) < 2000
    values = column_values(sent[0])
    chips = dict(zip(values["id"], values["chips"], strict=True))
    assert chips == {"yiwu-a": 5000, "yiwu": 10000 - 5000}
    assert marker(qtbot, m, "yiwu")["chips"] == 10000 - 5000
    m.session.history.undo()  # type: ignore[attr-defined]
    wait_rendered(qtbot, m.controller)
    assert marker(qtbot, m, "yiwu")["chips"] == 6000


@pytest.mark.parametrize("mode", ["export", "model"])
@pytest.mark.parametrize("day", [None, BEFORE, MIDDLE])
def test_the_page_legend_is_site_legend_on_the_date(
    qtbot: Any, m: MapEnv, mode: str, day: date | None
) -> None:
    m.session.set_color_mode(mode)
    on_date(qtbot, m, day)
    drawn = page_legend(call_js(qtbot, MapDriver(m.view).legend_state))
    expected = site_legend(list(m.store), m.session.catalogue, mode, as_of=day)
    assert drawn == expected
    if day is not None:
        assert drawn.title.endswith(f" on {day.isoformat()}")


def test_a_snapshot_on_a_date_has_the_pages_legend(qapp: Any, basemap_dir: Path) -> None:
    from explorer.web.snapshot import SnapshotSpec, run_snapshot

    cat = dated_catalogue()
    result = run_snapshot(
        SnapshotSpec(width_px=900, height_px=600),
        sites=dated_sites(),
        catalogue=cat,
        basemap_dir=basemap_dir,
        as_of=BEFORE,
    )
    expected = site_legend(dated_sites(), cat, "export", as_of=BEFORE)
    assert result.legend_rows == expected.rows
    assert palette.LABEL_PENDING in [row.text for row in result.legend_rows]
