"""The views' deferred work: one piece per turn of the event loop, most urgent first."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import QCoreApplication, QObject, QTimer
from pytestqt.qtbot import QtBot
from shiboken6 import Shiboken

from explorer.ui.idle_queue import IdleQueue, Urgency


@pytest.fixture
def queue(qtbot: QtBot) -> IdleQueue:
    q = IdleQueue()
    yield q
    q.deleteLater()


def _recorder(done: list[str], name: str) -> Callable[[], None]:
    return lambda: done.append(name)


def _held_call(release: threading.Event, answer: str) -> Callable[[], str]:
    """A call for the queue's helper thread: ``answer`` once ``release`` is set."""

    def call() -> str:
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return answer

    return call


def _other_timer(done: list[str]) -> QTimer:
    """A zero-interval timer of someone else's, started now (as the window's own work,
    a repaint or an input event, would be due)."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(_recorder(done, "other"))
    timer.start()
    return timer


def test_other_work_runs_between_two_pieces(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    done: list[str] = []
    queue.request(owner, "a", _recorder(done, "a"))
    queue.request(owner, "b", _recorder(done, "b"))
    other = _other_timer(done)  # due in the same turn as the queue's first piece
    qtbot.waitUntil(lambda: len(done) == 3, timeout=5_000)
    # Two timers of their own would both have run before "other" (one pass fires
    # every due timer); the queue runs one piece and gives the loop back.
    assert done == ["a", "other", "b"]
    assert len(queue) == 0
    del other


def test_most_urgent_first_then_in_order_of_request(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    done: list[str] = []
    queue.request(owner, "warm 1", _recorder(done, "warm 1"), Urgency.WARM)
    queue.request(owner, "list", _recorder(done, "list"), Urgency.LIST)
    queue.request(owner, "warm 2", _recorder(done, "warm 2"), Urgency.WARM)
    queue.request(owner, "shown", _recorder(done, "shown"), Urgency.SHOWN)
    qtbot.waitUntil(lambda: len(done) == 4, timeout=5_000)
    assert done == ["shown", "list", "warm 1", "warm 2"]


def test_asking_again_keeps_the_place_and_runs_the_newest_once(
    queue: IdleQueue, qtbot: QtBot
) -> None:
    owner, other_owner = QObject(), QObject()
    done: list[str] = []
    queue.request(owner, "rebuild", _recorder(done, "rebuild v1"), Urgency.WARM)
    queue.request(other_owner, "rebuild", _recorder(done, "other owner"), Urgency.WARM)
    queue.request(owner, "rebuild", _recorder(done, "rebuild v2"), Urgency.WARM)
    assert len(queue) == 2
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert done == ["rebuild v2", "other owner"]
    # A more urgent request for pending work raises it.
    queue.request(owner, "x", _recorder(done, "x"), Urgency.WARM)
    queue.request(owner, "y", _recorder(done, "y"), Urgency.LIST)
    queue.request(owner, "x", _recorder(done, "x again"), Urgency.SHOWN)
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert done[2:] == ["x again", "y"]


def test_cancelled_work_does_not_run(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    done: list[str] = []
    queue.request(owner, "a", _recorder(done, "a"))
    queue.request(owner, "b", _recorder(done, "b"))
    assert queue.is_pending(owner, "a")
    queue.cancel(owner, "a")
    queue.cancel(owner, "never asked")
    assert not queue.is_pending(owner, "a")
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert done == ["b"]


def test_work_of_a_deleted_owner_is_dropped(queue: IdleQueue, qtbot: QtBot) -> None:
    parent = QObject()
    child = QObject(parent)  # deleted with its parent, on the C++ side
    done: list[str] = []
    queue.request(child, "a", _recorder(done, "child"))
    queue.request(parent, "b", _recorder(done, "parent, before"))
    Shiboken.delete(parent)
    assert not Shiboken.isValid(child)
    survivor = QObject()
    queue.request(survivor, "c", _recorder(done, "survivor"))
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert done == ["survivor"]


def test_a_failing_piece_does_not_stop_the_rest(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    done: list[str] = []

    def fail() -> None:
        raise ValueError("boom")

    queue.request(owner, "fails", fail)
    queue.request(owner, "after", _recorder(done, "after"))
    with qtbot.capture_exceptions() as raised:
        qtbot.waitUntil(lambda: done == ["after"], timeout=5_000)
    assert [type(e[1]) for e in raised] == [ValueError]


def test_work_in_steps_takes_a_turn_per_step(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    done: list[str] = []

    def steps():  # noqa: ANN202
        done.append("a1")
        yield None
        done.append("a2")
        return "ignored"

    queue.request(owner, "a", steps)
    queue.request(owner, "b", _recorder(done, "b"))
    other = _other_timer(done)
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    # The first request finishes before the next of the same urgency starts.
    assert done == ["a1", "other", "a2", "b"]
    del other


def test_waiting_for_a_call_off_the_ui_thread_lets_other_work_run(
    queue: IdleQueue, qtbot: QtBot
) -> None:
    owner = QObject()
    done: list[str] = []
    release = threading.Event()

    def steps():  # noqa: ANN202
        done.append("asked")
        future = queue.off_thread(_held_call(release, "sorted"))
        yield future
        done.append(f"resumed with {future.result()}")

    def other() -> None:
        done.append("other")
        release.set()

    queue.request(owner, "a", steps, Urgency.SHOWN)
    queue.request(owner, "b", other, Urgency.WARM)
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=10_000)
    # The less urgent piece ran while the first one waited, not after it.
    assert done == ["asked", "other", "resumed with sorted"]


def test_asking_again_during_steps_starts_the_new_work_from_its_first_step(
    queue: IdleQueue, qtbot: QtBot
) -> None:
    owner = QObject()
    done: list[str] = []

    def steps(tag: str):  # noqa: ANN202
        done.append(f"{tag} 1")
        if tag == "old":
            queue.request(owner, "a", lambda: steps("new"))  # the data changed
        yield None
        done.append(f"{tag} 2")

    queue.request(owner, "a", lambda: steps("old"))
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert done == ["old 1", "new 1", "new 2"]


def test_run_steps_runs_stepped_work_at_once(queue: IdleQueue) -> None:
    from explorer.ui.idle_queue import run_steps

    def steps():  # noqa: ANN202
        yield None
        future = queue.off_thread(lambda: 20)
        yield future
        return future.result() + 1

    assert run_steps(steps()) == 21


def test_a_queue_deleted_while_its_helper_thread_works_is_left_alone(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    # The window closes while Arrow sorts on the helper thread: the call finishes, its
    # result goes nowhere, nothing raises and the waiting piece never runs.
    queue = IdleQueue()
    owner = QObject()
    done: list[str] = []
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        release.wait(10)
        finished.set()
        return 1

    def steps():  # noqa: ANN202
        yield queue.off_thread(slow)
        done.append("resumed")

    queue.request(owner, "sort", steps)
    qtbot.waitUntil(started.is_set, timeout=5_000)
    pool = queue._pool  # noqa: SLF001
    assert pool is not None
    Shiboken.delete(queue)
    release.set()
    with qtbot.capture_exceptions() as raised:
        pool.shutdown(wait=True)  # the call and its done-callback have run
        QCoreApplication.processEvents()  # and whatever it queued has arrived
    assert finished.is_set() and raised == [] and done == []
    # A done-callback that raised would only be logged by concurrent.futures.
    assert [r.getMessage() for r in caplog.records if r.name == "concurrent.futures"] == []


def test_finish_runs_what_is_left_now_without_doing_a_step_again(
    queue: IdleQueue, qtbot: QtBot
) -> None:
    owner = QObject()
    done: list[str] = []
    release = threading.Event()

    def steps():  # noqa: ANN202
        done.append("1")
        yield None
        done.append("2")
        future = queue.off_thread(_held_call(release, "ranked"))
        yield future
        done.append(f"3 with {future.result()}")

    queue.request(owner, "warm", steps, Urgency.WARM)
    qtbot.waitUntil(lambda: done == ["1", "2"], timeout=5_000)  # waiting on the helper
    assert queue.is_pending(owner, "warm")
    threading.Timer(0.05, release.set).start()
    assert queue.finish(owner, "warm")  # waits for the call, then the last step
    assert done == ["1", "2", "3 with ranked"]
    assert len(queue) == 0
    assert not queue.finish(owner, "warm")  # nothing pending any more


def test_finish_asked_from_within_its_own_step_does_nothing(queue: IdleQueue, qtbot: QtBot) -> None:
    owner = QObject()
    answers: list[bool] = []

    def work() -> None:
        answers.append(queue.finish(owner, "a"))

    queue.request(owner, "a", work)
    qtbot.waitUntil(lambda: len(queue) == 0, timeout=5_000)
    assert answers == [False]
    assert not queue.finish(QObject(), "a")  # another owner's name is not this one's
