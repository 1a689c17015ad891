"""Put the two clouds' events on one timeline and judge every drop."""

from __future__ import annotations

import datetime as dt

from gatewatch.aws import names as aws_names
from gatewatch.config.model import StackConfig
from gatewatch.live.readers import AwsReads, AzureReads
from gatewatch.live.triage import collect
from gatewatch.live.triage.model import Timeline, find_drops, judge


def triage(config: StackConfig, stack: str, *, remote_ip: str, start: dt.datetime,
           end: dt.datetime, gateway_name: str = "", vpn_connection: str | None = None,
           azure_reader: AzureReads | None = None, aws_reader: AwsReads | None = None,
           workspace_id: str | None = None) -> Timeline:
    events = []
    notes: list[str] = []
    sources: list[str] = []
    if config.azure is not None and azure_reader is not None and workspace_id is not None:
        customer_id = azure_reader.workspace_customer_id(workspace_id)
        events += collect.azure_events(azure_reader, customer_id, remote_ip, gateway_name,
                                       start, end, sources)
    if config.aws is not None and aws_reader is not None:
        vpn_ids = [vpn_connection] if vpn_connection else list(config.aws.vpn_connections)
        views, missing = aws_reader.connections(vpn_ids)
        for vpn_id in missing:
            notes.append(f"AWS: {vpn_id} not found in {config.aws.region}")
        tunnel = next(((v, t) for v in views for t in v.tunnels if t.outside_ip == remote_ip),
                      None)
        if tunnel is None:
            notes.append(f"AWS: no tunnel with outside IP {remote_ip} in "
                         f"{', '.join(vpn_ids)}; only the Azure side is shown")
        else:
            view, tun = tunnel
            group = aws_names.log_group_name(config.aws, stack)
            events += collect.aws_tunnel_events(aws_reader, group, view.vpn_connection_id,
                                                tun.outside_ip, start, end, sources)
            bgp_group = config.aws.bgp_log_group_name
            if config.aws.bgp_logs and bgp_group and bgp_group != group:
                events += collect.aws_bgp_events(aws_reader, bgp_group, view.vpn_connection_id,
                                                 tun.outside_ip, start, end, sources, notes)
            events += collect.aws_replacement_events(aws_reader, view.vpn_connection_id,
                                                     tun.outside_ip, start, end, sources, notes)
            events += collect.aws_health_events(aws_reader, [view.vpn_connection_id], start,
                                                end, sources, notes)
            notes.append(f"AWS: {view.vpn_connection_id} tunnel {tun.outside_ip} is "
                         f"{tun.status} now (DescribeVpnConnections VgwTelemetry)")
    events.sort(key=lambda e: e.time)
    windows = collect.alert_windows()
    drops = find_drops(events, windows)
    judge(drops, events, collect.ike_failure_pattern(), windows)
    return Timeline(remote_ip, start, end, events, drops, notes, sources)
