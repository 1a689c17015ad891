"""alert-rules-use-managed-identity (advisory): scheduled query rules run with a managed
identity, so what they may read is granted to that identity and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import UNKNOWN, Finding, Resource, Rule, value_at
from gatewatch.policy.rules.reading import label, lower

RULE_ID: Final = "alert-rules-use-managed-identity"


def check(resources: Sequence[Resource]) -> list[Finding]:
    findings = []
    for rule in (r for r in resources if r.type in azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        kind = value_at(rule.inputs, "identity", "type")
        if kind is UNKNOWN or ("assigned" in (lower(kind) or "") and lower(kind) != "none"):
            continue
        findings.append(Finding(
            RULE_ID,
            f"Scheduled query rule {label(rule)} has no managed identity (identity.type is "
            f"{kind!r}); set identity=MicrosoftCommonIdentityArgs(type='UserAssigned', "
            "user_assigned_identities=[<identity id>]) and grant that identity Reader on the "
            "workspace it queries.",
            rule.urn, rule.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    "Requires scheduled query rules to run with a managed identity.",
    "Managed identities for log search alerts, create or edit a log search alert rule "
    "(Microsoft Learn): "
    "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule",
    check,
    "advisory",
    "Give the rule a user-assigned identity with Reader on the workspace.",
)
