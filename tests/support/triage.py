"""Run `gatewatch triage` against the stand-ins over the range the scenarios are built in
(tests/support/triage_scenarios.py), and pick its one drop."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gatewatch.cli import main
from tests.support.live_world import World


def run_triage(w: World, capsys: pytest.CaptureFixture[str], *extra: str,
               json_out: bool = True) -> tuple[int, Any, str]:
    # the range ends before healthy()'s own recent tunnel events (an UP tunnel's DPD log)
    start = (w.now - dt.timedelta(hours=2, minutes=30)).isoformat()
    end = (w.now - dt.timedelta(minutes=30)).isoformat()
    argv = ["triage", "--config-file", str(w.config_file), "--remote-ip", w.tunnel_ips()[0],
            "--from", start, "--to", end, *extra]
    if json_out:
        argv.append("--json")
    code = main(argv)
    out = capsys.readouterr()
    return code, (json.loads(out.out) if json_out and code == 0 else out.out), out.err


def one_drop(result: dict[str, Any]) -> dict[str, Any]:
    """The only drop of a triage --json result (asserting there is just one)."""
    assert len(result["drops"]) == 1, result["drops"]
    drop: dict[str, Any] = result["drops"][0]
    return drop
