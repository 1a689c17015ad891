"""Adapters from pulumi-policy's resources and from a `pulumi stack export` file into the one
resource model the rules read (`gatewatch.checks.model.Resource`).

The rules never see `pulumi_policy`'s proxies: reading an unknown value through
`PolicyResource.props` raises `UnknownValueError`, which the analyzer turns into an advisory
"can't run policy during preview" and so silently stops a mandatory check. The adapters unwrap
the proxies without reading through them and replace each unknown with the `UNKNOWN` marker, so
a rule decides what an unknown means (a gateway with an unknown id is still matched through
`property_dependencies`, which hold URNs and are known during preview).

The offline recorder (gatewatch.offline.runtime) produces the same `Resource`s itself: this
package runs inside other teams' `pulumi preview --policy-pack` and knows nothing of the plan or
the recorder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from gatewatch.checks.model import SECRET, UNKNOWN, Resource, provider_urn

if TYPE_CHECKING:
    from pulumi_policy import PolicyResource


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

# How deep a property value may nest below a resource's inputs or outputs. Pulumi's property
# values nest a few levels (an ARM body, a policy document); the bound keeps the recursion below
# far from Python's limit, so a hostile or broken file is one line, never a RecursionError.
MAX_DEPTH: Final = 100


class TooDeep(ValueError):
    """A property value nests deeper than MAX_DEPTH; `field` is set by the adapter
    (`inputs`, `outputs`)."""

    def __init__(self, field: str = ""):
        self.field = field
        super().__init__(f"{field or 'a property value'} nests more than {MAX_DEPTH} levels deep")


def plain_value(value: Any) -> Any:
    """A JSON-like copy of `value` with every unknown as `UNKNOWN` and secrets unwrapped;
    TooDeep if it nests more than MAX_DEPTH levels."""
    return _plain(value, _UNKNOWN_SENTINELS, MAX_DEPTH)


def _plain(value: Any, unknown: frozenset[str], depth: int) -> Any:
    # Exact type checks first: a stack export of 100k resources is millions of values.
    kind = type(value)
    if kind is str:
        return UNKNOWN if value in unknown else value
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if depth <= 0:
        raise TooDeep()
    if kind is list or kind is tuple:
        return [_plain(v, unknown, depth - 1) for v in value]
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            if "value" in value:
                return _plain(value["value"], unknown, depth - 1)
            if "plaintext" in value:  # `pulumi stack export --show-secrets`
                try:
                    decoded = json.loads(value["plaintext"])
                except RecursionError:
                    raise TooDeep() from None
                except (TypeError, ValueError):
                    return SECRET
                return _plain(decoded, unknown, depth - 1)
            return SECRET
        return {str(k): _plain(v, unknown, depth - 1) for k, v in value.items()}
    if isinstance(value, str):
        return UNKNOWN if value in unknown else value
    if isinstance(value, list | tuple):
        return [_plain(v, unknown, depth - 1) for v in value]
    return value


def name_from_urn(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def from_policy_resource(resource: PolicyResource) -> Resource:
    """Adapt a resource of `StackValidationArgs.resources`.

    `serialize_properties` is the SDK's own way to get the raw values behind its proxies
    ("this ensures unknowns flow through"); nothing here indexes the proxy, so nothing raises.
    """
    from pulumi_policy.deserialize import serialize_properties

    raw = serialize_properties(resource.props)
    return Resource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        inputs=plain_value(dict(raw)),
        parent=resource.parent.urn if resource.parent is not None else "",
        provider=resource.provider.urn if resource.provider is not None else "",
        dependencies=tuple(d.urn for d in resource.dependencies),
        property_dependencies={
            key: tuple(d.urn for d in deps)
            for key, deps in resource.property_dependencies.items()
        },
    )


def from_export_resource(resource: Mapping[str, Any]) -> Resource:
    """Adapt one entry of `deployment.resources` in a `pulumi stack export` file, already judged
    by gatewatch.policy.export_file (the CLI's reader); TooDeep naming `inputs` or `outputs`.

    The engine gives stack policies a resource's outputs; outputs of some providers omit inputs
    (azure-native drops path parameters such as a diagnostic setting's `resourceUri`), so the
    inputs fill what the outputs lack.
    """
    urn = str(resource["urn"])
    props: dict[str, Any] = {}
    for field in ("inputs", "outputs"):
        try:
            value = plain_value(resource.get(field) or {})
        except TooDeep:
            raise TooDeep(field) from None
        if isinstance(value, dict):  # not a whole map held as one secret
            props.update(value)
    deps = resource.get("propertyDependencies") or {}
    return Resource(
        urn=urn,
        type=str(resource.get("type") or ""),
        name=name_from_urn(urn),
        inputs=props,
        parent=str(resource.get("parent") or ""),
        provider=provider_urn(str(resource.get("provider") or "")),
        dependencies=tuple(resource.get("dependencies") or ()),
        property_dependencies={str(k): tuple(v or ()) for k, v in deps.items()},
        id=str(resource["id"]) if resource.get("id") else None,
    )
