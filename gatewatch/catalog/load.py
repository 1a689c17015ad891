"""The one loader of the catalog: every file of a folder, checked, as typed entries.

`load(MetricAlertRule)` reads alerts/metric/*.yaml, `load(SavedQuery)` queries/*.yaml, and so
on for each kind of gatewatch/catalog/model.py; a folder can be given instead (the tests load
edited copies). Each file is checked by its kind's rules (gatewatch/catalog/rules.py,
gateway_rules.py, insights_rules.py); a bad one raises BadInput naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

from gatewatch.catalog.files import fail
from gatewatch.catalog.gateway_rules import activity_log_alert, metric_alert
from gatewatch.catalog.insights_rules import FIELDS_FILE, insights_query
from gatewatch.catalog.model import (
    ActivityLogAlertRule,
    AlertRule,
    Entry,
    InsightsQuery,
    LogSearchAlertRule,
    MetricAlertRule,
    SavedQuery,
)
from gatewatch.catalog.rules import log_search_alert, saved_query
from gatewatch.errors import BadInput
from gatewatch.paths import ALERTS_DIR, AWS_QUERIES_DIR, QUERIES_DIR

E = TypeVar("E", LogSearchAlertRule, MetricAlertRule, ActivityLogAlertRule, SavedQuery,
            InsightsQuery)

# Each kind: its folder, and the rules that read and check one of its files.
_KINDS: dict[type, tuple[Path, Callable[[Path], Entry]]] = {
    LogSearchAlertRule: (ALERTS_DIR, log_search_alert),
    MetricAlertRule: (ALERTS_DIR / "metric", metric_alert),
    ActivityLogAlertRule: (ALERTS_DIR / "activity", activity_log_alert),
    SavedQuery: (QUERIES_DIR, saved_query),
    InsightsQuery: (AWS_QUERIES_DIR, insights_query),
}


def folder(kind: type[Entry]) -> Path:
    """Where the files of a kind live (alerts/metric for MetricAlertRule, ...)."""
    return _KINDS[kind][0]


def load(kind: type[E], directory: Path | None = None) -> list[E]:
    """Every <folder>/*.yaml of `kind`, checked; ids and names unique. Sorted by name, but
    Logs Insights queries stay in file order: the dashboard shows them so."""
    default, check = _KINDS[kind]
    paths = sorted(Path(directory or default).glob("*.yaml"))
    if kind is InsightsQuery:
        queries = [cast(E, check(p)) for p in paths if p.name != FIELDS_FILE]
        ids = [q.id for q in queries]
        if len(set(ids)) != len(ids):
            raise BadInput(f"queries/aws: duplicate ids in {ids}")
        return queries
    entries = [cast(E, check(p)) for p in paths]
    unique(entries)
    return sorted(entries, key=lambda e: e.name)


def unique(entries: Sequence[Entry]) -> None:
    """Ids and names unique across `entries` (of one kind, or every alert of three)."""
    for key in ("id", "name"):
        seen: dict[str, Path] = {}
        for entry in entries:
            value = getattr(entry, key)
            if value in seen:
                raise fail(entry.source, key,
                           f"duplicate {key} {value!r} (also in {seen[value]})")
            seen[value] = entry.source


def alert_names() -> tuple[frozenset[str], frozenset[str]]:
    """(every alert name config may disable, the names config may re-severity).

    Names are unique across the three kinds of alert (log, metric, activity), so one config
    list addresses any alert. Activity log alerts have no severity in Azure's API
    (2020-10-01), so only log and metric alerts take a severity override.
    """
    rules: list[AlertRule] = [*load(LogSearchAlertRule), *load(MetricAlertRule),
                              *load(ActivityLogAlertRule)]
    unique(rules)
    with_severity = frozenset(r.name for r in rules if not isinstance(r, ActivityLogAlertRule))
    return frozenset(r.name for r in rules), with_severity
