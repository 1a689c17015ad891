"""doctor on Azure: the diagnostic setting, its categories and their records' freshness."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.live.doctor.azure import FRESHNESS_LOOKBACK
from tests.support.doctor import line, run_doctor
from tests.support.live_world import GW_ID, World


def test_azure_stale_ike_records(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.rows[:] = [r for r in w.rows if r["Category"] != "IKEDiagnosticLog"]
    w.add_rows(w.diag_row("IKEDiagnosticLog", w.now - dt.timedelta(hours=10)))
    code, report, _ = run_doctor(w, capsys)
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
    code, report, _ = run_doctor(w, capsys)
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
    code, report, _ = run_doctor(w, capsys)
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
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    setting = line(report, "diagnostic setting 'gatewatch'")
    assert setting["status"] == "WRONG" and "IKEDiagnosticLog" in setting["detail"]
    assert line(report, "alert rule", "bgp-peer-drop")["detail"] == "disabled"
    drop = line(report, "alert rule", "tunnel-drop")
    assert drop["status"] == "WRONG" and "no Reader" in drop["detail"]


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
    code, report, _ = run_doctor(w, capsys)
    assert code == 0, report
    assert "2 categories (PolicyBased)" in line(report, "diagnostic setting 'gatewatch'")["detail"]
    records = sorted(c["check"] for c in report["checks"] if c["check"].startswith("records"))
    assert records == ["records GatewayDiagnosticLog", "records RouteDiagnosticLog"]
    assert ("GET", GW_ID) in w.azure.requests
