"""The facts of pr.yml and deploy.yml (tests/support/workflow_facts.py): none broken in the
real workflows, and each check shown able to fail on a copy broken on purpose."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import (
    DEPLOY,
    PR,
    Workflow,
    cloud_jobs,
    load,
    pulumi_commands,
    stack_files,
    up_jobs,
    uses,
)
from tests.support.workflow_facts import POLICY_PACK, all_problems


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


Mutation = Callable[[Workflow, Workflow], object]


def _job(wf: Workflow, name: str) -> dict[str, Any]:
    job: dict[str, Any] = wf["jobs"][name]
    return job


def _pulumi_step(wf: Workflow, name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _job(wf, name)["steps"]
                                if uses(s, "pulumi/actions") and "command" in s.get("with", {}))
    return step


def _pulumi(wf: Workflow, name: str) -> dict[str, Any]:
    with_: dict[str, Any] = _pulumi_step(wf, name)["with"]
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
