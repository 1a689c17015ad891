"""What `gatewatch doctor` found: one CheckResult per line, and the table or JSON it prints.

UNCHECKED marks a line whose source could not be read (gatewatch/live/sources.py): its
detail says "not checked: <source> <reason>", its fix what to do; it is not OK, so it fails
the run (exit 1) like any other finding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from gatewatch.live.sources import Failure, SourceDown, Sources

OK, STALE, MISSING, WRONG, UNCHECKED = "OK", "STALE", "MISSING", "WRONG", "UNCHECKED"


@dataclass(frozen=True)
class CheckResult:
    cloud: str
    target: str
    check: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class DoctorReport:
    stack: str
    checks: list[CheckResult] = field(default_factory=list)
    sources: Sources = field(default_factory=Sources)

    def add(self, cloud: str, target: str, check: str, status: str, detail: str,
            fix: str = "") -> None:
        self.checks.append(CheckResult(cloud, target, check, status, detail, fix))

    def unchecked(self, cloud: str, target: str, check: str, failure: Failure) -> None:
        self.add(cloud, target, check, UNCHECKED, f"not checked: {failure}", failure.fix)

    @contextlib.contextmanager
    def checking(self, cloud: str, target: str, check: str) -> Iterator[None]:
        """One line's reads: a source that fails them makes the line UNCHECKED (the body
        reads before it adds its line, so a failure never leaves a second line)."""
        try:
            yield
        except SourceDown as down:
            self.unchecked(cloud, target, check, down.failure)

    @property
    def ok(self) -> bool:
        return all(c.status == OK for c in self.checks)


def format_when(value: dt.datetime | None) -> str:
    return "never" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_age(now: dt.datetime, then: dt.datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} d ago"


def last_seen(now: dt.datetime, then: dt.datetime | None, expected: str = "") -> str:
    """A newest record's line: "last <time> (<age>)", "; expected every <expected>" inside
    the brackets when given, "last never" when there is none."""
    if then is None:
        return "last never"
    note = f"; expected every {expected}" if expected else ""
    return f"last {format_when(then)} ({format_age(now, then)}{note})"


def render_text(report: DoctorReport) -> str:
    rows = [(c.status, c.cloud, c.target, c.check, c.detail, c.fix) for c in report.checks]
    header = ("STATUS", "CLOUD", "TARGET", "CHECK", "DETAIL", "FIX")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        head = "  ".join(str(row[i]).ljust(widths[i]) for i in range(4))
        tail = row[4] + (f"  -> {row[5]}" if row[5] else "")
        lines.append(f"{head}  {tail}".rstrip())
    bad = [c for c in report.checks if c.status != OK]
    unchecked = sum(c.status == UNCHECKED for c in report.checks)
    lines.append("")
    lines.append(f"{len(report.checks)} checks, {len(bad)} not OK" if bad
                 else f"{len(report.checks)} checks, all OK")
    if unchecked:
        lines[-1] += f" ({unchecked} not checked)"
    return "\n".join(lines)


def render_json(report: DoctorReport) -> dict[str, Any]:
    return {"stack": report.stack, "ok": report.ok,
            "checks": [asdict(c) for c in report.checks]}
