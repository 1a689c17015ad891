"""Plain resource data for the policies, and adapters from the three places a graph comes from.

The validators never see `pulumi_policy`'s proxies: reading an unknown value through
`PolicyResource.props` raises `UnknownValueError`, which the analyzer turns into an advisory
"can't run policy during preview" and so silently stops a mandatory check. The adapters unwrap
the proxies without reading through them and replace each unknown with the `UNKNOWN` marker, so
a validator decides what an unknown means (a gateway with an unknown id is still matched through
`property_dependencies`, which hold URNs and are known during preview).

Sources here: a `pulumi_policy.PolicyResource` (the pack) and a resource of a `pulumi stack
export` file. The offline plan's adapter lives with the harness (`gatewatch.harness.
plain_resources`): this package runs inside other teams' `pulumi preview --policy-pack` and knows
nothing of the plan or the harness.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gatewatch.errors import BadInput, Problem

if TYPE_CHECKING:
    from pulumi_policy import PolicyResource


class _Unknown:
    """A value the engine does not know yet (a preview of a resource not created yet)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; compare with `is UNKNOWN`")


UNKNOWN: Final = _Unknown()

# The engine's sentinels for unknown values (pulumi/sdk/go/common/resource/plugin/rpc.go), as
# pulumi_policy.proxy lists them. Every one of them means "not known during preview".
_UNKNOWN_SENTINELS: Final = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also pulumi.runtime.rpc.UNKNOWN)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})

# Signature keys of Pulumi's special objects in serialized properties and stack exports.
_SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
_SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"

# A secret whose plaintext is not in the file: known to exist, value unreadable.
SECRET_VALUE: Final = "[secret]"


@dataclass(frozen=True)
class PlainResource:
    """One resource as the validators see it: plain JSON-like props, `UNKNOWN` where the engine
    does not know a value yet, and the graph edges as URNs."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    id: str | None = None  # the provider id when known (stack export, or an "id" output)

    @property
    def known_id(self) -> str | None:
        """The resource's id if it is known: `id`, else a known string `id` prop."""
        if self.id:
            return self.id
        value = self.props.get("id")
        return value if isinstance(value, str) and value else None

    def depends_through(self, key: str) -> tuple[str, ...]:
        """URNs the input `key` was computed from (known even during a preview)."""
        return self.property_dependencies.get(key, ())


def plain_value(value: Any, *, unknown_markers: frozenset[str] = frozenset()) -> Any:
    """A JSON-like copy of `value` with every unknown as `UNKNOWN` and secrets unwrapped.
    `unknown_markers`: further strings the caller's source writes for an unknown value."""
    return _plain(value, _UNKNOWN_SENTINELS | unknown_markers)


def _plain(value: Any, unknown: frozenset[str]) -> Any:
    # Exact type checks first: a stack export of 100k resources is millions of values.
    kind = type(value)
    if kind is str:
        return UNKNOWN if value in unknown else value
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [_plain(v, unknown) for v in value]
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            if "value" in value:
                return _plain(value["value"], unknown)
            if "plaintext" in value:  # `pulumi stack export --show-secrets`
                try:
                    return _plain(json.loads(value["plaintext"]), unknown)
                except (TypeError, ValueError):
                    return SECRET_VALUE
            return SECRET_VALUE
        return {str(k): _plain(v, unknown) for k, v in value.items()}
    if isinstance(value, str):
        return UNKNOWN if value in unknown else value
    if isinstance(value, list | tuple):
        return [_plain(v, unknown) for v in value]
    return value


def name_from_urn(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def from_policy_resource(resource: PolicyResource) -> PlainResource:
    """Adapt a resource of `StackValidationArgs.resources`.

    `serialize_properties` is the SDK's own way to get the raw values behind its proxies
    ("this ensures unknowns flow through"); nothing here indexes the proxy, so nothing raises.
    """
    from pulumi_policy.deserialize import serialize_properties

    raw = serialize_properties(resource.props)
    return PlainResource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        props=plain_value(dict(raw)),
        parent=resource.parent.urn if resource.parent is not None else "",
        dependencies=tuple(d.urn for d in resource.dependencies),
        property_dependencies={
            key: tuple(d.urn for d in deps)
            for key, deps in resource.property_dependencies.items()
        },
    )


def from_export_resource(resource: Mapping[str, Any]) -> PlainResource:
    """Adapt one entry of `deployment.resources` in a `pulumi stack export` file.

    The engine gives stack policies a resource's outputs; outputs of some providers omit inputs
    (azure-native drops path parameters such as a diagnostic setting's `resourceUri`), so the
    inputs fill what the outputs lack.
    """
    urn = str(resource["urn"])
    inputs = resource.get("inputs") or {}
    outputs = resource.get("outputs") or {}
    props = {**plain_value(inputs), **plain_value(outputs)}
    deps = resource.get("propertyDependencies") or {}
    return PlainResource(
        urn=urn,
        type=str(resource.get("type") or ""),
        name=name_from_urn(urn),
        props=props,
        parent=str(resource.get("parent") or ""),
        dependencies=tuple(resource.get("dependencies") or ()),
        property_dependencies={str(k): tuple(v or ()) for k, v in deps.items()},
        id=str(resource["id"]) if resource.get("id") else None,
    )


def _export_problem(path: Path, message: str, fix: str) -> BadInput:
    return BadInput([Problem(str(path), message, fix)])


def load_stack_export(path: Path) -> list[PlainResource]:
    """Read a `pulumi stack export` file; BadInput (one clear line) if it is not one."""
    fix = "pass the output of `pulumi stack export --file FILE` (deployment version 3)"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _export_problem(path, "file not found", fix) from None
    except (OSError, UnicodeDecodeError) as error:
        raise _export_problem(path, f"cannot read it ({error})", fix) from None
    try:
        doc = json.loads(text)
    except ValueError as error:
        raise _export_problem(path, f"not JSON ({error})", fix) from None
    deployment = doc.get("deployment") if isinstance(doc, Mapping) else None
    if not isinstance(deployment, Mapping) or "version" not in doc:
        raise _export_problem(path, "not a stack export (no 'version' and 'deployment')", fix)
    if doc["version"] != 3:
        raise _export_problem(path, f"deployment version {doc['version']!r} is not supported",
                              "export it with a current Pulumi CLI (version 3)")
    resources = deployment.get("resources") or []
    if not isinstance(resources, Sequence) or isinstance(resources, str):
        raise _export_problem(path, "deployment.resources is not a list", fix)
    out: list[PlainResource] = []
    for i, resource in enumerate(resources):
        if not isinstance(resource, Mapping) or not isinstance(resource.get("urn"), str):
            raise _export_problem(path, f"deployment.resources[{i}] has no urn", fix)
        out.append(from_export_resource(resource))
    return out
