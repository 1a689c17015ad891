"""Ctrl-C while a command is working: one line, exit 130, no traceback, nothing half-written.

The signal goes to the whole process group, as a terminal's Ctrl-C does (so the Kusto checker's
node process gets it too). Each test waits until the command has spent real CPU time on its work
and checks it is still running, so it cannot pass by interrupting nothing.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatewatch.cli import INTERRUPTED
from gatewatch.errors import EXIT_INTERRUPTED
from gatewatch.paths import PROJECT_ROOT as ROOT

TICKS = os.sysconf("SC_CLK_TCK")


def _ctrl_c_ready() -> None:
    """In the child before exec: SIGINT at its default, as under a terminal. A shell running
    the test suite in the background ignores SIGINT, the ignore is inherited, and Python then
    installs no KeyboardInterrupt handler at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def interrupt_while_working(args: list[str], cpu_seconds: float) -> tuple[str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "gatewatch", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_ctrl_c_ready)
    deadline = time.monotonic() + 120
    while _cpu_seconds(proc.pid) < cpu_seconds:
        assert proc.poll() is None, f"finished before it could be interrupted: {args}"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None, f"finished before it could be interrupted: {args}"
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr
    return stdout, stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_ctrl_c_during_the_plan_prints_one_line_and_no_partial_plan() -> None:
    # About 1.5 s of CPU in: imports done, the program is running under the mocks.
    stdout, stderr = interrupt_while_working(["plan"], 1.5)
    assert stderr.strip().splitlines() == [INTERRUPTED]
    assert stdout == ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_ctrl_c_during_policy_check_prints_one_line(tmp_path: Path) -> None:
    write_export = runpy.run_path(str(ROOT / "bench" / "policy_check.py"))["write_export"]
    export = tmp_path / "export.json"
    write_export(export, 50_000)
    stdout, stderr = interrupt_while_working(["policy", "check", str(export)], 0.8)
    assert stderr.strip().splitlines() == [INTERRUPTED]
    assert stdout == ""
