"""A small dated data set whose answers are known by hand, for the date control, the
chart and the panels (with the bundled catalogue and export rules).

Every rule of capacity over time is in it: a campus with two parts (its remainder),
a superseded record, a cancelled line, an undated line, partial online dates (ends of
periods), ranges, a model that becomes restricted between two dates (the H20, licence
required from 2025-04-09), an unrestricted model and a model of unknown figures.

Counted (central chips; a partial date is the end of its period):

==========  ==========================================================  ==========
date        what comes online                                           cumulative
==========  ==========================================================  ==========
2024-12-31  golmud H20 900 (not restricted until 2025-04-09)            900
2025-03-31  yiwu-a H100 3,000 (the campus's own 6,000 is not on yet)    3,900
2025-06-30  yiwu campus H100 6,000 (its remainder: 6,000 - 3,000) and   8,900
            nyocor-new H100 2,000
2025-09-30  golmud Ascend 910C 500 (never restricted)                   9,400
2026-03-31  mystery Other 1,000 (unknown model: no H100e, no power)     10,400
2026-06-30  yiwu-b H100 2,000 (parts 5,000 of the campus's 6,000: the   10,400
            remainder falls to 1,000, the total stays)
2026-12-31  yiwu campus H100 4,000 (campus 10,000, parts 5,000)         14,400
2027-12-31  nyocor-new H100 3,000 (announced; range 0-3,000)            17,400
==========  ==========================================================  ==========

Never counted at a date: nyocor-old (superseded by nyocor-new), delingha's cancelled
H200 1,040, and its undated H200 800, which counts only in the planned build-out:
17,400 + 800 = 18,200 chips all planned (the campus and its parts give
max(10,000, 5,000) = 10,000).
"""

from __future__ import annotations

from explorer.core.schema import HardwareLine, Site

#: Online dates of the lines that count, as the campus rule steps them.
ONLINE_DATES = (
    "2024-12-31",
    "2025-03-31",
    "2025-06-30",
    "2025-09-30",
    "2026-03-31",
    "2026-06-30",
    "2026-12-31",
    "2027-12-31",
)


def dated_sites() -> list[Site]:
    """The sites described in the module docstring."""
    return [
        Site(
            id="yiwu",
            name="Yiwu computing cluster",
            lon=94.70,
            lat=43.25,
            province="Xinjiang",
            status="under construction",
            confidence="illustrative",
            hardware=(
                HardwareLine("H100", 6000, None, None, "I", "operational", "2025-06", 5000, 7000),
                HardwareLine("H100", 4000, None, None, "II", "approved", "2026", 2000, 6000),
            ),
        ),
        Site(
            id="yiwu-a",
            name="Yiwu block A",
            lon=94.68,
            lat=43.27,
            province="Xinjiang",
            confidence="illustrative",
            part_of="yiwu",
            hardware=(HardwareLine("H100", 3000, 375, 8, "I", "operational", "2025-03"),),
        ),
        Site(
            id="yiwu-b",
            name="Yiwu block B",
            lon=94.72,
            lat=43.23,
            province="Xinjiang",
            confidence="illustrative",
            part_of="yiwu",
            hardware=(HardwareLine("H100", 2000, None, None, "II", "tendered", "2026-06"),),
        ),
        Site(
            id="nyocor-old",
            name="Nyocor compute centre (first report)",
            lon=87.30,
            lat=44.01,
            province="Xinjiang",
            confidence="low",
            hardware=(HardwareLine("H100", 2000, 250, 8, "1", "announced", "2025"),),
        ),
        Site(
            id="nyocor-new",
            name="Nyocor compute centre",
            lon=87.30,
            lat=44.01,
            province="Xinjiang",
            confidence="low",
            supersedes="nyocor-old",
            hardware=(
                HardwareLine("H100", 2000, 250, 8, "1", "tendered", "2025-06"),
                HardwareLine("H100", 3000, 375, 8, "2", "announced", "2027", 0, 3000),
            ),
        ),
        Site(
            id="golmud",
            name="Golmud solar DC",
            lon=94.90,
            lat=36.40,
            province="Qinghai",
            status="operational",
            confidence="medium",
            hardware=(
                HardwareLine("H20", 900, None, None, "1", "operational", "2024-12"),
                HardwareLine("Ascend 910C", 500, None, None, "2", "operational", "2025-09-30"),
            ),
        ),
        Site(
            id="delingha",
            name="Delingha green DC",
            lon=97.32,
            lat=37.40,
            province="Qinghai",
            confidence="low",
            hardware=(
                HardwareLine("H200", 1040, 130, 8, "1", "cancelled", "2025"),
                HardwareLine("H200", 800, 100, 8, "2", "announced", ""),
            ),
        ),
        Site(
            id="mystery",
            name="Unnamed Hami project",
            lon=93.50,
            lat=42.83,
            province="Xinjiang",
            confidence="low",
            hardware=(HardwareLine("Other", 1000, None, None, "", "announced", "2026-03"),),
        ),
    ]
