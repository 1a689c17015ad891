"""Run `gatewatch doctor --json` against the stand-ins and pick lines out of its report."""

from __future__ import annotations

import json

import pytest

from gatewatch.cli import main
from tests.support.live_world import World


def run_doctor(w: World, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(["doctor", "--config-file", str(w.config_file), "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else {}, out.err


def line(report: dict[str, object], check: str, target_part: str = "") -> dict[str, str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    found = [c for c in checks if c["check"] == check and target_part in c["target"]]
    assert len(found) == 1, (check, target_part, checks)
    return found[0]


def checks_of(report: dict[str, object]) -> list[dict[str, str]]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return checks
