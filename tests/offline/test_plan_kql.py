"""The plan reports the KQL check of every deployed query and exits 1 on an invalid one."""

from __future__ import annotations

import pytest

import gatewatch.catalog.load as catalog
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.cli import main
from tests.support.example_plans import built_plan, uses_example_plans


@uses_example_plans
def test_plan_lists_every_query_as_ok() -> None:
    plan = built_plan("dev")
    kql = next(r for r in plan.sections if r.key == "kql")
    names = {entry["name"] for entry in kql.data}
    assert {f"alert {a.name}" for a in catalog.load(LogSearchAlertRule)} <= names
    assert {f"saved query {q.name}" for q in catalog.load(SavedQuery)} <= names
    assert all(entry["ok"] for entry in kql.data), kql.lines
    assert not kql.failed


def test_an_invalid_alert_query_fails_the_plan_with_line_and_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = catalog.load(LogSearchAlertRule)
    broken = real[0].model_copy(
        update={"query": "AzureDiagnostics\n| where Categroy == 'GatewayDiagnosticLog'"})
    load = catalog.load
    monkeypatch.setattr(catalog, "load", lambda kind, *a, **k: [broken, *real[1:]]
                        if kind is LogSearchAlertRule else load(kind, *a, **k))
    code = main(["plan", "--json"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"alert {broken.name}" in out
    assert "line 2" in out and "Categroy" in out
