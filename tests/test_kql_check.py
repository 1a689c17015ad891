"""Microsoft's Kusto language service accepts every alert and saved query, and really catches
the mistakes it is there to catch (a checker that passes everything would also pass these)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewatch.catalog import load_catalog, load_saved_queries
from gatewatch.kql.check import (
    ALLOWED_WARNINGS,
    KqlCheckerUnavailable,
    QueryCheck,
    _verdict,
    check_queries,
)


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


def test_a_warning_alone_fails_the_query_with_its_name_line_and_column() -> None:
    """KS508 (Microsoft's analyzer): a join without kind= is a Warning, not an Error; it
    parses and binds fine, so only a checker that fails warnings catches it."""
    result = _one("AzureDiagnostics\n| join (AzureDiagnostics) on Resource")
    assert not result.ok
    (diag,) = result.diagnostics
    assert (diag.severity, diag.code, diag.line, diag.column) == ("Warning", "KS508", 2, 3)
    assert result.describe().startswith("probe: line 2, column 3: Warning KS508")


def test_a_let_shadowed_by_a_column_is_a_failing_warning() -> None:
    result = _one('let Resource = "VPNGW01";\nAzureDiagnostics | where Resource == "x"')
    assert not result.ok
    assert [(d.severity, d.code) for d in result.diagnostics] == [("Warning", "KS510")]


def test_a_suggestion_is_reported_but_does_not_fail() -> None:
    result = _one('AzureDiagnostics | where Message contains "NO_PROPOSAL"')
    assert result.ok, result.describe()
    assert [(d.severity, d.code) for d in result.suggestions] == [("Suggestion", "KS500")]


def test_the_verdict_comes_from_the_severities_not_the_tools_ok() -> None:
    warning = {"message": "m", "severity": "Warning", "code": "KS508", "line": 1, "column": 2}
    hint = {"message": "h", "severity": "Suggestion", "code": "KS500", "line": 1, "column": 3}
    (result,) = [_verdict({"name": "q", "ok": True, "diagnostics": [warning, hint]})]
    assert not result.ok
    assert [d.code for d in result.diagnostics] == ["KS508"]
    assert [d.code for d in result.suggestions] == ["KS500"]


def test_no_warning_is_allowed_without_a_reason() -> None:
    assert ALLOWED_WARNINGS == {}

