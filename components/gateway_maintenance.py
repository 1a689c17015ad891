"""Gateway maintenance: hear about it before, and choose when it happens.

- Service Health (planned maintenance of "VPN Gateway" in the gateways' regions) and Resource
  Health (each gateway's own health transitions) activity log alerts, into the action group of
  the log search alerts. Activity log alerts are global resources (location "Global") whose
  scopes must lie in the subscription the rule lives in, so both are scoped to the subscription
  the kit deploys into (authorization.get_client_config) and cover the gateways there; a gateway
  in another subscription gets no health alert (warned at run time, listed in the plan).
- Optional customer-controlled maintenance: one daily MaintenanceConfiguration
  (NetworkGatewayMaintenance) assigned to every gateway. Azure's rules are checked in config
  (at least 5 hours, daily, same region when config states the gateway's region) and here at
  run time against the gateway lookup (its real region, and not the Basic SKU; asked once per
  gateway before any resource is registered: components/gateway_lookup.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization, maintenance, monitor, network

from components import kit_tags
from components.creation_date import CreationDate
from components.gateway_lookup import GatewayLookups, found_for
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.azure import regions
from gatewatch.config.azure import GatewayConfig
from gatewatch.config.maintenance_window import MaintenanceWindowConfig

SERVICE_HEALTH_SERVICE = "VPN Gateway"  # Service Health's name for the service


@dataclass
class GatewayMaintenanceArgs:
    gateways: Sequence[GatewayConfig]
    resource_group_name: pulumi.Input[str]
    # The log search alerts' action group; None: no health alerts (no alerts configured).
    action_group_id: pulumi.Input[str] | None = None
    window: MaintenanceWindowConfig | None = None
    # Azure's answer per gateway (components/gateway_lookup.py), asked before registration.
    lookups: GatewayLookups = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


def _sku_name(sku: Any) -> str:
    if sku is None:
        return ""
    value = sku.get("name") if isinstance(sku, dict) else getattr(sku, "name", "")
    return str(value or "")


def check_gateway(
    gateway: GatewayConfig, window: MaintenanceWindowConfig | None,
    result: network.GetVirtualNetworkGatewayResult,
) -> str:
    """The gateway's region (short form), after Azure's rules for a maintenance window."""
    location = regions.normalize(str(result.location or ""))
    if window is None or not gateway.maintenance_window:
        return location
    sku = _sku_name(result.sku)
    if sku == azure_facts.BASIC_GATEWAY_SKU:
        raise pulumi.RunError(
            f"{gateway.key_path}.id: {gateway.id.id} is a Basic SKU gateway, which does not "
            f"support customer-controlled maintenance; remove {window.key_path} or move the "
            "gateway to a VpnGw SKU")
    if location != window.location:
        raise pulumi.RunError(
            f"{gateway.key_path}.id: {gateway.id.id} is in {location}, but "
            f"{window.key_path} is in {window.location}; Azure assigns a maintenance "
            f"configuration only to gateways in its region: set {window.key_path}.location "
            f"to {location}, or remove maintenanceWindow for stacks whose gateways span regions")
    return location


def unknown_region_error(location: str, where: Sequence[str]) -> pulumi.RunError:
    """A region Azure reports for a gateway that the kit has no Service Health name for: the
    health alert cannot filter on it, and a guessed name would match no event."""
    at = ", ".join(where) or "gatewatch:azure.gateways"
    return pulumi.RunError(
        f"{at}: Azure reports the gateway in region {location!r}, which has no known Service "
        "Health display name in this version of gatewatch (a region newer than the kit), so "
        "its planned-maintenance alert cannot be filtered on it; check the region with `az "
        "network vnet-gateway show --ids <id> --query location`; if it is right, upgrade "
        "gatewatch to a release that lists it, or leave the gateway out of "
        "gatewatch:azure.gateways until then")


def service_health_regions(locations: Sequence[str],
                           where: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Display names of the gateways' regions, as Service Health events spell them. `where`:
    the key paths of the gateways in each region, for the message."""
    names = []
    for location in sorted(set(locations)):
        name = regions.display_name(location)
        if name is None:
            raise unknown_region_error(location, (where or {}).get(location, ()))
        names.append(name)
    return names


def _leaf(field_name: str, *, equals: str | None = None,
          contains_any: pulumi.Input[Sequence[str]] | None = None
          ) -> monitor.AlertRuleAnyOfOrLeafConditionArgs:
    return monitor.AlertRuleAnyOfOrLeafConditionArgs(
        field=field_name, equals=equals, contains_any=contains_any)


class GatewayMaintenance(pulumi.ComponentResource):
    """Service Health + Resource Health alerts for the kit's subscription, and the optional
    daily maintenance window assigned to every gateway."""

    alert_ids: pulumi.Output[list[str]]
    maintenance_configuration_id: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: GatewayMaintenanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:GatewayMaintenance", name, None, opts)
        tags = kit_tags(args.tags)
        window = args.window
        locations: dict[str, pulumi.Output[str]] = {}
        for gateway in args.gateways:
            locations[gateway.id.key] = pulumi.Output.from_input(
                check_gateway(gateway, window, found_for(args.lookups, gateway)))

        alert_ids: list[pulumi.Output[str]] = []
        if args.action_group_id is not None:
            alert_ids = self._create_health_alerts(name, args, locations, tags)

        config_id: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if window is not None:
            config = maintenance.MaintenanceConfiguration(
                f"{name}-window",
                resource_name_=azure_names.maintenance_configuration_name(name),
                resource_group_name=args.resource_group_name,
                location=window.location,
                maintenance_scope="Resource",
                extension_properties={"maintenanceSubScope": azure_facts.MAINTENANCE_SUB_SCOPE},
                recur_every=azure_facts.MAINTENANCE_RECUR_EVERY,
                visibility="Custom",
                duration=window.duration,
                start_date_time=self._start_date_time(name, window),
                time_zone=window.time_zone,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for gateway in [g for g in args.gateways if g.maintenance_window]:
                maintenance.ConfigurationAssignment(
                    f"{name}-{gateway.resource_group}-{gateway.name}".lower(),
                    configuration_assignment_name=azure_names.MAINTENANCE_ASSIGNMENT_NAME,
                    provider_name=azure_facts.GATEWAY_PROVIDER,
                    resource_type=azure_facts.GATEWAY_TYPE_NAME,
                    resource_name_=gateway.name,
                    resource_group_name=gateway.resource_group,
                    resource_id=gateway.id.id,
                    # The checked lookup: a Basic SKU or another region fails the run here.
                    location=locations[gateway.id.key],
                    maintenance_configuration_id=config.id,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            config_id = config.id.apply(lambda i: i)

        self.alert_ids = pulumi.Output.all(*alert_ids) if alert_ids \
            else pulumi.Output.from_input([])
        self.maintenance_configuration_id = config_id
        self.register_outputs({
            "alert_ids": self.alert_ids,
            "maintenance_configuration_id": self.maintenance_configuration_id,
        })

    def _start_date_time(self, name: str, window: MaintenanceWindowConfig
                         ) -> pulumi.Input[str]:
        """An explicit startDate as given; otherwise the date the configuration is first
        created, kept in state (never in the past at creation, no diff when "today" moves;
        see components/creation_date.py). A new start time takes a new date with it."""
        if window.start_date is not None:
            return window.start_date_time(window.start_date)
        created = CreationDate(f"{name}-window-start-date", {"start": window.start},
                               opts=pulumi.ResourceOptions(parent=self))
        return created.creationDate.apply(window.start_date_time)

    def _create_health_alerts(
        self, name: str, args: GatewayMaintenanceArgs,
        locations: Mapping[str, pulumi.Output[str]], tags: Mapping[str, str],
    ) -> list[pulumi.Output[str]]:
        """One Service Health and one Resource Health alert, both scoped to the subscription the
        kit deploys into: an activity log alert's scopes must lie in its own subscription, so
        gateways in other subscriptions are left out (reported, not silently skipped)."""
        assert args.action_group_id is not None
        actions = monitor.ActionListArgs(action_groups=[
            monitor.ActionGroupArgs(action_group_id=args.action_group_id)])
        client = authorization.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        subscription = client.subscription_id
        subscription_scope = subscription.apply(lambda s: f"/subscriptions/{s}")
        gateway_regions = pulumi.Output.all(
            subscription, *[locations[g.id.key] for g in args.gateways],
        ).apply(lambda values: covered_regions(args.gateways, values[0], values[1:]))
        service = monitor.ActivityLogAlert(
            f"{name}-service-health",
            activity_log_alert_name=azure_names.SERVICE_HEALTH_ALERT_NAME,
            resource_group_name=args.resource_group_name,
            location="Global",
            description="Planned maintenance of Azure VPN Gateway announced by Service "
                        "Health in the regions of the watched gateways of this subscription",
            enabled=True,
            scopes=[subscription_scope],
            condition=monitor.AlertRuleAllOfConditionArgs(all_of=[
                _leaf("category", equals="ServiceHealth"),
                _leaf("properties.incidentType", equals="Maintenance"),
                _leaf("properties.impactedServices[*].ServiceName",
                      contains_any=[SERVICE_HEALTH_SERVICE]),
                _leaf("properties.impactedServices[*].ImpactedRegions[*].RegionName",
                      contains_any=gateway_regions),
            ]),
            actions=actions,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        health = monitor.ActivityLogAlert(
            f"{name}-resource-health",
            activity_log_alert_name=azure_names.RESOURCE_HEALTH_ALERT_NAME,
            resource_group_name=args.resource_group_name,
            location="Global",
            description="Resource Health transitions of the watched VPN gateways of this "
                        "subscription (unavailable, degraded, available again)",
            enabled=True,
            # The subscription, filtered to the gateways by resourceId: a gateway in another
            # subscription can never match, and the scope list is never empty.
            scopes=[subscription_scope],
            condition=monitor.AlertRuleAllOfConditionArgs(all_of=resource_health_condition(
                [g.id.id for g in args.gateways])),
            actions=actions,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return [service.id, health.id]


# Microsoft's guide "Configure resource health alerts using Resource Manager templates"
# (learn.microsoft.com/azure/service-health/resource-health-alert-arm-template-guide;
# MicrosoftDocs/azure-monitor-docs @017c65c8): filter on category, the resources and the event
# `status` (here Active and Resolved: the outage and its end, not each In Progress/Updated
# revision). The guide warns that `properties.currentHealthStatus` /
# `properties.previousHealthStatus` (and `properties.cause`) "might be null in some events", so
# filtering on them "might result in some alerts not being triggered": the kit does not.
RESOURCE_HEALTH_STATUSES = ("Active", "Resolved")


def _any_of(field_name: str, values: Sequence[str]) -> monitor.AlertRuleAnyOfOrLeafConditionArgs:
    return monitor.AlertRuleAnyOfOrLeafConditionArgs(any_of=[
        monitor.AlertRuleLeafConditionArgs(field=field_name, equals=v) for v in values])


def resource_health_condition(
    gateway_ids: Sequence[str],
) -> list[monitor.AlertRuleAnyOfOrLeafConditionArgs]:
    return [
        _leaf("category", equals="ResourceHealth"),
        _any_of("resourceId", gateway_ids),
        _any_of("status", RESOURCE_HEALTH_STATUSES),
    ]


def covered_regions(
    gateways: Sequence[GatewayConfig], subscription: str, locations: Sequence[str],
) -> list[str]:
    """Service Health names of the regions of the gateways in `subscription` (the kit's); warns
    about the others, which no health alert of this stack covers."""
    inside = [loc for g, loc in zip(gateways, locations, strict=True)
              if g.id.subscription_id.lower() == subscription.lower()]
    outside = [g.id.id for g in gateways if g.id.subscription_id.lower() != subscription.lower()]
    if outside:
        pulumi.log.warn(
            f"{len(outside)} gateway(s) outside subscription {subscription} (where the kit "
            "deploys) get no Service Health or Resource Health alert: an activity log alert "
            "can only watch its own subscription. Deploy a stack into that subscription for "
            "them: " + ", ".join(outside))
    where: dict[str, list[str]] = {}
    for gateway, location in zip(gateways, locations, strict=True):
        where.setdefault(location, []).append(f"{gateway.key_path}.id")
    # No gateway here: still a valid filter (every gateway's region), never an empty list.
    return service_health_regions(inside or list(locations), where)
