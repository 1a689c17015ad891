"""A second region for the live world (tests/support/live_world.py): its own EC2 stand-in
(named in the stack as that region's `ec2EndpointUrl`), and in moto's us-west-2 what the kit
deploys there: the log group with recent tunnel events, the alarms, the topic and the AWS
Health rule. The connection's tunnels have other outside IPs than the first region's."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from gatewatch.aws import names as aws_names
from gatewatch.aws.health import health_event_pattern
from tests.support.live_world import ACCOUNT, STACK, World, ms
from tests.support.standins.ec2 import Ec2StandIn

WEST = "us-west-2"
VPN_W = "vpn-0f0f0f0f0f0f0f0f2"


@dataclass
class SecondRegion:
    world: World
    ec2: Ec2StandIn

    def boto(self, service: str) -> Any:
        return boto3.client(service, region_name=WEST, endpoint_url=self.world.moto_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def tunnel_ips(self) -> list[str]:
        return self.ec2.tunnel_ips(VPN_W)

    def put_tunnel_events(self, ip: str, events: list[tuple[dt.datetime, dict[str, Any]]]
                          ) -> None:
        logs = self.boto("logs")
        stream = aws_names.tunnel_stream_prefix(VPN_W, ip)
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=self.world.log_group, logStreamName=stream)
        logs.put_log_events(logGroupName=self.world.log_group, logStreamName=stream, logEvents=[
            {"timestamp": ms(t), "message": json.dumps(body)} for t, body in events])


@contextlib.contextmanager
def second_region(w: World) -> Iterator[SecondRegion]:
    """Add us-west-2 to the (healthy) world's stack, healthy too."""
    ec2 = Ec2StandIn()
    with ec2.serve() as url:
        region = SecondRegion(w, ec2)
        ec2.add_connection()  # another team's connection: VPN_W's tunnels get other IPs
        group_arn = f"arn:aws:logs:{WEST}:{ACCOUNT}:log-group:{w.log_group}"
        options = {"LogEnabled": True, "LogGroupArn": group_arn, "LogOutputFormat": "json",
                   "BgpLogEnabled": True, "BgpLogGroupArn": group_arn,
                   "BgpLogOutputFormat": "json"}
        ec2.add_connection(vpn_connection_id=VPN_W, tunnel_log_options=[options, options])
        for ip in region.tunnel_ips():
            ec2.set_lifecycle_control(VPN_W, ip, True)
        region.boto("logs").create_log_group(logGroupName=w.log_group)
        for ip in region.tunnel_ips():
            region.put_tunnel_events(ip, [(w.now - dt.timedelta(minutes=4), {
                "event_timestamp": int(w.now.timestamp()) - 240,
                "details": "AWS tunnel is sending DPD request", "dpd_enabled": True,
                "ike_phase1_state": "established", "ike_phase2_state": "established"})])
        cw = region.boto("cloudwatch")
        for name in [*(aws_names.tunnel_alarm_name(VPN_W, t) for t in (1, 2)),
                     aws_names.negotiation_alarm_name(STACK)]:
            cw.put_metric_alarm(AlarmName=name, MetricName="TunnelState", Namespace="AWS/VPN",
                                Statistic="Maximum", Period=300, EvaluationPeriods=2,
                                Threshold=1, ComparisonOperator="LessThanThreshold")
        topic = region.boto("sns").create_topic(Name=aws_names.alarm_topic_name(STACK))
        events = region.boto("events")
        rule = aws_names.maintenance_rule_name(STACK)
        events.put_rule(Name=rule, EventPattern=health_event_pattern(), State="ENABLED")
        events.put_targets(Rule=rule, Targets=[{"Id": "alarms", "Arn": topic["TopicArn"]}])
        w.config_file.write_text(w.config_file.read_text(encoding="utf-8") + (
            f"    regions:\n      {WEST}:\n        vpnConnections:\n          - {VPN_W}\n"
            f"        ec2EndpointUrl: {url}\n"), encoding="utf-8")
        yield region
