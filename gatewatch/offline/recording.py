"""What an offline run of the program recorded: every resource it registered (as the one
resource model, gatewatch.checks.model.Resource) and every provider lookup the mocks answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatewatch.checks.model import Resource


@dataclass
class RecordedCall:
    token: str
    args: dict[str, Any]
    result: dict[str, Any]
    note: str


@dataclass
class Recording:
    stack: str
    preview: bool
    resources: list[Resource] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    # The root pulumi:pulumi:Stack resource: `pulumi preview` counts it among the resources
    # to create; it is not in `resources` (it has no inputs the tests or policies read).
    stack_urn: str = ""

    def by_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        """The one resource of this type (and name, when given)."""
        found = [r for r in self.resources
                 if r.type == type_ and (name is None or r.name == name)]
        if len(found) != 1:
            named = "" if name is None else f" named {name}"
            known = ", ".join(f"{r.type}::{r.name}" for r in self.resources)
            raise KeyError(f"expected one {type_}{named}, found {len(found)}; have {known}")
        return found[0]

    def get(self, urn: str) -> Resource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)
