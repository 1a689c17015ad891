"""`gatewatch doctor` end to end: the real SDK clients over HTTP(S) against the stand-ins."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gatewatch.cli import main
from gatewatch.doctor import FRESHNESS_LOOKBACK
from tests.live_world import GW_ID, STACK, VPN, World


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
    # 1 setting + 5 categories + 4 rules + action group; log group + 2x2 tunnel lines
    # + 2 lifecycle-control lines + 3 alarms
    assert text.count("\nOK ") == 1 + 5 + 4 + 1 + 1 + 4 + 2 + 3
    # the query that ran is queries/diagnostics-freshness.yaml with its two time bounds bound
    (query,) = w.azure.queries
    assert "summarize LastRecord = max(TimeGenerated), Records = count() by _ResourceId" in query
    assert "let StartTime = datetime(" in query and "ago(30d)" not in query
    assert w.azure.errors == []


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
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")  # no IMDS
    code, _, err = doctor(estate, capsys)
    assert code == 2
    assert "az login" in err and "Traceback" not in err and estate.azure.token not in err


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
