"""Import cycles between modules of ``explorer``, found on the real import graph.

The floors contract (``lint-imports``, configured in ``pyproject.toml``) keeps imports
pointing down between floors; it says nothing about two modules on one floor importing
each other. This finds those circles: the strongly connected components of the module
graph that grimp (import-linter's own graph library) builds statically, so imports inside
functions and under ``TYPE_CHECKING`` count, as they do for the contract.

Run as a script (``python tests/import_graph.py``, as ``make lint`` does) it prints every
circle with the import lines that close it and exits 1 if there is one. The package is
found the way Python would import it (``PYTHONPATH`` first), which is how the tests point it
at a copy with a deliberate circle; as a script, the working directory comes first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence

import grimp

PACKAGE = "explorer"


def import_graph(package: str = PACKAGE) -> grimp.ImportGraph:
    """The static import graph of ``package`` (no cache: it takes milliseconds)."""
    return grimp.build_graph(package, cache_dir=None)


def strongly_connected(adjacency: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit).

    Returns the components of more than one node, and single nodes that import
    themselves: exactly the import circles. Each component is sorted; the list too.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []
    counter = 0
    for root in sorted(adjacency):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(adjacency[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in adjacency:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(adjacency[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in adjacency[node]:
                    circles.append(sorted(component))
    return sorted(circles)


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every import circle between modules of ``graph``."""
    adjacency = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    return strongly_connected(adjacency)


def describe(graph: grimp.ImportGraph, circle: Sequence[str]) -> str:
    """The imports inside one circle, one per line, with their line numbers."""
    members = set(circle)
    lines = [f"import circle between {len(circle)} modules: {', '.join(circle)}"]
    for importer in circle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            details = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(f"l.{d['line_number']}" for d in details)
            lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    package = argv[0] if argv else PACKAGE
    graph = import_graph(package)
    circles = import_cycles(graph)
    for circle in circles:
        print(describe(graph, circle))
    print(f"{package}: {len(graph.modules)} modules, {len(circles)} import circles")
    return 1 if circles else 0


if __name__ == "__main__":
    # As lint-imports does: the package in the working directory is the one checked.
    sys.path.insert(0, os.getcwd())
    sys.exit(main(sys.argv[1:]))
