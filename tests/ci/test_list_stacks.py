"""The stack listing the preview matrix is computed from (.github/scripts/list_stacks.py, which
writes its output through github_output.py), and what the check job runs for each listed stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import run, stack_files
from tests.support.example_plans import cli_plan, uses_example_plans

LIST_STACKS = ROOT / ".github" / "scripts" / "list_stacks.py"


def list_stacks(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, str(LIST_STACKS), *args],
               env={**os.environ, **(env or {})})


def test_list_stacks_lists_every_stack_file() -> None:
    result = list_stacks("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == stack_files()
    assert {"dev", "prod"} <= set(stack_files())
    assert list_stacks().stdout.split() == stack_files()


def test_list_stacks_writes_the_github_output(tmp_path: Path) -> None:
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n", encoding="utf-8")
    result = list_stacks("--github-output", env={"GITHUB_OUTPUT": str(out)})
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "earlier=1"
    assert lines[1] == f"stacks={json.dumps(stack_files())}"


def test_list_stacks_reads_any_project_and_refuses_an_empty_one(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.eu.prod.yaml", "README.md"):
        (tmp_path / name).write_text("config: {}\n", encoding="utf-8")
    result = list_stacks("--json", "--root", str(tmp_path))
    assert json.loads(result.stdout) == ["eu.prod", "staging"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = list_stacks("--root", str(empty))
    assert result.returncode == 2
    assert "no Pulumi.<stack>.yaml" in result.stderr

@uses_example_plans
@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_file_plans_offline(stack: str) -> None:
    """What the check job runs for each stack: the config is valid and the program runs."""
    result = cli_plan("--stack", stack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Offline plan of stack '{stack}'" in result.stdout
