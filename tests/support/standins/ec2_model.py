"""The EC2 stand-in's VPN connections: their tunnels' true UP/DOWN history, the connection
State (pending, available, deleting, deleted), tunnel options, pending maintenance, and the
scene-setting and timeline helpers tests use. What the model answers over the EC2 Query API is
in `ec2_api`; what it models, and on which public sources, is told in `ec2` (the entry point).
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatewatch.aws_rollout.clock import Clock, RealClock

UP = "UP"
DOWN = "DOWN"
PENDING, AVAILABLE, DELETING, DELETED = "pending", "available", "deleting", "deleted"
MODIFYING = "modifying"  # not in botocore's VpnState enum; see ec2xml.OBSERVED_ENUM_VALUES


@dataclass
class TunnelModel:
    """One tunnel: its outside IP, log options, and its true status history."""

    outside_ip: str
    log_options: dict[str, Any]
    transitions: list[tuple[float, str]]  # (time, UP|DOWN), sorted; first one is creation
    never_recovers: bool = False
    lifecycle_control: bool = False
    pending_maintenance: str | None = None
    auto_applied_after: float | None = None
    last_maintenance_applied: float | None = None

    def status_at(self, t: float) -> tuple[str, float]:
        """(status, since) as it truly was at time t."""
        times = [when for when, _ in self.transitions]
        i = bisect.bisect_right(times, t) - 1
        when, status = self.transitions[max(i, 0)]
        return status, when

    def schedule(self, now: float, changes: list[tuple[float, str]]) -> None:
        """Replace the future with `changes`, skipping no-op transitions."""
        self.transitions = [tr for tr in self.transitions if tr[0] <= now]
        for when, status in changes:
            if self.transitions[-1][1] != status:
                self.transitions.append((when, status))


@dataclass
class ConnectionModel:
    vpn_connection_id: str
    customer_gateway_id: str
    vpn_gateway_id: str
    tunnels: list[TunnelModel]
    modifying_until: float = float("-inf")
    modify_seconds: float = 0.0  # of the last change (modifying_until - modify_seconds = when)
    # (time, VpnState) sorted; State is reported as it is (no lag, unlike telemetry).
    states: list[tuple[float, str]] = field(default_factory=list)
    region: str | None = None  # None: answered in every region (single-region tests)

    def in_region(self, region: str | None) -> bool:
        return region is None or self.region in (None, region)

    def state_at(self, t: float) -> str:
        current = AVAILABLE
        for when, state in self.states:
            if when <= t:
                current = state
        return current

    def busy_at(self, t: float) -> bool:
        """A tunnel modification is still being applied."""
        return t < self.modifying_until

    def reported_state(self, t: float, modifying_seconds: float) -> str:
        """State as DescribeVpnConnections answers it: `modifying` for `modifying_seconds`
        after a change, else the lifecycle state."""
        state = self.state_at(t)
        changed = self.modifying_until - self.modify_seconds
        if state == AVAILABLE and changed <= t < changed + modifying_seconds:
            return MODIFYING
        return state

    def tunnel(self, outside_ip: str) -> TunnelModel | None:
        return next((tn for tn in self.tunnels if tn.outside_ip == outside_ip), None)


@dataclass(frozen=True)
class TimelineEvent:
    time: float
    vpn_connection_id: str
    outside_ip: str
    status: str


@dataclass
class StandInSettings:
    """Timings of the model, in seconds of the stand-in's clock."""

    outage_seconds: float = 300.0  # back UP about five minutes later (DevelopersIO, 2022-08-20)
    down_delay: float = 5.0  # the call returns before the tunnel actually drops
    modify_seconds: float = 240.0  # IncorrectState for another modification this long
    # State reads `modifying` for this long after a change (EC2's behaviour as
    # terraform-provider-aws's waitVPNConnectionUpdated reads it); None: as long as
    # modify_seconds; 0: State stays `available` (the enum alone).
    modifying_seconds: float | None = None
    telemetry_lag: float = 30.0  # VgwTelemetry shows the tunnel as it was this long ago


class VpnModel:
    """In-memory VPN connections on one clock; every tunnel status change is kept."""

    def reported_state(self, conn: ConnectionModel, now: float) -> str:
        """The connection's State as EC2 reports it at `now`."""
        s = self.settings
        window = s.modify_seconds if s.modifying_seconds is None else s.modifying_seconds
        return conn.reported_state(now, window)

    def __init__(self, clock: Clock | None = None, settings: StandInSettings | None = None) -> None:
        self.clock: Clock = clock or RealClock()
        self.settings = settings or StandInSettings()
        self._connections: dict[str, ConnectionModel] = {}
        # DescribeRegions: (RegionName, OptInStatus); the default answer lists the enabled ones
        # (opt-in-not-required, opted-in), AllRegions=true every one.
        self.regions: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._ips = itertools.count(1)

    # --- scene setting --------------------------------------------------------------------

    def add_connection(
        self,
        log_options: Mapping[str, Any] | None = None,
        *,
        tunnel_log_options: list[Mapping[str, Any]] | None = None,
        vpn_connection_id: str | None = None,
        pending_seconds: float = 0.0,
        region: str | None = None,
    ) -> str:
        """Create a connection with two UP tunnels and return its id. It is `available` at
        once, or `pending` for `pending_seconds` first."""
        n = next(self._ids)
        vpn_id = vpn_connection_id or f"vpn-{n:017x}"
        now = self.clock.now()
        base = ipaddress.ip_address("198.51.100.0")
        opts = tunnel_log_options or [log_options or {"LogEnabled": False}] * 2
        first = 2 * next(self._ips)
        tunnels = []
        for i in range(2):
            ip = str(base + first + i)
            tunnels.append(TunnelModel(ip, dict(opts[i]), [(now, UP)]))
        with self._lock:
            conn = ConnectionModel(vpn_id, f"cgw-{n:017x}", f"vgw-{n:017x}", tunnels,
                                   region=region)
            if pending_seconds > 0:
                conn.states = [(now, PENDING), (now + pending_seconds, AVAILABLE)]
            self._connections[vpn_id] = conn
        return vpn_id

    def delete_connection(self, vpn_connection_id: str, deleting_seconds: float = 60.0) -> None:
        """Start deleting a connection (as DeleteVpnConnection would): `deleting`, then
        `deleted` after `deleting_seconds`."""
        with self._lock:
            conn = self._connections[vpn_connection_id]
            now = self.clock.now()
            conn.states = [s for s in conn.states if s[0] <= now]
            conn.states += [(now, DELETING), (now + deleting_seconds, DELETED)]

    def state(self, vpn_connection_id: str) -> str:
        with self._lock:
            return self.reported_state(self._connections[vpn_connection_id], self.clock.now())

    def tunnel_ips(self, vpn_connection_id: str) -> list[str]:
        return [tn.outside_ip for tn in self._connections[vpn_connection_id].tunnels]

    def set_status(self, vpn_connection_id: str, outside_ip: str, status: str) -> None:
        """A change not caused by the API (a peer going away, a PSK mismatch...)."""
        with self._lock:
            tunnel = self._tunnel(vpn_connection_id, outside_ip)
            now = self.clock.now()
            tunnel.schedule(now, [(now, status)])

    def break_tunnel(self, vpn_connection_id: str, outside_ip: str) -> None:
        """After its next modification this tunnel stays DOWN (it never comes back)."""
        with self._lock:
            self._tunnel(vpn_connection_id, outside_ip).never_recovers = True

    def schedule_maintenance(self, vpn_connection_id: str, outside_ip: str,
                             auto_applied_after: float = 14 * 86400.0,
                             description: str = "Tunnel endpoint replacement") -> None:
        """AWS has maintenance pending for this tunnel (applied by itself after the delay)."""
        with self._lock:
            tunnel = self._tunnel(vpn_connection_id, outside_ip)
            tunnel.pending_maintenance = description
            tunnel.auto_applied_after = self.clock.now() + auto_applied_after

    def lifecycle_control(self, vpn_connection_id: str, outside_ip: str) -> bool:
        with self._lock:
            return self._tunnel(vpn_connection_id, outside_ip).lifecycle_control

    def set_lifecycle_control(self, vpn_connection_id: str, outside_ip: str, on: bool) -> None:
        with self._lock:
            self._tunnel(vpn_connection_id, outside_ip).lifecycle_control = on

    def pending_maintenance(self, vpn_connection_id: str, outside_ip: str) -> str | None:
        with self._lock:
            return self._tunnel(vpn_connection_id, outside_ip).pending_maintenance

    def log_options(self, vpn_connection_id: str, outside_ip: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._tunnel(vpn_connection_id, outside_ip).log_options)

    # --- what tests assert on -------------------------------------------------------------

    def timeline(self, until: float | None = None) -> list[TimelineEvent]:
        """Every true tunnel status change up to `until` (default: now), in time order."""
        limit = self.clock.now() if until is None else until
        with self._lock:
            events = [
                TimelineEvent(when, conn.vpn_connection_id, tn.outside_ip, status)
                for conn in self._connections.values()
                for tn in conn.tunnels
                for when, status in tn.transitions
                if when <= limit
            ]
        return sorted(events, key=lambda e: (e.time, e.vpn_connection_id, e.outside_ip))

    def double_down_seconds(self, vpn_connection_id: str | None = None,
                            until: float | None = None) -> float:
        """Total time both tunnels of a connection were DOWN at once (summed over connections)."""
        limit = self.clock.now() if until is None else until
        total = 0.0
        with self._lock:
            conns = [c for c in self._connections.values()
                     if vpn_connection_id in (None, c.vpn_connection_id)]
            for conn in conns:
                cuts = sorted({when for tn in conn.tunnels for when, _ in tn.transitions
                               if when < limit} | {limit})
                for start, end in itertools.pairwise(cuts):
                    if all(tn.status_at(start)[0] == DOWN for tn in conn.tunnels):
                        total += end - start
        return total

    def _replace_tunnel(self, conn: ConnectionModel, tunnel: TunnelModel, now: float) -> None:
        """The tunnel endpoint is replaced: DOWN shortly, UP after the outage."""
        s = self.settings
        conn.modifying_until = now + s.modify_seconds
        conn.modify_seconds = s.modify_seconds
        changes = [(now + s.down_delay, DOWN)]
        if not tunnel.never_recovers:
            changes.append((now + s.down_delay + s.outage_seconds, UP))
        tunnel.schedule(now, changes)

    def _tunnel(self, vpn_connection_id: str, outside_ip: str) -> TunnelModel:
        tunnel = self._connections[vpn_connection_id].tunnel(outside_ip)
        if tunnel is None:
            raise KeyError(f"{vpn_connection_id} has no tunnel {outside_ip}")
        return tunnel
