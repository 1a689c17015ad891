"""What Azure says about the watched gateways, asked once per gateway before any resource is
registered, and handed to the components that decide with it:

- GatewayAlerts: the gateway's tags (AMBA's MonitorDisable opt-out decides whether its alerts
  exist at all, so the answer must be a plain value, not an Output);
- GatewayDiagnostics: its gatewayType and vpnType, when config does not state the vpnType;
- GatewayMaintenance: its region and SKU (Azure's rules for a maintenance window).

Pulumi's "Provider functions" (https://www.pulumi.com/docs/iac/concepts/functions/provider-functions/)
documents two forms of a lookup: the direct form (`network.get_virtual_network_gateway`) returns
plain values, the output form (`..._output`) an Output. In Python the direct form waits for its
answer by running the event loop, and that loop also steps every registration still pending; one
direct lookup per gateway while the components register their resources made the program
quadratic in gateways (issue 22). Here every lookup runs before the first registration, one per
gateway, so each wait is short and the program stays linear; and the gateway is asked once,
not once per component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
from pulumi_azure_native import network

from gatewatch.config.azure import AzureConfig, GatewayConfig

Found = network.GetVirtualNetworkGatewayResult
# Keyed by GatewayConfig.id.key (the ARM id, compared case-insensitively).
GatewayLookups = Mapping[str, Found]


def gateways_to_look_up(azure: AzureConfig) -> list[GatewayConfig]:
    """The gateways some component needs Azure's answer for: all of them when alerts (tags,
    and the health alerts' regions) or a maintenance window (region, SKU) are configured;
    otherwise only those whose vpnType config leaves to Azure (the diagnostic settings)."""
    if azure.alerts is not None or azure.maintenance_window is not None:
        return list(azure.gateways)
    return [g for g in azure.gateways if not g.vpn_type]


def lookup_gateways(gateways: Sequence[GatewayConfig],
                    opts: pulumi.InvokeOptions | None = None) -> dict[str, Found]:
    """One direct lookup per gateway (a gateway listed twice is asked once). Call it before
    any resource is registered (see the module docstring)."""
    found: dict[str, Found] = {}
    for gateway in gateways:
        if gateway.id.key not in found:
            found[gateway.id.key] = network.get_virtual_network_gateway(
                resource_group_name=gateway.resource_group,
                virtual_network_gateway_name=gateway.name,
                opts=opts,
            )
    return found


def found_for(lookups: GatewayLookups, gateway: GatewayConfig) -> Found:
    """The answer for one gateway; a component asking for a gateway that was not looked up
    is a wiring error of the program (gateways_to_look_up and the component disagree)."""
    try:
        return lookups[gateway.id.key]
    except KeyError:
        raise AssertionError(
            f"{gateway.key_path}: {gateway.id.id} was not looked up before registration "
            "(components/gateway_lookup.py, gateways_to_look_up)") from None


__all__ = ["GatewayLookups", "found_for", "gateways_to_look_up", "lookup_gateways"]
