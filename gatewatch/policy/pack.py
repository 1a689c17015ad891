"""The rules (gatewatch/policy/rules/) as pulumi-policy stack policies. `policies/__main__.py`
only wires these into a PolicyPack; tests drive them through the SDK's analyzer servicer.

Every rule is a stack policy: matching a diagnostic setting to a new gateway needs the graph
(`property_dependencies`), and one code path serves the pack, the plan and `policy check`.
Enforcement per policy is the engine's: `--policy-pack-config` `{"<policy>": "advisory"}` or
`{"<policy>": {"enforcementLevel": ..., "exemptions": [{name, reason}]}}`.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from gatewatch.checks.model import Rule
from gatewatch.policy import remediation
from gatewatch.policy.exemptions import EXEMPTIONS_SCHEMA, parse_rule_config, run_rule
from gatewatch.policy.resources import from_policy_resource
from gatewatch.policy.rules import PACK_NAME, RULES

__all__ = ["PACK_ENFORCEMENT", "PACK_NAME", "build_policies"]
# Each policy states its own level; this only applies to a policy that would not.
PACK_ENFORCEMENT: Final = EnforcementLevel.ADVISORY


def _stack_validator(rule: Rule) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [from_policy_resource(r) for r in args.resources]
        config = parse_rule_config(rule.id, args.get_config())
        for finding in run_rule(rule, resources, config):
            if finding.note:
                # The engine shows an analyzer's stderr lines as diagnostics.
                print(f"{PACK_NAME}/{rule.id}: note: {finding.message}", file=sys.stderr)
            else:
                report_violation(finding.message, finding.urn or None)

    return validate


def remediation_policy() -> ResourceValidationPolicy:
    """Rewrites a diagnostic setting that asks a policy-based gateway for categories it cannot
    emit (see gatewatch/policy/remediation.py); one per pack process, so it remembers the
    gateways the engine registered before the setting."""
    known = remediation.PolicyBasedGateways()

    # Returns the new props or None; pulumi-policy's servicer takes a plain mapping as well as
    # an awaitable (its `Remediate`), though its type alias only names the awaitable.
    def remediate(args: ResourceValidationArgs) -> Any:
        from pulumi_policy.deserialize import serialize_properties

        # The raw values behind the SDK's proxy: an unknown (a new gateway's id during
        # preview) stays the engine's sentinel instead of raising, and never matches.
        props = dict(serialize_properties(args.props))
        config = args.get_config() or {}
        gateways = remediation.PolicyBasedGateways.from_config(
            config.get("policyBasedGateways") or ())
        gateways.keys |= known.keys
        known.observe(args.resource_type, props)
        return remediation.remediate_setting(args.resource_type, props, gateways)

    return ResourceValidationPolicy(
        name=remediation.POLICY_NAME,
        description="Requires diagnostic settings on policy-based VPN gateways to ask only for "
                    "the two categories they emit, rewriting a setting that asks for more.",
        remediate=remediate,
        enforcement_level=EnforcementLevel.REMEDIATE,
        config_schema=PolicyConfigSchema(properties={
            "policyBasedGateways": dict(remediation.CONFIG_SCHEMA)}),
        remediation_steps="List only GatewayDiagnosticLog and RouteDiagnosticLog for a "
                          "policy-based gateway (facts.categories_for('PolicyBased')).",
    )


def build_policies() -> list[Policy]:
    return [*[
        StackValidationPolicy(
            name=rule.id,
            description=rule.description,
            validate=_stack_validator(rule),
            enforcement_level=EnforcementLevel(rule.enforcement),
            config_schema=PolicyConfigSchema(properties={"exemptions": dict(EXEMPTIONS_SCHEMA)}),
            remediation_steps=rule.remediation,
        )
        for rule in RULES
    ], remediation_policy()]
