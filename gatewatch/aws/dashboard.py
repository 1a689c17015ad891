"""The per-stack CloudWatch dashboard of the VPN connections: tunnel state, negotiation
failures, and one log widget per Logs Insights query of the catalog (queries/aws/*.yaml)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gatewatch.aws import facts as aws_facts
from gatewatch.catalog.model import InsightsQuery


def widget_query(query: InsightsQuery, log_groups: Sequence[str]) -> str:
    """The dashboard log widget form: SOURCE '<group>' | ... | <query, lines joined \\n|>."""
    sources = " | ".join(f"SOURCE '{g}'" for g in log_groups)
    return f"{sources} | " + "\n".join(line.strip() for line in query.query.splitlines())


def dashboard_body(region: str, vpn_connections: Sequence[str], tunnel_log_group: str,
                   bgp_log_group: str | None, queries: Sequence[InsightsQuery],
                   failure_metric: tuple[str, str]) -> str:
    """The DashboardBody JSON (AWS "CloudWatch Dashboard Body Structure and Syntax"):
    TunnelState per tunnel of each connection over time (a SEARCH expression, so both tunnels
    appear without knowing their IPs at plan time), the negotiation-failure count, then one
    log widget per saved query."""
    widgets: list[dict[str, Any]] = [{
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": {"markdown": (
            "## Site-to-Site VPN tunnels\nTunnelState is 1 while a tunnel is UP, 0 while DOWN "
            "(AWS/VPN, per VpnId and TunnelIpAddress). A planned tunnel-option change keeps "
            "one tunnel DOWN about 5 minutes while the other stays UP.")},
    }]
    y = 2
    for i, vpn_id in enumerate(vpn_connections):
        search = (f"SEARCH('{{{aws_facts.AWS_VPN_METRIC_NAMESPACE},TunnelIpAddress,VpnId}} "
                  f"MetricName=\"{aws_facts.AWS_TUNNEL_STATE_METRIC}\" VpnId=\"{vpn_id}\"', "
                  "'Maximum', 60)")
        widgets.append({
            "type": "metric", "x": 12 * (i % 2), "y": y + 6 * (i // 2), "width": 12,
            "height": 6,
            "properties": {
                "title": f"TunnelState {vpn_id}", "region": region, "view": "timeSeries",
                "stacked": False, "period": 60, "stat": "Maximum",
                "metrics": [[{"expression": search, "id": f"e{i + 1}",
                              "label": "TunnelState"}]],
                "yAxis": {"left": {"min": 0, "max": 1}},
            },
        })
    y += 6 * ((len(vpn_connections) + 1) // 2)
    namespace, metric = failure_metric
    widgets.append({
        "type": "metric", "x": 0, "y": y, "width": 24, "height": 6,
        "properties": {
            "title": "IKE negotiation failures (log metric filter)", "region": region,
            "view": "timeSeries", "stacked": False, "period": 300, "stat": "Sum",
            "metrics": [[namespace, metric]],
        },
    })
    y += 6
    for i, query in enumerate(queries):
        groups = [bgp_log_group or tunnel_log_group] if query.logs == "bgp" else \
            [tunnel_log_group]
        widgets.append({
            "type": "log", "x": 0, "y": y + 6 * i, "width": 24, "height": 6,
            "properties": {"title": query.name, "region": region, "view": "table",
                           "query": widget_query(query, groups)},
        })
    return json.dumps({"start": "-PT24H", "periodOverride": "inherit", "widgets": widgets},
                      sort_keys=True)
