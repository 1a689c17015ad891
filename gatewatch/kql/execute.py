"""Run gatewatch's KQL over fixture rows with duckdb-kql, for tests.

What this can and cannot prove: duckdb-kql executes the query's logic (joins, windows,
classification) over rows we control, so a test can compare the result with what an operator
would conclude. It matches column names case-insensitively and accepts some KQL that
Log Analytics rejects, so it is NOT the validator; gatewatch.kql.check (Microsoft's language
service) is. Every query a test runs here must also pass that check.

Two things Log Analytics supplies at run time are simulated, openly:

- **now()**: alert queries filter with ``ago(...)``. duckdb-kql can pin its clock
  (``query_now=``), so the query text is run unchanged; ``now`` is an argument.
- **ingestion_time()**: duckdb-kql has no mapping for it. Each fixture table gets one extra
  column, ``_GatewatchIngestionTime`` (from a row's ``$IngestionTime`` key, default: its
  TimeGenerated), and the executor rewrites the call ``ingestion_time()`` to that column
  before translating. Rows whose ingestion time is after ``now`` are not loaded at all: at
  that moment Log Analytics could not return them either. That is what lets a test replay
  a sequence of evaluations and check that a late row is reported exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gatewatch.kql.tables import TableSchema, load_schemas

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

INGESTION_COLUMN = "_GatewatchIngestionTime"
INGESTION_KEY = "$IngestionTime"  # the fixture-row key, after Kusto's hidden $IngestionTime
_INGESTION_CALL = re.compile(r"\bingestion_time\s*\(\s*\)")

# KQL type -> DuckDB type, as duckdb-kql itself maps them (guid kept as text: fixtures and
# queries compare it as a string, and DuckDB's UUID would reject readable placeholders).
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "long": "BIGINT",
    "real": "DOUBLE",
    "bool": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "timespan": "INTERVAL",
    "guid": "VARCHAR",
    "dynamic": "JSON",
}

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


class FixtureError(ValueError):
    """A fixture row does not fit its table's schema; the message names table, row and key."""


def load_fixture(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Read ``{tables: {Table: [row, ...]}}`` from a YAML fixture file."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise FixtureError(f"{path}: expected a mapping with a 'tables' mapping")
    return {str(k): list(v or []) for k, v in raw["tables"].items()}


def as_utc(value: Any) -> dt.datetime:
    """A datetime (or ISO 8601 text) as an aware UTC datetime; naive values are taken as UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, dt.datetime):
        raise FixtureError(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _naive_utc(value: Any) -> dt.datetime:
    return as_utc(value).replace(tzinfo=None)


def _cell(table: str, index: int, column: str, kql_type: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        if kql_type == "datetime":
            return _naive_utc(value)
        if kql_type == "dynamic":
            return json.dumps(value)
        if kql_type in ("int", "long"):
            return int(value)
        if kql_type == "real":
            return float(value)
        if kql_type == "bool":
            if not isinstance(value, bool):
                raise FixtureError(f"expected true/false, got {value!r}")
            return value
        if kql_type == "timespan":
            if not isinstance(value, dt.timedelta):
                raise FixtureError(f"expected a timedelta, got {value!r}")
            return value
        return str(value)
    except (TypeError, ValueError) as exc:
        raise FixtureError(f"{table}[{index}].{column}: {exc}") from exc


def _create_table(con: DuckDBPyConnection, table: TableSchema) -> None:
    columns = [f'"{name}" {_DUCKDB_TYPES[kql_type]}' for name, kql_type in table.columns]
    columns.append(f'"{INGESTION_COLUMN}" TIMESTAMP')
    con.execute(f'CREATE TABLE "{table.name}" ({", ".join(columns)})')


def _insert_rows(
    con: DuckDBPyConnection, table: TableSchema, rows: Sequence[Mapping[str, Any]],
    now: dt.datetime | None,
) -> None:
    names = table.column_names
    known = set(names) | {INGESTION_KEY}
    values: list[list[Any]] = []
    for index, row in enumerate(rows):
        unknown = sorted(set(row) - known)
        if unknown:
            raise FixtureError(
                f"{table.name}[{index}]: unknown column(s) {', '.join(unknown)} "
                f"(not in gatewatch/kql/tables.yaml)"
            )
        ingested = row.get(INGESTION_KEY, row.get("TimeGenerated"))
        ingested_at = None if ingested is None else _naive_utc(ingested)
        if now is not None and ingested_at is not None and ingested_at > _naive_utc(now):
            continue  # not yet queryable at `now`
        cells = [
            _cell(table.name, index, name, table.type_of(name), row.get(name)) for name in names
        ]
        values.append([*cells, ingested_at])
    if values:
        placeholders = ", ".join("?" for _ in range(len(names) + 1))
        con.executemany(f'INSERT INTO "{table.name}" VALUES ({placeholders})', values)


def fixture_connection(
    rows: Rows, now: dt.datetime | None = None, tables: dict[str, TableSchema] | None = None
) -> DuckDBPyConnection:
    """A DuckDB connection with every schema table created and the fixture rows inserted.

    Every table in the schemas exists (empty unless given rows) so a query that joins a table
    the fixture does not mention still runs. Rows ingested after ``now`` are left out.
    """
    import duckdb_kql

    schemas = load_schemas() if tables is None else tables
    unknown = sorted(set(rows) - set(schemas))
    if unknown:
        raise FixtureError(f"fixture names unknown table(s): {', '.join(unknown)}")
    con = duckdb_kql.connect()
    for table in schemas.values():
        _create_table(con, table)
        _insert_rows(con, table, rows.get(table.name, ()), now)
    return con


def prepare_query(text: str) -> str:
    """The query as duckdb-kql runs it: ``ingestion_time()`` becomes the fixture column."""
    return _INGESTION_CALL.sub(INGESTION_COLUMN, text)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return as_utc(value)
    return value


def run_query(
    text: str, rows: Rows, now: dt.datetime, tables: dict[str, TableSchema] | None = None
) -> list[dict[str, Any]]:
    """Run one KQL query over the fixture rows as Log Analytics would at ``now``.

    Returns the result rows as dicts (datetimes as aware UTC), in the order duckdb-kql gives.
    """
    import duckdb_kql

    con = fixture_connection(rows, now=now, tables=tables)
    try:
        relation = duckdb_kql.kql(con, prepare_query(text), query_now=as_utc(now))
        columns = list(relation.columns)
        return [
            dict(zip(columns, map(_plain, record), strict=True))
            for record in relation.fetchall()
        ]
    finally:
        con.close()


def evaluation_times(
    start: dt.datetime, end: dt.datetime, every: dt.timedelta
) -> Iterator[dt.datetime]:
    """start, start+every, ... up to and including end: the moments a rule is evaluated."""
    moment = as_utc(start)
    stop = as_utc(end)
    while moment <= stop:
        yield moment
        moment += every
