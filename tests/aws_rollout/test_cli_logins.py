"""`aws-tunnels` with the AWS credentials a person really has wrong: each is exit 2 and one line
naming the variable, the profile or the login to run, never a traceback; a key EC2 refuses
stops before anything is modified.

The environment is set as a user's shell would be (only AWS_* variables, an AWS config file of
our own, no instance metadata); the one subprocess run is the console entry point itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from tests.support.aws_rollout import (
    ARN,
    create_log_group,
    in_process_cli,
    one_error_line,
    preflight_endpoints,
    served_standin,
)
from tests.support.standins.ec2 import Ec2StandIn, StandInSettings

CONFIG = """\
[profile sso-dev]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly
[profile half]
aws_access_key_id = AKIAEXAMPLEONLYKEYID
[profile role]
role_arn = arn:aws:iam::123456789012:role/vpn-reader
[profile broken-process]
credential_process = /bin/false
"""

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's AWS set-up with no credential in it: our config file, no credentials file,
    no instance metadata, no AWS_* variable from the machine running the tests."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    config = tmp_path / "aws-config"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/.aws/sso/cache: no SSO token
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return tmp_path


@pytest.fixture
def served() -> Iterator[tuple[Ec2StandIn, str]]:
    with served_standin(StandInSettings(outage_seconds=0.5, down_delay=0.05, modify_seconds=0.4,
                                        telemetry_lag=0.15)) as standin_and_url:
        yield standin_and_url


@pytest.fixture
def run_cli(aws_home: Path, capsys: pytest.CaptureFixture[str], moto_url: str,
            monkeypatch: pytest.MonkeyPatch) -> Run:
    # apply checks its log group on STS and CloudWatch Logs first: moto, never AWS.
    for key, value in preflight_endpoints(moto_url).items():
        monkeypatch.setenv(key, value)
    create_log_group(moto_url)

    return in_process_cli(capsys)


# (environment, what the one line must say)
VARIANTS = {
    "key id alone": ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID"},
                     ["AWS_SECRET_ACCESS_KEY is not set", "AWS_PROFILE"]),
    "secret alone": ({"AWS_SECRET_ACCESS_KEY": "example-secret"},
                     ["AWS_ACCESS_KEY_ID is not", "AWS_PROFILE"]),
    "unknown profile": ({"AWS_PROFILE": "nope"},
                        ["'nope' (from AWS_PROFILE) does not exist",
                         "aws configure --profile nope",
                         "profiles configured: broken-process, half, role, sso-dev"]),
    "sso never logged in": ({"AWS_PROFILE": "sso-dev"},
                            ["aws sso login --profile sso-dev", "botocore: "]),
    "profile without secret": ({"AWS_PROFILE": "half"},
                               ["'half'", "has no aws_secret_access_key",
                                "aws configure --profile half"]),
    "role without source": ({"AWS_PROFILE": "role"},
                            ["sets role_arn without source_profile or credential_source"]),
    "failing credential_process": ({"AWS_PROFILE": "broken-process"},
                                   ["credential_process of AWS profile 'broken-process' failed",
                                    "botocore: Error when retrieving credentials from "
                                    "custom-process"]),
    "nothing at all": ({}, ["no AWS credentials found", "aws configure", "AWS_PROFILE"]),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_credential_problem_is_exit_2_and_one_line_naming_the_fix(
        variant: str, run_cli: Run, monkeypatch: pytest.MonkeyPatch,
        served: tuple[Ec2StandIn, str]) -> None:
    env, says = VARIANTS[variant]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    standin, url = served
    done = run_cli("status", "--region", "us-east-1", "--endpoint-url", url,
                   "vpn-0123456789abcdef0")
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    for text in says:
        assert text in line, line
    assert "example-secret" not in line and "AKIAEXAMPLE" not in line
    assert standin.calls == []  # found before any EC2 call


@pytest.mark.parametrize("action", ["status", "apply"])
def test_a_key_ec2_refuses_is_exit_2_naming_the_variables_and_nothing_changes(
        action: str, run_cli: Run, monkeypatch: pytest.MonkeyPatch,
        served: tuple[Ec2StandIn, str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    standin, url = served
    vpn = standin.add_connection()
    standin.inject_errors("DescribeVpnConnections", "AuthFailure",
                          message="AWS was not able to validate the provided access credentials")
    extra = ["--log-group-arn", ARN] if action == "apply" else []
    done = run_cli(action, "--region", "us-east-1", "--endpoint-url", url, *extra, vpn)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    assert "AWS does not accept the credentials (AuthFailure)" in line
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in line
    assert "AWS was not able to validate" in line  # one line of the service's own text
    assert standin.modify_calls() == [] and "example-secret" not in line


def test_an_expired_session_token_says_to_get_new_credentials(
        run_cli: Run, monkeypatch: pytest.MonkeyPatch, served: tuple[Ec2StandIn, str]) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "example-" + key.lower())
    standin, url = served
    vpn = standin.add_connection()
    standin.inject_errors("DescribeVpnConnections", "RequestExpired",
                          message="Request has expired.")
    done = run_cli("status", "--region", "us-east-1", "--endpoint-url", url, vpn)
    assert done.returncode == 2
    line = one_error_line(done)
    assert "the credentials have expired (RequestExpired)" in line
    assert "AWS_SESSION_TOKEN" in line and "clock" in line


def test_partial_credentials_as_a_subprocess_are_one_line_not_a_traceback(
        aws_home: Path) -> None:
    """The report of issue 23: AWS_ACCESS_KEY_ID alone printed a 34-line traceback, exit 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(aws_home), "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    done = subprocess.run([sys.executable, "-m", "gatewatch", "aws-tunnels", "status",
                           "--region", "us-east-1", "vpn-0123456789abcdef0"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "AWS_SECRET_ACCESS_KEY is not set" in one_error_line(done)


def test_a_connect_timeout_is_a_connect_error_retried_a_few_times_like_a_refused_one() -> None:
    """botocore's ConnectTimeoutError is not an EndpointConnectionError (both subclass its
    ConnectionError): the rollout used to stop at the first one, mid-wait for a tunnel."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    from gatewatch.aws_rollout.retry import is_connect_error, is_retryable

    timeout = ConnectTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com")
    assert not isinstance(timeout, EndpointConnectionError)
    assert is_connect_error(timeout) and is_retryable(timeout)
