"""Metric alerts (alerts/metric/*.yaml) and activity log alerts (alerts/activity/*.yaml).

The same catalog idea as the log search alerts of `gatewatch.catalog.log_search`, with the same
key-order,
GUID, slug, severity and duration checks (its helpers), and these vendor rules:

- a metric alert's metric, its dimensions and its time aggregation must be the documented ones
  for Microsoft.Network/virtualNetworkGateways (gatewatch/azure/vendor/virtualnetworkgateways-
  metrics.json, Microsoft's "Supported metrics" table; see gatewatch/azure/vendor/SOURCES.md), and
  its window at least the metric's smallest time grain;
- frequencies, windows, operators, aggregations, sensitivities and the integer threshold are
  those of Microsoft.Insights/metricAlerts 2018-03-01 (bicep-types in vendor/azure-api-specs;
  MetricCriteria.threshold is an int, DynamicMetricCriteria.operator is GreaterThan | LessThan
  | GreaterOrLessThan);
- an activity log alert's operationName must be a published operation of the gateway
  (gatewatch/azure/vendor/virtualnetworkgateways-operations.json).

Each metric file carries an `amba` block: the Azure Monitor Baseline Alerts rule it follows
(Azure/azure-monitor-baseline-alerts services/Network/virtualNetworkGateways/alerts.yaml), AMBA's
exact settings, and where and why the kit differs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.catalog.log_search import (
    ALERTS_DIR,
    CatalogError,
    _bool,
    _check_keys,
    _description,
    _duration,
    _fail,
    _guid,
    _int,
    _name,
    _read,
    _str,
    _unique,
    apply_overrides,
    load_catalog,
)
from gatewatch.paths import AZURE_VENDOR_DIR

METRICS_FILE = AZURE_VENDOR_DIR / "virtualnetworkgateways-metrics.json"
OPERATIONS_FILE = AZURE_VENDOR_DIR / "virtualnetworkgateways-operations.json"
METRIC_ALERTS_DIR = ALERTS_DIR / "metric"
ACTIVITY_ALERTS_DIR = ALERTS_DIR / "activity"

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
STATIC = "StaticThresholdCriterion"
DYNAMIC = "DynamicThresholdCriterion"
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


@dataclass(frozen=True)
class DocumentedMetric:
    name: str
    aggregation: tuple[str, ...]
    dimensions: tuple[str, ...]
    time_grains: tuple[str, ...]
    ds_export: bool


@functools.cache
def documented_metrics() -> dict[str, DocumentedMetric]:
    """Microsoft's table of metrics for virtualNetworkGateways, by REST API name."""
    data = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    if data.get("resourceType") != azure_facts.GATEWAY_ARM_TYPE:
        raise CatalogError(f"{METRICS_FILE}: not the {azure_facts.GATEWAY_ARM_TYPE} metrics table")
    return {
        m["name"]: DocumentedMetric(m["name"], tuple(m["aggregation"]), tuple(m["dimensions"]),
                                    tuple(m["timeGrains"]), bool(m["dsExport"]))
        for m in data["metrics"]
    }


@functools.cache
def documented_operations() -> frozenset[str]:
    """Published Microsoft.Network/virtualNetworkGateways operation strings (lower case:
    ARM compares operation names case-insensitively, and the table mixes cases)."""
    data = json.loads(OPERATIONS_FILE.read_text(encoding="utf-8"))
    return frozenset(o["operation"].lower() for o in data["operations"])


@dataclass(frozen=True)
class Amba:
    alert: str | None  # AMBA's rule name; None: AMBA has no such rule for VPN gateways
    guid: str | None
    settings: str
    follows: str
    differs: str


@dataclass(frozen=True)
class MetricCriterion:
    type: str
    operator: str
    threshold: int | None = None
    alertSensitivity: str | None = None
    numberOfEvaluationPeriods: int | None = None
    minFailingPeriodsToAlert: int | None = None

    @property
    def dynamic(self) -> bool:
        return self.type == DYNAMIC


@dataclass(frozen=True)
class _AlertFile:
    """What a metric and an activity log alert file share."""

    id: str
    name: str
    displayName: str
    description: str
    enabled: bool
    amba: Amba
    tuning: str
    version: str
    source: Path


@dataclass(frozen=True)
class MetricAlertRule(_AlertFile):
    severity: int
    evaluationFrequency: str
    windowSize: str
    namespace: str
    metricName: str
    timeAggregation: str
    dimensions: tuple[str, ...]
    criterion: MetricCriterion
    autoMitigate: bool


@dataclass(frozen=True)
class ActivityAlertRule(_AlertFile):
    category: str
    operationName: str
    status: str


def _choice(source: Path, key: str, value: Any, choices: Iterable[str]) -> str:
    allowed = tuple(choices)
    if value not in allowed:
        raise _fail(source, key, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _amba(source: Path, value: Any) -> Amba:
    data = _check_keys(source, "amba", value, AMBA_KEYS, frozenset())
    alert, guid = data["alert"], data["guid"]
    if (alert is None) != (guid is None):
        raise _fail(source, "amba", "alert and guid are both set (AMBA's rule) or both null")
    return Amba(
        alert=None if alert is None else _str(source, "amba.alert", alert),
        guid=None if guid is None else _guid(source, "amba.guid", guid),
        settings=_str(source, "amba.settings", data["settings"]),
        follows=_str(source, "amba.follows", data["follows"]),
        differs=_str(source, "amba.differs", data["differs"]),
    )


def _criterion(source: Path, value: Any) -> MetricCriterion:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == STATIC:
        data = _check_keys(source, "criterion", value, STATIC_KEYS, frozenset())
        threshold = data["threshold"]
        # bicep-types 2018-03-01 MetricCriteria.threshold: int.
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise _fail(source, "criterion.threshold",
                        f"expected an integer >= 0 (the API's threshold is an int), got "
                        f"{threshold!r}")
        return MetricCriterion(STATIC, _choice(source, "criterion.operator", data["operator"],
                                               STATIC_OPERATORS), threshold=threshold)
    if kind == DYNAMIC:
        data = _check_keys(source, "criterion", value, DYNAMIC_KEYS, frozenset())
        periods = _check_keys(source, "criterion.failingPeriods", data["failingPeriods"],
                              FAILING_KEYS, frozenset())
        number = _int(source, "criterion.failingPeriods.numberOfEvaluationPeriods",
                      periods["numberOfEvaluationPeriods"], 1, MAX_DYNAMIC_PERIODS)
        minimum = _int(source, "criterion.failingPeriods.minFailingPeriodsToAlert",
                       periods["minFailingPeriodsToAlert"], 1, number)
        return MetricCriterion(
            DYNAMIC, _choice(source, "criterion.operator", data["operator"], DYNAMIC_OPERATORS),
            alertSensitivity=_choice(source, "criterion.alertSensitivity",
                                     data["alertSensitivity"], SENSITIVITIES),
            numberOfEvaluationPeriods=number, minFailingPeriodsToAlert=minimum)
    raise _fail(source, "criterion.type", f"{kind!r} is not {STATIC} or {DYNAMIC}")


def _alert_file(source: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """The shared fields of a metric or activity alert file, validated."""
    return {
        "description": _description(source, data["description"]),
        "id": _guid(source, "id", data["id"]),
        "name": _name(source, "name", data["name"]),
        "displayName": _str(source, "displayName", data["displayName"]),
        "enabled": _bool(source, "enabled", data["enabled"]),
        "amba": _amba(source, data["amba"]),
        "tuning": _str(source, "tuning", data["tuning"]),
        "version": _str(source, "version", data["version"]),
        "source": source,
    }


def load_metric_alert(path: Path) -> MetricAlertRule:
    """Read and validate one alerts/metric/*.yaml file against the documented metrics."""
    source = Path(path)
    data = _check_keys(source, "", _read(source), METRIC_KEYS, frozenset())
    frequency = _choice(source, "evaluationFrequency", data["evaluationFrequency"],
                        METRIC_FREQUENCIES)
    window = _choice(source, "windowSize", data["windowSize"], METRIC_WINDOWS)
    if _duration(source, "windowSize", window) < _duration(source, "evaluationFrequency",
                                                           frequency):
        raise _fail(source, "windowSize", f"{window} is shorter than evaluationFrequency "
                                          f"{frequency}: samples between windows are never seen")
    block = _check_keys(source, "metric", data["metric"], METRIC_BLOCK_KEYS, frozenset())
    namespace = _choice(source, "metric.namespace", block["namespace"],
                        (azure_facts.GATEWAY_ARM_TYPE,))
    known = documented_metrics()
    metric_name = block["name"]
    if metric_name not in known:
        raise _fail(source, "metric.name",
                    f"{metric_name!r} is not a documented {azure_facts.GATEWAY_ARM_TYPE} metric "
                    f"(see {METRICS_FILE.name})")
    metric = known[metric_name]
    aggregation = _choice(source, "metric.timeAggregation", block["timeAggregation"],
                          METRIC_AGGREGATIONS)
    dimensions = block["dimensions"]
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise _fail(source, "metric.dimensions", "expected a list of dimension names")
    for dimension in dimensions:
        if dimension not in metric.dimensions:
            raise _fail(source, "metric.dimensions",
                        f"{dimension!r} is not a dimension of {metric_name} (documented: "
                        f"{', '.join(metric.dimensions) or 'none'})")
    if len(set(dimensions)) != len(dimensions):
        raise _fail(source, "metric.dimensions", "lists a dimension twice")
    smallest = min((_duration(source, "metric", g) for g in metric.time_grains), default=None)
    if smallest is not None and _duration(source, "windowSize", window) < smallest:
        raise _fail(source, "windowSize",
                    f"{window} is shorter than {metric_name}'s smallest time grain "
                    f"({metric.time_grains[0]}): the metric has no sample that small")
    return MetricAlertRule(
        **_alert_file(source, data),
        severity=_int(source, "severity", data["severity"], 0, 4),
        evaluationFrequency=frequency,
        windowSize=window,
        namespace=namespace,
        metricName=metric_name,
        timeAggregation=aggregation,
        dimensions=tuple(dimensions),
        criterion=_criterion(source, data["criterion"]),
        autoMitigate=_bool(source, "autoMitigate", data["autoMitigate"]),
    )


def load_activity_alert(path: Path) -> ActivityAlertRule:
    """Read and validate one alerts/activity/*.yaml file against the published operations."""
    source = Path(path)
    data = _check_keys(source, "", _read(source), ACTIVITY_KEYS, frozenset())
    condition = _check_keys(source, "condition", data["condition"], CONDITION_KEYS,
                            frozenset())
    operation = _str(source, "condition.operationName", condition["operationName"])
    if operation.lower() not in documented_operations():
        raise _fail(source, "condition.operationName",
                    f"{operation!r} is not a published {azure_facts.GATEWAY_ARM_TYPE} operation "
                    f"(see {OPERATIONS_FILE.name})")
    return ActivityAlertRule(
        **_alert_file(source, data),
        category=_choice(source, "condition.category", condition["category"],
                         ACTIVITY_CATEGORIES),
        operationName=operation,
        status=_choice(source, "condition.status", condition["status"], ACTIVITY_STATUSES),
    )


def load_metric_catalog(directory: Path = METRIC_ALERTS_DIR) -> list[MetricAlertRule]:
    rules = [load_metric_alert(p) for p in sorted(Path(directory).glob("*.yaml"))]
    _unique(rules)
    return sorted(rules, key=lambda r: r.name)


def load_activity_catalog(directory: Path = ACTIVITY_ALERTS_DIR) -> list[ActivityAlertRule]:
    rules = [load_activity_alert(p) for p in sorted(Path(directory).glob("*.yaml"))]
    _unique(rules)
    return sorted(rules, key=lambda r: r.name)


def alert_names() -> tuple[frozenset[str], frozenset[str]]:
    """(every alert name config may disable, the names config may re-severity).

    Names are unique across the three catalogs (log, metric, activity), so one config list
    addresses any alert. Activity log alerts have no severity in Azure's API (2020-10-01), so
    only log and metric alerts take a severity override.
    """
    log = load_catalog()
    metric = load_metric_catalog()
    activity = load_activity_catalog()
    _unique([*log, *metric, *activity])
    with_severity = frozenset([r.name for r in log] + [r.name for r in metric])
    return with_severity | {r.name for r in activity}, with_severity


def apply_metric_overrides(
    rules: Iterable[MetricAlertRule], disabled: set[str], severities: Mapping[str, int],
) -> list[MetricAlertRule]:
    """Config applied to metric rules (names of other catalogs are theirs to apply)."""
    rules = list(rules)
    names = {r.name for r in rules}
    return apply_overrides(rules, disabled & names,
                           {k: v for k, v in severities.items() if k in names})


def apply_activity_overrides(
    rules: Iterable[ActivityAlertRule], disabled: set[str],
) -> list[ActivityAlertRule]:
    return [replace(r, enabled=False) if r.name in disabled else r for r in rules]
