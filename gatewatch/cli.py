"""The `gatewatch` command line: argument parsing, Ctrl-C, and the exit code of every command.

Exit codes are gatewatch/errors.py's (success, the check or rollout found a problem, bad input,
interrupted, broken pipe). Bad input is always reported as lines naming what to
fix, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from gatewatch.config.stack_file import locate
from gatewatch.errors import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    INTERRUPTED,
    BadInput,
)

# Commands that only read (files, lookups under mocks) and print at their end: a Ctrl-C stops
# them at once (see _stop_now).
READ_ONLY_COMMANDS = ("plan", "policy")


def run(argv: Sequence[str] | None = None) -> int:
    """The `gatewatch` console command and `python -m gatewatch`: main() with Ctrl-C anywhere
    (argument parsing, the program under mocks, the KQL check, the policy pack) reported in one
    line with exit 130. No command writes a file or changes a cloud resource before its end
    (tunnel-logs, which does, reports its own interrupt), so nothing is left half-written."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`gatewatch plan | head`): stop quietly, as other tools do, and
        # keep the interpreter's final flush from failing on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Only in the main thread and where Python's own Ctrl-C handling is in place (not under a
    # caller that ignores or handles SIGINT itself); the caller's handler is put back after.
    stop_now = (args.command in READ_ONLY_COMMANDS
                and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if stop_now:
        signal.signal(signal.SIGINT, _stop_now)
    try:
        return _dispatch(args)
    finally:
        if stop_now:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _stop_now(signum: int, frame: FrameType | None) -> None:
    """SIGINT in a read-only command: the one line, exit 130, right away. A KeyboardInterrupt
    raised wherever the signal lands may land inside Pulumi's asyncio loop, where asyncio logs
    "Exception in callback ... Leaving task ... does not match the current task" with a
    traceback before the kit's line. os._exit flushes nothing: a plan still in stdout's buffer
    is dropped whole, never printed in part, and nothing is on disk to leave half-written."""
    os.write(sys.stderr.fileno(), f"{INTERRUPTED}\n".encode())
    os._exit(EXIT_INTERRUPTED)


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; bad input becomes its lines on stderr and EXIT_BAD_INPUT."""
    try:
        code: int = args.func(args)
        return code
    except BadInput as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        # A check the program can only make once a lookup answers (a Linux VM, a Basic SKU
        # gateway, a gateway in another region) fails the run with pulumi.RunError naming the
        # config key: report it as the bad input it is, in one line.
        import pulumi

        if not isinstance(error, pulumi.RunError):
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatewatch", description="Diagnostics that explain VPN drops and maintenance."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="run the program offline under Pulumi's mock runtime "
                                       "and print the resource graph")
    which = plan.add_mutually_exclusive_group()
    which.add_argument("--stack", help="stack name: reads Pulumi.NAME.yaml (default: dev)")
    which.add_argument("--config-file", help="any file shaped like Pulumi.<stack>.yaml")
    plan.add_argument("--json", action="store_true", help="print the graph as JSON")
    plan.add_argument("--update", action="store_true",
                      help="simulate `pulumi up` (fake ids) instead of a preview (unknown ids)")
    plan.set_defaults(func=_plan)

    from gatewatch.aws_rollout.cli import add_parser as add_tunnel_logs_parser
    from gatewatch.coverage.cli import add_parser as add_coverage_parser
    from gatewatch.live.cli import add_parsers as add_live_parsers
    from gatewatch.policy.cli import add_parser as add_policy_parser

    add_policy_parser(sub)
    add_tunnel_logs_parser(sub)
    add_live_parsers(sub)
    add_coverage_parser(sub)
    return parser


def _plan(args: argparse.Namespace) -> int:
    from gatewatch.offline.plan import build_plan, render_json, render_text

    path, stack = locate(args.stack, args.config_file)
    plan = build_plan(path, stack, preview=not args.update)
    if args.json:
        print(json.dumps(render_json(plan), indent=2, sort_keys=False))
    else:
        print(render_text(plan))
    return EXIT_FAILED if plan.failed else EXIT_OK
