"""An EC2 stand-in for Site-to-Site VPN tunnel options: DescribeVpnConnections,
ModifyVpnTunnelOptions, GetVpnTunnelReplacementStatus and ReplaceVpnTunnel over the real EC2
Query protocol. A test double: it lives with the tests, and the product never imports it
(tests/aws_rollout/test_standin_boundary.py checks that). This module is its entry point: it
wires the model (`ec2_model`: connections, tunnels, their true history), the API on it
(`ec2_api`: actions, throttling, rendering through `ec2xml`) and the transports (`ec2_server`)
into `Ec2StandIn`, and serves one by hand (`python -m tests.support.standins.ec2`).

Why not moto's server: moto 5.2.5 implements none of ModifyVpnTunnelOptions,
GetVpnTunnelReplacementStatus or ReplaceVpnTunnel and returns no Options/VgwTelemetry, so every
behaviour these tests depend on (outage timing, telemetry lag, IncorrectState, maintenance)
would have to be registered on top of it anyway; building on moto would add its server and
state model without making a single answer more faithful.

It is a model of the service's behaviour, not a mock that answers what the code expects:
requests are parsed and responses rendered through botocore's EC2 service model, and the
behaviour follows these public sources:

- Amazon EC2 API Reference: DescribeVpnConnections, ModifyVpnTunnelOptions,
  GetVpnTunnelReplacementStatus, ReplaceVpnTunnel
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpnConnections.html,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptions.html,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetVpnTunnelReplacementStatus.html,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceVpnTunnel.html);
- botocore's EC2 service model, `botocore/data/ec2/2016-11-15/service-2.json`
  (https://github.com/boto/botocore/tree/develop/botocore/data/ec2);
- AWS, "Request throttling for the Amazon EC2 API"
  (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
- AWS Site-to-Site VPN User Guide, "AWS Site-to-Site VPN logs"
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html), "Tunnel endpoint
  lifecycle control" (https://docs.aws.amazon.com/vpn/latest/s2svpn/tunnel-endpoint-lifecycle.html)
  and "Site-to-Site VPN tunnel endpoint replacements"
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html);
- observed behaviour: DevelopersIO's walkthrough of sending tunnel activity logs to CloudWatch
  Logs (2022-08-20,
  https://dev.classmethod.jp/articles/aws-site-to-site-vpn-activity-log-cloudwatch-logs/), and
  terraform-provider-aws's aws_vpn_connection update, which modifies tunnel 1 then tunnel 2
  as soon as the service accepts it (`resourceVPNConnectionUpdate` in
  internal/service/ec2/vpnsite_connection.go, https://github.com/hashicorp/terraform-provider-aws).

What it models:

- a modified tunnel goes DOWN shortly after the call and comes back UP after an outage (about
  five minutes, DevelopersIO);
- a modification is applied for `modify_seconds` after the call; a second modification in that
  window fails with `IncorrectState` (one tunnel at a time). The connection's State reads
  `modifying` meanwhile (for `modifying_seconds`, by default the whole window; 0 keeps it
  `available`): botocore's VpnState enum (pending, available, deleting, deleted) lacks it,
  but terraform-provider-aws waits for `modifying` -> `available` after every change
  (internal/service/ec2, `waitVPNConnectionUpdated`), and ec2xml renders it as an observed
  value (`OBSERVED_ENUM_VALUES`) while refusing anything else outside the enum;
- a connection can be created `pending` (it becomes `available` after `pending_seconds`) or be
  deleted (`deleting`, then `deleted`); a modification of a connection that is not
  `available` fails with `IncorrectState`. The tunnels' telemetry is not modelled through
  these states (it stays as set), which keeps the engine's State check testable on its own;
- telemetry lags: `VgwTelemetry` shows the tunnel as it was `telemetry_lag` seconds ago, so an
  UP read right after the call is stale (its LastStatusChange predates the call);
- faults: a tunnel that never comes back, a tunnel already DOWN, injected errors (throttling,
  5xx);
- EC2's request throttling, on by default: a token bucket per action with the sizes and refill
  rates of "Request throttling for the Amazon EC2 API" (table in
  gatewatch/aws_rollout/throttle.py); past it, `RequestLimitExceeded` (HTTP 503);
- BGP log options (BgpLogEnabled/BgpLogGroupArn/BgpLogOutputFormat) are kept and validated like
  the tunnel log options;
- EnableTunnelLifecycleControl: changed alone with SkipTunnelReplacement=True it costs no
  outage (what the flag is documented for); any other tunnel option change replaces the tunnel
  (outage), with or without SkipTunnelReplacement (botocore: "only applicable when turning on
  or off EnableTunnelLifecycleControl");
- tunnel endpoint maintenance: `schedule_maintenance` makes GetVpnTunnelReplacementStatus
  report PendingMaintenance and MaintenanceAutoAppliedAfter; ReplaceVpnTunnel with
  ApplyPendingMaintenance replaces the tunnel (outage like a modification) and records
  LastMaintenanceApplied. The PendingMaintenance text is not documented; this model answers
  a short description while pending and omits the field otherwise.

Modelling assumptions (not confirmed against the live service, kept explicit so they can be
revisited): the modification is accepted as finished before the tunnel has renegotiated IKE
(`modify_seconds` < `down_delay + outage_seconds` by default), which is what makes the naive
"retry the other tunnel until the service accepts it" approach overlap both outages; the new
log options show in DescribeVpnConnections right after the call; enabling logs without a
LogGroupArn is refused with InvalidParameterValue.

Reach it with real boto3 either in-process (`attach(client)`) or over HTTP (`serve()`, use the
URL as `endpoint_url`). Every tunnel state change is kept so tests can prove the two tunnels of
a connection were never DOWN together.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Iterator

from botocore.client import BaseClient

from gatewatch.aws_rollout.clock import RealClock
from tests.support.standins import ec2_server
from tests.support.standins.ec2_api import Ec2QueryApi
from tests.support.standins.ec2_model import StandInSettings


class Ec2StandIn(Ec2QueryApi):
    """In-memory EC2 VPN connections behind the EC2 Query API (see module docstring)."""

    def attach(self, client: BaseClient) -> BaseClient:
        """Answer this boto3 EC2 client's requests in-process; returns the client."""
        return ec2_server.attach(client, self.handle)

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve the API on http://127.0.0.1:PORT in a thread; yields the endpoint URL."""
        with ec2_server.serve(self.handle, port) as url:
            yield url


def main(argv: list[str] | None = None) -> int:
    """Serve a stand-in with a few connections for trying the CLI by hand (real clock)."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.standins.ec2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds a tunnel stays DOWN")
    parser.add_argument("--lag", type=float, default=1.0, help="telemetry lag, seconds")
    args = parser.parse_args(argv)
    settings = StandInSettings(
        outage_seconds=args.outage, down_delay=min(1.0, args.outage / 4),
        modify_seconds=args.outage * 0.8, telemetry_lag=args.lag,
    )
    standin = Ec2StandIn(RealClock(), settings)
    ids = [standin.add_connection() for _ in range(args.connections)]
    with standin.serve(args.port) as url:
        print(f"EC2 stand-in at {url}; connections: {' '.join(ids)}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
