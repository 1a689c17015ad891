"""VPN gateways and the diagnostic settings that target them, as the Azure rules read them from
the graph: azure-native (`VirtualNetworkGateway`, `DiagnosticSetting`) and classic
(`azure:network/virtualNetworkGateway`, `azure:monitoring/diagnosticSetting`) alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import id_key, parse_arm_id
from gatewatch.checks.model import UNKNOWN, Resource
from gatewatch.policy.rules.reading import lower

_ALL_LOGS: Final = "alllogs"


def gateway_group_and_name(resource: Resource) -> tuple[str | None, str | None]:
    """A declared gateway's resource group and Azure name from its inputs, each None unless a
    literal: azure-native `resourceGroupName`/`virtualNetworkGatewayName`, classic
    `resourceGroupName`/`name`. Both are known during a preview when written as literals."""
    name_key = ("virtualNetworkGatewayName" if resource.type.startswith("azure-native:")
                else "name")
    group, name = resource.inputs.get("resourceGroupName"), resource.inputs.get(name_key)
    return (group if isinstance(group, str) and group else None,
            name if isinstance(name, str) and name else None)


def _names_gateway(target: str, resource: Resource) -> bool:
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
    resource: Resource
    vpn_type: str | None  # RouteBased / PolicyBased; None when unknown during preview
    notes: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return azure_facts.categories_for(self.vpn_type or azure_facts.ROUTE_BASED)


_VPN_TYPE_BY_LOWER: Final = {t.lower(): t for t in azure_facts.VPN_TYPES}


def declared_vpn_gateways(resources: Iterable[Resource]) -> list[Gateway]:
    """VPN gateways declared in the stack (azure-native `gatewayType`, classic `type`).

    An unknown or absent gateway type counts as VPN (the check must not be skippable by computing
    it); an absent vpnType is Azure's default, RouteBased; an unknown one is assumed RouteBased.
    """
    found = []
    for r in resources:
        if r.type not in azure_facts.GATEWAY_TYPES:
            continue
        kind_key = "gatewayType" if r.type.startswith("azure-native:") else "type"
        kind = r.inputs.get(kind_key)
        if isinstance(kind, str) and kind.lower() != "vpn":
            continue
        vpn = r.inputs.get("vpnType")
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

    resource: Resource
    target_key: str  # resourceUri (azure-native) or targetResourceId (classic)
    target: Any  # str, UNKNOWN or None
    to_workspace: bool
    categories: frozenset[str] | None  # None: unknown during preview
    all_logs: bool

    def targets(self, resource: Resource) -> bool:
        """Does this setting point at `resource`? By URN through the target input's property
        dependencies (known during preview), by id where both ids are known, and, while the
        gateway's id is unknown, by the resource group and name a literal target names (the
        kit's settings for `gatewatch:azure.gateways` have a literal id and no dependencies)."""
        if resource.urn in self.resource.depends_through(self.target_key):
            return True
        gateway_id = resource.known_id
        if gateway_id is None:
            return isinstance(self.target, str) and _names_gateway(self.target, resource)
        if isinstance(self.target, str) and id_key(self.target) == id_key(gateway_id):
            return True
        # azure-native outputs omit resourceUri; the setting's id starts with it.
        own_id = self.resource.known_id
        prefix = id_key(gateway_id) + _INSIGHTS_MARKER
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


def read_setting(r: Resource) -> Setting:
    native = r.type.startswith("azure-native:")
    target_key = "resourceUri" if native else "targetResourceId"
    workspace_key = "workspaceId" if native else "logAnalyticsWorkspaceId"
    workspace = r.inputs.get(workspace_key)
    to_workspace = (
        workspace is UNKNOWN  # computed, e.g. from a workspace created in the same stack
        or (isinstance(workspace, str) and workspace.strip() != "")
        or bool(r.depends_through(workspace_key))
    )
    entries = _log_entries(r.inputs)
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
            if lower(group) == _ALL_LOGS:
                all_logs = True
            # categoryGroup "audit" covers none of the gateway's categories.
    return Setting(r, target_key, r.inputs.get(target_key), to_workspace,
                   None if categories is None else frozenset(categories), all_logs)


def diagnostic_settings(resources: Iterable[Resource]) -> list[Setting]:
    return [read_setting(r) for r in resources if r.type in azure_facts.DIAGNOSTIC_SETTING_TYPES]


_INSIGHTS_MARKER: Final = "/providers/microsoft.insights/"


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
                self.by_target.setdefault(id_key(setting.target), []).append(i)
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

    def targeting(self, resource: Resource) -> list[Setting]:
        candidates = set(self.by_dependency.get(resource.urn, ()))
        gateway_id = resource.known_id
        if gateway_id is None:
            group, name = gateway_group_and_name(resource)
            if group is not None and name is not None:
                candidates.update(self.by_group_name.get((group.lower(), name.lower()), ()))
        else:
            key = id_key(gateway_id)
            candidates.update(self.by_target.get(key, ()))
            candidates.update(self.by_own_id.get(key, ()))
        return [self.settings[i] for i in sorted(candidates)
                if self.settings[i].targets(resource)]
