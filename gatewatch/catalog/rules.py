"""Azure's documented rules for log search alerts (alerts/*.yaml) and saved queries
(queries/*.yaml), checked when a file is read.

One YAML file per log search alert, in the spirit of Azure Sentinel's analytic rules: a fixed
key order, KQL with its ``let`` tunables first, and a ``tuning`` text saying why each number
is what it is. A rule that Azure would reject (or silently run differently) fails here, in a
test, with the file and key named, not at `pulumi up`.

Limits checked (Azure Monitor "Create or edit a log alert rule", Sentinel for query length):
- evaluation frequency 1 minute to 1 day, from the values the API accepts;
- window at least the frequency and the query time range (window x evaluation periods) at
  most 2 days;
- at a 1-minute frequency the query may not use search, union, take/limit, ingestion_time();
- up to six dimensions, each a string or number column the query projects;
- severity 0 (critical) to 4 (verbose); query 1 to 10,000 characters (Sentinel's documented
  limit, used here as the conservative bound);
- every ago() takes a timespan literal: "Log search alert rule queries support ago() with
  timespan literals only" (Azure Monitor, "Create or edit a log search alert rule"). A
  non-literal ago() is rejected with the file and line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from gatewatch.catalog import files
from gatewatch.catalog.files import fail
from gatewatch.catalog.model import (
    BudgetStage,
    FailingPeriods,
    LogSearchAlertRule,
    NoticeBudget,
    SavedQuery,
    Trigger,
)
from gatewatch.errors import BadInput

ALERT_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "displayName",
    "description",
    "severity",
    "enabled",
    "requires",
    "evaluationFrequency",
    "windowSize",
    "query",
    "trigger",
    "dimensions",
    "autoMitigate",
    "muteActionsDuration",
    "tuning",
    "noticeBudget",
    "version",
)
OPTIONAL_ALERT_KEYS = frozenset({"muteActionsDuration", "requires", "noticeBudget"})
# What a rule may require of the stack config before it is deployed (`requires: [vms]`):
# an alert over a table nothing fills would only ever be silent.
FEATURES: tuple[str, ...] = ("vms",)
BUDGET_KEYS: tuple[str, ...] = ("noticeMinutes", "noticeSource", "minimumNotice", "stages")
STAGE_KEYS: tuple[str, ...] = ("stage", "typicalSeconds", "worstSeconds", "source")
# The stages between Azure announcing an event and the mail, in order (see noticeBudget).
BUDGET_STAGES: tuple[str, ...] = (
    "servicePoll", "agentUpload", "ingestion", "evaluation", "notification")
TRIGGER_KEYS: tuple[str, ...] = ("operator", "threshold", "timeAggregation", "failingPeriods")
FAILING_PERIOD_KEYS: tuple[str, ...] = ("numberOfEvaluationPeriods", "minFailingPeriodsToAlert")
QUERY_KEYS: tuple[str, ...] = ("id", "name", "displayName", "description", "category", "body")

# The evaluation frequencies Azure's scheduled query rule API accepts (1 minute to 1 day).
ALLOWED_FREQUENCIES: tuple[str, ...] = (
    "PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT45M",
    "PT1H", "PT2H", "PT3H", "PT4H", "PT5H", "PT6H", "P1D",
)
MAX_QUERY_TIME_RANGE = timedelta(days=2)
MAX_QUERY_LENGTH = 10_000
MAX_DIMENSIONS = 6
MAX_EVALUATION_PERIODS = 6
OPERATORS = frozenset(
    {"GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equal"}
)
TIME_AGGREGATIONS = frozenset({"Count", "Average", "Minimum", "Maximum", "Total"})
# Operators Azure rewrites away at a 1-minute frequency (documented as unsupported there).
ONE_MINUTE_FORBIDDEN = ("search", "union", "take", "limit", "ingestion_time")

_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# KQL text helpers: enough lexing to ignore comments and string literals, no more.
# ---------------------------------------------------------------------------------------------

_STRING_OR_COMMENT = re.compile(
    r"//[^\n]*|@?\"(?:[^\"\\\n]|\\.)*\"|@?'(?:[^'\\\n]|\\.)*'", re.MULTILINE
)


def strip_comments_and_strings(kql: str) -> str:
    """The KQL with comments removed and string literals emptied (structure kept)."""

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        return "" if token.startswith("//") else '""'

    return _STRING_OR_COMMENT.sub(blank, kql)


def _split_top_level(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def projected_columns(kql: str) -> tuple[str, ...] | None:
    """Columns of the query's final ``project`` stage, or None when it does not end in one.

    Alerts end by projecting the columns the mail needs, so the final statement's last pipe
    stage is read: ``project A, B = expr`` gives ("A", "B").
    """
    code = strip_comments_and_strings(kql)
    statements = [s for s in _split_top_level(code, ";") if s.strip()]
    if not statements:
        return None
    stages = _split_top_level(statements[-1], "|")
    last = stages[-1].strip()
    match = re.match(r"^project\s+(?P<cols>.+)$", last, re.DOTALL)
    if match is None:
        return None
    columns: list[str] = []
    for item in _split_top_level(match.group("cols"), ","):
        head = item.split("=", 1)[0].strip() if "=" in item else item.strip()
        if not _IDENT.match(head):
            return None
        columns.append(head)
    return tuple(columns)


def forbidden_at_one_minute(kql: str) -> list[str]:
    """Operators/functions in the query that Azure does not support at a 1-minute frequency."""
    code = strip_comments_and_strings(kql)
    found = []
    for word in ONE_MINUTE_FORBIDDEN:
        pattern = rf"\b{word}\s*\(" if word == "ingestion_time" else rf"\|\s*{word}\b|^\s*{word}\b"
        if re.search(pattern, code, re.MULTILINE):
            found.append(word + ("()" if word == "ingestion_time" else ""))
    return found


# A KQL timespan literal: 5m, 1.5h, 30s, 100ms, 2d, 10microseconds, 1tick, or time(...).
_TIMESPAN_LITERAL = re.compile(
    r"\s*(\d+(\.\d+)?\s*(d|days?|h|hrs?|hours?|m|min|minutes?|s|sec|seconds?|ms|milli|"
    r"milliseconds?|microsecond|microseconds|tick|ticks)|time\s*\([^()]*\))\s*")
_AGO_CALL = re.compile(r"\bago\s*\(")


def non_literal_ago(kql: str) -> list[tuple[int, str]]:
    """(1-based line, argument) of every ago() whose argument is not a timespan literal."""
    text = strip_comments_and_strings(kql)
    found = []
    for match in _AGO_CALL.finditer(text):
        depth, end = 1, match.end()
        while end < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        argument = text[match.end():end - 1]
        if not _TIMESPAN_LITERAL.fullmatch(argument):
            found.append((text.count("\n", 0, match.start()) + 1, " ".join(argument.split())))
    return found


# ---------------------------------------------------------------------------------------------
# Log search alerts
# ---------------------------------------------------------------------------------------------


def _trigger(source: Path, value: Any) -> Trigger:
    data = files.check_keys(source, "trigger", value, TRIGGER_KEYS, frozenset())
    operator = data["operator"]
    if operator not in OPERATORS:
        raise fail(source, "trigger.operator", f"{operator!r} is not one of {sorted(OPERATORS)}")
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise fail(source, "trigger.threshold", f"expected a number >= 0, got {threshold!r}")
    aggregation = data["timeAggregation"]
    if aggregation not in TIME_AGGREGATIONS:
        raise fail(
            source, "trigger.timeAggregation",
            f"{aggregation!r} is not one of {sorted(TIME_AGGREGATIONS)}",
        )
    periods = files.check_keys(
        source, "trigger.failingPeriods", data["failingPeriods"], FAILING_PERIOD_KEYS, frozenset()
    )
    number = files.whole(
        source, "trigger.failingPeriods.numberOfEvaluationPeriods",
        periods["numberOfEvaluationPeriods"], 1, MAX_EVALUATION_PERIODS,
    )
    minimum = files.whole(
        source, "trigger.failingPeriods.minFailingPeriodsToAlert",
        periods["minFailingPeriodsToAlert"], 1, number,
    )
    return Trigger(operator=operator, threshold=float(threshold), time_aggregation=aggregation,
                   failing_periods=FailingPeriods(number_of_evaluation_periods=number,
                                                  min_failing_periods_to_alert=minimum))


def _query(source: Path, value: Any, frequency: str) -> str:
    text = files.expand_includes(files.text(source, "query", value), source)
    bad_ago = non_literal_ago(text)
    if bad_ago:
        first = files.query_first_line(source)
        line, argument = bad_ago[0]
        raise BadInput(
            f"{source}:{first + line - 1}: query: ago({argument}) is not a timespan literal; "
            "log search alert rules support ago() with timespan literals only (Azure "
            "Monitor, create a log search alert rule): write e.g. ago(1h) and name the "
            "tunable in a comment")
    if len(text) > MAX_QUERY_LENGTH:
        raise fail(source, "query", f"{len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
    if frequency == "PT1M":
        bad = forbidden_at_one_minute(text)
        if bad:
            raise fail(
                source, "query",
                f"uses {', '.join(bad)}, which Azure does not support at evaluationFrequency "
                "PT1M; evaluate every PT5M or rewrite the query",
            )
    return text


def _dimensions(source: Path, value: Any, query: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(source, "dimensions", "expected a list of column names")
    if len(value) > MAX_DIMENSIONS:
        raise fail(source, "dimensions", f"{len(value)} dimensions; Azure allows {MAX_DIMENSIONS}")
    if len(set(value)) != len(value):
        raise fail(source, "dimensions", "lists a column twice")
    projected = projected_columns(query)
    if projected is None:
        raise fail(
            source, "query",
            "must end with a `| project ...` stage naming the columns the alert mail needs",
        )
    for column in value:
        if column not in projected:
            raise fail(
                source, "dimensions",
                f"{column!r} is not a column the query projects ({', '.join(projected)})",
            )
    return tuple(value)


def _requires(source: Path, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(v in FEATURES for v in value) or not value:
        raise fail(source, "requires",
                   f"expected a non-empty list of config features from {', '.join(FEATURES)}")
    return tuple(value)


def _budget(source: Path, value: Any, frequency: timedelta) -> NoticeBudget | None:
    """The notice budget: five stages in order, each with its documented figures and source;
    the evaluation stage's worst case must be the rule's own evaluationFrequency."""
    if value is None:
        return None
    data = files.check_keys(source, "noticeBudget", value, BUDGET_KEYS, frozenset())
    minutes = files.whole(source, "noticeBudget.noticeMinutes", data["noticeMinutes"], 1, 60 * 24)
    notice_source = files.text(source, "noticeBudget.noticeSource", data["noticeSource"])
    minimum = data["minimumNotice"]
    if not isinstance(minimum, dict) or not minimum or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in minimum.items()):
        raise fail(source, "noticeBudget.minimumNotice",
                   "expected a mapping of event type to seconds of notice")
    raw_stages = data["stages"]
    if not isinstance(raw_stages, list):
        raise fail(source, "noticeBudget.stages", "expected a list")
    stages = []
    for i, raw in enumerate(raw_stages):
        where = f"noticeBudget.stages[{i}]"
        item = files.check_keys(source, where, raw, STAGE_KEYS, frozenset())
        typical = files.whole(source, f"{where}.typicalSeconds", item["typicalSeconds"], 0,
                              86_400)
        worst = files.whole(source, f"{where}.worstSeconds", item["worstSeconds"], typical,
                            86_400)
        stages.append(BudgetStage(stage=files.text(source, f"{where}.stage", item["stage"]),
                                  typical_seconds=typical, worst_seconds=worst,
                                  source=files.text(source, f"{where}.source", item["source"])))
    if tuple(s.stage for s in stages) != BUDGET_STAGES:
        raise fail(source, "noticeBudget.stages",
                   f"expected the stages {', '.join(BUDGET_STAGES)} in that order")
    evaluation = stages[BUDGET_STAGES.index("evaluation")]
    if evaluation.worst_seconds != int(frequency.total_seconds()):
        raise fail(source, "noticeBudget.stages",
                   f"the evaluation stage's worstSeconds ({evaluation.worst_seconds}) must "
                   f"equal evaluationFrequency ({int(frequency.total_seconds())} s)")
    return NoticeBudget(notice_minutes=minutes, notice_source=notice_source,
                        minimum_notice=dict(minimum), stages=tuple(stages))


def log_search_alert(source: Path) -> LogSearchAlertRule:
    """Read and check one alerts/*.yaml file."""
    data = files.check_keys(source, "", files.read(source), ALERT_KEYS, OPTIONAL_ALERT_KEYS)

    frequency = data["evaluationFrequency"]
    if frequency not in ALLOWED_FREQUENCIES:
        raise fail(
            source, "evaluationFrequency",
            f"{frequency!r} is not an allowed frequency ({', '.join(ALLOWED_FREQUENCIES)})",
        )
    every = files.parse_duration(frequency)
    window = files.duration(source, "windowSize", data["windowSize"])
    if window < every:
        raise fail(
            source, "windowSize",
            f"{data['windowSize']} is shorter than evaluationFrequency {frequency}: "
            "rows between windows would never be evaluated",
        )
    trigger = _trigger(source, data["trigger"])
    if window * trigger.failing_periods.number_of_evaluation_periods > MAX_QUERY_TIME_RANGE:
        raise fail(
            source, "windowSize",
            "windowSize x numberOfEvaluationPeriods exceeds the 2-day query time range limit",
        )
    query = _query(source, data["query"], frequency)
    mute = data.get("muteActionsDuration")
    if mute is not None:
        files.duration(source, "muteActionsDuration", mute)
    version = files.text(source, "version", data["version"])
    if not _SEMVER.match(version):
        raise fail(source, "version", f"{version!r} is not a version like 1.0.0")
    description = files.description(source, data["description"])
    display = files.text(source, "displayName", data["displayName"])
    if not display[0].isupper():
        raise fail(source, "displayName", "use sentence case (capital first letter)")
    return LogSearchAlertRule(
        id=files.guid(source, "id", data["id"]),
        name=files.slug(source, "name", data["name"]),
        display_name=display,
        description=description,
        severity=files.severity(source, data["severity"]),
        enabled=files.boolean(source, "enabled", data["enabled"]),
        evaluation_frequency=frequency,
        window_size=data["windowSize"],
        query=query,
        trigger=trigger,
        dimensions=_dimensions(source, data["dimensions"], query),
        auto_mitigate=files.boolean(source, "autoMitigate", data["autoMitigate"]),
        mute_actions_duration=mute,
        tuning=files.text(source, "tuning", data["tuning"]),
        version=version,
        source=source,
        requires=_requires(source, data.get("requires")),
        notice_budget=_budget(source, data.get("noticeBudget"), every),
    )


# ---------------------------------------------------------------------------------------------
# Saved queries
# ---------------------------------------------------------------------------------------------


def saved_query(source: Path) -> SavedQuery:
    """Read and check one queries/*.yaml file."""
    data = files.check_keys(source, "", files.read(source), QUERY_KEYS, frozenset())
    body = files.text(source, "body", data["body"])
    if len(body) > MAX_QUERY_LENGTH:
        raise fail(source, "body", f"{len(body)} characters; the limit is {MAX_QUERY_LENGTH}")
    return SavedQuery(
        id=files.guid(source, "id", data["id"]),
        name=files.slug(source, "name", data["name"]),
        display_name=files.text(source, "displayName", data["displayName"]),
        description=files.text(source, "description", data["description"]),
        category=files.text(source, "category", data["category"]),
        body=body,
        source=source,
    )
