"""Reading EC2 VPN calls from CloudTrail records (the record shapes of the CloudTrail stand-in,
written from AWS's "CloudTrail Log Event Reference" example)."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.aws import config_events
from tests.support.standins.cloudtrail import MARY, vpn_call

AT = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
VPN = "vpn-0a1b2c3d4e5f60718"


@pytest.mark.parametrize("wrapped", [True, False])
def test_both_request_shapes_name_the_connection_and_tunnel(wrapped: bool) -> None:
    change = config_events.parse(vpn_call("ReplaceVpnTunnel", AT, VPN, "198.51.100.2",
                                          wrapped=wrapped))
    assert change is not None
    assert (change.time, change.action, change.vpn_id, change.tunnel_ip, change.principal) == (
        AT, "ReplaceVpnTunnel", VPN, "198.51.100.2", MARY["arn"])
    assert change.explains(VPN, "198.51.100.2") and not change.explains(VPN, "198.51.100.3")


@pytest.mark.parametrize(("user_agent", "shown"), [
    ("console.amazonaws.com", "the AWS console"),
    ("AWS Internal", "the AWS console"),
    ("APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
     "terraform-provider-aws/5.80.0", "Terraform/1.9.8"),
    ("Boto3/1.35.0 md/Botocore#1.35.0 gatewatch-aws-tunnels/0.1", "gatewatch"),
    ("Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux", "Boto3/1.35.0"),
])
def test_the_agent_names_the_tool(user_agent: str, shown: str) -> None:
    change = config_events.parse(vpn_call("ModifyVpnConnection", AT, VPN,
                                          user_agent=user_agent))
    assert change is not None and change.agent == shown and change.tunnel_ip is None


def test_a_service_call_names_the_service_and_other_events_are_not_changes() -> None:
    record = vpn_call("ModifyVpnConnectionOptions", AT, VPN,
                      identity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"})
    change = config_events.parse(record)
    assert change is not None and change.principal == "ec2.amazonaws.com"
    assert config_events.parse(vpn_call("DescribeVpnConnections", AT, VPN)) is None
    assert config_events.parse({**record, "requestParameters": {}}) is None
