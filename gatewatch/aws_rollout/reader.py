"""The batched DescribeVpnConnections reader and its cache, shared by every connection in flight.

Polling each connection on its own would cost N reads per poll interval, and DescribeVpnConnections
shares one request bucket per account and Region ("Request throttling for the Amazon EC2 API",
https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). So polls are aligned
to shared ticks, and whoever needs a newer read than the cache holds reads all stale in-flight
connections at once, with a `vpn-connection-id` filter (DescribeVpnConnections,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpnConnections.html), so
unknown ids are simply absent instead of failing the whole call. Reads per interval stay
ceil(N / chunk) whatever N is. A read that started before a connection's last mutating call
never counts for it: sequence numbers, not times, because a simulated clock stands still.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatewatch.aws_rollout.errors import NotEc2Response, RolloutStopped, UnknownConnections
from gatewatch.aws_rollout.retry import describe_error, is_retryable
from gatewatch.aws_rollout.run import NOTHING_MORE, Run
from gatewatch.aws_rollout.views import (
    ConnectionView,
    MaintenanceView,
    connection_view,
    maintenance_view,
)

DESCRIBE = "DescribeVpnConnections"


@dataclass
class _Entry:
    view: ConnectionView | None  # None: the id was not in the answer
    at: float  # clock reading when the read that produced it started
    seq: int  # run-wide call sequence number when that read started


def _require_ec2(raw: Mapping[str, Any]) -> None:
    meta = raw.get("ResponseMetadata", {})
    kind = str(meta.get("HTTPHeaders", {}).get("content-type", ""))
    if not meta.get("RequestId") or "html" in kind.lower():
        raise NotEc2Response(
            f"the endpoint answered HTTP {meta.get('HTTPStatusCode', '?')} "
            f"({kind or 'no content type'}) without an EC2 request id: not an EC2 endpoint; "
            "check --endpoint-url / ec2EndpointUrl and the region")


def _gone(vpn_id: str) -> RolloutStopped:
    return RolloutStopped(f"{vpn_id}: no longer found by {DESCRIBE}; {NOTHING_MORE}.")


class Reader:
    """One run's reads of the service. Its state is guarded by the run's lock, the same lock
    that hands connections to workers, so a connection is in flight as soon as it is taken."""

    def __init__(self, run: Run) -> None:
        self.run = run
        # Polls are aligned to origin + k * poll_interval, for every connection.
        self.origin = run.clock.now()
        self.cache: dict[str, _Entry] = {}
        self.active: set[str] = set()  # connections in flight
        self.mutated: dict[str, int] = {}  # sequence number of each one's last mutating call
        self.seq = 0
        self.retry_at = float("-inf")
        self.read_failures = 0
        self.tokens_held = 0  # DescribeVpnConnections tokens booked for the next batched read
        self._poll_lock = threading.Lock()

    # connections in flight ----------------------------------------------------------------

    def take(self, queue: deque[str]) -> str | None:
        """The next connection off `queue`, now in flight; None when the queue is empty."""
        with self.run.lock:
            if not queue:
                return None
            vpn_id = queue.popleft()
            self.active.add(vpn_id)
            return vpn_id

    def done(self, vpn_id: str) -> None:
        with self.run.lock:
            self.active.discard(vpn_id)

    def next_seq(self) -> int:
        with self.run.lock:
            self.seq += 1
            return self.seq

    def mark_mutation(self, vpn_id: str) -> None:
        """Reads of this connection started before now no longer count as fresh."""
        seq = self.next_seq()
        with self.run.lock:
            self.mutated[vpn_id] = seq

    # reads --------------------------------------------------------------------------------

    def view(self, vpn_id: str) -> ConnectionView | None:
        """The cached view of a connection read by `prefetch` (None: unknown id)."""
        return self.cache[vpn_id].view

    def describe(self, vpn_id: str, n: int, ip: str | None, alone: bool = False
                 ) -> ConnectionView:
        """This connection as of the current poll tick, from ONE batched read shared by every
        connection in flight. `alone`: read just this connection now (right before a change)."""
        run = self.run
        if alone:
            run.call(DESCRIBE, vpn_id, n, ip, lambda: self.fetch([vpn_id]))
            fresh = self.cache[vpn_id]
            if fresh.view is None:
                raise _gone(vpn_id)
            return fresh.view
        while True:
            run.check_stop()
            now = run.clock.now()
            tick = self.tick_floor(now)
            with self._poll_lock:
                with run.lock:
                    entry = self.cache.get(vpn_id)
                    floor_seq = self.mutated.get(vpn_id, 0)
                if entry is not None and entry.at >= tick and entry.seq > floor_seq:
                    if entry.view is None:
                        raise _gone(vpn_id)
                    return entry.view
                wait = self.retry_at - now
                if wait <= 0:
                    with run.lock:
                        wanted = sorted(self.active | {vpn_id})
                        stale = [i for i in wanted if (e := self.cache.get(i)) is None
                                 or e.at < tick or e.seq <= self.mutated.get(i, 0)]
                    if not self.tokens_held:
                        # Book the read's tokens without sleeping under the lock (a simulated
                        # clock only advances when every worker sleeps on it).
                        chunks = -(-len(stale) // run.settings.describe_chunk)
                        self.tokens_held = chunks
                        wait = run.pacer.reserve(DESCRIBE, chunks)
                        if wait > 0:
                            self.retry_at = now + wait
                if wait <= 0:
                    self.tokens_held = 0
                    try:
                        self.fetch(stale, paced=False)
                        self.read_failures = 0
                        continue
                    except Exception as exc:
                        if not is_retryable(exc):
                            raise RolloutStopped(
                                f"{vpn_id}: {DESCRIBE} failed: {describe_error(exc)}; "
                                f"{NOTHING_MORE}.") from exc
                        self.read_failures += 1
                        failures = self.read_failures
                        delay = run.settings.backoff.delay(failures, run.rng)
                        self.retry_at = now + delay
                        wait = delay
                        error: BaseException | None = exc
                else:
                    error = None
            if error is not None:
                # Raises when out of tries; otherwise says so and sleeps (outside the lock).
                run.backoff(vpn_id, n, ip, failures, error, DESCRIBE, NOTHING_MORE, delay=wait)
            else:
                run.clock.sleep(wait)

    def fetch(self, ids: Sequence[str], paced: bool = True) -> None:
        """Read `ids` (chunked) into the cache."""
        run = self.run
        chunk = run.settings.describe_chunk
        for start in range(0, len(ids), chunk):
            part = list(ids[start:start + chunk])
            if paced:
                run.pacer.wait(DESCRIBE)
            seq, at = self.next_seq(), run.clock.now()
            raw = run.client.describe_vpn_connections(
                Filters=[{"Name": "vpn-connection-id", "Values": part}])
            _require_ec2(raw)
            views = {v.vpn_connection_id: v
                     for v in map(connection_view, raw.get("VpnConnections", []))}
            with run.lock:
                for vpn_id in part:
                    self.cache[vpn_id] = _Entry(views.get(vpn_id), at, seq)

    def prefetch(self, ids: Sequence[str]) -> None:
        """The up-front check: every id read in one batched pass (retried like any read);
        unknown ids raise UnknownConnections, before anything is touched."""
        run = self.run
        label = ", ".join(ids) if len(ids) <= 3 else f"{len(ids)} connections"
        run.begin(label, 0, run.clock.now())
        run.call(DESCRIBE, label, 0, None,
                 lambda: self.fetch([i for i in ids if i not in self.cache]))
        missing = [i for i in ids if self.cache[i].view is None]
        if missing:
            raise UnknownConnections(missing)

    def maintenance(self, vpn_id: str, n: int, ip: str) -> MaintenanceView:
        """The tunnel's MaintenanceDetails (GetVpnTunnelReplacementStatus)."""
        run = self.run
        run.pacer.wait("GetVpnTunnelReplacementStatus")
        raw = run.call("GetVpnTunnelReplacementStatus", vpn_id, n, ip,
                       lambda: run.client.get_vpn_tunnel_replacement_status(
                           VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip))
        return maintenance_view(ip, raw.get("MaintenanceDetails", {}))

    # poll ticks ---------------------------------------------------------------------------

    def tick_floor(self, now: float) -> float:
        p = self.run.settings.poll_interval
        return self.origin + math.floor((now - self.origin) / p + 1e-9) * p

    def sleep_tick(self, deadline: float) -> None:
        """Sleep to the next poll tick (shared by all connections, so one read serves all)."""
        clock = self.run.clock
        now = clock.now()
        target = min(self.tick_floor(now) + self.run.settings.poll_interval, deadline)
        clock.sleep(max(target - now, 0.0))
