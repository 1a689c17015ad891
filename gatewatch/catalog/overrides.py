"""What a stack's config does to the catalog's alert rules: `gatewatch:azure.alerts` disables
and re-severities them (`apply`), and a rule that needs a config feature is deployed only with
it (`deployable`).

Config names are checked where config is read: gatewatch/config/model.py rejects a name that
is no alert of the catalog, a severity outside 0-4 and a severity for an activity log alert
(Azure's activityLogAlerts API has none), so here every name is known and every value valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule

if TYPE_CHECKING:
    from gatewatch.config.alerts import AlertsConfig

Rule = TypeVar("Rule", LogSearchAlertRule, MetricAlertRule, ActivityLogAlertRule)


def apply(rules: Iterable[Rule], alerts: AlertsConfig) -> list[Rule]:
    """The rules with config applied: names in `alerts.disabled` get enabled=False, those in
    `alerts.severities` that severity. Log, metric and activity log alerts share one name
    space, so the same config serves each kind; the rules given are not changed."""
    result = []
    for rule in rules:
        changes: dict[str, Any] = {}
        if rule.name in alerts.disabled:
            changes["enabled"] = False
        if rule.name in alerts.severities and not isinstance(rule, ActivityLogAlertRule):
            changes["severity"] = alerts.severities[rule.name]
        result.append(rule.model_copy(update=changes) if changes else rule)
    return result


def deployable(rules: Iterable[LogSearchAlertRule], features: Iterable[str]
               ) -> list[LogSearchAlertRule]:
    """The rules whose `requires` the stack config meets (e.g. vm-scheduled-event needs vms)."""
    have = set(features)
    return [r for r in rules if set(r.requires) <= have]
