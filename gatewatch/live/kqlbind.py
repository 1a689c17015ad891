"""Run the kit's saved queries and alert KQL with parameters, without copying them.

Every saved query (queries/*.yaml) and alert (alerts/*.yaml) starts with its tunables as
``let Name = value;`` statements. Binding a parameter replaces the *value* of that one
statement and leaves the rest of the text untouched, so the query that runs is the catalog's
query: a change to a file changes what `doctor` and `triage` run. Prepending new ``let``
statements would not work: the query's own ``let`` of the same name comes later and shadows
it.

Values are rendered as KQL literals here (strings quoted and escaped, datetimes as
``datetime(...)``, timedeltas as timespan literals), never pasted in as text from a user.
Binding a name the query does not declare is an error: a renamed tunable must not silently
leave the query unfiltered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

KqlValue = str | int | dt.datetime | dt.timedelta


class BindError(ValueError):
    """The query has no ``let`` statement for a parameter being bound."""


def literal(value: KqlValue) -> str:
    """A KQL literal for a Python value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        text = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"datetime({text})"
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds}s"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _statement(name: str) -> re.Pattern[str]:
    # `let Name = <value>;` on one line; the value ends at the first `;` outside a string.
    return re.compile(
        rf'^(?P<head>\s*let\s+{re.escape(name)}\s*=\s*)'
        r'(?P<value>(?:"(?:[^"\\\n]|\\.)*"|[^;"\n])*?)'
        r"(?P<tail>\s*;)",
        re.MULTILINE,
    )


def declared(query: str) -> tuple[str, ...]:
    """Names of the query's top-level ``let`` statements, in order."""
    return tuple(re.findall(r"^\s*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=", query, re.MULTILINE))


def bind(query: str, params: Mapping[str, KqlValue], *, source: str = "query") -> str:
    """The query with each named ``let`` statement's value replaced by the parameter."""
    text = query
    for name, value in params.items():
        pattern = _statement(name)
        matches = pattern.findall(text)
        if len(matches) != 1:
            raise BindError(
                f"{source}: expected one `let {name} = ...;` statement to bind, found "
                f"{len(matches)} (declared: {', '.join(declared(query)) or 'none'})"
            )
        replacement = literal(value)

        def substitute(match: re.Match[str], new: str = replacement) -> str:
            return match.group("head") + new + match.group("tail")

        text = pattern.sub(substitute, text, count=1)
    return text


def let_value(query: str, name: str) -> str | None:
    """The value of ``let name = "...";`` (or a verbatim ``@"..."``) as Python text; None when
    the query has no such string statement. Lets `triage` reuse an alert's tunable (e.g. the
    ike-negotiation-failure alert's FailurePattern) instead of copying it."""
    match = re.search(
        rf'^\s*let\s+{re.escape(name)}\s*=\s*(?P<verbatim>@?)"(?P<text>(?:[^"\\\n]|\\.)*)"\s*;',
        query, re.MULTILINE)
    if match is None:
        return None
    text = match.group("text")
    if match.group("verbatim"):
        return text
    return text.replace('\\"', '"').replace("\\\\", "\\")


def let_number(query: str, name: str) -> int | None:
    """The value of ``let name = <integer>;``; None when the query has no such statement."""
    match = re.search(rf"^\s*let\s+{re.escape(name)}\s*=\s*(?P<n>\d+)\s*;", query,
                      re.MULTILINE)
    return None if match is None else int(match.group("n"))
