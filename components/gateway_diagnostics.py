"""Diagnostic settings on VPN gateways: the logs every later query and alert depends on."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import monitor, network

from components.gateway_lookup import GatewayLookups, found_for
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.config.azure import DiagnosticsConfig, GatewayConfig

# The setting's Azure name; one per gateway, so a fixed name makes re-runs and audits simple.


@dataclass
class GatewayDiagnosticsArgs:
    gateways: Sequence[GatewayConfig]
    workspace_id: pulumi.Input[str]
    # Azure's answer per gateway (components/gateway_lookup.py), asked before registration;
    # read only for a gateway whose vpnType config leaves to Azure.
    lookups: GatewayLookups = field(default_factory=dict)
    destinations: DiagnosticsConfig = field(default_factory=DiagnosticsConfig)


def checked_vpn_type(gateway: GatewayConfig, result: network.GetVirtualNetworkGatewayResult) -> str:
    """Azure's answer whether the gateway is route- or policy-based (so config cannot get it
    wrong), after checking it is a VPN gateway at all."""
    if result.gateway_type not in (None, "Vpn") or result.vpn_type not in azure_facts.VPN_TYPES:
        raise pulumi.RunError(
            f"{gateway.key_path}.id: {gateway.id.id} is a {result.gateway_type} gateway "
            f"with vpnType {result.vpn_type!r}, not a VPN gateway; remove it from "
            "gatewatch:azure.gateways"
        )
    return str(result.vpn_type)


class GatewayDiagnostics(pulumi.ComponentResource):
    """One diagnostic setting per gateway, to the workspace in AzureDiagnostics mode (VPN
    gateway logs land nowhere else; the mode is the API's default, so it is not sent) plus any
    extra destinations. Route-based gateways send all five categories; policy-based ones only
    the two they emit (Azure rejects the others)."""

    setting_ids: pulumi.Output[dict[str, str]]
    vpn_types: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: GatewayDiagnosticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(azure_facts.GATEWAY_DIAGNOSTICS_TYPE, name, None, opts)
        ids: dict[str, pulumi.Output[str]] = {}
        types: dict[str, pulumi.Output[str]] = {}
        for gateway in args.gateways:
            vpn_type = pulumi.Output.from_input(
                gateway.vpn_type or checked_vpn_type(gateway, found_for(args.lookups, gateway)))
            setting = monitor.DiagnosticSetting(
                f"{name}-{gateway.resource_group}-{gateway.name}".lower(),
                name=azure_names.DIAGNOSTIC_SETTING_NAME,
                resource_uri=gateway.id.id,
                workspace_id=args.workspace_id,
                # No log_analytics_destination_type: absent (null) is AzureDiagnostics mode,
                # and what ARM reads back (gatewatch/azure/facts.py says why).
                storage_account_id=args.destinations.storage_account_id,
                event_hub_authorization_rule_id=args.destinations.event_hub_authorization_rule_id,
                event_hub_name=args.destinations.event_hub_name,
                logs=vpn_type.apply(
                    functools.partial(_log_settings, group=args.destinations.category_group)),
                metrics=[
                    monitor.DiagnosticsMetricSettingsArgs(category=azure_facts.ALL_METRICS,
                                                          enabled=True)
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            ids[gateway.id.id] = setting.id
            types[gateway.id.id] = vpn_type
        self.setting_ids = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.vpn_types = pulumi.Output.all(**types) if types else pulumi.Output.from_input({})
        self.register_outputs({"setting_ids": self.setting_ids, "vpn_types": self.vpn_types})


def _log_settings(
    vpn_type: str, group: str | None = None,
) -> list[monitor.DiagnosticsLogSettingsArgs]:
    """Route-based gateways: the category group when config asks for it (what policy ed6ae75a
    checks), else the five by name. Policy-based ones: always their two by name (facts)."""
    if group is not None and vpn_type == azure_facts.ROUTE_BASED:
        return [monitor.DiagnosticsLogSettingsArgs(category_group=group, enabled=True)]
    return [
        monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
        for category in azure_facts.categories_for(vpn_type)
    ]
