"""The policy rules over real Pulumi programs recorded by the harness (true inputs and
propertyDependencies, unknown ids in preview), over the kit's own program, and over the
config the engine passes (enforcement levels, exemptions)."""

from __future__ import annotations

import runpy
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pulumi.dynamic
import pytest
from pulumi_aws import cloudwatch, ec2
from pulumi_azure_native import monitor, network, operationalinsights, resources

from gatewatch.azure import facts as azure_facts
from gatewatch.checks.model import UNKNOWN, Resource
from gatewatch.errors import BadInput
from gatewatch.offline import runtime
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.policy.rules.azure.gateways import read_setting
from gatewatch.policy.runner import Outcome, resolve_config, run_pack
from tests.support.stacks import POLICY_GW, ROUTE_GW, base_config, gateway_id

FIVE = azure_facts.GATEWAY_LOG_CATEGORIES
STORAGE_ID = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-logs/"
              "providers/Microsoft.Storage/storageAccounts/stlogs")
CLASSIC_GATEWAY = "azure:network/virtualNetworkGateway:VirtualNetworkGateway"
CLASSIC_SETTING = "azure:monitoring/diagnosticSetting:DiagnosticSetting"

Program = Callable[[], None]


def record(program: Program, *, preview: bool = True) -> Recording:
    return run_program({}, stack="policy", preview=preview, program=program)


def check(rec: Recording, config: dict[str, Any] | None = None) -> Outcome:
    return run_pack(rec.resources, config)


def violations(outcome: Outcome, policy: str) -> list[str]:
    return [v.message for v in outcome.violations if v.policy == policy]


def _network() -> tuple[resources.ResourceGroup, operationalinsights.Workspace]:
    group = resources.ResourceGroup("rg", resource_group_name="rg-net", location="japaneast")
    workspace = operationalinsights.Workspace(
        "logs", resource_group_name=group.name, workspace_name="log-net", retention_in_days=30)
    return group, workspace


def azure_stack(
    *,
    vpn_type: str = "RouteBased",
    categories: Sequence[str] = FIVE,
    category_group: str | None = None,
    to_workspace: bool = True,
    to_storage: bool = False,
    with_setting: bool = True,
) -> Program:
    """A new VPN gateway `hub-gw` and (optionally) a diagnostic setting `hub-gw-diag` whose
    resource_uri is the gateway's id: unknown in preview, as on a first `pulumi preview`."""

    def program() -> None:
        group, workspace = _network()
        gateway = network.VirtualNetworkGateway(
            "hub-gw", resource_group_name=group.name, virtual_network_gateway_name="vpngw-hub",
            gateway_type="Vpn", vpn_type=vpn_type, location="japaneast")
        if not with_setting:
            return
        logs = ([monitor.DiagnosticsLogSettingsArgs(category_group=category_group, enabled=True)]
                if category_group else
                [monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in categories])
        monitor.DiagnosticSetting(
            "hub-gw-diag", name="diag", resource_uri=gateway.id,
            workspace_id=workspace.id if to_workspace else None,
            storage_account_id=STORAGE_ID if to_storage else None,
            logs=logs)

    return program


# --- the kit's own program -------------------------------------------------------------------

@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_kits_own_program_passes_every_policy(preview: bool) -> None:
    rec = run_program(base_config(), stack="test", preview=preview)
    outcome = check(rec)
    assert outcome.violations == [], [v.message for v in outcome.violations]
    assert not outcome.failed


def test_a_gateway_declared_beside_the_kits_program_without_a_setting_fails() -> None:
    def program() -> None:
        runpy.run_path(str(runtime.PROGRAM), run_name="__main__")
        network.VirtualNetworkGateway("extra-gw", resource_group_name="rg-net",
                                      gateway_type="Vpn", vpn_type="RouteBased")

    outcome = check(run_program(base_config(), stack="test", program=program))
    assert outcome.failed
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "'extra-gw' has no diagnostic setting" in message


# --- gateways the kit covers by id (gatewatch:azure.gateways) ---------------------------------

def beside_the_kit(*declare: Program) -> Recording:
    """The kit's own program with `base_config()` (gateways rg-hub/vpngw-hub and
    rg-branch/vpngw-branch by id), plus gateways declared in the same stack, in preview."""

    def program() -> None:
        runpy.run_path(str(runtime.PROGRAM), run_name="__main__")
        for extra in declare:
            extra()

    return run_program(base_config(), stack="test", program=program)


def native_gateway(name: str, group: str, gateway_name: str,
                   vpn_type: str = "RouteBased") -> Program:
    return lambda: network.VirtualNetworkGateway(
        name, resource_group_name=group, virtual_network_gateway_name=gateway_name,
        gateway_type="Vpn", vpn_type=vpn_type, location="japaneast")


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


def test_resource_group_and_name_match_only_while_the_gateway_id_is_unknown() -> None:
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


# --- vpn-gateway-diagnostics ------------------------------------------------------------------

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


def _unknown(value: str) -> pulumi.Output[str]:
    """An output whose value is not known, like an output of a resource not created yet."""
    import asyncio

    loop = asyncio.get_event_loop()
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(False)
    future: asyncio.Future[str] = loop.create_future()
    future.set_result(value)
    return pulumi.Output(set(), future, known)


def test_an_unknown_vpn_type_is_assumed_route_based_not_skipped() -> None:
    def program() -> None:
        group, workspace = _network()
        gateway = network.VirtualNetworkGateway(
            "hub-gw", resource_group_name=group.name, gateway_type="Vpn",
            vpn_type=_unknown("PolicyBased"))
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
        group, workspace = _network()
        gateway = network.VirtualNetworkGateway(
            "hub-gw", resource_group_name=group.name, gateway_type="Vpn", vpn_type="RouteBased")
        monitor.DiagnosticSetting(
            "hub-gw-diag", resource_uri=gateway.id, workspace_id=workspace.id,
            logs=_unknown("x").apply(lambda _: [
                monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in FIVE]))

    [message] = violations(check(record(program)), "vpn-gateway-diagnostics")
    assert "the logs of 'hub-gw-diag' are unknown during preview" in message


# --- policy-based-gateway-categories ----------------------------------------------------------

def test_a_policy_based_gateway_asked_for_all_five_is_a_mandatory_violation() -> None:
    outcome = check(record(azure_stack(vpn_type="PolicyBased")))
    assert violations(outcome, "vpn-gateway-diagnostics") == []
    [violation] = [v for v in outcome.violations if v.policy == "policy-based-gateway-categories"]
    assert violation.level == "mandatory" and violation.name == "hub-gw-diag"
    assert "asks the policy-based gateway 'hub-gw' for TunnelDiagnosticLog, IKEDiagnosticLog, " \
        "P2SDiagnosticLog" in violation.message


def test_all_logs_on_a_policy_based_gateway_is_fine() -> None:
    assert check(record(azure_stack(vpn_type="PolicyBased", category_group="allLogs"))) \
        .violations == []


# --- the classic provider ---------------------------------------------------------------------

def classic_stack(*, logs: list[dict[str, Any]] | None, vpn_type: str = "RouteBased") -> Program:
    def program() -> None:
        _, workspace = _network()
        gateway = pulumi.CustomResource(CLASSIC_GATEWAY, "classic-gw", {
            "resourceGroupName": "rg-net", "type": "Vpn", "vpnType": vpn_type, "sku": "VpnGw1"})
        if logs is not None:
            pulumi.CustomResource(CLASSIC_SETTING, "classic-diag", {
                "targetResourceId": gateway.id, "logAnalyticsWorkspaceId": workspace.id,
                "enabledLogs": logs})

    return program


def test_a_classic_gateway_with_enabled_logs_passes_and_without_fails() -> None:
    assert check(record(classic_stack(logs=[{"categoryGroup": "allLogs"}]))).violations == []
    assert check(record(classic_stack(logs=[{"category": c} for c in FIVE]))).violations == []
    outcome = check(record(classic_stack(logs=None)))
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "'classic-gw'" in message and "target_resource_id=<classic-gw>.id" in message


def test_a_classic_policy_based_gateway_asked_for_tunnel_logs_fails() -> None:
    outcome = check(record(classic_stack(logs=[{"category": c} for c in FIVE],
                                         vpn_type="PolicyBased")))
    assert len(violations(outcome, "policy-based-gateway-categories")) == 1


# --- exemptions and enforcement config --------------------------------------------------------

def test_an_exempted_gateway_is_skipped_and_the_reason_is_reported() -> None:
    config = {"vpn-gateway-diagnostics": {
        "exemptions": [{"name": "hub-gw", "reason": "decommissioned in March"},
                       {"name": "hub-gw-typo", "reason": "misspelt"}]}}
    outcome = check(record(azure_stack(with_setting=False)), config)
    assert outcome.violations == [] and not outcome.failed
    notes = [n.message for n in outcome.notes]
    assert "'hub-gw' is exempt from vpn-gateway-diagnostics: decommissioned in March" in notes
    assert any("'hub-gw-typo'" in n and "matches no resource" in n for n in notes)


def test_an_exemption_without_a_reason_is_a_config_error() -> None:
    with pytest.raises(BadInput, match=r"vpn-gateway-diagnostics.exemptions\[0\]"):
        resolve_config({"vpn-gateway-diagnostics": {"exemptions": [{"name": "hub-gw"}]}})


def test_unknown_policy_names_and_levels_are_config_errors() -> None:
    with pytest.raises(BadInput) as error:
        resolve_config({"vpn-gateway-diagnostic": "advisory", "all": "loud"})
    text = str(error.value)
    assert "did you mean 'vpn-gateway-diagnostics'" in text and "'loud'" in text


# --- AWS --------------------------------------------------------------------------------------

class _RolloutProvider(pulumi.dynamic.ResourceProvider):
    """Stands in for the kit's rollout provider: under mocks create() never runs."""


class TunnelLogsRollout(pulumi.dynamic.Resource):
    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__(_RolloutProvider(), name, props)


def aws_stack(*, tunnels: Sequence[int] = (), rollout: bool | None = None,
              bgp: bool = True) -> Program:
    """`bgp`: the tunnels that log (or the rollout) also send BGP logs."""
    def program() -> None:
        bgp_args: dict[str, Any] = (
            {"bgp_log_enabled": True, "bgp_log_group_arn": "arn:lg"} if bgp else {})

        def log_options(n: int) -> Any:
            if n not in tunnels:
                return None
            if n == 1:
                return ec2.VpnConnectionTunnel1LogOptionsArgs(
                    cloudwatch_log_options=ec2.VpnConnectionTunnel1LogOptionsCloudwatchLogOptionsArgs(
                        log_enabled=True, log_group_arn="arn:lg", log_output_format="json",
                        **bgp_args))
            return ec2.VpnConnectionTunnel2LogOptionsArgs(
                cloudwatch_log_options=ec2.VpnConnectionTunnel2LogOptionsCloudwatchLogOptionsArgs(
                    log_enabled=True, log_group_arn="arn:lg", log_output_format="json",
                    **bgp_args))

        connection = ec2.VpnConnection(
            "office-vpn", customer_gateway_id="cgw-1", type="ipsec.1", vpn_gateway_id="vgw-1",
            tunnel1_log_options=log_options(1), tunnel2_log_options=log_options(2))
        if rollout is not None:
            TunnelLogsRollout("office-vpn-logs", {"vpnConnectionId": connection.id,
                                                  "logEnabled": rollout,
                                                  "logGroupArn": "arn:lg",
                                                  "bgpLogEnabled": bgp})

    return program


def test_tunnel_logs_without_bgp_logs_get_an_advisory_naming_the_tunnels() -> None:
    outcome = check(record(aws_stack(tunnels=[1, 2], bgp=False)))
    assert not outcome.failed  # advisory only
    [message] = violations(outcome, "aws-vpn-bgp-logging")
    assert "'office-vpn' does not send tunnel1, tunnel2 BGP logs" in message
    assert "bgpLogEnabled=true" in message


def test_a_rollout_resource_without_bgp_logs_gets_the_advisory_and_one_with_them_does_not(
) -> None:
    assert violations(check(record(aws_stack(rollout=True, bgp=False))),
                      "aws-vpn-bgp-logging")
    assert not violations(check(record(aws_stack(rollout=True))), "aws-vpn-bgp-logging")


def test_a_vpn_connection_without_tunnel_logs_fails_and_names_both_tunnels() -> None:
    outcome = check(record(aws_stack()))
    [violation] = outcome.violations
    assert violation.policy == "aws-vpn-tunnel-logging" and violation.level == "mandatory"
    assert "'office-vpn' does not send tunnel1, tunnel2 activity logs" in violation.message


def test_one_logged_tunnel_is_not_enough() -> None:
    [message] = violations(check(record(aws_stack(tunnels=[1]))), "aws-vpn-tunnel-logging")
    assert "does not send tunnel2 activity logs" in message


def test_both_tunnels_logged_in_tunnel_options_pass() -> None:
    assert check(record(aws_stack(tunnels=[1, 2]))).violations == []


def test_a_connection_covered_by_the_rollout_resource_passes_in_preview() -> None:
    rec = record(aws_stack(rollout=True))
    rollout = rec.one("pulumi-python:dynamic:Resource", "office-vpn-logs")
    assert rollout.inputs["vpnConnectionId"] is UNKNOWN  # matched by URN, not id
    assert check(rec).violations == []
    assert check(record(aws_stack(rollout=True), preview=False)).violations == []


def test_a_rollout_resource_with_logging_off_does_not_cover() -> None:
    assert len(check(record(aws_stack(rollout=False))).violations) == 1


def test_aws_tunnel_logging_can_be_made_advisory_by_config() -> None:
    outcome = check(record(aws_stack()), {"aws-vpn-tunnel-logging": "advisory"})
    assert [v.level for v in outcome.violations] == ["advisory"]
    assert not outcome.failed
    outcome = check(record(aws_stack()), {"aws-vpn-tunnel-logging": {
        "enforcementLevel": "disabled"}})
    assert outcome.violations == []


# --- advisory rules ---------------------------------------------------------------------------

def test_advisory_rules_flag_their_resources_without_failing() -> None:
    def program() -> None:
        group, _ = _network()
        operationalinsights.Workspace("short-logs", resource_group_name=group.name,
                                      retention_in_days=7)
        pulumi.CustomResource("azure-native:monitor:ScheduledQueryRule", "no-identity-rule", {
            "resourceGroupName": "rg-net", "kind": "LogAlert", "scopes": ["/x"]})
        pulumi.CustomResource("azure-native:monitor:ScheduledQueryRule", "identity-rule", {
            "resourceGroupName": "rg-net", "identity": {"type": "UserAssigned"}})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "sub-reader", {
            "scope": "/subscriptions/11111111-2222-3333-4444-555555555555",
            "principalId": "p", "roleDefinitionId": "r"})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "mg-reader", {
            "scope": "/providers/Microsoft.Management/managementGroups/corp",
            "principalId": "p", "roleDefinitionId": "r"})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "rg-reader", {
            "scope": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg",
            "principalId": "p", "roleDefinitionId": "r"})
        cloudwatch.LogGroup("forever", name="/aws/vendedlogs/vpn")
        cloudwatch.LogGroup("ninety", name="/aws/vendedlogs/vpn90", retention_in_days=90)

    outcome = check(record(program))
    flagged = sorted((v.policy, v.name) for v in outcome.violations)
    assert flagged == [
        ("alert-roles-not-subscription-scope", "mg-reader"),
        ("alert-roles-not-subscription-scope", "sub-reader"),
        ("alert-rules-use-managed-identity", "no-identity-rule"),
        ("log-group-retention", "forever"),
        ("workspace-retention-30-days", "short-logs"),
    ]
    assert {v.level for v in outcome.violations} == {"advisory"}
    assert not outcome.failed
