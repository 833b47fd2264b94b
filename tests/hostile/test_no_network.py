"""Every command works with the network denied, and none tries to use it.

Two guards, each on every command (``totals``, ``timeline``, ``validate``, ``convert``,
``snapshot``, ``report``) and on the window (opened on the demo until its map has drawn):

* an interceptor in the Python process: an audit hook that records every attempt to
  resolve a name or open an internet socket (``socket.getaddrinfo``,
  ``socket.connect``...); the run fails if there was one, even one that failed;
* where the system allows it, ``unshare -n``: the whole process tree, Chromium's network
  service included, runs in a network namespace without interfaces, and must still
  produce what it produces normally (the cheap commands' output is compared with the
  same command run in this process; the window's page records any request it makes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from explorer import DEMO_SITES, GEODATA

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not (GEODATA / "chips.csv").exists(), reason="chip catalogue not built"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="unshare and /proc: Linux"),
]

#: Runs ``explorer ARGS...`` (or, with ``--window``, the main window until its map has
#: drawn) with an audit hook that writes every network attempt to $NET_LOG.
_RUNNER = textwrap.dedent(
    """
    import json, os, socket, sys

    LOG = os.environ["NET_LOG"]
    WATCH = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
             "socket.gethostbyaddr", "socket.connect", "socket.sendto", "socket.bind",
             "urllib.Request", "http.client.connect"}
    INET = (socket.AF_INET, socket.AF_INET6)

    def hook(event, args):
        if event not in WATCH:
            return
        if event in ("socket.connect", "socket.sendto", "socket.bind"):
            if args[0].family not in INET:
                return  # a Unix socket (D-Bus, X11): not the network
            if event == "socket.bind" and args[1][0] in ("::1", "127.0.0.1"):
                return  # urllib3 (imported by folium) probes IPv6 so: no traffic
        with open(LOG, "a") as fh:
            fh.write(json.dumps([event, repr(args)[:200]]) + "\\n")

    sys.addaudithook(hook)
    argv = sys.argv[1:]
    if argv[:1] != ["--window"]:
        from explorer.__main__ import main
        sys.exit(main(argv))

    from PySide6.QtCore import QTimer
    from explorer.web.engine import make_application
    app = make_application([])
    from explorer.ui.main_window import MainWindow
    window = MainWindow()
    window.open_path(argv[1], interactive=False)
    failed = []
    QTimer.singleShot(60_000, lambda: (failed.append("timeout"), app.exit(3)))

    def drawn():
        requests = window.map_view.external_requests
        print(json.dumps({"external_requests": requests}), flush=True)
        app.exit(0 if not requests else 4)

    window.map.ready.connect(lambda: window.map.call_when_rendered(drawn))
    window.resize(1200, 800)
    window.show()
    sys.exit(app.exec())
    """
)


def _env(log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env["NET_LOG"] = str(log)
    env["XDG_CONFIG_HOME"] = str(log.parent / "config")  # the window's settings, isolated
    return env


def _unshare_prefix() -> list[str] | None:
    """``unshare -n`` (as root) or ``unshare -rn`` (a user namespace), if either works."""
    tool = shutil.which("unshare")
    if tool is None:
        return None
    for flags in (["-n"], ["-r", "-n"]):
        try:
            ok = subprocess.run([tool, *flags, "true"], capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            continue
        if ok.returncode == 0:
            return [tool, *flags]
    return None


UNSHARE = _unshare_prefix()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("offline")
    regions = d / "regions.geojson"
    regions.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Hami box"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[91, 40.5], [96.5, 40.5], [96.5, 45], [91, 45], [91, 40.5]]
                            ],  # fmt: skip
                        },
                    }
                ],
            }
        )
    )
    return {"dir": d, "regions": regions}


def _commands(inputs: dict[str, Path], out: Path) -> dict[str, list[str]]:
    demo, regions = str(DEMO_SITES), str(inputs["regions"])
    return {
        "totals": ["totals", demo, "--regions", regions, "--json"],
        "timeline": [
            "timeline",
            demo,
            "--regions",
            regions,
            "--from",
            "2024",
            "--to",
            "2027",
            "--csv",
        ],  # fmt: skip
        "validate": ["validate", demo],
        "convert": ["convert", demo, str(out / "demo.gpkg"), "--regions", regions],
        "snapshot": [
            "snapshot",
            demo,
            "--regions",
            regions,
            "--width",
            "500",
            "--height",
            "350",
            "--out",
            str(out / "map.png"),
        ],  # fmt: skip
        "report": ["report", demo, "--regions", regions, "--out", str(out / "report.pdf")],
        "window": ["--window", demo],
    }


def _run(prefix: list[str], argv: list[str], log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-c", _RUNNER, *argv],
        cwd=ROOT,
        env=_env(log),
        capture_output=True,
        text=True,
        timeout=240,
    )


COMMANDS = ["totals", "timeline", "validate", "convert", "snapshot", "report", "window"]
#: Commands cheap enough to run in-process too, for the answer to compare with.
IN_PROCESS = ("totals", "timeline", "validate", "convert")


def test_the_namespace_really_has_no_network() -> None:
    if UNSHARE is None:
        pytest.skip("no network namespace available here")
    probe = subprocess.run(
        [*UNSHARE, "cat", "/proc/net/dev"], capture_output=True, text=True, timeout=20
    )
    interfaces = [line.split(":")[0].strip() for line in probe.stdout.splitlines()[2:]]
    assert interfaces == ["lo"], probe.stdout
    link = subprocess.run(
        [*UNSHARE, "cat", "/sys/class/net/lo/operstate"], capture_output=True, text=True
    )
    assert link.stdout.strip() in ("down", "unknown"), link.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_works_offline_and_never_tries_the_network(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Under ``unshare -n`` where available (else with the interceptor alone)."""
    log = tmp_path / "net.log"
    offline_dir = tmp_path / "offline"
    offline_dir.mkdir()
    proc = _run(UNSHARE or [], _commands(inputs, offline_dir)[name], log)
    assert proc.returncode == 0, proc.stderr
    attempts = log.read_text().splitlines() if log.exists() else []
    assert attempts == [], attempts
    if name in IN_PROCESS:
        from explorer.cli import run_cli

        here = tmp_path / "here"
        here.mkdir()
        assert run_cli(_commands(inputs, here)[name]) == 0
        expected = capsys.readouterr().out
        # The same answer as in this process (with whatever network it has).
        assert proc.stdout.replace(str(offline_dir), "OUT") == expected.replace(str(here), "OUT")
        assert sorted(p.name for p in offline_dir.iterdir()) == sorted(
            p.name for p in here.iterdir()
        )
    elif name == "snapshot":
        from PIL import Image

        with Image.open(offline_dir / "map.png") as image:
            assert image.size == (500, 350)
    elif name == "report":
        import pypdf

        assert len(pypdf.PdfReader(offline_dir / "report.pdf").pages) >= 2
    else:  # the window: its page asked for nothing outside itself
        assert json.loads(proc.stdout.splitlines()[-1]) == {"external_requests": []}
