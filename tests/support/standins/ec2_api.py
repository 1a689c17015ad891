"""The EC2 stand-in's answers over the EC2 Query API: DescribeRegions, DescribeVpnConnections
(in the region a request is signed for, see ec2_server),
ModifyVpnTunnelOptions, GetVpnTunnelReplacementStatus and ReplaceVpnTunnel on the `ec2_model`
connections, EC2's per-action request token buckets, injected errors, and every call recorded.
Requests are parsed and responses rendered by `ec2xml` through botocore's EC2 service model; what
is modelled, and on which public sources, is told in `ec2` (the stand-in's entry point).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatewatch.aws import facts as aws_facts
from gatewatch.aws_rollout.clock import Clock
from gatewatch.aws_rollout.throttle import EC2_REQUEST_BUCKETS
from tests.support.standins import ec2xml, httpd
from tests.support.standins.ec2_model import (
    AVAILABLE,
    UP,
    ConnectionModel,
    StandInSettings,
    TunnelModel,
    VpnModel,
)

# HTTP status the service pairs with each error code (RequestLimitExceeded is a 503 on EC2).
ERROR_STATUS = {
    "RequestLimitExceeded": 503,
    "Throttling": 400,
    "ServiceUnavailable": 503,
    "Unavailable": 503,
    "InternalError": 500,
    "DryRunOperation": 412,
    "AuthFailure": 401,  # EC2 answers a key it does not accept with 401
    # An IAM or SCP deny: "If a user tries to perform an action that hasn't been granted, the
    # request returns the following error: Client.UnauthorizedOperation" ("Troubleshooting API
    # request errors", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
    # query-api-troubleshooting.html); the message the service sends reads "You are not
    # authorized to perform this operation. Encoded authorization failure message: ..." (AWS
    # Knowledge Center "ec2-not-auth-launch"), with HTTP 403.
    "UnauthorizedOperation": 403,
}


@dataclass(frozen=True)
class CallRecord:
    """One API call as the service saw it (tests count modify calls with these)."""

    time: float
    action: str
    vpn_connection_id: str | None
    outside_ip: str | None
    error_code: str | None
    # ModifyVpnTunnelOptions: the TunnelOptions keys sent, and SkipTunnelReplacement.
    option_keys: tuple[str, ...] = ()
    skip_replacement: bool | None = None
    region: str | None = None  # the region the request was signed for


class Ec2QueryApi(VpnModel):
    """The model behind the EC2 Query API: `handle` answers one request (see module docstring)."""

    def __init__(
        self,
        clock: Clock | None = None,
        settings: StandInSettings | None = None,
        *,
        rate_limits: Mapping[str, tuple[float, float]] | None = EC2_REQUEST_BUCKETS,
    ) -> None:
        super().__init__(clock, settings)
        self.calls: list[CallRecord] = []
        # (action, region) -> errors to answer; region None: a request signed for any region
        self._injected: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
        self._buckets = {name: httpd.TokenBucket(*limit)
                         for name, limit in (rate_limits or {}).items()}
        # Last XML of each connection in DescribeVpnConnections, keyed by the value rendered.
        self._fragments: dict[str, tuple[Any, ec2xml.Fragment]] = {}

    # --- scene setting --------------------------------------------------------------------

    def inject_errors(self, action: str, code: str, count: int = 1, message: str = "",
                      region: str | None = None) -> None:
        """The next `count` calls of `action` (signed for `region`, or any) fail with `code`
        before touching any state."""
        text = message or {
            "RequestLimitExceeded": "Request limit exceeded.",
            "InternalError": "An internal error has occurred.",
        }.get(code, code)
        with self._lock:
            self._injected.setdefault((action, region), []).extend([(code, text)] * count)

    # --- what tests assert on -------------------------------------------------------------

    def calls_by_action(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.action] = counts.get(call.action, 0) + 1
        return counts

    def modify_calls(self, vpn_connection_id: str | None = None,
                     action: str = "ModifyVpnTunnelOptions") -> list[CallRecord]:
        """Accepted ModifyVpnTunnelOptions (or `action`) calls (rejected ones changed nothing)."""
        return [
            c
            for c in self.calls
            if c.action == action
            and c.error_code is None
            and vpn_connection_id in (None, c.vpn_connection_id)
        ]

    # --- the API --------------------------------------------------------------------------

    def handle(self, params: Mapping[str, str], region: str | None = None) -> tuple[int, bytes]:
        """Answer one EC2 Query request signed for `region` (None: any): (status, XML body)."""
        request_id = str(uuid.uuid4())
        action = params.get("Action", "")
        with self._lock:
            now = self.clock.now()
            vpn_id = params.get("VpnConnectionId") or params.get("VpnConnectionId.1")
            outside_ip = params.get("VpnTunnelOutsideIpAddress")
            keys = tuple(sorted({k.split(".")[1] for k in params
                                 if k.startswith("TunnelOptions.")}))
            skip = params.get("SkipTunnelReplacement")
            extra: dict[str, Any] = {"option_keys": keys,
                                     "skip_replacement": None if skip is None else skip == "true"}
            try:
                output = self._dispatch(action, params, now, region)
            except ec2xml.QueryError as err:
                self.calls.append(CallRecord(now, action, vpn_id, outside_ip, err.code,
                                             region=region, **extra))
                status = ERROR_STATUS.get(err.code, err.status)
                return status, ec2xml.render_error(err.code, err.message, request_id)
            self.calls.append(CallRecord(now, action, vpn_id, outside_ip, None, region=region,
                                         **extra))
            return 200, ec2xml.render_response(action, output, request_id)

    def _dispatch(self, action: str, params: Mapping[str, str], now: float,
                  region: str | None = None) -> dict[str, Any]:
        injected = self._injected.get((action, region)) or self._injected.get((action, None))
        if injected:
            code, message = injected.pop(0)
            raise ec2xml.QueryError(code, message)
        bucket = self._buckets.get(action)
        if bucket is not None and not bucket.take(now):
            raise ec2xml.QueryError("RequestLimitExceeded", "Request limit exceeded.")
        action, request = ec2xml.parse_request(params)
        if action == "DescribeRegions":
            return self._regions(request)
        if action == "DescribeVpnConnections":
            return self._describe(request, now, region)
        if action == "ModifyVpnTunnelOptions":
            return self._modify(request, now)
        if action == "GetVpnTunnelReplacementStatus":
            return self._replacement_status(request)
        if action == "ReplaceVpnTunnel":
            return self._replace(request, now)
        raise ec2xml.QueryError("InvalidAction", f"The action {action} is not supported here.")

    def _regions(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """DescribeRegions: the enabled regions, or every one with AllRegions (filters and
        RegionNames are not modelled: the kit sends neither)."""
        if request.get("Filters") or request.get("RegionNames"):
            raise ec2xml.QueryError("InvalidParameterValue", "not modelled by the stand-in")
        shown = [(name, status) for name, status in self.regions if request.get("AllRegions")
                 or status in ("opt-in-not-required", "opted-in")]
        return {"Regions": [{"RegionName": name, "OptInStatus": status,
                             "Endpoint": f"ec2.{name}.amazonaws.com"} for name, status in shown]}

    def _describe(self, request: Mapping[str, Any], now: float,
                  region: str | None = None) -> dict[str, Any]:
        here = [i for i, c in self._connections.items() if c.in_region(region)]
        ids = request.get("VpnConnectionIds") or here
        missing = [i for i in ids if i not in here]
        if missing:
            raise ec2xml.QueryError(
                "InvalidVpnConnectionID.NotFound",
                f"The vpnConnection ID '{missing[0]}' does not exist",
            )
        conns = [self._connections[i] for i in ids]
        for flt in request.get("Filters", []):
            name, values = flt.get("Name"), set(flt.get("Values", []))
            if name == "vpn-connection-id":
                conns = [c for c in conns if c.vpn_connection_id in values]
            elif name == "state":
                conns = [c for c in conns if self.reported_state(c, now) in values]
            else:
                raise ec2xml.QueryError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        return {"VpnConnections": [self._rendered(c, now) for c in conns]}

    def _target(self, request: Mapping[str, Any]) -> tuple[ConnectionModel, TunnelModel]:
        vpn_id = request["VpnConnectionId"]
        conn = self._connections.get(vpn_id)
        if conn is None:
            raise ec2xml.QueryError(
                "InvalidVpnConnectionID.NotFound", f"The vpnConnection ID '{vpn_id}' does not exist"
            )
        ip = request["VpnTunnelOutsideIpAddress"]
        tunnel = conn.tunnel(ip)
        if tunnel is None:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"The VPN tunnel outside IP address {ip} does not belong to {vpn_id}.",
            )
        return conn, tunnel

    def _replacement_status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        details: dict[str, Any] = {}
        if tunnel.pending_maintenance:
            details["PendingMaintenance"] = tunnel.pending_maintenance
            if tunnel.auto_applied_after is not None:
                details["MaintenanceAutoAppliedAfter"] = _stamp(tunnel.auto_applied_after)
        if tunnel.last_maintenance_applied is not None:
            details["LastMaintenanceApplied"] = _stamp(tunnel.last_maintenance_applied)
        return {"VpnConnectionId": conn.vpn_connection_id,
                "CustomerGatewayId": conn.customer_gateway_id,
                "VpnGatewayId": conn.vpn_gateway_id,
                "VpnTunnelOutsideIpAddress": tunnel.outside_ip,
                "MaintenanceDetails": details}

    def _replace(self, request: Mapping[str, Any], now: float) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        self._check_modifiable(conn, now)
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        if request.get("ApplyPendingMaintenance") and tunnel.pending_maintenance:
            tunnel.pending_maintenance = None
            tunnel.auto_applied_after = None
            tunnel.last_maintenance_applied = now
        self._replace_tunnel(conn, tunnel, now)
        return {"Return": True}

    def _check_modifiable(self, conn: ConnectionModel, now: float) -> None:
        vpn_id = conn.vpn_connection_id
        state = self.reported_state(conn, now)
        if state != AVAILABLE:
            raise ec2xml.QueryError(
                "IncorrectState",
                f"The VPN connection {vpn_id} is in state {state}; it cannot be modified.",
            )
        if conn.busy_at(now):
            raise ec2xml.QueryError(
                "IncorrectState",
                f"The VPN connection {vpn_id} is currently being modified; "
                "only one tunnel can be modified at a time.",
            )

    def _modify(self, request: Mapping[str, Any], now: float) -> dict[str, Any]:
        conn, tunnel = self._target(request)
        self._check_modifiable(conn, now)
        options = request["TunnelOptions"]
        cw = options.get("LogOptions", {}).get("CloudWatchLogOptions", {})
        self._validate_log_options(cw, "")
        self._validate_log_options(cw, "Bgp")
        if request.get("DryRun"):
            raise ec2xml.QueryError("DryRunOperation", "Request would have succeeded, "
                                    "but DryRun flag is set.")
        tunnel.log_options.update(cw)
        for prefix in ("", "Bgp"):
            if cw.get(f"{prefix}LogEnabled") is False and f"{prefix}LogGroupArn" not in cw:
                tunnel.log_options.pop(f"{prefix}LogGroupArn", None)
        if "EnableTunnelLifecycleControl" in options:
            tunnel.lifecycle_control = bool(options["EnableTunnelLifecycleControl"])
        lifecycle_only = set(options) == {"EnableTunnelLifecycleControl"}
        if not (lifecycle_only and request.get("SkipTunnelReplacement")):
            self._replace_tunnel(conn, tunnel, now)
        return {"VpnConnection": self._render(conn, now)}

    @staticmethod
    def _validate_log_options(cw: Mapping[str, Any], prefix: str) -> None:
        fmt = cw.get(f"{prefix}LogOutputFormat")
        if fmt is not None and fmt not in aws_facts.AWS_LOG_OUTPUT_FORMATS:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"Invalid value '{fmt}' for {prefix}LogOutputFormat. "
                f"Valid values: {', '.join(aws_facts.AWS_LOG_OUTPUT_FORMATS)}.",
            )
        arn = cw.get(f"{prefix}LogGroupArn")
        if arn is not None and not aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(arn):
            raise ec2xml.QueryError(
                "InvalidParameterValue", f"Invalid CloudWatch Logs log group ARN: {arn}"
            )
        if cw.get(f"{prefix}LogEnabled") and not arn:
            raise ec2xml.QueryError(
                "InvalidParameterValue",
                f"{prefix}LogGroupArn is required when {prefix}LogEnabled is true.",
            )

    def _rendered(self, conn: ConnectionModel, now: float) -> ec2xml.Fragment:
        """The connection as DescribeVpnConnections XML. Rendered from `_facts` only, so the
        last rendering is reused while the facts are unchanged (a poll of hundreds of
        connections mostly repeats its last answer); changed facts render afresh."""
        facts_now = self._facts(conn, now)
        cached = self._fragments.get(conn.vpn_connection_id)
        if cached is None or cached[0] != facts_now:
            shape = ec2xml.output_shape("DescribeVpnConnections", "VpnConnections")
            value = self._render_facts(conn, facts_now)
            cached = self._fragments[conn.vpn_connection_id] = (
                facts_now, ec2xml.fragment(shape, value))
        return cached[1]

    def _facts(self, conn: ConnectionModel, now: float) -> tuple[Any, ...]:
        """Everything in a connection's answer that can change over time (its ids and tunnel
        IPs never do): State, and per tunnel the telemetry as seen `telemetry_lag` ago, the
        log options (with their types: True and 1 render differently) and lifecycle control."""
        seen_at = now - self.settings.telemetry_lag
        return (self.reported_state(conn, now), tuple(
            (*tn.status_at(seen_at),
             tuple((k, type(v), v) for k, v in tn.log_options.items()),
             tn.lifecycle_control)
            for tn in conn.tunnels))

    def _render(self, conn: ConnectionModel, now: float) -> dict[str, Any]:
        return self._render_facts(conn, self._facts(conn, now))

    def _render_facts(self, conn: ConnectionModel, facts_now: tuple[Any, ...]) -> dict[str, Any]:
        """A connection in boto3's output shape; ec2xml checks every key against the model.
        Reads nothing that can change except through `facts_now` (see `_facts`)."""
        state, tunnel_facts = facts_now
        telemetry = []
        tunnel_options = []
        for i, (tn, (status, since, log_options, lifecycle)) in enumerate(
                zip(conn.tunnels, tunnel_facts, strict=True)):
            telemetry.append({
                "AcceptedRouteCount": 0,
                "LastStatusChange": dt.datetime.fromtimestamp(since, tz=dt.UTC),
                "OutsideIpAddress": tn.outside_ip,
                "Status": status,
                "StatusMessage": "" if status == UP else "IPSEC IS DOWN",
            })
            tunnel_options.append({
                "OutsideIpAddress": tn.outside_ip,
                "TunnelInsideCidr": f"169.254.{10 + i}.0/30",
                "DpdTimeoutSeconds": 30,
                "DpdTimeoutAction": "clear",
                "StartupAction": "add",
                "IkeVersions": [{"Value": "ikev1"}, {"Value": "ikev2"}],
                "LogOptions": {"CloudWatchLogOptions": {k: v for k, _, v in log_options}},
                "EnableTunnelLifecycleControl": lifecycle,
            })
        return {
            "VpnConnectionId": conn.vpn_connection_id,
            "State": state,
            "Type": "ipsec.1",
            "Category": "VPN",
            "CustomerGatewayId": conn.customer_gateway_id,
            "VpnGatewayId": conn.vpn_gateway_id,
            "GatewayAssociationState": "associated",
            "Options": {
                "EnableAcceleration": False,
                "StaticRoutesOnly": False,
                "TunnelInsideIpVersion": "ipv4",
                "OutsideIpAddressType": "PublicIpv4",
                "TunnelOptions": tunnel_options,
            },
            "Routes": [],
            "Tags": [],
            "VgwTelemetry": telemetry,
        }


def _stamp(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)

