"""The AWS cost estimate across regions and accounts: every connection's tunnels, the shared
alarm once per (account, region), and a per-region line only when there is more than one."""

from __future__ import annotations

from gatewatch.aws.cost import by_region, describe, estimate
from gatewatch.config.model import parse_config
from tests.support.stacks import aws

ROLE = "arn:aws:iam::210987654321:role/gatewatch-deploy"


def test_a_single_region_stack_has_no_region_breakdown() -> None:
    cfg = parse_config(aws()).aws
    assert cfg is not None
    est = estimate(cfg)
    assert (est.connections, est.tunnels, est.alarms) == (1, 2, 3)
    assert by_region(cfg) == {}
    assert not any(line.startswith("by region") for line in describe(est, cfg))


def test_regions_and_accounts_add_up_and_are_shown_per_region() -> None:
    cfg = parse_config(aws(
        regions={"us-west-2": {"vpnConnections": ["vpn-0123456789abcdef1",
                                                  "vpn-0123456789abcdef2"]}},
        accounts=[{"roleArn": ROLE,
                   "regions": {"us-east-1": {"vpnConnections": ["vpn-0123456789abcdef3"]}}}],
    )).aws
    assert cfg is not None
    est = estimate(cfg)
    # 4 connections: 8 tunnel alarms, plus one negotiation alarm in each of 3 regions
    assert (est.connections, est.tunnels, est.alarms) == (4, 8, 11)
    parts = by_region(cfg)
    assert list(parts) == ["ap-northeast-1", "us-west-2", "210987654321/us-east-1"]
    assert [p.alarms for p in parts.values()] == [3, 5, 3]
    assert round(sum(p.total_usd for p in parts.values()), 6) == round(est.total_usd, 6)
    lines = describe(est, cfg)
    assert lines[0].startswith("4 connections x 2 tunnels = 8 tunnels")
    assert lines[-1] == (f"by region: ap-northeast-1 ${parts['ap-northeast-1'].total_usd:.2f} "
                         f"(1 connection), us-west-2 ${parts['us-west-2'].total_usd:.2f} "
                         "(2 connections), 210987654321/us-east-1 "
                         f"${parts['210987654321/us-east-1'].total_usd:.2f} (1 connection)")
