"""Suite-wide test set-up: headless Qt, isolated settings, warnings as errors.

The environment variables must be set before any Qt module is imported, which is
why they live here at the top of the root conftest.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Chromium refuses to run its sandbox as root; only then, and only in tests, turn it off.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
