"""Coexisting with Azure Policy ed6ae75a: the kit's `categoryGroup: allLogs` form through the
policy pack (pulumi-policy's analyzer servicer, as the engine drives it), and the pack's
remediation of a setting that asks a policy-based gateway for categories it cannot emit."""

from __future__ import annotations

import runpy
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime import proto

from gatewatch.azure import facts as azure_facts
from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from gatewatch.offline import runtime
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.policy import remediation
from tests.policy.test_analyzer import _struct, analyze, servicer
from tests.support.graph import categories, plan, setting_for
from tests.support.policy_stacks import native_gateway
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config

SETTING = "azure-native:monitor:DiagnosticSetting"
GATEWAY = "azure-native:network:VirtualNetworkGateway"
FIVE = list(azure_facts.GATEWAY_LOG_CATEGORIES)


def declare_gateway(name: str, group: str, gateway_name: str,
                    vpn_type: str = "RouteBased") -> Any:
    from pulumi_azure_native import network

    return network.VirtualNetworkGateway(
        name, resource_group_name=group, virtual_network_gateway_name=gateway_name,
        gateway_type="Vpn", vpn_type=vpn_type, location="japaneast")


def all_logs_config() -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["diagnostics"] = {"categoryGroup": "allLogs"}
    return config


def test_all_logs_goes_to_route_based_gateways_and_policy_based_keep_their_two() -> None:
    rec = plan(all_logs_config())
    route = setting_for(rec, ROUTE_GW)
    assert route.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    policy = setting_for(rec, POLICY_GW)
    assert categories(policy) == list(azure_facts.POLICY_BASED_LOG_CATEGORIES)
    assert all("categoryGroup" not in log for log in policy.inputs["logs"])


def test_the_kit_with_all_logs_passes_the_pack_with_its_gateways_declared() -> None:
    def program() -> None:
        runpy.run_path(str(runtime.PROGRAM), run_name="__main__")
        native_gateway("hub", "rg-hub", "vpngw-hub")()
        native_gateway("branch", "rg-branch", "vpngw-branch", "PolicyBased")()

    rec = run_program(all_logs_config(), stack="test", program=program)
    assert analyze(rec) == []


def test_control_the_pack_still_fails_a_route_based_setting_with_too_few_categories() -> None:
    # The same path must be able to fail: drop allLogs and ask for one category only.
    def program() -> None:
        from pulumi_azure_native import monitor

        gateway = declare_gateway("hub", "rg-hub", "vpngw-hub")
        monitor.DiagnosticSetting("hub-diag", resource_uri=gateway.id, workspace_id="/x/ws",
                                  logs=[monitor.DiagnosticsLogSettingsArgs(
                                      category="GatewayDiagnosticLog", enabled=True)])

    rec = run_program({}, stack="test", program=program)
    [diagnostic] = analyze(rec)
    assert diagnostic.policyName == "vpn-gateway-diagnostics"


# --- remediation ---------------------------------------------------------------------------

def _request(type_: str, name: str, props: dict[str, Any]) -> Any:
    return proto.AnalyzeRequest(type=type_, urn=f"urn:pulumi:test::p::{type_}::{name}",
                                name=name, properties=_struct(props))


def remediate(service: Any, type_: str, name: str, props: dict[str, Any]) -> list[Any]:
    return list(service.Remediate(_request(type_, name, props), None).remediations)


def setting_props(target: str, logs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "diag", "resourceUri": target, "workspaceId": "/subscriptions/x/ws",
            "logs": logs}


def five() -> list[dict[str, Any]]:
    return [{"category": c, "enabled": True} for c in FIVE]


def test_a_setting_asking_a_declared_policy_based_gateway_for_five_is_remediated_to_two() -> None:
    service = servicer()
    assert remediate(service, GATEWAY, "branch", {
        "resourceGroupName": "rg-branch", "virtualNetworkGatewayName": "vpngw-branch",
        "gatewayType": "Vpn", "vpnType": "PolicyBased"}) == []
    [fix] = remediate(service, SETTING, "diag", setting_props(POLICY_GW, five()))
    assert fix.policyName == remediation.POLICY_NAME
    props = json_format.MessageToDict(fix.properties)
    assert props["logs"] == [{"category": "GatewayDiagnosticLog", "enabled": True},
                             {"category": "RouteDiagnosticLog", "enabled": True}]
    assert props["resourceUri"] == POLICY_GW and props["workspaceId"] == "/subscriptions/x/ws"


def test_a_gateway_named_in_the_policy_config_is_remediated_too() -> None:
    service = servicer(config={remediation.POLICY_NAME: {
        "enforcementLevel": "remediate", "policyBasedGateways": [POLICY_GW]}})
    logs = [{"category": "TunnelDiagnosticLog", "enabled": True}]
    [fix] = remediate(service, SETTING, "diag", setting_props(POLICY_GW, logs))
    props = json_format.MessageToDict(fix.properties)
    expected = list(azure_facts.POLICY_BASED_LOG_CATEGORIES)
    assert [log["category"] for log in props["logs"]] == expected


def test_route_based_and_unknown_targets_are_left_alone() -> None:
    service = servicer()
    remediate(service, GATEWAY, "hub", {
        "resourceGroupName": "rg-hub", "virtualNetworkGatewayName": "vpngw-hub",
        "gatewayType": "Vpn", "vpnType": "RouteBased"})
    assert remediate(service, SETTING, "diag", setting_props(ROUTE_GW, five())) == []
    # A gateway the pack never saw and config does not name: it cannot know, it does nothing.
    assert remediate(service, SETTING, "diag", setting_props(POLICY_GW, five())) == []


def test_after_remediation_the_mandatory_check_passes() -> None:
    def program(logs: list[str]) -> Any:
        def run() -> None:
            from pulumi_azure_native import monitor

            gateway = declare_gateway("branch", "rg-branch", "vpngw-branch", "PolicyBased")
            monitor.DiagnosticSetting("branch-diag", resource_uri=gateway.id,
                                      workspace_id="/x/ws", logs=[
                                          monitor.DiagnosticsLogSettingsArgs(category=c,
                                                                             enabled=True)
                                          for c in logs])
        return run

    before = run_program({}, stack="test", program=program(FIVE))
    assert [d.policyName for d in analyze(before)] == ["policy-based-gateway-categories"]
    fixed = remediation.remediate_setting(
        SETTING, {"resourceUri": POLICY_GW, "logs": five()},
        remediation.PolicyBasedGateways.from_config([POLICY_GW]))
    assert fixed is not None
    after: Recording = run_program({}, stack="test", program=program(
        [log["category"] for log in fixed["logs"]]))
    assert analyze(after) == []


def test_the_pack_declares_the_remediation_at_remediate_level() -> None:
    info = servicer().GetAnalyzerInfo(None, None)
    [policy] = [p for p in info.policies if p.name == remediation.POLICY_NAME]
    assert policy.enforcementLevel == proto.REMEDIATE
    assert "policyBasedGateways" in policy.configSchema.properties


def test_an_unknown_category_group_is_a_config_error_naming_the_key() -> None:
    config = base_config()
    config["gatewatch:azure"]["diagnostics"] = {"categoryGroup": "audit"}
    with pytest.raises(BadInput) as error:
        parse_config(config)
    assert "gatewatch:azure.diagnostics.categoryGroup" in str(error.value)
    assert "allLogs" in str(error.value)
