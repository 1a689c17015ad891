"""Remediation: a diagnostic setting that asks a policy-based gateway for categories it cannot
emit is rewritten to the two it can (azure_facts.POLICY_BASED_LOG_CATEGORIES) instead of failing.

pulumi-policy (1.21) runs `remediate` of ResourceValidationPolicy objects whose enforcement level
is "remediate", once per resource as the engine registers it, before the stack policies see the
graph; so the mandatory `policy-based-gateway-categories` check then sees the fixed setting. A
resource remediation sees one resource, no graph: it learns which gateways are policy-based from

- gateways declared earlier in the same program (the engine registers a gateway before the
  setting that takes its id), by literal resource group + name (azure-native
  `virtualNetworkGatewayName`, classic `name`) with a literal `vpnType`;
- the policy's config, `policyBasedGateways`: ARM ids of existing policy-based gateways (a
  gateway managed elsewhere, such as the kit's own `gatewatch:azure.gateways`, is not in the
  stack, and Azure is not asked).

A setting whose target is unknown during preview (a new gateway's id) cannot be matched here;
the mandatory stack check still catches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.policy.rules.azure.gateways import GATEWAY_ARM_TYPE

POLICY_NAME: Final = "policy-based-gateway-categories-remediation"
_CANNOT_EMIT: Final = frozenset(
    c for c in azure_facts.GATEWAY_LOG_CATEGORIES
    if c not in azure_facts.POLICY_BASED_LOG_CATEGORIES)

CONFIG_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "array",
    "description": "ARM ids of existing policy-based VPN gateways (not declared in the stack).",
    "items": {"type": "string"},
}


def _key(group: str, name: str) -> str:
    return f"{group}/{name}".lower()


@dataclass
class PolicyBasedGateways:
    """What the remediation knows: policy-based gateways by "resource group/name"."""

    keys: set[str] = field(default_factory=set)

    @classmethod
    def from_config(cls, ids: Iterable[Any]) -> PolicyBasedGateways:
        keys = set()
        for value in ids or ():
            arm = parse_arm_id(str(value))
            if arm is not None and arm.is_type(GATEWAY_ARM_TYPE):
                keys.add(_key(arm.resource_group, arm.name))
        return cls(keys)

    def observe(self, resource_type: str, props: Mapping[str, Any]) -> None:
        """Remember a declared gateway whose vpnType is literally PolicyBased."""
        if resource_type not in azure_facts.GATEWAY_TYPES:
            return
        name_key = ("virtualNetworkGatewayName" if resource_type.startswith("azure-native:")
                    else "name")
        group, name, vpn = (props.get("resourceGroupName"), props.get(name_key),
                            props.get("vpnType"))
        if all(isinstance(v, str) for v in (group, name, vpn)) \
                and str(vpn).lower() == azure_facts.POLICY_BASED.lower():
            self.keys.add(_key(str(group), str(name)))

    def targets_one(self, target: Any) -> bool:
        arm = parse_arm_id(target) if isinstance(target, str) else None
        return (arm is not None and arm.is_type(GATEWAY_ARM_TYPE)
                and _key(arm.resource_group, arm.name) in self.keys)


def remediate_setting(
    resource_type: str, props: Mapping[str, Any], gateways: PolicyBasedGateways,
) -> dict[str, Any] | None:
    """The setting's props asking for the two categories a policy-based gateway emits instead
    of the ones it cannot (those removed, the two listed unless a category group already covers
    them); None when there is nothing to change. Other entries and keys stay as written."""
    if resource_type not in azure_facts.DIAGNOSTIC_SETTING_TYPES:
        return None
    target_key = "resourceUri" if resource_type.startswith("azure-native:") else \
        "targetResourceId"
    if not gateways.targets_one(props.get(target_key)):
        return None
    changed = False
    new = dict(props)
    for key in ("logs", "enabledLogs"):
        entries = props.get(key)
        if not isinstance(entries, list):
            continue
        kept = [e for e in entries
                if not (isinstance(e, Mapping) and e.get("category") in _CANNOT_EMIT)]
        if len(kept) == len(entries):
            continue
        changed = True
        present = {e.get("category") for e in kept if isinstance(e, Mapping)}
        has_group = any(isinstance(e, Mapping) and e.get("categoryGroup") for e in kept)
        if not has_group:
            for category in azure_facts.POLICY_BASED_LOG_CATEGORIES:
                if category not in present:
                    kept.append({"category": category, "enabled": True})
        new[key] = kept
    return new if changed else None
