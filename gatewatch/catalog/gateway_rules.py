"""The rules of metric alerts (alerts/metric/*.yaml) and activity log alerts
(alerts/activity/*.yaml) on the VPN gateways, checked when a file is read.

The same key-order, GUID, slug, severity and duration checks as the log search alerts
(gatewatch/catalog/files.py), and these vendor rules:

- a metric alert's metric, its dimensions and its time aggregation must be the documented ones
  for Microsoft.Network/virtualNetworkGateways (Microsoft's "Supported metrics" table, read by
  gatewatch/azure/metrics.py), and its window at least the metric's smallest time grain;
- frequencies, windows, operators, aggregations, sensitivities and the integer threshold are
  those of Microsoft.Insights/metricAlerts 2018-03-01 (bicep-types in vendor/azure-api-specs;
  MetricCriteria.threshold is an int, DynamicMetricCriteria.operator is GreaterThan | LessThan
  | GreaterOrLessThan);
- an activity log alert's operationName must be a published operation of the gateway.

Each file carries an `amba` block: the Azure Monitor Baseline Alerts rule it follows
(Azure/azure-monitor-baseline-alerts services/Network/virtualNetworkGateways/alerts.yaml), AMBA's
exact settings, and where and why the kit differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.metrics import (
    METRICS_FILE,
    OPERATIONS_FILE,
    documented_metrics,
    documented_operations,
)
from gatewatch.catalog import files
from gatewatch.catalog.files import fail
from gatewatch.catalog.model import (
    DYNAMIC,
    STATIC,
    ActivityLogAlertRule,
    Amba,
    MetricAlertRule,
    MetricCriterion,
)

METRIC_KEYS: tuple[str, ...] = (
    "id", "name", "displayName", "description", "severity", "enabled",
    "evaluationFrequency", "windowSize", "metric", "criterion", "autoMitigate", "amba",
    "tuning", "version",
)
METRIC_BLOCK_KEYS: tuple[str, ...] = ("namespace", "name", "timeAggregation", "dimensions")
STATIC_KEYS: tuple[str, ...] = ("type", "operator", "threshold")
DYNAMIC_KEYS: tuple[str, ...] = ("type", "operator", "alertSensitivity", "failingPeriods")
FAILING_KEYS: tuple[str, ...] = ("numberOfEvaluationPeriods", "minFailingPeriodsToAlert")
AMBA_KEYS: tuple[str, ...] = ("alert", "guid", "settings", "follows", "differs")
ACTIVITY_KEYS: tuple[str, ...] = (
    "id", "name", "displayName", "description", "enabled", "condition", "amba", "tuning",
    "version",
)
CONDITION_KEYS: tuple[str, ...] = ("category", "operationName", "status")

# Microsoft.Insights/metricAlerts 2018-03-01 (and the portal's choices for it).
METRIC_FREQUENCIES: tuple[str, ...] = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H")
METRIC_WINDOWS: tuple[str, ...] = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H",
                                   "P1D")
STATIC_OPERATORS = ("Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual")
DYNAMIC_OPERATORS = ("GreaterThan", "LessThan", "GreaterOrLessThan")
SENSITIVITIES = ("Low", "Medium", "High")
METRIC_AGGREGATIONS = ("Average", "Count", "Maximum", "Minimum", "Total")
# Azure Monitor "Dynamic thresholds": number of evaluation periods 1 to 6 in the portal's
# lookback choices; minFailingPeriodsToAlert must not exceed it (bicep-types description).
MAX_DYNAMIC_PERIODS = 6
# Activity log categories an Administrative operation (write/delete/action) is logged under.
ACTIVITY_CATEGORIES = ("Administrative",)
ACTIVITY_STATUSES = ("Started", "Accepted", "Succeeded", "Failed")


def _amba(source: Path, value: Any) -> Amba:
    data = files.check_keys(source, "amba", value, AMBA_KEYS, frozenset())
    alert, guid = data["alert"], data["guid"]
    if (alert is None) != (guid is None):
        raise fail(source, "amba", "alert and guid are both set (AMBA's rule) or both null")
    return Amba(
        alert=None if alert is None else files.text(source, "amba.alert", alert),
        guid=None if guid is None else files.guid(source, "amba.guid", guid),
        settings=files.text(source, "amba.settings", data["settings"]),
        follows=files.text(source, "amba.follows", data["follows"]),
        differs=files.text(source, "amba.differs", data["differs"]),
    )


def _criterion(source: Path, value: Any) -> MetricCriterion:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == STATIC:
        data = files.check_keys(source, "criterion", value, STATIC_KEYS, frozenset())
        threshold = data["threshold"]
        # bicep-types 2018-03-01 MetricCriteria.threshold: int.
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise fail(source, "criterion.threshold",
                       f"expected an integer >= 0 (the API's threshold is an int), got "
                       f"{threshold!r}")
        return MetricCriterion(type=STATIC, operator=files.choice(
            source, "criterion.operator", data["operator"], STATIC_OPERATORS),
            threshold=threshold)
    if kind == DYNAMIC:
        data = files.check_keys(source, "criterion", value, DYNAMIC_KEYS, frozenset())
        periods = files.check_keys(source, "criterion.failingPeriods", data["failingPeriods"],
                                   FAILING_KEYS, frozenset())
        number = files.whole(source, "criterion.failingPeriods.numberOfEvaluationPeriods",
                             periods["numberOfEvaluationPeriods"], 1, MAX_DYNAMIC_PERIODS)
        minimum = files.whole(source, "criterion.failingPeriods.minFailingPeriodsToAlert",
                              periods["minFailingPeriodsToAlert"], 1, number)
        return MetricCriterion(
            type=DYNAMIC,
            operator=files.choice(source, "criterion.operator", data["operator"],
                                  DYNAMIC_OPERATORS),
            alert_sensitivity=files.choice(source, "criterion.alertSensitivity",
                                           data["alertSensitivity"], SENSITIVITIES),
            number_of_evaluation_periods=number, min_failing_periods_to_alert=minimum)
    raise fail(source, "criterion.type", f"{kind!r} is not {STATIC} or {DYNAMIC}")


def _gateway_alert(source: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """The shared fields of a metric or activity alert file, checked."""
    return {
        "description": files.description(source, data["description"]),
        "id": files.guid(source, "id", data["id"]),
        "name": files.slug(source, "name", data["name"]),
        "display_name": files.text(source, "displayName", data["displayName"]),
        "enabled": files.boolean(source, "enabled", data["enabled"]),
        "amba": _amba(source, data["amba"]),
        "tuning": files.text(source, "tuning", data["tuning"]),
        "version": files.text(source, "version", data["version"]),
        "source": source,
    }


def metric_alert(source: Path) -> MetricAlertRule:
    """Read and check one alerts/metric/*.yaml file against the documented metrics."""
    data = files.check_keys(source, "", files.read(source), METRIC_KEYS, frozenset())
    frequency = files.choice(source, "evaluationFrequency", data["evaluationFrequency"],
                             METRIC_FREQUENCIES)
    window = files.choice(source, "windowSize", data["windowSize"], METRIC_WINDOWS)
    if files.duration(source, "windowSize", window) < files.duration(
            source, "evaluationFrequency", frequency):
        raise fail(source, "windowSize", f"{window} is shorter than evaluationFrequency "
                                         f"{frequency}: samples between windows are never seen")
    block = files.check_keys(source, "metric", data["metric"], METRIC_BLOCK_KEYS, frozenset())
    namespace = files.choice(source, "metric.namespace", block["namespace"],
                             (azure_facts.GATEWAY_ARM_TYPE,))
    known = documented_metrics()
    metric_name = block["name"]
    if metric_name not in known:
        raise fail(source, "metric.name",
                   f"{metric_name!r} is not a documented {azure_facts.GATEWAY_ARM_TYPE} metric "
                   f"(see {METRICS_FILE.name})")
    metric = known[metric_name]
    aggregation = files.choice(source, "metric.timeAggregation", block["timeAggregation"],
                               METRIC_AGGREGATIONS)
    dimensions = block["dimensions"]
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise fail(source, "metric.dimensions", "expected a list of dimension names")
    for dimension in dimensions:
        if dimension not in metric.dimensions:
            raise fail(source, "metric.dimensions",
                       f"{dimension!r} is not a dimension of {metric_name} (documented: "
                       f"{', '.join(metric.dimensions) or 'none'})")
    if len(set(dimensions)) != len(dimensions):
        raise fail(source, "metric.dimensions", "lists a dimension twice")
    smallest = min((files.duration(source, "metric", g) for g in metric.time_grains),
                   default=None)
    if smallest is not None and files.duration(source, "windowSize", window) < smallest:
        raise fail(source, "windowSize",
                   f"{window} is shorter than {metric_name}'s smallest time grain "
                   f"({metric.time_grains[0]}): the metric has no sample that small")
    return MetricAlertRule(
        **_gateway_alert(source, data),
        severity=files.severity(source, data["severity"]),
        evaluation_frequency=frequency,
        window_size=window,
        namespace=namespace,
        metric_name=metric_name,
        time_aggregation=aggregation,
        dimensions=tuple(dimensions),
        criterion=_criterion(source, data["criterion"]),
        auto_mitigate=files.boolean(source, "autoMitigate", data["autoMitigate"]),
    )


def activity_log_alert(source: Path) -> ActivityLogAlertRule:
    """Read and check one alerts/activity/*.yaml file against the published operations."""
    data = files.check_keys(source, "", files.read(source), ACTIVITY_KEYS, frozenset())
    condition = files.check_keys(source, "condition", data["condition"], CONDITION_KEYS,
                                 frozenset())
    operation = files.text(source, "condition.operationName", condition["operationName"])
    if operation.lower() not in documented_operations():
        raise fail(source, "condition.operationName",
                   f"{operation!r} is not a published {azure_facts.GATEWAY_ARM_TYPE} operation "
                   f"(see {OPERATIONS_FILE.name})")
    return ActivityLogAlertRule(
        **_gateway_alert(source, data),
        category=files.choice(source, "condition.category", condition["category"],
                              ACTIVITY_CATEGORIES),
        operation_name=operation,
        status=files.choice(source, "condition.status", condition["status"],
                            ACTIVITY_STATUSES),
    )
