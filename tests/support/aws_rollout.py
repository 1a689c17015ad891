"""Shared set-up for the tunnel-logs rollout tests: a stand-in EC2 behind a real boto3 client.

Kept out of conftest.py on purpose (the lead owns the test layout); test modules import it.
Clients get explicit dummy credentials so no test can pick up a real AWS profile.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
import botocore.utils

from gatewatch.aws_rollout import cli
from gatewatch.aws_rollout.client import NO_SDK_RETRIES
from gatewatch.aws_rollout.clock import Clock, RealClock, SimClock
from gatewatch.aws_rollout.engine import RolloutEngine
from gatewatch.aws_rollout.journal import STREAM, JournalRecord, JournalSpec
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.results import ProgressCallback, ProgressEvent, RolloutResult
from gatewatch.aws_rollout.views import TimeWindow
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import DOWN, StandInSettings

REGION = "us-east-1"
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn-tunnels"
ENABLE = LogOptions(True, ARN, "json")
DISABLE = LogOptions(False)
ENABLED_API = {"LogEnabled": True, "LogGroupArn": ARN, "LogOutputFormat": "json"}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@functools.cache
def _session() -> boto3.Session:
    """One boto3 session for every test client, parsing exactly as boto3's default does except
    that botocore's own timestamp parser is memoised (botocore's documented hook,
    ResponseParserFactory.set_parser_defaults). A stand-in answering hundreds of connections
    repeats the same few LastStatusChange values, and dateutil parsing them was half the cost
    of reading a 100-connection DescribeVpnConnections; the datetimes are identical (and
    immutable, so sharing them is safe)."""
    core = botocore.session.get_session()
    parse = functools.lru_cache(maxsize=1 << 16)(botocore.utils.parse_timestamp)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse)
    return boto3.Session(botocore_session=core)


def client(endpoint_url: str | None = None) -> Any:
    return _session().client(
        "ec2", region_name=REGION, endpoint_url=endpoint_url, config=NO_SDK_RETRIES,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def subprocess_env(moto_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    if moto_url is not None:
        env.update(preflight_endpoints(moto_url))
    return env


def preflight_endpoints(moto_url: str) -> dict[str, str]:
    """boto3's per-service endpoint variables sending `apply`'s log group check (STS and
    CloudWatch Logs, gatewatch/aws_rollout/preflight.py) to moto; EC2 stays the stand-in's."""
    return {"AWS_ENDPOINT_URL_STS": moto_url, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": moto_url}


def create_log_group(moto_url: str, arn: str = ARN) -> None:
    """The group `arn` names, in moto's default account (123456789012, the tests' ARNs')."""
    match = re.fullmatch(r"arn:[^:]+:logs:([^:]+):\d{12}:log-group:(.+?)(:\*)?", arn)
    assert match, arn
    logs = _session().client("logs", region_name=match[1], endpoint_url=moto_url,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=match[2])


def journal_records(moto_url: str, arn: str) -> list[JournalRecord]:
    """The rollout journal's records in the group `arn` names, as a later run reads them."""
    match = re.fullmatch(r"arn:[^:]+:logs:([^:]+):\d{12}:log-group:(.+?)(:\*)?", arn)
    assert match, arn
    logs = _session().client("logs", region_name=match[1], endpoint_url=moto_url,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    events = logs.get_log_events(logGroupName=match[2], logStreamName=STREAM,
                                 startFromHead=True)["events"]
    return [r for r in (JournalRecord.parse(e["message"]) for e in events) if r is not None]


@dataclass
class World:
    """A simulated-time stand-in, a boto3 client wired to it in-process, and the events seen."""

    clock: SimClock
    standin: Ec2StandIn
    ec2: Any
    events: list[ProgressEvent] = field(default_factory=list)
    journal: JournalSpec | None = None  # the rollout journal's group on moto, if any
    logs: Any = None  # a CloudWatch Logs client on moto for it

    def engine(self, options: LogOptions = ENABLE, progress: ProgressCallback | None = None,
               clock: Clock | None = None, seed: int = 7, **settings: Any) -> RolloutEngine:
        """An engine on this world (with its journal, if it has one)."""
        settings.setdefault("poll_interval", 10.0)
        settings.setdefault("timeout", 900.0)

        def record(event: ProgressEvent) -> None:
            self.events.append(event)
            if progress is not None:
                progress(event)

        return RolloutEngine(self.ec2, options, RolloutSettings(**settings), clock or self.clock,
                             record, seed=seed, journal=self.journal, journal_client=self.logs)

    def run(self, ids: list[str], options: LogOptions = ENABLE,
            progress: ProgressCallback | None = None, **settings: Any) -> RolloutResult:
        return self.engine(options, progress, **settings).run(ids)

    def maintain(self, ids: list[str], window: TimeWindow | None = None,
                 **settings: Any) -> RolloutResult:
        """`apply_maintenance` over `ids`, as `gatewatch aws-tunnels maintenance` runs it."""
        settings.setdefault("poll_interval", 10.0)
        settings.setdefault("timeout", 900.0)
        engine = RolloutEngine(self.ec2, LogOptions(False), RolloutSettings(**settings),
                               self.clock, self.events.append, seed=3)
        return engine.apply_maintenance(ids, window)


def make_world(settings: StandInSettings | None = None, journal_url: str | None = None,
               **standin_kwargs: Any) -> World:
    """With `journal_url` (moto), the engine keeps its journal in a fresh group there, and
    simulated time starts now (CloudWatch Logs rejects events 14 days old or 2 hours ahead)."""
    clock = SimClock() if journal_url is None else SimClock(time.time())
    standin = Ec2StandIn(clock, settings, **standin_kwargs)
    world = World(clock, standin, standin.attach(client()))
    if journal_url is not None:
        arn = ARN.replace("vpn-tunnels", f"gatewatch/journal-{uuid.uuid4().hex[:8]}")
        create_log_group(journal_url, arn)
        world.journal = JournalSpec(arn, REGION, journal_url)
        world.logs = logs_client(journal_url)
    return world


def logs_client(moto_url: str) -> Any:
    """A CloudWatch Logs client on moto, SDK retries off like the engine's own."""
    return _session().client("logs", region_name=REGION, endpoint_url=moto_url,
                             config=NO_SDK_RETRIES, aws_access_key_id="testing",
                             aws_secret_access_key="testing")


def max_both_down_seconds(standin: Ec2StandIn, horizon: float = 100_000.0) -> float:
    """Longest stretch in which both tunnels of one connection were DOWN, recomputed here from
    the raw timeline (not via the stand-in's own helper), including already-scheduled changes.
    """
    until = standin.clock.now() + horizon
    per_conn: dict[str, list[Any]] = defaultdict(list)
    for event in standin.timeline(until=until):
        per_conn[event.vpn_connection_id].append(event)
    worst = 0.0
    for events in per_conn.values():
        status: dict[str, str] = {}
        both_since: float | None = None
        for event in events:
            status[event.outside_ip] = event.status
            both = len(status) == 2 and all(s == DOWN for s in status.values())
            if both and both_since is None:
                both_since = event.time
            elif not both and both_since is not None:
                worst = max(worst, event.time - both_since)
                both_since = None
        if both_since is not None:
            worst = max(worst, until - both_since)
    return worst


def down_intervals(standin: Ec2StandIn, vpn_id: str, ip: str,
                   horizon: float = 100_000.0) -> list[tuple[float, float]]:
    """(start, end) of every DOWN stretch of one tunnel."""
    until = standin.clock.now() + horizon
    out: list[tuple[float, float]] = []
    start: float | None = None
    for event in standin.timeline(until=until):
        if (event.vpn_connection_id, event.outside_ip) != (vpn_id, ip):
            continue
        if event.status == DOWN and start is None:
            start = event.time
        elif event.status != DOWN and start is not None:
            out.append((start, event.time))
            start = None
    if start is not None:
        out.append((start, until))
    return out


CliRun = Callable[..., "subprocess.CompletedProcess[str]"]


@contextlib.contextmanager
def served_standin(settings: StandInSettings) -> Iterator[tuple[Ec2StandIn, str]]:
    """An EC2 stand-in on the real clock, served over HTTP on 127.0.0.1."""
    standin = Ec2StandIn(RealClock(), settings)
    with standin.serve() as url:
        yield standin, url


def in_process_cli(capsys: Any) -> CliRun:
    """`gatewatch aws-tunnels ARGS` in this process; returns what a subprocess run would. With
    `clock=`, the engine waits on that clock instead of the real one."""
    def run(*args: str, clock: Clock | None = None) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        parser = argparse.ArgumentParser(prog="gatewatch")
        cli.add_parser(parser.add_subparsers(dest="command"))
        code = cli.run(parser.parse_args(["aws-tunnels", *args]), clock)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["aws-tunnels", *args], code, out, err)

    return run


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single `gatewatch aws-tunnels: error: ...` line of a refused run (no traceback)."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{cli.PROG}: error: ")
    return lines[0]


def someone_else_sets_logs(world: World, vpn: str, ip: str, output_format: str) -> None:
    """Another client (a console user, Terraform) changes one tunnel's log options now."""
    other = client()
    world.standin.attach(other)
    other.modify_vpn_tunnel_options(
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip,
        TunnelOptions={"LogOptions": {"CloudWatchLogOptions": {
            "LogEnabled": True, "LogGroupArn": ARN, "LogOutputFormat": output_format}}})


def connection_with_maintenance(world: World) -> tuple[str, str, str]:
    """A connection whose two tunnels both have AWS maintenance pending; its id and IPs."""
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.schedule_maintenance(vpn, ip1)
    world.standin.schedule_maintenance(vpn, ip2)
    return vpn, ip1, ip2


def isolated_cli(monkeypatch: Any, capsys: Any, moto_url: str) -> CliRun:
    """`in_process_cli` with the subprocess tests' environment: dummy credentials, no AWS
    config files, STS and CloudWatch Logs on moto where the log group ARN names exists, and
    boto3's default session (it caches credentials) fresh for the test."""
    create_log_group(moto_url)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in subprocess_env(moto_url).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return in_process_cli(capsys)
