"""Whether a stack deploys to AWS (.github/scripts/stack_aws.py): read from its stack file
without a YAML parser, and failing with an ::error:: annotation when its role or region is unset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import run, stack_files

STACK_AWS = ROOT / ".github" / "scripts" / "stack_aws.py"


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
