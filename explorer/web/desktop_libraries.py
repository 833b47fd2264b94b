"""The system libraries Qt's X11 platform plugin needs, and which packages provide them.

PySide6's wheels bundle Qt, but Qt's ``xcb`` platform plugin (the one an X11 desktop
uses) links against system libraries that a fresh Debian or Fedora desktop may lack:
since Qt 6.5 ``libxcb-cursor0``, and ``libxcb-icccm4``, ``libxcb-keysyms1`` and friends.
Without them Qt aborts with "could not load the Qt platform plugin xcb" and a core dump.
:func:`missing_x11_libraries` asks the dynamic linker (``ldd`` on the plugin, which
follows every dependency) which libraries it cannot find; without ``ldd`` it looks up a
known list with :func:`ctypes.util.find_library`. :func:`x11_problem` turns the answer
into one line naming the packages to install.

Nothing here imports Qt: the check runs before Qt loads (``python -m
explorer.web.desktop_libraries`` runs it alone, as ``make run`` does).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: soname -> (Debian/Ubuntu package, Fedora package), for what Qt's xcb plugin and the
#: map engine link against.
PACKAGES: Mapping[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}

#: What Qt 6.5+'s xcb plugin needs beyond libxcb itself: looked up one by one when
#: ``ldd`` is not there to ask.
XCB_PLUGIN_NEEDS: tuple[str, ...] = (
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-keysyms.so.1",
    "libxcb-image.so.0",
    "libxcb-render-util.so.0",
    "libxcb-xkb.so.1",
    "libxkbcommon-x11.so.0",
    "libX11-xcb.so.1",
)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)

#: Runs ``ldd`` on a file and returns its standard output (None: ldd not available).
LddRunner = Callable[[Path], "str | None"]


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, or None if PySide6 (or the plugin) is not there."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def run_ldd(path: Path) -> str | None:
    """``ldd path``'s output, or None when there is no usable ``ldd``."""
    # Imported here, not at the top: every start imports this module, and on a platform
    # other than X11 (offscreen, Wayland) nothing here runs (0.01 s of imports).
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        proc = subprocess.run(
            [ldd, str(path)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.stdout.strip() else None


def _find_library_missing(names: Sequence[str]) -> list[str]:
    import ctypes.util

    missing = []
    for soname in names:
        # find_library wants "xcb-cursor" for "libxcb-cursor.so.0".
        stem = soname.removeprefix("lib").split(".so", 1)[0]
        if ctypes.util.find_library(stem) is None:
            missing.append(soname)
    return missing


def missing_x11_libraries(plugin: Path | None = None, *, ldd: LddRunner = run_ldd) -> list[str]:
    """Sonames Qt's xcb plugin needs that the dynamic linker cannot find.

    Parameters
    ----------
    plugin : Path, optional
        The plugin to check (default: PySide6's ``libqxcb.so``).
    ldd : callable
        Runs ``ldd`` (replaced in tests).

    Returns
    -------
    list of str
        In the order ``ldd`` lists them, each once; empty when nothing is missing or
        there is no plugin to check.
    """
    plugin = plugin if plugin is not None else xcb_plugin()
    if plugin is None:
        return []
    output = ldd(plugin)
    if output is None:
        return _find_library_missing(XCB_PLUGIN_NEEDS)
    return list(dict.fromkeys(_NOT_FOUND.findall(output)))


def install_hint(sonames: Sequence[str]) -> str:
    """The packages providing ``sonames``, as an apt and a dnf command line.

    An unknown library is named as it is, for the user's own package search.
    """
    debian = [PACKAGES[s][0] if s in PACKAGES else s for s in sonames]
    fedora = [PACKAGES[s][1] if s in PACKAGES else s for s in sonames]
    return (
        f"sudo apt install {' '.join(dict.fromkeys(debian))} (Debian/Ubuntu) or "
        f"sudo dnf install {' '.join(dict.fromkeys(fedora))} (Fedora)"
    )


def uses_xcb(env: Mapping[str, str] | None = None) -> bool:
    """Whether Qt will start on X11 here (so the xcb plugin must load).

    ``QT_QPA_PLATFORM=xcb``, or no platform chosen on a Linux desktop with an X display
    and no Wayland one (where Qt would try Wayland first, the xcb plugin may not be needed).
    """
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":", 1)[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def x11_problem(
    env: Mapping[str, str] | None = None,
    *,
    plugin: Path | None = None,
    ldd: LddRunner = run_ldd,
    cache_dir: Path | None = None,
) -> str | None:
    """One line naming the packages to install when the X11 plugin cannot load, else None.

    A check that found nothing missing is remembered (in ``cache_dir``, default the
    application's cache directory) with what its answer depends on (:func:`linker_state`):
    the next start with the same plugin, the same dynamic linker cache and the same
    ``LD_LIBRARY_PATH`` skips ``ldd`` (0.02-0.1 s before Qt could load). A check that
    found libraries missing is never remembered: the user is about to install them.
    """
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    plugin = plugin if plugin is not None else xcb_plugin()
    if plugin is None:
        return None
    if cache_dir is None:
        from explorer.web.page_cache import user_cache_dir

        cache_dir = user_cache_dir()
    marker = cache_dir / PASSED_FILE
    state = linker_state(plugin, env)
    try:
        if marker.read_text(encoding="utf-8") == state:
            return None
    except (OSError, UnicodeDecodeError):
        pass
    missing = missing_x11_libraries(plugin, ldd=ldd)
    if not missing:
        from explorer.io.atomic import atomic_target  # only when a check has run

        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with atomic_target(marker) as tmp:
                tmp.write_text(state, encoding="utf-8")
        except OSError:
            pass  # not remembered: the next start checks again
        return None
    return (
        f"the window needs X11 libraries this system lacks ({', '.join(missing)}); "
        f"install them with: {install_hint(missing)}"
    )


#: Where a passed check is remembered, in the cache directory.
PASSED_FILE = "x11-libraries-found"
#: The dynamic linker's cache: ``ldconfig`` rewrites it whenever libraries are installed
#: or removed (package managers run it).
LINKER_CACHE = Path("/etc/ld.so.cache")


def linker_state(plugin: Path, env: Mapping[str, str]) -> str:
    """What the check's answer depends on, as text: the plugin file and the linker's
    cache (path, size, modification time each) and ``LD_LIBRARY_PATH``."""
    lines = []
    for path in (plugin, LINKER_CACHE):
        try:
            st = path.stat()
            lines.append(f"{path}\t{st.st_size}\t{st.st_mtime_ns}")
        except OSError:
            lines.append(f"{path}\t-")
    lines.append("LD_LIBRARY_PATH=" + env.get("LD_LIBRARY_PATH", ""))
    return "\n".join(lines) + "\n"


def main() -> int:
    """``python -m explorer.web.desktop_libraries``: exit 2 with one line if libraries lack."""
    problem = x11_problem()
    if problem is None:
        return 0
    print(f"explorer: error: {problem}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "PACKAGES",
    "XCB_PLUGIN_NEEDS",
    "install_hint",
    "missing_x11_libraries",
    "run_ldd",
    "uses_xcb",
    "x11_problem",
    "xcb_plugin",
]
