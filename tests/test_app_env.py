"""`explorer` with no usable display stops with one line instead of a Qt abort."""

from __future__ import annotations

import sys

import pytest

from explorer.app import run_gui
from explorer.web.engine import environment_problem


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="display variables are X11/Wayland"
)
def test_gui_without_a_display_says_what_to_set(monkeypatch, capsys) -> None:  # noqa: ANN001
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert run_gui([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("explorer: error: no display") and "QT_QPA_PLATFORM=offscreen" in err


def test_root_without_sandbox_setting_is_refused(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX", raising=False)
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "")
    monkeypatch.setattr("os.geteuid", lambda: 0, raising=False)
    assert "QTWEBENGINE_DISABLE_SANDBOX=1" in (environment_problem() or "")
    monkeypatch.setenv("QTWEBENGINE_DISABLE_SANDBOX", "1")
    assert environment_problem() is None
