"""Domain facts with one home: the diagnostics component, the config model and the policy
pack all import them from here, so the five-versus-two rule is written once.

Sources: seed 000/001 (Microsoft's VPN Gateway diagnostics article) and FIELD-NOTES.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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

# VPN gateway logs only land in AzureDiagnostics (no resource-specific tables). The kit sends
# NO logAnalyticsDestinationType: the 2021-05-01-preview API documents "Dedicated and null (null
# is default)" and ARM reads null back for resources without resource-specific tables
# (azure-rest-api-specs issue 22400), so sending "AzureDiagnostics" would be a diff on every
# refreshed preview. Absent means AzureDiagnostics mode, and the policy pack reads it so.
LOG_ANALYTICS_DESTINATION_TYPE_DEFAULT: Final = "AzureDiagnostics"


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
# Shapes of a Site-to-Site VPN connection id and a region code (use with fullmatch).
AWS_VPN_ID_RE: Final = re.compile(r"vpn-[0-9a-f]{8,17}")
AWS_REGION_RE: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# The AWS tunnel-logs rollout resource is a Pulumi dynamic resource: its token is
# `pulumi-python:dynamic:Resource`, or `pulumi-python:dynamic/<module>:<Name>` for a subclass.
DYNAMIC_TYPE_PREFIX: Final = "pulumi-python:dynamic"
# The kit's diagnostics component; it registers `vpn_types` (gateway id -> vpnType).
GATEWAY_DIAGNOSTICS_TYPE: Final = "gatewatch:azure:GatewayDiagnostics"
AWS_LOG_GROUP_TYPE: Final = "aws:cloudwatch/logGroup:LogGroup"

# Azure built-in role: Reader.
READER_ROLE_DEFINITION_GUID: Final = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# Names of the built-in roles the kit grants, for the plan's reviewer view.
BUILT_IN_ROLES: Final[dict[str, str]] = {READER_ROLE_DEFINITION_GUID: "Reader"}

# Log Analytics retention limits for the PerGB2018 tier (days).
WORKSPACE_RETENTION_MIN: Final = 30
WORKSPACE_RETENTION_MAX: Final = 730

# AWS/VPN metric of a tunnel's state: 1 up (BGP: established), 0 down.
AWS_VPN_METRIC_NAMESPACE: Final = "AWS/VPN"
AWS_TUNNEL_STATE_METRIC: Final = "TunnelState"

# Seed 003: one idle tunnel (AWS defaults, Azure peer) logged 1,421,776 bytes in about half a
# day, which the author extrapolated to about 81 MB a month.
TUNNEL_LOG_BYTES_PER_HALF_DAY: Final = 1_421_776


# VM scheduled events (seed 002). OS types as Azure's storageProfile.osDisk.osType spells them.
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

# CloudWatch list prices (USD, us-east-1, standard tier) used for the plan's cost estimate; no
# price API is reachable offline, so these are stated assumptions: check your region's page.
CLOUDWATCH_VENDED_LOGS_INGEST_USD_PER_GB: Final = 0.50
CLOUDWATCH_LOGS_STORAGE_USD_PER_GB_MONTH: Final = 0.03
CLOUDWATCH_STANDARD_ALARM_USD_PER_MONTH: Final = 0.10

# CloudWatch Logs output formats a Site-to-Site VPN tunnel accepts (LogOutputFormat).
AWS_LOG_OUTPUT_FORMATS: Final[tuple[str, ...]] = ("json", "text")
# A CloudWatch Logs log group ARN, with or without the ":*" suffix describe-log-groups prints
# (use with fullmatch; groups: region, account, name).
AWS_LOG_GROUP_ARN_RE: Final = re.compile(
    r"arn:aws[a-z-]*:logs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):log-group:"
    r"(?P<name>[A-Za-z0-9_./#-]{1,512})(:\*)?"
)

# AzureScheduledEventsService (seed 002; microsoft/AzureScheduledEventsService SchService.ps1)
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
