"""schemas.yaml: the tables the queries use, with the documented VPN gateway columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewatch.kql.schemas import SchemaError, load_schemas, schema_strings


def test_azure_diagnostics_has_the_vpn_gateway_columns() -> None:
    table = load_schemas()["AzureDiagnostics"]
    for column in ("TimeGenerated", "Category", "OperationName", "Message", "Resource",
                   "ResourceGroup", "ResourceId", "remoteIP_s", "instance_s", "Level"):
        assert column in table.column_names, column
    assert table.type_of("TimeGenerated") == "datetime"


def test_event_table_supports_the_scheduled_event_alert() -> None:
    table = load_schemas()["Event"]
    assert table.type_of("EventID") == "int"
    for column in ("Computer", "EventLog", "RenderedDescription", "EventData", "_ResourceId"):
        assert column in table.column_names, column


def test_schema_string_is_what_the_language_service_parses() -> None:
    text = schema_strings()["Event"]
    assert text.startswith("(TenantId:string, TimeGenerated:datetime")
    assert "EventID:int" in text


def test_unknown_type_names_table_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("tables:\n  T:\n    columns:\n      A: text\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"tables\.T\.columns\.A"):
        load_schemas(path)
