"""AWS Site-to-Site VPN tunnel activity logs: a rollout engine that changes one tunnel at a time.

`engine` is plain boto3 with an injected clock; `throttle` holds EC2's documented request
buckets; `cli` is the `gatewatch aws-tunnels` (alias `tunnel-logs`) command. The EC2 stand-in
the tests run it against lives in tests/support/standins/, never in this package. The Pulumi dynamic
resource and the command line are both thin callers of the engine.
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
    TimeWindow,
    TunnelResult,
    UnknownConnections,
    make_ec2_client,
    rollout,
)
from gatewatch.aws_rollout.expected import expected_tunnel_options

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
    "TimeWindow",
    "TunnelResult",
    "UnknownConnections",
    "expected_tunnel_options",
    "make_ec2_client",
    "rollout",
]
