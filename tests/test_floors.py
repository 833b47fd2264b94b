"""Floors that hold: the import contract, import circles, and what ``import`` loads.

* The floors contract (``[tool.importlinter]`` in ``pyproject.toml``) is run here as
  ``make lint`` runs it, so ``make test`` enforces it too; and it is shown to fail on a
  copy of the package with each of the three back-edges the code once had.
* No two modules import each other, directly or round a longer circle (the contract
  cannot see circles within one floor); shown to fail on a copy with a circle.
* Importing the model floors loads no Qt, and ``explorer.core`` loads none of the
  numeric/geospatial stack either. Module loading is per process, so that one runs in a
  fresh interpreter.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.import_graph import import_cycles, import_graph, strongly_connected

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "explorer"
CONTRACT = "Floors"  # the start of the contract's name in pyproject.toml


def lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` as ``make lint`` runs it, reading ``cwd/pyproject.toml``."""
    script = Path(sys.executable).with_name("lint-imports")
    cmd = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
    )
    env = _env(pythonpath)
    return subprocess.run(
        [*cmd, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def cycles_of_copy(copy: Path) -> subprocess.CompletedProcess[str]:
    """``tests/import_graph.py`` on the package in ``copy`` (found first on the path)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "import_graph.py")],
        cwd=copy,
        env=_env(copy),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(pythonpath: Path | None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# ----------------------------------------------------------------- the contract, today


def test_floors_contract_holds() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout, result.stdout


def test_no_import_circles() -> None:
    graph = import_graph()
    assert len(graph.modules) > 40  # the real package, not an empty graph
    assert import_cycles(graph) == []


# ------------------------------------------------------- the contract on a broken copy


def _copy_package(dest: Path) -> Path:
    """The package's Python files and the contract's configuration, in ``dest``."""
    shutil.copytree(
        PACKAGE_DIR,
        dest / "explorer",
        ignore=shutil.ignore_patterns("__pycache__", "geodata", "resources"),
    )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _module_file(copy: Path, *candidates: str) -> Path:
    """The first existing file among ``candidates`` (globs), so a split keeps the test."""
    for pattern in candidates:
        found = sorted(p for p in copy.glob(pattern) if p.name != "__init__.py")
        found = found or sorted(copy.glob(pattern))
        if found:
            return found[0]
    raise AssertionError(f"none of {candidates} exists any more: update this test")


def _module_name(copy: Path, path: Path) -> str:
    parts = path.relative_to(copy).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_exists(copy: Path, module: str) -> bool:
    base = copy.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _inject(path: Path, module: str, *, lazy: bool) -> None:
    """Append an import of ``module`` to ``path``: at module level, or inside a function."""
    if lazy:
        code = f"\n\ndef _injected_back_edge() -> None:\n    import {module}  # noqa: F401\n"
    else:
        code = f"\nimport {module}  # noqa: E402, F401\n"
    path.write_text(path.read_text(encoding="utf-8") + code, encoding="utf-8")


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_package(tmp_path_factory.mktemp("floors-clean"))


def test_contract_and_cycle_check_pass_on_a_clean_copy(clean_copy: Path) -> None:
    result = lint_imports(clean_copy, pythonpath=clean_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    cycles = cycles_of_copy(clean_copy)
    assert cycles.returncode == 0, cycles.stdout + cycles.stderr


# The three imports that once ran the wrong way (issue 8), one at a time.
BACK_EDGES = [
    pytest.param(
        ("explorer/core/*.py",), "explorer.geo.regions", False, id="core-imports-geo.regions"
    ),
    pytest.param(
        ("explorer/geo/regions.py", "explorer/geo/regions/*.py"),
        "explorer.io.atomic",
        False,
        id="geo.regions-imports-io.atomic",
    ),
    pytest.param(
        ("explorer/web/snapshot.py", "explorer/web/snapshot/*.py"),
        "explorer.app",
        True,  # it was an import inside a function ("make a QApplication if none")
        id="web.snapshot-imports-app-lazily",
    ),
]


@pytest.mark.parametrize(("importers", "imported", "lazy"), BACK_EDGES)
def test_contract_fails_on_a_back_edge(
    tmp_path: Path, importers: tuple[str, ...], imported: str, lazy: bool
) -> None:
    copy = _copy_package(tmp_path)
    path = _module_file(copy, *importers)
    importer = _module_name(copy, path)
    assert _module_exists(copy, imported), f"{imported} moved: update this test"
    _inject(path, imported, lazy=lazy)

    result = lint_imports(copy, pythonpath=copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CONTRACT}" in result.stdout and "0 kept, 1 broken" in result.stdout
    importer_floor = ".".join(importer.split(".")[:2])
    imported_floor = ".".join(imported.split(".")[:2])
    assert f"{importer_floor} is not allowed to import {imported_floor}" in result.stdout
    assert f"{importer} -> {imported}" in result.stdout, result.stdout


def test_cycle_check_fails_on_a_circle(tmp_path: Path) -> None:
    copy = _copy_package(tmp_path)
    view = _module_file(copy, "explorer/web/view.py", "explorer/web/view/*.py")
    controller = _module_file(copy, "explorer/web/controller.py", "explorer/web/controller/*.py")
    view_name, controller_name = _module_name(copy, view), _module_name(copy, controller)
    _inject(view, controller_name, lazy=True)
    _inject(controller, view_name, lazy=False)

    result = cycles_of_copy(copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{view_name} -> {controller_name}" in result.stdout, result.stdout
    assert f"{controller_name} -> {view_name}" in result.stdout, result.stdout
    # Both modules are on one floor: the layers contract alone would let this through.
    assert lint_imports(copy, pythonpath=copy).returncode == 0


def _brute_force_circles(adjacency: Mapping[str, set[str]]) -> list[list[str]]:
    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(adjacency[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(adjacency[node])
        return seen

    reachable = {n: reach(n) for n in adjacency}
    circles = {
        tuple(
            sorted(n2 for n2 in adjacency if n2 == n or (n2 in reachable[n] and n in reachable[n2]))
        )
        for n in adjacency
        if n in reachable[n]
    }
    return sorted(list(c) for c in circles)


@pytest.mark.parametrize("seed", range(20))
def test_strongly_connected_agrees_with_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [f"m{i}" for i in range(rng.randint(1, 25))]
    adjacency = {n: {m for m in nodes if rng.random() < 0.08} for n in nodes}
    assert strongly_connected(adjacency) == _brute_force_circles(adjacency)


# ----------------------------------------------------------- what importing loads


HEAVY = ["numpy", "shapely", "pyproj", "pandas", "geopandas", "pyogrio"]
QT = ["PySide6", "shiboken6", "PyQt5", "PyQt6"]


def test_model_floors_load_no_qt_and_core_loads_no_numeric_stack(tmp_path: Path) -> None:
    """Import every module of core, then of geo, io, session and the CLI, in a new process."""
    code = textwrap.dedent(
        """
        import importlib, json, pkgutil, sys

        heavy, qt = json.loads(sys.argv[1])

        def import_all(name):
            pkg = importlib.import_module(name)
            for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), name + "."):
                importlib.import_module(info.name)

        def loaded(roots):
            return sorted({m.split(".")[0] for m in sys.modules} & set(roots))

        def ours(prefix):
            return sorted(m for m in sys.modules if m.startswith(prefix))

        import_all("explorer.core")
        report = {"core": loaded(heavy + qt), "core_modules": ours("explorer.core.")}
        for name in ("explorer.geo", "explorer.io", "explorer.session", "explorer.cli"):
            import_all(name)
        report["model"] = loaded(qt)
        report["model_modules"] = ours("explorer.")
        print(json.dumps(report))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps([HEAVY, QT])],
        cwd=tmp_path,
        env=_env(None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["core_modules"]) >= 5  # the walk really imported the floor
    assert report["core"] == [], f"import explorer.core loads {report['core']}"
    assert {"explorer.geo.totals", "explorer.io.project", "explorer.cli"} <= set(
        report["model_modules"]
    )
    assert report["model"] == [], f"the Qt-free floors load {report['model']}"
