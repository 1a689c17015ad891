"""The offline plan: run the program under the recording harness, then render the resource
tree the way `pulumi preview` does, followed by the reports that read the same graph.

A report is a function of the PlanContext returning a Report (text lines, a JSON value, and
whether it found a problem); later capabilities (KQL check, policy pack, budgets) add theirs to
REPORTS instead of growing the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatewatch.config import StackConfig, load_stack_file
from gatewatch.harness import RecordedResource, Recording, run_program

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


def _lookups_report(ctx: PlanContext) -> Report | None:
    calls = ctx.recording.calls
    if not calls:
        return None
    return Report(
        key="lookups",
        title="Lookups answered offline",
        lines=[c.note for c in calls],
        data=[{"token": c.token, "args": c.args, "result": c.result, "note": c.note}
              for c in calls],
    )


def _kql_report(ctx: PlanContext) -> Report:
    """Every query the kit deploys (alert rules and saved queries), through Microsoft's Kusto
    language service against the documented table schemas."""
    from gatewatch.catalog import load_catalog, load_saved_queries
    from gatewatch.kql.check import KqlCheckerUnavailable, check_queries

    queries = [(f"alert {r.name}", r.query) for r in load_catalog()]
    queries += [(f"saved query {q.name}", q.body) for q in load_saved_queries()]
    try:
        results = check_queries(queries)
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


def _policy_report(ctx: PlanContext) -> Report:
    """The policy pack (policies/) over the recorded graph, as a first preview runs it."""
    from gatewatch.policy.report import policy_report

    return policy_report(ctx)


def _aws_cost_report(ctx: PlanContext) -> Report | None:
    """Expected tunnel log volume and monthly CloudWatch cost of the stack's AWS part."""
    if ctx.config.aws is None:
        return None
    from gatewatch.aws_cost import describe, estimate

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


def _notice_budget_report(ctx: PlanContext) -> Report | None:
    """How much of Azure's advance notice each stage of an alert path spends, from the
    `noticeBudget` of the alert files (the figures and their sources live there only)."""
    from gatewatch.catalog import load_catalog

    budgeted = [r for r in load_catalog() if r.noticeBudget is not None]
    if not budgeted:
        return None
    azure = ctx.config.azure
    features = {"vms"} if azure is not None and azure.vms else set()
    lines: list[str] = []
    data: dict[str, Any] = {}
    for rule in budgeted:
        budget = rule.noticeBudget
        assert budget is not None
        deployed = azure is not None and azure.alerts is not None \
            and set(rule.requires) <= features
        notice = budget.noticeMinutes * 60
        left_typical = max(notice - budget.typical_seconds, 0)
        left_worst = max(notice - budget.worst_seconds, 0)
        status = "deployed" if deployed else (
            "not deployed: needs gatewatch:azure.alerts and "
            + ", ".join(f"gatewatch:azure.{f}" for f in rule.requires))
        lines.append(f"{rule.name} ({status}), evaluated every {rule.evaluationFrequency}:")
        lines.append(f"  {'stage':<14}{'typical':>9}{'worst':>9}  source")
        for stage in budget.stages:
            source = " ".join(stage.source.split())
            lines.append(f"  {stage.stage:<14}{stage.typicalSeconds:>7} s"
                         f"{stage.worstSeconds:>7} s  {source}")
        lines.append(f"  {'total':<14}{_minutes(budget.typical_seconds):>9}"
                     f"{_minutes(budget.worst_seconds):>9}")
        lines.append(f"  notice left of {budget.noticeMinutes} min: typical "
                     f"{_minutes(left_typical)}, worst {_minutes(left_worst)}")
        by_type: dict[str, dict[str, int]] = {}
        parts = []
        for event_type, seconds in budget.minimumNotice.items():
            typical = max(seconds - budget.typical_seconds, 0)
            worst = max(seconds - budget.worst_seconds, 0)
            by_type[event_type] = {"noticeSeconds": seconds, "leftTypicalSeconds": typical,
                                   "leftWorstSeconds": worst}
            late = " (the mail can arrive after the event starts)" if worst == 0 else ""
            parts.append(f"{event_type} {_minutes(seconds)} -> {_minutes(typical)} / "
                         f"{_minutes(worst)}{late}")
        lines.append("  by event type (notice -> left typical / worst): " + "; ".join(parts))
        lines.append(f"  notice figures: {' '.join(budget.noticeSource.split())}")
        data[rule.name] = {
            "deployed": deployed,
            "evaluationFrequency": rule.evaluationFrequency,
            "noticeMinutes": budget.noticeMinutes,
            "stages": [{"stage": s.stage, "typicalSeconds": s.typicalSeconds,
                        "worstSeconds": s.worstSeconds, "source": " ".join(s.source.split())}
                       for s in budget.stages],
            "typicalSeconds": budget.typical_seconds,
            "worstSeconds": budget.worst_seconds,
            "leftTypicalMinutes": round(left_typical / 60, 2),
            "leftWorstMinutes": round(left_worst / 60, 2),
            "byEventType": by_type,
        }
    return Report(key="noticeBudget", title="Notice budget (scheduled events to mail)",
                  lines=lines, data=data)


def _secrets_report(ctx: PlanContext) -> Report | None:
    """Values the stack file stores encrypted: named (never shown), with what offline does."""
    from gatewatch.config import secret_paths
    from gatewatch.validate import SECRET_PLACEHOLDER

    paths = secret_paths(ctx.raw_config)
    if not paths:
        return None
    return Report(
        key="secrets", title="Encrypted values (Pulumi secrets, not decrypted offline)",
        lines=[*paths, f"the offline plan accepts these unchecked and passes "
               f"'{SECRET_PLACEHOLDER}' to the program; `pulumi preview` decrypts and checks "
               "them"],
        data=paths)


REPORTS: list[ReportFn] = [_lookups_report, _kql_report, _policy_report, _aws_cost_report,
                          _notice_budget_report, _secrets_report]


def stack_file(stack: str, project_root: Path) -> Path:
    return project_root / f"Pulumi.{stack}.yaml"


def build_plan(config_file: Path, stack: str, *, preview: bool = True) -> Plan:
    """Validate the config (ConfigError before anything runs), run the program, add reports."""
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


def render_tree(recording: Recording, project: str = "gatewatch") -> list[str]:
    """`pulumi preview`-style lines: type and name, nested by parent, then a count."""
    tree = _children(recording.resources)
    rows: list[tuple[str, str]] = [(STACK_TYPE, f"{project}-{recording.stack}")]

    def walk(parent: str, prefix: str) -> None:
        kids = tree.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((f"{prefix}{'└─ ' if last else '├─ '}{r.type}", r.name))
            walk(r.urn, prefix + ("   " if last else "│  "))

    roots = [urn for urn in tree if not any(r.urn == urn for r in recording.resources)]
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
        out += ["", f"{report.title}:", *(f"  {line}" for line in report.lines)]
    return "\n".join(out)


def render_json(plan: Plan) -> dict[str, Any]:
    rec = plan.context.recording
    doc: dict[str, Any] = {
        "stack": rec.stack,
        "preview": rec.preview,
        "resources": [r.as_json() for r in sorted(rec.resources, key=lambda r: r.urn)],
    }
    for report in plan.reports:
        doc[report.key] = report.data
    return doc
