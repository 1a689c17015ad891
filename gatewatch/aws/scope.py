"""Where a stack's VPN connections are: one (account, region) each, the unit the kit deploys
per (a log group, alarms, topic, Health rule and dashboard), and reads and rolls out per (one
boto3 session and EC2 client each).

A Site-to-Site VPN connection publishes its tunnel logs to a log group in its own account and
region ("AWS Site-to-Site VPN logs",
https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html), and AWS Health delivers a
regional resource's events to EventBridge in that region ("Monitoring AWS Health events with
Amazon EventBridge", https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html),
so nothing of the kit's is shared across scopes.
"""

from __future__ import annotations

from dataclasses import dataclass


def account_of(role_arn: str | None) -> str | None:
    """The account id of a role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME); None for none."""
    return role_arn.split(":")[4] if role_arn else None


def label_of(region: str, role_arn: str | None) -> str:
    """`us-west-2`, or `210987654321/us-east-1` in another account."""
    account = account_of(role_arn)
    return f"{account}/{region}" if account else region


@dataclass(frozen=True)
class AwsScope:
    """The connections of one region of one account. `role_arn` None: the deploying
    credentials' own account. `primary`: the single-region form (`gatewatch:aws.region` +
    `vpnConnections`), whose resources keep the names they had before regions existed."""

    region: str
    vpn_connections: tuple[str, ...]
    role_arn: str | None = None
    ec2_endpoint_url: str | None = None
    primary: bool = False

    @property
    def account(self) -> str | None:
        """The other account's id (from the role ARN); None for the deploying account."""
        return account_of(self.role_arn)

    @property
    def label(self) -> str:
        return label_of(self.region, self.role_arn)

    @property
    def suffix(self) -> str:
        """What names of this scope's resources end with: nothing for the single-region
        form's, `-us-west-2` or `-210987654321-us-east-1` otherwise."""
        return "" if self.primary else "-" + self.label.replace("/", "-")
