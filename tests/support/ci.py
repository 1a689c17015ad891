"""Reading the GitHub Actions workflows and running the CI's tools, for the tests in tests/ci/.

Nothing here runs a workflow on GitHub: the workflows are read as YAML, and the helper scripts
and linters are run as subprocesses from the repository root.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gatewatch.paths import PROJECT_ROOT as ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
AWS_POLICY = ROOT / "docs" / "aws-deploy-policy.json"

Workflow = dict[str, Any]


def load(path: Path) -> Workflow:
    doc: Workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def triggers(wf: Workflow) -> Any:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    keys: dict[Any, Any] = wf
    return keys["on"] if "on" in keys else keys.get(True)


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).lower().startswith(action.lower() + "@")


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if uses(s, action)]


def pulumi_commands(job: dict[str, Any]) -> list[dict[str, Any]]:
    """`with:` of the pulumi/actions steps that run a command (not the install-only step)."""
    return [s.get("with", {}) for s in steps_using(job, "pulumi/actions")
            if "command" in s.get("with", {})]


def cloud_jobs(wf: Workflow) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in wf["jobs"].items():
        if pulumi_commands(job):
            yield name, job


def up_jobs(wf: Workflow) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in cloud_jobs(wf)
            if any(w["command"] == "up" for w in pulumi_commands(job))}


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def ancestors(wf: Workflow, name: str) -> set[str]:
    seen: set[str] = set()
    todo = needs(wf["jobs"][name])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(needs(wf["jobs"].get(current, {})))
    return seen


def stack_files() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def venv_bin(tool: str) -> Path:
    """A tool of the virtualenv running the tests (the project's .venv under `make test`)."""
    candidate = Path(sys.executable).parent / tool
    return candidate if candidate.exists() else ROOT / ".venv" / "bin" / tool


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False, **kwargs)


def write_workflow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".github" / "workflows" / "broken.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
