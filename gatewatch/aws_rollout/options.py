"""What the rollout sets on every tunnel, how it tells whether a tunnel already has it, and how
patiently it works.

Tunnel logs, BGP logs and lifecycle control travel in one ModifyVpnTunnelOptions call per tunnel
because every tunnel-option change replaces that tunnel's endpoint ("AWS Site-to-Site VPN tunnel
endpoint replacements", https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html).
`LogOptions.differences` is the one comparison of wanted and current options: the rollout skips a
tunnel it finds empty, `doctor` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatewatch.aws import facts as aws_facts
from gatewatch.aws_rollout.retry import Backoff
from gatewatch.aws_rollout.throttle import DESCRIBE_CHUNK, throttle_parallelism


@dataclass(frozen=True)
class LogOptions:
    """Desired options for every tunnel: tunnel activity logs, BGP logs, lifecycle control.

    The fields are those of `CloudWatchLogOptionsSpecification` (LogEnabled, LogGroupArn,
    LogOutputFormat, BgpLogEnabled, BgpLogGroupArn, BgpLogOutputFormat) in the EC2 API reference,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CloudWatchLogOptionsSpecification.html.
    `bgp_log_enabled` None leaves BGP logs unmanaged (neither compared nor sent);
    `lifecycle_control` None leaves EnableTunnelLifecycleControl alone.
    """

    log_enabled: bool
    log_group_arn: str | None = None
    log_output_format: str = "json"
    bgp_log_enabled: bool | None = None
    bgp_log_group_arn: str | None = None  # None with BGP logs on: the tunnel log group
    bgp_log_output_format: str = "json"
    lifecycle_control: bool | None = None

    def __post_init__(self) -> None:
        formats = aws_facts.AWS_LOG_OUTPUT_FORMATS
        for name in ("log_output_format", "bgp_log_output_format"):
            if getattr(self, name) not in formats:
                raise ValueError(
                    f"{name} must be {' or '.join(formats)}, not {getattr(self, name)!r}"
                )
        if self.log_enabled and not self.log_group_arn:
            raise ValueError("log_group_arn is required when log_enabled is True")
        if self.bgp_log_enabled and not self.bgp_group:
            raise ValueError("bgp_log_group_arn (or log_group_arn) is required for BGP logs")

    @property
    def bgp_group(self) -> str | None:
        return self.bgp_log_group_arn or self.log_group_arn

    def to_api(self) -> dict[str, Any]:
        """`TunnelOptions.LogOptions.CloudWatchLogOptions` for ModifyVpnTunnelOptions."""
        spec: dict[str, Any] = {"LogEnabled": self.log_enabled}
        if self.log_enabled:
            spec["LogGroupArn"] = self.log_group_arn
            spec["LogOutputFormat"] = self.log_output_format
        if self.bgp_log_enabled is not None:
            spec["BgpLogEnabled"] = self.bgp_log_enabled
            if self.bgp_log_enabled:
                spec["BgpLogGroupArn"] = self.bgp_group
                spec["BgpLogOutputFormat"] = self.bgp_log_output_format
        return spec

    def differences(self, current: Mapping[str, Any]) -> list[str]:
        """`Key is <current>, want <wanted>` for each field of `to_api()` that a tunnel's
        current CloudWatchLogOptions does not satisfy; empty exactly when `matches`.

        An absent flag counts as off and an absent format as json (EC2 leaves out what it
        defaults to). ARNs are compared without a trailing ":*": describe-log-groups prints that
        form and the VPN API takes either, and a cosmetic difference must not cost an outage.
        """
        diffs = []
        for key, want in self.to_api().items():
            have = current.get(key)
            if key.endswith("LogEnabled"):
                same = bool(have) == want
            elif key.endswith("GroupArn"):
                if isinstance(have, str):
                    have = have.removesuffix(":*")
                same = _bare_arn(have) == _bare_arn(want)
            else:  # a LogOutputFormat
                have = "json" if have is None else have
                same = have == want
            if not same:
                diffs.append(f"{key} is {have!r}, want {want!r}")
        return diffs

    def matches(self, current: Mapping[str, Any]) -> bool:
        """Whether a tunnel's current CloudWatchLogOptions (tunnel AND BGP) already are these."""
        return not self.differences(current)

    def lifecycle_matches(self, current: bool | None) -> bool:
        return self.lifecycle_control is None or bool(current) == self.lifecycle_control

    def describe(self) -> str:
        parts = [f"tunnel logs enabled ({self.log_output_format}) to {self.log_group_arn}"
                 if self.log_enabled else "tunnel logs disabled"]
        same = (self.log_enabled and self.bgp_log_enabled
                and _bare_arn(self.bgp_group) == _bare_arn(self.log_group_arn)
                and self.bgp_log_output_format == self.log_output_format)
        if same:
            parts = [f"tunnel and BGP logs enabled ({self.log_output_format}) to "
                     f"{self.log_group_arn}"]
        elif self.bgp_log_enabled is not None:
            parts.append(f"BGP logs enabled ({self.bgp_log_output_format}) to {self.bgp_group}"
                         if self.bgp_log_enabled else "BGP logs disabled")
        if self.lifecycle_control is not None:
            parts.append(f"lifecycle control {'on' if self.lifecycle_control else 'off'}")
        return ", ".join(parts)


def _bare_arn(arn: Any) -> str | None:
    if not arn:
        return None
    text = str(arn)
    return text[:-2] if text.endswith(":*") else text


@dataclass(frozen=True)
class RolloutSettings:
    """How long to wait for a tunnel, how often to look, how many connections at once."""

    # Per wait for a tunnel to be UP. An endpoint replacement interrupts the tunnel "while the
    # new tunnel endpoint is provisioned" (AWS Site-to-Site VPN tunnel endpoint replacements,
    # https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html): minutes.
    timeout: float = 900.0
    poll_interval: float = 15.0
    # None: as many connections as EC2's request throttle allows (throttle_parallelism):
    # polling is batched, so reads per interval do not grow with N, and mutating calls are
    # paced; safety is per connection, so nothing is gained by queueing connections.
    max_parallel: int | None = None
    backoff: Backoff = field(default_factory=Backoff)
    describe_chunk: int = DESCRIBE_CHUNK

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.poll_interval <= 0:
            raise ValueError("timeout and poll_interval must be positive")
        if self.max_parallel is not None and self.max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")

    def parallelism(self, count: int) -> int:
        limit = self.max_parallel or throttle_parallelism(self.poll_interval, self.describe_chunk)
        return max(1, min(limit, count))
