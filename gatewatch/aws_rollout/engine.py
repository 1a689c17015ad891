"""Roll tunnel log options (or pending maintenance) out to AWS Site-to-Site VPN connections,
one tunnel at a time.

Why: a tunnel-option change or a maintenance replacement interrupts that tunnel while its new
endpoint is provisioned ("AWS Site-to-Site VPN tunnel endpoint replacements",
https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html), and
terraform-provider-aws's aws_vpn_connection update modifies tunnel 1 and then tunnel 2, waiting
only for the connection's State in between, not for the first tunnel to report UP again
(`resourceVPNConnectionUpdate` in internal/service/ec2/vpnsite_connection.go,
https://github.com/hashicorp/terraform-provider-aws).
This engine changes one tunnel, waits until the service reports it UP again *after* the change,
and only then touches the other, so a connection always keeps one working tunnel. Rules, in the
order they are applied per tunnel (steps.py):

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
match and are skipped. The clock is passed in so tests and the benchmark run this exact code
in simulated time.

A run killed right after a change and rerun before the service reports that tunnel DOWN
(telemetry lag), after `modifying` and IncorrectState ended, cannot see the change in the
service's answers; nor can a second run started beside the first. With a journal
(journal.py, inflight.py: every change announced in CloudWatch Logs before its call, read
before every change) both wait for it. The command line always uses one; `journal=None`
(library callers, the Pulumi dynamic resource without a group) relies on the service's window.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

from gatewatch.aws.login import login_problem
from gatewatch.aws_rollout.client import Ec2ClientSpec, Ec2Source, open_client
from gatewatch.aws_rollout.clock import Clock, RealClock, StoppableClock, WorkerAwareClock
from gatewatch.aws_rollout.errors import RolloutCancelled, RolloutInterrupted, RolloutStopped
from gatewatch.aws_rollout.journal import JournalSpec, JournalUnavailable, LogsClient
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.reader import Reader
from gatewatch.aws_rollout.results import (
    Action,
    ConnectionResult,
    ProgressCallback,
    RolloutResult,
    TunnelResult,
)
from gatewatch.aws_rollout.run import Run
from gatewatch.aws_rollout.steps import Steps
from gatewatch.aws_rollout.throttle import Pacer
from gatewatch.aws_rollout.views import ConnectionStatus, ConnectionView, TimeWindow

TunnelStepFn = Callable[[Steps, str, int, list[str]], TunnelResult]


class RolloutEngine:
    """Apply `options` to both tunnels of each connection (see the module docstring).

    `ec2` is an EC2 client or an Ec2ClientSpec; a spec is built once per run, so the engine
    holds no live client between runs and pickles. Clients passed in should have SDK retries
    off (client.NO_SDK_RETRIES), or botocore will sleep in real time.
    """

    def __init__(
        self,
        ec2: Ec2Source,
        options: LogOptions,
        settings: RolloutSettings | None = None,
        clock: Clock | None = None,
        progress: ProgressCallback | None = None,
        seed: int | None = None,
        journal: JournalSpec | None = None,
        journal_client: LogsClient | None = None,
    ) -> None:
        self.ec2 = ec2
        self.journal = journal
        self.journal_client = journal_client  # None: built from the spec per run
        self.options = options
        self.settings = settings or RolloutSettings()
        self.clock: Clock = clock or RealClock()
        self.progress = progress
        self.seed = seed

    # public -------------------------------------------------------------------------------

    def run(self, vpn_connection_ids: Iterable[str]) -> RolloutResult:
        """Roll the options out. Every id is checked first (one batched read): an unknown id
        raises UnknownConnections before any tunnel is touched."""
        return self._run_all(vpn_connection_ids, Steps.change)

    def apply_maintenance(self, vpn_connection_ids: Iterable[str],
                          window: TimeWindow | None = None) -> RolloutResult:
        """Apply pending tunnel endpoint maintenance (ReplaceVpnTunnel with
        ApplyPendingMaintenance) with the rollout's safety: one tunnel at a time, only while
        the other tunnel is UP, waiting for a fresh UP after; nothing starts outside `window`."""
        return self._run_all(vpn_connection_ids,
                             functools.partial(Steps.maintain, window=window))

    def read(self, vpn_connection_ids: Sequence[str]) -> list[ConnectionView]:
        """Current options and telemetry of the connections; UnknownConnections for ids the
        service does not know."""
        ids = list(dict.fromkeys(vpn_connection_ids))
        reader = self._open().reader
        reader.prefetch(ids)
        return [view for i in ids if (view := reader.view(i)) is not None]

    def status(self, vpn_connection_ids: Sequence[str]) -> list[ConnectionStatus]:
        """`read` plus each tunnel's MaintenanceDetails (GetVpnTunnelReplacementStatus)."""
        return list(self.statuses(vpn_connection_ids))

    def statuses(self, vpn_connection_ids: Sequence[str], maintenance: bool = True
                 ) -> Iterator[ConnectionStatus]:
        """Each connection as soon as it is known: every id first read in one batched pass
        (ceil(N / describe_chunk) DescribeVpnConnections calls; UnknownConnections before
        anything is yielded), then, with `maintenance`, each tunnel's MaintenanceDetails.
        GetVpnTunnelReplacementStatus takes one tunnel per call (API reference,
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetVpnTunnelReplacementStatus.html)
        and is paced to EC2's non-mutating bucket (throttle.py), so past the bucket's burst
        they come at about 8 connections a second; without `maintenance` none is made."""
        ids = list(dict.fromkeys(vpn_connection_ids))
        reader = self._open().reader
        reader.prefetch(ids)
        for vpn_id in ids:
            view = reader.view(vpn_id)
            assert view is not None  # prefetch refused unknown ids
            details = (tuple(reader.maintenance(vpn_id, n, t.outside_ip)
                             for n, t in enumerate(view.tunnels, 1)) if maintenance else None)
            yield ConnectionStatus(view, details)

    # one run ------------------------------------------------------------------------------

    def _open(self) -> Steps:
        """A run's state: its own client, pacer and random backoff jitter. On the real clock
        every sleep of the run ends when the run is stopped (StoppableClock)."""
        stop = threading.Event()
        clock = StoppableClock(stop) if isinstance(self.clock, RealClock) else self.clock
        run = Run(open_client(self.ec2), clock, self.settings, self.progress,
                  random.Random(self.seed), Pacer(clock), stop=stop)
        if self.journal is not None:
            run.journal = self.journal.open(clock, self.settings.timeout, self.journal_client)
        return Steps(run, Reader(run), self.options)

    def _run_all(self, vpn_connection_ids: Iterable[str], step: TunnelStepFn) -> RolloutResult:
        ids = list(dict.fromkeys(vpn_connection_ids))  # de-duplicate, keep order
        if not ids:
            return RolloutResult([])
        steps = self._open()
        run = steps.run
        if run.journal is not None:  # JournalUnavailable (bad input): nothing touched yet
            try:
                run.call("CreateLogStream", "rollout journal", 0, None, run.journal.check)
            except RolloutStopped as stop:
                if isinstance(stop.__cause__, JournalUnavailable):
                    raise stop.__cause__ from None
                raise
        try:
            steps.reader.prefetch(ids)  # raises UnknownConnections: nothing touched yet
        except RolloutStopped as stop:  # could not read them at all: every connection says so
            if login_problem(stop.__cause__) is not None:
                raise  # the credentials, not the connections: the caller names the login
            for vpn_id in ids:
                run.emit(vpn_id, 0, None, "failed", None, 0.0, str(stop))
            return RolloutResult([ConnectionResult(i, error=str(stop)) for i in ids])
        workers = self.settings.parallelism(len(ids))
        queue = deque(ids)
        results: dict[str, ConnectionResult] = {}
        aware = self.clock if isinstance(self.clock, WorkerAwareClock) else None
        if aware is not None:
            aware.reserve(workers)
        with cf.ThreadPoolExecutor(workers, thread_name_prefix="tunnel-rollout") as pool:
            futures = [pool.submit(self._worker, steps, queue, results, aware, step)
                       for _ in range(workers)]
            try:
                cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
                if any(f.done() and f.exception() is not None for f in futures):
                    # A bug or an interrupting callback in one worker: make the others stop at
                    # their next step, so nothing new gets modified. Tunnels mid-change are
                    # left for a rerun, which waits for them.
                    run.stop.set()
                cf.wait(futures)
            except BaseException as exc:  # KeyboardInterrupt while waiting: same, then re-raise
                run.stop.set()
                for f in futures:
                    if f.cancel() and aware is not None:
                        aware.release()  # its slot was reserved but it never ran
                if not isinstance(exc, KeyboardInterrupt):
                    raise
                # Every sleeper wakes on the stop flag; a call in flight ends. Then say which
                # tunnels were left mid-change (a call racing the signal is counted too).
                pool.shutdown(wait=True)
                with run.lock:
                    changing = sorted((v, n, ip) for (v, n), ip in run.changing.items())
                raise RolloutInterrupted(changing) from exc
        errors = [e for f in futures if (e := f.exception()) is not None]
        if errors:
            raise next((e for e in errors if not isinstance(e, RolloutCancelled)), errors[0])
        return RolloutResult([results[i] for i in ids])

    def _worker(self, steps: Steps, queue: deque[str], results: dict[str, ConnectionResult],
                aware: WorkerAwareClock | None, step: TunnelStepFn) -> None:
        """One pool thread: take connections off the queue until it is empty."""
        run, reader = steps.run, steps.reader
        try:
            while not run.stop.is_set():
                vpn_id = reader.take(queue)
                if vpn_id is None:
                    return
                try:
                    result = self._connection(steps, vpn_id, step)
                finally:
                    reader.done(vpn_id)
                with run.lock:
                    results[vpn_id] = result
        finally:
            if aware is not None:
                aware.release()

    # one connection -----------------------------------------------------------------------

    @staticmethod
    def _two_tunnels(steps: Steps, vpn_id: str) -> list[str]:
        view = steps.reader.describe(vpn_id, 0, None)
        if len(view.tunnels) != 2:
            raise RolloutStopped(
                f"{vpn_id}: expected 2 tunnels in Options.TunnelOptions, found "
                f"{len(view.tunnels)}; nothing was touched."
            )
        return [t.outside_ip for t in view.tunnels]

    def _connection(self, steps: Steps, vpn_id: str, step: TunnelStepFn) -> ConnectionResult:
        """Tunnel 1, then tunnel 2; a stop at tunnel 1 leaves tunnel 2 not touched."""
        run = steps.run
        result = ConnectionResult(vpn_id)
        run.begin(vpn_id, 0, self.clock.now())
        try:
            ips = self._two_tunnels(steps, vpn_id)
            for index in (0, 1):
                try:
                    result.tunnels.append(step(steps, vpn_id, index, ips))
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
                    run.emit(vpn_id, index + 1, ips[index], "failed", None,
                             run.since(vpn_id, index + 1, self.clock.now()), str(stop))
                    break
        except RolloutStopped as stop:  # could not even read the connection
            result.error = str(stop)
            run.emit(vpn_id, 0, None, "failed", None, run.since(vpn_id, 0, self.clock.now()),
                     str(stop))
        return result


def rollout(
    vpn_connection_ids: Iterable[str],
    options: LogOptions,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    ec2: Ec2Source | None = None,
    settings: RolloutSettings | None = None,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    journal: JournalSpec | None = None,
    journal_client: LogsClient | None = None,
) -> RolloutResult:
    """One-call entry point. Builds its client from region/endpoint_url (inside the call, so
    callers such as a Pulumi dynamic provider hold only picklable values), or uses `ec2`."""
    if ec2 is None:
        if not region:
            raise ValueError("region (or ec2) is required")
        ec2 = Ec2ClientSpec(region, endpoint_url)
    engine = RolloutEngine(ec2, options, settings, clock, progress, journal=journal,
                           journal_client=journal_client)
    return engine.run(vpn_connection_ids)
