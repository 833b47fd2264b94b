"""What the window benchmarks (``export_scale.py``, ``open_scale.py``) share: their
common options, the synthetic file, running a child process on a checkout, and waiting
in the child until the window has settled.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def window_parser(
    description: str, *, repeat_help: str, child_nargs: int
) -> argparse.ArgumentParser:
    """A parser with the options every window benchmark takes: ``--repeat``, ``--tree``
    (another checkout, run in the same rounds), ``--data`` (where synthetic files are
    kept) and the hidden ``--child``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeat", type=int, default=3, help=repeat_help)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "explorer-ms")
    parser.add_argument("--child", nargs=child_nargs, help=argparse.SUPPRESS)
    return parser


def synthetic_file(data: Path, n: int) -> Path:
    """``n`` synthetic sites written by the app's own writer into ``data`` (made once:
    :func:`map_scale.write_synthetic`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from map_scale import write_synthetic

    data.mkdir(parents=True, exist_ok=True)
    return write_synthetic(data, n)


#: The screen the benchmarks' windows open on under the offscreen platform: a desktop's,
#: so a first window opens at its full 1400 x 900 (the platform's own screen is 800 x
#: 800, and the window's first layout keeps to its screen).
DESKTOP_SCREEN = {"name": "desktop", "x": 0, "y": 0, "width": 1920, "height": 1080}


def desktop_screen(env: dict[str, str]) -> dict[str, str]:
    """``env`` with a plain ``QT_QPA_PLATFORM=offscreen`` given a desktop-sized screen
    (:data:`DESKTOP_SCREEN`, through the platform's ``configfile`` option); any other
    platform, or offscreen already configured, is left as it is."""
    if env.get("QT_QPA_PLATFORM") != "offscreen":
        return env
    config = Path(tempfile.gettempdir()) / "explorer-bench-desktop-screen.json"
    text = json.dumps({"screens": [{**DESKTOP_SCREEN, "logicalDpi": 96, "dpr": 1}]})
    if not config.is_file() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return {**env, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}


def run_child(
    script: str,
    args: list[str],
    tree: Path,
    *,
    result: str,
    what: str,
    cache: Path,
    timeout: int = 600,
) -> dict[str, Any]:
    """Run ``script --child ARGS OUT`` with checkout ``tree``'s code, its settings in a
    fresh folder ``OUT`` and its map-page cache in ``cache`` (never the user's); the JSON
    it printed after ``result``. Raises ``SystemExit`` naming ``what`` when the child
    printed none."""
    env = desktop_screen(dict(os.environ))
    env["PYTHONPATH"] = str(tree)
    env["EXPLORER_CACHE_DIR"] = str(cache)
    with tempfile.TemporaryDirectory() as out:
        env["XDG_CONFIG_HOME"] = out
        proc = subprocess.run(
            [sys.executable, script, "--child", *args, out],
            capture_output=True,
            text=True,
            env=env,
            cwd=tree,
            timeout=timeout,
            check=False,
        )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(result)]
    if not lines:
        raise SystemExit(f"{tree}: {what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(result) :])  # type: ignore[no-any-return]


def prepared_checkouts(trees: list[Path], prefix: str) -> Path:
    """Compile each checkout in ``trees`` to bytecode (as an installed copy is) and make
    the folder under which each caches its map pages for the runs (``run_child``'s
    ``cache``, one subfolder per checkout)."""
    from bytecode import compile_bytecode

    for tree in trees:
        compile_bytecode(tree)
    return Path(tempfile.mkdtemp(prefix=prefix))


def settled_heartbeat() -> tuple[Any, list[float]]:
    """Start a 10 ms timer on the UI thread and return once the window has settled (50
    ticks in a row, each within 30 ms of the one before): the timer, still running, and
    the list its ticks append their ``perf_counter`` times to."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    ticks: list[float] = []
    beat = QTimer()
    beat.setInterval(10)
    beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    settled = QEventLoop()

    def check() -> None:
        recent = ticks[-51:]
        if len(recent) == 51 and all(
            b - a < 0.03 for a, b in zip(recent, recent[1:], strict=False)
        ):
            settled.quit()

    beat.timeout.connect(check)
    beat.start()
    settled.exec()
    beat.timeout.disconnect(check)
    return beat, ticks


__all__ = ["desktop_screen", "prepared_checkouts", "run_child", "settled_heartbeat"]
