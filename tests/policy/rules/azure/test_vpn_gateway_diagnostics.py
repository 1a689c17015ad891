"""vpn-gateway-diagnostics over recorded programs (azure-native and classic)."""

from __future__ import annotations

from pulumi_azure_native import monitor, network

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import UNKNOWN
from tests.support.policy_stacks import (
    FIVE,
    azure_stack,
    check,
    classic_stack,
    network_and_workspace,
    record,
    unknown_output,
    violations,
)


def test_a_new_gateway_matched_through_property_dependencies_in_preview_passes() -> None:
    rec = record(azure_stack())
    setting = rec.one("azure-native:monitor:DiagnosticSetting", "hub-gw-diag")
    gateway = rec.one("azure-native:network:VirtualNetworkGateway", "hub-gw")
    # The first-preview situation: the target id is unknown, only the URN links them.
    assert setting.inputs["resourceUri"] is UNKNOWN
    assert setting.property_dependencies["resourceUri"] == [gateway.urn]
    assert check(rec).violations == []


def test_the_same_stack_passes_in_update_mode_with_ids_known() -> None:
    assert check(record(azure_stack(), preview=False)).violations == []


def test_a_gateway_without_a_setting_is_a_mandatory_violation_naming_the_fix() -> None:
    outcome = check(record(azure_stack(with_setting=False)))
    assert outcome.failed
    [violation] = outcome.violations
    assert violation.level == "mandatory"
    assert violation.name == "hub-gw"
    assert violation.message.startswith("VPN gateway 'hub-gw' has no diagnostic setting sending "
                                        "GatewayDiagnosticLog, TunnelDiagnosticLog")
    assert "resource_uri=<hub-gw>.id" in violation.message
    assert "gatewatch:azure.gateways" in violation.message


def test_a_setting_with_only_some_categories_names_the_missing_ones() -> None:
    outcome = check(record(azure_stack(categories=["GatewayDiagnosticLog", "RouteDiagnosticLog"])))
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "sending TunnelDiagnosticLog, IKEDiagnosticLog, P2SDiagnosticLog to a Log Analytics" \
        in message
    assert "GatewayDiagnosticLog," not in message


def test_a_storage_only_setting_does_not_count() -> None:
    outcome = check(record(azure_stack(to_workspace=False, to_storage=True)))
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "'hub-gw-diag'" in message and "no Log Analytics workspace" in message


def test_category_group_all_logs_counts_as_every_category_and_audit_does_not() -> None:
    assert check(record(azure_stack(category_group="allLogs"))).violations == []
    outcome = check(record(azure_stack(category_group="audit")))
    assert len(violations(outcome, "vpn-gateway-diagnostics")) == 1


def test_a_policy_based_gateway_needs_only_its_two_categories() -> None:
    outcome = check(record(azure_stack(vpn_type="PolicyBased",
                                       categories=azure_facts.categories_for("PolicyBased"))))
    assert outcome.violations == []


def test_an_unknown_vpn_type_is_assumed_route_based_not_skipped() -> None:
    def program() -> None:
        group, workspace = network_and_workspace()
        gateway = network.VirtualNetworkGateway(
            "hub-gw", resource_group_name=group.name, gateway_type="Vpn",
            vpn_type=unknown_output("PolicyBased"))
        monitor.DiagnosticSetting(
            "hub-gw-diag", resource_uri=gateway.id, workspace_id=workspace.id,
            logs=[monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True)
                  for c in azure_facts.categories_for("PolicyBased")])

    rec = record(program)
    assert rec.one("azure-native:network:VirtualNetworkGateway", "hub-gw").inputs["vpnType"] \
        is UNKNOWN
    [message] = violations(check(rec), "vpn-gateway-diagnostics")
    assert "vpnType is unknown during preview" in message


def test_logs_unknown_in_preview_are_a_violation_that_says_so() -> None:
    def program() -> None:
        group, workspace = network_and_workspace()
        gateway = network.VirtualNetworkGateway(
            "hub-gw", resource_group_name=group.name, gateway_type="Vpn", vpn_type="RouteBased")
        monitor.DiagnosticSetting(
            "hub-gw-diag", resource_uri=gateway.id, workspace_id=workspace.id,
            logs=unknown_output("x").apply(lambda _: [
                monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in FIVE]))

    [message] = violations(check(record(program)), "vpn-gateway-diagnostics")
    assert "the logs of 'hub-gw-diag' are unknown during preview" in message


# --- the classic provider ---------------------------------------------------------------------


def test_a_classic_gateway_with_enabled_logs_passes_and_without_fails() -> None:
    assert check(record(classic_stack(logs=[{"categoryGroup": "allLogs"}]))).violations == []
    assert check(record(classic_stack(logs=[{"category": c} for c in FIVE]))).violations == []
    outcome = check(record(classic_stack(logs=None)))
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "'classic-gw'" in message and "target_resource_id=<classic-gw>.id" in message
