"""`doctor` on AWS: the log groups, each tunnel's log options and newest log event, lifecycle
control, the alarms and the AWS Health rule of components/aws_tunnel_logs.py.

Freshness: an UP tunnel logs its dead peer detection (DPD) exchanges continually and the
service exports its logs every 5 minutes, best effort ("AWS Site-to-Site VPN logs",
https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html; "AWS Site-to-Site VPN
FAQs", https://aws.amazon.com/vpn/faqs/). 30 minutes (six export intervals) without an event
per tunnel means delivery stopped.
"""

from __future__ import annotations

import datetime as dt
import json

from gatewatch.aws import names as aws_names
from gatewatch.aws.health import health_event_pattern
from gatewatch.aws_rollout.expected import expected_tunnel_options
from gatewatch.config.aws import AwsConfig
from gatewatch.live.doctor.report import MISSING, OK, STALE, WRONG, DoctorReport, last_seen
from gatewatch.live.readers import AwsReads

AWS_TUNNEL_LOG_FRESHNESS = dt.timedelta(minutes=30)


def check_aws(report: DoctorReport, aws: AwsConfig, reader: AwsReads, now: dt.datetime) -> None:
    stack = report.stack
    up = f"run `pulumi up --stack {stack}`"
    group = aws_names.log_group_name(aws, stack)
    arn = reader.log_group_arn(group)
    if arn is None:
        report.add("aws", group, "log group", MISSING, "not found in " + aws.region, up)
    else:
        report.add("aws", group, "log group", OK, "exists")
    bgp_arn = None
    if aws.bgp_logs and aws.bgp_log_group_name:
        bgp_arn = reader.log_group_arn(aws.bgp_log_group_name)
        if bgp_arn is None:
            report.add("aws", aws.bgp_log_group_name, "BGP log group", MISSING,
                       "not found in " + aws.region, up)
            if arn is not None:  # what the tunnels should still name: same account, region
                bgp_arn = f"{arn.split(':log-group:')[0]}:log-group:{aws.bgp_log_group_name}"
        else:
            report.add("aws", aws.bgp_log_group_name, "BGP log group", OK,
                       "exists (gatewatch:aws.bgpLogGroupName)")
    views, missing = reader.connections(aws.vpn_connections)
    for vpn_id in missing:
        report.add("aws", vpn_id, "VPN connection", MISSING, "not found (or deleted)",
                   "fix gatewatch:aws.vpnConnections in the stack config")
    for view in views:
        for n, tunnel in enumerate(view.tunnels, start=1):
            target = f"{view.vpn_connection_id} t{n} {tunnel.outside_ip}"
            if arn is not None:
                # The rollout's own comparison: what it would change is what doctor reports.
                diffs = expected_tunnel_options(aws, arn, bgp_arn).differences(tunnel.log_options)
                if not tunnel.log_options.get("LogEnabled"):
                    report.add("aws", target, "tunnel log options", MISSING, "logging is off",
                               up + " (the rollout changes one tunnel at a time)")
                elif diffs:
                    report.add("aws", target, "tunnel log options", WRONG, "; ".join(diffs), up)
                else:
                    report.add("aws", target, "tunnel log options", OK,
                               f"{aws.log_output_format} to {group}"
                               + (" (BGP logs too)" if aws.bgp_logs else ""))
                last_ms = reader.last_event_ms(
                    group, aws_names.tunnel_stream_prefix(view.vpn_connection_id,
                                                         tunnel.outside_ip))
                last = None if last_ms is None else dt.datetime.fromtimestamp(last_ms / 1000,
                                                                              tz=dt.UTC)
                fresh = AWS_TUNNEL_LOG_FRESHNESS
                if last is None:
                    report.add("aws", target, "tunnel log events", MISSING, "never",
                               "turn tunnel logging on (see above); the first events arrive "
                               "within minutes")
                elif now - last > fresh:
                    report.add("aws", target, "tunnel log events", STALE,
                               last_seen(now, last, f"{int(fresh.total_seconds() // 60)} min"),
                               "check the tunnel's log options and the log group's policy")
                else:
                    report.add("aws", target, "tunnel log events", OK, last_seen(now, last))
            if aws.tunnel_lifecycle_control and not tunnel.lifecycle_control:
                report.add("aws", target, "tunnel lifecycle control", WRONG,
                           "off: AWS applies tunnel maintenance when it chooses",
                           up + " (turning it on costs no outage: SkipTunnelReplacement)")
            elif aws.tunnel_lifecycle_control:
                report.add("aws", target, "tunnel lifecycle control", OK, "on")
    alarms = [aws_names.tunnel_alarm_name(v, t) for v in aws.vpn_connections for t in (1, 2)]
    alarms.append(aws_names.negotiation_alarm_name(stack))
    existing = reader.existing_alarms(alarms)
    for alarm in alarms:
        if alarm in existing:
            report.add("aws", alarm, "alarm", OK, "exists")
        else:
            report.add("aws", alarm, "alarm", MISSING, "not found in " + aws.region, up)
    _check_maintenance_rule(report, aws, reader)


def _check_maintenance_rule(report: DoctorReport, aws: AwsConfig, reader: AwsReads) -> None:
    """The EventBridge rule that forwards AWS Health scheduled changes for Site-to-Site VPN
    to the alarm topic (components/aws_tunnel_logs.py): exists, enabled, the kit's pattern,
    and a target that is the stack's alarm topic in the stack's region."""
    up = f"run `pulumi up --stack {report.stack}`"
    rule_name = aws_names.maintenance_rule_name(report.stack)
    topic = aws_names.alarm_topic_name(report.stack)
    check = "AWS Health rule"
    rule = reader.event_rule(rule_name)
    if rule is None:
        report.add("aws", rule_name, check, MISSING, "not found in " + aws.region, up)
        return
    if rule.get("State") != "ENABLED":
        report.add("aws", rule_name, check, WRONG, f"state {rule.get('State')}", up)
        return
    try:
        pattern = json.loads(rule.get("EventPattern") or "null")
    except ValueError:
        pattern = None
    if pattern != json.loads(health_event_pattern()):
        report.add("aws", rule_name, check, WRONG,
                   "event pattern is not AWS Health VPN scheduled changes", up)
        return
    targets = reader.event_target_arns(rule_name)
    if not any(_is_topic(arn, aws.region, topic) for arn in targets):
        report.add("aws", rule_name, check, WRONG, f"does not target SNS topic {topic}", up)
        return
    report.add("aws", rule_name, check, OK, f"VPN scheduled changes to {topic}")


def _is_topic(arn: str, region: str, topic: str) -> bool:
    parts = arn.split(":")  # arn:partition:sns:region:account:name
    return len(parts) == 6 and parts[2] == "sns" and parts[3] == region and parts[5] == topic
