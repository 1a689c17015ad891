"""Graph assertions for GatewayMaintenance: Service Health and Resource Health activity log
alerts into the log alerts' action group, and the customer-controlled maintenance window with
its assignments, including the run-time checks against the gateway lookup."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pulumi import RunError

from components.creation_date import CreationDateProvider, tomorrow_utc
from gatewatch.checks.model import UNKNOWN
from gatewatch.offline.recording import Recording
from tests.support.graph import plan
from tests.support.stacks import POLICY_GW, ROUTE_GW, SUB, base_config, gateway_id

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
    """Leaves as field -> value; an anyOf of equals leaves on one field as field -> [values]."""
    out: dict[str, Any] = {}
    for item in alert.inputs["condition"]["allOf"]:
        if "anyOf" in item:
            (field,) = {leaf["field"] for leaf in item["anyOf"]}
            out[field] = [leaf["equals"] for leaf in item["anyOf"]]
        else:
            out[item["field"]] = item.get("equals", item.get("containsAny"))
    return out


def alerts_by_kind(rec: Recording) -> dict[str, Any]:
    # The health alerts of this component (GatewayAlerts adds its own activity log alerts).
    alerts = {a.name.removeprefix("gateway-maintenance-").removesuffix("-health"): a
              for a in rec.by_type(ACTIVITY) if a.name.startswith("gateway-maintenance-")}
    assert sorted(alerts) == ["resource", "service"], sorted(a.name for a in rec.by_type(ACTIVITY))
    return alerts


def client_config_notes(rec: Recording) -> list[str]:
    # Asked by more than one component (workspace, health alerts): one answer, one note.
    return sorted({c.note for c in rec.calls
                   if c.token == "azure-native:authorization:getClientConfig"})


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


def test_resource_health_alert_filters_only_on_fields_every_event_carries() -> None:
    rec = plan(config(), preview=False)
    health = alerts_by_kind(rec)["resource"]
    # Scoped to the kit's subscription (an activity log alert cannot watch another one),
    # filtered to the gateways and the Active / Resolved stages. No filter on
    # properties.currentHealthStatus / previousHealthStatus: Microsoft's template guide warns
    # they may be null in some events, and such a filter would drop those alerts.
    assert health.inputs["scopes"] == [f"/subscriptions/{SUB}"]
    assert conditions(health) == {
        "category": "ResourceHealth",
        "resourceId": [ROUTE_GW, POLICY_GW],
        "status": ["Active", "Resolved"],
    }
    assert health.inputs["location"] == "Global" and health.inputs["enabled"] is True


def test_gateways_in_another_subscription_get_no_health_alert_and_the_plan_says_so() -> None:
    c = config()
    other = gateway_id("rg-west", "vpngw-west", sub=OTHER_SUB)
    c["gatewatch:azure"]["gateways"].append({"id": other, "vpnType": "RouteBased"})
    rec = plan(c, offline_lookups={"rg-west/vpngw-west": {"location": "westeurope"}},
               preview=False)
    alerts = alerts_by_kind(rec)  # one pair, not one per subscription
    for alert in alerts.values():
        # Every scope in the subscription the rule is created in (offline: the first
        # gateway's); a scope in OTHER_SUB is what made `pulumi up` fail.
        assert alert.inputs["scopes"] == [f"/subscriptions/{SUB}"]
    assert conditions(alerts["service"])[
        "properties.impactedServices[*].ImpactedRegions[*].RegionName"] == ["Japan East"]
    (note,) = client_config_notes(rec)
    assert f"subscription {SUB}" in note and "first configured gateway" in note
    assert f"not covered by Service Health / Resource Health alerts (another subscription): " \
           f"{other}" in note


def test_health_alerts_follow_the_subscription_the_kit_deploys_into() -> None:
    c = config()
    other = gateway_id("rg-west", "vpngw-west", sub=OTHER_SUB)
    c["gatewatch:azure"]["gateways"].append({"id": other, "vpnType": "RouteBased"})
    rec = plan(c, preview=False, offline_lookups={
        "rg-west/vpngw-west": {"location": "westeurope"},
        "authorization/getClientConfig": {"subscriptionId": OTHER_SUB}})
    alerts = alerts_by_kind(rec)
    assert {tuple(a.inputs["scopes"]) for a in alerts.values()} == {
        (f"/subscriptions/{OTHER_SUB}",)}
    assert conditions(alerts["service"])[
        "properties.impactedServices[*].ImpactedRegions[*].RegionName"] == ["West Europe"]
    (note,) = client_config_notes(rec)
    assert ROUTE_GW in note and POLICY_GW in note and other not in note


def test_the_stack_examples_gateways_are_all_covered_offline() -> None:
    rec = plan(config(), preview=False)
    (note,) = client_config_notes(rec)
    assert f"subscription {SUB}" in note and "not covered" not in note


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


def test_without_start_date_the_window_starts_on_the_date_it_is_first_created() -> None:
    window = {k: v for k, v in WINDOW.items() if k != "startDate"}
    # A first preview: the date is not known yet (the provider fixes it at create).
    mc = plan(config(window=window), preview=True).by_type(CONFIGURATION)[0]
    assert mc.inputs["startDateTime"] is UNKNOWN
    rec = plan(config(window=window), preview=False)
    mc = rec.by_type(CONFIGURATION)[0]
    (dated,) = [r for r in rec.resources if r.name == "gateway-maintenance-window-start-date"]
    assert dated.inputs["keepers"] == {"start": "01:00"}
    assert dated.property_dependencies.get("keepers", []) == []
    assert mc.property_dependencies["startDateTime"] == [dated.urn]
    date = mc.inputs["startDateTime"].split(" ")[0]
    assert mc.inputs["startDateTime"] == f"{date} 01:00"
    # Never in the past for any time zone at creation: tomorrow in UTC.
    today_utc = dt.datetime.now(dt.UTC).date()
    assert dt.date.fromisoformat(date) == today_utc + dt.timedelta(days=1)


def test_the_creation_date_stays_in_state_until_the_start_time_changes() -> None:
    provider = CreationDateProvider()
    created = provider.create({"keepers": {"start": "01:00"}, "creationDate": None})
    date = created.outs["creationDate"]
    olds = dict(created.outs)
    # Later runs: same keepers, no diff (the stored date stays, whatever day it is now).
    assert provider.diff(created.id, olds, {"keepers": {"start": "01:00"},
                                            "creationDate": None}).changes is False
    # A new start time: an update, which takes a current date again.
    news = {"keepers": {"start": "02:00"}, "creationDate": None}
    assert provider.diff(created.id, olds, news).changes is True
    assert provider.update(created.id, olds, news).outs["creationDate"] >= date
    assert tomorrow_utc(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == "2027-01-01"


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
    with pytest.raises(RunError) as info:
        plan(config(), offline_lookups={"rg-hub/vpngw-hub": {"location": "marsnorth"}})
    message = str(info.value)
    # Names the gateway and the region, and tells the user what to do, not to edit the kit.
    assert "gatewatch:azure.gateways[0].id: Azure reports the gateway in region 'marsnorth'" \
        in message, message
    assert "no known Service Health display name" in message
    assert "upgrade gatewatch" in message and "regions.py" not in message
