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


REPORTS: list[ReportFn] = [_lookups_report, _kql_report]


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
