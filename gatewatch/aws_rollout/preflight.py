"""Before any tunnel changes: the log groups the tunnels will send to are ones logs can reach.

Turning tunnel logs on replaces each tunnel's endpoint (a few minutes DOWN per tunnel), so a
log group ARN that can never receive the logs costs two outages per connection for nothing.
The kit publishes Site-to-Site VPN logs as vended logs, which AWS delivers into CloudWatch Logs
of the account that owns the connection, with the log delivery and resource policy the caller
sets up there ("Site-to-Site VPN logs", IAM requirements to publish to CloudWatch Logs,
https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html). So, per flag:

- the ARN's partition and account are the caller's: STS GetCallerIdentity answers `Account`
  and `Arn` (whose second field is the partition) and needs no IAM permission
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html);
- its region is the connections' region (the command line refuses that before any call);
- the group exists: CloudWatch Logs DescribeLogGroups with `logGroupNamePrefix`, every page,
  an exact `logGroupName` match (a prefix also matches longer names)
  (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html;
  botocore's `describe_log_groups` paginator). It needs `logs:DescribeLogGroups`, granted in
  docs/aws-deploy-policy.json.

Anything else is bad input: one line naming the flag and the fix, before the first EC2 call.
The STS and CloudWatch Logs endpoints are boto3's (AWS_ENDPOINT_URL_STS and
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS override them, as the tests do); `--endpoint-url` is EC2's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.login import DENIED_CODES
from gatewatch.aws_rollout.options import LogOptions
from gatewatch.errors import BadInput

# Two quick reads: one SDK retry each is plenty (a person reruns), a short connect timeout.
_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=10)


@dataclass(frozen=True)
class Caller:
    """Who the credentials are, from GetCallerIdentity."""

    partition: str
    account: str

    @classmethod
    def from_identity(cls, identity: Mapping[str, Any]) -> Caller:
        # arn:PARTITION:sts::ACCOUNT:assumed-role/... or arn:PARTITION:iam::ACCOUNT:user/...
        return cls(str(identity["Arn"]).split(":")[1], str(identity["Account"]))


def _denied(flag: str, action: str, exc: ClientError) -> BadInput:
    code = exc.response.get("Error", {}).get("Code", "")
    return BadInput(f"{flag}: could not check the log group ({code} on {action}); allow "
                    f"{action} to these credentials (docs/aws-deploy-policy.json) and rerun")


def check_log_groups(groups: Sequence[tuple[str, str]], region: str,
                     session: boto3.Session | None = None) -> None:
    """Raise BadInput for the first (flag, arn) whose group the connections in `region` cannot
    log to. Other service errors (throttling, no network, refused credentials) propagate."""
    if not groups:
        return
    session = session or boto3.Session()
    sts = session.client("sts", region_name=region, config=_CONFIG)
    try:
        caller = Caller.from_identity(sts.get_caller_identity())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in DENIED_CODES:
            raise _denied(groups[0][0], "sts:GetCallerIdentity", exc) from None
        raise
    logs = session.client("logs", region_name=region, config=_CONFIG)
    checked: set[str] = set()
    for flag, arn in groups:
        match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(arn)
        if match is None:  # the command line validated the form already
            raise BadInput(f"{flag} {arn!r} is not a CloudWatch Logs log group ARN")
        partition = arn.split(":")[1]
        name, account = match["name"], match["account"]
        fix = f"arn:{caller.partition}:logs:{region}:{caller.account}:log-group:{name}"
        if partition != caller.partition:
            raise BadInput(
                f"{flag} is in partition {partition} but the credentials are in "
                f"{caller.partition} (account {caller.account}); VPN logs cannot cross "
                f"partitions: use a log group of this account, e.g. {flag} {fix}")
        if account != caller.account:
            raise BadInput(
                f"{flag} is in account {account} but the VPN connections are read with account "
                f"{caller.account}; the tunnels can only log to a group of their own account: "
                f"use e.g. {flag} {fix} (or run with that account's credentials)")
        if name in checked:
            continue
        if not _exists(logs, flag, name):
            raise BadInput(
                f"{flag}: log group {name} does not exist in {region} (account "
                f"{caller.account}); create it first (aws logs create-log-group "
                f"--log-group-name {name} --region {region}) or fix the name")
        checked.add(name)


def _exists(logs: Any, flag: str, name: str) -> bool:
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
    try:
        return any(group.get("logGroupName") == name
                   for page in pages for group in page.get("logGroups", []))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in DENIED_CODES:
            raise _denied(flag, "logs:DescribeLogGroups", exc) from None
        raise


def log_groups_of(options: LogOptions, flags: tuple[str, str] = ("--log-group-arn",
                                                           "--bgp-log-group-arn")
                  ) -> list[tuple[str, str]]:
    """The (flag, arn) pairs a LogOptions will send logs to, named as the caller names them."""
    out: list[tuple[str, str]] = []
    if options.log_enabled and options.log_group_arn:
        out.append((flags[0], options.log_group_arn))
    if options.bgp_log_enabled and options.bgp_log_group_arn:
        out.append((flags[1], options.bgp_log_group_arn))
    return out
