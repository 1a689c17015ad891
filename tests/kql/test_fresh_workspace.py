"""Azure validates an alert query when the rule is created (skipQueryValidation false): every
alert must resolve on a brand-new workspace, checked with the Kusto language service."""

from __future__ import annotations

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.kql.check import check_fresh_workspace
from gatewatch.kql.tables import fresh_workspace_schemas, load_schemas
from gatewatch.offline.runtime import run_program
from tests.support.kql import DeployedKql, deployed_kql  # noqa: F401 (a fixture)
from tests.support.stacks import estate_config


def test_fresh_workspace_variants_lack_the_vpn_columns_and_then_the_table() -> None:
    variants = list(fresh_workspace_schemas().values())
    assert len(variants) == 2
    no_columns, no_table = variants
    assert "remoteIP_s" in load_schemas()["AzureDiagnostics"].column_names
    assert "remoteIP_s" not in no_columns["AzureDiagnostics"].column_names
    assert "instance_s" not in no_columns["AzureDiagnostics"].column_names
    assert "stateChangeReason_s" in load_schemas()["AzureDiagnostics"].column_names
    assert "stateChangeReason_s" not in no_columns["AzureDiagnostics"].column_names
    assert "AzureDiagnostics" not in no_table and "Event" in no_table


def test_every_alert_resolves_on_a_fresh_workspace(
        deployed_kql: DeployedKql) -> None:  # noqa: F811
    results = deployed_kql.fresh
    assert set(results) == {f"{variant}: {rule.name}" for variant in fresh_workspace_schemas()
                            for rule in load(LogSearchAlertRule)}
    assert all(r.ok for r in results.values()), [
        r.describe() for r in results.values() if not r.ok]


def test_a_query_that_needs_vpn_columns_or_the_table_fails_the_fresh_check() -> None:
    old_style = ("AzureDiagnostics\n| where TimeGenerated > ago(1h)\n"
                 "| where Category == \"TunnelDiagnosticLog\"\n| project remoteIP_s, instance_s")
    no_columns, no_table = check_fresh_workspace([("old", old_style)])
    assert not no_columns.ok and "remoteIP_s" in no_columns.describe()
    assert not no_table.ok and "AzureDiagnostics" in no_table.describe()


def test_rules_ask_azure_to_validate_their_queries() -> None:
    rec = run_program(estate_config(), stack="test")
    rules = rec.by_type("azure-native:monitor:ScheduledQueryRule")
    assert len(rules) == len(load(LogSearchAlertRule))
    assert all(r.inputs["skipQueryValidation"] is False for r in rules), [r.urn for r in rules]
