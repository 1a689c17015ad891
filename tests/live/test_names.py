"""The names `doctor` and `triage` look up are the names the Pulumi program declares: the
program runs offline (the plan) on the test estate's stack file and every looked-up name is
found among its resources' inputs."""

from __future__ import annotations

import pytest
import yaml

from gatewatch.config.model import parse_config
from gatewatch.live import names
from gatewatch.offline.runtime import Recording, run_program
from tests.support.live_world import STACK, STACK_YAML, VPN


@pytest.fixture(scope="module")
def program() -> Recording:
    """The program's resource graph for the test estate's stack file, recorded once: the two
    tests below read it and neither changes it."""
    return run_program(yaml.safe_load(STACK_YAML)["config"], stack=STACK, preview=True)


def test_every_name_doctor_reads_is_declared_by_the_program(program: Recording) -> None:
    raw = yaml.safe_load(STACK_YAML)["config"]
    config = parse_config(raw)
    assert config.azure is not None and config.aws is not None
    rec = program

    (setting,) = rec.by_type("azure-native:monitor:DiagnosticSetting")
    assert setting.inputs["name"] == names.DIAGNOSTIC_SETTING_NAME
    rules = {r.inputs["ruleName"] for r in rec.by_type("azure-native:monitor:ScheduledQueryRule")}
    assert rules == {names.alert_rule_name(n) for n in
                     ("bgp-peer-drop", "gateway-maintenance", "ike-negotiation-failure",
                      "tunnel-drop")}
    (group,) = rec.by_type("azure-native:monitor:ActionGroup")
    assert group.inputs["actionGroupName"] == names.action_group_name()
    (identity,) = rec.by_type("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceName"] == names.identity_name()
    (workspace,) = rec.by_type("azure-native:operationalinsights:Workspace")
    (group_rg,) = rec.by_type("azure-native:resources:ResourceGroup")
    assert names.workspace_id(config.azure, "sub").endswith(
        f"/resourceGroups/{group_rg.inputs['resourceGroupName']}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{workspace.inputs['workspaceName']}")

    (log_group,) = rec.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == names.aws_log_group_name(config.aws, STACK)
    alarms = {a.inputs["name"] for a in rec.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms == {names.aws_tunnel_alarm_name(VPN, 1), names.aws_tunnel_alarm_name(VPN, 2),
                      names.aws_negotiation_alarm_name(STACK)}


def test_gateway_alert_and_aws_health_rule_names_are_declared_by_the_program(
        program: Recording) -> None:
    from gatewatch.catalog.load import load
    from gatewatch.catalog.model import ActivityLogAlertRule, MetricAlertRule

    raw = yaml.safe_load(STACK_YAML)["config"]
    config = parse_config(raw)
    assert config.azure is not None
    (gateway,) = config.azure.gateways
    rec = program

    # doctor checks the enabled ones; the program also deploys catalog-disabled ones, disabled
    metric = {a.inputs["ruleName"]: a.inputs["enabled"]
              for a in rec.by_type("azure-native:monitor:MetricAlert")}
    assert metric == {names.metric_alert_name(r.name, gateway.name): r.enabled
                      for r in load(MetricAlertRule)}
    activity = {a.inputs["activityLogAlertName"]: a.parent.split("::")[-2].split("$")[-1]
                for a in rec.by_type("azure-native:monitor:ActivityLogAlert")}
    assert activity == {
        **{names.activity_alert_name(r.name): "gatewatch:azure:GatewayAlerts"
           for r in load(ActivityLogAlertRule)},
        names.SERVICE_HEALTH_ALERT: "gatewatch:azure:GatewayMaintenance",
        names.RESOURCE_HEALTH_ALERT: "gatewatch:azure:GatewayMaintenance"}

    (rule,) = rec.by_type("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["name"] == names.aws_maintenance_rule_name(STACK)
    (topic,) = rec.by_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == names.aws_alarm_topic_name(STACK)
    (target,) = rec.by_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["rule"] == rule.inputs["name"]


def test_separate_bgp_log_group_name_is_declared_by_the_program() -> None:
    raw = yaml.safe_load(STACK_YAML)["config"]
    raw["gatewatch:aws"]["bgpLogGroupName"] = "/aws/vendedlogs/gatewatch/live-bgp"
    config = parse_config(raw)
    assert config.aws is not None
    rec = run_program(raw, stack=STACK, preview=True)
    groups = {g.inputs["name"] for g in rec.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups == {names.aws_log_group_name(config.aws, STACK), config.aws.bgp_log_group_name}
