"""`doctor` on Azure: the workspace, each gateway's diagnostic setting, and whether its
categories are really arriving.

Freshness thresholds: only a category that logs on its own schedule can be "stale".
- IKEDiagnosticLog: a connected gateway renegotiates its IKE SA at least every 28,800 s (8 h,
  the default SA lifetime in "About VPN devices and IPsec/IKE parameters for Site-to-Site VPN
  Gateway connections", https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-
  devices) and logs each negotiation; resource logs take minutes to be queryable ("Log data
  ingestion time in Azure Monitor", https://learn.microsoft.com/azure/azure-monitor/logs/
  data-ingestion-time). 9 hours without one record means the category stopped arriving.
- GatewayDiagnosticLog, TunnelDiagnosticLog, RouteDiagnosticLog, P2SDiagnosticLog log only
  when something happens (a configuration change, a tunnel or BGP change, a P2S client): a
  quiet week is healthy, so their last record time is shown, never judged.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.azure.arm_ids import id_key
from gatewatch.catalog.load import load
from gatewatch.catalog.model import SavedQuery
from gatewatch.config.azure import AzureConfig, GatewayConfig
from gatewatch.live.azure import GATEWAY_API_VERSION, NotFound
from gatewatch.live.doctor.report import MISSING, OK, STALE, WRONG, DoctorReport, last_seen
from gatewatch.live.kqlbind import bind
from gatewatch.live.readers import AzureReads
from gatewatch.live.sources import ARM, LOG_ANALYTICS, Failure, SourceDown, Sources

AZURE_FRESHNESS: Mapping[str, dt.timedelta] = {"IKEDiagnosticLog": dt.timedelta(hours=9)}
FRESHNESS_QUERY = "diagnostics-freshness"  # queries/diagnostics-freshness.yaml
FRESHNESS_LOOKBACK = dt.timedelta(days=30)  # the shortest retention the kit allows


def _enabled_categories(setting: Mapping[str, Any]) -> set[str]:
    return {log["category"] for log in setting.get("logs") or []
            if log.get("enabled") and log.get("category")}


def same_id(a: str | None, b: str | None) -> bool:
    return id_key(a or "") == id_key(b or "")


def gateway_vpn_type(reader: AzureReads, gateway: GatewayConfig,
                     sources: Sources) -> str | None:
    if gateway.vpn_type:
        return gateway.vpn_type
    try:
        body = sources.call(
            ARM, lambda: reader.get_by_id(gateway.id.id, GATEWAY_API_VERSION))
    except NotFound:
        return None
    vpn_type = (body.get("properties") or {}).get("vpnType")
    return str(vpn_type) if vpn_type else None


def check_azure(report: DoctorReport, azure: AzureConfig, reader: AzureReads,
                workspace_id: str, now: dt.datetime) -> None:
    """The workspace, each gateway's diagnostic setting and its categories' last records.
    A source that cannot be read leaves its lines UNCHECKED and the others still checked."""
    stack = report.stack
    up = f"run `pulumi up --stack {stack}`"
    arm = report.sources
    customer: str | Failure | None
    try:
        customer = arm.call(ARM, lambda: reader.workspace_customer_id(workspace_id))
    except NotFound:
        report.add("azure", workspace_id.rsplit("/", 1)[-1], "workspace", MISSING,
                   f"{workspace_id} not found", up)
        customer = None
    except SourceDown as down:
        customer = down.failure

    setting_check = f"diagnostic setting '{azure_names.DIAGNOSTIC_SETTING_NAME}'"
    expected: dict[str, tuple[str, ...] | None] = {}
    for gateway in azure.gateways:
        name = gateway.name
        try:
            vpn_type = gateway_vpn_type(reader, gateway, arm)
        except SourceDown as down:
            report.unchecked("azure", name, setting_check, down.failure)
            expected[gateway.id.key] = None
            continue
        if vpn_type is None:
            report.add("azure", name, "gateway", MISSING, f"{gateway.id.id} not found",
                       f"fix {gateway.key_path}.id in the stack config")
            continue
        wanted = azure_facts.categories_for(vpn_type)
        expected[gateway.id.key] = wanted
        with report.checking("azure", name, setting_check):
            try:
                setting = arm.call(ARM, functools.partial(
                    reader.diagnostic_setting, gateway.id.id,
                    azure_names.DIAGNOSTIC_SETTING_NAME))
            except NotFound:
                report.add("azure", name, setting_check, MISSING,
                           "no such setting on the gateway", up)
                continue
            _judge_setting(report, azure, workspace_id, name, setting, wanted, vpn_type, up)

    if isinstance(customer, Failure):
        _unchecked_freshness(report, azure, expected, customer)
    elif customer is not None:
        _check_freshness(report, azure, reader, customer, expected, now)


def _judge_setting(report: DoctorReport, azure: AzureConfig, workspace_id: str, name: str,
                   setting: Mapping[str, Any], wanted: tuple[str, ...], vpn_type: str,
                   up: str) -> None:
    check = f"diagnostic setting '{azure_names.DIAGNOSTIC_SETTING_NAME}'"
    have = _enabled_categories(setting)
    lacking = [c for c in wanted if c not in have]
    problems = []
    if lacking:
        problems.append(f"categories not enabled: {', '.join(lacking)}")
    if not same_id(setting.get("workspaceId"), workspace_id):
        problems.append(f"sends to workspace {setting.get('workspaceId') or 'none'}")
    if azure.diagnostics.storage_account_id and not same_id(
            setting.get("storageAccountId"), azure.diagnostics.storage_account_id):
        problems.append("storage account destination differs from the config")
    if problems:
        report.add("azure", name, check, WRONG, "; ".join(problems), up)
    else:
        report.add("azure", name, check, OK, f"{len(wanted)} categories ({vpn_type}) to the "
                   "workspace")


def _unchecked_freshness(report: DoctorReport, azure: AzureConfig,
                         expected: Mapping[str, tuple[str, ...] | None],
                         failure: Failure) -> None:
    """The record lines freshness would have printed, UNCHECKED (one "records" line for a
    gateway whose categories are unknown because its VPN type could not be read)."""
    for gateway in azure.gateways:
        if gateway.id.key not in expected:
            continue  # the gateway is MISSING: no records to look for
        categories = expected[gateway.id.key]
        for category in categories if categories is not None else ("",):
            report.unchecked("azure", gateway.name, f"records {category}".strip(), failure)


def freshness_query(now: dt.datetime) -> str:
    query = next(q for q in load(SavedQuery) if q.name == FRESHNESS_QUERY)
    return bind(query.body, {"StartTime": now - FRESHNESS_LOOKBACK, "EndTime": now},
                source=str(query.source))


def _check_freshness(report: DoctorReport, azure: AzureConfig, reader: AzureReads,
                     customer_id: str, expected: Mapping[str, tuple[str, ...] | None],
                     now: dt.datetime) -> None:
    try:
        rows = report.sources.call(LOG_ANALYTICS,
                                   lambda: reader.query(customer_id, freshness_query(now)))
    except SourceDown as down:
        _unchecked_freshness(report, azure, expected, down.failure)
        return
    last: dict[tuple[str, str], dt.datetime] = {}
    for row in rows:
        resource = id_key(str(row.get("_ResourceId") or ""))
        when = row.get("LastRecord")
        if isinstance(when, str):
            when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if isinstance(when, dt.datetime):
            last[(resource, str(row.get("Category")))] = when.astimezone(dt.UTC)
    for gateway in azure.gateways:
        for category in expected.get(gateway.id.key) or ():
            when = last.get((gateway.id.key, category))
            threshold = AZURE_FRESHNESS.get(category)
            check = f"records {category}"
            if threshold is None:
                # event-driven: logs only when something happens, so never judged stale
                report.add("azure", gateway.name, check, OK,
                           f"{last_seen(now, when)}, event-driven")
            elif when is None:
                report.add("azure", gateway.name, check, MISSING,
                           f"never (in {FRESHNESS_LOOKBACK.days} d)",
                           "check the gateway has connections and the diagnostic setting "
                           "sends this category; logs can take hours to start")
            elif now - when > threshold:
                report.add("azure", gateway.name, check, STALE,
                           last_seen(now, when,
                                     f"{int(threshold.total_seconds() // 3600)} h"),
                           "check the gateway's connections are up and the setting is intact")
            else:
                report.add("azure", gateway.name, check, OK, last_seen(now, when))
