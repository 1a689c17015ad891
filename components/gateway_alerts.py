"""Metric alerts and activity log alerts on the watched VPN gateways, from the catalog.

- One `monitor.MetricAlert` per gateway and rule of alerts/metric/*.yaml (location "global",
  scoped to the one gateway: virtual network gateways are not a multi-resource metric alert
  type), into the log search alerts' action group.
- One `monitor.ActivityLogAlert` per rule of alerts/activity/*.yaml (gateway deleted, gateway
  configuration written), scoped to the subscription the kit deploys into and filtered to the
  watched gateways by resourceId (an activity log alert can only watch its own subscription).
- Gateways tagged with AMBA's opt-out tag (`MonitorDisable: true`) get neither: the tag is read
  from the gateway itself (network.get_virtual_network_gateway, asked once per gateway before any
  resource is registered: components/gateway_lookup.py), and the skip is logged.

Bodies follow Microsoft.Insights/metricAlerts 2018-03-01: a static criterion is a
`MetricCriteria` inside SingleResourceMultipleMetricCriteria (the SDK's Args classes); a dynamic
one (`DynamicMetricCriteria`) is only valid inside MultipleResourceMultipleMetricCriteria, whose
item type the SDK's Args classes cannot express (they pin criterionType), so it is a dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization, monitor

from components import kit_tags
from components.gateway_lookup import GatewayLookups, found_for
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.catalog.model import DYNAMIC, ActivityLogAlertRule, MetricAlertRule
from gatewatch.config.azure import GatewayConfig

SINGLE_RESOURCE_CRITERIA = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
MULTIPLE_RESOURCE_CRITERIA = "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria"
METRIC_ALERT_LOCATION = "global"  # metric alerts are global resources (Microsoft's examples)
ACTIVITY_ALERT_LOCATION = "Global"


@dataclass
class GatewayAlertsArgs:
    gateways: Sequence[GatewayConfig]
    metric_rules: Sequence[MetricAlertRule]
    activity_rules: Sequence[ActivityLogAlertRule]
    resource_group_name: pulumi.Input[str]
    action_group_id: pulumi.Input[str]
    # Azure's answer per gateway (components/gateway_lookup.py), asked before registration.
    lookups: GatewayLookups
    tags: Mapping[str, str] = field(default_factory=dict)


def gateway_tags(gateway: GatewayConfig, lookups: GatewayLookups) -> Mapping[str, str]:
    """The gateway's tags as Azure has them (a plain value: whether a gateway is watched
    decides which resources exist, so it cannot wait for an Output)."""
    return dict(found_for(lookups, gateway).tags or {})


def watched_gateways(gateways: Sequence[GatewayConfig], lookups: GatewayLookups
                     ) -> list[GatewayConfig]:
    """The gateways that get metric and activity log alerts: all but those tagged with AMBA's
    opt-out (the program counts their rules with this too, before registering them)."""
    return [g for g in gateways
            if not azure_facts.monitor_disabled(gateway_tags(g, lookups))]


def metric_criteria(rule: MetricAlertRule) -> Any:
    """The rule's criteria as the 2018-03-01 API takes them (SDK names; the provider sends
    `odataType` as "odata.type")."""
    dimensions = [
        monitor.MetricDimensionArgs(name=d, operator="Include", values=["*"])
        for d in rule.dimensions
    ]
    criterion = rule.criterion
    if criterion.type == DYNAMIC:
        return {
            "odataType": MULTIPLE_RESOURCE_CRITERIA,
            "allOf": [{
                "criterionType": DYNAMIC,
                "name": rule.metric_name,
                "metricName": rule.metric_name,
                "metricNamespace": rule.namespace,
                "timeAggregation": rule.time_aggregation,
                "dimensions": [{"name": d, "operator": "Include", "values": ["*"]}
                               for d in rule.dimensions],
                "operator": criterion.operator,
                "alertSensitivity": criterion.alert_sensitivity,
                "failingPeriods": {
                    "numberOfEvaluationPeriods": criterion.number_of_evaluation_periods,
                    "minFailingPeriodsToAlert": criterion.min_failing_periods_to_alert,
                },
            }],
        }
    return monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
        odata_type=SINGLE_RESOURCE_CRITERIA,
        all_of=[monitor.MetricCriteriaArgs(
            criterion_type="StaticThresholdCriterion",
            name=rule.metric_name,
            metric_name=rule.metric_name,
            metric_namespace=rule.namespace,
            time_aggregation=rule.time_aggregation,
            dimensions=dimensions or None,
            operator=criterion.operator,
            # the catalog requires an int for a static criterion (2018-03-01: int)
            threshold=float(criterion.threshold or 0),
        )],
    )


def _leaf(field_name: str, equals: str) -> monitor.AlertRuleAnyOfOrLeafConditionArgs:
    return monitor.AlertRuleAnyOfOrLeafConditionArgs(field=field_name, equals=equals)


def activity_condition(
    rule: ActivityLogAlertRule, gateway_ids: Sequence[str],
) -> list[monitor.AlertRuleAnyOfOrLeafConditionArgs]:
    return [
        _leaf("category", rule.category),
        _leaf("operationName", rule.operation_name),
        _leaf("status", rule.status),
        monitor.AlertRuleAnyOfOrLeafConditionArgs(any_of=[
            monitor.AlertRuleLeafConditionArgs(field="resourceId", equals=gid)
            for gid in gateway_ids]),
    ]


class GatewayAlerts(pulumi.ComponentResource):
    """Metric alerts per watched gateway, activity log alerts over the watched gateways."""

    metric_alert_ids: pulumi.Output[dict[str, str]]
    activity_alert_ids: pulumi.Output[dict[str, str]]
    opted_out: list[str]

    def __init__(
        self, name: str, args: GatewayAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:GatewayAlerts", name, None, opts)
        tags = kit_tags(args.tags)
        watched = watched_gateways(args.gateways, args.lookups)
        self.opted_out = []
        for gateway in args.gateways:
            if gateway not in watched:
                self.opted_out.append(gateway.id.id)
                pulumi.log.info(
                    f"{gateway.key_path}: {gateway.id.id} is tagged "
                    f"{azure_facts.MONITOR_DISABLE_TAG}={azure_facts.MONITOR_DISABLE_VALUE} "
                    "(AMBA's opt-out): "
                    "no metric or activity log alert for it", resource=self)

        metric_ids: dict[str, pulumi.Output[str]] = {}
        for gateway in watched:
            for rule in args.metric_rules:
                key = f"{gateway.resource_group}-{gateway.name}-{rule.name}".lower()
                alert = monitor.MetricAlert(
                    f"{name}-{key}",
                    rule_name=azure_names.metric_alert_name(rule.name, gateway.name),
                    resource_group_name=args.resource_group_name,
                    location=METRIC_ALERT_LOCATION,
                    description=f"{rule.display_name} ({gateway.name}). "
                                + " ".join(rule.description.split()),
                    severity=rule.severity,
                    enabled=rule.enabled,
                    scopes=[gateway.id.id],
                    evaluation_frequency=rule.evaluation_frequency,
                    window_size=rule.window_size,
                    criteria=metric_criteria(rule),
                    auto_mitigate=rule.auto_mitigate,
                    actions=[monitor.MetricAlertActionArgs(action_group_id=args.action_group_id)],
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                metric_ids[key] = alert.id

        activity_ids: dict[str, pulumi.Output[str]] = {}
        if watched and args.activity_rules:
            client = authorization.get_client_config_output(
                opts=pulumi.InvokeOptions(parent=self))
            scope = client.subscription_id.apply(lambda s: f"/subscriptions/{s}")
            for activity in args.activity_rules:
                log_alert = monitor.ActivityLogAlert(
                    f"{name}-{activity.name}",
                    activity_log_alert_name=azure_names.activity_alert_name(activity.name),
                    resource_group_name=args.resource_group_name,
                    location=ACTIVITY_ALERT_LOCATION,
                    description=" ".join(activity.description.split()),
                    enabled=activity.enabled,
                    scopes=[scope],
                    condition=monitor.AlertRuleAllOfConditionArgs(
                        all_of=activity_condition(activity, [g.id.id for g in watched])),
                    actions=monitor.ActionListArgs(action_groups=[
                        monitor.ActionGroupArgs(action_group_id=args.action_group_id)]),
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                activity_ids[activity.name] = log_alert.id

        self.metric_alert_ids = (pulumi.Output.all(**metric_ids) if metric_ids
                                 else pulumi.Output.from_input({}))
        self.activity_alert_ids = (pulumi.Output.all(**activity_ids) if activity_ids
                                   else pulumi.Output.from_input({}))
        self.register_outputs({
            "metric_alert_ids": self.metric_alert_ids,
            "activity_alert_ids": self.activity_alert_ids,
            "opted_out": self.opted_out,
        })


__all__ = ["GatewayAlerts", "GatewayAlertsArgs", "metric_criteria", "watched_gateways"]
