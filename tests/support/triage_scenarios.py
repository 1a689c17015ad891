"""One fixture timeline per triage verdict, written into the stand-ins.

Each scenario is the same tunnel seen from both ends: Azure gateway VPNGW-HUB-01
(remoteIP_s = the AWS tunnel's outside IP) and AWS tunnel 1 of the connection. Times are
relative to T0 = two hours before the test runs (moto keeps only 14 days of events).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gatewatch.live.triage.resets import RESET_OPERATION
from tests.support.live_world import GW_ID, VPN, World
from tests.support.standins.health import HealthEvent

LOCAL_IP = "20.43.10.7"  # the Azure gateway's public IP, as IKE logs show it


def s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


class Scene:
    def __init__(self, w: World) -> None:
        self.w = w
        self.t0 = w.now - dt.timedelta(hours=2)
        self.ip = w.tunnel_ips()[0]
        self.aws: list[tuple[dt.datetime, dict[str, Any]]] = []

    def tunnel(self, op: str, at: float, instance: int) -> None:
        self.w.add_rows(self.w.diag_row(
            "TunnelDiagnosticLog", self.t0 + s(at), OperationName=op, remoteIP_s=self.ip,
            instance_s=f"GatewayTenantWorker_IN_{instance}",
            Message=f"{op} from remote {self.ip}"))

    def gateway(self, op: str, at: float, message: str = "") -> None:
        self.w.add_rows(self.w.diag_row("GatewayDiagnosticLog", self.t0 + s(at),
                                        OperationName=op, Message=message or op))

    def ike(self, at: float, event: str) -> None:
        self.w.add_rows(self.w.diag_row(
            "IKEDiagnosticLog", self.t0 + s(at), OperationName="IKELogEvent", Level="Error",
            Message=f"SESSION_ID :{{8a2f0c1e-0000-4000-8000-00000000000{int(at) % 10}}} "
                    f"Remote {self.ip}:500: Local {LOCAL_IP}:500: {event}"))

    def bgp(self, op: str, at: float) -> None:
        self.w.add_rows(self.w.diag_row("RouteDiagnosticLog", self.t0 + s(at), OperationName=op,
                                        Message=f"{op} peer 169.254.21.1"))

    def aws_log(self, at: float, details: str, phase2: str = "established",
                phase1: str | None = None) -> None:
        when = self.t0 + s(at)
        if phase1 is None:
            phase1 = phase2 if phase2.lower() in ("established", "down") else "established"
        self.aws.append((when, {
            "event_timestamp": int(when.timestamp()), "details": details, "dpd_enabled": True,
            "nat_t_detected": False, "ike_phase1_state": phase1, "ike_phase2_state": phase2}))

    def aws_bgp(self, at: float, status: str, details: str | None,
                kind: str = "BGPStatus", **route: Any) -> None:
        """A BGP-log event in the tunnel's stream, shaped as AWS's example ("AWS Site-to-Site
        VPN logs", example log format for Tunnel BGP logs): resource_id `<vpn>_<ip>`,
        event_timestamp in ms, type, status, and `message` an object holding `details`
        (and, for RouteStatus, the route's attributes)."""
        when = self.t0 + s(at)
        message: dict[str, Any] = dict(route)
        if details is not None:
            message["details"] = details
        self.aws.append((when, {
            "resource_id": f"{VPN}_{self.ip}", "event_timestamp": int(when.timestamp() * 1000),
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z", "type": kind,
            "status": status, "message": message}))

    def health(self, at: float, code: str, category: str = "scheduledChange") -> None:
        self.w.health.events.append(HealthEvent(
            arn=f"arn:aws:health:ap-northeast-1::event/VPN/{code}/{code}_{int(at)}",
            service="VPN", event_type_code=code, category=category,
            start=self.t0 + s(at), entities=(VPN,)))

    def reset(self, at: float, caller: str, gateway_id: str = GW_ID,
              statuses: tuple[str, ...] = ("Started", "Accepted", "Succeeded")) -> str:
        """A gateway reset in the Activity log: one operation's events from `at` on."""
        return self.w.azure.activity.operation(RESET_OPERATION, self.t0 + s(at), gateway_id,
                                               caller, statuses)

    def done(self) -> None:
        self.w.add_rows()
        if self.aws:
            self.w.put_tunnel_events(self.ip, self.aws)


def maintenance_failover(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.gateway("HostMaintenanceEvent", -30, "Host maintenance started on GatewayTenantWorker_IN_0")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.aws_log(1, "AWS tunnel received DELETE for IKE_SA from the peer", "down")
    c.tunnel("TunnelConnected", 8, 1)
    c.aws_log(9, "AWS tunnel phase 2 SA is established with SPI: 0xc8b2ce0", "established")
    c.bgp("BgpDisconnectedEvent", 1)
    c.bgp("BgpConnectedEvent", 12)


def primary_changed(c: Scene) -> None:
    """A failover with a GatewayTenantPrimaryChanged row and no HostMaintenanceEvent: Microsoft
    lists primary changes apart from maintenance events, and a reset fails over too, so the
    cause is not named ("Troubleshoot Azure VPN Gateway using diagnostic logs")."""
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.gateway("GatewayTenantPrimaryChanged", 2)
    c.aws_log(1, "AWS tunnel received DELETE for IKE_SA from the peer", "down")
    c.tunnel("TunnelConnected", 8, 1)
    c.aws_log(9, "AWS tunnel phase 2 SA is established with SPI: 0xc8b2ce0", "established")


RESET_BY = "alice@contoso.com"


def gateway_reset(c: Scene) -> None:
    """A reset from the portal 90 s before a failover: Activity log Started, Accepted,
    Succeeded 30 s apart; the tunnel back on the other instance 8 s after the drop."""
    c.reset(-90, RESET_BY)
    primary_changed(c)


def same_instance(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.aws_log(2, "AWS tunnel received DELETE for Phase 2 SA", "down")
    c.tunnel("TunnelConnected", 40, 0)
    c.aws_log(41, "AWS tunnel phase 2 SA is established", "established")


def psk_mismatch(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.gateway("SetConnectionConfiguration", -20, "Connection aws-tunnel1 shared key updated")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.aws_log(3, "AWS tunnel received DELETE for IKE_SA", "down")
    for i in range(3):
        c.ike(10 + 30 * i, "[RECEIVED] Received notify AUTHENTICATION_FAILED for IKE_AUTH")
        c.aws_log(11 + 30 * i,
                  f"AWS tunnel detected a pre-shared key mismatch with cgw: {LOCAL_IP}", "down")


def proposal_mismatch(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.aws_log(2, "AWS tunnel received DELETE for IKE_SA", "down")
    c.ike(15, "[RECEIVED] Received notify NO_PROPOSAL_CHOSEN for IKE_SA_INIT")
    c.ike(45, "[RECEIVED] Received notify NO_PROPOSAL_CHOSEN for IKE_SA_INIT")
    c.tunnel("TunnelConnected", 200, 0)
    c.aws_log(201, "AWS tunnel phase 2 SA is established", "established")


def dpd_timeout(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.aws_log(-1, "AWS tunnel DPD timed out after 3 retransmits", "down")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.tunnel("TunnelConnected", 45, 0)
    c.aws_log(46, "AWS tunnel phase 2 SA is established", "established")


def endpoint_replacement(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.health(-60, "AWS_VPN_TUNNEL_ENDPOINT_REPLACEMENT")
    c.aws_log(0, "AWS tunnel endpoint is being replaced", "down")
    c.tunnel("TunnelDisconnected", 1, 0)
    c.tunnel("TunnelConnected", 240, 0)
    c.aws_log(241, "AWS tunnel phase 2 SA is established", "established")


def endpoint_replacement_ec2(c: Scene) -> None:
    """No Health event (no support plan): the tunnel's own replacement status says it."""
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.w.ec2._tunnel(VPN, c.ip).last_maintenance_applied = (c.t0 - s(20)).timestamp()
    c.aws_log(0, "AWS tunnel received DELETE for IKE_SA", "down")
    c.tunnel("TunnelDisconnected", 1, 1)
    c.tunnel("TunnelConnected", 180, 1)
    c.aws_log(181, "AWS tunnel phase 2 SA is established", "established")


def endpoint_replacement_bgp_first(c: Scene) -> None:
    """AWS sends BGP a Cease first; Azure sees BGP and then the tunnel go; AWS's tunnel log
    records its Down minutes later. One outage, starting at the Cease."""
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.health(-60, "AWS_VPN_TUNNEL_ENDPOINT_REPLACEMENT")
    c.aws_bgp(0, "DOWN", "AWS-side peer sent a notification 6/2 (Cease/Administrative Shutdown) "
              "to neighbor 169.254.21.2")
    c.bgp("BgpDisconnectedEvent", 2)
    c.tunnel("TunnelDisconnected", 30, 0)
    c.aws_log(240, "AWS tunnel endpoint is being replaced", "down")
    c.tunnel("TunnelConnected", 300, 0)
    c.bgp("BgpConnectedEvent", 305)
    c.aws_log(330, "AWS tunnel phase 2 SA is established", "established")
    c.aws_bgp(331, "UP", "AWS-side peer BGP session state has changed from OpenConfirm to "
              "Established with neighbor 169.254.21.2")


def still_down(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request")
    c.tunnel("TunnelDisconnected", 0, 0)
    c.aws_log(2, "AWS tunnel received DELETE for IKE_SA", "down")


@dataclass(frozen=True)
class Expected:
    """What triage must say of a scenario: one drop, seen from both ends, with this verdict,
    starting at the earliest evidence (seconds from T0)."""

    verdict: str
    start: float = 0


# scenario -> (builder, the one drop it must give)
SCENARIOS: dict[str, tuple[Callable[[Scene], None], Expected]] = {
    "maintenance-failover": (maintenance_failover, Expected("gateway-failover-maintenance")),
    "primary-changed": (primary_changed, Expected("gateway-failover")),
    "gateway-reset": (gateway_reset, Expected("gateway-reset")),
    "same-instance": (same_instance, Expected("same-instance-reconnect")),
    "psk-mismatch": (psk_mismatch, Expected("ike-psk-mismatch")),
    "proposal-mismatch": (proposal_mismatch, Expected("ike-proposal-mismatch")),
    "dpd-timeout": (dpd_timeout, Expected("dpd-timeout", start=-1)),  # AWS's DPD timeout
    "endpoint-replacement": (endpoint_replacement, Expected("aws-endpoint-replacement")),
    "endpoint-replacement-ec2": (endpoint_replacement_ec2,
                                 Expected("aws-endpoint-replacement")),
    "endpoint-replacement-bgp-first": (endpoint_replacement_bgp_first,
                                       Expected("aws-endpoint-replacement")),  # the Cease
    "still-down": (still_down, Expected("still-down")),
}


def build(w: World, name: str) -> Scene:
    builder, _ = SCENARIOS[name]
    scene = Scene(w)
    builder(scene)
    scene.done()
    return scene


# --- AWS's documented tunnel-log vocabulary, AWS side only ------------------------------------

# Each documented message as a tunnel would log it (the variable parts filled in), by its text
# in gatewatch/aws/tunnel_log_vocabulary.py.
def logged(text: str) -> str:
    return (text.replace("{retry_count}", "3")
            .replace("with cgw: xxxx", f"with cgw: {LOCAL_IP}")
            .replace("SPI: xxxx", "SPI: 0xc8b2ce0")
            .replace("(id=xxx)", "(id=7)"))


def documented_message(text: str, c: Scene) -> None:
    """Established, then the message with a capitalised Down (as AWS's table writes the
    states), renegotiation, and Established again: one drop, recovered."""
    c.aws_log(-600, "AWS tunnel is sending DPD request", "Established")
    c.aws_log(0, logged(text), "Down")
    c.aws_log(20, "AWS tunnel is initiating IKE_SA_INIT", "Negotiating", "Negotiating")
    c.aws_log(60, "AWS tunnel phase 2 SA is established", "Established")


def documented_message_while_up(text: str, c: Scene) -> None:
    """The message logged with the phase states still Established (the states are written
    when the event is exported): a DPD timeout or a delete is still a drop."""
    c.aws_log(-600, "AWS tunnel is sending DPD request", "Established")
    c.aws_log(0, logged(text), "Established")
    c.aws_log(20, "AWS tunnel is initiating IKE_SA_INIT", "Negotiating", "Negotiating")
    c.aws_log(60, "AWS tunnel phase 2 SA is established", "Established")


def rekey(c: Scene) -> None:
    """Routine rekeys of both phases, capitalised and lower case: no drop."""
    c.aws_log(-600, "AWS tunnel is sending DPD request", "Established")
    c.aws_log(0, "AWS tunnel is rekeying phase 2", "Rekeying", "Established")
    c.aws_log(5, "AWS tunnel phase 2 SA is established", "Established")
    c.aws_log(100, "AWS tunnel is rekeying IKE_SA", "Established", "Rekeying")
    c.aws_log(105, "AWS tunnel is sending DPD request", "Established", "Established")
    c.aws_log(200, "", "rekeying", "rekeying")
    c.aws_log(205, "", "established")
    c.aws_log(300, "AWS tunnel is negotiating", "Negotiating", "Negotiating")
    c.aws_log(305, "AWS tunnel phase 2 SA is established", "Established")


def capitalised_drop(c: Scene) -> None:
    """AWS's own capitalised states: Established, Down, Down, Established is one drop, back."""
    c.aws_log(-600, "AWS tunnel is sending DPD request", "Established")
    c.aws_log(0, "AWS tunnel is sending DPD request", "Down")
    c.aws_log(30, "AWS tunnel is sending DPD request", "Down")
    c.aws_log(90, "AWS tunnel phase 2 SA is established", "Established")
    c.aws_log(900, "AWS tunnel is sending DPD request", "Established")


def build_with(w: World, builder: Callable[[Scene], None]) -> Scene:
    scene = Scene(w)
    builder(scene)
    scene.done()
    return scene
