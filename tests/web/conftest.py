"""Fixtures for the map page tests: a real QtWebEngine page, offscreen.

The environment must be set before Qt is imported, and QtWebEngine must be imported
before the QApplication exists, so both happen at import time of this conftest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Chromium will not start its sandbox as root; only then, and only for tests, turn it off.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import pytest  # noqa: E402
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401  - must precede the QApplication

from explorer.core.chips import ChipCatalogue  # noqa: E402
from explorer.core.schema import HardwareLine, Site  # noqa: E402
from explorer.session.session import Session  # noqa: E402
from explorer.web.page import BASEMAP_DIR, BASEMAP_LAYERS  # noqa: E402
from explorer.web.view import prepare_application  # noqa: E402
from tests.helpers import chip_model  # noqa: E402

prepare_application()

#: Colours the page uses in "export" mode, spelt out here on purpose (not imported from
#: explorer/web/palette.py): a change of the map's colours has to be a deliberate one.
RESTRICTED = "#c62828"
UNRESTRICTED = "#1f5fa8"
NO_CHIPS = "#8d8d8d"


def hand_catalogue() -> ChipCatalogue:
    """A small catalogue whose export status we state here, independent of chips.csv."""
    return ChipCatalogue(
        [
            chip_model("H100", tflops=989.0, watts=500.0),
            chip_model("H200", tflops=989.0, watts=500.0),
            chip_model(
                "Ascend 910B", restricted=False, tflops=320.0, watts=500.0, memory_type="HBM"
            ),
            chip_model(
                "Ascend 910C", restricted=False, tflops=800.0, watts=500.0, memory_type="HBM"
            ),
        ]
    )


@pytest.fixture(scope="session")
def catalogue() -> ChipCatalogue:
    """The hand-built catalogue, handed to every store and controller of these tests."""
    return hand_catalogue()


def make_sites() -> list[Site]:
    """Four sites around Xinjiang/Qinghai with chip mixes whose colours we know."""
    return [
        Site(
            id="a-urumqi",
            name="Urumqi test centre",
            lon=87.60,
            lat=43.80,
            province="Xinjiang",
            hardware=(HardwareLine("H100", 2000),),
            confidence="high",
        ),
        Site(
            id="b-hami",
            name="Hami test centre",
            lon=93.50,
            lat=42.80,
            province="Xinjiang",
            hardware=(HardwareLine("Ascend 910B", 5000),),
            confidence="medium",
        ),
        Site(id="c-golmud", name="Golmud empty plot", lon=94.90, lat=36.40, province="Qinghai"),
        Site(
            id="d-kashgar",
            name="Kashgar mixed",
            lon=75.99,
            lat=39.47,
            province="Xinjiang",
            hardware=(HardwareLine("H200", 100), HardwareLine("Ascend 910C", 900)),
            confidence="illustrative",
        ),
    ]


def _write_fallback_basemap(directory: Path) -> Path:
    """A tiny basemap for when explorer/geodata/basemap has not been built."""
    square = lambda x, y, d: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]  # noqa: E731
    layers = {
        "countries.geojson": [
            ({"name": "China", "name_zh": "中国", "iso_a3": "CHN"}, "Polygon", square(73, 25, 40))
        ],
        "provinces.geojson": [
            (
                {"name": "Xinjiang", "country": "China", "focus": True, "approximate": True},
                "Polygon",
                square(74, 35, 20),
            ),
            (
                {"name": "Gansu", "country": "China", "focus": False, "approximate": True},
                "Polygon",
                square(94, 35, 10),
            ),
        ],
        "lakes.geojson": [({"name": "Bosten"}, "Polygon", square(86.7, 41.8, 0.5))],
        "towns.geojson": [
            (
                {"name": "Urumqi", "population": 3500000, "country_code": "CN", "min_zoom": 4},
                "Point",
                [87.6, 43.8],
            ),
            (
                {"name": "Korla", "population": 500000, "country_code": "CN", "min_zoom": 6},
                "Point",
                [86.1, 41.7],
            ),
            (
                {"name": "Hotan", "population": 400000, "country_code": "CN", "min_zoom": 7},
                "Point",
                [79.9, 37.1],
            ),
        ],
        "physical_labels.geojson": [
            ({"name": "Taklamakan Desert", "kind": "desert"}, "Point", [83.0, 39.0])
        ],
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, feats in layers.items():
        fc = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": p, "geometry": {"type": t, "coordinates": c}}
                for p, t, c in feats
            ],
        }
        (directory / name).write_text(json.dumps(fc), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def basemap_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled basemap if it has been built, else a tiny hand-made one."""
    if (BASEMAP_DIR / "countries.geojson").is_file():
        return BASEMAP_DIR
    return _write_fallback_basemap(tmp_path_factory.mktemp("basemap"))


def expected_basemap_keys(directory: Path) -> set[str]:
    """Basemap layers whose file exists in ``directory``."""
    return {layer.key for layer in BASEMAP_LAYERS if (directory / layer.filename).is_file()}


# ---------------------------------------------------------------------- waiting helpers
def call_js(qtbot: Any, fn: Callable[..., None], *args: Any, timeout: int = 10_000) -> Any:
    """Call a callback-style MapView method and return what it passes to its callback."""
    box: list[Any] = []
    fn(*args, box.append)
    qtbot.waitUntil(lambda: len(box) > 0, timeout=timeout)
    return box[0]


def wait_rendered(qtbot: Any, controller: Any, timeout: int = 15_000) -> int:
    """Wait until the page has painted every message sent so far; returns that seq."""
    target = controller.last_sent_seq
    if controller.last_rendered_seq < target:
        with qtbot.waitSignal(
            controller.rendered, timeout=timeout, check_params_cb=lambda s: s >= target
        ):
            pass
    return target


def grab_shown(qtbot: Any, controller: Any, view: Any, timeout: int = 20_000) -> Any:
    """The view's pixels (a ``QImage``) once they show a frame painted after everything
    sent so far: a snapshot of what the user sees now.

    ``controller.call_when_rendered`` waits for the widget to show that frame for at
    most ``PRESENT_TIMEOUT_MS`` (3 s) and then calls back anyway; under a stress run a
    frame took longer than that to reach the widget, and a grab then held the frame
    before. Here the wait goes on, on the frame marker, until the pixels show it.
    """
    target = controller.request_frame()
    shots: list[Any] = []

    def attempt() -> None:
        if view.shows_seq(target) or not view.isVisible():
            shots.append(view.grab().toImage())
        else:
            view.present_frame(attempt, target)  # it gave up: wait for the frame again

    controller.call_when_rendered(attempt, fresh_frame=False)
    qtbot.waitUntil(lambda: bool(shots), timeout=timeout)
    return shots[0]


def make_session(
    catalogue: ChipCatalogue, sites: list[Site] | None = None, **kwargs: Any
) -> Session:
    """A Qt-free session on ``sites`` (default: :func:`make_sites`), with a plain undo
    history and, unless ``admin_areas`` is given, no province boundaries."""
    kwargs.setdefault("admin_areas", None)
    session = Session(catalogue, **kwargs)
    session.sites.reset(make_sites() if sites is None else sites)
    return session


@dataclass
class MapEnv:
    """One live map: view, controller and the session it shows."""

    view: Any
    controller: Any
    session: Session
    basemap_dir: Path

    @property
    def store(self) -> Any:
        return self.session.sites

    @property
    def selection(self) -> Any:
        return self.session.selection


def wait_first_render(controller: Any, timeout_ms: int) -> bool:
    """Wait until ``controller``'s page is ready and has drawn; False on timeout.

    Module-scoped fixtures have no qtbot: this waits on the ``rendered`` signal with a
    local event loop (bounded by the timeout, never a fixed sleep).
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)

    def check(_seq: int = 0) -> None:
        if controller.is_rendered and controller.bridge.is_page_ready:
            loop.quit()

    controller.rendered.connect(check)
    timer.start(timeout_ms)
    loop.exec()
    controller.rendered.disconnect(check)
    return bool(controller.is_rendered and controller.bridge.is_page_ready)


def open_map(qtbot_or_none: Any, session: Session, basemap: Path) -> MapEnv:
    """Create, show and wait for a map view over ``session``."""

    from explorer.web.controller import MapController
    from explorer.web.view import MapView

    view = MapView(center=(40.0, 86.0), zoom=5, basemap_dir=basemap)
    view.resize(900, 650)
    controller = MapController(view, session)
    view.show()
    if not wait_first_render(controller, 30_000):
        raise RuntimeError(f"map page did not become ready; JS errors: {view.js_errors}")
    return MapEnv(view, controller, session, basemap)
