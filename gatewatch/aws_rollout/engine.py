"""Roll tunnel activity log options out to AWS Site-to-Site VPN connections, one tunnel at a time.

Why this exists: changing a tunnel option takes that tunnel DOWN for about five minutes
(seed 003), and terraform/pulumi-aws update tunnel 1 and tunnel 2 in one apply without waiting
for the first to come back (FIELD-NOTES.md). This engine changes one tunnel, waits until the
service reports it UP again *after* the change, and only then touches the other, so a
connection always keeps one working tunnel. Rules, in the order they are applied per tunnel:

1. a tunnel whose log options already match is skipped (no needless outage). If it matches
   but is DOWN, an earlier run was interrupted mid-change: wait for it rather than fail;
2. a tunnel is never changed while the other tunnel of its connection is not UP. If the other
   tunnel already has the new options it is recovering from our own earlier change, so wait
   for it; otherwise stop and say so, touching nothing;
3. after the change, wait for an UP whose LastStatusChange is newer than the call: telemetry
   lags, so an UP read right after the call is stale. On timeout, stop: the other tunnel is
   left as it was.
4. a tunnel is only modified while its connection's State is `available`: while `pending` the
   engine waits (within the timeout), and a `deleting`/`deleted` (or unknown) connection stops
   the rollout of that connection with nothing modified.

Connections are independent and run in parallel (bounded thread pool); the two tunnels of one
connection never do. A rerun after any interruption finishes the job, because done tunnels
match and are skipped. Plain boto3; the clock is passed in so tests and the benchmark run this
exact code in simulated time. Throttling, 5xx and IncorrectState are retried with exponential
backoff through that clock; an endpoint that cannot be reached at all is given only
`Backoff.connect_attempts` tries, so a wrong endpoint is reported in seconds.

Residual risk, stated so nobody relies on more: if a run is killed right after a change and
rerun before the service reports that tunnel DOWN (telemetry lag) *and* after the service
stopped answering IncorrectState, the rerun cannot see the change in flight. The service's
modification window normally covers the lag.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import functools
import ipaddress
import math
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import boto3
from botocore.config import Config

from gatewatch.aws import facts as aws_facts
from gatewatch.aws_rollout.clock import Clock, RealClock, WorkerAwareClock
from gatewatch.aws_rollout.retry import (
    Backoff,
    describe_error,
    error_code,
    is_connect_error,
    is_retryable,
)
from gatewatch.aws_rollout.throttle import DESCRIBE_CHUNK, Pacer, throttle_parallelism

UP = "UP"
LOG_FORMATS = aws_facts.AWS_LOG_OUTPUT_FORMATS
# VpnConnection.State (the service model's VpnState enum). Only an available connection is
# modified: a pending one is waited for, a deleting or deleted one stops the rollout.
AVAILABLE = "available"
PENDING = "pending"

# botocore retries would sleep with time.sleep behind the engine's back; the engine retries.
# A short connect timeout: an unreachable endpoint should fail in seconds, not minutes.
NO_SDK_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1},
                        connect_timeout=10)


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
class LogOptions:
    """Desired options for every tunnel: tunnel activity logs, BGP logs, lifecycle control.

    All of them go into ONE ModifyVpnTunnelOptions call per tunnel, because every tunnel-option
    change costs that tunnel an outage (`CloudWatchLogOptionsSpecification` carries LogEnabled,
    LogGroupArn, LogOutputFormat and BgpLogEnabled, BgpLogGroupArn, BgpLogOutputFormat in
    botocore's EC2 model). `bgp_log_enabled` None leaves BGP logs unmanaged (neither compared
    nor sent); `lifecycle_control` None leaves EnableTunnelLifecycleControl alone.
    """

    log_enabled: bool
    log_group_arn: str | None = None
    log_output_format: str = "json"
    bgp_log_enabled: bool | None = None
    bgp_log_group_arn: str | None = None  # None with BGP logs on: the tunnel log group
    bgp_log_output_format: str = "json"
    lifecycle_control: bool | None = None

    def __post_init__(self) -> None:
        for name in ("log_output_format", "bgp_log_output_format"):
            if getattr(self, name) not in LOG_FORMATS:
                raise ValueError(
                    f"{name} must be {' or '.join(LOG_FORMATS)}, not {getattr(self, name)!r}"
                )
        if self.log_enabled and not self.log_group_arn:
            raise ValueError("log_group_arn is required when log_enabled is True")
        if self.bgp_log_enabled and not self.bgp_group:
            raise ValueError("bgp_log_group_arn (or log_group_arn) is required for BGP logs")

    @property
    def bgp_group(self) -> str | None:
        return self.bgp_log_group_arn or self.log_group_arn

    def to_api(self) -> dict[str, Any]:
        """`TunnelOptions.LogOptions.CloudWatchLogOptions` for ModifyVpnTunnelOptions."""
        spec: dict[str, Any] = {"LogEnabled": self.log_enabled}
        if self.log_enabled:
            spec["LogGroupArn"] = self.log_group_arn
            spec["LogOutputFormat"] = self.log_output_format
        if self.bgp_log_enabled is not None:
            spec["BgpLogEnabled"] = self.bgp_log_enabled
            if self.bgp_log_enabled:
                spec["BgpLogGroupArn"] = self.bgp_group
                spec["BgpLogOutputFormat"] = self.bgp_log_output_format
        return spec

    def matches(self, current: Mapping[str, Any]) -> bool:
        """Whether a tunnel's current CloudWatchLogOptions (tunnel AND BGP) already are these.

        The ARN is compared without a trailing ":*" (describe-log-groups prints that form, the
        VPN API takes either): a cosmetic difference must not cost a five-minute outage.
        """
        if not _same_logs(current, "", self.log_enabled, self.log_group_arn,
                          self.log_output_format):
            return False
        if self.bgp_log_enabled is None:
            return True
        return _same_logs(current, "Bgp", self.bgp_log_enabled, self.bgp_group,
                          self.bgp_log_output_format)

    def lifecycle_matches(self, current: bool | None) -> bool:
        return self.lifecycle_control is None or bool(current) == self.lifecycle_control

    def describe(self) -> str:
        parts = [f"tunnel logs enabled ({self.log_output_format}) to {self.log_group_arn}"
                 if self.log_enabled else "tunnel logs disabled"]
        same = (self.log_enabled and self.bgp_log_enabled
                and _bare_arn(self.bgp_group) == _bare_arn(self.log_group_arn)
                and self.bgp_log_output_format == self.log_output_format)
        if same:
            parts = [f"tunnel and BGP logs enabled ({self.log_output_format}) to "
                     f"{self.log_group_arn}"]
        elif self.bgp_log_enabled is not None:
            parts.append(f"BGP logs enabled ({self.bgp_log_output_format}) to {self.bgp_group}"
                         if self.bgp_log_enabled else "BGP logs disabled")
        if self.lifecycle_control is not None:
            parts.append(f"lifecycle control {'on' if self.lifecycle_control else 'off'}")
        return ", ".join(parts)


def _same_logs(current: Mapping[str, Any], prefix: str, enabled: bool, arn: str | None,
               fmt: str) -> bool:
    on = bool(current.get(f"{prefix}LogEnabled", False))
    if not enabled:
        return not on
    return (on and _bare_arn(current.get(f"{prefix}LogGroupArn")) == _bare_arn(arn)
            and current.get(f"{prefix}LogOutputFormat", "json") == fmt)


def _bare_arn(arn: Any) -> str | None:
    if not arn:
        return None
    text = str(arn)
    return text[:-2] if text.endswith(":*") else text


@dataclass(frozen=True)
class RolloutSettings:
    timeout: float = 900.0  # per wait for a tunnel to be UP; seed 003 saw about 300 s
    poll_interval: float = 15.0
    # None: as many connections as EC2's request throttle allows (throttle_parallelism):
    # polling is batched, so reads per interval do not grow with N, and mutating calls are
    # paced; safety is per connection, so nothing is gained by queueing connections.
    max_parallel: int | None = None
    backoff: Backoff = field(default_factory=Backoff)
    describe_chunk: int = DESCRIBE_CHUNK

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.poll_interval <= 0:
            raise ValueError("timeout and poll_interval must be positive")
        if self.max_parallel is not None and self.max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")

    def parallelism(self, count: int) -> int:
        limit = self.max_parallel or throttle_parallelism(self.poll_interval, self.describe_chunk)
        return max(1, min(limit, count))


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


class RolloutStopped(Exception):
    """The rollout of one connection stopped; the message names the tunnel and the reason."""


class RolloutCancelled(Exception):
    """Another worker failed unexpectedly or the user interrupted; stop between steps."""


# --- reading the service ----------------------------------------------------------------------


@dataclass(frozen=True)
class TunnelView:
    outside_ip: str
    log_options: Mapping[str, Any]
    status: str  # UP, DOWN, or UNKNOWN when VgwTelemetry has no entry for this IP
    last_status_change: float | None  # epoch seconds
    status_message: str = ""
    lifecycle_control: bool | None = None  # TunnelOption.EnableTunnelLifecycleControl


@dataclass(frozen=True)
class ConnectionView:
    vpn_connection_id: str
    state: str
    tunnels: tuple[TunnelView, ...]


def _ip_key(ip: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(ip)
    return addr.version, int(addr)


def _epoch(value: Any) -> float | None:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return None


def connection_view(raw: Mapping[str, Any]) -> ConnectionView:
    """One `VpnConnections[]` entry of DescribeVpnConnections, tunnels sorted by outside IP.

    Sorting by address keeps "tunnel 1" the same tunnel across runs whatever order the API
    lists them in.
    """
    telemetry = {t.get("OutsideIpAddress"): t for t in raw.get("VgwTelemetry", [])}
    tunnels = []
    for opt in raw.get("Options", {}).get("TunnelOptions", []):
        ip = opt["OutsideIpAddress"]
        tel = telemetry.get(ip, {})
        tunnels.append(TunnelView(
            outside_ip=ip,
            log_options=opt.get("LogOptions", {}).get("CloudWatchLogOptions", {}),
            status=str(tel.get("Status", "UNKNOWN")),
            last_status_change=_epoch(tel.get("LastStatusChange")),
            status_message=str(tel.get("StatusMessage", "")),
            lifecycle_control=opt.get("EnableTunnelLifecycleControl"),
        ))
    tunnels.sort(key=lambda t: _ip_key(t.outside_ip))
    return ConnectionView(raw["VpnConnectionId"], str(raw.get("State", "")), tuple(tunnels))


@dataclass(frozen=True)
class MaintenanceView:
    """A tunnel's MaintenanceDetails (GetVpnTunnelReplacementStatus)."""

    outside_ip: str
    pending: str | None  # PendingMaintenance; None when absent, empty or "None"
    auto_applied_after: float | None  # MaintenanceAutoAppliedAfter, epoch seconds
    last_applied: float | None  # LastMaintenanceApplied


def maintenance_view(outside_ip: str, details: Mapping[str, Any]) -> MaintenanceView:
    """The service model types PendingMaintenance as a free string ("Verify existence of a
    pending maintenance") without listing values; absent, empty and "None" mean none pending."""
    pending = str(details.get("PendingMaintenance") or "").strip()
    return MaintenanceView(
        outside_ip,
        pending if pending and pending.lower() != "none" else None,
        _epoch(details.get("MaintenanceAutoAppliedAfter")),
        _epoch(details.get("LastMaintenanceApplied")),
    )


@dataclass(frozen=True)
class ConnectionStatus:
    view: ConnectionView
    maintenance: tuple[MaintenanceView, ...]  # in the order of view.tunnels


@dataclass(frozen=True)
class TimeWindow:
    """A daily UTC window `HH:MM-HH:MM` (may wrap past midnight) in which maintenance starts."""

    start_minute: int
    end_minute: int

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        """Raise ValueError naming the expected form."""
        try:
            start, end = text.split("-")
            minutes = []
            for part in (start, end):
                hh, mm = part.strip().split(":")
                if not (hh.isdigit() and mm.isdigit() and len(mm) == 2):
                    raise ValueError
                h, m = int(hh), int(mm)
                if not (0 <= h <= 23 and 0 <= m <= 59):
                    raise ValueError
                minutes.append(h * 60 + m)
        except ValueError:
            raise ValueError(f"{text!r} is not a UTC time window; expected HH:MM-HH:MM, "
                             "e.g. 02:00-05:00") from None
        if minutes[0] == minutes[1]:
            raise ValueError(f"{text!r} is an empty window; start and end must differ")
        return cls(minutes[0], minutes[1])

    def contains(self, epoch: float) -> bool:
        t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
        minute = t.hour * 60 + t.minute
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute

    def __str__(self) -> str:
        return (f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}-"
                f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d} UTC")


def make_ec2_client(region: str, endpoint_url: str | None = None) -> Any:
    """A boto3 EC2 client with SDK retries off (the engine retries through its clock)."""
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint_url, config=NO_SDK_RETRIES)


@dataclass(frozen=True)
class Ec2ClientSpec:
    """A picklable recipe for the client: a Pulumi dynamic provider is pickled, a client is not."""

    region: str
    endpoint_url: str | None = None

    def __call__(self) -> Any:
        return make_ec2_client(self.region, self.endpoint_url)


def format_time(epoch: float | None) -> str:
    if epoch is None:
        return "unknown time"
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the engine -------------------------------------------------------------------------------


class NotEc2Response(Exception):
    """A 200 answer that is not an EC2 response (botocore parses such bodies leniently, so an
    HTML page would otherwise read as "no connections")."""


def _require_ec2(raw: Mapping[str, Any]) -> None:
    meta = raw.get("ResponseMetadata", {})
    kind = str(meta.get("HTTPHeaders", {}).get("content-type", ""))
    if not meta.get("RequestId") or "html" in kind.lower():
        raise NotEc2Response(
            f"the endpoint answered HTTP {meta.get('HTTPStatusCode', '?')} "
            f"({kind or 'no content type'}) without an EC2 request id: not an EC2 endpoint; "
            "check --endpoint-url / ec2EndpointUrl and the region")


class UnknownConnections(Exception):
    """Ids DescribeVpnConnections does not know: bad input, refused before anything changes."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        super().__init__(
            f"unknown VPN connection id{'s' if len(ids) > 1 else ''}: {', '.join(ids)} "
            "(not found by DescribeVpnConnections in this region); nothing was touched. "
            "Check the ids and --region."
        )


@dataclass
class _Entry:
    view: ConnectionView | None  # None: the id was not in the answer
    at: float  # clock reading when the read that produced it started
    seq: int  # run-wide call sequence number when that read started


@dataclass
class _Run:
    """State of one run(): the live client stays here, never on the (picklable) engine."""

    client: Any
    stop: threading.Event
    rng: random.Random
    pacer: Pacer
    origin: float  # polls are aligned to origin + k * poll_interval, for every connection
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When work on (connection, tunnel) began (tunnel 0: the connection as a whole), so every
    # progress line, retries included, can say how long that work has been going on.
    started: dict[tuple[str, int], float] = field(default_factory=dict)
    # Batched polling: the last read of each connection, the connections in flight, and the
    # sequence number of each connection's last mutating call (a read must be newer).
    cache: dict[str, _Entry] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    mutated: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    poll_lock: threading.Lock = field(default_factory=threading.Lock)
    retry_at: float = float("-inf")
    read_failures: int = 0
    tokens_held: int = 0  # DescribeVpnConnections tokens booked for the next batched read

    def begin(self, vpn_id: str, n: int, now: float) -> float:
        with self.lock:
            return self.started.setdefault((vpn_id, n), now)

    def since(self, vpn_id: str, n: int, now: float) -> float:
        with self.lock:
            began = self.started.get((vpn_id, n), self.started.get((vpn_id, 0), now))
        return max(0.0, now - began)

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq


class RolloutEngine:
    """Apply `options` to both tunnels of each connection (see module docstring for the rules).

    `ec2` is a boto3 EC2 client or a zero-argument factory for one (e.g. Ec2ClientSpec); a
    factory is called once per run, so the engine holds no live client between runs. Clients
    passed in should have SDK retries off (NO_SDK_RETRIES), or botocore will sleep in real time.
    """

    def __init__(
        self,
        ec2: Any,
        options: LogOptions,
        settings: RolloutSettings | None = None,
        clock: Clock | None = None,
        progress: ProgressCallback | None = None,
        seed: int | None = None,
    ) -> None:
        self.ec2 = ec2
        self.options = options
        self.settings = settings or RolloutSettings()
        self.clock: Clock = clock or RealClock()
        self.progress = progress
        self.seed = seed

    # public -------------------------------------------------------------------------------

    def run(self, vpn_connection_ids: Iterable[str]) -> RolloutResult:
        """Roll the options out. Every id is checked first (one batched read): an unknown id
        raises UnknownConnections before any tunnel is touched."""
        return self._run_all(vpn_connection_ids, self._connection)

    def apply_maintenance(self, vpn_connection_ids: Iterable[str],
                          window: TimeWindow | None = None) -> RolloutResult:
        """Apply pending tunnel endpoint maintenance (ReplaceVpnTunnel with
        ApplyPendingMaintenance) with the rollout's safety: one tunnel at a time, only while
        the other tunnel is UP, waiting for a fresh UP after; nothing starts outside `window`."""
        return self._run_all(vpn_connection_ids,
                             functools.partial(self._maintain_connection, window=window))

    def _new_run(self) -> _Run:
        return _Run(self._client(), threading.Event(), random.Random(self.seed),
                    Pacer(self.clock), self.clock.now())

    def _run_all(self, vpn_connection_ids: Iterable[str],
                 per_connection: Callable[[_Run, str], ConnectionResult]) -> RolloutResult:
        ids = list(dict.fromkeys(vpn_connection_ids))  # de-duplicate, keep order
        if not ids:
            return RolloutResult([])
        run = self._new_run()
        try:
            self._prefetch(run, ids)  # raises UnknownConnections: nothing touched yet
        except RolloutStopped as stop:  # could not read them at all: every connection says so
            for vpn_id in ids:
                self._emit(vpn_id, 0, None, "failed", None, 0.0, str(stop))
            return RolloutResult([ConnectionResult(i, error=str(stop)) for i in ids])
        workers = self.settings.parallelism(len(ids))
        queue = deque(ids)
        results: dict[str, ConnectionResult] = {}
        aware = self.clock if isinstance(self.clock, WorkerAwareClock) else None
        if aware is not None:
            aware.reserve(workers)
        with cf.ThreadPoolExecutor(workers, thread_name_prefix="tunnel-rollout") as pool:
            futures = [pool.submit(self._worker, run, queue, results, aware, per_connection)
                       for _ in range(workers)]
            try:
                cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
                if any(f.done() and f.exception() is not None for f in futures):
                    # A bug or an interrupting callback in one worker: make the others stop at
                    # their next step, so nothing new gets modified. Tunnels mid-change are
                    # left for a rerun, which waits for them.
                    run.stop.set()
                cf.wait(futures)
            except BaseException:  # KeyboardInterrupt while waiting: same, then re-raise
                run.stop.set()
                for f in futures:
                    if f.cancel() and aware is not None:
                        aware.release()  # its slot was reserved but it never ran
                raise
        errors = [e for f in futures if (e := f.exception()) is not None]
        if errors:
            raise next((e for e in errors if not isinstance(e, RolloutCancelled)), errors[0])
        return RolloutResult([results[i] for i in ids])

    def read(self, vpn_connection_ids: Sequence[str]) -> list[ConnectionView]:
        """Current options and telemetry of the connections; UnknownConnections for ids the
        service does not know."""
        ids = list(dict.fromkeys(vpn_connection_ids))
        run = self._new_run()
        self._prefetch(run, ids)
        return [e.view for i in ids if (e := run.cache[i]).view is not None]

    def status(self, vpn_connection_ids: Sequence[str]) -> list[ConnectionStatus]:
        """`read` plus each tunnel's MaintenanceDetails (GetVpnTunnelReplacementStatus)."""
        ids = list(dict.fromkeys(vpn_connection_ids))
        run = self._new_run()
        self._prefetch(run, ids)
        out = []
        for vpn_id in ids:
            view = run.cache[vpn_id].view
            assert view is not None  # _prefetch refused unknown ids
            maintenance = tuple(self._maintenance(run, vpn_id, n, t.outside_ip)
                                for n, t in enumerate(view.tunnels, 1))
            out.append(ConnectionStatus(view, maintenance))
        return out

    # per connection -----------------------------------------------------------------------

    def _client(self) -> Any:
        return self.ec2 if hasattr(self.ec2, "describe_vpn_connections") else self.ec2()

    def _worker(self, run: _Run, queue: deque[str], results: dict[str, ConnectionResult],
                aware: WorkerAwareClock | None,
                per_connection: Callable[[_Run, str], ConnectionResult]) -> None:
        """One pool thread: take connections off the queue until it is empty."""
        try:
            while not run.stop.is_set():
                with run.lock:
                    if not queue:
                        return
                    vpn_id = queue.popleft()
                    run.active.add(vpn_id)
                try:
                    result = per_connection(run, vpn_id)
                finally:
                    with run.lock:
                        run.active.discard(vpn_id)
                with run.lock:
                    results[vpn_id] = result
        finally:
            if aware is not None:
                aware.release()

    def _two_tunnels(self, run: _Run, vpn_id: str) -> list[str]:
        view = self._describe(run, vpn_id, 0, None)
        if len(view.tunnels) != 2:
            raise RolloutStopped(
                f"{vpn_id}: expected 2 tunnels in Options.TunnelOptions, found "
                f"{len(view.tunnels)}; nothing was touched."
            )
        return [t.outside_ip for t in view.tunnels]

    def _connection(self, run: _Run, vpn_id: str) -> ConnectionResult:
        return self._per_tunnel(run, vpn_id, self._tunnel)

    def _maintain_connection(self, run: _Run, vpn_id: str,
                             window: TimeWindow | None) -> ConnectionResult:
        return self._per_tunnel(run, vpn_id,
                                functools.partial(self._maintain_tunnel, window=window))

    def _per_tunnel(self, run: _Run, vpn_id: str,
                    step: Callable[[_Run, str, int, list[str]], TunnelResult]) -> ConnectionResult:
        result = ConnectionResult(vpn_id)
        run.begin(vpn_id, 0, self.clock.now())
        try:
            ips = self._two_tunnels(run, vpn_id)
            for index in (0, 1):
                try:
                    result.tunnels.append(step(run, vpn_id, index, ips))
                except RolloutStopped as stop:
                    failed = TunnelResult(vpn_id, index + 1, ips[index], Action.FAILED,
                                          messages=[str(stop)])
                    result.tunnels.append(failed)
                    result.error = str(stop)
                    if index == 0:
                        result.tunnels.append(TunnelResult(
                            vpn_id, 2, ips[1], Action.NOT_TOUCHED,
                            messages=["not touched: tunnel 1 did not complete"],
                        ))
                    self._emit(vpn_id, index + 1, ips[index], "failed", None,
                               run.since(vpn_id, index + 1, self.clock.now()), str(stop))
                    break
        except RolloutStopped as stop:  # could not even read the connection
            result.error = str(stop)
            self._emit(vpn_id, 0, None, "failed", None, run.since(vpn_id, 0, self.clock.now()),
                       str(stop))
        return result

    def _tunnel(self, run: _Run, vpn_id: str, index: int, ips: list[str]) -> TunnelResult:
        n, other_n = index + 1, 2 - index
        ip, other_ip = ips[index], ips[1 - index]
        started = run.begin(vpn_id, n, self.clock.now())
        deadline = started + self.settings.timeout
        untouched = (f"tunnel {other_n} ({other_ip}) was not touched" if index == 0 else
                     f"tunnel {other_n} ({other_ip}) had already been done and was left as it is")
        attempted_at: float | None = None  # a modify call that may have gone through
        failures = 0
        messages: list[str] = []
        confirm = False  # re-read this connection alone, right before changing it
        while True:
            self._check_stop(run)
            view = self._describe(run, vpn_id, n, ip, alone=confirm)
            confirmed, confirm = confirm, False
            me, other = self._pick(view, ip), self._pick(view, other_ip)
            self._emit(vpn_id, n, ip, "check", me.status, self.clock.now() - started,
                       f"{me.status}; log options {dict(me.log_options)}; lifecycle control "
                       f"{me.lifecycle_control}")
            lifecycle_ok = self.options.lifecycle_matches(me.lifecycle_control)
            if self.options.matches(me.log_options):
                if attempted_at is not None:
                    return self._await_change(run, vpn_id, n, ip, attempted_at, me, untouched,
                                              messages)
                if me.status == UP and not lifecycle_ok:
                    return self._lifecycle_only(run, vpn_id, n, ip, started, untouched,
                                                messages)
                if me.status == UP:
                    messages.append("tunnel and BGP log options and lifecycle control already "
                                    "match; not modified")
                    self._emit(vpn_id, n, ip, "skip", me.status, self.clock.now() - started,
                               messages[-1])
                    return TunnelResult(vpn_id, n, ip, Action.SKIPPED, messages=messages)
                messages.append(
                    f"log options already match but the tunnel is {me.status} since "
                    f"{format_time(me.last_status_change)} "
                    "(left mid-change by an interrupted run?); "
                    "waited for it instead of changing anything"
                )
                seen = self._wait_up(run, vpn_id, n, ip, deadline, after=None,
                                     why=f"already has the options but is {me.status}",
                                     untouched=untouched)
                if not lifecycle_ok:
                    return self._lifecycle_only(run, vpn_id, n, ip, started, untouched,
                                                messages)
                waited = self.clock.now() - started
                return TunnelResult(vpn_id, n, ip, Action.SKIPPED,
                                    seconds_down=self._down_for(me, seen), seconds_waited=waited,
                                    messages=messages)
            # From here on the tunnel is to be modified: the connection must be available.
            if view.state != AVAILABLE:
                self._await_available(run, vpn_id, n, ip, view.state, started, deadline,
                                      untouched)
                continue
            if other.status != UP:
                if self.options.matches(other.log_options):
                    # The other tunnel is recovering from a change with our options (an earlier
                    # or interrupted run): give it time instead of refusing.
                    messages.append(f"waited for tunnel {other_n} ({other_ip}) to be UP first")
                    self._wait_up(run, vpn_id, other_n, other_ip, deadline, after=None,
                                  why=f"must be UP before tunnel {n} is changed",
                                  untouched=f"tunnel {n} ({ip}) was not touched")
                    continue
                raise RolloutStopped(
                    f"{vpn_id} tunnel {n} ({ip}): refused to change it because tunnel {other_n} "
                    f"({other_ip}) is {other.status} since "
                    f"{format_time(other.last_status_change)}; "
                    "changing it now would take both tunnels down. Nothing was modified: "
                    f"tunnel {n} was left as it is and {untouched}. Bring tunnel {other_n} UP "
                    "and rerun."
                )
            if not confirmed:
                # The batched read may be up to one poll interval old: decide on a read made
                # now (one call per change, bounded by the paced mutating rate, not by N).
                confirm = True
                continue
            # One call sets tunnel logs, BGP logs and (if it differs) lifecycle control: the
            # log change costs the outage anyway, so the lifecycle flag rides along with it.
            # SkipTunnelReplacement is not sent here: botocore's EC2 model documents it as
            # "only applicable when turning on or off EnableTunnelLifecycleControl".
            tunnel_options: dict[str, Any] = {
                "LogOptions": {"CloudWatchLogOptions": self.options.to_api()}}
            if not lifecycle_ok:
                tunnel_options["EnableTunnelLifecycleControl"] = self.options.lifecycle_control
            run.pacer.wait("ModifyVpnTunnelOptions")
            self._check_stop(run)
            before = self.clock.now()
            self._emit(vpn_id, n, ip, "modify", me.status, before - started,
                       f"modifying tunnel {n}: {self.options.describe()}")
            try:
                self._mark_mutation(run, vpn_id)
                run.client.modify_vpn_tunnel_options(
                    VpnConnectionId=vpn_id,
                    VpnTunnelOutsideIpAddress=ip,
                    TunnelOptions=tunnel_options,
                )
            except Exception as exc:
                if not is_retryable(exc):
                    raise RolloutStopped(
                        f"{vpn_id} tunnel {n} ({ip}): the service refused the change: "
                        f"{describe_error(exc)}; "
                        f"{untouched}."
                    ) from exc
                failures += 1
                if error_code(exc) == "IncorrectState":
                    # Another modification is still being applied (ours from an interrupted
                    # run, or someone else's): worth waiting for up to the timeout, then the
                    # loop re-reads both tunnels before trying again.
                    self._backoff(run, vpn_id, n, ip, failures, exc, "ModifyVpnTunnelOptions",
                                  untouched, deadline=deadline)
                else:
                    attempted_at = before  # a 5xx or dropped connection may hide a success
                    self._backoff(run, vpn_id, n, ip, failures, exc, "ModifyVpnTunnelOptions",
                                  untouched)
                continue
            self._emit(vpn_id, n, ip, "modify", None, self.clock.now() - started,
                       "change accepted; the tunnel will go DOWN for a few minutes")
            return self._await_change(run, vpn_id, n, ip, before, me, untouched, messages)

    def _lifecycle_only(self, run: _Run, vpn_id: str, n: int, ip: str, started: float,
                        untouched: str, messages: list[str]) -> TunnelResult:
        """Logs already match; only EnableTunnelLifecycleControl differs. Sent alone with
        SkipTunnelReplacement=True, which is what that flag is for: no tunnel replacement, so
        no outage and nothing to wait for (the other tunnel's state does not matter)."""
        wanted = bool(self.options.lifecycle_control)
        failures = 0
        while True:
            run.pacer.wait("ModifyVpnTunnelOptions")
            self._check_stop(run)
            self._emit(vpn_id, n, ip, "modify", UP, self.clock.now() - started,
                       f"turning lifecycle control {'on' if wanted else 'off'} on tunnel {n} "
                       "with SkipTunnelReplacement (no outage)")
            try:
                self._mark_mutation(run, vpn_id)
                run.client.modify_vpn_tunnel_options(
                    VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip,
                    TunnelOptions={"EnableTunnelLifecycleControl": wanted},
                    SkipTunnelReplacement=True,
                )
            except Exception as exc:
                if not is_retryable(exc):
                    raise RolloutStopped(
                        f"{vpn_id} tunnel {n} ({ip}): the service refused to set lifecycle "
                        f"control: {describe_error(exc)}; {untouched}."
                    ) from exc
                failures += 1
                self._backoff(run, vpn_id, n, ip, failures, exc, "ModifyVpnTunnelOptions",
                              untouched)
                # A retry re-reads first: the call may have gone through.
                view = self._describe(run, vpn_id, n, ip)
                if self.options.lifecycle_matches(self._pick(view, ip).lifecycle_control):
                    break
                continue
            break
        messages.append(f"logs already matched; lifecycle control turned "
                        f"{'on' if wanted else 'off'} without a tunnel replacement")
        self._emit(vpn_id, n, ip, "changed", UP, self.clock.now() - started, messages[-1])
        return TunnelResult(vpn_id, n, ip, Action.NO_OUTAGE, messages=messages)

    def _maintain_tunnel(self, run: _Run, vpn_id: str, index: int, ips: list[str],
                         window: TimeWindow | None) -> TunnelResult:
        """Apply this tunnel's pending maintenance, if any, under the rollout's rules."""
        n, other_n = index + 1, 2 - index
        ip, other_ip = ips[index], ips[1 - index]
        started = run.begin(vpn_id, n, self.clock.now())
        deadline = started + self.settings.timeout
        untouched = (f"tunnel {other_n} ({other_ip}) was not touched" if index == 0 else
                     f"tunnel {other_n} ({other_ip}) had already been done and was left as it is")
        details = self._maintenance(run, vpn_id, n, ip)
        if not details.pending:
            message = "no pending maintenance; not touched"
            self._emit(vpn_id, n, ip, "skip", None, self.clock.now() - started, message)
            return TunnelResult(vpn_id, n, ip, Action.SKIPPED, messages=[message])
        now = self.clock.now()
        if window is not None and not window.contains(now):
            message = (f"maintenance pending ({details.pending}) but {format_time(now)} is "
                       f"outside the window {window}; left for a run inside it (AWS applies it "
                       f"itself after {format_time(details.auto_applied_after)})")
            self._emit(vpn_id, n, ip, "defer", None, now - started, message)
            return TunnelResult(vpn_id, n, ip, Action.DEFERRED, messages=[message])
        failures = 0
        confirm = False
        while True:
            self._check_stop(run)
            view = self._describe(run, vpn_id, n, ip, alone=confirm)
            confirmed, confirm = confirm, False
            me, other = self._pick(view, ip), self._pick(view, other_ip)
            if view.state != AVAILABLE:
                self._await_available(run, vpn_id, n, ip, view.state, started, deadline,
                                      untouched)
                continue
            if other.status != UP:
                raise RolloutStopped(
                    f"{vpn_id} tunnel {n} ({ip}): refused to apply its maintenance because "
                    f"tunnel {other_n} ({other_ip}) is {other.status} since "
                    f"{format_time(other.last_status_change)}; replacing it now would take both "
                    f"tunnels down. Nothing was replaced: tunnel {n} was left as it is and "
                    f"{untouched}. Bring tunnel {other_n} UP and rerun."
                )
            if not confirmed:
                confirm = True
                continue
            run.pacer.wait("ReplaceVpnTunnel")
            self._check_stop(run)
            before = self.clock.now()
            self._emit(vpn_id, n, ip, "replace", me.status, before - started,
                       f"applying pending maintenance to tunnel {n} ({details.pending})")
            try:
                self._mark_mutation(run, vpn_id)
                run.client.replace_vpn_tunnel(VpnConnectionId=vpn_id,
                                              VpnTunnelOutsideIpAddress=ip,
                                              ApplyPendingMaintenance=True)
            except Exception as exc:
                if not is_retryable(exc):
                    raise RolloutStopped(
                        f"{vpn_id} tunnel {n} ({ip}): the service refused ReplaceVpnTunnel: "
                        f"{describe_error(exc)}; {untouched}."
                    ) from exc
                failures += 1
                self._backoff(run, vpn_id, n, ip, failures, exc, "ReplaceVpnTunnel", untouched,
                              deadline=deadline if error_code(exc) == "IncorrectState" else None)
                if not self._maintenance(run, vpn_id, n, ip).pending:
                    break  # the call went through after all
                continue
            break
        messages = [f"maintenance applied ({details.pending})"]
        result = self._await_change(run, vpn_id, n, ip, before, me, untouched, messages,
                                    what="maintenance applied")
        result.action = Action.MAINTAINED
        return result

    def _maintenance(self, run: _Run, vpn_id: str, n: int, ip: str) -> MaintenanceView:
        run.pacer.wait("GetVpnTunnelReplacementStatus")
        raw = self._call(run, "GetVpnTunnelReplacementStatus", vpn_id, n, ip,
                         lambda: run.client.get_vpn_tunnel_replacement_status(
                             VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip))
        return maintenance_view(ip, raw.get("MaintenanceDetails", {}))

    @staticmethod
    def _mark_mutation(run: _Run, vpn_id: str) -> None:
        """Reads of this connection started before now no longer count as fresh."""
        seq = run.next_seq()
        with run.lock:
            run.mutated[vpn_id] = seq

    def _await_available(self, run: _Run, vpn_id: str, n: int, ip: str, state: str,
                         started: float, deadline: float, untouched: str) -> None:
        """One poll of a connection that is not `available`: wait while it is `pending`
        (the caller re-reads it), stop for any other state. Nothing is modified either way."""
        nothing = f"nothing was modified: tunnel {n} ({ip}) was left as it is and {untouched}"
        if state != PENDING:
            why = ("it is being deleted" if state in ("deleting", "deleted") else
                   f"only an {AVAILABLE} connection can be modified")
            raise RolloutStopped(
                f"{vpn_id} is {state or 'in an unknown state'} ({why}); stopped before "
                f"changing tunnel {n}: {nothing}. Check the VPN connection id."
            )
        now = self.clock.now()
        if now >= deadline:
            raise RolloutStopped(
                f"{vpn_id} was still {PENDING} after {self.settings.timeout:g}s, so tunnel {n} "
                f"({ip}) could not be changed; stopped: {nothing}. Rerun once the connection "
                f"is {AVAILABLE}."
            )
        self._emit(vpn_id, n, ip, "wait", None, now - started,
                   f"connection is {PENDING}; waiting for it to be {AVAILABLE} before changing "
                   f"tunnel {n} ({deadline - now:.0f}s left)")
        self._sleep_tick(run, deadline)

    def _await_change(self, run: _Run, vpn_id: str, n: int, ip: str, changed_at: float,
                      before: TunnelView, untouched: str, messages: list[str],
                      what: str | None = None) -> TunnelResult:
        """Wait for the UP that follows the change (LastStatusChange newer than the call)."""
        after = max(changed_at, before.last_status_change or changed_at)
        # Nothing to learn right after the call (telemetry lags): first read at the next tick.
        self._sleep_tick(run, changed_at + self.settings.timeout)
        seen = self._wait_up(run, vpn_id, n, ip, changed_at + self.settings.timeout,
                             after=after, why="after the change", untouched=untouched)
        waited = self.clock.now() - changed_at
        down = max(0.0, (seen.last_status_change or changed_at) - changed_at)
        messages.append(f"{what or self.options.describe()}; UP again after about {down:.0f}s")
        self._emit(vpn_id, n, ip, "changed", UP, waited, messages[-1])
        return TunnelResult(vpn_id, n, ip, Action.CHANGED, seconds_down=down,
                            seconds_waited=waited, messages=messages)

    def _wait_up(self, run: _Run, vpn_id: str, n: int, ip: str, deadline: float,
                 after: float | None, why: str, untouched: str) -> TunnelView:
        """Poll until tunnel `ip` reports UP (with LastStatusChange > after, if given)."""
        start = self.clock.now()
        down_since: float | None = None
        while True:
            self._check_stop(run)
            view = self._describe(run, vpn_id, n, ip)
            tunnel = self._pick(view, ip)
            now = self.clock.now()
            fresh = after is None or (tunnel.last_status_change or 0.0) > after
            if tunnel.status == UP and fresh:
                self._emit(vpn_id, n, ip, "up", UP, now - start,
                           f"UP since {format_time(tunnel.last_status_change)}")
                return tunnel
            if tunnel.status != UP and down_since is None:
                down_since = tunnel.last_status_change
            state = tunnel.status if (tunnel.status != UP or fresh) else "UP (stale, before change)"
            if now >= deadline:
                raise RolloutStopped(
                    f"{vpn_id} tunnel {n} ({ip}) was not UP {why} within "
                    f"{self.settings.timeout:g}s (last seen {state}, LastStatusChange "
                    f"{format_time(tunnel.last_status_change)}); stopped: {untouched}."
                )
            self._emit(vpn_id, n, ip, "wait", tunnel.status, now - start,
                       f"{state}; waiting for UP {why} ({deadline - now:.0f}s left)")
            self._sleep_tick(run, deadline)

    @staticmethod
    def _down_for(before: TunnelView, seen: TunnelView) -> float:
        if before.last_status_change is None or seen.last_status_change is None:
            return 0.0
        return max(0.0, seen.last_status_change - before.last_status_change)

    # service calls with retry -------------------------------------------------------------

    def _describe(self, run: _Run, vpn_id: str, n: int, ip: str | None,
                  alone: bool = False) -> ConnectionView:
        """This connection as of the current poll tick, from ONE batched read shared by every
        connection in flight: whoever needs a newer read than the cache holds reads all the
        stale in-flight connections at once (ids chunked), so reads per poll interval stay
        ceil(N / chunk) whatever N is. A read older than this connection's last mutating call
        never counts (sequence numbers, not times: a simulated clock stands still).
        `alone`: read just this connection now (right before a change)."""
        if alone:
            self._call(run, "DescribeVpnConnections", vpn_id, n, ip,
                       lambda: self._fetch(run, [vpn_id]))
            fresh = run.cache[vpn_id]
            if fresh.view is None:
                raise RolloutStopped(f"{vpn_id}: no longer found by DescribeVpnConnections; "
                                     "nothing more was touched.")
            return fresh.view
        while True:
            self._check_stop(run)
            now = self.clock.now()
            tick = self._tick_floor(run, now)
            with run.poll_lock:
                with run.lock:
                    entry = run.cache.get(vpn_id)
                    floor_seq = run.mutated.get(vpn_id, 0)
                if entry is not None and entry.at >= tick and entry.seq > floor_seq:
                    if entry.view is None:
                        raise RolloutStopped(
                            f"{vpn_id}: no longer found by DescribeVpnConnections; nothing "
                            "more was touched.")
                    return entry.view
                wait = run.retry_at - now
                if wait <= 0:
                    with run.lock:
                        wanted = sorted(run.active | {vpn_id})
                        stale = [i for i in wanted if (e := run.cache.get(i)) is None
                                 or e.at < tick or e.seq <= run.mutated.get(i, 0)]
                    if not run.tokens_held:
                        # Book the read's tokens without sleeping under the lock (a simulated
                        # clock only advances when every worker sleeps on it).
                        chunks = -(-len(stale) // self.settings.describe_chunk)
                        run.tokens_held = chunks
                        wait = run.pacer.reserve("DescribeVpnConnections", chunks)
                        if wait > 0:
                            run.retry_at = now + wait
                if wait <= 0:
                    run.tokens_held = 0
                    try:
                        self._fetch(run, stale, paced=False)
                        run.read_failures = 0
                        continue
                    except Exception as exc:
                        if not is_retryable(exc):
                            raise RolloutStopped(
                                f"{vpn_id}: DescribeVpnConnections failed: "
                                f"{describe_error(exc)}; nothing more was touched.") from exc
                        run.read_failures += 1
                        failures = run.read_failures
                        delay = self.settings.backoff.delay(failures, run.rng)
                        run.retry_at = now + delay
                        wait = delay
                        error: BaseException | None = exc
                else:
                    error = None
            if error is not None:
                # Raises when out of tries; otherwise says so and sleeps (outside the lock).
                self._backoff(run, vpn_id, n, ip, failures, error, "DescribeVpnConnections",
                              "nothing more was touched", delay=wait)
            else:
                self.clock.sleep(wait)

    def _fetch(self, run: _Run, ids: Sequence[str], paced: bool = True) -> None:
        """Read `ids` (chunked, filter on vpn-connection-id so unknown ids are simply absent
        instead of failing the whole call) into the cache."""
        chunk = self.settings.describe_chunk
        for start in range(0, len(ids), chunk):
            part = list(ids[start:start + chunk])
            if paced:
                run.pacer.wait("DescribeVpnConnections")
            seq, at = run.next_seq(), self.clock.now()
            raw = run.client.describe_vpn_connections(
                Filters=[{"Name": "vpn-connection-id", "Values": part}])
            _require_ec2(raw)
            views = {v.vpn_connection_id: v
                     for v in map(connection_view, raw.get("VpnConnections", []))}
            with run.lock:
                for vpn_id in part:
                    run.cache[vpn_id] = _Entry(views.get(vpn_id), at, seq)

    def _prefetch(self, run: _Run, ids: Sequence[str]) -> None:
        """The up-front check: every id read in one batched pass (retried like any read);
        unknown ids raise UnknownConnections, before anything is touched."""
        label = ", ".join(ids) if len(ids) <= 3 else f"{len(ids)} connections"
        run.begin(label, 0, self.clock.now())
        self._call(run, "DescribeVpnConnections", label, 0, None,
                   lambda: self._fetch(run, [i for i in ids if i not in run.cache]))
        missing = [i for i in ids if run.cache[i].view is None]
        if missing:
            raise UnknownConnections(missing)

    def _tick_floor(self, run: _Run, now: float) -> float:
        p = self.settings.poll_interval
        return run.origin + math.floor((now - run.origin) / p + 1e-9) * p

    def _sleep_tick(self, run: _Run, deadline: float) -> None:
        """Sleep to the next poll tick (shared by all connections, so one read serves all)."""
        now = self.clock.now()
        target = min(self._tick_floor(run, now) + self.settings.poll_interval, deadline)
        self.clock.sleep(max(target - now, 0.0))

    def _call(self, run: _Run, what: str, vpn_id: str | None, n: int, ip: str | None,
              fn: Callable[[], Any]) -> Any:
        failures = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if not is_retryable(exc):
                    raise RolloutStopped(
                        f"{vpn_id or 'rollout'}: {what} failed: {describe_error(exc)}; nothing "
                        "more was touched."
                    ) from exc
                failures += 1
                self._backoff(run, vpn_id or "", n, ip, failures, exc, what,
                              "nothing more was touched")

    def _backoff(self, run: _Run, vpn_id: str, n: int, ip: str | None, failures: int,
                 exc: BaseException, what: str, untouched: str,
                 deadline: float | None = None, delay: float | None = None) -> None:
        """Sleep before the next try, or stop: after max_attempts tries, or (when a deadline is
        given) once the next try would fall past it."""
        backoff = self.settings.backoff
        if delay is None:
            delay = backoff.delay(failures, run.rng)
        # Cannot connect at all (DNS, refused, connect timeout): rarely fixed by waiting, so a
        # person should hear about it after a few tries, not after minutes of backoff.
        connect = is_connect_error(exc)
        attempts = min(backoff.max_attempts, backoff.connect_attempts) if connect else \
            backoff.max_attempts
        now = self.clock.now()
        exhausted = (now + delay > deadline if deadline is not None and not connect
                     else failures >= attempts)
        where = f"{vpn_id} tunnel {n} ({ip})" if n else vpn_id
        if exhausted:
            if connect:
                raise RolloutStopped(
                    f"{where}: could not connect to the EC2 endpoint after {failures} tries "
                    f"({describe_error(exc)}); check the endpoint URL, the region and the network; "
                    f"stopped: {untouched}."
                ) from exc
            raise RolloutStopped(
                f"{where}: {what} still failing after {failures} tries ({describe_error(exc)}); "
                f"stopped: {untouched}."
            ) from exc
        limit = "" if deadline is not None and not connect else f"/{attempts - 1}"
        self._emit(vpn_id, n, ip, "retry", None, run.since(vpn_id, n, now),
                   f"{what}: {describe_error(exc)}; retry {failures}{limit} in {delay:.1f}s")
        self.clock.sleep(delay)

    # helpers ------------------------------------------------------------------------------

    @staticmethod
    def _pick(view: ConnectionView, ip: str) -> TunnelView:
        for tunnel in view.tunnels:
            if tunnel.outside_ip == ip:
                return tunnel
        raise RolloutStopped(f"{view.vpn_connection_id}: tunnel {ip} disappeared from the options")

    @staticmethod
    def _check_stop(run: _Run) -> None:
        if run.stop.is_set():
            raise RolloutCancelled("rollout cancelled")

    def _emit(self, vpn_id: str, n: int, ip: str | None, phase: str, status: str | None,
              elapsed: float, message: str) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(vpn_id, n, ip, phase, status, elapsed, message,
                                        self.clock.now()))


def rollout(
    vpn_connection_ids: Iterable[str],
    options: LogOptions,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    ec2: Any = None,
    settings: RolloutSettings | None = None,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
) -> RolloutResult:
    """One-call entry point. Builds its client from region/endpoint_url (inside the call, so
    callers such as a Pulumi dynamic provider hold only picklable values), or uses `ec2`."""
    if ec2 is None:
        if not region:
            raise ValueError("region (or ec2) is required")
        ec2 = Ec2ClientSpec(region, endpoint_url)
    engine = RolloutEngine(ec2, options, settings, clock, progress)
    return engine.run(vpn_connection_ids)
