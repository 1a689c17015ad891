"""Domain facts with one home: the diagnostics component, the config model and the policy
pack all import them from here, so the five-versus-two rule is written once.

Sources: seed 000/001 (Microsoft's VPN Gateway diagnostics article) and FIELD-NOTES.md.
"""

from __future__ import annotations

from typing import Final

# The five resource-log categories a Microsoft.Network/virtualNetworkGateways emits.
GATEWAY_LOG_CATEGORIES: Final[tuple[str, ...]] = (
    "GatewayDiagnosticLog",
    "TunnelDiagnosticLog",
    "RouteDiagnosticLog",
    "IKEDiagnosticLog",
    "P2SDiagnosticLog",
)

# A policy-based gateway emits only these two; Azure rejects a setting asking for the rest.
POLICY_BASED_LOG_CATEGORIES: Final[tuple[str, ...]] = (
    "GatewayDiagnosticLog",
    "RouteDiagnosticLog",
)

ROUTE_BASED: Final = "RouteBased"
POLICY_BASED: Final = "PolicyBased"
VPN_TYPES: Final[tuple[str, ...]] = (ROUTE_BASED, POLICY_BASED)

# Metrics category every gateway exposes.
ALL_METRICS: Final = "AllMetrics"

# VPN gateway logs only land in AzureDiagnostics; "Dedicated" would send them nowhere useful.
LOG_ANALYTICS_DESTINATION_TYPE: Final = "AzureDiagnostics"


def categories_for(vpn_type: str) -> tuple[str, ...]:
    """The log categories a gateway of this VPN type can emit (route-based: all five)."""
    if vpn_type == POLICY_BASED:
        return POLICY_BASED_LOG_CATEGORIES
    if vpn_type == ROUTE_BASED:
        return GATEWAY_LOG_CATEGORIES
    raise ValueError(f"unknown vpnType {vpn_type!r}; expected one of {', '.join(VPN_TYPES)}")


# Resource type tokens, listed once for the harness, the plan and the policy pack.
GATEWAY_TYPES: Final[tuple[str, ...]] = (
    "azure-native:network:VirtualNetworkGateway",
    "azure:network/virtualNetworkGateway:VirtualNetworkGateway",
)
DIAGNOSTIC_SETTING_TYPES: Final[tuple[str, ...]] = (
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:insights:DiagnosticSetting",
    "azure:monitoring/diagnosticSetting:DiagnosticSetting",
)
SCHEDULED_QUERY_RULE_TYPES: Final[tuple[str, ...]] = (
    "azure-native:monitor:ScheduledQueryRule",
    "azure-native:insights:ScheduledQueryRule",
)
WORKSPACE_TYPES: Final[tuple[str, ...]] = (
    "azure-native:operationalinsights:Workspace",
    "azure:operationalinsights/analyticsWorkspace:AnalyticsWorkspace",
)
ROLE_ASSIGNMENT_TYPES: Final[tuple[str, ...]] = (
    "azure-native:authorization:RoleAssignment",
    "azure:authorization/assignment:Assignment",
)
AWS_VPN_CONNECTION_TYPE: Final = "aws:ec2/vpnConnection:VpnConnection"
AWS_LOG_GROUP_TYPE: Final = "aws:cloudwatch/logGroup:LogGroup"

# Azure built-in role: Reader.
READER_ROLE_DEFINITION_GUID: Final = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

# Log Analytics retention limits for the PerGB2018 tier (days).
WORKSPACE_RETENTION_MIN: Final = 30
WORKSPACE_RETENTION_MAX: Final = 730
