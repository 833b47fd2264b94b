"""One source of truth across the JS boundary: Python's names, bounds and palette are the
page's, and the page's scripts spell none of them themselves (no Qt event loop here;
the live page is checked in test_page_config.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMetaMethod

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.web import palette
from explorer.web.bridge import MapBridge
from explorer.web.legend import LegendRow, site_legend
from explorer.web.page import MAP_RESOURCES, build_map_html, page_config
from explorer.web.protocol import LIMITS, ToPage, ToPython, page_protocol
from tests.web.conftest import make_sites

SCRIPTS = sorted(MAP_RESOURCES.glob("*.js"))
#: How the page's scripts name each part of CSE.config (their local aliases).
ALIASES = {
    "TO_PAGE": "toPage",
    "TO_PYTHON": "toPython",
    "LIMITS": "limits",
    "COLORS": "colors",
    "WORDS": "legend",
    "MODES": "modes",
    "TIP": "tip",
    "AGG": "aggregate",
    "FLAG": "flags",
}


def script_text(path: Path) -> str:
    """A page script without its comments (they may name values for the reader)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)


# ---------------------------------------------------------------------- the bridge
def _bridge_methods(kind: QMetaMethod.MethodType) -> dict[str, list[str]]:
    meta = MapBridge.staticMetaObject
    out = {}
    for i in range(meta.methodOffset(), meta.methodCount()):
        method = meta.method(i)
        if method.methodType() == kind:
            out[bytes(method.name().data()).decode()] = [
                bytes(t.data()).decode() for t in method.parameterTypes()
            ]
    return out


def test_the_bridge_has_a_signal_per_message_to_the_page() -> None:
    signals = _bridge_methods(QMetaMethod.MethodType.Signal)
    for name in ToPage:
        assert signals.get(name) == ["QString"], name  # one JSON string each


def test_the_bridge_slots_are_exactly_the_messages_to_python() -> None:
    slots = _bridge_methods(QMetaMethod.MethodType.Slot)
    assert set(slots) == {m.value for m in ToPython}


def test_names_are_unique_and_the_config_is_json() -> None:
    assert len({*ToPage, *ToPython}) == len(ToPage) + len(ToPython)
    config = page_config()
    assert json.loads(json.dumps(config, allow_nan=False)) == config
    assert config["toPage"]["SITES_RESET"] == ToPage.SITES_RESET == "sitesReset"
    assert config["limits"] == LIMITS
    assert config["colors"]["RESTRICTED"] == palette.RESTRICTED
    # The two halves do not overwrite each other.
    assert set(page_protocol()).isdisjoint(palette.page_palette())


def test_protocol_palette_and_legend_load_no_qt() -> None:
    code = (
        "import sys\n"
        "import explorer.web.protocol, explorer.web.palette, explorer.web.legend\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------- the page
def test_the_page_carries_page_config(basemap_dir: Path) -> None:
    html = build_map_html(basemap_dir=basemap_dir)
    # CSE.setupMap gets it as one JSON string (escaped by folium).
    m = re.search(r'CSE\.setupMap\([^,]+, \{.*?"settings": ("(?:[^"\\]|\\.)*")', html, re.S)
    assert m is not None
    assert json.loads(json.loads(m.group(1))) == page_config()


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_spell_no_message_name_bound_colour_or_legend_word(path: Path) -> None:
    text = script_text(path)
    for name in (*ToPage, *ToPython):
        assert not re.search(rf"""['"]{name.value}['"]|bridge\.{name.value}\b""", text), name
    for value in LIMITS.values():
        if value >= 100:  # small numbers (1, 64...) are too common to mean a bound
            assert not re.search(rf"(?<![\d.]){value:g}(?![\d.])", text), value
    assert "85.05" not in text
    colours = [
        palette.RESTRICTED,
        palette.UNRESTRICTED,
        palette.NO_CHIPS,
        palette.ILLUSTRATIVE_OUTLINE,
        palette.HIGHLIGHT_OUTLINE,
        palette.PENDING_OUTLINE,
        palette.SUPERSEDED_FILL,
        palette.SUPERSEDED_OUTLINE,
        palette.CAMPUS_OUTLINE,
        palette.AGGREGATE_OUTLINE,
        palette.AGGREGATE_TEXT,
        palette.LINE_OFF,
        *palette.MODEL_COLORS,
        *palette.REGION_STYLE.values(),
        *palette.SELECTED_REGION_STYLE.values(),
    ]
    for colour in (c for c in colours if isinstance(c, str) and c.startswith("#")):
        assert colour.lower() not in text.lower(), colour
    words = palette.page_palette()["legend"]
    for word in (*words["TITLES"].values(), *(w for w in words.values() if isinstance(w, str))):
        assert word not in text, word
    for template in palette.TIP_WORDS.values():
        # The fixed part of each tooltip phrase (before its first {slot}): long enough
        # not to be a word of code.
        fixed = template.split("{")[0].strip()
        if len(fixed) >= 8:
            assert fixed not in text, template
    states = page_protocol()["sites"]["STATES"]
    for state in (s for s in states if s != "none"):  # 'none' is also CSS
        assert not re.search(rf"""['"]{state}['"]""", text), state


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_read_only_names_the_config_has(path: Path) -> None:
    text = script_text(path)
    config = page_config()
    uses = [
        (ALIASES[a], k)
        for a, k in re.findall(r"\b([A-Z_]+)\.([A-Z][A-Z_]+)\b", text)
        if a in ALIASES
    ]
    uses += re.findall(r"CSE\.config\.(\w+)\.([A-Z][A-Z_]+)\b", text)
    # The site flags sit one level down: CSE.config.sites.FLAGS.
    groups = {**config, "flags": config["sites"]["FLAGS"]}
    for group, key in uses:
        assert key in groups[group], f"{path.name}: CSE.config.{group}.{key}"
    assert not re.search(
        r"CSE\.config\.(?!toPage|toPython|modes|limits|colors|regions|legend|tip|aggregate|sites)",
        text,
    )


# ---------------------------------------------------------------------- the legend (no page)
def test_export_legend_rows() -> None:
    cat = ChipCatalogue.bundled()
    legend = site_legend(make_sites(), cat, "export")
    assert legend.title == "Export control"
    assert legend.rows == (
        LegendRow(palette.RESTRICTED, palette.LABEL_RESTRICTED),
        LegendRow(palette.UNRESTRICTED, palette.LABEL_UNRESTRICTED),
        LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS),
        LegendRow(palette.SWATCH_BLANK, palette.LABEL_ILLUSTRATIVE, dashed=True),  # Kashgar
    )
    assert legend.note == palette.LABEL_SIZE_NOTE
    ringed = site_legend(make_sites(), cat, "export", highlighted={"b-hami", "elsewhere"})
    assert ringed.rows[-1] == LegendRow(
        palette.SWATCH_BLANK, palette.LABEL_HIGHLIGHTED, ring=palette.HIGHLIGHT_OUTLINE
    )
    assert site_legend(make_sites(), cat, "export", highlighted={"gone"}) == legend


def test_model_legend_rows_follow_the_catalogue(catalogue: ChipCatalogue) -> None:
    models = [m.model for m in catalogue]  # H100, H200, Ascend 910B, Ascend 910C
    sites = [
        Site("a", "A", 90, 40, hardware=(HardwareLine("Ascend 910B", 10),)),
        Site("b", "B", 90, 40, hardware=(HardwareLine("H100", 10),)),
        Site("c", "C", 90, 40),
    ]
    legend = site_legend(sites, catalogue, "model")
    assert legend.title == "Main chip model"
    assert legend.rows == (
        LegendRow(palette.MODEL_COLORS[0], "H100" + palette.LABEL_LICENCE_SUFFIX),
        LegendRow(palette.MODEL_COLORS[2], "Ascend 910B"),
        LegendRow(palette.NO_CHIPS, palette.LABEL_NO_CHIPS),
    )
    assert palette.model_color("Ascend 910B", models) == palette.MODEL_COLORS[2]
    assert palette.model_color("not listed", models) == palette.MODEL_COLORS[len(models)]
    assert palette.model_color(None, models) == palette.NO_CHIPS
    with pytest.raises(ValueError, match="colour mode must be one of"):
        site_legend(sites, catalogue, "rainbow")
