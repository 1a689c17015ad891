"""The stack config model: one typed tree, validated before any resource is declared.

`__main__.py`, the command line and the tests all read config through `parse_config`, so an
error is reported the same way everywhere: one line per problem naming the key path
(`gatewatch:azure.gateways[1].id`), what is wrong, and the fix.

Keys live in the `gatewatch` namespace as structured values (`pulumi config set --path
azure.workspace.retentionInDays 90`). Each key is declared once, below, as a field of a frozen
pydantic model: its type, default, rule (the Rule metadata of gatewatch/config/fields.py) and
description. From the same models come the JSON Schema editors use
(schema/stack-config.schema.json) and the key list in Pulumi.yaml
(gatewatch/config/json_schema.py; a test keeps both current).

Adding a key: add a field here (snake_case; the YAML key is its camelCase alias) with a
`description=`, a type from gatewatch/config/fields.py or below carrying the rule and its message,
and a rule across fields as a `model_validator` raising through `Issues`; then run
`python -m gatewatch.config.json_schema --write` and commit the schema and Pulumi.yaml it rewrites.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from gatewatch.aws import facts as aws_facts
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import regions
from gatewatch.azure.arm_ids import ArmId, example_id, parse_arm_id
from gatewatch.config.fields import (
    ENCRYPTED,
    ENCRYPTED_FIX,
    HERE,
    Choice,
    Issues,
    Number,
    Rule,
    Text,
    Whole,
    did_you_mean,
    duplicates,
    fail,
    problems_from,
)
from gatewatch.errors import SECRET_PLACEHOLDER, BadInput, Problem, type_name

__all__ = ["BadInput", "Problem", "StackConfig", "from_pulumi", "load_stack_file",
           "parse_config", "read_stack_file"]

NAMESPACE = "gatewatch"
GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
VM_TYPE = "Microsoft.Compute/virtualMachines"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
EVENT_HUB_RULE_TYPE = "Microsoft.EventHub/namespaces/authorizationRules"

# --- value types: each carries its rule and its message -------------------------------------

NAMING_RULES = ("Microsoft's \"Naming rules and restrictions for Azure resources\" "
                "(learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules)")


def _region(value: str) -> None:
    if value in regions.DISPLAY_NAMES:
        return
    short = regions.normalize(value)
    hint = (f"did you mean {short}? " if short in regions.DISPLAY_NAMES
            else did_you_mean(short, regions.DISPLAY_NAMES).replace("'", ""))
    raise fail(f"'{value}' is not an Azure region",
               f"{hint}use the region's short name, like japaneast (`az account "
               "list-locations --query [].name` lists them)")


# Every Azure region value (azure.location, a gateway's, an adopted workspace's, the
# maintenance window's) is checked against the one list in gatewatch/azure/regions.py.
Region = Annotated[StrictStr, Text(None, what="an Azure region", fix="", check=_region,
                                   enum=lambda: sorted(regions.DISPLAY_NAMES))]

# Naming rules (see NAMING_RULES): resource groups 1-90 of letters, digits, '_', '-', '.',
# '(' and ')', not ending in '.'; Log Analytics workspaces 4-63 of alphanumerics and hyphens,
# starting and ending alphanumeric; virtual network gateways 1-80 of alphanumerics, '_', '.',
# '-', starting alphanumeric and ending alphanumeric or '_'; event hubs 1-256 of alphanumerics,
# '.', '-', '_', starting and ending alphanumeric.
ResourceGroupName = Annotated[StrictStr, Text(
    r"[-\w._()]{0,89}[-\w_()]", what="a valid resource group name",
    fix="use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.' (Azure naming "
        "rules for resource groups)")]
WorkspaceName = Annotated[StrictStr, Text(
    r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]", what="a valid workspace name",
    fix="use 4-63 letters, digits and hyphens, starting and ending with a letter or digit "
        "(Azure naming rules for Log Analytics workspaces)")]
_GATEWAY_NAME = re.compile(r"[A-Za-z0-9](?:[\w.-]{0,78}[A-Za-z0-9_])?")
EventHubName = Annotated[StrictStr, Text(
    r"[A-Za-z0-9](?:[-\w.]{0,254}[A-Za-z0-9])?", what="an event hub name",
    fix="use 1-256 letters, digits, '.', '-' or '_', starting and ending with a letter or digit "
        "(Azure naming rules for event hubs)")]
_EMAIL = r"[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}"
Email = Annotated[StrictStr, Text(
    _EMAIL, what="an email address", secret_ok=True,
    fix="write one address per list entry, like netops@example.com")]
ReceiverName = Annotated[StrictStr, Text(r"[-\w.]{1,64}", what="a receiver name",
                                         fix="use up to 64 letters, digits, '-', '_' or '.'")]
# Alert payloads must not travel in clear; the URL carries the receiver's token: never echoed.
WebhookUri = Annotated[StrictStr, Text(
    r"https://[^\s/]+(/\S*)?", what="an https URL", secret=True, secret_ok=True,
    fix="use an https:// URL; alert payloads must not travel in clear")]

# Azure tag limits ("Use tags to organize your Azure resources and management hierarchy",
# learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations): at
# most 50 tags per resource, names up to 512 characters without < > % & \ ? /, values up to
# 256 characters; tag names are case-insensitive. The kit adds its managed-by tag itself.
MAX_TAGS = 50 - 1
TagName = Annotated[StrictStr, Text(
    r"[^<>%&\\?/]{1,512}", what="a valid Azure tag name",
    fix="use up to 512 characters, none of < > % & \\ ? / (Azure tag limits)")]


def _tag_value(value: str) -> str:
    if len(value) > 256:
        raise fail(f"is {len(value)} characters long; Azure tag values hold at most 256",
                   "shorten the value (Azure tag limits)")
    return value


TagValue = Annotated[StrictStr, AfterValidator(_tag_value),
                     WithJsonSchema({"type": "string", "maxLength": 256})]


def _tag_set(value: Mapping[str, str], most: int, why: str) -> Mapping[str, str]:
    issues = Issues()
    if len(value) > most:
        issues.add((), f"has {len(value)} tags; an Azure resource holds at most 50{why}",
                   f"keep at most {most} tags (Azure tag limits)")
    seen: dict[str, str] = {}
    for key in value:
        if key.lower() in seen:
            issues.add((key,), f"duplicate of {HERE}.{seen[key.lower()]}: Azure tag names are "
                       "case-insensitive", "keep one of the two (Azure tag limits)")
        seen.setdefault(key.lower(), key)
    issues.check()
    return value


def _tags(value: Mapping[str, str]) -> Mapping[str, str]:
    return _tag_set(value, MAX_TAGS, ", and the kit adds its managed-by tag")


def _gateway_tags(value: Mapping[str, str]) -> Mapping[str, str]:
    # A gateway's own tags: the kit adds none to the gateway, so Azure's full 50 apply.
    return _tag_set(value, MAX_TAGS + 1, "")


Tags = Annotated[Mapping[TagName, TagValue], AfterValidator(_tags)]
GatewayTags = Annotated[Mapping[TagName, TagValue], AfterValidator(_gateway_tags)]


_ARM_ID_PATTERN = "^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/[^/]+/.+$"


@dataclass(frozen=True)
class ArmIdRule(Rule):
    """A full ARM id of `resource_type` (compared case-insensitively), parsed into an ArmId,
    or kept as the string written (`as_text`). A gateway's name follows Azure's naming rules."""

    resource_type: str
    what: str
    as_text: bool = False

    def validate(self, value: Any) -> ArmId | str:
        example = f"use the full ARM id, like {example_id(self.resource_type)}"
        if value is None:
            raise fail("has no value", example)
        if not isinstance(value, str):
            raise fail(f"expected a string, got {type_name(value)}", example)
        if value == SECRET_PLACEHOLDER:
            raise fail(ENCRYPTED, ENCRYPTED_FIX)
        parsed = parse_arm_id(value)
        if parsed is None or not parsed.is_type(self.resource_type):
            raise fail(f"'{value}' is not {self.what} id", example)
        if self.resource_type == GATEWAY_TYPE and not _GATEWAY_NAME.fullmatch(parsed.name):
            raise fail(f"'{parsed.name}' is not a valid virtual network gateway name",
                       "gateway names are 1-80 letters, digits, '_', '.' or '-', starting with "
                       "a letter or digit and ending with a letter, digit or '_' (Azure "
                       "naming rules); check the id")
        return parsed.id if self.as_text else parsed

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": _ARM_ID_PATTERN,
                "description": f"Full ARM id of a {self.resource_type}, like "
                               f"{example_id(self.resource_type)}"}


def _alert_names() -> list[str]:
    """Every alert config may disable: log, metric and activity log alerts share one name
    space (alerts/*.yaml, alerts/metric/*.yaml, alerts/activity/*.yaml)."""
    from gatewatch.catalog.load import alert_names

    return sorted(alert_names()[0])


def _severity_alert_names() -> list[str]:
    """The alerts that take a severity: log and metric alerts (activity log alerts have none
    in Azure's API, 2020-10-01)."""
    from gatewatch.catalog.load import alert_names

    return sorted(alert_names()[1])


def _alert_name(value: str) -> None:
    known = _alert_names()
    if value not in known:
        raise fail(f"'{value}' is not an alert of the catalog",
                   f"{did_you_mean(value, known)}use one of {', '.join(known)}")


def _severity_alert_name(value: str) -> None:
    _alert_name(value)
    if value not in _severity_alert_names():
        raise fail(f"'{value}' is an activity log alert, and activity log alerts have no "
                   "severity in Azure's API",
                   "remove it from gatewatch:azure.alerts.severities; to stop it, list it "
                   "under gatewatch:azure.alerts.disabled")


AlertName = Annotated[StrictStr, Text(None, what="an alert name", fix="", check=_alert_name,
                                      enum=_alert_names)]
SeverityAlertName = Annotated[StrictStr, Text(None, what="an alert name", fix="",
                                              check=_severity_alert_name,
                                              enum=_severity_alert_names)]


# A daily cap is a cost guard, and Azure states no maximum for it (workspaceCapping.dailyQuotaGb
# is a plain number, -1 meaning none; omit the key for that). The kit's maximum, 10 TB a day,
# is orders of magnitude above what VPN gateway diagnostics ingest (megabytes to a few GB a day
# per gateway): a larger value is a typo (1e30) that would disable the guard.
DAILY_QUOTA_MAX_GB: Final = 10_000
DAILY_QUOTA_MAX_WHY: Final = "10 TB a day; omit dailyQuotaGb for no cap"

RetentionDays = Annotated[StrictInt, Whole(azure_facts.WORKSPACE_RETENTION_MIN,
                                           azure_facts.WORKSPACE_RETENTION_MAX)]
DailyQuotaGb = Annotated[StrictFloat, Number(0, DAILY_QUOTA_MAX_GB, why=DAILY_QUOTA_MAX_WHY)]
WorkspaceId = Annotated[ArmId, ArmIdRule(WORKSPACE_TYPE, "a Log Analytics workspace")]
GatewayId = Annotated[ArmId, ArmIdRule(GATEWAY_TYPE, "a virtual network gateway")]
VmId = Annotated[ArmId, ArmIdRule(VM_TYPE, "a virtual machine")]
StorageAccountId = Annotated[str, ArmIdRule(STORAGE_TYPE, "a storage account", as_text=True)]
EventHubRuleId = Annotated[str, ArmIdRule(
    EVENT_HUB_RULE_TYPE, "an Event Hubs namespace authorization rule", as_text=True)]
VpnType = Annotated[StrictStr, Choice(azure_facts.VPN_TYPES)]
OsType = Annotated[StrictStr, Choice(azure_facts.VM_OS_TYPES)]
ROLE_SCOPES = ("workspace", "resourceGroup")
RoleScope = Annotated[StrictStr, Choice(ROLE_SCOPES)]
CategoryGroup = Annotated[StrictStr, Choice(azure_facts.CATEGORY_GROUPS)]
Severity = Annotated[StrictInt, Whole(0, 4)]


# --- models ---------------------------------------------------------------------------------

class _Model(BaseModel):
    """Frozen, camelCase keys in YAML, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel,
                              validate_by_alias=True, validate_by_name=False,
                              validate_default=False)


class WorkspaceConfig(_Model):
    """Create a workspace (name, retention, optional daily cap) or adopt one by id."""

    example: ClassVar[str] = "{name: log-gatewatch, retentionInDays: 90}"

    name: WorkspaceName | None = Field(
        default=None, description="Name of the Log Analytics workspace the kit creates.")
    retention_in_days: RetentionDays = Field(
        default=30, description="Days the workspace keeps data (PerGB2018 tier: 30-730).")
    daily_quota_gb: DailyQuotaGb | None = Field(
        default=None, description="Daily ingestion cap in GB (at most 10000); absent: no cap.")
    existing_id: WorkspaceId | None = Field(
        default=None, description="Adopt this existing workspace instead of creating one.")
    location: Region | None = Field(
        default=None, description="Region of the adopted workspace (the data collection rule "
                                  "of azure.vms must be there); absent: azure.location.")

    @property
    def adopted(self) -> bool:
        return self.existing_id is not None

    @model_validator(mode="after")
    def _create_or_adopt(self) -> WorkspaceConfig:
        issues = Issues()
        given = [to_camel(f) for f in self.model_fields_set]
        if self.existing_id is not None:
            extra = sorted(set(given) - {"existingId", "location"})
            if extra:
                issues.add((), f"existingId cannot be combined with {', '.join(extra)}",
                           "either adopt a workspace with existingId (and its location), or "
                           "create one with name and retentionInDays")
        else:
            if self.location is not None:
                issues.add(("location",), "only an adopted workspace (existingId) takes a "
                           "location; a created one goes to gatewatch:azure.location",
                           f"remove {HERE}.location, or set gatewatch:azure.location")
            if self.name is None:
                issues.add(("name",), "missing", f"set {HERE}.name to create a workspace, or "
                           f"{HERE}.existingId to adopt one")
        issues.check()
        return self


class _ArmTarget(_Model):
    """A config entry that points at an Azure resource by its ARM id (`id`), with where it
    sits in config (`gatewatch:azure.gateways[1]`, set by AzureConfig) for messages."""

    if TYPE_CHECKING:
        id: ArmId  # declared, typed and validated by each subclass

    _key_path: str = PrivateAttr("")

    @property
    def key_path(self) -> str:
        return self._key_path

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def resource_group(self) -> str:
        return self.id.resource_group


class GatewayConfig(_ArmTarget):
    """A VPN gateway to watch. `vpn_type` None means: ask Azure through the provider lookup."""

    example: ClassVar[str] = "{id: /subscriptions/.../virtualNetworkGateways/vpngw01}"

    id: GatewayId = Field(description="Full ARM id of the VPN gateway.")
    vpn_type: VpnType | None = Field(
        default=None, description="RouteBased or PolicyBased; absent: read from Azure.")
    # The gateway's region when config states it (checked against maintenanceWindow at
    # config time); None: read from Azure by the maintenance component's lookup.
    location: Region | None = Field(
        default=None, description="Region of the gateway (checked against maintenanceWindow).")
    # False: left out of gatewatch:azure.maintenanceWindow (e.g. a Basic SKU gateway).
    maintenance_window: StrictBool = Field(
        default=True, description="false: leave the gateway out of azure.maintenanceWindow.")
    # The gateway's Azure tags as an offline plan should assume them (the program reads the
    # real ones through the gateway lookup; the offline harness answers it with these).
    tags: GatewayTags = Field(
        default_factory=dict,
        description="The gateway's Azure tags as the offline plan assumes them (pulumi "
                    "preview/up read the real ones); MonitorDisable: \"true\" skips its metric "
                    "and activity log alerts.")


class DiagnosticsConfig(_Model):
    """Destinations the diagnostic settings send to besides the workspace."""

    storage_account_id: StorageAccountId | None = Field(
        default=None, description="Also archive gateway logs to this storage account.")
    event_hub_authorization_rule_id: EventHubRuleId | None = Field(
        default=None, description="Also stream gateway logs to Event Hubs with this rule.")
    event_hub_name: EventHubName | None = Field(
        default=None, description="Event hub to stream to (needs eventHubAuthorizationRuleId).")
    # "allLogs": route-based gateways' settings select the category group instead of naming
    # the five categories (what built-in policy ed6ae75a checks for); None: by name.
    category_group: CategoryGroup | None = Field(
        default=None, description="allLogs: route-based gateways' settings select the category "
                                  "group (what Azure Policy ed6ae75a checks); absent: the "
                                  "categories by name.")

    @model_validator(mode="after")
    def _hub_needs_rule(self) -> DiagnosticsConfig:
        if self.event_hub_name and not self.event_hub_authorization_rule_id:
            raise fail("needs eventHubAuthorizationRuleId",
                       f"set {HERE}.eventHubAuthorizationRuleId as well", at=("eventHubName",))
        return self


class WebhookConfig(_Model):

    example: ClassVar[str] = "{name: teams, uri: https://...}"
    name: ReceiverName = Field(description="Receiver name in the action group.")
    uri: WebhookUri = Field(description="https URL the alert is posted to (a secret: it "
                                        "carries a token; prefer `pulumi config set --secret`).")


def _email_duplicates(emails: tuple[str, ...]) -> None:
    """Mail is delivered per mailbox, and mailboxes ignore case: Ops@x and ops@x are one."""
    duplicates(emails, lambda e: None if e == SECRET_PLACEHOLDER else e.lower(), (),
               "address", why=" (addresses that differ only in case are one mailbox)").check()


class AlertsConfig(_Model):
    """Who is told, and what the alert identity may read (the workspace, or its group)."""

    example: ClassVar[str] = "{emails: [netops@example.com]}"

    emails: tuple[Email, ...] = Field(
        min_length=1, description="Addresses the alerts mail (case-insensitive, each once).")
    webhooks: tuple[WebhookConfig, ...] = Field(default=(), description="Webhook receivers.")
    role_scope: RoleScope = Field(
        default="workspace", description="Where the alert identity gets Reader: the workspace "
                                         "(default) or its resource group.")
    disabled: frozenset[AlertName] = Field(
        default=frozenset(), description="Alerts not to deploy (log, metric and activity log "
                                         "alert names: alerts/*.yaml, alerts/metric/*.yaml, "
                                         "alerts/activity/*.yaml).")
    severities: Mapping[SeverityAlertName, Severity] = Field(
        default_factory=dict, description="Severity (0-4) per log or metric alert, overriding "
                                          "the catalog (activity log alerts have none).")

    @field_validator("emails")
    @classmethod
    def _emails_once(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        _email_duplicates(emails)
        return emails

    @field_validator("webhooks")
    @classmethod
    def _receivers_once(cls, hooks: tuple[WebhookConfig, ...]) -> tuple[WebhookConfig, ...]:
        duplicates(hooks, lambda w: w.name, ("name",), "receiver name").check()
        return hooks

    @field_validator("disabled", mode="before")
    @classmethod
    def _disabled_once(cls, value: Any) -> Any:
        if isinstance(value, list):
            duplicates(value, lambda v: v if isinstance(v, str) else None, (), "alert").check()
        return value


class VmConfig(_ArmTarget):
    """A Windows VM whose scheduled events are mailed (seed 002). `os_type` None: read from
    Azure by the lookup (a Linux VM fails the run there); the flags skip what is managed
    elsewhere."""

    example: ClassVar[str] = "{id: /subscriptions/.../virtualMachines/vm01}"

    id: VmId = Field(description="Full ARM id of the VM.")
    os_type: OsType | None = Field(
        default=None, description="Windows; absent: read from Azure (Linux is not supported).")
    agent_managed_elsewhere: StrictBool = Field(
        default=False, description="true: the Azure Monitor agent is deployed by someone else.")
    scheduled_events_service_installed: StrictBool = Field(
        default=False, description="true: the scheduled-events service is already installed.")

    @field_validator("os_type")
    @classmethod
    def _windows_only(cls, os_type: str | None) -> str | None:
        if os_type == azure_facts.LINUX:
            raise fail("Linux VMs are not supported: AzureScheduledEventsService is a Windows "
                       "service that logs to the Windows Application log",
                       "remove this VM from gatewatch:azure.vms (Linux VMs need a different "
                       "scheduled-events listener)")
        return os_type


def _hours(value: Any) -> int:
    lo, hi = azure_facts.MAINTENANCE_MIN_HOURS, azure_facts.MAINTENANCE_MAX_HOURS
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{value!r} must be a whole number of hours",
                   f"write a whole number (no quotes, no fraction) from {lo} to {hi}")
    if value < lo:
        raise fail(f"{value} hours is shorter than Azure's minimum gateway maintenance window",
                   f"use a whole number of hours from {lo} to {hi}")
    if value > hi:
        raise fail(f"{value} hours does not fit in a day; the window recurs daily",
                   f"use a whole number of hours from {lo} to {hi}")
    return value


def _unquoted_time(value: Any) -> Any:
    """YAML 1.1 reads an unquoted 01:00 as the base-60 number 60."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        hh_mm = f"{value // 60:02d}:{value % 60:02d}"
        raise fail(f"YAML read the unquoted time {hh_mm} as the number {value}",
                   f'keep the format and quote it: "{hh_mm}"')
    return value


def _windows_time_zone(value: str) -> None:
    if "/" in value or not re.fullmatch(r"[A-Za-z][-A-Za-z0-9 .+()]{1,63}", value):
        raise fail(f"'{value}' is not a Windows time zone id",
                   "use the Windows id Azure expects, like Tokyo Standard Time or UTC "
                   "(Asia/Tokyo is the IANA name); `tzutil /l` lists them")


def _daily(value: str) -> None:
    if value != azure_facts.MAINTENANCE_RECUR_EVERY:
        raise fail(f"'{value}' is not supported: gateway maintenance windows recur daily",
                   f"remove recurEvery or set it to {azure_facts.MAINTENANCE_RECUR_EVERY}")


HhMm = Annotated[StrictStr, BeforeValidator(_unquoted_time), Text(
    r"(?:[01]\d|2[0-3]):[0-5]\d", what="a time like 01:00",
    fix="write the window's start as HH:MM (24-hour clock, quoted in YAML)")]
Hours = Annotated[int, PlainValidator(_hours), WithJsonSchema({
    "type": "integer", "minimum": azure_facts.MAINTENANCE_MIN_HOURS,
    "maximum": azure_facts.MAINTENANCE_MAX_HOURS})]
WindowsTimeZone = Annotated[StrictStr, Text(None, what="a Windows time zone id", fix="",
                                            check=_windows_time_zone)]
IsoDate = Annotated[StrictStr, Text(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])",
                                    what="a date like 2025-01-01",
                                    fix="write the first day as YYYY-MM-DD")]
Recurrence = Annotated[StrictStr, Text(None, what="Day", fix="", check=_daily)]
MAINTENANCE_WINDOW_PATH: Final = "gatewatch:azure.maintenanceWindow"


class MaintenanceWindowConfig(_Model):
    """Customer-controlled gateway maintenance: a daily window of `duration_hours` from
    `start` (HH:MM, in `time_zone`, a Windows time zone id), in the gateways' region."""

    example: ClassVar[str] = '{start: "01:00", durationHours: 5, timeZone: Tokyo Standard Time}'
    # `location` may be left out of the file: AzureConfig fills in azure.location.
    model_config = ConfigDict(json_schema_extra=lambda schema: schema["required"].remove(
        "location"))

    start: HhMm = Field(description="Daily start, HH:MM (quoted), in timeZone.")
    duration_hours: Hours = Field(description="Length of the window in hours (5-23).")
    time_zone: WindowsTimeZone = Field(
        description="Windows time zone id, like Tokyo Standard Time.")
    # None: the date is fixed when the configuration is first created (tomorrow, UTC) and
    # kept in state (components.creation_date); Azure rejects a start date in the past.
    start_date: IsoDate | None = Field(
        default=None,
        description="First day, YYYY-MM-DD (quoted), today or later when the configuration is "
                    "first created; absent: the first `pulumi up` fixes it to the next day "
                    "(UTC) and keeps it in state.")
    recur_every: Recurrence = Field(
        default=azure_facts.MAINTENANCE_RECUR_EVERY,
        description="Day (the only recurrence Azure offers).")
    location: Region = Field(
        description="Region of the gateways in the window; absent: azure.location.")

    @property
    def key_path(self) -> str:
        return MAINTENANCE_WINDOW_PATH

    @property
    def duration(self) -> str:
        """Azure's "HH:MM" duration."""
        return f"{self.duration_hours:02d}:00"

    def start_date_time(self, date: str) -> str:
        """Azure's "YYYY-MM-DD HH:MM" start on `date`."""
        return f"{date} {self.start}"




class AzureConfig(_Model):
    """The Azure side: workspace, gateway diagnostics, alerts, VM scheduled events and
    gateway maintenance."""

    # `location` may be left out of the file: parse_config fills in azure-native:location.
    model_config = ConfigDict(json_schema_extra=lambda schema: schema["required"].remove(
        "location"))

    location: Region = Field(description="Azure region of the monitoring resources; absent: "
                                         "azure-native:location.")
    resource_group_name: ResourceGroupName = Field(
        description="Resource group the kit creates for them.")
    workspace: WorkspaceConfig = Field(
        description="{name, retentionInDays, dailyQuotaGb?} to create a workspace, or "
                    "{existingId, location?} to adopt one.")
    gateways: tuple[GatewayConfig, ...] = Field(
        min_length=1, description="VPN gateways whose diagnostics the kit keeps on.")
    diagnostics: DiagnosticsConfig = Field(
        default=DiagnosticsConfig(), description="Destinations besides the workspace.")
    alerts: AlertsConfig | None = Field(
        default=None, description="Who the alerts tell, and how.")
    tags: Tags = Field(default_factory=dict,
                       description="Tags for the resources the kit creates (Azure tag limits).")
    vms: tuple[VmConfig, ...] = Field(
        default=(), description="Windows VMs whose scheduled events (15 minutes' notice) are "
                                "mailed.")
    maintenance_window: MaintenanceWindowConfig | None = Field(
        default=None, description="Customer-controlled gateway maintenance: a daily window.")

    @model_validator(mode="before")
    @classmethod
    def _window_defaults_to_azure_location(cls, data: Any) -> Any:
        window, location = (data.get("maintenanceWindow"), data.get("location")) \
            if isinstance(data, Mapping) else (None, None)
        if (isinstance(window, Mapping) and "location" not in window
                and isinstance(location, str) and location in regions.DISPLAY_NAMES):
            return {**data, "maintenanceWindow": {**window, "location": location}}
        return data

    @field_validator("gateways")
    @classmethod
    def _gateways_once(cls, gateways: tuple[GatewayConfig, ...]) -> tuple[GatewayConfig, ...]:
        duplicates(gateways, lambda g: g.id.key, ("id",), "gateway").check()
        return gateways

    @field_validator("vms")
    @classmethod
    def _vms_once(cls, vms: tuple[VmConfig, ...]) -> tuple[VmConfig, ...]:
        duplicates(vms, lambda v: v.id.key, ("id",), "VM").check()
        return vms

    @model_validator(mode="after")
    def _cross_checks(self) -> AzureConfig:
        for index, gateway in enumerate(self.gateways):
            gateway._key_path = f"gatewatch:azure.gateways[{index}]"
        for index, vm in enumerate(self.vms):
            vm._key_path = f"gatewatch:azure.vms[{index}]"
        if self.maintenance_window is not None:
            self._check_window(self.maintenance_window)
        return self

    def _check_window(self, window: MaintenanceWindowConfig) -> None:
        """Azure's rules for customer-controlled gateway maintenance: in the gateways' region,
        not for Basic SKU (policy-based) gateways. (Only the run-time lookup knows the SKU of a
        gateway whose vpnType config does not state.)"""
        issues = Issues()
        included = [(i, g) for i, g in enumerate(self.gateways) if g.maintenance_window]
        if not included:
            issues.add(("maintenanceWindow",), "no gateway is left in the maintenance window "
                       "(every gateway sets maintenanceWindow: false)",
                       "remove maintenanceWindow, or include a gateway")
        for index, gateway in included:
            at = ("gateways", index)
            if gateway.vpn_type == azure_facts.POLICY_BASED:
                issues.add((*at, "vpnType"), "a policy-based gateway is a Basic SKU gateway, "
                           "and Basic gateways do not support customer-controlled maintenance",
                           f"set {HERE}.gateways[{index}].maintenanceWindow: false to leave it "
                           "out of the window")
            if gateway.location and gateway.location != window.location:
                issues.add((*at, "location"), f"gateway region {gateway.location} differs from "
                           f"the maintenance window's region {window.location}; Azure assigns "
                           "a maintenance configuration only to gateways in its own region",
                           f"set {HERE}.maintenanceWindow.location to {gateway.location}, or "
                           "remove maintenanceWindow for stacks whose gateways span regions")
        issues.check()

    @property
    def workspace_location(self) -> str:
        """The workspace's region: where a created one goes (gatewatch:azure.location), or
        what config states for an adopted one (gatewatch:azure.workspace.location)."""
        return self.workspace.location or self.location


# --- AWS ------------------------------------------------------------------------------------

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)
LOG_OUTPUT_FORMATS = aws_facts.AWS_LOG_OUTPUT_FORMATS
LogGroupName = Annotated[StrictStr, Text(
    r"[.\-_/#A-Za-z0-9]{1,512}", what="a log group name",
    fix="use letters, digits and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn")]
BgpLogGroupName = Annotated[StrictStr, Text(
    r"[.\-_/#A-Za-z0-9]{1,512}", what="a log group name",
    fix="use letters, digits and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn-bgp")]
LogRetentionDays = Annotated[StrictInt, Whole(1, 3653, allowed=LOG_RETENTION_DAYS)]
KmsKeyArn = Annotated[StrictStr, Text(
    r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{36}", what="a KMS key ARN",
    fix="use arn:aws:kms:<region>:<account>:key/<key-id>")]
AwsRegion = Annotated[StrictStr, Text(aws_facts.AWS_REGION_RE.pattern, what="an AWS region",
                                      fix="use a region code like ap-northeast-1")]
VpnConnectionId = Annotated[StrictStr, Text(
    aws_facts.AWS_VPN_ID_RE.pattern, what="a VPN connection id",
    fix="use the id of an existing Site-to-Site VPN connection, like vpn-0123456789abcdef0")]
LogOutputFormat = Annotated[StrictStr, Choice(LOG_OUTPUT_FORMATS)]
# https anywhere; plain http only to this machine (a local EC2 stand-in).
Ec2EndpointUrl = Annotated[StrictStr, Text(
    r"(https://[^\s/]+|http://(127\.0\.0\.1|localhost)(:\d+)?)(/\S*)?",
    what="an https URL (or http://127.0.0.1 for a local stand-in)",
    fix="use e.g. https://vpce-0123.ec2.ap-northeast-1.vpce.amazonaws.com")]


class AwsLogGroupConfig(_Model):
    """Where tunnel logs go. `name` None: /aws/vendedlogs/gatewatch/<stack> (vended-logs
    prefix, so the log group's resource policy stays within its size limit)."""

    example: ClassVar[str] = "{retentionInDays: 30}"

    name: LogGroupName | None = Field(
        default=None, description="Log group name; absent: /aws/vendedlogs/gatewatch/<stack>.")
    retention_in_days: LogRetentionDays = Field(
        default=30, description="Days CloudWatch Logs keeps the tunnel logs (its accepted "
                                "values).")
    kms_key_arn: KmsKeyArn | None = Field(
        default=None, description="KMS key that encrypts the log group.")


class AwsConfig(_Model):
    """The AWS side: tunnel activity logs on existing Site-to-Site VPN connections, rolled
    out one tunnel at a time."""

    example: ClassVar[str] = "{region: ap-northeast-1, vpnConnections: [vpn-0123456789abcdef0]}"

    region: AwsRegion = Field(description="Region of the VPN connections.")
    vpn_connections: tuple[VpnConnectionId, ...] = Field(
        min_length=1, description="Ids of existing Site-to-Site VPN connections (vpn-...).")
    log_group: AwsLogGroupConfig = Field(
        default=AwsLogGroupConfig(), description="Where the tunnel logs go.")
    log_output_format: LogOutputFormat = Field(
        default="json", description="json (default) or text.")
    alarm_emails: tuple[Email, ...] = Field(
        default=(), description="Addresses subscribed to the alarms' SNS topic.")
    # Seed 003 saw a tunnel back UP after about 5 minutes; less than that would give up on
    # every healthy tunnel.
    tunnel_up_timeout_minutes: Annotated[StrictInt, Whole(5, 120)] = Field(
        default=15, description="Minutes the rollout waits for a tunnel to come back UP "
                                "(5-120).")
    poll_seconds: Annotated[StrictInt, Whole(5, 300)] = Field(
        default=15, description="Seconds between polls (5-300).")
    # None: as many connections at once as EC2's request throttle allows (the rollout polls in
    # batches and paces its mutating calls; see gatewatch/aws_rollout/throttle.py).
    max_parallel: Annotated[StrictInt, Whole(1, 1000)] | None = Field(
        default=None, description="Connections rolled out in parallel (1-1000); absent: as many "
                                  "as EC2's request throttle allows.")
    # BGP logs set in the same ModifyVpnTunnelOptions call as the tunnel logs; to the tunnel
    # log group, or to their own group when bgp_log_group_name is set.
    bgp_logs: StrictBool = Field(
        default=True, description="true (default): BGP logs in the same tunnel change as the "
                                  "tunnel logs.")
    bgp_log_group_name: BgpLogGroupName | None = Field(
        default=None, description="Own log group for the BGP logs; absent: the tunnel log "
                                  "group.")
    # EnableTunnelLifecycleControl: the team, not AWS, decides when tunnel maintenance runs.
    tunnel_lifecycle_control: StrictBool = Field(
        default=True, description="true (default): EnableTunnelLifecycleControl on every "
                                  "tunnel.")
    # An EC2 endpoint for the rollout, e.g. a VPC interface endpoint when the deploying
    # runner has no route to the public one; None: the regional AWS endpoint.
    ec2_endpoint_url: Ec2EndpointUrl | None = Field(
        default=None, description="EC2 endpoint for the rollout (e.g. a VPC endpoint).")

    @model_validator(mode="after")
    def _bgp_group_needs_bgp_logs(self) -> AwsConfig:
        if not self.bgp_logs and self.bgp_log_group_name is not None:
            raise fail("has no effect with bgpLogs: false",
                       "drop bgpLogGroupName, or set bgpLogs: true", at=("bgpLogGroupName",))
        return self

    @field_validator("vpn_connections")
    @classmethod
    def _connections_once(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        duplicates(ids, lambda i: i, (), "connection").check()
        return ids

    @field_validator("alarm_emails")
    @classmethod
    def _emails_once(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        _email_duplicates(emails)
        return emails


class StackConfig(_Model):
    """The `gatewatch` namespace of a stack's config: `gatewatch:azure` and/or
    `gatewatch:aws`."""

    azure: AzureConfig | None = Field(default=None, description="The Azure side.")
    aws: AwsConfig | None = Field(default=None, description="The AWS side.")


SECTIONS: Final = tuple(StackConfig.model_fields)
AZURE_KEYS: Final = tuple(f.alias or n for n, f in AzureConfig.model_fields.items())
AWS_KEYS: Final = tuple(f.alias or n for n, f in AwsConfig.model_fields.items())
TOP_KEYS: Final = SECTIONS


# The azure-native provider's own region setting: gatewatch:azure.location falls back to it.
PROVIDER_LOCATION_KEY: Final = "azure-native:location"
LOCATION_PATH: Final = f"{NAMESPACE}:azure.location"


def _with_provider_location(ours: dict[str, Any], raw: Mapping[str, Any]) -> bool:
    """Fill an absent gatewatch:azure.location from azure-native:location (validated by the same
    rules); True when it did. An explicit `location: null` is not absent: it stays an error."""
    azure, provider = ours.get("azure"), raw.get(PROVIDER_LOCATION_KEY)
    if isinstance(azure, Mapping) and "location" not in azure and provider is not None:
        ours["azure"] = {**azure, "location": provider}
        return True
    return False


def _location_problem(problem: Problem, from_provider: bool) -> Problem:
    """gatewatch:azure.location's problems in the words of the fallback."""
    if problem.path != LOCATION_PATH:
        return problem
    if problem.message == "missing":
        return Problem(LOCATION_PATH, f"missing, and {PROVIDER_LOCATION_KEY} is not set either",
                       f"set {LOCATION_PATH} or {PROVIDER_LOCATION_KEY} to the region's short "
                       "name, like japaneast")
    if from_provider:  # the value came from the provider's key: name that key
        return Problem(PROVIDER_LOCATION_KEY, f"{problem.message} (used for {LOCATION_PATH}, "
                       "which is not set)", problem.fix)
    return problem


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config map (`{"gatewatch:azure": {...}, ...}`); raise BadInput
    listing every problem. Keys of other namespaces (providers' config) are left alone, except
    azure-native:location, which an absent gatewatch:azure.location takes."""
    ours = {str(key).partition(":")[2]: value for key, value in raw.items()
            if str(key).partition(":")[0] == NAMESPACE}
    from_provider = _with_provider_location(ours, raw)
    problems: list[Problem] = []
    if not ours:
        problems.append(Problem(f"{NAMESPACE}:azure", "missing",
                                "set gatewatch:azure and/or gatewatch:aws in the stack file "
                                "(see Pulumi.dev.yaml for an example)"))
    for name, value in ours.items():
        if value is None and name in SECTIONS:
            # A section must never vanish without a reason: `pulumi up` would delete it.
            problems.append(Problem(f"{NAMESPACE}:{name}", "is empty",
                                    f"fill in {NAMESPACE}:{name} or remove the key"))
    try:
        config = StackConfig.model_validate(ours)
    except ValidationError as error:
        problems.extend(_location_problem(p, from_provider)
                        for p in problems_from(error, StackConfig, f"{NAMESPACE}:"))
        raise BadInput(problems) from None
    if problems:
        raise BadInput(problems)
    return config


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
    """The `config:` map of a `Pulumi.<stack>.yaml` file, or BadInput naming the file.
    Encrypted values become SECRET_PLACEHOLDER (see `secret_paths`)."""
    from gatewatch.config.stack_file import load_yaml

    where = str(path)
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"), where)
    except FileNotFoundError:
        raise BadInput([Problem(where, "file not found",
                                   "pass --stack NAME for Pulumi.NAME.yaml in the project, "
                                   "or --config-file PATH")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        reason = "is not a readable UTF-8 text file" if isinstance(exc, UnicodeDecodeError) \
            else f"cannot be read ({exc.strerror})"
        raise BadInput([Problem(where, reason,
                                   "pass the path of a Pulumi.<stack>.yaml file")]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise BadInput([Problem(where, "has no 'config:' mapping",
                                   "write the stack settings under a top-level 'config:' key")])
    return {key: _without_secrets(value) for key, value in (doc.get("config") or {}).items()}


def _is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _without_secrets(value: Any) -> Any:
    """Encrypted values (`{secure: v1:...}`, e.g. a webhook URL set with `pulumi config set
    --secret --path`) cannot be decrypted offline: they become SECRET_PLACEHOLDER. Text keys
    accept it unread (the plan shows the placeholder; `pulumi preview` checks the decrypted
    value); keys the plan must read (numbers, ids, regions) say so."""
    if _is_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def secret_paths(raw: Mapping[str, Any]) -> list[str]:
    """Key paths of the values a stack file stores encrypted (for the plan's note)."""
    out: list[str] = []

    def walk(value: Any, path: str) -> None:
        if value == SECRET_PLACEHOLDER:
            out.append(path)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if not path.endswith(":") else f"{path}{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, value in raw.items():
        walk(value, str(key))
    return out


def load_stack_file(path: Path) -> tuple[StackConfig, dict[str, Any]]:
    """Parse a stack file; return the model and the raw map (for the offline harness)."""
    raw = read_stack_file(path)
    return parse_config(raw), raw
