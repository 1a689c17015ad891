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
from gatewatch.validate import ConfigError, Problem, Reader, child

NAMESPACE = "gatewatch"
GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
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

    @property
    def adopted(self) -> bool:
        return self.existing_id is not None


@dataclass(frozen=True)
class GatewayConfig:
    """A VPN gateway to watch. `vpn_type` None means: ask Azure through the provider lookup."""

    id: ArmId
    vpn_type: str | None
    key_path: str

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def resource_group(self) -> str:
        return self.id.resource_group


@dataclass(frozen=True)
class DiagnosticsConfig:
    """Destinations the diagnostic settings send to besides the workspace."""

    storage_account_id: str | None = None
    event_hub_authorization_rule_id: str | None = None
    event_hub_name: str | None = None


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
class AzureConfig:
    location: str
    resource_group_name: str
    workspace: WorkspaceConfig
    gateways: tuple[GatewayConfig, ...]
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    alerts: AlertsConfig | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StackConfig:
    azure: AzureConfig | None = None


AZURE_KEYS = ("location", "resourceGroupName", "workspace", "gateways", "diagnostics", "alerts",
              "tags")
TOP_KEYS = ("azure",)


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
    m = r.mapping(value, path, allowed=("name", "retentionInDays", "dailyQuotaGb", "existingId"),
                  example="{name: log-gatewatch, retentionInDays: 90}")
    if m is None:
        return None
    if "existingId" in m:
        extra = sorted(set(m) - {"existingId"})
        if extra:
            r.problem(path, f"existingId cannot be combined with {', '.join(extra)}",
                      "either adopt a workspace with existingId alone, or create one with "
                      "name and retentionInDays")
        existing = _arm_id(r, m, "existingId", path, WORKSPACE_TYPE,
                           "a Log Analytics workspace", required=True)
        return WorkspaceConfig(existing_id=existing) if existing else None
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
        g = r.mapping(item, item_path, allowed=("id", "vpnType"), required=("id",),
                      example="{id: /subscriptions/.../virtualNetworkGateways/vpngw01}")
        if g is None:
            continue
        gid = _arm_id(r, g, "id", item_path, GATEWAY_TYPE, "a virtual network gateway")
        vpn_type = r.string(g, "vpnType", item_path, choices=facts.VPN_TYPES)
        if gid is None:
            continue
        if gid.key in seen:
            r.problem(child(item_path, "id"), f"duplicate of {seen[gid.key]}",
                      "list each gateway once")
            continue
        seen[gid.key] = child(item_path, "id")
        out.append(GatewayConfig(id=gid, vpn_type=vpn_type, key_path=item_path))
    return out


def _read_diagnostics(r: Reader, value: Any, path: str) -> DiagnosticsConfig:
    if value is None:
        return DiagnosticsConfig()
    m = r.mapping(value, path,
                  allowed=("storageAccountId", "eventHubAuthorizationRuleId", "eventHubName"))
    if m is None:
        return DiagnosticsConfig()
    storage = _arm_id(r, m, "storageAccountId", path, STORAGE_TYPE, "a storage account")
    rule = _arm_id(r, m, "eventHubAuthorizationRuleId", path, EVENT_HUB_RULE_TYPE,
                   "an Event Hubs namespace authorization rule")
    hub = r.string(m, "eventHubName", path, pattern=_EVENT_HUB_NAME, what="an event hub name")
    if hub and "eventHubAuthorizationRuleId" not in m:
        r.problem(child(path, "eventHubName"), "needs eventHubAuthorizationRuleId",
                  f"set {child(path, 'eventHubAuthorizationRuleId')} as well")
    return DiagnosticsConfig(
        storage_account_id=storage.id if storage else None,
        event_hub_authorization_rule_id=rule.id if rule else None,
        event_hub_name=hub,
    )


def _read_alerts(r: Reader, value: Any, path: str) -> AlertsConfig | None:
    from gatewatch.catalog import load_catalog

    m = r.mapping(value, path,
                  allowed=("emails", "webhooks", "roleScope", "disabled", "severities"),
                  required=("emails",), example="{emails: [netops@example.com]}")
    if m is None:
        return None
    emails: list[str] = []
    for item_path, item in r.items(m, "emails", path, required=True, what="email addresses"):
        if not isinstance(item, str) or not _EMAIL.fullmatch(item):
            r.problem(item_path, f"{item!r} is not an email address",
                      "write one address per list entry, like netops@example.com")
        else:
            emails.append(item)
    webhooks: list[WebhookConfig] = []
    for item_path, item in r.items(m, "webhooks", path, what="webhooks"):
        w = r.mapping(item, item_path, allowed=("name", "uri"), required=("name", "uri"),
                      example="{name: teams, uri: https://...}")
        if w is None:
            continue
        name = r.string(w, "name", item_path, pattern=_RECEIVER_NAME, what="a receiver name",
                        fix="use up to 64 letters, digits, '-', '_' or '.'")
        uri = r.string(w, "uri", item_path, pattern=_HTTPS_URL, what="an https URL",
                       fix="use an https:// URL; alert payloads must not travel in clear")
        if name and uri:
            webhooks.append(WebhookConfig(name=name, uri=uri))
    role_scope = r.string(m, "roleScope", path, choices=ROLE_SCOPES) or "workspace"
    known = {rule.name for rule in load_catalog()}
    disabled: set[str] = set()
    for item_path, item in r.items(m, "disabled", path, what="alert names"):
        if item not in known:
            r.problem(item_path, f"{item!r} is not an alert of the catalog",
                      f"use one of {', '.join(sorted(known))}")
        else:
            disabled.add(item)
    severities: dict[str, int] = {}
    raw_sev = r.mapping(m.get("severities", {}), child(path, "severities"), allowed=sorted(known))
    for name in raw_sev or {}:
        sev = r.integer(raw_sev or {}, name, child(path, "severities"), lo=0, hi=4)
        if sev is not None:
            severities[name] = sev
    return AlertsConfig(emails=tuple(emails), webhooks=tuple(webhooks), role_scope=role_scope,
                        disabled=frozenset(disabled), severities=severities)


def _read_azure(r: Reader, value: Any, path: str) -> AzureConfig | None:
    m = r.mapping(value, path, allowed=AZURE_KEYS,
                  required=("location", "resourceGroupName", "workspace", "gateways"))
    if m is None:
        return None
    location = r.string(m, "location", path, pattern=_LOCATION, what="an Azure region name",
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
    if not (location and rg and workspace and gateways):
        return None
    return AzureConfig(location=location, resource_group_name=rg, workspace=workspace,
                       gateways=tuple(gateways), diagnostics=diagnostics, alerts=alerts,
                       tags=tags)


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config map (`{"gatewatch:azure": {...}, ...}`); raise ConfigError
    listing every problem. Keys of other namespaces (providers' config) are left alone."""
    r = Reader()
    ours: dict[str, Any] = {}
    for key, value in raw.items():
        ns, _, name = key.partition(":")
        if ns != NAMESPACE:
            continue
        if name not in TOP_KEYS:
            top = r.mapping({name: value}, f"{NAMESPACE}:", allowed=TOP_KEYS)
            del top
            continue
        ours[name] = value
    if not ours and not r.problems:
        r.problem(f"{NAMESPACE}:azure", "missing",
                  "set gatewatch:azure in the stack file (see Pulumi.dev.yaml for an example)")
    azure = _read_azure(r, ours["azure"], f"{NAMESPACE}:azure") if "azure" in ours else None
    r.raise_if_any()
    return StackConfig(azure=azure)


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
    config = dict(doc.get("config") or {})
    for key, value in config.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            config[key] = None  # secrets are never needed offline; the kit stores none
    return config


def load_stack_file(path: Path) -> tuple[StackConfig, dict[str, Any]]:
    """Parse a stack file; return the model and the raw map (for the offline harness)."""
    raw = read_stack_file(path)
    return parse_config(raw), raw
