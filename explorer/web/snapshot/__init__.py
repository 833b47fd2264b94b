"""Map snapshots at print size: an offscreen map page, grabbed when rendered, then overlays.

- :mod:`~explorer.web.snapshot.spec` — what is asked for: :class:`SnapshotSpec`, the
  presets, the size limits and the most regions drawn (no Qt)
- :mod:`~explorer.web.snapshot.scale` — :class:`MapFrame` (Leaflet's view as numbers),
  ground scale and the scale bar's length (no Qt)
- :mod:`~explorer.web.snapshot.furniture` — title, legend, scale bar, north arrow,
  caveat and attribution painted with QPainter, and where they go
- :mod:`~explorer.web.snapshot.job` — :class:`SnapshotJob`, :func:`render_snapshot`,
  :func:`run_snapshot`, :func:`snapshot_to_file`
- :mod:`~explorer.web.snapshot.png` — :func:`png_bytes`, :func:`save_png`

Everything public is importable from here. The Qt-free parts (``spec``, ``scale``) are
imported at once; the Qt parts on first use, so ``from explorer.web.snapshot import
SnapshotSpec`` (e.g. to check a size before starting Qt) loads no Qt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from explorer.web.legend import LegendRow
from explorer.web.snapshot.scale import MapFrame, format_distance, nice_length
from explorer.web.snapshot.spec import (
    MAX_PIXELS,
    MAX_SIDE_PX,
    MIN_SIDE_PX,
    PRESETS,
    REPORT_MAP_DPI,
    REPORT_MAP_SIZE,
    Extent,
    SnapshotPreset,
    SnapshotSpec,
    check_drawable,
    check_extent,
    report_map_spec,
)

if TYPE_CHECKING:
    from explorer.web.snapshot.furniture import Furniture, OverlayContent, OverlayLayout
    from explorer.web.snapshot.job import (
        PreparedSites,
        ProgressCallback,
        SnapshotError,
        SnapshotJob,
        SnapshotResult,
        prepare_sites,
        render_snapshot,
        run_snapshot,
        snapshot_to_file,
    )
    from explorer.web.snapshot.png import png_bytes, save_png

#: Names that need Qt, and the submodule that defines each (imported on first use).
_QT_NAMES = {
    "Furniture": "furniture",
    "OverlayContent": "furniture",
    "OverlayLayout": "furniture",
    "PreparedSites": "job",
    "ProgressCallback": "job",
    "SnapshotError": "job",
    "SnapshotJob": "job",
    "SnapshotResult": "job",
    "prepare_sites": "job",
    "render_snapshot": "job",
    "run_snapshot": "job",
    "snapshot_to_file": "job",
    "png_bytes": "png",
    "save_png": "png",
}


def __getattr__(name: str) -> Any:
    module = _QT_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE_PX",
    "MIN_SIDE_PX",
    "PRESETS",
    "REPORT_MAP_DPI",
    "REPORT_MAP_SIZE",
    "Extent",
    "Furniture",
    "LegendRow",
    "MapFrame",
    "OverlayContent",
    "PreparedSites",
    "OverlayLayout",
    "ProgressCallback",
    "SnapshotError",
    "SnapshotJob",
    "SnapshotPreset",
    "SnapshotResult",
    "SnapshotSpec",
    "check_drawable",
    "check_extent",
    "format_distance",
    "nice_length",
    "png_bytes",
    "prepare_sites",
    "render_snapshot",
    "report_map_spec",
    "run_snapshot",
    "save_png",
    "snapshot_to_file",
]
