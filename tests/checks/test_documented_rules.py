"""Microsoft's documented rules over the recorded graph: zero deviations on every example stack
and the estate, and each rule fails when the graph breaks it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.checks import documented_rules
from gatewatch.checks.model import UNKNOWN, Resource
from gatewatch.offline.recording import Recording
from gatewatch.paths import PROJECT_ROOT
from tests.support.graph import plan
from tests.support.stacks import estate_config

RULE = "azure-native:monitor:ScheduledQueryRule"


def _stack(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(Path(PROJECT_ROOT / f"Pulumi.{name}.yaml").read_text())
    return data["config"]


@pytest.fixture(scope="module")
def estate_update() -> Recording:
    """The estate's graph as `pulumi up` records it, run once for this module (~1 s a run);
    every test that breaks it breaks a deep copy of its resources."""
    return plan(estate_config(), preview=False)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["dev", "prod", "estate"])
def test_no_deviation_on_any_example_stack(
        stack: str, preview: bool, estate_update: Recording) -> None:
    if (stack, preview) == ("estate", False):
        rec = estate_update
    else:
        rec = plan(estate_config() if stack == "estate" else _stack(stack), preview=preview)
    deviations = documented_rules.check(rec.resources)
    assert deviations == [], [documented_rules.describe(d) for d in deviations]


def _broken(rec: Recording, type_: str, change: Callable[[dict[str, Any]], None]
            ) -> list[str]:
    resources: list[Resource] = copy.deepcopy(rec.resources)
    target = next(r for r in resources if r.type == type_)
    change(target.inputs)
    return sorted({d.rule for d in documented_rules.check(resources)})


def _ago(inputs: dict[str, Any]) -> None:
    condition = inputs["criteria"]["allOf"][0]
    condition["query"] = ("let Lookback = 1h;\nAzureDiagnostics\n"
                          "| where TimeGenerated > ago(Lookback)")


def test_each_rule_fails_its_broken_graph(estate_update: Recording) -> None:
    rec = estate_update
    assert documented_rules.check(rec.resources) == []  # what breaks below is the one change
    assert _broken(rec, RULE, _ago) == ["log-alert-ago-literal"]
    assert _broken(rec, RULE, lambda i: i.update(skipQueryValidation=True)) == [
        "log-alert-query-validation"]
    assert _broken(rec, "azure-native:monitor:DiagnosticSetting",
                   lambda i: i.update(logAnalyticsDestinationType="AzureDiagnostics")) == [
        "diagnostic-setting-destination-type"]
    assert _broken(rec, "azure-native:maintenance:MaintenanceConfiguration",
                   lambda i: i.update(startDateTime="2025-01-01 01:00")) == [
        "maintenance-start-date"]
    assert _broken(rec, "azure-native:authorization:RoleAssignment",
                   lambda i: i.update(scope=UNKNOWN)) == ["grant-known-at-preview"]


def test_resource_health_filters_on_nullable_fields_fail(estate_update: Recording) -> None:
    def add_status(inputs: dict[str, Any]) -> None:
        inputs["condition"]["allOf"].append(
            {"field": "properties.currentHealthStatus", "equals": "Unavailable"})

    resources = copy.deepcopy(estate_update.resources)
    health = next(r for r in resources if r.type == "azure-native:monitor:ActivityLogAlert"
                  and "ResourceHealth" in str(r.inputs["condition"]))
    add_status(health.inputs)
    assert ([d.rule for d in documented_rules.check(resources)]
            == ["resource-health-nullable-fields"])
