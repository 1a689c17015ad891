"""Check KQL with Microsoft's Kusto language service (tools/kql-check, node).

Why the language service and not duckdb-kql: duckdb-kql matches column names
case-insensitively and accepts queries Log Analytics would reject, so a query that runs over
fixtures can still fail at deployment. The language service is the same analyzer the
Log Analytics editor uses: it knows the grammar, the built-in functions and, given our
tables.yaml, every column name exactly.

One node process checks a whole batch, several schemas included (check_query_sets): loading the
service and warming it up costs ~2 s of CPU, a query ~25 ms. `make setup` builds a V8 start-up
snapshot of the warmed-up tool, which brings that to ~0.2 s (tools/kql-check/check.js).

Any Error- or Warning-severity diagnostic fails a query ("any diagnostic fails the
test"): the parser/binder's and those of Microsoft's analyzers, the ones the Log Analytics
editor underlines (KS508 join without kind, KS510 a let shadowed by a column, ...). A warning
means the query probably does not do what it says. Suggestion-severity hints (KS500: contains
costs more than has) are kept in ``suggestions`` and never fail. There is no allow-list: no
query in the kit needs one. If a warning ever proves unavoidable, add its code to
``ALLOWED_WARNINGS`` with the reason next to it, so the exception is reviewed, not silent.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gatewatch.kql.tables import TableSchema, schema_strings
from gatewatch.paths import KQL_TOOL_DIR

PACKAGE = "@kusto/language-service-next"
FATAL_SEVERITIES = frozenset({"Error", "Warning"})
# Warning codes (e.g. "KS508") accepted anyway, each with the reason it is unavoidable.
ALLOWED_WARNINGS: dict[str, str] = {}


class KqlCheckerUnavailable(RuntimeError):
    """The node tool cannot run (node missing, or `npm ci` not run in tools/kql-check)."""


@dataclass(frozen=True)
class Diagnostic:
    """One language-service diagnostic, with a 1-based line and column in the query text."""

    message: str
    severity: str
    line: int
    column: int
    code: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        return f"{where}: {self.severity} {self.code}: {self.message}"


@dataclass(frozen=True)
class QueryCheck:
    """The verdict on one query: ok unless the service reported an Error or a Warning.

    ``diagnostics`` holds those failing diagnostics; ``suggestions`` the non-fatal hints.
    """

    name: str
    ok: bool
    diagnostics: tuple[Diagnostic, ...] = ()
    suggestions: tuple[Diagnostic, ...] = field(default=())

    def describe(self) -> str:
        """A message naming the query and every diagnostic's line and column (for failures)."""
        if self.ok:
            return f"{self.name}: ok"
        return f"{self.name}: " + "; ".join(str(d) for d in self.diagnostics)


SNAPSHOT = Path("node_modules") / ".kql-check.blob"


def _commands(tool_dir: Path) -> list[list[str]]:
    """The ways to start the tool, best first: from the start-up snapshot `make setup` builds
    (the service loaded and warmed up: ~0.2 s of CPU instead of ~2 s) when it is newer than
    check.js, then the plain script. Both run the same check.js on the same library."""
    node = shutil.which("node")
    if node is None:
        raise KqlCheckerUnavailable("node is not on PATH; the KQL check needs Node.js 20")
    script = tool_dir / "check.js"
    package = tool_dir / "node_modules" / PACKAGE / "Kusto.Language.Bridge.min.js"
    if not package.exists():
        raise KqlCheckerUnavailable(
            f"{PACKAGE} is not installed in {tool_dir}: run make setup "
            f"(or `npm ci` in {tool_dir})"
        )
    plain = [node, str(script)]
    blob = tool_dir / SNAPSHOT
    try:
        fresh = blob.stat().st_mtime_ns >= max(script.stat().st_mtime_ns,
                                                package.stat().st_mtime_ns)
    except OSError:
        fresh = False
    return [[node, "--snapshot-blob", str(blob)], plain] if fresh else [plain]


def _diagnostics(items: Iterable[dict[str, object]]) -> tuple[Diagnostic, ...]:
    return tuple(
        Diagnostic(
            message=str(d.get("message", "")),
            severity=str(d.get("severity", "")),
            line=int(str(d.get("line", 0))),
            column=int(str(d.get("column", 0))),
            code=str(d.get("code", "")),
        )
        for d in items
    )


# Allowed only against a workspace that lacks a table (check_fresh_workspace): KS205 "the fuzzy
# name ... does not refer to any known or currently accessible table" is the language service
# saying the `union isfuzzy=true` leg will be skipped, which is exactly what the leg is for.
FRESH_WORKSPACE_WARNINGS: dict[str, str] = {
    "KS205": "a fuzzy union leg over a table the fresh workspace does not have yet"}


def _fatal(diagnostic: Diagnostic, allowed: Iterable[str] = ()) -> bool:
    if diagnostic.severity == "Warning" and (diagnostic.code in ALLOWED_WARNINGS
                                             or diagnostic.code in set(allowed)):
        return False
    return diagnostic.severity in FATAL_SEVERITIES


def _verdict(result: dict[str, object], allowed: Iterable[str] = ()) -> QueryCheck:
    items = result.get("diagnostics", [])
    hints = result.get("suggestions", [])
    reported = _diagnostics(items if isinstance(items, list) else [])
    fatal = tuple(d for d in reported if _fatal(d, allowed))
    # The verdict is decided here from the severities, not taken from the tool's "ok".
    return QueryCheck(
        name=str(result["name"]),
        ok=not fatal,
        diagnostics=fatal,
        suggestions=tuple(d for d in reported if not _fatal(d, allowed))
        + _diagnostics(hints if isinstance(hints, list) else []),
    )


# The tool's answer per (tool directory, request), for this process: the language service's
# verdicts are a function of the query texts and the schemas, both in the request, so asking
# again (a test session plans the same stack many times) gives the same JSON. Any change to a
# query or a schema is a different request and runs the tool.
_ANSWERS: dict[tuple[str, str], str] = {}
_ANSWERS_KEPT = 32


def _run(commands: list[list[str]], request: str, timeout: float) -> str:
    failures = []
    for command in commands:
        proc = subprocess.run(command, input=request, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode == 0:
            return proc.stdout
        # A snapshot built by another node binary is refused at start: the plain script runs.
        failures.append(f"kql-check failed (exit {proc.returncode}): {proc.stderr.strip()}")
    raise RuntimeError(failures[-1])


@dataclass(frozen=True)
class QuerySet:
    """Queries to check against one set of table schemas (None: tables.yaml's tables).

    ``prefix`` is put before each result's name; ``allowed_warnings`` are warning codes that
    do not fail a query of this set (see FRESH_WORKSPACE_WARNINGS)."""

    queries: tuple[tuple[str, str], ...]
    tables: dict[str, TableSchema] | None = None
    allowed_warnings: frozenset[str] = frozenset()
    prefix: str = ""


def check_query_sets(sets: Iterable[QuerySet], tool_dir: Path = KQL_TOOL_DIR,
                     timeout: float = 120.0) -> list[list[QueryCheck]]:
    """Check every set in ONE node process (start-up costs far more than a query); one list
    of results per set, each in input order. Raises KqlCheckerUnavailable when node or the npm
    package is missing, RuntimeError when the tool itself fails."""
    sets = list(sets)
    if not any(s.queries for s in sets):
        return [[] for _ in sets]
    request = json.dumps({"sets": [
        {"tables": schema_strings(s.tables),
         "queries": [{"name": name, "text": text} for name, text in s.queries]}
        for s in sets]})
    commands = _commands(tool_dir)
    key = (str(tool_dir.resolve()), request)
    if key not in _ANSWERS:
        _ANSWERS[key] = _run(commands, request, timeout)
        while len(_ANSWERS) > _ANSWERS_KEPT:
            del _ANSWERS[next(iter(_ANSWERS))]
    results = json.loads(_ANSWERS[key])
    return [[dataclasses.replace(_verdict(r, s.allowed_warnings), name=s.prefix + str(r["name"]))
             for r in checked] for s, checked in zip(sets, results, strict=True)]


def check_queries(
    queries: list[tuple[str, str]],
    tables: dict[str, TableSchema] | None = None,
    tool_dir: Path = KQL_TOOL_DIR,
    timeout: float = 120.0,
    allowed_warnings: Iterable[str] = (),
) -> list[QueryCheck]:
    """Check each (name, KQL text) against the schemas; results in input order.

    ``tables`` defaults to gatewatch/kql/tables.yaml. Raises KqlCheckerUnavailable when node
    or the npm package is missing, RuntimeError when the tool itself fails.
    """
    [results] = check_query_sets(
        [QuerySet(tuple(queries), tables, frozenset(allowed_warnings))], tool_dir, timeout)
    return results


def fresh_workspace_sets(queries: list[tuple[str, str]]) -> list[QuerySet]:
    """One QuerySet per brand-new-workspace variant (tables.yaml `freshWorkspace`), result
    names "<variant>: <query name>"; see check_fresh_workspace."""
    from gatewatch.kql.tables import fresh_workspace_schemas

    return [QuerySet(tuple(queries), tables, frozenset(FRESH_WORKSPACE_WARNINGS),
                     prefix=f"{variant}: ")
            for variant, tables in fresh_workspace_schemas().items()]


def check_fresh_workspace(queries: list[tuple[str, str]], tool_dir: Path = KQL_TOOL_DIR
                          ) -> list[QueryCheck]:
    """Each alert query against every brand-new-workspace variant (tables.yaml
    `freshWorkspace`): what Azure's create-time validation sees before a gateway has logged.
    Result names are "<variant>: <query name>"."""
    return [c for checked in check_query_sets(fresh_workspace_sets(queries), tool_dir)
            for c in checked]
