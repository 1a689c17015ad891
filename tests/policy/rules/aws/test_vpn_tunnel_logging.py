"""aws-vpn-tunnel-logging over recorded programs (tunnel options and the rollout resource)."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_aws import cloudwatch, ec2
from pulumi_aws import provider as aws_provider

from gatewatch.checks.model import UNKNOWN
from tests.support.policy_stacks import (
    TunnelLogsRollout,
    aws_stack,
    check,
    record,
    violations,
)


def test_a_vpn_connection_without_tunnel_logs_fails_and_names_both_tunnels() -> None:
    outcome = check(record(aws_stack()))
    [violation] = outcome.violations
    assert violation.policy == "aws-vpn-tunnel-logging" and violation.level == "mandatory"
    assert "'office-vpn' does not send tunnel1, tunnel2 activity logs" in violation.message


def test_one_logged_tunnel_is_not_enough() -> None:
    [message] = violations(check(record(aws_stack(tunnels=[1]))), "aws-vpn-tunnel-logging")
    assert "does not send tunnel2 activity logs" in message


def test_both_tunnels_logged_in_tunnel_options_pass() -> None:
    assert check(record(aws_stack(tunnels=[1, 2]))).violations == []


def test_a_connection_covered_by_the_rollout_resource_passes_in_preview() -> None:
    rec = record(aws_stack(rollout=True))
    rollout = rec.one("pulumi-python:dynamic:Resource", "office-vpn-logs")
    assert rollout.inputs["vpnConnectionId"] is UNKNOWN  # matched by URN, not id
    assert check(rec).violations == []
    assert check(record(aws_stack(rollout=True), preview=False)).violations == []


def test_a_rollout_resource_with_logging_off_does_not_cover() -> None:
    assert len(check(record(aws_stack(rollout=False))).violations) == 1


def test_aws_tunnel_logging_can_be_made_advisory_by_config() -> None:
    outcome = check(record(aws_stack()), {"aws-vpn-tunnel-logging": "advisory"})
    assert [v.level for v in outcome.violations] == ["advisory"]
    assert not outcome.failed
    outcome = check(record(aws_stack()), {"aws-vpn-tunnel-logging": {
        "enforcementLevel": "disabled"}})
    assert outcome.violations == []


def _rollout_logging_to(group_region: str, rollout_region: str, *, arn: str | None = None
                        ) -> Any:
    """A connection rolled out in `rollout_region` to a log group created by a provider of
    `group_region` (or to a literal `arn`)."""
    def program() -> None:
        provider = aws_provider.Provider(f"aws-{group_region}", region=group_region)
        group = cloudwatch.LogGroup("tunnel-logs", retention_in_days=30,
                                    opts=pulumi.ResourceOptions(provider=provider))
        connection = ec2.VpnConnection("office-vpn", customer_gateway_id="cgw-1",
                                       type="ipsec.1", vpn_gateway_id="vgw-1")
        TunnelLogsRollout("office-vpn-logs", {
            "vpnConnectionId": connection.id, "region": rollout_region, "logEnabled": True,
            "logGroupArn": arn or group.arn, "bgpLogEnabled": True})
    return program


def test_a_rollout_to_a_log_group_of_another_region_fails() -> None:
    outcome = check(record(_rollout_logging_to("us-east-1", "eu-west-1")))
    [message] = violations(outcome, "aws-vpn-tunnel-logging")
    assert "'office-vpn-logs' is for a connection in eu-west-1 but sends tunnel logs to log " \
           "group 'tunnel-logs' in us-east-1" in message
    assert outcome.failed


def test_a_rollout_to_a_log_group_of_its_region_passes() -> None:
    assert check(record(_rollout_logging_to("eu-west-1", "eu-west-1"))).violations == []


def test_a_literal_log_group_arn_of_another_region_fails() -> None:
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn"
    [message] = violations(check(record(_rollout_logging_to("eu-west-1", "eu-west-1", arn=arn))),
                           "aws-vpn-tunnel-logging")
    assert f"sends tunnel logs to log group {arn} in us-east-1" in message
