"""The rollout's EC2 client: what botocore really sends for it."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.aws import config_events
from gatewatch.aws_rollout.client import make_ec2_client
from gatewatch.aws_rollout.views import connection_view
from tests.support.standins.ec2 import Ec2StandIn


def test_the_rollouts_calls_name_gatewatch_in_the_user_agent_cloudtrail_records(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudTrail records each call's `userAgent`; the header botocore builds for the rollout's
    client carries the kit's name, and triage's reading of a CloudTrail record with that agent
    says the change came from gatewatch, not from some other boto3 caller."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    standin = Ec2StandIn()
    vpn = standin.add_connection()
    with standin.serve() as url:
        client = make_ec2_client("us-east-1", url)
        sent: list[str] = []

        def capture(request: Any, **_: Any) -> None:
            sent.append(request.headers["User-Agent"].decode()
                        if isinstance(request.headers["User-Agent"], bytes)
                        else request.headers["User-Agent"])

        client.meta.events.register("before-send.ec2", capture)  # type: ignore[attr-defined]
        view = connection_view(client.describe_vpn_connections(
            VpnConnectionIds=[vpn])["VpnConnections"][0])
    assert view.vpn_connection_id == vpn
    assert len(sent) == 1 and "gatewatch-aws-tunnels" in sent[0]
    assert config_events.agent(sent[0]) == "gatewatch"
