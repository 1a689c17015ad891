"""The one resource model: one UNKNOWN marker that no check can mistake for a literal, JSON as
`pulumi preview` shows it, and the graph edges every source fills the same way."""

from __future__ import annotations

import copy
import json

import pytest

from gatewatch.checks.model import (
    SECRET,
    UNKNOWN,
    UNKNOWN_TEXT,
    Finding,
    Resource,
    json_value,
    value_at,
)


def test_unknown_is_one_object_with_no_truth_value() -> None:
    assert copy.deepcopy({"a": [UNKNOWN]})["a"][0] is UNKNOWN
    assert copy.copy(UNKNOWN) is UNKNOWN
    assert UNKNOWN != UNKNOWN_TEXT and not isinstance(UNKNOWN, str)
    with pytest.raises(TypeError, match="is UNKNOWN"):
        bool(UNKNOWN)
    assert f"{UNKNOWN}" == UNKNOWN_TEXT == "<unknown>"


def test_json_shows_unknowns_as_a_preview_does_and_secrets_as_marked() -> None:
    value = {"a": UNKNOWN, "b": [1, UNKNOWN, {"c": UNKNOWN}], "d": SECRET, "e": (UNKNOWN,)}
    assert json.dumps(json_value(value)) == (
        '{"a": "<unknown>", "b": [1, "<unknown>", {"c": "<unknown>"}], "d": "[secret]", '
        '"e": ["<unknown>"]}')


def test_value_at_reads_through_blocks_and_stops_at_unknown() -> None:
    values = {"identity": {"type": "UserAssigned"}, "opts": [{"x": {"y": 1}}], "u": UNKNOWN}
    assert value_at(values, "identity", "type") == "UserAssigned"
    assert value_at(values, "opts", "x", "y") == 1  # a one-element block
    assert value_at(values, "u", "anything") is UNKNOWN
    assert value_at(values, "missing", "x") is None


def test_a_resource_knows_its_id_and_its_edges() -> None:
    resource = Resource("urn:a", "t", "a", {"id": "/x"},
                        property_dependencies={"resourceUri": ["urn:gw"]})
    assert resource.known_id == "/x"
    assert Resource("urn:b", "t", "b", {"id": UNKNOWN}).known_id is None
    assert Resource("urn:c", "t", "c", id="/c").known_id == "/c"
    assert resource.depends_through("resourceUri") == ["urn:gw"]
    assert resource.depends_through("other") == ()


def test_a_resource_as_plan_json() -> None:
    resource = Resource("urn:a", "t", "a", {"k": UNKNOWN}, parent="urn:p", dependencies=["urn:d"],
                        property_dependencies={"k": ["urn:d"]}, custom=False,
                        secrets={"k": "clear"})
    assert resource.as_json() == {
        "urn": "urn:a", "type": "t", "name": "a", "parent": "urn:p", "custom": False,
        "inputs": {"k": "<unknown>"}, "dependencies": ["urn:d"],
        "propertyDependencies": {"k": ["urn:d"]}}


def test_a_finding_names_its_resource_by_the_end_of_its_urn() -> None:
    finding = Finding("rule-id", "what", urn="urn:pulumi:dev::gatewatch::a$b::name")
    assert finding.resource_name == "name" and not finding.note
