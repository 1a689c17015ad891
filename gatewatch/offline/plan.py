"""The offline plan: run the program under the recording harness, then render the resource
tree the way `pulumi preview` does, followed by the reports that read the same graph.

A report is a function of the PlanContext returning a Report (text lines, a JSON value, and
whether it found a problem); later capabilities (KQL check, policy pack, budgets) add theirs to
REPORTS instead of growing the command line. A section that does not apply to the stack (no AWS
part, no deployed notice path) has no text lines and is `null` in --json: every documented key
is always present.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatewatch.config.model import StackConfig, load_stack_file
from gatewatch.offline.runtime import RecordedResource, Recording, plain_resources, run_program

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class PlanContext:
    stack: str
    config: StackConfig
    raw_config: dict[str, Any]
    recording: Recording


@dataclass
class Report:
    """One section of the plan: `key` names it in --json; `failed` makes the plan exit 1."""

    key: str
    title: str
    lines: list[str]
    data: Any
    failed: bool = False


@dataclass
class Plan:
    context: PlanContext
    reports: list[Report] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports)


ReportFn = Callable[[PlanContext], Report | None]


def _lookups_report(ctx: PlanContext) -> Report:
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
    return Report(
        key="lookups",
        title="Lookups answered offline",
        lines=list(dict.fromkeys(c.note for c in calls)),  # one line per distinct answer
        data=[{"token": c.token, "args": c.args, "result": c.result, "note": c.note}
              for c in calls],
    )


def _kql_report(ctx: PlanContext) -> Report:
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
        return Report("kql", "KQL check (Kusto language service)", [f"not run: {error}"],
                      [{"name": "kql-check", "ok": False, "diagnostics": [str(error)]}],
                      failed=True)
    return Report(
        key="kql",
        title="KQL check (Kusto language service, offline)",
        lines=[c.describe() if c.ok else f"INVALID {c.describe()}" for c in results],
        data=[{"name": c.name, "ok": c.ok, "diagnostics": [str(d) for d in c.diagnostics]}
              for c in results],
        failed=not all(c.ok for c in results),
    )


def _schema_report(ctx: PlanContext) -> Report:
    """Every Azure resource's request body against Microsoft's API definitions (vendored)."""
    from gatewatch.checks.api_definitions import azure_resources, check_resources, manifest

    resources = azure_resources(ctx.recording.resources)
    problems = check_resources(resources)
    versions = sorted({f"{r.type.split(':', 1)[1]}@{manifest()[r.type].api_version}"
                       for r in resources if r.type in manifest()})
    lines = [f"{len(resources)} Azure resources, {len(problems)} problems "
             "(bicep-types and ARM template schemas, vendor/azure-api-specs)",
             "API versions: " + ", ".join(versions)]
    lines += [f"PROBLEM {p.describe()}" for p in problems]
    return Report(
        key="schema", title="Azure API definitions", lines=lines,
        data={"resources": len(resources), "apiVersions": versions,
              "problems": [{"urn": p.urn, "type": p.type, "judge": p.judge, "path": p.path,
                            "message": p.message} for p in problems]},
        failed=bool(problems))


def _grants_report(ctx: PlanContext) -> Report | None:
    """Every role assignment as a reviewer reads it: which role, on what, to whom."""
    from gatewatch.azure import facts as azure_facts
    from gatewatch.offline.runtime import UNKNOWN

    roles = [r for r in ctx.recording.resources if r.type in azure_facts.ROLE_ASSIGNMENT_TYPES]
    if not roles:
        return None
    lines, data = [], []
    for role in roles:
        inputs = role.inputs
        definition = str(inputs.get("roleDefinitionId", UNKNOWN))
        guid = definition.rsplit("/", 1)[-1].lower()
        role_name = azure_facts.BUILT_IN_ROLES.get(guid, definition)
        principals = [ctx.recording.get(urn) for urn in
                      role.property_dependencies.get("principalId", [])]
        principal = ", ".join(
            f"{p.type.split(':')[-1]} {p.inputs.get('resourceName', p.name)}"
            + (f" (resource group {p.inputs['resourceGroupName']})"
               if p.inputs.get("resourceGroupName") not in (None, UNKNOWN) else "")
            for p in principals) or str(inputs.get("principalId", UNKNOWN))
        kind = inputs.get("principalType", "")
        lines.append(f"{role_name} on {inputs.get('scope', UNKNOWN)} to {principal}"
                     + (f" [{kind}]" if kind else "")
                     + f" (assignment {inputs.get('roleAssignmentName', UNKNOWN)})")
        data.append({"urn": role.urn, "role": role_name, "roleDefinitionId": definition,
                     "scope": inputs.get("scope", UNKNOWN), "principal": principal,
                     "principalType": kind, "name": inputs.get("roleAssignmentName", UNKNOWN)})
    return Report(key="grants", title="Role assignments (what is granted, where, to whom)",
                  lines=lines, data=data)


def _doc_rules_report(ctx: PlanContext) -> Report:
    """Microsoft's documented rules a schema cannot express (gatewatch/documented_rules.py)."""
    from gatewatch.checks import documented_rules

    deviations = documented_rules.check(ctx.recording.resources)
    lines = [f"{len(documented_rules.RULES)} rules, {len(deviations)} deviations"]
    lines += [f"{rule.name}: {rule.source}" for rule in documented_rules.RULES]
    lines += [f"DEVIATION {d.describe()}" for d in deviations]
    return Report(key="docRules", title="Documented rules", lines=lines,
                  data={"rules": [{"name": r.name, "source": r.source}
                                  for r in documented_rules.RULES],
                        "deviations": [{"rule": d.rule, "urn": d.urn, "message": d.message}
                                       for d in deviations]},
                  failed=bool(deviations))


def policy_report(ctx: PlanContext) -> Report:
    """The policy pack (policies/) over the recorded graph, as a first `pulumi preview
    --policy-pack policies` would run it (in preview mode every new id is unknown)."""
    from gatewatch.policy.runner import outcome_json, render_lines, run_pack

    outcome = run_pack(plain_resources(ctx.recording))
    mode = "preview: new ids unknown" if ctx.recording.preview else "update: ids known"
    return Report(
        key="policy",
        title=f"Policy pack 'gatewatch' ({mode})",
        lines=render_lines(outcome),
        data=outcome_json(outcome),
        failed=outcome.failed,
    )


def _aws_cost_report(ctx: PlanContext) -> Report:
    """Expected tunnel log volume and monthly CloudWatch cost of the stack's AWS part."""
    if ctx.config.aws is None:
        return Report(key="awsCost", title="AWS tunnel logs", lines=[], data=None)
    from gatewatch.aws.cost import describe, estimate

    est = estimate(ctx.config.aws)
    return Report(
        key="awsCost",
        title="AWS tunnel logs: expected volume and cost",
        lines=describe(est, ctx.config.aws),
        data={"tunnels": est.tunnels, "bytesPerTunnelMonth": est.bytes_per_tunnel_month,
              "bytesPerMonth": est.bytes_per_month, "retainedBytes": est.retained_bytes,
              "alarms": est.alarms, "monthlyUsd": round(est.total_usd, 2)},
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _notice_budget_report(ctx: PlanContext) -> Report:
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
    return Report(key="noticeBudget", title="Notice budget (scheduled events to mail)",
                  lines=lines, data=data or None)


def _opt_out_report(ctx: PlanContext) -> Report | None:
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
        suffix = f"/resourcegroups/{key.split('/')[0]}/providers/microsoft.network/" \
                 f"virtualnetworkgateways/{key.split('/')[1]}"
        hits = [r.name for r in ctx.recording.by_type("azure-native:monitor:MetricAlert")
                if any(str(s).lower().endswith(suffix) for s in r.inputs.get("scopes") or [])]
        lines.append(f"gateway {label}: tagged {azure_facts.MONITOR_DISABLE_TAG}="
                     f"{azure_facts.MONITOR_DISABLE_VALUE}, skipped: "
                     + (f"but {len(hits)} metric alert(s) still target it" if hits
                        else "no metric or activity log alert for it"))
        data.append({"gateway": label, "metricAlerts": hits})
    return Report(key="monitorDisable", title="Gateways opted out (AMBA's MonitorDisable tag)",
                  lines=lines, data=data, failed=any(d["metricAlerts"] for d in data))


def _secrets_report(ctx: PlanContext) -> Report | None:
    """Values the stack file stores encrypted: named (never shown), with what offline does."""
    from gatewatch.config.model import secret_paths
    from gatewatch.errors import SECRET_PLACEHOLDER

    paths = secret_paths(ctx.raw_config)
    if not paths:
        return None
    return Report(
        key="secrets", title="Encrypted values (Pulumi secrets, not decrypted offline)",
        lines=[*paths, f"the offline plan accepts these unchecked and passes "
               f"'{SECRET_PLACEHOLDER}' to the program; `pulumi preview` decrypts and checks "
               "them"],
        data=paths)


REPORTS: list[ReportFn] = [_lookups_report, _opt_out_report, _grants_report, _schema_report,
                          _doc_rules_report, _kql_report, policy_report, _aws_cost_report,
                          _notice_budget_report, _secrets_report]


def build_plan(config_file: Path, stack: str, *, preview: bool = True) -> Plan:
    """Validate the config (BadInput before anything runs), run the program, add reports."""
    config, raw = load_stack_file(config_file)
    recording = run_program(raw, stack=stack, preview=preview)
    ctx = PlanContext(stack=stack, config=config, raw_config=raw, recording=recording)
    plan = Plan(context=ctx)
    for report_fn in REPORTS:
        report = report_fn(ctx)
        if report is not None:
            plan.reports.append(report)
    return plan


def _children(resources: list[RecordedResource]) -> dict[str, list[RecordedResource]]:
    tree: dict[str, list[RecordedResource]] = {}
    for r in resources:
        tree.setdefault(r.parent, []).append(r)
    for kids in tree.values():
        kids.sort(key=lambda r: (r.type, r.name))
    return tree


def stack_resource(recording: Recording, project: str = "gatewatch") -> dict[str, Any]:
    """The root `pulumi:pulumi:Stack` resource as a --json entry: `pulumi preview` creates and
    counts it, so the text's "N to create" and --json's `resources` list the same N."""
    name = f"{project}-{recording.stack}"
    urn = recording.stack_urn or f"urn:pulumi:{recording.stack}::{project}::{STACK_TYPE}::{name}"
    return {"urn": urn, "type": STACK_TYPE, "name": name, "parent": "", "custom": False,
            "inputs": {}, "dependencies": [], "propertyDependencies": {}}


def render_tree(recording: Recording, project: str = "gatewatch") -> list[str]:
    """`pulumi preview`-style lines: type and name, nested by parent, then a count (the
    stack resource included, as `pulumi preview` counts it)."""
    tree = _children(recording.resources)
    rows: list[tuple[str, str]] = [(STACK_TYPE, f"{project}-{recording.stack}")]

    def walk(parent: str, prefix: str) -> None:
        kids = tree.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((f"{prefix}{'└─ ' if last else '├─ '}{r.type}", r.name))
            walk(r.urn, prefix + ("   " if last else "│  "))

    urns = {r.urn for r in recording.resources}
    roots = [urn for urn in tree if urn not in urns]
    for root in sorted(roots):
        walk(root, "")
    width = max(len(t) for t, _ in rows) + 2
    lines = [f"     {'Type':<{width}}Name"]
    lines += [f" +   {t:<{width}}{n}" for t, n in rows]
    lines.append("")
    lines.append(f"Resources:\n    + {len(recording.resources) + 1} to create")
    return lines


def render_text(plan: Plan) -> str:
    rec = plan.context.recording
    mode = "preview mode: ids unknown" if rec.preview else "update mode: fake ids"
    out = [
        f"Offline plan of stack '{rec.stack}' ({mode}; the program ran under Pulumi's mock "
        "runtime, nothing was sent to any cloud)",
        "",
        *render_tree(rec),
    ]
    for report in plan.reports:
        if report.lines:
            out += ["", f"{report.title}:", *(f"  {line}" for line in report.lines)]
    return "\n".join(out)


# Every report's --json key, in the order --json prints them (README lists the same). A report
# with nothing to say (no role assignment, no opted-out gateway, no AWS section, no encrypted
# value) is still there, as null: a consumer never has to guess whether a key was dropped.
REPORT_KEYS: tuple[str, ...] = ("lookups", "monitorDisable", "grants", "schema", "docRules", "kql",
                                "policy", "awsCost", "noticeBudget", "secrets")
JSON_KEYS: tuple[str, ...] = ("stack", "preview", "resources", *REPORT_KEYS)


def render_json(plan: Plan) -> dict[str, Any]:
    rec = plan.context.recording
    doc: dict[str, Any] = {
        "stack": rec.stack,
        "preview": rec.preview,
        # The stack first, then every resource (the same count as the text's "to create").
        "resources": [stack_resource(rec)]
        + [r.as_json() for r in sorted(rec.resources, key=lambda r: r.urn)],
    }
    by_key = {report.key: report.data for report in plan.reports}
    undocumented = sorted(set(by_key) - set(REPORT_KEYS))
    if undocumented:  # a new report must be added to REPORT_KEYS (and the README) first
        raise ValueError(f"plan reports without a documented --json key: {undocumented}")
    for key in REPORT_KEYS:
        doc[key] = by_key.get(key)
    return doc
