"""What every check reads and says: one resource model, one rule, one finding.

The resource graph comes from three places (the offline recorder, pulumi-policy's analyzer, a
`pulumi stack export` file); each is adapted into `Resource`, with the one `UNKNOWN` marker where
the engine does not know a value yet (a preview of a resource not created yet) and the one
`SECRET` marker where a value is secret and not in clear. Every checker (Microsoft's API
definitions, the documented rules, the policy pack's rules) yields `Finding`s.

Standard library only: the policy pack ships this module in a wheel that may import nothing but
the standard library and pulumi-policy (policies/build.py, REQUIRED_IN_WHEEL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal


class _Unknown:
    """A value the engine does not know yet. It has no truth value and equals only itself, so
    a check cannot mistake it for a literal: compare with `is UNKNOWN`."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return UNKNOWN_TEXT

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; compare with `is UNKNOWN`")

    def __copy__(self) -> _Unknown:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unknown:
        return self


# How `pulumi preview` shows an unknown value; the plan prints and --json writes it so.
UNKNOWN_TEXT: Final = "<unknown>"
UNKNOWN: Final = _Unknown()
# A secret value that is not in clear (the recorder never shows one; a stack export holds
# only ciphertext unless exported with --show-secrets).
SECRET: Final = "[secret]"


def json_value(value: Any) -> Any:
    """`value` as JSON can hold it: every UNKNOWN as `UNKNOWN_TEXT`."""
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def value_at(values: Mapping[str, Any], *path: str) -> Any:
    """values[path[0]][path[1]]...; None when absent, UNKNOWN when unknown on the way."""
    value: Any = values
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, list) and len(value) == 1:  # a one-element block (TF style)
            value = value[0]
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def provider_urn(reference: str) -> str:
    """The URN of a provider reference ("<urn>::<id>", as the engine and a stack export write
    it); "" for none."""
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class Resource:
    """One resource of the graph: its properties as plain JSON-like values (`UNKNOWN` and
    `SECRET` where the source does not know or show a value), and the graph edges as URNs.

    `inputs` holds what the program declared (the recorder; the analyzer's view during a
    preview); a stack export's outputs are laid over its inputs there (some providers' outputs
    omit path parameters such as a diagnostic setting's `resourceUri`)."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    id: str | None = None  # the provider id when known (stack export)
    custom: bool = True  # False for a component resource
    # The explicit provider's URN ("" for the default provider); not listed by as_json (the
    # plan's resource list predates it).
    provider: str = ""
    # Top-level secret inputs in clear where the source has them (the recorder, for the API
    # definitions check and assertions); `inputs` shows SECRET instead.
    secrets: dict[str, Any] = field(default_factory=dict)

    @property
    def known_id(self) -> str | None:
        """The resource's id if it is known: `id`, else a known string `id` property."""
        if self.id:
            return self.id
        value = self.inputs.get("id")
        return value if isinstance(value, str) and value else None

    def depends_through(self, key: str) -> Sequence[str]:
        """URNs the input `key` was computed from (known even during a preview)."""
        return self.property_dependencies.get(key, ())

    def as_json(self) -> dict[str, Any]:
        """The resource as `gatewatch plan --json` lists it."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": json_value(self.inputs),
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
        }


@dataclass(frozen=True)
class Finding:
    """Something a rule found about one resource (`urn`, `name`, `type`; all empty for a
    finding about no resource), at `path` in its request body or inputs where that is known.
    `note`: not a violation, only said (an exemption applied, or one that matches nothing)."""

    rule: str  # the rule's id
    message: str
    urn: str = ""
    name: str = ""
    type: str = ""
    path: str = ""
    source: str = ""  # the document the rule comes from
    note: bool = False

    @property
    def resource_name(self) -> str:
        """The resource's name as its URN ends (the name a reader knows it by)."""
        return self.urn.split("::")[-1]


Level = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: Final[tuple[str, ...]] = ("advisory", "mandatory", "remediate", "disabled")

Check = Callable[[Sequence[Resource]], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One rule: `id` (kebab-case; the policy pack's users configure rules by it), what it
    requires, the public document it comes from, and the check over the whole graph (a rule may
    need the graph: a diagnostic setting is matched to its gateway through dependencies).
    A `mandatory` finding fails the plan and the pack; an `advisory` one is only shown."""

    id: str
    description: str
    source: str
    check: Check
    enforcement: Level = "mandatory"
    remediation: str = ""
