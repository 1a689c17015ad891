"""Pulumi programs for the policy tests, recorded by the harness (true inputs and
propertyDependencies, unknown ids in preview), and the pack run over them."""

from __future__ import annotations

import runpy
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi_aws import ec2
from pulumi_azure_native import monitor, network, operationalinsights, resources

from gatewatch.azure import facts as azure_facts
from gatewatch.offline import runtime
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.policy.runner import Outcome, run_pack
from tests.support.stacks import base_config

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


def network_and_workspace() -> tuple[resources.ResourceGroup, operationalinsights.Workspace]:
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
        group, workspace = network_and_workspace()
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


def unknown_output(value: str) -> pulumi.Output[str]:
    """An output whose value is not known, like an output of a resource not created yet."""
    import asyncio

    loop = asyncio.get_event_loop()
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(False)
    future: asyncio.Future[str] = loop.create_future()
    future.set_result(value)
    return pulumi.Output(set(), future, known)


def classic_stack(*, logs: list[dict[str, Any]] | None, vpn_type: str = "RouteBased") -> Program:
    def program() -> None:
        _, workspace = network_and_workspace()
        gateway = pulumi.CustomResource(CLASSIC_GATEWAY, "classic-gw", {
            "resourceGroupName": "rg-net", "type": "Vpn", "vpnType": vpn_type, "sku": "VpnGw1"})
        if logs is not None:
            pulumi.CustomResource(CLASSIC_SETTING, "classic-diag", {
                "targetResourceId": gateway.id, "logAnalyticsWorkspaceId": workspace.id,
                "enabledLogs": logs})

    return program


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
