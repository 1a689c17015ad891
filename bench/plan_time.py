"""Benchmark: one warm `gatewatch plan` (the dev stack), wall and CPU seconds.

Runs the real command (`python -m gatewatch plan`, in a subprocess: start-up, the SDK imports,
the program under mocks, the KQL check's node process, the policy pack) N times and prints the
median wall seconds and the median CPU seconds (user + system, the node child included: on two
cores shared by a parallel test run, CPU is what a plan costs the others). It also checks the
plan says the same on every run and that it passes (a fast wrong answer does not count).

    .venv/bin/python bench/plan_time.py [--runs 3] [--stack dev] [--root DIR]

`--root` runs the command of another checkout (e.g. the code before a change).
Goal: the test suite under 3 minutes on 2 cores; the plan runs in many tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(root: Path, stack: str) -> tuple[float, float, str]:
    python = root / ".venv" / "bin" / "python"
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run([str(python), "-m", "gatewatch", "plan", "--stack", stack], cwd=root,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode != 0:
        sys.exit(f"gatewatch plan exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    run_once(args.root, args.stack)  # warm: bytecode caches, the OS's file cache
    results = [run_once(args.root, args.stack) for _ in range(args.runs)]
    # Compared as sorted lines: the order of the "Lookups answered offline" lines follows the
    # order the SDK's worker threads answer in, which varies from run to run (it did before
    # the KQL change too); what the plan says may not.
    if len({tuple(sorted(out.splitlines())) for _, _, out in results}) != 1:
        sys.exit("the plan's output differs between runs")
    walls = [w for w, _, _ in results]
    cpus = [c for _, c, _ in results]
    print(f"gatewatch plan --stack {args.stack} ({args.root}), {args.runs} warm runs: "
          f"median {statistics.median(walls):.2f} s wall, "
          f"{statistics.median(cpus):.2f} s CPU (user+sys, node included); "
          f"wall {' '.join(f'{w:.2f}' for w in walls)}")


if __name__ == "__main__":
    main()
