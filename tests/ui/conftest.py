"""Fixtures for the Qt widget tests: offscreen Qt, isolated settings, a known catalogue."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402

from explorer.core.chips import ChipCatalogue, ChipModel  # noqa: E402
from explorer.core.schema import HardwareLine, Site, Source  # noqa: E402
from explorer.core.selection import Selection  # noqa: E402
from explorer.core.store import SiteStore  # noqa: E402
from explorer.session.session import Session  # noqa: E402
from explorer.ui.undo import QtHistory  # noqa: E402
from tests.helpers import chip_model  # noqa: E402


def _chip(model: str, vendor: str, tflops: float, watts: float, restricted: bool) -> ChipModel:
    # With provenance filled in, as exports that list the catalogue show it.
    return chip_model(
        model,
        restricted=restricted,
        tflops=tflops,
        watts=watts,
        vendor=vendor,
        licence_required_since="2022-10" if restricted else "",
        rule="test",
        source_perf="test",
        source_power="test",
        source_export="test",
    )


@pytest.fixture
def catalogue() -> ChipCatalogue:
    """A small hand-built catalogue: the tests must not depend on explorer/geodata/chips.csv."""
    return ChipCatalogue(
        [
            _chip("H100", "Nvidia", 989, 700, True),
            _chip("H200", "Nvidia", 989, 700, True),
            _chip("H20", "Nvidia", 148, 400, True),
            _chip("Ascend 910C", "Huawei", 780, 600, False),
        ]
    )


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path) -> Iterator[None]:
    """Keep QSettings out of the user's real configuration."""
    org, app = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName(f"explorer-test-{uuid.uuid4().hex[:8]}")
    QCoreApplication.setApplicationName("explorer-ui-tests")
    yield
    QCoreApplication.setOrganizationName(org)
    QCoreApplication.setApplicationName(app)


def make_sites() -> list[Site]:
    """Four sites whose table answers are known by hand.

    Chips: nyocor 2,000; yiwu 10,000 (illustrative); golmud 900; karamay 0.
    """
    return [
        Site(
            id="nyocor-1",
            name="Nyocor Hami phase 1",
            lon=93.512345678,
            lat=42.834567891,
            operator="Nyocor",
            tenant="Infinigence AI",
            province="Xinjiang",
            prefecture="Hami",
            status="planned",
            hardware=(HardwareLine("H100", 2000, 250, 8, "1"),),
            power_mw=12.5,
            confidence="high",
            sources=(Source("Bloomberg report", "https://www.bloomberg.com/x", "2025-11", ""),),
            notes="Servers rented to tenants",
            updated_at="2025-11-01T00:00:00Z",
        ),
        Site(
            id="yiwu-1",
            name="Yiwu desert complex",
            lon=94.7,
            lat=43.25,
            operator="Local authorities",
            province="Xinjiang",
            prefecture="Hami",
            status="under construction",
            hardware=(HardwareLine("H100", 6000), HardwareLine("H200", 4000)),
            power_mw=None,
            confidence="illustrative",
            notes="Gobi edge",
        ),
        Site(
            id="golmud-1",
            name="Golmud solar DC",
            lon=94.9,
            lat=36.4,
            operator="Qinghai Energy",
            province="Qinghai",
            prefecture="Haixi",
            status="operational",
            hardware=(HardwareLine("H20", 900),),
            power_mw=150.0,
            confidence="low",
        ),
        Site(
            id="karamay-1",
            name="Karamay cloud",
            lon=84.87,
            lat=45.6,
            province="Xinjiang",
            prefecture="Karamay",
            status="cancelled",
            confidence="medium",
        ),
    ]


@pytest.fixture
def sites() -> list[Site]:
    return make_sites()


@pytest.fixture
def undo_stack(qapp: object) -> Iterator[QUndoStack]:
    stack = QUndoStack()
    yield stack
    stack.clear()


@pytest.fixture
def session(sites: list[Site], catalogue: ChipCatalogue, undo_stack: QUndoStack) -> Session:
    """The hand-built sites in a session whose commands go on ``undo_stack``, as in the
    window; no province boundaries (tests that need them pass their own)."""
    s = Session(catalogue, history=QtHistory(undo_stack), admin_areas=None)
    s.sites.reset(sites)
    return s


@pytest.fixture
def store(session: Session) -> SiteStore:
    return session.sites


@pytest.fixture
def selection(session: Session) -> Selection:
    return session.selection


@pytest.fixture
def dated_session(undo_stack: QUndoStack) -> Session:
    """:func:`tests.ui.dated.dated_sites` in a session with the bundled catalogue and its
    export rules (the H20 becomes restricted on 2025-04-09), commands on ``undo_stack``."""
    from tests.ui.dated import dated_sites

    s = Session(ChipCatalogue.bundled(), history=QtHistory(undo_stack), admin_areas=None)
    s.sites.reset(dated_sites())
    return s
