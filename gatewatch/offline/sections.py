"""The plan's sections after the resource tree: each reads the recorded graph (and the stack
config) and returns a PlanSection (text lines, a JSON value, and whether it found a problem).
Later capabilities (KQL check, policy pack, budgets) add theirs to SECTIONS instead of growing the
command line. A section that does not apply to the stack (no AWS part, no deployed notice path)
has no text lines and is `null` in --json: every documented key is always present.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gatewatch.checks.model import UNKNOWN, UNKNOWN_TEXT, Resource, json_value
from gatewatch.config.model import StackConfig
from gatewatch.offline.recording import Recording


@dataclass
class PlanContext:
    stack: str
    config: StackConfig
    raw_config: dict[str, Any]
    recording: Recording


@dataclass
class PlanSection:
    """One section of the plan: `key` names it in --json; `failed` makes the plan exit 1."""

    key: str
    title: str
    lines: list[str]
    data: Any
    failed: bool = False


SectionFn = Callable[[PlanContext], PlanSection | None]


def lookups_section(ctx: PlanContext) -> PlanSection:
    # The program may ask the same question twice (a gateway is looked up by the diagnostics
    # and by the maintenance window); the plan reports each question and answer once.
    calls, seen = [], set()
    for call in ctx.recording.calls:
        key = json.dumps([call.token, call.args, call.result, call.note], sort_keys=True,
                         default=str)
        if key not in seen:
            seen.add(key)
            calls.append(call)
    # The runtime answers invokes in whatever order its tasks run; sort so two plans of the same
    # stack print the same text.
    calls.sort(key=lambda c: (c.token, json.dumps(c.args, sort_keys=True, default=str)))
    return PlanSection(
        key="lookups",
        title="Lookups answered offline",
        lines=list(dict.fromkeys(c.note for c in calls)),  # one line per distinct answer
        data=[{"token": c.token, "args": c.args, "result": c.result, "note": c.note}
              for c in calls],
    )


def kql_section(ctx: PlanContext) -> PlanSection:
    """Every query the kit deploys (alert rules and saved queries), through Microsoft's Kusto
    language service against the documented table schemas."""
    from gatewatch.azure.workbook_template import workbook_queries
    from gatewatch.catalog.load import load
    from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
    from gatewatch.kql.check import (
        KqlCheckerUnavailable,
        QuerySet,
        check_query_sets,
        fresh_workspace_sets,
    )

    alerts = [(f"alert {r.name}", r.query) for r in load(LogSearchAlertRule)]
    queries = alerts + [(f"saved query {q.name}", q.body) for q in load(SavedQuery)]
    queries += [(f"workbook {name}", text) for name, text in workbook_queries()]
    try:
        # Alerts also against a brand-new workspace: Azure validates them at creation.
        # One node process for both (check_query_sets).
        results = [c for checked in check_query_sets(
            [QuerySet(tuple(queries)), *fresh_workspace_sets(alerts)]) for c in checked]
    except KqlCheckerUnavailable as error:
        return PlanSection("kql", "KQL check (Kusto language service)", [f"not run: {error}"],
                      [{"name": "kql-check", "ok": False, "diagnostics": [str(error)]}],
                      failed=True)
    return PlanSection(
        key="kql",
        title="KQL check (Kusto language service, offline)",
        lines=[c.describe() if c.ok else f"INVALID {c.describe()}" for c in results],
        data=[{"name": c.name, "ok": c.ok, "diagnostics": [str(d) for d in c.diagnostics]}
              for c in results],
        failed=not all(c.ok for c in results),
    )


def schema_section(ctx: PlanContext) -> PlanSection:
    """Every Azure resource's request body against Microsoft's API definitions (vendored)."""
    from gatewatch.checks.api_definitions import azure_resources, check_resources, describe
    from gatewatch.checks.api_specs import manifest

    resources = azure_resources(ctx.recording.resources)
    problems = check_resources(resources)
    versions = sorted({f"{r.type.split(':', 1)[1]}@{manifest()[r.type].api_version}"
                       for r in resources if r.type in manifest()})
    lines = [f"{len(resources)} Azure resources, {len(problems)} problems "
             "(bicep-types and ARM template schemas, vendor/azure-api-specs)",
             "API versions: " + ", ".join(versions)]
    lines += [f"PROBLEM {describe(p)}" for p in problems]
    return PlanSection(
        key="schema", title="Azure API definitions", lines=lines,
        data={"resources": len(resources), "apiVersions": versions,
              "problems": [{"urn": p.urn, "type": p.type, "judge": p.rule, "path": p.path,
                            "message": p.message} for p in problems]},
        failed=bool(problems))


def grants_section(ctx: PlanContext) -> PlanSection | None:
    """Every role assignment as a reviewer reads it: which role, on what, to whom."""
    from gatewatch.azure import facts as azure_facts

    roles = [r for r in ctx.recording.resources if r.type in azure_facts.ROLE_ASSIGNMENT_TYPES]
    if not roles:
        return None
    lines, data = [], []
    for role in roles:
        inputs = json_value(role.inputs)  # an unknown value as the plan prints it
        definition = str(inputs.get("roleDefinitionId", UNKNOWN_TEXT))
        guid = definition.rsplit("/", 1)[-1].lower()
        role_name = azure_facts.BUILT_IN_ROLES.get(guid, definition)
        principals = [ctx.recording.get(urn) for urn in
                      role.property_dependencies.get("principalId", [])]
        principal = ", ".join(
            f"{p.type.split(':')[-1]} {p.inputs.get('resourceName', p.name)}"
            + (f" (resource group {p.inputs['resourceGroupName']})"
               if p.inputs.get("resourceGroupName") not in (None, UNKNOWN) else "")
            for p in principals) or str(inputs.get("principalId", UNKNOWN_TEXT))
        kind = inputs.get("principalType", "")
        lines.append(f"{role_name} on {inputs.get('scope', UNKNOWN_TEXT)} to {principal}"
                     + (f" [{kind}]" if kind else "")
                     + f" (assignment {inputs.get('roleAssignmentName', UNKNOWN_TEXT)})")
        data.append({"urn": role.urn, "role": role_name, "roleDefinitionId": definition,
                     "scope": inputs.get("scope", UNKNOWN_TEXT), "principal": principal,
                     "principalType": kind, "name": inputs.get("roleAssignmentName", UNKNOWN_TEXT)})
    return PlanSection(key="grants", title="Role assignments (what is granted, where, to whom)",
                  lines=lines, data=data)


def doc_rules_section(ctx: PlanContext) -> PlanSection:
    """Microsoft's documented rules a schema cannot express (checks/documented_rules.py)."""
    from gatewatch.checks import documented_rules

    deviations = documented_rules.check(ctx.recording.resources)
    lines = [f"{len(documented_rules.RULES)} rules, {len(deviations)} deviations"]
    lines += [f"{rule.id}: {rule.source}" for rule in documented_rules.RULES]
    lines += [f"DEVIATION {documented_rules.describe(d)}" for d in deviations]
    return PlanSection(key="docRules", title="Documented rules", lines=lines,
                  data={"rules": [{"name": r.id, "source": r.source}
                                  for r in documented_rules.RULES],
                        "deviations": [{"rule": d.rule, "urn": d.urn, "message": d.message}
                                       for d in deviations]},
                  failed=bool(deviations))


def policy_section(ctx: PlanContext) -> PlanSection:
    """The policy pack (policies/) over the recorded graph, as a first `pulumi preview
    --policy-pack policies` would run it (in preview mode every new id is unknown)."""
    from gatewatch.policy.runner import outcome_json, render_lines, run_pack

    outcome = run_pack(ctx.recording.resources)
    mode = "preview: new ids unknown" if ctx.recording.preview else "update: ids known"
    return PlanSection(
        key="policy",
        title=f"Policy pack 'gatewatch' ({mode})",
        lines=render_lines(outcome),
        data=outcome_json(outcome),
        failed=outcome.failed,
    )


def aws_cost_section(ctx: PlanContext) -> PlanSection:
    """Expected tunnel log volume and monthly CloudWatch cost of the stack's AWS part."""
    if ctx.config.aws is None:
        return PlanSection(key="awsCost", title="AWS tunnel logs", lines=[], data=None)
    from gatewatch.aws.cost import by_region, describe, estimate

    est = estimate(ctx.config.aws)
    data: dict[str, Any] = {
        "tunnels": est.tunnels, "bytesPerTunnelMonth": est.bytes_per_tunnel_month,
        "bytesPerMonth": est.bytes_per_month, "retainedBytes": est.retained_bytes,
        "alarms": est.alarms, "monthlyUsd": round(est.total_usd, 2)}
    regional = by_region(ctx.config.aws)
    if regional:  # only across regions or accounts: a one-region stack's plan is as it was
        data["byRegion"] = {label: {"tunnels": part.tunnels, "alarms": part.alarms,
                                    "monthlyUsd": round(part.total_usd, 2)}
                            for label, part in regional.items()}
    return PlanSection(
        key="awsCost",
        title="AWS tunnel logs: expected volume and cost",
        lines=describe(est, ctx.config.aws),
        data=data,
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def notice_budget_section(ctx: PlanContext) -> PlanSection:
    """How much of Azure's advance notice each stage of an alert path spends, from the
    `noticeBudget` of the alert files (the figures and their sources live there only). Only the
    paths the stack deploys are shown: a budget of an alert that is not there means nothing."""
    from gatewatch.catalog.load import load
    from gatewatch.catalog.model import LogSearchAlertRule

    budgeted = [r for r in load(LogSearchAlertRule) if r.notice_budget is not None]
    azure = ctx.config.azure
    features = {"vms"} if azure is not None and azure.vms else set()
    lines: list[str] = []
    data: dict[str, Any] = {}
    for rule in budgeted:
        budget = rule.notice_budget
        assert budget is not None
        deployed = azure is not None and azure.alerts is not None \
            and set(rule.requires) <= features
        if not deployed:
            continue
        notice = budget.notice_minutes * 60
        left_typical = max(notice - budget.typical_seconds, 0)
        left_worst = max(notice - budget.worst_seconds, 0)
        lines.append(f"{rule.name} (deployed), evaluated every {rule.evaluation_frequency}:")
        lines.append(f"  {'stage':<14}{'typical':>9}{'worst':>9}  source")
        for stage in budget.stages:
            source = " ".join(stage.source.split())
            lines.append(f"  {stage.stage:<14}{stage.typical_seconds:>7} s"
                         f"{stage.worst_seconds:>7} s  {source}")
        lines.append(f"  {'total':<14}{_minutes(budget.typical_seconds):>9}"
                     f"{_minutes(budget.worst_seconds):>9}")
        lines.append(f"  notice left of {budget.notice_minutes} min: typical "
                     f"{_minutes(left_typical)}, worst {_minutes(left_worst)}")
        by_type: dict[str, dict[str, int]] = {}
        parts = []
        for event_type, seconds in budget.minimum_notice.items():
            typical = max(seconds - budget.typical_seconds, 0)
            worst = max(seconds - budget.worst_seconds, 0)
            by_type[event_type] = {"noticeSeconds": seconds, "leftTypicalSeconds": typical,
                                   "leftWorstSeconds": worst}
            late = " (the mail can arrive after the event starts)" if worst == 0 else ""
            parts.append(f"{event_type} {_minutes(seconds)} -> {_minutes(typical)} / "
                         f"{_minutes(worst)}{late}")
        lines.append("  by event type (notice -> left typical / worst): " + "; ".join(parts))
        lines.append(f"  notice figures: {' '.join(budget.notice_source.split())}")
        data[rule.name] = {
            "deployed": deployed,
            "evaluationFrequency": rule.evaluation_frequency,
            "noticeMinutes": budget.notice_minutes,
            "stages": [{"stage": s.stage, "typicalSeconds": s.typical_seconds,
                        "worstSeconds": s.worst_seconds, "source": " ".join(s.source.split())}
                       for s in budget.stages],
            "typicalSeconds": budget.typical_seconds,
            "worstSeconds": budget.worst_seconds,
            "leftTypicalMinutes": round(left_typical / 60, 2),
            "leftWorstMinutes": round(left_worst / 60, 2),
            "byEventType": by_type,
        }
    return PlanSection(key="noticeBudget", title="Notice budget (scheduled events to mail)",
                  lines=lines, data=data or None)


def _scopes(alert: Resource) -> list[Any]:
    scopes = alert.inputs.get("scopes")
    return scopes if isinstance(scopes, list) else []


def opt_out_section(ctx: PlanContext) -> PlanSection | None:
    """Gateways carrying AMBA's opt-out tag (MonitorDisable=true), as the gateway lookup
    answered, and whether the graph indeed holds no metric alert scoped to them."""
    from gatewatch.azure import facts as azure_facts

    opted: dict[str, str] = {}
    for call in ctx.recording.calls:
        if call.token == "azure-native:network:getVirtualNetworkGateway" \
                and azure_facts.monitor_disabled(call.result.get("tags")):
            rg, name = call.args["resourceGroupName"], call.args["virtualNetworkGatewayName"]
            opted[f"{rg}/{name}".lower()] = f"{rg}/{name}"
    if not opted:
        return None
    lines, data = [], []
    for key, label in sorted(opted.items()):
        suffix = f"/resourcegroups/{key.split('/')[0]}/providers/" \
                 f"{azure_facts.GATEWAY_ARM_TYPE.lower()}/{key.split('/')[1]}"
        hits = [r.name for r in ctx.recording.by_type("azure-native:monitor:MetricAlert")
                if any(str(s).lower().endswith(suffix) for s in _scopes(r))]
        lines.append(f"gateway {label}: tagged {azure_facts.MONITOR_DISABLE_TAG}="
                     f"{azure_facts.MONITOR_DISABLE_VALUE}, skipped: "
                     + (f"but {len(hits)} metric alert(s) still target it" if hits
                        else "no metric or activity log alert for it"))
        data.append({"gateway": label, "metricAlerts": hits})
    return PlanSection(key="monitorDisable", title="Gateways opted out (AMBA's MonitorDisable tag)",
                  lines=lines, data=data, failed=any(d["metricAlerts"] for d in data))


def _thousands(n: int) -> str:
    return f"{n:,}"


def alert_limits_section(ctx: PlanContext) -> PlanSection | None:
    """The stack's alert rules against Azure Monitor's limits ("Azure Monitor service limits",
    https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits; the figures in
    gatewatch/azure/limits.py), per subscription, and the worst-case mail rate per address.
    A crossed limit fails the plan: `pulumi up` would stop half-applied. The count is what this
    stack adds; rules already in the subscription count too and cannot be seen offline."""
    from gatewatch.azure import limits as L
    from gatewatch.checks.alert_limits import count_limits, limit_line

    deploying = next((str(c.result.get("subscriptionId")) for c in ctx.recording.calls
                      if c.token == "azure-native:authorization:getClientConfig"
                      and c.result.get("subscriptionId")), None)
    azure = ctx.config.azure
    gateways = [g.id.id for g in azure.gateways] if azure is not None else []
    report = count_limits(ctx.recording.resources, deploying, gateways)
    if not any(c.count for c in report.counts) and not report.mail:
        return None
    lines = [limit_line(c.limit, c.count, c.where) for c in report.crossed]
    subscription_counts = [c for c in report.counts if c.limit.per == L.PER_SUBSCRIPTION]
    for sub in dict.fromkeys(c.where for c in subscription_counts):
        lines.append(f"subscription {sub}: " + "; ".join(
            f"{c.limit.label} {_thousands(c.count)} of {_thousands(c.limit.maximum)}"
            for c in subscription_counts if c.where == sub))
    for limit in (L.LOG_ALERTS_PER_RESOURCE, L.LOG_ALERTS_PER_IDENTITY):
        top = max((c for c in report.counts if c.limit is limit), key=lambda c: c.count,
                  default=None)
        if top is not None:
            lines.append(f"{limit.label}: at most {_thousands(top.count)} of "
                         f"{_thousands(limit.maximum)} ({top.where})")
    if report.gateway_subscriptions:
        lines.append("watched gateways by subscription: " + ", ".join(
            f"{sub} {n}" for sub, n in report.gateway_subscriptions.items()))
    lines.append("counts what this stack adds; rules already in the subscription count too "
                 "(the plan cannot see them; `pulumi preview` and `pulumi up` read and add them)")
    for rate in report.mail:
        split = (f"; {len(rate.split_rules)} of these rules are split by dimension and mail "
                 "once per combination (e.g. per tunnel), so more") if rate.split_rules else ""
        events = (f"; {len(rate.event_rules)} activity log alert(s) mail per event, not counted"
                  if rate.event_rules else "")
        lines.append(f"mail to {rate.address}: up to {rate.per_hour:g} an hour from "
                     f"{len(rate.rules)} enabled rule(s), worst case (each rule mails at most "
                     f"once per evaluation, or per muteActionsDuration; one time series per "
                     f"rule){split}{events}")
        if rate.over:
            # Not a warning: every example stack's pessimistic bound is over (16 metric rules
            # at 5 minutes are 192 an hour if each flaps at every evaluation), and a warning
            # every stack shows teaches to ignore warnings. The figure is there to compare.
            lines.append(f"  that bound is above Azure's {L.EMAILS_PER_HOUR} mails an hour to "
                         f"one address ({L.DOCUMENT}); it is reached only if the rules change "
                         f"state at every evaluation; if it is, {L.EMAILS_PER_HOUR_FIX}")
    lines.append(f"source: {L.DOCUMENT}; parts not confirmed in the English text: "
                 + ", ".join(lim.label for lim in L.LIMITS if lim.confirmed != L.ENGLISH)
                 + ", the mail rate")
    data = {
        "source": L.SOURCE,
        "limits": [{"key": lim.key, "label": lim.label, "per": lim.per, "maximum": lim.maximum,
                    "increasable": lim.increasable, "quote": lim.quote,
                    "confirmed": lim.confirmed, "fix": lim.fix} for lim in L.LIMITS],
        "counts": [{"limit": c.limit.key, "where": c.where, "count": c.count,
                    "crossed": c.crossed} for c in report.counts],
        "crossed": [c.limit.key for c in report.crossed],
        "gatewaySubscriptions": report.gateway_subscriptions,
        "mail": [{"address": r.address, "worstPerHour": round(r.per_hour, 2),
                  "limitPerHour": L.EMAILS_PER_HOUR, "over": r.over,
                  "rules": [{"rule": n, "perHour": round(v, 2)} for n, v in r.rules],
                  "splitRules": r.split_rules, "eventRules": r.event_rules}
                 for r in report.mail],
        "note": "counts what this stack adds; rules already in the subscription count too",
    }
    return PlanSection(key="alertLimits",
                       title="Azure Monitor limits (what this stack adds, per subscription)",
                       lines=lines, data=data, failed=bool(report.crossed))


def secrets_section(ctx: PlanContext) -> PlanSection | None:
    """Values the stack file stores encrypted: named (never shown), with what offline does."""
    from gatewatch.config.stack_file import secret_paths
    from gatewatch.errors import SECRET_PLACEHOLDER

    paths = secret_paths(ctx.raw_config)
    if not paths:
        return None
    return PlanSection(
        key="secrets", title="Encrypted values (Pulumi secrets, not decrypted offline)",
        lines=[*paths, f"the offline plan accepts these unchecked and passes "
               f"'{SECRET_PLACEHOLDER}' to the program; `pulumi preview` decrypts and checks "
               "them"],
        data=paths)


SECTIONS: list[SectionFn] = [lookups_section, opt_out_section, grants_section, schema_section,
                          doc_rules_section, kql_section, policy_section, aws_cost_section,
                          notice_budget_section, alert_limits_section,
                          secrets_section]
