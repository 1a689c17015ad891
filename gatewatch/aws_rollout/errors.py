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


class NotEc2Response(Exception):
    """A 200 answer that is not an EC2 response (botocore parses such bodies leniently, so an
    HTML page would otherwise read as "no connections")."""


class UnknownConnections(Exception):
    """Ids DescribeVpnConnections does not know: bad input, refused before anything changes."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        super().__init__(
            f"unknown VPN connection id{'s' if len(ids) > 1 else ''}: {', '.join(ids)} "
            "(not found by DescribeVpnConnections in this region); nothing was touched. "
            "Check the ids and --region."
        )
