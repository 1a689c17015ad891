"""workspace-retention-30-days (advisory): Log Analytics workspaces keep data at least the
minimum the kit documents, so a drop can still be explained weeks later."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import Finding, Resource, Rule
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "workspace-retention-30-days"


def check(resources: Sequence[Resource]) -> list[Finding]:
    findings = []
    for workspace in (r for r in resources if r.type in azure_facts.WORKSPACE_TYPES):
        days = workspace.inputs.get("retentionInDays")
        if isinstance(days, int | float) and days < azure_facts.WORKSPACE_RETENTION_MIN:
            findings.append(Finding(
                RULE_ID,
                f"Log Analytics workspace {label(workspace)} keeps data {days:g} days; set "
                f"retentionInDays to at least {azure_facts.WORKSPACE_RETENTION_MIN} so a drop can "
                "still be explained weeks later.",
                workspace.urn, workspace.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    f"Requires Log Analytics workspaces to keep data at least "
    f"{azure_facts.WORKSPACE_RETENTION_MIN} days.",
    "Manage data retention in a Log Analytics workspace (Microsoft Learn): "
    "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    check,
    "advisory",
    f"Set retentionInDays to {azure_facts.WORKSPACE_RETENTION_MIN} or more.",
)
