"""`python -m gatewatch`: the `gatewatch` command (gatewatch.cli.run)."""

import sys

try:
    from gatewatch.cli import run
except KeyboardInterrupt:
    # Ctrl-C while the command line loads: the same one line as later (gatewatch.cli's
    # INTERRUPTED, written out here because that module is what was interrupted).
    print("gatewatch: interrupted (Ctrl-C); nothing was written or changed", file=sys.stderr)
    from gatewatch.errors import EXIT_INTERRUPTED

    sys.exit(EXIT_INTERRUPTED)

sys.exit(run())
