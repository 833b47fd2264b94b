"""JSON for the map page: strict, compact, no NaN.

Qt-free. What the page is told about sites is built by :mod:`explorer.web.site_columns`
(columns counted on a date); this module only turns values into the JSON text that
crosses the QWebChannel or is embedded in an exported page.
"""

from __future__ import annotations

import json
from typing import Any


def to_json(value: Any) -> str:
    """Strict JSON for the page: no NaN/Infinity, UTF-8 kept as is."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


__all__ = ["to_json"]
