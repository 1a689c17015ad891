"""doctor on Azure's alerting: the log search rules' action group, metric and activity log alerts
(components/gateway_alerts.py), Service and Resource Health alerts
(components/gateway_maintenance.py)."""

from __future__ import annotations

import pytest

from tests.support.doctor import checks_of, line, run_doctor
from tests.support.live_world import GW_ID, World


def test_metric_and_activity_alerts_ok_on_the_healthy_estate(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code, report, _ = run_doctor(w, capsys)
    assert code == 0
    checks = report["checks"]
    assert isinstance(checks, list)
    metric = sorted(c["target"] for c in checks if c["check"] == "metric alert")
    assert metric == sorted(f"gatewatch-{r}-vpngw-hub-01" for r in w.metric_rules())
    # rules off in their catalog file (enabled: false) are deployed disabled: not checked
    assert not any("tunnel-egress-idle" in t for t in metric)
    bgp = line(report, "metric alert", "gatewatch-bgp-peer-status-vpngw-hub-01")
    assert (bgp["status"], bgp["detail"]) == ("OK", "enabled on vpngw-hub-01")
    deleted = line(report, "activity log alert", "gatewatch-gateway-deleted")
    assert (deleted["status"], deleted["detail"]) == ("OK", "enabled on 1 gateway(s)")
    assert line(report, "activity log alert", "gateway-config-written")["status"] == "OK"


def test_metric_and_activity_alerts_missing_and_disabled(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.azure.remove(w.metric_alert_id("bgp-peer-status"))
    w.azure.resources[w.metric_alert_id("tunnel-ingress-packet-drops").lower()][
        "properties"]["enabled"] = False
    w.azure.remove(w.activity_alert_id("gateway-deleted"))
    w.azure.resources[w.activity_alert_id("gateway-config-written").lower()][
        "properties"]["enabled"] = False
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    missing = line(report, "metric alert", "bgp-peer-status")
    assert missing["status"] == "MISSING" and "pulumi up --stack live" in missing["fix"]
    disabled = line(report, "metric alert", "tunnel-ingress-packet-drops")
    assert (disabled["status"], disabled["detail"]) == ("WRONG", "disabled")
    assert "gatewatch:azure.alerts.disabled" in disabled["fix"]
    assert line(report, "metric alert", "tunnel-egress-packet-drops")["status"] == "OK"
    assert line(report, "activity log alert", "gateway-deleted")["status"] == "MISSING"
    written = line(report, "activity log alert", "gateway-config-written")
    assert (written["status"], written["detail"]) == ("WRONG", "disabled")
    # the reads went through azure-mgmt-monitor to the two ARM resource types
    paths = {p.lower() for _, p in w.azure.requests}
    assert w.metric_alert_id("bgp-peer-status").lower() in paths
    assert w.activity_alert_id("gateway-deleted").lower() in paths


def test_metric_alert_on_another_scope_and_activity_alert_not_watching_the_gateway(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    props = w.azure.resources[w.metric_alert_id("bgp-peer-status").lower()]["properties"]
    props["scopes"] = [GW_ID.replace("vpngw-hub-01", "vpngw-other")]
    cond = w.azure.resources[w.activity_alert_id("gateway-deleted").lower()]["properties"][
        "condition"]["allOf"]
    cond[-1]["anyOf"] = [{"field": "resourceId", "equals": "/subscriptions/x/other"}]
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    scoped = line(report, "metric alert", "bgp-peer-status")
    assert (scoped["status"], scoped["detail"]) == ("WRONG", "not scoped to vpngw-hub-01")
    watch = line(report, "activity log alert", "gateway-deleted")
    assert (watch["status"], watch["detail"]) == ("WRONG", "does not watch vpngw-hub-01")


def test_rules_disabled_in_config_and_monitor_disable_gateways_are_not_checked(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.config_file.write_text(w.config_file.read_text().replace(
        "    alerts:\n", "    alerts:\n      disabled:\n        - bgp-peer-status\n"
        "        - gateway-deleted\n"), encoding="utf-8")
    w.azure.resources[w.metric_alert_id("bgp-peer-status").lower()][
        "properties"]["enabled"] = False
    w.azure.resources[w.activity_alert_id("gateway-deleted").lower()][
        "properties"]["enabled"] = False
    code, report, _ = run_doctor(w, capsys)
    assert code == 0, report
    targets = {c["target"] for c in checks_of(report)}
    assert "gatewatch-bgp-peer-status-vpngw-hub-01" not in targets
    assert "gatewatch-gateway-deleted" not in targets
    assert line(report, "metric alert", "tunnel-ingress-packet-drops")["status"] == "OK"
    # AMBA's opt-out tag on the gateway: the program deploys neither kind for it
    w.azure.resources[GW_ID.lower()]["tags"] = {"MonitorDisable": "true"}
    for rule in w.metric_rules():
        w.azure.remove(w.metric_alert_id(rule))
    for rule in w.activity_rules():
        w.azure.remove(w.activity_alert_id(rule))
    code, report, _ = run_doctor(w, capsys)
    assert code == 0, report
    kinds = {c["check"] for c in checks_of(report)}
    assert "metric alert" not in kinds
    # (the Service/Resource Health alerts of gateway_maintenance.py do not honour the tag)
    activity = {c["target"] for c in checks_of(report) if c["check"] == "activity log alert"}
    assert activity == {"gatewatch-vpn-gateway-maintenance", "gatewatch-vpn-gateway-health"}


def test_service_and_resource_health_alerts(estate: World,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code, report, _ = run_doctor(w, capsys)
    assert code == 0
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-maintenance")[
        "status"] == "OK"
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-health")["status"] == "OK"
    w.azure.remove(w.health_alert_id("gatewatch-vpn-gateway-maintenance"))
    health = w.azure.resources[w.health_alert_id("gatewatch-vpn-gateway-health").lower()]
    health["properties"]["condition"]["allOf"][1]["anyOf"] = []
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-maintenance")[
        "status"] == "MISSING"
    watch = line(report, "activity log alert", "gatewatch-vpn-gateway-health")
    assert (watch["status"], watch["detail"]) == ("WRONG", "does not watch vpngw-hub-01")
    health["properties"]["enabled"] = False
    code, report, _ = run_doctor(w, capsys)
    off = line(report, "activity log alert", "gatewatch-vpn-gateway-health")
    assert (off["status"], off["detail"]) == ("WRONG", "disabled")
