"""What turning on tunnel activity logs costs: a published measured volume (DevelopersIO,
2022-08-20) times the stack's
tunnels, at CloudWatch list prices (Site-to-Site VPN itself adds no charge for logs). A stack
across regions or accounts pays the shared alarm once per (account, region), and is shown
per region too."""

from __future__ import annotations

from dataclasses import dataclass

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.scope import AwsScope
from gatewatch.config.aws import AwsConfig

GIB = 1024**3
MIB = 1024**2
DAYS_PER_MONTH = 30
TUNNELS_PER_CONNECTION = 2
ALARMS_PER_CONNECTION = 2  # one TunnelState alarm per tunnel
SHARED_ALARMS = 1  # negotiation failures, one per (account, region)


@dataclass(frozen=True)
class CostEstimate:
    connections: int
    tunnels: int
    bytes_per_tunnel_month: int
    bytes_per_month: int
    retained_bytes: int
    alarms: int
    ingest_usd: float
    storage_usd: float
    alarms_usd: float

    @property
    def total_usd(self) -> float:
        return self.ingest_usd + self.storage_usd + self.alarms_usd


def estimate(cfg: AwsConfig, scope: AwsScope | None = None) -> CostEstimate:
    """The whole stack's estimate, or one (account, region)'s."""
    scopes = (scope,) if scope is not None else cfg.scopes()
    connections = sum(len(s.vpn_connections) for s in scopes)
    tunnels = TUNNELS_PER_CONNECTION * connections
    per_tunnel = aws_facts.TUNNEL_LOG_BYTES_PER_HALF_DAY * 2 * DAYS_PER_MONTH
    monthly = per_tunnel * tunnels
    # Steady state: the group holds `retention` days of logs (upper bound: billed compressed).
    retained = per_tunnel * tunnels * cfg.log_group.retention_in_days // DAYS_PER_MONTH
    alarms = ALARMS_PER_CONNECTION * connections + SHARED_ALARMS * len(scopes)
    return CostEstimate(
        connections=connections,
        tunnels=tunnels,
        bytes_per_tunnel_month=per_tunnel,
        bytes_per_month=monthly,
        retained_bytes=retained,
        alarms=alarms,
        ingest_usd=monthly / GIB * aws_facts.CLOUDWATCH_VENDED_LOGS_INGEST_USD_PER_GB,
        storage_usd=retained / GIB * aws_facts.CLOUDWATCH_LOGS_STORAGE_USD_PER_GB_MONTH,
        alarms_usd=alarms * aws_facts.CLOUDWATCH_STANDARD_ALARM_USD_PER_MONTH,
    )


def by_region(cfg: AwsConfig) -> dict[str, CostEstimate]:
    """Each (account, region)'s estimate, when the stack has more than one."""
    scopes = cfg.scopes()
    return {s.label: estimate(cfg, s) for s in scopes} if len(scopes) > 1 else {}


def describe(est: CostEstimate, cfg: AwsConfig) -> list[str]:
    regional = [f"{label} ${part.total_usd:.2f} ({part.connections} connection"
                f"{'s' if part.connections != 1 else ''})"
                for label, part in by_region(cfg).items()]
    return [
        f"{est.connections} connections x 2 tunnels = {est.tunnels} tunnels; DevelopersIO "
        f"(2022-08-20) measured {aws_facts.TUNNEL_LOG_BYTES_PER_HALF_DAY:,} bytes per tunnel "
        "per half day",
        f"log volume: {est.bytes_per_tunnel_month / MIB:.0f} MiB per tunnel per month, "
        f"{est.bytes_per_month / MIB:.0f} MiB per month in all",
        f"kept {cfg.log_group.retention_in_days} days: about {est.retained_bytes / MIB:.0f} MiB "
        "stored at steady state",
        f"monthly: ingestion ${est.ingest_usd:.2f} + storage ${est.storage_usd:.2f} + "
        f"{est.alarms} alarms ${est.alarms_usd:.2f} = ${est.total_usd:.2f} "
        "(us-east-1 list prices, an assumption: check your region; chatty peers log more)",
    ] + ([f"by region: {', '.join(regional)}"] if regional else [])
