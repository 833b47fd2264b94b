"""Benchmark: where the map page's own start-up time goes (issue 10, cold start).

The demo's markers wait for the map page to connect; on its own, in a window that does
nothing else, the page takes about half a second of script before it connects. This
splits that time by step: the app's page is written out as the app writes it, a copy is
marked with ``performance.mark`` before every script and before every top-level
statement of folium's inline script (the copy's content security policy is dropped, as
its script hashes no longer match), and the copy is loaded in a bare
``QWebEngineView``. The marks are read back after the page has loaded; each step's time
is the gap to the next mark, medians of ``--repeat`` fresh pages.

What the steps are: Leaflet and our scripts loading (``load <file>``); folium's
inline script being parsed (up to its first statement; the basemap's data are in it, as
one JSON string) and run: the map, ``CSE.setupMap``, ``CSE.setupBasemap`` (parsing the
basemap's JSON and making every basemap layer: the polygons' paths, the towns, the
physical labels), the sites' feature group, the layer control, and ``CSE.start`` (up to
the end of the document). A page built before the basemap moved to the page's own
canvases (one folium ``geo_json_*`` layer per basemap file) is named layer by layer.

Run headless::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/page_scripts.py
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

#: Folium's layer variables, in the order explorer.web.page adds them (for the table).
LAYER_ORDER = ("countries", "provinces", "lakes", "towns", "physical labels")

_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
_SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)
_STATEMENT = re.compile(r"\n(\s*)var (\w+) = ")
_PAGE_CALL = re.compile(r"\n(\s*)(CSE\.\w+)\(")


def marked_copy(page_dir: Path, target: Path) -> Path:
    """A copy of the page in ``page_dir`` with marks before every step; its index file.

    A mark goes before each script element (Leaflet and our scripts are inline since
    they stopped being loaded from files; each is named by the file it came from), and
    before each top-level statement of folium's inline script only: marks inside our
    own scripts' functions would time the wrong thing and slow what they mark."""
    from explorer.web.page import inline_script, page_assets

    shutil.copytree(page_dir, target)
    index = target / "index.html"
    html = _CSP.sub("", index.read_text(encoding="utf-8"))
    names = {
        inline_script(path): src.rsplit("/", 1)[-1]
        for src, path in page_assets().items()
        if src.endswith(".js")
    }

    def marked(m: re.Match[str]) -> str:
        attrs, body = m.group(1), m.group(2)
        src = re.search(r'src="([^"]*)"', attrs)
        if src is not None:
            name = "load " + src.group(1).rsplit("/", 1)[-1]
        elif m.group(0) in names:
            name = "load " + names[m.group(0)]
        elif "var map_" in body:
            body = _STATEMENT.sub(
                lambda s: f"\n{s.group(1)}performance.mark('run {s.group(2)}');var {s.group(2)} = ",
                body,
            )
            body = _PAGE_CALL.sub(
                lambda s: f"\n{s.group(1)}performance.mark('run {s.group(2)}');{s.group(2)}(",
                body,
            )
            return (
                f"<script>performance.mark('inline script')</script><script{attrs}>{body}</script>"
            )
        else:
            name = "run folium's settings"
        return f"<script>performance.mark({json.dumps(name)})</script>" + m.group(0)

    html = _SCRIPT.sub(marked, html)
    html = html.replace("</html>", "<script>performance.mark('end')</script></html>")
    index.write_text(html, encoding="utf-8")
    return index


def named(marks: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """(step, ms) from the marks: a mark's step lasts until the next mark; folium's
    generated names are given their layer's name."""
    layers = iter(LAYER_ORDER)
    steps = []
    for (name, t), (_, t_next) in zip(marks, marks[1:], strict=False):
        if name.startswith("run geo_json"):
            name = f"run basemap layer: {next(layers, name)}"
        elif name.startswith("run map_"):
            name = "run the map"
        elif name.startswith("run feature_group"):
            name = "run the sites group"
        elif name.startswith("run layer_control"):
            name = "run the layer control"
        elif name == "run CSE.setupBasemap":
            name = "run CSE.setupBasemap (parse the basemap, make its layers)"
        elif name == "inline script":
            name = "parse folium's inline script (data inline)"
        steps.append((name, t_next - t))
    return steps


def run(repeat: int) -> list[dict[str, float]]:
    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from explorer.web.engine import make_application
    from explorer.web.view import MapView

    app = make_application([])
    app_view = MapView()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="cse-page-scripts-") as tmp:
        for r in range(repeat):
            index = marked_copy(app_view.page_dir, Path(tmp) / f"copy-{r}")
            view = QWebEngineView()
            view.resize(1400, 900)
            view.show()
            result: dict[str, float] = {}

            def read_marks(
                ok: bool, view: QWebEngineView = view, result: dict[str, float] = result
            ) -> None:
                js = (
                    "JSON.stringify(performance.getEntriesByType('mark')"
                    ".map(e => [e.name, e.startTime]))"
                )

                def got(text: str, result: dict[str, float] = result) -> None:
                    marks = [(n, float(t)) for n, t in json.loads(text)]
                    result.update(named(marks))
                    result["total (first mark to end)"] = marks[-1][1] - marks[0][1]
                    app.exit(0)

                view.page().runJavaScript(js, 0, got)

            view.loadFinished.connect(read_marks)
            QTimer.singleShot(60_000, lambda: app.exit(1))
            view.load(QUrl.fromLocalFile(str(index)))
            if app.exec() != 0 or not result:
                raise RuntimeError("the marked page did not load")
            rounds.append(result)
            view.deleteLater()
    # The app's view (and the private profile it owns) goes before the application.
    app_view.deleteLater()
    QTimer.singleShot(0, app.quit)
    app.exec()
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh pages (medians)")
    args = parser.parse_args(argv)
    from explorer.web.engine import environment_problem

    if (problem := environment_problem()) is not None:
        print(f"{Path(__file__).name}: {problem}", file=sys.stderr)
        return 2
    rounds = run(args.repeat)
    print(f"## The map page's scripts at start-up (ms, medians of {args.repeat} pages)\n")
    print("| step | ms |\n|---|---:|")
    for step in rounds[0]:
        values = [r[step] for r in rounds if step in r]
        print(f"| {step} | {statistics.median(values):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
