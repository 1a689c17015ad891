import sys

try:
    from gatewatch.cli import run
except KeyboardInterrupt:  # Ctrl-C while the command line loads: the same one line as later
    print("gatewatch: interrupted (Ctrl-C); nothing was written or changed", file=sys.stderr)
    from gatewatch.errors import EXIT_INTERRUPTED

    sys.exit(EXIT_INTERRUPTED)

sys.exit(run())
