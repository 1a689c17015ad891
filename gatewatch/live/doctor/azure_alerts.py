"""`doctor` on Azure's alerting: what components/log_search_alerts.py,
components/gateway_alerts.py and components/gateway_maintenance.py deploy is there, enabled,
watching the right gateways, and (log search rules) runs as an identity that holds Reader."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.azure.arm_ids import id_key, parse_arm_id
from gatewatch.catalog.load import load
from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule
from gatewatch.catalog.overrides import apply, deployable
from gatewatch.config.azure import AzureConfig, GatewayConfig
from gatewatch.live.azure import GATEWAY_API_VERSION, NotFound
from gatewatch.live.doctor.azure import same_id
from gatewatch.live.doctor.report import MISSING, OK, WRONG, DoctorReport
from gatewatch.live.readers import AzureReads
from gatewatch.live.sources import ARM, SourceDown, Sources

if TYPE_CHECKING:
    from azure.mgmt.monitor import MonitorManagementClient


class _Resource(Protocol):
    """An azure-mgmt-monitor model (a rule, an alert, an action group)."""

    def as_dict(self) -> MutableMapping[str, Any]: ...


class _Operations(Protocol):
    """An azure-mgmt-monitor operations group: metric_alerts, activity_log_alerts, ..."""

    def get(self, resource_group_name: str, name: str, /) -> _Resource: ...


def check_alerts(report: DoctorReport, azure: AzureConfig, reader: AzureReads,
                 workspace_id: str) -> None:
    """The log search alert rules (enabled, with an identity holding Reader on the scope)
    and their action group (enabled, with a receiver)."""
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
        rule_name = azure_names.log_search_alert_name(rule.name)
        with report.checking("azure", rule_name, "alert rule"):
            _check_rule(report, reader, monitor, principals, sub, scope, rg, rule_name, up)
    group_name = azure_names.action_group_name(azure_names.ALERTS_COMPONENT)
    with report.checking("azure", group_name, "action group"):
        group = _get_or_none(report.sources, monitor.action_groups, rg, group_name)
        if group is None:
            report.add("azure", group_name, "action group", MISSING, f"not in {rg}", up)
            return
        receivers = sum(len(group.get(key) or []) for key in (
            "email_receivers", "webhook_receivers", "sms_receivers", "azure_app_push_receivers",
            "voice_receivers", "logic_app_receivers", "azure_function_receivers",
            "arm_role_receivers", "event_hub_receivers", "itsm_receivers",
            "automation_runbook_receivers"))
        if not group.get("enabled", True):
            report.add("azure", group_name, "action group", WRONG, "disabled", up)
        elif receivers == 0:
            report.add("azure", group_name, "action group", MISSING, "no receivers",
                       "set gatewatch:azure.alerts.emails and " + up)
        else:
            report.add("azure", group_name, "action group", OK,
                       f"{receivers} receiver(s)")


def _check_rule(report: DoctorReport, reader: AzureReads, monitor: MonitorManagementClient,
                principals: dict[str, bool], sub: str | None, scope: str, rg: str,
                rule_name: str, up: str) -> None:
    """One log search alert rule's line: there, enabled, its identity holding Reader."""
    body = _get_or_none(report.sources, monitor.scheduled_query_rules, rg, rule_name)
    if body is None:
        report.add("azure", rule_name, "alert rule", MISSING, f"not in {rg}", up)
        return
    if not body.get("enabled", True):
        report.add("azure", rule_name, "alert rule", WRONG, "disabled",
                   f"enable it, or list it in gatewatch:azure.alerts.disabled and {up}")
        return
    identities = ((body.get("identity") or {}).get("user_assigned_identities") or {})
    principal_ids = [v.get("principal_id") for v in identities.values() if v]
    if not principal_ids:
        report.add("azure", rule_name, "alert rule", WRONG, "runs without a managed identity",
                   up)
        return
    missing_role = [p for p in principal_ids if p and not _has_reader(
        report.sources, reader, principals, sub, scope, p)]
    if missing_role:
        report.add("azure", rule_name, "alert rule", WRONG,
                   f"identity {missing_role[0]} has no Reader on {scope.split('/')[-1]}", up)
    else:
        report.add("azure", rule_name, "alert rule", OK, "enabled; identity holds Reader")


def gateway_tags(reader: AzureReads, gateway: GatewayConfig,
                 sources: Sources) -> Mapping[str, str]:
    """The gateway's tags as Azure has them (what components/gateway_alerts.py reads to skip a
    gateway tagged MonitorDisable); a gateway ARM does not know, or that cannot be read, has
    none (its alerts are then expected, and checked or left UNCHECKED)."""
    try:
        body = sources.call(ARM, lambda: reader.get_by_id(gateway.id.id, GATEWAY_API_VERSION))
    except (NotFound, SourceDown):
        return {}
    return {str(k): str(v) for k, v in (body.get("tags") or {}).items()}


def _get_or_none(sources: Sources, operations: _Operations, rg: str,
                 name: str) -> Mapping[str, Any] | None:
    try:
        body: Mapping[str, Any] = sources.call(ARM, lambda: operations.get(rg, name).as_dict())
    except Exception as error:
        if type(error).__name__ != "ResourceNotFoundError":
            raise
        return None
    return body


def _enabled_or_reported(report: DoctorReport, operations: _Operations, check: str, rg: str,
                         name: str, up: str, enable: str) -> Mapping[str, Any] | None:
    """The alert's body when it is there and enabled; otherwise its MISSING, WRONG or
    UNCHECKED line is added to the report and the answer is None."""
    try:
        body = _get_or_none(report.sources, operations, rg, name)
    except SourceDown as down:
        report.unchecked("azure", name, check, down.failure)
        return None
    if body is None:
        report.add("azure", name, check, MISSING, f"not in {rg}", up)
        return None
    if not body.get("enabled", True):
        report.add("azure", name, check, WRONG, "disabled", enable)
        return None
    return body


def _condition_resource_ids(node: object) -> set[str]:
    """Every `resourceId equals` value in an activity log alert's condition tree."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        if str(node.get("field") or "").lower() == "resourceid" and node.get("equals"):
            found.add(id_key(str(node["equals"])))
        for value in node.values():
            found |= _condition_resource_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _condition_resource_ids(item)
    return found


def check_gateway_alerts(report: DoctorReport, azure: AzureConfig, reader: AzureReads,
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
               if not azure_facts.monitor_disabled(gateway_tags(reader, g, report.sources))]
    enable = f"enable it, or list it in gatewatch:azure.alerts.disabled and {up}"
    for gateway in watched:
        for rule in metric_rules:
            name = azure_names.metric_alert_name(rule.name, gateway.name)
            body = _enabled_or_reported(report, monitor.metric_alerts, "metric alert", rg,
                                        name, up, enable)
            if body is None:
                continue
            if not any(same_id(s, gateway.id.id) for s in body.get("scopes") or []):
                report.add("azure", name, "metric alert", WRONG,
                           f"not scoped to {gateway.name}", up)
            else:
                report.add("azure", name, "metric alert", OK, f"enabled on {gateway.name}")
    for activity in activity_rules if watched else []:
        name = azure_names.activity_alert_name(activity.name)
        body = _enabled_or_reported(report, monitor.activity_log_alerts,
                                    "activity log alert", rg, name, up, enable)
        if body is None:
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


def _check_health_alerts(report: DoctorReport, azure: AzureConfig,
                         monitor: MonitorManagementClient) -> None:
    """The Service Health (planned maintenance) and Resource Health activity log alerts of
    components/gateway_maintenance.py, deployed with the action group. Both are scoped to the
    deploying subscription: the Resource Health one must name every gateway of that
    subscription (gateways of other subscriptions cannot be covered, as the program warns)."""
    up = f"run `pulumi up --stack {report.stack}`"
    rg = azure.resource_group_name
    for name in (azure_names.SERVICE_HEALTH_ALERT_NAME, azure_names.RESOURCE_HEALTH_ALERT_NAME):
        body = _enabled_or_reported(report, monitor.activity_log_alerts,
                                    "activity log alert", rg, name, up, up)
        if body is None:
            continue
        if name == azure_names.SERVICE_HEALTH_ALERT_NAME:
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


def _has_reader(sources: Sources, reader: AzureReads, cache: dict[str, bool], sub: str | None,
                scope: str, principal_id: str) -> bool:
    if principal_id not in cache:
        client = reader.authorization(sub)
        found = False
        for assignment in sources.call(ARM, lambda: list(client.role_assignments.list_for_scope(
                scope, filter=f"principalId eq '{principal_id}'"))):
            role = str(assignment.role_definition_id or "").lower()
            if role.endswith(azure_facts.READER_ROLE_DEFINITION_GUID) and \
                    str(assignment.principal_id).lower() == principal_id.lower():
                found = True
        cache[principal_id] = found
    return cache[principal_id]
