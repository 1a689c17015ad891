"""Alert rules as ARM lists them, for the Azure stand-in's subscription lists.

Shaped after the list examples of Microsoft's API definitions (Azure/azure-rest-api-specs,
specification/monitor/resource-manager/Microsoft.Insights/stable/): 2018-03-01
examples/listMetricAlert.json, 2020-10-01 examples/listActivityLogAlerts.json, 2023-12-01
examples/listScheduledQueryRulesBySubscription.json. As in those examples, ARM writes the ids
in lower case ("resourcegroups", "microsoft.insights/scheduledqueryrules"): a reader must
compare them case-insensitively.
"""

from __future__ import annotations

from typing import Any

from tests.support.standins.azure import AzureStandIn


def rule_id(subscription: str, group: str, arm_type: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourcegroups/{group}/providers/{arm_type}/{name}"


def metric_alert(standin: AzureStandIn, subscription: str, group: str, name: str,
                 scope: str = "") -> str:
    rid = rule_id(subscription, group, "microsoft.insights/metricalerts", name)
    standin.put(rid, {
        "name": name, "type": "Microsoft.Insights/metricAlerts", "location": "global",
        "tags": {},
        "properties": {
            "description": "a rule another team keeps", "severity": 3, "enabled": True,
            "scopes": [scope or f"/subscriptions/{subscription}"],
            "evaluationFrequency": "PT5M", "windowSize": "PT15M",
            "criteria": {"odata.type":
                         "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                         "allOf": [{"criterionType": "StaticThresholdCriterion",
                                    "name": "High_CPU_80", "metricName": "Percentage CPU",
                                    "dimensions": [], "operator": "GreaterThan",
                                    "threshold": 80.5, "timeAggregation": "Average"}]},
            "autoMitigate": True,
            "actions": [{"actionGroupId": f"/subscriptions/{subscription}/resourcegroups/"
                                          f"{group}/providers/microsoft.insights/"
                                          "actiongroups/ag"}]},
    })
    return rid


def activity_log_alert(standin: AzureStandIn, subscription: str, group: str, name: str,
                       category: str = "Administrative") -> str:
    rid = rule_id(subscription, group, "microsoft.insights/activityLogAlerts", name)
    standin.put(rid, {
        "name": name, "type": "Microsoft.Insights/ActivityLogAlerts", "location": "Global",
        "tags": {},
        "properties": {
            "scopes": [f"/subscriptions/{subscription}"], "enabled": True,
            "condition": {"allOf": [{"field": "category", "equals": category}]},
            "actions": {"actionGroups": [{"actionGroupId": f"/subscriptions/{subscription}/"
                                          f"resourcegroups/{group}/providers/"
                                          "microsoft.insights/actiongroups/ag",
                                          "webhookProperties": {}}]},
            "description": "a rule another team keeps"},
    })
    return rid


def log_search_alert(standin: AzureStandIn, subscription: str, group: str, name: str, *,
                     every: str = "PT5M", scope: str = "", identity: str = "",
                     kind: str = "LogAlert") -> str:
    rid = rule_id(subscription, group, "microsoft.insights/scheduledqueryrules", name)
    body: dict[str, Any] = {
        "name": name, "type": "microsoft.insights/scheduledqueryrules", "location": "japaneast",
        "kind": kind, "tags": {},
        "properties": {
            "description": "a rule another team keeps", "severity": 4, "enabled": True,
            "evaluationFrequency": every, "scopes": [scope or f"/subscriptions/{subscription}"],
            "windowSize": "PT10M",
            "criteria": {"allOf": [{"query": "Heartbeat", "timeAggregation": "Count",
                                    "dimensions": [], "operator": "GreaterThan",
                                    "threshold": 360,
                                    "failingPeriods": {"numberOfEvaluationPeriods": 1,
                                                       "minFailingPeriodsToAlert": 1}}]},
            "muteActionsDuration": "PT30M", "skipQueryValidation": True},
    }
    if identity:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {
            identity: {"principalId": "00000000-0000-0000-0000-0000000000aa",
                       "clientId": "00000000-0000-0000-0000-0000000000bb"}}}
    standin.put(rid, body)
    return rid
