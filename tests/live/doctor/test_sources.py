"""`gatewatch doctor` with one source dead or failing: every line it could check, the rest
UNCHECKED ("not checked: <source> <reason>") with what to do, exit 1. The failures are real
sockets and real 5xx answers of the stand-ins (tests/support/standins/faults.py)."""

from __future__ import annotations

import pytest

from gatewatch.cli import main
from tests.support.doctor import checks_of, line, run_doctor
from tests.support.live_world import VPN, World
from tests.support.standins.faults import refused_port

CATEGORIES = ("GatewayDiagnosticLog", "TunnelDiagnosticLog", "RouteDiagnosticLog",
              "IKEDiagnosticLog", "P2SDiagnosticLog")


def test_log_analytics_unreachable_marks_the_records_lines_and_checks_the_rest(
        estate: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = estate.healthy()
    with refused_port("https") as url:
        monkeypatch.setenv("GATEWATCH_LOGS_ENDPOINT", url)
        code, report, err = run_doctor(w, capsys)
        text_code = main(["doctor", "--config-file", str(w.config_file)])
        text = capsys.readouterr().out
    assert code == 1 and text_code == 1 and err == ""
    checks = checks_of(report)
    assert len(checks) == 32  # the same lines as when all is well
    for category in CATEGORIES:
        record = line(report, f"records {category}")
        assert record["status"] == "UNCHECKED"
        assert record["detail"] == f"not checked: Log Analytics connection refused to {url}"
        assert "network path" in record["fix"]
    # ARM (settings, alert rules, alerts, action group) and AWS still checked, all OK
    rest = [c for c in checks if not c["check"].startswith("records ")]
    assert len(rest) == 27 and {c["status"] for c in rest} == {"OK"}
    assert line(report, "diagnostic setting 'gatewatch'")["status"] == "OK"
    assert estate.azure.queries == []
    assert "UNCHECKED  azure  vpngw-hub-01" in text
    assert text.rstrip().endswith("32 checks, 5 not OK (5 not checked)")


def test_log_analytics_503_is_unchecked_with_retry_advice(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    w.azure.unavailable = True
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    record = line(report, "records IKEDiagnosticLog")
    assert record["status"] == "UNCHECKED"
    assert record["detail"] == (f"not checked: Log Analytics answered 503 ServiceUnavailable "
                                f"from {w.azure_url}")
    assert "run again in a few minutes" in record["fix"]
    assert sum(c["status"] == "OK" for c in checks_of(report)) == 27


def test_ec2_unreachable_leaves_the_connection_unchecked_and_checks_the_rest(
        estate: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = estate.healthy()
    with refused_port() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", url)
        code, report, err = run_doctor(w, capsys)
    assert code == 1 and err == ""
    connection = line(report, "VPN connection", VPN)
    assert connection["status"] == "UNCHECKED"
    assert connection["detail"] == f"not checked: EC2 connection refused to {url}/"
    # no tunnel lines (the tunnels are not known); the log group, alarms, AWS Health rule
    # and every Azure line are checked
    others = [c for c in checks_of(report) if c is not connection]
    assert len(others) == 32 - 6 and {c["status"] for c in others} == {"OK"}
    assert line(report, "log group")["status"] == "OK"
    assert line(report, "AWS Health rule")["status"] == "OK"
