"""Every Azure resource the kit declares, as the request body pulumi-azure-native sends, judged
by Microsoft's API definitions (vendor/azure-api-specs) for the API version the SDK uses."""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from pulumi_azure_native import applicationinsights, monitor

from gatewatch.checks import api_definitions
from gatewatch.checks.api_specs import manifest
from gatewatch.checks.model import UNKNOWN, Finding, Resource
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.paths import PROJECT_ROOT
from tests.support.graph import plan
from tests.support.stacks import SUB, WORKSPACE_ID, estate_config

VENDOR = PROJECT_ROOT / "vendor" / "azure-api-specs"


def _stack(name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(
        (PROJECT_ROOT / f"Pulumi.{name}.yaml").read_text())["config"]
    return config


def _adopted() -> dict[str, Any]:
    config = estate_config()
    config["gatewatch:azure"]["workspace"] = {
        "existingId": WORKSPACE_ID.replace(SUB, "99999999-8888-7777-6666-555555555555"),
        "location": "japaneast"}
    return config


STACKS = {
    "dev": lambda: _stack("dev"),
    "prod": lambda: _stack("prod"),
    "estate": estate_config,
    "estate-adopted-workspace": _adopted,
}


Recorded = Callable[[str, bool], Recording]


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    """The program's graph per (stack, preview), run once for this module: a run costs ~1 s
    and the tests below only read it (those that break a body break a deep copy)."""
    runs: dict[tuple[str, bool], Recording] = {}

    def get(stack: str, preview: bool) -> Recording:
        if (stack, preview) not in runs:
            runs[stack, preview] = plan(STACKS[stack](), preview=preview)
        return runs[stack, preview]

    return get


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_azure_body_matches_microsofts_definitions(
        recorded: Recorded, stack: str, preview: bool) -> None:
    rec = recorded(stack, preview)
    resources = api_definitions.azure_resources(rec.resources)
    assert len(resources) >= 10, [r.type for r in resources]
    problems = api_definitions.check_resources(rec.resources)
    assert not problems, "\n".join(api_definitions.describe(p) for p in problems)


def test_the_estate_declares_every_vendored_type_the_kit_uses(recorded: Recorded) -> None:
    declared = {r.type for r in api_definitions.azure_resources(recorded("estate", True).resources)}
    # Types other work adds (metric alerts, workbook) are vendored ahead and judged below.
    assert declared <= set(manifest()), declared - set(manifest())
    assert len(declared) >= 15, declared


@pytest.mark.parametrize("token", sorted(manifest()))
def test_vendored_api_version_is_the_one_the_installed_sdk_uses(token: str) -> None:
    spec = manifest()[token]
    assert api_definitions.sdk_api_version(token) == spec.api_version, token
    # Path parameters are inputs of the SDK resource (the provider drops them from the body).
    _, module, name = token.split(":")
    import importlib
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
    init = inspect.getsource(cls._internal_init)
    for param in spec.path_parameters:
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", param).lower()
        assert re.search(rf"\b{snake}_?\b", init), f"{token}: {param} is not an SDK input"


def test_vendored_files_are_the_recorded_ones() -> None:
    record = json.loads((VENDOR / "SOURCE.json").read_text())
    assert set(record["repositories"]) == {"arm-schemas", "bicep-types"}
    assert all(re.fullmatch(r"[0-9a-f]{40}", r["commit"])
               for r in record["repositories"].values())
    on_disk = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*.json")
               if p.name not in ("SOURCE.json", "manifest.json")}
    assert on_disk == set(record["files"])
    for rel, digest in record["files"].items():
        assert hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest() == digest, rel


# --- the judge can fail --------------------------------------------------------------------------

def _rule(recorded: Recorded, rec_preview: bool = False) -> Resource:
    rec = recorded("estate", rec_preview)
    return next(r for r in rec.by_type("azure-native:monitor:ScheduledQueryRule"))


def _with(resource: Resource, change: Any) -> Resource:
    broken = copy.deepcopy(resource)
    change(broken.inputs)
    return broken


def _judges(problems: list[Finding]) -> set[str]:
    return {p.rule for p in problems}


def test_a_wrong_enum_value_fails(recorded: Recorded) -> None:
    rule = _rule(recorded)
    broken = _with(rule, lambda i: i["criteria"]["allOf"][0].update(operator="Bigger"))
    problems = api_definitions.check_resource(broken)
    assert any(p.path == "properties.criteria.allOf[0].operator" for p in problems), problems
    # The operator enum is extensible in the swagger (bicep-types: any string); the template
    # schema lists the values.
    assert "arm-schema" in _judges(problems)


def test_an_unknown_property_fails(recorded: Recorded) -> None:
    rule = _rule(recorded)
    broken = _with(rule, lambda i: i.update(evaluationFrequencey="PT5M"))
    problems = api_definitions.check_resource(broken)
    assert any("evaluationFrequencey" in p.message for p in problems), problems


def test_a_property_at_the_wrong_nesting_fails(recorded: Recorded) -> None:
    rule = _rule(recorded)
    broken = _with(rule, lambda i: i["criteria"].update(query=i["criteria"]["allOf"][0]["query"]))
    problems = api_definitions.check_resource(broken)
    assert any(p.path == "properties.criteria" and "query" in p.message for p in problems), \
        problems


def test_a_missing_required_property_fails(recorded: Recorded) -> None:
    rec = recorded("estate", False)
    group = rec.by_type("azure-native:monitor:ActionGroup")[0]
    broken = _with(group, lambda i: i.pop("groupShortName"))
    problems = api_definitions.check_resource(broken)
    assert any("groupShortName" in p.message and p.path == "properties"
               for p in problems), problems


def test_a_pattern_and_a_range_are_enforced(recorded: Recorded) -> None:
    rec = recorded("estate", False)
    workspace = rec.by_type("azure-native:operationalinsights:Workspace")[0]
    broken = _with(workspace, lambda i: i.update(workspaceName="-bad name-"))
    assert any(p.path == "name" for p in api_definitions.check_resource(broken))
    group = rec.by_type("azure-native:monitor:ActionGroup")[0]
    broken = _with(group, lambda i: i.update(groupShortName="much-too-long-name"))
    assert any("groupShortName" in p.path for p in api_definitions.check_resource(broken))
    setting = rec.by_type("azure-native:monitor:DiagnosticSetting")[0]
    broken = _with(setting, lambda i: i["logs"][0].update(
        retentionPolicy={"enabled": True, "days": -1}))
    problems = api_definitions.check_resource(broken)
    assert any(p.path == "properties.logs[0].retentionPolicy.days" and "minimum" in p.message
               for p in problems), problems


def test_a_type_without_vendored_definitions_fails(recorded: Recorded) -> None:
    rule = _rule(recorded)
    stranger = copy.deepcopy(rule)
    stranger.type = "azure-native:network:VirtualNetworkGateway"
    (problem,) = api_definitions.check_resource(stranger)
    assert problem.rule == "coverage" and "manifest.json" in problem.message


def test_unknown_values_are_not_judged_but_present(recorded: Recorded) -> None:
    rule = _rule(recorded, rec_preview=True)
    assert rule.inputs["scopes"] == [UNKNOWN]
    assert api_definitions.check_resource(rule) == []


# --- how the body is built -----------------------------------------------------------------------

def test_body_places_inputs_as_the_provider_does(recorded: Recorded) -> None:
    rec = recorded("estate", False)
    spec = manifest()
    rule = rec.by_type("azure-native:monitor:ScheduledQueryRule")[0]
    name, body = api_definitions.request_body(spec[rule.type], rule.inputs)
    assert name == rule.inputs["ruleName"]
    assert "resourceGroupName" not in body and "ruleName" not in body
    assert {"location", "tags", "identity", "kind", "properties"} <= set(body)
    identity = rule.inputs["identity"]["userAssignedIdentities"][0]
    assert body["identity"]["userAssignedIdentities"] == {identity: {}}
    assert body["properties"]["criteria"]["allOf"][0]["failingPeriods"][
        "numberOfEvaluationPeriods"] == 1  # an integer again
    window = rec.by_type("azure-native:maintenance:MaintenanceConfiguration")[0]
    _, body = api_definitions.request_body(spec[window.type], window.inputs)
    assert set(body["properties"]["maintenanceWindow"]) >= {"startDateTime", "duration",
                                                            "timeZone", "recurEvery"}
    assert "startDateTime" not in body["properties"]


def _new_types_program() -> None:
    """The types other issues add, declared as the SDK would send them."""
    monitor.MetricAlert(
        "tunnel-bandwidth", rule_name="tunnel-bandwidth", resource_group_name="rg",
        location="global", description="x", severity=0, enabled=True,
        scopes=[f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/"
                "virtualNetworkGateways/gw"],
        evaluation_frequency="PT1M", window_size="PT5M",
        criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
            odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            all_of=[monitor.MetricCriteriaArgs(
                criterion_type="StaticThresholdCriterion", name="bandwidth",
                metric_name="TunnelAverageBandwidth", operator="LessThan", threshold=1,
                time_aggregation="Average")]),
        auto_mitigate=True)
    monitor.ActivityLogAlert(
        "health", activity_log_alert_name="health", resource_group_name="rg", location="Global",
        scopes=[f"/subscriptions/{SUB}"], enabled=True,
        condition=monitor.AlertRuleAllOfConditionArgs(all_of=[
            monitor.AlertRuleAnyOfOrLeafConditionArgs(field="category", equals="ResourceHealth")]),
        actions=monitor.ActionListArgs(action_groups=[]))
    applicationinsights.Workbook(
        "workbook", resource_name_="6f4c0a5e-2d3b-4c8e-9f1a-0b2c3d4e5f60",
        resource_group_name="rg", location="japaneast", kind="shared", category="workbook",
        display_name="VPN", serialized_data=json.dumps({"version": "Notebook/1.0", "items": []}),
        source_id="azure monitor")


def test_metric_alert_activity_log_alert_and_workbook_bodies_are_judged() -> None:
    rec = run_program({}, program=_new_types_program)
    assert len(rec.resources) == 3
    problems = api_definitions.check_resources(rec.resources)
    assert not problems, "\n".join(api_definitions.describe(p) for p in problems)
    alert = rec.by_type("azure-native:monitor:MetricAlert")[0]
    broken = _with(alert, lambda i: i["criteria"]["allOf"][0].update(operator="Below"))
    assert any("operator" in p.path for p in api_definitions.check_resource(broken))
    broken = _with(alert, lambda i: i["criteria"].update(
        **{"odataType": "Microsoft.Azure.Monitor.Nope"}))
    assert api_definitions.check_resource(broken)
