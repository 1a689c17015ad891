"""The EC2 stand-in (DescribeVpnConnections with Options and VgwTelemetry), through one line.

It is being moved from gatewatch/aws_rollout/standin.py to the tests by another change;
repoint this import when it lands, nothing else refers to its location.
"""

from gatewatch.aws_rollout.standin import DOWN, UP, Ec2StandIn

__all__ = ["DOWN", "UP", "Ec2StandIn"]
