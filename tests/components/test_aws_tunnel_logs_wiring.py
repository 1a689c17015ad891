"""What components/aws_tunnel_logs.py wires around the tunnel logs: the Logs Insights query
definitions on their log groups, and BGP logs and lifecycle control on the rollout resources,
asserted on the recorded resource graph."""

from __future__ import annotations

import botocore.session

from gatewatch.aws_rollout.expected import expected_tunnel_options
from gatewatch.catalog.load import load
from gatewatch.catalog.model import InsightsQuery
from gatewatch.config.model import parse_config
from tests.support.aws_stack import config
from tests.support.graph import plan

DYNAMIC = "pulumi-python:dynamic:Resource"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def test_query_definitions_are_deployed_on_the_right_log_groups() -> None:
    rec = plan(config(bgpLogGroupName="/aws/vendedlogs/gatewatch/bgp"))
    tunnel_group = rec.one(LOG_GROUP, "aws-tunnel-logs-log-group")
    bgp_group = rec.one(LOG_GROUP, "aws-tunnel-logs-bgp-log-group")
    definitions = {d.name: d for d in rec.by_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    for query in load(InsightsQuery):
        definition = definitions[f"aws-tunnel-logs-query-{query.id}"]
        assert definition.inputs["queryString"] == query.query
        assert definition.inputs["name"] == f"gatewatch/test/{query.name}"
        group = bgp_group if query.logs == "bgp" else tunnel_group
        assert definition.property_dependencies["logGroupNames"] == [group.urn], definition.urn


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
    cfg = parse_config(config(logOutputFormat="json")).aws
    assert cfg is not None and cfg.bgp_logs and cfg.tunnel_lifecycle_control
    assert cfg.max_parallel is None
    arn = "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/vendedlogs/gatewatch/test"
    options = expected_tunnel_options(cfg, arn)
    assert options.to_api() == {
        "LogEnabled": True, "LogGroupArn": arn, "LogOutputFormat": "json",
        "BgpLogEnabled": True, "BgpLogGroupArn": arn, "BgpLogOutputFormat": "json"}
    assert options.lifecycle_control is True
    assert options.matches({**options.to_api(), "LogGroupArn": arn + ":*"})
    assert not options.matches({"LogEnabled": True, "LogGroupArn": arn,
                                "LogOutputFormat": "json"})  # no BGP logs yet


def test_deployed_filter_patterns_and_queries_fit_cloudwatch_logs_limits() -> None:
    # The Azure request bodies are judged by Microsoft's definitions (gatewatch/checks/); these
    # AWS strings are judged by AWS's: botocore's CloudWatch Logs service model (PutMetricFilter
    # filterPattern, PutQueryDefinition queryString), which the real API enforces.
    model = botocore.session.get_session().get_service_model("logs")
    most = {name: model.shape_for(name).metadata["max"]
            for name in ("FilterPattern", "QueryDefinitionString")}
    rec = plan(config())
    patterns = [f.inputs["pattern"]
                for f in rec.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")]
    queries = [d.inputs["queryString"]
               for d in rec.by_type("aws:cloudwatch/queryDefinition:QueryDefinition")]
    assert patterns and queries
    assert all(0 < len(p) <= most["FilterPattern"] for p in patterns), patterns
    assert all(0 < len(q) <= most["QueryDefinitionString"] for q in queries)
