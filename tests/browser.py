"""Open a page in a real headless Chromium (Debian's `chromium`) and report what it saw.

`render` drives one Chromium per test process over the DevTools protocol (its pipe, no
port); `screenshot` runs Chromium once on its own.

CI installs the browser (.ci/run); on a machine without one the browser tests are skipped
with the reason, except under CI=true, where a missing browser fails them.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Flags: headless, no sandbox (CI runs as root), and nothing that reaches the network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


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


class _Chromium:
    """One headless Chromium per test process, driven over its DevTools pipe
    (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON). Starting Chromium costs
    ~0.7 s; each page then opens in its own browser context (a fresh profile-like session,
    disposed after), so pages share nothing but the process."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory()
        to_chrome, self._out = os.pipe()
        self._in, from_chrome = os.pipe()
        # Chromium wants the pipe on fds 3 and 4: bash moves them there (from fds >= 10,
        # which cannot collide with 3 or 4) and execs it.
        high_in = fcntl.fcntl(to_chrome, fcntl.F_DUPFD_CLOEXEC, 10)
        high_out = fcntl.fcntl(from_chrome, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_chrome, from_chrome):
            os.close(fd)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{high_in} 4>&{high_out} {high_in}<&- '
             f"{high_out}>&-", chromium(), *FLAGS, f"--user-data-dir={self._profile.name}",
             "--remote-debugging-pipe"],
            pass_fds=(high_in, high_out), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (high_in, high_out):
            os.close(fd)
        self._buffer = b""
        self._last_id = 0
        self._events: list[dict[str, Any]] = []

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            # poll, not select: a long test run may hold more than FD_SETSIZE (1024) fds
            waiting = select.poll()
            waiting.register(self._in, select.POLLIN)
            if not waiting.poll(max(0.0, deadline - time.monotonic()) * 1000):
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise EOFError(f"Chromium exited ({self.proc.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._last_id += 1
        request: dict[str, Any] = {"id": self._last_id, "method": method,
                                   "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._out, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._message(deadline)
            if message.get("id") == self._last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._events.append(message)

    def _wait(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e.get("method") == method and e.get("sessionId") == session
                      for e in self._events):
            self._events.append(self._message(deadline))

    def render(self, uri: str) -> Rendered:
        context = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget", {"url": "about:blank",
                                                   "browserContextId": context})["targetId"]
        try:
            session = self.call("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Page", "Log"):
                self.call(f"{domain}.enable", session=session)
            self.call("Page.navigate", {"url": uri}, session=session)
            self._wait("Page.loadEventFired", session)
            dom = self.call("Runtime.evaluate", {
                "expression": "document.documentElement.outerHTML", "returnByValue": True},
                session=session)["result"]["value"]
            console = [_console_text(e) for e in self._events if e.get("sessionId") == session
                       and e.get("method") in _CONSOLE_EVENTS]
        finally:
            self._events.clear()
            self.call("Target.closeTarget", {"targetId": target})
            self.call("Target.disposeBrowserContext", {"browserContextId": context})
        return Rendered(str(dom), console)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()


TIMEOUT = 60.0  # seconds for any one DevTools answer (a page load included)
# What Chromium's console shows: console.* calls, uncaught exceptions, and its own messages
# (network, intervention, ...), which the DevTools protocol reports as Log entries.
_CONSOLE_EVENTS = ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")


def _console_text(event: dict[str, Any]) -> str:
    params = event["params"]
    if event["method"] == "Runtime.consoleAPICalled":
        return " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
    if event["method"] == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        described = (details.get("exception") or {}).get("description") or ""
        return f"{details.get('text', '')} {described.splitlines()[0] if described else ''}"
    return str(params["entry"].get("text", ""))


_browser: _Chromium | None = None


def render(page: Path) -> Rendered:
    """The DOM after the page loaded (scripts run), and every console message the page
    produced: console.log/error, uncaught exceptions, Chromium's own warnings."""
    global _browser
    if _browser is None or _browser.proc.poll() is not None:
        _browser = _Chromium()
        atexit.register(_browser.close)
    return _browser.render(page.resolve().as_uri())


def screenshot(page: Path, out: Path, width: int = 1180, height: int = 700) -> None:
    result = _run([f"--window-size={width},{height}", f"--screenshot={out.resolve()}",
                   page.resolve().as_uri()])
    assert result.returncode == 0 and out.exists(), result.stderr[-2000:]
