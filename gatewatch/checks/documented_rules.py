"""Rules from Microsoft's documentation that a schema cannot express, checked over the recorded
resource graph (the plan runs them on every stack; tests break each one on purpose).

Each rule names the document it comes from. A deviation is something Azure would reject,
silently run differently, or report back differently (a diff on every refreshed preview).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.catalog.rules import non_literal_ago
from gatewatch.offline.runtime import UNKNOWN, RecordedResource


@dataclass(frozen=True)
class Deviation:
    rule: str
    urn: str
    message: str

    def describe(self) -> str:
        return f"{self.rule}: {self.urn.split('::')[-1]}: {self.message}"


@dataclass(frozen=True)
class DocRule:
    name: str
    source: str
    check: Callable[[list[RecordedResource]], Iterator[Deviation]]


def _of(resources: Iterable[RecordedResource], *types: str) -> Iterator[RecordedResource]:
    return (r for r in resources if r.type in types)


def _alert_queries(resource: RecordedResource) -> list[str]:
    criteria = resource.inputs.get("criteria")
    conditions = criteria.get("allOf", []) if isinstance(criteria, dict) else []
    return [c["query"] for c in conditions if isinstance(c, dict)
            and isinstance(c.get("query"), str)]


def _ago_literals(resources: list[RecordedResource]) -> Iterator[Deviation]:
    for rule in _of(resources, *azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        for query in _alert_queries(rule):
            for line, argument in non_literal_ago(query):
                yield Deviation("log-alert-ago-literal", rule.urn,
                                f"query line {line}: ago({argument}) is not a timespan literal")


def _query_validation(resources: list[RecordedResource]) -> Iterator[Deviation]:
    for rule in _of(resources, *azure_facts.SCHEDULED_QUERY_RULE_TYPES):
        if rule.inputs.get("skipQueryValidation") is True:
            yield Deviation("log-alert-query-validation", rule.urn,
                            "skipQueryValidation is true: Azure never checks the query, and one "
                            "it cannot run fails silently; make it resolve on a new workspace")


def _destination_type(resources: list[RecordedResource]) -> Iterator[Deviation]:
    for setting in _of(resources, *azure_facts.DIAGNOSTIC_SETTING_TYPES):
        value = setting.inputs.get("logAnalyticsDestinationType")
        if value is not None:
            yield Deviation("diagnostic-setting-destination-type", setting.urn,
                            f"logAnalyticsDestinationType {value!r} is sent; the API documents "
                            "\"Dedicated and null (null is default)\" and reads null back for "
                            "VPN gateways (no resource-specific tables): send nothing")


def _maintenance_start(resources: list[RecordedResource]) -> Iterator[Deviation]:
    # The earliest "current date" anywhere on Earth (UTC-12) is today's UTC date minus one.
    earliest = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    for config in _of(resources, "azure-native:maintenance:MaintenanceConfiguration"):
        start = config.inputs.get("startDateTime")
        if not isinstance(start, str) or start == UNKNOWN:
            continue  # fixed at create time (components/creation_date.py)
        try:
            date = dt.date.fromisoformat(start.split(" ")[0])
        except ValueError:
            yield Deviation("maintenance-start-date", config.urn,
                            f"startDateTime {start!r} is not 'YYYY-MM-DD HH:MM'")
            continue
        if date < earliest:
            yield Deviation("maintenance-start-date", config.urn,
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
            for item in condition.get(key) or []:
                yield from _fields(item)


def _resource_health(resources: list[RecordedResource]) -> Iterator[Deviation]:
    for alert in _of(resources, "azure-native:monitor:ActivityLogAlert"):
        fields = list(_fields(alert.inputs.get("condition")))
        for name in _NULLABLE_HEALTH_FIELDS:
            if name in fields:
                yield Deviation("resource-health-nullable-fields", alert.urn,
                                f"filters on {name}, which Microsoft's template guide says may "
                                "be null in some events: those alerts would never fire")


def _grant_known(resources: list[RecordedResource]) -> Iterator[Deviation]:
    for role in _of(resources, *azure_facts.ROLE_ASSIGNMENT_TYPES):
        for key in ("roleDefinitionId", "scope"):
            if role.inputs.get(key) == UNKNOWN:
                yield Deviation("grant-known-at-preview", role.urn,
                                f"{key} is unknown in a preview: a reviewer cannot see what is "
                                "granted where")


RULES: tuple[DocRule, ...] = (
    DocRule("log-alert-ago-literal", "Azure Monitor, create or edit a log search alert rule: "
            "\"Log search alert rule queries support ago() with timespan literals only\"",
            _ago_literals),
    DocRule("log-alert-query-validation", "scheduledQueryRules API: skipQueryValidation true "
            "skips the create-time check", _query_validation),
    DocRule("diagnostic-setting-destination-type", "diagnosticSettings 2021-05-01-preview: "
            "logAnalyticsDestinationType \"Dedicated and null (null is default)\"; "
            "azure-rest-api-specs issue 22400", _destination_type),
    DocRule("maintenance-start-date", "Maintenance configuration 2023-10-01-preview: \"The start "
            "date can be set to either the current date or future date\"", _maintenance_start),
    DocRule("resource-health-nullable-fields", "Configure resource health alerts using Resource "
            "Manager templates: currentHealthStatus/previousHealthStatus/cause may be null",
            _resource_health),
    DocRule("grant-known-at-preview", "gatewatch: a PR preview shows which role is granted "
            "where", _grant_known),
)


def check(resources: Iterable[RecordedResource]) -> list[Deviation]:
    found = list(resources)
    return [d for rule in RULES for d in rule.check(found)]
