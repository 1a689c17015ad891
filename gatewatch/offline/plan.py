"""The offline plan: run the program under the recording harness, then render the resource
tree the way `pulumi preview` does, followed by the sections that read the same graph
(gatewatch/offline/sections.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatewatch.checks.model import Resource
from gatewatch.config.stack_file import load_stack_file
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.offline.sections import SECTIONS, PlanContext, PlanSection

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Plan:
    context: PlanContext
    sections: list[PlanSection] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.sections)


def build_plan(config_file: Path, stack: str, *, preview: bool = True) -> Plan:
    """Validate the config (BadInput before anything runs), run the program, add sections."""
    config, raw = load_stack_file(config_file)
    recording = run_program(raw, stack=stack, preview=preview)
    ctx = PlanContext(stack=stack, config=config, raw_config=raw, recording=recording)
    plan = Plan(context=ctx)
    for section_fn in SECTIONS:
        section = section_fn(ctx)
        if section is not None:
            plan.sections.append(section)
    return plan


def _children(resources: list[Resource]) -> dict[str, list[Resource]]:
    tree: dict[str, list[Resource]] = {}
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
    for section in plan.sections:
        if section.lines:
            out += ["", f"{section.title}:", *(f"  {line}" for line in section.lines)]
    return "\n".join(out)


# Every section's --json key, in the order --json prints them (README lists the same). A section
# with nothing to say (no role assignment, no opted-out gateway, no AWS section, no encrypted
# value) is still there, as null: a consumer never has to guess whether a key was dropped.
SECTION_KEYS: tuple[str, ...] = ("lookups", "monitorDisable", "grants", "schema", "docRules", "kql",
                                "policy", "awsCost", "noticeBudget", "alertLimits",
                                "secrets")
JSON_KEYS: tuple[str, ...] = ("stack", "preview", "resources", *SECTION_KEYS)


def render_json(plan: Plan) -> dict[str, Any]:
    rec = plan.context.recording
    doc: dict[str, Any] = {
        "stack": rec.stack,
        "preview": rec.preview,
        # The stack first, then every resource (the same count as the text's "to create").
        "resources": [stack_resource(rec)]
        + [r.as_json() for r in sorted(rec.resources, key=lambda r: r.urn)],
    }
    by_key = {section.key: section.data for section in plan.sections}
    undocumented = sorted(set(by_key) - set(SECTION_KEYS))
    if undocumented:  # a new section must be added to SECTION_KEYS (and the README) first
        raise ValueError(f"plan reports without a documented --json key: {undocumented}")
    for key in SECTION_KEYS:
        doc[key] = by_key.get(key)
    return doc
