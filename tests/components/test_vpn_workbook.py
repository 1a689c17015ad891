"""The on-call workbook: Microsoft's workbook schema, the Kusto language service, its queries
executed over the alert fixtures (the drop classification must agree with the tunnel-drop
alert's on the same rows), and its body against the workbooks API definition."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from gatewatch.azure.metrics import documented_metrics
from gatewatch.azure.workbook_template import (
    METRIC_AGGREGATIONS,
    drops_query,
    workbook_content,
    workbook_queries,
)
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.checks.api_definitions import check_resource, describe
from gatewatch.kql.check import check_queries
from gatewatch.kql.execute import run_query
from gatewatch.paths import ALERTS_DIR, AZURE_VENDOR_DIR
from tests.catalog.test_alert_queries import (
    IN_0,
    IN_1,
    REMOTE,
    T0,
    gateway_log,
    m,
    maintenance,
    s,
    tunnel,
)
from tests.support.graph import plan
from tests.support.kql import DeployedKql, deployed_kql  # noqa: F401 (a fixture)
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config

SCHEMA = AZURE_VENDOR_DIR / "workbook-schema.json"
WORKBOOK = "azure-native:applicationinsights:Workbook"
CLASSIFICATION = ALERTS_DIR / "shared" / "tunnel-drop-classification.kql"


def recorded_workbook(preview: bool = False) -> Any:
    rec = plan(base_config(), preview=preview)
    [book] = rec.by_type(WORKBOOK)
    return rec, book


def test_the_workbook_json_is_valid_against_microsofts_schema() -> None:
    _, book = recorded_workbook()
    content = json.loads(book.inputs["serializedData"])
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(content), key=str)
    assert errors == [], [e.message for e in errors]
    # control: the schema does reject a workbook without items
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"version": "Notebook/1.0"}))


def test_the_workbook_body_matches_the_workbooks_api_definition() -> None:
    rec, book = recorded_workbook()
    # Microsoft.Insights/workbooks@2023-06-01 (vendor/azure-api-specs/manifest.json)
    problems = check_resource(book)
    assert problems == [], [describe(p) for p in problems]
    # control: the definition does reject a read-only property sent (userId is the owner's)
    broken = replace(book, inputs={**book.inputs, "userId": "someone"})
    assert [p.message for p in check_resource(broken) if p.rule == "bicep-types"] == \
        ["Additional properties are not allowed ('userId' was unexpected)"]
    assert book.inputs["kind"] == "shared" and book.inputs["category"] == "workbook"
    assert str(uuid.UUID(book.inputs["resourceName"])) == book.inputs["resourceName"]
    workspace = rec.one("azure-native:operationalinsights:Workspace", "monitoring-workspace")
    assert book.property_dependencies["sourceId"] == [workspace.urn]


def test_the_workbook_name_is_the_same_on_every_run_and_differs_per_stack() -> None:
    _, first = recorded_workbook(preview=True)
    _, again = recorded_workbook(preview=True)
    assert first.inputs["resourceName"] == again.inputs["resourceName"]
    other = base_config()
    other["gatewatch:azure"]["resourceGroupName"] = "rg-gatewatch-other"
    [book] = plan(other).by_type(WORKBOOK)
    assert book.inputs["resourceName"] != first.inputs["resourceName"]


def test_every_workbook_query_passes_the_kusto_language_service(
        deployed_kql: DeployedKql) -> None:  # noqa: F811
    results = [deployed_kql.workbook[name] for name, _ in workbook_queries()]
    assert [r.name for r in results if not r.ok] == [], [r.describe() for r in results]
    # control: the checker does see a column the schema lacks
    [bad] = check_queries([("bad", "AzureDiagnostics | project remoteIP")])
    assert not bad.ok


def test_the_drop_timeline_and_the_alert_read_one_classification_file() -> None:
    lines = CLASSIFICATION.read_text().splitlines()
    body = "\n".join(lines[next(i for i, line in enumerate(lines)
                                if not line.startswith("//")):])
    alert = next(r for r in load(LogSearchAlertRule) if r.name == "tunnel-drop")
    assert body in drops_query()
    assert body in alert.query
    # the tunables too come from the alert, not a copy
    for tunable in ("let FailoverSeconds = 60;", "let MaintenanceSeconds = 3600;"):
        assert tunable in alert.query and tunable in drops_query()
    assert "@include" not in alert.query and "@include" not in drops_query()


SCENARIOS: list[tuple[str, list[dict[str, Any]]]] = [
    ("failover", [tunnel("Disconnected", s(0)), tunnel("Connected", s(20), IN_1)]),
    ("same instance", [tunnel("Disconnected", s(0)), tunnel("Connected", s(90))]),
    ("slow other instance", [tunnel("Disconnected", s(0)), tunnel("Connected", s(240), IN_1)]),
    ("still down", [tunnel("Connected", -m(30)), tunnel("Disconnected", s(0))]),
    ("active-active pair", [tunnel("Disconnected", s(0)), tunnel("Disconnected", s(2), IN_1),
                            tunnel("Connected", s(40), IN_1), tunnel("Connected", s(45))]),
    ("maintenance", [maintenance(-m(20)), tunnel("Disconnected", s(0)),
                     tunnel("Connected", s(15), IN_1)]),
]


@pytest.mark.parametrize(("label", "rows"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_the_workbook_classifies_each_drop_as_the_alert_does(
    label: str, rows: list[dict[str, Any]]
) -> None:
    alert = next(r for r in load(LogSearchAlertRule) if r.name == "tunnel-drop")
    now = T0 + m(10)  # the alert's evaluation that reports these drops
    by_alert = sorted((r["instance_s"], r["Classification"], r["MaintenanceNearby"])
                      for r in run_query(alert.query, {"AzureDiagnostics": rows}, now))
    by_workbook = sorted((r["Instance"], r["Classification"], r["MaintenanceNearby"])
                         for r in run_query(drops_query(), {"AzureDiagnostics": rows}, now))
    assert by_alert, label
    assert by_workbook == by_alert, label


def test_the_timeline_overlays_maintenance_and_configuration_per_tunnel() -> None:
    rows = [maintenance(-m(5)), gateway_log("SetGatewayConfiguration", -m(2)),
            tunnel("Disconnected", s(0)), tunnel("Connected", s(20), IN_1)]
    queries = dict(workbook_queries())
    result = run_query(queries["tunnel-timeline"], {"AzureDiagnostics": rows}, T0 + m(10))
    assert [(r["Tunnel"], r["Event"]) for r in result] == [
        ("VPNGW01 / gateway", "HostMaintenanceEvent"),
        ("VPNGW01 / gateway", "SetGatewayConfiguration"),
        (f"VPNGW01 / {REMOTE}", "TunnelDisconnected"),
        (f"VPNGW01 / {REMOTE}", "TunnelConnected"),
    ]
    assert result[2]["Instance"] == IN_0


def test_bgp_ike_and_p2s_sections_read_their_categories() -> None:
    rows = [gateway_log("BgpDisconnectedEvent", s(0), category="RouteDiagnosticLog"),
            gateway_log("StaticRouteUpdate", s(1), category="RouteDiagnosticLog"),
            gateway_log("P2SLogEvent", s(2), category="P2SDiagnosticLog"),
            {**gateway_log("IKELogEvent", s(3), category="IKEDiagnosticLog"),
             "Message": "SESSION_ID :{x} Remote 203.0.113.10:500: Local 198.51.100.1:500: "
                        "Received notify AUTHENTICATION_FAILED"},
            {**gateway_log("IKELogEvent", s(4), category="IKEDiagnosticLog"),
             "Message": "IKE_SA_INIT request sent"}]
    queries = dict(workbook_queries())
    now = T0 + m(10)
    bgp = run_query(queries["bgp-changes"], {"AzureDiagnostics": rows}, now)
    assert [r["Event"] for r in bgp] == ["BgpDisconnectedEvent"]
    ike = run_query(queries["ike-failures"], {"AzureDiagnostics": rows}, now)
    assert [r["Message"].endswith("AUTHENTICATION_FAILED") for r in ike] == [True]
    p2s = run_query(queries["p2s-counts"], {"AzureDiagnostics": rows}, now)
    assert [r["Events"] for r in p2s] == [1]


def test_the_metric_view_charts_documented_metrics_of_the_watched_gateways() -> None:
    content = workbook_content([ROUTE_GW, POLICY_GW])
    [metrics] = [i for i in content["items"] if i["type"] == 10]
    assert metrics["content"]["resourceIds"] == [ROUTE_GW, POLICY_GW]
    table = documented_metrics()
    names = {v: k for k, v in METRIC_AGGREGATIONS.items()}
    for item in metrics["content"]["metrics"]:
        name = item["metric"].split("--", 1)[1]
        assert names[item["aggregation"]] in table[name].aggregation, name
        assert item["splitBy"] in table[name].dimensions, name
