"""Logs Insights queries (queries/aws), the CloudWatch dashboard, AWS Health maintenance events
and the BGP/lifecycle wiring of the AWS component, asserted on the recorded resource graph."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from gatewatch.aws.insights import (
    AwsQuery,
    dashboard_body,
    documented_fields,
    load_aws_queries,
    query_fields,
)
from gatewatch.aws_rollout.expected import expected_tunnel_options
from gatewatch.config.model import parse_config
from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.graph import plan

SCHEMA = json.loads((ROOT / "tests" / "support" / "vendor" / "aws" /
                     "cloudwatch-dashboard-body.schema.json").read_text())
VPN_A, VPN_B = "vpn-0a1b2c3d4e5f60718", "vpn-0fedcba9876543210"
CONFIG: dict[str, Any] = {"gatewatch:aws": {"region": "ap-northeast-1",
                                            "vpnConnections": [VPN_A, VPN_B],
                                            "alarmEmails": ["netops@example.com"]}}
DYNAMIC = "pulumi-python:dynamic:Resource"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def config(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(CONFIG)
    out["gatewatch:aws"].update(changes)
    return out


def validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


# --- queries --------------------------------------------------------------------------------

def test_the_three_investigations_are_there() -> None:
    queries = {q.id: q for q in load_aws_queries()}
    assert set(queries) == {"aws-tunnel-state-history", "aws-ike-negotiation-failures",
                            "aws-bgp-session-changes"}
    assert queries["aws-bgp-session-changes"].logs == "bgp"


@pytest.mark.parametrize("query", load_aws_queries(), ids=lambda q: q.id)
def test_every_query_reads_only_awss_documented_fields(query: AwsQuery) -> None:
    fields = documented_fields()
    read, _aliases = query_fields(query.query)
    allowed = fields[query.logs] | fields["system"]
    assert read, "the field check saw no field at all"
    assert read <= allowed, sorted(read - allowed)


def test_the_field_check_catches_a_field_aws_does_not_log() -> None:
    read, aliases = query_fields(
        'fields @timestamp, tunnel_state as s\n| filter details like /fail "x"/ | '
        'stats count(*) by bin(1h)')
    assert "tunnel_state" in read and "s" in aliases and "fail" not in read
    assert not read <= documented_fields()["tunnel"] | documented_fields()["system"]


def test_query_definitions_are_deployed_on_the_right_log_groups() -> None:
    rec = plan(config(bgpLogGroupName="/aws/vendedlogs/gatewatch/bgp"))
    tunnel_group = rec.one(LOG_GROUP, "aws-tunnel-logs-log-group")
    bgp_group = rec.one(LOG_GROUP, "aws-tunnel-logs-bgp-log-group")
    definitions = {d.name: d for d in rec.by_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    for query in load_aws_queries():
        definition = definitions[f"aws-tunnel-logs-query-{query.id}"]
        assert definition.inputs["queryString"] == query.query
        assert definition.inputs["name"] == f"gatewatch/test/{query.name}"
        group = bgp_group if query.logs == "bgp" else tunnel_group
        assert definition.property_dependencies["logGroupNames"] == [group.urn], definition.urn


# --- dashboard ------------------------------------------------------------------------------

def test_the_dashboard_body_follows_awss_documented_structure() -> None:
    rec = plan(config(), preview=False)
    dashboard = rec.one("aws:cloudwatch/dashboard:Dashboard", "aws-tunnel-logs-dashboard")
    assert dashboard.inputs["dashboardName"] == "gatewatch-vpn-test"
    body = json.loads(dashboard.inputs["dashboardBody"])
    errors = sorted(validator().iter_errors(body), key=str)
    assert errors == [], [e.message for e in errors]
    widgets = body["widgets"]
    states = [w for w in widgets if w["properties"].get("title", "").startswith("TunnelState")]
    assert [w["properties"]["title"] for w in states] == [f"TunnelState {VPN_A}",
                                                          f"TunnelState {VPN_B}"]
    expression = states[0]["properties"]["metrics"][0][0]["expression"]
    assert f'VpnId="{VPN_A}"' in expression and "TunnelIpAddress" in expression
    logs = [w for w in widgets if w["type"] == "log"]
    assert len(logs) == len(load_aws_queries())
    assert all(w["properties"]["query"].startswith(
        "SOURCE '/aws/vendedlogs/gatewatch/test' | ") for w in logs)
    failures = [w for w in widgets if "negotiation failures" in
                w["properties"].get("title", "")]
    assert failures[0]["properties"]["metrics"] == [["Gatewatch/VPN",
                                                     "TunnelNegotiationFailures"]]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b.pop("widgets"),
        lambda b: b["widgets"][1].update(width=30),
        lambda b: b["widgets"][1].update(type="graph"),
        lambda b: b["widgets"][-1]["properties"].pop("region"),
        lambda b: b["widgets"][-1]["properties"].update(query="fields @timestamp"),
        lambda b: b["widgets"][1]["properties"].update(period=90),
        lambda b: b["widgets"][1]["properties"]["metrics"][0][0].update(id="E1"),
        lambda b: b.update(periodOverride="always"),
    ],
)
def test_the_dashboard_schema_rejects_what_aws_documents_as_invalid(breakage: Any) -> None:
    body = json.loads(dashboard_body("us-east-1", [VPN_A], "/g", None, load_aws_queries(),
                                     ("Gatewatch/VPN", "TunnelNegotiationFailures")))
    assert list(validator().iter_errors(body)) == []
    breakage(body)
    assert list(validator().iter_errors(body)) != []


# --- maintenance events ---------------------------------------------------------------------

def test_aws_health_vpn_scheduled_changes_reach_the_alarm_topic() -> None:
    rec = plan(config(), preview=False)
    rule = rec.one("aws:cloudwatch/eventRule:EventRule", "aws-tunnel-logs-vpn-maintenance")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern == {"source": ["aws.health"], "detail-type": ["AWS Health Event"],
                       "detail": {"service": ["VPN"], "eventTypeCategory": ["scheduledChange"]}}
    topic = rec.one("aws:sns/topic:Topic", "aws-tunnel-logs-alarms")
    target = rec.one("aws:cloudwatch/eventTarget:EventTarget",
                     "aws-tunnel-logs-vpn-maintenance-to-alarms")
    assert target.property_dependencies["arn"] == [topic.urn]
    assert target.property_dependencies["rule"] == [rule.urn]
    policy = rec.one("aws:sns/topicPolicy:TopicPolicy", "aws-tunnel-logs-alarms-policy")
    assert policy.urn in target.dependencies  # EventBridge may publish before it targets
    document = json.loads(policy.inputs["policy"])
    events = [s for s in document["Statement"]
              if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert len(events) == 1 and events[0]["Action"] == "sns:Publish"
    # ARNs as the harness's mocks make them (fake account 123456789012).
    rule_arn = events[0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert rule_arn.startswith("arn:aws:events:")
    assert rule_arn.endswith(":123456789012:rule/gatewatch-vpn-maintenance-test")
    topic_arn = policy.inputs["arn"]
    assert topic_arn.endswith(":123456789012:gatewatch-vpn-alarms-test")
    assert events[0]["Resource"] == topic_arn
    owner = [s for s in document["Statement"] if s["Sid"] == "OwnerAccount"]
    assert owner[0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": "123456789012"}}


# --- BGP logs and lifecycle control on the rollout resources ---------------------------------

def test_rollout_resources_carry_bgp_logs_and_lifecycle_control_by_default() -> None:
    rec = plan(config())
    group = rec.one(LOG_GROUP, "aws-tunnel-logs-log-group")
    for rollout in rec.by_type(DYNAMIC):
        assert rollout.inputs["bgpLogEnabled"] is True
        assert rollout.inputs["lifecycleControl"] is True
        assert rollout.property_dependencies["bgpLogGroupArn"] == [group.urn], rollout.urn


def test_bgp_logs_off_and_lifecycle_control_off_are_passed_through() -> None:
    rec = plan(config(bgpLogs=False, tunnelLifecycleControl=False))
    for rollout in rec.by_type(DYNAMIC):
        assert rollout.inputs["bgpLogEnabled"] is False
        assert rollout.inputs["lifecycleControl"] is False
        assert rollout.inputs.get("bgpLogGroupArn") is None
    assert len(rec.by_type(LOG_GROUP)) == 1


def test_expected_tunnel_options_is_the_one_home_for_what_a_tunnel_should_have() -> None:
    cfg = parse_config(config(logOutputFormat="text")).aws
    assert cfg is not None and cfg.bgp_logs and cfg.tunnel_lifecycle_control
    assert cfg.max_parallel is None
    arn = "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/vendedlogs/gatewatch/test"
    options = expected_tunnel_options(cfg, arn)
    assert options.to_api() == {
        "LogEnabled": True, "LogGroupArn": arn, "LogOutputFormat": "text",
        "BgpLogEnabled": True, "BgpLogGroupArn": arn, "BgpLogOutputFormat": "text"}
    assert options.lifecycle_control is True
    assert options.matches({**options.to_api(), "LogGroupArn": arn + ":*"})
    assert not options.matches({"LogEnabled": True, "LogGroupArn": arn,
                                "LogOutputFormat": "text"})  # no BGP logs yet
