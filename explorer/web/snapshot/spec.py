"""What a snapshot is asked for: size, print resolution, title, extent; presets and limits.

Qt-free: a spec is built and checked (:meth:`SnapshotSpec.validate`) before anything
is rendered, so a refused size costs nothing.

How print size is reached (not by upscaling)
--------------------------------------------
A CSS pixel is defined as 1/96 inch, and every size on the map page (label fonts,
line widths, marker radii, the controls) is in CSS pixels. So the page is rendered
with QtWebEngine's zoom factor ``dpi / 96``: the widget is exactly the requested number
of device pixels, the page lays out in ``width * 96 / dpi`` CSS pixels, and Chromium
rasterises text and vectors directly at the output resolution. An A4 sheet at 300 dpi
(3508 x 2480 px) is laid out as a 1123 x 794 CSS-px page, i.e. the map looks on paper
exactly as it looks on a 96-dpi screen of A4 size: 11 px labels print at about 8 pt.
(Half the CSS size with a zoom factor of 2 would print those labels at about 5 pt,
too small to read; zoom factor 1 at 300 dpi would print them at 2.6 pt.) Leaflet's
``zoomSnap`` is set to 0 in the snapshot page so the view fits an extent exactly,
with a fractional zoom. Overlays are sized in points and drawn at ``dpi / 72`` device
pixels per point; without a ``dpi`` (screen and custom pixel sizes) 96 dpi is assumed.

Size limits (checked by :meth:`SnapshotSpec.validate` before anything starts)
----------------------------------------------------------------------------
Measured here (software rendering, offscreen): 16384 x 16384 px renders correctly in
about 5 s (the Python process peaks at 5.7 GB); at 20000 x 20000 px the frame no
longer reaches the widget within :data:`~explorer.web.view.PRESENT_TIMEOUT_MS` (so a
stale frame would be grabbed) and the process needs 8.3 GB. Hence at most
:data:`MAX_SIDE_PX` a side (also the usual maximum texture size of GPUs, which the
hardware-accelerated compositor cannot exceed) and at most :data:`MAX_PIXELS` in all
(12,000 x 12,000, about 3.3 GB measured; an A0 sheet at 300 dpi fits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from explorer.geo.regions import MERCATOR_MAX_LAT
from explorer.web.protocol import MAX_SNAPSHOT_REGIONS

#: Largest width or height accepted (see the module docstring).
MAX_SIDE_PX = 16384
#: Largest width x height accepted (see the module docstring).
MAX_PIXELS = 144_000_000
#: Smallest width or height: the title, legend and scale bar need room.
MIN_SIDE_PX = 320
#: Resolutions accepted; QtWebEngine's zoom factor (dpi / 96) must stay within 0.25..5.
MIN_DPI, MAX_DPI = 72, 480
#: CSS reference resolution: one CSS pixel is 1/96 inch.
CSS_DPI = 96
#: Longest title accepted.
MAX_TITLE = 300


@dataclass(frozen=True)
class SnapshotPreset:
    """A named output size (``width_px``/``height_px`` 0 for "the current view")."""

    key: str
    label: str
    width_px: int
    height_px: int
    dpi: int | None


#: Output sizes offered by the export dialog, in menu order.
PRESETS: dict[str, SnapshotPreset] = {
    p.key: p
    for p in (
        SnapshotPreset("screen", "Screen (current view size)", 0, 0, None),
        SnapshotPreset("a4-150", "A4 landscape, 150 dpi (1754 × 1240)", 1754, 1240, 150),
        SnapshotPreset("a4-300", "A4 landscape, 300 dpi (3508 × 2480)", 3508, 2480, 300),
        SnapshotPreset("letter-150", "Letter landscape, 150 dpi (1650 × 1275)", 1650, 1275, 150),
        SnapshotPreset("letter-300", "Letter landscape, 300 dpi (3300 × 2550)", 3300, 2550, 300),
        SnapshotPreset("custom", "Custom size", 0, 0, None),
    )
}

Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class SnapshotSpec:
    """What to render: pixel size, title, extent and print resolution.

    Parameters
    ----------
    width_px, height_px : int
        Exact size of the PNG, in pixels.
    title : str
        Printed at the top left; empty: the data's own title (metadata ``title``).
    extent : (west, south, east, north) or None
        Degrees to show (all of it, fitted exactly with a fractional zoom). ``None``
        fits the regions if any, else the sites.
    dpi : int or None
        Print resolution: the page is laid out at ``dpi / 96`` device pixels per CSS
        pixel and overlays at ``dpi / 72`` per point. ``None``: screen scale (96).
    legend : bool
        Draw the legend box (title, scale bar and footer are always drawn).
    """

    width_px: int
    height_px: int
    title: str = ""
    extent: Extent | None = None
    dpi: int | None = None
    legend: bool = True

    @classmethod
    def from_preset(
        cls,
        key: str,
        *,
        title: str = "",
        extent: Extent | None = None,
        size: tuple[int, int] | None = None,
        legend: bool = True,
    ) -> SnapshotSpec:
        """A spec for one of :data:`PRESETS`.

        ``size`` is required for ``"screen"`` (the current view's size) and
        ``"custom"``, and ignored otherwise.
        """
        if key not in PRESETS:
            raise ValueError(f"snapshot preset must be one of {', '.join(PRESETS)}, got {key!r}")
        preset = PRESETS[key]
        if preset.width_px:
            w, h = preset.width_px, preset.height_px
        elif size is None:
            raise ValueError(f"snapshot preset {key!r} needs a size (width, height)")
        else:
            w, h = size
        return cls(w, h, title=title, extent=extent, dpi=preset.dpi, legend=legend)

    # ------------------------------------------------------------------ derived
    @property
    def effective_dpi(self) -> float:
        """``dpi``, or 96 (screen scale) when none was given."""
        return float(self.dpi) if self.dpi is not None else float(CSS_DPI)

    @property
    def zoom_factor(self) -> float:
        """Device pixels per CSS pixel for the page (``dpi / 96``)."""
        return self.effective_dpi / CSS_DPI

    @property
    def point_px(self) -> float:
        """Device pixels per typographic point for the overlays (``dpi / 72``)."""
        return self.effective_dpi / 72.0

    def validate(self) -> None:
        """Refuse what cannot be rendered, before any work starts.

        Raises
        ------
        ValueError
            One line quoting the bad value and the limit (see the module docstring
            for how the size limits were measured).
        """
        for name, value in (("width", self.width_px), ("height", self.height_px)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"snapshot {name} must be a whole number of pixels, got {value!r}")
            if value < MIN_SIDE_PX:
                raise ValueError(
                    f"snapshot {name} must be at least {MIN_SIDE_PX} px (room for the title, "
                    f"legend and scale bar), got {value}"
                )
            if value > MAX_SIDE_PX:
                raise ValueError(
                    f"snapshot {name} {value} px is larger than the {MAX_SIDE_PX} px the map "
                    "engine can render (its maximum texture size)"
                )
        pixels = self.width_px * self.height_px
        if pixels > MAX_PIXELS:
            raise ValueError(
                f"snapshot {self.width_px} × {self.height_px} px is {pixels / 1e6:.0f} "
                f"megapixels; at most {MAX_PIXELS / 1e6:.0f} megapixels can be rendered "
                "reliably (larger frames take too long to reach the screen buffer and "
                "need several GB of memory)"
            )
        if self.dpi is not None:
            if isinstance(self.dpi, bool) or not isinstance(self.dpi, int):
                raise ValueError(f"snapshot dpi must be a whole number, got {self.dpi!r}")
            if not MIN_DPI <= self.dpi <= MAX_DPI:
                raise ValueError(
                    f"snapshot dpi must be between {MIN_DPI} and {MAX_DPI}, got {self.dpi}"
                )
        if not isinstance(self.title, str):
            raise ValueError(f"snapshot title must be text, got {self.title!r}")
        if len(self.title) > MAX_TITLE:
            raise ValueError(
                f"snapshot title is longer than {MAX_TITLE} characters, got '{self.title[:40]}...'"
            )
        if self.extent is not None:
            check_extent(self.extent)


#: The map in a PDF report: the report's text width (480 pt: A4 less its margins) at
#: 300 dpi, so the furniture prints at its own point size; 3:2 leaves room for the
#: first region's table on the report's first page.
REPORT_MAP_SIZE = (2000, 1333)
REPORT_MAP_DPI = 300


def report_map_spec(*, with_regions: bool) -> SnapshotSpec:
    """The snapshot a PDF report shows (regions fitted when there are any)."""
    title = "Regions in this report" if with_regions else "Sites in this report"
    return SnapshotSpec(*REPORT_MAP_SIZE, title=title, dpi=REPORT_MAP_DPI)


def check_drawable(regions: Sequence[Any]) -> None:
    """Refuse, before any work, what the map page cannot draw in a snapshot.

    Parameters
    ----------
    regions : sequence
        The regions to draw (any kind: only their number is checked).

    Raises
    ------
    ValueError
        More regions than :data:`~explorer.web.protocol.MAX_SNAPSHOT_REGIONS`.
    """
    if len(regions) > MAX_SNAPSHOT_REGIONS:
        raise ValueError(
            f"{len(regions):,} regions are more than the {MAX_SNAPSHOT_REGIONS:,} a map "
            "snapshot draws (each is an outline with a name label that the page lays out "
            "again to fit the view); draw a selection of them"
        )


def check_extent(extent: Any) -> Extent:
    """``extent`` as a float ``(west, south, east, north)`` box, or ValueError."""
    try:
        w, s, e, n = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise ValueError(
            f"extent must be (west, south, east, north) in degrees, got {extent!r}"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise ValueError(f"extent must be finite degrees, got {extent!r}")
    if not (-180 <= w < e <= 180):
        raise ValueError(f"extent needs -180 <= west < east <= 180, got {extent!r}")
    if not (-MERCATOR_MAX_LAT <= s < n <= MERCATOR_MAX_LAT):
        raise ValueError(
            f"extent needs {-MERCATOR_MAX_LAT:.4f} <= south < north <= {MERCATOR_MAX_LAT:.4f} "
            f"(the Web Mercator map's limits), got {extent!r}"
        )
    return w, s, e, n


__all__ = [
    "CSS_DPI",
    "MAX_DPI",
    "MAX_PIXELS",
    "MAX_SIDE_PX",
    "MAX_TITLE",
    "MIN_DPI",
    "MIN_SIDE_PX",
    "PRESETS",
    "REPORT_MAP_DPI",
    "REPORT_MAP_SIZE",
    "Extent",
    "SnapshotPreset",
    "SnapshotSpec",
    "check_drawable",
    "check_extent",
    "report_map_spec",
]
