"""The names the kit gives what it deploys, as the read-only path looks them up.

The components name their resources inline; these functions state the same names for
`doctor` and `triage`. tests/live/test_names.py runs the Pulumi program offline (the plan)
and checks that every name below is one the program actually declares, so the two cannot
drift apart unnoticed.
"""

from __future__ import annotations

from gatewatch.azure.arm_ids import ArmId
from gatewatch.config.aws import AwsConfig
from gatewatch.config.azure import AzureConfig

# components/gateway_diagnostics.py SETTING_NAME
DIAGNOSTIC_SETTING_NAME = "gatewatch"
# components/log_search_alerts.py: LogSearchAlerts("vpn-alerts", ...) in __main__.py
ALERTS_COMPONENT = "vpn-alerts"


def alert_rule_name(rule: str) -> str:
    return f"gatewatch-{rule}"


def action_group_name() -> str:
    return f"ag-{ALERTS_COMPONENT}"


def identity_name() -> str:
    return f"id-{ALERTS_COMPONENT}"


def metric_alert_name(rule: str, gateway_name: str) -> str:
    """components/gateway_alerts.py: one metric alert per watched gateway and rule."""
    return f"gatewatch-{rule}-{gateway_name}"


# components/gateway_maintenance.py: the Service Health and Resource Health activity log alerts
SERVICE_HEALTH_ALERT = "gatewatch-vpn-gateway-maintenance"
RESOURCE_HEALTH_ALERT = "gatewatch-vpn-gateway-health"


def activity_alert_name(rule: str) -> str:
    """components/gateway_alerts.py: one activity log alert per rule."""
    return f"gatewatch-{rule}"


def workspace_id(azure: AzureConfig, subscription_id: str) -> str:
    """The workspace's ARM id: the adopted one, or the one the kit creates in the deploying
    subscription under gatewatch:azure.resourceGroupName."""
    existing: ArmId | None = azure.workspace.existing_id
    if existing is not None:
        return existing.id
    return (f"/subscriptions/{subscription_id}/resourceGroups/{azure.resource_group_name}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{azure.workspace.name}")


def aws_log_group_name(aws: AwsConfig, stack: str) -> str:
    return aws.log_group.name or f"/aws/vendedlogs/gatewatch/{stack}"


def aws_tunnel_alarm_name(vpn_id: str, tunnel: int) -> str:
    return f"gatewatch-{vpn_id}-tunnel{tunnel}-down"


def aws_negotiation_alarm_name(stack: str) -> str:
    return f"gatewatch-vpn-negotiation-failures-{stack}"


def aws_alarm_topic_name(stack: str) -> str:
    """components/aws_tunnel_logs.py: the SNS topic the alarms and AWS Health rule publish to."""
    return f"gatewatch-vpn-alarms-{stack}"


def aws_maintenance_rule_name(stack: str) -> str:
    """components/aws_tunnel_logs.py: the EventBridge rule for AWS Health VPN scheduled
    changes."""
    return f"gatewatch-vpn-maintenance-{stack}"


def aws_tunnel_stream_prefix(vpn_id: str, outside_ip: str) -> str:
    """Seed 003: the service names each tunnel's log stream from the VPN connection id and
    the tunnel's outside IP ("VPN ID とトンネルごとの外部 IP アドレスを組み合わせた形式"); the
    name is fixed by AWS, so the read looks streams up by this prefix."""
    return f"{vpn_id}-{outside_ip}"
