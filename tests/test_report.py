"""The PDF region report: figures equal `totals()`, literal text, CJK, sources, atomic write."""

from __future__ import annotations

import os
import re
import struct
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdf
import pytest

from explorer import DEMO_SITES
from explorer.cli import run_cli
from explorer.core.schema import HardwareLine, Site, Source
from explorer.geo.regions import CircleRegion, Region, rectangle
from explorer.geo.totals import PowerFactors, Totals, totals, union_totals
from explorer.io import report
from explorer.io.atomic import TEMP_PREFIX
from explorer.io.exports import export_regions
from explorer.io.formats import read_sites, write_sites
from explorer.io.report import ReportInfo, build_report, fmt_dec, fmt_int
from explorer.io.report import document as report_document
from explorer.io.report import fonts as report_fonts

BLOOMBERG = (
    "Bloomberg News (Andy Lin, Mackenzie Hawkins, Colum Murphy, James Mayger): China Wants "
    "115,000 Nvidia Chips to Power Data Centers in the Desert"
)
MARKUP_NAME = "Test <b>&</b> site"
CHINESE_NAME = "哈密算力中心"


def png_bytes(width: int = 64, height: int = 40) -> bytes:
    """A small valid RGB PNG (a gradient), built with zlib and struct only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    # Each scanline: filter byte 0, then RGB triplets.
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 6 % 256, 160)) for x in range(width))
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def demo() -> tuple[list[Site], dict]:
    """Demo sites plus two test sites inside the Hami box: mark-up and a Chinese name."""
    sf = read_sites(DEMO_SITES)
    extra = [
        Site(
            id="test-markup",
            name=MARKUP_NAME,
            lon=94.0,
            lat=43.0,
            province="Xinjiang",
            hardware=(HardwareLine("H100", 8, 1, 8, "1"),),
            confidence="low",
            sources=(Source("Notice & <i>memo</i>", "https://example.org/?a=1&b=2", "2025-01-02"),),
        ),
        Site(
            id="test-chinese",
            name=CHINESE_NAME,
            lon=95.0,
            lat=43.5,
            province="新疆",
            hardware=(HardwareLine("Ascend 910C", 16, 2, 8, "1"),),
            confidence="medium",
            sources=(Source("新华社 report", "", "2025-03"),),
        ),
    ]
    return [*sf.sites, *extra], sf.metadata


@pytest.fixture(scope="module")
def regions() -> list[Region]:
    return [
        rectangle("Hami / Yiwu box", 93.0, 42.0, 96.0, 44.5),
        CircleRegion("Xining 200 km", 101.78, 36.62, 200_000.0),
    ]


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, demo: tuple[list[Site], dict], regions: list[Region]
) -> tuple[ReportInfo, str]:
    sites, meta = demo
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    info = build_report(
        out,
        sites=sites,
        regions=regions,
        map_png=png_bytes(),
        title="Western China <AI> & GPUs",
        metadata=meta,
        generated_at="2026-01-05 12:00 UTC",
    )
    return info, pdf_text(out)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapped lines compare as one."""
    return re.sub(r"\s+", " ", text)


def section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i + len(start))]


# --------------------------------------------------------------------------- figures


def _check_figures(body: str, t: Totals) -> None:
    # Each figure is read from its own row, so a number printed in the wrong row fails.
    def value(label: str) -> str:
        m = re.search(rf"(?m)^\s*{re.escape(label)}\s*\n\s*([\d,.–]+)\s*$", body)
        assert m, f"row {label!r} not found"
        return m.group(1)

    assert value("Sites") == fmt_int(t.site_count)
    assert value("Chips") == fmt_int(t.chips)
    assert value("Restricted chips") == fmt_int(t.restricted_chips)
    assert value("H100-equivalents") == fmt_dec(t.h100e)
    assert value("IT power, MW (estimate)") == fmt_dec(t.it_power_mw)
    assert value("Facility power, MW (estimate)") == fmt_dec(t.facility_power_mw)
    for model, n in t.by_model:
        assert value(model) == fmt_int(n)


def test_each_region_shows_exactly_the_totals(
    built: tuple[ReportInfo, str], demo: tuple[list[Site], dict], regions: list[Region]
) -> None:
    info, text = built
    sites, _ = demo
    assert info.region_names == ("Hami / Yiwu box", "Xining 200 km")
    t_hami, t_xining = (totals(sites, r) for r in regions)
    # The test sites sit in the Hami box and add a non-restricted model there.
    assert t_hami.restricted_chips < t_hami.chips
    assert t_xining.site_count > 0
    _check_figures(section(text, "1. Hami / Yiwu box", "Sites inside"), t_hami)
    _check_figures(section(text, "2. Xining 200 km", "Sites inside"), t_xining)
    assert "Rectangle, lon 93° E to 96° E, lat 42° N to 44.5° N" in text
    assert "Geodesic circle, radius 200 km, centre 101.8° E, 36.62° N" in text


def test_numbers_are_what_explorer_totals_prints(
    tmp_path: Path,
    built: tuple[ReportInfo, str],
    demo: tuple[list[Site], dict],
    regions: list[Region],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sites, meta = demo
    write_sites(tmp_path / "sites.geojson", sites, meta)
    export_regions(tmp_path / "regions.geojson", regions)
    assert (
        run_cli(
            [
                "totals",
                str(tmp_path / "sites.geojson"),
                "--regions",
                str(tmp_path / "regions.geojson"),
            ]
        )
        == 0
    )
    cli = capsys.readouterr().out
    _, text = built
    for r in regions:
        row = next(line for line in cli.splitlines() if line.startswith(r.name))
        for cell in row[len(r.name) :].split():  # sites, chips, restricted, H100e, IT, facility
            assert cell in text, f"{cell} from `explorer totals` is missing from the report"


def test_union_row_counts_each_site_once(
    built: tuple[ReportInfo, str], demo: tuple[list[Site], dict], regions: list[Region]
) -> None:
    _, text = built
    sites, _ = demo
    u = union_totals(sites, regions)
    part = section(text, "Union of all regions", "Sources")
    row = re.search(r"Union of all regions\s*\n((?:\s*[\d,.]+\s*\n?){6})", part[1:])
    assert row, part
    cells = row.group(1).split()
    assert cells == [
        fmt_int(u.site_count),
        fmt_int(u.chips),
        fmt_int(u.restricted_chips),
        fmt_dec(u.h100e),
        fmt_dec(u.it_power_mw),
        fmt_dec(u.facility_power_mw),
    ]


def test_chip_counts_are_exact_integers(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, meta = demo
    demo_only = [s for s in sites if not s.id.startswith("test-")]
    out = tmp_path / "all.pdf"
    info = build_report(out, sites=demo_only, regions=[], map_png=None, title="All", metadata=meta)
    text = pdf_text(out)
    assert info.region_names == ()
    assert "All sites" in text
    _check_figures(section(text, "All sites", "Sites inside"), totals(demo_only))
    assert "119,736" in text  # the scenario's total, never abbreviated to "120k"


# --------------------------------------------------------------------------- text


def test_site_lists_cite_numbered_sources(built: tuple[ReportInfo, str]) -> None:
    info, text = built
    sources = flat(text[text.rindex("Sources") : text.rindex("Assumptions")])
    entries = re.findall(r"\[(\d+)\]", sources)
    assert entries == [str(n) for n in range(1, info.source_count + 1)]
    assert BLOOMBERG in sources
    assert "Illustrative scenario (not reported)" in sources
    # Deduplicated by (title, url, date): the Bloomberg report is listed once.
    assert sources.count("China Wants 115,000 Nvidia Chips") == 1
    n_bloomberg = sources[: sources.index(BLOOMBERG)].rsplit("[", 1)[1].split("]")[0]
    hami = section(text, "Sites inside", "2. Xining")
    assert f"[{n_bloomberg}]" in hami


def test_user_text_prints_literally(built: tuple[ReportInfo, str]) -> None:
    _, text = built
    assert MARKUP_NAME in text
    assert "Western China <AI> & GPUs" in flat(text)
    assert "Notice & <i>memo</i>" in text
    assert "https://example.org/?a=1&b=2" in text


def test_chinese_names_are_extractable(built: tuple[ReportInfo, str]) -> None:
    _, text = built
    assert CHINESE_NAME in text
    assert "新华社 report" in text
    assert "新疆" in text


def test_caveat_counts_illustrative_and_low_confidence(
    built: tuple[ReportInfo, str], demo: tuple[list[Site], dict], regions: list[Region]
) -> None:
    _, text = built
    sites, _ = demo
    ids = set(union_totals(sites, regions).site_ids)
    inside = [s for s in sites if s.id in ids]
    ill = sum(s.is_illustrative for s in inside)
    low = sum(s.confidence == "low" for s in inside)
    assert ill and low
    caveat = flat(section(text, "Caveat.", "Map snapshot"))
    assert f"{ill} of the {len(inside)} sites in this report are illustrative" in caveat
    assert f"and {low} has low confidence" in caveat
    assert "Illustrative figures are not reported facts" in caveat
    assert text.index("Caveat.") < text.index("1. Hami / Yiwu box")


def test_no_caveat_for_well_sourced_sites(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, _ = demo
    solid = [replace(s, confidence="high") for s in sites[:3]]
    out = tmp_path / "solid.pdf"
    build_report(out, sites=solid, regions=[], map_png=None, title="Solid", metadata={})
    assert "Caveat" not in pdf_text(out)


def test_assumptions_list_catalogue_figures_and_factors(built: tuple[ReportInfo, str]) -> None:
    _, text = built
    part = text[text.rindex("Assumptions") :]
    h100 = re.search(
        r"(?m)^H100\s*\n\s*NVIDIA\s*\n\s*989\s*\n\s*700\s*\n\s*yes\s*\n\s*2022-08-26", part
    )
    assert h100, part[:800]
    assert re.search(r"(?m)^Ascend 910C\s*\n\s*Huawei", part)  # present in the report: listed
    assert not re.search(r"(?m)^B200\s*$", part)  # absent from the report: not listed
    flat_part = flat(part)
    assert "PUE 1.25" in flat_part
    assert "server overhead 1.8" in flat_part
    assert "÷ 989" in flat_part
    assert "https://www.nvidia.com/en-us/data-center/h100/" in flat_part  # catalogue's source
    assert "approximate" in flat_part
    assert "GeoNames (geonames.org), CC BY 4.0" in flat_part
    assert "Natural Earth" in flat_part


def test_custom_factors_flow_into_figures_and_assumptions(
    tmp_path: Path, demo: tuple[list[Site], dict], regions: list[Region]
) -> None:
    sites, meta = demo
    f = PowerFactors(server_overhead=2.0, pue=1.4)
    out = tmp_path / "f.pdf"
    build_report(
        out, sites=sites, regions=regions[:1], map_png=None, title="F", metadata=meta, factors=f
    )
    text = pdf_text(out)
    _check_figures(
        section(text, "1. Hami / Yiwu box", "Sites inside"), totals(sites, regions[0], factors=f)
    )
    assert "PUE 1.4" in flat(text) and "server overhead 2" in flat(text)
    assert "Union of all regions" not in text  # one region: no union section


def test_layout_pages_footer_outline(built: tuple[ReportInfo, str], tmp_path: Path) -> None:
    info, text = built
    reader = pypdf.PdfReader(info.path)
    assert info.pages == len(reader.pages) >= 2
    for n in range(1, info.pages + 1):
        assert re.search(rf"Page {n} of\s*{info.pages}", text)
    assert "Data as of 2025-07-14" in text
    assert "Generated 2026-01-05 12:00 UTC" in text
    # Order of the parts.
    keys = [
        "Caveat.",
        "Map snapshot",
        "1. Hami / Yiwu box",
        "2. Xining 200 km",
        "Union of all regions",
    ]
    positions = [text.index(k) for k in keys] + [text.rindex("Sources"), text.rindex("Assumptions")]
    assert positions == sorted(positions)
    # The map image is embedded once, at its own resolution.
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 1
    assert images[0].image is not None and images[0].image.size == (64, 40)
    entries: list[Any] = list(reader.outline)
    outline = [(o["/Title"], reader.get_destination_page_number(o)) for o in entries]
    titles = [t for t, _ in outline]
    assert titles[1:] == [
        "1. Hami / Yiwu box",
        "2. Xining 200 km",
        "Union of all regions",
        "Sources",
        "Assumptions",
    ]
    pages = [p for _, p in outline]
    assert None not in pages and pages == sorted(p or 0 for p in pages)
    assert reader.metadata is not None and reader.metadata.title == "Western China <AI> & GPUs"


def test_tall_map_is_shrunk_to_fit(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, meta = demo
    out = tmp_path / "tall.pdf"
    info = build_report(
        out, sites=sites[:2], regions=[], map_png=png_bytes(20, 200), title="T", metadata=meta
    )
    assert info.pages >= 1  # a map taller than the page would make reportlab fail


def test_embedded_cjk_font_when_available(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    path = next(
        (p for p in report_fonts._CJK_CANDIDATES if os.path.isfile(p)), None
    ) or os.environ.get(report.CJK_FONT_ENV)
    if not path:
        pytest.skip("no TrueType CJK font on this system")
    sites, meta = demo
    out = tmp_path / "cjk.pdf"
    build_report(
        out, sites=sites[-1:], regions=[], map_png=None, title="标题", metadata=meta, cjk_font=path
    )
    assert CHINESE_NAME in pdf_text(out)


def test_cid_fallback_without_cjk_font(
    tmp_path: Path, demo: tuple[list[Site], dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_fonts, "_CJK_CANDIDATES", ())
    monkeypatch.setattr(report_fonts, "_fc_list_cjk", lambda: [])
    monkeypatch.delenv(report.CJK_FONT_ENV, raising=False)
    report.load_fonts.cache_clear()
    try:
        fonts = report.load_fonts()
        assert fonts.cjk == report.CID_FALLBACK and not fonts.cjk_embedded
        sites, meta = demo
        out = tmp_path / "cid.pdf"
        build_report(
            out, sites=sites[-1:], regions=[], map_png=None, title="标题 & <x>", metadata=meta
        )
        text = pdf_text(out)
        assert CHINESE_NAME in text and "标题 & <x>" in text
    finally:
        report.load_fonts.cache_clear()


def test_rich_escapes_and_switches_font() -> None:
    fonts = report.load_fonts()
    out = report.rich("a<b>&c 中文 d\x07", fonts)
    assert out.startswith("a&lt;b&gt;&amp;c ")
    assert f'<font name="{fonts.cjk}">中文</font>' in out
    assert "\x07" not in out


# --------------------------------------------------------------------------- errors and atomicity


def test_failed_build_leaves_old_file_intact(
    tmp_path: Path,
    demo: tuple[list[Site], dict],
    regions: list[Region],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites, meta = demo
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF old report")

    def boom(canvas: object, page: int, *args: object) -> None:
        if page == 2:
            raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(report_document, "_footer", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        build_report(
            out, sites=sites, regions=regions, map_png=png_bytes(), title="x", metadata=meta
        )
    assert out.read_bytes() == b"%PDF old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_failed_replace_leaves_old_file_intact(
    tmp_path: Path, demo: tuple[list[Site], dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    sites, meta = demo
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF old report")

    def no_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(OSError):
        build_report(out, sites=sites, regions=[], map_png=None, title="x", metadata=meta)
    monkeypatch.undo()
    assert out.read_bytes() == b"%PDF old report"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"map_png": b"not an image"}, ValueError, "map_png is not a readable image"),
        ({"map_png": "map.png"}, TypeError, "map_png must be PNG bytes"),
        ({"title": "  "}, ValueError, "title must be non-empty"),
        ({"regions": ["Hami"]}, TypeError, r"regions\[0\] must be a Region, got str"),
        ({"metadata": None}, TypeError, "metadata must be a mapping"),
    ],
)
def test_bad_arguments_write_nothing(
    tmp_path: Path, demo: tuple[list[Site], dict], kwargs: dict, error: type, match: str
) -> None:
    sites, meta = demo
    args = {
        "sites": sites,
        "regions": [],
        "map_png": None,
        "title": "t",
        "metadata": meta,
        **kwargs,
    }
    out = tmp_path / "r.pdf"
    with pytest.raises(error, match=match):
        build_report(out, **args)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_duplicate_ids_are_refused(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, meta = demo
    with pytest.raises(ValueError, match="duplicate site id 'qh-delingha-1'"):
        build_report(
            tmp_path / "r.pdf",
            sites=[sites[0], sites[0]],
            regions=[],
            map_png=None,
            title="t",
            metadata=meta,
        )


# --------------------------------------------------------------------------- the package's pieces


def test_default_title_names_the_data_set() -> None:
    assert report.default_title({"title": "Planned sites"}) == "Region report: Planned sites"
    for meta in ({}, {"title": "  "}, {"title": 7}):
        assert report.default_title(meta) == "Region report"


def test_caveat_wording_is_policy_not_layout(demo: tuple[list[Site], dict]) -> None:
    from explorer.io.report.caveats import caveat_markup

    sites, _ = demo
    solid = [replace(s, confidence="high") for s in sites[:3]]
    assert caveat_markup(solid, {}) is None
    low = [replace(solid[0], confidence="low"), *solid[1:]]
    text = caveat_markup(low, {"scenario": "illustrative"})
    assert text is not None
    assert "1 of the 3 sites has <b>low confidence</b>" in text
    assert text.endswith("The data set describes itself as an illustrative scenario.")


def test_package_keeps_the_public_api() -> None:
    for name in report.__all__:
        assert getattr(report, name) is not None, name
    assert report.build_report.__module__ == "explorer.io.report.document"
    assert not hasattr(report, "report_command")  # the CLI reads its own inputs now
