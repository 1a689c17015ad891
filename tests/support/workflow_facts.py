"""The facts the workflows must keep, as `*_problems` functions returning one line per problem.

Every stack previewed and deployed, the policy pack on every preview and up, least permissions,
OIDC only (no stored cloud keys), fork PRs skipped, dev before prod, one concurrency group per
stack. tests/ci/test_workflow_facts.py runs them on the real workflows (no problems) and on
copies broken on purpose (problems).
"""

from __future__ import annotations

import json
import re
from typing import Any

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import (
    Workflow,
    ancestors,
    cloud_jobs,
    needs,
    pulumi_commands,
    steps_using,
    triggers,
    up_jobs,
    uses,
)

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

