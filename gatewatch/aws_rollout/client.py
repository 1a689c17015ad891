"""The EC2 client the rollout talks to: a typed Protocol of the four calls it makes, and how a
boto3 client for it is built.

boto3 clients are generated at run time, so to a type checker they are `Any`; the Protocol
names what the rollout relies on instead (the idea of aws/chalice's `TypedAWSClient`,
https://github.com/aws/chalice/blob/master/chalice/awsclient.py), with the parameter names of
the EC2 API reference (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/). A boto3 EC2
client satisfies it, and so does any test double with these methods.

SDK retries are off: botocore's retry handler sleeps with `time.sleep`, which a simulated clock
cannot see, and a ModifyVpnTunnelOptions must not be repeated before the connection is read
again (botocore, "Retries", https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html;
`total_max_attempts` 1 means one try). The rollout retries itself (retry.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config

# A short connect timeout: an unreachable endpoint should fail in seconds, not minutes. The
# rollout's calls name the kit in their user agent, which CloudTrail records as `userAgent`
# ("CloudTrail record contents"), so triage's "tunnel configuration changed" evidence can say
# "via gatewatch" (gatewatch/aws/config_events.py `agent`).
USER_AGENT = "gatewatch-aws-tunnels"
NO_SDK_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1},
                        connect_timeout=10, user_agent_extra=USER_AGENT)


class Ec2Client(Protocol):
    """The EC2 calls of the rollout; each answers the response dictionary botocore parses."""

    def describe_vpn_connections(
        self, *, Filters: Sequence[Mapping[str, Any]] = ...,
        VpnConnectionIds: Sequence[str] = ...,
    ) -> Mapping[str, Any]: ...

    def modify_vpn_tunnel_options(
        self, *, VpnConnectionId: str, VpnTunnelOutsideIpAddress: str,
        TunnelOptions: Mapping[str, Any], SkipTunnelReplacement: bool = ...,
    ) -> Mapping[str, Any]: ...

    def replace_vpn_tunnel(
        self, *, VpnConnectionId: str, VpnTunnelOutsideIpAddress: str,
        ApplyPendingMaintenance: bool = ...,
    ) -> Mapping[str, Any]: ...

    def get_vpn_tunnel_replacement_status(
        self, *, VpnConnectionId: str, VpnTunnelOutsideIpAddress: str,
    ) -> Mapping[str, Any]: ...


def make_ec2_client(region: str, endpoint_url: str | None = None,
                    role_arn: str | None = None,
                    session: boto3.Session | None = None) -> Ec2Client:
    """A boto3 EC2 client with SDK retries off (the engine retries through its clock); from
    `session` (the caller's for that account and region), or with `role_arn` in the account of
    that role (gatewatch/aws/sessions.py)."""
    if session is None and role_arn is not None:
        from gatewatch.aws.sessions import session_for

        session = session_for(region, role_arn)
    if session is not None:
        assumed: Ec2Client = session.client(
            "ec2", region_name=region, endpoint_url=endpoint_url, config=NO_SDK_RETRIES)
        return assumed
    client: Ec2Client = boto3.client("ec2", region_name=region, endpoint_url=endpoint_url,
                                     config=NO_SDK_RETRIES)
    return client


@dataclass(frozen=True)
class Ec2ClientSpec:
    """A picklable recipe for the client: a Pulumi dynamic provider is pickled, a client is not."""

    region: str
    endpoint_url: str | None = None
    role_arn: str | None = None  # another account's connections: the role assumed there

    def __call__(self) -> Ec2Client:
        return make_ec2_client(self.region, self.endpoint_url, self.role_arn)


# What the engine is given: a client, or the recipe for one (built once per run).
Ec2Source = Ec2Client | Ec2ClientSpec


def open_client(source: Ec2Source) -> Ec2Client:
    """The client to use for one run: a recipe is built now, a client is used as it is."""
    return source() if isinstance(source, Ec2ClientSpec) else source
