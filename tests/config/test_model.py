"""Bad stack config: every problem reported at once, with its key path and a fix."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from tests.support.stacks import POLICY_GW, ROUTE_GW, WORKSPACE_ID, base_config


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return {p.path: f"{p.message}; {p.fix}" for p in info.value.problems}


def azure(config: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = config["gatewatch:azure"]
    return section


def test_valid_base_config_parses_with_both_gateway_kinds() -> None:
    parsed = parse_config(base_config())
    assert parsed.azure is not None
    assert [g.vpn_type for g in parsed.azure.gateways] == ["RouteBased", "PolicyBased"]
    assert parsed.azure.gateways[1].name == "vpngw-branch"
    assert parsed.azure.gateways[1].resource_group == "rg-branch"


def test_missing_required_keys_are_each_named() -> None:
    config = base_config()
    del azure(config)["workspace"]
    del azure(config)["location"]
    found = problems(config)
    assert "gatewatch:azure.workspace" in found
    assert "gatewatch:azure.location" in found


def test_missing_azure_section_is_named() -> None:
    found = problems({"azure-native:location": "japaneast"})
    assert "gatewatch:azure" in found


def test_wrong_type_is_reported_with_the_expected_type() -> None:
    config = base_config()
    azure(config)["gateways"] = {"id": ROUTE_GW}
    azure(config)["workspace"]["retentionInDays"] = "ninety"
    found = problems(config)
    assert "expected a list" in found["gatewatch:azure.gateways"]
    assert "whole number" in found["gatewatch:azure.workspace.retentionInDays"]


def test_id_that_is_not_a_gateway_is_rejected_with_the_expected_shape() -> None:
    config = base_config()
    azure(config)["gateways"][1]["id"] = POLICY_GW.replace(
        "virtualNetworkGateways", "virtualNetworks")
    found = problems(config)
    message = found["gatewatch:azure.gateways[1].id"]
    assert "is not a virtual network gateway id" in message
    assert "Microsoft.Network/virtualNetworkGateways/<name>" in message


def test_duplicate_gateways_compare_case_insensitively() -> None:
    config = base_config()
    shouted = ROUTE_GW.upper().replace("SUBSCRIPTIONS", "subscriptions")
    azure(config)["gateways"].append({"id": shouted})
    found = problems(config)
    assert "duplicate of gatewatch:azure.gateways[0].id" in found["gatewatch:azure.gateways[2].id"]


@pytest.mark.parametrize("days", [29, 731])
def test_retention_out_of_range(days: int) -> None:
    config = base_config()
    azure(config)["workspace"]["retentionInDays"] = days
    assert "from 30 to 730" in problems(config)["gatewatch:azure.workspace.retentionInDays"]


def test_unknown_vpn_type_lists_the_accepted_ones() -> None:
    config = base_config()
    azure(config)["gateways"][0]["vpnType"] = "routebased"
    message = problems(config)["gatewatch:azure.gateways[0].vpnType"]
    assert "RouteBased, PolicyBased" in message


def test_unknown_keys_are_errors_with_a_suggestion() -> None:
    config = base_config()
    azure(config)["workspace"]["retentionDays"] = 90
    azure(config)["gateways"][0]["vpntype"] = "RouteBased"
    config["gatewatch:azur"] = {}
    found = problems(config)
    assert "did you mean 'retentionInDays'" in found["gatewatch:azure.workspace.retentionDays"]
    assert "did you mean 'vpnType'" in found["gatewatch:azure.gateways[0].vpntype"]
    assert "did you mean 'azure'" in found["gatewatch:azur"]


def test_empty_gateway_list_is_an_error() -> None:
    config = base_config()
    azure(config)["gateways"] = []
    assert "empty list" in problems(config)["gatewatch:azure.gateways"]


def test_adopted_workspace_cannot_be_mixed_with_create_keys() -> None:
    config = base_config()
    azure(config)["workspace"] = {"existingId": WORKSPACE_ID, "retentionInDays": 90}
    assert "cannot be combined" in problems(config)["gatewatch:azure.workspace"]


def test_adopted_workspace_id_must_be_a_workspace() -> None:
    config = base_config()
    azure(config)["workspace"] = {"existingId": ROUTE_GW}
    assert "not a Log Analytics workspace id" in problems(config)[
        "gatewatch:azure.workspace.existingId"]


def test_event_hub_name_needs_its_authorization_rule() -> None:
    config = base_config()
    azure(config)["diagnostics"] = {"eventHubName": "vpn-logs"}
    assert "eventHubAuthorizationRuleId" in problems(config)[
        "gatewatch:azure.diagnostics.eventHubName"]


def test_other_namespaces_are_left_to_their_providers() -> None:
    config = base_config()
    config["azure-native:location"] = "japaneast"
    config["aws:region"] = "ap-northeast-1"
    assert parse_config(config).azure is not None


def test_alert_config_errors_name_each_key() -> None:
    config = base_config()
    azure(config)["alerts"] = {
        "emails": ["netops@example.com", "not-an-address"],
        "webhooks": [{"name": "teams", "uri": "http://insecure.example.com"}],
        "roleScope": "subscription",
        "disabled": ["no-such-alert"],
        "severities": {"tunnel-drop": 9},
    }
    found = problems(config)
    assert "not an email address" in found["gatewatch:azure.alerts.emails[1]"]
    assert "https" in found["gatewatch:azure.alerts.webhooks[0].uri"]
    assert "workspace, resourceGroup" in found["gatewatch:azure.alerts.roleScope"]
    assert "tunnel-drop" in found["gatewatch:azure.alerts.disabled[0]"]
    assert "0 to 4" in found["gatewatch:azure.alerts.severities.tunnel-drop"]


def test_empty_alert_email_list_is_an_error() -> None:
    config = base_config()
    azure(config)["alerts"] = {"emails": []}
    assert "empty list" in problems(config)["gatewatch:azure.alerts.emails"]


def test_location_falls_back_to_the_providers_setting() -> None:
    config = base_config()
    del azure(config)["location"]
    config["azure-native:location"] = "westeurope"
    parsed = parse_config(config)
    assert parsed.azure is not None and parsed.azure.location == "westeurope"
    azure(config)["location"] = "japaneast"  # gatewatch's own key wins
    parsed = parse_config(config)
    assert parsed.azure is not None and parsed.azure.location == "japaneast"


def test_location_missing_everywhere_names_both_keys() -> None:
    config = base_config()
    del azure(config)["location"]
    found = problems(config)
    assert "gatewatch:azure.location" in found
    assert "azure-native:location" in found["gatewatch:azure.location"]
