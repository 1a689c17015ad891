"""What a rollout reports: progress events while it works, and per-tunnel results at the end.

The command line prints both; the Pulumi dynamic resource returns the results as its outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    SKIPPED = "skipped"  # options already matched (possibly after waiting for it to be UP)
    CHANGED = "changed"  # modified, and seen UP again afterwards
    FAILED = "failed"  # the rollout of this connection stopped at this tunnel
    NOT_TOUCHED = "not-touched"  # not reached because an earlier step stopped
    # Only EnableTunnelLifecycleControl was turned on, with SkipTunnelReplacement: no outage.
    NO_OUTAGE = "set-no-outage"
    MAINTAINED = "maintained"  # pending maintenance applied, and seen UP again afterwards
    DEFERRED = "deferred"  # pending maintenance left for later: outside the time window


@dataclass(frozen=True)
class ProgressEvent:
    """What a person watching needs: which tunnel, what state, for how long."""

    vpn_connection_id: str
    tunnel: int  # 1 or 2; 0 for the connection as a whole
    outside_ip: str | None
    phase: str  # check, skip, wait, modify, retry, up, changed, failed
    status: str | None  # the tunnel's reported UP/DOWN, when known
    elapsed: float  # seconds since work on this tunnel started
    message: str
    at: float = 0.0  # the engine clock's reading when this happened (one clock per run)


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass
class TunnelResult:
    vpn_connection_id: str
    tunnel: int
    outside_ip: str
    action: Action
    seconds_down: float = 0.0  # from the service's LastStatusChange stamps (DOWN -> fresh UP)
    seconds_waited: float = 0.0  # engine time from the change (or first wait) to seeing UP
    messages: list[str] = field(default_factory=list)


@dataclass
class ConnectionResult:
    vpn_connection_id: str
    tunnels: list[TunnelResult] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class RolloutResult:
    connections: list[ConnectionResult]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.connections)

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.connections if c.error]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.connections for t in c.tunnels if t.action is action)
