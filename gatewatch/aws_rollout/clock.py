"""Clocks for the rollout engine: the real one, and a simulated one for tests and benchmarks.

A tunnel option change keeps a tunnel down for about five minutes
(DevelopersIO's walkthrough of tunnel activity logs, 2022-08-20), so the engine
spends nearly all its time waiting. Passing the clock in lets tests and the benchmark run the
exact production code against the stand-in in simulated time: a five-minute outage costs
microseconds, and time only moves when every worker is asleep, so results are deterministic.
"""

from __future__ import annotations

import contextlib
import heapq
import threading
import time
from collections.abc import Iterator
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    """What the engine needs from time: a reading (epoch seconds) and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@runtime_checkable
class WorkerAwareClock(Protocol):
    """A clock that must know how many threads take part (a simulated clock advances only when
    all of them sleep). The engine reserves one slot per worker *before* starting the workers,
    so time cannot jump while a worker is still starting up, and each worker releases its slot
    when it has no more work."""

    def reserve(self, count: int) -> None: ...

    def release(self) -> None: ...


class RealClock:
    """Wall-clock time. Stateless, so it pickles (the Pulumi dynamic provider holds it)."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class StoppableClock:
    """Wall-clock time for one run whose sleeps end as soon as the run is stopped.

    At 300 connections a worker may sleep a minute for a ModifyVpnTunnelOptions token (EC2's
    mutating bucket refills 5 a second, throttle.py); after Ctrl-C every sleeper wakes at once
    (threading.Event.wait with a timeout), checks the stop flag and leaves without another call.
    """

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stop.wait(seconds)


class SimClock:
    """Discrete-event simulated time shared by several threads.

    Worker threads are counted with `reserve()`/`release()` (or `participant()`). `sleep(s)`
    blocks the caller until the simulated time reaches now+s; when every participant is asleep,
    time jumps to the earliest wake-up. With no participant at all, sleep just advances time.
    Only participants may sleep while there are participants. Each sleeper waits on its own
    event, so an advance wakes only the threads that are due (hundreds of workers stay cheap).
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._participants = 0
        self._sleepers: list[tuple[float, int, threading.Event]] = []  # heap by wake time
        self._seq = 0

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward from outside the simulation (tests set the scene with it)."""
        with self._lock:
            self._now += max(seconds, 0.0)
            self._wake_due()

    def reserve(self, count: int) -> None:
        with self._lock:
            self._participants += count

    def release(self) -> None:
        with self._lock:
            self._participants -= 1
            self._maybe_advance()

    @contextlib.contextmanager
    def participant(self) -> Iterator[None]:
        """Take part for the duration of a block (for threads a test starts itself)."""
        self.reserve(1)
        try:
            yield
        finally:
            self.release()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            if seconds <= 0:
                return
            if self._participants == 0:  # single-threaded use: nobody to wait for
                self._now += seconds
                self._wake_due()
                return
            event = threading.Event()
            self._seq += 1
            heapq.heappush(self._sleepers, (self._now + seconds, self._seq, event))
            self._maybe_advance()
        event.wait()

    def _maybe_advance(self) -> None:
        # Called with the lock held. Sleepers whose time has come were already removed, so
        # len(_sleepers) counts only threads that are really blocked.
        if self._sleepers and len(self._sleepers) >= self._participants:
            self._now = max(self._now, self._sleepers[0][0])
            self._wake_due()

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            heapq.heappop(self._sleepers)[2].set()
