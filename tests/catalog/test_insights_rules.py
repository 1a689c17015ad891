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
