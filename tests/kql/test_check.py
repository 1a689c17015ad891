"""Microsoft's Kusto language service accepts every alert and saved query, and really catches
the mistakes it is there to catch (a checker that passes everything would also pass these)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.kql.check import (
    ALLOWED_WARNINGS,
    KqlCheckerUnavailable,
    QueryCheck,
    _verdict,
    check_queries,
)
from gatewatch.paths import KQL_TOOL_DIR
from tests.support.kql import DeployedKql, deployed_kql  # noqa: F401 (a fixture)


def test_every_alert_and_saved_query_passes_the_language_service(
    deployed_kql: DeployedKql,  # noqa: F811
) -> None:
    checks = {f"alerts/{name}": c for name, c in deployed_kql.alerts.items()}
    checks |= {f"queries/{name}": c for name, c in deployed_kql.saved_queries.items()}
    assert set(checks) == ({f"alerts/{r.name}" for r in load(LogSearchAlertRule)}
                           | {f"queries/{q.name}" for q in load(SavedQuery)})
    failures = [f"{name.split('/')[0]}/{c.describe()}" for name, c in checks.items() if not c.ok]
    assert not failures, "\n".join(failures)
    assert len(checks) >= 10


# Each probe below is checked by its test; all of them in one run of the tool (start-up costs
# more than the checks), named by the test that reads the verdict.
PROBES = {
    "unknown column":
        'AzureDiagnostics\n| where Category == "TunnelDiagnosticLog"\n| project remoteIp',
    "case": "AzureDiagnostics | project remoteip_s, Instance_s",
    "unknown table": "AzureDiagnostic | take 1",
    "syntax": 'AzureDiagnostics\n| where (Category == "x"\n| count',
    "unknown function": "AzureDiagnostics | extend x = frobnicate(Resource)",
    "event table": (
        "Event\n| where EventLog == \"Application\" and EventID == 1234\n"
        "| project TimeGenerated, Computer, RenderedDescription, _ResourceId"),
    "join without kind": "AzureDiagnostics\n| join (AzureDiagnostics) on Resource",
    "shadowed let": 'let Resource = "VPNGW01";\nAzureDiagnostics | where Resource == "x"',
    "suggestion": 'AzureDiagnostics | where Message contains "NO_PROPOSAL"',
}


@pytest.fixture(scope="module")
def probes() -> dict[str, QueryCheck]:
    results = check_queries(list(PROBES.items()))
    assert [r.name for r in results] == list(PROBES)
    return {r.name: r for r in results}


def test_unknown_column_is_an_error_with_its_line_and_column(
        probes: dict[str, QueryCheck]) -> None:
    result = probes["unknown column"]
    assert not result.ok
    (diag,) = result.diagnostics
    assert "remoteIp" in diag.message
    assert (diag.line, diag.column) == (3, 11)


def test_column_names_are_case_sensitive_unlike_duckdb_kql(
        probes: dict[str, QueryCheck]) -> None:
    result = probes["case"]
    assert not result.ok
    assert len(result.diagnostics) == 2


def test_unknown_table_is_an_error(probes: dict[str, QueryCheck]) -> None:
    result = probes["unknown table"]
    assert not result.ok
    assert "AzureDiagnostic" in result.diagnostics[0].message


def test_syntax_error_is_an_error(probes: dict[str, QueryCheck]) -> None:
    result = probes["syntax"]
    assert not result.ok
    assert result.diagnostics[0].line >= 2


def test_unknown_function_is_an_error(probes: dict[str, QueryCheck]) -> None:
    assert not probes["unknown function"].ok


def test_event_table_is_known_for_the_scheduled_event_alert(
        probes: dict[str, QueryCheck]) -> None:
    result = probes["event table"]
    assert result.ok, result.describe()


def test_a_batch_keeps_input_order_and_names() -> None:
    results = check_queries([("a", "AzureDiagnostics | count"), ("b", "Nope | count")])
    assert [(r.name, r.ok) for r in results] == [("a", True), ("b", False)]


def test_missing_npm_install_says_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(KqlCheckerUnavailable, match="run make setup"):
        check_queries([("a", "AzureDiagnostics | count")], tool_dir=tmp_path)


def test_a_warning_alone_fails_the_query_with_its_name_line_and_column(
        probes: dict[str, QueryCheck]) -> None:
    """KS508 (Microsoft's analyzer): a join without kind= is a Warning, not an Error; it
    parses and binds fine, so only a checker that fails warnings catches it."""
    result = probes["join without kind"]
    assert not result.ok
    (diag,) = result.diagnostics
    assert (diag.severity, diag.code, diag.line, diag.column) == ("Warning", "KS508", 2, 3)
    assert result.describe().startswith("join without kind: line 2, column 3: Warning KS508")


def test_a_let_shadowed_by_a_column_is_a_failing_warning(
        probes: dict[str, QueryCheck]) -> None:
    result = probes["shadowed let"]
    assert not result.ok
    assert [(d.severity, d.code) for d in result.diagnostics] == [("Warning", "KS510")]


def test_a_suggestion_is_reported_but_does_not_fail(probes: dict[str, QueryCheck]) -> None:
    result = probes["suggestion"]
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



def test_the_start_up_snapshot_gives_the_plain_scripts_verdicts() -> None:
    """`make setup` builds a V8 snapshot of the warmed-up service; it must judge exactly as
    `node check.js` does: every deployed query, every probe, every schema variant."""
    from gatewatch.kql.check import _commands, fresh_workspace_sets
    from gatewatch.kql.tables import schema_strings

    commands = _commands(KQL_TOOL_DIR)
    assert [c[1] for c in commands] == ["--snapshot-blob", str(KQL_TOOL_DIR / "check.js")], \
        "no start-up snapshot newer than check.js: run make setup"
    queries = [(f"alert {r.name}", r.query) for r in load(LogSearchAlertRule)]
    queries += [(f"query {q.name}", q.body) for q in load(SavedQuery)]
    queries += list(PROBES.items())
    sets = [{"tables": schema_strings(), "queries": queries}]
    # on a fresh workspace, as the plan checks them
    alerts = queries[:len(load(LogSearchAlertRule))]
    sets += [{"tables": schema_strings(s.tables), "queries": alerts}
             for s in fresh_workspace_sets(alerts)]
    request = json.dumps({"sets": [{"tables": s["tables"], "queries": [
        {"name": n, "text": t} for n, t in s["queries"]]} for s in sets]})
    snapshot, plain = (subprocess.run(c, input=request, capture_output=True, text=True,
                                      check=True, timeout=120).stdout for c in commands)
    assert snapshot == plain
    verdicts = json.loads(plain)
    assert [len(v) for v in verdicts] == [len(queries), len(alerts), len(alerts)]
    probed = {q["name"]: q["ok"] for q in verdicts[0] if q["name"] in PROBES}
    assert sorted(name for name, ok in probed.items() if ok) == [
        "event table", "suggestion"]  # the other seven fail, in both


def _tool_copy(tmp_path: Path) -> Path:
    """A tool directory sharing check.js and the package, with its own snapshot slot."""

    (tmp_path / "node_modules").mkdir()
    (tmp_path / "check.js").symlink_to(KQL_TOOL_DIR / "check.js")
    (tmp_path / "node_modules" / "@kusto").symlink_to(KQL_TOOL_DIR / "node_modules" / "@kusto")
    return tmp_path


def test_a_snapshot_node_refuses_falls_back_to_the_plain_script(tmp_path: Path) -> None:
    from gatewatch.kql.check import SNAPSHOT, _commands

    tool = _tool_copy(tmp_path)
    (tool / SNAPSHOT).write_bytes(b"built by another node" * 100)
    assert _commands(tool)[0][1:] == ["--snapshot-blob", str(tool / SNAPSHOT)]
    results = check_queries([("a", "AzureDiagnostics | count"), ("b", "Nope | count")],
                            tool_dir=tool)
    assert [(r.name, r.ok) for r in results] == [("a", True), ("b", False)]


def test_a_snapshot_older_than_check_js_is_not_used(tmp_path: Path) -> None:
    from gatewatch.kql.check import SNAPSHOT, _commands

    tool = _tool_copy(tmp_path)
    (tool / SNAPSHOT).write_bytes(b"stale")
    os.utime(tool / SNAPSHOT, ns=(0, 0))
    assert [c[1] for c in _commands(tool)] == [str(tool / "check.js")]


def test_a_repeated_request_is_answered_once_per_process_a_changed_one_is_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    from gatewatch.kql import check

    runs: list[object] = []
    real_run = subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(check.subprocess, "run", counted)
    text = f'AzureDiagnostics | where Resource == "{uuid.uuid4()}" | count'
    first = check_queries([("q", text)])
    assert check_queries([("q", text)]) == first and first[0].ok
    assert len(runs) == 1
    (broken,) = check_queries([("q", text.replace("Resource", "Resourc"))])
    assert not broken.ok and "Resourc" in broken.describe()
    assert len(runs) == 2
