"""What `gatewatch aws-tunnels` prints: progress lines as the engine works, each connection's
status as it is read, and the one summary table of a run (one row per tunnel)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from gatewatch.aws_rollout.results import Action, ProgressEvent, RolloutResult, TunnelResult
from gatewatch.aws_rollout.views import ConnectionStatus, format_time


class Printer:
    """Progress lines for a person watching; several workers print, so one lock. The time in
    brackets is one clock per connection: seconds since work on that connection began."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.began: dict[str, float] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.phase == "check":
            return  # every poll reads the connection; the wait/modify lines say what matters
        where = f"{event.vpn_connection_id} tunnel {event.tunnel}" if event.tunnel else \
            event.vpn_connection_id
        if event.outside_ip:
            where += f" ({event.outside_ip})"
        message = event.message
        if event.phase == "failed":
            message = "stopped; the reason is printed once at the end"
        with self.lock:
            began = self.began.setdefault(event.vpn_connection_id, event.at)
            print(f"[{event.at - began:7.1f}s] {where}: {event.phase}: {message}",
                  file=self.out, flush=True)


def _logs(cw: Mapping[str, Any], prefix: str, label: str) -> str:
    if not cw.get(f"{prefix}LogEnabled"):
        return f"{label}=off"
    return (f"{label}={cw.get(f'{prefix}LogOutputFormat', 'json')}:"
            f"{cw.get(f'{prefix}LogGroupArn', '-')}")


def print_status(statuses: Iterable[ConnectionStatus], out: TextIO) -> None:
    """One connection at a time, as each is read (a large status shows rows at once)."""
    for status in statuses:
        view = status.view
        print(f"{view.vpn_connection_id}  state={view.state}", file=out)
        details = status.maintenance or (None,) * len(view.tunnels)
        for n, (tunnel, maint) in enumerate(zip(view.tunnels, details, strict=True), 1):
            lifecycle = ("unknown" if tunnel.lifecycle_control is None else
                         "on" if tunnel.lifecycle_control else "off")
            pending = ("maintenance=not-read" if maint is None else
                       f"maintenance=PENDING({maint.pending}) auto-applied-after="
                       f"{format_time(maint.auto_applied_after)}" if maint.pending else
                       "maintenance=none")
            last = (f" last-applied={format_time(maint.last_applied)}"
                    if maint is not None and maint.last_applied is not None else "")
            print(f"  tunnel {n}  {tunnel.outside_ip:<15}  {tunnel.status:<4}  since "
                  f"{format_time(tunnel.last_status_change)}  "
                  f"{_logs(tunnel.log_options, '', 'tunnel-logs')}  "
                  f"{_logs(tunnel.log_options, 'Bgp', 'bgp-logs')}  lifecycle-control={lifecycle}"
                  f"  {pending}{last}", file=out, flush=True)


def _rows(result: RolloutResult) -> list[TunnelResult]:
    """One row per tunnel; a connection that stopped before its tunnels gets one row too."""
    rows: list[TunnelResult] = []
    for conn in result.connections:
        rows.extend(conn.tunnels or [TunnelResult(conn.vpn_connection_id, 0, "-",
                                                  Action.FAILED)])
    return rows


def print_summary(result: RolloutResult, out: TextIO) -> None:
    rows = _rows(result)
    print(f"{'connection':<22} {'tunnel':<6} {'outside ip':<15} {'action':<13} {'down s':>7}",
          file=out)
    for t in rows:
        print(f"{t.vpn_connection_id:<22} {t.tunnel or '-':<6} {t.outside_ip:<15} "
              f"{t.action.value:<13} {t.seconds_down:>7.0f}", file=out)
    counts = Counter(t.action for t in rows)
    shown = [Action.CHANGED, Action.NO_OUTAGE, Action.MAINTAINED, Action.SKIPPED,
             Action.DEFERRED, Action.FAILED, Action.NOT_TOUCHED]
    print(", ".join(f"{action.value.replace('set-no-outage', 'no-outage')} {counts[action]}"
                    for action in shown if counts[action] or action in
                    (Action.CHANGED, Action.SKIPPED, Action.FAILED)), file=out)
