"""Microsoft's Kusto language service accepts every alert and saved query, and really catches
the mistakes it is there to catch (a checker that passes everything would also pass these)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewatch.catalog import load_catalog, load_saved_queries
from gatewatch.kql.check import KqlCheckerUnavailable, QueryCheck, check_queries


@pytest.fixture(scope="module")
def catalog_checks() -> list[QueryCheck]:
    queries = [(f"alerts/{r.name}", r.query) for r in load_catalog()]
    queries += [(f"queries/{q.name}", q.body) for q in load_saved_queries()]
    return check_queries(queries)


def test_every_alert_and_saved_query_passes_the_language_service(
    catalog_checks: list[QueryCheck],
) -> None:
    failures = [c.describe() for c in catalog_checks if not c.ok]
    assert not failures, "\n".join(failures)
    assert len(catalog_checks) >= 10


def _one(text: str) -> QueryCheck:
    (result,) = check_queries([("probe", text)])
    return result


def test_unknown_column_is_an_error_with_its_line_and_column() -> None:
    result = _one('AzureDiagnostics\n| where Category == "TunnelDiagnosticLog"\n| project remoteIp')
    assert not result.ok
    (diag,) = result.diagnostics
    assert "remoteIp" in diag.message
    assert (diag.line, diag.column) == (3, 11)


def test_column_names_are_case_sensitive_unlike_duckdb_kql() -> None:
    result = _one("AzureDiagnostics | project remoteip_s, Instance_s")
    assert not result.ok
    assert len(result.diagnostics) == 2


def test_unknown_table_is_an_error() -> None:
    result = _one("AzureDiagnostic | take 1")
    assert not result.ok
    assert "AzureDiagnostic" in result.diagnostics[0].message


def test_syntax_error_is_an_error() -> None:
    result = _one('AzureDiagnostics\n| where (Category == "x"\n| count')
    assert not result.ok
    assert result.diagnostics[0].line >= 2


def test_unknown_function_is_an_error() -> None:
    assert not _one("AzureDiagnostics | extend x = frobnicate(Resource)").ok


def test_event_table_is_known_for_the_scheduled_event_alert() -> None:
    result = _one(
        "Event\n| where EventLog == \"Application\" and EventID == 1234\n"
        "| project TimeGenerated, Computer, RenderedDescription, _ResourceId"
    )
    assert result.ok, result.describe()


def test_a_batch_keeps_input_order_and_names() -> None:
    results = check_queries([("a", "AzureDiagnostics | count"), ("b", "Nope | count")])
    assert [(r.name, r.ok) for r in results] == [("a", True), ("b", False)]


def test_missing_npm_install_says_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(KqlCheckerUnavailable, match="run make setup"):
        check_queries([("a", "AzureDiagnostics | count")], tool_dir=tmp_path)
