"""vpn-gateway-diagnostics (mandatory): every VPN gateway declared in the stack sends each log
category it emits to a Log Analytics workspace through a diagnostic setting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import Finding, Resource, Rule
from gatewatch.policy.rules.azure.gateways import (
    Gateway,
    SettingIndex,
    declared_vpn_gateways,
    diagnostic_settings,
    gateway_group_and_name,
)
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "vpn-gateway-diagnostics"


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


def check(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Every VPN gateway declared in the stack is the target of diagnostic settings that send
    each category it emits to a Log Analytics workspace."""
    index = SettingIndex(diagnostic_settings(resources))
    for gateway in declared_vpn_gateways(resources):
        mine = index.targeting(gateway.resource)
        to_workspace = [s for s in mine if s.to_workspace]
        unknown = [s for s in to_workspace if s.categories is None and not s.all_logs]
        missing = [c for c in gateway.required if not any(s.sends(c) for s in to_workspace)]
        if not missing:
            continue
        what = f"VPN gateway {label(gateway.resource)}"
        if gateway.notes:
            what += f" ({'; '.join(gateway.notes)})"
        detail = "has no diagnostic setting"
        if mine and not to_workspace:
            names = ", ".join(label(s.resource) for s in mine)
            detail = (f"has diagnostic settings ({names}) that send to no Log Analytics "
                      f"workspace (workspace_id is not set), so it has no diagnostic setting")
        message = (f"{what} {detail} sending {', '.join(missing)} to a Log Analytics workspace")
        if unknown:
            names = ", ".join(label(s.resource) for s in unknown)
            message += (f" (the logs of {names} are unknown during preview: write the log "
                        "categories as literals so they can be checked)")
        yield Finding(RULE_ID, f"{message}; {_fix_for(gateway, missing)}.",
                      gateway.resource.urn, gateway.resource.name)


RULE: Final = Rule(
    RULE_ID,
    "Requires every VPN gateway declared in the stack to send the log categories it emits "
    "to a Log Analytics workspace through a diagnostic setting.",
    "Monitoring data reference for Azure VPN Gateway, resource logs (Microsoft Learn): "
    "https://learn.microsoft.com/azure/vpn-gateway/monitor-vpn-gateway-reference",
    check,
    "mandatory",
    "Add a DiagnosticSetting targeting the gateway, or list the gateway in "
    "gatewatch:azure.gateways.",
)
