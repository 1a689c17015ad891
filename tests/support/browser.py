"""Open a page in a real headless Chromium (Debian's `chromium`) and report what it saw.

CI installs the browser (.ci/run); on a machine without one the browser tests are skipped
with the reason, except under CI=true, where a missing browser fails them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Flags: headless, no sandbox (CI runs as root), and nothing that reaches the network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")
_CONSOLE = re.compile(r':CONSOLE(?::\d+|\(\d+\))\]\s+"(?P<text>.*)", source: ')


def chromium() -> str:
    found = os.environ.get("GATEWATCH_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium): the HTML report "
                    "was not opened in a browser")
    return found


@dataclass
class Rendered:
    dom: str
    console: list[str]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=False)


def render(page: Path, width: int | None = None) -> Rendered:
    """The DOM after scripts ran, and every console message the page produced (Chromium logs
    console.log, console.error and uncaught exceptions alike as CONSOLE lines); laid out in a
    window `width` px wide when given."""
    size = [f"--window-size={width},1000"] if width is not None else []
    result = _run(["--enable-logging=stderr", "--v=0", *size, "--dump-dom",
                   page.resolve().as_uri()])
    assert result.returncode == 0, result.stderr[-2000:]
    console = [m.group("text") for m in _CONSOLE.finditer(result.stderr)]
    return Rendered(result.stdout, console)


def screenshot(page: Path, out: Path, width: int = 1180, height: int = 700) -> None:
    result = _run([f"--window-size={width},{height}", f"--screenshot={out.resolve()}",
                   page.resolve().as_uri()])
    assert result.returncode == 0 and out.exists(), result.stderr[-2000:]
