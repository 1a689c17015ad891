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


def _put(standin: AzureStandIn, subscription: str, group: str, arm_type: str, name: str,
         location: str, properties: dict[str, Any], **top: Any) -> str:
    """Store one rule under its lower-case id with the envelope every list example shows."""
    rid = rule_id(subscription, group, arm_type.lower(), name)
    standin.put(rid, {"name": name, "type": arm_type, "location": location, "tags": {},
                      **top, "properties": properties})
    return rid


def _group(subscription: str, group: str) -> str:
    return (f"/subscriptions/{subscription}/resourcegroups/{group}/providers/"
            "microsoft.insights/actiongroups/ag")


def metric_alert(standin: AzureStandIn, subscription: str, group: str, name: str,
                 scope: str = "") -> str:
    return _put(standin, subscription, group, "Microsoft.Insights/metricAlerts", name, "global", {
        "description": "a rule another team keeps", "severity": 3, "enabled": True,
        "scopes": [scope or f"/subscriptions/{subscription}"],
        "evaluationFrequency": "PT5M", "windowSize": "PT15M",
        "criteria": {"odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                     "allOf": [{"criterionType": "StaticThresholdCriterion",
                                "name": "High_CPU_80", "metricName": "Percentage CPU",
                                "dimensions": [], "operator": "GreaterThan",
                                "threshold": 80.5, "timeAggregation": "Average"}]},
        "autoMitigate": True,
        "actions": [{"actionGroupId": _group(subscription, group)}]})


def activity_log_alert(standin: AzureStandIn, subscription: str, group: str, name: str,
                       category: str = "Administrative") -> str:
    return _put(standin, subscription, group, "Microsoft.Insights/ActivityLogAlerts", name,
                "Global", {
                    "scopes": [f"/subscriptions/{subscription}"], "enabled": True,
                    "condition": {"allOf": [{"field": "category", "equals": category}]},
                    "actions": {"actionGroups": [{"actionGroupId": _group(subscription, group),
                                                  "webhookProperties": {}}]},
                    "description": "a rule another team keeps"})


def log_search_alert(standin: AzureStandIn, subscription: str, group: str, name: str, *,
                     every: str = "PT5M", scope: str = "", identity: str = "",
                     kind: str = "LogAlert") -> str:
    top: dict[str, Any] = {"kind": kind}
    if identity:
        top["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {
            identity: {"principalId": "00000000-0000-0000-0000-0000000000aa",
                       "clientId": "00000000-0000-0000-0000-0000000000bb"}}}
    return _put(standin, subscription, group, "microsoft.insights/scheduledqueryrules", name,
                "japaneast", {
                    "description": "a rule another team keeps", "severity": 4, "enabled": True,
                    "evaluationFrequency": every,
                    "scopes": [scope or f"/subscriptions/{subscription}"],
                    "windowSize": "PT10M",
                    "criteria": {"allOf": [{"query": "Heartbeat", "timeAggregation": "Count",
                                            "dimensions": [], "operator": "GreaterThan",
                                            "threshold": 360,
                                            "failingPeriods": {"numberOfEvaluationPeriods": 1,
                                                               "minFailingPeriodsToAlert": 1}}]},
                    "muteActionsDuration": "PT30M", "skipQueryValidation": True}, **top)
