"""The live page agrees with Python: its CSE.config is page_config(), and its markers,
regions and legend are painted in the palette's colours with the legend's words.

Colours are read back as the browser painted them: the canvas's pixels for markers
(a fill drawn at 82 % opacity comes back within rounding of its colour), the computed
style (``getComputedStyle``) for regions and the legend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import rectangle
from explorer.web import palette
from explorer.web.legend import site_legend
from explorer.web.page import page_config
from explorer.web.region_payload import region_payload
from explorer.web.site_columns import column_values, reset_payload
from tests.web.conftest import MapEnv, call_js, make_session, open_map, wait_rendered
from tests.web.driver import MapDriver, page_legend, rgb_hex

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def env(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> Iterator[MapEnv]:
    env = open_map(None, make_session(catalogue), basemap_dir)
    yield env
    from PySide6.QtCore import QCoreApplication, QEvent

    env.controller.detach()
    env.view.close()
    env.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def m(env: MapEnv, qtbot: Any) -> Iterator[MapEnv]:
    """The shared map, back in "export" colours with nothing selected or highlighted."""
    yield env
    env.session.set_color_mode("export")
    env.selection.clear()
    env.view.bridge.post_sites_highlighted([])
    env.view.bridge.post_regions_reset([])
    wait_rendered(qtbot, env.controller)


def js(qtbot: Any, env: MapEnv, expression: str) -> Any:
    return call_js(qtbot, env.view.evaluate, expression)


def marker(qtbot: Any, env: MapEnv, sid: str) -> dict[str, Any]:
    state = call_js(qtbot, MapDriver(env.view).marker_state, sid)
    assert state is not None and state["drawn"], sid
    return state


def legend(qtbot: Any, env: MapEnv) -> Any:
    return page_legend(call_js(qtbot, MapDriver(env.view).legend_state))


def test_the_page_config_is_page_config(qtbot: Any, m: MapEnv) -> None:
    assert js(qtbot, m, "CSE.config") == page_config()
    assert m.view.js_errors == []


def test_a_name_the_config_lacks_throws(qtbot: Any, m: MapEnv) -> None:
    # A misspelt name fails loudly instead of colouring markers "undefined".
    error = js(
        qtbot,
        m,
        "(function () { try { return String(CSE.config.colors.RESTRICTED_TYPO); }"
        " catch (e) { return 'threw: ' + e.message; } })()",
    )
    assert error == 'threw: cse: CSE.config.colors has no "RESTRICTED_TYPO"'
    assert js(qtbot, m, "Object.isFrozen(CSE.config.limits)") is True


def close_to(css: str | None, hex_colour: str, tolerance: int = 3) -> bool:
    """A painted ``rgb(...)`` within rounding of a palette colour."""
    assert css is not None, "nothing painted there"
    painted = rgb_hex(css)
    return all(
        abs(int(painted[k : k + 2], 16) - int(hex_colour[k : k + 2], 16)) <= tolerance
        for k in (1, 3, 5)
    )


def columns(env: MapEnv, catalogue: ChipCatalogue) -> dict[str, dict[str, Any]]:
    """What Python sends the page for the store, decoded, by site id."""
    values = column_values(reset_payload(list(env.store), catalogue)["sites"])
    return {sid: {k: v[i] for k, v in values.items()} for i, sid in enumerate(values["id"])}


def test_marker_fills_and_outlines_are_the_palette_entries(
    qtbot: Any, m: MapEnv, catalogue: ChipCatalogue
) -> None:
    seen = set()
    sent = columns(m, catalogue)
    for site in m.store:
        if site.chips == 0:
            fill = palette.NO_CHIPS
        else:
            fill = palette.RESTRICTED if sent[site.id]["restricted"] > 0 else palette.UNRESTRICTED
        outline = palette.ILLUSTRATIVE_OUTLINE if site.is_illustrative else palette.MARKER_OUTLINE
        state = marker(qtbot, m, site.id)
        assert state["color"] == fill, site.id
        assert close_to(state["painted_fill"], fill), (site.id, state["painted_fill"])
        assert state["outline"] == outline, site.id
        seen.add(fill)
    # make_sites() has a site of each kind.
    assert seen == {palette.RESTRICTED, palette.UNRESTRICTED, palette.NO_CHIPS}


def test_model_colours_are_the_palette_entries(
    qtbot: Any, m: MapEnv, catalogue: ChipCatalogue
) -> None:
    m.session.set_color_mode("model")
    wait_rendered(qtbot, m.controller)
    models = [model.model for model in catalogue]
    sent = columns(m, catalogue)
    for site in m.store:
        by_model = site.chips_by_model()
        primary = max(by_model, key=lambda k: (by_model[k], -models.index(k))) if by_model else None
        assert sent[site.id]["model"] == (models.index(primary) if primary else -1)
        state = marker(qtbot, m, site.id)
        colour = palette.model_color(primary, models)
        assert state["color"] == colour, site.id
        assert close_to(state["painted_fill"], colour), site.id


def test_selected_and_highlighted_outlines_are_the_palette_entries(qtbot: Any, m: MapEnv) -> None:
    m.selection.set("b-hami")
    m.view.bridge.post_sites_highlighted(["a-urumqi"])
    wait_rendered(qtbot, m.controller)
    selected = marker(qtbot, m, "b-hami")
    highlighted = marker(qtbot, m, "a-urumqi")
    assert selected["outline"] == palette.SELECTED_OUTLINE
    assert highlighted["outline"] == palette.HIGHLIGHT_OUTLINE
    # Thick enough to cover the pixel under the outline: the painted colour is exact.
    # ("rendered" now comes after the canvas paint, even from the page's fallback timer;
    # reading again until the frame that paints them costs nothing when it already has.)
    painted: dict[str, Any] = {}

    def both_painted() -> bool:
        painted["selected"] = marker(qtbot, m, "b-hami")["painted_outline"]
        painted["highlighted"] = marker(qtbot, m, "a-urumqi")["painted_outline"]
        return close_to(painted["selected"], palette.SELECTED_OUTLINE, 0) and close_to(
            painted["highlighted"], palette.HIGHLIGHT_OUTLINE, 0
        )

    qtbot.waitUntil(both_painted, timeout=10_000)


@pytest.mark.parametrize("mode", ["export", "model"])
def test_the_page_legend_is_site_legend(
    qtbot: Any, m: MapEnv, catalogue: ChipCatalogue, mode: str
) -> None:
    m.session.set_color_mode(mode)
    wait_rendered(qtbot, m.controller)
    expected = site_legend(list(m.store), catalogue, mode)
    assert legend(qtbot, m) == expected
    # With a highlighted site the ring row follows.
    m.view.bridge.post_sites_highlighted(["a-urumqi"])
    wait_rendered(qtbot, m.controller)
    ringed = site_legend(list(m.store), catalogue, mode, highlighted={"a-urumqi"})
    assert legend(qtbot, m) == ringed
    assert ringed.rows[-1].ring == palette.HIGHLIGHT_OUTLINE
    # The dashed swatch is outlined in the illustrative outline's colour.
    raw = call_js(qtbot, MapDriver(m.view).legend_state)
    dashed = [r for r in raw["rows"] if r["border_style"] == "dashed"]
    assert [rgb_hex(r["border_color"]) for r in dashed] == [palette.ILLUSTRATIVE_OUTLINE]


def test_region_outlines_are_the_palette_styles(qtbot: Any, m: MapEnv) -> None:
    entry = RegionEntry("r1", rectangle("Box", 85.0, 38.0, 90.0, 42.0))
    m.view.bridge.post_regions_reset([region_payload(entry)])
    wait_rendered(qtbot, m.controller)
    path = "CSE.map.getPane('cse-regions').querySelector('path')"
    read = (
        f"(function (el) {{ var c = getComputedStyle(el); return {{stroke: c.stroke,"
        f" width: parseFloat(c.strokeWidth), fill: c.fill}}; }})({path})"
    )
    drawn = js(qtbot, m, read)
    assert rgb_hex(drawn["stroke"]) == palette.REGION_STYLE["color"]
    assert drawn["width"] == pytest.approx(palette.REGION_STYLE["weight"])
    assert rgb_hex(drawn["fill"]) == palette.REGION_STYLE["fillColor"]
    m.view.bridge.post_region_selection("r1")
    wait_rendered(qtbot, m.controller)
    drawn = js(qtbot, m, read)
    assert rgb_hex(drawn["stroke"]) == palette.SELECTED_REGION_STYLE["color"]
    assert drawn["width"] == pytest.approx(palette.SELECTED_REGION_STYLE["weight"])
    m.view.bridge.post_region_selection(None)
