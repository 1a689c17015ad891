"""CloudWatch Logs Insights queries (queries/aws/*.yaml): the three investigations, each
reading only the fields AWS documents, and each malformed file rejected naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatewatch.catalog.insights_rules import documented_fields, query_fields
from gatewatch.catalog.load import folder, load
from gatewatch.catalog.model import InsightsQuery
from gatewatch.errors import BadInput


def test_the_three_investigations_are_there() -> None:
    queries = {q.id: q for q in load(InsightsQuery)}
    assert set(queries) == {"aws-tunnel-state-history", "aws-ike-negotiation-failures",
                            "aws-bgp-session-changes"}
    assert queries["aws-bgp-session-changes"].logs == "bgp"


@pytest.mark.parametrize("query", load(InsightsQuery), ids=lambda q: q.id)
def test_every_query_reads_only_awss_documented_fields(query: InsightsQuery) -> None:
    fields = documented_fields()
    read, _aliases = query_fields(query.query)
    allowed = fields[query.logs] | fields["system"]
    assert read, "the field check saw no field at all"
    assert read <= allowed, sorted(read - allowed)


def test_the_field_check_catches_a_field_aws_does_not_log() -> None:
    read, aliases = query_fields(
        'fields @timestamp, tunnel_state as s\n| filter details like /fail "x"/ | '
        'stats count(*) by bin(1h)')
    assert "tunnel_state" in read and "s" in aliases and "fail" not in read
    assert not read <= documented_fields()["tunnel"] | documented_fields()["system"]


def _copy(tmp_path: Path, **changes: object) -> Path:
    directory = tmp_path / "aws"
    directory.mkdir()
    for path in sorted(folder(InsightsQuery).glob("*.yaml")):
        (directory / path.name).write_text(path.read_text("utf-8"), encoding="utf-8")
    data = yaml.safe_load((directory / "bgp-session-changes.yaml").read_text("utf-8"))
    data.update(changes)
    (directory / "bgp-session-changes.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                                        encoding="utf-8")
    return directory


@pytest.mark.parametrize(("changes", "message"), [
    ({"extra": "x"}, "aws/bgp-session-changes.yaml: expected exactly the keys id, name, "
                     "description, logs, query"),
    ({"name": " "}, "aws/bgp-session-changes.yaml: every key must be a non-empty string"),
    ({"id": "BGP"}, "aws/bgp-session-changes.yaml: id 'BGP' must be lowercase letters, digits, -"),
    ({"logs": "vpc"}, "aws/bgp-session-changes.yaml: logs must be one of tunnel, bgp"),
    ({"id": "aws-tunnel-state-history"},
     "queries/aws: duplicate ids in ['aws-tunnel-state-history', "),
])
def test_a_malformed_query_file_is_named(
        tmp_path: Path, changes: dict[str, object], message: str) -> None:
    directory = _copy(tmp_path, **changes)
    with pytest.raises(BadInput) as info:
        load(InsightsQuery, directory)
    assert str(info.value).startswith(message), info.value


def test_the_queries_keep_file_order(tmp_path: Path) -> None:
    """The dashboard shows them in file order, not sorted by name."""
    assert [q.id for q in load(InsightsQuery, _copy(tmp_path))] == [
        "aws-bgp-session-changes", "aws-ike-negotiation-failures", "aws-tunnel-state-history"]


def _flattened(event: dict[str, object], prefix: str = "") -> dict[str, object]:
    """A JSON log event as Logs Insights sees it: nested fields flattened with dots ("JSON log
    events are flattened during ingestion", CloudWatch Logs User Guide, "parse")."""
    out: dict[str, object] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            out.update(_flattened(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# AWS's two example BGP-log records ("AWS Site-to-Site VPN logs", example log format for Tunnel
# BGP logs, https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html), verbatim.
AWS_BGP_EXAMPLES = [
    {"resource_id": "vpn-1234abcd_1.2.3.4", "event_timestamp": 1762580429641,
     "timestamp": "2025-11-08 05:40:29.641Z", "type": "BGPStatus", "status": "UP",
     "message": {"details": "AWS-side peer BGP session state has changed from OpenConfirm to "
                            "Established with neighbor 169.254.50.85"}},
    {"resource_id": "vpn-1234abcd_1.2.3.4", "event_timestamp": 1762579573243,
     "timestamp": "2025-11-08 05:26:13.243Z", "type": "RouteStatus", "status": "UPDATED",
     "message": {"prefix": "172.31.0.0/16", "asPath": "64512", "localPref": 100, "med": 100,
                 "nextHopIp": "169.254.50.85", "weight": 32768,
                 "details": "DENIED due to: as-path contains our own AS"}},
]


def test_the_bgp_query_reads_the_flattened_details_of_awss_example() -> None:
    (query,) = [q for q in load(InsightsQuery) if q.id == "aws-bgp-session-changes"]
    read, _ = query_fields(query.query)
    logged = set().union(*(_flattened(e) for e in AWS_BGP_EXAMPLES))
    # every field the query reads is one AWS's records have once flattened ...
    assert read - documented_fields()["system"] <= logged, sorted(read - logged)
    # ... and the details text is what it shows: message.details, not the object `message`
    assert "message.details" in read and "message" not in read
    assert str(_flattened(AWS_BGP_EXAMPLES[0])["message.details"]).startswith("AWS-side peer")
    assert "message" not in documented_fields()["bgp"]
    assert documented_fields()["bgp"] <= logged
