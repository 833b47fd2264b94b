"""One call run on a thread of its own, its answer (or its error) taken later.

For the bulk steps of reading a file that spend their time in Arrow or NumPy, which let
go of the interpreter: started on the second core, they run while the calling thread
goes on with work of its own (imports, other checks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class OnThread(Generic[T]):
    """``fn(*args)`` started on a daemon thread at once; :meth:`result` waits for it."""

    def __init__(self, name: str, fn: Callable[..., T], *args: object) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=args, name=name, daemon=True)
        self._thread.start()

    def _run(self, *args: object) -> None:
        try:
            self._value = self._fn(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            self._error = exc

    def result(self) -> T:
        """The call's answer once it has finished; its exception raised here if it
        raised one."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


__all__ = ["OnThread"]
