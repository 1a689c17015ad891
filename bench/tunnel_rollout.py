"""Benchmark: the one-tunnel-at-a-time rollout of 1, 200 and 500 VPN connections under EC2's
request throttle, and the naive both-at-once update for comparison.

Runs the production engine against the EC2 stand-in (tests/support/standins/ec2.py) through real
boto3 (in-process botocore hook). The stand-in enforces EC2's documented request token buckets
(AWS "Request throttling for the Amazon EC2 API": non-mutating actions 100 tokens / 20 per s,
mutating actions 50 / 5 per s, one bucket per action; gatewatch/aws_rollout/throttle.py) and
answers RequestLimitExceeded past them. Each rollout sets tunnel logs, BGP logs and lifecycle
control (one change per tunnel). Printed per approach and size:
- wall time in SIMULATED seconds (what an operator would wait) and its ratio to 1 connection
  (goal: 500 within 1.2x of 1);
- double-down seconds: time both tunnels of a connection were DOWN together, summed over
  connections, from the stand-in's timeline (must be 0 for the engine);
- API calls by action, and how many were throttled (RequestLimitExceeded);
- the peak of DescribeVpnConnections calls in one simulated second (goal: at most ~25 at 200
  connections, so the rollout leaves most of EC2's shared Describe bucket, 100 burst and 20 a
  second, to the account's other tools);
- host CPU seconds (the cost of simulating it, not a property of the rollout).

What the simulated clock models: the service's timings (a modified tunnel drops 5 s after the
call and is back UP 300 s later (DevelopersIO, 2022-08-20); a second modification is refused
for 240 s;
telemetry shows a tunnel as it was 30 s ago), the engine's polling and backoff sleeps, and the
token-bucket refills, all in one discrete-event clock that advances only when every worker
sleeps. It does not model network latency or request processing time (each call takes zero
simulated time), nor other clients sharing the account's buckets.

The naive approach is what terraform/pulumi-aws do (terraform-provider-aws's aws_vpn_connection
update): modify tunnel 1, then
tunnel 2 as soon as the service accepts it (retrying IncorrectState and throttling), then wait
for both, one thread per connection polling on its own.

    .venv/bin/python bench/tunnel_rollout.py [--sizes 1,200,500] [--no-naive]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

from gatewatch.aws_rollout.client import NO_SDK_RETRIES
from gatewatch.aws_rollout.clock import SimClock
from gatewatch.aws_rollout.engine import RolloutEngine
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.retry import error_code
from gatewatch.aws_rollout.throttle import EC2_REQUEST_BUCKETS
from gatewatch.aws_rollout.views import connection_view
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import StandInSettings

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn-tunnels"
OPTIONS = LogOptions(True, ARN, "json", bgp_log_enabled=True, lifecycle_control=True)
SERVICE = StandInSettings(outage_seconds=300, down_delay=5, modify_seconds=240, telemetry_lag=30)
POLL, TIMEOUT = 10.0, 900.0
DESCRIBE_PEAK_GOAL = 25  # per simulated second at 200 connections


@dataclass
class Row:
    approach: str
    connections: int
    seconds: float
    cpu: float
    double_down: float
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    ok: bool = True
    describe_peak: int = 0


def _world(count: int) -> tuple[SimClock, Ec2StandIn, Any, list[str]]:
    clock = SimClock()
    standin = Ec2StandIn(clock, SERVICE, rate_limits=EC2_REQUEST_BUCKETS)
    ids = [standin.add_connection() for _ in range(count)]
    ec2 = boto3.client("ec2", region_name="us-east-1", config=NO_SDK_RETRIES,
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    standin.attach(ec2)
    return clock, standin, ec2, ids


def _naive_one(ec2: Any, clock: SimClock, vpn: str) -> bool:
    spec = {"LogOptions": {"CloudWatchLogOptions": OPTIONS.to_api()},
            "EnableTunnelLifecycleControl": True}

    def call(fn: Any, **kw: Any) -> Any:
        delay = 1.0
        while True:
            try:
                return fn(**kw)
            except Exception as exc:  # throttling or IncorrectState: retry like the SDK does
                if error_code(exc) not in ("IncorrectState", "RequestLimitExceeded"):
                    raise
                clock.sleep(delay)
                delay = min(delay * 2, POLL)

    view = connection_view(call(ec2.describe_vpn_connections,
                                VpnConnectionIds=[vpn])["VpnConnections"][0])
    started = clock.now()
    for tunnel in view.tunnels:
        call(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn,
             VpnTunnelOutsideIpAddress=tunnel.outside_ip, TunnelOptions=spec)
    while clock.now() - started < TIMEOUT:
        view = connection_view(call(ec2.describe_vpn_connections,
                                    VpnConnectionIds=[vpn])["VpnConnections"][0])
        if all(t.status == "UP" and (t.last_status_change or 0) > started for t in view.tunnels):
            return True
        clock.sleep(POLL)
    return False


def _naive(ec2: Any, clock: SimClock, ids: list[str]) -> bool:
    clock.reserve(len(ids))

    def one(vpn: str) -> bool:
        try:
            return _naive_one(ec2, clock, vpn)
        finally:
            clock.release()

    with cf.ThreadPoolExecutor(max_workers=len(ids)) as pool:
        return all(pool.map(one, ids))


def measure(approach: str, count: int) -> Row:
    clock, standin, ec2, ids = _world(count)
    start, cpu = clock.now(), time.process_time()
    if approach == "one-at-a-time":
        settings = RolloutSettings(timeout=TIMEOUT, poll_interval=POLL)  # default parallelism
        ok = RolloutEngine(ec2, OPTIONS, settings, clock, seed=1).run(ids).ok
    else:
        ok = _naive(ec2, clock, ids)
    seconds = clock.now() - start
    return Row(
        approach, count, seconds, time.process_time() - cpu,
        standin.double_down_seconds(until=clock.now() + 10 * SERVICE.outage_seconds),
        Counter(standin.calls_by_action()),
        sum(1 for c in standin.calls if c.error_code == "RequestLimitExceeded"),
        ok,
        max(Counter(int(c.time - start) for c in standin.calls
                    if c.action == "DescribeVpnConnections").values(), default=0),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1,200,500")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive comparison")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"simulated clock: outage {SERVICE.outage_seconds:g}s, telemetry lag "
          f"{SERVICE.telemetry_lag:g}s, poll {POLL:g}s; EC2 request buckets (size, refill/s): "
          f"{dict(EC2_REQUEST_BUCKETS)}")
    header = (f"{'approach':<14} {'conns':>5} {'sim s':>7} {'ratio':>6} {'cpu s':>6} "
              f"{'double-down s':>13} {'throttled':>9} {'describe peak/s':>15} {'ok':>3}  "
              "API calls by action")
    print(header)
    print("-" * len(header))
    failed = False
    approaches = ["one-at-a-time"] + ([] if args.no_naive else ["naive"])
    for approach in approaches:
        base = None
        for n in sizes:
            row = measure(approach, n)
            base = base or row.seconds or 1.0
            calls = ", ".join(f"{k} {v}" for k, v in sorted(row.calls.items()))
            print(f"{row.approach:<14} {row.connections:>5} {row.seconds:>7.0f} "
                  f"{row.seconds / base:>6.2f} {row.cpu:>6.1f} {row.double_down:>13.0f} "
                  f"{row.throttled:>9} {row.describe_peak:>15} {'yes' if row.ok else 'NO':>3}  "
                  f"{calls}", flush=True)
            if approach == "one-at-a-time":
                if row.double_down > 0 or not row.ok:
                    failed = True
                if n == 200 and row.describe_peak > DESCRIBE_PEAK_GOAL:
                    print(f"note: {row.describe_peak} DescribeVpnConnections in one second at "
                          f"{n} connections (goal {DESCRIBE_PEAK_GOAL})")
                    failed = True
                if row.seconds / base > 1.2:
                    print(f"note: {n} connections took more than 1.2x of {sizes[0]}")
                    failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
