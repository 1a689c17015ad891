"""Run the real `__main__.py` under Pulumi's mock runtime and record the resource graph.

The same program runs under the real engine; this harness only replaces the engine. A monitor
subclass reads each raw RegisterResourceRequest (parent, dependencies and propertyDependencies
are not in MockResourceArgs), and the mocks answer the provider lookups the program makes.
In preview mode new resources get no id, so ids are unknown as in `pulumi preview`.
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.runtime
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func

from gatewatch.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from gatewatch.policy.resources import PlainResource

PROGRAM = PROJECT_ROOT / "__main__.py"
PROJECT = "gatewatch"
UNKNOWN = "<unknown>"
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

# ARM resource types of the azure-native tokens the kit declares, for realistic fake ids.
_ARM_TYPES = {
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces", "workspaceName"),
    "azure-native:monitor:DiagnosticSetting": (
        "Microsoft.Insights/diagnosticSettings", "name"),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"),
    "azure-native:monitor:ActionGroup": ("Microsoft.Insights/actionGroups", "actionGroupName"),
    "azure-native:monitor:ScheduledQueryRule": (
        "Microsoft.Insights/scheduledQueryRules", "ruleName"),
    "azure-native:operationalinsights:QueryPack": (
        "Microsoft.OperationalInsights/queryPacks", "queryPackName"),
    "azure-native:monitor:DataCollectionRule": (
        "Microsoft.Insights/dataCollectionRules", "dataCollectionRuleName"),
    "azure-native:monitor:ActivityLogAlert": (
        "Microsoft.Insights/activityLogAlerts", "activityLogAlertName"),
    "azure-native:maintenance:MaintenanceConfiguration": (
        "Microsoft.Maintenance/maintenanceConfigurations", "resourceName"),
    "azure-native:monitor:MetricAlert": ("Microsoft.Insights/metricAlerts", "ruleName"),
    "azure-native:applicationinsights:Workbook": ("Microsoft.Insights/workbooks", "resourceName"),
}


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    # Secret inputs in clear, for assertions only: `inputs` and the JSON show SECRET instead.
    secrets: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
        }


@dataclass
class RecordedCall:
    token: str
    args: dict[str, Any]
    result: dict[str, Any]
    note: str


@dataclass
class Recording:
    stack: str
    preview: bool
    resources: list[RecordedResource] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    # The root pulumi:pulumi:Stack resource: `pulumi preview` counts it among the resources
    # to create; it is not in `resources` (it has no inputs the tests or policies read).
    stack_urn: str = ""

    def by_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> RecordedResource:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(found) != 1:
            known = ", ".join(f"{r.type}::{r.name}" for r in self.resources)
            raise KeyError(f"expected one {type_} named {name}, found {len(found)}; have {known}")
        return found[0]

    def get(self, urn: str) -> RecordedResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)


SECRET = "[secret]"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _plain(value: Any) -> Any:
    """Inputs as JSON: unknowns and secrets become markers (as `pulumi preview` shows them,
    so a plan printed in CI leaks no webhook token), resource references their URN."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN
    if _is_secret(value):
        return SECRET
    if isinstance(value, dict):
        # A dynamic resource's pickled provider is code, not configuration.
        return {k: "<dynamic provider>" if k == "__provider" else _plain(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        # The wire format (protobuf Struct) carries every number as a double; the program
        # wrote an integer (retention 30, not 30.0), as `pulumi preview` shows it.
        return int(value)
    return value


def _secrets(inputs: dict[str, Any]) -> dict[str, Any]:
    """Top-level inputs that are secret, revealed (nested secrets are marked by their parent)."""
    return {k: _plain(v["value"]) for k, v in inputs.items() if _is_secret(v)}


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


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps each registration's parent and dependencies."""

    def __init__(self, mocks: pulumi_mocks.Mocks, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.recording.stack_urn = response.urn
        else:
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.recording.resources.append(
                RecordedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=_plain(inputs),
                    secrets=_secrets(inputs),
                    dependencies=sorted(set(request.dependencies)),
                    property_dependencies={
                        key: sorted(set(deps.urns))
                        for key, deps in sorted(request.propertyDependencies.items())
                    },
                )
            )
        return response


def plain_resources(recording: Recording) -> list[PlainResource]:
    """The recorded graph as the policy validators read it (`gatewatch.policy.resources`): the
    harness's `<unknown>` marker becomes the policy package's UNKNOWN."""
    from gatewatch.policy.resources import PlainResource, plain_value

    markers = frozenset({UNKNOWN})
    return [
        PlainResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=plain_value(r.inputs, unknown_markers=markers),
            parent=r.parent,
            dependencies=tuple(r.dependencies),
            property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()},
        )
        for r in recording.resources
    ]


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
        arm = _ARM_TYPES.get(args.typ)
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


class _EchoesOfTheRaisedError(logging.Filter):
    """When a program fails with pulumi.RunError, every output that depended on the failed
    one holds the same exception; asyncio logs each unretrieved copy at garbage collection.
    run_program already raised the error once, so drop those echoes (and only those)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith("Future exception was never retrieved"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, pulumi.RunError)


logging.getLogger("asyncio").addFilter(_EchoesOfTheRaisedError())


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str = "dev",
    preview: bool = True,
    offline_vpn_types: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
    offline_lookups: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recording:
    """Run `__main__.py` (or `program`) with `config` under mocks; return the recording.

    `config` is a stack file's `config:` map; structured values are passed as JSON strings,
    as the Pulumi CLI does.
    """
    import json

    recording = Recording(stack=stack, preview=preview)
    mocks = OfflineMocks(recording, offline_vpn_types or {}, offline_lookups,
                         OfflineHints.from_config(config))
    settings.reset_options()
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()
         if v is not None}
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=stack, preview=preview,
            monitor=RecordingMonitor(mocks, recording),
        )
        body = program or _run_main
        # set_mocks registered the root Stack already; run the body as the engine would.
        loop.run_until_complete(run_pulumi_func(body))
    finally:
        # A failed program leaves outputs waiting on the failure; cancel them here rather
        # than let the interpreter destroy them pending (and say so) at exit.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        settings.reset_options()
        # Close what the run opened (the loop's selector and its executor's threads): a test
        # process runs hundreds of programs and would otherwise hold thousands of descriptors.
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
    return recording


def _run_main() -> None:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    runpy.run_path(str(PROGRAM), run_name="__main__")
