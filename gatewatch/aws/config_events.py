"""The EC2 calls that change a Site-to-Site VPN connection or one of its tunnels, as CloudTrail
records them, and the reading of one such record: which connection and tunnel, who, when.

The calls and what they do, in AWS's words (Amazon EC2 API Reference, each action's page,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_<Action>.html; the same text is
botocore's EC2 service model):

- ModifyVpnTunnelOptions: "Modifies the options for a VPN tunnel ... you can only modify one
  tunnel at a time" (the tunnel is `VpnTunnelOutsideIpAddress`).
- ModifyVpnTunnelCertificate: "Modifies the VPN tunnel endpoint certificate" (one tunnel).
- ReplaceVpnTunnel: "Trigger replacement of specified VPN tunnel" (one tunnel).
- ModifyVpnConnection: "Your Amazon Web Services Site-to-Site VPN connection will be
  temporarily unavailable for a brief period while we provision the new endpoints" (both).
- ModifyVpnConnectionOptions: "Your VPN connection will be temporarily unavailable for a brief
  period while the VPN connection is updated" (both).

A record (AWS CloudTrail User Guide, "CloudTrail record contents for management, data, and
network activity events",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
`eventTime` ("The date and time the request was completed, in coordinated universal time"),
`eventName`, `userIdentity` (`arn`, `type`, `invokedBy`, `userName`), `userAgent` ("The agent
through which the request was made, such as the AWS Management Console, an AWS service, the AWS
SDKs or the AWS CLI"), `requestParameters`, and `errorCode` when the call failed (a failed or
dry-run call changed nothing). EC2 writes `requestParameters` either flat with lower-camel keys
(`vpnConnectionId`) or, for its newer actions, wrapped in `<Action>Request` with the API's own
keys (as its `responseElements` are wrapped in `<Action>Response`: wwalpha/aws-spotlight reads
`responseElements.CreateVpcEndpointResponse` but `responseElements.vpnConnection`); no public
record of these five calls was found, so both shapes are read, keys compared case-insensitively.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TUNNEL, CONNECTION = "tunnel", "connection"
API_URL = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_{}.html"
RECORD_URL = ("https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
              "cloudtrail-event-reference-record-contents.html")


@dataclass(frozen=True)
class ConfigCall:
    """One EC2 call that changes a VPN connection: its name (CloudTrail's eventName), what it
    takes down (one tunnel or both) and AWS's words."""

    name: str
    scope: str
    words: str

    @property
    def url(self) -> str:
        return API_URL.format(self.name)


CALLS = (
    ConfigCall("ModifyVpnTunnelOptions", TUNNEL,
               "Modifies the options for a VPN tunnel in an Amazon Web Services Site-to-Site "
               "VPN connection. You can modify multiple options for a tunnel in a single "
               "request, but you can only modify one tunnel at a time."),
    ConfigCall("ModifyVpnTunnelCertificate", TUNNEL,
               "Modifies the VPN tunnel endpoint certificate."),
    ConfigCall("ReplaceVpnTunnel", TUNNEL, "Trigger replacement of specified VPN tunnel."),
    ConfigCall("ModifyVpnConnection", CONNECTION,
               "Your Amazon Web Services Site-to-Site VPN connection will be temporarily "
               "unavailable for a brief period while we provision the new endpoints."),
    ConfigCall("ModifyVpnConnectionOptions", CONNECTION,
               "Your VPN connection will be temporarily unavailable for a brief period while "
               "the VPN connection is updated."),
)
BY_NAME = {c.name: c for c in CALLS}


@dataclass(frozen=True)
class ConfigChange:
    """One call on a VPN connection, read from its CloudTrail record."""

    time: dt.datetime
    action: str
    vpn_id: str
    tunnel_ip: str | None  # None: the call is on the connection (both tunnels)
    principal: str
    agent: str
    error: str | None = None

    def explains(self, vpn_id: str, tunnel_ip: str) -> bool:
        """Whether the call can take this tunnel down: same connection, and the same tunnel
        unless the call is on the whole connection. A failed call changed nothing."""
        return (self.error is None and self.vpn_id == vpn_id
                and (self.tunnel_ip is None or self.tunnel_ip == tunnel_ip))

    def text(self) -> str:
        target = f"tunnel {self.tunnel_ip}" if self.tunnel_ip else "both tunnels"
        via = f" via {self.agent}" if self.agent else ""
        failed = f" (failed: {self.error}, nothing changed)" if self.error else ""
        return f"{self.action} on {self.vpn_id} {target} by {self.principal}{via}{failed}"


def _find(data: Any, key: str) -> Any:
    """The first value under `key` (case-insensitive) anywhere in `data`."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            if str(k).lower() == key.lower() and not isinstance(v, Mapping | list):
                return v
        for v in data.values():
            found = _find(v, key)
            if found is not None:
                return found
    elif isinstance(data, list):
        for v in data:
            found = _find(v, key)
            if found is not None:
                return found
    return None


def principal(identity: Mapping[str, Any], username: str = "") -> str:
    """Who made the call: the identity's ARN (for an assumed role it carries the session name),
    else the service that invoked it, the user name LookupEvents gives, or the identity type."""
    return str(identity.get("arn") or identity.get("invokedBy") or identity.get("userName")
               or username or identity.get("type") or "unknown")


def agent(user_agent: str) -> str:
    """The tool behind the call, shortly: the console, the kit's own rollout (its user agent
    names gatewatch), Terraform, or the first product token of the user agent."""
    text = user_agent.strip()
    lower = text.lower()
    if not text:
        return ""
    if "gatewatch" in lower:
        return "gatewatch"
    if lower.startswith(("aws internal", "console.", "signin.")) or "console" in lower.split()[0]:
        return "the AWS console"
    terraform = next((t for t in text.split() if t.lower().startswith("terraform/")), None)
    return terraform or text.split()[0][:60]


def parse(record: str | Mapping[str, Any], username: str = "") -> ConfigChange | None:
    """The change one CloudTrail record (the `CloudTrailEvent` JSON string of LookupEvents)
    describes, or None when it is not one of CALLS or names no VPN connection."""
    data = json.loads(record) if isinstance(record, str) else record
    if not isinstance(data, Mapping) or data.get("eventName") not in BY_NAME:
        return None
    params = data.get("requestParameters") or {}
    vpn_id = _find(params, "vpnConnectionId")
    if not vpn_id:
        return None
    call = BY_NAME[str(data["eventName"])]
    ip = _find(params, "vpnTunnelOutsideIpAddress") if call.scope == TUNNEL else None
    when = dt.datetime.fromisoformat(str(data["eventTime"]).replace("Z", "+00:00"))
    return ConfigChange(when.astimezone(dt.UTC), call.name, str(vpn_id),
                        str(ip) if ip else None,
                        principal(data.get("userIdentity") or {}, username),
                        agent(str(data.get("userAgent") or "")),
                        str(data["errorCode"]) if data.get("errorCode") else None)
