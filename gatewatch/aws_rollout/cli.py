"""`gatewatch aws-tunnels status|apply|maintenance` (alias `tunnel-logs`): a thin command line
over the rollout engine.

Input is validated here, before any AWS call, so a typo costs one clear line (exit 2) rather
than a traceback or, worse, a tunnel outage; an id the service does not know is bad input too,
found before anything changes. Exit codes: 0 done (maintenance left for its window included),
1 a rollout stopped or the service could not be read (the message names the tunnel, the
reason, and what was left untouched), 2 bad input or missing credentials, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.login import AwsLoginError, check_credentials, login_problem
from gatewatch.aws_rollout.client import Ec2ClientSpec
from gatewatch.aws_rollout.clock import Clock, RealClock
from gatewatch.aws_rollout.engine import RolloutEngine
from gatewatch.aws_rollout.errors import RolloutInterrupted, RolloutStopped, UnknownConnections
from gatewatch.aws_rollout.journal import JournalSpec
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.preflight import check_log_groups, log_groups_of
from gatewatch.aws_rollout.results import Action, ProgressEvent, RolloutResult, TunnelResult
from gatewatch.aws_rollout.retry import describe_error
from gatewatch.aws_rollout.views import ConnectionStatus, TimeWindow, format_time
from gatewatch.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, BadInput

PROG = "gatewatch aws-tunnels"
DEFAULT_FORMAT = aws_facts.AWS_LOG_OUTPUT_FORMATS[0]
EXAMPLE_ARN = "arn:aws:logs:REGION:123456789012:log-group:/aws/vendedlogs/vpn"
EXAMPLE_ENDPOINT = "https://ec2.REGION.amazonaws.com"
MID_CHANGE_SHOWN = 10  # tunnels named after Ctrl-C; the rest are counted
# A host name, an IPv4 address, or a bracketed IPv6 address (what botocore accepts).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"({_LABEL}\.)*{_LABEL}\.?|\[[0-9A-Fa-f:.]+\]")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `aws-tunnels` (alias `tunnel-logs`) on the gatewatch command line."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "aws-tunnels",
        aliases=["tunnel-logs"],
        help="show AWS Site-to-Site VPN tunnels; roll out tunnel and BGP logs and lifecycle "
             "control, or apply pending maintenance, one tunnel at a time",
        description=(
            "A tunnel-option change or a maintenance replacement takes that tunnel down for a "
            "few minutes. `apply` sets tunnel logs, BGP logs and lifecycle control in one "
            "change per tunnel; `maintenance` applies pending tunnel endpoint maintenance. "
            "Both change one tunnel, wait until AWS reports it UP again, then the other; "
            "tunnels with nothing to do are skipped, so a rerun finishes an interrupted run. "
            "Every id is checked before anything changes."
        ),
    )
    _configure(parser)
    return parser


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("status", "apply", "maintenance"))
    parser.add_argument("vpn_ids", nargs="+", metavar="VPN_ID", help="e.g. vpn-0123456789abcdef0")
    parser.add_argument("--region", required=True, help="AWS region of the VPN connections")
    parser.add_argument("--endpoint-url", help="EC2 endpoint override (e.g. a local stand-in)")
    parser.add_argument("--log-group-arn", help=f"CloudWatch Logs group, e.g. {EXAMPLE_ARN}")
    parser.add_argument("--format", default=None,
                        help=f"log output format: {' or '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)} "
                             f"(default {DEFAULT_FORMAT})")
    parser.add_argument("--journal-group-arn",
                        help="apply/maintenance: the kit's log group, where every tunnel change "
                             "is recorded before it is made (stream gatewatch-rollout-journal; "
                             "default: the --log-group-arn group)")
    parser.add_argument("--bgp-log-group-arn",
                        help="apply: where BGP logs go (default: the --log-group-arn group)")
    parser.add_argument("--no-bgp-logs", action="store_true",
                        help="apply: leave BGP logs as they are")
    parser.add_argument("--no-lifecycle-control", action="store_true",
                        help="apply: leave EnableTunnelLifecycleControl as it is")
    parser.add_argument("--no-maintenance", action="store_true",
                        help="status: skip the per-tunnel maintenance read "
                             "(GetVpnTunnelReplacementStatus, one call per tunnel: about 8 "
                             "connections a second past the first 40)")
    parser.add_argument("--window", metavar="HH:MM-HH:MM",
                        help="maintenance: start a replacement only inside this daily UTC "
                             "window (for a scheduled job)")
    parser.add_argument("--timeout", default="900", help="seconds to wait for a tunnel to be UP")
    parser.add_argument("--poll", default="15", help="seconds between status reads")
    parser.add_argument("--parallel", default=None,
                        help="connections worked on at once (default: as many as EC2's "
                             "request throttle allows)")
    parser.add_argument("--disable", action="store_true",
                        help="apply: turn tunnel and BGP logs off instead (give no "
                             "--log-group-arn or --format)")
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
        raise BadInput(f"{flag} must be {kind} (got {raw!r}); e.g. {flag} "
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
        raise BadInput(problem) from None
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: host.rindex(":")]
    if (parts.scheme not in ("http", "https") or not _HOST_RE.fullmatch(host)
            or port == 0 or "@" in parts.netloc or parts.query or parts.fragment
            or any(c.isspace() for c in raw)):
        raise BadInput(problem)


def _arn(args: argparse.Namespace, flag: str, value: str) -> str:
    match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(value)
    if not match:
        raise BadInput(
            f"{flag} {value!r} is not a CloudWatch Logs log group ARN; "
            f"expected {EXAMPLE_ARN.replace('REGION', args.region)}"
        )
    if match["region"] != args.region:
        raise BadInput(
            f"{flag} is in region {match['region']} but --region is {args.region}; "
            "use a log group in the same region as the VPN connections"
        )
    return value


def _only_for(args: argparse.Namespace, action: str, flags: Sequence[tuple[str, Any]]) -> None:
    for flag, value in flags:
        if value not in (None, False):
            raise BadInput(f"{flag} has no effect with {args.action}; drop {flag} "
                             f"(it belongs to {action})")


def _validate(args: argparse.Namespace) -> tuple[LogOptions | None, RolloutSettings]:
    if not aws_facts.AWS_REGION_RE.fullmatch(args.region):
        raise BadInput(f"--region {args.region!r} is not an AWS region; e.g. --region us-east-1")
    for vpn_id in args.vpn_ids:
        if not aws_facts.AWS_VPN_ID_RE.fullmatch(vpn_id):
            raise BadInput(
                f"VPN_ID {vpn_id!r} is not a VPN connection id; expected vpn- followed by 8 to 17 "
                "lowercase hex digits, e.g. vpn-0123456789abcdef0"
            )
    _endpoint_url(args.endpoint_url, args.region)
    if args.format is not None and args.format not in aws_facts.AWS_LOG_OUTPUT_FORMATS:
        raise BadInput(f"--format must be {' or '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)} "
                         f"(got {args.format!r}); e.g. --format {DEFAULT_FORMAT}")
    settings = RolloutSettings(
        timeout=_positive(args, "timeout"),
        poll_interval=_positive(args, "poll"),
        max_parallel=(None if args.parallel is None else
                      int(_positive(args, "parallel", integer=True))),
    )
    if args.action != "maintenance":
        _only_for(args, "maintenance", [("--window", args.window)])
    elif args.window is not None:
        try:
            TimeWindow.parse(args.window)
        except ValueError as exc:
            raise BadInput(f"--window {exc}") from None
    if args.action != "status":
        _only_for(args, "status", [("--no-maintenance", args.no_maintenance)])
    else:
        _only_for(args, "apply and maintenance", [("--journal-group-arn",
                                                  args.journal_group_arn)])
    if args.action != "apply":
        _only_for(args, "apply", [
            ("--log-group-arn", args.log_group_arn), ("--format", args.format),
            ("--bgp-log-group-arn", args.bgp_log_group_arn), ("--disable", args.disable),
            ("--no-bgp-logs", args.no_bgp_logs),
            ("--no-lifecycle-control", args.no_lifecycle_control)])
        return None, settings
    if args.disable:
        for flag, value in (("--log-group-arn", args.log_group_arn), ("--format", args.format),
                            ("--bgp-log-group-arn", args.bgp_log_group_arn)):
            if value is not None:
                raise BadInput(f"{flag} has no effect with --disable; drop {flag} "
                                 "(or drop --disable to turn the logs on)")
        return LogOptions(False, bgp_log_enabled=None if args.no_bgp_logs else False), settings
    if not args.log_group_arn:
        raise BadInput(f"--log-group-arn is required for apply (or use --disable); "
                         f"e.g. --log-group-arn {EXAMPLE_ARN.replace('REGION', args.region)}")
    arn = _arn(args, "--log-group-arn", args.log_group_arn)
    if args.no_bgp_logs and args.bgp_log_group_arn is not None:
        raise BadInput("--bgp-log-group-arn has no effect with --no-bgp-logs; drop one of them")
    bgp_arn = (_arn(args, "--bgp-log-group-arn", args.bgp_log_group_arn)
               if args.bgp_log_group_arn is not None else None)
    fmt = args.format or DEFAULT_FORMAT
    return LogOptions(
        True, arn, fmt,
        bgp_log_enabled=None if args.no_bgp_logs else True,
        bgp_log_group_arn=bgp_arn, bgp_log_output_format=fmt,
        lifecycle_control=None if args.no_lifecycle_control else True,
    ), settings


class _Printer:
    """Progress lines for a person watching; several workers print, so one lock. The time in
    brackets is one clock per connection: seconds since work on that connection began."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.began: dict[str, float] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.phase == "check":
            return  # every poll reads the connection; the wait/modify lines say what matters
        where = f"{event.vpn_connection_id} tunnel {event.tunnel}" if event.tunnel else \
            event.vpn_connection_id
        if event.outside_ip:
            where += f" ({event.outside_ip})"
        message = event.message
        if event.phase == "failed":
            message = "stopped; the reason is printed once at the end"
        with self.lock:
            began = self.began.setdefault(event.vpn_connection_id, event.at)
            print(f"[{event.at - began:7.1f}s] {where}: {event.phase}: {message}",
                  file=self.out, flush=True)


def _logs(cw: Mapping[str, Any], prefix: str, label: str) -> str:
    if not cw.get(f"{prefix}LogEnabled"):
        return f"{label}=off"
    return (f"{label}={cw.get(f'{prefix}LogOutputFormat', 'json')}:"
            f"{cw.get(f'{prefix}LogGroupArn', '-')}")


def _print_status(statuses: Iterable[ConnectionStatus], out: TextIO) -> None:
    """One connection at a time, as each is read (a large status shows rows at once)."""
    for status in statuses:
        view = status.view
        print(f"{view.vpn_connection_id}  state={view.state}", file=out)
        details = status.maintenance or (None,) * len(view.tunnels)
        for n, (tunnel, maint) in enumerate(zip(view.tunnels, details, strict=True), 1):
            lifecycle = ("unknown" if tunnel.lifecycle_control is None else
                         "on" if tunnel.lifecycle_control else "off")
            pending = ("maintenance=not-read" if maint is None else
                       f"maintenance=PENDING({maint.pending}) auto-applied-after="
                       f"{format_time(maint.auto_applied_after)}" if maint.pending else
                       "maintenance=none")
            last = (f" last-applied={format_time(maint.last_applied)}"
                    if maint is not None and maint.last_applied is not None else "")
            print(f"  tunnel {n}  {tunnel.outside_ip:<15}  {tunnel.status:<4}  since "
                  f"{format_time(tunnel.last_status_change)}  "
                  f"{_logs(tunnel.log_options, '', 'tunnel-logs')}  "
                  f"{_logs(tunnel.log_options, 'Bgp', 'bgp-logs')}  lifecycle-control={lifecycle}"
                  f"  {pending}{last}", file=out, flush=True)


def _rows(result: RolloutResult) -> list[TunnelResult]:
    """One row per tunnel; a connection that stopped before its tunnels gets one row too."""
    rows: list[TunnelResult] = []
    for conn in result.connections:
        rows.extend(conn.tunnels or [TunnelResult(conn.vpn_connection_id, 0, "-",
                                                  Action.FAILED)])
    return rows


def _print_summary(result: RolloutResult, out: TextIO) -> None:
    rows = _rows(result)
    print(f"{'connection':<22} {'tunnel':<6} {'outside ip':<15} {'action':<13} {'down s':>7}",
          file=out)
    for t in rows:
        print(f"{t.vpn_connection_id:<22} {t.tunnel or '-':<6} {t.outside_ip:<15} "
              f"{t.action.value:<13} {t.seconds_down:>7.0f}", file=out)
    counts = Counter(t.action for t in rows)
    shown = [Action.CHANGED, Action.NO_OUTAGE, Action.MAINTAINED, Action.SKIPPED,
             Action.DEFERRED, Action.FAILED, Action.NOT_TOUCHED]
    print(", ".join(f"{action.value.replace('set-no-outage', 'no-outage')} {counts[action]}"
                    for action in shown if counts[action] or action in
                    (Action.CHANGED, Action.SKIPPED, Action.FAILED)), file=out)


def _credentials_problem(endpoint_url: str | None) -> str | None:
    """What to fix when boto3's credential chain has no usable credential (missing, partial,
    an unknown AWS_PROFILE, an expired SSO login, ...), resolved before any EC2 call."""
    try:
        check_credentials(boto3.Session(), endpoint_hint=endpoint_url is not None)
    except AwsLoginError as exc:
        return str(exc)
    except BotoCoreError as exc:  # the Session itself: e.g. ProfileNotFound for AWS_PROFILE
        return login_problem(exc, endpoint_hint=endpoint_url is not None) or str(exc)
    return None


def _login_refused(exc: BaseException) -> str | None:
    """The credential problem behind a failed call or a stopped rollout, if that is what it
    was (a key EC2 does not accept, an expired session token)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ClientError | BotoCoreError):
            session = None
            with contextlib.suppress(BotoCoreError):
                session = boto3.Session()
            return login_problem(cause, session)
        cause = cause.__cause__
    return None


def _interrupted(exc: KeyboardInterrupt) -> str:
    """The one line after Ctrl-C. The engine has stopped every worker before its next call
    (RolloutInterrupted); it names the tunnels whose change went out but were not seen UP."""
    changing = exc.changing if isinstance(exc, RolloutInterrupted) else []
    head = f"{PROG}: interrupted (Ctrl-C); no further tunnel was modified"
    rerun = "Rerun the same command: finished tunnels are skipped"
    if not changing:
        return (f"{head}, a tunnel may still be coming back UP. {rerun}.")
    names = ", ".join(f"{vpn} tunnel {n} ({ip})" for vpn, n, ip in changing[:MID_CHANGE_SHOWN])
    more = len(changing) - MID_CHANGE_SHOWN
    if more > 0:
        names += f" and {more} more"
    return (f"{head}. Mid-change, may still be coming back UP: {len(changing)} tunnel(s): "
            f"{names}. {rerun} and these are waited for, not changed again.")


def _journal(args: argparse.Namespace) -> JournalSpec | None:
    """Where a changing run records its changes first (gatewatch/aws_rollout/journal.py)."""
    if args.action == "status":
        return None
    if args.journal_group_arn is not None:
        return JournalSpec(_arn(args, "--journal-group-arn", args.journal_group_arn),
                           args.region)
    if args.action == "apply" and not args.disable:
        return JournalSpec(args.log_group_arn, args.region, flag="--log-group-arn")
    raise BadInput(f"--journal-group-arn is required for {args.action}"
                   f"{' --disable' if args.disable else ''}: the kit's log group, where each "
                   "tunnel change is recorded before it is made so a rerun or a second run "
                   f"waits for it; e.g. --journal-group-arn "
                   f"{EXAMPLE_ARN.replace('REGION', args.region)}")


def run(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """Run the parsed command; `clock` is the engine's (default: the real one)."""
    out, err = sys.stdout, sys.stderr
    try:
        options, settings = _validate(args)
        journal = _journal(args)
    except BadInput as exc:
        for line in exc.lines:
            print(f"{PROG}: error: {line}", file=err)
        return EXIT_BAD_INPUT
    problem = _credentials_problem(args.endpoint_url)
    if problem:
        print(f"{PROG}: error: {problem}", file=err)
        return EXIT_BAD_INPUT
    spec = Ec2ClientSpec(args.region, args.endpoint_url)
    try:
        # Before anything changes: can the logs (and the journal's records) arrive at all?
        check_log_groups((log_groups_of(options) if options is not None else []) +
                         ([("--journal-group-arn", args.journal_group_arn)]
                          if args.journal_group_arn else []), args.region)
        engine = RolloutEngine(spec, options or LogOptions(False), settings, clock or RealClock(),
                               _Printer(err), journal=journal)
        if args.action == "status":
            _print_status(engine.statuses(args.vpn_ids, not args.no_maintenance), out)
            return EXIT_OK
        if args.action == "maintenance":
            window = TimeWindow.parse(args.window) if args.window else None
            print(f"maintenance: applying pending tunnel maintenance on {len(args.vpn_ids)} "
                  f"connection(s), one tunnel at a time"
                  + (f", only inside {window}" if window else ""), file=out, flush=True)
            result = engine.apply_maintenance(args.vpn_ids, window)
        else:
            assert options is not None
            print(f"apply: {options.describe()}; {len(args.vpn_ids)} connection(s), "
                  "one tunnel at a time", file=out, flush=True)
            result = engine.run(args.vpn_ids)
    except (UnknownConnections, BadInput) as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return EXIT_BAD_INPUT
    except (RolloutStopped, ClientError, BotoCoreError) as exc:
        problem = _login_refused(exc)
        if problem is not None:
            print(f"{PROG}: error: {problem}", file=err)
            return EXIT_BAD_INPUT
        text = str(exc) if isinstance(exc, RolloutStopped) else describe_error(exc)
        print(f"{PROG}: error: {text}", file=err)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        print(_interrupted(exc), file=err, flush=True)
        return EXIT_INTERRUPTED
    _print_summary(result, out)
    for message in dict.fromkeys(result.errors):  # one stop shared by all prints once
        print(f"{PROG}: error: {message}", file=err)
    return EXIT_OK if result.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (`python -m gatewatch.aws_rollout.cli aws-tunnels ...`)."""
    parser = argparse.ArgumentParser(prog="gatewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
