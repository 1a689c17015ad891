"""`gatewatch tunnel-logs status|apply`: a thin command line over the rollout engine.

Input is validated here, before any AWS call, so a typo costs one clear line (exit 2) rather
than a traceback or, worse, a tunnel outage. Exit codes: 0 done, 1 a rollout stopped or the
service could not be read (the message names the tunnel, the reason, and what was left
untouched), 2 bad input.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from gatewatch import facts
from gatewatch.aws_rollout.clock import RealClock
from gatewatch.aws_rollout.engine import (
    Action,
    Ec2ClientSpec,
    LogOptions,
    ProgressEvent,
    RolloutEngine,
    RolloutResult,
    RolloutSettings,
    RolloutStopped,
    format_time,
)

PROG = "gatewatch tunnel-logs"
VPN_ID_RE = facts.AWS_VPN_ID_RE
REGION_RE = facts.AWS_REGION_RE
LOG_GROUP_ARN_RE = facts.AWS_LOG_GROUP_ARN_RE
LOG_FORMATS = facts.AWS_LOG_OUTPUT_FORMATS
DEFAULT_FORMAT = LOG_FORMATS[0]
EXAMPLE_ARN = "arn:aws:logs:REGION:123456789012:log-group:/aws/vendedlogs/vpn"
EXAMPLE_ENDPOINT = "https://ec2.REGION.amazonaws.com"
# A host name, an IPv4 address, or a bracketed IPv6 address (what botocore accepts).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"({_LABEL}\.)*{_LABEL}\.?|\[[0-9A-Fa-f:.]+\]")


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as the rest of the gatewatch command line


class InputError(Exception):
    """Bad input: one line naming the argument and the fix."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `tunnel-logs` on the gatewatch command line (dispatch via args.func)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tunnel-logs",
        help="show or roll out AWS Site-to-Site VPN tunnel activity logs, one tunnel at a time",
        description=(
            "Changing a tunnel option takes that tunnel down for a few minutes. `apply` changes "
            "one tunnel, waits until AWS reports it UP again, then the other; tunnels that "
            "already match are skipped, so a rerun finishes an interrupted rollout."
        ),
    )
    _configure(parser)
    return parser


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("status", "apply"))
    parser.add_argument("vpn_ids", nargs="+", metavar="VPN_ID", help="e.g. vpn-0123456789abcdef0")
    parser.add_argument("--region", required=True, help="AWS region of the VPN connections")
    parser.add_argument("--endpoint-url", help="EC2 endpoint override (e.g. a local stand-in)")
    parser.add_argument("--log-group-arn", help=f"CloudWatch Logs group, e.g. {EXAMPLE_ARN}")
    parser.add_argument("--format", default=None,
                        help=f"log output format: {' or '.join(LOG_FORMATS)} "
                             f"(default {DEFAULT_FORMAT})")
    parser.add_argument("--timeout", default="900", help="seconds to wait for a tunnel to be UP")
    parser.add_argument("--poll", default="15", help="seconds between status reads")
    parser.add_argument("--parallel", default="10", help="connections rolled out at once")
    parser.add_argument("--disable", action="store_true",
                        help="turn the logs off instead (give no --log-group-arn or --format)")
    parser.set_defaults(func=run)


def _positive(args: argparse.Namespace, name: str, integer: bool = False) -> float:
    raw = getattr(args, name)
    flag = f"--{name}"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise InputError(f"{flag} must be {kind} (got {raw!r}); e.g. {flag} "
                         f"{'10' if integer else '900'}")
    return value


def _endpoint_url(raw: str | None, region: str) -> None:
    """`--endpoint-url` must be http(s)://host[:port][/path]; botocore would otherwise stop with
    a ValueError traceback."""
    if raw is None:
        return
    example = EXAMPLE_ENDPOINT.replace("REGION", region)
    problem = f"--endpoint-url {raw!r} is not an http(s) URL; expected " \
              f"http(s)://host[:port][/path], e.g. --endpoint-url {example}"
    try:
        parts = urlsplit(raw)
        port = parts.port  # ValueError when not a number in 0-65535
    except ValueError:
        raise InputError(problem) from None
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: host.rindex(":")]
    if (parts.scheme not in ("http", "https") or not _HOST_RE.fullmatch(host)
            or port == 0 or "@" in parts.netloc or parts.query or parts.fragment
            or any(c.isspace() for c in raw)):
        raise InputError(problem)


def _validate(args: argparse.Namespace) -> tuple[LogOptions | None, RolloutSettings]:
    if not REGION_RE.fullmatch(args.region):
        raise InputError(f"--region {args.region!r} is not an AWS region; e.g. --region us-east-1")
    for vpn_id in args.vpn_ids:
        if not VPN_ID_RE.fullmatch(vpn_id):
            raise InputError(
                f"VPN_ID {vpn_id!r} is not a VPN connection id; expected vpn- followed by 8 to 17 "
                "lowercase hex digits, e.g. vpn-0123456789abcdef0"
            )
    _endpoint_url(args.endpoint_url, args.region)
    if args.format is not None and args.format not in LOG_FORMATS:
        raise InputError(f"--format must be {' or '.join(LOG_FORMATS)} (got {args.format!r}); "
                         f"e.g. --format {DEFAULT_FORMAT}")
    settings = RolloutSettings(
        timeout=_positive(args, "timeout"),
        poll_interval=_positive(args, "poll"),
        max_parallel=int(_positive(args, "parallel", integer=True)),
    )
    if args.action == "status":
        return None, settings
    if args.disable:
        for flag, value in (("--log-group-arn", args.log_group_arn), ("--format", args.format)):
            if value is not None:
                raise InputError(f"{flag} has no effect with --disable; drop {flag} "
                                 "(or drop --disable to turn the logs on)")
        return LogOptions(False), settings
    if not args.log_group_arn:
        raise InputError(f"--log-group-arn is required for apply (or use --disable); "
                         f"e.g. --log-group-arn {EXAMPLE_ARN.replace('REGION', args.region)}")
    match = LOG_GROUP_ARN_RE.fullmatch(args.log_group_arn)
    if not match:
        raise InputError(
            f"--log-group-arn {args.log_group_arn!r} is not a CloudWatch Logs log group ARN; "
            f"expected {EXAMPLE_ARN.replace('REGION', args.region)}"
        )
    if match["region"] != args.region:
        raise InputError(
            f"--log-group-arn is in region {match['region']} but --region is {args.region}; "
            "use a log group in the same region as the VPN connections"
        )
    return LogOptions(True, args.log_group_arn, args.format or DEFAULT_FORMAT), settings


class _Printer:
    """Progress lines for a person watching; several workers print, so one lock."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        if event.phase == "check":
            return  # every poll reads the connection; the wait/modify lines say what matters
        where = f"{event.vpn_connection_id} tunnel {event.tunnel}" if event.tunnel else \
            event.vpn_connection_id
        if event.outside_ip:
            where += f" ({event.outside_ip})"
        with self.lock:
            print(f"[{event.elapsed:7.1f}s] {where}: {event.phase}: {event.message}",
                  file=self.out, flush=True)


def _print_status(engine: RolloutEngine, vpn_ids: Sequence[str], out: TextIO) -> int:
    views = engine.read(vpn_ids)
    for view in views:
        print(f"{view.vpn_connection_id}  state={view.state}", file=out)
        for n, tunnel in enumerate(view.tunnels, 1):
            cw = tunnel.log_options
            logs = (f"logs=enabled format={cw.get('LogOutputFormat', 'json')} "
                    f"group={cw.get('LogGroupArn', '-')}" if cw.get("LogEnabled") else
                    "logs=disabled")
            print(f"  tunnel {n}  {tunnel.outside_ip:<15}  {tunnel.status:<4}  since "
                  f"{format_time(tunnel.last_status_change)}  {logs}", file=out)
    return 0


def _print_summary(result: RolloutResult, out: TextIO) -> None:
    print(f"{'connection':<22} {'tunnel':<6} {'outside ip':<15} {'action':<11} {'down s':>7}",
          file=out)
    for conn in result.connections:
        for t in conn.tunnels:
            print(f"{t.vpn_connection_id:<22} {t.tunnel:<6} {t.outside_ip:<15} "
                  f"{t.action.value:<11} {t.seconds_down:>7.0f}", file=out)
    print(f"changed {result.count(Action.CHANGED)}, skipped {result.count(Action.SKIPPED)}, "
          f"failed {result.count(Action.FAILED)}", file=out)


def run(args: argparse.Namespace) -> int:
    out, err = sys.stdout, sys.stderr
    try:
        options, settings = _validate(args)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return 2
    spec = Ec2ClientSpec(args.region, args.endpoint_url)
    try:
        if options is None:
            # Reading can retry too (throttling, an unreachable endpoint): say so as apply does.
            engine = RolloutEngine(spec, LogOptions(False), settings, RealClock(), _Printer(err))
            return _print_status(engine, args.vpn_ids, out)
        print(f"{args.action}: {options.describe()} on {len(args.vpn_ids)} connection(s), "
              "one tunnel at a time", file=out, flush=True)
        engine = RolloutEngine(spec, options, settings, RealClock(), _Printer(err))
        result = engine.run(args.vpn_ids)
    except RolloutStopped as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        # The engine stops every worker before its next call; nothing new is modified.
        print(f"{PROG}: interrupted (Ctrl-C); no further tunnel was modified, a tunnel may still "
              "be coming back UP. Rerun the same command: finished tunnels are skipped.",
              file=err)
        return EXIT_INTERRUPTED
    _print_summary(result, out)
    for message in result.errors:
        print(f"{PROG}: error: {message}", file=err)
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (`python -m gatewatch.aws_rollout.cli tunnel-logs ...`) until the lead
    wires `add_parser` into gatewatch/cli.py."""
    parser = argparse.ArgumentParser(prog="gatewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
