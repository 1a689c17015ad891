"""The AWS part of the program across regions and accounts, under the mock runtime: one
component and explicit provider per (account, region), every AWS resource of a region through
that region's provider, the log group of a connection in the connection's region, and the
single-region form's names unchanged."""

from __future__ import annotations

import copy
import json
from typing import Any

from gatewatch.checks.model import Resource
from gatewatch.offline.recording import Recording
from tests.support.graph import plan

VPN_A, VPN_B, VPN_C = "vpn-0a1b2c3d4e5f60718", "vpn-0fedcba9876543210", "vpn-0123456789abcdef2"
ROLE = "arn:aws:iam::210987654321:role/gatewatch-deploy"
DYNAMIC = "pulumi-python:dynamic:Resource"
PROVIDER = "pulumi:providers:aws"
SINGLE: dict[str, Any] = {"gatewatch:aws": {"region": "ap-northeast-1", "vpnConnections": [VPN_A],
                                            "alarmEmails": ["netops@example.com"]}}
MULTI: dict[str, Any] = copy.deepcopy(SINGLE)
MULTI["gatewatch:aws"]["regions"] = {"us-west-2": {"vpnConnections": [VPN_B]}}
MULTI["gatewatch:aws"]["accounts"] = [{"roleArn": ROLE,
                                       "regions": {"us-east-1": {"vpnConnections": [VPN_C]}}}]
# (component, region, connection)
SCOPES = [("aws-tunnel-logs", "ap-northeast-1", VPN_A),
          ("aws-tunnel-logs-us-west-2", "us-west-2", VPN_B),
          ("aws-tunnel-logs-210987654321-us-east-1", "us-east-1", VPN_C)]
PER_REGION = ("aws:cloudwatch/logGroup:LogGroup", "aws:sns/topic:Topic",
              "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/dashboard:Dashboard",
              "aws:cloudwatch/logMetricFilter:LogMetricFilter")


def _aws_children(rec: Recording, component: Resource) -> list[Resource]:
    return [r for r in rec.resources
            if r.parent == component.urn and r.type.startswith("aws:")]


def test_one_provider_per_region_and_account_the_other_account_by_assumed_role() -> None:
    rec = plan(MULTI)
    providers = {p.name: p for p in rec.by_type(PROVIDER)}
    assert sorted(providers) == sorted(f"{c}-provider" for c, _, _ in SCOPES)
    for component, region, _ in SCOPES:
        provider = providers[f"{component}-provider"]
        assert provider.inputs["region"] == region
        assert provider.parent == rec.one("gatewatch:aws:TunnelLogs", component).urn
    # provider config travels JSON-encoded, as the engine passes it to the provider
    assert json.loads(providers["aws-tunnel-logs-210987654321-us-east-1-provider"].inputs[
        "assumeRoles"]) == [{"roleArn": ROLE, "sessionName": "gatewatch"}]
    assert "assumeRoles" not in providers["aws-tunnel-logs-us-west-2-provider"].inputs


def test_every_aws_resource_of_a_region_uses_that_regions_provider() -> None:
    rec = plan(MULTI, preview=False)
    for component_name, _, vpn in SCOPES:
        component = rec.one("gatewatch:aws:TunnelLogs", component_name)
        provider = rec.one(PROVIDER, f"{component_name}-provider")
        children = _aws_children(rec, component)
        assert {r.type for r in children} >= set(PER_REGION), component_name
        assert [r.name for r in children if r.provider != provider.urn] == []
        alarms = [r.name for r in children if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
        assert sorted(alarms) == sorted([f"{component_name}-{vpn}-tunnel1-down",
                                         f"{component_name}-{vpn}-tunnel2-down",
                                         f"{component_name}-negotiation-failures"])


def test_a_connections_log_group_is_in_the_connections_region() -> None:
    rec = plan(MULTI, preview=False)
    for component_name, region, vpn in SCOPES:
        [rollout] = [r for r in rec.by_type(DYNAMIC) if r.inputs["vpnConnectionId"] == vpn]
        assert rollout.inputs["region"] == region
        [group_urn] = rollout.property_dependencies["logGroupArn"]
        group = rec.get(group_urn)
        assert group.name == f"{component_name}-log-group"
        assert rec.get(group.provider).inputs["region"] == region
    roles = {r.inputs["vpnConnectionId"]: r.inputs.get("roleArn") for r in rec.by_type(DYNAMIC)}
    assert roles == {VPN_A: None, VPN_B: None, VPN_C: ROLE}


def test_dashboards_are_named_per_region_the_regional_resources_alike() -> None:
    rec = plan(MULTI)
    dashboards = sorted(d.inputs["dashboardName"]
                        for d in rec.by_type("aws:cloudwatch/dashboard:Dashboard"))
    # CloudWatch dashboards are global to an account: one name per region.
    assert dashboards == ["gatewatch-vpn-test", "gatewatch-vpn-test-210987654321-us-east-1",
                          "gatewatch-vpn-test-us-west-2"]
    topics = {t.inputs["name"] for t in rec.by_type("aws:sns/topic:Topic")}
    assert topics == {"gatewatch-vpn-alarms-test"}  # regional: one name, three regions
    for dashboard in rec.by_type("aws:cloudwatch/dashboard:Dashboard"):
        assert dashboard.inputs["dashboardBody"]  # known: the body names its own region


def test_adding_regions_renames_nothing_of_the_single_region_form() -> None:
    single = {(r.type, r.urn, r.provider) for r in plan(SINGLE).resources}
    multi = {(r.type, r.urn, r.provider) for r in plan(MULTI).resources}
    assert single <= multi
    # and the single-region form alone is what it was: one component, its own provider
    assert [r.name for r in plan(SINGLE).by_type(PROVIDER)] == ["aws-tunnel-logs-provider"]
