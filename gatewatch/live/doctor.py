"""`gatewatch doctor`: is the monitoring the stack config describes really working?

Reads the live estate (never changes it) and prints one line per check:

  OK       deployed as the config says, and delivering
  STALE    deployed, but its newest record is older than the threshold below
  MISSING  not there (or never delivered anything)
  WRONG    there, but not as the config says (categories, destination, disabled, options)

Exit 0 when every line is OK, 1 when any is not, 2 for bad input or a missing login.

Freshness thresholds: only a source that logs on its own schedule can be "stale".
- Azure IKEDiagnosticLog: a connected gateway renegotiates its IKE SA at least every
  28,800 s (8 h, the default IKE SA lifetime, Microsoft "About cryptographic requirements
  and Azure VPN gateways") and logs each negotiation; resource logs take 3-10 minutes to be
  queryable (FIELD-NOTES). 9 hours without one record means the category stopped arriving.
- Azure GatewayDiagnosticLog, TunnelDiagnosticLog, RouteDiagnosticLog, P2SDiagnosticLog log
  only when something happens (a configuration change, a tunnel or BGP change, a P2S
  client): a quiet week is healthy, so their last record time is shown, never judged.
- AWS tunnel activity logs: an UP tunnel logs its DPD exchanges continually (seed 003) and
  the service exports every 5 minutes, best effort (AWS VPN FAQ, quoted in seed 003). 30
  minutes (six export intervals) without an event per tunnel means delivery stopped.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from gatewatch.aws.health import health_event_pattern
from gatewatch.aws_rollout import expected_tunnel_options
from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.catalog.load import load
from gatewatch.catalog.model import (
    ActivityLogAlertRule,
    LogSearchAlertRule,
    MetricAlertRule,
    SavedQuery,
)
from gatewatch.catalog.overrides import apply, deployable
from gatewatch.config.model import AwsConfig, AzureConfig, GatewayConfig, StackConfig
from gatewatch.live import names
from gatewatch.live.kqlbind import bind

OK, STALE, MISSING, WRONG = "OK", "STALE", "MISSING", "WRONG"
AZURE_FRESHNESS: Mapping[str, dt.timedelta] = {"IKEDiagnosticLog": dt.timedelta(hours=9)}
AWS_TUNNEL_LOG_FRESHNESS = dt.timedelta(minutes=30)
FRESHNESS_QUERY = "diagnostics-freshness"  # queries/diagnostics-freshness.yaml
FRESHNESS_LOOKBACK = dt.timedelta(days=30)  # the shortest retention the kit allows


@dataclass(frozen=True)
class Check:
    cloud: str
    target: str
    check: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Report:
    stack: str
    checks: list[Check] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.checks.append(Check(*args, **kwargs))

    @property
    def ok(self) -> bool:
        return all(c.status == OK for c in self.checks)


def _when(value: dt.datetime | None) -> str:
    return "never" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _age(now: dt.datetime, then: dt.datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} d ago"


# --- Azure ------------------------------------------------------------------------------------


def _enabled_categories(setting: Mapping[str, Any]) -> set[str]:
    return {log["category"] for log in setting.get("logs") or []
            if log.get("enabled") and log.get("category")}


def _same_id(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def gateway_vpn_type(reader: Any, gateway: GatewayConfig) -> str | None:
    if gateway.vpn_type:
        return gateway.vpn_type
    from gatewatch.live.azure import GATEWAY_API_VERSION, NotFound

    try:
        body = reader.get_by_id(gateway.id.id, GATEWAY_API_VERSION)
    except NotFound:
        return None
    vpn_type = (body.get("properties") or {}).get("vpnType")
    return str(vpn_type) if vpn_type else None


def check_azure(report: Report, azure: AzureConfig, reader: Any, workspace_id: str,
                now: dt.datetime) -> None:
    from gatewatch.live.azure import NotFound

    stack = report.stack
    up = f"run `pulumi up --stack {stack}`"
    try:
        customer_id = reader.workspace_customer_id(workspace_id)
    except NotFound:
        report.add("azure", workspace_id.rsplit("/", 1)[-1], "workspace", MISSING,
                   f"{workspace_id} not found", up)
        customer_id = None

    expected: dict[str, tuple[str, ...]] = {}
    for gateway in azure.gateways:
        name = gateway.name
        vpn_type = gateway_vpn_type(reader, gateway)
        if vpn_type is None:
            report.add("azure", name, "gateway", MISSING, f"{gateway.id.id} not found",
                       f"fix {gateway.key_path}.id in the stack config")
            continue
        wanted = azure_facts.categories_for(vpn_type)
        expected[gateway.id.key] = wanted
        try:
            setting = reader.diagnostic_setting(gateway.id.id, names.DIAGNOSTIC_SETTING_NAME)
        except NotFound:
            report.add("azure", name, f"diagnostic setting '{names.DIAGNOSTIC_SETTING_NAME}'",
                       MISSING, "no such setting on the gateway", up)
            continue
        have = _enabled_categories(setting)
        lacking = [c for c in wanted if c not in have]
        problems = []
        if lacking:
            problems.append(f"categories not enabled: {', '.join(lacking)}")
        if not _same_id(setting.get("workspaceId"), workspace_id):
            problems.append(f"sends to workspace {setting.get('workspaceId') or 'none'}")
        if azure.diagnostics.storage_account_id and not _same_id(
                setting.get("storageAccountId"), azure.diagnostics.storage_account_id):
            problems.append("storage account destination differs from the config")
        if problems:
            report.add("azure", name, f"diagnostic setting '{names.DIAGNOSTIC_SETTING_NAME}'",
                       WRONG, "; ".join(problems), up)
        else:
            report.add("azure", name, f"diagnostic setting '{names.DIAGNOSTIC_SETTING_NAME}'",
                       OK, f"{len(wanted)} categories ({vpn_type}) to the workspace")

    if customer_id is not None:
        _check_freshness(report, azure, reader, customer_id, expected, now)
    if azure.alerts is not None:
        _check_alerts(report, azure, reader, workspace_id)
        _check_gateway_alerts(report, azure, reader, workspace_id)


def freshness_query(now: dt.datetime) -> str:
    query = next(q for q in load(SavedQuery) if q.name == FRESHNESS_QUERY)
    return bind(query.body, {"StartTime": now - FRESHNESS_LOOKBACK, "EndTime": now},
                source=str(query.source))


def _check_freshness(report: Report, azure: AzureConfig, reader: Any, customer_id: str,
                     expected: Mapping[str, tuple[str, ...]], now: dt.datetime) -> None:
    rows = reader.query(customer_id, freshness_query(now))
    last: dict[tuple[str, str], dt.datetime] = {}
    for row in rows:
        resource = str(row.get("_ResourceId") or "").rstrip("/").lower()
        when = row.get("LastRecord")
        if isinstance(when, str):
            when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if isinstance(when, dt.datetime):
            last[(resource, str(row.get("Category")))] = when.astimezone(dt.UTC)
    for gateway in azure.gateways:
        for category in expected.get(gateway.id.key, ()):
            when = last.get((gateway.id.key, category))
            threshold = AZURE_FRESHNESS.get(category)
            check = f"records {category}"
            if threshold is None:
                # event-driven: logs only when something happens, so never judged stale
                detail = f"last {_when(when)}" + (f" ({_age(now, when)})" if when else "")
                report.add("azure", gateway.name, check, OK, f"{detail}, event-driven")
            elif when is None:
                report.add("azure", gateway.name, check, MISSING,
                           f"never (in {FRESHNESS_LOOKBACK.days} d)",
                           "check the gateway has connections and the diagnostic setting "
                           "sends this category; logs can take hours to start")
            elif now - when > threshold:
                report.add("azure", gateway.name, check, STALE,
                           f"last {_when(when)} ({_age(now, when)}; expected every "
                           f"{int(threshold.total_seconds() // 3600)} h)",
                           "check the gateway's connections are up and the setting is intact")
            else:
                report.add("azure", gateway.name, check, OK,
                           f"last {_when(when)} ({_age(now, when)})")


def _check_alerts(report: Report, azure: AzureConfig, reader: Any, workspace_id: str) -> None:
    assert azure.alerts is not None
    up = f"run `pulumi up --stack {report.stack}`"
    rg = azure.resource_group_name
    parsed = parse_arm_id(workspace_id)
    sub = parsed.subscription_id if parsed is not None else None
    monitor = reader.monitor(sub)
    features = {"vms"} if azure.vms else set()
    rules = deployable(apply(load(LogSearchAlertRule), azure.alerts), features)
    scope = workspace_id if azure.alerts.role_scope == "workspace" else \
        workspace_id.split("/providers/")[0]
    principals: dict[str, bool] = {}
    for rule in rules:
        rule_name = names.alert_rule_name(rule.name)
        try:
            body = monitor.scheduled_query_rules.get(rg, rule_name).as_dict()
        except Exception as error:
            if type(error).__name__ != "ResourceNotFoundError":
                raise
            report.add("azure", rule_name, "alert rule", MISSING, f"not in {rg}", up)
            continue
        if not body.get("enabled", True):
            report.add("azure", rule_name, "alert rule", WRONG, "disabled",
                       f"enable it, or list it in gatewatch:azure.alerts.disabled and {up}")
            continue
        identities = ((body.get("identity") or {}).get("user_assigned_identities") or {})
        principal_ids = [v.get("principal_id") for v in identities.values() if v]
        if not principal_ids:
            report.add("azure", rule_name, "alert rule", WRONG, "runs without a managed identity",
                       up)
            continue
        missing_role = [p for p in principal_ids if p and not _has_reader(
            reader, principals, sub, scope, p)]
        if missing_role:
            report.add("azure", rule_name, "alert rule", WRONG,
                       f"identity {missing_role[0]} has no Reader on {scope.split('/')[-1]}",
                       up)
        else:
            report.add("azure", rule_name, "alert rule", OK, "enabled; identity holds Reader")
    try:
        group = monitor.action_groups.get(rg, names.action_group_name()).as_dict()
    except Exception as error:
        if type(error).__name__ != "ResourceNotFoundError":
            raise
        report.add("azure", names.action_group_name(), "action group", MISSING, f"not in {rg}", up)
        return
    receivers = sum(len(group.get(key) or []) for key in (
        "email_receivers", "webhook_receivers", "sms_receivers", "azure_app_push_receivers",
        "voice_receivers", "logic_app_receivers", "azure_function_receivers",
        "arm_role_receivers", "event_hub_receivers", "itsm_receivers",
        "automation_runbook_receivers"))
    if not group.get("enabled", True):
        report.add("azure", names.action_group_name(), "action group", WRONG, "disabled", up)
    elif receivers == 0:
        report.add("azure", names.action_group_name(), "action group", MISSING, "no receivers",
                   "set gatewatch:azure.alerts.emails and " + up)
    else:
        report.add("azure", names.action_group_name(), "action group", OK,
                   f"{receivers} receiver(s)")


def gateway_tags(reader: Any, gateway: GatewayConfig) -> Mapping[str, str]:
    """The gateway's tags as Azure has them (what components/gateway_alerts.py reads to skip a
    gateway tagged MonitorDisable); a gateway ARM does not know has none."""
    from gatewatch.live.azure import GATEWAY_API_VERSION, NotFound

    try:
        body = reader.get_by_id(gateway.id.id, GATEWAY_API_VERSION)
    except NotFound:
        return {}
    return {str(k): str(v) for k, v in (body.get("tags") or {}).items()}


def _get_or_none(operations: Any, rg: str, name: str) -> dict[str, Any] | None:
    try:
        body: dict[str, Any] = operations.get(rg, name).as_dict()
    except Exception as error:
        if type(error).__name__ != "ResourceNotFoundError":
            raise
        return None
    return body


def _condition_resource_ids(node: Any) -> set[str]:
    """Every `resourceId equals` value in an activity log alert's condition tree."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        if str(node.get("field") or "").lower() == "resourceid" and node.get("equals"):
            found.add(str(node["equals"]).rstrip("/").lower())
        for value in node.values():
            found |= _condition_resource_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _condition_resource_ids(item)
    return found


def _check_gateway_alerts(report: Report, azure: AzureConfig, reader: Any,
                          workspace_id: str) -> None:
    """The metric alerts (one per watched gateway and rule) and the activity log alerts
    (one per rule, over the watched gateways) of components/gateway_alerts.py. A gateway tagged
    MonitorDisable gets none; a rule disabled in config (or in its catalog file) is deployed
    disabled on purpose, so it is not checked."""
    assert azure.alerts is not None
    up = f"run `pulumi up --stack {report.stack}`"
    rg = azure.resource_group_name
    parsed = parse_arm_id(workspace_id)
    monitor = reader.monitor(parsed.subscription_id if parsed is not None else None)
    metric_rules = [r for r in apply(load(MetricAlertRule), azure.alerts) if r.enabled]
    activity_rules = [r for r in apply(load(ActivityLogAlertRule), azure.alerts) if r.enabled]
    watched = [g for g in azure.gateways
               if not azure_facts.monitor_disabled(gateway_tags(reader, g))]
    enable = f"enable it, or list it in gatewatch:azure.alerts.disabled and {up}"
    for gateway in watched:
        for rule in metric_rules:
            name = names.metric_alert_name(rule.name, gateway.name)
            body = _get_or_none(monitor.metric_alerts, rg, name)
            if body is None:
                report.add("azure", name, "metric alert", MISSING, f"not in {rg}", up)
            elif not body.get("enabled", True):
                report.add("azure", name, "metric alert", WRONG, "disabled", enable)
            elif not any(_same_id(s, gateway.id.id) for s in body.get("scopes") or []):
                report.add("azure", name, "metric alert", WRONG,
                           f"not scoped to {gateway.name}", up)
            else:
                report.add("azure", name, "metric alert", OK, f"enabled on {gateway.name}")
    for activity in activity_rules if watched else []:
        name = names.activity_alert_name(activity.name)
        body = _get_or_none(monitor.activity_log_alerts, rg, name)
        if body is None:
            report.add("azure", name, "activity log alert", MISSING, f"not in {rg}", up)
            continue
        if not body.get("enabled", True):
            report.add("azure", name, "activity log alert", WRONG, "disabled", enable)
            continue
        covered = _condition_resource_ids(body.get("condition"))
        unwatched = [g.name for g in watched if g.id.key not in covered]
        if unwatched:
            report.add("azure", name, "activity log alert", WRONG,
                       f"does not watch {', '.join(unwatched)}", up)
        else:
            report.add("azure", name, "activity log alert", OK,
                       f"enabled on {len(watched)} gateway(s)")
    _check_health_alerts(report, azure, monitor)


def _check_health_alerts(report: Report, azure: AzureConfig, monitor: Any) -> None:
    """The Service Health (planned maintenance) and Resource Health activity log alerts of
    components/gateway_maintenance.py, deployed with the action group. Both are scoped to the
    deploying subscription: the Resource Health one must name every gateway of that
    subscription (gateways of other subscriptions cannot be covered, as the program warns)."""
    up = f"run `pulumi up --stack {report.stack}`"
    rg = azure.resource_group_name
    for name in (names.SERVICE_HEALTH_ALERT, names.RESOURCE_HEALTH_ALERT):
        body = _get_or_none(monitor.activity_log_alerts, rg, name)
        if body is None:
            report.add("azure", name, "activity log alert", MISSING, f"not in {rg}", up)
            continue
        if not body.get("enabled", True):
            report.add("azure", name, "activity log alert", WRONG, "disabled", up)
            continue
        if name == names.SERVICE_HEALTH_ALERT:
            report.add("azure", name, "activity log alert", OK,
                       "enabled; Service Health maintenance")
            continue
        subs = {str(s).strip("/").split("/")[1].lower() for s in body.get("scopes") or []
                if str(s).lower().startswith("/subscriptions/")}
        covered = _condition_resource_ids(body.get("condition"))
        unwatched = [g.name for g in azure.gateways
                     if g.id.subscription_id.lower() in subs and g.id.key not in covered]
        if unwatched:
            report.add("azure", name, "activity log alert", WRONG,
                       f"does not watch {', '.join(unwatched)}", up)
        else:
            report.add("azure", name, "activity log alert", OK,
                       "enabled; Resource Health of the gateways")


def _has_reader(reader: Any, cache: dict[str, bool], sub: str | None, scope: str,
                principal_id: str) -> bool:
    if principal_id not in cache:
        client = reader.authorization(sub)
        found = False
        for assignment in client.role_assignments.list_for_scope(
                scope, filter=f"principalId eq '{principal_id}'"):
            role = str(assignment.role_definition_id or "").lower()
            if role.endswith(azure_facts.READER_ROLE_DEFINITION_GUID) and \
                    str(assignment.principal_id).lower() == principal_id.lower():
                found = True
        cache[principal_id] = found
    return cache[principal_id]


# --- AWS --------------------------------------------------------------------------------------


def expected_tunnel_log_options(aws: AwsConfig, log_group_arn: str,
                                bgp_log_group_arn: str | None = None) -> dict[str, Any]:
    """What each tunnel's LogOptions.CloudWatchLogOptions must hold for this stack: the
    rollout's own expectation (gatewatch.aws_rollout.expected_tunnel_options), tunnel and BGP
    logs, in botocore's CloudWatchLogOptions shape."""
    return expected_tunnel_options(aws, log_group_arn, bgp_log_group_arn).to_api()


def _option_differences(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    diffs = []
    for key, value in want.items():
        current = have.get(key)
        if key.endswith("GroupArn") and isinstance(current, str):
            current = current.removesuffix(":*")
        if key.endswith("LogOutputFormat") and current is None:
            current = "json"  # EC2 omits the format it defaults to
        if current != value:
            diffs.append(f"{key} is {current!r}, want {value!r}")
    return diffs


def check_aws(report: Report, aws: AwsConfig, reader: Any, now: dt.datetime) -> None:
    stack = report.stack
    up = f"run `pulumi up --stack {stack}`"
    group = names.aws_log_group_name(aws, stack)
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
                diffs = _option_differences(expected_tunnel_log_options(aws, arn, bgp_arn),
                                            tunnel.log_options)
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
                    group, names.aws_tunnel_stream_prefix(view.vpn_connection_id,
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
                               f"last {_when(last)} ({_age(now, last)}; expected every "
                               f"{int(fresh.total_seconds() // 60)} min)",
                               "check the tunnel's log options and the log group's policy")
                else:
                    report.add("aws", target, "tunnel log events", OK,
                               f"last {_when(last)} ({_age(now, last)})")
            if aws.tunnel_lifecycle_control and not tunnel.lifecycle_control:
                report.add("aws", target, "tunnel lifecycle control", WRONG,
                           "off: AWS applies tunnel maintenance when it chooses",
                           up + " (turning it on costs no outage: SkipTunnelReplacement)")
            elif aws.tunnel_lifecycle_control:
                report.add("aws", target, "tunnel lifecycle control", OK, "on")
    alarms = [names.aws_tunnel_alarm_name(v, t) for v in aws.vpn_connections for t in (1, 2)]
    alarms.append(names.aws_negotiation_alarm_name(stack))
    existing = reader.existing_alarms(alarms)
    for alarm in alarms:
        if alarm in existing:
            report.add("aws", alarm, "alarm", OK, "exists")
        else:
            report.add("aws", alarm, "alarm", MISSING, "not found in " + aws.region, up)
    _check_maintenance_rule(report, aws, reader)


def _check_maintenance_rule(report: Report, aws: AwsConfig, reader: Any) -> None:
    """The EventBridge rule that forwards AWS Health scheduled changes for Site-to-Site VPN
    to the alarm topic (components/aws_tunnel_logs.py): exists, enabled, the kit's pattern,
    and a target that is the stack's alarm topic in the stack's region."""
    up = f"run `pulumi up --stack {report.stack}`"
    rule_name = names.aws_maintenance_rule_name(report.stack)
    topic = names.aws_alarm_topic_name(report.stack)
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


# --- entry ------------------------------------------------------------------------------------


def run(config: StackConfig, stack: str, *, azure_reader: Any, aws_reader: Any,
        workspace_id: str | None, now: dt.datetime | None = None) -> Report:
    moment = now or dt.datetime.now(dt.UTC)
    report = Report(stack)
    if config.azure is not None:
        assert workspace_id is not None
        check_azure(report, config.azure, azure_reader, workspace_id, moment)
    if config.aws is not None:
        check_aws(report, config.aws, aws_reader, moment)
    return report


def render_text(report: Report) -> str:
    rows = [(c.status, c.cloud, c.target, c.check, c.detail, c.fix) for c in report.checks]
    header = ("STATUS", "CLOUD", "TARGET", "CHECK", "DETAIL", "FIX")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        head = "  ".join(str(row[i]).ljust(widths[i]) for i in range(4))
        tail = row[4] + (f"  -> {row[5]}" if row[5] else "")
        lines.append(f"{head}  {tail}".rstrip())
    bad = [c for c in report.checks if c.status != OK]
    lines.append("")
    lines.append(f"{len(report.checks)} checks, {len(bad)} not OK" if bad
                 else f"{len(report.checks)} checks, all OK")
    return "\n".join(lines)


def render_json(report: Report) -> dict[str, Any]:
    return {"stack": report.stack, "ok": report.ok,
            "checks": [asdict(c) for c in report.checks]}


def common_subscription(gateways: Sequence[GatewayConfig]) -> str | None:
    subs = {g.id.subscription_id.lower() for g in gateways}
    return next(iter(subs)) if len(subs) == 1 else None
