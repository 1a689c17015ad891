"""The provider answers of an offline run: fake ids and outputs outside preview, and the lookups
the program makes (gateway, VM, client config, VPN connection) answered from the stack config or
a documented default, each recorded with a note so the plan can say what it assumed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from gatewatch.checks.api_specs import manifest
from gatewatch.offline.recording import RecordedCall, Recording

FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

# What an offline lookup answers when config does not say; printed with the plan.
OFFLINE_DEFAULT_VPN_TYPE = "RouteBased"
OFFLINE_DEFAULT_GATEWAY_SKU = "VpnGw1"
OFFLINE_DEFAULT_OS_TYPE = "Windows"  # gatewatch:azure.vms are Windows VMs unless Azure says not
OFFLINE_DEFAULT_VM_IDENTITY = "SystemAssigned"

# Inputs that become the `name` output after a create (used downstream, e.g. group.name).
_NAME_INPUTS = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:operationalinsights:QueryPack": "queryPackName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
}


@functools.cache
def _arm_resource_types() -> dict[str, tuple[str, str]]:
    """token -> (ARM resource type, name input) of the azure-native types that live directly in
    a resource group (vendor/azure-api-specs/manifest.json), for realistic fake ids:
    /subscriptions/{id}/resourceGroups/{group}/providers/{type}/{name}."""
    return {token: (spec.arm_type, spec.name_parameters[0]) for token, spec in manifest().items()
            if len(spec.path_parameters) == 2 and spec.path_parameters[0] == "resourceGroupName"
            and spec.path_parameters[1:] == spec.name_parameters}


def offline_tunnel_ips(vpn_id: str) -> list[str]:
    """Two stable TEST-NET-3 addresses per connection, for offline runs only."""
    n = int(uuid.uuid5(uuid.NAMESPACE_URL, vpn_id).hex[:4], 16) % 127
    return [f"203.0.113.{2 * n + 1}", f"203.0.113.{2 * n + 2}"]


FAKE_AWS_ACCOUNT = "123456789012"
# AWS resources whose `arn` output the program uses: service and resource part of the ARN.
_AWS_ARNS = {
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/{name}"),
}


def _fake_arn(type_: str, state: Mapping[str, Any]) -> str | None:
    spec = _AWS_ARNS.get(type_)
    if spec is None or "name" not in state:
        return None
    service, resource = spec
    region = state.get("region", "us-east-1")
    return f"arn:aws:{service}:{region}:{FAKE_AWS_ACCOUNT}:{resource.format(name=state['name'])}"


def _fake_guid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gatewatch-offline/{seed}"))

@dataclass
class OfflineHints:
    """What the stack config says that an offline lookup can answer with: the stack's region
    (the default for a VM's or gateway's region) and any per-resource osType / location."""

    location: str = "japaneast"
    gateway_locations: dict[str, str] = field(default_factory=dict)
    gateway_vpn_types: dict[str, str] = field(default_factory=dict)
    gateway_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    vm_os_types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OfflineHints:
        """Read through the config model (one parser); a config it rejects gives no hints."""
        from gatewatch.config.model import parse_config
        from gatewatch.errors import BadInput

        try:
            azure = parse_config(config).azure
        except BadInput:
            return cls()
        if azure is None:
            return cls()

        def key(rg: str, name: str) -> str:
            return f"{rg}/{name}".lower()

        return cls(
            location=azure.location,
            gateway_locations={key(g.resource_group, g.name): g.location
                               for g in azure.gateways if g.location},
            gateway_vpn_types={key(g.resource_group, g.name): g.vpn_type
                               for g in azure.gateways if g.vpn_type},
            gateway_tags={key(g.resource_group, g.name): dict(g.tags)
                          for g in azure.gateways if g.tags},
            vm_os_types={key(v.resource_group, v.name): v.os_type
                         for v in azure.vms if v.os_type},
        )


class OfflineMocks(pulumi_mocks.Mocks):
    """Provider answers for an offline run: ids only outside preview, lookups from config or
    a documented default (recorded with a note, so the plan can say what it assumed)."""

    def __init__(self, recording: Recording, vpn_types: Mapping[str, str],
                 lookups: Mapping[str, Mapping[str, Any]] | None = None,
                 hints: OfflineHints | None = None) -> None:
        self.recording = recording
        self.hints = hints or OfflineHints()
        # Explicit answers (tests) over what the stack config states.
        self.vpn_types = {**self.hints.gateway_vpn_types,
                          **{k.lower(): v for k, v in vpn_types.items()}}
        # "rg/name" -> fields merged over the answer (tests simulate a Linux VM, a Basic SKU).
        self.lookups = {k.lower(): dict(v) for k, v in (lookups or {}).items()}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        identity = state.pop("identity", None)
        if args.typ.startswith("pulumi-python:dynamic") and "keepers" in state:
            # components.creation_date: the provider computes the date at create. Preview: left
            # out, so unknown as in a real first preview; update: what create() would answer.
            from components.creation_date import DATE_KEY, tomorrow_utc

            state.pop(DATE_KEY, None)
            if not self.recording.preview:
                state[DATE_KEY] = tomorrow_utc()
        if self.recording.preview:
            # No id and no computed outputs: unknown, as in a real preview.
            return "", state
        name_input = _NAME_INPUTS.get(args.typ)
        if name_input and name_input in state:
            state["name"] = state[name_input]
        if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
            state["principalId"] = _fake_guid(f"principal/{args.name}")
            state["clientId"] = _fake_guid(f"client/{args.name}")
        arn = _fake_arn(args.typ, state)
        if arn:
            state["arn"] = arn
        if isinstance(identity, dict):
            # Input is a list of identity ids; the output is a map id -> {principalId, ...}.
            assigned = identity.get("userAssignedIdentities") or []
            state["identity"] = {**identity, "userAssignedIdentities": {
                i: {"principalId": _fake_guid(f"principal/{i}"),
                    "clientId": _fake_guid(f"client/{i}")} for i in assigned}}
        return self._fake_id(args), state

    @staticmethod
    def _fake_id(args: pulumi_mocks.MockResourceArgs) -> str:
        inputs = args.inputs
        if args.typ == "azure-native:resources:ResourceGroup":
            rg = inputs["resourceGroupName"]
            return f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{rg}"
        if args.typ == "azure-native:monitor:DiagnosticSetting":
            return f"{inputs['resourceUri']}/providers/Microsoft.Insights/diagnosticSettings/" \
                   f"{inputs.get('name', args.name)}"
        arm = _arm_resource_types().get(args.typ)
        if arm and "resourceGroupName" in inputs:
            return (f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/"
                    f"{inputs['resourceGroupName']}/providers/{arm[0]}/"
                    f"{inputs.get(arm[1], args.name)}")
        return f"{args.name}-id"

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "azure-native:network:getVirtualNetworkGateway":
            rg = args.args["resourceGroupName"]
            name = args.args["virtualNetworkGatewayName"]
            key = f"{rg}/{name}".lower()
            vpn_type = self.vpn_types.get(key, OFFLINE_DEFAULT_VPN_TYPE)
            note = (f"gateway {rg}/{name}: vpnType looked up offline, answered {vpn_type}"
                    + (" (from config)" if key in self.vpn_types else
                       " (offline default; a real preview reads it from Azure)"))
            location = self.hints.gateway_locations.get(key, self.hints.location)
            result = {"name": name, "gatewayType": "Vpn", "vpnType": vpn_type,
                      "location": location, "sku": {"name": OFFLINE_DEFAULT_GATEWAY_SKU,
                                                    "tier": OFFLINE_DEFAULT_GATEWAY_SKU},
                      "tags": self.hints.gateway_tags.get(key, {}),
                      **self.lookups.get(key, {})}
            if result.get("tags"):
                note += f"; tags {result['tags']}"
            note += (f"; location {result['location']}, sku {result['sku']['name']}"
                     + (" (from the test's answer)" if key in self.lookups else
                        " (config or offline default)"))
        elif args.token == "azure-native:compute:getVirtualMachine":
            rg, name = args.args["resourceGroupName"], args.args["vmName"]
            key = f"{rg}/{name}".lower()
            os_type = self.hints.vm_os_types.get(key, OFFLINE_DEFAULT_OS_TYPE)
            result = {"name": name, "location": self.hints.location,
                      "storageProfile": {"osDisk": {"osType": os_type}},
                      "identity": {"type": OFFLINE_DEFAULT_VM_IDENTITY},
                      **self.lookups.get(key, {})}
            answered = result["storageProfile"]["osDisk"]["osType"]
            note = (f"vm {rg}/{name}: osType looked up offline, answered {answered}"
                    + (" (from the test's answer)" if key in self.lookups else
                       " (from config)" if key in self.hints.vm_os_types else
                       " (offline default; a real preview reads it from Azure)")
                    + f"; location {result['location']} (gatewatch:azure.location)")
        elif args.token == "azure-native:authorization:getClientConfig":
            # The subscription the kit deploys into. Offline: the first configured gateway's
            # (so the example stacks' gateways are covered), or a fake one without gateways.
            from gatewatch.azure.arm_ids import parse_arm_id

            gateways = (pulumi.Config("gatewatch").get_object("azure") or {}).get("gateways")
            first = parse_arm_id(str(gateways[0].get("id", ""))) if gateways else None
            subscription = first.subscription_id if first else FAKE_SUBSCRIPTION
            result = {"subscriptionId": subscription, "tenantId": _fake_guid("tenant"),
                      "clientId": _fake_guid("client"), "objectId": _fake_guid("object"),
                      **self.lookups.get("authorization/getclientconfig", {})}
            others = sorted({str(g.get("id")) for g in gateways or []
                             if f"/subscriptions/{result['subscriptionId']}/".lower()
                             not in str(g.get("id")).lower()})
            note = (f"client config: deploying into subscription {result['subscriptionId']} "
                    + ("(from the test's answer)"
                       if "authorization/getclientconfig" in self.lookups else
                       "(offline: the first configured gateway's; a real preview reads it "
                       "from the Azure credentials)")
                    + ("; not covered by Service Health / Resource Health alerts (another "
                       "subscription): " + ", ".join(others) if others else ""))
        elif args.token == "aws:ec2/getVpnConnection:getVpnConnection":
            vpn_id = args.args["vpnConnectionId"]
            ips = offline_tunnel_ips(vpn_id)
            note = (f"VPN connection {vpn_id}: tunnel outside IPs looked up offline, answered "
                    f"{', '.join(ips)} (documentation addresses; a real preview reads them "
                    "from EC2)")
            result = {"vpnConnectionId": vpn_id, "vgwTelemetries": [
                {"outsideIpAddress": ip, "status": "UP", "acceptedRouteCount": 0,
                 "certificateArn": "", "lastStatusChange": "", "statusMessage": ""}
                for ip in ips]}
        else:
            result, note = {}, f"{args.token}: no offline answer, returned nothing"
        self.recording.calls.append(RecordedCall(args.token, dict(args.args), result, note))
        return result, []
