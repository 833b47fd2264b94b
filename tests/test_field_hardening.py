"""Issue 11, findings 1, 10 and 11: no field is cut in silence, no control character gets
in, numbers are read strictly, and no site holds an implausible number of chips. Each
case here was accepted (or silently changed) before the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.core.chips import ChipCatalogue
from explorer.core.errors import ValidationError
from explorer.core.schema import MAX_CHIPS_PER_SITE, parse_site
from explorer.io.formats import read_sites, write_sites
from tests.helpers import chip_model

CAT = ChipCatalogue([chip_model("H100", tflops=1000.0, watts=700.0)])


def _props(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": "a",
        "name": "A",
        "hardware": [{"chip_model": "H100", "chips": 10}],
    }
    props.update(overrides)
    return props


def _messages(props: dict[str, Any], lon: Any = 90, lat: Any = 40) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse_site(props, lon, lat, catalogue=CAT)
    return {p.field: p.message for p in info.value.problems}


@pytest.mark.parametrize(
    ("field", "limit"),
    [("operator", 300), ("tenant", 300), ("province", 100), ("prefecture", 100), ("notes", 10_000)],
)
def test_over_long_text_is_a_problem_not_a_cut(field: str, limit: int) -> None:
    got = _messages(_props(**{field: "x" * (limit + 1)}))
    assert got == {field: f"{field} is longer than {limit} characters"}


def test_over_long_updated_at_is_a_problem() -> None:
    assert _messages(_props(updated_at="2025-01-01T00:00:00Z" + "x" * 40)) == {
        "updated_at": "updated_at is longer than 40 characters"
    }


def test_validate_reports_the_cut_that_reading_used_to_make(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
        '{"type": "Point", "coordinates": [90, 40]}, "properties": {"id": "a", "name": "A", '
        f'"notes": "{"n" * 10_001}"}}}}]}}',
        encoding="utf-8",
    )
    result = read_sites(path, strict=False, catalogue=CAT)
    assert [str(p) for p in result.problems] == [
        "feature 1 (a): notes: notes is longer than 10000 characters"
    ]
    assert result.sites == []


@pytest.mark.parametrize("text", ["a\x00b", "tab\tok but \x1b[2J clears", "del\x7f"])
def test_control_characters_are_refused(text: str) -> None:
    got = _messages(_props(notes=text))
    assert "notes must not contain control characters" in got["notes"]


def test_tabs_and_newlines_stay_allowed(tmp_path: Path) -> None:
    site = parse_site(_props(notes="line one\n\tline two\r\n"), 90, 40, catalogue=CAT)
    path = tmp_path / "p.gpkg"
    write_sites(path, [site])
    assert read_sites(path, catalogue=CAT).sites[0].notes == "line one\n\tline two\r\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1_000", "chips must be a whole number >= 0, got '1_000'"),
        ("١٢٣", "chips must be a whole number >= 0, got '١٢٣'"),  # Arabic-Indic digits
        ("1e3", "chips must be a whole number >= 0, got '1e3'"),
        ("+5", "chips must be a whole number >= 0, got '+5'"),
        ("0x10", "chips must be a whole number >= 0, got '0x10'"),
    ],
)
def test_whole_numbers_are_read_strictly(value: str, message: str) -> None:
    got = _messages(_props(hardware=[{"chip_model": "H100", "chips": value}]))
    assert got == {"hardware[0].chips": message}


def test_a_spreadsheet_style_whole_number_still_reads() -> None:
    site = parse_site(
        _props(hardware=[{"chip_model": "H100", "chips": " 2000.0 "}]), 90, 40, catalogue=CAT
    )
    assert site.hardware[0].chips == 2000


@pytest.mark.parametrize(
    ("lat", "message"),
    [
        ("1e-400", "lat is too small to represent, got '1e-400'"),
        ("4_0", "lat must be a number, got '4_0'"),
        ("٤٠", "lat must be a number, got '٤٠'"),
        ("nan", "lat must be a number, got 'nan'"),
        ("inf", "lat must be a number, got 'inf'"),
    ],
)
def test_decimal_numbers_are_read_strictly(lat: str, message: str) -> None:
    assert _messages(_props(), lat=lat) == {"lat": message}


def test_an_object_is_not_a_name() -> None:
    got = _messages(_props(name={"en": "Yiwu"}))
    assert got["name"] == "name must be text, got dict"


def test_a_site_cannot_hold_an_implausible_number_of_chips() -> None:
    lines = [{"chip_model": "H100", "chips": 6_000_000} for _ in range(2)]
    got = _messages(_props(hardware=lines))
    assert got == {
        "hardware": f"a site holds at most {MAX_CHIPS_PER_SITE:,} chips; its lines add up "
        "to 12,000,000"
    }
    # The high end of a range counts too.
    line = {"chip_model": "H100", "chips": 1, "chips_high": 10_000_001}
    assert (
        "chips_high must be at most" in _messages(_props(hardware=[line]))["hardware[0].chips_high"]
    )
