"""A bare Linux desktop (issue 11, finding 15): missing X11 libraries are named, with the
packages to install, instead of Qt's abort ("could not load the Qt platform plugin xcb",
exit status 134)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.web import desktop_libraries as dl
from explorer.web.engine import environment_problem

ROOT = Path(__file__).resolve().parents[1]

#: ``ldd libqxcb.so`` on a fresh Debian 12 desktop (abridged).
LDD_BARE = """\
\tlinux-vdso.so.1 (0x00007ffd6a5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f4ef513f000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f4ef45a6000)
\tlibxcb-icccm.so.4 => not found
\tlibfoo-unknown.so.3 => not found
"""
X11_ENV = {"DISPLAY": ":0"}


def test_ldd_output_names_each_missing_library_once(tmp_path: Path) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    got = dl.missing_x11_libraries(plugin, ldd=lambda _p: LDD_BARE)
    assert got == [
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
        "libfoo-unknown.so.3",
    ]


def test_the_message_names_debian_and_fedora_packages(tmp_path: Path) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    problem = dl.x11_problem(X11_ENV, plugin=plugin, ldd=lambda _p: LDD_BARE)
    assert problem == (
        "the window needs X11 libraries this system lacks (libxcb-cursor.so.0, "
        "libxcb-icccm.so.4, libxcb-keysyms.so.1, libfoo-unknown.so.3); install them with: "
        "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libfoo-unknown.so.3 "
        "(Debian/Ubuntu) or sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms "
        "libfoo-unknown.so.3 (Fedora)"
    )
    assert "\n" not in problem
    assert dl.x11_problem(X11_ENV, plugin=plugin, ldd=lambda _p: "\tlibxcb.so.1 => /x\n") is None


def test_without_ldd_the_known_list_is_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    absent = {"xcb-cursor", "xkbcommon-x11"}
    import ctypes.util

    monkeypatch.setattr(
        ctypes.util, "find_library", lambda stem: None if stem in absent else f"lib{stem}.so"
    )
    assert dl.missing_x11_libraries(plugin, ldd=lambda _p: None) == [
        "libxcb-cursor.so.0",
        "libxkbcommon-x11.so.0",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb:nograb", "DISPLAY": ":1"}, True),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),  # Qt tries Wayland first
        ({}, False),
    ],
)
def test_when_the_xcb_plugin_is_needed(env: dict[str, str], expected: bool) -> None:
    if not sys.platform.startswith("linux"):
        expected = False
    assert dl.uses_xcb(env) is expected


def test_offscreen_use_is_never_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "run_ldd", lambda _p: LDD_BARE)
    assert dl.x11_problem({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}) is None


def _bare_x11_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "PYTHONPATH")
    }
    env["DISPLAY"] = ":93"  # no X server needed: the check comes before Qt connects
    env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is a Linux matter here")
def test_the_real_window_and_make_run_say_it_in_one_line() -> None:
    """On this machine's real plugin: the same line from ``explorer`` and the make step."""
    env = _bare_x11_env()
    expected = dl.x11_problem(env)
    if expected is None:
        pytest.skip("this machine has every library Qt's xcb plugin needs")
    script = Path(sys.executable).with_name("explorer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]
    for argv in (cmd, [sys.executable, "-m", "explorer.web.desktop_libraries"]):
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr == f"explorer: error: {expected}\n"


def test_environment_problem_includes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QTWEBENGINE_DISABLE_SANDBOX", "1")
    monkeypatch.setattr("explorer.web.engine.x11_problem", lambda env: "the window needs X11")
    if sys.platform.startswith("linux"):
        assert environment_problem() == "the window needs X11"


class _Ldd:
    """An ``ldd`` stand-in that counts its runs."""

    def __init__(self, output: str) -> None:
        self.output, self.runs = output, 0

    def __call__(self, _path: Path) -> str:
        self.runs += 1
        return self.output


@pytest.fixture
def linker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A plugin, a linker cache and a cache directory of the test's own."""
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"plugin")
    cache = tmp_path / "ld.so.cache"
    cache.write_bytes(b"libraries")
    monkeypatch.setattr(dl, "LINKER_CACHE", cache)
    return {"plugin": plugin, "linker_cache": cache, "cache_dir": tmp_path / "cache"}


def test_a_passed_check_is_remembered_until_the_libraries_change(linker: dict[str, Path]) -> None:
    ldd = _Ldd("\tlibxcb.so.1 => /x\n")

    def check(env: dict[str, str] = X11_ENV) -> str | None:
        return dl.x11_problem(env, plugin=linker["plugin"], ldd=ldd, cache_dir=linker["cache_dir"])

    assert check() is None and ldd.runs == 1
    assert check() is None and ldd.runs == 1  # remembered: no ldd
    # ldconfig rewrote the linker's cache (a package installed or removed): check again.
    linker["linker_cache"].write_bytes(b"libraries, one fewer")
    assert check() is None and ldd.runs == 2
    assert check() is None and ldd.runs == 2
    # Another LD_LIBRARY_PATH, or another plugin (PySide6 upgraded): check again.
    assert check({**X11_ENV, "LD_LIBRARY_PATH": "/opt/lib"}) is None and ldd.runs == 3
    linker["plugin"].write_bytes(b"plugin, newer")
    assert check() is None and ldd.runs == 4


def test_a_failed_check_is_never_remembered(linker: dict[str, Path]) -> None:
    ldd = _Ldd(LDD_BARE)
    for runs in (1, 2):
        problem = dl.x11_problem(
            X11_ENV, plugin=linker["plugin"], ldd=ldd, cache_dir=linker["cache_dir"]
        )
        assert problem is not None and "libxcb-cursor.so.0" in problem
        assert ldd.runs == runs


def test_an_unwritable_cache_only_means_checking_again(linker: dict[str, Path]) -> None:
    linker["cache_dir"].write_text("a file where the directory would be")
    ldd = _Ldd("\tlibxcb.so.1 => /x\n")
    for runs in (1, 2):
        assert (
            dl.x11_problem(X11_ENV, plugin=linker["plugin"], ldd=ldd, cache_dir=linker["cache_dir"])
            is None
        )
        assert ldd.runs == runs
