"""`gatewatch policy check FILE`: the pack over a `pulumi stack export` file, offline.

Exit codes as the rest of the CLI: 0 no mandatory violation, 1 a mandatory violation, 2 a file
that is not a stack export (or a bad policy config), with one line naming the file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gatewatch.errors import EXIT_FAILED, EXIT_OK, BadInput, Problem


def _check(args: argparse.Namespace) -> int:
    from gatewatch.policy.export_file import load_stack_export
    from gatewatch.policy.runner import (
        load_policy_config,
        outcome_json,
        render_lines,
        resolve_config,
        run_pack,
    )

    config = load_policy_config(Path(args.config)) if args.config else None
    try:
        resolve_config(config)
    except BadInput as error:  # name the file as well as the key
        raise BadInput([Problem(f"{args.config}: {p.path}", p.message, p.fix)
                        for p in error.problems]) from None
    resources = load_stack_export(Path(args.file))
    outcome = run_pack(resources, config)
    if args.json:
        print(json.dumps(outcome_json(outcome), indent=2))
    else:
        print(f"Policy pack 'gatewatch' over {args.file} ({len(resources)} resources):")
        print("\n".join(f"  {line}" for line in render_lines(outcome)))
    return EXIT_FAILED if outcome.failed else EXIT_OK


def add_parser(subparsers: Any) -> None:
    """Register `policy check` on the top-level parser's subparsers."""
    policy = subparsers.add_parser("policy", help="run the gatewatch policy pack offline")
    commands = policy.add_subparsers(dest="policy_command", required=True)
    check = commands.add_parser(
        "check", help="check a `pulumi stack export` file against the pack; exit 1 on a "
                      "mandatory violation")
    check.add_argument("file", help="a file written by `pulumi stack export --file FILE`")
    check.add_argument("--config", help="a --policy-pack-config JSON file (enforcement levels, "
                                        "exemptions, the remediation's policyBasedGateways)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(func=_check)
