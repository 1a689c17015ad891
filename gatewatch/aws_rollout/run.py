"""What one run of the rollout shares between its workers, and its retry of a failed call.

A run holds the live client (never the picklable engine), the clock, the client-side pacer,
the stop flag every worker checks between steps, and when work on each tunnel began (so every
progress line, retries included, says how long that work has been going on). `backoff` is the
one place that decides between "sleep and try again" and "stop and say why": capped exponential
backoff with jitter, as in "Retry behavior" of the AWS SDKs and Tools reference guide
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from gatewatch.aws_rollout.client import Ec2Client
from gatewatch.aws_rollout.clock import Clock
from gatewatch.aws_rollout.errors import RolloutCancelled, RolloutStopped
from gatewatch.aws_rollout.options import RolloutSettings
from gatewatch.aws_rollout.results import ProgressCallback, ProgressEvent
from gatewatch.aws_rollout.retry import describe_error, is_connect_error, is_retryable
from gatewatch.aws_rollout.throttle import Pacer

if TYPE_CHECKING:
    from gatewatch.aws_rollout.journal import Journal

T = TypeVar("T")
NOTHING_MORE = "nothing more was touched"


@dataclass
class Run:
    """State of one engine run, shared by its worker threads (under `lock`)."""

    client: Ec2Client
    clock: Clock
    settings: RolloutSettings
    progress: ProgressCallback | None
    rng: random.Random
    pacer: Pacer
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When work on (connection, tunnel) began; tunnel 0 is the connection as a whole.
    started: dict[tuple[str, int], float] = field(default_factory=dict)
    # Tunnels whose change went out and that were not yet seen UP again: (connection, n) -> IP.
    changing: dict[tuple[str, int], str] = field(default_factory=dict)
    # Where every outage-causing change is announced before its call (journal.py); None: none.
    journal: Journal | None = None

    def begin(self, vpn_id: str, n: int, now: float) -> float:
        with self.lock:
            return self.started.setdefault((vpn_id, n), now)

    def since(self, vpn_id: str, n: int, now: float) -> float:
        with self.lock:
            began = self.started.get((vpn_id, n), self.started.get((vpn_id, 0), now))
        return max(0.0, now - began)

    def changing_now(self, vpn_id: str, n: int, ip: str | None) -> None:
        """A change of this tunnel is going out (ip) or it was seen UP after it (None)."""
        with self.lock:
            if ip is None:
                self.changing.pop((vpn_id, n), None)
            else:
                self.changing[(vpn_id, n)] = ip

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise RolloutCancelled("rollout cancelled")

    def emit(self, vpn_id: str, n: int, ip: str | None, phase: str, status: str | None,
             elapsed: float, message: str) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(vpn_id, n, ip, phase, status, elapsed, message,
                                        self.clock.now()))

    def call(self, what: str, vpn_id: str | None, n: int, ip: str | None,
             fn: Callable[[], T]) -> T:
        """`fn()` (a read: safe to repeat), retried while the error is retryable."""
        failures = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if not is_retryable(exc):
                    raise RolloutStopped(
                        f"{vpn_id or 'rollout'}: {what} failed: {describe_error(exc)}; "
                        f"{NOTHING_MORE}."
                    ) from exc
                failures += 1
                self.backoff(vpn_id or "", n, ip, failures, exc, what, NOTHING_MORE)

    def backoff(self, vpn_id: str, n: int, ip: str | None, failures: int, exc: BaseException,
                what: str, untouched: str, deadline: float | None = None,
                delay: float | None = None) -> None:
        """Sleep before the next try, or stop: after max_attempts tries, or (when a deadline is
        given) once the next try would fall past it."""
        backoff = self.settings.backoff
        if delay is None:
            delay = backoff.delay(failures, self.rng)
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
        self.emit(vpn_id, n, ip, "retry", None, self.since(vpn_id, n, now),
                  f"{what}: {describe_error(exc)}; retry {failures}{limit} in {delay:.1f}s")
        self.clock.sleep(delay)
        self.check_stop()  # a stopped run's sleep ends early: no retry after it
