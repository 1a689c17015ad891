"""Every exception the rollout raises, in one module (as s3transfer keeps its own in
s3transfer/exceptions.py, https://github.com/boto/s3transfer), so a caller imports them from
one place whatever step raised them.
"""

from __future__ import annotations

from collections.abc import Sequence


class RolloutStopped(Exception):
    """The rollout of one connection stopped; the message names the tunnel and the reason."""


class RolloutCancelled(Exception):
    """Another worker failed unexpectedly or the user interrupted; stop between steps."""


class RolloutInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run, raised once every worker has stopped: `changing` holds the tunnels
    whose change went out but that were not yet seen UP again, (connection, tunnel, outside IP).
    """

    def __init__(self, changing: Sequence[tuple[str, int, str]]) -> None:
        self.changing = list(changing)
        super().__init__(f"{len(self.changing)} tunnel(s) mid-change")


class NotEc2Response(Exception):
    """A 200 answer that is not an EC2 response (botocore parses such bodies leniently, so an
    HTML page would otherwise read as "no connections")."""


class UnknownConnections(Exception):
    """Ids DescribeVpnConnections does not know: bad input, refused before anything changes.
    The message names the first few and counts the rest (2,000 ids must not be one 46 KB line);
    `ids` keeps them all."""

    SHOWN = 5

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        shown = ", ".join(self.ids[:self.SHOWN])
        more = len(self.ids) - self.SHOWN
        names = (f"{len(self.ids)} unknown VPN connection ids: {shown} and {more} more"
                 if more > 0 else
                 f"unknown VPN connection id{'s' if len(self.ids) > 1 else ''}: {shown}")
        super().__init__(
            f"{names} (not found by DescribeVpnConnections in this region); nothing was "
            "touched. Check the ids and --region."
        )
