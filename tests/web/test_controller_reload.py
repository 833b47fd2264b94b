"""A MapController made after its page is ready still refills the page on a reload.

The controller's first state goes straight to a ready page (nothing is queued), so the
page's next ``ready`` is a reload that lost the sites, even though it is the first
``ready`` this controller sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from tests.web.conftest import call_js, make_session, wait_rendered
from tests.web.driver import MapDriver

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qapp: Any, basemap_dir: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from explorer.web.view import MapView

    view = MapView(center=(40.0, 86.0), zoom=5, basemap_dir=basemap_dir)
    view.resize(600, 400)
    yield view
    view.close()
    view.deleteLater()
    # Delete now (page before its profile), not at interpreter exit in any order.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_controller_made_after_ready_resends_on_reload(
    qtbot: Any, view: Any, catalogue: ChipCatalogue
) -> None:
    from explorer.web.controller import MapController

    with qtbot.waitSignal(view.bridge.ready, timeout=15000):
        view.show()
    assert view.bridge.is_page_ready
    assert call_js(qtbot, MapDriver(view).page_state)["sites"] == 0

    session = make_session(catalogue)
    store = session.sites
    controller = MapController(view, session)
    try:
        wait_rendered(qtbot, controller)
        assert call_js(qtbot, MapDriver(view).page_state)["sites"] == len(store)

        with qtbot.waitSignal(controller.ready, timeout=15000):
            view.reload()
        wait_rendered(qtbot, controller)
        st = call_js(qtbot, MapDriver(view).page_state)
        assert st["connected"] is True
        assert st["sites"] == len(store)
        assert st["color_mode"] == controller.color_mode
    finally:
        controller.detach()
