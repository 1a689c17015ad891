#!/usr/bin/env python3
"""List the project's Pulumi stacks: one per `Pulumi.<stack>.yaml` next to `Pulumi.yaml`.

The pull-request workflow builds its preview matrix from this, so a new stack file is
previewed without anyone editing a workflow. Standard library only: it runs before any
dependency is installed.

    python3 .github/scripts/list_stacks.py                   # dev, prod, ... one per line
    python3 .github/scripts/list_stacks.py --json            # ["dev", "prod"]
    python3 .github/scripts/list_stacks.py --github-output   # stacks=[...] >> $GITHUB_OUTPUT

Exit 2 (with a message) when there is no stack file: an empty matrix would make the preview
job silently do nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from github_output import write_github_output

ROOT = Path(__file__).resolve().parents[2]
PREFIX, SUFFIX = "Pulumi.", ".yaml"


def list_stacks(root: Path = ROOT) -> list[str]:
    """Stack names, sorted, from `Pulumi.<stack>.yaml` files in `root` (not Pulumi.yaml)."""
    names = []
    for path in root.glob(f"{PREFIX}*{SUFFIX}"):
        stack = path.name[len(PREFIX):-len(SUFFIX)]
        if stack and path.is_file():
            names.append(stack)
    return sorted(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON array")
    fmt.add_argument("--github-output", action="store_true",
                     help="append stacks=<JSON array> to the file named by $GITHUB_OUTPUT")
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory")
    args = parser.parse_args(argv)

    stacks = list_stacks(args.root)
    if not stacks:
        print(f"error: no {PREFIX}<stack>{SUFFIX} file in {args.root}: add one per stack "
              f"(see Pulumi.dev.yaml)", file=sys.stderr)
        return 2
    if args.github_output:
        if not write_github_output(f"stacks={json.dumps(stacks)}"):
            return 2
        print(f"stacks={json.dumps(stacks)}")
    elif args.json:
        print(json.dumps(stacks))
    else:
        print("\n".join(stacks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
