"""Gateways and their diagnostic settings matched as the Azure rules read them: by property
dependencies, by id, and by the literal resource group and name the kit's settings carry for
the gateways it covers by id (gatewatch:azure.gateways)."""

from __future__ import annotations

import pulumi

from gatewatch.checks.model import Resource
from gatewatch.policy.rules.azure.gateways import read_setting
from tests.support.policy_stacks import (
    CLASSIC_GATEWAY,
    Program,
    azure_stack,
    beside_the_kit,
    check,
    native_gateway,
    record,
    violations,
)
from tests.support.stacks import POLICY_GW, ROUTE_GW, gateway_id


def test_a_declared_gateway_the_kit_covers_by_id_passes_in_preview() -> None:
    # Case differs from the configured ids on purpose: ARM ids are case-insensitive.
    rec = beside_the_kit(native_gateway("hub", "RG-Hub", "VPNGW-hub"),
                         native_gateway("branch", "rg-branch", "vpngw-branch", "PolicyBased"))
    [kit_setting] = [r for r in rec.by_type("azure-native:monitor:DiagnosticSetting")
                     if "rg-hub" in r.name]
    # The situation of the report: the kit's setting names the gateway by a literal id and has
    # no dependency on it; the declared gateway's id is unknown.
    assert kit_setting.inputs["resourceUri"] == ROUTE_GW
    assert kit_setting.property_dependencies["resourceUri"] == []
    [gateway] = [r for r in rec.resources
                 if r.type == "azure-native:network:VirtualNetworkGateway" and r.name == "hub"]
    assert gateway.known_id is None
    outcome = check(rec)
    assert outcome.violations == [], [v.message for v in outcome.violations]


def test_a_declared_gateway_with_another_name_than_the_kits_ids_still_fails() -> None:
    rec = beside_the_kit(native_gateway("other", "rg-hub", "vpngw-other"),
                         native_gateway("moved", "rg-elsewhere", "vpngw-hub"))
    outcome = check(rec)
    assert outcome.failed
    messages = violations(outcome, "vpn-gateway-diagnostics")
    assert len(messages) == 2
    [other] = [m for m in messages if "'other'" in m]
    assert other.startswith("VPN gateway 'other' has no diagnostic setting sending ")
    # The fix it names is one that clears it: the gateway's own id in the kit's config.
    assert ("or add {id: /subscriptions/<subscription-guid>/resourceGroups/rg-hub/providers/"
            "Microsoft.Network/virtualNetworkGateways/vpngw-other} to gatewatch:azure.gateways "
            "so the kit creates it.") in other


def test_classic_gateways_the_kit_covers_by_id_pass_in_preview() -> None:
    def classic(name: str, group: str, gateway_name: str, vpn_type: str) -> Program:
        return lambda: pulumi.CustomResource(CLASSIC_GATEWAY, name, {
            "resourceGroupName": group, "name": gateway_name, "type": "Vpn",
            "vpnType": vpn_type, "sku": "VpnGw1"})

    outcome = check(beside_the_kit(classic("hub", "rg-hub", "vpngw-hub", "RouteBased"),
                                   classic("branch", "rg-branch", "vpngw-branch", "PolicyBased")))
    assert outcome.violations == [], [v.message for v in outcome.violations]
    outcome = check(beside_the_kit(classic("hub", "rg-hub", "vpngw-other", "RouteBased")))
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "target_resource_id=<hub>.id" in message and "virtualNetworkGateways/vpngw-other" \
        in message


def test_a_gateway_with_a_computed_name_is_told_that_config_alone_will_not_clear_it() -> None:
    # resource_group_name comes from a new resource group: unknown in preview, so the kit's
    # literal id cannot be matched to it; the message must not promise that config fixes it.
    [message] = violations(check(record(azure_stack(with_setting=False))),
                           "vpn-gateway-diagnostics")
    assert "or add {id:" not in message
    assert ("listing the gateway in gatewatch:azure.gateways counts only if its "
            "resource_group_name and virtual_network_gateway_name are literals") in message


def test_resource_group_and_name_match_only_while_the_gateway_id_isunknown_output() -> None:
    setting = read_setting(Resource(
        "urn:setting", "azure-native:monitor:DiagnosticSetting", "kit-diag",
        {"resourceUri": POLICY_GW}))
    inputs = {"resourceGroupName": "rg-branch", "virtualNetworkGatewayName": "vpngw-branch"}

    def gateway(id_: str | None) -> Resource:
        return Resource("urn:gw", "azure-native:network:VirtualNetworkGateway", "gw",
                        inputs, id=id_)

    assert setting.targets(gateway(None))
    assert setting.targets(gateway(POLICY_GW.upper()))
    other_sub = gateway_id("rg-branch", "vpngw-branch", sub="99999999-2222-3333-4444-555555555555")
    assert not setting.targets(gateway(other_sub))
    # Another resource type with the same group and name is not the gateway.
    not_a_gateway = read_setting(Resource(
        "urn:s2", "azure-native:monitor:DiagnosticSetting", "s2",
        {"resourceUri": POLICY_GW.replace("virtualNetworkGateways", "localNetworkGateways")}))
    assert not not_a_gateway.targets(gateway(None))
