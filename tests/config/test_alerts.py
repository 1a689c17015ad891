"""gatewatch:azure.alerts: receivers (mail, webhooks whose URL is never printed), the role scope,
and alert names checked against the three catalogs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gatewatch.cli import main
from gatewatch.config.model import parse_config
from tests.support.stacks import base_config, problem_lines, problems, with_alerts, with_azure

TOKEN = "sig=Zm9vYmFyc2VjcmV0dG9rZW4"  # a webhook URL's credential: must never be printed


def test_alert_config_errors_name_each_key() -> None:
    config = base_config()
    config["gatewatch:azure"]["alerts"] = {
        "emails": ["netops@example.com", "not-an-address"],
        "webhooks": [{"name": "teams", "uri": "http://insecure.example.com"}],
        "roleScope": "subscription",
        "disabled": ["no-such-alert"],
        "severities": {"tunnel-drop": 9},
    }
    found = problems(config)
    assert "not an email address" in found["gatewatch:azure.alerts.emails[1]"]
    assert "https" in found["gatewatch:azure.alerts.webhooks[0].uri"]
    assert "workspace, resourceGroup" in found["gatewatch:azure.alerts.roleScope"]
    assert "tunnel-drop" in found["gatewatch:azure.alerts.disabled[0]"]
    assert "0 to 4" in found["gatewatch:azure.alerts.severities.tunnel-drop"]


def test_empty_alert_email_list_is_an_error() -> None:
    config = base_config()
    config["gatewatch:azure"]["alerts"] = {"emails": []}
    assert "empty list" in problems(config)["gatewatch:azure.alerts.emails"]


def test_emails_differing_only_in_case_are_duplicates() -> None:
    found = problems(with_azure(alerts={"emails": ["NetOps@Example.com", "netops@example.com"]}))
    message = found["gatewatch:azure.alerts.emails[1]"]
    assert message.startswith("duplicate of gatewatch:azure.alerts.emails[0]")
    assert "differ only in case" in message
    aws = base_config()
    aws["gatewatch:aws"] = {"region": "ap-northeast-1", "vpnConnections": ["vpn-0123456789abcdef0"],
                            "alarmEmails": ["a@example.com", "A@EXAMPLE.COM"]}
    assert "duplicate of gatewatch:aws.alarmEmails[0]" in problems(aws)[
        "gatewatch:aws.alarmEmails[1]"]


def test_alerts_of_every_catalog_can_be_disabled_log_and_metric_ones_re_severitied() -> None:
    azure = parse_config(with_alerts(
        disabled=["gateway-deleted", "bgp-peer-status", "tunnel-drop"],
        severities={"bgp-peer-status": 1, "tunnel-drop": 2})).azure
    assert azure is not None and azure.alerts is not None
    assert azure.alerts.disabled == {"gateway-deleted", "bgp-peer-status", "tunnel-drop"}
    assert dict(azure.alerts.severities) == {"bgp-peer-status": 1, "tunnel-drop": 2}


def test_an_activity_log_alert_takes_no_severity() -> None:
    assert problem_lines(with_alerts(severities={"gateway-deleted": 1})) == [
        "gatewatch:azure.alerts.severities.gateway-deleted: 'gateway-deleted' is an activity "
        "log alert, and activity log alerts have no severity in Azure's API; remove it from "
        "gatewatch:azure.alerts.severities; to stop it, list it under "
        "gatewatch:azure.alerts.disabled"]


def test_an_unknown_alert_name_lists_all_three_catalogs() -> None:
    (line,) = problem_lines(with_alerts(disabled=["gateway-delete"]))
    assert line.startswith("gatewatch:azure.alerts.disabled[0]: 'gateway-delete' is not an "
                           "alert of the catalog; did you mean 'gateway-deleted'? use one of ")
    for name in ("gateway-deleted", "bgp-peer-status", "tunnel-drop"):
        assert name in line


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_no_error_or_plan_output_prints_a_webhook_token(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    good = with_azure(alerts={"emails": ["a@example.com"], "webhooks": [
        {"name": "teams", "uri": f"https://hooks.example.com/workflows/1?{TOKEN}"}]})
    path = tmp_path / "Pulumi.w.yaml"
    path.write_text(yaml.safe_dump({"config": good}), encoding="utf-8")
    for args in (["plan", "--config-file", str(path)],
                 ["plan", "--json", "--config-file", str(path)]):
        code, output = _run(args, capsys)
        assert code == 0 and TOKEN not in output
    assert '"webhookReceivers": "[secret]"' in output  # the JSON plan marks it, never shows it
    assert TOKEN not in json.dumps(json.loads(output))  # nor once its escapes are read back
    bad = with_azure(alerts={"emails": ["a@example.com"], "webhooks": [
        {"name": "teams", "uri": f"http://hooks.example.com/workflows/1?{TOKEN}"},
        {"name": "teams", "uri": f"ftp {TOKEN}"}]})
    path.write_text(yaml.safe_dump({"config": bad}), encoding="utf-8")
    code, output = _run(["plan", "--config-file", str(path)], capsys)
    assert code == 2
    assert "gatewatch:azure.alerts.webhooks[0].uri: the value (not shown" in output
    assert TOKEN not in output
