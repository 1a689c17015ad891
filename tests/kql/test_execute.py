"""The fixture executor: typed tables, a pinned clock, ingestion_time() simulated honestly."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.kql.execute import FixtureError, prepare_query, run_query

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _row(minutes_ago: int, ingested_minutes_ago: int | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "TimeGenerated": NOW - dt.timedelta(minutes=minutes_ago),
        "Category": "GatewayDiagnosticLog",
        "Resource": "VPNGW01",
    }
    if ingested_minutes_ago is not None:
        row["$IngestionTime"] = NOW - dt.timedelta(minutes=ingested_minutes_ago)
    return row


def test_ago_uses_the_pinned_now() -> None:
    rows = {"AzureDiagnostics": [_row(10), _row(70)]}
    result = run_query("AzureDiagnostics | where TimeGenerated > ago(1h) | count", rows, NOW)
    assert result == [{"Count": 1}]


def test_rows_not_yet_ingested_at_now_are_invisible() -> None:
    rows = {"AzureDiagnostics": [_row(10, ingested_minutes_ago=-2), _row(10, 1)]}
    result = run_query("AzureDiagnostics | count", rows, NOW)
    assert result == [{"Count": 1}]


def test_ingestion_time_is_rewritten_to_the_fixture_column() -> None:
    assert "ingestion_time" not in prepare_query("T | where ingestion_time() > ago(5m)")
    rows = {"AzureDiagnostics": [_row(30, 3), _row(30, 8)]}
    query = "AzureDiagnostics | where ingestion_time() > ago(5m) | count"
    assert run_query(query, rows, NOW) == [{"Count": 1}]


def test_datetimes_come_back_as_aware_utc() -> None:
    rows = {"AzureDiagnostics": [_row(5)]}
    (record,) = run_query("AzureDiagnostics | project TimeGenerated", rows, NOW)
    assert record["TimeGenerated"] == NOW - dt.timedelta(minutes=5)


def test_unknown_fixture_column_is_rejected() -> None:
    rows = {"AzureDiagnostics": [{"TimeGenerated": NOW, "RemoteIP_s": "1.2.3.4"}]}
    with pytest.raises(FixtureError, match=r"AzureDiagnostics\[0\].*RemoteIP_s"):
        run_query("AzureDiagnostics | count", rows, NOW)


def test_unknown_fixture_table_is_rejected() -> None:
    with pytest.raises(FixtureError, match="Heartbeat"):
        run_query("AzureDiagnostics | count", {"Heartbeat": []}, NOW)
