"""MapBridge: message queueing, numbering, and validation of what the page sends.

These call the slots directly, with the values QWebChannel hands over for what a page
might send (``NaN`` and ``Infinity`` arrive as ``None`` through JSON).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from explorer.core.schema import Site
from explorer.web.bridge import MAX_ID_LENGTH, MapBridge
from explorer.web.site_columns import reset_payload
from tests.web.conftest import hand_catalogue


class Recorder:
    """Collects emissions of every signal of a bridge."""

    def __init__(self, bridge: MapBridge) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in (
            "sitesReset",
            "sitesResetPart",
            "siteUpserted",
            "siteRemoved",
            "sitesCounted",
            "selectionChanged",
            "modeChanged",
            "colorModeChanged",
            "flyTo",
            "ready",
            "siteClickedOnMap",
            "siteMovedOnMap",
            "mapClickedAt",
            "cursorMovedOnMap",
            "renderedSeq",
        ):
            getattr(bridge, name).connect(lambda *args, _n=name: self.events.append((_n, args)))

    def names(self) -> list[str]:
        return [n for n, _ in self.events]


def _reset(*ids: str) -> dict[str, Any]:
    """A real reset message's data for sites with these ids."""
    sites = [Site(id=sid, name=sid, lon=87.0, lat=43.0) for sid in ids]
    return reset_payload(sites, hand_catalogue())


def _columns(*ids: str) -> dict[str, Any]:
    """The site columns of an upsert for sites with these ids."""
    return dict(_reset(*ids)["sites"])


@pytest.fixture
def bridge(qapp: Any) -> MapBridge:
    b = MapBridge()
    b.post_reset(_reset("a", "b"))
    b.pageReady()
    return b


def test_messages_wait_for_page_ready_then_flush_in_order(qapp: Any) -> None:
    b = MapBridge()
    rec = Recorder(b)
    s1 = b.post_reset(_reset("a"))
    s2 = b.post_upserts(_columns("b"))
    s3 = b.post_selection("b")
    assert (s1, s2, s3) == (1, 2, 3)
    assert rec.events == []  # nothing reaches the page before it is ready
    b.pageReady()
    assert rec.names() == ["sitesReset", "siteUpserted", "selectionChanged", "ready"]
    payloads = [json.loads(args[0]) for _, args in rec.events[:3]]
    assert [p["seq"] for p in payloads] == [1, 2, 3]
    assert payloads[2]["data"] == "b"
    # After ready, messages go straight out.
    b.post_selection(None)
    assert rec.events[-1][0] == "selectionChanged"
    assert json.loads(rec.events[-1][1][0]) == {"seq": 4, "data": ""}


def test_queue_is_compacted_by_reset_and_latest_only_messages(qapp: Any) -> None:
    b = MapBridge()
    rec = Recorder(b)
    b.post_upserts(_columns("a"))
    b.post_mode("place")
    b.post_removals(["a"])
    b.post_counted({"as_of": None, "sites": {"n": 0, "id": []}})
    b.post_reset(_reset("c"))
    b.post_mode("browse")
    b.pageReady()
    assert rec.names() == ["sitesReset", "modeChanged", "ready"]
    assert json.loads(rec.events[1][1][0])["data"] == "browse"


def test_a_long_unready_queue_drops_site_updates_and_asks_for_a_reset(qapp: Any) -> None:
    from explorer.web.bridge import MAX_QUEUE

    b = MapBridge()
    rec = Recorder(b)
    for i in range(MAX_QUEUE + 1):
        b.post_upserts(_columns(f"s{i}"))
    b.post_selection("s1")
    assert b.resync_needed is True
    b.pageReady()
    assert rec.names() == ["selectionChanged", "ready"]


def test_page_reload_holds_messages_again(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    bridge.page_unloaded()
    bridge.post_upserts(_columns("c"))
    assert rec.events == []
    bridge.pageReady()
    assert rec.names() == ["siteUpserted", "ready"]


def _gathered(rec: Recorder) -> str:
    """The text of a reset sent in parts, from its parts in the order they went."""
    parts = [args[0] for name, args in rec.events if name == "sitesResetPart"]
    count = len(parts)
    heads = [p.split(":", 2) for p in parts]
    assert [h[:2] for h in heads] == [[str(k), str(count)] for k in range(count)]
    return "".join(h[2] for h in heads)


def test_parts_are_cut_from_the_pieces_as_from_the_whole_text() -> None:
    # A reset written off the UI thread is framed ({"seq":..,"data": + text + }), and its
    # parts are cut from those pieces without joining them first: every length, every
    # boundary (inside a piece, on a piece's edge, an exact multiple of the size).
    import random

    from explorer.web.bridge import _parts

    rng = random.Random(12)
    for _ in range(3000):
        pieces = tuple(
            "".join(rng.choice('ab"é\\') for _ in range(rng.randint(0, 30)))
            for _ in range(rng.randint(1, 4))
        )
        whole = "".join(pieces)
        if not whole:
            continue
        size = rng.randint(1, 12)
        parts = _parts(pieces, size)
        count = -(-len(whole) // size)
        heads = [p.split(":", 2) for p in parts]
        assert [h[:2] for h in heads] == [[str(k), str(count)] for k in range(count)]
        assert "".join(h[2] for h in heads) == whole
        assert all(len(h[2]) == size for h in heads[:-1])


def test_a_long_reset_goes_in_parts_in_order(monkeypatch: pytest.MonkeyPatch, qapp: Any) -> None:
    from explorer.web import bridge as bridge_module

    monkeypatch.setattr(bridge_module, "RESET_PART_CHARS", 40)
    b = MapBridge()
    rec = Recorder(b)
    data = _reset("a", "b", "c")
    held = b.post_reset(data)  # held for a page not ready: in parts when it is
    b.post_mode("place")
    b.pageReady()
    names = rec.names()
    assert names[-2:] == ["modeChanged", "ready"] and set(names[:-2]) == {"sitesResetPart"}
    assert len(names) - 2 > 3
    assert json.loads(_gathered(rec)) == {"seq": held, "data": json.loads(json.dumps(data))}
    rec.events.clear()
    seq = b.post_reset(data)  # sent at once to a ready page
    b.post_selection("b")
    assert rec.names()[-1] == "selectionChanged"
    assert json.loads(_gathered(rec)) == {"seq": seq, "data": json.loads(json.dumps(data))}
    # A short reset goes whole, as before.
    monkeypatch.setattr(bridge_module, "RESET_PART_CHARS", 10**9)
    b.post_reset(data)
    assert rec.names()[-1] == "sitesReset"


class _Turns:
    """A stand-in for the window's deferred work: holds the stepped work the bridge
    hands over and runs a step per :meth:`turn` (scheduling again starts over)."""

    def __init__(self) -> None:
        self.steps: Any = None
        self.scheduled = 0

    def __call__(self, steps: Any) -> None:
        self.scheduled += 1
        self.steps = steps()

    def turn(self) -> bool:
        try:
            next(self.steps)
        except StopIteration:
            self.steps = None
            return False
        return True

    def run_out(self) -> int:
        turns = 0
        while self.steps is not None:
            self.turn()
            turns += 1
        return turns


@pytest.fixture
def spreading(monkeypatch: pytest.MonkeyPatch, qapp: Any) -> tuple[MapBridge, _Turns, Recorder]:
    """A ready bridge spreading resets over :class:`_Turns`, parts of 40 characters."""
    from explorer.web import bridge as bridge_module

    monkeypatch.setattr(bridge_module, "RESET_PART_CHARS", 40)
    b = MapBridge()
    turns = _Turns()
    b.spread_parts(turns)
    b.pageReady()
    return b, turns, Recorder(b)


def test_a_spread_reset_goes_a_part_per_turn_and_what_follows_after_it(
    spreading: tuple[MapBridge, _Turns, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    b, turns, rec = spreading
    data = _reset("a", "b", "c")
    seq = b.post_reset(data)
    assert rec.names() == ["sitesResetPart"]  # the first part at once
    b.post_selection("b")  # posted while the parts are on their way
    b.post_upserts(_columns("d"))
    count = int(rec.events[0][1][0].split(":")[1])
    assert count > 3
    for k in range(1, count - 1):
        assert turns.turn()
        assert rec.names() == ["sitesResetPart"] * (k + 1)  # one part per turn
    assert not turns.turn()  # the last part, then what was posted meanwhile
    assert rec.names()[count - 1 :] == ["sitesResetPart", "selectionChanged", "siteUpserted"]
    rec.events = [e for e in rec.events if e[0] == "sitesResetPart"]
    assert json.loads(_gathered(rec)) == {"seq": seq, "data": json.loads(json.dumps(data))}
    # A short reset goes whole, as before.
    rec.events.clear()
    monkeypatch.setattr("explorer.web.bridge.RESET_PART_CHARS", 10**9)
    b.post_reset(data)
    assert rec.names() == ["sitesReset"] and turns.steps is None


def test_a_new_reset_replaces_the_parts_left_of_the_one_on_its_way(
    spreading: tuple[MapBridge, _Turns, Recorder],
) -> None:
    b, turns, rec = spreading
    b.post_reset(_reset("a", "b", "c"))
    turns.turn()
    b.post_upserts(_columns("d"))  # about the old set: the new reset makes it moot
    b.post_mode("place")  # not about the sites: still sent, before the new reset
    rec.events.clear()
    new = _reset("x", "y", "z", "w")
    seq = b.post_reset(new)
    assert rec.names() == ["modeChanged", "sitesResetPart"]
    assert rec.events[1][1][0].startswith("0:")  # the new reset, from its first part
    assert turns.scheduled == 2
    turns.run_out()
    rec.events = rec.events[1:]
    assert json.loads(_gathered(rec)) == {"seq": seq, "data": json.loads(json.dumps(new))}


def test_a_page_reload_drops_the_parts_left_and_holds_what_followed(
    spreading: tuple[MapBridge, _Turns, Recorder],
) -> None:
    b, turns, rec = spreading
    b.post_reset(_reset("a", "b", "c"))
    b.post_mode("place")
    b.page_unloaded()
    assert turns.run_out() == 1  # nothing more to send to a page that is gone
    assert rec.names() == ["sitesResetPart"]
    b.pageReady()  # the held message goes to the new page
    assert rec.names() == ["sitesResetPart", "modeChanged", "ready"]


def test_valid_page_events_are_reemitted(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    bridge.siteClicked("a")
    bridge.siteMoved("b", 88.5, 44)
    bridge.mapClicked(90, 40.25)
    bridge.cursorMoved(-180, 90)
    assert rec.events == [
        ("siteClickedOnMap", ("a",)),
        ("siteMovedOnMap", ("b", 88.5, 44.0)),
        ("mapClickedAt", (90.0, 40.25)),
        ("cursorMovedOnMap", (-180.0, 90.0)),
    ]
    assert bridge.dropped_messages == 0


@pytest.mark.parametrize(
    "sid",
    ["nope", "", None, 5, ["a"], {"id": "a"}, "a" * (MAX_ID_LENGTH + 1), True],
)
def test_clicks_on_unknown_or_malformed_ids_are_dropped(
    bridge: MapBridge, sid: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder(bridge)
    with caplog.at_level(logging.WARNING, logger="explorer.web.bridge"):
        bridge.siteClicked(sid)
        bridge.siteMoved(sid, 88.0, 44.0)
    assert rec.events == []
    assert bridge.dropped_messages == 2
    assert "dropped siteClicked" in caplog.text and "dropped siteMoved" in caplog.text


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (None, 40.0),  # NaN or Infinity from JS arrive as null
        (90.0, None),
        (float("nan"), 40.0),
        (float("inf"), 40.0),
        (90.0, float("-inf")),
        ("90", 40.0),
        (True, 40.0),
        (180.5, 40.0),
        (90.0, -90.01),
        ([90.0], 40.0),
    ],
)
def test_bad_coordinates_are_dropped(bridge: MapBridge, lon: Any, lat: Any) -> None:
    rec = Recorder(bridge)
    bridge.siteMoved("a", lon, lat)
    bridge.mapClicked(lon, lat)
    bridge.cursorMoved(lon, lat)
    assert rec.events == []
    assert bridge.dropped_messages == 3


def test_removed_sites_become_unknown(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    bridge.post_removals(["a"])
    bridge.siteClicked("a")
    assert "siteClickedOnMap" not in rec.names()
    assert bridge.known_ids == frozenset({"b"})


def test_rendered_accepts_only_sent_seqs(bridge: MapBridge) -> None:
    rec = Recorder(bridge)
    last = bridge.post_selection("a")
    for bad in (None, "1", 0, -1, last + 1, 1.5, True, float("nan")):
        bridge.rendered(bad)
    assert [n for n in rec.names() if n == "renderedSeq"] == []
    bridge.rendered(float(last))  # JS numbers may arrive as floats
    bridge.rendered(last - 1)  # late, already covered: ignored without a warning
    assert rec.events[-1] == ("renderedSeq", (last,))
    assert bridge.last_rendered_seq == last
    assert bridge.dropped_messages == 8


def test_invalid_posts_raise(bridge: MapBridge) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        bridge.post_mode("edit")
    with pytest.raises(ValueError, match="colour mode"):
        bridge.post_color_mode("rainbow")
    with pytest.raises(ValueError, match="fly_to"):
        bridge.post_fly_to(float("nan"), 40.0)
    with pytest.raises(ValueError, match="zoom"):
        bridge.post_fly_to(90.0, 40.0, zoom=99)


def test_payloads_are_strict_json(bridge: MapBridge) -> None:
    with pytest.raises(ValueError):
        bridge.post_upserts({"n": 1, "id": ["x"], "chips": float("nan")})
