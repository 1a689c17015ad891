"""EC2's request token buckets, and a client-side pacer that stays inside them.

Source: AWS, "Request throttling for the Amazon EC2 API" (EC2 Developer Guide, section
"Request token bucket sizes and refill rates"). Each API action has its own bucket per account
and Region ("each API is evaluated individually"); the category sets its size and refill:

- Non-mutating actions (Describe*, List*, Search*, Get* not listed elsewhere): 100 tokens,
  refill 20 per second. DescribeVpnConnections and GetVpnTunnelReplacementStatus are here
  (neither is in the "unfiltered and unpaginated" list, which is 50 / 10).
- Mutating actions (all others not resource-intensive or uncategorized): 50 tokens, refill 5
  per second. ModifyVpnTunnelOptions and ReplaceVpnTunnel are here.

Past a bucket, EC2 answers `RequestLimitExceeded`. The EC2 stand-in in tests enforces this
table; the engine paces its own calls a little below it, so a large rollout does not spend its
time being throttled (other clients in the account share the buckets, so retries stay).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from gatewatch.aws_rollout.clock import Clock

NON_MUTATING = (100.0, 20.0)  # (bucket maximum capacity, refill tokens per second)
MUTATING = (50.0, 5.0)
EC2_REQUEST_BUCKETS: Mapping[str, tuple[float, float]] = {
    "DescribeVpnConnections": NON_MUTATING,
    "GetVpnTunnelReplacementStatus": NON_MUTATING,
    "ModifyVpnTunnelOptions": MUTATING,
    "ReplaceVpnTunnel": MUTATING,
}
# The engine paces at this share of each bucket, leaving room for other callers and rounding.
PACE_SHARE = 0.8
# DescribeVpnConnections ids per request when reading many connections (the API documents no
# limit on the id list; a filter takes up to 200 values in EC2's filtering docs; 100 keeps
# requests small). Polling N connections costs ceil(N / 100) calls per interval.
DESCRIBE_CHUNK = 100
# The engine's own burst of DescribeVpnConnections: EC2's bucket takes 100 at once, but it is
# shared per account and Region with every other tool, so a rollout reads at most this many in a
# burst and then at the paced refill (16 a second): about 25 in its busiest second
# (bench/tunnel_rollout.py prints the peak).
PACE_BURSTS: Mapping[str, float] = {"DescribeVpnConnections": 8.0}


def throttle_parallelism(poll_seconds: float, describe_chunk: int = DESCRIBE_CHUNK) -> int:
    """How many connections can be in flight before the batched polling alone would outrun the
    DescribeVpnConnections refill: ceil(N/chunk) calls per poll <= PACE_SHARE * refill * poll."""
    _, refill = NON_MUTATING
    return max(1, int(PACE_SHARE * refill * poll_seconds) * describe_chunk)


@dataclass
class TokenBucket:
    capacity: float
    refill: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take one token, queueing if need be; return how long the caller must wait for it."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.refill)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.refill


class Pacer:
    """Client-side token buckets per action; `wait(action)` sleeps through the clock."""

    def __init__(self, clock: Clock, limits: Mapping[str, tuple[float, float]] | None = None,
                 share: float = PACE_SHARE) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        now = clock.now()
        bursts = PACE_BURSTS if limits is None else {}
        sizes = {action: (min(max(1.0, cap * share), bursts.get(action, cap)), refill * share)
                 for action, (cap, refill) in
                 (EC2_REQUEST_BUCKETS if limits is None else limits).items()}
        self._buckets = {action: TokenBucket(size, refill, size, now)
                         for action, (size, refill) in sizes.items()}

    def reserve(self, action: str, count: int = 1) -> float:
        """Book `count` tokens now; return how long to wait before using the last of them
        (never sleeps, so it is safe to call while holding a lock)."""
        bucket = self._buckets.get(action)
        if bucket is None:
            return 0.0
        with self._lock:
            now = self.clock.now()
            return max(bucket.take(now) for _ in range(max(1, count)))

    def wait(self, action: str) -> None:
        delay = self.reserve(action)
        if delay > 0:
            self.clock.sleep(delay)
