"""A small evaluator of CloudWatch Logs filter patterns of terms, as AWS documents them, to judge
the kit's metric filters (moto's evaluator matches OR-patterns against everything: never judge a
filter with moto).

Documented semantics ("Filter pattern syntax for metric filters, subscription filters, filter
log events, and Live Tail", CloudWatch Logs User Guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html; the same
examples on Amazon Lightsail's GetContainerLog `filterPattern`,
https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/lightsail/aws.sdk.kotlin.services.lightsail.model/-get-container-log-request/filter-pattern.html):

- terms are case-sensitive; a term is a word or an exact phrase in double quotes;
- "ERROR Exception" returns events that contain both terms;
- "?ERROR ?Exception" returns events that contain the ERROR or the Exception term;
- "-ERROR" excludes events that contain ERROR; "" returns all events.

Only these forms are supported; a JSON, space-delimited or %regex% pattern, or one mixing `?`
terms with plain ones, is refused (ValueError) rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'\s*([?-]?)(?:"([^"]*)"|([^\s"]+))')


@dataclass(frozen=True)
class Term:
    text: str
    op: str  # "" all of, "?" any of, "-" none of


def parse(pattern: str) -> list[Term]:
    if pattern.strip().startswith(("{", "[", "%")):
        raise ValueError(f"not a pattern of terms: {pattern!r}")
    terms: list[Term] = []
    pos = 0
    while pattern[pos:].strip():
        found = _TOKEN.match(pattern, pos)
        if found is None or found.end() == pos:
            raise ValueError(f"cannot read the pattern at {pattern[pos:]!r}")
        op, quoted, bare = found.groups()
        terms.append(Term(quoted if quoted is not None else bare, op))
        pos = found.end()
    ops = {t.op for t in terms if t.op != "-"}
    if len(ops) > 1:
        raise ValueError(f"`?` terms mixed with plain terms: {pattern!r}")
    return terms


def matches(pattern: str, message: str) -> bool:
    """Whether a log event's text matches the pattern (case-sensitive substring terms)."""
    terms = parse(pattern)
    if any(t.text in message for t in terms if t.op == "-"):
        return False
    wanted = [t for t in terms if t.op != "-"]
    if not wanted:
        return True
    if wanted[0].op == "?":
        return any(t.text in message for t in wanted)
    return all(t.text in message for t in wanted)
