"""The workflows match GitHub's workflow schema (check-jsonschema's vendored copy), and the
check is shown able to fail on a broken workflow."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.ci import DEPLOY, PR, WORKFLOWS, run, venv_bin, write_workflow


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    tool = venv_bin("check-jsonschema")
    assert tool.exists(), f"{tool} missing: run `make setup` (requirements-dev.txt has it)"
    return run([str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, files)])


def test_workflows_exist() -> None:
    assert PR.is_file() and DEPLOY.is_file()


def test_every_workflow_matches_githubs_workflow_schema() -> None:
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files
    result = check_jsonschema(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = write_workflow(tmp_path, "on: pull_request\njobs:\n  check:\n    steps: nope\n")
    result = check_jsonschema(broken)
    assert result.returncode != 0
    assert "broken.yml" in result.stdout + result.stderr
