"""The Azure value types: regions, Azure's naming rules and tag limits, ARM ids of the right
type, the workspace's numbers and the accepted choices, each naming its key path and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gatewatch.config.model import parse_config
from tests.support.stacks import (
    POLICY_GW,
    ROUTE_GW,
    VM_ID,
    WORKSPACE_ID,
    base_config,
    gateway_id,
    problem_lines,
    problems,
    window,
    with_azure,
)

# --- regions ---------------------------------------------------------------------------------

def _gateway_location(config: dict[str, Any]) -> None:
    config["gatewatch:azure"]["gateways"][0]["location"] = "narnia"


REGION_KEYS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("gatewatch:azure.location",
     lambda c: c["gatewatch:azure"].update(location="narnia")),
    ("gatewatch:azure.workspace.location",
     lambda c: c["gatewatch:azure"].update(
         workspace={"existingId": WORKSPACE_ID, "location": "narnia"})),
    ("gatewatch:azure.gateways[0].location", _gateway_location),
    ("gatewatch:azure.maintenanceWindow.location",
     lambda c: c["gatewatch:azure"].update(
         maintenanceWindow=window(timeZone="UTC", location="narnia"))),
]


@pytest.mark.parametrize(("path", "change"), REGION_KEYS, ids=[k for k, _ in REGION_KEYS])
def test_every_region_key_checks_the_one_region_list(
        path: str, change: Callable[[dict[str, Any]], None]) -> None:
    config = base_config()
    change(config)
    assert problems(config)[path].startswith("'narnia' is not an Azure region; ")


def test_a_region_display_name_gets_the_short_name_suggested() -> None:
    found = problems(with_azure(location="Japan East"))
    assert found["gatewatch:azure.location"].startswith(
        "'Japan East' is not an Azure region; did you mean japaneast? ")
    assert "did you mean westus2?" in problems(with_azure(location="westus22"))[
        "gatewatch:azure.location"]


# --- names and tags --------------------------------------------------------------------------

def test_gateway_names_follow_azures_naming_rules() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["id"] = gateway_id("rg-hub", "vpngw-" + "x" * 80)
    config["gatewatch:azure"]["gateways"][1]["id"] = gateway_id("rg-hub", "vpngw-hub-")
    found = problems(config)
    for index in (0, 1):
        message = found[f"gatewatch:azure.gateways[{index}].id"]
        assert "is not a valid virtual network gateway name" in message
        assert "1-80" in message and "Azure naming rules" in message


def test_resource_and_workspace_names_name_the_rule() -> None:
    config = with_azure(resourceGroupName="rg-" + "x" * 90)
    config["gatewatch:azure"]["workspace"]["name"] = "log"
    found = problems(config)
    assert "1-90" in found["gatewatch:azure.resourceGroupName"]
    assert "naming rules" in found["gatewatch:azure.resourceGroupName"]
    assert "4-63" in found["gatewatch:azure.workspace.name"]


def test_tags_follow_azures_tag_limits() -> None:
    found = problems(with_azure(tags={"owner": "x" * 257, "a/b": "c", "k" * 513: "v"}))
    assert "at most 256" in found["gatewatch:azure.tags.owner"]
    assert "case-insensitive" in problems(with_azure(tags={"owner": "a", "Owner": "b"}))[
        "gatewatch:azure.tags.Owner"]
    assert "Azure tag limits" in found["gatewatch:azure.tags.a/b"]
    assert "512" in found["gatewatch:azure.tags." + "k" * 513]
    too_many = problems(with_azure(tags={f"t{i}": "v" for i in range(50)}))
    assert "at most 50" in too_many["gatewatch:azure.tags"]
    assert parse_config(with_azure(tags={f"t{i}": "" for i in range(49)})).azure


def gateway_tags(tags: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["tags"] = tags
    return config


def test_gateway_tags_parse_and_default_to_none() -> None:
    azure = parse_config(gateway_tags({"MonitorDisable": "true", "env": ""})).azure
    assert azure is not None
    assert dict(azure.gateways[0].tags) == {"MonitorDisable": "true", "env": ""}
    assert dict(azure.gateways[1].tags) == {}


def test_a_gateway_holds_azures_full_fifty_tags() -> None:
    # The kit adds no tag to a gateway it does not own: 50, not the 49 of azure.tags.
    fifty = {f"t{i}": "x" for i in range(50)}
    azure = parse_config(gateway_tags(fifty)).azure
    assert azure is not None and len(azure.gateways[0].tags) == 50
    assert problem_lines(gateway_tags({**fifty, "t50": "x"})) == [
        "gatewatch:azure.gateways[0].tags: has 51 tags; an Azure resource holds at most 50; "
        "keep at most 50 tags (Azure tag limits)"]


@pytest.mark.parametrize(("tags", "line"), [
    ({"MonitorDisable": True},
     "gatewatch:azure.gateways[0].tags.MonitorDisable: expected a non-empty string, got a "
     "boolean; set gatewatch:azure.gateways[0].tags.MonitorDisable to a string (quoted in "
     "YAML)"),
    ({"a/b": "x"},
     "gatewatch:azure.gateways[0].tags.a/b: 'a/b' is not a valid Azure tag name; use up to 512 "
     "characters, none of < > % & \\ ? / (Azure tag limits)"),
    ({"env": "x" * 257},
     "gatewatch:azure.gateways[0].tags.env: is 257 characters long; Azure tag values hold at "
     "most 256; shorten the value (Azure tag limits)"),
    ({"Env": "a", "env": "b"},
     "gatewatch:azure.gateways[0].tags.env: duplicate of gatewatch:azure.gateways[0].tags.Env: "
     "Azure tag names are case-insensitive; keep one of the two (Azure tag limits)"),
    (["MonitorDisable"],
     "gatewatch:azure.gateways[0].tags: expected a mapping, got a list; write it as a mapping of "
     "key: value pairs"),
])
def test_bad_gateway_tags_are_one_line_each(tags: Any, line: str) -> None:
    assert problem_lines(gateway_tags(tags)) == [line]


# --- ARM ids ---------------------------------------------------------------------------------

def test_id_that_is_not_a_gateway_is_rejected_with_the_expected_shape() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][1]["id"] = POLICY_GW.replace(
        "virtualNetworkGateways", "virtualNetworks")
    found = problems(config)
    message = found["gatewatch:azure.gateways[1].id"]
    assert "is not a virtual network gateway id" in message
    assert "Microsoft.Network/virtualNetworkGateways/<name>" in message


def test_adopted_workspace_id_must_be_a_workspace() -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"] = {"existingId": ROUTE_GW}
    assert "not a Log Analytics workspace id" in problems(config)[
        "gatewatch:azure.workspace.existingId"]


def test_a_non_vm_id_is_rejected_with_the_expected_shape() -> None:
    gateway = base_config()["gatewatch:azure"]["gateways"][0]["id"]
    found = problems(with_azure(vms=[{"id": gateway}]))
    assert "is not a virtual machine id" in found["gatewatch:azure.vms[0].id"]
    assert "Microsoft.Compute/virtualMachines/<name>" in found["gatewatch:azure.vms[0].id"]


# --- numbers and choices ---------------------------------------------------------------------

@pytest.mark.parametrize("days", [29, 731])
def test_retention_out_of_range(days: int) -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["retentionInDays"] = days
    assert "from 30 to 730" in problems(config)["gatewatch:azure.workspace.retentionInDays"]


@pytest.mark.parametrize("quota", [1e30, 10_001, float("nan")])
def test_an_absurd_daily_quota_is_rejected_with_the_maximum(quota: float) -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = quota
    message = problems(config)["gatewatch:azure.workspace.dailyQuotaGb"]
    assert "10000" in message or "finite" in message
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = 10_000
    assert parse_config(config).azure


def test_unknown_vpn_type_lists_the_accepted_ones() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["vpnType"] = "routebased"
    message = problems(config)["gatewatch:azure.gateways[0].vpnType"]
    assert "RouteBased, PolicyBased" in message


def test_unknown_os_type_and_flag_types() -> None:
    found = problems(with_azure(vms=[{"id": VM_ID, "osType": "windows",
                                    "agentManagedElsewhere": "yes"}]))
    assert "not one of Windows, Linux" in found["gatewatch:azure.vms[0].osType"]
    assert "true or false" in found["gatewatch:azure.vms[0].agentManagedElsewhere"]


def diagnostics(**keys: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["diagnostics"] = keys
    return config


def test_category_group_all_logs_parses_and_defaults_to_none() -> None:
    azure = parse_config(diagnostics(categoryGroup="allLogs")).azure
    assert azure is not None and azure.diagnostics.category_group == "allLogs"
    azure = parse_config(base_config()).azure
    assert azure is not None and azure.diagnostics.category_group is None


@pytest.mark.parametrize(("value", "line"), [
    ("audit", "gatewatch:azure.diagnostics.categoryGroup: 'audit' is not one of allLogs; use "
              "one of allLogs (case matters)"),
    ("alllogs", "gatewatch:azure.diagnostics.categoryGroup: 'alllogs' is not one of allLogs; "
                "did you mean 'allLogs'? use one of allLogs (case matters)"),
    (True, "gatewatch:azure.diagnostics.categoryGroup: expected a non-empty string, got a "
           "boolean; set gatewatch:azure.diagnostics.categoryGroup to a string (quoted in "
           "YAML)"),
])
def test_a_bad_category_group_is_one_line(value: Any, line: str) -> None:
    assert problem_lines(diagnostics(categoryGroup=value)) == [line]
