"""AWS Health scheduled changes of Site-to-Site VPN reach the alarm topic (EventBridge rule,
target and topic policy), on the recorded resource graph."""

from __future__ import annotations

import json

from tests.support.aws_stack import config
from tests.support.graph import plan


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
