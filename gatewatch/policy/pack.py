"""The rules as pulumi-policy stack policies. `policies/__main__.py` only wires these into a
PolicyPack; tests drive them through the SDK's analyzer servicer.

Every rule is a stack policy: matching a diagnostic setting to a new gateway needs the graph
(`property_dependencies`), and one code path serves the pack, the plan and `policy check`.
Enforcement per policy is the engine's: `--policy-pack-config` `{"<policy>": "advisory"}` or
`{"<policy>": {"enforcementLevel": ..., "exemptions": [{name, reason}]}}`.
"""

from __future__ import annotations

import sys
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from gatewatch.policy.resources import from_policy_resource
from gatewatch.policy.rules import (
    EXEMPTIONS_SCHEMA,
    PACK_NAME,
    RULES,
    Rule,
    parse_rule_config,
    run_rule,
)

__all__ = ["PACK_ENFORCEMENT", "PACK_NAME", "build_policies"]
# Each policy states its own level; this only applies to a policy that would not.
PACK_ENFORCEMENT: Final = EnforcementLevel.ADVISORY


def _stack_validator(rule: Rule) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [from_policy_resource(r) for r in args.resources]
        config = parse_rule_config(rule.name, args.get_config())
        for finding in run_rule(rule, resources, config):
            if finding.note:
                # The engine shows an analyzer's stderr lines as diagnostics.
                print(f"{PACK_NAME}/{rule.name}: note: {finding.message}", file=sys.stderr)
            else:
                report_violation(finding.message, finding.urn or None)

    return validate


def build_policies() -> list[Policy]:
    return [
        StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_stack_validator(rule),
            enforcement_level=EnforcementLevel(rule.enforcement),
            config_schema=PolicyConfigSchema(properties={"exemptions": dict(EXEMPTIONS_SCHEMA)}),
            remediation_steps=rule.remediation,
        )
        for rule in RULES
    ]
