#!/usr/bin/env python3
"""Does a stack deploy to AWS, and is the job able to? Run before the AWS credentials step.

A stack uses AWS when its `Pulumi.<stack>.yaml` has a `gatewatch:aws` section. For such a
stack the program needs AWS credentials, so a missing `AWS_ROLE_ARN` (or `AWS_REGION`) is an
error here, with a `::error::` annotation naming the stack file, instead of a provider failure
in the middle of `pulumi preview`/`up`. A stack without the section needs neither.

    python3 .github/scripts/stack_aws.py dev            # prints aws=true|false, exit 0 or 1
    python3 .github/scripts/stack_aws.py "${STACK_NAME##*/}" --github-output

Reads AWS_ROLE_ARN and AWS_REGION from the environment (the workflow passes `vars.*`).
Standard library only: it runs before any dependency is installed, so the section is found by
its key at the top of `config:` (how `pulumi config set --path 'aws....'` writes it), not by
a YAML parser.

Exit 0: fine (aws=false, or aws=true with a role and region); 1: AWS needed but not set up;
2: no such stack file.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from github_output import write_github_output

ROOT = Path(__file__).resolve().parents[2]
# `  gatewatch:aws:` under `config:` (optionally quoted); comments and other keys do not match.
AWS_SECTION = re.compile(r"""^[ \t]+["']?gatewatch:aws["']?[ \t]*:""", re.M)


def stack_file(stack: str, root: Path = ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def uses_aws(stack: str, root: Path = ROOT) -> bool:
    """True when the stack file has a `gatewatch:aws` section."""
    return bool(AWS_SECTION.search(stack_file(stack, root).read_text(encoding="utf-8")))


def problems(stack: str, env: dict[str, str], root: Path = ROOT) -> list[str]:
    """`::error::` lines for an AWS stack the job cannot authenticate for (empty: fine)."""
    if not uses_aws(stack, root):
        return []
    name = stack_file(stack, root).name
    out = []
    for var, what in (("AWS_ROLE_ARN", "the ARN of the IAM role this job assumes by OIDC"),
                      ("AWS_REGION", "the region for the credentials step")):
        if not env.get(var, "").strip():
            out.append(
                f"::error file={name},title={var} is not set::{name} has a gatewatch:aws "
                f"section, so this job needs AWS credentials, but the {var} variable is empty. "
                f"Set it ({what}) as a repository variable for pull-request previews and as "
                f"an environment variable of the '{stack}' environment for deploys "
                f"(docs/ci.md), or remove gatewatch:aws from {name}.")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name, without the organisation")
    parser.add_argument("--github-output", action="store_true",
                        help="also append aws=true|false to the file named by $GITHUB_OUTPUT")
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory")
    args = parser.parse_args(argv)

    if not stack_file(args.stack, args.root).is_file():
        print(f"::error::no stack file {stack_file(args.stack, args.root).name} in {args.root}")
        return 2
    aws = uses_aws(args.stack, args.root)
    line = f"aws={'true' if aws else 'false'}"
    if args.github_output and not write_github_output(line):
        return 2
    print(line)
    errors = problems(args.stack, dict(os.environ), args.root)
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
