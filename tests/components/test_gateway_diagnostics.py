"""Graph assertions for GatewayDiagnostics: categories by VPN type, destinations, wiring."""

from __future__ import annotations

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import UNKNOWN
from tests.support.graph import SETTING, WORKSPACE, categories, plan, setting_for
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config


def test_route_based_gateway_gets_all_five_categories_and_metrics() -> None:
    setting = setting_for(plan(base_config()), ROUTE_GW)
    assert categories(setting) == list(azure_facts.GATEWAY_LOG_CATEGORIES), setting.urn
    assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]


def test_policy_based_gateway_gets_only_gateway_and_route_logs() -> None:
    setting = setting_for(plan(base_config()), POLICY_GW)
    assert categories(setting) == ["GatewayDiagnosticLog", "RouteDiagnosticLog"], setting.urn


def test_settings_send_to_the_workspace_in_azure_diagnostics_mode() -> None:
    rec = plan(base_config(), preview=False)
    workspace = rec.by_type(WORKSPACE)[0]
    for setting in rec.by_type(SETTING):
        # Not sent: null is AzureDiagnostics mode and what ARM reads back (specs issue 22400).
        assert "logAnalyticsDestinationType" not in setting.inputs, setting.urn
        assert setting.inputs["workspaceId"].endswith("/workspaces/log-gatewatch-test")
        assert setting.property_dependencies["workspaceId"] == [workspace.urn], setting.urn
        assert "storageAccountId" not in setting.inputs


def test_workspace_id_is_unknown_in_preview_but_wired_by_dependency() -> None:
    rec = plan(base_config(), preview=True)
    workspace = rec.by_type(WORKSPACE)[0]
    for setting in rec.by_type(SETTING):
        assert setting.inputs["workspaceId"] is UNKNOWN
        assert workspace.urn in setting.dependencies


def test_settings_are_children_of_the_component_with_deterministic_names() -> None:
    rec = plan(base_config())
    component = rec.one("gatewatch:azure:GatewayDiagnostics", "gateway-diagnostics")
    names = sorted(s.name for s in rec.by_type(SETTING))
    assert names == ["gateway-diagnostics-rg-branch-vpngw-branch",
                     "gateway-diagnostics-rg-hub-vpngw-hub"]
    for setting in rec.by_type(SETTING):
        assert setting.parent == component.urn
        assert setting.inputs["name"] == "gatewatch"
    # Names come from config alone: a second run declares the same ones.
    assert sorted(s.name for s in plan(base_config()).by_type(SETTING)) == names


def test_missing_vpn_type_is_looked_up_from_the_gateway() -> None:
    config = base_config()
    for gateway in config["gatewatch:azure"]["gateways"]:
        del gateway["vpnType"]
    rec = plan(config, offline_vpn_types={"rg-branch/vpngw-branch": "PolicyBased"})
    assert categories(setting_for(rec, POLICY_GW)) == list(azure_facts.POLICY_BASED_LOG_CATEGORIES)
    assert categories(setting_for(rec, ROUTE_GW)) == list(azure_facts.GATEWAY_LOG_CATEGORIES)
    gateway_calls = [c for c in rec.calls
                     if c.token == "azure-native:network:getVirtualNetworkGateway"]
    looked_up = sorted(
        (c.args["resourceGroupName"], c.args["virtualNetworkGatewayName"])
        for c in gateway_calls)
    assert looked_up == [("rg-branch", "vpngw-branch"), ("rg-hub", "vpngw-hub")]
    notes = " ".join(c.note for c in gateway_calls)
    assert "offline default" in notes  # the hub gateway was not answered from config


def test_configured_vpn_type_makes_no_lookup() -> None:
    assert plan(base_config()).calls == []


def test_extra_destinations_are_added_to_every_setting() -> None:
    config = base_config()
    storage = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-logs/"
               "providers/Microsoft.Storage/storageAccounts/stvpnlogs")
    rule = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-logs/"
            "providers/Microsoft.EventHub/namespaces/ehns/authorizationRules/send")
    config["gatewatch:azure"]["diagnostics"] = {
        "storageAccountId": storage, "eventHubAuthorizationRuleId": rule,
        "eventHubName": "vpn-logs"}
    rec = plan(config)
    for setting in rec.by_type(SETTING):
        assert setting.inputs["storageAccountId"] == storage, setting.urn
        assert setting.inputs["eventHubAuthorizationRuleId"] == rule, setting.urn
        assert setting.inputs["eventHubName"] == "vpn-logs", setting.urn
        # the workspace stays a destination (its id unknown in a preview)
        assert setting.inputs["workspaceId"] is UNKNOWN, setting.urn
