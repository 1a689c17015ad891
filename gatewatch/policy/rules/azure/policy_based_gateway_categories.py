"""policy-based-gateway-categories (mandatory): no diagnostic setting asks a policy-based VPN
gateway for a log category it cannot emit (Azure rejects such a setting)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import id_key
from gatewatch.checks.model import Finding, Resource, Rule
from gatewatch.policy.rules.azure.gateways import (
    Gateway,
    SettingIndex,
    declared_vpn_gateways,
    diagnostic_settings,
)
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "policy-based-gateway-categories"
_ASK_TOO_MUCH: Final = tuple(
    c for c in azure_facts.GATEWAY_LOG_CATEGORIES
    if c not in azure_facts.POLICY_BASED_LOG_CATEGORIES
)


def _known_vpn_types(resources: Iterable[Resource]) -> dict[str, str]:
    """Gateway id (its id_key) -> vpnType, from the kit's component outputs where known."""
    out: dict[str, str] = {}
    for r in resources:
        if r.type != azure_facts.GATEWAY_DIAGNOSTICS_TYPE:
            continue
        for key in ("vpn_types", "vpnTypes"):
            value = r.inputs.get(key)
            if isinstance(value, Mapping):
                for gateway_id, vpn_type in value.items():
                    if isinstance(vpn_type, str):
                        out[id_key(str(gateway_id))] = vpn_type
    return out


def check(resources: Sequence[Resource]) -> list[Finding]:
    """No diagnostic setting asks a policy-based gateway for a category it cannot emit."""
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
            gateway_label = label(targeted.resource)
        else:
            target = setting.target_id()
            vpn_type = external.get(id_key(target)) if target else None
            policy_based, gateway_label = vpn_type == azure_facts.POLICY_BASED, f"'{target}'"
        if not policy_based:
            continue
        extra = [c for c in _ASK_TOO_MUCH if c in setting.categories]
        if extra:
            findings.append(Finding(
                RULE_ID,
                f"Diagnostic setting {label(setting.resource)} asks the policy-based gateway "
                f"{gateway_label} for {', '.join(extra)}, which it cannot emit (Azure rejects the "
                f"setting); enable only {', '.join(azure_facts.POLICY_BASED_LOG_CATEGORIES)} "
                "(azure_facts.categories_for('PolicyBased')) or the categoryGroup allLogs.",
                setting.resource.urn, setting.resource.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    "Prohibits diagnostic settings that ask a policy-based VPN gateway for "
    "TunnelDiagnosticLog, IKEDiagnosticLog or P2SDiagnosticLog.",
    "Monitoring data reference for Azure VPN Gateway, resource logs (Microsoft Learn): "
    "https://learn.microsoft.com/azure/vpn-gateway/monitor-vpn-gateway-reference",
    check,
    "mandatory",
    "Enable only GatewayDiagnosticLog and RouteDiagnosticLog on policy-based gateways.",
)
