"""The rules of CloudWatch Logs Insights queries (queries/aws/*.yaml), checked when a file is read.

The queries are data: one YAML file each (id, name, description, logs: tunnel|bgp, query),
deployed as `aws.cloudwatch.QueryDefinition` and shown on the dashboard through log widgets.
The fields they may use are AWS's documented tunnel-log and BGP-log fields, kept in
queries/aws/log-fields.yaml with their source; `query_fields` lists what a query reads so the
tests can hold it to that list.
"""

from __future__ import annotations

import re
from pathlib import Path

from gatewatch.catalog import files
from gatewatch.catalog.model import InsightsQuery
from gatewatch.errors import BadInput
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


def insights_query(source: Path) -> InsightsQuery:
    """Read and check one queries/aws/*.yaml file; errors name it as `aws/<file>`."""
    raw = files.read(source)
    where = f"{source.parent.name}/{source.name}"
    if not isinstance(raw, dict) or sorted(raw) != sorted(_KEYS):
        raise BadInput(f"{where}: expected exactly the keys {', '.join(_KEYS)}")
    if not all(isinstance(raw[k], str) and raw[k].strip() for k in _KEYS):
        raise BadInput(f"{where}: every key must be a non-empty string")
    if not _ID.fullmatch(raw["id"]):
        raise BadInput(f"{where}: id {raw['id']!r} must be lowercase letters, digits, -")
    if raw["logs"] not in LOG_KINDS:
        raise BadInput(f"{where}: logs must be one of {', '.join(LOG_KINDS)}")
    return InsightsQuery(id=raw["id"], name=raw["name"], description=raw["description"],
                         logs=raw["logs"], query=raw["query"], source=source)


def documented_fields(directory: Path = AWS_QUERIES_DIR) -> dict[str, frozenset[str]]:
    raw = files.read(directory / FIELDS_FILE)
    return {kind: frozenset(raw[kind]) for kind in (*LOG_KINDS, "system")}


def query_fields(query: str) -> tuple[set[str], set[str]]:
    """(fields read, aliases defined) of a Logs Insights query: string and regex literals,
    numbers and time units (1h) removed, language words dropped."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|/(?:[^/\\]|\\.)+/', " ", query)
    text = re.sub(r"\b\d+(\.\d+)?[a-z]*\b", " ", text)
    aliases = set(re.findall(r"\bas\s+([A-Za-z_@][\w.]*)", text))
    words = set(re.findall(r"@?[A-Za-z_][\w.]*", text))
    return {w for w in words if w.lower() not in _LANGUAGE} - aliases, aliases
