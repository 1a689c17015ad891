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
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.login import AwsLoginError, check_credentials, login_problem
from gatewatch.aws.sessions import check_role, session_for
from gatewatch.aws_rollout.client import make_ec2_client
from gatewatch.aws_rollout.clock import Clock, RealClock
from gatewatch.aws_rollout.engine import RolloutEngine
from gatewatch.aws_rollout.errors import RolloutInterrupted, RolloutStopped, UnknownConnections
from gatewatch.aws_rollout.journal import JournalSpec
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.preflight import check_log_groups, log_groups_of
from gatewatch.aws_rollout.report import Printer, print_status, print_summary
from gatewatch.aws_rollout.results import RolloutResult
from gatewatch.aws_rollout.retry import describe_error
from gatewatch.aws_rollout.targets import (
    EXAMPLE_ARN,
    Target,
    by_region,
    endpoints,
    load_stack,
    stack_options,
    targets,
)
from gatewatch.aws_rollout.views import TimeWindow
from gatewatch.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, BadInput

PROG = "gatewatch aws-tunnels"
JOURNAL_FLAG = "--journal-group-arn"
DEFAULT_FORMAT = aws_facts.AWS_LOG_OUTPUT_FORMATS[0]
MID_CHANGE_SHOWN = 10  # tunnels named after Ctrl-C; the rest are counted


class _IdsAfterOptions(argparse.ArgumentParser):
    """VPN_IDs may follow options (`apply --region R vpn-1 vpn-2`) and may be none (`status
    --stack FILE`): argparse gives an optional positional (nargs `*`) its empty value at the
    first chance, so this parser reads options and positionals intermixed
    (`parse_known_intermixed_args`, which itself calls `parse_known_args` once more)."""

    _inner = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `aws-tunnels` (alias `tunnel-logs`) on the gatewatch command line."""
    base, subparsers._parser_class = subparsers._parser_class, _IdsAfterOptions
    try:
        parser = _add(subparsers)
    finally:
        subparsers._parser_class = base
    _configure(parser)
    return parser


def _add(subparsers: Any) -> argparse.ArgumentParser:
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
    return parser


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("status", "apply", "maintenance"))
    parser.add_argument("vpn_ids", nargs="*", metavar="VPN_ID",
                        help="vpn-0123456789abcdef0 (in --region) or "
                             "us-west-2/vpn-0123456789abcdef0")
    parser.add_argument("--region", help="AWS region of the VPN_IDs written without one")
    parser.add_argument("--stack", metavar="FILE",
                        help="take the connections (and their regions and accounts) from a "
                             "stack file, e.g. Pulumi.prod.yaml; VPN_IDs then pick among them")
    parser.add_argument("--endpoint-url", action="append", metavar="[REGION=]URL",
                        help="EC2 endpoint override (e.g. a local stand-in); REGION=URL for one "
                             "region, repeatable")
    parser.add_argument("--log-group-arn", action="append",
                        help=f"CloudWatch Logs group, e.g. {EXAMPLE_ARN}; one per region "
                             "(repeat the flag); with --stack: derived from the stack")
    parser.add_argument("--format", default=None,
                        help=f"log output format: {' or '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)} "
                             f"(default {DEFAULT_FORMAT})")
    parser.add_argument("--journal-group-arn", action="append",
                        help="apply/maintenance: the kit's log group, where every tunnel change "
                             "is recorded before it is made (stream gatewatch-rollout-journal; "
                             "default: the --log-group-arn group); one per region")
    parser.add_argument("--bgp-log-group-arn", action="append",
                        help="apply: where BGP logs go (default: the --log-group-arn group); "
                             "one per region")
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


def _only_for(args: argparse.Namespace, action: str, flags: Sequence[tuple[str, Any]]) -> None:
    for flag, value in flags:
        if value not in (None, False):
            raise BadInput(f"{flag} has no effect with {args.action}; drop {flag} "
                             f"(it belongs to {action})")


Plan = list[tuple[Target, LogOptions | None]]
# apply flags that say what to set: with --stack and no --log-group-arn the stack says it.
_STACK_SETS = ("--format", "--bgp-log-group-arn", "--no-bgp-logs", "--no-lifecycle-control")


def _validate_all(args: argparse.Namespace) -> tuple[Plan, RolloutSettings, dict[str, str]]:
    """Every flag and id, before any AWS call: the connections by (account, region), each
    with its options (None: nothing to set, or set from the stack once its account is
    known), and `--journal-group-arn` by region."""
    if args.region is not None and not aws_facts.AWS_REGION_RE.fullmatch(args.region):
        raise BadInput(f"--region {args.region!r} is not an AWS region; e.g. --region us-east-1")
    by_url = endpoints(args.endpoint_url, args.region)
    stack = load_stack(args.stack) if args.stack else None
    found = targets(args.vpn_ids, args.region, stack, by_url)
    if args.format is not None and args.format not in aws_facts.AWS_LOG_OUTPUT_FORMATS:
        raise BadInput(f"--format must be {' or '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)} "
                         f"(got {args.format!r}); e.g. --format {DEFAULT_FORMAT}")
    settings = RolloutSettings(
        timeout=_positive(args, "timeout"),
        poll_interval=_positive(args, "poll"),
        max_parallel=(None if args.parallel is None else
                      int(_positive(args, "parallel", integer=True))),
    )
    nothing: Plan = [(t, None) for t in found]
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
        _only_for(args, "apply and maintenance", [(JOURNAL_FLAG, args.journal_group_arn)])
    journals = _journal_arns(args, found)  # each a log group ARN in a region of the run
    if args.action != "apply":
        _only_for(args, "apply", [
            ("--log-group-arn", args.log_group_arn), ("--format", args.format),
            ("--bgp-log-group-arn", args.bgp_log_group_arn), ("--disable", args.disable),
            ("--no-bgp-logs", args.no_bgp_logs),
            ("--no-lifecycle-control", args.no_lifecycle_control)])
        return nothing, settings, journals
    if args.disable:
        for flag, value in (("--log-group-arn", args.log_group_arn), ("--format", args.format),
                            ("--bgp-log-group-arn", args.bgp_log_group_arn)):
            if value is not None:
                raise BadInput(f"{flag} has no effect with --disable; drop {flag} "
                                 "(or drop --disable to turn the logs on)")
        off = LogOptions(False, bgp_log_enabled=None if args.no_bgp_logs else False)
        return [(t, off) for t in found], settings, journals
    given = list(args.log_group_arn or ())
    if not given and stack is not None:
        for flag in _STACK_SETS:
            if getattr(args, flag[2:].replace("-", "_")) not in (None, False):
                raise BadInput(f"{flag}: with --stack and no --log-group-arn the stack's "
                               "gatewatch:aws says what to set; drop "
                               f"{flag}, or give --log-group-arn per region")
        return nothing, settings, journals
    if not all(given) or not given:
        raise BadInput(f"--log-group-arn is required for apply (or use --disable); e.g. "
                       f"--log-group-arn {EXAMPLE_ARN.replace('REGION', found[0].region)}")
    arns = by_region(args.region, "--log-group-arn", given, found)
    if args.no_bgp_logs and args.bgp_log_group_arn is not None:
        raise BadInput("--bgp-log-group-arn has no effect with --no-bgp-logs; drop one of them")
    bgp_arns = by_region(args.region, "--bgp-log-group-arn", args.bgp_log_group_arn or (), found,
                          required=False)
    fmt = args.format or DEFAULT_FORMAT
    return [(t, LogOptions(
        True, arns[t.region], fmt,
        bgp_log_enabled=None if args.no_bgp_logs else True,
        bgp_log_group_arn=bgp_arns.get(t.region), bgp_log_output_format=fmt,
        lifecycle_control=None if args.no_lifecycle_control else True,
    )) for t in found], settings, journals


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


def _journal_arns(args: argparse.Namespace, found: Sequence[Target]) -> dict[str, str]:
    """`--journal-group-arn` by region (one per region, each a log group ARN in it)."""
    return by_region(args.region, JOURNAL_FLAG, args.journal_group_arn or (), found,
                     required=False)


def _journal(args: argparse.Namespace, target: Target, options: LogOptions | None,
             journals: Mapping[str, str]) -> JournalSpec | None:
    """Where a changing run records its changes first (gatewatch/aws_rollout/journal.py): the
    region's `--journal-group-arn` (`journals`, by region), else the group the tunnels log
    to."""
    if args.action == "status":
        return None
    given = journals.get(target.region)
    if given is not None:
        return JournalSpec(given, target.region, role_arn=target.role_arn)
    if args.action == "apply" and options is not None and options.log_group_arn:
        return JournalSpec(options.log_group_arn, target.region, flag="--log-group-arn",
                           role_arn=target.role_arn)
    raise BadInput(f"{JOURNAL_FLAG} is required for {args.action}"
                   f"{' --disable' if args.disable else ''}"
                   f"{f' in {target.label}' if args.journal_group_arn else ''}: the kit's log "
                   "group, where each tunnel change is recorded before it is made so a rerun or "
                   f"a second run waits for it; e.g. {JOURNAL_FLAG} "
                   f"{EXAMPLE_ARN.replace('REGION', target.region)}")


def run(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """Run the parsed command; `clock` is the engine's (default: the real one)."""
    out, err = sys.stdout, sys.stderr
    try:
        plan, settings, journals = _validate_all(args)
    except BadInput as exc:
        for line in exc.lines:
            print(f"{PROG}: error: {line}", file=err)
        return EXIT_BAD_INPUT
    some_endpoint = next((t.endpoint_url for t, _ in plan if t.endpoint_url), None)
    problem = _credentials_problem(some_endpoint)
    if problem:
        print(f"{PROG}: error: {problem}", file=err)
        return EXIT_BAD_INPUT
    several = len(plan) > 1
    results: list[RolloutResult] = []
    try:
        # Before anything changes in any region: every account's role assumed, every log
        # group checked, every id known (one engine, one EC2 client, per region and account).
        engines: list[tuple[Target, LogOptions | None, RolloutEngine]] = []
        for target, options in plan:
            session = session_for(target.region, target.role_arn)
            if target.role_arn is not None:
                check_role(session, target.role_arn)
            if options is None and args.action == "apply" and not args.disable:
                options = stack_options(load_stack(args.stack), target, session)
            journal = _journal(args, target, options, journals)
            # can the logs (and the journal's records) arrive at all?
            check_log_groups((log_groups_of(options) if options is not None else []) +
                             ([(journal.flag, journal.group_arn)]
                              if journal is not None and journal.flag == JOURNAL_FLAG else []),
                             target.region, session)
            # the engine's clients from the same session: a role is assumed once per target
            ec2 = make_ec2_client(target.region, target.endpoint_url, session=session)
            engine = RolloutEngine(ec2, options or LogOptions(False), settings,
                                   clock or RealClock(), Printer(err), journal=journal,
                                   journal_client=journal.client(session) if journal else None)
            if several and args.action != "status":
                try:  # unknown ids now, named with their region
                    next(iter(engine.statuses(target.vpn_ids, False)), None)
                except UnknownConnections as exc:
                    raise BadInput(f"{target.label}: {exc}") from None
            engines.append((target, options, engine))
        for target, options, engine in engines:
            where = f" in {target.label}" if several else ""
            if args.action == "status":
                if several:
                    print(f"{target.label}:", file=out)
                print_status(engine.statuses(target.vpn_ids, not args.no_maintenance), out)
                continue
            if args.action == "maintenance":
                window = TimeWindow.parse(args.window) if args.window else None
                print(f"maintenance: applying pending tunnel maintenance on "
                      f"{len(target.vpn_ids)} connection(s){where}, one tunnel at a time"
                      + (f", only inside {window}" if window else ""), file=out, flush=True)
                results.append(engine.apply_maintenance(target.vpn_ids, window))
            else:
                assert options is not None
                print(f"apply: {options.describe()}; {len(target.vpn_ids)} connection(s)"
                      f"{where}, one tunnel at a time", file=out, flush=True)
                results.append(engine.run(target.vpn_ids))
    except (UnknownConnections, BadInput, AwsLoginError) as exc:
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
    if args.action == "status":
        return EXIT_OK
    result = RolloutResult([c for r in results for c in r.connections])  # one report
    print_summary(result, out)
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
