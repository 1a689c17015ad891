"""Put the two clouds' events on one timeline and judge every drop.

Each source (ARM for the workspace, Log Analytics, the Azure Activity log, EC2, CloudWatch
Logs, AWS Health, CloudTrail) is read behind one boundary (gatewatch/live/sources.py): one that
fails or hangs becomes one note naming it, why, and which verdicts it takes away; the timeline
is built from the others. CloudTrail is read only when the range has a drop to explain:
LookupEvents allows two requests per second per account and Region, shared with every other
caller. The Activity log is read likewise, for the gateways an Azure drop is on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from functools import partial

from gatewatch.aws import names as aws_names
from gatewatch.aws_rollout.views import ConnectionView, TunnelView
from gatewatch.config.aws import AwsConfig
from gatewatch.config.model import StackConfig
from gatewatch.live import sources as src
from gatewatch.live.readers import AwsReads, AzureReads, reader_for
from gatewatch.live.triage import changes, collect, resets
from gatewatch.live.triage.model import EVIDENCE_WINDOW, Event, Timeline
from gatewatch.live.triage.outages import merge
from gatewatch.live.triage.verdicts import find_drops, judge

# What the timeline cannot show when a source is missing, so the reader weighs the verdicts.
LIMITS = {
    src.ARM: "the workspace cannot be found, so no Azure events: Azure drops, gateway failover "
         "and maintenance, Azure IKE and BGP records cannot be seen",
    src.LOG_ANALYTICS: "no Azure events: Azure drops, gateway failover and maintenance, Azure "
                   "IKE and BGP records cannot be seen",
    src.ACTIVITY_LOG: "a gateway reset cannot be named, so a failover without a maintenance "
                      "record stays \"cause: planned maintenance or a reset\"",
    src.EC2: "the AWS tunnel cannot be identified, so no AWS events (tunnel logs, endpoint "
         "replacement, AWS Health): only the Azure side is shown",
    src.CLOUDWATCH_LOGS: "no AWS tunnel-log or BGP events: AWS drops and the AWS side's IKE "
                         "and DPD records cannot be seen",
    src.AWS_HEALTH: "an AWS endpoint replacement announced by AWS Health cannot be "
                    "recognised (only the tunnel's last replacement, from EC2, is)",
    src.CLOUDTRAIL: "configuration changes on AWS (ModifyVpnTunnelOptions, "
                    "ModifyVpnConnection, ModifyVpnConnectionOptions, ReplaceVpnTunnel, "
                    "ModifyVpnTunnelCertificate) are not checked, so a drop they caused gets "
                    "another verdict",
}


def source_note(down: src.SourceDown) -> str:
    failure = down.failure
    note = f"{failure.source} not read ({failure.reason}): {LIMITS.get(failure.source, '')}"
    return f"{note}; {failure.fix}" if failure.refused else note


def triage(config: StackConfig, stack: str, *, remote_ip: str, start: dt.datetime,
           end: dt.datetime, gateway_name: str = "", vpn_connection: str | None = None,
           azure_reader: AzureReads | None = None,
           aws_reader: AwsReads | Mapping[str, AwsReads] | None = None,
           workspace_id: str | None = None) -> Timeline:
    events: list[Event] = []
    notes: list[str] = []
    sources: list[str] = []
    boundary = src.Sources()
    if config.azure is not None and azure_reader is not None and workspace_id is not None:
        reader = azure_reader
        try:
            customer_id = boundary.call(
                src.ARM, lambda: reader.workspace_customer_id(workspace_id))
            events += collect.azure_events(reader, customer_id, remote_ip, gateway_name,
                                           start, end, sources, boundary)
        except src.SourceDown as down:
            notes.append(source_note(down))
    tunnel: tuple[AwsReads, str, str] | None = None
    windows = collect.alert_windows()
    if config.aws is not None and aws_reader is not None:
        aws_events, tunnel = _aws(config, stack, aws_reader, boundary, remote_ip,
                                  vpn_connection, start, end, sources, notes)
        events += aws_events
        windows = dataclasses.replace(windows, config=dt.timedelta(
            minutes=config.aws.tunnel_up_timeout_minutes))
    events.sort(key=lambda e: e.time)
    drops = find_drops(events, windows)
    if drops and config.azure is not None and azure_reader is not None:
        events += _resets(config, azure_reader, boundary, events, start, end, sources, notes)
        events.sort(key=lambda e: e.time)
    if drops and tunnel is not None:
        try:  # a change up to the window before the range can explain its first drop
            events += changes.config_change_events(*tunnel, start - windows.config, end,
                                                   sources, boundary)
        except src.SourceDown as down:
            notes.append(source_note(down))
        events.sort(key=lambda e: e.time)
    judge(drops, events, collect.ike_failure_pattern(), windows)
    drops = merge(drops, events)  # one drop per outage, both ends on it
    return Timeline(remote_ip, start, end, events, drops, notes, sources)


def _resets(config: StackConfig, reader: AzureReads, boundary: src.Sources,
            events: list[Event], start: dt.datetime, end: dt.datetime, sources: list[str],
            notes: list[str]) -> list[Event]:
    """Resets of the gateways an Azure drop is on, from their Activity log: from the evidence
    window before the range (a reset just before it explains its first drop) to its end."""
    assert config.azure is not None
    ids, unknown = resets.gateways_to_read((g.id.id for g in config.azure.gateways), events)
    notes += [f"Azure: gateway {name} is not in gatewatch:azure.gateways, so its Activity log "
              "was not read: a reset of it cannot be named" for name in unknown]
    try:
        return resets.reset_events(reader, ids, start - EVIDENCE_WINDOW, end, sources, boundary)
    except src.SourceDown as down:
        notes.append(source_note(down))
        return []


def _find_tunnel(aws: AwsConfig, readers: AwsReads | Mapping[str, AwsReads],
                 boundary: src.Sources, remote_ip: str, vpn_connection: str | None,
                 notes: list[str]) -> tuple[AwsReads, ConnectionView, TunnelView] | None:
    """The tunnel whose outside IP is `remote_ip`, and the reader of its (account, region):
    `--vpn-connection` in the region and account the stack lists it in (in each of the
    stack's when it lists it nowhere), else every connection of the stack."""
    owner = aws.scope_of(vpn_connection) if vpn_connection else None
    searched = [(s, (vpn_connection,) if vpn_connection else s.vpn_connections)
                for s in ((owner,) if owner else aws.scopes())]
    # A connection the stack does not list is "not found" only if no region has it.
    deferred = vpn_connection is not None and owner is None
    missing: dict[str, list[str]] = {}
    read = False
    for scope, ids in searched:
        reader = reader_for(readers, scope)
        try:
            views, absent = boundary.call(src.EC2, partial(reader.connections, list(ids)))
        except src.SourceDown as down:
            notes.append(source_note(down))
            continue
        read = True
        for vpn_id in absent:
            if deferred:
                missing.setdefault(vpn_id, []).append(scope.label)
            else:
                notes.append(f"AWS: {vpn_id} not found in {scope.label}")
        for view in views:
            tun = next((t for t in view.tunnels if t.outside_ip == remote_ip), None)
            if tun is not None:
                return reader, view, tun
        if vpn_connection and views:
            break  # found where it is, without that tunnel
    if not read:
        return None
    for vpn_id, where in missing.items():
        if len(where) == len(searched):
            notes.append(f"AWS: {vpn_id} not found in {', '.join(where)}")
    listed = [vpn_connection] if vpn_connection else list(aws.all_connections)
    notes.append(f"AWS: no tunnel with outside IP {remote_ip} in "
                 f"{', '.join(listed)}; only the Azure side is shown")
    return None


def _aws(config: StackConfig, stack: str, readers: AwsReads | Mapping[str, AwsReads],
         boundary: src.Sources, remote_ip: str, vpn_connection: str | None, start: dt.datetime,
         end: dt.datetime, sources: list[str], notes: list[str]
         ) -> tuple[list[Event], tuple[AwsReads, str, str] | None]:
    """The AWS side's events, and the tunnel (its region's reader, connection id, outside IP)
    when it was found."""
    assert config.aws is not None
    found = _find_tunnel(config.aws, readers, boundary, remote_ip, vpn_connection, notes)
    if found is None:
        return [], None
    reader, view, tun = found
    vpn_id, ip = view.vpn_connection_id, tun.outside_ip
    events: list[Event] = []
    group = aws_names.log_group_name(config.aws, stack)
    try:
        events += collect.aws_tunnel_events(reader, group, vpn_id, ip, start, end, sources,
                                            notes, boundary, stack)
        bgp_group = config.aws.bgp_log_group_name
        if config.aws.bgp_logs and bgp_group and bgp_group != group:
            events += collect.aws_bgp_events(reader, bgp_group, vpn_id, ip, start, end,
                                             sources, notes, boundary)
    except src.SourceDown as down:
        notes.append(source_note(down))
    events += collect.aws_replacement_events(reader, vpn_id, ip, start, end, sources, notes,
                                             boundary)
    try:
        events += collect.aws_health_events(reader, [vpn_id], start, end, sources, boundary)
    except src.SourceDown as down:
        notes.append(source_note(down))
    notes.append(f"AWS: {vpn_id} tunnel {ip} is {tun.status} now (DescribeVpnConnections "
                 "VgwTelemetry)")
    return events, (reader, vpn_id, ip)
