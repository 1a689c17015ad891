"""Load the table schemas in ``tables.yaml``.

The language-service check and the fixture executor both read the schemas from here, so a
column a query may use and a column a fixture table has are the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMAS_PATH = Path(__file__).with_name("tables.yaml")

# KQL scalar types a schema may use (the language service knows more; these are the ones the
# fixture executor can also create in DuckDB).
KQL_TYPES = frozenset(
    {"string", "int", "long", "real", "bool", "datetime", "timespan", "guid", "dynamic"}
)


class SchemaError(ValueError):
    """tables.yaml is malformed; the message names the table and column."""


@dataclass(frozen=True)
class TableSchema:
    """One table: its name and its (column, KQL type) pairs in file order."""

    name: str
    columns: tuple[tuple[str, str], ...]
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def type_of(self, column: str) -> str:
        for name, kql_type in self.columns:
            if name == column:
                return kql_type
        raise KeyError(f"{self.name} has no column {column!r}")

    def schema_string(self) -> str:
        """The "(Name:type, ...)" form Kusto's TableSymbol constructor parses."""
        return "(" + ", ".join(f"{name}:{kql_type}" for name, kql_type in self.columns) + ")"


def _parse(raw: Any, source: Path) -> dict[str, TableSchema]:
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise SchemaError(f"{source}: expected a mapping with a 'tables' mapping")
    tables: dict[str, TableSchema] = {}
    for name, body in raw["tables"].items():
        if not isinstance(body, dict) or not isinstance(body.get("columns"), dict):
            raise SchemaError(f"{source}: tables.{name}: expected a 'columns' mapping")
        columns: list[tuple[str, str]] = []
        for column, kql_type in body["columns"].items():
            if kql_type not in KQL_TYPES:
                raise SchemaError(
                    f"{source}: tables.{name}.columns.{column}: type {kql_type!r} is not one "
                    f"of {', '.join(sorted(KQL_TYPES))}"
                )
            columns.append((str(column), str(kql_type)))
        tables[str(name)] = TableSchema(
            name=str(name), columns=tuple(columns), description=str(body.get("description", ""))
        )
    return tables


def load_schemas(path: Path | None = None) -> dict[str, TableSchema]:
    """All table schemas, by table name. ``path`` defaults to the packaged tables.yaml."""
    if path is None:
        return dict(_default_schemas())
    source = Path(path)
    return _parse(yaml.safe_load(source.read_text(encoding="utf-8")), source)


@cache
def _default_schemas() -> dict[str, TableSchema]:
    return _parse(yaml.safe_load(SCHEMAS_PATH.read_text(encoding="utf-8")), SCHEMAS_PATH)


@cache
def fresh_workspace_schemas() -> dict[str, dict[str, TableSchema]]:
    """The schemas of a brand-new workspace (tables.yaml `freshWorkspace`), by variant name:
    the tables without the columns that appear only once a resource logs them, and the same
    without the tables that may not exist at all."""
    raw = yaml.safe_load(SCHEMAS_PATH.read_text(encoding="utf-8"))["freshWorkspace"]
    full = _default_schemas()
    absent = raw.get("absentColumns", {})
    for name, columns in absent.items():
        unknown = set(columns) - set(full[name].column_names)
        if unknown:
            raise SchemaError(f"{SCHEMAS_PATH}: freshWorkspace.absentColumns.{name}: "
                              f"{', '.join(sorted(unknown))} not in tables.{name}")
    fresh = {name: TableSchema(name, tuple(c for c in t.columns if c[0] not in
                                           absent.get(name, ())), t.description)
             for name, t in full.items()}
    missing = set(raw.get("mayBeAbsent", []))
    return {
        "fresh workspace (no VPN columns yet)": fresh,
        f"fresh workspace (no {', '.join(sorted(missing))} table yet)":
            {name: t for name, t in fresh.items() if name not in missing},
    }


def schema_strings(tables: dict[str, TableSchema] | None = None) -> dict[str, str]:
    """{table: "(col:type, ...)"} as the language service wants them."""
    chosen = load_schemas() if tables is None else tables
    return {name: table.schema_string() for name, table in chosen.items()}
