"""The CloudWatch dashboard body, checked against AWS's documented structure (a JSON Schema of
"CloudWatch Dashboard Body Structure and Syntax"), on the recorded resource graph."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from gatewatch.aws.dashboard import dashboard_body
from gatewatch.catalog.load import load
from gatewatch.catalog.model import InsightsQuery
from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.aws_stack import VPN_A, VPN_B, config
from tests.support.graph import plan

SCHEMA = json.loads((ROOT / "tests" / "support" / "vendor" / "aws" /
                     "cloudwatch-dashboard-body.schema.json").read_text())


def validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def test_the_dashboard_body_follows_awss_documented_structure() -> None:
    rec = plan(config(), preview=False)
    dashboard = rec.one("aws:cloudwatch/dashboard:Dashboard", "aws-tunnel-logs-dashboard")
    assert dashboard.inputs["dashboardName"] == "gatewatch-vpn-test"
    body = json.loads(dashboard.inputs["dashboardBody"])
    errors = sorted(validator().iter_errors(body), key=str)
    assert errors == [], [e.message for e in errors]
    widgets = body["widgets"]
    states = [w for w in widgets if w["properties"].get("title", "").startswith("TunnelState")]
    assert [w["properties"]["title"] for w in states] == [f"TunnelState {VPN_A}",
                                                          f"TunnelState {VPN_B}"]
    expression = states[0]["properties"]["metrics"][0][0]["expression"]
    assert f'VpnId="{VPN_A}"' in expression and "TunnelIpAddress" in expression
    logs = [w for w in widgets if w["type"] == "log"]
    assert len(logs) == len(load(InsightsQuery))
    assert all(w["properties"]["query"].startswith(
        "SOURCE '/aws/vendedlogs/gatewatch/test' | ") for w in logs)
    failures = [w for w in widgets if "negotiation failures" in
                w["properties"].get("title", "")]
    assert failures[0]["properties"]["metrics"] == [["Gatewatch/VPN",
                                                     "TunnelNegotiationFailures"]]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b.pop("widgets"),
        lambda b: b["widgets"][1].update(width=30),
        lambda b: b["widgets"][1].update(type="graph"),
        lambda b: b["widgets"][-1]["properties"].pop("region"),
        lambda b: b["widgets"][-1]["properties"].update(query="fields @timestamp"),
        lambda b: b["widgets"][1]["properties"].update(period=90),
        lambda b: b["widgets"][1]["properties"]["metrics"][0][0].update(id="E1"),
        lambda b: b.update(periodOverride="always"),
    ],
)
def test_the_dashboard_schema_rejects_what_aws_documents_as_invalid(breakage: Any) -> None:
    body = json.loads(dashboard_body("us-east-1", [VPN_A], "/g", None, load(InsightsQuery),
                                     ("Gatewatch/VPN", "TunnelNegotiationFailures")))
    assert list(validator().iter_errors(body)) == []
    breakage(body)
    assert list(validator().iter_errors(body)) != []
