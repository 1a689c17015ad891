"""`python -m gatewatch`: the `gatewatch` command (gatewatch.cli.run)."""

import sys

from gatewatch.errors import EXIT_INTERRUPTED, INTERRUPTED

try:
    from gatewatch.cli import run
except KeyboardInterrupt:  # Ctrl-C while the command line loads: the same one line as later
    print(INTERRUPTED, file=sys.stderr)
    sys.exit(EXIT_INTERRUPTED)

sys.exit(run())
