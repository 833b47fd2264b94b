"""The PDF region report: figures equal `totals()`, literal text, CJK, sources, atomic write."""

from __future__ import annotations

import os
import re
import struct
import zlib
from dataclasses import replace
from datetime import date
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
#: The "today" of undated reports here: the rules in force then decide what is restricted.
RULES_DAY = date(2026, 1, 5)
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
        today=RULES_DAY,
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


def row_values(body: str, label: str) -> list[str]:
    """The figures of a totals-table row: ``[central]`` or ``[low, central, high]``."""
    m = re.search(rf"(?m)^\s*{re.escape(label)}\s*\n((?:\s*[\d,.–]+\s*\n)+)", body)
    assert m, f"row {label!r} not found"
    return m.group(1).split()


def _check_figures(body: str, t: Totals) -> None:
    # Each figure is read from its own row, so a number printed in the wrong row fails.
    def value(label: str) -> list[str]:
        return row_values(body, label)

    assert value("Sites") == [fmt_int(t.site_count)]
    assert value("Chips") == [
        fmt_int(t.chips_range[0]),
        fmt_int(t.chips),
        fmt_int(t.chips_range[1]),
    ]
    assert value("Restricted chips") == [
        fmt_int(t.restricted_range[0]),
        fmt_int(t.restricted_chips),
        fmt_int(t.restricted_range[1]),
    ]
    assert value("H100-equivalents") == [
        fmt_dec(t.h100e_range[0]),
        fmt_dec(t.h100e),
        fmt_dec(t.h100e_range[1]),
    ]
    assert value("IT power, MW") == [fmt_dec(t.it_power_mw)]
    assert value("Facility power, MW") == [
        fmt_dec(t.facility_power_range[0]),
        fmt_dec(t.facility_power_mw),
        fmt_dec(t.facility_power_range[1]),
    ]
    for model, n in t.by_model:
        assert value(model) == [fmt_int(n)]
    if t.restricted_h100e:
        assert value("Restricted H100e") == [fmt_dec(t.restricted_h100e)]
    else:
        assert "Restricted H100e" not in body
    if t.unknown_model_chips:
        assert value("Chips of unknown model") == [fmt_int(t.unknown_model_chips)]
    else:
        assert "Chips of unknown model" not in body


def test_each_region_shows_exactly_the_totals(
    built: tuple[ReportInfo, str], demo: tuple[list[Site], dict], regions: list[Region]
) -> None:
    info, text = built
    sites, _ = demo
    assert info.region_names == ("Hami / Yiwu box", "Xining 200 km")
    t_hami, t_xining = (totals(sites, r, today=RULES_DAY) for r in regions)
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
    u = union_totals(sites, regions, today=RULES_DAY)
    part = section(text, "Union of all regions", "Sources")
    row = part[part.index("Union of all regions", 1) :]
    # Each cell: the central figure, then its low-high range when that is not one value.
    h100e = tuple(fmt_int(round(v)) for v in u.h100e_range)
    expected = [
        fmt_int(u.site_count),
        fmt_int(u.chips),
        "–".join(map(fmt_int, u.chips_range)),
        fmt_int(u.restricted_chips),
        "–".join(map(fmt_int, u.restricted_range)),
        fmt_dec(u.h100e),
        "–".join(h100e),
        fmt_dec(u.it_power_mw),
        fmt_dec(u.facility_power_mw),
        "–".join(map(fmt_dec, u.facility_power_range)),
    ]
    assert u.chips_range[0] < u.chips < u.chips_range[1]  # the demo has ranges
    assert row.split()[4 : 4 + len(expected)] == expected, row[:400]


def test_chip_counts_are_exact_integers(tmp_path: Path, demo: tuple[list[Site], dict]) -> None:
    sites, meta = demo
    demo_only = [s for s in sites if not s.id.startswith("test-")]
    out = tmp_path / "all.pdf"
    info = build_report(out, sites=demo_only, regions=[], map_png=None, title="All", metadata=meta)
    text = pdf_text(out)
    assert info.region_names == ()
    assert "All sites" in text
    _check_figures(section(text, "All sites", "Sites inside"), totals(demo_only))
    assert "Capacity: the planned build-out" in flat(text)
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
    # The licence status is the export rules' on the report's rules day (2026-01-05).
    h100 = re.search(r"(?m)^H100\s*\n\s*NVIDIA\s*\n\s*989\s*\n\s*700\s*\n\s*licence required", part)
    assert h100, part[:800]
    assert "US licence for China on 2026-01-05" in flat(part)
    assert re.search(r"(?m)^Ascend 910C\s*\n\s*Huawei", part)  # present in the report: listed
    assert not re.search(r"(?m)^B200\s*$", part)  # absent from the report: not listed
    flat_part = flat(part)
    assert "PUE 1.25" in flat_part
    assert "server overhead 1.8" in flat_part
    assert "÷ 989" in flat_part
    assert "https://www.nvidia.com/en-us/data-center/h100/" in flat_part  # catalogue's source
    assert "approximate" in flat_part
    assert "GeoNames (geonames.org), licensed under CC BY 4.0" in flat_part
    assert "Natural Earth" in flat_part


def test_assumptions_list_the_export_rules_used_with_sources(
    built: tuple[ReportInfo, str],
) -> None:
    from explorer.core.chips import ChipCatalogue

    _, text = built
    part = flat(text[text.rindex("Export rules used") :])
    rules = ChipCatalogue.bundled().rules
    for model in ("H100", "H200"):
        history = rules.rows(model)
        in_force = rules.rule_on(model, RULES_DAY)
        assert in_force is not None and len(history) > 1
        # Every period of the model is listed, the one in force on the rules day marked.
        for r in history[1:]:
            assert r.effective.isoformat() in part, (model, r)
        assert f"before {history[1].effective.isoformat()}" in part
        assert f"{in_force.status} (in force on 2026-01-05)" in part
        assert flat(in_force.rule)[:50] in part
        # Its source is listed with its link.
        assert in_force.source_url in part
    # Each source is listed once (R1, R2...), however many rows cite it.
    cited = {(r.source_title, r.source_url) for m in ("H100", "H200") for r in rules.rows(m)}
    numbers = {int(n) for n in re.findall(r"\bR(\d+) ", part)}
    assert numbers == set(range(1, len(numbers) + 1)) and len(numbers) >= len(cited)
    for title, _url in cited:
        assert part.count(flat(title)) == 1, title
    # Power-factor ranges.
    f = PowerFactors()
    assert f"server overhead {f.server_overhead_low:g} × PUE {f.pue_low:g}" in part
    assert f"× {f.server_overhead_high:g} × PUE {f.pue_high:g}" in part


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
    # The facility power range takes the factors' own low and high.
    assert f"server overhead {f.server_overhead_low:g} × PUE {f.pue_low:g}" in flat(text)
    assert f"× {f.server_overhead_high:g} × PUE {f.pue_high:g}" in flat(text)
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


# --------------------------------------------------------------------------- dated reports
# A hand-built data set on the capacity model, totalled by hand as of 2025-06-30 with
# the bundled export rules (the H20 needs a licence from 2025-04-09):
#
# Hami box: the campus's H100 10,000 come online in 2026 (not yet), its part's 3,000
# (2,500-3,500) in 2025-06 (counted: max(campus 0, parts 3,000)); H20 4,000 (3,000-5,000)
# online 2024-12, restricted by then; a superseded record (never); its successor's H100
# online 2025-09 (not yet) and a cancelled H200 line (never); 500 chips of unknown model
# online 2025-03. Chips 7,500 (6,000-9,000), restricted 7,000 (5,500-8,500).
# Xining: H100 600 (600-900) online 2025-03; H200 1,500 with no online date and Ascend
# 910C 800 online 2025-12 (not yet). Chips 600 (600-900), all restricted.
AS_OF = date(2025, 6, 30)
HAND_TOTALS = {
    "Hami / Yiwu box": {"chips": (6_000, 7_500, 9_000), "restricted": (5_500, 7_000, 8_500)},
    "Xining 200 km": {"chips": (600, 600, 900), "restricted": (600, 600, 900)},
}


def dated_sites() -> list[Site]:
    def line(
        model: str,
        chips: int,
        online: str,
        lo: int | None = None,
        hi: int | None = None,
        status: str = "approved",
    ) -> HardwareLine:
        return HardwareLine(model, chips, status=status, online=online, chips_low=lo, chips_high=hi)

    src = (Source("Test notice", "https://example.org/notice", "2025-05-01"),)
    return [
        Site("yiwu-campus", "Yiwu campus", 94.5, 43.2, province="Xinjiang", confidence="medium",
             hardware=(line("H100", 10_000, "2026", 8_000, 12_000),), sources=src),
        Site("yiwu-p1", "Yiwu project 1", 94.6, 43.3, province="Xinjiang", confidence="medium",
             hardware=(line("H100", 3_000, "2025-06", 2_500, 3_500, "operational"),),
             part_of="yiwu-campus", sources=src),
        Site("hami-h20", "Hami H20 centre", 93.5, 42.8, province="Xinjiang", confidence="high",
             hardware=(line("H20", 4_000, "2024-12", 3_000, 5_000, "operational"),), sources=src),
        Site("hami-old", "Hami (first report)", 93.6, 42.9, province="Xinjiang",
             hardware=(line("H100", 5_000, "2024"),)),
        Site("hami-new", "Hami (later report)", 93.7, 42.9, province="Xinjiang",
             hardware=(line("H100", 2_000, "2025-09"), line("H200", 1_000, "2025-01",
                                                             status="cancelled")),
             supersedes="hami-old", sources=src),
        Site("hami-other", "Hami unknown chips", 95.0, 43.0, province="Xinjiang",
             hardware=(line("Other", 500, "2025-03"),)),
        Site("xining-1", "Xining centre", 101.8, 36.6, province="Qinghai", confidence="medium",
             hardware=(line("H100", 600, "2025-03", 600, 900), line("H200", 1_500, ""),
                       line("Ascend 910C", 800, "2025-12")), sources=src),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory, regions: list[Region]) -> dict[str, Any]:
    """The dated data set as files, its report as of 2025-06-30, and `explorer totals
    --as-of 2025-06-30 --json` on the same files."""
    d = tmp_path_factory.mktemp("dated")
    write_sites(d / "sites.geojson", dated_sites(), {"title": "Dated test", "as_of": "2025-07-01"})
    export_regions(d / "regions.geojson", regions)
    sf = read_sites(d / "sites.geojson")
    out = d / "dated.pdf"
    info = build_report(
        out,
        sites=sf.sites,
        regions=regions,
        map_png=None,
        title="Dated",
        metadata=sf.metadata,
        as_of=AS_OF,
    )
    return {"dir": d, "sites": sf.sites, "info": info, "path": out, "text": pdf_text(out)}


def cli_totals_json(capsys: pytest.CaptureFixture[str], *argv: Any) -> list[dict[str, Any]]:
    import json

    capsys.readouterr()
    assert run_cli(["totals", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["regions"]


def test_dated_report_shows_what_totals_as_of_json_gives(
    dated: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d = dated["dir"]
    results = cli_totals_json(
        capsys, d / "sites.geojson", "--regions", d / "regions.geojson", "--as-of", "2025-06-30"
    )
    text = dated["text"]
    assert (
        "Capacity as of 2025-06-30: hardware lines online by then, export rules in force on "
        "2025-06-30." in flat(text)
    )
    names = [r["name"] for r in results]
    assert names == ["Hami / Yiwu box", "Xining 200 km"]
    for i, t in enumerate(results, start=1):
        assert t["as_of"] == "2025-06-30" and t["rules_as_of"] == "2025-06-30"
        end = f"{i + 1}. {names[i]}" if i < len(names) else "Union of all regions"
        body = section(text, f"{i}. {t['name']}", end)
        rng = t["range"]
        # Counts exactly; H100e and MW to the decimal the report prints.
        assert row_values(body, "Chips") == [
            fmt_int(rng["chips"][0]),
            fmt_int(t["chips"]),
            fmt_int(rng["chips"][1]),
        ]
        assert row_values(body, "Restricted chips") == [
            fmt_int(rng["restricted_chips"][0]),
            fmt_int(t["restricted_chips"]),
            fmt_int(rng["restricted_chips"][1]),
        ]
        for label, central, pair in (
            ("H100-equivalents", t["h100e"], rng["h100e"]),
            ("Facility power, MW", t["facility_power_mw"], rng["facility_power_mw"]),
        ):
            shown = [float(v.replace(",", "")) for v in row_values(body, label)]
            assert shown == pytest.approx([pair[0], central, pair[1]], abs=0.051), label
        if t["restricted_h100e"]:
            [v] = row_values(body, "Restricted H100e")
            assert float(v.replace(",", "")) == pytest.approx(t["restricted_h100e"], abs=0.051)
        if t["unknown_model_chips"]:
            assert row_values(body, "Chips of unknown model") == [fmt_int(t["unknown_model_chips"])]
        else:
            assert "Chips of unknown model" not in body
        # ...and both equal the figures worked out by hand.
        lo, mid, hi = HAND_TOTALS[t["name"]]["chips"]
        assert (rng["chips"][0], t["chips"], rng["chips"][1]) == (lo, mid, hi)
        lo, mid, hi = HAND_TOTALS[t["name"]]["restricted"]
        restricted = rng["restricted_chips"]
        assert (restricted[0], t["restricted_chips"], restricted[1]) == (lo, mid, hi)
    assert results[0]["unknown_model_chips"] == 500


def test_dated_report_lists_what_each_site_counts(dated: dict[str, Any]) -> None:
    text = dated["text"]
    hami = flat(section(text, "Sites inside", "2. Xining"))
    # Recorded chips, then what the site counts as of the date: the campus's own line is
    # not online yet, the part counts in full, the later report's line is not online yet
    # and its cancelled line never counts; the superseded record is not a site inside.
    assert "Hami (first report)" not in hami
    for name, recorded, counted in (
        ("Yiwu campus", "10,000", "0"),
        ("Yiwu project 1", "3,000", "3,000"),
        ("Hami (later report)", "3,000", "0"),
        ("Hami H20 centre", "4,000", "4,000"),
    ):
        assert re.search(rf"{re.escape(name)} Xinjiang \S+ {recorded} {counted} ", hami), name
    assert "Counted: what it adds to the totals (its hardware lines online by 2025-06-30" in hami


def test_planned_build_out_says_so_and_uses_the_rules_of_today(
    tmp_path: Path, regions: list[Region]
) -> None:
    sites = dated_sites()
    out = tmp_path / "planned.pdf"
    build_report(
        out,
        sites=sites,
        regions=regions,
        map_png=None,
        title="Planned",
        metadata={},
        today=date(2025, 1, 31),
    )
    text = flat(pdf_text(out))
    assert (
        "Capacity: the planned build-out (every hardware line not cancelled, dated or not), "
        "export rules in force on 2025-01-31." in text
    )
    # On 2025-01-31 the H20 needed no licence: its 4,000 chips are not restricted.
    t = totals(sites, regions[0], today=date(2025, 1, 31))
    assert t.restricted_chips == t.chips - 4_000 - 500
    body = section(pdf_text(out), "1. Hami / Yiwu box", "Sites inside")
    _check_figures(body, t)
    assert "US licence for China on 2025-01-31" in text


def test_timeline_chart_is_in_the_pdf_as_vector_text(dated: dict[str, Any]) -> None:
    text = dated["text"]
    reader = pypdf.PdfReader(dated["path"])
    assert not [img for page in reader.pages for img in page.images]  # no raster: vectors
    for i, name in enumerate(("Hami / Yiwu box", "Xining 200 km"), start=1):
        chart = flat(section(text, f"Capacity over time: {i}. {name}", "Sites inside"))
        assert "as of 2025-06-30" in chart  # the as-of date is marked
        for label in ("2024", "2025", "2026", "Q4", "chips", "low–high range of all chips"):
            assert label in chart, label
        # Real text, selectable: the quarters run from the first online date (2024-12) to
        # the last (2026-12) and the note says which dates the bars are.
        assert "Chips online at each quarter end, 2024-12-31 to 2026-12-31" in chart
    hami = flat(section(text, "Capacity over time: 1. Hami / Yiwu box", "Sites inside"))
    for model in ("H100", "H20", "Other"):
        assert model in hami
    xining = flat(section(text, "Capacity over time: 2. Xining 200 km", "Sites inside"))
    assert "1,500 chips here have no online date" in xining


def test_timeline_chart_bars_are_the_timeline(
    dated: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bar's segments, in points, are what `explorer timeline --json` gives: the
    stack is the central chips, its solid part the restricted chips of that date."""
    import json

    from reportlab.graphics.shapes import Rect

    from explorer.core.chips import ChipCatalogue
    from explorer.geo.timeline import step_dates, timeline
    from explorer.io.report.timeline_chart import (
        PLOT_H,
        model_colour,
        nice_ceiling,
        pale,
        timeline_chart,
    )

    d = dated["dir"]
    capsys.readouterr()
    argv = ["timeline", d / "sites.geojson", "--regions", d / "regions.geojson", "--json"]
    assert run_cli([str(a) for a in argv]) == 0
    cli = json.loads(capsys.readouterr().out)["regions"][0]["points"]
    cat = ChipCatalogue.bundled()
    dates = step_dates(date(2024, 12, 31), date(2026, 12, 31), "quarter")
    hami = rectangle("Hami / Yiwu box", 93.0, 42.0, 96.0, 44.5)
    [series] = timeline(dated["sites"], [hami], dates, catalogue=cat)
    assert [p.as_of.isoformat() for p in series.points] == [p["as_of"] for p in cli]
    drawing = timeline_chart(
        series,
        cat,
        step="quarter",
        marker=AS_OF,
        marker_label="x",
        fonts=report.load_fonts(),
        width=480,
    )
    top, _ = nice_ceiling(max(p["range"]["chips"][1] for p in cli))
    per_pt = PLOT_H / top
    solid = {model_colour(cat, m).hexval() for m in ("H100", "H20", "Other")}
    paled = {pale(model_colour(cat, m)).hexval() for m in ("H100", "H20", "Other")}
    # Bar segments: outlined rectangles wider than a legend swatch.
    bars = [
        r for r in drawing.contents if isinstance(r, Rect) and r.strokeWidth == 0.35 and r.width > 6
    ]
    by_x: dict[float, list[Rect]] = {}
    for r in bars:
        by_x.setdefault(round(r.x, 3), []).append(r)
    assert len(by_x) == len(cli)
    for (_, rects), point in zip(sorted(by_x.items()), cli, strict=True):
        height = sum(r.height for r in rects)
        restricted = sum(r.height for r in rects if r.fillColor.hexval() in solid)
        assert all(r.fillColor.hexval() in solid | paled for r in rects)
        assert height == pytest.approx(point["chips"] * per_pt, abs=1e-6)
        assert restricted == pytest.approx(point["restricted_chips"] * per_pt, abs=1e-6)
    # The H20 bar of 2024-12-31 is pale (no licence needed then), solid from 2025-06-30.
    h20 = model_colour(cat, "H20").hexval()
    first, later = sorted(by_x)[0], sorted(by_x)[2]
    assert {r.fillColor.hexval() for r in by_x[first]} == {pale(model_colour(cat, "H20")).hexval()}
    assert h20 in {r.fillColor.hexval() for r in by_x[later]}


@pytest.mark.gui
def test_timeline_chart_renders_as_drawn(qapp: Any, dated: dict[str, Any]) -> None:
    """The chart page rendered by Qt's PDF module shows the chart's colours: solid and
    pale model colours (restricted or not on each date) and the as-of line."""
    import numpy as np
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage
    from PySide6.QtPdf import QPdfDocument

    from explorer.core.chips import ChipCatalogue
    from explorer.io.report.timeline_chart import model_colour, pale

    doc = QPdfDocument()
    doc.load(str(dated["path"]))
    texts = pdf_text_pages(dated["path"])
    page = next(i for i, t in enumerate(texts) if "Capacity over time: 1. Hami" in t)
    size = doc.pagePointSize(page)
    image = doc.render(page, QSize(round(size.width() * 2), round(size.height() * 2)))
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    px = np.frombuffer(image.constBits(), np.uint8, h * bpl).reshape(h, bpl)[:, : w * 3]
    px = px.reshape(h, w, 3).astype(int)
    doc.close()

    def share(colour: Any) -> int:
        rgb = np.array([colour.red, colour.green, colour.blue]) * 255
        return int((np.abs(px - rgb).max(axis=2) <= 6).sum())

    cat = ChipCatalogue.bundled()
    h20 = model_colour(cat, "H20")
    assert share(model_colour(cat, "H100")) > 400  # restricted H100 bars, solid
    assert share(h20) > 400  # the H20 once it needs a licence
    assert share(pale(h20)) > 100  # ...and pale before 2025-04-09
    assert share(pale(model_colour(cat, "Other"))) > 20  # unknown model: never restricted
    from explorer.io.report.timeline_chart import _MARK_INK

    assert share(_MARK_INK) > 50  # the as-of line and its label


def pdf_text_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


# --------------------------------------------------------------------------- limits
def test_title_and_region_count_are_refused_before_any_work(
    tmp_path: Path, demo: tuple[list[Site], dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    sites, meta = demo

    def no_totals(*_a: Any, **_k: Any) -> None:
        raise AssertionError("figures were computed for a refused report")

    monkeypatch.setattr(report_document, "SiteArrays", no_totals)
    many = [rectangle(f"R{i}", 90.0 + i * 0.01, 40.0, 90.005 + i * 0.01, 40.5) for i in range(101)]
    started = time.perf_counter()
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"title": "x" * 301},
            "report title is longer than 300 characters (301), got 'xxxxxxxx",
        ),
        (
            {"regions": many},
            "a report covers at most 100 regions (one section each), got 101; report a "
            "selection of them",
        ),
    ]
    for kwargs, message in cases:
        args = {"sites": sites, "regions": [], "map_png": None, "title": "t", "metadata": meta}
        with pytest.raises(ValueError, match=re.escape(message)):
            build_report(tmp_path / "r.pdf", **{**args, **kwargs})
    assert time.perf_counter() - started < 1.0
    assert list(tmp_path.iterdir()) == []
    report.check_report_request(title="x" * 300, region_count=100)  # the limits themselves


def test_long_site_lists_are_cut_to_the_biggest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from explorer.io.report import sections

    monkeypatch.setattr(sections, "MAX_LISTED_SITES", 3)
    sites = [
        Site(f"s{i}", f"Site {i:02d}", 94.0, 43.0, hardware=(HardwareLine("H100", 100 + i),))
        for i in range(8)
    ]
    out = tmp_path / "cut.pdf"
    build_report(out, sites=sites, regions=[], map_png=None, title="Cut", metadata={})
    text = flat(pdf_text(out))
    assert "Sites inside (8): the 3 with the most chips" in text
    for i in (7, 6, 5):
        assert f"Site {i:02d}" in text
    for i in range(5):
        assert f"Site {i:02d}" not in text
    assert "5 more sites lie in this region and count in its totals" in text
    # The totals still count every site.
    assert row_values(section(pdf_text(out), "All sites", "Sites inside"), "Chips") == 3 * [
        fmt_int(sum(100 + i for i in range(8)))
    ]


def test_map_data_credit_links_the_licence_and_says_it_was_changed(
    built: tuple[ReportInfo, str],
) -> None:
    # CC BY 4.0 asks for credit, a link to the licence and a note of changes.
    text = " ".join(built[1].split())
    assert "GeoNames" in text
    assert "creativecommons.org/licenses/by/4.0" in text
    assert "changed by this project" in text
