"""The plan's policy section: the pack over the recorded graph, as a first `pulumi preview
--policy-pack policies` would run it (in preview mode every new id is unknown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatewatch.policy.resources import from_recorded
from gatewatch.policy.runner import outcome_json, render_lines, run_pack

if TYPE_CHECKING:
    from gatewatch.plan import PlanContext, Report


def policy_report(ctx: PlanContext) -> Report:
    from gatewatch.plan import Report

    outcome = run_pack([from_recorded(r) for r in ctx.recording.resources])
    mode = "preview: new ids unknown" if ctx.recording.preview else "update: ids known"
    return Report(
        key="policy",
        title=f"Policy pack 'gatewatch' ({mode})",
        lines=render_lines(outcome),
        data=outcome_json(outcome),
        failed=outcome.failed,
    )
