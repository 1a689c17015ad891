"""The plan reports the KQL check of every deployed query and exits 1 on an invalid one."""

from __future__ import annotations

import dataclasses

import pytest

import gatewatch.catalog.log_search as catalog
from gatewatch.cli import main
from tests.support.example_plans import built_plan, uses_example_plans


@uses_example_plans
def test_plan_lists_every_query_as_ok() -> None:
    plan = built_plan("dev")
    kql = next(r for r in plan.sections if r.key == "kql")
    names = {entry["name"] for entry in kql.data}
    assert {f"alert {a.name}" for a in catalog.load_catalog()} <= names
    assert {f"saved query {q.name}" for q in catalog.load_saved_queries()} <= names
    assert all(entry["ok"] for entry in kql.data), kql.lines
    assert not kql.failed


def test_an_invalid_alert_query_fails_the_plan_with_line_and_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = catalog.load_catalog()
    broken = dataclasses.replace(
        real[0], query="AzureDiagnostics\n| where Categroy == 'GatewayDiagnosticLog'")
    monkeypatch.setattr(catalog, "load_catalog", lambda *a, **k: [broken, *real[1:]])
    code = main(["plan", "--json"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"alert {broken.name}" in out
    assert "line 2" in out and "Categroy" in out
