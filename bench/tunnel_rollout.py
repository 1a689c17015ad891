"""Benchmark: one-tunnel-at-a-time rollout vs the naive both-at-once update, 1 and 50 VPNs.

Runs the production engine against the EC2 stand-in through real boto3 (in-process botocore
hook), with EC2-like token-bucket rate limits switched on. Prints, per approach and size:
- double-down seconds: time both tunnels of a connection were DOWN together, summed over
  connections, from the stand-in's timeline (must be 0 for the engine);
- wall time, and the ratio 50-vs-1 (target <= 1.2: connections roll out in parallel).

Clock modes:
- default `--clock sim`: simulated time with the seed's ~5 min outage. Wall times are
  SIMULATED seconds (what an operator would wait), not host time; host CPU time is shown
  separately. This measures the algorithm's schedule honestly and deterministically.
- `--clock real`: real time with a sub-second outage; includes botocore/GIL overhead of 50
  polling threads, so it also measures the engine's own cost. Time is compressed 500x, so
  rate-limit refills and backoff are scaled by the same factor (else 0.1 s polls would be
  throttled as if they were 10 s polls in real life).

The naive approach is what terraform/pulumi-aws do (FIELD-NOTES.md): modify tunnel 1, then
tunnel 2 as soon as the service accepts it (retrying IncorrectState), then wait for both.

    .venv/bin/python bench/tunnel_rollout.py [--clock sim|real] [--parallel 50]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

from gatewatch.aws_rollout.clock import Clock, RealClock, SimClock
from gatewatch.aws_rollout.engine import (
    NO_SDK_RETRIES,
    LogOptions,
    RolloutEngine,
    RolloutSettings,
    connection_view,
)
from gatewatch.aws_rollout.retry import Backoff, error_code
from tests.standins.ec2 import Ec2StandIn, StandInSettings

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn-tunnels"
OPTIONS = LogOptions(True, ARN, "json")
# EC2 request rate limits (token buckets: burst, refill per second), per the EC2 docs' order
# of magnitude for describe (non-mutating) and modify (mutating) actions.
RATE_LIMITS = {"DescribeVpnConnections": (100.0, 20.0), "ModifyVpnTunnelOptions": (50.0, 5.0)}


@dataclass(frozen=True)
class Mode:
    name: str
    standin: StandInSettings
    poll: float
    timeout: float

    @property
    def speedup(self) -> float:
        """How much faster than the service this mode's time runs (real mode compresses the
        seed's 300 s outage); rate-limit refills and backoff scale with it to stay honest."""
        return 300.0 / self.standin.outage_seconds

    def rate_limits(self) -> dict[str, tuple[float, float]]:
        return {k: (burst, refill * self.speedup) for k, (burst, refill) in RATE_LIMITS.items()}

    def backoff(self) -> Backoff:
        return Backoff(base=1.0 / self.speedup, cap=30.0 / self.speedup)

    def clock(self) -> Clock:
        return SimClock() if self.name == "sim" else RealClock()


MODES = {
    "sim": Mode("sim", StandInSettings(outage_seconds=300, down_delay=5, modify_seconds=240,
                                       telemetry_lag=30), poll=10.0, timeout=900.0),
    "real": Mode("real", StandInSettings(outage_seconds=0.6, down_delay=0.02,
                                         modify_seconds=0.5, telemetry_lag=0.1),
                 poll=0.1, timeout=10.0),
}


@dataclass
class Row:
    approach: str
    connections: int
    seconds: float
    cpu: float
    double_down: float
    modify_calls: int
    throttled: int
    ok: bool


def _world(mode: Mode, count: int) -> tuple[Clock, Ec2StandIn, Any, list[str]]:
    clock = mode.clock()
    standin = Ec2StandIn(clock, mode.standin, rate_limits=mode.rate_limits())
    ids = [standin.add_connection() for _ in range(count)]
    ec2 = boto3.client("ec2", region_name="us-east-1", config=NO_SDK_RETRIES,
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    standin.attach(ec2)
    return clock, standin, ec2, ids


def _naive_one(ec2: Any, clock: Clock, vpn: str, mode: Mode) -> bool:
    """Terraform-style: tunnel 1, then tunnel 2 once accepted, then wait for both to be UP."""
    spec = {"LogOptions": {"CloudWatchLogOptions": OPTIONS.to_api()}}

    def call(fn: Any, **kw: Any) -> Any:
        delay = 1.0 / mode.speedup
        while True:
            try:
                return fn(**kw)
            except Exception as exc:  # throttling or IncorrectState: retry like the SDK does
                if error_code(exc) not in ("IncorrectState", "RequestLimitExceeded"):
                    raise
                clock.sleep(delay)
                delay = min(delay * 2, mode.poll)

    view = connection_view(call(ec2.describe_vpn_connections,
                                VpnConnectionIds=[vpn])["VpnConnections"][0])
    started = clock.now()
    for tunnel in view.tunnels:
        call(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn,
             VpnTunnelOutsideIpAddress=tunnel.outside_ip, TunnelOptions=spec)
    while clock.now() - started < mode.timeout:
        view = connection_view(call(ec2.describe_vpn_connections,
                                    VpnConnectionIds=[vpn])["VpnConnections"][0])
        if all(t.status == "UP" and (t.last_status_change or 0) > started for t in view.tunnels):
            return True
        clock.sleep(mode.poll)
    return False


def _naive(ec2: Any, clock: Clock, ids: list[str], mode: Mode, parallel: int) -> bool:
    workers = min(parallel, len(ids))
    if isinstance(clock, SimClock):
        clock.reserve(len(ids))

    def one(vpn: str) -> bool:
        try:
            return _naive_one(ec2, clock, vpn, mode)
        finally:
            if isinstance(clock, SimClock):
                clock.release()

    if workers < len(ids):
        raise SystemExit("the naive runner needs --parallel >= the number of connections")
    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        return all(pool.map(one, ids))


def measure(approach: str, count: int, mode: Mode, parallel: int) -> Row:
    clock, standin, ec2, ids = _world(mode, count)
    start, cpu = clock.now(), time.process_time()
    if approach == "one-at-a-time":
        settings = RolloutSettings(timeout=mode.timeout, poll_interval=mode.poll,
                                   max_parallel=parallel, backoff=mode.backoff())
        ok = RolloutEngine(ec2, OPTIONS, settings, clock, seed=1).run(ids).ok
    else:
        ok = _naive(ec2, clock, ids, mode, parallel)
    seconds = clock.now() - start
    return Row(
        approach, count, seconds, time.process_time() - cpu,
        standin.double_down_seconds(until=clock.now() + 10 * mode.standin.outage_seconds),
        len(standin.modify_calls()),
        sum(1 for c in standin.calls if c.error_code == "RequestLimitExceeded"),
        ok,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clock", choices=sorted(MODES), default="sim")
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--sizes", default="1,50")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    mode = MODES[args.clock]
    sizes = [int(s) for s in args.sizes.split(",")]
    unit = "simulated s" if mode.name == "sim" else "real s"
    print(f"clock: {mode.name} (outage {mode.standin.outage_seconds:g}s, telemetry lag "
          f"{mode.standin.telemetry_lag:g}s, poll {mode.poll:g}s, parallel {args.parallel}); "
          f"time column in {unit}; rate limits (burst, refill/s): {mode.rate_limits()}")
    header = (f"{'approach':<14} {'conns':>5} {'time':>9} {'ratio':>6} {'cpu s':>6} "
              f"{'double-down s':>13} {'modify':>6} {'throttled':>9} {'ok':>3}")
    print(header)
    print("-" * len(header))
    failed = False
    for approach in ("one-at-a-time", "naive"):
        rows = [measure(approach, n, mode, args.parallel) for n in sizes]
        base = rows[0].seconds or 1.0
        for row in rows:
            print(f"{row.approach:<14} {row.connections:>5} {row.seconds:>9.1f} "
                  f"{row.seconds / base:>6.2f} {row.cpu:>6.2f} {row.double_down:>13.1f} "
                  f"{row.modify_calls:>6} {row.throttled:>9} {'yes' if row.ok else 'NO':>3}")
            if approach == "one-at-a-time" and (row.double_down > 0 or not row.ok):
                failed = True
        if approach == "one-at-a-time" and rows[-1].seconds / base > 1.2:
            print(f"note: {sizes[-1]}-vs-{sizes[0]} ratio above the 1.2 target")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
