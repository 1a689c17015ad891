"""`gatewatch` is a command, from any directory: `make setup` installs the kit (editable) into
the virtualenv with a console entry point; `python -m gatewatch` keeps working too. Bad
arguments are one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatewatch.cli import main

COMMAND = Path(sys.executable).parent / "gatewatch"


def _env() -> dict[str, str]:
    # Nothing that would put the checkout on the import path by another way.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def test_the_gatewatch_command_plans_from_another_directory(tmp_path: Path) -> None:
    assert COMMAND.is_file(), f"{COMMAND} is missing: run `make setup` (installs the kit)"
    done = subprocess.run([str(COMMAND), "plan", "--json"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["stack"] == "dev"  # the kit's Pulumi.dev.yaml, found from elsewhere
    assert any(r["type"] == "azure-native:monitor:DiagnosticSetting" for r in doc["resources"])
    assert all(k["ok"] for k in doc["kql"])  # alerts/ and queries/ read by path from the kit
    assert list(tmp_path.iterdir()) == []  # and nothing written where it ran


def test_python_m_gatewatch_reads_paths_relative_to_where_it_runs(tmp_path: Path) -> None:
    export = {"version": 3, "deployment": {"manifest": {}, "resources": []}}
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "gatewatch", "policy", "check", "export.json"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "over export.json (0 resources)" in done.stdout


@pytest.mark.parametrize("stack", ["", "  "])
def test_an_empty_stack_name_is_an_error(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--stack", stack])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 2
    assert output.startswith("error: --stack: is empty")
    assert "Traceback" not in output and "Resources:" not in output
