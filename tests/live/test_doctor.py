"""`gatewatch doctor` end to end: the real SDK clients over HTTP(S) against the stand-ins."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gatewatch.cli import main
from gatewatch.live.doctor.azure import FRESHNESS_LOOKBACK
from tests.support.live_world import GW_ID, STACK, VPN, World


def doctor(w: World, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(["doctor", "--config-file", str(w.config_file), "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else {}, out.err


def line(report: dict[str, object], check: str, target_part: str = "") -> dict[str, str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    found = [c for c in checks if c["check"] == check and target_part in c["target"]]
    assert len(found) == 1, (check, target_part, checks)
    return found[0]


def test_healthy_estate_is_all_ok_and_ran_the_kits_saved_query(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code = main(["doctor", "--config-file", str(w.config_file)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "all OK" in text and "STALE" not in text.split("STATUS")[1].replace("STALE", "", 0)
    # 1 setting + 5 categories + 4 rules + action group + 6 metric alerts (the catalog's
    # enabled ones) + 2 activity log alerts + 2 health alerts; log group + 2x2 tunnel lines
    # + 2 lifecycle-control lines + 3 alarms + the AWS Health rule
    assert text.count("\nOK ") == 1 + 5 + 4 + 1 + 6 + 2 + 2 + 1 + 4 + 2 + 3 + 1
    # the query that ran is queries/diagnostics-freshness.yaml with its two time bounds bound
    (query,) = w.azure.queries
    assert "summarize LastRecord = max(TimeGenerated), Records = count() by _ResourceId" in query
    assert "let StartTime = datetime(" in query and "ago(30d)" not in query
    assert w.azure.errors == []
    # each SDK client is built once and keeps its connection: the token endpoint, ARM's
    # resources, monitor and authorization clients, Log Analytics (not one per read)
    assert len(w.azure.requests) > 20 and w.azure.connections <= 5, w.azure.connections


def test_json_report_shape(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = doctor(estate.healthy(), capsys)
    assert code == 0 and report["ok"] is True and report["stack"] == STACK
    ike = line(report, "records IKEDiagnosticLog")
    assert ike["status"] == "OK" and "min ago" in ike["detail"]


def test_azure_stale_ike_records(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.rows[:] = [r for r in w.rows if r["Category"] != "IKEDiagnosticLog"]
    w.add_rows(w.diag_row("IKEDiagnosticLog", w.now - dt.timedelta(hours=10)))
    code, report, _ = doctor(w, capsys)
    assert code == 1
    ike = line(report, "records IKEDiagnosticLog")
    assert ike["status"] == "STALE" and "10 h ago" in ike["detail"] and ike["fix"]
    # event-driven categories are shown, never judged stale
    assert line(report, "records TunnelDiagnosticLog")["status"] == "OK"


def test_azure_missing_setting_records_and_rule(estate: World,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.azure.remove(f"{GW_ID}/providers/Microsoft.Insights/diagnosticSettings/gatewatch")
    w.azure.remove(w.rule_id("tunnel-drop"))
    w.rows[:] = [r for r in w.rows if r["Category"] != "IKEDiagnosticLog"]
    w.add_rows(w.diag_row("IKEDiagnosticLog", w.now - FRESHNESS_LOOKBACK - dt.timedelta(days=1)))
    code, report, _ = doctor(w, capsys)
    assert code == 1
    setting = line(report, "diagnostic setting 'gatewatch'")
    assert setting["status"] == "MISSING" and "pulumi up --stack live" in setting["fix"]
    # the last IKE record is older than the 30-day look-back: "never" in the window
    ike = line(report, "records IKEDiagnosticLog")
    assert (ike["status"], ike["detail"]) == ("MISSING", "never (in 30 d)")
    assert line(report, "alert rule", "gatewatch-tunnel-drop")["status"] == "MISSING"
    assert line(report, "alert rule", "gatewatch-gateway-maintenance")["status"] == "OK"


def test_azure_never_delivered_ike_is_missing(estate: World,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.rows[:] = [r for r in w.rows if r["Category"] != "IKEDiagnosticLog"]
    w.add_rows()
    code, report, _ = doctor(w, capsys)
    assert code == 1
    ike = line(report, "records IKEDiagnosticLog")
    assert ike["status"] == "MISSING" and ike["detail"].startswith("never")


def test_azure_wrong_categories_disabled_rule_and_lost_role(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    key = f"{GW_ID}/providers/Microsoft.Insights/diagnosticSettings/gatewatch".lower()
    w.azure.resources[key]["properties"]["logs"][3]["enabled"] = False  # IKEDiagnosticLog
    w.azure.resources[w.rule_id("bgp-peer-drop").lower()]["properties"]["enabled"] = False
    w.azure.role_assignments.clear()
    code, report, _ = doctor(w, capsys)
    assert code == 1
    setting = line(report, "diagnostic setting 'gatewatch'")
    assert setting["status"] == "WRONG" and "IKEDiagnosticLog" in setting["detail"]
    assert line(report, "alert rule", "bgp-peer-drop")["detail"] == "disabled"
    drop = line(report, "alert rule", "tunnel-drop")
    assert drop["status"] == "WRONG" and "no Reader" in drop["detail"]


def test_aws_stale_tunnel_events(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip2 = w.tunnel_ips()[1]
    # a second stream for tunnel 2 would hide the old one; rebuild its only stream old
    logs = w.boto("logs")
    logs.delete_log_stream(logGroupName=w.log_group, logStreamName=f"{VPN}-{ip2}")
    w.put_tunnel_events(ip2, [(w.now - dt.timedelta(hours=2), {"details": "DPD"})])
    code, report, _ = doctor(w, capsys)
    assert code == 1
    assert line(report, "tunnel log events", f"t1 {w.tunnel_ips()[0]}")["status"] == "OK"
    stale = line(report, "tunnel log events", f"t2 {ip2}")
    assert (stale["status"] == "STALE" and "120 min ago" in stale["detail"]) or \
        "2 h ago" in stale["detail"]


def test_aws_missing_logging_events_and_alarm(estate: World,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip2 = w.tunnel_ips()[1]
    w.ec2._tunnel(VPN, ip2).log_options = {"LogEnabled": False}
    w.boto("logs").delete_log_stream(logGroupName=w.log_group, logStreamName=f"{VPN}-{ip2}")
    w.boto("cloudwatch").delete_alarms(AlarmNames=[f"gatewatch-{VPN}-tunnel2-down"])
    code, report, _ = doctor(w, capsys)
    assert code == 1
    assert line(report, "tunnel log options", f"t2 {ip2}")["status"] == "MISSING"
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    events = line(report, "tunnel log events", f"t2 {ip2}")
    assert (events["status"], events["detail"]) == ("MISSING", "never")
    assert line(report, "alarm", "tunnel2-down")["status"] == "MISSING"
    assert line(report, "alarm", "tunnel1-down")["status"] == "OK"


def test_aws_tunnel_without_bgp_logs_or_lifecycle_control_is_wrong(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip1, ip2 = w.tunnel_ips()
    w.ec2._tunnel(VPN, ip1).log_options["BgpLogEnabled"] = False  # tunnel logs only
    w.ec2.set_lifecycle_control(VPN, ip2, False)
    code, report, _ = doctor(w, capsys)
    assert code == 1
    bgp = line(report, "tunnel log options", f"t1 {ip1}")
    assert bgp["status"] == "WRONG" and "BgpLogEnabled is False, want True" in bgp["detail"]
    assert line(report, "tunnel log options", f"t2 {ip2}")["status"] == "OK"
    lifecycle = line(report, "tunnel lifecycle control", f"t2 {ip2}")
    assert lifecycle["status"] == "WRONG" and "SkipTunnelReplacement" in lifecycle["fix"]
    assert line(report, "tunnel lifecycle control", f"t1 {ip1}")["status"] == "OK"


def test_aws_wrong_format_and_missing_log_group(estate: World,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip1 = w.tunnel_ips()[0]
    w.ec2._tunnel(VPN, ip1).log_options["LogOutputFormat"] = "text"
    code, report, _ = doctor(w, capsys)
    assert code == 1
    wrong = line(report, "tunnel log options", f"t1 {ip1}")
    assert wrong["status"] == "WRONG" and "LogOutputFormat is 'text'" in wrong["detail"]
    w.boto("logs").delete_log_group(logGroupName=w.log_group)
    code, report, err = doctor(w, capsys)
    assert report, err
    assert line(report, "log group")["status"] == "MISSING"


def test_missing_azure_login_is_exit_2_naming_az_login(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    monkeypatch.setenv("PATH", "/nonexistent")  # no `az`, `azd` or pwsh to ask
    # IMDS is the stand-in, answering as on a host with no managed identity assigned (never
    # the real 169.254.169.254; a dead address here makes azure-identity retry for ~5 s).
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", estate.azure_url)
    code, _, err = doctor(estate, capsys)
    assert code == 2
    assert "az login" in err and "Traceback" not in err and estate.azure.token not in err
    assert ("GET", "/metadata/identity/oauth2/token") in estate.azure.requests


def test_missing_aws_login_is_exit_2_naming_aws_configure(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    estate.healthy()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(estate.tmp / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(estate.tmp / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = doctor(estate, capsys)
    assert code == 2 and "aws configure" in err and "AWS_PROFILE" in err


def test_bad_config_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--config-file", str(tmp_path / "Pulumi.nope.yaml")])
    assert code == 2
    assert "file not found" in capsys.readouterr().err


def test_policy_based_gateway_read_from_arm_expects_two_categories(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.config_file.write_text(w.config_file.read_text().replace(
        "        vpnType: RouteBased\n", ""), encoding="utf-8")
    w.azure.put(GW_ID, {"name": "vpngw-hub-01", "type": "Microsoft.Network/"
                        "virtualNetworkGateways", "location": "japaneast",
                        "properties": {"vpnType": "PolicyBased", "gatewayType": "Vpn"}})
    key = f"{GW_ID}/providers/Microsoft.Insights/diagnosticSettings/gatewatch".lower()
    logs = w.azure.resources[key]["properties"]["logs"]
    logs[:] = [entry for entry in logs
               if entry["category"] in ("GatewayDiagnosticLog", "RouteDiagnosticLog")]
    code, report, _ = doctor(w, capsys)
    assert code == 0, report
    assert "2 categories (PolicyBased)" in line(report, "diagnostic setting 'gatewatch'")["detail"]
    records = sorted(c["check"] for c in report["checks"] if c["check"].startswith("records"))
    assert records == ["records GatewayDiagnosticLog", "records RouteDiagnosticLog"]
    assert ("GET", GW_ID) in w.azure.requests


def test_a_refused_read_is_one_line_exit_2(estate: World,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.azure.forbidden.add(w.rule_id("tunnel-drop").lower())
    code, report, err = doctor(w, capsys)
    assert code == 2 and report == {}
    assert err.startswith("error: Azure answered 403 AuthorizationFailed") and "Reader" in err
    assert "Traceback" not in err and w.azure.token not in err


# --- metric and activity log alerts (components/gateway_alerts.py) -----------------------------


def checks_of(report: dict[str, object]) -> list[dict[str, str]]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return checks


def test_metric_and_activity_alerts_ok_on_the_healthy_estate(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code, report, _ = doctor(w, capsys)
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
    code, report, _ = doctor(w, capsys)
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
    code, report, _ = doctor(w, capsys)
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
    code, report, _ = doctor(w, capsys)
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
    code, report, _ = doctor(w, capsys)
    assert code == 0, report
    kinds = {c["check"] for c in checks_of(report)}
    assert "metric alert" not in kinds
    # (the Service/Resource Health alerts of gateway_maintenance.py do not honour the tag)
    activity = {c["target"] for c in checks_of(report) if c["check"] == "activity log alert"}
    assert activity == {"gatewatch-vpn-gateway-maintenance", "gatewatch-vpn-gateway-health"}


# --- AWS Health rule and the BGP log group (components/aws_tunnel_logs.py) --------------------


def test_aws_health_rule_ok_missing_disabled_and_wrong_target(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    rule = f"gatewatch-vpn-maintenance-{STACK}"
    code, report, _ = doctor(w, capsys)
    assert code == 0
    ok = line(report, "AWS Health rule", rule)
    assert (ok["status"], ok["detail"]) == (
        "OK", f"VPN scheduled changes to gatewatch-vpn-alarms-{STACK}")
    events = w.boto("events")
    other = w.boto("sns").create_topic(Name="someone-elses-topic")["TopicArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "alarms", "Arn": other}])
    code, report, _ = doctor(w, capsys)
    target = line(report, "AWS Health rule", rule)
    assert code == 1 and target["status"] == "WRONG"
    assert target["detail"] == f"does not target SNS topic gatewatch-vpn-alarms-{STACK}"
    events.disable_rule(Name=rule)
    code, report, _ = doctor(w, capsys)
    state = line(report, "AWS Health rule", rule)
    assert (state["status"], state["detail"]) == ("WRONG", "state DISABLED")
    events.put_rule(Name=rule, EventPattern='{"source": ["aws.ec2"]}', State="ENABLED")
    code, report, _ = doctor(w, capsys)
    assert "event pattern" in line(report, "AWS Health rule", rule)["detail"]
    events.remove_targets(Rule=rule, Ids=["alarms"])
    events.delete_rule(Name=rule)
    code, report, _ = doctor(w, capsys)
    missing = line(report, "AWS Health rule", rule)
    assert code == 1 and missing["status"] == "MISSING" and "pulumi up" in missing["fix"]


BGP_GROUP = "/aws/vendedlogs/gatewatch/live-bgp"


def with_bgp_log_group(w: World) -> World:
    """The stack sends BGP logs to their own group (gatewatch:aws.bgpLogGroupName) and the
    tunnels log BGP there, as the rollout leaves them."""
    w.config_file.write_text(w.config_file.read_text().replace(
        "    vpnConnections:\n", f"    bgpLogGroupName: {BGP_GROUP}\n    vpnConnections:\n"),
        encoding="utf-8")
    arn = w.log_group_arn.replace(w.log_group, BGP_GROUP)
    for ip in w.tunnel_ips():
        w.ec2._tunnel(VPN, ip).log_options["BgpLogGroupArn"] = arn
    return w


def test_aws_separate_bgp_log_group_ok_and_missing(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = with_bgp_log_group(estate.healthy())
    code, report, _ = doctor(w, capsys)
    assert code == 1
    missing = line(report, "BGP log group", BGP_GROUP)
    assert missing["status"] == "MISSING" and "pulumi up" in missing["fix"]
    # the tunnels name the right (absent) group: their options are not blamed for it
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    w.boto("logs").create_log_group(logGroupName=BGP_GROUP)
    code, report, _ = doctor(w, capsys)
    assert code == 0, report
    assert line(report, "BGP log group", BGP_GROUP)["status"] == "OK"
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    # checked on its own: a lost tunnel-log group does not hide it
    w.boto("logs").delete_log_group(logGroupName=w.log_group)
    code, report, _ = doctor(w, capsys)
    assert line(report, "log group")["status"] == "MISSING"
    assert line(report, "BGP log group", BGP_GROUP)["status"] == "OK"


def test_service_and_resource_health_alerts(estate: World,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code, report, _ = doctor(w, capsys)
    assert code == 0
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-maintenance")[
        "status"] == "OK"
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-health")["status"] == "OK"
    w.azure.remove(w.health_alert_id("gatewatch-vpn-gateway-maintenance"))
    health = w.azure.resources[w.health_alert_id("gatewatch-vpn-gateway-health").lower()]
    health["properties"]["condition"]["allOf"][1]["anyOf"] = []
    code, report, _ = doctor(w, capsys)
    assert code == 1
    assert line(report, "activity log alert", "gatewatch-vpn-gateway-maintenance")[
        "status"] == "MISSING"
    watch = line(report, "activity log alert", "gatewatch-vpn-gateway-health")
    assert (watch["status"], watch["detail"]) == ("WRONG", "does not watch vpngw-hub-01")
    health["properties"]["enabled"] = False
    code, report, _ = doctor(w, capsys)
    off = line(report, "activity log alert", "gatewatch-vpn-gateway-health")
    assert (off["status"], off["detail"]) == ("WRONG", "disabled")
