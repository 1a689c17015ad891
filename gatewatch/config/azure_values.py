"""Azure value types of the stack config: regions, resource names, tags and ARM ids, each
carrying its rule and its message (the rule metadata of gatewatch/config/fields.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    GetCoreSchemaHandler,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import core_schema

from gatewatch.azure import facts as azure_facts
from gatewatch.azure import regions
from gatewatch.azure.arm_ids import ArmId, example_id, parse_arm_id
from gatewatch.config.fields import (
    ENCRYPTED,
    ENCRYPTED_FIX,
    HERE,
    Choice,
    FieldRule,
    Issues,
    Number,
    Text,
    Whole,
    fail,
)
from gatewatch.errors import SECRET_PLACEHOLDER, did_you_mean, type_name

# The ARM resource types whose ids the config takes.
VM_TYPE = "Microsoft.Compute/virtualMachines"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
EVENT_HUB_RULE_TYPE = "Microsoft.EventHub/namespaces/authorizationRules"


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

# Microsoft's "Naming rules and restrictions for Azure resources"
# (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
# resource groups 1-90 of letters, digits, '_', '-', '.',
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
class ArmIdRule(FieldRule):
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
        if (self.resource_type == azure_facts.GATEWAY_ARM_TYPE
                and not _GATEWAY_NAME.fullmatch(parsed.name)):
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
GatewayId = Annotated[ArmId, ArmIdRule(azure_facts.GATEWAY_ARM_TYPE, "a virtual network gateway")]
VmId = Annotated[ArmId, ArmIdRule(VM_TYPE, "a virtual machine")]
StorageAccountId = Annotated[str, ArmIdRule(STORAGE_TYPE, "a storage account", as_text=True)]
EventHubRuleId = Annotated[str, ArmIdRule(
    EVENT_HUB_RULE_TYPE, "an Event Hubs namespace authorization rule", as_text=True)]
VpnType = Annotated[StrictStr, Choice(azure_facts.VPN_TYPES)]
OsType = Annotated[StrictStr, Choice(azure_facts.VM_OS_TYPES)]
CategoryGroup = Annotated[StrictStr, Choice(azure_facts.CATEGORY_GROUPS)]
