"""Azure facts with one home: the components, the config model, the policy pack and the
read-only path import them from here, so the five-versus-two rule is written once.

Sources: "Monitoring Azure VPN Gateway data reference" and "Configure diagnostic settings for
VPN Gateway" (https://learn.microsoft.com/azure/vpn-gateway/monitor-vpn-gateway-reference),
"Azure Monitor service limits", and the azure-native provider's type tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# The ARM resource type of a virtual network gateway (also the namespace of its platform
# metrics), and its provider namespace and type name, as APIs that take them apart spell them.
GATEWAY_ARM_TYPE: Final = "Microsoft.Network/virtualNetworkGateways"
GATEWAY_PROVIDER: Final = GATEWAY_ARM_TYPE.split("/")[0]
GATEWAY_TYPE_NAME: Final = GATEWAY_ARM_TYPE.split("/")[1]

# The five resource-log categories a virtual network gateway emits.
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

# VPN gateway logs only land in AzureDiagnostics (no resource-specific tables). The kit sends
# NO logAnalyticsDestinationType: the 2021-05-01-preview API documents "Dedicated and null (null
# is default)" and ARM reads null back for resources without resource-specific tables
# (azure-rest-api-specs issue 22400), so sending "AzureDiagnostics" would be a diff on every
# refreshed preview. Absent means AzureDiagnostics mode, and the policy pack reads it so.

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
# The kit's diagnostics component; it registers `vpn_types` (gateway id -> vpnType).
GATEWAY_DIAGNOSTICS_TYPE: Final = "gatewatch:azure:GatewayDiagnostics"

# Azure built-in role: Reader.
READER_ROLE_DEFINITION_GUID: Final = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# Names of the built-in roles the kit grants, for the plan's reviewer view.
BUILT_IN_ROLES: Final[dict[str, str]] = {READER_ROLE_DEFINITION_GUID: "Reader"}

# Log Analytics retention limits for the PerGB2018 tier (days).
WORKSPACE_RETENTION_MIN: Final = 30
WORKSPACE_RETENTION_MAX: Final = 730

# VM scheduled events ("Azure Metadata Service: Scheduled Events for Windows VMs"). OS types as
# Azure's storageProfile.osDisk.osType spells them.
WINDOWS: Final = "Windows"
LINUX: Final = "Linux"
VM_OS_TYPES: Final[tuple[str, ...]] = (WINDOWS, LINUX)

# Customer-controlled VPN gateway maintenance (Azure: "at least 5 hours", daily, same region,
# not Basic SKU). The window recurs daily, so it cannot be longer than a day.
MAINTENANCE_MIN_HOURS: Final = 5
MAINTENANCE_MAX_HOURS: Final = 23
MAINTENANCE_RECUR_EVERY: Final = "Day"
MAINTENANCE_SUB_SCOPE: Final = "NetworkGatewayMaintenance"
BASIC_GATEWAY_SKU: Final = "Basic"

# AzureScheduledEventsService
# (https://github.com/microsoft/AzureScheduledEventsService, SchService.ps1)
# writes every scheduled event to the Application log under this source and EventID. The DCR's
# XPath query (components/vm_scheduled_events.py) is built from them; the vm-scheduled-event
# alert keeps the literals for readability and a test keeps them equal to these.
SCHEDULED_EVENTS_LOG: Final = "Application"
SCHEDULED_EVENTS_SOURCE: Final = "AzureScheduledEvents"
SCHEDULED_EVENTS_EVENT_ID: Final = 1234

# AMBA's opt-out tag (Azure/azure-monitor-baseline-alerts docs, "Disabling Policies": "By
# default, creating the tag MonitorDisable with value "true" will prevent deployment of alert
# rules on those resources"). Azure Policy compares tag values case-insensitively; so do we.
MONITOR_DISABLE_TAG: Final = "MonitorDisable"
MONITOR_DISABLE_VALUE: Final = "true"


def monitor_disabled(tags: Mapping[str, str] | None) -> bool:
    """Does a resource carry AMBA's opt-out tag (name and value compared case-insensitively)?"""
    return any(k.lower() == MONITOR_DISABLE_TAG.lower()
               and str(v).lower() == MONITOR_DISABLE_VALUE
               for k, v in (tags or {}).items())


# The diagnostic setting's log selection: each category by name (the kit's default), or the
# category group allLogs, the form built-in policy ed6ae75a ("Enable logging by category group
# ... to Log Analytics") checks for. Policy-based gateways always get their two categories by
# name: Microsoft documents only that they emit GatewayDiagnosticLog and RouteDiagnosticLog,
# not what allLogs resolves to on them (see README, "Beside Azure Policy").
CATEGORY_GROUP_ALL_LOGS: Final = "allLogs"
CATEGORY_GROUPS: Final[tuple[str, ...]] = (CATEGORY_GROUP_ALL_LOGS,)
