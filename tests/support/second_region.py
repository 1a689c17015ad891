"""A second region for the live world (tests/support/live_world.py): its own EC2 stand-in
(named in the stack as that region's `ec2EndpointUrl`), and in moto's us-west-2 what the kit
deploys there: the log group with recent tunnel events, the alarms, the topic and the AWS
Health rule. The connection's tunnels have other outside IPs than the first region's."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from tests.support.live_world import (
    ACCOUNT,
    World,
    put_kit_alarms,
    put_maintenance_rule,
    put_tunnel_events,
)
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
        put_tunnel_events(self.boto("logs"), self.world.log_group, VPN_W, ip, events)


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
        put_kit_alarms(region.boto("cloudwatch"), VPN_W)
        put_maintenance_rule(region.boto("sns"), region.boto("events"))
        w.config_file.write_text(w.config_file.read_text(encoding="utf-8") + (
            f"    regions:\n      {WEST}:\n        vpnConnections:\n          - {VPN_W}\n"
            f"        ec2EndpointUrl: {url}\n"), encoding="utf-8")
        yield region
