"""Rules from Microsoft's documentation that a schema cannot express, checked over the recorded
resource graph (the plan runs them on every stack; tests break each one on purpose).

Each rule names the document it comes from. A deviation is something Azure would reject,
silently run differently, or report back differently (a diff on every refreshed preview).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.catalog.rules import non_literal_ago
from gatewatch.checks.model import UNKNOWN, Finding, Resource, Rule, json_value


def describe(finding: Finding) -> str:
    """One line of the plan: rule, resource, what."""
    return f"{finding.rule}: {finding.resource_name}: {finding.message}"


def _deviation(rule: str, resource: Resource, message: str) -> Finding:
    return Finding(rule, message, urn=resource.urn, name=resource.name, type=resource.type)


def _of(resources: Iterable[Resource], *types: str) -> Iterator[Resource]:
    return (r for r in resources if r.type in types)


def _alert_queries(resource: Resource) -> list[str]:
    criteria = resource.inputs.get("criteria")
    conditions = criteria.get("allOf", []) if isinstance(criteria, dict) else []
    return [c["query"] for c in conditions if isinstance(c, dict)
            and isinstance(c.get("query"), str)]


def _ago_literals(resources: Sequence[Resource]) -> Iterator[Finding]:
    for rule in _of(resources, *azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        for query in _alert_queries(rule):
            for line, argument in non_literal_ago(query):
                yield _deviation("log-alert-ago-literal", rule,
                                 f"query line {line}: ago({argument}) is not a timespan literal")


def _query_validation(resources: Sequence[Resource]) -> Iterator[Finding]:
    for rule in _of(resources, *azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        if rule.inputs.get("skipQueryValidation") is True:
            yield _deviation("log-alert-query-validation", rule,
                             "skipQueryValidation is true: Azure never checks the query, and one "
                             "it cannot run fails silently; make it resolve on a new workspace")


def _destination_type(resources: Sequence[Resource]) -> Iterator[Finding]:
    for setting in _of(resources, *azure_facts.DIAGNOSTIC_SETTING_TYPES):
        value = setting.inputs.get("logAnalyticsDestinationType")
        if value is not None:
            yield _deviation("diagnostic-setting-destination-type", setting,
                             f"logAnalyticsDestinationType {json_value(value)!r} is sent; the API "
                             "documents \"Dedicated and null (null is default)\" and reads null "
                             "back for VPN gateways (no resource-specific tables): send nothing")


def _maintenance_start(resources: Sequence[Resource]) -> Iterator[Finding]:
    # The earliest "current date" anywhere on Earth (UTC-12) is today's UTC date minus one.
    earliest = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    for config in _of(resources, "azure-native:maintenance:MaintenanceConfiguration"):
        start = config.inputs.get("startDateTime")
        if not isinstance(start, str):
            continue  # unknown in a preview: fixed at create time (components/creation_date.py)
        try:
            date = dt.date.fromisoformat(start.split(" ")[0])
        except ValueError:
            yield _deviation("maintenance-start-date", config,
                             f"startDateTime {start!r} is not 'YYYY-MM-DD HH:MM'")
            continue
        if date < earliest:
            yield _deviation("maintenance-start-date", config,
                             f"startDateTime {start} is in the past: a new configuration must "
                             "start today or later (leave startDate out to have it fixed at "
                             "the first pulumi up)")


_NULLABLE_HEALTH_FIELDS = ("properties.currentHealthStatus", "properties.previousHealthStatus",
                           "properties.cause")


def _fields(condition: Any) -> Iterator[str]:
    if isinstance(condition, dict):
        if isinstance(condition.get("field"), str):
            yield condition["field"]
        for key in ("allOf", "anyOf"):
            items = condition.get(key)
            for item in items if isinstance(items, list) else ():
                yield from _fields(item)


def _resource_health(resources: Sequence[Resource]) -> Iterator[Finding]:
    for alert in _of(resources, "azure-native:monitor:ActivityLogAlert"):
        fields = list(_fields(alert.inputs.get("condition")))
        for name in _NULLABLE_HEALTH_FIELDS:
            if name in fields:
                yield _deviation("resource-health-nullable-fields", alert,
                                 f"filters on {name}, which Microsoft's template guide says may "
                                 "be null in some events: those alerts would never fire")


def _grant_known(resources: Sequence[Resource]) -> Iterator[Finding]:
    for role in _of(resources, *azure_facts.ROLE_ASSIGNMENT_TYPES):
        for key in ("roleDefinitionId", "scope"):
            if role.inputs.get(key) is UNKNOWN:
                yield _deviation("grant-known-at-preview", role,
                                 f"{key} is unknown in a preview: a reviewer cannot see what is "
                                 "granted where")


RULES: tuple[Rule, ...] = (
    Rule("log-alert-ago-literal",
         "Log search alert queries use ago() with timespan literals only.",
         "Azure Monitor, create or edit a log search alert rule: \"Log search alert rule queries "
         "support ago() with timespan literals only\"", _ago_literals),
    Rule("log-alert-query-validation",
         "Log search alert rules let Azure validate their query at creation.",
         "scheduledQueryRules API: skipQueryValidation true skips the create-time check",
         _query_validation),
    Rule("diagnostic-setting-destination-type",
         "Diagnostic settings send no logAnalyticsDestinationType.",
         "diagnosticSettings 2021-05-01-preview: logAnalyticsDestinationType \"Dedicated and "
         "null (null is default)\"; azure-rest-api-specs issue 22400", _destination_type),
    Rule("maintenance-start-date",
         "A new maintenance configuration starts today or later.",
         "Maintenance configuration 2023-10-01-preview: \"The start date can be set to either "
         "the current date or future date\"", _maintenance_start),
    Rule("resource-health-nullable-fields",
         "Resource health alerts filter on no field that may be null.",
         "Configure resource health alerts using Resource Manager templates: "
         "currentHealthStatus/previousHealthStatus/cause may be null", _resource_health),
    Rule("grant-known-at-preview",
         "Role assignments name their role and scope as literals known at preview.",
         "gatewatch: a PR preview shows which role is granted where", _grant_known),
)


def check(resources: Iterable[Resource]) -> list[Finding]:
    found = list(resources)
    return [replace(f, source=rule.source) for rule in RULES for f in rule.check(found)]
