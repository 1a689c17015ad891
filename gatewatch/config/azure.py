"""gatewatch:azure: the workspace, the gateways and their diagnostics, the VMs, and the rules
across them (the maintenance window against the gateways it takes). Alerts and the maintenance
window have their own modules (gatewatch/config/alerts.py, maintenance_window.py); the value
types are in gatewatch/config/azure_values.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ConfigDict, Field, PrivateAttr, StrictBool, field_validator, model_validator
from pydantic.alias_generators import to_camel

from gatewatch.azure import facts as azure_facts
from gatewatch.azure import regions
from gatewatch.azure.arm_ids import ArmId
from gatewatch.config.alerts import AlertsConfig
from gatewatch.config.azure_values import (
    CategoryGroup,
    DailyQuotaGb,
    EventHubName,
    EventHubRuleId,
    GatewayId,
    GatewayTags,
    OsType,
    Region,
    ResourceGroupName,
    RetentionDays,
    StorageAccountId,
    Tags,
    VmId,
    VpnType,
    WorkspaceId,
    WorkspaceName,
)
from gatewatch.config.base import ConfigModel
from gatewatch.config.fields import HERE, Issues, duplicates, fail
from gatewatch.config.maintenance_window import MaintenanceWindowConfig


class WorkspaceConfig(ConfigModel):
    """Create a workspace (name, retention, optional daily cap) or adopt one by id."""

    example: ClassVar[str] = "{name: log-gatewatch, retentionInDays: 90}"

    name: WorkspaceName | None = Field(
        default=None, description="Name of the Log Analytics workspace the kit creates.")
    retention_in_days: RetentionDays = Field(
        default=30, description="Days the workspace keeps data (PerGB2018 tier: 30-730).")
    daily_quota_gb: DailyQuotaGb | None = Field(
        default=None, description="Daily ingestion cap in GB (at most 10000); absent: no cap.")
    existing_id: WorkspaceId | None = Field(
        default=None, description="Adopt this existing workspace instead of creating one.")
    location: Region | None = Field(
        default=None, description="Region of the adopted workspace (the data collection rule "
                                  "of azure.vms must be there); absent: azure.location.")

    @property
    def adopted(self) -> bool:
        return self.existing_id is not None

    @model_validator(mode="after")
    def _create_or_adopt(self) -> WorkspaceConfig:
        issues = Issues()
        given = [to_camel(f) for f in self.model_fields_set]
        if self.existing_id is not None:
            extra = sorted(set(given) - {"existingId", "location"})
            if extra:
                issues.add((), f"existingId cannot be combined with {', '.join(extra)}",
                           "either adopt a workspace with existingId (and its location), or "
                           "create one with name and retentionInDays")
        else:
            if self.location is not None:
                issues.add(("location",), "only an adopted workspace (existingId) takes a "
                           "location; a created one goes to gatewatch:azure.location",
                           f"remove {HERE}.location, or set gatewatch:azure.location")
            if self.name is None:
                issues.add(("name",), "missing", f"set {HERE}.name to create a workspace, or "
                           f"{HERE}.existingId to adopt one")
        issues.check()
        return self


class ArmTarget(ConfigModel):
    """A config entry that points at an Azure resource by its ARM id (`id`), with where it
    sits in config (`gatewatch:azure.gateways[1]`, set by AzureConfig) for messages."""

    if TYPE_CHECKING:
        id: ArmId  # declared, typed and validated by each subclass

    _key_path: str = PrivateAttr("")

    @property
    def key_path(self) -> str:
        return self._key_path

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def resource_group(self) -> str:
        return self.id.resource_group


class GatewayConfig(ArmTarget):
    """A VPN gateway to watch. `vpn_type` None means: ask Azure through the provider lookup."""

    example: ClassVar[str] = "{id: /subscriptions/.../virtualNetworkGateways/vpngw01}"

    id: GatewayId = Field(description="Full ARM id of the VPN gateway.")
    vpn_type: VpnType | None = Field(
        default=None, description="RouteBased or PolicyBased; absent: read from Azure.")
    # The gateway's region when config states it (checked against maintenanceWindow at
    # config time); None: read from Azure by the maintenance component's lookup.
    location: Region | None = Field(
        default=None, description="Region of the gateway (checked against maintenanceWindow).")
    # False: left out of gatewatch:azure.maintenanceWindow (e.g. a Basic SKU gateway).
    maintenance_window: StrictBool = Field(
        default=True, description="false: leave the gateway out of azure.maintenanceWindow.")
    # The gateway's Azure tags as an offline plan should assume them (the program reads the
    # real ones through the gateway lookup; the offline harness answers it with these).
    tags: GatewayTags = Field(
        default_factory=dict,
        description="The gateway's Azure tags as the offline plan assumes them (pulumi "
                    "preview/up read the real ones); MonitorDisable: \"true\" skips its metric "
                    "and activity log alerts.")


class DiagnosticsConfig(ConfigModel):
    """Destinations the diagnostic settings send to besides the workspace."""

    storage_account_id: StorageAccountId | None = Field(
        default=None, description="Also archive gateway logs to this storage account.")
    event_hub_authorization_rule_id: EventHubRuleId | None = Field(
        default=None, description="Also stream gateway logs to Event Hubs with this rule.")
    event_hub_name: EventHubName | None = Field(
        default=None, description="Event hub to stream to (needs eventHubAuthorizationRuleId).")
    # "allLogs": route-based gateways' settings select the category group instead of naming
    # the five categories (what built-in policy ed6ae75a checks for); None: by name.
    category_group: CategoryGroup | None = Field(
        default=None, description="allLogs: route-based gateways' settings select the category "
                                  "group (what Azure Policy ed6ae75a checks); absent: the "
                                  "categories by name.")

    @model_validator(mode="after")
    def _hub_needs_rule(self) -> DiagnosticsConfig:
        if self.event_hub_name and not self.event_hub_authorization_rule_id:
            raise fail("needs eventHubAuthorizationRuleId",
                       f"set {HERE}.eventHubAuthorizationRuleId as well", at=("eventHubName",))
        return self

class VmConfig(ArmTarget):
    """A Windows VM whose scheduled events are mailed. `os_type` None: read from
    Azure by the lookup (a Linux VM fails the run there); the flags skip what is managed
    elsewhere."""

    example: ClassVar[str] = "{id: /subscriptions/.../virtualMachines/vm01}"

    id: VmId = Field(description="Full ARM id of the VM.")
    os_type: OsType | None = Field(
        default=None, description="Windows; absent: read from Azure (Linux is not supported).")
    agent_managed_elsewhere: StrictBool = Field(
        default=False, description="true: the Azure Monitor agent is deployed by someone else.")
    scheduled_events_service_installed: StrictBool = Field(
        default=False, description="true: the scheduled-events service is already installed.")

    @field_validator("os_type")
    @classmethod
    def _windows_only(cls, os_type: str | None) -> str | None:
        if os_type == azure_facts.LINUX:
            raise fail("Linux VMs are not supported: AzureScheduledEventsService is a Windows "
                       "service that logs to the Windows Application log",
                       "remove this VM from gatewatch:azure.vms (Linux VMs need a different "
                       "scheduled-events listener)")
        return os_type

class AzureConfig(ConfigModel):
    """The Azure side: workspace, gateway diagnostics, alerts, VM scheduled events and
    gateway maintenance."""

    # `location` may be left out of the file: parse_config fills in azure-native:location.
    model_config = ConfigDict(json_schema_extra=lambda schema: schema["required"].remove(
        "location"))

    location: Region = Field(description="Azure region of the monitoring resources; absent: "
                                         "azure-native:location.")
    resource_group_name: ResourceGroupName = Field(
        description="Resource group the kit creates for them.")
    workspace: WorkspaceConfig = Field(
        description="{name, retentionInDays, dailyQuotaGb?} to create a workspace, or "
                    "{existingId, location?} to adopt one.")
    gateways: tuple[GatewayConfig, ...] = Field(
        min_length=1, description="VPN gateways whose diagnostics the kit keeps on.")
    diagnostics: DiagnosticsConfig = Field(
        default=DiagnosticsConfig(), description="Destinations besides the workspace.")
    alerts: AlertsConfig | None = Field(
        default=None, description="Who the alerts tell, and how.")
    tags: Tags = Field(default_factory=dict,
                       description="Tags for the resources the kit creates (Azure tag limits).")
    vms: tuple[VmConfig, ...] = Field(
        default=(), description="Windows VMs whose scheduled events (15 minutes' notice) are "
                                "mailed.")
    maintenance_window: MaintenanceWindowConfig | None = Field(
        default=None, description="Customer-controlled gateway maintenance: a daily window.")

    @model_validator(mode="before")
    @classmethod
    def _window_defaults_to_azure_location(cls, data: Any) -> Any:
        window, location = (data.get("maintenanceWindow"), data.get("location")) \
            if isinstance(data, Mapping) else (None, None)
        if (isinstance(window, Mapping) and "location" not in window
                and isinstance(location, str) and location in regions.DISPLAY_NAMES):
            return {**data, "maintenanceWindow": {**window, "location": location}}
        return data

    @field_validator("gateways")
    @classmethod
    def _gateways_once(cls, gateways: tuple[GatewayConfig, ...]) -> tuple[GatewayConfig, ...]:
        duplicates(gateways, lambda g: g.id.key, ("id",), "gateway").check()
        return gateways

    @field_validator("vms")
    @classmethod
    def _vms_once(cls, vms: tuple[VmConfig, ...]) -> tuple[VmConfig, ...]:
        duplicates(vms, lambda v: v.id.key, ("id",), "VM").check()
        return vms

    @model_validator(mode="after")
    def _cross_checks(self) -> AzureConfig:
        for index, gateway in enumerate(self.gateways):
            gateway._key_path = f"gatewatch:azure.gateways[{index}]"
        for index, vm in enumerate(self.vms):
            vm._key_path = f"gatewatch:azure.vms[{index}]"
        if self.maintenance_window is not None:
            self._check_window(self.maintenance_window)
        return self

    def _check_window(self, window: MaintenanceWindowConfig) -> None:
        """Azure's rules for customer-controlled gateway maintenance: in the gateways' region,
        not for Basic SKU (policy-based) gateways. (Only the run-time lookup knows the SKU of a
        gateway whose vpnType config does not state.)"""
        issues = Issues()
        included = [(i, g) for i, g in enumerate(self.gateways) if g.maintenance_window]
        if not included:
            issues.add(("maintenanceWindow",), "no gateway is left in the maintenance window "
                       "(every gateway sets maintenanceWindow: false)",
                       "remove maintenanceWindow, or include a gateway")
        for index, gateway in included:
            at = ("gateways", index)
            if gateway.vpn_type == azure_facts.POLICY_BASED:
                issues.add((*at, "vpnType"), "a policy-based gateway is a Basic SKU gateway, "
                           "and Basic gateways do not support customer-controlled maintenance",
                           f"set {HERE}.gateways[{index}].maintenanceWindow: false to leave it "
                           "out of the window")
            if gateway.location and gateway.location != window.location:
                issues.add((*at, "location"), f"gateway region {gateway.location} differs from "
                           f"the maintenance window's region {window.location}; Azure assigns "
                           "a maintenance configuration only to gateways in its own region",
                           f"set {HERE}.maintenanceWindow.location to {gateway.location}, or "
                           "remove maintenanceWindow for stacks whose gateways span regions")
        issues.check()

    @property
    def workspace_location(self) -> str:
        """The workspace's region: where a created one goes (gatewatch:azure.location), or
        what config states for an adopted one (gatewatch:azure.workspace.location)."""
        return self.workspace.location or self.location
