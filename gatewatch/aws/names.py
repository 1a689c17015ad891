"""The names the kit gives what it deploys on AWS: one function or constant each.

The component (components/aws_tunnel_logs.py) names its resources with these and `doctor` and
`triage` look the same resources up with them, so the deploying and the reading side cannot
drift apart. Names carry the stack, so two stacks in one account and region do not collide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from gatewatch.aws.scope import AwsScope
    from gatewatch.config.aws import AwsConfig

# The program's AWS component (__main__.py): the first part of its children's Pulumi names.
TUNNEL_LOGS_COMPONENT: Final = "aws-tunnel-logs"

# The session name of the kit's AssumeRole calls (the Pulumi provider's and the commands'
# boto3 sessions): CloudTrail shows it in the other account.
ROLE_SESSION_NAME: Final = "gatewatch"


def tunnel_logs_component(scope: AwsScope) -> str:
    """One component per (account, region): `aws-tunnel-logs` for the single-region form's,
    `aws-tunnel-logs-us-west-2` / `aws-tunnel-logs-210987654321-us-east-1` for the others, so
    their children's Pulumi names differ and adding a region renames nothing."""
    return TUNNEL_LOGS_COMPONENT + scope.suffix


def log_group_name(aws: AwsConfig, stack: str) -> str:
    """The tunnel logs' CloudWatch Logs group: gatewatch:aws.logGroup.name, or a vended-logs
    path of the stack's."""
    return aws.log_group.name or f"/aws/vendedlogs/gatewatch/{stack}"


def alarm_topic_name(stack: str) -> str:
    """The SNS topic the alarms and the AWS Health rule publish to."""
    return f"gatewatch-vpn-alarms-{stack}"


def tunnel_alarm_name(vpn_id: str, tunnel: int) -> str:
    """The TunnelState alarm of tunnel 1 or 2 (numbered by sorted outside IP)."""
    return f"gatewatch-{vpn_id}-tunnel{tunnel}-down"


# The metric filter that counts IKE negotiation failures in the tunnel logs, and the custom
# metric it publishes.
NEGOTIATION_FILTER_NAME: Final = "gatewatch-vpn-negotiation-failures"
FAILURE_METRIC_NAMESPACE: Final = "Gatewatch/VPN"
FAILURE_METRIC_NAME: Final = "TunnelNegotiationFailures"


def negotiation_alarm_name(stack: str) -> str:
    return f"gatewatch-vpn-negotiation-failures-{stack}"


def maintenance_rule_name(stack: str) -> str:
    """The EventBridge rule for AWS Health scheduled changes to Site-to-Site VPN."""
    return f"gatewatch-vpn-maintenance-{stack}"


def query_definition_name(stack: str, query: str) -> str:
    """A Logs Insights query definition of queries/aws/ ('/' files it in a folder)."""
    return f"gatewatch/{stack}/{query}"


def dashboard_name(stack: str, scope: AwsScope | None = None) -> str:
    """"All dashboards in your account are global, not region-specific" (PutDashboard,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html),
    so a scope other than the single-region form's carries its region in the name; the other
    resources are regional and keep one name in every region."""
    return f"gatewatch-vpn-{stack}" + (scope.suffix if scope is not None else "")


def tunnel_stream_prefix(vpn_id: str, outside_ip: str) -> str:
    """The log stream of a tunnel, which AWS names (not the kit): "The log stream file name
    uses VpnConnectionID and TunnelOutsideIPAddress" ("AWS Site-to-Site VPN logs",
    https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html). The page does not
    say what joins them; the kit's stand-ins write this name, and the read matches streams
    with `is_tunnel_stream`, which also accepts the `_` of the BGP log's resource_id."""
    return f"{vpn_id}-{outside_ip}"


def tunnel_streams_prefix(vpn_id: str) -> str:
    """The prefix that lists every stream of a connection's tunnels (the delimiter after the
    VPN id is not documented): read with it, then keep `is_tunnel_stream`'s."""
    return vpn_id


def is_tunnel_stream(stream: str, vpn_id: str, outside_ip: str) -> bool:
    """Whether a stream name is the tunnel's: the VPN id, `-` or `_` (AWS's BGP-log example
    writes resource_id as "vpn-1234abcd_1.2.3.4"), the outside IP, and then the end of the
    name or a character that cannot continue an IP address, so `...-1.2.3.45` is not
    `1.2.3.4`'s stream."""
    for joint in ("-", "_"):
        head = f"{vpn_id}{joint}{outside_ip}"
        if stream == head or (stream.startswith(head)
                              and not (stream[len(head)].isdigit() or stream[len(head)] == ".")):
            return True
    return False
