"""Compile a checkout's package to bytecode before timing whole processes.

``pip install`` compiles a package's modules when it installs them; an editable
checkout gets its bytecode written on first import, unless ``PYTHONDONTWRITEBYTECODE``
is set (as on the benchmark machine), and then every timed process would compile the
project's modules from source again (0.1 s and more of start-up that no installed copy
pays). Bytecode written by ``compileall`` is read even with that variable set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def compile_bytecode(tree: Path) -> None:
    """Compile ``tree``'s ``explorer`` package as ``pip install`` would."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "explorer")],
        check=True,
        capture_output=True,
    )
