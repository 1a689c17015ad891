"""Scheduled events of Windows VMs into the workspace, so the vm-scheduled-event alert can mail.

The path Microsoft's scheduled-events articles click through, declared instead: Microsoft's
AzureScheduledEventsService on each VM writes every event IMDS announces to the Application
log (EventID 1234); the Azure Monitor Agent sends those rows, and only those, to the
workspace's Event table through one data collection rule. The alert rule itself is a catalog
entry (alerts/vm-scheduled-event.yaml) deployed by LogSearchAlerts with the other rules.

Per VM: a lookup (Windows only; its region and identity), the DCR association, the agent
extension unless `agentManagedElsewhere`, and a run command that installs and starts the
service unless `scheduledEventsServiceInstalled`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi_azure_native import compute, monitor

from components import kit_tags
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.config.azure import VmConfig

STREAM = "Microsoft-Event"  # lands in the Event table
# Only the service's events: the seed collected the whole Application log. Built from the
# facts the vm-scheduled-event alert's test also checks, so the DCR and the rule agree.
X_PATH_QUERY = (
    f"{azure_facts.SCHEDULED_EVENTS_LOG}!*[System[(EventID={azure_facts.SCHEDULED_EVENTS_EVENT_ID})]]"
)
DESTINATION = "workspace"
AGENT_PUBLISHER = "Microsoft.Azure.Monitor"
AGENT_TYPE = "AzureMonitorWindowsAgent"
AGENT_VERSION = "1.0"  # major.minor; automatic upgrade keeps it current
RUN_COMMAND_TIMEOUT_SECONDS = 600  # download + compile the service stub + start, with margin
INSTALL_SCRIPT = Path(__file__).with_name("scripts") / "install-scheduled-events-service.ps1"


@dataclass
class VmScheduledEventsArgs:
    vms: Sequence[VmConfig]
    workspace_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    # The DCR's region, which Azure requires to be the workspace's: gatewatch:azure.location
    # for a created workspace, gatewatch:azure.workspace.location for an adopted one.
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)


def install_script() -> str:
    return INSTALL_SCRIPT.read_text(encoding="utf-8")


def _field(value: Any, name: str, key: str) -> Any:
    """A lookup field, whether the SDK returned a typed object or a plain dict."""
    if value is None:
        return None
    if hasattr(value, name):  # the SDK's typed outputs (a dict subclass keyed by snake_case)
        return getattr(value, name)
    return value.get(key) if isinstance(value, dict) else None


@dataclass(frozen=True)
class CheckedVm:
    """What the VM lookup decided: the VM's region, and the agent's settings (None: the
    agent's default, the system-assigned identity)."""

    location: str
    agent_settings: dict[str, Any] | None


def agent_settings(vm: VmConfig, identity: Any) -> dict[str, Any] | None:
    """The Azure Monitor Agent authenticates with the VM's system-assigned identity unless its
    settings name a user-assigned one (Microsoft's AMA policies pass `mi_res_id` and the
    identity's resource id). Raises when the VM has no identity the agent can use."""
    kinds = {k.strip() for k in str(_field(identity, "type", "type") or "").split(",")}
    if "SystemAssigned" in kinds:
        return None
    assigned = _field(identity, "user_assigned_identities", "userAssignedIdentities") or {}
    if "UserAssigned" in kinds and assigned:
        # The first by resource id: stable across lookups, so the extension never churns.
        first = sorted(assigned, key=str.lower)[0]
        return {"authentication": {"managedIdentity": {
            "identifier-name": "mi_res_id", "identifier-value": first}}}
    raise pulumi.RunError(
        f"{vm.key_path}.id: {vm.id.id} has no managed identity, and the Azure Monitor "
        "Agent needs one to send data; enable its system-assigned identity "
        "(az vm identity assign), or assign a user-assigned identity, or set "
        "agentManagedElsewhere: true if another deployment installs the agent")


def check_vm(vm: VmConfig, result: compute.GetVirtualMachineResult) -> CheckedVm:
    """The VM's region and agent settings, after checking what only Azure knows: it runs
    Windows, and it has a managed identity when the kit installs the agent (the agent
    authenticates with it)."""
    profile = result.storage_profile
    os_disk = getattr(profile, "os_disk", None) if profile is not None else None
    os_type = getattr(os_disk, "os_type", None)
    if os_type != azure_facts.WINDOWS:
        raise pulumi.RunError(
            f"{vm.key_path}.id: {vm.id.id} runs {os_type or 'an unknown OS'}, not Windows; "
            "AzureScheduledEventsService and the Application log exist only on Windows. "
            "Remove it from gatewatch:azure.vms")
    settings = None if vm.agent_managed_elsewhere else agent_settings(vm, result.identity)
    return CheckedVm(location=str(result.location), agent_settings=settings)


def lookup_vm(vm: VmConfig, opts: pulumi.InvokeOptions) -> pulumi.Output[CheckedVm]:
    """The checked VM: its region (extension and run command must be in it) and the agent's
    settings."""
    found = compute.get_virtual_machine_output(
        resource_group_name=vm.resource_group, vm_name=vm.name, opts=opts)
    return found.apply(lambda result: check_vm(vm, result))


class VmScheduledEvents(pulumi.ComponentResource):
    """One Windows DCR (EventID 1234 only, to the workspace) and, per VM: its association, the
    Azure Monitor Windows Agent and the scheduled-events service."""

    data_collection_rule_id: pulumi.Output[str]
    association_ids: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: VmScheduledEventsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:VmScheduledEvents", name, None, opts)
        tags = kit_tags(args.tags)
        rule = self._create_rule(name, args, tags)
        associations: dict[str, pulumi.Output[str]] = {}
        for vm in args.vms:
            checked = lookup_vm(vm, pulumi.InvokeOptions(parent=self))
            location = checked.apply(lambda c: c.location)
            child = f"{name}-{vm.resource_group}-{vm.name}".lower()
            association = monitor.DataCollectionRuleAssociation(
                f"{child}-dcra",
                association_name=azure_names.DCR_ASSOCIATION_NAME,
                resource_uri=vm.id.id,
                data_collection_rule_id=rule.id,
                # Reads the checked lookup, so a Linux VM fails the run even when the kit
                # installs nothing on it.
                description=location.apply(lambda _: (
                    "gatewatch: scheduled events "
                    f"(EventID {azure_facts.SCHEDULED_EVENTS_EVENT_ID}) to the workspace")),
                opts=pulumi.ResourceOptions(parent=self),
            )
            associations[vm.id.id] = association.id
            if not vm.agent_managed_elsewhere:
                compute.VirtualMachineExtension(
                    f"{child}-agent",
                    vm_extension_name=AGENT_TYPE,
                    vm_name=vm.name,
                    resource_group_name=vm.resource_group,
                    location=location,
                    publisher=AGENT_PUBLISHER,
                    # Only for a VM with user-assigned identities alone: which one to use.
                    settings=checked.apply(lambda c: c.agent_settings),
                    type=AGENT_TYPE,
                    type_handler_version=AGENT_VERSION,
                    auto_upgrade_minor_version=True,
                    enable_automatic_upgrade=True,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            if not vm.scheduled_events_service_installed:
                compute.VirtualMachineRunCommandByVirtualMachine(
                    f"{child}-service",
                    run_command_name=azure_names.RUN_COMMAND_NAME,
                    vm_name=vm.name,
                    resource_group_name=vm.resource_group,
                    location=location,
                    source=compute.VirtualMachineRunCommandScriptSourceArgs(
                        script=install_script()),
                    # Wait for the script and fail `pulumi up` if it fails: a VM without the
                    # service would never mail, and nobody would notice.
                    async_execution=False,
                    treat_failure_as_deployment_failure=True,
                    timeout_in_seconds=RUN_COMMAND_TIMEOUT_SECONDS,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.data_collection_rule_id = rule.id
        self.association_ids = (
            pulumi.Output.all(**associations) if associations else pulumi.Output.from_input({}))
        self.register_outputs({
            "data_collection_rule_id": self.data_collection_rule_id,
            "association_ids": self.association_ids,
        })

    def _create_rule(
        self, name: str, args: VmScheduledEventsArgs, tags: Mapping[str, str]
    ) -> monitor.DataCollectionRule:
        return monitor.DataCollectionRule(
            f"{name}-dcr",
            data_collection_rule_name=azure_names.data_collection_rule_name(name),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Windows",
            description="gatewatch: AzureScheduledEventsService events "
                        f"({azure_facts.SCHEDULED_EVENTS_LOG} log, "
                        f"EventID {azure_facts.SCHEDULED_EVENTS_EVENT_ID}) to the VPN diagnostics "
                        "workspace",
            data_sources=monitor.DataCollectionRuleDataSourcesArgs(windows_event_logs=[
                monitor.WindowsEventLogDataSourceArgs(
                    name="scheduled-events", streams=[STREAM], x_path_queries=[X_PATH_QUERY]),
            ]),
            destinations=monitor.DataCollectionRuleDestinationsArgs(log_analytics=[
                monitor.LogAnalyticsDestinationArgs(
                    name=DESTINATION, workspace_resource_id=args.workspace_id),
            ]),
            data_flows=[monitor.DataFlowArgs(streams=[STREAM], destinations=[DESTINATION])],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
