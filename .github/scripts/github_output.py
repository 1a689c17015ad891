"""Append `name=value` lines to $GITHUB_OUTPUT, shared by the workflow helper scripts."""

from __future__ import annotations

import os
import sys


def write_github_output(line: str) -> bool:
    """Append one line to the step's outputs file; False (and a message) outside Actions."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        print("error: --github-output needs $GITHUB_OUTPUT (set by GitHub Actions)",
              file=sys.stderr)
        return False
    with open(target, "a", encoding="utf-8") as out:
        out.write(line + "\n")
    return True
