"""Run the pack offline, as the engine would run it as a stack policy pack: over the offline
plan's recorded graph or a `pulumi stack export` file, with the same `--policy-pack-config` file
format (`{"all" | "<policy>": "<level>" | {"enforcementLevel": ..., "exemptions": [...]}}`).
A mandatory (or remediate: stack policies cannot remediate) violation fails the run.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatewatch.checks.model import LEVELS, Finding, Resource
from gatewatch.errors import BadInput, Problem
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


def resolve_config(raw: Mapping[str, Any] | None) -> dict[str, tuple[str, RuleConfig]]:
    """Each rule's effective enforcement level and config: its own default, then `all`, then
    the rule's own entry (the CLI's precedence)."""
    raw = raw or {}
    problems: list[Problem] = []
    names = [rule.id for rule in RULES]
    for key in raw:
        if key != "all" and key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            problems.append(Problem(key, "no such policy in the gatewatch pack",
                                    f"did you mean '{close[0]}'?" if close else
                                    f"use one of {', '.join(names)}"))
    overall = raw.get("all")
    if isinstance(overall, Mapping):
        overall = overall.get("enforcementLevel")
    all_level = _level(overall, "all", problems)
    out: dict[str, tuple[str, RuleConfig]] = {}
    for rule in RULES:
        entry = raw.get(rule.id)
        level = all_level or rule.enforcement
        props: Mapping[str, Any] | None = None
        if isinstance(entry, Mapping):
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
