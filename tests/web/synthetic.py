"""Synthetic sites for the many-sites map tests and benchmarks (deterministic by seed).

Sites cluster around towns of Xinjiang and Qinghai (as real lists do: industrial parks)
over a thin spread elsewhere; each has one to three hardware lines of catalogue models
with online dates from 2023 to 2028, some cancelled, some with a range. Every 200th
site is a campus with three parts near it, and every 500th supersedes the site before
it (at about its place), so the campus and supersession rules are exercised at scale. All are marked
illustrative: none of this is data.
"""

from __future__ import annotations

import itertools
import random

from explorer.core.schema import HardwareLine, Site

#: (lon, lat, weight): towns the sites gather around.
CENTRES: tuple[tuple[float, float, float], ...] = (
    (87.62, 43.82, 8.0),  # Urumqi
    (93.51, 42.82, 5.0),  # Hami
    (94.69, 43.25, 4.0),  # Yiwu
    (84.87, 45.60, 3.0),  # Karamay
    (86.06, 44.30, 3.0),  # Shihezi
    (87.31, 44.01, 3.0),  # Changji
    (89.19, 42.95, 2.0),  # Turpan
    (86.15, 41.76, 2.0),  # Korla
    (80.26, 41.17, 1.5),  # Aksu
    (75.99, 39.47, 1.5),  # Kashgar
    (79.92, 37.11, 1.0),  # Hotan
    (81.32, 43.92, 1.0),  # Yining
    (101.78, 36.62, 5.0),  # Xining
    (102.10, 36.50, 2.0),  # Haidong
    (94.90, 36.40, 2.5),  # Golmud
    (97.37, 37.37, 1.5),  # Delingha
    (100.62, 36.29, 1.0),  # Gonghe
)
MODELS: tuple[str, ...] = ("H100", "H200", "H20", "A800", "Ascend 910B", "Ascend 910C")
STATUSES: tuple[str, ...] = ("announced", "approved", "tendered", "under construction")


def synthetic_sites(n: int, seed: int = 20250708) -> list[Site]:
    """``n`` synthetic sites (see the module docstring), ids ``syn-000000``...

    Parameters
    ----------
    n : int
        How many.
    seed : int
        Same seed, same sites.
    """
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(c[2] for c in CENTRES))
    sites: list[Site] = []
    campus: Site | None = None
    for i in range(n):
        sid = f"syn-{i:06d}"
        part_of = ""
        supersedes = ""
        if campus is not None and i - int(campus.id[4:]) <= 3:
            # The three sites after a campus are its parts, close to it.
            lon = campus.lon + rng.uniform(-0.05, 0.05)
            lat = campus.lat + rng.uniform(-0.05, 0.05)
            part_of = campus.id
        elif i % 500 == 499:
            # A later report of the site before it: the same place, give or take.
            supersedes = sites[-1].id
            lon = sites[-1].lon + rng.uniform(-0.002, 0.002)
            lat = sites[-1].lat + rng.uniform(-0.002, 0.002)
        elif rng.random() < 0.85:
            c = rng.choices(CENTRES, cum_weights=cumulative)[0]
            lon = rng.gauss(c[0], 0.35)
            lat = rng.gauss(c[1], 0.25)
        else:
            lon = rng.uniform(75.0, 102.0)
            lat = rng.uniform(33.0, 47.5)
        lines = []
        for j in range(rng.choice((1, 1, 2, 3))):
            chips = rng.randrange(8, 4000, 8)
            ranged = rng.random() < 0.2
            lines.append(
                HardwareLine(
                    rng.choice(MODELS),
                    chips,
                    phase=f"phase {j + 1}",
                    status="cancelled" if rng.random() < 0.05 else rng.choice(STATUSES),
                    online=f"{rng.randrange(2023, 2029)}-{rng.randrange(1, 13):02d}",
                    chips_low=chips // 2 if ranged else None,
                    chips_high=chips * 2 if ranged else None,
                )
            )
        site = Site(
            id=sid,
            name=f"Synthetic site {i}",
            lon=round(max(-180.0, min(180.0, lon)), 5),
            lat=round(max(-85.0, min(85.0, lat)), 5),
            province="",
            status="planned",
            hardware=tuple(lines),
            confidence="illustrative",
            part_of=part_of,
            supersedes=supersedes,
        )
        sites.append(site)
        if i % 200 == 0:
            campus = site
    return sites


__all__ = ["CENTRES", "MODELS", "synthetic_sites"]
