"""The AWS side of the names check (see tests/azure/test_names.py): the log group, alarms, topic
and AWS Health rule that `doctor` and `triage` read are named by gatewatch/aws/names.py in the
program's graph of every stack file, and so is everything else the AWS component deploys."""

from __future__ import annotations

import pytest
import yaml

from gatewatch.aws import names as aws_names
from gatewatch.catalog.load import load
from gatewatch.catalog.model import InsightsQuery
from gatewatch.config.model import parse_config
from gatewatch.offline.runtime import run_program
from tests.support.declared import STACKS, declared, names_of
from tests.support.live_world import STACK as LIVE_STACK
from tests.support.live_world import STACK_YAML, VPN

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
RULE = "aws:cloudwatch/eventRule:EventRule"
TOPIC = "aws:sns/topic:Topic"


@pytest.mark.parametrize("stack", STACKS)
def test_every_name_doctor_and_triage_read_is_declared_by_the_program(stack: str) -> None:
    aws, rec = declared(stack).aws, declared(stack).recording
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
    rec = declared(stack).recording
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
        aws_names.query_definition_name(stack, q.name) for q in load(InsightsQuery)}
    assert names_of(rec, "aws:cloudwatch/dashboard:Dashboard", "dashboardName") == {
        aws_names.dashboard_name(stack)}


def test_the_live_estate_alarm_names() -> None:
    rec = declared(LIVE_STACK).recording
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
