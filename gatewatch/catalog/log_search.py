"""The alert catalog (alerts/*.yaml) and saved queries (queries/*.yaml).

One YAML file per log search alert, in the spirit of Azure Sentinel's analytic rules: a fixed
key order, KQL with its ``let`` tunables first, and a ``tuning`` text saying why each number
is what it is. Loading validates every file against Azure's documented limits for log search
alerts, so a rule that Azure would reject (or silently run differently) fails here, in a
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

import copy
import functools
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import yaml

from gatewatch.paths import ALERTS_DIR, QUERIES_DIR

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

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CatalogError(ValueError):
    """A catalog or saved-query file is invalid; the message starts with file and key."""


@dataclass(frozen=True)
class FailingPeriods:
    numberOfEvaluationPeriods: int
    minFailingPeriodsToAlert: int


@dataclass(frozen=True)
class Trigger:
    operator: str
    threshold: float
    timeAggregation: str
    failingPeriods: FailingPeriods


@dataclass(frozen=True)
class BudgetStage:
    stage: str
    typicalSeconds: int
    worstSeconds: int
    source: str


@dataclass(frozen=True)
class NoticeBudget:
    """How much of Azure's advance notice each stage of the alert path spends."""

    noticeMinutes: int
    noticeSource: str
    minimumNotice: Mapping[str, int]
    stages: tuple[BudgetStage, ...]

    @property
    def typical_seconds(self) -> int:
        return sum(s.typicalSeconds for s in self.stages)

    @property
    def worst_seconds(self) -> int:
        return sum(s.worstSeconds for s in self.stages)


@dataclass(frozen=True)
class AlertRule:
    """One log search alert, as validated from alerts/<name>.yaml.

    Field names follow the YAML (and Azure's API) so the component can pass them through
    without a translation table.
    """

    id: str
    name: str
    displayName: str
    description: str
    severity: int
    enabled: bool
    evaluationFrequency: str
    windowSize: str
    query: str
    trigger: Trigger
    dimensions: tuple[str, ...]
    autoMitigate: bool
    muteActionsDuration: str | None
    tuning: str
    version: str
    source: Path
    requires: tuple[str, ...] = ()
    noticeBudget: NoticeBudget | None = None

    @property
    def evaluation_frequency(self) -> timedelta:
        return parse_duration(self.evaluationFrequency)

    @property
    def window(self) -> timedelta:
        return parse_duration(self.windowSize)


@dataclass(frozen=True)
class SavedQuery:
    """One troubleshooting query for a Log Analytics query pack (queries/<name>.yaml)."""

    id: str
    name: str
    displayName: str
    description: str
    category: str
    body: str
    source: Path


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of days, hours and minutes ("PT5M", "P1DT2H") as a timedelta."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration like PT5M, PT1H or P1D")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])


def _fail(source: Path, key: str, problem: str) -> CatalogError:
    return CatalogError(f"{source}: {key}: {problem}")


def _check_keys(
    source: Path, where: str, data: Any, keys: tuple[str, ...], optional: frozenset[str]
) -> Mapping[str, Any]:
    """Unknown, missing and out-of-order keys, named. Order matters: files diff cleanly."""
    prefix = f"{where}." if where else ""
    if not isinstance(data, dict):
        raise _fail(source, where or "(file)", "expected a mapping")
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise _fail(
            source, prefix + str(unknown[0]), f"unknown key; allowed keys are {', '.join(keys)}"
        )
    missing = [k for k in keys if k not in data and k not in optional]
    if missing:
        raise _fail(source, prefix + missing[0], "missing required key")
    expected = [k for k in keys if k in data]
    if list(data) != expected:
        first = next(a for a, b in zip(data, expected, strict=True) if a != b)
        order = ", ".join(expected)
        raise _fail(source, prefix + str(first), f"keys out of order; expected {order}")
    return data


# libyaml's scanner and parser, PyYAML's own safe constructor and resolver: the same values
# (tests/catalog/test_log_search.py compares both on every catalog file), ten times faster.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> Any:
    """The YAML document in ``text``. Cached by the text itself (not by path or mtime, which
    can miss a rewrite): a plan and a test session read the same few files many times."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        # The message (reason, line, column) is the one PyYAML's pure parser gives.
        return yaml.safe_load(text)


def _read(source: Path) -> Any:
    """A catalog file's YAML (a copy: callers may keep or change what they get)."""
    try:
        return copy.deepcopy(_parse(source.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise _fail(source, "(file)", f"not valid YAML: {exc}") from exc


def _description(source: Path, value: Any) -> str:
    """An alert's description: what the rule finds, starting 'Identifies ...'."""
    description = _str(source, "description", value)
    if not description.startswith("Identifies "):
        raise _fail(source, "description", "start with 'Identifies ...' (what the rule finds)")
    return description


def _str(source: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, key, "expected a non-empty string")
    return value


def _int(source: Path, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(source, key, f"expected an integer from {low} to {high}, got {value!r}")
    return value


def _bool(source: Path, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(source, key, f"expected true or false, got {value!r}")
    return value


def _guid(source: Path, key: str, value: Any) -> str:
    text = _str(source, key, value)
    try:
        canonical = str(uuid.UUID(text))
    except ValueError as exc:
        raise _fail(source, key, f"{text!r} is not a GUID") from exc
    if canonical != text:
        raise _fail(source, key, f"write the GUID in lower-case canonical form: {canonical}")
    return text


def _name(source: Path, key: str, value: Any) -> str:
    text = _str(source, key, value)
    if not _KEBAB.match(text) or len(text) > 60:
        raise _fail(source, key, f"{text!r} must be a kebab-case slug (a-z, 0-9, '-'), <= 60")
    if source.stem != text:
        raise _fail(source, key, f"{text!r} must match the file name {source.name!r}")
    return text


def _duration(source: Path, key: str, value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise _fail(source, key, str(exc)) from exc


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

    Alerts must end by projecting the columns the mail needs (STYLE.md), so the final
    statement's last pipe stage is read: ``project A, B = expr`` gives ("A", "B").
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


# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------


def _trigger(source: Path, value: Any) -> Trigger:
    data = _check_keys(source, "trigger", value, TRIGGER_KEYS, frozenset())
    operator = data["operator"]
    if operator not in OPERATORS:
        raise _fail(source, "trigger.operator", f"{operator!r} is not one of {sorted(OPERATORS)}")
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise _fail(source, "trigger.threshold", f"expected a number >= 0, got {threshold!r}")
    aggregation = data["timeAggregation"]
    if aggregation not in TIME_AGGREGATIONS:
        raise _fail(
            source, "trigger.timeAggregation",
            f"{aggregation!r} is not one of {sorted(TIME_AGGREGATIONS)}",
        )
    periods = _check_keys(
        source, "trigger.failingPeriods", data["failingPeriods"], FAILING_PERIOD_KEYS, frozenset()
    )
    number = _int(
        source, "trigger.failingPeriods.numberOfEvaluationPeriods",
        periods["numberOfEvaluationPeriods"], 1, MAX_EVALUATION_PERIODS,
    )
    minimum = _int(
        source, "trigger.failingPeriods.minFailingPeriodsToAlert",
        periods["minFailingPeriodsToAlert"], 1, number,
    )
    return Trigger(operator, float(threshold), aggregation, FailingPeriods(number, minimum))


_INCLUDE = re.compile(r"^(?P<indent>[ \t]*)//[ \t]*@include[ \t]+(?P<path>\S+)[ \t]*$",
                      re.MULTILINE)


def expand_includes(text: str, source: Path, base: Path = ALERTS_DIR) -> str:
    """The query with each `// @include <path>` line replaced by that file (relative to
    alerts/): a piece of KQL that several queries run (the tunnel-drop classification, read by
    the alert and the workbook) lives in one file."""

    def include(match: re.Match[str]) -> str:
        path = (base / match.group("path")).resolve()
        if base.resolve() not in path.parents or not path.is_file():
            raise _fail(source, "query", f"@include {match.group('path')}: no such file under "
                                         f"{base}")
        body = path.read_text(encoding="utf-8").rstrip("\n")
        return "\n".join(match.group("indent") + line if line else line
                         for line in body.splitlines())

    return _INCLUDE.sub(include, text)


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


def _query_first_line(source: Path) -> int:
    """The file line of the query's first line (`query: |` block scalar: the line after)."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    for number, line in enumerate(lines, start=1):
        if line.startswith("query:"):
            return number + (0 if line.rstrip() not in ("query: |", "query: |-", "query: >")
                             else 1)
    return 0


def _query(source: Path, value: Any, frequency: str) -> str:
    text = expand_includes(_str(source, "query", value), source)
    bad_ago = non_literal_ago(text)
    if bad_ago:
        first = _query_first_line(source)
        line, argument = bad_ago[0]
        raise CatalogError(
            f"{source}:{first + line - 1}: query: ago({argument}) is not a timespan literal; "
            "log search alert rules support ago() with timespan literals only (Azure "
            "Monitor, create a log search alert rule): write e.g. ago(1h) and name the "
            "tunable in a comment")
    if len(text) > MAX_QUERY_LENGTH:
        raise _fail(source, "query", f"{len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
    if frequency == "PT1M":
        bad = forbidden_at_one_minute(text)
        if bad:
            raise _fail(
                source, "query",
                f"uses {', '.join(bad)}, which Azure does not support at evaluationFrequency "
                "PT1M; evaluate every PT5M or rewrite the query",
            )
    return text


def _dimensions(source: Path, value: Any, query: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(source, "dimensions", "expected a list of column names")
    if len(value) > MAX_DIMENSIONS:
        raise _fail(source, "dimensions", f"{len(value)} dimensions; Azure allows {MAX_DIMENSIONS}")
    if len(set(value)) != len(value):
        raise _fail(source, "dimensions", "lists a column twice")
    projected = projected_columns(query)
    if projected is None:
        raise _fail(
            source, "query",
            "must end with a `| project ...` stage naming the columns the alert mail needs",
        )
    for column in value:
        if column not in projected:
            raise _fail(
                source, "dimensions",
                f"{column!r} is not a column the query projects ({', '.join(projected)})",
            )
    return tuple(value)


def _requires(source: Path, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(v in FEATURES for v in value) or not value:
        raise _fail(source, "requires",
                    f"expected a non-empty list of config features from {', '.join(FEATURES)}")
    return tuple(value)


def _budget(source: Path, value: Any, frequency: timedelta) -> NoticeBudget | None:
    """The notice budget: five stages in order, each with its documented figures and source;
    the evaluation stage's worst case must be the rule's own evaluationFrequency."""
    if value is None:
        return None
    data = _check_keys(source, "noticeBudget", value, BUDGET_KEYS, frozenset())
    minutes = _int(source, "noticeBudget.noticeMinutes", data["noticeMinutes"], 1, 60 * 24)
    notice_source = _str(source, "noticeBudget.noticeSource", data["noticeSource"])
    minimum = data["minimumNotice"]
    if not isinstance(minimum, dict) or not minimum or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in minimum.items()):
        raise _fail(source, "noticeBudget.minimumNotice",
                    "expected a mapping of event type to seconds of notice")
    raw_stages = data["stages"]
    if not isinstance(raw_stages, list):
        raise _fail(source, "noticeBudget.stages", "expected a list")
    stages = []
    for i, raw in enumerate(raw_stages):
        where = f"noticeBudget.stages[{i}]"
        item = _check_keys(source, where, raw, STAGE_KEYS, frozenset())
        typical = _int(source, f"{where}.typicalSeconds", item["typicalSeconds"], 0, 86_400)
        worst = _int(source, f"{where}.worstSeconds", item["worstSeconds"], typical, 86_400)
        stages.append(BudgetStage(_str(source, f"{where}.stage", item["stage"]), typical, worst,
                                  _str(source, f"{where}.source", item["source"])))
    if tuple(s.stage for s in stages) != BUDGET_STAGES:
        raise _fail(source, "noticeBudget.stages",
                    f"expected the stages {', '.join(BUDGET_STAGES)} in that order")
    evaluation = stages[BUDGET_STAGES.index("evaluation")]
    if evaluation.worstSeconds != int(frequency.total_seconds()):
        raise _fail(source, "noticeBudget.stages",
                    f"the evaluation stage's worstSeconds ({evaluation.worstSeconds}) must "
                    f"equal evaluationFrequency ({int(frequency.total_seconds())} s)")
    return NoticeBudget(minutes, notice_source, dict(minimum), tuple(stages))


def deployable(rules: Iterable[AlertRule], features: Iterable[str]) -> list[AlertRule]:
    """The rules whose `requires` the stack config meets (e.g. vm-scheduled-event needs vms)."""
    have = set(features)
    return [r for r in rules if set(r.requires) <= have]


def load_alert(path: Path) -> AlertRule:
    """Read and validate one alert file."""
    source = Path(path)
    data = _check_keys(source, "", _read(source), ALERT_KEYS, OPTIONAL_ALERT_KEYS)

    frequency = data["evaluationFrequency"]
    if frequency not in ALLOWED_FREQUENCIES:
        raise _fail(
            source, "evaluationFrequency",
            f"{frequency!r} is not an allowed frequency ({', '.join(ALLOWED_FREQUENCIES)})",
        )
    every = parse_duration(frequency)
    window = _duration(source, "windowSize", data["windowSize"])
    if window < every:
        raise _fail(
            source, "windowSize",
            f"{data['windowSize']} is shorter than evaluationFrequency {frequency}: "
            "rows between windows would never be evaluated",
        )
    trigger = _trigger(source, data["trigger"])
    if window * trigger.failingPeriods.numberOfEvaluationPeriods > MAX_QUERY_TIME_RANGE:
        raise _fail(
            source, "windowSize",
            "windowSize x numberOfEvaluationPeriods exceeds the 2-day query time range limit",
        )
    query = _query(source, data["query"], frequency)
    mute = data.get("muteActionsDuration")
    if mute is not None:
        _duration(source, "muteActionsDuration", mute)
    version = _str(source, "version", data["version"])
    if not _SEMVER.match(version):
        raise _fail(source, "version", f"{version!r} is not a version like 1.0.0")
    description = _description(source, data["description"])
    display = _str(source, "displayName", data["displayName"])
    if not display[0].isupper():
        raise _fail(source, "displayName", "use sentence case (capital first letter)")
    return AlertRule(
        id=_guid(source, "id", data["id"]),
        name=_name(source, "name", data["name"]),
        displayName=display,
        description=description,
        severity=_int(source, "severity", data["severity"], 0, 4),
        enabled=_bool(source, "enabled", data["enabled"]),
        evaluationFrequency=frequency,
        windowSize=data["windowSize"],
        query=query,
        trigger=trigger,
        dimensions=_dimensions(source, data["dimensions"], query),
        autoMitigate=_bool(source, "autoMitigate", data["autoMitigate"]),
        muteActionsDuration=mute,
        tuning=_str(source, "tuning", data["tuning"]),
        version=version,
        source=source,
        requires=_requires(source, data.get("requires")),
        noticeBudget=_budget(source, data.get("noticeBudget"), every),
    )


class _Sourced(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> Path: ...


def _unique(items: Sequence[_Sourced]) -> None:
    """Ids and names unique across `items` (any catalog's rules or queries)."""
    for key in ("id", "name"):
        seen: dict[str, Path] = {}
        for item in items:
            value = getattr(item, key)
            if value in seen:
                raise _fail(item.source, key,
                            f"duplicate {key} {value!r} (also in {seen[value]})")
            seen[value] = item.source


def load_catalog(directory: Path = ALERTS_DIR) -> list[AlertRule]:
    """Every alerts/*.yaml, validated, sorted by name; ids and names unique."""
    rules = [load_alert(p) for p in sorted(Path(directory).glob("*.yaml"))]
    _unique(rules)
    return sorted(rules, key=lambda r: r.name)


class _Overridable(Protocol):
    """A frozen dataclass rule with a name and a severity (a log or metric alert)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> int: ...


_Rule = TypeVar("_Rule", bound=_Overridable)


def apply_overrides(
    rules: Sequence[_Rule], disabled: set[str], severities: Mapping[str, int]
) -> list[_Rule]:
    """The rules with config applied: names in ``disabled`` get enabled=False, severities set.

    A name that is not in the catalog is a configuration mistake (a typo would silently keep
    an alert on), so it raises naming the unknown names and the known ones.
    """
    known = {r.name for r in rules}
    unknown = sorted((set(disabled) | set(severities)) - known)
    if unknown:
        raise ValueError(
            f"unknown alert name(s) {', '.join(unknown)}; "
            f"the catalog has {', '.join(sorted(known))}"
        )
    result = []
    for rule in rules:
        changes: dict[str, Any] = {}
        if rule.name in disabled:
            changes["enabled"] = False
        if rule.name in severities:
            severity = severities[rule.name]
            valid = isinstance(severity, int) and not isinstance(severity, bool)
            if not valid or not 0 <= severity <= 4:
                raise ValueError(
                    f"severity for {rule.name!r} must be an integer 0-4, got {severity!r}"
                )
            changes["severity"] = severity
        result.append(replace(rule, **changes) if changes else rule)
    return result


# ---------------------------------------------------------------------------------------------
# Saved queries
# ---------------------------------------------------------------------------------------------


def load_saved_query(path: Path) -> SavedQuery:
    """Read and validate one queries/*.yaml file."""
    source = Path(path)
    data = _check_keys(source, "", _read(source), QUERY_KEYS, frozenset())
    body = _str(source, "body", data["body"])
    if len(body) > MAX_QUERY_LENGTH:
        raise _fail(source, "body", f"{len(body)} characters; the limit is {MAX_QUERY_LENGTH}")
    return SavedQuery(
        id=_guid(source, "id", data["id"]),
        name=_name(source, "name", data["name"]),
        displayName=_str(source, "displayName", data["displayName"]),
        description=_str(source, "description", data["description"]),
        category=_str(source, "category", data["category"]),
        body=body,
        source=source,
    )


def load_saved_queries(directory: Path = QUERIES_DIR) -> list[SavedQuery]:
    """Every queries/*.yaml, validated, sorted by name; ids and names unique."""
    queries = [load_saved_query(p) for p in sorted(Path(directory).glob("*.yaml"))]
    _unique(queries)
    return sorted(queries, key=lambda q: q.name)
