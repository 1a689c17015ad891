"""Which AWS connections a stack file lists, and where: the answer other commands share."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatewatch.config.aws_connections import stack_aws_connections
from gatewatch.errors import BadInput
from gatewatch.paths import PROJECT_ROOT

ROLE = "arn:aws:iam::210987654321:role/gatewatch-deploy"


def test_every_connection_with_its_region_and_account(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.multi.yaml"
    path.write_text(yaml.safe_dump({"config": {"gatewatch:aws": {
        "region": "ap-northeast-1", "vpnConnections": ["vpn-0123456789abcdef0"],
        "regions": {"us-west-2": {"vpnConnections": ["vpn-0123456789abcdef1"]}},
        "accounts": [{"roleArn": ROLE,
                      "regions": {"us-east-1": {"vpnConnections": ["vpn-0123456789abcdef2"]}}}],
    }}}), encoding="utf-8")
    found = [(c.vpn_id, c.region, c.account, c.role_arn) for c in stack_aws_connections(path)]
    assert found == [("vpn-0123456789abcdef0", "ap-northeast-1", None, None),
                     ("vpn-0123456789abcdef1", "us-west-2", None, None),
                     ("vpn-0123456789abcdef2", "us-east-1", "210987654321", ROLE)]


def test_the_example_stacks_single_region_form() -> None:
    found = stack_aws_connections(PROJECT_ROOT / "Pulumi.prod.yaml")
    assert [(c.vpn_id, c.region, c.account) for c in found] == [
        ("vpn-0123456789abcdef0", "ap-northeast-1", None),
        ("vpn-0fedcba9876543210", "ap-northeast-1", None)]


def test_a_bad_stack_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n  gatewatch:aws:\n    regions: {tokyo: {vpnConnections: "
                    "[vpn-0123456789abcdef0]}}\n", encoding="utf-8")
    with pytest.raises(BadInput) as info:
        stack_aws_connections(path)
    assert [p.path for p in info.value.problems] == ["gatewatch:aws.regions.tokyo"]
