"""`aws-tunnels apply` checks its log groups before any change (gatewatch/aws_rollout/
preflight.py): a group in another account or partition, or one that does not exist, is exit 2
and one line naming the flag and the fix, with no EC2 call at all (so nothing modified).

EC2 is the stand-in over HTTP; STS and CloudWatch Logs are moto (its caller is account
123456789012 in partition aws, the account of the tests' ARNs).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest

from gatewatch.aws_rollout import cli
from tests.support.aws_rollout import (
    ARN,
    _session,
    create_log_group,
    isolated_cli,
    one_error_line,
    served_standin,
)
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import StandInSettings
from tests.support.standins.logs_denied import logs_denying_the_journal

FAST = StandInSettings(outage_seconds=0.3, down_delay=0.05, modify_seconds=0.2,
                       telemetry_lag=0.1)
GROUP = ARN.split("log-group:")[1]
OTHER_ACCOUNT = ARN.replace("123456789012", "999999999999")
CHINA = ARN.replace("arn:aws:", "arn:aws-cn:")
MISSING = ARN.replace(GROUP, "/aws/vendedlogs/not-there")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def served() -> Iterator[tuple[Ec2StandIn, str]]:
    with served_standin(FAST) as standin_and_url:
        yield standin_and_url


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            moto_url: str) -> Run:
    return isolated_cli(monkeypatch, capsys, moto_url)


@pytest.mark.parametrize(("flags", "says"), [
    (["--log-group-arn", OTHER_ACCOUNT],
     ["--log-group-arn is in account 999999999999", "account 123456789012",
      f"use e.g. --log-group-arn {ARN}"]),
    (["--log-group-arn", CHINA],
     ["--log-group-arn is in partition aws-cn", "credentials are in aws",
      f"--log-group-arn {ARN}"]),
    (["--log-group-arn", MISSING],
     ["--log-group-arn: log group /aws/vendedlogs/not-there does not exist in us-east-1",
      "aws logs create-log-group --log-group-name /aws/vendedlogs/not-there"]),
    (["--log-group-arn", ARN, "--bgp-log-group-arn", OTHER_ACCOUNT],
     ["--bgp-log-group-arn is in account 999999999999"]),
    (["--log-group-arn", ARN, "--bgp-log-group-arn", MISSING],
     ["--bgp-log-group-arn: log group /aws/vendedlogs/not-there does not exist"]),
])
def test_a_log_group_the_logs_cannot_reach_is_exit_2_and_nothing_is_modified(
        flags: list[str], says: list[str], run_cli: Run,
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpns = [standin.add_connection(), standin.add_connection()]
    done = run_cli("apply", "--region", "us-east-1", "--endpoint-url", url, *flags, *vpns)
    assert done.returncode == 2
    line = one_error_line(done)
    assert line.startswith(f"{cli.PROG}: error: ")
    for text in says:
        assert text in line, line
    assert standin.modify_calls() == []
    assert standin.calls == []  # refused before the first EC2 call


def test_the_group_must_match_exactly_across_pages(
        run_cli: Run, served: tuple[Ec2StandIn, str], moto_url: str) -> None:
    """DescribeLogGroups matches a prefix and pages (50 groups a page): a group is found on
    a later page, and a longer name sharing the prefix is not the group."""
    logs = _session().client("logs", region_name="us-east-1", endpoint_url=moto_url,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    base = "/aws/vendedlogs/paged"
    for i in range(60):
        create_log_group(moto_url, ARN.replace(GROUP, f"{base}-{i:02d}"))
    first = logs.describe_log_groups(logGroupNamePrefix=base)
    assert "nextToken" in first and len(first["logGroups"]) < 60  # really more than a page
    standin, url = served
    vpn = standin.add_connection()
    common = ["apply", "--region", "us-east-1", "--endpoint-url", url, "--poll", "0.05",
              "--timeout", "20"]

    prefix_only = run_cli(*common, "--log-group-arn", ARN.replace(GROUP, base), vpn)
    assert prefix_only.returncode == 2
    assert f"log group {base} does not exist" in one_error_line(prefix_only)
    assert standin.modify_calls() == []

    last = ARN.replace(GROUP, f"{base}-59")
    done = run_cli(*common, "--log-group-arn", last, vpn)
    assert done.returncode == 0, done.stderr
    assert "changed 2" in done.stdout


def test_disable_and_maintenance_need_the_journal_group_and_check_it(
        run_cli: Run, served: tuple[Ec2StandIn, str]) -> None:
    """No tunnel log group to default to: the journal's group is required, and checked like a
    tunnel log group (account, partition, existence) before the first EC2 call."""
    standin, url = served
    vpn = standin.add_connection()
    common = ["--region", "us-east-1", "--endpoint-url", url, "--poll", "0.05"]
    for action in (["apply", "--disable"], ["maintenance"]):
        missing = run_cli(*action, *common, vpn)
        assert missing.returncode == 2
        assert f"--journal-group-arn is required for {' '.join(action)}" in \
            one_error_line(missing)
        elsewhere = run_cli(*action, *common, "--journal-group-arn", OTHER_ACCOUNT, vpn)
        assert elsewhere.returncode == 2
        assert "--journal-group-arn is in account 999999999999" in one_error_line(elsewhere)
        gone = run_cli(*action, *common, "--journal-group-arn", MISSING, vpn)
        assert gone.returncode == 2
        assert "--journal-group-arn: log group /aws/vendedlogs/not-there does not exist" in \
            one_error_line(gone)
    assert standin.calls == []
    done = run_cli("apply", "--disable", *common, "--journal-group-arn", ARN, vpn)
    assert done.returncode == 0, done.stderr


def test_a_region_other_than_the_connections_is_refused_before_any_call(
        run_cli: Run, served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpn = standin.add_connection()
    west = ARN.replace("us-east-1", "eu-west-1")
    for flag in ("--log-group-arn", "--journal-group-arn"):
        flags = [flag, west] + (["--log-group-arn", ARN] if flag != "--log-group-arn" else [])
        done = run_cli("apply", "--region", "us-east-1", "--endpoint-url", url, *flags, vpn)
        assert done.returncode == 2
        assert f"{flag} is in region eu-west-1 but --region is us-east-1" in \
            one_error_line(done)
    assert standin.calls == []


def test_without_journal_permission_apply_refuses_in_one_line_and_changes_nothing(
        run_cli: Run, served: tuple[Ec2StandIn, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity may find the group (DescribeLogGroups) but not keep the rollout journal in
    it: exit 2 naming the journal, the denied action and the policy, before any EC2 call."""
    standin, url = served
    vpn = standin.add_connection()
    with logs_denying_the_journal(GROUP) as (logs_url, called):
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", logs_url)
        done = run_cli("apply", "--region", "us-east-1", "--endpoint-url", url,
                       "--log-group-arn", ARN, "--poll", "0.05", vpn)
    assert done.returncode == 2
    line = one_error_line(done)
    assert f"--log-group-arn: the rollout journal ({GROUP}, stream gatewatch-rollout-journal) " \
           "is not usable: CreateLogStream failed (AccessDeniedException" in line
    assert "docs/aws-deploy-policy.json" in line and "no tunnel was changed" in line
    assert called == ["DescribeLogGroups", "CreateLogStream"]
    assert standin.calls == []  # refused before the first EC2 call
