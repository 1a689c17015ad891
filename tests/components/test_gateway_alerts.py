"""Metric and activity log alerts: the graph the program declares, config overrides and the
MonitorDisable opt-out (the files themselves: tests/catalog/test_gateway_rules.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import DYNAMIC, MetricAlertRule
from gatewatch.checks.api_definitions import check_resource, check_resources, describe
from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from gatewatch.offline.sections import PlanContext, opt_out_section
from tests.support.gateway_alerts import documented
from tests.support.graph import plan
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config, with_alerts

METRIC_ALERT = "azure-native:monitor:MetricAlert"
ACTIVITY_ALERT = "azure-native:monitor:ActivityLogAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"


def metric_alerts_for(rec: Any, gateway_id: str) -> list[Any]:
    return [r for r in rec.by_type(METRIC_ALERT) if r.inputs["scopes"] == [gateway_id]]


def gateway_activity_alerts(rec: Any) -> list[Any]:
    return [r for r in rec.by_type(ACTIVITY_ALERT) if r.name.startswith("gateway-alerts-")]


# --- the graph -----------------------------------------------------------------------------

def test_each_gateway_gets_every_metric_alert_into_the_log_alerts_action_group() -> None:
    rec = plan(with_alerts())
    group = rec.one(ACTION_GROUP, "vpn-alerts-action-group")
    rules = load(MetricAlertRule)
    for gateway in (ROUTE_GW, POLICY_GW):
        alerts = metric_alerts_for(rec, gateway)
        assert len(alerts) == len(rules), gateway
        for alert in alerts:
            assert alert.inputs["location"] == "global", alert.urn
            assert alert.property_dependencies["actions"] == [group.urn], alert.urn
    table = documented()
    for alert in rec.by_type(METRIC_ALERT):
        for criterion in alert.inputs["criteria"]["allOf"]:
            metric = table[criterion["metricName"]]
            assert criterion["metricNamespace"] == "Microsoft.Network/virtualNetworkGateways"
            for dimension in criterion.get("dimensions", []):
                assert dimension["name"] in metric["dimensions"], alert.urn


def test_dynamic_thresholds_use_multiple_resource_criteria_static_single() -> None:
    rec = plan(with_alerts())
    for alert in metric_alerts_for(rec, ROUTE_GW):
        criteria = alert.inputs["criteria"]
        kinds = {c["criterionType"] for c in criteria["allOf"]}
        if kinds == {"DynamicThresholdCriterion"}:
            assert criteria["odataType"] == \
                "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria", alert.urn
            assert criteria["allOf"][0]["alertSensitivity"] == "Medium"
        else:
            assert kinds == {"StaticThresholdCriterion"}, alert.urn
            assert criteria["odataType"] == \
                "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", alert.urn


def test_metric_and_activity_bodies_match_the_api_definitions() -> None:
    rec = plan(with_alerts(), preview=False)
    alerts = rec.by_type(METRIC_ALERT) + gateway_activity_alerts(rec)
    assert rec.by_type(METRIC_ALERT) and gateway_activity_alerts(rec)
    # Microsoft.Insights/metricAlerts@2018-03-01 and activityLogAlerts@2020-10-01 (the API
    # versions the SDK uses; vendor/azure-api-specs/manifest.json).
    problems = check_resources(alerts)
    assert problems == [], [describe(p) for p in problems]


def test_the_checker_catches_a_dynamic_criterion_in_single_resource_criteria() -> None:
    rec = plan(with_alerts(), preview=False)
    alert = next(a for a in metric_alerts_for(rec, ROUTE_GW)
                 if a.inputs["criteria"]["allOf"][0]["criterionType"] == DYNAMIC)
    criteria = {**alert.inputs["criteria"],
                "odataType": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"}
    broken = replace(alert, inputs={**alert.inputs, "criteria": criteria})
    problems = [describe(p) for p in check_resource(broken) if p.rule == "bicep-types"]
    assert any("criterionType" in p or "threshold" in p for p in problems), problems


def test_activity_alerts_watch_the_gateways_delete_and_write() -> None:
    rec = plan(with_alerts(), preview=False)
    alerts = {r.inputs["activityLogAlertName"]: r for r in gateway_activity_alerts(rec)}
    assert set(alerts) == {"gatewatch-gateway-deleted", "gatewatch-gateway-config-written"}
    deleted = alerts["gatewatch-gateway-deleted"].inputs
    assert deleted["scopes"] == ["/subscriptions/11111111-2222-3333-4444-555555555555"]
    leaves = deleted["condition"]["allOf"]
    assert {"field": "operationName",
            "equals": "Microsoft.Network/virtualNetworkGateways/delete"} in leaves
    assert {"field": "status", "equals": "Succeeded"} in leaves
    ids = [c["equals"] for c in leaves[-1]["anyOf"]]
    assert ids == [ROUTE_GW, POLICY_GW]


# --- config: disable, re-severity ----------------------------------------------------------

def test_config_disables_and_re_severities_metric_and_activity_alerts() -> None:
    rec = plan(with_alerts(disabled=["bgp-peer-status", "gateway-deleted", "tunnel-drop"],
                           severities={"tunnel-bandwidth-idle": 4}))
    bgp = [a for a in metric_alerts_for(rec, ROUTE_GW)
           if a.inputs["criteria"]["allOf"][0]["metricName"] == "BgpPeerStatus"]
    assert [a.inputs["enabled"] for a in bgp] == [False]
    idle = [a for a in metric_alerts_for(rec, ROUTE_GW)
            if a.inputs["ruleName"].startswith("gatewatch-tunnel-bandwidth-idle")]
    assert [a.inputs["severity"] for a in idle] == [4]
    deleted = [a for a in gateway_activity_alerts(rec)
               if a.inputs["activityLogAlertName"] == "gatewatch-gateway-deleted"]
    assert [a.inputs["enabled"] for a in deleted] == [False]
    # a log alert name in the same list still disables the log alert
    drop = rec.one("azure-native:monitor:ScheduledQueryRule", "vpn-alerts-tunnel-drop")
    assert drop.inputs["enabled"] is False


def test_a_severity_for_an_activity_log_alert_is_a_config_error() -> None:
    with pytest.raises(BadInput, match=r"gatewatch:azure\.alerts\.severities"):
        parse_config(with_alerts(severities={"gateway-deleted": 1}))


def test_an_unknown_alert_name_lists_metric_alerts_as_known() -> None:
    with pytest.raises(BadInput) as error:
        parse_config(with_alerts(disabled=["bgp-peer-statu"]))
    assert "bgp-peer-status" in str(error.value)


# --- MonitorDisable ------------------------------------------------------------------------

def test_a_gateway_tagged_monitor_disable_gets_no_metric_or_activity_alert() -> None:
    rec = plan(with_alerts(), offline_lookups={
        "rg-branch/vpngw-branch": {"tags": {"MonitorDisable": "true"}}})
    assert metric_alerts_for(rec, POLICY_GW) == []
    assert metric_alerts_for(rec, ROUTE_GW)
    for alert in gateway_activity_alerts(rec):
        ids = [c["equals"] for c in alert.inputs["condition"]["allOf"][-1]["anyOf"]]
        assert ids == [ROUTE_GW], alert.urn
    # diagnostics stay on: the tag opts out of alerting, not of logs
    settings = rec.by_type("azure-native:monitor:DiagnosticSetting")
    assert POLICY_GW in [s.inputs["resourceUri"] for s in settings]


def test_a_monitor_disable_tag_with_another_value_keeps_the_alerts() -> None:
    rec = plan(with_alerts(), offline_lookups={
        "rg-branch/vpngw-branch": {"tags": {"MonitorDisable": "false"}}})
    assert metric_alerts_for(rec, POLICY_GW)


def test_all_gateways_opted_out_means_no_activity_alert_at_all() -> None:
    tagged = {"tags": {"monitordisable": "TRUE"}}
    rec = plan(with_alerts(), offline_lookups={"rg-branch/vpngw-branch": tagged,
                                               "rg-hub/vpngw-hub": tagged})
    assert rec.by_type(METRIC_ALERT) == []
    assert gateway_activity_alerts(rec) == []


def test_the_plan_says_which_gateway_was_skipped_from_config_tags() -> None:
    config = with_alerts()
    config["gatewatch:azure"]["gateways"][1]["tags"] = {"MonitorDisable": "true"}
    rec = plan(config)
    report = opt_out_section(PlanContext("test", parse_config(config), config, rec))
    assert report is not None and not report.failed
    assert report.lines == ["gateway rg-branch/vpngw-branch: tagged MonitorDisable=true, "
                            "skipped: no metric or activity log alert for it"]


def test_gateway_tags_in_config_must_be_strings() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["tags"] = {"MonitorDisable": True}
    with pytest.raises(BadInput, match=r"gateways\[0\]\.tags"):
        parse_config(config)
