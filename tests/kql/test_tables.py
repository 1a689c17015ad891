"""tables.yaml: the tables the queries use, with the documented VPN gateway columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewatch.kql.tables import SchemaError, load_schemas, schema_strings


def test_azure_diagnostics_has_the_vpn_gateway_columns() -> None:
    table = load_schemas()["AzureDiagnostics"]
    for column in ("TimeGenerated", "Category", "OperationName", "Message", "Resource",
                   "ResourceGroup", "_ResourceId", "remoteIP_s", "instance_s", "Level"):
        assert column in table.column_names, column
    assert table.type_of("TimeGenerated") == "datetime"


def test_event_table_supports_the_scheduled_event_alert() -> None:
    table = load_schemas()["Event"]
    assert table.type_of("EventID") == "int"
    for column in ("Computer", "EventLog", "RenderedDescription", "EventData", "_ResourceId"):
        assert column in table.column_names, column


# Column names as Microsoft's table references list them (MicrosoftDocs/azure-reference-other,
# azure-monitor-ref/tables/event.md + includes/event-include.md, and azurediagnostics.md; the
# AzureDiagnostics set below is the part of its 200-column list a VPN gateway row can fill).
EVENT_DOCUMENTED = frozenset({
    "AzureDeploymentID", "_BilledSize", "Computer", "EventCategory", "EventData", "EventID",
    "EventLevel", "EventLevelName", "EventLog", "_IsBillable", "ManagementGroupName", "Message",
    "ParameterXml", "RenderedDescription", "_ResourceId", "Role", "Source", "SourceSystem",
    "_SubscriptionId", "TimeGenerated", "Type", "UserName",
})
AZURE_DIAGNOSTICS_DOCUMENTED = frozenset({
    "AdditionalFields", "CallerIPAddress", "Category", "CorrelationId", "DurationMs", "Level",
    "Message", "OperationName", "OperationVersion", "properties_s", "Resource", "ResourceGroup",
    "_ResourceId", "ResourceProvider", "ResourceType", "ResultDescription", "ResultSignature",
    "ResultType", "SourceSystem", "SubscriptionId", "TenantId", "TimeGenerated", "Type",
})
# Created by TunnelDiagnosticLog rows (Microsoft Learn, the VPN Gateway troubleshooting article).
VPN_GATEWAY_COLUMNS = frozenset({"remoteIP_s", "instance_s", "status_s",
                                 "stateChangeReason_s"})


def test_every_column_is_in_microsofts_table_reference() -> None:
    tables = load_schemas()
    assert set(tables) == {"AzureDiagnostics", "Event"}
    assert set(tables["Event"].column_names) - EVENT_DOCUMENTED == set()
    undocumented = set(tables["AzureDiagnostics"].column_names) - AZURE_DIAGNOSTICS_DOCUMENTED
    assert undocumented == VPN_GATEWAY_COLUMNS


def test_documented_event_message_is_kept_and_undocumented_columns_are_not() -> None:
    event = load_schemas()["Event"].column_names
    assert "Message" in event  # documented: "Event message for the different Languages"
    assert not {"TenantId", "MG"} & set(event)
    assert "ResourceId" not in load_schemas()["AzureDiagnostics"].column_names


def test_schema_string_is_what_the_language_service_parses() -> None:
    text = schema_strings()["Event"]
    assert text.startswith("(TimeGenerated:datetime, SourceSystem:string")
    assert "EventID:int" in text


def test_unknown_type_names_table_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("tables:\n  T:\n    columns:\n      A: text\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"tables\.T\.columns\.A"):
        load_schemas(path)
