"""Graph assertions for GatewayMaintenance: Service Health and Resource Health activity log
alerts into the log alerts' action group, and the customer-controlled maintenance window with
its assignments, including the run-time checks against the gateway lookup."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import RunError

from gatewatch.harness import Recording
from tests.graph import plan
from tests.stacks import POLICY_GW, ROUTE_GW, SUB, base_config, gateway_id

COMPONENT = "gatewatch:azure:GatewayMaintenance"
ACTIVITY = "azure-native:monitor:ActivityLogAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
CONFIGURATION = "azure-native:maintenance:MaintenanceConfiguration"
ASSIGNMENT = "azure-native:maintenance:ConfigurationAssignment"
OTHER_SUB = "99999999-8888-7777-6666-555555555555"


def config(*, alerts: bool = True, window: dict[str, Any] | None = None) -> dict[str, Any]:
    c = base_config()
    azure = c["gatewatch:azure"]
    if alerts:
        azure["alerts"] = {"emails": ["netops@example.com"]}
    if window is not None:
        azure["maintenanceWindow"] = window
        azure["gateways"][1]["maintenanceWindow"] = False  # policy-based: Basic SKU
    return c


WINDOW = {"start": "01:00", "durationHours": 5, "timeZone": "Tokyo Standard Time",
          "startDate": "2025-06-01"}


def conditions(alert: Any) -> dict[str, Any]:
    return {leaf["field"]: leaf.get("equals", leaf.get("containsAny"))
            for leaf in alert.inputs["condition"]["allOf"]}


def alerts_by_kind(rec: Recording) -> dict[str, Any]:
    return {a.name.split("-health-")[0].removeprefix("gateway-maintenance-"): a
            for a in rec.by_type(ACTIVITY)}


def test_service_health_alert_for_planned_vpn_gateway_maintenance() -> None:
    rec = plan(config(), preview=False)
    group = rec.by_type(ACTION_GROUP)[0]
    service = alerts_by_kind(rec)["service"]
    assert service.parent == rec.by_type(COMPONENT)[0].urn
    assert service.inputs["location"] == "Global"
    assert service.inputs["scopes"] == [f"/subscriptions/{SUB}"]
    assert conditions(service) == {
        "category": "ServiceHealth",
        "properties.incidentType": "Maintenance",
        "properties.impactedServices[*].ServiceName": ["VPN Gateway"],
        "properties.impactedServices[*].ImpactedRegions[*].RegionName": ["Japan East"],
    }
    assert service.property_dependencies["actions"] == [group.urn]
    assert service.inputs["actions"]["actionGroups"][0]["actionGroupId"].endswith(
        "/actionGroups/ag-vpn-alerts")


def test_resource_health_alert_is_scoped_to_the_gateways() -> None:
    rec = plan(config(), preview=False)
    health = alerts_by_kind(rec)["resource"]
    assert sorted(health.inputs["scopes"]) == sorted([ROUTE_GW, POLICY_GW])
    assert conditions(health) == {"category": "ResourceHealth"}
    assert health.inputs["location"] == "Global" and health.inputs["enabled"] is True


def test_one_pair_of_health_alerts_per_subscription_with_regions_from_lookups() -> None:
    c = config()
    other = gateway_id("rg-west", "vpngw-west", sub=OTHER_SUB)
    c["gatewatch:azure"]["gateways"].append({"id": other, "vpnType": "RouteBased"})
    rec = plan(c, offline_lookups={"rg-west/vpngw-west": {"location": "westeurope"}})
    scopes = sorted(tuple(a.inputs["scopes"]) for a in rec.by_type(ACTIVITY))
    assert (f"/subscriptions/{OTHER_SUB}",) in scopes and (other,) in scopes
    west = next(a for a in rec.by_type(ACTIVITY)
                if a.inputs["scopes"] == [f"/subscriptions/{OTHER_SUB}"])
    assert conditions(west)[
        "properties.impactedServices[*].ImpactedRegions[*].RegionName"] == ["West Europe"]


def test_no_alerts_and_no_window_declares_nothing() -> None:
    rec = plan(config(alerts=False))
    assert rec.by_type(COMPONENT) == [] and rec.calls == []


def test_maintenance_configuration_is_daily_custom_network_gateway_scope() -> None:
    rec = plan(config(window=WINDOW), preview=False)
    mc = rec.by_type(CONFIGURATION)[0]
    assert mc.inputs["maintenanceScope"] == "Resource"
    assert mc.inputs["extensionProperties"] == {"maintenanceSubScope":
                                                "NetworkGatewayMaintenance"}
    assert (mc.inputs["recurEvery"], mc.inputs["visibility"]) == ("Day", "Custom")
    assert (mc.inputs["duration"], mc.inputs["startDateTime"], mc.inputs["timeZone"]) == (
        "05:00", "2025-06-01 01:00", "Tokyo Standard Time")
    assert mc.inputs["location"] == "japaneast"
    assert mc.inputs["resourceName"] == "mc-gateway-maintenance"


def test_window_is_assigned_to_each_included_gateway() -> None:
    rec = plan(config(window=WINDOW), preview=False)
    mc = rec.by_type(CONFIGURATION)[0]
    (assignment,) = rec.by_type(ASSIGNMENT)  # the policy-based gateway opted out
    assert assignment.inputs["providerName"] == "Microsoft.Network"
    assert assignment.inputs["resourceType"] == "virtualNetworkGateways"
    assert assignment.inputs["resourceName"] == "vpngw-hub"
    assert assignment.inputs["resourceGroupName"] == "rg-hub"
    assert assignment.inputs["resourceId"] == ROUTE_GW
    assert assignment.inputs["location"] == "japaneast"
    assert assignment.property_dependencies["maintenanceConfigurationId"] == [mc.urn]
    assert assignment.parent == mc.parent


def test_window_without_alerts_deploys_no_health_alerts() -> None:
    rec = plan(config(alerts=False, window=WINDOW))
    assert rec.by_type(ACTIVITY) == [] and len(rec.by_type(ASSIGNMENT)) == 1


def test_a_basic_sku_gateway_fails_the_run() -> None:
    basic = {"rg-hub/vpngw-hub": {"sku": {"name": "Basic", "tier": "Basic"}}}
    with pytest.raises(RunError, match=r"gatewatch:azure\.gateways\[0\]\.id: .*Basic SKU"):
        plan(config(window=WINDOW), offline_lookups=basic)


def test_a_gateway_in_another_region_fails_the_run() -> None:
    west = {"rg-hub/vpngw-hub": {"location": "japanwest"}}
    with pytest.raises(RunError, match=r"gateways\[0\]\.id: .*is in japanwest.*japaneast"):
        plan(config(window=WINDOW), offline_lookups=west)


def test_an_unknown_region_fails_rather_than_filtering_on_a_wrong_name() -> None:
    with pytest.raises(RunError, match="no known Service Health display name"):
        plan(config(), offline_lookups={"rg-hub/vpngw-hub": {"location": "marsnorth"}})
