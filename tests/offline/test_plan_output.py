"""The plan's text and --json agree and say only what holds for the stack: counts, lookups
once each, sections that do not apply, integers as integers."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
import yaml

from gatewatch.offline.plan import STACK_TYPE, Plan, build_plan, render_json, render_text
from gatewatch.offline.sections import lookups_section
from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.example_plans import built_plan, uses_example_plans
from tests.support.stacks import base_config


def _documented_keys() -> set[str]:
    """The top-level keys README's `--json` sentence lists (the resources' own keys aside)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (listed,) = re.findall(r"`--json` prints `\{(.*?)\}` \(", readme, flags=re.S)
    return set(re.findall(r'"(\w+)"', re.sub(r"\[\{.*?\}\]", "", listed, flags=re.S)))


DOCUMENTED_KEYS = _documented_keys()
pytestmark = uses_example_plans


@pytest.fixture(scope="module")
def prod() -> Plan:
    return built_plan("prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return built_plan("dev")


@pytest.fixture(scope="module")
def azure_only(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("stack") / "Pulumi.ci.yaml"
    path.write_text(yaml.safe_dump({"config": base_config()}), encoding="utf-8")
    return build_plan(path, "ci")


def test_the_notice_budget_of_a_path_the_stack_does_not_deploy_is_not_printed(
    prod: Plan, dev: Plan
) -> None:
    assert prod.context.config.azure is not None and not prod.context.config.azure.vms
    text = render_text(prod)
    assert "Notice budget" not in text and "not deployed" not in text
    assert render_json(prod)["noticeBudget"] is None
    # The dev stack deploys the path (alerts and vms): its budget is printed.
    assert "Notice budget (scheduled events to mail):" in render_text(dev)
    assert render_json(dev)["noticeBudget"]["vm-scheduled-event"]["deployed"] is True


def test_each_lookup_is_reported_once(prod: Plan) -> None:
    notes = [call.note for call in prod.context.recording.calls]
    assert len(notes) > len(set(notes)), "the prod program asks one lookup twice (client config)"
    (report,) = [r for r in prod.sections if r.key == "lookups"]
    assert sorted(report.lines) == sorted(set(notes))
    text = render_text(prod)
    for note in set(notes):
        assert text.count(note) == 1, note
    assert len(render_json(prod)["lookups"]) == len(set(notes))


def test_lookups_print_in_the_same_order_whatever_order_the_runtime_answered(prod: Plan) -> None:
    calls = prod.context.recording.calls
    assert len({c.note for c in calls}) > 1, "needs two distinct lookups to tell orders apart"
    shuffled = dataclasses.replace(prod.context.recording, calls=list(reversed(calls)))
    as_run = lookups_section(prod.context)
    reversed_ = lookups_section(dataclasses.replace(prod.context, recording=shuffled))
    assert (reversed_.lines, reversed_.data) == (as_run.lines, as_run.data)


@pytest.mark.parametrize("which", ["dev", "prod"])
def test_text_count_and_json_resources_agree_the_stack_included(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(which)
    doc = render_json(plan)
    (count,) = re.findall(r"\+ (\d+) to create", render_text(plan))
    assert int(count) == len(doc["resources"])
    stacks = [r for r in doc["resources"] if r["type"] == STACK_TYPE]
    assert len(stacks) == 1 and stacks[0]["name"] == f"gatewatch-{which}"
    assert stacks[0]["urn"] == f"urn:pulumi:{which}::gatewatch::{STACK_TYPE}::gatewatch-{which}"
    urns = {r["urn"] for r in doc["resources"]}
    # Every other resource hangs under the stack through its parents.
    assert all(r["parent"] in urns for r in doc["resources"] if r["type"] != STACK_TYPE)


def test_the_readme_documents_the_json_keys_of_the_plan() -> None:
    from gatewatch.offline.plan import JSON_KEYS
    from gatewatch.offline.sections import SECTIONS

    assert set(JSON_KEYS) == DOCUMENTED_KEYS
    # One documented key per section the plan can produce, and no two sections share one.
    assert len(SECTIONS) == len(JSON_KEYS) - 3


def test_every_documented_json_key_is_present_without_an_aws_section(azure_only: Plan) -> None:
    assert azure_only.context.config.aws is None
    doc = render_json(azure_only)
    assert set(doc) == DOCUMENTED_KEYS  # exactly: none missing, none undocumented
    assert doc["awsCost"] is None
    assert "AWS tunnel logs" not in render_text(azure_only)


@pytest.mark.parametrize("which", ["dev", "prod"])
def test_every_documented_json_key_is_present_null_when_its_report_is_empty(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(which)
    doc = render_json(plan)
    assert set(doc) == DOCUMENTED_KEYS
    reported = {r.key for r in plan.sections}
    for key in DOCUMENTED_KEYS - {"stack", "preview", "resources"} - reported:
        assert doc[key] is None, key
    # The example stacks store nothing encrypted and tag no gateway MonitorDisable: those
    # reports are absent from the text and null in --json.
    assert doc["secrets"] is None and doc["monitorDisable"] is None
    assert "Encrypted values" not in render_text(plan)


def test_the_aws_cost_is_reported_when_the_stack_has_an_aws_section(prod: Plan) -> None:
    assert prod.context.config.aws is not None
    cost = render_json(prod)["awsCost"]
    assert cost["tunnels"] == 2 * len(prod.context.config.aws.vpn_connections)


def _floats(value: Any, path: str = "") -> list[str]:
    if isinstance(value, float) and value.is_integer():
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _floats(v, f"{path}[{i}]")]
    return []


def test_integers_come_out_as_integers(prod: Plan) -> None:
    doc = render_json(prod)
    [workspace] = [r for r in doc["resources"]
                   if r["type"] == "azure-native:operationalinsights:Workspace"]
    assert workspace["inputs"]["retentionInDays"] == 365
    assert '"retentionInDays": 365,' in json.dumps(workspace["inputs"])
    assert _floats([r["inputs"] for r in doc["resources"]]) == []
