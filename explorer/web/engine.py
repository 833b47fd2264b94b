"""Starting the map engine: Chromium's environment, the checks that say in one line why
it could not start, and the ``QApplication`` QtWebEngine needs.

Everything that renders the map (the window, ``explorer snapshot``/``report``, the
benchmarks) starts it through here.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from explorer.web.desktop_libraries import x11_problem

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

ORG = "ComputeSiteExplorer"
APP = "Compute Site Explorer"


def configure_environment() -> None:
    """Environment Chromium needs before QtWebEngine loads (no network noise)."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    for flag in ("--disable-background-networking", "--disable-component-update"):
        if flag not in flags:
            flags = f"{flags} {flag}".strip()
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags


def environment_problem() -> str | None:
    """Why Qt or Chromium would abort here without a readable message, with the fix.

    ``None`` when the map engine can start: there is a display (or
    ``QT_QPA_PLATFORM`` names one such as ``offscreen``), on X11 the system libraries
    Qt's xcb plugin needs are installed (else the packages to install are named, see
    :mod:`explorer.web.desktop_libraries`) and, as root, Chromium's sandbox has been
    turned off explicitly.
    """
    env = os.environ
    if (
        sys.platform.startswith("linux")
        and not env.get("QT_QPA_PLATFORM")
        and not env.get("DISPLAY")
        and not env.get("WAYLAND_DISPLAY")
    ):
        return "no display to render the map on; for headless use set QT_QPA_PLATFORM=offscreen"
    missing_libraries = x11_problem(env)
    if missing_libraries is not None:
        return missing_libraries
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and not env.get("QTWEBENGINE_DISABLE_SANDBOX")
        and "--no-sandbox" not in flags
    ):
        return (
            "the map engine (Chromium) does not run as root with its sandbox; run as a "
            "normal user, or set QTWEBENGINE_DISABLE_SANDBOX=1 where that is acceptable"
        )
    return None


def make_application(argv: list[str] | None = None) -> QApplication:
    """Create (or return) the QApplication with the attributes QtWebEngine requires."""
    configure_environment()
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    no_feature_scan()

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication([sys.argv[0], *(argv or [])])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    return app


def no_feature_scan() -> bool:
    """Stop PySide6 reading the source of every module imported after it; True if done.

    PySide6 replaces ``__import__`` and, after each import, reads the new module's whole
    source (``inspect.getsource``) for the text "PySide6", to give the module a default
    for its opt-in features (``from __feature__ import snake_case, true_property``): 0,
    no feature, for a module that names PySide6, else -1, "ignore this module". This
    application selects no feature anywhere, so 0 is the right answer for every module
    and reading the sources decides nothing: the hook is answered without them. That
    read cost 0.06 s of the window's 0.29 s of imports at start (the window's modules,
    numpy, shapely: 260 modules; medians of 12 paired runs), and more again for Arrow
    and the readers when the first file opens.

    The hook is PySide6's own (``__feature__._mod_uses_pyside``, the same module as
    ``shibokensupport.feature``), not public: when a release names it otherwise, nothing
    is changed and the scan runs as before.
    """
    feature = sys.modules.get("__feature__")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_pyside  # type: ignore[attr-defined]
    return True


def _uses_pyside(module: object) -> bool:
    """Every module "uses PySide6": its feature default is 0, no feature."""
    return True


__all__ = [
    "APP",
    "ORG",
    "configure_environment",
    "environment_problem",
    "make_application",
    "no_feature_scan",
]
