"""Read one tunnel's history from both clouds into timeline events.

Azure: the kit's saved queries (queries/*.yaml), bound with `gatewatch.live.kqlbind` (the
text that runs is the catalog's): tunnel-history, gateway-diagnostic-log, route-bgp-history,
ike-parse. The IKE failure pattern is the ike-negotiation-failure alert's own tunable.
AWS: the tunnel's activity-log stream (CloudWatch Logs; BGP logs there too, or in their own
group when gatewatch:aws.bgpLogGroupName is set), DescribeVpnConnections for the
tunnel's current state, and AWS Health events for the VPN service.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gatewatch.aws import names as aws_names
from gatewatch.aws import tunnel_log_vocabulary as vocabulary
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.live.kqlbind import bind, let_number, let_value
from gatewatch.live.readers import AwsReads, AzureReads
from gatewatch.live.sources import (
    AWS_HEALTH,
    CLOUDWATCH_LOGS,
    EC2,
    LOG_ANALYTICS,
    SourceDown,
    Sources,
)
from gatewatch.live.triage.model import (
    AWS,
    AZURE,
    BGP,
    CONFIG,
    DOWN,
    HEALTH,
    IKE,
    LOG,
    MAINTENANCE,
    PRIMARY_CHANGED,
    UP,
    Event,
    Windows,
    utc,
)

# Platform events of the gateway, drawn as such; the verdict tells maintenance
# (HostMaintenanceEvent) from a primary change (model.is_primary_change).
MAINTENANCE_OPERATIONS = ("HostMaintenanceEvent", PRIMARY_CHANGED)
# GatewayDiagnosticLog's operations that change the gateway or a connection. Microsoft lists
# "SetGatewayConfiguration, SetConnectionConfiguration, HostMaintenanceEvent,
# GatewayTenantPrimaryChanged, MigrateCustomerSubscription, GatewayResourceMove,
# ValidateGatewayConfiguration" ("Troubleshoot Azure VPN Gateway using diagnostic logs",
# https://learn.microsoft.com/azure/vpn-gateway/troubleshoot-vpn-with-azure-diagnostics); a
# validation or a move changes no tunnel setting, so those are shown, not weighed as a cause.
CONFIG_OPERATIONS = ("SetGatewayConfiguration", "SetConnectionConfiguration")


def saved_query(name: str, params: Mapping[str, Any]) -> tuple[str, str]:
    query = next(q for q in load(SavedQuery) if q.name == name)
    return f"queries/{name}.yaml", bind(query.body, params, source=str(query.source))


def ike_failure_pattern() -> re.Pattern[str] | None:
    rule = next((r for r in load(LogSearchAlertRule) if r.name == "ike-negotiation-failure"), None)
    if rule is None:
        return None
    value = let_value(rule.query, "FailurePattern")
    return re.compile(value) if value else None


def alert_windows() -> Windows:
    """The tunnel-drop alert's FailoverSeconds and MaintenanceSeconds, so triage and the alert
    call the same drop the same thing."""
    rule = next((r for r in load(LogSearchAlertRule) if r.name == "tunnel-drop"), None)
    if rule is None:
        return Windows()
    failover = let_number(rule.query, "FailoverSeconds")
    maintenance = let_number(rule.query, "MaintenanceSeconds")
    default = Windows()
    return Windows(
        dt.timedelta(seconds=failover) if failover is not None else default.failover,
        dt.timedelta(seconds=maintenance) if maintenance is not None else default.maintenance)


def _instance(value: Any) -> str:
    text = str(value or "")
    return text.rsplit("_", 2)[-2] + "_" + text.rsplit("_", 1)[-1] if "_IN_" in text else text


def azure_events(reader: AzureReads, customer_id: str, remote_ip: str, gateway_name: str,
                 start: dt.datetime, end: dt.datetime, sources: list[str],
                 boundary: Sources) -> list[Event]:
    """Azure's events; SourceDown when Log Analytics fails (then none: a partial set of the
    queries would misjudge the drops)."""
    window = {"StartTime": start, "EndTime": end}
    events: list[Event] = []

    def query(kql: str) -> list[dict[str, Any]]:
        return boundary.call(LOG_ANALYTICS,
                             lambda: reader.query(customer_id, kql, timespan=(start, end)))

    src, kql = saved_query("tunnel-history", {"RemoteIP": remote_ip, "GatewayName": gateway_name,
                                              **window})
    sources.append(src)
    tunnel_rows = query(kql)
    gateways = {str(r.get("Resource") or "").upper() for r in tunnel_rows}
    if gateway_name:
        gateways.add(gateway_name.upper())
    for row in tunnel_rows:
        op = str(row.get("OperationName"))
        instance = _instance(row.get("instance_s"))
        kind = DOWN if op == "TunnelDisconnected" else UP if op == "TunnelConnected" else LOG
        # "Tunnel connect/disconnect events have a summarized reason for the state change if
        # applicable" (stateChangeReason_s; "Troubleshoot Azure VPN Gateway using diagnostic
        # logs"): shown as the gateway wrote it.
        reason = str(row.get("stateChangeReason_s") or "").strip()
        events.append(Event(utc(row["TimeGenerated"]), AZURE, kind,
                            f"{op} on {row.get('instance_s')}"
                            + (f" (reason: {reason})" if reason else ""), src,
                            f"Azure {str(row.get('Resource')).upper()} {instance}", instance))
    for name in sorted(gateways) or [""]:
        src, kql = saved_query("gateway-diagnostic-log", {"GatewayName": name, **window})
        sources.append(src)
        for row in query(kql):
            op = str(row.get("OperationName"))
            kind = (MAINTENANCE if op in MAINTENANCE_OPERATIONS
                    else CONFIG if op in CONFIG_OPERATIONS else LOG)
            events.append(Event(utc(row["TimeGenerated"]), AZURE, kind,
                                f"{op}: {row.get('Message') or ''}".strip(": "), src,
                                f"Azure {str(row.get('Resource')).upper()}"))
        src, kql = saved_query("route-bgp-history", {"GatewayName": name, **window})
        sources.append(src)
        for row in query(kql):
            events.append(Event(utc(row["TimeGenerated"]), AZURE, BGP,
                                f"{row.get('OperationName')}: {row.get('Message') or ''}", src,
                                f"Azure {str(row.get('Resource')).upper()}"))
    # Scoped to the gateways the tunnel is on (as the other queries are): another gateway's
    # negotiations with the same device are not this tunnel's evidence.
    for name in sorted(gateways) or [""]:
        src, kql = saved_query("ike-parse", {"RemoteIPFilter": remote_ip, "GatewayName": name,
                                             **window})
        sources.append(src)
        for row in query(kql):
            events.append(Event(utc(row["TimeGenerated"]), AZURE, IKE, str(row.get("Event")),
                                src, "Azure IKE " + remote_ip))
    return events


# --- AWS --------------------------------------------------------------------------------------

def _aws_message(raw: str) -> dict[str, Any]:
    """A tunnel-log event: JSON (the kit's default format) or text (kept as details)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return {"details": raw}
    return data if isinstance(data, dict) else {"details": raw}


def _read_events(reader: AwsReads, boundary: Sources, group: str, vpn_id: str,
                 outside_ip: str, start: dt.datetime,
                 end: dt.datetime) -> list[dict[str, Any]] | None:
    """The tunnel's events in the range, oldest first: the connection's streams, keeping the
    tunnel's own (`aws_names.is_tunnel_stream`: not another tunnel whose IP merely starts
    with this one's); None when the log group does not exist (FilterLogEvents
    ResourceNotFoundException); SourceDown when Logs fails."""
    from botocore.exceptions import ClientError

    try:
        found = boundary.call(CLOUDWATCH_LOGS, lambda: list(reader.events(
            group, aws_names.tunnel_streams_prefix(vpn_id), int(start.timestamp() * 1000),
            int(end.timestamp() * 1000))))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        return None
    mine = [e for e in found
            if aws_names.is_tunnel_stream(str(e.get("logStreamName", "")), vpn_id, outside_ip)]
    return sorted(mine, key=lambda e: e["timestamp"])


def aws_tunnel_events(reader: AwsReads, group: str, vpn_id: str, outside_ip: str,
                      start: dt.datetime, end: dt.datetime, sources: list[str],
                      notes: list[str], boundary: Sources, stack: str) -> list[Event]:
    """Tunnel-log events. A drop is a Down phase 2 state, a DPD timeout or a delete; the
    tunnel is restored at the next Established; Rekeying and Negotiating are routine. States
    are compared case-insensitively (AWS documents them capitalised), messages through the one
    vocabulary table (`gatewatch/aws/tunnel_log_vocabulary.py`); a documented IKE failure
    message is an IKE event.

    Fields (AWS "Site-to-Site VPN logs"): event_timestamp, details, dpd_enabled,
    nat_t_detected, ike_phase1_state, ike_phase2_state. BGP-log events (type BGPStatus /
    RouteStatus, status, message) in the same stream prefix become BGP events. A log group
    that does not exist is a note (the stack was not deployed, or was torn down).
    """
    prefix = aws_names.tunnel_stream_prefix(vpn_id, outside_ip)
    sources.append(f"CloudWatch Logs {group} {prefix}*")
    lane = f"AWS {vpn_id} {outside_ip}"
    events: list[Event] = []
    up: bool | None = None  # None: not known yet in the range
    raw_events = _read_events(reader, boundary, group, vpn_id, outside_ip, start, end)
    if raw_events is None:
        notes.append(f"AWS: log group {group} does not exist: run `pulumi up --stack {stack}` "
                     "(it creates the group and turns tunnel logging on); no AWS tunnel-log "
                     "events, so AWS drops cannot be seen")
        return []
    for item in raw_events:
        data = _aws_message(item["message"])
        when = dt.datetime.fromtimestamp(item["timestamp"] / 1000, tz=dt.UTC)
        if _is_bgp(data):
            events.append(_bgp_event(when, data, lane))
            continue
        details = str(data.get("details", ""))
        phase2 = data.get("ike_phase2_state")
        state = vocabulary.state_class(phase2)
        message = vocabulary.classify(details)
        kind = IKE if message in vocabulary.IKE_FAILURES else LOG
        if state == vocabulary.DOWN or message in vocabulary.DROP_CLASSES:
            if up is not False:
                kind = DOWN  # up None: the range starts with the tunnel not established
            up = False
        elif state == vocabulary.UP:
            if up is False:
                kind = UP
            up = True
        text = details or f"phase 2 {phase2}"
        events.append(Event(when, AWS, kind, text, f"tunnel log {prefix}", lane))
    return events


def _is_bgp(data: Mapping[str, Any]) -> bool:
    return data.get("type") in ("BGPStatus", "RouteStatus")


def bgp_text(data: Mapping[str, Any]) -> str:
    """A BGP-log event in words: its status, then (RouteStatus) the prefix, then the details
    text. AWS's example writes `message` as an object, `{"details": "AWS-side peer BGP session
    state has changed from OpenConfirm to Established with neighbor ..."}`, with the route
    attributes (prefix, asPath, localPref, med, nextHopIp, weight) beside `details` for
    RouteStatus; a route without an error has no details ("AWS Site-to-Site VPN logs",
    example log format for Tunnel BGP logs). A plain string is taken as it is."""
    message = data.get("message")
    parts = [str(data.get("status") or "")]
    if isinstance(message, Mapping):
        if data.get("type") == "RouteStatus" and message.get("prefix"):
            parts.append(f"route {message['prefix']}")
        parts.append(str(message.get("details") or ""))
    elif message is not None:
        parts.append(str(message))
    return " ".join(p for p in parts if p)


def _bgp_event(when: dt.datetime, data: Mapping[str, Any], lane: str) -> Event:
    return Event(when, AWS, BGP, bgp_text(data), "AWS BGP log", lane)


def aws_bgp_events(reader: AwsReads, group: str, vpn_id: str, outside_ip: str,
                   start: dt.datetime, end: dt.datetime, sources: list[str],
                   notes: list[str], boundary: Sources) -> list[Event]:
    """BGP-log events (type BGPStatus | RouteStatus, status, message: "AWS Site-to-Site VPN
    logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html) from their own
    log group, when gatewatch:aws.bgpLogGroupName sends them there. AWS says of both logs
    "The log stream file name uses VpnConnectionID and TunnelOutsideIPAddress", so the
    tunnel's streams are matched as the tunnel logs are (`aws_names.is_tunnel_stream`)."""
    prefix = aws_names.tunnel_stream_prefix(vpn_id, outside_ip)
    sources.append(f"CloudWatch Logs {group} {prefix}* (BGP logs)")
    lane = f"AWS {vpn_id} {outside_ip}"
    events: list[Event] = []
    raw_events = _read_events(reader, boundary, group, vpn_id, outside_ip, start, end)
    if raw_events is None:
        notes.append(f"AWS: BGP log group {group} not found (ResourceNotFoundException); "
                     "no AWS BGP events")
        return []
    for item in raw_events:
        data = _aws_message(item["message"])
        if _is_bgp(data):
            when = dt.datetime.fromtimestamp(item["timestamp"] / 1000, tz=dt.UTC)
            events.append(_bgp_event(when, data, lane))
    return events


def aws_replacement_events(reader: AwsReads, vpn_id: str, outside_ip: str, start: dt.datetime,
                           end: dt.datetime, sources: list[str], notes: list[str],
                           boundary: Sources) -> list[Event]:
    """The tunnel's last endpoint replacement (EC2 GetVpnTunnelReplacementStatus,
    MaintenanceDetails.LastMaintenanceApplied) when it falls in the range."""
    from botocore.exceptions import ClientError

    sources.append(f"EC2 GetVpnTunnelReplacementStatus {vpn_id} {outside_ip}")
    try:
        status = boundary.call(EC2, lambda: reader.client("ec2").get_vpn_tunnel_replacement_status(
            VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=outside_ip))
    except SourceDown as down:
        notes.append(f"AWS tunnel replacement status not read ({down.failure.reason}): a "
                     "replacement can only be recognised from AWS Health")
        return []
    except ClientError as error:
        notes.append(f"AWS tunnel replacement status not read "
                     f"({error.response['Error']['Code']})")
        return []
    applied = (status.get("MaintenanceDetails") or {}).get("LastMaintenanceApplied")
    if applied is None or not start <= utc(applied) <= end:
        return []
    return [Event(utc(applied), AWS, HEALTH,
                  f"tunnel endpoint replaced (LastMaintenanceApplied) for {vpn_id}",
                  "EC2 GetVpnTunnelReplacementStatus", f"AWS {vpn_id}")]


def aws_health_events(reader: AwsReads, vpn_ids: Sequence[str], start: dt.datetime,
                      end: dt.datetime, sources: list[str], boundary: Sources) -> list[Event]:
    """AWS Health events of the VPN service whose affected entity is one of the connections;
    SourceDown when Health cannot be read (no support plan, refused, down or hanging)."""
    client = reader.client("health")
    sources.append("AWS Health DescribeEvents (service VPN)")

    def entities_of(arn: str) -> list[dict[str, Any]]:
        return list(client.describe_affected_entities(filter={"eventArns": [arn]}).get(
            "entities", []))

    found = boundary.call(AWS_HEALTH, lambda: client.describe_events(filter={
        "services": ["VPN"], "startTimes": [{"from": start - dt.timedelta(hours=1),
                                             "to": end}]}).get("events", []))
    events: list[Event] = []
    for event in found:
        entities = boundary.call(AWS_HEALTH, functools.partial(entities_of, event["arn"]))
        hit = [e["entityValue"] for e in entities if e.get("entityValue") in vpn_ids]
        if not hit:
            continue
        # Endpoint replacements are announced as scheduled changes (AWS knowledge center
        # "vpn-tunnel-endpoint-replacement"); other VPN notices are shown, not a cause.
        kind = HEALTH if event.get("eventTypeCategory") == "scheduledChange" else LOG
        events.append(Event(utc(event["startTime"]), AWS, kind,
                            f"{event['eventTypeCode']} ({event.get('eventTypeCategory')}) "
                            f"for {hit[0]}", "AWS Health", f"AWS {hit[0]}"))
    return events
