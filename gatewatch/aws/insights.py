"""CloudWatch Logs Insights queries (queries/aws/*.yaml) and the per-stack VPN dashboard body.

The queries are data: one YAML file each (id, name, description, logs: tunnel|bgp, query),
deployed as `aws.cloudwatch.QueryDefinition` and shown on the dashboard through log widgets.
The fields they may use are AWS's documented tunnel-log and BGP-log fields, kept in
queries/aws/log-fields.yaml with their source; `query_fields` lists what a query reads so the
tests can hold it to that list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gatewatch.aws import facts as aws_facts
from gatewatch.paths import AWS_QUERIES_DIR

FIELDS_FILE = "log-fields.yaml"
LOG_KINDS = ("tunnel", "bgp")
_KEYS = ("id", "name", "description", "logs", "query")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")

# Logs Insights commands, keywords and functions the queries use (CloudWatch Logs User Guide,
# "CloudWatch Logs Insights language query syntax"); anything else in a query is a field.
_LANGUAGE = frozenset({
    "fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup", "as", "by",
    "asc", "desc", "and", "or", "not", "like", "in", "count", "count_distinct", "sum", "avg",
    "min", "max", "bin", "ispresent", "isempty", "earliest", "latest", "concat", "strlen",
    "tolower", "toupper", "coalesce", "datefloor",
})


class AwsQueryError(ValueError):
    """A queries/aws file is malformed: one line naming the file and the key."""


@dataclass(frozen=True)
class AwsQuery:
    id: str
    name: str
    description: str
    logs: str  # "tunnel" or "bgp": whose documented fields it reads
    query: str
    source: str  # the file it came from

    def widget_query(self, log_groups: Sequence[str]) -> str:
        """The dashboard log widget form: SOURCE '<group>' | ... | <query, lines joined \\n|>."""
        sources = " | ".join(f"SOURCE '{g}'" for g in log_groups)
        return f"{sources} | " + "\n".join(line.strip() for line in self.query.splitlines())


def load_aws_queries(directory: Path = AWS_QUERIES_DIR) -> list[AwsQuery]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == FIELDS_FILE:
            continue
        raw = yaml.safe_load(path.read_text())
        where = f"{path.parent.name}/{path.name}"
        if not isinstance(raw, dict) or sorted(raw) != sorted(_KEYS):
            raise AwsQueryError(f"{where}: expected exactly the keys {', '.join(_KEYS)}")
        if not all(isinstance(raw[k], str) and raw[k].strip() for k in _KEYS):
            raise AwsQueryError(f"{where}: every key must be a non-empty string")
        if not _ID.fullmatch(raw["id"]):
            raise AwsQueryError(f"{where}: id {raw['id']!r} must be lowercase letters, digits, -")
        if raw["logs"] not in LOG_KINDS:
            raise AwsQueryError(f"{where}: logs must be one of {', '.join(LOG_KINDS)}")
        out.append(AwsQuery(raw["id"], raw["name"], raw["description"], raw["logs"],
                            raw["query"], where))
    ids = [q.id for q in out]
    if len(set(ids)) != len(ids):
        raise AwsQueryError(f"queries/aws: duplicate ids in {ids}")
    return out


def documented_fields(directory: Path = AWS_QUERIES_DIR) -> dict[str, frozenset[str]]:
    raw = yaml.safe_load((directory / FIELDS_FILE).read_text())
    return {kind: frozenset(raw[kind]) for kind in (*LOG_KINDS, "system")}


def query_fields(query: str) -> tuple[set[str], set[str]]:
    """(fields read, aliases defined) of a Logs Insights query: string and regex literals,
    numbers and time units (1h) removed, language words dropped."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|/(?:[^/\\]|\\.)+/', " ", query)
    text = re.sub(r"\b\d+(\.\d+)?[a-z]*\b", " ", text)
    aliases = set(re.findall(r"\bas\s+([A-Za-z_@][\w.]*)", text))
    words = set(re.findall(r"@?[A-Za-z_][\w.]*", text))
    return {w for w in words if w.lower() not in _LANGUAGE} - aliases, aliases


# --- dashboard -----------------------------------------------------------------------------

def dashboard_body(region: str, vpn_connections: Sequence[str], tunnel_log_group: str,
                   bgp_log_group: str | None, queries: Sequence[AwsQuery],
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
                           "query": query.widget_query(groups)},
        })
    return json.dumps({"start": "-PT24H", "periodOverride": "inherit", "widgets": widgets},
                      sort_keys=True)


def health_event_pattern() -> str:
    """EventBridge pattern for AWS Health scheduled changes of Site-to-Site VPN (tunnel
    endpoint maintenance). source aws.health and detail-type "AWS Health Event": Amazon
    EventBridge events reference, "AWS Health events"; detail.service and
    detail.eventTypeCategory (issue | accountNotification | scheduledChange | investigation):
    AWS Health User Guide, "Reference: AWS Health events Amazon EventBridge schema". The
    service code "VPN" is the one AWS Health uses for Site-to-Site VPN (AWS_VPN_* event types);
    not checked against a live event here."""
    pattern: Mapping[str, Any] = {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["VPN"], "eventTypeCategory": ["scheduledChange"]},
    }
    return json.dumps(pattern, sort_keys=True)
