"""An EC2 stand-in for Site-to-Site VPN tunnel options: DescribeVpnConnections,
ModifyVpnTunnelOptions, GetVpnTunnelReplacementStatus and ReplaceVpnTunnel over the real EC2
Query protocol. A test double: it lives with the tests, and the product never imports it
(tests/aws_rollout/test_standin_boundary.py checks that).

Why not moto's server: moto 5.2.5 implements none of ModifyVpnTunnelOptions,
GetVpnTunnelReplacementStatus or ReplaceVpnTunnel and returns no Options/VgwTelemetry, so every
behaviour these tests depend on (outage timing, telemetry lag, IncorrectState, maintenance)
would have to be registered on top of it anyway; building on moto would add its server and
state model without making a single answer more faithful.

Nothing here can reach AWS, and moto 5.2.5 neither implements ModifyVpnTunnelOptions nor
returns Options/VgwTelemetry (botocore's ec2 service-2.json), so the rollout engine is exercised
against this
model instead. It is a model of the service's behaviour, not a mock that answers what the code
expects: requests are parsed and responses rendered through botocore's EC2 service model
(`ec2xml`), and the behaviour follows a published walkthrough
(DevelopersIO's walkthrough of tunnel activity logs, 2022-08-20) and the API reference establish:

- a modified tunnel goes DOWN shortly after the call and comes back UP after an outage;
- a modification is applied for `modify_seconds` after the call; a second modification in that
  window fails with `IncorrectState` (one tunnel at a time). The connection's State stays
  `available` meanwhile: the service model's VpnState enum (pending, available, deleting,
  deleted) has no "modifying", and ec2xml refuses to render a value outside the enum;
- a connection can be created `pending` (it becomes `available` after `pending_seconds`) or be
  deleted (`deleting`, then `deleted`); a modification of a connection that is not
  `available` fails with `IncorrectState`. The tunnels' telemetry is not modelled through
  these states (it stays as set), which keeps the engine's State check testable on its own;
- telemetry lags: `VgwTelemetry` shows the tunnel as it was `telemetry_lag` seconds ago, so an
  UP read right after the call is stale (its LastStatusChange predates the call);
- faults: a tunnel that never comes back, a tunnel already DOWN, injected errors (throttling,
  5xx);
- EC2's request throttling, on by default: a token bucket per action with the sizes and refill
  rates of AWS's "Request throttling for the Amazon EC2 API" (table in
  gatewatch/aws_rollout/throttle.py); past it, `RequestLimitExceeded` (HTTP 503);
- BGP log options (BgpLogEnabled/BgpLogGroupArn/BgpLogOutputFormat) are kept and validated like
  the tunnel log options;
- EnableTunnelLifecycleControl: changed alone with SkipTunnelReplacement=True it costs no
  outage (what the flag is documented for); any other tunnel option change replaces the tunnel
  (outage), with or without SkipTunnelReplacement (botocore: "only applicable when turning on
  or off EnableTunnelLifecycleControl");
- tunnel endpoint maintenance: `schedule_maintenance` makes GetVpnTunnelReplacementStatus
  report PendingMaintenance and MaintenanceAutoAppliedAfter; ReplaceVpnTunnel with
  ApplyPendingMaintenance replaces the tunnel (outage like a modification) and records
  LastMaintenanceApplied. The PendingMaintenance text is not documented; this model answers
  a short description while pending and omits the field otherwise.

Modelling assumptions (not confirmed against the live service, kept explicit so they can be
revisited): the modification is accepted as finished before the tunnel has renegotiated IKE
(`modify_seconds` < `down_delay + outage_seconds` by default), which is what makes the naive
"retry the other tunnel until the service accepts it" approach overlap both outages; the new
log options show in DescribeVpnConnections right after the call; enabling logs without a
LogGroupArn is refused with InvalidParameterValue.

Reach it with real boto3 either in-process (`attach(client)`: a botocore `before-send` hook
answers with the XML, botocore parses it as if it came from the network) or over HTTP
(`serve()`: http.server on 127.0.0.1, use the URL as `endpoint_url`). Every tunnel state change
is kept so tests can prove the two tunnels of a connection were never DOWN together.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import ipaddress
import itertools
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from gatewatch.aws import facts as aws_facts
from gatewatch.aws_rollout.clock import Clock, RealClock
from gatewatch.aws_rollout.throttle import EC2_REQUEST_BUCKETS
from tests.support.standins import ec2xml, httpd

UP = "UP"
DOWN = "DOWN"
PENDING, AVAILABLE, DELETING, DELETED = "pending", "available", "deleting", "deleted"
# HTTP status the service pairs with each error code (RequestLimitExceeded is a 503 on EC2).
ERROR_STATUS = {
    "RequestLimitExceeded": 503,
    "Throttling": 400,
    "ServiceUnavailable": 503,
    "Unavailable": 503,
    "InternalError": 500,
    "DryRunOperation": 412,
    "AuthFailure": 401,  # EC2 answers a key it does not accept with 401
}


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
    # (time, VpnState) sorted; State is reported as it is (no lag, unlike telemetry).
    states: list[tuple[float, str]] = field(default_factory=list)

    def state_at(self, t: float) -> str:
        current = AVAILABLE
        for when, state in self.states:
            if when <= t:
                current = state
        return current

    def busy_at(self, t: float) -> bool:
        """A tunnel modification is still being applied (invisible in State, see module doc)."""
        return t < self.modifying_until

    def tunnel(self, outside_ip: str) -> TunnelModel | None:
        return next((tn for tn in self.tunnels if tn.outside_ip == outside_ip), None)


@dataclass(frozen=True)
class CallRecord:
    """One API call as the service saw it (tests count modify calls with these)."""

    time: float
    action: str
    vpn_connection_id: str | None
    outside_ip: str | None
    error_code: str | None
    # ModifyVpnTunnelOptions: the TunnelOptions keys sent, and SkipTunnelReplacement.
    option_keys: tuple[str, ...] = ()
    skip_replacement: bool | None = None


@dataclass(frozen=True)
class TimelineEvent:
    time: float
    vpn_connection_id: str
    outside_ip: str
    status: str


@dataclass
class _Bucket:
    """EC2-style token bucket: `capacity` burst, `refill` tokens per second."""

    capacity: float
    refill: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class StandInSettings:
    """Timings of the model, in seconds of the stand-in's clock."""

    outage_seconds: float = 300.0  # back UP about five minutes later (DevelopersIO, 2022-08-20)
    down_delay: float = 5.0  # the call returns before the tunnel actually drops
    modify_seconds: float = 240.0  # IncorrectState for another modification this long
    telemetry_lag: float = 30.0  # VgwTelemetry shows the tunnel as it was this long ago


class Ec2StandIn:
    """In-memory EC2 VPN connections behind the EC2 Query API (see module docstring)."""

    def __init__(
        self,
        clock: Clock | None = None,
        settings: StandInSettings | None = None,
        *,
        rate_limits: Mapping[str, tuple[float, float]] | None = EC2_REQUEST_BUCKETS,
    ) -> None:
        self.clock: Clock = clock or RealClock()
        self.settings = settings or StandInSettings()
        self.calls: list[CallRecord] = []
        self._connections: dict[str, ConnectionModel] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._ips = itertools.count(1)
        self._injected: dict[str, list[tuple[str, str]]] = {}
        self._buckets = {name: _Bucket(*limit) for name, limit in (rate_limits or {}).items()}
        # Last XML of each connection in DescribeVpnConnections, keyed by the value rendered.
        self._fragments: dict[str, tuple[Any, ec2xml.Fragment]] = {}

    # --- scene setting --------------------------------------------------------------------

    def add_connection(
        self,
        log_options: Mapping[str, Any] | None = None,
        *,
        tunnel_log_options: list[Mapping[str, Any]] | None = None,
        vpn_connection_id: str | None = None,
        pending_seconds: float = 0.0,
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
            conn = ConnectionModel(vpn_id, f"cgw-{n:017x}", f"vgw-{n:017x}", tunnels)
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
            return self._connections[vpn_connection_id].state_at(self.clock.now())

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

    def inject_errors(self, action: str, code: str, count: int = 1, message: str = "") -> None:
        """The next `count` calls of `action` fail with `code` before touching any state."""
        text = message or {
            "RequestLimitExceeded": "Request limit exceeded.",
            "InternalError": "An internal error has occurred.",
        }.get(code, code)
        with self._lock:
            self._injected.setdefault(action, []).extend([(code, text)] * count)

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

    def calls_by_action(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.action] = counts.get(call.action, 0) + 1
        return counts

    def log_options(self, vpn_connection_id: str, outside_ip: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._tunnel(vpn_connection_id, outside_ip).log_options)

    # --- what tests assert on -------------------------------------------------------------

    def modify_calls(self, vpn_connection_id: str | None = None,
                     action: str = "ModifyVpnTunnelOptions") -> list[CallRecord]:
        """Accepted ModifyVpnTunnelOptions (or `action`) calls (rejected ones changed nothing)."""
        return [
            c
            for c in self.calls
            if c.action == action
            and c.error_code is None
            and vpn_connection_id in (None, c.vpn_connection_id)
        ]

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

    # --- the API --------------------------------------------------------------------------

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        """Answer one EC2 Query request: (HTTP status, XML body)."""
        request_id = str(uuid.uuid4())
        action = params.get("Action", "")
        with self._lock:
            now = self.clock.now()
            vpn_id = params.get("VpnConnectionId") or params.get("VpnConnectionId.1")
            outside_ip = params.get("VpnTunnelOutsideIpAddress")
            keys = tuple(sorted({k.split(".")[1] for k in params
                                 if k.startswith("TunnelOptions.")}))
            skip = params.get("SkipTunnelReplacement")
            extra: dict[str, Any] = {"option_keys": keys,
                                     "skip_replacement": None if skip is None else skip == "true"}
            try:
                output = self._dispatch(action, params, now)
            except ec2xml.QueryError as err:
                self.calls.append(CallRecord(now, action, vpn_id, outside_ip, err.code, **extra))
                status = ERROR_STATUS.get(err.code, err.status)
                return status, ec2xml.render_error(err.code, err.message, request_id)
            self.calls.append(CallRecord(now, action, vpn_id, outside_ip, None, **extra))
            return 200, ec2xml.render_response(action, output, request_id)

    def _dispatch(self, action: str, params: Mapping[str, str], now: float) -> dict[str, Any]:
        injected = self._injected.get(action)
        if injected:
            code, message = injected.pop(0)
            raise ec2xml.QueryError(code, message)
        bucket = self._buckets.get(action)
        if bucket is not None and not bucket.take(now):
            raise ec2xml.QueryError("RequestLimitExceeded", "Request limit exceeded.")
        action, request = ec2xml.parse_request(params)
        if action == "DescribeVpnConnections":
            return self._describe(request, now)
        if action == "ModifyVpnTunnelOptions":
            return self._modify(request, now)
        if action == "GetVpnTunnelReplacementStatus":
            return self._replacement_status(request)
        if action == "ReplaceVpnTunnel":
            return self._replace(request, now)
        raise ec2xml.QueryError("InvalidAction", f"The action {action} is not supported here.")

    def _describe(self, request: Mapping[str, Any], now: float) -> dict[str, Any]:
        ids = request.get("VpnConnectionIds") or list(self._connections)
        missing = [i for i in ids if i not in self._connections]
        if missing:
            raise ec2xml.QueryError(
                "InvalidVpnConnectionID.NotFound",
                f"The vpnConnection ID '{missing[0]}' does not exist",
            )
        conns = [self._connections[i] for i in ids]
        for flt in request.get("Filters", []):
            name, values = flt.get("Name"), set(flt.get("Values", []))
            if name == "vpn-connection-id":
                conns = [c for c in conns if c.vpn_connection_id in values]
            elif name == "state":
                conns = [c for c in conns if c.state_at(now) in values]
            else:
                raise ec2xml.QueryError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        return {"VpnConnections": [self._rendered(c, now) for c in conns]}

    def _target(self, request: Mapping[str, Any]) -> tuple[ConnectionModel, TunnelModel]:
        vpn_id = request["VpnConnectionId"]
        conn = self._connections.get(vpn_id)
        if conn is None:
            raise ec2xml.QueryError(
                "InvalidVpnConnectionID.NotFound", f"The vpnConnection ID '{vpn_id}' does not exist"
            )
        ip = request["VpnTunnelOutsideIpAddress"]
        tunnel = conn.tunnel(ip)
        if tunnel is None:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"The VPN tunnel outside IP address {ip} does not belong to {vpn_id}.",
            )
        return conn, tunnel

    def _replacement_status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        details: dict[str, Any] = {}
        if tunnel.pending_maintenance:
            details["PendingMaintenance"] = tunnel.pending_maintenance
            if tunnel.auto_applied_after is not None:
                details["MaintenanceAutoAppliedAfter"] = _stamp(tunnel.auto_applied_after)
        if tunnel.last_maintenance_applied is not None:
            details["LastMaintenanceApplied"] = _stamp(tunnel.last_maintenance_applied)
        return {"VpnConnectionId": conn.vpn_connection_id,
                "CustomerGatewayId": conn.customer_gateway_id,
                "VpnGatewayId": conn.vpn_gateway_id,
                "VpnTunnelOutsideIpAddress": tunnel.outside_ip,
                "MaintenanceDetails": details}

    def _replace(self, request: Mapping[str, Any], now: float) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        self._check_modifiable(conn, now)
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        if request.get("ApplyPendingMaintenance") and tunnel.pending_maintenance:
            tunnel.pending_maintenance = None
            tunnel.auto_applied_after = None
            tunnel.last_maintenance_applied = now
        self._replace_tunnel(conn, tunnel, now)
        return {"Return": True}

    def _replace_tunnel(self, conn: ConnectionModel, tunnel: TunnelModel, now: float) -> None:
        """The tunnel endpoint is replaced: DOWN shortly, UP after the outage."""
        s = self.settings
        conn.modifying_until = now + s.modify_seconds
        changes = [(now + s.down_delay, DOWN)]
        if not tunnel.never_recovers:
            changes.append((now + s.down_delay + s.outage_seconds, UP))
        tunnel.schedule(now, changes)

    def _check_modifiable(self, conn: ConnectionModel, now: float) -> None:
        vpn_id = conn.vpn_connection_id
        state = conn.state_at(now)
        if state != AVAILABLE:
            raise ec2xml.QueryError(
                "IncorrectState",
                f"The VPN connection {vpn_id} is in state {state}; it cannot be modified.",
            )
        if conn.busy_at(now):
            raise ec2xml.QueryError(
                "IncorrectState",
                f"The VPN connection {vpn_id} is currently being modified; "
                "only one tunnel can be modified at a time.",
            )

    def _modify(self, request: Mapping[str, Any], now: float) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        self._check_modifiable(conn, now)
        options = request["TunnelOptions"]
        cw = options.get("LogOptions", {}).get("CloudWatchLogOptions", {})
        self._validate_log_options(cw, "")
        self._validate_log_options(cw, "Bgp")
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        tunnel.log_options.update(cw)
        for prefix in ("", "Bgp"):
            if cw.get(f"{prefix}LogEnabled") is False and f"{prefix}LogGroupArn" not in cw:
                tunnel.log_options.pop(f"{prefix}LogGroupArn", None)
        if "EnableTunnelLifecycleControl" in options:
            tunnel.lifecycle_control = bool(options["EnableTunnelLifecycleControl"])
        lifecycle_only = set(options) == {"EnableTunnelLifecycleControl"}
        if not (lifecycle_only and request.get("SkipTunnelReplacement")):
            self._replace_tunnel(conn, tunnel, now)
        return {"VpnConnection": self._render(conn, now)}

    @staticmethod
    def _validate_log_options(cw: Mapping[str, Any], prefix: str) -> None:
        fmt = cw.get(f"{prefix}LogOutputFormat")
        if fmt is not None and fmt not in aws_facts.AWS_LOG_OUTPUT_FORMATS:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"Invalid value '{fmt}' for {prefix}LogOutputFormat. "
                f"Valid values: {', '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)}.",
            )
        arn = cw.get(f"{prefix}LogGroupArn")
        if arn is not None and not aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(arn):
            raise ec2xml.QueryError(
                "InvalidParameterValue", f"Invalid CloudWatch Logs log group ARN: {arn}"
            )
        if cw.get(f"{prefix}LogEnabled") and not arn:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"{prefix}LogGroupArn is required when {prefix}LogEnabled is true.",
            )

    def _rendered(self, conn: ConnectionModel, now: float) -> ec2xml.Fragment:
        """The connection as DescribeVpnConnections XML. Rendered from `_facts` only, so the
        last rendering is reused while the facts are unchanged (a poll of hundreds of
        connections mostly repeats its last answer); changed facts render afresh."""
        facts_now = self._facts(conn, now)
        cached = self._fragments.get(conn.vpn_connection_id)
        if cached is None or cached[0] != facts_now:
            shape = ec2xml.output_shape("DescribeVpnConnections", "VpnConnections")
            value = self._render_facts(conn, facts_now)
            cached = self._fragments[conn.vpn_connection_id] = (
                facts_now, ec2xml.fragment(shape, value))
        return cached[1]

    def _facts(self, conn: ConnectionModel, now: float) -> tuple[Any, ...]:
        """Everything in a connection's answer that can change over time (its ids and tunnel
        IPs never do): State, and per tunnel the telemetry as seen `telemetry_lag` ago, the
        log options (with their types: True and 1 render differently) and lifecycle control."""
        seen_at = now - self.settings.telemetry_lag
        return (conn.state_at(now), tuple(
            (*tn.status_at(seen_at),
             tuple((k, type(v), v) for k, v in tn.log_options.items()),
             tn.lifecycle_control)
            for tn in conn.tunnels))

    def _render(self, conn: ConnectionModel, now: float) -> dict[str, Any]:
        return self._render_facts(conn, self._facts(conn, now))

    def _render_facts(self, conn: ConnectionModel, facts_now: tuple[Any, ...]) -> dict[str, Any]:
        """A connection in boto3's output shape; ec2xml checks every key against the model.
        Reads nothing that can change except through `facts_now` (see `_facts`)."""
        state, tunnel_facts = facts_now
        telemetry = []
        tunnel_options = []
        for i, (tn, (status, since, log_options, lifecycle)) in enumerate(
                zip(conn.tunnels, tunnel_facts, strict=True)):
            telemetry.append({
                "AcceptedRouteCount": 0,
                "LastStatusChange": dt.datetime.fromtimestamp(since, tz=dt.UTC),
                "OutsideIpAddress": tn.outside_ip,
                "Status": status,
                "StatusMessage": "" if status == UP else "IPSEC IS DOWN",
            })
            tunnel_options.append({
                "OutsideIpAddress": tn.outside_ip,
                "TunnelInsideCidr": f"169.254.{10 + i}.0/30",
                "DpdTimeoutSeconds": 30,
                "DpdTimeoutAction": "clear",
                "StartupAction": "add",
                "IkeVersions": [{"Value": "ikev1"}, {"Value": "ikev2"}],
                "LogOptions": {"CloudWatchLogOptions": {k: v for k, _, v in log_options}},
                "EnableTunnelLifecycleControl": lifecycle,
            })
        return {
            "VpnConnectionId": conn.vpn_connection_id,
            "State": state,
            "Type": "ipsec.1",
            "Category": "VPN",
            "CustomerGatewayId": conn.customer_gateway_id,
            "VpnGatewayId": conn.vpn_gateway_id,
            "GatewayAssociationState": "associated",
            "Options": {
                "EnableAcceleration": False,
                "StaticRoutesOnly": False,
                "TunnelInsideIpVersion": "ipv4",
                "OutsideIpAddressType": "PublicIpv4",
                "TunnelOptions": tunnel_options,
            },
            "Routes": [],
            "Tags": [],
            "VgwTelemetry": telemetry,
        }

    def _tunnel(self, vpn_connection_id: str, outside_ip: str) -> TunnelModel:
        tunnel = self._connections[vpn_connection_id].tunnel(outside_ip)
        if tunnel is None:
            raise KeyError(f"{vpn_connection_id} has no tunnel {outside_ip}")
        return tunnel

    # --- transports -----------------------------------------------------------------------

    def attach(self, client: Any) -> Any:
        """Answer this boto3 EC2 client's requests in-process; returns the client.

        botocore emits `before-send` with the signed request; a non-None response there is
        used instead of the network, then parsed by botocore's EC2 parser as usual.
        """
        def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
            status, body = self.handle(_params_of(request))
            headers = {"Content-Type": "text/xml;charset=UTF-8", "Content-Length": str(len(body))}
            return AWSResponse(request.url, status, headers, _RawBody(body))

        client.meta.events.register("before-send.ec2", before_send)
        return client

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve the API on http://127.0.0.1:PORT in a thread; yields the endpoint URL."""
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        with httpd.serving(server, name="ec2-standin") as url:
            yield url


def _stamp(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


class _RawBody:
    """The `raw` object botocore reads an AWSResponse body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _params_of(request: AWSPreparedRequest) -> dict[str, str]:
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    text = body.decode() if isinstance(body, bytes) else str(body)
    params = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _handler_for(standin: Ec2StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(httpd.Handler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else every response waits out a delayed ACK

        def do_POST(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            params.update(parse_qsl(self.body().decode(), keep_blank_values=True))
            self._answer(*standin.handle(params))

        def do_GET(self) -> None:
            self._answer(*standin.handle(dict(parse_qsl(urlsplit(self.path).query))))

        def _answer(self, status: int, body: bytes) -> None:
            self.reply(status, body, "text/xml;charset=UTF-8")

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve a stand-in with a few connections for trying the CLI by hand (real clock)."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.standins.ec2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds a tunnel stays DOWN")
    parser.add_argument("--lag", type=float, default=1.0, help="telemetry lag, seconds")
    args = parser.parse_args(argv)
    settings = StandInSettings(
        outage_seconds=args.outage, down_delay=min(1.0, args.outage / 4),
        modify_seconds=args.outage * 0.8, telemetry_lag=args.lag,
    )
    standin = Ec2StandIn(RealClock(), settings)
    ids = [standin.add_connection() for _ in range(args.connections)]
    with standin.serve(args.port) as url:
        print(f"EC2 stand-in at {url}; connections: {' '.join(ids)}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
