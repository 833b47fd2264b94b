"""One call run on a thread of its own, its answer (or its error) taken later.

For the bulk steps of reading a file that spend their time in Arrow or NumPy, which let
go of the interpreter: started on the second core, they run while the calling thread
goes on with work of its own (imports, other checks).

A call whose answer is never taken (the command failed first) still runs to its end
before the process exits: the interpreter and the libraries' static state must not be
torn down under a read running in Arrow's threads (a command that failed while its
file was read ahead crashed at exit in one run of three).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: Calls started and not yet finished (a finished one's thread no longer holds it).
_running: weakref.WeakSet[OnThread[Any]] = weakref.WeakSet()
_running_lock = threading.Lock()


class OnThread(Generic[T]):
    """``fn(*args)`` started on a daemon thread at once; :meth:`result` waits for it."""

    def __init__(self, name: str, fn: Callable[..., T], *args: object) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=args, name=name, daemon=True)
        with _running_lock:
            _running.add(self)
        self._thread.start()

    def _run(self, *args: object) -> None:
        try:
            self._value = self._fn(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            self._error = exc

    def wait(self) -> None:
        """Wait for the call to finish, its answer or error left for :meth:`result`."""
        self._thread.join()

    def result(self) -> T:
        """The call's answer once it has finished; its exception raised here if it
        raised one."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


@atexit.register
def _finish_running() -> None:
    """At exit, wait for every call still running (see the module's notes)."""
    with _running_lock:
        calls = list(_running)
    for call in calls:
        call.wait()


__all__ = ["OnThread"]
