"""Azure's documented rules for log search alerts: every shipped rule meets them, and each kind
of mistake is rejected with the file and key (or line) named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gatewatch.catalog.files import parse_duration
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.catalog.rules import non_literal_ago, projected_columns
from gatewatch.errors import BadInput
from gatewatch.paths import ALERTS_DIR
from tests.support.catalog import expect_error, raw_alert

Edit = Callable[[dict[str, Any]], object]


def _spellings(duration: str) -> set[str]:
    """PT5M -> {"PT5M", "5m", "5 min"}: the ways a tuning text may name a duration."""
    minutes = int(parse_duration(duration).total_seconds() // 60)
    forms = {duration, f"{minutes}m", f"{minutes} min"}
    if minutes % 60 == 0:
        forms |= {f"{minutes // 60}h", f"{minutes // 60} hour"}
    return forms


def test_every_alert_explains_its_numbers() -> None:
    """The tuning text names the rule's own frequency, window and dimensions, so a reader
    learns why each was chosen (a text about another rule's numbers fails)."""
    for rule in load(LogSearchAlertRule):
        assert rule.description.startswith("Identifies "), rule.name
        # Tunables first: `let`s, or (time tunables, literal in ago()) a comment naming them.
        assert rule.query.lstrip().startswith(("let ", "//")), f"{rule.name}: tunables first"
        for what, duration in (("evaluationFrequency", rule.evaluation_frequency),
                               ("windowSize", rule.window_size)):
            assert any(form in rule.tuning for form in _spellings(duration)), (
                f"{rule.name}: tuning does not explain its {what} {duration}")
        for dimension in rule.dimensions:
            assert dimension in rule.tuning, f"{rule.name}: tuning does not explain {dimension}"
        assert "3-10 minutes" in rule.tuning or "30 s" in rule.tuning or (
            "ingestion" in rule.tuning), f"{rule.name}: tuning ignores ingestion delay"


def _take(operator: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["evaluationFrequency"] = "PT1M"
        data["query"] = data["query"].replace(
            "| project TimeGenerated", f"| {operator}\n| project TimeGenerated")
    return edit


@pytest.mark.parametrize(("edit", "key", "words"), [
    pytest.param(lambda d: d.update(evaluationFrequency="PT7M"), "evaluationFrequency",
                 "not an allowed frequency", id="bad_frequency"),
    pytest.param(lambda d: d.update(evaluationFrequency="PT15M", windowSize="PT5M"),
                 "windowSize", "shorter than evaluationFrequency",
                 id="window_shorter_than_frequency"),
    pytest.param(lambda d: d.update(windowSize="P3D"), "windowSize", "2-day",
                 id="window_over_two_days"),
    pytest.param(lambda d: d.update(dimensions=["Resource", "remoteIP_s"]), "dimensions",
                 "'remoteIP_s' is not a column the query projects", id="dimension_not_projected"),
    pytest.param(lambda d: d.update(query=d["query"].rstrip() + "\n| sort by TimeGenerated asc\n"),
                 "query", "must end with a `| project", id="query_must_end_with_project"),
    pytest.param(_take("take 10"), "query", "not support at evaluationFrequency PT1M",
                 id="take_at_one_minute[take 10]"),
    pytest.param(_take("limit 10"), "query", "not support at evaluationFrequency PT1M",
                 id="take_at_one_minute[limit 10]"),
    pytest.param(lambda d: d.update(evaluationFrequency="PT1M"), "query", "ingestion_time()",
                 id="ingestion_time_at_one_minute"),
    pytest.param(lambda d: d.update(query="// " + "x" * 10_000 + "\n" + d["query"]), "query",
                 "limit is 10000", id="query_too_long"),
    pytest.param(lambda d: d["trigger"]["failingPeriods"].update(minFailingPeriodsToAlert=2),
                 "trigger.failingPeriods.minFailingPeriodsToAlert", "1 to 1",
                 id="failing_periods_min_above_number"),
])
def test_what_azure_would_reject_is_named(
        tmp_path: Path, edit: Edit, key: str, words: str) -> None:
    data = raw_alert()
    edit(data)
    expect_error(tmp_path, data, key, words)


def test_take_in_a_comment_is_not_an_operator() -> None:
    assert projected_columns("T\n// | take 1\n| project A, B = 2") == ("A", "B")


def test_every_shipped_alert_calls_ago_with_a_literal() -> None:
    for rule in load(LogSearchAlertRule):
        assert "ago(" in rule.query, rule.name
        assert non_literal_ago(rule.query) == [], rule.name


def test_non_literal_ago_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    source = (ALERTS_DIR / "gateway-maintenance.yaml").read_text("utf-8")
    lines = source.splitlines()
    target = next(i for i, line in enumerate(lines) if "ago(1h)" in line)
    lines.insert(target, "  let Lookback = 1h;")
    lines[target + 1] = lines[target + 1].replace("ago(1h)", "ago(Lookback)")
    path = tmp_path / "gateway-maintenance.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as info:
        load(LogSearchAlertRule, tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}:{target + 2}: query: ago(Lookback)"), message
    assert "timespan literals only" in message


def test_ago_literals_and_non_literals_are_told_apart() -> None:
    assert non_literal_ago("T | where a > ago(5m) and b < ago(1.5h) // ago(x)\n"
                           "| where c > ago(time(1.00:00:00))") == []
    assert non_literal_ago("T\n| where a > ago(A + B)\n| where b > ago(toscalar(x))") == [
        (2, "A + B"), (3, "toscalar(x)")]
