"""The config every rule of the pack accepts besides its enforcement level: `exemptions`, the
resources (Pulumi name or URN) a rule skips, each with the reason. An applied exemption and one
that matches nothing are both said as notes, never silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gatewatch.checks.model import Finding, Resource, Rule
from gatewatch.errors import BadInput, Problem


@dataclass(frozen=True)
class Exemption:
    """A resource (Pulumi name or URN) one rule skips, and why."""

    name: str
    reason: str


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


@dataclass(frozen=True)
class RuleConfig:
    """One rule's config besides its enforcement level."""

    exemptions: tuple[Exemption, ...] = ()


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


def run_rule(rule: Rule, resources: Sequence[Resource], config: RuleConfig) -> list[Finding]:
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
            notes.append(Finding(rule.id, f"'{r.name}' is exempt from {rule.id}: "
                                 f"{exemption.reason}", r.urn, r.name, note=True))
        if not matched:
            notes.append(Finding(rule.id, f"exemption '{exemption.name}' of {rule.id} "
                                 "matches no resource in the stack; fix the name or remove it",
                                 note=True))
    violations = [f for f in rule.check(resources) if f.urn not in exempt]
    return violations + notes
