"""Metric and activity log alerts: the catalog against Microsoft's documented metrics and
operations, the graph the program declares, config overrides and the MonitorDisable opt-out."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.catalog.log_search import CatalogError
from gatewatch.catalog.metric import (
    DYNAMIC,
    METRIC_ALERTS_DIR,
    METRICS_FILE,
    OPERATIONS_FILE,
    alert_names,
    load_activity_catalog,
    load_metric_alert,
    load_metric_catalog,
)
from gatewatch.checks.api_definitions import check_resource, check_resources, describe
from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from gatewatch.offline.sections import PlanContext, opt_out_section
from tests.support.graph import plan
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config

METRIC_ALERT = "azure-native:monitor:MetricAlert"
ACTIVITY_ALERT = "azure-native:monitor:ActivityLogAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"


def with_alerts(**alerts: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["alerts"] = {"emails": ["netops@example.com"], **alerts}
    return config


def documented() -> dict[str, dict[str, Any]]:
    """Read the vendored table directly (not through the loader under test)."""
    data = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    return {m["name"]: m for m in data["metrics"]}


def metric_alerts_for(rec: Any, gateway_id: str) -> list[Any]:
    return [r for r in rec.by_type(METRIC_ALERT) if r.inputs["scopes"] == [gateway_id]]


def gateway_activity_alerts(rec: Any) -> list[Any]:
    return [r for r in rec.by_type(ACTIVITY_ALERT) if r.name.startswith("gateway-alerts-")]


# --- the catalog against Microsoft's tables ------------------------------------------------

def test_every_metric_alert_uses_a_documented_metric_and_its_dimensions() -> None:
    table = documented()
    rules = load_metric_catalog()
    assert {r.metricName for r in rules} == {
        "TunnelAverageBandwidth", "TunnelEgressBytes", "TunnelIngressBytes",
        "TunnelEgressPacketDropCount", "TunnelIngressPacketDropCount",
        "TunnelEgressPacketDropTSMismatch", "TunnelIngressPacketDropTSMismatch",
        "BgpPeerStatus"}
    for rule in rules:
        metric = table[rule.metricName]
        assert set(rule.dimensions) <= set(metric["dimensions"]), rule.name
        assert rule.windowSize in metric["timeGrains"] or rule.windowSize == "PT1H", rule.name


def test_bgp_peer_status_is_split_per_peer_and_instance_and_cannot_be_a_log_alert() -> None:
    rule = next(r for r in load_metric_catalog() if r.metricName == "BgpPeerStatus")
    assert rule.dimensions == ("BgpPeerAddress", "Instance")
    # Why it is a metric alert: Microsoft's table says diagnostic settings cannot export it.
    assert documented()["BgpPeerStatus"]["dsExport"] is False
    assert rule.amba.alert is None


def test_amba_rules_carry_amba_guids_and_say_where_they_differ() -> None:
    amba = {r.amba.alert: r for r in load_metric_catalog() if r.amba.alert}
    assert amba["TunnelAverageBandwidth"].amba.guid == "09bb7f01-a715-437d-b692-325f89e1869e"
    assert amba["TunnelEgressPacketDropCount"].criterion.type == DYNAMIC
    assert amba["TunnelEgressPacketDropCount"].criterion.numberOfEvaluationPeriods == 4
    for rule in amba.values():
        assert "idle" not in rule.name or rule.severity > 0  # AMBA pages an idle tunnel at sev 0
        assert rule.amba.differs and rule.amba.follows


def _mutated(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load((METRIC_ALERTS_DIR / "bgp-peer-status.yaml").read_text())
    for dotted, value in changes.items():
        target = data
        *head, last = dotted.split("__")
        for key in head:
            target = target[key]
        target[last] = value
    path = tmp_path / "bgp-peer-status.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("changes", "message"), [
    ({"metric__name": "BgpPeerState"}, "is not a documented"),
    ({"metric__dimensions": ["RemoteIP"]}, "is not a dimension of BgpPeerStatus"),
    ({"windowSize": "PT1M", "evaluationFrequency": "PT1M"}, "smallest time grain"),
    ({"criterion__threshold": 0.5}, "integer"),
    ({"metric__timeAggregation": "Sum"}, "metric.timeAggregation"),
])
def test_catalog_rejects_what_microsoft_does_not_document(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        load_metric_alert(_mutated(tmp_path, **changes))


def test_activity_alerts_use_published_gateway_operations() -> None:
    published = {o["operation"].lower() for o in
                 json.loads(OPERATIONS_FILE.read_text())["operations"]}
    ops = {r.name: r.operationName for r in load_activity_catalog()}
    assert ops == {"gateway-deleted": "Microsoft.Network/virtualNetworkGateways/delete",
                   "gateway-config-written": "Microsoft.Network/virtualNetworkGateways/write"}
    assert {o.lower() for o in ops.values()} <= published


def test_an_unpublished_operation_name_is_rejected(tmp_path: Path) -> None:
    from gatewatch.catalog.metric import ACTIVITY_ALERTS_DIR, load_activity_alert

    data = yaml.safe_load((ACTIVITY_ALERTS_DIR / "gateway-deleted.yaml").read_text())
    data["condition"]["operationName"] = "Microsoft.Network/virtualNetworkGateways/remove"
    path = tmp_path / "gateway-deleted.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CatalogError, match=r"condition\.operationName: .* is not a published"):
        load_activity_alert(path)


def test_alert_names_are_unique_across_the_three_catalogs() -> None:
    names, with_severity = alert_names()
    assert {"tunnel-drop", "bgp-peer-status", "gateway-deleted"} <= names
    assert "gateway-deleted" not in with_severity


# --- the graph -----------------------------------------------------------------------------

def test_each_gateway_gets_every_metric_alert_into_the_log_alerts_action_group() -> None:
    rec = plan(with_alerts())
    group = rec.one(ACTION_GROUP, "vpn-alerts-action-group")
    rules = load_metric_catalog()
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
