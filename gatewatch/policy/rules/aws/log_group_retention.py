"""log-group-retention (advisory): CloudWatch log groups set a retention period (by default
they keep logs forever)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gatewatch.aws import facts as aws_facts
from gatewatch.checks.model import UNKNOWN, Finding, Resource, Rule
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "log-group-retention"


def check(resources: Sequence[Resource]) -> list[Finding]:
    findings = []
    for group in (r for r in resources if r.type == aws_facts.AWS_LOG_GROUP_TYPE):
        days = group.inputs.get("retentionInDays")
        if days is UNKNOWN or (isinstance(days, int | float) and days > 0):
            continue
        findings.append(Finding(
            RULE_ID,
            f"Log group {label(group)} keeps logs forever (retentionInDays is not set); set "
            "retention_in_days (e.g. 90) so tunnel logs do not grow CloudWatch costs without "
            "bound.",
            group.urn, group.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    "Requires CloudWatch log groups to set a retention period.",
    "Change log data retention in CloudWatch Logs (Amazon CloudWatch Logs User Guide): "
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/"
    "Working-with-log-groups-and-streams.html#SettingLogRetention",
    check,
    "advisory",
    "Set retention_in_days on the log group.",
)
