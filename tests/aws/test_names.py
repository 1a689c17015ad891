"""The AWS names `doctor` and `triage` look up are the names the program declares: the program
runs offline (the plan) on each stack file, and every name the shared functions give for that
stack's config is found on the resource the live path reads it from. The component calls the
same functions, so this proves they are the ones the program uses."""

from __future__ import annotations

import pytest
import yaml

from gatewatch.aws import names as aws_names
from gatewatch.aws.insights import load_aws_queries
from gatewatch.config.model import AwsConfig, parse_config
from gatewatch.offline.runtime import Recording, run_program
from tests.support.declared import STACKS, declared, names_of
from tests.support.live_world import STACK as LIVE_STACK
from tests.support.live_world import STACK_YAML, VPN

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
RULE = "aws:cloudwatch/eventRule:EventRule"
TOPIC = "aws:sns/topic:Topic"


def _aws(stack: str) -> tuple[AwsConfig, Recording]:
    config, rec = declared(stack)
    assert config.aws is not None
    return config.aws, rec


@pytest.mark.parametrize("stack", STACKS)
def test_every_name_doctor_and_triage_read_is_declared_by_the_program(stack: str) -> None:
    aws, rec = _aws(stack)
    assert names_of(rec, LOG_GROUP, "name") == {aws_names.log_group_name(aws, stack)}
    assert names_of(rec, ALARM, "name") == {
        *(aws_names.tunnel_alarm_name(v, t) for v in aws.vpn_connections for t in (1, 2)),
        aws_names.negotiation_alarm_name(stack)}
    assert names_of(rec, RULE, "name") == {aws_names.maintenance_rule_name(stack)}
    assert names_of(rec, TOPIC, "name") == {aws_names.alarm_topic_name(stack)}
    (target,) = rec.by_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["rule"] == aws_names.maintenance_rule_name(stack)


@pytest.mark.parametrize("stack", STACKS)
def test_every_other_aws_name_is_the_shared_one(stack: str) -> None:
    _, rec = _aws(stack)
    (metric_filter,) = rec.by_type(FILTER)
    assert metric_filter.inputs["name"] == aws_names.NEGOTIATION_FILTER_NAME
    transformation = metric_filter.inputs["metricTransformation"]
    assert (transformation["namespace"], transformation["name"]) == (
        aws_names.FAILURE_METRIC_NAMESPACE, aws_names.FAILURE_METRIC_NAME)
    alarm = next(a for a in rec.by_type(ALARM)
                 if a.inputs["name"] == aws_names.negotiation_alarm_name(stack))
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        aws_names.FAILURE_METRIC_NAMESPACE, aws_names.FAILURE_METRIC_NAME)
    assert names_of(rec, "aws:cloudwatch/queryDefinition:QueryDefinition", "name") == {
        aws_names.query_definition_name(stack, q.name) for q in load_aws_queries()}
    assert names_of(rec, "aws:cloudwatch/dashboard:Dashboard", "dashboardName") == {
        aws_names.dashboard_name(stack)}


def test_the_live_estate_alarm_names() -> None:
    _, rec = _aws(LIVE_STACK)
    assert names_of(rec, ALARM, "name") == {
        aws_names.tunnel_alarm_name(VPN, 1), aws_names.tunnel_alarm_name(VPN, 2),
        aws_names.negotiation_alarm_name(LIVE_STACK)}


def test_separate_bgp_log_group_name_is_declared_by_the_program() -> None:
    raw = yaml.safe_load(STACK_YAML)["config"]
    raw["gatewatch:aws"]["bgpLogGroupName"] = "/aws/vendedlogs/gatewatch/live-bgp"
    config = parse_config(raw)
    assert config.aws is not None
    rec = run_program(raw, stack=LIVE_STACK, preview=True)
    assert names_of(rec, LOG_GROUP, "name") == {
        aws_names.log_group_name(config.aws, LIVE_STACK), config.aws.bgp_log_group_name}
