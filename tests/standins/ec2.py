"""The EC2 stand-in (DescribeVpnConnections with Options and VgwTelemetry), through one place.

The rollout's stand-in is being moved from gatewatch/aws_rollout/ to the tests by another
change; repoint the two imports below when it lands, nothing else refers to its location.
This adapter adds the one read triage makes that the rollout never needed:
GetVpnTunnelReplacementStatus (request parsed and response rendered through botocore's EC2
model by ec2xml, like the rest of the stand-in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from gatewatch.aws_rollout import ec2xml
from gatewatch.aws_rollout.standin import DOWN, UP
from gatewatch.aws_rollout.standin import Ec2StandIn as _RolloutEc2StandIn

__all__ = ["DOWN", "UP", "Ec2StandIn"]


class Ec2StandIn(_RolloutEc2StandIn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (vpn id, outside ip) -> LastMaintenanceApplied
        self.last_maintenance: dict[tuple[str, str], dt.datetime] = {}

    def _dispatch(self, action: str, params: Mapping[str, str], now: float) -> dict[str, Any]:
        if action != "GetVpnTunnelReplacementStatus":
            return super()._dispatch(action, params, now)
        _, request = ec2xml.parse_request(params)
        vpn_id, ip = request["VpnConnectionId"], request["VpnTunnelOutsideIpAddress"]
        if vpn_id not in self._connections:
            raise ec2xml.QueryError("InvalidVpnConnectionID.NotFound",
                                    f"The vpnConnection ID '{vpn_id}' does not exist")
        conn = self._connections[vpn_id]
        details: dict[str, Any] = {"PendingMaintenance": "None"}
        if (vpn_id, ip) in self.last_maintenance:
            details["LastMaintenanceApplied"] = self.last_maintenance[(vpn_id, ip)]
        return {"VpnConnectionId": vpn_id, "CustomerGatewayId": conn.customer_gateway_id,
                "VpnGatewayId": conn.vpn_gateway_id, "VpnTunnelOutsideIpAddress": ip,
                "MaintenanceDetails": details}
