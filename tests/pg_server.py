"""The database tests' server: the project's local-server script, imported."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from pg_local import UNAVAILABLE, PgServer, find_bindir, running_server  # noqa: E402

__all__ = ["UNAVAILABLE", "PgServer", "find_bindir", "running_server"]
