"""aws-vpn-tunnel-logging over recorded programs (tunnel options and the rollout resource)."""

from __future__ import annotations

from gatewatch.checks.model import UNKNOWN
from tests.support.policy_stacks import (
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
