"""One Kusto language-service run for every test that checks the queries the kit deploys.

test_kql_check, test_kql_fresh_workspace, test_workbook and test_vm_scheduled_event_query all
ask the same question the plan asks (does every alert, saved query and workbook query pass,
also on a brand-new workspace?). `deployed_kql` asks it once per test session (one node
process, gatewatch.kql.check.check_query_sets), reading the files when it runs, so a broken
query file still fails each test that covers it. Import the fixture into a test module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gatewatch.azure.workbook_template import workbook_queries
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.kql.check import QueryCheck, QuerySet, check_query_sets, fresh_workspace_sets


@dataclass(frozen=True)
class DeployedKql:
    """The verdicts, by query name; `fresh` is named "<variant>: <alert name>"."""

    alerts: dict[str, QueryCheck]
    saved_queries: dict[str, QueryCheck]
    workbook: dict[str, QueryCheck]
    fresh: dict[str, QueryCheck]


@pytest.fixture(scope="session")
def deployed_kql() -> DeployedKql:
    alerts = tuple((rule.name, rule.query) for rule in load(LogSearchAlertRule))
    saved = tuple((query.name, query.body) for query in load(SavedQuery))
    book = tuple(workbook_queries())
    full, saved_checks, book_checks, *fresh = check_query_sets(
        [QuerySet(alerts), QuerySet(saved), QuerySet(book), *fresh_workspace_sets(list(alerts))])

    def by_name(checks: list[QueryCheck], expected: int) -> dict[str, QueryCheck]:
        named = {check.name: check for check in checks}
        assert len(named) == expected, [check.name for check in checks]
        return named

    return DeployedKql(
        alerts=by_name(full, len(alerts)),
        saved_queries=by_name(saved_checks, len(saved)),
        workbook=by_name(book_checks, len(book)),
        fresh=by_name([c for checks in fresh for c in checks], len(fresh) * len(alerts)),
    )
