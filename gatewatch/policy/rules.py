"""The gatewatch policies as plain validators: resources in, findings out.

Each rule is a function over `PlainResource`s (see `resources.py`) and the rule's config, so the
same function runs inside the policy pack (`policies/__main__.py`), over the offline plan's
recorded graph and over a `pulumi stack export` file. Messages name the resource, what is
missing and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from gatewatch.aws import facts as aws_facts
from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.errors import BadInput, Problem
from gatewatch.policy.resources import UNKNOWN, PlainResource

PACK_NAME: Final = "gatewatch"

Level = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: Final[tuple[str, ...]] = ("advisory", "mandatory", "remediate", "disabled")

DYNAMIC_TYPE_PREFIX: Final = aws_facts.DYNAMIC_TYPE_PREFIX
GATEWAY_DIAGNOSTICS_TYPE: Final = azure_facts.GATEWAY_DIAGNOSTICS_TYPE

_ALL_LOGS: Final = "alllogs"
_ASK_TOO_MUCH: Final = tuple(
    c for c in azure_facts.GATEWAY_LOG_CATEGORIES
    if c not in azure_facts.POLICY_BASED_LOG_CATEGORIES
)
_SUBSCRIPTION_SCOPE: Final = re.compile(r"/subscriptions/[0-9a-fA-F-]{36}/?")
_MANAGEMENT_GROUP_SCOPE: Final = re.compile(
    r"/providers/Microsoft\.Management/managementGroups/[^/]+/?", re.IGNORECASE)


@dataclass(frozen=True)
class Exemption:
    name: str
    reason: str


@dataclass(frozen=True)
class RuleConfig:
    exemptions: tuple[Exemption, ...] = ()

    def exemption_for(self, resource: PlainResource) -> Exemption | None:
        for exemption in self.exemptions:
            if exemption.name in (resource.name, resource.urn):
                return exemption
        return None


@dataclass(frozen=True)
class Finding:
    """A violation (`note=False`) or a note (an exemption that was applied, or one that matches
    nothing) about one resource."""

    policy: str
    message: str
    urn: str = ""
    name: str = ""
    note: bool = False


Validator = Callable[[Sequence[PlainResource], RuleConfig], list[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    enforcement: Level
    validate: Validator
    remediation: str = ""


# ---------------------------------------------------------------------------------------------
# Small readers over plain props

def _get(props: Mapping[str, Any], *path: str) -> Any:
    """props[path[0]][path[1]]...; None when absent, UNKNOWN when unknown on the way."""
    value: Any = props
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, list) and len(value) == 1:  # a one-element block (TF style)
            value = value[0]
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _same_id(a: str, b: str) -> bool:
    """ARM ids compare case-insensitively; a trailing slash does not matter."""
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _label(resource: PlainResource) -> str:
    return f"'{resource.name}'"


def gateway_group_and_name(resource: PlainResource) -> tuple[str | None, str | None]:
    """A declared gateway's resource group and Azure name from its inputs, each None unless a
    literal: azure-native `resourceGroupName`/`virtualNetworkGatewayName`, classic
    `resourceGroupName`/`name`. Both are known during a preview when written as literals."""
    name_key = ("virtualNetworkGatewayName" if resource.type.startswith("azure-native:")
                else "name")
    group, name = resource.props.get("resourceGroupName"), resource.props.get(name_key)
    return (group if isinstance(group, str) and group else None,
            name if isinstance(name, str) and name else None)


def _names_gateway(target: str, resource: PlainResource) -> bool:
    """Does the literal ARM id `target` name the gateway `resource` by resource group and name?

    Used only while the gateway's id is unknown (a first preview). The subscription part is not
    compared: it comes from the provider's configuration, not from the gateway's inputs, so it is
    unknown here. Matching on resource group + name (case-insensitive, as ARM is) is acceptable:
    a stack's Azure provider deploys to one subscription, so a setting written for
    `<rg>/<name>` is for this gateway unless someone names a same-named gateway in another
    subscription on purpose; once ids are known (update, stack export) the full id is compared.
    """
    arm = parse_arm_id(target)
    if arm is None or not arm.is_type(azure_facts.GATEWAY_ARM_TYPE):
        return False
    group, name = gateway_group_and_name(resource)
    return (group is not None and name is not None
            and arm.resource_group.lower() == group.lower() and arm.name.lower() == name.lower())


# ---------------------------------------------------------------------------------------------
# Azure: gateways and diagnostic settings

@dataclass(frozen=True)
class Gateway:
    resource: PlainResource
    vpn_type: str | None  # RouteBased / PolicyBased; None when unknown during preview
    notes: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return azure_facts.categories_for(self.vpn_type or azure_facts.ROUTE_BASED)


_VPN_TYPE_BY_LOWER: Final = {t.lower(): t for t in azure_facts.VPN_TYPES}


def declared_vpn_gateways(resources: Iterable[PlainResource]) -> list[Gateway]:
    """VPN gateways declared in the stack (azure-native `gatewayType`, classic `type`).

    An unknown or absent gateway type counts as VPN (the check must not be skippable by computing
    it); an absent vpnType is Azure's default, RouteBased; an unknown one is assumed RouteBased.
    """
    found = []
    for r in resources:
        if r.type not in azure_facts.GATEWAY_TYPES:
            continue
        kind_key = "gatewayType" if r.type.startswith("azure-native:") else "type"
        kind = r.props.get(kind_key)
        if isinstance(kind, str) and kind.lower() != "vpn":
            continue
        vpn = r.props.get("vpnType")
        notes: list[str] = []
        if vpn is UNKNOWN:
            notes.append("its vpnType is unknown during preview, so RouteBased is assumed; "
                         "set vpnType to a literal")
            vpn_type: str | None = None
        elif vpn is None:
            vpn_type = azure_facts.ROUTE_BASED
        else:
            vpn_type = _VPN_TYPE_BY_LOWER.get(str(vpn).lower(), azure_facts.ROUTE_BASED)
        found.append(Gateway(r, vpn_type, tuple(notes)))
    return found


@dataclass(frozen=True)
class Setting:
    """A diagnostic setting, read the same way for azure-native and classic."""

    resource: PlainResource
    target_key: str  # resourceUri (azure-native) or targetResourceId (classic)
    target: Any  # str, UNKNOWN or None
    to_workspace: bool
    categories: frozenset[str] | None  # None: unknown during preview
    all_logs: bool

    def targets(self, resource: PlainResource) -> bool:
        """Does this setting point at `resource`? By URN through the target input's property
        dependencies (known during preview), by id where both ids are known, and, while the
        gateway's id is unknown, by the resource group and name a literal target names (the
        kit's settings for `gatewatch:azure.gateways` have a literal id and no dependencies)."""
        if resource.urn in self.resource.depends_through(self.target_key):
            return True
        gateway_id = resource.known_id
        if gateway_id is None:
            return isinstance(self.target, str) and _names_gateway(self.target, resource)
        if isinstance(self.target, str) and _same_id(self.target, gateway_id):
            return True
        # azure-native outputs omit resourceUri; the setting's id starts with it.
        own_id = self.resource.known_id
        prefix = gateway_id.rstrip("/").lower() + "/providers/microsoft.insights/"
        return own_id is not None and own_id.lower().startswith(prefix)

    def target_id(self) -> str | None:
        return self.target if isinstance(self.target, str) else None

    def sends(self, category: str) -> bool:
        return self.all_logs or (self.categories is not None and category in self.categories)


def _log_entries(props: Mapping[str, Any]) -> list[Any] | None:
    """The setting's log entries (azure-native `logs`; classic `enabledLogs` and legacy `logs`);
    None when a list is unknown during preview."""
    entries: list[Any] = []
    for key in ("logs", "enabledLogs"):
        value = props.get(key)
        if value is UNKNOWN:
            return None
        if isinstance(value, list):
            entries += value
    return entries


def read_setting(r: PlainResource) -> Setting:
    native = r.type.startswith("azure-native:")
    target_key = "resourceUri" if native else "targetResourceId"
    workspace_key = "workspaceId" if native else "logAnalyticsWorkspaceId"
    workspace = r.props.get(workspace_key)
    to_workspace = (
        workspace is UNKNOWN  # computed, e.g. from a workspace created in the same stack
        or (isinstance(workspace, str) and workspace.strip() != "")
        or bool(r.depends_through(workspace_key))
    )
    entries = _log_entries(r.props)
    categories: set[str] | None = set()
    all_logs = False
    if entries is None:
        categories = None
    else:
        assert categories is not None
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("enabled", True) is not True:  # False, or unknown: not proven on
                continue
            category, group = entry.get("category"), entry.get("categoryGroup")
            if isinstance(category, str):
                categories.add(category)
            if _lower(group) == _ALL_LOGS:
                all_logs = True
            # categoryGroup "audit" covers none of the gateway's categories.
    return Setting(r, target_key, r.props.get(target_key), to_workspace,
                   None if categories is None else frozenset(categories), all_logs)


def diagnostic_settings(resources: Iterable[PlainResource]) -> list[Setting]:
    return [read_setting(r) for r in resources if r.type in azure_facts.DIAGNOSTIC_SETTING_TYPES]


_INSIGHTS_MARKER: Final = "/providers/microsoft.insights/"


def _id_key(arm_id: str) -> str:
    return arm_id.rstrip("/").lower()


class SettingIndex:
    """Diagnostic settings indexed by every way `Setting.targets` can match a resource, so
    finding a gateway's settings costs its own matches, not a scan of every setting (a stack of
    100k resources would otherwise take gateways x settings comparisons).

    `targeting` returns exactly `[s for s in settings if s.targets(resource)]`: the indexes only
    pick candidates, `Setting.targets` still decides."""

    def __init__(self, settings: Sequence[Setting]) -> None:
        self.by_dependency: dict[str, list[int]] = {}  # gateway URN (property dependencies)
        self.by_target: dict[str, list[int]] = {}  # literal target id
        self.by_own_id: dict[str, list[int]] = {}  # the setting's own id, up to its provider
        # A literal gateway id's resource group and name: built when a gateway's id is unknown.
        self._by_group_name: dict[tuple[str, str], list[int]] | None = None
        self.settings = settings
        for i, setting in enumerate(settings):
            for urn in setting.resource.depends_through(setting.target_key):
                self.by_dependency.setdefault(urn, []).append(i)
            if isinstance(setting.target, str):
                self.by_target.setdefault(_id_key(setting.target), []).append(i)
            own_id = setting.resource.known_id
            if own_id is not None:
                own = own_id.lower()
                start = own.find(_INSIGHTS_MARKER)
                while start != -1:
                    self.by_own_id.setdefault(own[:start], []).append(i)
                    start = own.find(_INSIGHTS_MARKER, start + 1)

    @property
    def by_group_name(self) -> dict[tuple[str, str], list[int]]:
        if self._by_group_name is None:
            self._by_group_name = {}
            for i, setting in enumerate(self.settings):
                arm = parse_arm_id(setting.target) if isinstance(setting.target, str) else None
                if arm is not None and arm.is_type(azure_facts.GATEWAY_ARM_TYPE):
                    key = (arm.resource_group.lower(), arm.name.lower())
                    self._by_group_name.setdefault(key, []).append(i)
        return self._by_group_name

    def targeting(self, resource: PlainResource) -> list[Setting]:
        candidates = set(self.by_dependency.get(resource.urn, ()))
        gateway_id = resource.known_id
        if gateway_id is None:
            group, name = gateway_group_and_name(resource)
            if group is not None and name is not None:
                candidates.update(self.by_group_name.get((group.lower(), name.lower()), ()))
        else:
            key = _id_key(gateway_id)
            candidates.update(self.by_target.get(key, ()))
            candidates.update(self.by_own_id.get(key, ()))
        return [self.settings[i] for i in sorted(candidates)
                if self.settings[i].targets(resource)]


def _fix_for(gateway: Gateway, missing: Sequence[str]) -> str:
    native = gateway.resource.type.startswith("azure-native:")
    key = "resource_uri" if native else "target_resource_id"
    fix = (f"add a DiagnosticSetting with {key}=<{gateway.resource.name}>.id, workspace_id=<a "
           f"Log Analytics workspace> and logs {', '.join(missing)} enabled")
    group, name = gateway_group_and_name(gateway.resource)
    if group is None or name is None:
        # The kit's setting has a literal id; it can only be matched to this gateway during a
        # preview through literal resource group and name inputs.
        name_key = "virtual_network_gateway_name" if native else "name"
        return (f"{fix}; listing the gateway in gatewatch:azure.gateways counts only if its "
                f"resource_group_name and {name_key} are literals, so they can be matched to "
                "the configured id during preview")
    gateway_id = (f"/subscriptions/<subscription-guid>/resourceGroups/{group}/providers/"
                  f"{azure_facts.GATEWAY_ARM_TYPE}/{name}")
    return f"{fix}, or add {{id: {gateway_id}}} to gatewatch:azure.gateways so the kit creates it"


def check_vpn_gateway_diagnostics(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    """Every VPN gateway declared in the stack is the target of diagnostic settings that send
    each category it emits to a Log Analytics workspace."""
    del config
    index = SettingIndex(diagnostic_settings(resources))
    findings = []
    for gateway in declared_vpn_gateways(resources):
        mine = index.targeting(gateway.resource)
        to_workspace = [s for s in mine if s.to_workspace]
        unknown = [s for s in to_workspace if s.categories is None and not s.all_logs]
        missing = [c for c in gateway.required if not any(s.sends(c) for s in to_workspace)]
        if not missing:
            continue
        what = f"VPN gateway {_label(gateway.resource)}"
        if gateway.notes:
            what += f" ({'; '.join(gateway.notes)})"
        detail = "has no diagnostic setting"
        if mine and not to_workspace:
            names = ", ".join(_label(s.resource) for s in mine)
            detail = (f"has diagnostic settings ({names}) that send to no Log Analytics "
                      f"workspace (workspace_id is not set), so it has no diagnostic setting")
        message = (f"{what} {detail} sending {', '.join(missing)} to a Log Analytics workspace")
        if unknown:
            names = ", ".join(_label(s.resource) for s in unknown)
            message += (f" (the logs of {names} are unknown during preview: write the log "
                        "categories as literals so they can be checked)")
        findings.append(Finding("vpn-gateway-diagnostics",
                                f"{message}; {_fix_for(gateway, missing)}.",
                                gateway.resource.urn, gateway.resource.name))
    return findings


def _known_vpn_types(resources: Iterable[PlainResource]) -> dict[str, str]:
    """Gateway id (lower case) -> vpnType, from the kit's component outputs where known."""
    out: dict[str, str] = {}
    for r in resources:
        if r.type != GATEWAY_DIAGNOSTICS_TYPE:
            continue
        for key in ("vpn_types", "vpnTypes"):
            value = r.props.get(key)
            if isinstance(value, Mapping):
                for gateway_id, vpn_type in value.items():
                    if isinstance(vpn_type, str):
                        out[str(gateway_id).lower()] = vpn_type
    return out


def check_policy_based_categories(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    """No diagnostic setting asks a policy-based gateway for a category it cannot emit."""
    del config
    settings = diagnostic_settings(resources)
    index = SettingIndex(settings)
    # Each setting's first declared gateway it targets (the gateways' order decides, as a scan
    # of the gateways per setting would).
    first_gateway: dict[int, Gateway] = {}
    for gateway in declared_vpn_gateways(resources):
        for setting in index.targeting(gateway.resource):
            first_gateway.setdefault(id(setting), gateway)
    external = _known_vpn_types(resources)
    findings = []
    for setting in settings:
        if setting.categories is None:
            continue
        targeted = first_gateway.get(id(setting))
        if targeted is not None:
            policy_based = targeted.vpn_type == azure_facts.POLICY_BASED
            label = _label(targeted.resource)
        else:
            target = setting.target_id()
            vpn_type = external.get(target.rstrip("/").lower()) if target else None
            policy_based, label = vpn_type == azure_facts.POLICY_BASED, f"'{target}'"
        if not policy_based:
            continue
        extra = [c for c in _ASK_TOO_MUCH if c in setting.categories]
        if extra:
            findings.append(Finding(
                "policy-based-gateway-categories",
                f"Diagnostic setting {_label(setting.resource)} asks the policy-based gateway "
                f"{label} for {', '.join(extra)}, which it cannot emit (Azure rejects the "
                f"setting); enable only {', '.join(azure_facts.POLICY_BASED_LOG_CATEGORIES)} "
                "(azure_facts.categories_for('PolicyBased')) or the categoryGroup allLogs.",
                setting.resource.urn, setting.resource.name))
    return findings


# ---------------------------------------------------------------------------------------------
# AWS

def _tunnel_logged(connection: PlainResource, tunnel: int) -> bool:
    return _get(connection.props, f"tunnel{tunnel}LogOptions", "cloudwatchLogOptions",
                "logEnabled") is True


def _rollout_covers(rollout: PlainResource, connection: PlainResource) -> bool:
    if _get(rollout.props, "logEnabled") is not True:
        return False
    if connection.urn in rollout.depends_through("vpnConnectionId"):
        return True
    target, connection_id = rollout.props.get("vpnConnectionId"), connection.known_id
    return isinstance(target, str) and connection_id is not None and target == connection_id


def check_aws_tunnel_logging(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    """Every Site-to-Site VPN connection logs both tunnels to CloudWatch Logs, in its tunnel
    options or through the kit's one-tunnel-at-a-time rollout resource."""
    del config
    rollouts = [r for r in resources if r.type.startswith(DYNAMIC_TYPE_PREFIX)
                and ("vpnConnectionId" in r.props or r.depends_through("vpnConnectionId"))]
    # Rollouts indexed by what `_rollout_covers` matches on (connection URN, connection id).
    covering: dict[str, list[PlainResource]] = {}
    for rollout in rollouts:
        target = rollout.props.get("vpnConnectionId")
        keys = set(rollout.depends_through("vpnConnectionId"))
        if isinstance(target, str):
            keys.add(target)
        for key in keys:
            covering.setdefault(key, []).append(rollout)
    findings = []
    for connection in (r for r in resources if r.type == aws_facts.AWS_VPN_CONNECTION_TYPE):
        unlogged = [f"tunnel{n}" for n in (1, 2) if not _tunnel_logged(connection, n)]
        candidates = covering.get(connection.urn, []) + covering.get(connection.known_id or "", [])
        if not unlogged or any(_rollout_covers(r, connection) for r in candidates):
            continue
        options = " and ".join(f"{t}LogOptions.cloudwatchLogOptions" for t in unlogged)
        findings.append(Finding(
            "aws-vpn-tunnel-logging",
            f"VPN connection {_label(connection)} does not send {', '.join(unlogged)} activity "
            f"logs to CloudWatch Logs; set {options} (logEnabled=true, logGroupArn=<an existing "
            "log group>) or, for a connection already carrying traffic, enable them with the "
            "gatewatch tunnel-logs rollout resource (vpnConnectionId=<connection>.id, "
            "logEnabled=true), which changes one tunnel at a time.",
            connection.urn, connection.name))
    return findings


def check_aws_bgp_logging(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    """Advisory: every Site-to-Site VPN connection that logs its tunnels also sends BGP logs
    (BgpLogEnabled) of both tunnels, in its tunnel options or through the kit's rollout
    resource. A connection without tunnel logs is left to aws-vpn-tunnel-logging (one finding
    per problem)."""
    all_rollouts = [r for r in resources if r.type.startswith(DYNAMIC_TYPE_PREFIX)
                    and ("vpnConnectionId" in r.props or r.depends_through("vpnConnectionId"))]
    rollouts = [r for r in all_rollouts if _get(r.props, "bgpLogEnabled") is True]
    untracked = {f.urn for f in check_aws_tunnel_logging(resources, config)}
    findings = []
    for connection in (r for r in resources if r.type == aws_facts.AWS_VPN_CONNECTION_TYPE
                       and r.urn not in untracked):
        unlogged = [f"tunnel{n}" for n in (1, 2)
                    if _get(connection.props, f"tunnel{n}LogOptions", "cloudwatchLogOptions",
                            "bgpLogEnabled") is not True]
        if not unlogged or any(_rollout_covers(r, connection) for r in rollouts):
            continue
        findings.append(Finding(
            "aws-vpn-bgp-logging",
            f"VPN connection {_label(connection)} does not send {', '.join(unlogged)} BGP logs "
            "to CloudWatch Logs; set bgpLogEnabled=true (and bgpLogGroupArn) in "
            f"{' and '.join(f'{t}LogOptions.cloudwatchLogOptions' for t in unlogged)}, in the "
            "same change as the tunnel logs (each change costs the tunnel an outage), or use "
            "the gatewatch rollout resource with gatewatch:aws.bgpLogs on.",
            connection.urn, connection.name))
    return findings


# ---------------------------------------------------------------------------------------------
# Advisory rules

def check_alert_identity(resources: Sequence[PlainResource], config: RuleConfig) -> list[Finding]:
    del config
    findings = []
    for rule in (r for r in resources if r.type in azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        kind = _get(rule.props, "identity", "type")
        if kind is UNKNOWN or ("assigned" in (_lower(kind) or "") and _lower(kind) != "none"):
            continue
        findings.append(Finding(
            "alert-rules-use-managed-identity",
            f"Scheduled query rule {_label(rule)} has no managed identity (identity.type is "
            f"{kind!r}); set identity=MicrosoftCommonIdentityArgs(type='UserAssigned', "
            "user_assigned_identities=[<identity id>]) and grant that identity Reader on the "
            "workspace it queries.",
            rule.urn, rule.name))
    return findings


def check_role_scope(resources: Sequence[PlainResource], config: RuleConfig) -> list[Finding]:
    del config
    findings = []
    for assignment in (r for r in resources if r.type in azure_facts.ROLE_ASSIGNMENT_TYPES):
        scope = assignment.props.get("scope")
        if not isinstance(scope, str):
            continue
        broad = scope.strip() in ("", "/") or _SUBSCRIPTION_SCOPE.fullmatch(scope.strip()) or (
            _MANAGEMENT_GROUP_SCOPE.fullmatch(scope.strip()))
        if broad:
            findings.append(Finding(
                "alert-roles-not-subscription-scope",
                f"Role assignment {_label(assignment)} is scoped to '{scope}', a whole "
                "subscription or management group; scope it to the workspace's resource group "
                "or the workspace itself (Reader there is all a log alert needs).",
                assignment.urn, assignment.name))
    return findings


def check_log_group_retention(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    del config
    findings = []
    for group in (r for r in resources if r.type == aws_facts.AWS_LOG_GROUP_TYPE):
        days = group.props.get("retentionInDays")
        if days is UNKNOWN or (isinstance(days, int | float) and days > 0):
            continue
        findings.append(Finding(
            "log-group-retention",
            f"Log group {_label(group)} keeps logs forever (retentionInDays is not set); set "
            "retention_in_days (e.g. 90) so tunnel logs do not grow CloudWatch costs without "
            "bound.",
            group.urn, group.name))
    return findings


def check_workspace_retention(
    resources: Sequence[PlainResource], config: RuleConfig
) -> list[Finding]:
    del config
    findings = []
    for workspace in (r for r in resources if r.type in azure_facts.WORKSPACE_TYPES):
        days = workspace.props.get("retentionInDays")
        if isinstance(days, int | float) and days < azure_facts.WORKSPACE_RETENTION_MIN:
            findings.append(Finding(
                "workspace-retention-30-days",
                f"Log Analytics workspace {_label(workspace)} keeps data {days:g} days; set "
                f"retentionInDays to at least {azure_facts.WORKSPACE_RETENTION_MIN} so a drop can "
                "still be explained weeks later.",
                workspace.urn, workspace.name))
    return findings


# ---------------------------------------------------------------------------------------------
# The rule table and the config every rule accepts

EXEMPTIONS_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "array",
    "description": "Resources (Pulumi name or URN) this policy skips, each with the reason.",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["name", "reason"],
        "additionalProperties": False,
    },
}

RULES: Final[tuple[Rule, ...]] = (
    Rule("vpn-gateway-diagnostics",
         "Requires every VPN gateway declared in the stack to send the log categories it emits "
         "to a Log Analytics workspace through a diagnostic setting.",
         "mandatory", check_vpn_gateway_diagnostics,
         "Add a DiagnosticSetting targeting the gateway, or list the gateway in "
         "gatewatch:azure.gateways."),
    Rule("policy-based-gateway-categories",
         "Prohibits diagnostic settings that ask a policy-based VPN gateway for "
         "TunnelDiagnosticLog, IKEDiagnosticLog or P2SDiagnosticLog.",
         "mandatory", check_policy_based_categories,
         "Enable only GatewayDiagnosticLog and RouteDiagnosticLog on policy-based gateways."),
    Rule("aws-vpn-tunnel-logging",
         "Requires both tunnels of every AWS Site-to-Site VPN connection to log to CloudWatch "
         "Logs.",
         "mandatory", check_aws_tunnel_logging,
         "Set tunnel1/tunnel2 log options, or use the gatewatch tunnel-logs rollout resource."),
    Rule("aws-vpn-bgp-logging",
         "Requires both tunnels of every AWS Site-to-Site VPN connection to send BGP logs to "
         "CloudWatch Logs.",
         "advisory", check_aws_bgp_logging,
         "Set bgpLogEnabled in the tunnel log options, or keep gatewatch:aws.bgpLogs on."),
    Rule("alert-rules-use-managed-identity",
         "Requires scheduled query rules to run with a managed identity.",
         "advisory", check_alert_identity,
         "Give the rule a user-assigned identity with Reader on the workspace."),
    Rule("alert-roles-not-subscription-scope",
         "Prohibits role assignments scoped to a whole subscription or management group.",
         "advisory", check_role_scope,
         "Scope the assignment to the workspace or its resource group."),
    Rule("log-group-retention",
         "Requires CloudWatch log groups to set a retention period.",
         "advisory", check_log_group_retention,
         "Set retention_in_days on the log group."),
    Rule("workspace-retention-30-days",
         f"Requires Log Analytics workspaces to keep data at least "
         f"{azure_facts.WORKSPACE_RETENTION_MIN} days.",
         "advisory", check_workspace_retention,
         f"Set retentionInDays to {azure_facts.WORKSPACE_RETENTION_MIN} or more."),
)

RULES_BY_NAME: Final[Mapping[str, Rule]] = {rule.name: rule for rule in RULES}


def parse_rule_config(policy: str, raw: Mapping[str, Any] | None) -> RuleConfig:
    """A rule's config properties (`exemptions`); BadInput naming the key path if wrong.
    `enforcementLevel` is the engine's business and is ignored here."""
    if not raw:
        return RuleConfig()
    problems, exemptions = [], []
    entries = raw.get("exemptions") or []
    path = f"{policy}.exemptions"
    if not isinstance(entries, list):
        raise BadInput([Problem(path, "expected a list",
                                   "write it as a list of {name, reason}")])
    for i, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        reason = entry.get("reason") if isinstance(entry, Mapping) else None
        if not (isinstance(name, str) and name and isinstance(reason, str) and reason.strip()):
            problems.append(Problem(f"{path}[{i}]", "needs a non-empty name and reason",
                                    "write {name: <Pulumi resource name>, reason: <why>}"))
            continue
        exemptions.append(Exemption(name, reason.strip()))
    if problems:
        raise BadInput(problems)
    return RuleConfig(tuple(exemptions))


def run_rule(rule: Rule, resources: Sequence[PlainResource], config: RuleConfig) -> list[Finding]:
    """Run one rule. An exempted resource's violations are dropped and its exemption is reported
    as a note with the reason; an exemption matching no resource is a note too (a typo must be
    visible, not silently exempt nothing)."""
    exempt: dict[str, Exemption] = {}
    notes = []
    by_key: dict[str, list[int]] = {}  # name and URN -> positions, built once per run
    if config.exemptions:
        for i, r in enumerate(resources):
            by_key.setdefault(r.name, []).append(i)
            if r.urn != r.name:
                by_key.setdefault(r.urn, []).append(i)
    for exemption in config.exemptions:
        matched = [resources[i] for i in sorted(set(by_key.get(exemption.name, ())))]
        for r in matched:
            exempt[r.urn] = exemption
            notes.append(Finding(rule.name, f"'{r.name}' is exempt from {rule.name}: "
                                 f"{exemption.reason}", r.urn, r.name, note=True))
        if not matched:
            notes.append(Finding(rule.name, f"exemption '{exemption.name}' of {rule.name} "
                                 "matches no resource in the stack; fix the name or remove it",
                                 note=True))
    violations = [f for f in rule.validate(resources, config) if f.urn not in exempt]
    return violations + notes
