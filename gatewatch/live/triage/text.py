"""The text report of `gatewatch triage`: the timeline, then each drop with its start, each
end's down and recovery, the evidence, the rule behind the verdict and the next step."""

from __future__ import annotations

from gatewatch.live.triage.model import (
    DOWN,
    HEALTH,
    MAINTENANCE,
    RESET,
    UP,
    Drop,
    Timeline,
    iso,
)

# The mark of an event kind in the timeline's second column.
MARKS = {DOWN: "v", UP: "^", MAINTENANCE: "M", HEALTH: "H", RESET: "R"}


def side_text(end: Drop) -> str:
    """One end's own down and recovery: "azure Azure VPNGW01 IN_0 down 03:00:00Z, back ..."."""
    back = (f"back {iso(end.recovered.time)} after "
            f"{int((end.recovered.time - end.event.time).total_seconds())} s"
            + (f" on {end.recovered.instance}" if end.recovered.instance else "")
            if end.recovered else "not back by the end of the range")
    return f"{end.event.lane}: down {iso(end.event.time)}, {back}"


def render_text(timeline: Timeline) -> str:
    lines = [f"Tunnel {timeline.remote_ip}, {iso(timeline.start)} to {iso(timeline.end)}",
             ""]
    drop_at: dict[int, tuple[int, Drop]] = {}
    for n, drop in enumerate(timeline.drops, start=1):
        for event in (drop.first, *(d.event for d in drop.ends)):
            drop_at.setdefault(id(event), (n, drop))
    for event in timeline.events:
        mark = MARKS.get(event.kind, " ")
        lines.append(f"{iso(event.time)} {mark} {event.lane:<40} {event.kind:<11} {event.text}")
        found = drop_at.get(id(event))
        if found is not None:
            lines.append(f"{'':22}=> {found[1].label} (drop {found[0]})")
    lines.append("")
    if not timeline.drops:
        lines.append("No drops in this range.")
    for n, drop in enumerate(timeline.drops, start=1):
        back = (f"back {iso(drop.recovered.time)} after {int(drop.down_seconds or 0)} s"
                if drop.recovered else "not back by the end of the range")
        lines.append(f"Drop {n}: {iso(drop.first.time)} {drop.label}; {back}; seen from "
                     f"{' and '.join(drop.clouds)}")
        lines.append(f"    start: {iso(drop.first.time)} {drop.first.lane}: {drop.first.text}"
                     f" [{drop.first.source}]")
        for end in drop.ends:
            lines.append(f"    {end.event.cloud}: {side_text(end)}")
        backs = {id(d.recovered) for d in drop.ends}
        for e in drop.evidence:
            if id(e) in backs:
                continue
            lines.append(f"    evidence: {iso(e.time)} {e.lane}: {e.text} [{e.source}]")
        lines.append(f"    why: {drop.why}")
        lines.append(f"    next step: {drop.next_step}")
    for note in timeline.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
