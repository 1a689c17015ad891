"""Read-only views of what EC2 answers about a VPN connection, and the time helpers around them.

`connection_view` flattens one `VpnConnections[]` entry of DescribeVpnConnections
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpnConnections.html): each
tunnel's `Options.TunnelOptions[]` joined with its `VgwTelemetry[]` status by outside IP.
`maintenance_view` reads a tunnel's `MaintenanceDetails` from GetVpnTunnelReplacementStatus
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetVpnTunnelReplacementStatus.html).
The rollout, the command line and `gatewatch live` all read the service through these.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# VgwTelemetry.Status of a working tunnel.
UP = "UP"
# VpnConnection.State (the service model's VpnState enum). Only an available connection is
# modified: a pending one is waited for, a deleting or deleted one stops the rollout.
AVAILABLE = "available"
PENDING = "pending"
# Not in botocore's VpnState enum (pending, available, deleting, deleted), but EC2 reports it
# while a tunnel or connection change is applied: terraform-provider-aws waits for `modifying`
# to become `available` after every ModifyVpnTunnelOptions and ModifyVpnConnection
# (internal/service/ec2, vpnStateModifying, waitVPNConnectionUpdated; 10 s poll, 30 min).
MODIFYING = "modifying"
# States that end by themselves in `available`: waited out (within the timeout), never acted on.
TRANSITIONAL = (PENDING, MODIFYING)


@dataclass(frozen=True)
class TunnelView:
    outside_ip: str
    log_options: Mapping[str, Any]
    status: str  # UP, DOWN, or UNKNOWN when VgwTelemetry has no entry for this IP
    last_status_change: float | None  # epoch seconds
    status_message: str = ""
    lifecycle_control: bool | None = None  # TunnelOption.EnableTunnelLifecycleControl


@dataclass(frozen=True)
class ConnectionView:
    vpn_connection_id: str
    state: str
    tunnels: tuple[TunnelView, ...]


def _ip_key(ip: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(ip)
    return addr.version, int(addr)


def _epoch(value: Any) -> float | None:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return None


def connection_view(raw: Mapping[str, Any]) -> ConnectionView:
    """One `VpnConnections[]` entry of DescribeVpnConnections, tunnels sorted by outside IP.

    Sorting by address keeps "tunnel 1" the same tunnel across runs whatever order the API
    lists them in.
    """
    telemetry = {t.get("OutsideIpAddress"): t for t in raw.get("VgwTelemetry", [])}
    tunnels = []
    for opt in raw.get("Options", {}).get("TunnelOptions", []):
        ip = opt["OutsideIpAddress"]
        tel = telemetry.get(ip, {})
        tunnels.append(TunnelView(
            outside_ip=ip,
            log_options=opt.get("LogOptions", {}).get("CloudWatchLogOptions", {}),
            status=str(tel.get("Status", "UNKNOWN")),
            last_status_change=_epoch(tel.get("LastStatusChange")),
            status_message=str(tel.get("StatusMessage", "")),
            lifecycle_control=opt.get("EnableTunnelLifecycleControl"),
        ))
    tunnels.sort(key=lambda t: _ip_key(t.outside_ip))
    return ConnectionView(raw["VpnConnectionId"], str(raw.get("State", "")), tuple(tunnels))


@dataclass(frozen=True)
class MaintenanceView:
    """A tunnel's MaintenanceDetails (GetVpnTunnelReplacementStatus)."""

    outside_ip: str
    pending: str | None  # PendingMaintenance; None when absent, empty or "None"
    auto_applied_after: float | None  # MaintenanceAutoAppliedAfter, epoch seconds
    last_applied: float | None  # LastMaintenanceApplied


def maintenance_view(outside_ip: str, details: Mapping[str, Any]) -> MaintenanceView:
    """The service model types PendingMaintenance as a free string ("Verify existence of a
    pending maintenance") without listing values; absent, empty and "None" mean none pending."""
    pending = str(details.get("PendingMaintenance") or "").strip()
    return MaintenanceView(
        outside_ip,
        pending if pending and pending.lower() != "none" else None,
        _epoch(details.get("MaintenanceAutoAppliedAfter")),
        _epoch(details.get("LastMaintenanceApplied")),
    )


@dataclass(frozen=True)
class ConnectionStatus:
    view: ConnectionView
    # In the order of view.tunnels; None: not read (`status --no-maintenance`).
    maintenance: tuple[MaintenanceView, ...] | None


@dataclass(frozen=True)
class TimeWindow:
    """A daily UTC window `HH:MM-HH:MM` (may wrap past midnight) in which maintenance starts."""

    start_minute: int
    end_minute: int

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        """Raise ValueError naming the expected form."""
        try:
            start, end = text.split("-")
            minutes = []
            for part in (start, end):
                hh, mm = part.strip().split(":")
                if not (hh.isdigit() and mm.isdigit() and len(mm) == 2):
                    raise ValueError
                h, m = int(hh), int(mm)
                if not (0 <= h <= 23 and 0 <= m <= 59):
                    raise ValueError
                minutes.append(h * 60 + m)
        except ValueError:
            raise ValueError(f"{text!r} is not a UTC time window; expected HH:MM-HH:MM, "
                             "e.g. 02:00-05:00") from None
        if minutes[0] == minutes[1]:
            raise ValueError(f"{text!r} is an empty window; start and end must differ")
        return cls(minutes[0], minutes[1])

    def contains(self, epoch: float) -> bool:
        t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
        minute = t.hour * 60 + t.minute
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute

    def __str__(self) -> str:
        return (f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}-"
                f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d} UTC")


def format_time(epoch: float | None) -> str:
    if epoch is None:
        return "unknown time"
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
