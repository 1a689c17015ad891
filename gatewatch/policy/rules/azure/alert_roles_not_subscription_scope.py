"""alert-roles-not-subscription-scope (advisory): a role assignment is scoped to the workspace
or its resource group, never a whole subscription or management group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import Finding, Resource, Rule
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "alert-roles-not-subscription-scope"
_SUBSCRIPTION_SCOPE: Final = re.compile(r"/subscriptions/[0-9a-fA-F-]{36}/?")
_MANAGEMENT_GROUP_SCOPE: Final = re.compile(
    r"/providers/Microsoft\.Management/managementGroups/[^/]+/?", re.IGNORECASE)


def check(resources: Sequence[Resource]) -> list[Finding]:
    findings = []
    for assignment in (r for r in resources if r.type in azure_facts.ROLE_ASSIGNMENT_TYPES):
        scope = assignment.inputs.get("scope")
        if not isinstance(scope, str):
            continue
        broad = scope.strip() in ("", "/") or _SUBSCRIPTION_SCOPE.fullmatch(scope.strip()) or (
            _MANAGEMENT_GROUP_SCOPE.fullmatch(scope.strip()))
        if broad:
            findings.append(Finding(
                RULE_ID,
                f"Role assignment {label(assignment)} is scoped to '{scope}', a whole "
                "subscription or management group; scope it to the workspace's resource group "
                "or the workspace itself (Reader there is all a log alert needs).",
                assignment.urn, assignment.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    "Prohibits role assignments scoped to a whole subscription or management group.",
    "Best practices for Azure RBAC, only grant the access users need (Microsoft Learn): "
    "https://learn.microsoft.com/azure/role-based-access-control/best-practices",
    check,
    "advisory",
    "Scope the assignment to the workspace or its resource group.",
)
