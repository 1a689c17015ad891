"""The stack config model: one typed tree, validated before any resource is declared.

`__main__.py`, the command line and the tests all read config through `parse_config`, so an
error is reported the same way everywhere: one line per problem naming the key path
(`gatewatch:azure.gateways[1].id`), what is wrong, and the fix.

Keys live in the `gatewatch` namespace as structured values (`pulumi config set --path
azure.workspace.retentionInDays 90`); see Pulumi.yaml for the documented list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gatewatch import facts
from gatewatch.arm import ArmId, example_id, parse_arm_id
from gatewatch.validate import SECRET_PLACEHOLDER, ConfigError, Problem, Reader, child

NAMESPACE = "gatewatch"
GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
VM_TYPE = "Microsoft.Compute/virtualMachines"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
EVENT_HUB_RULE_TYPE = "Microsoft.EventHub/namespaces/authorizationRules"

_RG_NAME = re.compile(r"[-\w._()]{0,89}[-\w_()]")
_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]")
_LOCATION = re.compile(r"[a-z][a-z0-9]{2,40}")
_EVENT_HUB_NAME = re.compile(r"[A-Za-z0-9][-\w.]{0,254}")
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}")
_HTTPS_URL = re.compile(r"https://[^\s/]+(/\S*)?")
_RECEIVER_NAME = re.compile(r"[-\w.]{1,64}")


@dataclass(frozen=True)
class WorkspaceConfig:
    """Create a workspace (name, retention, optional daily cap) or adopt one by id."""

    name: str | None = None
    retention_in_days: int = 30
    daily_quota_gb: float | None = None
    existing_id: ArmId | None = None
    # An adopted workspace's region, when config states it (the data collection rule must be
    # in the workspace's region); None: gatewatch:azure.location.
    location: str | None = None

    @property
    def adopted(self) -> bool:
        return self.existing_id is not None


class _ArmTarget:
    """Name and resource group of a config entry that points at an Azure resource by id."""

    id: ArmId

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def resource_group(self) -> str:
        return self.id.resource_group


@dataclass(frozen=True)
class GatewayConfig(_ArmTarget):
    """A VPN gateway to watch. `vpn_type` None means: ask Azure through the provider lookup."""

    id: ArmId
    vpn_type: str | None
    key_path: str
    # The gateway's region when config states it (checked against maintenanceWindow at
    # config time); None: read from Azure by the maintenance component's lookup.
    location: str | None = None
    # False: left out of gatewatch:azure.maintenanceWindow (e.g. a Basic SKU gateway).
    maintenance_window: bool = True
    # The gateway's Azure tags as an offline plan should assume them (the program reads the
    # real ones through the gateway lookup; the offline harness answers it with these).
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DiagnosticsConfig:
    """Destinations the diagnostic settings send to besides the workspace."""

    storage_account_id: str | None = None
    event_hub_authorization_rule_id: str | None = None
    event_hub_name: str | None = None
    # "allLogs": route-based gateways' settings select the category group instead of naming
    # the five categories (what built-in policy ed6ae75a checks for); None: by name.
    category_group: str | None = None


ROLE_SCOPES = ("workspace", "resourceGroup")


@dataclass(frozen=True)
class WebhookConfig:
    name: str
    uri: str


@dataclass(frozen=True)
class AlertsConfig:
    """Who is told, and what the alert identity may read (the workspace, or its group)."""

    emails: tuple[str, ...]
    webhooks: tuple[WebhookConfig, ...] = ()
    role_scope: str = "workspace"
    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VmConfig(_ArmTarget):
    """A Windows VM whose scheduled events are mailed (seed 002). `os_type` None: read from
    Azure by the lookup (a Linux VM fails the run there); the flags skip what is managed
    elsewhere."""

    id: ArmId
    key_path: str
    os_type: str | None = None
    agent_managed_elsewhere: bool = False
    scheduled_events_service_installed: bool = False


@dataclass(frozen=True)
class MaintenanceWindowConfig:
    """Customer-controlled gateway maintenance: a daily window of `duration_hours` from
    `start` (HH:MM, in `time_zone`, a Windows time zone id), in the gateways' region."""

    start: str
    duration_hours: int
    time_zone: str
    location: str
    # None: the date is fixed when the configuration is first created (tomorrow, UTC) and
    # kept in state (components.creation_date); Azure rejects a start date in the past.
    start_date: str | None = None
    key_path: str = "gatewatch:azure.maintenanceWindow"

    @property
    def duration(self) -> str:
        """Azure's "HH:MM" duration."""
        return f"{self.duration_hours:02d}:00"

    def start_date_time(self, date: str) -> str:
        """Azure's "YYYY-MM-DD HH:MM" start on `date`."""
        return f"{date} {self.start}"


@dataclass(frozen=True)
class AzureConfig:
    location: str
    resource_group_name: str
    workspace: WorkspaceConfig
    gateways: tuple[GatewayConfig, ...]
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    alerts: AlertsConfig | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    vms: tuple[VmConfig, ...] = ()
    maintenance_window: MaintenanceWindowConfig | None = None

    @property
    def workspace_location(self) -> str:
        """The workspace's region: where a created one goes (gatewatch:azure.location), or
        what config states for an adopted one (gatewatch:azure.workspace.location)."""
        return self.workspace.location or self.location


# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)
LOG_OUTPUT_FORMATS = facts.AWS_LOG_OUTPUT_FORMATS


@dataclass(frozen=True)
class AwsLogGroupConfig:
    """Where tunnel logs go. `name` None: /aws/vendedlogs/gatewatch/<stack> (vended-logs
    prefix, so the log group's resource policy stays within its size limit)."""

    name: str | None = None
    retention_in_days: int = 30
    kms_key_arn: str | None = None


@dataclass(frozen=True)
class AwsConfig:
    region: str
    vpn_connections: tuple[str, ...]
    log_group: AwsLogGroupConfig = AwsLogGroupConfig()
    log_output_format: str = "json"
    alarm_emails: tuple[str, ...] = ()
    tunnel_up_timeout_minutes: int = 15
    poll_seconds: int = 15
    # None: as many connections at once as EC2's request throttle allows (the rollout polls in
    # batches and paces its mutating calls; see gatewatch/aws_rollout/throttle.py).
    max_parallel: int | None = None
    # BGP logs set in the same ModifyVpnTunnelOptions call as the tunnel logs; to the tunnel
    # log group, or to their own group when bgp_log_group_name is set.
    bgp_logs: bool = True
    bgp_log_group_name: str | None = None
    # EnableTunnelLifecycleControl: the team, not AWS, decides when tunnel maintenance runs.
    tunnel_lifecycle_control: bool = True
    # An EC2 endpoint for the rollout, e.g. a VPC interface endpoint when the deploying
    # runner has no route to the public one; None: the regional AWS endpoint.
    ec2_endpoint_url: str | None = None


@dataclass(frozen=True)
class StackConfig:
    azure: AzureConfig | None = None
    aws: AwsConfig | None = None


AZURE_KEYS = ("location", "resourceGroupName", "workspace", "gateways", "diagnostics", "alerts",
              "tags", "vms", "maintenanceWindow")
TOP_KEYS = ("azure", "aws")


def _arm_id(
    r: Reader, m: Mapping[str, Any], key: str, path: str, resource_type: str, what: str,
    *, required: bool = False,
) -> ArmId | None:
    value = r.string(m, key, path, required=required)
    if value is None:
        return None
    parsed = parse_arm_id(value)
    if parsed is None or not parsed.is_type(resource_type):
        r.problem(child(path, key), f"'{value}' is not {what} id",
                  f"use the full ARM id, like {example_id(resource_type)}")
        return None
    return parsed


def _read_workspace(r: Reader, value: Any, path: str) -> WorkspaceConfig | None:
    m = r.mapping(value, path,
                  allowed=("name", "retentionInDays", "dailyQuotaGb", "existingId", "location"),
                  example="{name: log-gatewatch, retentionInDays: 90}")
    if m is None:
        return None
    if "existingId" in m:
        extra = sorted(set(m) - {"existingId", "location"})
        if extra:
            r.problem(path, f"existingId cannot be combined with {', '.join(extra)}",
                      "either adopt a workspace with existingId (and its location), or "
                      "create one with name and retentionInDays")
        existing = _arm_id(r, m, "existingId", path, WORKSPACE_TYPE,
                           "a Log Analytics workspace", required=True)
        # The DCR of gatewatch:azure.vms must be in the workspace's region.
        ws_location = r.string(m, "location", path, pattern=_LOCATION,
                               what="an Azure region name",
                               fix="use the adopted workspace's region short name, like "
                                   "japaneast (az monitor log-analytics workspace show "
                                   "--query location)")
        return WorkspaceConfig(existing_id=existing, location=ws_location) if existing else None
    if "location" in m:
        r.problem(child(path, "location"),
                  "only an adopted workspace (existingId) takes a location; a created one "
                  "goes to gatewatch:azure.location",
                  f"remove {child(path, 'location')}, or set gatewatch:azure.location")
    name = r.string(m, "name", path, pattern=_WORKSPACE_NAME,
                    what="a valid workspace name",
                    fix="use 4-63 letters, digits and hyphens, starting and ending "
                        "with a letter or digit")
    if "name" not in m:
        r.problem(child(path, "name"), "missing",
                  f"set {child(path, 'name')} to create a workspace, or "
                  f"{child(path, 'existingId')} to adopt one")
    retention = r.integer(m, "retentionInDays", path, lo=facts.WORKSPACE_RETENTION_MIN,
                          hi=facts.WORKSPACE_RETENTION_MAX)
    quota = r.number(m, "dailyQuotaGb", path, gt=0)
    if name is None:
        return None
    return WorkspaceConfig(name=name, retention_in_days=retention or 30, daily_quota_gb=quota)


def _read_gateways(r: Reader, m: Mapping[str, Any], path: str) -> list[GatewayConfig]:
    out: list[GatewayConfig] = []
    seen: dict[str, str] = {}
    for item_path, item in r.items(m, "gateways", path, required=True, what="gateways"):
        g = r.mapping(item, item_path,
                      allowed=("id", "vpnType", "location", "maintenanceWindow", "tags"),
                      required=("id",),
                      example="{id: /subscriptions/.../virtualNetworkGateways/vpngw01}")
        if g is None:
            continue
        gid = _arm_id(r, g, "id", item_path, GATEWAY_TYPE, "a virtual network gateway")
        vpn_type = r.string(g, "vpnType", item_path, choices=facts.VPN_TYPES)
        gw_location = r.string(g, "location", item_path, pattern=_LOCATION,
                               what="an Azure region name",
                               fix="use the region's short name, like japaneast")
        in_window = r.boolean(g, "maintenanceWindow", item_path)
        gw_tags = r.string_map(g, "tags", item_path)
        if gid is None:
            continue
        if not r.first_seen(seen, gid.key, child(item_path, "id"), "gateway"):
            continue
        out.append(GatewayConfig(id=gid, vpn_type=vpn_type, key_path=item_path,
                                 location=gw_location,
                                 maintenance_window=in_window is not False, tags=gw_tags))
    return out


def _read_diagnostics(r: Reader, value: Any, path: str) -> DiagnosticsConfig:
    if value is None:
        return DiagnosticsConfig()
    m = r.mapping(value, path,
                  allowed=("storageAccountId", "eventHubAuthorizationRuleId", "eventHubName",
                           "categoryGroup"))
    if m is None:
        return DiagnosticsConfig()
    storage = _arm_id(r, m, "storageAccountId", path, STORAGE_TYPE, "a storage account")
    rule = _arm_id(r, m, "eventHubAuthorizationRuleId", path, EVENT_HUB_RULE_TYPE,
                   "an Event Hubs namespace authorization rule")
    hub = r.string(m, "eventHubName", path, pattern=_EVENT_HUB_NAME, what="an event hub name")
    if hub and "eventHubAuthorizationRuleId" not in m:
        r.problem(child(path, "eventHubName"), "needs eventHubAuthorizationRuleId",
                  f"set {child(path, 'eventHubAuthorizationRuleId')} as well")
    group = r.string(m, "categoryGroup", path, choices=facts.CATEGORY_GROUPS)
    return DiagnosticsConfig(
        storage_account_id=storage.id if storage else None,
        event_hub_authorization_rule_id=rule.id if rule else None,
        event_hub_name=hub,
        category_group=group,
    )


def _read_alerts(r: Reader, value: Any, path: str) -> AlertsConfig | None:
    from gatewatch.metric_catalog import alert_names

    m = r.mapping(value, path,
                  allowed=("emails", "webhooks", "roleScope", "disabled", "severities"),
                  required=("emails",), example="{emails: [netops@example.com]}")
    if m is None:
        return None
    emails = _emails(r, m, "emails", path, required=True)
    webhooks: list[WebhookConfig] = []
    names: dict[str, str] = {}
    for item_path, item in r.items(m, "webhooks", path, what="webhooks"):
        w = r.mapping(item, item_path, allowed=("name", "uri"), required=("name", "uri"),
                      example="{name: teams, uri: https://...}")
        if w is None:
            continue
        name = r.string(w, "name", item_path, pattern=_RECEIVER_NAME, what="a receiver name",
                        fix="use up to 64 letters, digits, '-', '_' or '.'")
        uri = r.string(w, "uri", item_path, pattern=_HTTPS_URL, what="an https URL",
                       fix="use an https:// URL; alert payloads must not travel in clear")
        if name and uri and r.first_seen(names, name, child(item_path, "name"), "receiver name"):
            webhooks.append(WebhookConfig(name=name, uri=uri))
    role_scope = r.string(m, "roleScope", path, choices=ROLE_SCOPES) or "workspace"
    # Log, metric and activity log alerts share one name space; activity log alerts have no
    # severity in Azure's API, so they can be disabled but not re-severitied.
    known, with_severity = alert_names()
    disabled: set[str] = set()
    seen: dict[str, str] = {}
    for item_path, item in r.items(m, "disabled", path, what="alert names"):
        if not isinstance(item, str) or item not in known:
            r.problem(item_path, f"{item!r} is not an alert of the catalog",
                      f"use one of {', '.join(sorted(known))}")
        elif r.first_seen(seen, item, item_path, "alert"):
            disabled.add(item)
    severities: dict[str, int] = {}
    raw_sev = r.mapping(m.get("severities", {}), child(path, "severities"),
                        allowed=sorted(with_severity))
    for name in raw_sev or {}:
        sev = r.integer(raw_sev or {}, name, child(path, "severities"), lo=0, hi=4)
        if sev is not None:
            severities[name] = sev
    return AlertsConfig(emails=emails, webhooks=tuple(webhooks), role_scope=role_scope,
                        disabled=frozenset(disabled), severities=severities)


def _read_vms(r: Reader, m: Mapping[str, Any], path: str) -> list[VmConfig]:
    """Windows VMs for the scheduled-event path. A Linux VM cannot run the Windows service or
    log to the Application log: `osType: Linux` is an error here, and a VM whose OS the config
    does not state is checked against Azure at run time (components/vm_scheduled_events.py)."""
    out: list[VmConfig] = []
    seen: dict[str, str] = {}
    for item_path, item in r.items(m, "vms", path, what="virtual machines"):
        v = r.mapping(item, item_path,
                      allowed=("id", "osType", "agentManagedElsewhere",
                               "scheduledEventsServiceInstalled"),
                      required=("id",),
                      example="{id: /subscriptions/.../virtualMachines/vm01}")
        if v is None:
            continue
        vid = _arm_id(r, v, "id", item_path, VM_TYPE, "a virtual machine")
        os_type = r.string(v, "osType", item_path, choices=facts.VM_OS_TYPES)
        if os_type == facts.LINUX:
            r.problem(child(item_path, "osType"),
                      "Linux VMs are not supported: AzureScheduledEventsService is a Windows "
                      "service that logs to the Windows Application log",
                      "remove this VM from gatewatch:azure.vms (Linux VMs need a "
                      "different scheduled-events listener)")
            continue
        agent_elsewhere = r.boolean(v, "agentManagedElsewhere", item_path)
        installed = r.boolean(v, "scheduledEventsServiceInstalled", item_path)
        if vid is None:
            continue
        if not r.first_seen(seen, vid.key, child(item_path, "id"), "VM"):
            continue
        out.append(VmConfig(id=vid, key_path=item_path, os_type=os_type,
                            agent_managed_elsewhere=bool(agent_elsewhere),
                            scheduled_events_service_installed=bool(installed)))
    return out


_HH_MM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])")
_WINDOWS_TIME_ZONE = re.compile(r"[A-Za-z][-A-Za-z0-9 .+()]{1,63}")


def _read_maintenance_window(
    r: Reader, value: Any, path: str, default_location: str | None,
    gateways: list[GatewayConfig],
) -> MaintenanceWindowConfig | None:
    """Azure's rules for customer-controlled gateway maintenance, as config errors: a daily
    window of at least 5 hours, in the gateways' region. (Basic SKU gateways cannot use it;
    only the run-time lookup knows the SKU.)"""
    m = r.mapping(value, path,
                  allowed=("start", "durationHours", "timeZone", "startDate", "recurEvery",
                           "location"),
                  required=("start", "durationHours", "timeZone"),
                  example='{start: "01:00", durationHours: 5, timeZone: Tokyo Standard Time}')
    if m is None:
        return None
    start = r.string(m, "start", path, pattern=_HH_MM, what="a time like 01:00",
                     fix="write the window's start as HH:MM (24-hour clock, quoted in YAML)")
    duration = m.get("durationHours")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        r.problem(child(path, "durationHours"),
                  f"{duration!r} must be a whole number of hours",
                  f"write a whole number (no quotes, no fraction) from "
                  f"{facts.MAINTENANCE_MIN_HOURS} to {facts.MAINTENANCE_MAX_HOURS}")
        duration = None
    elif isinstance(duration, int) and duration < facts.MAINTENANCE_MIN_HOURS:
        r.problem(child(path, "durationHours"),
                  f"{duration} hours is shorter than Azure's minimum gateway maintenance window",
                  f"use a whole number of hours from {facts.MAINTENANCE_MIN_HOURS} to "
                  f"{facts.MAINTENANCE_MAX_HOURS}")
        duration = None
    elif isinstance(duration, int) and duration > facts.MAINTENANCE_MAX_HOURS:
        r.problem(child(path, "durationHours"),
                  f"{duration} hours does not fit in a day; the window recurs daily",
                  f"use a whole number of hours from {facts.MAINTENANCE_MIN_HOURS} to "
                  f"{facts.MAINTENANCE_MAX_HOURS}")
        duration = None
    tz = r.string(m, "timeZone", path)
    if tz is not None and ("/" in tz or not _WINDOWS_TIME_ZONE.fullmatch(tz)):
        r.problem(child(path, "timeZone"),
                  f"'{tz}' is not a Windows time zone id",
                  "use the Windows id Azure expects, like Tokyo Standard Time or UTC "
                  "(Asia/Tokyo is the IANA name); `tzutil /l` lists them")
        tz = None
    start_date = r.string(m, "startDate", path, pattern=_DATE, what="a date like 2025-01-01",
                          fix="write the first day as YYYY-MM-DD")
    recur = r.string(m, "recurEvery", path)
    if recur is not None and recur != facts.MAINTENANCE_RECUR_EVERY:
        r.problem(child(path, "recurEvery"),
                  f"'{recur}' is not supported: gateway maintenance windows recur daily",
                  f"remove recurEvery or set it to {facts.MAINTENANCE_RECUR_EVERY}")
    location = r.string(m, "location", path, pattern=_LOCATION, what="an Azure region name",
                        fix="use the gateways' region short name, like japaneast") \
        or default_location
    included = [g for g in gateways if g.maintenance_window]
    if gateways and not included:
        r.problem(path, "no gateway is left in the maintenance window (every gateway sets "
                  "maintenanceWindow: false)", "remove maintenanceWindow, or include a gateway")
    for gateway in included:
        if gateway.vpn_type == facts.POLICY_BASED:
            r.problem(child(gateway.key_path, "vpnType"),
                      "a policy-based gateway is a Basic SKU gateway, and Basic gateways do not "
                      "support customer-controlled maintenance",
                      f"set {child(gateway.key_path, 'maintenanceWindow')}: false to leave it "
                      "out of the window")
        if location and gateway.location and gateway.location != location:
            r.problem(child(gateway.key_path, "location"),
                      f"gateway region {gateway.location} differs from the maintenance "
                      f"window's region {location}; Azure assigns a maintenance "
                      "configuration only to gateways in its own region",
                      f"set {child(path, 'location')} to {gateway.location}, or remove "
                      "maintenanceWindow for stacks whose gateways span regions")
    if not (start and duration and tz and location):
        return None
    return MaintenanceWindowConfig(start=start, duration_hours=duration, time_zone=tz,
                                   location=location,
                                   start_date=start_date,
                                   key_path=path)


# The azure-native provider's own region setting: gatewatch:azure.location falls back to it.
PROVIDER_LOCATION_KEY = "azure-native:location"


def _read_azure(r: Reader, value: Any, path: str,
                provider_location: Any = None) -> AzureConfig | None:
    if isinstance(value, Mapping) and "location" not in value and provider_location is not None:
        value = {**value, "location": provider_location}  # the provider's setting, same rules
    elif isinstance(value, Mapping) and "location" not in value:
        r.problem(child(path, "location"), f"missing, and {PROVIDER_LOCATION_KEY} is not set "
                  "either", f"set {child(path, 'location')} or {PROVIDER_LOCATION_KEY} to the "
                  "region's short name, like japaneast")
    m = r.mapping(value, path, allowed=AZURE_KEYS,
                  required=("resourceGroupName", "workspace", "gateways"))
    if m is None:
        return None
    location = r.string(m, "location", path, required=True, pattern=_LOCATION,
                        what="an Azure region name",
                        fix="use the region's short name, like japaneast or westeurope")
    rg = r.string(m, "resourceGroupName", path, pattern=_RG_NAME,
                  what="a valid resource group name",
                  fix="use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")
    workspace = _read_workspace(r, m["workspace"], child(path, "workspace")) \
        if "workspace" in m else None
    gateways = _read_gateways(r, m, path)
    diagnostics = _read_diagnostics(r, m.get("diagnostics"), child(path, "diagnostics"))
    alerts = _read_alerts(r, m["alerts"], child(path, "alerts")) if "alerts" in m else None
    tags = r.string_map(m, "tags", path)
    vms = _read_vms(r, m, path)
    window = (_read_maintenance_window(r, m["maintenanceWindow"],
                                       child(path, "maintenanceWindow"), location, gateways)
              if "maintenanceWindow" in m else None)
    if not (location and rg and workspace and gateways):
        return None
    return AzureConfig(location=location, resource_group_name=rg, workspace=workspace,
                       gateways=tuple(gateways), diagnostics=diagnostics, alerts=alerts,
                       tags=tags, vms=tuple(vms), maintenance_window=window)


_LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
_KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{36}")
AWS_KEYS = ("region", "vpnConnections", "logGroup", "logOutputFormat", "alarmEmails",
            "tunnelUpTimeoutMinutes", "pollSeconds", "maxParallel", "ec2EndpointUrl",
            "bgpLogs", "bgpLogGroupName", "tunnelLifecycleControl")
# https anywhere; plain http only to this machine (a local EC2 stand-in).
_ENDPOINT_URL = re.compile(r"(https://[^\s/]+|http://(127\.0\.0\.1|localhost)(:\d+)?)(/\S*)?")


def _emails(r: Reader, m: Mapping[str, Any], key: str, path: str, *, required: bool
            ) -> tuple[str, ...]:
    out: list[str] = []
    for item_path, item in r.items(m, key, path, required=required, what="email addresses"):
        if not isinstance(item, str) or not _EMAIL.fullmatch(item):
            r.problem(item_path, f"{item!r} is not an email address",
                      "write one address per list entry, like netops@example.com")
        else:
            out.append(item)
    return tuple(out)


def _read_aws(r: Reader, value: Any, path: str) -> AwsConfig | None:
    m = r.mapping(value, path, allowed=AWS_KEYS, required=("region", "vpnConnections"),
                  example="{region: ap-northeast-1, vpnConnections: [vpn-0123456789abcdef0]}")
    if m is None:
        return None
    region = r.string(m, "region", path, pattern=facts.AWS_REGION_RE, what="an AWS region",
                      fix="use a region code like ap-northeast-1")
    vpns: list[str] = []
    seen: dict[str, str] = {}
    for item_path, item in r.items(m, "vpnConnections", path, required=True,
                                   what="VPN connection ids"):
        if not isinstance(item, str) or not facts.AWS_VPN_ID_RE.fullmatch(item):
            r.problem(item_path, f"{item!r} is not a VPN connection id",
                      "use the id of an existing Site-to-Site VPN connection, like "
                      "vpn-0123456789abcdef0")
        elif r.first_seen(seen, item, item_path, "connection"):
            vpns.append(item)
    group = AwsLogGroupConfig()
    if "logGroup" in m:
        gpath = child(path, "logGroup")
        g = r.mapping(m["logGroup"], gpath, allowed=("name", "retentionInDays", "kmsKeyArn"),
                      example="{retentionInDays: 30}")
        if g is not None:
            name = r.string(g, "name", gpath, pattern=_LOG_GROUP_NAME, what="a log group name",
                            fix="use letters, digits and . - _ / #, e.g. "
                                "/aws/vendedlogs/gatewatch/vpn")
            retention = r.integer(g, "retentionInDays", gpath, allowed=LOG_RETENTION_DAYS)
            kms = r.string(g, "kmsKeyArn", gpath, pattern=_KMS_KEY_ARN, what="a KMS key ARN",
                           fix="use arn:aws:kms:<region>:<account>:key/<key-id>")
            group = AwsLogGroupConfig(name=name, retention_in_days=retention or 30,
                                      kms_key_arn=kms)
    fmt = r.string(m, "logOutputFormat", path, choices=LOG_OUTPUT_FORMATS) or "json"
    emails = _emails(r, m, "alarmEmails", path, required=False)
    # Seed 003 saw a tunnel back UP after about 5 minutes; less than that would give up on
    # every healthy tunnel.
    timeout = r.integer(m, "tunnelUpTimeoutMinutes", path, lo=5, hi=120)
    poll = r.integer(m, "pollSeconds", path, lo=5, hi=300)
    parallel = r.integer(m, "maxParallel", path, lo=1, hi=1000)
    bgp = r.boolean(m, "bgpLogs", path)
    bgp_group = r.string(m, "bgpLogGroupName", path, pattern=_LOG_GROUP_NAME,
                         what="a log group name",
                         fix="use letters, digits and . - _ / #, e.g. "
                             "/aws/vendedlogs/gatewatch/vpn-bgp")
    if bgp is False and bgp_group is not None:
        r.problem(child(path, "bgpLogGroupName"), "has no effect with bgpLogs: false",
                  "drop bgpLogGroupName, or set bgpLogs: true")
    lifecycle = r.boolean(m, "tunnelLifecycleControl", path)
    endpoint = r.string(m, "ec2EndpointUrl", path, pattern=_ENDPOINT_URL,
                        what="an https URL (or http://127.0.0.1 for a local stand-in)",
                        fix="use e.g. https://vpce-0123.ec2.ap-northeast-1.vpce.amazonaws.com")
    if not (region and vpns):
        return None
    return AwsConfig(region=region, vpn_connections=tuple(vpns), log_group=group,
                     log_output_format=fmt, alarm_emails=emails,
                     tunnel_up_timeout_minutes=timeout or 15, poll_seconds=poll or 15,
                     max_parallel=parallel, ec2_endpoint_url=endpoint,
                     bgp_logs=bgp is not False, bgp_log_group_name=bgp_group,
                     tunnel_lifecycle_control=lifecycle is not False)


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config map (`{"gatewatch:azure": {...}, ...}`); raise ConfigError
    listing every problem. Keys of other namespaces (providers' config) are left alone."""
    r = Reader()
    ours = r.mapping(
        {key.partition(":")[2]: value for key, value in raw.items()
         if key.partition(":")[0] == NAMESPACE},
        f"{NAMESPACE}:", allowed=TOP_KEYS) or {}
    if not ours and not r.problems:
        r.problem(f"{NAMESPACE}:azure", "missing",
                  "set gatewatch:azure and/or gatewatch:aws in the stack file (see "
                  "Pulumi.dev.yaml for an example)")
    readers = {"azure": lambda r, v, p: _read_azure(r, v, p, raw.get(PROVIDER_LOCATION_KEY)),
               "aws": _read_aws}
    sections: dict[str, Any] = {}
    for name, value in ours.items():
        path = f"{NAMESPACE}:{name}"
        before = len(r.problems)
        sections[name] = readers[name](r, value, path)
        if sections[name] is None and len(r.problems) == before:
            # A section must never vanish without a reason: `pulumi up` would delete it.
            r.problem(path, "is empty or unusable", f"fill in {path} or remove the key")
    r.raise_if_any()
    return StackConfig(azure=sections.get("azure"), aws=sections.get("aws"))


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to the program as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def from_pulumi() -> StackConfig:
    """Read the running stack's config (real engine or mocks)."""
    import pulumi.runtime.config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse_config({k: _decode(v) for k, v in raw.items()})


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` map of a `Pulumi.<stack>.yaml` file, or ConfigError naming the file."""
    where = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem(where, "file not found",
                                   "pass --stack NAME for Pulumi.NAME.yaml in the project, "
                                   "or --config-file PATH")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        reason = "is not a readable UTF-8 text file" if isinstance(exc, UnicodeDecodeError) \
            else f"cannot be read ({exc.strerror})"
        raise ConfigError([Problem(where, reason,
                                   "pass the path of a Pulumi.<stack>.yaml file")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError([Problem(where, f"is not valid YAML{at}",
                                   "fix the YAML syntax")]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise ConfigError([Problem(where, "has no 'config:' mapping",
                                   "write the stack settings under a top-level 'config:' key")])
    return {key: _without_secrets(value) for key, value in (doc.get("config") or {}).items()}


def _without_secrets(value: Any) -> Any:
    """Encrypted values (`{secure: v1:...}`, e.g. a webhook URL set with `pulumi config set
    --secret --path`) cannot be decrypted offline: they become SECRET_PLACEHOLDER, which the
    validators accept unread; `pulumi up` validates the decrypted value."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def load_stack_file(path: Path) -> tuple[StackConfig, dict[str, Any]]:
    """Parse a stack file; return the model and the raw map (for the offline harness)."""
    raw = read_stack_file(path)
    return parse_config(raw), raw
