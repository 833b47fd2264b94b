"""Map snapshots: exact print sizes, a real map underneath, overlays, limits, regions.

Each size is rendered once per module (rendering is the slow part) and inspected by
several tests. Pixels are read back from the images; expected positions come from the
result's :class:`MapFrame`, whose projection is checked against the page's own.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from explorer.core.chips import ChipCatalogue
from explorer.core.schema import HardwareLine, Site
from explorer.geo.region_store import RegionEntry
from explorer.geo.regions import GEOD, CircleRegion, rectangle
from explorer.io.atomic import TEMP_PREFIX
from explorer.web import palette
from explorer.web import snapshot as snap
from explorer.web.html_export import caveat_text
from explorer.web.legend import site_legend
from explorer.web.page import COUNTRY_STYLE
from explorer.web.snapshot import (
    MAX_PIXELS,
    MAX_SIDE_PX,
    PRESETS,
    MapFrame,
    SnapshotResult,
    SnapshotSpec,
    format_distance,
    nice_length,
    run_snapshot,
    snapshot_to_file,
)
from tests.web.conftest import make_sites

pytestmark = pytest.mark.gui

METADATA = {"title": "Test sites", "as_of": "2025-12-15"}


def pixels(image: QImage) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB copy of ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buf = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=h * bpl).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def box_slice(box: tuple[float, float, float, float]) -> tuple[slice, slice]:
    x, y, w, h = box
    return slice(math.ceil(y), math.floor(y + h)), slice(math.ceil(x), math.floor(x + w))


def render(
    spec: SnapshotSpec, catalogue: ChipCatalogue, basemap: Path, **kw: Any
) -> SnapshotResult:
    kw.setdefault("sites", make_sites())
    kw.setdefault("metadata", METADATA)
    return run_snapshot(spec, catalogue=catalogue, basemap_dir=basemap, keep_map_image=True, **kw)


@pytest.fixture(scope="module")
def a4_300(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> SnapshotResult:
    return render(SnapshotSpec.from_preset("a4-300", title="Big print"), catalogue, basemap_dir)


@pytest.fixture(scope="module")
def a4_150(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> SnapshotResult:
    return render(SnapshotSpec.from_preset("a4-150"), catalogue, basemap_dir)


@pytest.fixture(scope="module")
def custom(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> SnapshotResult:
    return render(SnapshotSpec(900, 650, title="Custom"), catalogue, basemap_dir)


ALL = ("a4_300", "a4_150", "custom")


# ---------------------------------------------------------------------- the spec (no Qt)
def test_presets_have_the_print_sizes() -> None:
    sizes = {k: (p.width_px, p.height_px, p.dpi) for k, p in PRESETS.items()}
    assert sizes["a4-150"] == (1754, 1240, 150)
    assert sizes["a4-300"] == (3508, 2480, 300)
    assert sizes["letter-150"] == (1650, 1275, 150)
    assert sizes["letter-300"] == (3300, 2550, 300)
    # 29.7 cm at 300 dpi is 3508 px (rounded): the presets are real paper sizes.
    assert round(29.7 / 2.54 * 300) == 3508 and round(11 * 150) == 1650
    spec = SnapshotSpec.from_preset("screen", size=(1200, 800))
    assert (spec.width_px, spec.height_px, spec.dpi) == (1200, 800, None)
    with pytest.raises(ValueError, match="needs a size"):
        SnapshotSpec.from_preset("custom")


def test_print_scale_is_dpi_over_96() -> None:
    spec = SnapshotSpec.from_preset("a4-300")
    assert spec.zoom_factor == pytest.approx(300 / 96)
    assert spec.point_px == pytest.approx(300 / 72)
    assert SnapshotSpec(800, 600).zoom_factor == 1.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SnapshotSpec(MAX_SIDE_PX + 1, 1000), "larger than the 16384 px"),
        (SnapshotSpec(12_001, 12_001), "megapixels"),
        (SnapshotSpec(100, 1000), "at least 320 px"),
        (SnapshotSpec(1000.5, 1000), "whole number"),  # type: ignore[arg-type]
        (SnapshotSpec(1000, 800, dpi=1200), "dpi must be between 72 and 480, got 1200"),
        (SnapshotSpec(1000, 800, extent=(95, 40, 90, 45)), "west < east"),
        (SnapshotSpec(1000, 800, extent=(90, 40, 95, 89)), "Web Mercator"),
        (SnapshotSpec(1000, 800, title="x" * 400), "longer than 300"),
    ],
)
def test_validate_refuses_with_a_reason(spec: SnapshotSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec.validate()


def test_limits_are_consistent() -> None:
    SnapshotSpec(MAX_SIDE_PX, MAX_PIXELS // MAX_SIDE_PX).validate()
    SnapshotSpec(12_000, 12_000).validate()
    # A0 landscape at 300 dpi (14043 x 9933) fits.
    SnapshotSpec(14043, 9933, dpi=300).validate()


def test_nice_lengths_and_labels() -> None:
    assert nice_length(734_000) == 500_000
    assert nice_length(199_999) == 100_000
    assert nice_length(200_000) == 200_000
    assert nice_length(3.7) == 2
    assert format_distance(500_000) == "500 km"
    assert format_distance(2_500) == "2.5 km"
    assert format_distance(200) == "200 m"


def test_caveat_text_counts_illustrative_and_low_confidence() -> None:
    def site(i: int, confidence: str) -> Site:
        return Site(f"s{i}", f"S{i}", 90.0, 40.0, confidence=confidence)

    assert caveat_text([site(1, "high"), site(2, "medium")]) == ""
    assert caveat_text([site(1, "illustrative"), site(2, "high")]) == (
        "Caveat: 1 of the 2 sites shown is illustrative (not reported projects); "
        "positions and figures are not evidence."
    )
    assert "all 3 sites shown are illustrative" in caveat_text(
        [site(i, "illustrative") for i in range(3)]
    )
    text = caveat_text([site(1, "illustrative"), site(2, "low"), site(3, "low")])
    assert "1 of the 3 sites shown is illustrative" in text and "2 have low confidence" in text
    assert "1 of the 2 sites shown has low confidence" in caveat_text(
        [site(1, "low"), site(2, "high")]
    )


def test_spec_and_scale_load_no_qt() -> None:
    # The spec is checked (and the scale maths is usable) before Qt starts.
    code = (
        "import sys\n"
        "import explorer.web.snapshot.spec, explorer.web.snapshot.scale\n"
        "from explorer.web.snapshot import SnapshotSpec, MapFrame, nice_length\n"
        "SnapshotSpec.from_preset('a4-300').validate()\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_metres_per_pixel_matches_the_geodesic() -> None:
    frame = MapFrame(zoom=6.3, pixel_origin=(0, 0), pane_pos=(0, 0), css_size=(1000, 700), scale=2)
    lat = 40.0
    n = 200  # image pixels along the parallel
    dlon = n / frame.scale * 360.0 / frame.world_px
    _, _, dist = GEOD.inv(90.0, lat, 90.0 + dlon, lat)
    # Over 200 px (~ 100 km) the geodesic and the parallel differ by far less than this.
    assert frame.metres_per_pixel(lat) * n == pytest.approx(dist, rel=1e-4)


# ---------------------------------------------------------------------- refused before work
def test_oversize_is_refused_before_any_work(
    qapp: Any, catalogue: ChipCatalogue, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import explorer.web.view as view_module

    def no_view(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a map view was built for a refused size")

    monkeypatch.setattr(view_module, "MapView", no_view)
    before = len(QApplication.topLevelWidgets())
    started = time.perf_counter()
    with pytest.raises(ValueError, match="16384"):
        snap.render_snapshot(SnapshotSpec(20_000, 20_000), sites=make_sites())
    with pytest.raises(ValueError, match="megapixels"):
        snapshot_to_file(tmp_path / "big.png", SnapshotSpec(16_000, 16_000), sites=make_sites())
    with pytest.raises(ValueError, match="region ids must be unique"):
        snap.render_snapshot(
            SnapshotSpec(800, 600),
            sites=make_sites(),
            regions=[
                RegionEntry("r2", rectangle("A", 90, 40, 91, 41)),
                rectangle("B", 92, 40, 93, 41),
            ],
        )
    assert time.perf_counter() - started < 1.0
    assert len(QApplication.topLevelWidgets()) == before
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_refused_before_rendering(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import explorer.web.view as view_module

    monkeypatch.setattr(view_module, "MapView", None)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        snapshot_to_file(tmp_path / "nope" / "map.png", SnapshotSpec(800, 600), sites=make_sites())


# ---------------------------------------------------------------------- exact sizes
@pytest.mark.parametrize(
    ("name", "size"), [("a4_300", (3508, 2480)), ("a4_150", (1754, 1240)), ("custom", (900, 650))]
)
def test_png_has_exactly_the_requested_size(
    request: pytest.FixtureRequest, name: str, size: tuple[int, int]
) -> None:
    result: SnapshotResult = request.getfixturevalue(name)
    assert (result.image.width(), result.image.height()) == size
    assert (result.map_image.width(), result.map_image.height()) == size
    # Rendered at print scale, not upscaled: the page ran at dpi / 96 device px per CSS px.
    assert result.frame.scale == pytest.approx(result.spec.zoom_factor)
    assert result.frame.css_size[0] * result.frame.scale == pytest.approx(size[0], abs=4)


def test_written_png_has_size_and_print_resolution(
    qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "map.png"
    spec = SnapshotSpec(700, 500, dpi=150)
    result = snapshot_to_file(
        out, spec, sites=make_sites(), catalogue=catalogue, basemap_dir=basemap_dir
    )
    image = QImage(str(out))
    assert (image.width(), image.height()) == (700, 500)
    assert image.dotsPerMeterX() == round(150 / 0.0254)
    assert result.image.size() == image.size()
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # no temporary left
    assert not any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())


# ---------------------------------------------------------------------- the map is in it
@pytest.mark.parametrize("name", ALL)
def test_the_map_is_drawn_not_blank(request: pytest.FixtureRequest, name: str) -> None:
    result: SnapshotResult = request.getfixturevalue(name)
    px = pixels(result.map_image).astype(float)
    assert px.std() > 8  # not a flat image
    land = hex_rgb(COUNTRY_STYLE["fillColor"])
    near_land = np.abs(px - land).max(axis=2) <= 6
    assert near_land.mean() > 0.05, "the basemap's land colour is missing"


@pytest.mark.parametrize("name", ALL)
def test_markers_are_where_the_sites_are(request: pytest.FixtureRequest, name: str) -> None:
    result: SnapshotResult = request.getfixturevalue(name)
    px = pixels(result.image).astype(int)
    colours = {}
    for sid in ("a-urumqi", "b-hami"):
        site = next(s for s in make_sites() if s.id == sid)
        x, y = result.frame.to_image(site.lon, site.lat)
        assert sid in result.shown_site_ids
        colours[sid] = px[round(y), round(x)]
    r, g, b = colours["a-urumqi"]  # H100: licence-restricted, red
    assert r > 150 and g < 110 and b < 110, colours
    r, g, b = colours["b-hami"]  # Ascend 910B: not restricted, blue
    assert b > 130 and r < 110, colours


def test_projection_agrees_with_the_page(a4_150: SnapshotResult) -> None:
    # Leaflet's own layer point for a site, read back through the result's frame.
    frame = a4_150.frame
    x, y = frame.to_image(87.6, 43.8)
    assert 0 < x < a4_150.image.width() and 0 < y < a4_150.image.height()
    assert frame.latitude_at(y) == pytest.approx(43.8, abs=0.05)


def test_many_points_project_as_one_at_a_time_does() -> None:
    # The vectorised projection (which markers are in view, where the legend hides the
    # fewest) gives the same image pixels as the per-point one, poles clipped alike.
    from explorer.web.snapshot.scale import MapFrame

    rng = np.random.default_rng(3)
    frame = MapFrame(
        zoom=5.37, pixel_origin=(23_561.0, 12_033.0), pane_pos=(-3.0, 7.0),
        css_size=(1200.0, 800.0), scale=1.5625,
    )  # fmt: skip
    lon = np.concatenate([rng.uniform(-180, 180, 5000), [0.0, 87.6, -180.0, 180.0]])
    lat = np.concatenate([rng.uniform(-89.9, 89.9, 5000), [90.0, 43.8, -90.0, 85.06]])
    xs, ys = frame.to_image_many(lon, lat)
    one = [frame.to_image(a, b) for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]
    assert xs.tolist() == [p[0] for p in one]
    assert ys.tolist() == [p[1] for p in one]


def test_all_sites_fitted_clear_of_title_and_footer(a4_150: SnapshotResult) -> None:
    layout = a4_150.layout
    assert set(a4_150.shown_site_ids) == {s.id for s in make_sites()}
    title_bottom = layout.title[1] + layout.title[3]
    footer_top = layout.footer[1]
    for s in make_sites():
        x, y = a4_150.frame.to_image(s.lon, s.lat)
        assert title_bottom < y < footer_top, s.id


# ---------------------------------------------------------------------- overlays
@pytest.mark.parametrize("name", ALL)
def test_overlays_are_drawn_over_the_map(request: pytest.FixtureRequest, name: str) -> None:
    result: SnapshotResult = request.getfixturevalue(name)
    after, before = pixels(result.image).astype(float), pixels(result.map_image).astype(float)
    layout = result.layout
    for box in (layout.title, layout.legend, layout.scale_bar, layout.north_arrow, layout.footer):
        assert box is not None
        sl = box_slice(box)
        assert np.abs(after[sl] - before[sl]).mean() > 10, box
    # Elsewhere the map is untouched: a site's marker pixel is the same in both.
    site = make_sites()[0]
    x, y = result.frame.to_image(site.lon, site.lat)
    assert (after[round(y), round(x)] == before[round(y), round(x)]).all()


def test_overlays_have_print_size(a4_300: SnapshotResult, a4_150: SnapshotResult) -> None:
    # Twice the dpi, twice the pixels: the same size on paper.
    t300, t150 = a4_300.layout.title, a4_150.layout.title
    assert t300[3] == pytest.approx(2 * t150[3], rel=0.08)
    f300, f150 = a4_300.layout.footer, a4_150.layout.footer
    assert f300[3] == pytest.approx(2 * f150[3], rel=0.08)


def test_legend_shows_what_the_page_draws(a4_150: SnapshotResult) -> None:
    rows = {r.text: r for r in a4_150.legend_rows}
    assert rows["Has chips needing a US export licence"].color == "#c62828"
    assert rows["No licence-restricted chips"].color == "#1f5fa8"
    assert rows["Dashed outline: illustrative site"].dashed
    # Each swatch really is in the legend box, in its colour.
    px = pixels(a4_150.image).astype(float)
    sl = box_slice(a4_150.layout.legend)
    box = px[sl].reshape(-1, 3)
    for color in ("#c62828", "#1f5fa8"):
        assert (np.abs(box - hex_rgb(color)).max(axis=1) < 12).sum() > 20, color


def test_size_key_shows_markers_as_drawn(a4_150: SnapshotResult) -> None:
    # make_sites(): 2,000, 5,000 and 1,000 chips in view (and one site without chips).
    samples = a4_150.size_samples
    assert [c for c, _ in samples][0] == 1_000 and samples[-1][0] == 5_000
    radii = [r for _, r in samples]
    assert radii == sorted(radii) and radii[0] < radii[-1]


def test_legend_is_pythons_legend_not_read_from_the_page(
    a4_150: SnapshotResult, catalogue: ChipCatalogue
) -> None:
    # The same rows the page's legend shows (test_page_config checks the page's side).
    assert a4_150.legend_rows == site_legend(make_sites(), catalogue, "export").rows
    # The dashed swatch is outlined in the palette's illustrative outline colour.
    px = pixels(a4_150.image).astype(float)
    box = px[box_slice(a4_150.layout.legend)].reshape(-1, 3)
    assert (np.abs(box - hex_rgb(palette.ILLUSTRATIVE_OUTLINE)).max(axis=1) < 12).sum() > 5


def test_scale_bar_agrees_with_leaflets_scale(
    a4_150: SnapshotResult, a4_300: SnapshotResult
) -> None:
    for result in (a4_150, a4_300):
        frame, layout = result.frame, result.layout
        # Our bar: its length in metres over its width in pixels, at its latitude.
        x, y, w, h = layout.scale_bar
        assert layout.scale_metres / w == pytest.approx(
            frame.metres_per_pixel(layout.scale_latitude), rel=1e-9
        )
        assert frame.latitude_at(y + h / 2) == pytest.approx(layout.scale_latitude)
        # Leaflet's control measures at the map's vertical centre with a spherical
        # haversine (R = 6371 km) and rounds its width to a whole CSS pixel.
        ls = result.leaflet_scale
        value, unit = ls["text"].split()
        metres = float(value) * (1000 if unit == "km" else 1)
        leaflet_mpp = metres / ls["width_css"] / frame.scale
        centre_lat = frame.latitude_at(frame.css_size[1] * frame.scale / 2)
        assert frame.metres_per_pixel(centre_lat) == pytest.approx(leaflet_mpp, rel=0.015)


def test_caveat_follows_the_sites_shown(
    a4_150: SnapshotResult, qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    # make_sites() has one illustrative site (Kashgar): the caveat says so.
    assert a4_150.caveat.startswith("Caveat: 1 of the 4 sites shown is illustrative")
    # Only reported, high-confidence sites: no caveat line, a smaller footer.
    solid = [
        Site("x1", "Solid A", 93.5, 42.8, hardware=(HardwareLine("H100", 500),), confidence="high"),
        Site("x2", "Solid B", 94.0, 43.0, hardware=(HardwareLine("H100", 900),), confidence="high"),
    ]
    result = render(SnapshotSpec.from_preset("a4-150"), catalogue, basemap_dir, sites=solid)
    assert result.caveat == ""
    assert result.layout.footer[3] < a4_150.layout.footer[3]


def test_explicit_extent_is_shown_edge_to_edge(
    qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    extent = (85.0, 38.0, 95.0, 45.0)
    result = render(SnapshotSpec(1000, 700, extent=extent), catalogue, basemap_dir)
    x0, y0 = result.frame.to_image(extent[0], extent[3])
    x1, y1 = result.frame.to_image(extent[2], extent[1])
    assert -1 <= x0 and x1 <= 1001 and -1 <= y0 and y1 <= 701  # all of it is in view
    # ...and it fills one dimension exactly (fractional zoom, no padding).
    assert min(x0, y0) == pytest.approx(0, abs=2) or max(x1 - 1000, y1 - 700) == pytest.approx(
        0, abs=2
    )
    assert not float(result.frame.zoom).is_integer()


def test_model_colour_mode_legend(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> None:
    result = render(SnapshotSpec(900, 650), catalogue, basemap_dir, color_mode="model")
    texts = [r.text for r in result.legend_rows]
    assert result.legend_rows == site_legend(make_sites(), catalogue, "model").rows
    assert "H100 (licence required)" in texts
    assert "Ascend 910B" in texts
    assert len({r.color for r in result.legend_rows if not r.dashed}) == len(
        [r for r in result.legend_rows if not r.dashed]
    )


# ---------------------------------------------------------------------- regions
@pytest.fixture(scope="module")
def with_regions(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> Iterator[Any]:
    box = rectangle("Hami box", 92.5, 41.5, 95.5, 44.0)
    circle = CircleRegion("Golmud 150 km", 94.9, 36.4, 150_000)
    entries = [RegionEntry("r1", box), circle]
    result = render(SnapshotSpec(1200, 800), catalogue, basemap_dir, regions=entries)
    yield result, box, circle


def test_view_fits_the_regions(with_regions: Any) -> None:
    result, box, circle = with_regions
    layout = result.layout
    title_bottom = layout.title[1] + layout.title[3]
    for region in (box, circle):
        w, s, e, n = region.bounds
        x0, y0 = result.frame.to_image(w, n)
        x1, y1 = result.frame.to_image(e, s)
        assert 0 <= x0 < x1 <= 1200
        assert title_bottom <= y0 < y1 <= layout.footer[1]
    # Fitted tightly: the regions span most of the height or the width.
    w = min(b.bounds[0] for b in (box, circle))
    n = max(b.bounds[3] for b in (box, circle))
    e = max(b.bounds[2] for b in (box, circle))
    s = min(b.bounds[1] for b in (box, circle))
    x0, y0 = result.frame.to_image(w, n)
    x1, y1 = result.frame.to_image(e, s)
    assert (y1 - y0) > 0.6 * 800 or (x1 - x0) > 0.6 * 1200


def test_region_outlines_are_drawn_and_in_the_legend(with_regions: Any) -> None:
    result, box, _ = with_regions
    px = pixels(result.map_image).astype(float)
    # Middle of the rectangle's west edge, in the page's region colour (#7b1fa2).
    x, y0 = result.frame.to_image(92.5, 44.0)
    _, y1 = result.frame.to_image(92.5, 41.5)
    y = round((y0 + y1) / 2)
    strip = px[y, max(0, round(x) - 4) : round(x) + 5]
    purple = hex_rgb("#7b1fa2")
    assert (np.abs(strip - purple).max(axis=1) < 40).any(), strip
    assert result.layout.legend is not None
    # The legend says what the outline is.
    legend = pixels(result.image).astype(float)[box_slice(result.layout.legend)].reshape(-1, 3)
    assert (np.abs(legend - purple).max(axis=1) < 40).sum() > 10


# ---------------------------------------------------------------------- the date and ranges
def dated_sites() -> list[Site]:
    """Three sites whose totals are known by hand (catalogue: H100 and H200 restricted,
    Ascend not). As of 2025-06-30 only the H100 line is online: 2,000 chips (1,500-2,500),
    all restricted. Planned build-out: 8,000 (7,500-8,500), 3,000 (2,500-3,500)
    restricted."""

    def line(model: str, chips: int, online: str, lo: int | None = None, hi: int | None = None):
        return HardwareLine(model, chips, online=online, chips_low=lo, chips_high=hi)

    return [
        Site("a", "Urumqi dated", 87.6, 43.8, hardware=(line("H100", 2000, "2025-03", 1500, 2500),),
             confidence="high"),
        Site("b", "Hami dated", 93.5, 42.8, hardware=(line("Ascend 910B", 5000, "2026"),),
             confidence="high"),
        Site("c", "Golmud undated", 94.9, 36.4, hardware=(line("H200", 1000, ""),),
             confidence="high"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def dated_snapshot(qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path) -> SnapshotResult:
    from datetime import date

    return render(
        SnapshotSpec(1000, 700, title="Dated"),
        catalogue,
        basemap_dir,
        sites=dated_sites(),
        as_of=date(2025, 6, 30),
    )


def test_furniture_states_the_date_and_the_ranges(
    dated_snapshot: SnapshotResult, catalogue: ChipCatalogue
) -> None:
    from datetime import date

    from explorer.geo.totals import totals

    result = dated_snapshot
    # Lines are wrapped at spaces: joined with one, they give the text back.
    text = " ".join(result.layout.lines)
    assert text.startswith(
        "Dated Capacity as of 2025-06-30 (hardware lines online by then) · export rules of "
        "2025-06-30 3 of 3 sites in view: 2,000 chips (1,500–2,500), 2,000 restricted "
        "(1,500–2,500) · data as of 2025-12-15"
    ), text
    # The figures are what the totals give for the same sites on that date.
    t = totals(dated_sites(), as_of=date(2025, 6, 30), catalogue=catalogue)
    assert result.totals is not None and result.as_of == date(2025, 6, 30)
    assert (result.totals.chips, result.totals.chips_range) == (t.chips, t.chips_range)
    assert (result.totals.restricted_chips, result.totals.restricted_range) == (
        t.restricted_chips,
        t.restricted_range,
    )
    assert (t.chips, t.chips_range, t.restricted_range) == (2000, (1500, 2500), (1500, 2500))


def test_planned_build_out_says_so_with_the_rules_date(
    qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path
) -> None:
    from datetime import date

    result = render(
        SnapshotSpec(1000, 700, title="Planned"),
        catalogue,
        basemap_dir,
        sites=dated_sites(),
        today=date(2026, 1, 5),
    )
    assert result.as_of is None
    assert " ".join(result.layout.lines).startswith(
        "Planned Planned build-out (every hardware line not cancelled) · export rules of "
        "2026-01-05 3 of 3 sites in view: 8,000 chips (7,500–8,500), 3,000 restricted "
        "(2,500–3,500) · data as of 2025-12-15"
    )
    # Only what is in view is totalled: a fixed extent around Hami shows one site.
    only_hami = render(
        SnapshotSpec(800, 600, title="Hami", extent=(92.0, 42.0, 95.0, 44.0)),
        catalogue,
        basemap_dir,
        sites=dated_sites(),
        today=date(2026, 1, 5),
    )
    assert only_hami.shown_site_ids == ("b",)
    assert "1 of 3 sites in view: 5,000 chips, 0 restricted · data" in " ".join(
        only_hami.layout.lines
    )


# ---------------------------------------------------------------------- large and failing pages
def test_too_many_regions_are_refused_before_any_work(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import explorer.web.view as view_module
    from explorer.web.protocol import MAX_SNAPSHOT_REGIONS

    def no_view(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a map view was built for refused regions")

    monkeypatch.setattr(view_module, "MapView", no_view)
    regions = [
        CircleRegion(f"R{i}", 80 + (i % 50) * 0.4, 35 + (i // 50) * 0.4, 5_000)
        for i in range(MAX_SNAPSHOT_REGIONS + 1)
    ]
    started = time.perf_counter()
    with pytest.raises(ValueError, match="1,001 regions are more than the 1,000 a map snapshot"):
        snap.render_snapshot(SnapshotSpec(800, 600), sites=make_sites(), regions=regions)
    assert time.perf_counter() - started < 1.0
    snap.check_drawable(regions[:-1])  # the limit itself is drawn


def test_a_page_error_ends_the_job_in_one_line_without_the_script(
    qapp: Any,
    catalogue: ChipCatalogue,
    basemap_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from explorer.web.snapshot import SnapshotError
    from explorer.web.snapshot import job as job_module

    monkeypatch.setattr(
        job_module, "_PREPARE_JS", "(function (cfg) { throw new Error('boom'); })(%s)"
    )
    with caplog.at_level("DEBUG"), pytest.raises(SnapshotError) as failed:
        render(SnapshotSpec(800, 600), catalogue, basemap_dir)
    assert str(failed.value) == "the map page failed while fitting the view (Error: boom)"
    assert not [r for r in caplog.records if "function" in r.getMessage()]


def test_the_safety_timeout_names_the_stage_and_the_work(
    qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from explorer.web.snapshot import SnapshotError
    from explorer.web.snapshot import job as job_module

    monkeypatch.setattr(job_module, "_safety_budget_ms", lambda *_a: 1)
    # The job's clock, stepped by hand: the seconds in the message are the job's own
    # measure, not how long this machine took to show the page and fire the timer
    # (that was 0 s only when the machine was idle enough).
    readings = iter((100.0, 102.4))

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return next(readings)

    monkeypatch.setattr(job_module, "time", Clock)
    with pytest.raises(SnapshotError) as failed:
        render(
            SnapshotSpec(900, 650), catalogue, basemap_dir, regions=[rectangle("A", 90, 40, 91, 41)]
        )
    assert str(failed.value) == (
        "the map page was still loading the map after 2 s (4 sites, 1 region, 900 × 650 px)"
    )
    assert "smaller size" not in str(failed.value)


def test_a_frame_late_to_reach_the_widget_is_waited_for(
    qapp: Any, catalogue: ChipCatalogue, basemap_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heavy page's frame can take longer than one wait to reach the widget: the job
    waits again instead of failing ("try a smaller size", as it did)."""
    from explorer.web.view import MapView

    real = MapView.shows_seq
    calls: list[bool] = []

    def late(self: MapView, seq: int) -> bool:
        calls.append(True)
        return len(calls) > 2 and real(self, seq)

    monkeypatch.setattr(MapView, "shows_seq", late)
    result = render(SnapshotSpec(800, 600), catalogue, basemap_dir)
    assert len(calls) >= 3
    assert result.image.width() == 800 and set(result.shown_site_ids) == {
        s.id for s in make_sites()
    }


def test_size_legend_asks_for_three_markers_and_believes_the_page() -> None:
    from explorer.web.snapshot.job import _drawn_sizes, _size_candidates

    figures = {"a": 100, "b": 10_000, "c": 1_000, "d": 50}
    # Fewest, nearest the geometric mean (707), most: three markers, whatever the count.
    assert _size_candidates(figures) == ["d", "c", "b"]
    assert _size_candidates({}) == []
    # A page that says what a marker is sized by (a site with nothing online yet is drawn
    # at its planned chips) is believed; one that does not gets the figure worked out here.
    markers = {
        "b": {"radius": 20, "chips": 0, "planned": 12_000, "state": "pending"},
        "d": {"radius": 3},
        "c": {"radius": 6, "chips": 1_000, "drawn": False},  # drawn in a group: no size
        "x": {"radius": 9, "chips": 5},  # not a shown marker: ignored
    }
    assert _drawn_sizes(figures, {"markers": markers}) == [(12_000, 20.0), (50, 3.0)]
    # A page that lists what it drew (id -> [chips, radius]) is read for the shown sites.
    drawn = {"b": [9_000, 18.5], "d": [50, 3], "x": [7, 2]}
    assert sorted(_drawn_sizes(figures, {"drawn": drawn})) == [(50, 3.0), (9_000, 18.5)]
    assert _drawn_sizes(figures, None) == []
