"""The catalog's entries: one typed model per kind of file, told apart by `kind`.

In the spirit of Azure Monitor Baseline Alerts' single envelope (every AMBA rule is `name,
description, type: Metric|Log|ActivityLog, properties, references`; Azure/azure-monitor-
baseline-alerts, services/*/alerts.yaml), every file of alerts/ and queries/ becomes one entry
with an id, a name and the file it came from, and a `kind` naming which of five it is:

- `log-search-alert` (alerts/*.yaml): a Microsoft.Insights/scheduledQueryRules rule;
- `metric-alert` (alerts/metric/*.yaml): a Microsoft.Insights/metricAlerts rule per gateway;
- `activity-log-alert` (alerts/activity/*.yaml): a Microsoft.Insights/activityLogAlerts rule;
- `saved-query` (queries/*.yaml): a query of the Log Analytics query pack;
- `insights-query` (queries/aws/*.yaml): a CloudWatch Logs Insights query definition.

Fields are snake_case; their camelCase aliases are the files' keys (and Azure's API names), as
in gatewatch/config/model.py. The files are checked, with the file and key named, by
gatewatch/catalog/rules.py, gateway_rules.py and insights_rules.py before a model is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from gatewatch.catalog.files import parse_duration

# Microsoft.Insights/metricAlerts 2018-03-01: the two criterion types a metric alert may use.
STATIC = "StaticThresholdCriterion"
DYNAMIC = "DynamicThresholdCriterion"


class _Model(BaseModel):
    """Frozen and strict; built from a checked file by field name, dumped by alias."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", alias_generator=to_camel,
                              validate_by_alias=True, validate_by_name=True)


class _Entry(_Model):
    """What every catalog entry has: its GUID (a slug for AWS queries), its name, its file."""

    id: str
    name: str
    source: Path


# --- log search alerts ------------------------------------------------------------------------

class FailingPeriods(_Model):
    number_of_evaluation_periods: int
    min_failing_periods_to_alert: int


class Trigger(_Model):
    operator: str
    threshold: float
    time_aggregation: str
    failing_periods: FailingPeriods


class BudgetStage(_Model):
    stage: str
    typical_seconds: int
    worst_seconds: int
    source: str


class NoticeBudget(_Model):
    """How much of Azure's advance notice each stage of the alert path spends."""

    notice_minutes: int
    notice_source: str
    minimum_notice: Mapping[str, int]
    stages: tuple[BudgetStage, ...]

    @property
    def typical_seconds(self) -> int:
        return sum(s.typical_seconds for s in self.stages)

    @property
    def worst_seconds(self) -> int:
        return sum(s.worst_seconds for s in self.stages)


class _AlertRule(_Entry):
    """What the three kinds of alert rule share."""

    display_name: str
    description: str
    enabled: bool
    tuning: str
    version: str


class LogSearchAlertRule(_AlertRule):
    """One log search alert (alerts/<name>.yaml)."""

    kind: Literal["log-search-alert"] = "log-search-alert"
    severity: int
    evaluation_frequency: str
    window_size: str
    query: str  # `// @include` lines expanded
    trigger: Trigger
    dimensions: tuple[str, ...]
    auto_mitigate: bool
    mute_actions_duration: str | None
    requires: tuple[str, ...] = ()
    notice_budget: NoticeBudget | None = None

    @property
    def evaluation_interval(self) -> timedelta:
        return parse_duration(self.evaluation_frequency)

    @property
    def window(self) -> timedelta:
        return parse_duration(self.window_size)


# --- metric and activity log alerts -----------------------------------------------------------

class Amba(_Model):
    """The Azure Monitor Baseline Alerts rule a gateway alert follows, and where it differs."""

    alert: str | None  # AMBA's rule name; None: AMBA has no such rule for VPN gateways
    guid: str | None
    settings: str
    follows: str
    differs: str


class MetricCriterion(_Model):
    type: str
    operator: str
    threshold: int | None = None
    alert_sensitivity: str | None = None
    number_of_evaluation_periods: int | None = None
    min_failing_periods_to_alert: int | None = None

    @property
    def dynamic(self) -> bool:
        return self.type == DYNAMIC


class _GatewayAlertRule(_AlertRule):
    """A metric or activity log alert on the gateways: with its AMBA reference."""

    amba: Amba


class MetricAlertRule(_GatewayAlertRule):
    """One metric alert (alerts/metric/<name>.yaml), deployed once per watched gateway."""

    kind: Literal["metric-alert"] = "metric-alert"
    severity: int
    evaluation_frequency: str
    window_size: str
    namespace: str
    metric_name: str
    time_aggregation: str
    dimensions: tuple[str, ...]
    criterion: MetricCriterion
    auto_mitigate: bool


class ActivityLogAlertRule(_GatewayAlertRule):
    """One activity log alert (alerts/activity/<name>.yaml); no severity in Azure's API."""

    kind: Literal["activity-log-alert"] = "activity-log-alert"
    category: str
    operation_name: str
    status: str


# --- queries ----------------------------------------------------------------------------------

class SavedQuery(_Entry):
    """One troubleshooting query for a Log Analytics query pack (queries/<name>.yaml)."""

    kind: Literal["saved-query"] = "saved-query"
    display_name: str
    description: str
    category: str
    body: str


class InsightsQuery(_Entry):
    """One CloudWatch Logs Insights query (queries/aws/<name>.yaml)."""

    kind: Literal["insights-query"] = "insights-query"
    description: str
    logs: str  # "tunnel" or "bgp": whose documented fields it reads
    query: str


AlertRule = LogSearchAlertRule | MetricAlertRule | ActivityLogAlertRule
Entry = Annotated[AlertRule | SavedQuery | InsightsQuery, Field(discriminator="kind")]
