"""AWS Site-to-Site VPN tunnel activity logs: a rollout engine that changes one tunnel at a time.

`engine` is plain boto3 with an injected clock; `standin` models the two EC2 calls it uses;
`cli` is the `gatewatch tunnel-logs` subcommand. The Pulumi dynamic resource (to come) and the
command line are both thin callers of `engine.rollout`.
"""

from gatewatch.aws_rollout.clock import Clock, RealClock, SimClock
from gatewatch.aws_rollout.engine import (
    Action,
    ConnectionResult,
    Ec2ClientSpec,
    LogOptions,
    ProgressEvent,
    RolloutEngine,
    RolloutResult,
    RolloutSettings,
    RolloutStopped,
    TunnelResult,
    make_ec2_client,
    rollout,
)

__all__ = [
    "Action",
    "Clock",
    "ConnectionResult",
    "Ec2ClientSpec",
    "LogOptions",
    "ProgressEvent",
    "RealClock",
    "RolloutEngine",
    "RolloutResult",
    "RolloutSettings",
    "RolloutStopped",
    "SimClock",
    "TunnelResult",
    "make_ec2_client",
    "rollout",
]
