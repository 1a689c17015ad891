"""aws-vpn-bgp-logging over recorded programs (tunnel options and the rollout resource)."""

from __future__ import annotations

from tests.support.policy_stacks import (
    aws_stack,
    check,
    record,
    violations,
)


def test_tunnel_logs_without_bgp_logs_get_an_advisory_naming_the_tunnels() -> None:
    outcome = check(record(aws_stack(tunnels=[1, 2], bgp=False)))
    assert not outcome.failed  # advisory only
    [message] = violations(outcome, "aws-vpn-bgp-logging")
    assert "'office-vpn' does not send tunnel1, tunnel2 BGP logs" in message
    assert "bgpLogEnabled=true" in message


def test_a_rollout_resource_without_bgp_logs_gets_the_advisory_and_one_with_them_does_not(
) -> None:
    assert violations(check(record(aws_stack(rollout=True, bgp=False))),
                      "aws-vpn-bgp-logging")
    assert not violations(check(record(aws_stack(rollout=True))), "aws-vpn-bgp-logging")
