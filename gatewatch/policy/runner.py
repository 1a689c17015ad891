"""Run the pack offline, as the engine would run it as a stack policy pack: over the offline
plan's recorded graph or a `pulumi stack export` file, with the same `--policy-pack-config` file
format (`{"all" | "<policy>": "<level>" | {"enforcementLevel": ..., "exemptions": [...]}}`).
A mandatory (or remediate: stack policies cannot remediate) violation fails the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.checks.model import LEVELS, Finding, Resource
from gatewatch.errors import BadInput, Problem, closest
from gatewatch.policy import remediation
from gatewatch.policy.exemptions import RuleConfig, parse_rule_config, run_rule
from gatewatch.policy.rules import PACK_NAME, RULES


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str
    name: str

    def as_json(self) -> dict[str, str]:
        return {"policy": self.policy, "enforcementLevel": self.level, "name": self.name,
                "urn": self.urn, "message": self.message}


@dataclass
class Outcome:
    levels: dict[str, str]
    violations: list[Violation] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(v.level == "mandatory" for v in self.violations)


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read a `--policy-pack-config` JSON file; BadInput naming the file if unusable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput([Problem(str(path), "file not found",
                                   "pass a JSON policy pack config file")]) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BadInput([Problem(str(path), f"not a JSON file ({error})",
                                   "write it as {\"<policy>\": \"advisory\"}")]) from None
    if not isinstance(doc, dict):
        raise BadInput([Problem(str(path), "expected a JSON object keyed by policy name",
                                   "write it as {\"<policy>\": {\"enforcementLevel\": ...}}")])
    return doc


def _level(value: Any, path: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if value not in LEVELS:
        problems.append(Problem(path, f"{value!r} is not an enforcement level",
                                f"use one of {', '.join(LEVELS)}"))
        return None
    return str(value)


# The settings each policy takes besides `enforcementLevel` (the pack's PolicyConfigSchema
# properties, gatewatch/policy/pack.py; a test keeps the two equal).
RULE_SETTINGS: Final = ("exemptions",)
REMEDIATION_SETTINGS: Final = ("policyBasedGateways",)


def _unknown_settings(policy: str, entry: Mapping[str, Any], allowed: tuple[str, ...],
                      problems: list[Problem]) -> None:
    for key in entry:
        if key != "enforcementLevel" and key not in allowed:
            close = closest(str(key), [*allowed, "enforcementLevel"])
            problems.append(Problem(f"{policy}.{key}", f"is not a setting of {policy}",
                                    f"did you mean '{close}'?" if close else
                                    f"use enforcementLevel{''.join(f' or {a}' for a in allowed)}"))


def _remediation_config(entry: Any, problems: list[Problem]) -> None:
    """`{"policy-based-gateway-categories-remediation": "<level>" | {"enforcementLevel": ...,
    "policyBasedGateways": [<ARM id of a virtual network gateway>, ...]}}`, as README says."""
    name = remediation.POLICY_NAME
    if not isinstance(entry, Mapping):
        _level(entry, name, problems)
        return
    _unknown_settings(name, entry, REMEDIATION_SETTINGS, problems)
    _level(entry.get("enforcementLevel"), f"{name}.enforcementLevel", problems)
    ids = entry.get("policyBasedGateways", [])
    fix = ("list ARM ids like /subscriptions/<subscription GUID>/resourceGroups/<rg>/providers/"
           f"{azure_facts.GATEWAY_ARM_TYPE}/<name>")
    if not isinstance(ids, list):
        problems.append(Problem(f"{name}.policyBasedGateways", "expected a list", fix))
        return
    for i, value in enumerate(ids):
        arm = parse_arm_id(value) if isinstance(value, str) else None
        if arm is None or not arm.is_type(azure_facts.GATEWAY_ARM_TYPE):
            problems.append(Problem(f"{name}.policyBasedGateways[{i}]",
                                    f"{value!r} is not the ARM id of a virtual network gateway",
                                    fix))


def resolve_config(raw: Mapping[str, Any] | None) -> dict[str, tuple[str, RuleConfig]]:
    """Each rule's effective enforcement level and config: its own default, then `all`, then
    the rule's own entry (the CLI's precedence). Accepts exactly the shapes README documents:
    a level, or an object with `enforcementLevel` and the policy's own settings (`exemptions`;
    `policyBasedGateways` for the remediation policy, which is checked and otherwise only runs
    in the engine)."""
    raw = raw or {}
    problems: list[Problem] = []
    names = [rule.id for rule in RULES]
    for key in raw:
        if key not in ("all", remediation.POLICY_NAME) and key not in names:
            close = closest(key, [*names, remediation.POLICY_NAME])
            problems.append(Problem(key, "no such policy in the gatewatch pack",
                                    f"did you mean '{close}'?" if close else
                                    f"use one of {', '.join(names)}"))
    if remediation.POLICY_NAME in raw:
        _remediation_config(raw[remediation.POLICY_NAME], problems)
    overall = raw.get("all")
    if isinstance(overall, Mapping):
        _unknown_settings("all", overall, (), problems)
        overall = overall.get("enforcementLevel")
    all_level = _level(overall, "all", problems)
    out: dict[str, tuple[str, RuleConfig]] = {}
    for rule in RULES:
        entry = raw.get(rule.id)
        level = all_level or rule.enforcement
        props: Mapping[str, Any] | None = None
        if isinstance(entry, Mapping):
            _unknown_settings(rule.id, entry, RULE_SETTINGS, problems)
            level = _level(entry.get("enforcementLevel"), f"{rule.id}.enforcementLevel",
                           problems) or level
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        elif entry is not None:
            level = _level(entry, rule.id, problems) or level
        try:
            config = parse_rule_config(rule.id, props)
        except BadInput as error:
            problems += error.problems
            config = RuleConfig()
        out[rule.id] = (level, config)
    if problems:
        raise BadInput(problems)
    return out


def run_pack(
    resources: Sequence[Resource], policy_config: Mapping[str, Any] | None = None
) -> Outcome:
    settings = resolve_config(policy_config)
    outcome = Outcome(levels={name: level for name, (level, _) in settings.items()})
    if policy_config and remediation.POLICY_NAME in policy_config:
        outcome.notes.append(Finding(
            remediation.POLICY_NAME, f"{remediation.POLICY_NAME} rewrites settings only while "
            "`pulumi preview|up --policy-pack` registers them; over this graph "
            "policy-based-gateway-categories checks what would be deployed", note=True))
    for rule in RULES:
        level, config = settings[rule.id]
        if level == "disabled":
            continue
        reported = "mandatory" if level == "remediate" else level
        for finding in run_rule(rule, resources, config):
            if finding.note:
                outcome.notes.append(finding)
            else:
                outcome.violations.append(
                    Violation(rule.id, reported, finding.message, finding.urn, finding.name))
    return outcome


def render_lines(outcome: Outcome) -> list[str]:
    mandatory = sum(v.level == "mandatory" for v in outcome.violations)
    advisory = len(outcome.violations) - mandatory
    active = sum(level != "disabled" for level in outcome.levels.values())
    lines = [f"{active} policies of pack '{PACK_NAME}' ran: {mandatory} mandatory and "
             f"{advisory} advisory violations"]
    lines += [f"[{v.level}] {v.policy}: {v.message}" for v in outcome.violations]
    lines += [f"[note] {n.rule}: {n.message}" for n in outcome.notes]
    return lines


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "pack": PACK_NAME,
        "failed": outcome.failed,
        "enforcementLevels": outcome.levels,
        "violations": [v.as_json() for v in outcome.violations],
        "notes": [{"policy": n.rule, "name": n.name, "urn": n.urn, "message": n.message}
                  for n in outcome.notes],
    }
