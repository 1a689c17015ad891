"""`doctor` on AWS: the log groups, each tunnel's log options and newest log event, lifecycle
control, the alarms and the AWS Health rule of components/aws_tunnel_logs.py.

Freshness: an UP tunnel logs its dead peer detection (DPD) exchanges continually and the
service exports its logs every 5 minutes, best effort ("AWS Site-to-Site VPN logs",
https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html; "AWS Site-to-Site VPN
FAQs", https://aws.amazon.com/vpn/faqs/). 30 minutes (six export intervals) without an event
per tunnel means delivery stopped.

A stack across regions or accounts is checked per (account, region), each with its own reader
(its own boto3 session), its lines labelled `aws <region>` or `aws <account>/<region>`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from gatewatch.aws import names as aws_names
from gatewatch.aws.health import health_event_pattern
from gatewatch.aws.scope import AwsScope
from gatewatch.aws_rollout.expected import expected_tunnel_options
from gatewatch.aws_rollout.views import TunnelView
from gatewatch.config.aws import AwsConfig
from gatewatch.live.doctor.report import MISSING, OK, STALE, WRONG, DoctorReport, last_seen
from gatewatch.live.readers import AwsReads, reader_for
from gatewatch.live.sources import (
    CLOUDWATCH,
    CLOUDWATCH_LOGS,
    EC2,
    EVENTBRIDGE,
    Failure,
    SourceDown,
)

AWS_TUNNEL_LOG_FRESHNESS = dt.timedelta(minutes=30)


def check_aws(report: DoctorReport, aws: AwsConfig,
              readers: AwsReads | Mapping[str, AwsReads], now: dt.datetime) -> None:
    """Each (account, region) with its own reader. Each source (CloudWatch Logs, EC2,
    CloudWatch, EventBridge) is read behind the report's boundary: one that fails leaves its
    lines UNCHECKED, the others still checked."""
    for scope in aws.scopes():
        _check_scope(report, aws, scope, reader_for(readers, scope), now)


def _check_scope(report: DoctorReport, aws: AwsConfig, scope: AwsScope, reader: AwsReads,
                 now: dt.datetime) -> None:
    stack = report.stack
    cloud = "aws" if scope.primary else f"aws {scope.label}"
    up = f"run `pulumi up --stack {stack}`"
    group = aws_names.log_group_name(aws, stack)
    arn: str | Failure | None = _log_group(report, cloud, scope, reader, group, "log group",
                                           "exists")
    bgp_arn: str | Failure | None = None
    if aws.bgp_logs and aws.bgp_log_group_name:
        bgp_arn = _log_group(report, cloud, scope, reader, aws.bgp_log_group_name,
                             "BGP log group", "exists (gatewatch:aws.bgpLogGroupName)")
        if bgp_arn is None and isinstance(arn, str):
            # what the tunnels should still name: same account, region
            bgp_arn = f"{arn.split(':log-group:')[0]}:log-group:{aws.bgp_log_group_name}"
    try:
        views, missing = report.sources.call(EC2, lambda: reader.connections(scope.vpn_connections))
    except SourceDown as down:
        views, missing = [], []
        for vpn_id in scope.vpn_connections:
            report.unchecked(cloud, vpn_id, "VPN connection", down.failure)
    for vpn_id in missing:
        report.add(cloud, vpn_id, "VPN connection", MISSING, "not found (or deleted)",
                   f"fix {_connections_key(scope)} in the stack config")
    for view in views:
        for n, tunnel in enumerate(view.tunnels, start=1):
            target = f"{view.vpn_connection_id} t{n} {tunnel.outside_ip}"
            if isinstance(arn, Failure):
                report.unchecked(cloud, target, "tunnel log options", arn)
                report.unchecked(cloud, target, "tunnel log events", arn)
            elif arn is not None:
                _check_tunnel_logs(report, cloud, aws, reader, group, arn,
                                   bgp_arn if isinstance(bgp_arn, str) else None,
                                   view.vpn_connection_id, tunnel, target, now)
            if aws.tunnel_lifecycle_control and not tunnel.lifecycle_control:
                report.add(cloud, target, "tunnel lifecycle control", WRONG,
                           "off: AWS applies tunnel maintenance when it chooses",
                           up + " (turning it on costs no outage: SkipTunnelReplacement)")
            elif aws.tunnel_lifecycle_control:
                report.add(cloud, target, "tunnel lifecycle control", OK, "on")
    alarms = [aws_names.tunnel_alarm_name(v, t) for v in scope.vpn_connections for t in (1, 2)]
    alarms.append(aws_names.negotiation_alarm_name(stack))
    try:
        existing = report.sources.call(CLOUDWATCH, lambda: reader.existing_alarms(alarms))
    except SourceDown as down:
        for alarm in alarms:
            report.unchecked(cloud, alarm, "alarm", down.failure)
    else:
        for alarm in alarms:
            if alarm in existing:
                report.add(cloud, alarm, "alarm", OK, "exists")
            else:
                report.add(cloud, alarm, "alarm", MISSING, "not found in " + scope.label, up)
    rule_name = aws_names.maintenance_rule_name(report.stack)
    with report.checking(cloud, rule_name, "AWS Health rule"):
        _check_maintenance_rule(report, cloud, scope, reader)


def _connections_key(scope: AwsScope) -> str:
    """Where the stack lists this scope's connections."""
    if scope.primary:
        return "gatewatch:aws.vpnConnections"
    where = f"accounts[] ({scope.account})." if scope.account else ""
    return f"gatewatch:aws.{where}regions.{scope.region}.vpnConnections"


def _log_group(report: DoctorReport, cloud: str, scope: AwsScope, reader: AwsReads, name: str,
               check: str, detail: str) -> str | Failure | None:
    """The log group's ARN and its line: OK, MISSING (None), or UNCHECKED (the Failure)."""
    try:
        arn = report.sources.call(CLOUDWATCH_LOGS, lambda: reader.log_group_arn(name))
    except SourceDown as down:
        report.unchecked(cloud, name, check, down.failure)
        return down.failure
    if arn is None:
        report.add(cloud, name, check, MISSING, "not found in " + scope.label,
                   f"run `pulumi up --stack {report.stack}`")
    else:
        report.add(cloud, name, check, OK, detail)
    return arn


def _check_tunnel_logs(report: DoctorReport, cloud: str, aws: AwsConfig, reader: AwsReads,
                       group: str, arn: str, bgp_arn: str | None, vpn_id: str, tunnel: TunnelView,
                       target: str, now: dt.datetime) -> None:
    """The tunnel's log options (the rollout's own comparison: what it would change is what
    doctor reports) and its newest log event."""
    up = f"run `pulumi up --stack {report.stack}`"
    diffs = expected_tunnel_options(aws, arn, bgp_arn).differences(tunnel.log_options)
    if not tunnel.log_options.get("LogEnabled"):
        report.add(cloud, target, "tunnel log options", MISSING, "logging is off",
                   up + " (the rollout changes one tunnel at a time)")
    elif diffs:
        report.add(cloud, target, "tunnel log options", WRONG, "; ".join(diffs), up)
    else:
        report.add(cloud, target, "tunnel log options", OK,
                   f"{aws.log_output_format} to {group}"
                   + (" (BGP logs too)" if aws.bgp_logs else ""))
    try:
        last_ms = report.sources.call(
            CLOUDWATCH_LOGS, lambda: reader.last_event_ms(group, vpn_id, tunnel.outside_ip))
    except SourceDown as down:
        report.unchecked(cloud, target, "tunnel log events", down.failure)
        return
    last = None if last_ms is None else dt.datetime.fromtimestamp(last_ms / 1000, tz=dt.UTC)
    fresh = AWS_TUNNEL_LOG_FRESHNESS
    if last is None:
        report.add(cloud, target, "tunnel log events", MISSING, "never",
                   "turn tunnel logging on (see above); the first events arrive "
                   "within minutes")
    elif now - last > fresh:
        report.add(cloud, target, "tunnel log events", STALE,
                   last_seen(now, last, f"{int(fresh.total_seconds() // 60)} min"),
                   "check the tunnel's log options and the log group's policy")
    else:
        report.add(cloud, target, "tunnel log events", OK, last_seen(now, last))


def _check_maintenance_rule(report: DoctorReport, cloud: str, scope: AwsScope,
                            reader: AwsReads) -> None:
    """The EventBridge rule that forwards AWS Health scheduled changes for Site-to-Site VPN
    to the alarm topic (components/aws_tunnel_logs.py): exists, enabled, the kit's pattern,
    and a target that is the stack's alarm topic in the stack's region."""
    up = f"run `pulumi up --stack {report.stack}`"
    rule_name = aws_names.maintenance_rule_name(report.stack)
    topic = aws_names.alarm_topic_name(report.stack)
    check = "AWS Health rule"
    rule = report.sources.call(EVENTBRIDGE, lambda: reader.event_rule(rule_name))
    if rule is None:
        report.add(cloud, rule_name, check, MISSING, "not found in " + scope.label, up)
        return
    if rule.get("State") != "ENABLED":
        report.add(cloud, rule_name, check, WRONG, f"state {rule.get('State')}", up)
        return
    try:
        pattern = json.loads(rule.get("EventPattern") or "null")
    except ValueError:
        pattern = None
    if pattern != json.loads(health_event_pattern()):
        report.add(cloud, rule_name, check, WRONG,
                   "event pattern is not AWS Health VPN scheduled changes", up)
        return
    targets = report.sources.call(EVENTBRIDGE, lambda: reader.event_target_arns(rule_name))
    if not any(_is_topic(arn, scope.region, topic) for arn in targets):
        report.add(cloud, rule_name, check, WRONG, f"does not target SNS topic {topic}", up)
        return
    report.add(cloud, rule_name, check, OK, f"VPN scheduled changes to {topic}")


def _is_topic(arn: str, region: str, topic: str) -> bool:
    parts = arn.split(":")  # arn:partition:sns:region:account:name
    return len(parts) == 6 and parts[2] == "sns" and parts[3] == region and parts[5] == topic
